//! Reading a model out of a result row by position.
//!
//! SeaORM's derived `FromQueryResult` finds every column of every row by name: it formats
//! `prefix + name` into a new string and looks it up in the row's name table (a SipHash map),
//! twice per column. For a page of 50 organizations with their parents and five people each
//! that was a third of the server's instructions. A `select` of an entity lists its columns in
//! the order of `Column::iter()`, the order of the model's fields, so [`Decode`] reads column
//! `base + n` for the n-th field, after checking that the column there has the expected name
//! (a comparison, no allocation). A row whose columns are not where they are expected (a
//! hand-written statement that orders them otherwise) is read by name, as before: the answer
//! is the same either way.

use sea_orm::{
    DbErr, FromQueryResult, QueryResult, TryGetError, TryGetable,
    sqlx::{self, Column, Row},
};

/// A model read by position (see the module). Implemented for every model by [`by_position!`].
pub trait Decode: Sized {
    /// The model's columns in the order the fields are read, for the tests that hold it to
    /// `Column::iter()`.
    const COLUMNS: &'static [&'static str];

    /// The model from the columns named `pre` + column; `TryGetError::Null` when a column that
    /// cannot be null is (a left join that found nothing).
    fn decode(res: &QueryResult, pre: &str) -> Result<Self, TryGetError>;
}

/// `M` read by position wherever SeaORM reads a model: `select.into_model::<Decoded<M>>()`,
/// `Decoded::<M>::find_by_statement(…)`, or a join's
/// `into_model::<Decoded<A>, Decoded<B>>()`.
#[derive(Debug, Clone)]
pub struct Decoded<M>(pub M);

impl<M: Decode> FromQueryResult for Decoded<M> {
    fn from_query_result(res: &QueryResult, pre: &str) -> Result<Self, DbErr> {
        Ok(Self(M::decode(res, pre)?))
    }

    fn from_query_result_nullable(res: &QueryResult, pre: &str) -> Result<Self, TryGetError> {
        M::decode(res, pre).map(Self)
    }

    fn from_query_result_optional(res: &QueryResult, pre: &str) -> Result<Option<Self>, DbErr> {
        match M::decode(res, pre) {
            Ok(model) => Ok(Some(Self(model))),
            Err(TryGetError::Null(_)) => Ok(None),
            Err(TryGetError::DbErr(e)) => Err(e),
        }
    }
}

/// Where a model's columns start in one row.
pub struct Columns<'a> {
    res: &'a QueryResult,
    pre: &'a str,
    base: Option<usize>,
}

impl<'a> Columns<'a> {
    /// The columns named `pre` + …, the first of them named `pre` + `first`.
    pub fn find(res: &'a QueryResult, pre: &'a str, first: &str) -> Self {
        let base = (0..column_count(res)).find(|&i| named(res, i, pre, first));
        Self { res, pre, base }
    }

    /// The `n`-th column, `name`: read at its place when it is there, by name otherwise.
    pub fn get<T: Field + TryGetable>(&self, n: usize, name: &str) -> Result<T, TryGetError> {
        match self.base {
            Some(base) if named(self.res, base + n, self.pre, name) => {
                T::read(self.res, base + n, self.pre, name)
            }
            _ => T::try_get(self.res, self.pre, name),
        }
    }

    /// Whether every column was where it was expected (for tests).
    pub fn positioned(&self, names: &[&str]) -> bool {
        self.base.is_some_and(|base| {
            names
                .iter()
                .enumerate()
                .all(|(n, name)| named(self.res, base + n, self.pre, name))
        })
    }
}

/// A field's value read from the column at `index`, through sqlx's decoder for the engine as
/// SeaORM's `TryGetable` reads it (so with the same result), checked against the column's type
/// once instead of twice. `pre` and `name` only name the column in an error.
pub trait Field: Sized {
    fn read(res: &QueryResult, index: usize, pre: &str, name: &str) -> Result<Self, TryGetError>;
}

/// The value at `index`, `None` for NULL. On PostgreSQL a column whose type is one of `oids`
/// (built-in types sqlx decodes as `T`, see [`PG_OIDS`]) is decoded without sqlx's per-cell
/// compatibility check, which compares the column's type with each of the Rust type's
/// compatible types in turn: one lookup of the column's type number replaces it. Any other
/// column type goes through the checked read, so a mismatch fails as before.
fn nullable<T>(res: &QueryResult, index: usize, oids: &[u32]) -> Result<Option<T>, TryGetError>
where
    T: TryGetable,
    Option<T>: TryGetable
        + for<'r> sqlx::Decode<'r, sqlx::Postgres>
        + sqlx::Type<sqlx::Postgres>
        + for<'r> sqlx::Decode<'r, sqlx::Sqlite>
        + sqlx::Type<sqlx::Sqlite>,
{
    let read = if let Some(row) = res.try_as_pg_row() {
        if pg_type(row, index).is_some_and(|oid| oids.contains(&oid)) {
            row.try_get_unchecked::<Option<T>, _>(index)
        } else {
            row.try_get::<Option<T>, _>(index)
        }
    } else if let Some(row) = res.try_as_sqlite_row() {
        row.try_get::<Option<T>, _>(index)
    } else {
        return Option::<T>::try_get_by_index(res, index);
    };
    read.map_err(|e| TryGetError::DbErr(DbErr::Type(e.to_string())))
}

/// The built-in type number of column `index` of a PostgreSQL row.
fn pg_type(row: &sqlx::postgres::PgRow, index: usize) -> Option<u32> {
    row.columns()
        .get(index)
        .and_then(|c| c.type_info().oid())
        .map(|oid| oid.0)
}

fn required<T>(value: Option<T>, pre: &str, name: &str) -> Result<T, TryGetError> {
    value.ok_or_else(|| TryGetError::Null(format!("{pre}{name}")))
}

/// [`Field`] for types sqlx decodes on both engines, and their `Option`s, each with the
/// PostgreSQL built-in type numbers (`pg_type.oid`) read without a per-cell check.
macro_rules! sqlx_fields {
    ($($t:ty => $oids:expr),* $(,)?) => {
        /// Each type's PostgreSQL type numbers read unchecked (for the test that holds them
        /// to sqlx's own `compatible`).
        #[cfg(test)]
        pub(crate) const PG_OIDS: &[(&str, &[u32])] = &[$((stringify!($t), $oids)),*];

        $(
            impl Field for $t {
                fn read(res: &QueryResult, index: usize, pre: &str, name: &str) -> Result<Self, TryGetError> {
                    required(nullable::<$t>(res, index, $oids)?, pre, name)
                }
            }

            impl Field for Option<$t> {
                fn read(res: &QueryResult, index: usize, _: &str, _: &str) -> Result<Self, TryGetError> {
                    nullable::<$t>(res, index, $oids)
                }
            }
        )*
    };
}

// text 25, name 19, bpchar 1042, varchar 1043; uuid 2950; int4 23; int8 20; bool 16;
// date 1082; timestamptz 1184.
sqlx_fields!(
    String => &[25, 19, 1042, 1043],
    uuid::Uuid => &[2950],
    i32 => &[23],
    i64 => &[20],
    bool => &[16],
    chrono::NaiveDate => &[1082],
);

/// PostgreSQL's `timestamptz` type number.
const TIMESTAMPTZ: u32 = 1184;

/// Microseconds from the Unix epoch to PostgreSQL's, 2000-01-01 00:00 UTC.
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;

/// A binary `timestamptz` (microseconds since 2000-01-01 UTC) as a time; `None` outside
/// chrono's range (PostgreSQL's `infinity`, say).
fn from_pg_micros(micros: i64) -> Option<chrono::DateTime<chrono::Utc>> {
    micros
        .checked_add(PG_EPOCH_MICROS)
        .and_then(chrono::DateTime::from_timestamp_micros)
}

/// A `timestamptz` column: on PostgreSQL in the binary format its eight bytes are read as
/// [`from_pg_micros`] directly (sqlx goes through a fixed-offset time and a checked date
/// addition, a tenth of a page of people's instructions); anything else as sqlx reads it.
fn timestamp(
    res: &QueryResult,
    index: usize,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, TryGetError> {
    use sea_orm::sqlx::{ValueRef, postgres::PgValueFormat};
    if let Some(row) = res.try_as_pg_row()
        && pg_type(row, index) == Some(TIMESTAMPTZ)
    {
        let raw = row
            .try_get_raw(index)
            .map_err(|e| TryGetError::DbErr(DbErr::Type(e.to_string())))?;
        if raw.is_null() {
            return Ok(None);
        }
        if raw.format() == PgValueFormat::Binary {
            let bytes = raw
                .as_bytes()
                .map_err(|e| TryGetError::DbErr(DbErr::Type(e.to_string())))?;
            return <[u8; 8]>::try_from(bytes)
                .ok()
                .map(i64::from_be_bytes)
                .and_then(from_pg_micros)
                .map(Some)
                .ok_or_else(|| {
                    TryGetError::DbErr(DbErr::Type(format!(
                        "column {index}: a timestamptz out of range"
                    )))
                });
        }
    }
    nullable::<chrono::DateTime<chrono::Utc>>(res, index, &[TIMESTAMPTZ])
}

impl Field for chrono::DateTime<chrono::Utc> {
    fn read(res: &QueryResult, index: usize, pre: &str, name: &str) -> Result<Self, TryGetError> {
        required(timestamp(res, index)?, pre, name)
    }
}

impl Field for Option<chrono::DateTime<chrono::Utc>> {
    fn read(res: &QueryResult, index: usize, _: &str, _: &str) -> Result<Self, TryGetError> {
        timestamp(res, index)
    }
}

/// JSON columns are read as SeaORM reads them (they are few, and not on list pages).
impl Field for Option<serde_json::Value> {
    fn read(res: &QueryResult, index: usize, _: &str, _: &str) -> Result<Self, TryGetError> {
        Option::<serde_json::Value>::try_get_by_index(res, index)
    }
}

/// [`Field`] for enums stored as their value (a string or a number), and their `Option`s: the
/// value, then `ActiveEnum::try_from_value`, as SeaORM reads them.
#[macro_export]
macro_rules! enum_fields {
    ($($t:ty),* $(,)?) => {
        $(
            impl $crate::decode::Field for $t {
                fn read(
                    res: &sea_orm::QueryResult,
                    index: usize,
                    pre: &str,
                    name: &str,
                ) -> Result<Self, sea_orm::TryGetError> {
                    let value = <<$t as sea_orm::ActiveEnum>::Value as $crate::decode::Field>::read(
                        res, index, pre, name,
                    )?;
                    <$t as sea_orm::ActiveEnum>::try_from_value(&value)
                        .map_err(sea_orm::TryGetError::DbErr)
                }
            }

            impl $crate::decode::Field for Option<$t> {
                fn read(
                    res: &sea_orm::QueryResult,
                    index: usize,
                    pre: &str,
                    name: &str,
                ) -> Result<Self, sea_orm::TryGetError> {
                    <Option<<$t as sea_orm::ActiveEnum>::Value> as $crate::decode::Field>::read(
                        res, index, pre, name,
                    )?
                        .map(|value| <$t as sea_orm::ActiveEnum>::try_from_value(&value))
                        .transpose()
                        .map_err(sea_orm::TryGetError::DbErr)
                }
            }
        )*
    };
}

fn column_count(res: &QueryResult) -> usize {
    if let Some(row) = res.try_as_pg_row() {
        row.columns().len()
    } else if let Some(row) = res.try_as_sqlite_row() {
        row.columns().len()
    } else {
        0
    }
}

/// Whether column `i` of the row is named `pre` + `name`.
fn named(res: &QueryResult, i: usize, pre: &str, name: &str) -> bool {
    let column = if let Some(row) = res.try_as_pg_row() {
        row.columns().get(i).map(|c| c.name())
    } else if let Some(row) = res.try_as_sqlite_row() {
        row.columns().get(i).map(|c| c.name())
    } else {
        None
    };
    column.is_some_and(|c| {
        c.len() == pre.len() + name.len() && c.starts_with(pre) && c.ends_with(name)
    })
}

/// Implements [`Decode`] for a model from its fields, listed in the order of its columns:
/// `by_position!(Model { id: Uuid, name: String });` (a missing field does not compile; a field
/// out of order is caught by the test that compares `COLUMNS` with `Column::iter()`).
#[macro_export]
macro_rules! by_position {
    ($model:ident { $first:ident: $first_ty:ty $(, $field:ident: $ty:ty)* $(,)? }) => {
        impl $crate::decode::Decode for $model {
            const COLUMNS: &'static [&'static str] =
                &[stringify!($first) $(, stringify!($field))*];

            #[allow(unused_assignments)]
            fn decode(
                res: &sea_orm::QueryResult,
                pre: &str,
            ) -> Result<Self, sea_orm::TryGetError> {
                let columns = $crate::decode::Columns::find(res, pre, stringify!($first));
                let mut n = 0usize;
                Ok(Self {
                    $first: columns.get::<$first_ty>(0, stringify!($first))?,
                    $($field: {
                        n += 1;
                        columns.get::<$ty>(n, stringify!($field))?
                    },)*
                })
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use sea_orm::{EntityTrait, IdenStatic, Iterable};

    use super::Decode;

    fn columns<E: EntityTrait>() -> Vec<&'static str> {
        E::Column::iter().map(|c| c.as_str()).collect()
    }

    /// Every type number read without sqlx's check is that of a built-in type which sqlx itself
    /// finds compatible with the Rust type, and the type's own is among them.
    #[test]
    fn columns_read_unchecked_are_those_sqlx_accepts() {
        use sea_orm::sqlx::{Postgres, Type, postgres::PgTypeInfo};
        // PostgreSQL's built-in type numbers (pg_type.dat), by hand.
        const BUILT_IN: &[(u32, &str)] = &[
            (16, "bool"),
            (19, "name"),
            (20, "int8"),
            (23, "int4"),
            (25, "text"),
            (1042, "bpchar"),
            (1043, "varchar"),
            (1082, "date"),
            (1184, "timestamptz"),
            (2950, "uuid"),
        ];
        fn check<T: Type<Postgres>>(name: &str, listed: &[u32], expected: &[&str]) {
            let names: Vec<&str> = listed
                .iter()
                .map(|oid| {
                    BUILT_IN
                        .iter()
                        .find(|(o, _)| o == oid)
                        .map_or("?", |(_, n)| *n)
                })
                .collect();
            assert_eq!(names, expected, "{name}: the types read unchecked");
            for n in &names {
                assert!(
                    <Option<T>>::compatible(&PgTypeInfo::with_name(n)),
                    "{name}: sqlx refuses {n}"
                );
            }
            let own = T::type_info().oid().map_or(0, |o| o.0);
            assert!(listed.contains(&own), "{name}: its own type {own}");
            assert!(
                !<Option<T>>::compatible(&PgTypeInfo::with_name("jsonb")),
                "{name}: jsonb"
            );
        }
        let listed = |name: &str| {
            super::PG_OIDS
                .iter()
                .find(|(n, _)| n.replace(' ', "") == name)
                .map(|(_, oids)| *oids)
                .unwrap_or(&[])
        };
        check::<String>(
            "String",
            listed("String"),
            &["text", "name", "bpchar", "varchar"],
        );
        check::<uuid::Uuid>("Uuid", listed("uuid::Uuid"), &["uuid"]);
        check::<i32>("i32", listed("i32"), &["int4"]);
        check::<i64>("i64", listed("i64"), &["int8"]);
        check::<bool>("bool", listed("bool"), &["bool"]);
        check::<chrono::NaiveDate>("NaiveDate", listed("chrono::NaiveDate"), &["date"]);
        check::<chrono::DateTime<chrono::Utc>>(
            "DateTime<Utc>",
            &[super::TIMESTAMPTZ],
            &["timestamptz"],
        );
        assert_eq!(
            super::PG_OIDS.len(),
            6,
            "every listed type is checked above"
        );
    }

    /// Binary `timestamptz` values, against times worked out by hand: 2026-12-01 is 9,831 days
    /// after 2000-01-01 (26 years with 7 leap days, then 334 days of 2026).
    #[test]
    fn binary_timestamps_count_microseconds_from_2000() {
        use chrono::{TimeZone, Utc};
        let at = |y, mo, d, h, mi, s| Utc.with_ymd_and_hms(y, mo, d, h, mi, s).single();
        assert_eq!(super::from_pg_micros(0), at(2000, 1, 1, 0, 0, 0));
        assert_eq!(
            super::from_pg_micros(9_831 * 86_400_000_000),
            at(2026, 12, 1, 0, 0, 0)
        );
        assert_eq!(
            super::from_pg_micros(9_831 * 86_400_000_000 + 3_600_000_000 + 1),
            at(2026, 12, 1, 1, 0, 0).map(|t| t + chrono::Duration::microseconds(1))
        );
        assert_eq!(
            super::from_pg_micros(-1),
            at(1999, 12, 31, 23, 59, 59).map(|t| t + chrono::Duration::microseconds(999_999))
        );
        // PostgreSQL's infinity and -infinity.
        assert_eq!(super::from_pg_micros(i64::MAX), None);
        assert_eq!(super::from_pg_micros(i64::MIN), None);
    }

    /// Every model lists its fields in the order its entity selects its columns.
    #[test]
    fn every_model_reads_its_columns_in_the_order_they_are_selected() {
        assert_eq!(
            crate::activity_participant::Model::COLUMNS,
            columns::<crate::activity_participant::Entity>(),
            "activity_participant"
        );
        assert_eq!(
            crate::app_setting::Model::COLUMNS,
            columns::<crate::app_setting::Entity>(),
            "app_setting"
        );
        assert_eq!(
            crate::appeal_event::Model::COLUMNS,
            columns::<crate::appeal_event::Entity>(),
            "appeal_event"
        );
        assert_eq!(
            crate::area::Model::COLUMNS,
            columns::<crate::area::Entity>(),
            "area"
        );
        assert_eq!(
            crate::attempt_counter::Model::COLUMNS,
            columns::<crate::attempt_counter::Entity>(),
            "attempt_counter"
        );
        assert_eq!(
            crate::attendance::Model::COLUMNS,
            columns::<crate::attendance::Entity>(),
            "attendance"
        );
        assert_eq!(
            crate::audit_entry::Model::COLUMNS,
            columns::<crate::audit_entry::Entity>(),
            "audit_entry"
        );
        assert_eq!(
            crate::calendar_token::Model::COLUMNS,
            columns::<crate::calendar_token::Entity>(),
            "calendar_token"
        );
        assert_eq!(
            crate::escalation_pass::Model::COLUMNS,
            columns::<crate::escalation_pass::Entity>(),
            "escalation_pass"
        );
        assert_eq!(
            crate::event_outbox::Model::COLUMNS,
            columns::<crate::event_outbox::Entity>(),
            "event_outbox"
        );
        assert_eq!(
            crate::event_outbox_pruned::Model::COLUMNS,
            columns::<crate::event_outbox_pruned::Entity>(),
            "event_outbox_pruned"
        );
        assert_eq!(
            crate::first_secretary_assignment::Model::COLUMNS,
            columns::<crate::first_secretary_assignment::Entity>(),
            "first_secretary_assignment"
        );
        assert_eq!(
            crate::joint_activity::Model::COLUMNS,
            columns::<crate::joint_activity::Entity>(),
            "joint_activity"
        );
        assert_eq!(
            crate::linkage_group::Model::COLUMNS,
            columns::<crate::linkage_group::Entity>(),
            "linkage_group"
        );
        assert_eq!(
            crate::linkage_group_member::Model::COLUMNS,
            columns::<crate::linkage_group_member::Entity>(),
            "linkage_group_member"
        );
        assert_eq!(
            crate::mentor_pairing::Model::COLUMNS,
            columns::<crate::mentor_pairing::Entity>(),
            "mentor_pairing"
        );
        assert_eq!(
            crate::mentoring_session::Model::COLUMNS,
            columns::<crate::mentoring_session::Entity>(),
            "mentoring_session"
        );
        assert_eq!(
            crate::organization::Model::COLUMNS,
            columns::<crate::organization::Entity>(),
            "organization"
        );
        assert_eq!(
            crate::person::Model::COLUMNS,
            columns::<crate::person::Entity>(),
            "person"
        );
        assert_eq!(
            crate::person_position::Model::COLUMNS,
            columns::<crate::person_position::Entity>(),
            "person_position"
        );
        assert_eq!(
            crate::resident_appeal::Model::COLUMNS,
            columns::<crate::resident_appeal::Entity>(),
            "resident_appeal"
        );
        assert_eq!(
            crate::role_grant::Model::COLUMNS,
            columns::<crate::role_grant::Entity>(),
            "role_grant"
        );
        assert_eq!(
            crate::supervision_assignment::Model::COLUMNS,
            columns::<crate::supervision_assignment::Entity>(),
            "supervision_assignment"
        );
        assert_eq!(
            crate::supervision_escalation::Model::COLUMNS,
            columns::<crate::supervision_escalation::Entity>(),
            "supervision_escalation"
        );
        assert_eq!(
            crate::supervision_event::Model::COLUMNS,
            columns::<crate::supervision_event::Entity>(),
            "supervision_event"
        );
        assert_eq!(
            crate::supervision_item::Model::COLUMNS,
            columns::<crate::supervision_item::Entity>(),
            "supervision_item"
        );
        assert_eq!(
            crate::supervision_report::Model::COLUMNS,
            columns::<crate::supervision_report::Entity>(),
            "supervision_report"
        );
        assert_eq!(
            crate::supervision_review::Model::COLUMNS,
            columns::<crate::supervision_review::Entity>(),
            "supervision_review"
        );
        assert_eq!(
            crate::supervision_round::Model::COLUMNS,
            columns::<crate::supervision_round::Entity>(),
            "supervision_round"
        );
        assert_eq!(
            crate::supervision_round_item::Model::COLUMNS,
            columns::<crate::supervision_round_item::Entity>(),
            "supervision_round_item"
        );
        assert_eq!(
            crate::user_account::Model::COLUMNS,
            columns::<crate::user_account::Entity>(),
            "user_account"
        );
        assert_eq!(
            crate::work_calendar::Model::COLUMNS,
            columns::<crate::work_calendar::Entity>(),
            "work_calendar"
        );
    }
}
