//! The escalation pass: once a day (at start-up unless some replica passed the day already, then
//! after each local midnight, on one replica at a time) and on demand
//! (`lianjian escalate --as-of DATE`), every item whose escalation level rose since it was last
//! seen gets one ESCALATED timeline entry and one `DeadlineAlert`. The unique key on
//! (item, due date, level) makes each escalation happen once, however many passes or processes
//! run; a later due date (an extension) starts the ladder again.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use entities::{
    enums::{EscalationLevel, SupervisionEventKind},
    escalation_pass, supervision_escalation, supervision_event, supervision_item,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, Statement, TransactionTrait,
    TryInsertResult, sea_query::OnConflict,
};
use serde_json::json;
use uuid::Uuid;

use super::{cadences_of, rules};
use crate::{
    error::AppResult,
    events::{DomainEvent, EventBus},
    services::{Actor, Change, Write, new_id, workdays::WorkCalendar},
};

/// Items read per statement.
const CHUNK: u64 = 500;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassOutcome {
    /// Items at a level above NONE on the day.
    pub examined: usize,
    /// ESCALATED entries written by this pass.
    pub escalated: usize,
}

/// Runs the pass for `as_of`. `progress` hears the running totals after each chunk.
pub async fn run(
    db: &DatabaseConnection,
    events: &EventBus,
    as_of: NaiveDate,
    now: DateTime<Utc>,
    mut progress: impl FnMut(PassOutcome),
) -> AppResult<PassOutcome> {
    let actor = Actor::system("escalate");
    let calendar = WorkCalendar::load(db).await?;
    let candidates =
        Condition::any()
            .add(rules::overdue_condition(as_of))
            .add(rules::level_condition(
                EscalationLevel::Remind,
                as_of,
                &calendar,
                &[],
            ));
    let mut outcome = PassOutcome::default();
    let mut after: Option<Uuid> = None;
    let mut cadences: HashMap<Uuid, i32> = HashMap::new();
    loop {
        let mut select = supervision_item::Entity::find()
            .filter(candidates.clone())
            .order_by_asc(supervision_item::Column::Id)
            .limit(CHUNK);
        if let Some(last) = after {
            select = select.filter(supervision_item::Column::Id.gt(last));
        }
        let items = select.all(db).await?;
        let Some(last) = items.last() else {
            break;
        };
        after = Some(last.id);
        let missing: Vec<Uuid> = items
            .iter()
            .map(|i| i.linkage_group_id)
            .filter(|g| !cadences.contains_key(g))
            .collect();
        if !missing.is_empty() {
            cadences.extend(cadences_of(db, &missing).await?);
        }
        for item in &items {
            let cadence = cadences.get(&item.linkage_group_id).copied().unwrap_or(14);
            let level = rules::escalation_level(item, as_of, &calendar, cadence);
            if level == EscalationLevel::None {
                continue;
            }
            outcome.examined += 1;
            if escalate(db, events, &actor, item, level, as_of, now).await? {
                outcome.escalated += 1;
            }
        }
        progress(outcome);
    }
    Ok(outcome)
}

/// Records that `item` reached `level`, unless it had reached it (or a higher one) already for
/// its current due date. True when this call wrote it.
async fn escalate(
    db: &DatabaseConnection,
    events: &EventBus,
    actor: &Actor,
    item: &supervision_item::Model,
    level: EscalationLevel,
    as_of: NaiveDate,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let mut w = Write::begin(db, actor).await?;
    let reached: Vec<EscalationLevel> = supervision_escalation::Entity::find()
        .select_only()
        .column(supervision_escalation::Column::Level)
        .filter(supervision_escalation::Column::ItemId.eq(item.id))
        .filter(supervision_escalation::Column::DueOn.eq(item.due_on))
        .into_tuple()
        .all(&w)
        .await?;
    if reached.iter().any(|r| *r >= level) {
        return Ok(false);
    }
    // Another pass may be writing the same level right now: the unique key lets one through.
    let inserted = supervision_escalation::Entity::insert(supervision_escalation::ActiveModel {
        id: Set(new_id()),
        item_id: Set(item.id),
        due_on: Set(item.due_on),
        level: Set(level),
        reached_on: Set(as_of),
        at: Set(now),
    })
    .on_conflict_do_nothing_on([
        supervision_escalation::Column::ItemId,
        supervision_escalation::Column::DueOn,
        supervision_escalation::Column::Level,
    ])
    .exec_without_returning(&w)
    .await?;
    if !matches!(inserted, TryInsertResult::Inserted(n) if n > 0) {
        return Ok(false);
    }
    let event = supervision_event::ActiveModel {
        id: Set(new_id()),
        item_id: Set(item.id),
        at: Set(now),
        actor_id: Set(None),
        kind: Set(SupervisionEventKind::Escalated),
        note: Set(None),
        from_status: Set(None),
        to_status: Set(None),
        level: Set(Some(level)),
        due_on: Set(Some(item.due_on)),
    }
    .insert(&w)
    .await?;
    w.audit(
        Change::of("escalateSupervisionItem", "SupervisionItem", item.id)
            .after(json!({ "level": level, "dueOn": item.due_on, "asOf": as_of })),
    )
    .await?;
    w.publish(DomainEvent::SupervisionItemChanged {
        item: item.id,
        event: event.id,
    });
    w.publish(DomainEvent::DeadlineAlert {
        item: item.id,
        level,
        at: now,
    });
    w.commit_and_publish(events).await?;
    Ok(true)
}

/// Whether another process's pass may be waited for, or is a reason to leave this one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenBusy {
    /// Wait for the other pass to end, then run (the command line).
    Wait,
    /// Leave it to the other pass (the servers' daily task).
    Skip,
}

/// Runs the pass for `as_of` on one process at a time per database, and records the day as
/// passed once every item was seen. On PostgreSQL the pass holds an advisory lock for the
/// schema, taken in a transaction of its own: a process that dies mid-pass releases it with its
/// connection, leaving the day unrecorded, and the next process to look runs the day again (each
/// item's escalation is one transaction, and the unique key writes none twice). SQLite serves one
/// process, whose passes the unique key keeps apart. None when `Skip` found another pass running.
pub async fn run_exclusive(
    db: &DatabaseConnection,
    events: &EventBus,
    as_of: NaiveDate,
    now: DateTime<Utc>,
    when_busy: WhenBusy,
    progress: impl FnMut(PassOutcome),
) -> AppResult<Option<PassOutcome>> {
    // SQLite has a single writer connection, which the pass itself needs: no lock there.
    let lock = match db.get_database_backend() {
        DbBackend::Postgres => Some(db.begin().await?),
        _ => None,
    };
    if let Some(lock) = &lock {
        let take = match when_busy {
            WhenBusy::Wait => "pg_advisory_xact_lock",
            WhenBusy::Skip => "pg_try_advisory_xact_lock",
        };
        let row = lock
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                format!("SELECT ({take}({PASS_LOCK}, hashtext(current_schema())))::text AS locked"),
            ))
            .await?;
        let locked = row.map(|r| r.try_get::<String>("", "locked")).transpose()?;
        // `pg_advisory_xact_lock` returns void, shown as an empty text.
        if locked.as_deref() == Some("false") {
            return Ok(None);
        }
    }
    let outcome = run(db, events, as_of, now, progress).await?;
    escalation_pass::Entity::insert(escalation_pass::ActiveModel {
        as_of: Set(as_of),
        examined: Set(i32::try_from(outcome.examined).unwrap_or(i32::MAX)),
        escalated: Set(i32::try_from(outcome.escalated).unwrap_or(i32::MAX)),
        finished_at: Set(crate::services::now()),
    })
    .on_conflict(
        OnConflict::column(escalation_pass::Column::AsOf)
            .update_columns([
                escalation_pass::Column::Examined,
                escalation_pass::Column::Escalated,
                escalation_pass::Column::FinishedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    if let Some(lock) = lock {
        lock.commit().await?;
    }
    Ok(Some(outcome))
}

/// Whether a pass for `as_of` ran to its end.
pub async fn passed(db: &DatabaseConnection, as_of: NaiveDate) -> AppResult<bool> {
    Ok(escalation_pass::Entity::find_by_id(as_of)
        .one(db)
        .await?
        .is_some())
}

/// Second key of the pass's advisory lock class (the outbox uses the neighbouring ones).
pub const PASS_LOCK: i32 = 0x4c4a_0010;

/// How long a server waits before looking again at a day another replica is passing, or whose
/// pass failed.
const RETRY: std::time::Duration = std::time::Duration::from_secs(60);

/// Runs today's pass unless some replica already finished it, then looks again after each local
/// midnight, until the task is aborted. A day another replica is passing is looked at again a
/// minute later, so a pass that died with its replica is finished by another; a failed pass is
/// retried the same way (and can be caught up with `lianjian escalate --as-of DATE`).
pub async fn daily(db: DatabaseConnection, events: EventBus, clock: crate::clock::Clock) {
    loop {
        let today = clock.today();
        let wait = match passed(&db, today).await {
            Ok(true) => {
                tracing::info!(as_of = %today, "escalation pass already done for the day");
                until_next_midnight(&clock)
            }
            Ok(false) => {
                match run_exclusive(&db, &events, today, clock.now(), WhenBusy::Skip, |_| {}).await
                {
                    Ok(Some(outcome)) => {
                        tracing::info!(
                            as_of = %today,
                            examined = outcome.examined,
                            escalated = outcome.escalated,
                            "escalation pass done"
                        );
                        until_next_midnight(&clock)
                    }
                    Ok(None) => {
                        tracing::info!(as_of = %today, "escalation pass running on another replica");
                        RETRY
                    }
                    Err(e) => {
                        tracing::error!(as_of = %today, error = %e, "escalation pass failed");
                        RETRY
                    }
                }
            }
            Err(e) => {
                tracing::error!(as_of = %today, error = %e, "escalation pass state unreadable");
                RETRY
            }
        };
        tokio::time::sleep(wait).await;
    }
}

/// How long until a few seconds after the next local midnight.
fn until_next_midnight(clock: &crate::clock::Clock) -> std::time::Duration {
    use chrono::TimeZone;
    let zone = clock.zone();
    let now = Utc::now();
    let tomorrow = now.with_timezone(&zone).date_naive().succ_opt();
    let next = tomorrow
        .and_then(|d| d.and_hms_opt(0, 0, 5))
        .and_then(|t| zone.from_local_datetime(&t).earliest())
        .map(|t| t.with_timezone(&Utc));
    match next {
        Some(next) if next > now => (next - now)
            .to_std()
            .unwrap_or(std::time::Duration::from_secs(3600)),
        _ => std::time::Duration::from_secs(3600),
    }
}
