//! The outbox table: appending a transaction's events, reading them back by position, and pruning
//! old ones.
//!
//! Positions must reach readers in commit order, or a reader that has seen position 11 would
//! never look back for a 10 that committed later. SQLite has one writer at a time, so this holds
//! by itself; on PostgreSQL each appending transaction first takes a transaction-level advisory
//! lock (per schema), which it holds until its commit: positions are then drawn in commit order.
//! The lock is taken last, just before the commit, so it is held only for the insert itself.

use chrono::{DateTime, Utc};
use entities::{event_outbox, event_outbox_pruned};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, Statement,
};

use super::{DomainEvent, Envelope};

/// The NOTIFY channel; its payload is the schema whose outbox grew.
pub const CHANNEL: &str = "lianjian_events";

/// First key of the advisory locks this module takes (the second is the schema's hash).
const LOCK_CLASS: i32 = 0x4c4a_0001;

/// Writes `events` to the outbox inside the caller's transaction `tx`, in order, and announces
/// them on PostgreSQL (the notification goes out when `tx` commits, and not at all if it rolls
/// back): two statements on PostgreSQL, one on SQLite.
pub async fn append<C: ConnectionTrait>(
    tx: &C,
    events: &[DomainEvent],
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    if events.is_empty() {
        return Ok(());
    }
    let postgres = tx.get_database_backend() == DbBackend::Postgres;
    if postgres {
        // One statement: the notification is queued now and sent by the commit, after the
        // insert below, or dropped with everything else by a rollback.
        tx.execute_raw(Statement::from_string(
            DbBackend::Postgres,
            format!(
                "SELECT pg_advisory_xact_lock({LOCK_CLASS}, hashtext(current_schema())), \
                 pg_notify('{CHANNEL}', current_schema())"
            ),
        ))
        .await?;
    }
    let rows = events
        .iter()
        .map(|event| {
            let payload = serde_json::to_string(event)
                .map_err(|e| DbErr::Custom(format!("event could not be written: {e}")))?;
            Ok(event_outbox::ActiveModel {
                kind: Set(event.kind().to_owned()),
                payload: Set(payload),
                created_at: Set(at),
                ..Default::default()
            })
        })
        .collect::<Result<Vec<_>, DbErr>>()?;
    event_outbox::Entity::insert_many(rows)
        .exec_without_returning(tx)
        .await?;
    Ok(())
}

/// Events after one position, and the position read through (rows that could not be decoded are
/// logged and passed over, so `through` may lie past the last envelope).
#[derive(Debug, Default)]
pub struct Page {
    pub envelopes: Vec<Envelope>,
    pub through: i64,
}

/// Up to `limit` events after `after`, in position order.
pub async fn read_after<C: ConnectionTrait>(db: &C, after: i64, limit: u64) -> Result<Page, DbErr> {
    let rows = event_outbox::Entity::find()
        .filter(event_outbox::Column::Position.gt(after))
        .order_by_asc(event_outbox::Column::Position)
        .limit(limit)
        .all(db)
        .await?;
    let through = rows.last().map_or(after, |r| r.position);
    let envelopes = rows
        .into_iter()
        .filter_map(|row| match serde_json::from_str::<DomainEvent>(&row.payload) {
            Ok(event) => Some(Envelope {
                position: row.position,
                event,
            }),
            Err(e) => {
                tracing::warn!(position = row.position, kind = %row.kind, error = %e, "outbox row passed over: it does not decode");
                None
            }
        })
        .collect();
    Ok(Page { envelopes, through })
}

/// The newest position (0 for an empty outbox) and the position through which events may have
/// been pruned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Bounds {
    pub newest: i64,
    pub pruned_through: i64,
}

pub async fn bounds<C: ConnectionTrait>(db: &C) -> Result<Bounds, DbErr> {
    let newest = newest_row(db).await?;
    let pruned = event_outbox_pruned::Entity::find_by_id(1).one(db).await?;
    let pruned_through = pruned.map_or(0, |p| p.through);
    Ok(Bounds {
        // An outbox pruned empty still stands at the last pruned position.
        newest: newest.unwrap_or(0).max(pruned_through),
        pruned_through,
    })
}

/// The position of the newest event in the outbox, if it holds any: everything committed so far
/// lies at or before it (positions are drawn in commit order).
pub async fn newest_row<C: ConnectionTrait>(db: &C) -> Result<Option<i64>, DbErr> {
    let newest: Option<Option<i64>> = event_outbox::Entity::find()
        .select_only()
        .column_as(event_outbox::Column::Position.max(), "newest")
        .into_tuple()
        .one(db)
        .await?;
    Ok(newest.flatten())
}

/// Deletes events written before `before`, always keeping the newest one, and records how far it
/// went. Runs in one transaction; on PostgreSQL only one replica prunes at a time (the others
/// find the lock taken and leave it). Returns the number of rows deleted, or None when another
/// replica was pruning.
pub async fn prune(
    db: &sea_orm::DatabaseConnection,
    before: DateTime<Utc>,
) -> Result<Option<u64>, DbErr> {
    use sea_orm::TransactionTrait;
    let tx = db.begin().await?;
    if tx.get_database_backend() == DbBackend::Postgres {
        let row = tx
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                format!(
                    "SELECT pg_try_advisory_xact_lock({}, hashtext(current_schema())) AS locked",
                    LOCK_CLASS + 1
                ),
            ))
            .await?;
        let locked = row.map(|r| r.try_get::<bool>("", "locked")).transpose()?;
        if locked != Some(true) {
            return Ok(None);
        }
    }
    let newest = bounds(&tx).await?.newest;
    let through: Option<Option<i64>> = event_outbox::Entity::find()
        .select_only()
        .column_as(event_outbox::Column::Position.max(), "through")
        .filter(event_outbox::Column::CreatedAt.lt(before))
        .filter(event_outbox::Column::Position.lt(newest))
        .into_tuple()
        .one(&tx)
        .await?;
    let Some(through) = through.flatten() else {
        tx.commit().await?;
        return Ok(Some(0));
    };
    let deleted = event_outbox::Entity::delete_many()
        .filter(event_outbox::Column::Position.lte(through))
        .exec(&tx)
        .await?
        .rows_affected;
    let record = event_outbox_pruned::ActiveModel {
        id: Set(1),
        through: Set(through),
        at: Set(crate::services::now()),
    };
    event_outbox_pruned::Entity::insert(record)
        .on_conflict(
            sea_orm::sea_query::OnConflict::column(event_outbox_pruned::Column::Id)
                .update_columns([
                    event_outbox_pruned::Column::Through,
                    event_outbox_pruned::Column::At,
                ])
                .to_owned(),
        )
        .exec_without_returning(&tx)
        .await?;
    tx.commit().await?;
    Ok(Some(deleted))
}
