//! The unit of work of a mutation: one transaction, the audit entries written inside it, and the
//! events published once, and only if, it commits. Every mutation service runs in one:
//!
//! ```ignore
//! let mut w = Write::begin(db, actor).await?;   // BEGIN IMMEDIATE on SQLite
//! let row = model.insert(&w).await?;            // `&w` is the connection
//! w.audit(Change::of("createThing", "Thing", row.id).after(snapshot(&row))).await?;
//! w.publish(DomainEvent::ThingChanged(row.clone()));
//! w.commit_and_publish(events).await?;          // or `w.commit()` when nothing is published
//! ```
//!
//! Dropped without a commit (an early `?` or `return Err`), it rolls back and publishes nothing.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityName, EntityTrait,
    ExecResult, Iterable, QueryResult, Select, Statement, TransactionSession, TransactionTrait,
    sea_query::{
        Alias, Asterisk, CommonTableExpression, DynIden, Expr, ExprTrait, IntoIden, Query,
        SelectStatement, TableRef, WithClause,
    },
};

use super::{Actor, audit, audit::Change, begin_write};
use crate::{
    error::{AppError, AppResult},
    events::{DomainEvent, EventBus, outbox},
};

/// One mutation's transaction, with the actor it runs for and the events it will publish.
pub struct Write<'a, T> {
    tx: T,
    actor: &'a Actor,
    events: Vec<DomainEvent>,
}

impl<'a, T> Write<'a, T>
where
    T: ConnectionTrait + TransactionSession,
{
    /// Starts the write's transaction on `db` (see `begin_write`). `db` may itself be a
    /// transaction: the write then runs in a savepoint of it.
    pub async fn begin<C>(db: &C, actor: &'a Actor) -> AppResult<Self>
    where
        C: TransactionTrait<Transaction = T>,
    {
        Ok(Self {
            tx: begin_write(db).await?,
            actor,
            events: Vec::new(),
        })
    }

    /// Who the write is for: whose permissions were checked, whom the audit trail names.
    pub fn actor(&self) -> &'a Actor {
        self.actor
    }

    /// Records `change` in the audit trail, in this transaction, in the actor's name.
    pub async fn audit(&self, change: Change<'_>) -> AppResult<()> {
        audit::record(&self.tx, self.actor, change).await
    }

    /// CONFLICT naming `field` when `existing` finds a row: a value that must be unique (a name,
    /// a username) is taken. Asked inside the write, before the insert, so the caller learns
    /// which field it was instead of meeting the database's anonymous unique violation.
    pub async fn require_unique<E: EntityTrait>(
        &self,
        existing: Select<E>,
        field: &str,
        message: impl FnOnce() -> String,
    ) -> AppResult<()> {
        match existing.one(&self.tx).await? {
            Some(_) => Err(AppError::taken(field, message())),
            None => Ok(()),
        }
    }

    /// Queues `event` for subscribers; it goes out only after the commit.
    pub fn publish(&mut self, event: DomainEvent) {
        self.events.push(event);
    }

    /// Commits a write that publishes nothing. A write with queued events is refused (and rolled
    /// back) as an internal error: its events must not be lost silently.
    pub async fn commit(self) -> AppResult<()> {
        if !self.events.is_empty() {
            return Err(AppError::internal(
                "a write with events to publish was committed without an event bus",
            ));
        }
        self.tx.commit().await?;
        Ok(())
    }

    /// Writes the queued events to the outbox in this transaction, commits, then wakes `bus`'s
    /// dispatcher, which delivers them (and every replica's dispatcher hears of them through the
    /// database). When the write runs inside an outer transaction, the events are released into
    /// it with the rest, and exist only if it commits.
    pub async fn commit_and_publish(self, bus: &EventBus) -> AppResult<()> {
        outbox::append(&self.tx, &self.events, crate::services::now()).await?;
        self.tx.commit().await?;
        if !self.events.is_empty() {
            bus.wake();
        }
        Ok(())
    }

    /// Gives the write up now, rather than when it is dropped: for a refusal that must be
    /// recorded outside the transaction once nothing of it can be kept (see `refusals`).
    pub async fn rollback(self) -> AppResult<()> {
        self.tx.rollback().await?;
        Ok(())
    }
}

/// A write is the connection its statements run on: `model.insert(&w)`, `select.one(&w)`.
#[async_trait::async_trait]
impl<T> ConnectionTrait for Write<'_, T>
where
    T: ConnectionTrait + Send,
{
    fn get_database_backend(&self) -> DbBackend {
        self.tx.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.tx.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.tx.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.tx.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.tx.query_all_raw(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.tx.support_returning()
    }

    fn is_mock_connection(&self) -> bool {
        self.tx.is_mock_connection()
    }
}

/// One row of an [`insert_where`] statement: the table and every column `model` sets, with its
/// value (as the entity's own insert would write it).
pub struct Row {
    table: TableRef,
    columns: Vec<DynIden>,
    values: Vec<Expr>,
}

impl Row {
    pub fn of<A: ActiveModelTrait>(model: &A) -> Self {
        let mut columns = Vec::new();
        let mut values = Vec::new();
        for column in <A::Entity as EntityTrait>::Column::iter() {
            if let Some(value) = model.get(column).into_value() {
                values.push(column.save_as(Expr::val(value)));
                columns.push(column.into_iden());
            }
        }
        Self {
            table: A::Entity::default().table_ref(),
            columns,
            values,
        }
    }
}

/// ONE statement (PostgreSQL only) that writes `rows` if `guard`, a query, finds a row, and
/// nothing otherwise; whether it wrote. Each row is selected from the one before it (the first
/// from the guard, limited to one row), so they are written in order, and a statement is atomic
/// on its own: a create that has nothing to read back needs neither a transaction nor more
/// than one round trip.
///
/// ```sql
/// WITH guard AS (SELECT 1 FROM … WHERE … LIMIT 1),
///      r0 AS (INSERT INTO person (…) SELECT $1, … FROM guard RETURNING 1 AS written),
///      r1 AS (INSERT INTO audit_entry (…) SELECT $9, … FROM r0 RETURNING 1 AS written)
/// SELECT COUNT(*) AS written FROM r1
/// ```
pub async fn insert_where(
    db: &impl ConnectionTrait,
    mut guard: SelectStatement,
    rows: Vec<Row>,
) -> Result<bool, DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Err(DbErr::Custom(
            "insert_where needs PostgreSQL's data-modifying WITH".to_owned(),
        ));
    }
    let mut with = WithClause::new();
    with.cte(
        CommonTableExpression::new()
            .query(guard.limit(1).to_owned())
            .table_name("guard")
            .to_owned(),
    );
    let mut previous = "guard".to_owned();
    for (n, row) in rows.into_iter().enumerate() {
        let mut insert = Query::insert();
        insert
            .into_table(row.table)
            .columns(row.columns)
            .select_from(
                Query::select()
                    .exprs(row.values)
                    .from(Alias::new(&previous))
                    .to_owned(),
            )
            .map_err(|e| DbErr::Custom(e.to_string()))?
            .returning(Query::returning().expr(Expr::cust("1 AS written")));
        let name = format!("r{n}");
        with.cte(
            CommonTableExpression::new()
                .query(insert)
                .table_name(Alias::new(&name))
                .to_owned(),
        );
        previous = name;
    }
    let count = Query::select()
        .expr_as(Expr::col(Asterisk).count(), "written")
        .from(Alias::new(&previous))
        .to_owned();
    let statement = db.get_database_backend().build(&with.query(count));
    let written: i64 = match db.query_one_raw(statement).await? {
        Some(row) => row.try_get("", "written")?,
        None => 0,
    };
    Ok(written > 0)
}

/// On PostgreSQL, takes a transaction-level advisory lock on each of `keys`, in one statement and
/// always in the same (sorted) order, so that two writers never wait for each other's second
/// lock; they are held until the transaction ends. SQLite has a single writer already, and
/// takes none.
pub async fn advisory_locks(db: &impl ConnectionTrait, keys: Vec<String>) -> AppResult<()> {
    if db.get_database_backend() != DbBackend::Postgres || keys.is_empty() {
        return Ok(());
    }
    let (sql, keys) = advisory_lock_statement(keys);
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        keys.into_iter().map(sea_orm::Value::from),
    ))
    .await?;
    Ok(())
}

/// The statement of [`advisory_locks`] and its parameters: the keys sorted, each once.
/// PostgreSQL evaluates a select list from left to right.
fn advisory_lock_statement(mut keys: Vec<String>) -> (String, Vec<String>) {
    keys.sort();
    keys.dedup();
    let locks: Vec<String> = (1..=keys.len())
        .map(|n| format!("pg_advisory_xact_lock(hashtextextended(${n}, 0))"))
        .collect();
    (format!("SELECT {}", locks.join(", ")), keys)
}

#[cfg(test)]
mod tests {
    use entities::{area, audit_entry};
    use sea_orm::{ActiveModelTrait, EntityTrait, PaginatorTrait, Set};

    use super::*;
    use crate::services::{new_id, now, test_db};

    fn area(name: &str) -> area::ActiveModel {
        area::ActiveModel {
            id: Set(new_id()),
            name: Set(name.to_owned()),
            description: Set(None),
            created_at: Set(now()),
            updated_at: Set(now()),
        }
    }

    async fn created(w: &mut Write<'_, sea_orm::DatabaseTransaction>, name: &str) -> uuid::Uuid {
        let row = area(name).insert(&*w).await.unwrap();
        w.audit(Change::of("createArea", "Area", row.id))
            .await
            .unwrap();
        w.publish(DomainEvent::AreaCreated { area: row.id });
        row.id
    }

    /// The events in the outbox, in position order.
    async fn outbox_events(db: &sea_orm::DatabaseConnection) -> Vec<DomainEvent> {
        outbox::read_after(db, 0, 100)
            .await
            .unwrap()
            .envelopes
            .into_iter()
            .map(|e| e.event)
            .collect()
    }

    #[tokio::test]
    async fn a_commit_keeps_the_rows_the_audit_entry_and_the_events_in_order() {
        let db = test_db().await;
        let bus = EventBus::new();
        let actor = Actor::system("test");
        let mut w = Write::begin(&db, &actor).await.unwrap();
        let one = created(&mut w, "one").await;
        let two = created(&mut w, "two").await;
        w.commit_and_publish(&bus).await.unwrap();
        assert_eq!(
            outbox_events(&db).await,
            [
                DomainEvent::AreaCreated { area: one },
                DomainEvent::AreaCreated { area: two }
            ]
        );
        assert_eq!(area::Entity::find().count(&db).await.unwrap(), 2);
        let entries = audit_entry::Entity::find().all(&db).await.unwrap();
        assert_eq!(entries.len(), 2);
        assert!(
            entries
                .iter()
                .all(|e| e.request_id.as_deref() == Some("test"))
        );
    }

    #[tokio::test]
    async fn a_write_dropped_without_a_commit_keeps_and_publishes_nothing() {
        let db = test_db().await;
        let actor = Actor::system("test");
        let mut w = Write::begin(&db, &actor).await.unwrap();
        created(&mut w, "gone").await;
        drop(w);
        let mut w = Write::begin(&db, &actor).await.unwrap();
        created(&mut w, "given up").await;
        w.rollback().await.unwrap();
        assert!(outbox_events(&db).await.is_empty());
        assert_eq!(area::Entity::find().count(&db).await.unwrap(), 0);
        assert_eq!(audit_entry::Entity::find().count(&db).await.unwrap(), 0);
    }

    #[tokio::test]
    async fn a_commit_without_a_bus_refuses_queued_events_and_keeps_nothing() {
        let db = test_db().await;
        let actor = Actor::system("test");
        let mut w = Write::begin(&db, &actor).await.unwrap();
        created(&mut w, "lost").await;
        assert!(matches!(w.commit().await, Err(AppError::Internal(_))));
        assert_eq!(area::Entity::find().count(&db).await.unwrap(), 0);
    }

    #[tokio::test]
    async fn a_taken_value_is_conflict_naming_the_field() {
        let db = test_db().await;
        let actor = Actor::system("test");
        area("taken").insert(&db).await.unwrap();
        let w = Write::begin(&db, &actor).await.unwrap();
        let existing = |name: &str| {
            use sea_orm::{ColumnTrait, QueryFilter};
            area::Entity::find().filter(area::Column::Name.eq(name))
        };
        w.require_unique(existing("free"), "name", || "unused".into())
            .await
            .unwrap();
        match w
            .require_unique(existing("taken"), "name", || {
                "an area named taken exists".into()
            })
            .await
        {
            Err(AppError::Conflict {
                message,
                details: crate::error::ConflictDetails::Taken { field },
            }) => assert_eq!(
                (message.as_str(), field.as_str()),
                ("an area named taken exists", "name")
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn locks_are_one_statement_in_sorted_order() {
        let (sql, keys) = advisory_lock_statement(vec![
            "venue:b".into(),
            "org:2".into(),
            "org:1".into(),
            "org:2".into(),
        ]);
        assert_eq!(
            sql,
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0)), \
             pg_advisory_xact_lock(hashtextextended($2, 0)), \
             pg_advisory_xact_lock(hashtextextended($3, 0))"
        );
        assert_eq!(keys, ["org:1", "org:2", "venue:b"]);
    }
}
