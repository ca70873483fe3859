//! Residents' appeals (民情诉求, DESIGN 3.4): the loop from a household visit to a resolution,
//! escalation to the supervision ledger, residents' feedback, and who may read them.

use entities::resident_appeal;
use sea_orm::{ColumnTrait, Condition};

use crate::authz::Scope;

/// Appeals the scope may read: those of villages in an organization subtree in scope, and of the
/// current member organizations of a group in scope.
pub fn read_condition(scope: &Scope) -> Condition {
    scope.organization_condition(resident_appeal::Column::VillageId)
}

// ---- The loop ---------------------------------------------------------------------------------

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use entities::{
    appeal_event,
    enums::{
        AppealCategory, AppealEventKind, AppealStatus, Priority, Satisfaction, SupervisionSource,
        UnitType,
    },
    organization, person, supervision_item,
};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect, Set,
    TransactionSession, TransactionTrait,
};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use super::{
    Actor, Change, Write,
    organizations::ids_of,
    pagination::{Page, PageRequest, fetch_page_ordered},
    scoped,
    supervision::{self, Due, NewItem, OpenAuthority},
    values::{Name, OptionalText, Phone},
    workdays::WorkCalendar,
};
use crate::{
    clock::Clock,
    error::{AppError, AppResult, ConflictDetails},
    events::{DomainEvent, EventBus},
};

/// The prefix of appeal numbers: `民情-2026-0007`.
pub const CODE_PREFIX: &str = "民情";
pub const CONTENT_MAX_CHARS: usize = 5000;
pub const TEXT_MAX_CHARS: usize = 5000;
/// Handling time when the recorder names none, and the most it may be.
pub const DEFAULT_HANDLING_WORKING_DAYS: i32 = 15;
pub const MAX_HANDLING_WORKING_DAYS: i32 = 250;
/// Characters of the content an escalated item's title takes.
pub const ESCALATED_TITLE_CHARS: usize = 60;
/// The resolution of an appeal whose supervision item was closed without a note.
pub const CLOSED_ITEM_RESOLUTION: &str = "督办事项已办结";

/// The readable number of the `seq`-th appeal of a village's `year`.
pub fn code(year: i32, seq: i32) -> String {
    format!("{CODE_PREFIX}-{year}-{seq:04}")
}

pub fn status_name(status: AppealStatus) -> &'static str {
    match status {
        AppealStatus::Received => "RECEIVED",
        AppealStatus::Accepted => "ACCEPTED",
        AppealStatus::Resolved => "RESOLVED",
        AppealStatus::Rejected => "REJECTED",
    }
}

/// The moves of an appeal, as the mutations name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    Accept,
    Resolve,
    Reject,
    Feedback(Satisfaction),
}

impl Move {
    /// What the move is called as the `to` of a refused transition.
    pub fn target_name(self) -> &'static str {
        match self {
            Self::Accept => "ACCEPTED",
            Self::Resolve => "RESOLVED",
            Self::Reject => "REJECTED",
            Self::Feedback(_) => "FEEDBACK",
        }
    }
}

/// The one function that decides which moves are allowed from which status (DESIGN 2, 3.4):
/// RECEIVED -> ACCEPTED -> RESOLVED; RECEIVED or ACCEPTED -> REJECTED; feedback on RESOLVED only,
/// NOT_SATISFIED reopening to ACCEPTED. The error names from and to.
pub fn check_move(from: AppealStatus, mv: Move) -> AppResult<AppealStatus> {
    use AppealStatus as S;
    let to = match (from, mv) {
        (S::Received, Move::Accept) => Some(S::Accepted),
        (S::Accepted, Move::Resolve) => Some(S::Resolved),
        (S::Received | S::Accepted, Move::Reject) => Some(S::Rejected),
        (S::Resolved, Move::Feedback(Satisfaction::NotSatisfied)) => Some(S::Accepted),
        (S::Resolved, Move::Feedback(_)) => Some(S::Resolved),
        _ => None,
    };
    to.ok_or_else(|| AppError::InvalidTransition {
        from: status_name(from).into(),
        to: mv.target_name().into(),
    })
}

/// Overdue on `today`: still open (received or accepted) past its due date.
pub fn is_overdue(appeal: &resident_appeal::Model, today: NaiveDate) -> bool {
    matches!(
        appeal.status,
        AppealStatus::Received | AppealStatus::Accepted
    ) && appeal.due_on < today
}

/// `is_overdue` as SQL.
pub fn overdue_condition(today: NaiveDate) -> Condition {
    Condition::all()
        .add(
            resident_appeal::Column::Status.is_in([AppealStatus::Received, AppealStatus::Accepted]),
        )
        .add(resident_appeal::Column::DueOn.lt(today))
}

/// The audit snapshot of an appeal: never the resident's name, phone or address (DESIGN 4.4).
fn snapshot(a: &resident_appeal::Model) -> Json {
    json!({
        "code": a.code, "category": a.category, "status": a.status, "villageId": a.village_id,
        "grid": a.grid, "collectorId": a.collector_id, "receivedOn": a.received_on,
        "dueOn": a.due_on, "handlingWorkingDays": a.handling_working_days,
        "resolution": a.resolution, "rejectionReason": a.rejection_reason,
        "resolvedOn": a.resolved_on, "supervisionItemId": a.supervision_item_id,
        "feedbackSatisfaction": a.feedback_satisfaction, "reopenedCount": a.reopened_count,
        "version": a.version,
    })
}

fn audit_action(kind: AppealEventKind) -> &'static str {
    match kind {
        AppealEventKind::Recorded => "recordResidentAppeal",
        AppealEventKind::Accepted => "acceptResidentAppeal",
        AppealEventKind::Resolved => "resolveResidentAppeal",
        AppealEventKind::Rejected => "rejectResidentAppeal",
        AppealEventKind::Escalated => "escalateResidentAppeal",
        AppealEventKind::Feedback | AppealEventKind::Reopened => "recordAppealFeedback",
    }
}

/// A timeline entry of an appeal, written in the write's transaction.
async fn record_event(
    db: &impl ConnectionTrait,
    actor: Option<Uuid>,
    appeal: Uuid,
    kind: AppealEventKind,
    note: Option<String>,
    (from, to): (Option<AppealStatus>, Option<AppealStatus>),
    at: DateTime<Utc>,
) -> AppResult<Uuid> {
    let id = super::new_id();
    appeal_event::ActiveModel {
        id: Set(id),
        appeal_id: Set(appeal),
        at: Set(at),
        actor_id: Set(actor),
        kind: Set(kind),
        note: Set(note),
        from_status: Set(from),
        to_status: Set(to),
    }
    .insert(db)
    .await?;
    Ok(id)
}

fn stale(expected: i32, current: i32) -> AppError {
    AppError::Conflict {
        message: format!(
            "the appeal changed since version {expected}; it is now at version {current}"
        ),
        details: ConflictDetails::StaleVersion {
            field: "expectedVersion".into(),
            current_version: current,
        },
    }
}

/// Writes the changed appeal with a raised version, guarded by the version it was read at, with
/// its timeline entry and audit entry.
async fn save<T>(
    w: &mut Write<'_, T>,
    before: &resident_appeal::Model,
    mut model: resident_appeal::ActiveModel,
    kind: AppealEventKind,
    note: Option<String>,
    now: DateTime<Utc>,
) -> AppResult<resident_appeal::Model>
where
    T: ConnectionTrait + TransactionSession + Send,
{
    model.version = Set(before.version + 1);
    model.updated_at = Set(now);
    let update = resident_appeal::Entity::update_many()
        .set(model)
        .filter(resident_appeal::Column::Id.eq(before.id))
        .filter(resident_appeal::Column::Version.eq(before.version));
    let Some(after) = scoped::update_returning(w, update).await? else {
        return Err(stale(before.version, before.version + 1));
    };
    let (from, to) = if before.status == after.status {
        (None, None)
    } else {
        (Some(before.status), Some(after.status))
    };
    let event = record_event(
        &*w,
        w.actor().user_id,
        before.id,
        kind,
        note.clone(),
        (from, to),
        now,
    )
    .await?;
    w.publish(DomainEvent::ResidentAppealChanged {
        appeal: before.id,
        event,
    });
    let mut after_json = snapshot(&after);
    if let Some(note) = note {
        after_json["note"] = json!(note);
    }
    w.audit(
        Change::of(audit_action(kind), "ResidentAppeal", before.id)
            .before(snapshot(before))
            .after(after_json),
    )
    .await?;
    Ok(after)
}

/// The appeal for an action: NOT_FOUND when the actor may not read it, FORBIDDEN when it may
/// read but not manage it, CONFLICT when it is not at the version the caller expects.
async fn require_managed(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
) -> AppResult<resident_appeal::Model> {
    let read = actor.scope("resident_appeal", "read")?;
    let manage = actor.scope("resident_appeal", "manage")?;
    let appeal = scoped::fetch_for::<resident_appeal::Entity>(
        db,
        id,
        read_condition(&read),
        read_condition(&manage),
        "resident appeal",
    )
    .await?;
    if let Some(expected) = expected_version
        && expected != appeal.version
    {
        return Err(stale(expected, appeal.version));
    }
    Ok(appeal)
}

fn required_text(field: &str, raw: Option<&str>) -> AppResult<String> {
    OptionalText::parse(field, raw, TEXT_MAX_CHARS)?
        .into_inner()
        .ok_or_else(|| AppError::bad_input(field, format!("{field} must not be empty")))
}

#[derive(Debug, Clone)]
pub struct NewAppeal {
    pub content: String,
    pub category: AppealCategory,
    pub village_id: Uuid,
    pub grid: Option<String>,
    pub collector_id: Option<Uuid>,
    pub received_on: NaiveDate,
    pub resident_name: Option<String>,
    pub resident_phone: Option<String>,
    pub address: Option<String>,
    pub handling_working_days: Option<i32>,
}

/// Records an appeal collected in a village: first secretaries and secretaries of the village.
pub async fn record<C>(
    db: &C,
    actor: &Actor,
    events: &EventBus,
    clock: &Clock,
    input: NewAppeal,
) -> AppResult<resident_appeal::Model>
where
    C: TransactionTrait,
{
    let scope = actor.scope("resident_appeal", "record")?;
    let content = required_text("content", Some(&input.content))?;
    if content.chars().count() > CONTENT_MAX_CHARS {
        return Err(AppError::bad_input(
            "content",
            format!("content must be at most {CONTENT_MAX_CHARS} characters"),
        ));
    }
    let grid = OptionalText::parse("grid", input.grid.as_deref(), 100)?.into_inner();
    let resident_name = match input.resident_name.as_deref() {
        Some(raw) if !super::values::is_blank(raw) => {
            Some(Name::parse("residentName", raw, 100)?.into_inner())
        }
        _ => None,
    };
    let resident_phone = match input.resident_phone.as_deref() {
        Some(raw) if !super::values::is_blank(raw) => {
            Some(Phone::parse("residentPhone", raw)?.into_inner())
        }
        _ => None,
    };
    let address = OptionalText::parse("address", input.address.as_deref(), 300)?.into_inner();
    let days = input
        .handling_working_days
        .unwrap_or(DEFAULT_HANDLING_WORKING_DAYS);
    if !(1..=MAX_HANDLING_WORKING_DAYS).contains(&days) {
        return Err(AppError::bad_input(
            "handlingWorkingDays",
            format!("handlingWorkingDays must be between 1 and {MAX_HANDLING_WORKING_DAYS}"),
        ));
    }
    let today = clock.today();
    let now = clock.now();
    if input.received_on > today {
        return Err(AppError::bad_input(
            "receivedOn",
            format!("receivedOn must not be after today {today}"),
        ));
    }
    let mut w = Write::begin(db, actor).await?;
    // Every organization's card is public: an organization outside the grant is FORBIDDEN.
    // Numbers of one village are handed out one writer at a time: the village stays locked
    // until the commit (PostgreSQL row lock; SQLite has a single writer already).
    let village = scoped::fetch_for_update::<organization::Entity>(
        &w,
        input.village_id,
        Condition::all(),
        scope.organization_condition(organization::Column::Id),
        "organization",
    )
    .await
    .map_err(|e| match e {
        AppError::NotFound(_) => {
            AppError::bad_input("villageId", "villageId names no organization")
        }
        other => other,
    })?;
    if !matches!(village.unit_type, UnitType::Village | UnitType::Community) {
        return Err(AppError::bad_input(
            "villageId",
            "appeals are recorded for a village or a community",
        ));
    }
    if let Some(collector) = input.collector_id {
        let visible = person::Entity::find_by_id(collector)
            .filter(
                actor
                    .scope("person", "read")?
                    .organization_condition(person::Column::OrganizationId),
            )
            .count(&w)
            .await?;
        if visible == 0 {
            return Err(AppError::bad_input(
                "collectorId",
                "collectorId names no person",
            ));
        }
    }
    let calendar = WorkCalendar::load(&w).await?;
    let due_on = u32::try_from(days)
        .ok()
        .and_then(|n| calendar.add_working_days(input.received_on, n))
        .ok_or_else(|| {
            AppError::bad_input(
                "handlingWorkingDays",
                "handlingWorkingDays is too far ahead",
            )
        })?;
    let year = input.received_on.year();
    let last: Option<i32> = resident_appeal::Entity::find()
        .select_only()
        .column_as(resident_appeal::Column::Seq.max(), "seq")
        .filter(resident_appeal::Column::VillageId.eq(village.id))
        .filter(resident_appeal::Column::Year.eq(year))
        .into_tuple::<Option<i32>>()
        .one(&w)
        .await?
        .flatten();
    let seq = last.unwrap_or(0) + 1;
    let appeal = resident_appeal::ActiveModel {
        id: Set(super::new_id()),
        village_id: Set(village.id),
        year: Set(year),
        seq: Set(seq),
        code: Set(code(year, seq)),
        content: Set(content),
        category: Set(input.category),
        status: Set(AppealStatus::Received),
        grid: Set(grid),
        collector_id: Set(input.collector_id),
        received_on: Set(input.received_on),
        due_on: Set(due_on),
        handling_working_days: Set(days),
        resident_name: Set(resident_name),
        resident_phone: Set(resident_phone),
        address: Set(address),
        resolution: Set(None),
        rejection_reason: Set(None),
        resolved_on: Set(None),
        supervision_item_id: Set(None),
        feedback_satisfaction: Set(None),
        feedback_comment: Set(None),
        feedback_at: Set(None),
        reopened_count: Set(0),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&w)
    .await?;
    let event = record_event(
        &w,
        actor.user_id,
        appeal.id,
        AppealEventKind::Recorded,
        None,
        (None, Some(AppealStatus::Received)),
        now,
    )
    .await?;
    w.publish(DomainEvent::ResidentAppealChanged {
        appeal: appeal.id,
        event,
    });
    w.audit(
        Change::of("recordResidentAppeal", "ResidentAppeal", appeal.id).after(snapshot(&appeal)),
    )
    .await?;
    w.commit_and_publish(events).await?;
    Ok(appeal)
}

/// Moves an appeal along `check_move`: accept, resolve (with the resolution), reject (with the
/// reason), or record the resident's feedback on a resolved appeal. Secretaries of the village.
#[allow(clippy::too_many_arguments)]
pub async fn transition<C>(
    db: &C,
    actor: &Actor,
    events: &EventBus,
    clock: &Clock,
    id: Uuid,
    mv: Move,
    text: Option<String>,
    expected_version: Option<i32>,
) -> AppResult<resident_appeal::Model>
where
    C: TransactionTrait,
{
    let text = match mv {
        Move::Resolve => Some(required_text("resolution", text.as_deref())?),
        Move::Reject => Some(required_text("reason", text.as_deref())?),
        Move::Accept => None,
        Move::Feedback(_) => {
            OptionalText::parse("comment", text.as_deref(), TEXT_MAX_CHARS)?.into_inner()
        }
    };
    let today = clock.today();
    let now = clock.now();
    let mut w = Write::begin(db, actor).await?;
    let before = require_managed(&w, actor, id, expected_version).await?;
    let to = check_move(before.status, mv)?;
    let mut model: resident_appeal::ActiveModel = before.clone().into();
    model.status = Set(to);
    let (kind, note) = match mv {
        Move::Accept => (AppealEventKind::Accepted, None),
        Move::Resolve => {
            model.resolution = Set(text.clone());
            model.resolved_on = Set(Some(today));
            (AppealEventKind::Resolved, text)
        }
        Move::Reject => {
            model.rejection_reason = Set(text.clone());
            (AppealEventKind::Rejected, text)
        }
        Move::Feedback(satisfaction) => {
            model.feedback_satisfaction = Set(Some(satisfaction));
            model.feedback_comment = Set(text.clone());
            model.feedback_at = Set(Some(now));
            if satisfaction == Satisfaction::NotSatisfied {
                model.reopened_count = Set(before.reopened_count + 1);
                model.resolved_on = Set(None);
            }
            let said = match satisfaction {
                Satisfaction::Satisfied => "SATISFIED",
                Satisfaction::PartlySatisfied => "PARTLY_SATISFIED",
                Satisfaction::NotSatisfied => "NOT_SATISFIED",
            };
            let note = match text {
                Some(comment) => format!("{said}: {comment}"),
                None => said.to_owned(),
            };
            let kind = if satisfaction == Satisfaction::NotSatisfied {
                AppealEventKind::Reopened
            } else {
                AppealEventKind::Feedback
            };
            (kind, Some(note))
        }
    };
    let appeal = save(&mut w, &before, model, kind, note, now).await?;
    w.commit_and_publish(events).await?;
    Ok(appeal)
}

/// Turns an appeal into a supervision item of a linkage group, linked both ways, in one write:
/// the item (with its own OPENED entry and audit entry), the link, ACCEPTED when it was only
/// received, and the ESCALATED entry. Secretaries of the village.
#[allow(clippy::too_many_arguments)]
pub async fn escalate<C>(
    db: &C,
    actor: &Actor,
    events: &EventBus,
    clock: &Clock,
    id: Uuid,
    linkage_group_id: Uuid,
    lead_organization_id: Uuid,
    co_responsible_organization_ids: Vec<Uuid>,
    due_in_working_days: i32,
    priority: Priority,
) -> AppResult<(resident_appeal::Model, supervision_item::Model)>
where
    C: TransactionTrait,
{
    let now = clock.now();
    let mut w = Write::begin(db, actor).await?;
    let before = require_managed(&w, actor, id, None).await?;
    if !matches!(
        before.status,
        AppealStatus::Received | AppealStatus::Accepted
    ) {
        return Err(AppError::InvalidTransition {
            from: status_name(before.status).into(),
            to: "ESCALATED".into(),
        });
    }
    if before.supervision_item_id.is_some() {
        return Err(AppError::conflict(
            "the appeal has been escalated to a supervision item already",
        ));
    }
    let title: String = before.content.chars().take(ESCALATED_TITLE_CHARS).collect();
    let item = supervision::open_in(
        &mut w,
        clock,
        NewItem {
            title,
            description: Some(before.content.clone()),
            source: SupervisionSource::ResidentAppeal,
            priority,
            linkage_group_id,
            lead_organization_id,
            co_responsible_organization_ids,
            assignee_id: None,
            supervisor_id: None,
            due: Due::InWorkingDays(due_in_working_days),
            appeal_id: Some(before.id),
        },
        OpenAuthority::CheckedBy("escalateResidentAppeal"),
    )
    .await?;
    let mut model: resident_appeal::ActiveModel = before.clone().into();
    model.supervision_item_id = Set(Some(item.id));
    if before.status == AppealStatus::Received {
        model.status = Set(AppealStatus::Accepted);
    }
    let appeal = save(
        &mut w,
        &before,
        model,
        AppealEventKind::Escalated,
        Some(item.code.clone()),
        now,
    )
    .await?;
    w.commit_and_publish(events).await?;
    Ok((appeal, item))
}

/// Inside the write that closes an appeal's supervision item: the appeal is resolved with the
/// closing note (or `CLOSED_ITEM_RESOLUTION`), unless it is resolved already.
pub async fn resolve_for_closed_item<T>(
    w: &mut Write<'_, T>,
    appeal_id: Uuid,
    note: Option<&str>,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> AppResult<()>
where
    T: ConnectionTrait + TransactionSession + Send,
{
    let Some(before) = resident_appeal::Entity::find_by_id(appeal_id)
        .one(w)
        .await?
    else {
        return Ok(());
    };
    if before.status == AppealStatus::Resolved {
        return Ok(());
    }
    let resolution = note
        .filter(|n| !super::values::is_blank(n))
        .unwrap_or(CLOSED_ITEM_RESOLUTION)
        .to_owned();
    let mut model: resident_appeal::ActiveModel = before.clone().into();
    model.status = Set(AppealStatus::Resolved);
    model.resolution = Set(Some(resolution.clone()));
    model.resolved_on = Set(Some(today));
    save(
        w,
        &before,
        model,
        AppealEventKind::Resolved,
        Some(resolution),
        now,
    )
    .await?;
    Ok(())
}

// ---- Reading ----------------------------------------------------------------------------------

#[derive(Debug, Clone, Default)]
pub struct AppealFilter {
    pub statuses: Vec<AppealStatus>,
    pub village_id: Option<Uuid>,
    pub include_sub_organizations: bool,
    pub category: Option<AppealCategory>,
    pub collector_id: Option<Uuid>,
    pub overdue: Option<bool>,
    pub received_from: Option<NaiveDate>,
    pub received_to: Option<NaiveDate>,
    /// In the content or the number.
    pub search: Option<String>,
}

/// Newest first: by date of receipt, then id.
pub const LIST_KEYS: &[resident_appeal::Column] = &[
    resident_appeal::Column::ReceivedOn,
    resident_appeal::Column::Id,
];

/// Appeals the actor may read, filtered in SQL, newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    filter: &AppealFilter,
    page: &PageRequest,
    today: NaiveDate,
) -> AppResult<Page<resident_appeal::Model>> {
    use resident_appeal::Column as C;
    let scope = actor.scope("resident_appeal", "read")?;
    let mut cond = Condition::all().add(read_condition(&scope));
    if !filter.statuses.is_empty() {
        cond = cond.add(C::Status.is_in(filter.statuses.clone()));
    }
    if let Some(village) = filter.village_id {
        let villages = ids_of(
            db,
            "filter.villageId",
            village,
            filter.include_sub_organizations,
        )
        .await?;
        cond = cond.add(C::VillageId.in_subquery(villages));
    }
    if let Some(category) = filter.category {
        cond = cond.add(C::Category.eq(category));
    }
    if let Some(collector) = filter.collector_id {
        cond = cond.add(C::CollectorId.eq(collector));
    }
    match filter.overdue {
        Some(true) => cond = cond.add(overdue_condition(today)),
        Some(false) => cond = cond.add(overdue_condition(today).not()),
        None => {}
    }
    if let Some(from) = filter.received_from {
        cond = cond.add(C::ReceivedOn.gte(from));
    }
    if let Some(to) = filter.received_to {
        cond = cond.add(C::ReceivedOn.lte(to));
    }
    if let Some(search) = filter.search.as_deref().filter(|s| !s.trim().is_empty()) {
        cond = cond.add(
            Condition::any()
                .add(super::text_contains(
                    db.get_database_backend(),
                    C::Content,
                    search,
                ))
                .add(super::text_contains(
                    db.get_database_backend(),
                    C::Code,
                    search,
                )),
        );
    }
    let mut select = resident_appeal::Entity::find().filter(cond);
    if filter.overdue == Some(true) {
        // Overdue appeals are open ones past their due date: few, where PostgreSQL, taking the
        // status and the due date for independent, expects thousands (6,287 of 100,000 at scale
        // L, where 2 were) and walks the list order in search of them. See
        // `read_matches_first`.
        select = super::read_matches_first(db.get_database_backend(), select);
    }
    fetch_page_ordered(db, select, LIST_KEYS, true, page).await
}

/// An appeal and one entry of its timeline, when `scope` reads the appeal.
pub async fn event_as_read(
    db: &impl ConnectionTrait,
    scope: &Scope,
    appeal: Uuid,
    event: Uuid,
) -> AppResult<Option<(resident_appeal::Model, appeal_event::Model)>> {
    let Some(appeal) =
        scoped::many::<resident_appeal::Entity>(db, &[appeal], read_condition(scope))
            .await?
            .into_iter()
            .next()
    else {
        return Ok(None);
    };
    let event = appeal_event::Entity::find_by_id(event)
        .filter(appeal_event::Column::AppealId.eq(appeal.id))
        .one(db)
        .await?;
    Ok(event.map(|event| (appeal, event)))
}

/// The appeals among `ids` the actor may read; the others read as missing.
pub async fn readable(
    db: &impl ConnectionTrait,
    actor: &Actor,
    ids: &[Uuid],
) -> AppResult<Vec<resident_appeal::Model>> {
    scoped::many::<resident_appeal::Entity>(
        db,
        ids,
        read_condition(&actor.scope("resident_appeal", "read")?),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// DESIGN 3.4, written out as the table of allowed (from, move, to) triples.
    #[test]
    fn the_status_machine_allows_exactly_the_designed_moves() {
        use AppealStatus::*;
        use Satisfaction::*;
        let moves = [
            Move::Accept,
            Move::Resolve,
            Move::Reject,
            Move::Feedback(Satisfied),
            Move::Feedback(PartlySatisfied),
            Move::Feedback(NotSatisfied),
        ];
        let allowed = [
            (Received, Move::Accept, Accepted),
            (Accepted, Move::Resolve, Resolved),
            (Received, Move::Reject, Rejected),
            (Accepted, Move::Reject, Rejected),
            (Resolved, Move::Feedback(Satisfied), Resolved),
            (Resolved, Move::Feedback(PartlySatisfied), Resolved),
            (Resolved, Move::Feedback(NotSatisfied), Accepted),
        ];
        for from in [Received, Accepted, Resolved, Rejected] {
            for mv in moves {
                let result = check_move(from, mv);
                match allowed.iter().find(|(f, m, _)| *f == from && *m == mv) {
                    Some((_, _, to)) => assert_eq!(result.ok(), Some(*to), "{from:?} {mv:?}"),
                    None => match result {
                        Err(AppError::InvalidTransition { from: f, to: t }) => {
                            assert_eq!(f, status_name(from));
                            assert_eq!(t, mv.target_name());
                        }
                        other => panic!("{from:?} {mv:?}: {other:?}"),
                    },
                }
            }
        }
    }
}
