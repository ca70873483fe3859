//! Domain logic, one module per domain. Functions take `&impl ConnectionTrait` so that the same
//! code runs on a pool or inside a transaction; nothing here knows about GraphQL. A mutation runs
//! in a `Write` (transaction, audit, events); a single row for an action is read with
//! `scoped::fetch_for` (NOT_FOUND or FORBIDDEN, the same answer everywhere).

pub mod accounts;
pub mod activities;
pub mod appeals;
pub mod areas;
pub mod attempts;
pub mod audit;
pub mod calendar;
pub mod demo;
pub mod demo_data;
pub mod exports;
pub mod first_secretaries;
pub mod labels;
pub mod linkage_groups;
pub mod mentoring;
pub mod open311;
pub mod organizations;
pub mod pagination;
pub mod people;
pub mod refusals;
pub mod scoped;
pub mod statistics;
pub mod supervision;
pub mod values;
pub mod workdays;
pub mod write;

pub use audit::Change;
pub use write::Write;

use std::sync::Arc;

use uuid::Uuid;

use crate::{
    authz::{Scope, Viewer},
    error::{AppError, AppResult},
};

/// On whose authority a service acts.
#[derive(Debug, Clone, Default)]
pub enum Principal {
    /// Nobody has signed in: only signing in is allowed.
    #[default]
    Anonymous,
    /// The operator, from the command line (`create-user`, `demo-data`): everything.
    System,
    /// A signed-in user, with the grants read from the database for this request.
    User(Arc<Viewer>),
}

/// Who is acting: whose permissions services check, and who the audit trail names.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    /// The signed-in user, `None` for anonymous callers and the system.
    pub user_id: Option<Uuid>,
    /// The HTTP request id, so an audit entry can be matched with the logs.
    pub request_id: Option<String>,
    pub principal: Principal,
}

impl Actor {
    /// The operator at the command line; `label` names the command in the audit trail.
    pub fn system(label: &str) -> Self {
        Self {
            user_id: None,
            request_id: Some(label.to_owned()),
            principal: Principal::System,
        }
    }

    /// A signed-in user.
    pub fn user(viewer: Arc<Viewer>, request_id: Option<String>) -> Self {
        Self {
            user_id: Some(viewer.id()),
            request_id,
            principal: Principal::User(viewer),
        }
    }

    /// The signed-in viewer; UNAUTHENTICATED for anonymous callers and the system, which is no user.
    pub fn viewer(&self) -> AppResult<&Viewer> {
        match &self.principal {
            Principal::User(viewer) => Ok(viewer),
            _ => Err(AppError::Unauthenticated),
        }
    }

    /// Where the actor may do `action` on objects of type `object`.
    pub fn scope(&self, object: &'static str, action: &'static str) -> AppResult<Scope> {
        match &self.principal {
            Principal::Anonymous => Err(AppError::Unauthenticated),
            Principal::System => Ok(Scope::everything()),
            Principal::User(viewer) => Ok(viewer.scope(object, action)),
        }
    }

    /// The person whose own objects the actor may do `action` on (`own` rules of Casbin): the
    /// signed-in user's person when a grant allows it. `None` for the operator, whose scope is
    /// everything anyway, and for users without such a rule or without a person.
    pub fn own_person(
        &self,
        object: &'static str,
        action: &'static str,
    ) -> AppResult<Option<Uuid>> {
        match &self.principal {
            Principal::Anonymous => Err(AppError::Unauthenticated),
            Principal::System => Ok(None),
            Principal::User(viewer) => Ok(viewer
                .owns(object, action)
                .then(|| viewer.person_id())
                .flatten()),
        }
    }

    /// Anyone but an anonymous caller: what every signed-in user may read.
    pub fn require_signed_in(&self) -> AppResult<()> {
        match &self.principal {
            Principal::Anonymous => Err(AppError::Unauthenticated),
            Principal::System | Principal::User(_) => Ok(()),
        }
    }

    /// Administrators (and the operator) only.
    pub fn require_admin(&self) -> AppResult<()> {
        match &self.principal {
            Principal::Anonymous => Err(AppError::Unauthenticated),
            Principal::System => Ok(()),
            Principal::User(viewer) if viewer.is_admin() => Ok(()),
            Principal::User(_) => Err(AppError::Forbidden),
        }
    }
}

/// Starts the transaction of a write. On SQLite it takes the write lock at `BEGIN IMMEDIATE`: a
/// deferred transaction that reads before it writes fails at once when another process (a second
/// server or the command line on the same file) committed since its read, instead of waiting.
/// PostgreSQL ignores the mode.
pub async fn begin_write<C: sea_orm::TransactionTrait>(
    db: &C,
) -> Result<C::Transaction, sea_orm::DbErr> {
    db.begin_with_options(sea_orm::TransactionOptions {
        sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// A new id: UUID v7, so ids sort by creation time.
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}

/// The current time, truncated to microseconds (what PostgreSQL keeps), so that values read back
/// compare equal to the values written.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    chrono::Utc::now().trunc_subsecs(6)
}

/// `column` is one of `ids`: the condition of every batched read (DataLoaders, pages per
/// parent, `nodes(ids:)`). On PostgreSQL the ids travel as ONE text parameter,
/// `column = ANY(CAST(string_to_array($n, ',') AS uuid[]))`, so the statement's text, its
/// prepared statement and its plan are the same for 2 ids and for 100: an `IN ($1, …, $50)` list
/// is a new statement per batch size and is planned again at every execution (its bind alone
/// cost more than the read). SQLite keeps `IN (…)`.
pub fn one_of<C: sea_orm::ColumnTrait>(
    db: &impl sea_orm::ConnectionTrait,
    column: C,
    ids: impl IntoIterator<Item = Uuid>,
) -> sea_orm::sea_query::Expr {
    one_of_on(db.get_database_backend(), column, ids)
}

fn one_of_on<C: sea_orm::ColumnTrait>(
    backend: sea_orm::DatabaseBackend,
    column: C,
    ids: impl IntoIterator<Item = Uuid>,
) -> sea_orm::sea_query::Expr {
    use sea_orm::sea_query::Expr;
    if backend != sea_orm::DatabaseBackend::Postgres {
        return column.is_in(ids);
    }
    let mut list = String::new();
    for id in ids {
        if !list.is_empty() {
            list.push(',');
        }
        list.push_str(&id.to_string());
    }
    Expr::cust_with_exprs(
        "$1 = ANY(CAST(string_to_array($2, ',') AS uuid[]))",
        [Expr::col(column.as_column_ref()), Expr::val(list)],
    )
}

/// `LOWER(column) LIKE '%needle%'`, with the needle's own `%` and `_` taken literally. Works for
/// Chinese text on SQLite and PostgreSQL alike (a substring match, not a word match). On
/// PostgreSQL a column with a grams column (`migration::SEARCH_GRAMS`) is also asked for the
/// needle's [`needle_grams`], which every match holds and its GIN index finds: the rows the
/// `LIKE` then tests are the few that may match instead of the whole table.
pub fn text_contains<C: sea_orm::ColumnTrait>(
    backend: sea_orm::DbBackend,
    column: C,
    needle: &str,
) -> sea_orm::Condition {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, LikeExpr};
    let needle = needle.trim().to_lowercase();
    let escaped = needle
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    let like = Expr::expr(Func::lower(Expr::col(column.as_column_ref())))
        .like(LikeExpr::new(format!("%{escaped}%")).escape('\\'));
    let table = column.entity_name().to_string();
    let grams = needle_grams(&needle);
    if backend != sea_orm::DbBackend::Postgres
        || grams.is_empty()
        || !migration::SEARCH_GRAMS.contains(&(table.as_str(), column.as_str()))
    {
        return sea_orm::Condition::all().add(like);
    }
    // One parameter, a PostgreSQL array literal, whatever the needle's length: one prepared
    // statement for every search.
    let held = Expr::col((
        Alias::new(table),
        Alias::new(format!("{}_grams", column.as_str())),
    ))
    .binary(
        sea_orm::sea_query::extension::postgres::PgBinOper::Contains,
        Expr::cust_with_values("CAST($1 AS text[])", [array_literal(&grams)]),
    );
    // A needle of one or two characters is itself one of the grams, so holding it is the whole
    // answer. Leaving the `LIKE` out there also lets PostgreSQL estimate the match from the grams'
    // statistics alone: with both conditions it multiplies the two guesses, takes a common needle
    // (防汛 in one item of twelve) for a rare one, and reads and sorts every match instead of
    // walking the page's order until it has its page.
    if needle.chars().count() <= 2 {
        return sea_orm::Condition::all().add(held);
    }
    sea_orm::Condition::all().add(held).add(like)
}

/// `select` for a list whose page is in the order of the text it searches, as people are in
/// name order. The matches of such a search lie together in that order (a surname's people come
/// one after the other, after everyone whose name sorts before it), and a PostgreSQL planner that
/// takes them for evenly spread walks the name index from the start until it has its page: nearly
/// the whole table for 陈. On PostgreSQL the rows are therefore read as `SELECT … FROM (SELECT …
/// WHERE … OFFSET 0) AS <table>`: the `OFFSET 0` keeps the planner from merging the two, so the
/// inner select, which has no order to keep, reads the matches from the grams index, and the page
/// is sorted from them, a cost that grows with the matches and not with the table; a count stops
/// reading matches at its bound. SQLite, without grams, keeps `select` as it is. The same holds
/// for any filter whose matches are few where the planner expects many (overdue appeals): the
/// cost is bounded by the rows the filter's indexes give.
pub fn read_matches_first<E: sea_orm::EntityTrait>(
    backend: sea_orm::DbBackend,
    select: sea_orm::Select<E>,
) -> sea_orm::Select<E> {
    use sea_orm::{QueryTrait, sea_query::Alias};
    if backend != sea_orm::DbBackend::Postgres {
        return select;
    }
    let mut matches = select.into_query();
    matches.offset(0);
    let mut outer = E::find();
    QueryTrait::query(&mut outer)
        .from_clear()
        .from_subquery(matches, Alias::new(E::default().table_name()));
    outer
}

/// A PostgreSQL array literal of texts: each element double-quoted, its `\\` and `"` escaped
/// with a backslash, so that braces, commas and blanks are taken as they are.
fn array_literal(items: &[String]) -> String {
    let mut literal = String::from("{");
    for (n, item) in items.iter().enumerate() {
        if n > 0 {
            literal.push(',');
        }
        literal.push('"');
        for c in item.chars() {
            if c == '\\' || c == '"' {
                literal.push('\\');
            }
            literal.push(c);
        }
        literal.push('"');
    }
    literal.push('}');
    literal
}

/// The grams every text holding `needle` (already lowered) holds among its own (see
/// `migration::SEARCH_GRAMS`): the needle itself when it is one character, otherwise each pair
/// of adjacent characters, once. Empty for an empty needle.
pub fn needle_grams(needle: &str) -> Vec<String> {
    let chars: Vec<char> = needle.chars().collect();
    if chars.len() == 1 {
        return vec![needle.to_owned()];
    }
    let mut grams: Vec<String> = Vec::new();
    for pair in chars.windows(2) {
        let gram: String = pair.iter().collect();
        if !grams.contains(&gram) {
            grams.push(gram);
        }
    }
    grams
}

/// A migrated in-memory SQLite database on one connection, for unit tests of the helpers here.
#[cfg(test)]
pub(crate) async fn test_db() -> sea_orm::DatabaseConnection {
    use migration::{Migrator, MigratorTrait};
    let mut options = sea_orm::ConnectOptions::new("sqlite::memory:");
    options.max_connections(1).min_connections(1);
    let db = sea_orm::Database::connect(options).await.unwrap();
    Migrator::up(&db, None).await.unwrap();
    db
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_needle_asks_for_its_character_or_each_pair_once() {
        assert_eq!(needle_grams("陈"), ["陈"]);
        assert_eq!(needle_grams("陈伟"), ["陈伟"]);
        assert_eq!(needle_grams("陈伟东"), ["陈伟", "伟东"]);
        assert_eq!(needle_grams("伟伟伟"), ["伟伟"]);
        assert_eq!(needle_grams("a%b"), ["a%", "%b"]);
        assert!(needle_grams("").is_empty());
    }

    #[test]
    fn grams_are_passed_as_one_array_literal() {
        let items = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            array_literal(&items(&["陈伟", "伟东"])),
            r#"{"陈伟","伟东"}"#
        );
        assert_eq!(
            array_literal(&items(&["a\"", "\\b", "{,", " }"])),
            r#"{"a\"","\\b","{,"," }"}"#
        );
        assert_eq!(array_literal(&[]), "{}");
    }

    #[test]
    fn a_search_asks_for_grams_on_postgres_where_the_column_has_them() {
        use entities::{area, person};
        let sql = |backend, cond: sea_orm::Condition| {
            person::Entity::find()
                .filter(cond)
                .build(backend)
                .to_string()
        };
        let pg = sql(
            DatabaseBackend::Postgres,
            text_contains(DatabaseBackend::Postgres, person::Column::Name, " 陈伟东 "),
        );
        assert!(
            pg.contains(r#""person"."name_grams" @> (CAST('{"陈伟","伟东"}' AS text[]))"#),
            "{pg}"
        );
        assert!(
            pg.contains(r#"LOWER("person"."name") LIKE '%陈伟东%'"#),
            "{pg}"
        );
        let sqlite = sql(
            DatabaseBackend::Sqlite,
            text_contains(DatabaseBackend::Sqlite, person::Column::Name, "陈伟东"),
        );
        assert!(!sqlite.contains("grams"), "{sqlite}");
        // One or two characters: the grams alone decide.
        for (needle, grams) in [
            ("陈伟", r#"'{"陈伟"}'"#),
            (" 龙", r#"'{"龙"}'"#),
            ("Db", r#"'{"db"}'"#),
        ] {
            let pg = sql(
                DatabaseBackend::Postgres,
                text_contains(DatabaseBackend::Postgres, person::Column::Name, needle),
            );
            assert!(
                pg.contains(&format!(
                    r#""person"."name_grams" @> (CAST({grams} AS text[]))"#
                )),
                "{pg}"
            );
            assert!(!pg.contains("LIKE"), "{pg}");
        }
        // An area's name has no grams column.
        let areas = area::Entity::find()
            .filter(text_contains(
                DatabaseBackend::Postgres,
                area::Column::Name,
                "温泉",
            ))
            .build(DatabaseBackend::Postgres)
            .to_string();
        assert!(!areas.contains("grams"), "{areas}");
    }

    #[test]
    fn a_search_in_text_order_reads_its_matches_first_on_postgres() {
        use entities::person;
        use sea_orm::{ColumnTrait, QueryOrder, QuerySelect};
        let statement = |backend| {
            let matches = person::Entity::find()
                .filter(person::Column::Name.ne("x"))
                .filter(text_contains(backend, person::Column::Name, "陈伟"));
            read_matches_first(backend, matches)
                .filter(person::Column::Id.ne(uuid::Uuid::nil()))
                .order_by_asc(person::Column::Name)
                .limit(21)
                .build(backend)
        };
        let pg = statement(DatabaseBackend::Postgres);
        assert!(
            pg.sql
                .starts_with(r#"SELECT "person"."id", "person"."name","#),
            "{}",
            pg.sql
        );
        assert!(
            pg.sql
                .contains(r#" FROM (SELECT "person"."id", "person"."name","#),
            "{}",
            pg.sql
        );
        assert!(
            pg.sql.contains(
                r#" FROM "person" WHERE "person"."name" <> $1 AND "person"."name_grams" @> (CAST($2 AS text[])) OFFSET $3) AS "person" WHERE "person"."id" <> $4 ORDER BY "person"."name" ASC LIMIT $5"#
            ),
            "{}",
            pg.sql
        );
        assert_eq!(pg.values.map(|v| v.0.len()), Some(5));
        let sqlite = statement(DatabaseBackend::Sqlite);
        assert!(!sqlite.sql.contains("OFFSET"), "{}", sqlite.sql);
        assert!(sqlite.sql.contains("LIKE"), "{}", sqlite.sql);
    }

    use entities::organization;
    use sea_orm::{DatabaseBackend, EntityTrait, QueryFilter, QueryTrait};

    use super::*;

    fn statement(backend: DatabaseBackend, ids: &[Uuid]) -> sea_orm::Statement {
        organization::Entity::find()
            .filter(one_of_on(
                backend,
                organization::Column::Id,
                ids.iter().copied(),
            ))
            .build(backend)
    }

    #[test]
    fn on_postgresql_a_batch_is_one_statement_text_with_one_parameter_whatever_its_size() {
        let two: Vec<Uuid> = (0..2).map(|_| new_id()).collect();
        let fifty: Vec<Uuid> = (0..50).map(|_| new_id()).collect();
        let (a, b) = (
            statement(DatabaseBackend::Postgres, &two),
            statement(DatabaseBackend::Postgres, &fifty),
        );
        assert_eq!(a.sql, b.sql);
        assert!(
            a.sql.ends_with(
                r#"WHERE "organization"."id" = ANY(CAST(string_to_array($1, ',') AS uuid[]))"#
            ),
            "{}",
            a.sql
        );
        let values = b.values.expect("one parameter").0;
        let expected = fifty
            .iter()
            .map(Uuid::to_string)
            .collect::<Vec<_>>()
            .join(",");
        assert_eq!(values, vec![sea_orm::Value::from(expected)]);
        let none = statement(DatabaseBackend::Postgres, &[]);
        assert_eq!(
            none.values.expect("one parameter").0,
            vec![sea_orm::Value::from(String::new())]
        );
    }

    #[test]
    fn on_sqlite_a_batch_is_an_in_list() {
        let ids: Vec<Uuid> = (0..3).map(|_| new_id()).collect();
        let built = statement(DatabaseBackend::Sqlite, &ids);
        assert!(
            built
                .sql
                .ends_with(r#"WHERE "organization"."id" IN (?, ?, ?)"#),
            "{}",
            built.sql
        );
    }
}
