//! Rows read through the actor's grants, answered the same way by every service (DESIGN 4.3): a
//! row the actor may not know of looks exactly like a missing one (NOT_FOUND), and only a row it
//! may know of but not act on is FORBIDDEN. Conditions come from `authz::Scope`
//! (`organization_condition`, `linkage_group_condition`) or a domain's own `read_condition`.

use sea_orm::{
    Condition, ConnectionTrait, EntityTrait, FromQueryResult, Iterable, PrimaryKeyToColumn,
    PrimaryKeyTrait, QueryFilter, QuerySelect, QueryTrait, UpdateMany,
    sea_query::{Alias, Expr},
};
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// The row `id` of `E` for an action. NOT_FOUND (naming `what`) when it does not exist or lies
/// outside `known`, the rows the actor may know exist; FORBIDDEN when it lies outside `allowed`,
/// the rows the actor may do the action on. For publicly known rows (an organization's card),
/// `known` is `Condition::all()`.
pub async fn fetch_for<E>(
    db: &impl ConnectionTrait,
    id: Uuid,
    known: Condition,
    allowed: Condition,
    what: &'static str,
) -> AppResult<E::Model>
where
    E: EntityTrait,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<Uuid>,
{
    allowed_row(fetch_known::<E>(db, id, known, allowed).await?, what)
}

/// What `fetch_for` answers for a row `fetch_known` found (or not).
fn allowed_row<M>(found: Option<(M, bool)>, what: &'static str) -> AppResult<M> {
    match found {
        None => Err(AppError::NotFound(what)),
        Some((_, false)) => Err(AppError::Forbidden),
        Some((row, true)) => Ok(row),
    }
}

/// The row `id` of `E` if it lies within `known`, with whether it also lies within `allowed`:
/// one statement, the second condition as a selected `CASE`.
pub async fn fetch_known<E>(
    db: &impl ConnectionTrait,
    id: Uuid,
    known: Condition,
    allowed: Condition,
) -> AppResult<Option<(E::Model, bool)>>
where
    E: EntityTrait,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<Uuid>,
{
    fetch_known_locked::<E>(db, id, known, allowed, false).await
}

/// [`fetch_for`], and the row stays locked (`FOR UPDATE` on PostgreSQL; SQLite has a single
/// writer) until the caller's transaction ends: one statement for the row, the permission and
/// the lock.
pub async fn fetch_for_update<E>(
    db: &impl ConnectionTrait,
    id: Uuid,
    known: Condition,
    allowed: Condition,
    what: &'static str,
) -> AppResult<E::Model>
where
    E: EntityTrait,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<Uuid>,
{
    allowed_row(
        fetch_known_locked::<E>(db, id, known, allowed, true).await?,
        what,
    )
}

async fn fetch_known_locked<E>(
    db: &impl ConnectionTrait,
    id: Uuid,
    known: Condition,
    allowed: Condition,
    lock: bool,
) -> AppResult<Option<(E::Model, bool)>>
where
    E: EntityTrait,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<Uuid>,
{
    let mut select = E::find_by_id(id).filter(known);
    if lock {
        select = select.lock_exclusive();
    }
    let mut query = select.into_query();
    query.expr_as(
        Expr::case(allowed, Expr::val(1)).finally(Expr::val(0)),
        Alias::new(MAY_ACT),
    );
    let Some(row) = db.query_one(&query).await? else {
        return Ok(None);
    };
    let may_act: i32 = row.try_get("", MAY_ACT)?;
    Ok(Some((E::Model::from_query_result(&row, "")?, may_act == 1)))
}

/// The column `fetch_known` selects its answer into; no table has a column of that name.
const MAY_ACT: &str = "lianjian_may_act";

/// The row `id` of `E`, or NOT_FOUND naming `what`: for callers whose permission was checked
/// on the whole type (administrators only) or that may know of every row.
pub async fn fetch<E>(
    db: &impl ConnectionTrait,
    id: Uuid,
    what: &'static str,
) -> AppResult<E::Model>
where
    E: EntityTrait,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<Uuid>,
{
    E::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound(what))
}

/// Runs `update`, an UPDATE of one row guarded by the version it was read at, and returns the
/// row as written in the same statement (`RETURNING`); `None` when no row matched, because
/// someone changed it since it was read.
pub async fn update_returning<E>(
    db: &impl ConnectionTrait,
    update: UpdateMany<E>,
) -> AppResult<Option<E::Model>>
where
    E: EntityTrait,
{
    let mut rows = update.exec_with_returning(db).await?;
    Ok(if rows.len() == 1 { rows.pop() } else { None })
}

/// The rows among `ids` of `E` that lie within `within`; the others read as missing. One
/// statement, for DataLoaders and `nodes(ids:)`.
pub async fn many<E>(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
    within: Condition,
) -> AppResult<Vec<E::Model>>
where
    E: EntityTrait,
{
    let Some(key) = E::PrimaryKey::iter().next() else {
        return Ok(Vec::new());
    };
    Ok(E::find()
        .filter(crate::services::one_of(
            db,
            key.into_column(),
            ids.iter().copied(),
        ))
        .filter(within)
        .all(db)
        .await?)
}

/// The rows among `ids` of `E`, every one of them, each with whether it lies within `allowed`:
/// [`fetch_known`] for several rows the actor may all know of (organizations), in one
/// statement.
pub async fn many_allowed<E>(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
    allowed: Condition,
) -> AppResult<Vec<(E::Model, bool)>>
where
    E: EntityTrait,
{
    let Some(key) = E::PrimaryKey::iter().next() else {
        return Ok(Vec::new());
    };
    let mut query = E::find()
        .filter(crate::services::one_of(
            db,
            key.into_column(),
            ids.iter().copied(),
        ))
        .into_query();
    query.expr_as(
        Expr::case(allowed, Expr::val(1)).finally(Expr::val(0)),
        Alias::new(MAY_ACT),
    );
    let mut rows = Vec::new();
    for row in db.query_all(&query).await? {
        let may_act: i32 = row.try_get("", MAY_ACT)?;
        rows.push((E::Model::from_query_result(&row, "")?, may_act == 1));
    }
    Ok(rows)
}

/// Selects every column of `E` from the table aliased `table`, each as `prefix` + its name: the
/// shape a row read with `Decoded::from_query_result(&row, prefix)` expects, for a statement
/// that reads several rows of several tables at once.
pub fn select_prefixed<E: EntityTrait>(
    query: &mut sea_orm::sea_query::SelectStatement,
    table: &str,
    prefix: &str,
) {
    use sea_orm::IdenStatic;
    for column in E::Column::iter() {
        query.expr_as(
            Expr::col((Alias::new(table), column)),
            Alias::new(format!("{prefix}{}", column.as_str())),
        );
    }
}

#[cfg(test)]
mod tests {
    use entities::area;
    use sea_orm::{ActiveModelTrait, Set};

    use sea_orm::ColumnTrait;

    use super::*;
    use crate::services::{new_id, now, test_db};

    async fn area(db: &impl ConnectionTrait, name: &str) -> Uuid {
        area::ActiveModel {
            id: Set(new_id()),
            name: Set(name.to_owned()),
            description: Set(None),
            created_at: Set(now()),
            updated_at: Set(now()),
        }
        .insert(db)
        .await
        .unwrap()
        .id
    }

    fn named(name: &str) -> Condition {
        Condition::all().add(area::Column::Name.eq(name))
    }

    fn code<T>(result: AppResult<T>) -> &'static str {
        match result {
            Ok(_) => "OK",
            Err(e) => e.code(),
        }
    }

    #[tokio::test]
    async fn unknown_rows_are_not_found_and_known_ones_forbidden_unless_allowed() {
        let db = test_db().await;
        let hot_spring = area(&db, "hot spring").await;
        let town = area(&db, "town").await;
        let fetch = |id, known, allowed| fetch_for::<area::Entity>(&db, id, known, allowed, "area");
        assert_eq!(
            code(fetch(new_id(), Condition::all(), Condition::all()).await),
            "NOT_FOUND"
        );
        // Outside what the actor may know: as missing, whatever it may do.
        assert_eq!(
            code(fetch(town, named("hot spring"), Condition::all()).await),
            "NOT_FOUND"
        );
        assert_eq!(
            code(fetch(town, Condition::all(), named("hot spring")).await),
            "FORBIDDEN"
        );
        let found = fetch(hot_spring, named("hot spring"), named("hot spring"))
            .await
            .unwrap();
        assert_eq!(found.name, "hot spring");
        assert_eq!(
            code(super::fetch::<area::Entity>(&db, town, "area").await),
            "OK"
        );
    }

    #[tokio::test]
    async fn many_keeps_only_the_rows_within() {
        let db = test_db().await;
        let hot_spring = area(&db, "hot spring").await;
        let town = area(&db, "town").await;
        let found = many::<area::Entity>(&db, &[hot_spring, town, new_id()], named("town"))
            .await
            .unwrap();
        assert_eq!(found.iter().map(|a| a.id).collect::<Vec<_>>(), [town]);
    }

    #[tokio::test]
    async fn many_allowed_returns_every_row_with_its_permission() {
        let db = test_db().await;
        let hot_spring = area(&db, "hot spring").await;
        let town = area(&db, "town").await;
        let mut found =
            many_allowed::<area::Entity>(&db, &[hot_spring, town, new_id()], named("town"))
                .await
                .unwrap();
        found.sort_by_key(|(a, _)| a.name.clone());
        let found: Vec<_> = found.iter().map(|(a, may)| (a.id, *may)).collect();
        assert_eq!(found, [(hot_spring, false), (town, true)]);
        let everything = many_allowed::<area::Entity>(&db, &[town, town], Condition::all())
            .await
            .unwrap();
        assert_eq!(everything.len(), 1);
        assert!(everything[0].1);
    }
}
