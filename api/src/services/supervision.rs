//! The supervision ledger (督办台账, DESIGN 3.2): opening items with working-day deadlines, the
//! status machine, progress reports per responsible organization, deadline extensions, and the
//! lists, filtered and counted in SQL, including on the derived overdue and escalation rules.
//!
//! Every change raises the item's `version`, writes a timeline event and an audit entry in one
//! transaction, and is announced to subscribers once committed.

pub mod escalation;
pub mod rounds;
pub mod rules;

use chrono::{Datelike, NaiveDate};
use entities::{
    enums::{Priority, SupervisionEventKind, SupervisionSource, SupervisionStatus},
    linkage_group, linkage_group_member, organization, person, supervision_assignment,
    supervision_event, supervision_item, supervision_report, supervision_round,
    supervision_round_item, user_account,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionSession, TransactionTrait,
};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use super::{
    Actor, Change, Write,
    organizations::linked_to,
    pagination::{Page, PageRequest, fetch_page_ordered},
    scoped,
    values::{Name, OptionalText},
    workdays::{MAX_WORKING_DAYS, WorkCalendar},
};
use crate::{
    authz::{Scope, linked_to_subtrees},
    clock::Clock,
    error::{AppError, AppResult, ConflictDetails},
    events::{DomainEvent, EventBus},
};

pub use rules::{Derived, Move};

pub const TITLE_MAX_CHARS: usize = 200;
pub const TEXT_MAX_CHARS: usize = 5000;

/// The prefix of ledger numbers: `联建督-2026-007`.
pub const CODE_PREFIX: &str = "联建督";

/// The readable ledger number of the `seq`-th item of `year`.
pub fn code(year: i32, seq: i32) -> String {
    format!("{CODE_PREFIX}-{year}-{seq:03}")
}

// ---- Who may see and do what -----------------------------------------------------------------

/// The part of a scope that is organization subtrees.
fn subtrees(scope: &Scope) -> Scope {
    Scope {
        all: false,
        subtree_paths: scope.subtree_paths.clone(),
        group_ids: Vec::new(),
    }
}

fn never() -> Condition {
    use sea_orm::sea_query::{Expr, ExprTrait};
    Condition::all().add(Expr::val(1).eq(0))
}

/// Items the scope may read: every item of a group in scope, and the items an organization in
/// scope leads or co-owns.
pub fn read_condition(scope: &Scope) -> Condition {
    if scope.all {
        return Condition::all();
    }
    if scope.is_empty() {
        return never();
    }
    let mut any = Condition::any();
    if !scope.group_ids.is_empty() {
        any = any.add(supervision_item::Column::LinkageGroupId.is_in(scope.group_ids.clone()));
    }
    if !scope.subtree_paths.is_empty() {
        any = any.add(linked_to_subtrees(
            supervision_assignment::Column::ItemId,
            supervision_assignment::Column::OrganizationId,
            supervision_item::Column::Id,
            &scope.subtree_paths,
        ));
    }
    any
}

/// Items the scope may act on as a whole (open, supervise, work): those of a group in scope, and
/// those led by an organization in scope.
pub fn lead_condition(scope: &Scope) -> Condition {
    if scope.all {
        return Condition::all();
    }
    if scope.is_empty() {
        return never();
    }
    let mut any = Condition::any();
    if !scope.group_ids.is_empty() {
        any = any.add(supervision_item::Column::LinkageGroupId.is_in(scope.group_ids.clone()));
    }
    if !scope.subtree_paths.is_empty() {
        any = any.add(
            subtrees(scope).organization_condition(supervision_item::Column::LeadOrganizationId),
        );
    }
    any
}

/// The actor's scopes on items.
#[derive(Debug, Clone)]
struct Access {
    read: Scope,
    open: Scope,
    supervise: Scope,
    work: Scope,
    report: Scope,
}

impl Access {
    fn of(actor: &Actor) -> AppResult<Self> {
        Ok(Self {
            read: actor.scope("supervision_item", "read")?,
            open: actor.scope("supervision_item", "open")?,
            supervise: actor.scope("supervision_item", "supervise")?,
            work: actor.scope("supervision_item", "work")?,
            report: actor.scope("supervision_item", "report")?,
        })
    }
}

// ---- Reading ---------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ItemOrder {
    /// Earliest deadline first.
    #[default]
    DueOnAsc,
    /// Most urgent first, then earliest deadline.
    PriorityDesc,
    /// Most recently changed first.
    UpdatedAtDesc,
    /// Most recently opened first.
    OpenedOnDesc,
}

impl ItemOrder {
    /// The keyset of the order and whether it runs from the highest key.
    pub fn keys(self) -> (&'static [supervision_item::Column], bool) {
        use supervision_item::Column as C;
        match self {
            Self::DueOnAsc => (&[C::DueOn, C::Id], false),
            // Priorities are stored as ranks, most urgent lowest.
            Self::PriorityDesc => (&[C::Priority, C::DueOn, C::Id], false),
            Self::UpdatedAtDesc => (&[C::UpdatedAt, C::Id], true),
            Self::OpenedOnDesc => (&[C::OpenedOn, C::Id], true),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct ItemFilter {
    pub linkage_group_id: Option<Uuid>,
    pub statuses: Vec<SupervisionStatus>,
    pub overdue: Option<bool>,
    /// Due strictly before this date.
    pub due_before: Option<NaiveDate>,
    /// Not overdue, not finished, and at most this many working days left.
    pub due_within_working_days: Option<i32>,
    pub lead_organization_id: Option<Uuid>,
    /// Items this organization leads or co-owns.
    pub organization_id: Option<Uuid>,
    pub include_sub_organizations: bool,
    pub supervisor_id: Option<Uuid>,
    pub priority: Option<Priority>,
    pub escalation_levels: Vec<entities::enums::EscalationLevel>,
    /// In the title or the ledger number.
    pub search: Option<String>,
}

/// The cadences of every group, for the escalation conditions.
async fn cadences(db: &impl ConnectionTrait) -> AppResult<Vec<i32>> {
    let mut cadences: Vec<i32> = linkage_group::Entity::find()
        .select_only()
        .column(linkage_group::Column::CadenceDays)
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    cadences.sort_unstable();
    Ok(cadences)
}

/// The filter as SQL, the derived rules included.
async fn filter_condition(
    db: &impl ConnectionTrait,
    filter: &ItemFilter,
    today: NaiveDate,
) -> AppResult<Condition> {
    use supervision_item::Column as C;
    let mut cond = Condition::all();
    if let Some(group) = filter.linkage_group_id {
        cond = cond.add(C::LinkageGroupId.eq(group));
    }
    if !filter.statuses.is_empty() {
        cond = cond.add(C::Status.is_in(filter.statuses.clone()));
    }
    match filter.overdue {
        Some(true) => cond = cond.add(rules::overdue_condition(today)),
        Some(false) => cond = cond.add(rules::overdue_condition(today).not()),
        None => {}
    }
    if let Some(before) = filter.due_before {
        cond = cond.add(C::DueOn.lt(before));
    }
    let needs_calendar =
        filter.due_within_working_days.is_some() || !filter.escalation_levels.is_empty();
    let calendar = if needs_calendar {
        WorkCalendar::load(db).await?
    } else {
        WorkCalendar::default()
    };
    if let Some(n) = filter.due_within_working_days {
        let n = u32::try_from(n)
            .ok()
            .filter(|n| *n <= MAX_WORKING_DAYS)
            .ok_or_else(|| {
                AppError::bad_input(
                    "filter.dueWithinWorkingDays",
                    format!("dueWithinWorkingDays must be between 0 and {MAX_WORKING_DAYS}"),
                )
            })?;
        cond = cond.add(rules::due_within_condition(today, n, &calendar));
    }
    if !filter.escalation_levels.is_empty() {
        let cadences = cadences(db).await?;
        let mut any = Condition::any();
        for level in &filter.escalation_levels {
            any = any.add(rules::level_condition(*level, today, &calendar, &cadences));
        }
        cond = cond.add(any);
    }
    // Overdue, due soon and escalated (any level but NONE) items are all unfinished: saying so
    // once more lets the partial indexes on unfinished items find them.
    if filter.overdue == Some(true)
        || filter.due_within_working_days.is_some()
        || (!filter.escalation_levels.is_empty()
            && !filter
                .escalation_levels
                .contains(&entities::enums::EscalationLevel::None))
    {
        cond = cond.add(rules::unfinished());
    }
    if let Some(lead) = filter.lead_organization_id {
        cond = cond.add(C::LeadOrganizationId.eq(lead));
    }
    if let Some(org) = filter.organization_id {
        cond = cond.add(
            linked_to(
                db,
                "filter.organizationId",
                org,
                filter.include_sub_organizations,
                (
                    supervision_assignment::Column::ItemId,
                    supervision_assignment::Column::OrganizationId,
                ),
                C::Id,
            )
            .await?,
        );
    }
    if let Some(supervisor) = filter.supervisor_id {
        cond = cond.add(C::SupervisorId.eq(supervisor));
    }
    if let Some(priority) = filter.priority {
        cond = cond.add(C::Priority.eq(priority));
    }
    if let Some(search) = filter.search.as_deref().filter(|s| !s.trim().is_empty()) {
        cond = cond.add(
            Condition::any()
                .add(super::text_contains(
                    db.get_database_backend(),
                    C::Title,
                    search,
                ))
                .add(super::text_contains(
                    db.get_database_backend(),
                    C::Code,
                    search,
                )),
        );
    }
    Ok(cond)
}

/// Items the actor may read, filtered and ordered; `today` decides the derived rules.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    filter: &ItemFilter,
    order: ItemOrder,
    page: &PageRequest,
    today: NaiveDate,
) -> AppResult<Page<supervision_item::Model>> {
    let scope = actor.scope("supervision_item", "read")?;
    let cond = Condition::all()
        .add(read_condition(&scope))
        .add(filter_condition(db, filter, today).await?);
    let (keys, descending) = order.keys();
    fetch_page_ordered(
        db,
        supervision_item::Entity::find().filter(cond),
        keys,
        descending,
        page,
    )
    .await
}

/// The items among `ids` the actor may read; the others read as missing.
pub async fn readable(
    db: &impl ConnectionTrait,
    actor: &Actor,
    ids: &[Uuid],
) -> AppResult<Vec<supervision_item::Model>> {
    get_many(db, ids, &actor.scope("supervision_item", "read")?).await
}

pub async fn get_many(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
    scope: &Scope,
) -> AppResult<Vec<supervision_item::Model>> {
    scoped::many::<supervision_item::Entity>(db, ids, read_condition(scope)).await
}

/// The responsible organizations of each item, the lead first.
pub async fn assignments_of(
    db: &impl ConnectionTrait,
    item_ids: &[Uuid],
) -> AppResult<Vec<supervision_assignment::Model>> {
    Ok(supervision_assignment::Entity::find()
        .filter(crate::services::one_of(
            db,
            supervision_assignment::Column::ItemId,
            item_ids.iter().copied(),
        ))
        .order_by_desc(supervision_assignment::Column::Lead)
        .order_by_asc(supervision_assignment::Column::Id)
        .all(db)
        .await?)
}

/// Timeline entries in the order they happened.
pub const EVENT_KEYS: &[supervision_event::Column] =
    &[supervision_event::Column::At, supervision_event::Column::Id];

/// Progress reports in the order they were made.
pub const REPORT_KEYS: &[supervision_report::Column] = &[
    supervision_report::Column::At,
    supervision_report::Column::Id,
];

/// The cadence of each group, whoever asks: a cadence is no secret, and derived fields need it.
pub async fn cadences_of(
    db: &impl ConnectionTrait,
    group_ids: &[Uuid],
) -> AppResult<Vec<(Uuid, i32)>> {
    Ok(linkage_group::Entity::find()
        .select_only()
        .column(linkage_group::Column::Id)
        .column(linkage_group::Column::CadenceDays)
        .filter(crate::services::one_of(
            db,
            linkage_group::Column::Id,
            group_ids.iter().copied(),
        ))
        .into_tuple()
        .all(db)
        .await?)
}

// ---- Writing ---------------------------------------------------------------------------------

/// When a new item is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    On(NaiveDate),
    /// The n-th working day after the opening date.
    InWorkingDays(i32),
}

#[derive(Debug, Clone)]
pub struct NewItem {
    pub title: String,
    pub description: Option<String>,
    pub source: SupervisionSource,
    pub priority: Priority,
    pub linkage_group_id: Uuid,
    pub lead_organization_id: Uuid,
    pub co_responsible_organization_ids: Vec<Uuid>,
    pub assignee_id: Option<Uuid>,
    pub supervisor_id: Option<Uuid>,
    pub due: Due,
    /// The resident appeal the item is raised from.
    pub appeal_id: Option<Uuid>,
}

fn snapshot(item: &supervision_item::Model) -> Json {
    json!({
        "code": item.code, "title": item.title, "source": item.source, "priority": item.priority,
        "status": item.status, "linkageGroupId": item.linkage_group_id,
        "leadOrganizationId": item.lead_organization_id, "assigneeId": item.assignee_id,
        "supervisorId": item.supervisor_id, "openedOn": item.opened_on, "dueOn": item.due_on,
        "originalDueOn": item.original_due_on, "submittedOn": item.submitted_on,
        "closedOn": item.closed_on, "cancelledOn": item.cancelled_on,
        "progressPercent": item.progress_percent, "version": item.version,
    })
}

/// A timeline entry to write with a change.
#[derive(Debug, Clone, Default)]
struct Entry {
    note: Option<String>,
    from: Option<SupervisionStatus>,
    to: Option<SupervisionStatus>,
    level: Option<entities::enums::EscalationLevel>,
    due_on: Option<NaiveDate>,
}

/// Writes a timeline entry in the write's transaction and queues its event for subscribers.
async fn record<T>(
    w: &mut Write<'_, T>,
    item: &supervision_item::Model,
    kind: SupervisionEventKind,
    entry: Entry,
    at: chrono::DateTime<chrono::Utc>,
) -> AppResult<supervision_event::Model>
where
    T: ConnectionTrait + TransactionSession + Send,
{
    let event = supervision_event::ActiveModel {
        id: Set(super::new_id()),
        item_id: Set(item.id),
        at: Set(at),
        actor_id: Set(w.actor().user_id),
        kind: Set(kind),
        note: Set(entry.note),
        from_status: Set(entry.from),
        to_status: Set(entry.to),
        level: Set(entry.level),
        due_on: Set(entry.due_on),
    }
    .insert(&*w)
    .await?;
    w.publish(DomainEvent::SupervisionItemChanged {
        item: item.id,
        event: event.id,
    });
    Ok(event)
}

/// The audit trail's name of a change: the mutation that made it.
fn audit_action(kind: SupervisionEventKind) -> &'static str {
    use SupervisionEventKind as K;
    match kind {
        K::Opened => "openSupervisionItem",
        K::Started => "startSupervisionItem",
        K::Progress => "reportSupervisionProgress",
        K::Submitted => "submitSupervisionItem",
        K::Rejected => "rejectSupervisionItem",
        K::Closed => "closeSupervisionItem",
        K::Reopened => "reopenSupervisionItem",
        K::Cancelled => "cancelSupervisionItem",
        K::DeadlineExtended => "extendSupervisionDeadline",
        K::Escalated => "escalateSupervisionItem",
        K::Reviewed => "reviewSupervisionItem",
    }
}

fn stale(expected: i32, current: i32) -> AppError {
    AppError::Conflict {
        message: format!(
            "the item changed since version {expected}; it is now at version {current}"
        ),
        details: ConflictDetails::StaleVersion {
            field: "expectedVersion".into(),
            current_version: current,
        },
    }
}

/// The item for an action: NOT_FOUND when the actor may not read it, FORBIDDEN when it may read
/// but not act, CONFLICT when it is not at the version the caller expects.
async fn require(
    db: &impl ConnectionTrait,
    id: Uuid,
    read: &Scope,
    allowed: Condition,
    expected_version: Option<i32>,
) -> AppResult<supervision_item::Model> {
    let item = scoped::fetch_for::<supervision_item::Entity>(
        db,
        id,
        read_condition(read),
        allowed,
        "supervision item",
    )
    .await?;
    if let Some(expected) = expected_version
        && expected != item.version
    {
        return Err(stale(expected, item.version));
    }
    Ok(item)
}

/// Writes the changed item with a raised version, guarded by the version it was read at, with
/// its timeline entry and audit entry.
async fn save<T>(
    w: &mut Write<'_, T>,
    before: &supervision_item::Model,
    mut model: supervision_item::ActiveModel,
    kind: SupervisionEventKind,
    entry: Entry,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<supervision_item::Model>
where
    T: ConnectionTrait + TransactionSession + Send,
{
    model.version = Set(before.version + 1);
    model.updated_at = Set(now);
    let update = supervision_item::Entity::update_many()
        .set(model)
        .filter(supervision_item::Column::Id.eq(before.id))
        .filter(supervision_item::Column::Version.eq(before.version));
    let Some(after) = scoped::update_returning(&*w, update).await? else {
        return Err(stale(before.version, before.version + 1));
    };
    let note = entry.note.clone();
    record(w, &after, kind, entry, now).await?;
    let mut after_json = snapshot(&after);
    if let Some(note) = note {
        after_json["note"] = json!(note);
    }
    w.audit(
        Change::of(audit_action(kind), "SupervisionItem", before.id)
            .before(snapshot(before))
            .after(after_json),
    )
    .await?;
    Ok(after)
}

fn required_note(field: &str, note: Option<&str>) -> AppResult<String> {
    OptionalText::parse(field, note, TEXT_MAX_CHARS)?
        .into_inner()
        .ok_or_else(|| AppError::bad_input(field, format!("{field} must not be empty")))
}

/// Current member organizations of a group among `ids`.
async fn current_members(
    db: &impl ConnectionTrait,
    group: Uuid,
    ids: &[Uuid],
) -> AppResult<Vec<Uuid>> {
    Ok(linkage_group_member::Entity::find()
        .select_only()
        .column(linkage_group_member::Column::OrganizationId)
        .filter(linkage_group_member::Column::LinkageGroupId.eq(group))
        .filter(crate::services::one_of(
            db,
            linkage_group_member::Column::OrganizationId,
            ids.iter().copied(),
        ))
        .filter(linkage_group_member::Column::LeftOn.is_null())
        .into_tuple()
        .all(db)
        .await?)
}

/// Opens an item in a group's ledger, due on a date or after a number of working days.
pub async fn open<C>(
    db: &C,
    actor: &Actor,
    events: &EventBus,
    clock: &Clock,
    input: NewItem,
) -> AppResult<supervision_item::Model>
where
    C: TransactionTrait,
{
    let mut w = Write::begin(db, actor).await?;
    let item = open_in(&mut w, clock, input, OpenAuthority::Actor).await?;
    w.commit_and_publish(events).await?;
    Ok(item)
}

/// Whose permission opens an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenAuthority {
    /// The actor's own right to open items in the group.
    Actor,
    /// A move the caller has already checked that includes opening the item (escalating a
    /// resident appeal): the group need only exist.
    CheckedBy(&'static str),
}

/// Opens an item inside the caller's write (its audit entry and OPENED entry included), so a
/// caller that opens an item as part of a larger change keeps it one transaction.
pub async fn open_in<T>(
    w: &mut Write<'_, T>,
    clock: &Clock,
    input: NewItem,
    authority: OpenAuthority,
) -> AppResult<supervision_item::Model>
where
    T: ConnectionTrait + TransactionSession + Send,
{
    let actor = w.actor();
    let access = Access::of(actor)?;
    let title = Name::parse("title", &input.title, TITLE_MAX_CHARS)?.into_inner();
    let description =
        OptionalText::parse("description", input.description.as_deref(), TEXT_MAX_CHARS)?
            .into_inner();
    let today = clock.today();
    let now = clock.now();
    let mut co: Vec<Uuid> = Vec::new();
    for id in &input.co_responsible_organization_ids {
        if *id != input.lead_organization_id && !co.contains(id) {
            co.push(*id);
        }
    }

    // The group, as the actor may know it; then whether it may open items there.
    let known_groups = match authority {
        OpenAuthority::Actor => actor
            .scope("linkage_group", "read")?
            .linkage_group_condition(),
        OpenAuthority::CheckedBy(_) => Condition::all(),
    };
    // Numbers of one group's ledger are handed out one writer at a time: the group stays
    // locked until the commit (PostgreSQL row lock; SQLite has a single writer already).
    let group = linkage_group::Entity::find_by_id(input.linkage_group_id)
        .filter(known_groups)
        .lock_exclusive()
        .one(&*w)
        .await?
        .ok_or(AppError::NotFound("linkage group"))?;
    let may_open = matches!(authority, OpenAuthority::CheckedBy(_))
        || access.open.all
        || access.open.group_ids.contains(&group.id)
        || match organization::Entity::find_by_id(input.lead_organization_id)
            .one(&*w)
            .await?
        {
            Some(lead) => access
                .open
                .subtree_paths
                .iter()
                .any(|p| lead.path.starts_with(p.as_str())),
            None => false,
        };
    if !may_open {
        return Err(AppError::Forbidden);
    }
    let members = current_members(&*w, group.id, &[input.lead_organization_id]).await?;
    if members.is_empty() {
        return Err(AppError::bad_input(
            "leadOrganizationId",
            "the lead organization must be a current member of the linkage group",
        ));
    }
    if !co.is_empty() && current_members(&*w, group.id, &co).await?.len() != co.len() {
        return Err(AppError::bad_input(
            "coResponsibleOrganizationIds",
            "every co-responsible organization must be a current member of the linkage group",
        ));
    }
    if let Some(assignee) = input.assignee_id {
        let visible = person::Entity::find_by_id(assignee)
            .filter(
                actor
                    .scope("person", "read")?
                    .organization_condition(person::Column::OrganizationId),
            )
            .count(&*w)
            .await?;
        if visible == 0 {
            return Err(AppError::bad_input(
                "assigneeId",
                "assigneeId names no person",
            ));
        }
    }
    let supervisor_id = match input.supervisor_id {
        Some(id) => {
            let active = user_account::Entity::find_by_id(id)
                .filter(user_account::Column::Disabled.eq(false))
                .count(&*w)
                .await?;
            if active == 0 {
                return Err(AppError::bad_input(
                    "supervisorId",
                    "supervisorId names no active account",
                ));
            }
            Some(id)
        }
        // The supervisor who opens an item supervises it unless someone else is named.
        None => actor.viewer().ok().and_then(|v| {
            v.grants
                .iter()
                .any(|g| g.role == crate::authz::Role::Supervisor)
                .then(|| v.id())
        }),
    };
    let due_on = match input.due {
        Due::On(day) if day < today => {
            return Err(AppError::bad_input(
                "dueOn",
                format!("dueOn must not be before the opening date {today}"),
            ));
        }
        Due::On(day) => day,
        Due::InWorkingDays(n) => {
            let n = u32::try_from(n)
                .ok()
                .filter(|n| (1..=MAX_WORKING_DAYS).contains(n))
                .ok_or_else(|| {
                    AppError::bad_input(
                        "dueInWorkingDays",
                        format!("dueInWorkingDays must be between 1 and {MAX_WORKING_DAYS}"),
                    )
                })?;
            let calendar = WorkCalendar::load(&*w).await?;
            calendar.add_working_days(today, n).ok_or_else(|| {
                AppError::bad_input("dueInWorkingDays", "dueInWorkingDays is too far ahead")
            })?
        }
    };
    let year = today.year();
    let last: Option<i32> = supervision_item::Entity::find()
        .select_only()
        .column_as(supervision_item::Column::Seq.max(), "seq")
        .filter(supervision_item::Column::LinkageGroupId.eq(group.id))
        .filter(supervision_item::Column::Year.eq(year))
        .into_tuple::<Option<i32>>()
        .one(&*w)
        .await?
        .flatten();
    let seq = last.unwrap_or(0) + 1;
    let item = supervision_item::ActiveModel {
        id: Set(super::new_id()),
        linkage_group_id: Set(group.id),
        year: Set(year),
        seq: Set(seq),
        code: Set(code(year, seq)),
        title: Set(title),
        description: Set(description),
        source: Set(input.source),
        priority: Set(input.priority),
        status: Set(SupervisionStatus::Open),
        lead_organization_id: Set(input.lead_organization_id),
        assignee_id: Set(input.assignee_id),
        supervisor_id: Set(supervisor_id),
        opened_on: Set(today),
        due_on: Set(due_on),
        original_due_on: Set(due_on),
        submitted_on: Set(None),
        closed_on: Set(None),
        cancelled_on: Set(None),
        progress_percent: Set(0),
        appeal_id: Set(input.appeal_id),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&*w)
    .await?;
    let assignments = std::iter::once((input.lead_organization_id, true))
        .chain(co.iter().map(|o| (*o, false)))
        .map(
            |(organization_id, lead)| supervision_assignment::ActiveModel {
                id: Set(super::new_id()),
                item_id: Set(item.id),
                organization_id: Set(organization_id),
                lead: Set(lead),
                progress_percent: Set(0),
                note: Set(None),
                updated_at: Set(None),
            },
        );
    supervision_assignment::Entity::insert_many(assignments)
        .exec_without_returning(&*w)
        .await?;
    join_open_round(&*w, group.id, item.id).await?;
    record(
        w,
        &item,
        SupervisionEventKind::Opened,
        Entry {
            to: Some(SupervisionStatus::Open),
            due_on: Some(due_on),
            ..Entry::default()
        },
        now,
    )
    .await?;
    let mut after = snapshot(&item);
    after["coResponsible"] = json!(co);
    let action = match authority {
        OpenAuthority::Actor => "openSupervisionItem",
        OpenAuthority::CheckedBy(action) => action,
    };
    w.audit(Change::of(action, "SupervisionItem", item.id).after(after))
        .await?;
    Ok(item)
}

/// Puts an item on the list of its group's open round, if one is open: items opened or reopened
/// while a round is open are reviewed in it. Listing twice changes nothing.
async fn join_open_round(db: &impl ConnectionTrait, group: Uuid, item: Uuid) -> AppResult<()> {
    let Some(round) = supervision_round::Entity::find()
        .filter(supervision_round::Column::LinkageGroupId.eq(group))
        .filter(supervision_round::Column::Status.eq(entities::enums::RoundStatus::Open))
        .one(db)
        .await?
    else {
        return Ok(());
    };
    supervision_round_item::Entity::insert(supervision_round_item::ActiveModel {
        round_id: Set(round.id),
        item_id: Set(item),
    })
    .on_conflict_do_nothing_on([
        supervision_round_item::Column::RoundId,
        supervision_round_item::Column::ItemId,
    ])
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Moves an item along the status machine (`rules::check_move`). Start and submit are the lead
/// organization's; reject, close, reopen and cancel the supervisor's, and reject, reopen and
/// cancel need a note.
#[allow(clippy::too_many_arguments)]
pub async fn transition<C>(
    db: &C,
    actor: &Actor,
    events: &EventBus,
    clock: &Clock,
    id: Uuid,
    mv: Move,
    note: Option<String>,
    expected_version: Option<i32>,
) -> AppResult<supervision_item::Model>
where
    C: TransactionTrait,
{
    use SupervisionStatus as S;
    let access = Access::of(actor)?;
    let note = if mv.needs_note() {
        Some(required_note("note", note.as_deref())?)
    } else {
        OptionalText::parse("note", note.as_deref(), TEXT_MAX_CHARS)?.into_inner()
    };
    let allowed = if mv.by_supervisor() {
        lead_condition(&access.supervise)
    } else {
        lead_condition(&access.work)
    };
    let today = clock.today();
    let now = clock.now();
    let mut w = Write::begin(db, actor).await?;
    let before = require(&w, id, &access.read, allowed, expected_version).await?;
    let to = rules::check_move(before.status, mv)?;
    let mut model: supervision_item::ActiveModel = before.clone().into();
    model.status = Set(to);
    match mv {
        Move::Submit => model.submitted_on = Set(Some(today)),
        Move::Close => model.closed_on = Set(Some(today)),
        Move::Reopen => {
            model.closed_on = Set(None);
            model.submitted_on = Set(None);
        }
        Move::Cancel => model.cancelled_on = Set(Some(today)),
        Move::Start | Move::Reject => {}
    }
    let kind = match mv {
        Move::Start => SupervisionEventKind::Started,
        Move::Submit => SupervisionEventKind::Submitted,
        Move::Reject => SupervisionEventKind::Rejected,
        Move::Close => SupervisionEventKind::Closed,
        Move::Reopen => SupervisionEventKind::Reopened,
        Move::Cancel => SupervisionEventKind::Cancelled,
    };
    debug_assert!(to != S::Open);
    let closing_note = note.clone();
    let entry = Entry {
        note,
        from: Some(before.status),
        to: Some(to),
        ..Entry::default()
    };
    let item = save(&mut w, &before, model, kind, entry, now).await?;
    if mv == Move::Reopen {
        join_open_round(&w, item.linkage_group_id, item.id).await?;
    }
    // Closing an item raised from a resident appeal resolves the appeal, in this write.
    if mv == Move::Close
        && let Some(appeal_id) = item.appeal_id
    {
        super::appeals::resolve_for_closed_item(
            &mut w,
            appeal_id,
            closing_note.as_deref(),
            today,
            now,
        )
        .await?;
    }
    w.commit_and_publish(events).await?;
    Ok(item)
}

/// Records a progress report of one responsible organization. The lead reports with the right
/// to work the item; a co-responsible organization reports for itself only.
#[allow(clippy::too_many_arguments)]
pub async fn report_progress<C>(
    db: &C,
    actor: &Actor,
    events: &EventBus,
    clock: &Clock,
    id: Uuid,
    organization_id: Option<Uuid>,
    percent: i32,
    note: &str,
    expected_version: Option<i32>,
) -> AppResult<supervision_item::Model>
where
    C: TransactionTrait,
{
    let access = Access::of(actor)?;
    if !(0..=100).contains(&percent) {
        return Err(AppError::bad_input(
            "percent",
            "percent must be between 0 and 100",
        ));
    }
    let note = required_note("note", Some(note))?;
    let now = clock.now();
    let mut w = Write::begin(db, actor).await?;
    // The item, with whether the actor may work on it as its lead (one statement).
    let (before, may_work) = scoped::fetch_known::<supervision_item::Entity>(
        &w,
        id,
        read_condition(&access.read),
        lead_condition(&access.work),
    )
    .await?
    .ok_or(AppError::NotFound("supervision item"))?;
    if let Some(expected) = expected_version
        && expected != before.version
    {
        return Err(stale(expected, before.version));
    }
    let assignments = assignments_of(&w, &[id]).await?;
    // Which organization reports, and may the actor speak for it? The co-responsible
    // organizations within the actor's reporting subtrees, in one statement.
    let co_responsible: Vec<Uuid> = assignments
        .iter()
        .filter(|a| !a.lead)
        .map(|a| a.organization_id)
        .collect();
    let reporting: Vec<Uuid> = if access.report.all || co_responsible.is_empty() {
        co_responsible.clone()
    } else {
        organization::Entity::find()
            .select_only()
            .column(organization::Column::Id)
            .filter(organization::Column::Id.is_in(co_responsible))
            .filter(subtrees(&access.report).organization_condition(organization::Column::Id))
            .into_tuple::<Uuid>()
            .all(&w)
            .await?
    };
    let speaks_for: Vec<supervision_assignment::Model> = assignments
        .iter()
        .filter(|a| {
            if a.lead {
                may_work
            } else {
                reporting.contains(&a.organization_id)
            }
        })
        .cloned()
        .collect();
    let assignment = match organization_id {
        Some(org) => {
            let Some(assignment) = assignments.iter().find(|a| a.organization_id == org) else {
                return Err(AppError::bad_input(
                    "organizationId",
                    "the organization is not responsible for this item",
                ));
            };
            if !speaks_for.iter().any(|a| a.organization_id == org) {
                return Err(AppError::Forbidden);
            }
            assignment.clone()
        }
        None => match speaks_for.as_slice() {
            [] => return Err(AppError::Forbidden),
            [only] => only.clone(),
            several => match several.iter().find(|a| a.lead) {
                Some(lead) => lead.clone(),
                None => {
                    return Err(AppError::bad_input(
                        "organizationId",
                        "name the organization this report is for",
                    ));
                }
            },
        },
    };
    if !rules::ACTIVE.contains(&before.status) {
        return Err(AppError::InvalidTransition {
            from: rules::status_name(before.status).into(),
            to: "PROGRESS".into(),
        });
    }
    supervision_report::ActiveModel {
        id: Set(super::new_id()),
        item_id: Set(id),
        organization_id: Set(assignment.organization_id),
        author_id: Set(actor.user_id),
        percent: Set(percent),
        note: Set(note.clone()),
        at: Set(now),
    }
    .insert(&w)
    .await?;
    supervision_assignment::Entity::update_many()
        .set(supervision_assignment::ActiveModel {
            progress_percent: Set(percent),
            note: Set(Some(note.clone())),
            updated_at: Set(Some(now)),
            ..Default::default()
        })
        .filter(supervision_assignment::Column::Id.eq(assignment.id))
        .exec(&w)
        .await?;
    let mut model: supervision_item::ActiveModel = before.clone().into();
    if assignment.lead {
        model.progress_percent = Set(percent);
    }
    let entry = Entry {
        note: Some(format!("{percent}%: {note}")),
        ..Entry::default()
    };
    let item = save(
        &mut w,
        &before,
        model,
        SupervisionEventKind::Progress,
        entry,
        now,
    )
    .await?;
    w.commit_and_publish(events).await?;
    Ok(item)
}

/// Moves the deadline later, with a reason; the first due date stays in `originalDueOn`.
#[allow(clippy::too_many_arguments)]
pub async fn extend<C>(
    db: &C,
    actor: &Actor,
    events: &EventBus,
    clock: &Clock,
    id: Uuid,
    due_on: NaiveDate,
    reason: &str,
    expected_version: Option<i32>,
) -> AppResult<supervision_item::Model>
where
    C: TransactionTrait,
{
    let access = Access::of(actor)?;
    let reason = required_note("reason", Some(reason))?;
    let now = clock.now();
    let mut w = Write::begin(db, actor).await?;
    let before = require(
        &w,
        id,
        &access.read,
        lead_condition(&access.supervise),
        expected_version,
    )
    .await?;
    if matches!(
        before.status,
        SupervisionStatus::Closed | SupervisionStatus::Cancelled
    ) {
        return Err(AppError::InvalidTransition {
            from: rules::status_name(before.status).into(),
            to: "DEADLINE_EXTENDED".into(),
        });
    }
    if due_on <= before.due_on {
        return Err(AppError::bad_input(
            "dueOn",
            format!("dueOn must be after the current due date {}", before.due_on),
        ));
    }
    let mut model: supervision_item::ActiveModel = before.clone().into();
    model.due_on = Set(due_on);
    let entry = Entry {
        note: Some(reason),
        due_on: Some(due_on),
        ..Entry::default()
    };
    let item = save(
        &mut w,
        &before,
        model,
        SupervisionEventKind::DeadlineExtended,
        entry,
        now,
    )
    .await?;
    w.commit_and_publish(events).await?;
    Ok(item)
}
