//! Joint activities: scheduling without clashes, the status machine, attendance and closing
//! reports. A clash is an organization already taking part in an overlapping activity, or the
//! same venue booked for an overlapping time; cancelled activities never clash, and touching
//! intervals (one ends at 10:00, the next starts at 10:00) do not overlap.

use chrono::{DateTime, Utc};
use entities::{
    activity_participant, attendance,
    enums::{ActivityKind, ActivityStatus, ParticipantRole},
    joint_activity, organization, person,
};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionSession, TransactionTrait,
    TryInsertResult,
};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use super::{
    Actor, Change, Write,
    organizations::linked_to,
    pagination::{Page, PageRequest, fetch_page},
    scoped,
    values::{Name, OptionalText},
};
use crate::{
    authz::Scope,
    error::{AppError, AppResult, ConflictDetails, ScheduleClash},
    events::{ActivityAction, DomainEvent, EventBus},
};

pub const TITLE_MAX_CHARS: usize = 200;
pub const VENUE_MAX_CHARS: usize = 200;
pub const TEXT_MAX_CHARS: usize = 5000;

/// Activities in the order lists show them: by start, then id.
pub const ACTIVITY_KEYS: &[joint_activity::Column] =
    &[joint_activity::Column::StartsAt, joint_activity::Column::Id];

/// What clash detection compares: trimmed, inner white space folded, case-folded.
pub fn venue_key(venue: &str) -> String {
    venue
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// One clash: the other activity, and the organization or the venue they share. An activity the
/// caller may not read is busy time only: `activity` is `None`, and `venue` is the caller's own
/// text, so nothing of the other activity but its time range reaches the caller.
#[derive(Debug, Clone)]
pub struct Clash {
    pub activity: Option<joint_activity::Model>,
    /// One of the caller's own organizations.
    pub organization_id: Option<Uuid>,
    pub venue: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// The other activity even when unreadable: for the audit trail, which only administrators
    /// read, never for the caller.
    other_id: Uuid,
}

impl Clash {
    /// What the caller may see of the clash.
    pub fn detail(&self) -> ScheduleClash {
        ScheduleClash {
            activity_id: self.activity.as_ref().map(|a| a.id),
            organization_id: self.organization_id,
            venue: self.venue.clone(),
            starts_at: self.starts_at,
            ends_at: self.ends_at,
        }
    }

    fn audit_json(&self) -> Json {
        json!({
            "activityId": self.other_id,
            "organizationId": self.organization_id,
            "venue": self.venue,
            "startsAt": self.starts_at,
            "endsAt": self.ends_at,
        })
    }
}

/// CONFLICT listing every clash as far as the caller may see it.
fn conflict(clashes: &[Clash]) -> AppError {
    AppError::Conflict {
        message: format!(
            "the activity clashes with {} other booking(s); allow conflicts to schedule it anyway",
            clashes.len()
        ),
        details: ConflictDetails::Clashes(clashes.iter().map(Clash::detail).collect()),
    }
}

/// The one function that decides which status changes are allowed.
pub fn check_transition(from: ActivityStatus, to: ActivityStatus) -> AppResult<()> {
    use ActivityStatus::*;
    let allowed = matches!(
        (from, to),
        (Planned, Confirmed)
            | (Planned, Cancelled)
            | (Confirmed, Cancelled)
            | (Confirmed, Completed)
    );
    if allowed {
        Ok(())
    } else {
        Err(AppError::InvalidTransition {
            from: status_name(from).into(),
            to: status_name(to).into(),
        })
    }
}

pub fn status_name(status: ActivityStatus) -> &'static str {
    match status {
        ActivityStatus::Planned => "PLANNED",
        ActivityStatus::Confirmed => "CONFIRMED",
        ActivityStatus::Completed => "COMPLETED",
        ActivityStatus::Cancelled => "CANCELLED",
    }
}

/// Activities the scope may read: those an organization in scope takes part in, and those of a
/// group in scope.
pub fn read_condition(scope: &Scope) -> Condition {
    if scope.all {
        return Condition::all();
    }
    let mut any = Condition::any().add(scope.linked_condition(
        activity_participant::Column::ActivityId,
        activity_participant::Column::OrganizationId,
        joint_activity::Column::Id,
    ));
    if !scope.group_ids.is_empty() {
        any = any.add(joint_activity::Column::LinkageGroupId.is_in(scope.group_ids.clone()));
    }
    any
}

/// Activities the scope may manage: those hosted by an organization in scope, and those of a
/// group in scope.
fn manage_condition(scope: &Scope) -> Condition {
    if scope.all {
        return Condition::all();
    }
    let mut any = Condition::any()
        .add(scope.organization_condition(joint_activity::Column::HostOrganizationId));
    if !scope.group_ids.is_empty() {
        any = any.add(joint_activity::Column::LinkageGroupId.is_in(scope.group_ids.clone()));
    }
    any
}

#[derive(Debug, Clone, Default)]
pub struct ActivityFilter {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub organization_id: Option<Uuid>,
    pub include_sub_organizations: bool,
    pub linkage_group_id: Option<Uuid>,
    pub kinds: Vec<ActivityKind>,
    pub statuses: Vec<ActivityStatus>,
}

pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    filter: &ActivityFilter,
    page: &PageRequest,
) -> AppResult<Page<joint_activity::Model>> {
    let scope = actor.scope("joint_activity", "read")?;
    let mut cond = Condition::all().add(read_condition(&scope));
    // Overlap with [from, to): ends after `from` and starts before `to`. The page starts at
    // the earliest start of the activities running at `from` (or at `from`), so that the
    // (starts_at, id) index finds it without testing the activities that ended before.
    if let Some(from) = filter.from {
        cond = cond.add(joint_activity::Column::EndsAt.gt(from)).add(
            Expr::col((joint_activity::Entity, joint_activity::Column::StartsAt))
                .gte(earliest_running(from)),
        );
    }
    if let Some(to) = filter.to {
        cond = cond.add(joint_activity::Column::StartsAt.lt(to));
    }
    if let Some(org) = filter.organization_id {
        cond = cond.add(
            linked_to(
                db,
                "organizationId",
                org,
                filter.include_sub_organizations,
                (
                    activity_participant::Column::ActivityId,
                    activity_participant::Column::OrganizationId,
                ),
                joint_activity::Column::Id,
            )
            .await?,
        );
    }
    if let Some(group) = filter.linkage_group_id {
        cond = cond.add(joint_activity::Column::LinkageGroupId.eq(group));
    }
    if !filter.kinds.is_empty() {
        cond = cond.add(joint_activity::Column::Kind.is_in(filter.kinds.clone()));
    }
    if !filter.statuses.is_empty() {
        cond = cond.add(joint_activity::Column::Status.is_in(filter.statuses.clone()));
    }
    fetch_page(
        db,
        joint_activity::Entity::find().filter(cond),
        ACTIVITY_KEYS,
        page,
    )
    .await
}

/// The activities among `ids` the actor may read; the others read as missing.
pub async fn readable(
    db: &impl ConnectionTrait,
    actor: &Actor,
    ids: &[Uuid],
) -> AppResult<Vec<joint_activity::Model>> {
    get_many(db, ids, &actor.scope("joint_activity", "read")?).await
}

pub async fn get_many(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
    scope: &Scope,
) -> AppResult<Vec<joint_activity::Model>> {
    scoped::many::<joint_activity::Entity>(db, ids, read_condition(scope)).await
}

pub async fn participants_of(
    db: &impl ConnectionTrait,
    activity_ids: &[Uuid],
) -> AppResult<Vec<activity_participant::Model>> {
    Ok(activity_participant::Entity::find()
        .filter(crate::services::one_of(
            db,
            activity_participant::Column::ActivityId,
            activity_ids.iter().copied(),
        ))
        .all(db)
        .await?)
}

/// On PostgreSQL, serializes writers that book the same organizations or venue, so that the
/// clash check and the insert are one atomic step; SQLite already has a single writer.
async fn lock_slots(
    db: &impl ConnectionTrait,
    organizations: &[Uuid],
    venue: &str,
) -> AppResult<()> {
    let mut keys: Vec<String> = organizations.iter().map(|o| format!("org:{o}")).collect();
    keys.push(format!("venue:{venue}"));
    super::write::advisory_locks(db, keys).await
}

/// Where and when a booking asks to be: its organizations, its venue as the caller wrote it and
/// as compared, and its time range.
struct Slot<'a> {
    organizations: &'a [Uuid],
    venue: &'a str,
    venue_key: &'a str,
    starts: DateTime<Utc>,
    ends: DateTime<Utc>,
}

/// Every clash of a booking with another activity; `read` decides which of them the caller may
/// see in full.
async fn find_clashes(
    db: &impl ConnectionTrait,
    slot: &Slot<'_>,
    exclude: Option<Uuid>,
    read: &Scope,
) -> AppResult<Vec<Clash>> {
    let mut overlapping = joint_activity::Entity::find()
        .filter(joint_activity::Column::Status.ne(ActivityStatus::Cancelled))
        .filter(joint_activity::Column::StartsAt.lt(slot.ends))
        .filter(joint_activity::Column::EndsAt.gt(slot.starts))
        .filter(joint_activity::Column::StartsAt.gt(slot.starts - max_duration()));
    if let Some(id) = exclude {
        overlapping = overlapping.filter(joint_activity::Column::Id.ne(id));
    }
    let overlapping = overlapping
        .order_by_asc(joint_activity::Column::StartsAt)
        .order_by_asc(joint_activity::Column::Id)
        .all(db)
        .await?;
    if overlapping.is_empty() {
        return Ok(Vec::new());
    }
    let readable: Vec<Uuid> = joint_activity::Entity::find()
        .select_only()
        .column(joint_activity::Column::Id)
        .filter(joint_activity::Column::Id.is_in(overlapping.iter().map(|a| a.id)))
        .filter(read_condition(read))
        .into_tuple()
        .all(db)
        .await?;
    let clash = |activity: &joint_activity::Model, organization_id: Option<Uuid>, venue: bool| {
        let visible = readable.contains(&activity.id);
        Clash {
            activity: visible.then(|| activity.clone()),
            organization_id,
            venue: venue.then(|| {
                if visible {
                    activity.venue.clone()
                } else {
                    slot.venue.to_owned()
                }
            }),
            starts_at: activity.starts_at,
            ends_at: activity.ends_at,
            other_id: activity.id,
        }
    };
    let mut clashes = Vec::new();
    for activity in &overlapping {
        if activity.venue_key == slot.venue_key {
            clashes.push(clash(activity, None, true));
        }
    }
    let mut shared = activity_participant::Entity::find()
        .filter(activity_participant::Column::ActivityId.is_in(overlapping.iter().map(|a| a.id)))
        .filter(
            activity_participant::Column::OrganizationId.is_in(slot.organizations.iter().copied()),
        )
        .all(db)
        .await?;
    // In the order of the request (host first), then by time: the same answer on every engine.
    shared.sort_by_key(|p| {
        let org = slot
            .organizations
            .iter()
            .position(|o| *o == p.organization_id);
        let starts = overlapping
            .iter()
            .find(|a| a.id == p.activity_id)
            .map(|a| a.starts_at);
        (org, starts, p.activity_id)
    });
    for participant in shared {
        if let Some(activity) = overlapping.iter().find(|a| a.id == participant.activity_id) {
            clashes.push(clash(activity, Some(participant.organization_id), false));
        }
    }
    Ok(clashes)
}

/// Whether the actor may book `organizations` (host first) into `group`. A grant on an
/// organization subtree lets its holder host there and invite anyone; a grant on a linkage group
/// reaches only the group's current members, and only into a group so granted. A group the actor
/// may not book into is answered like one that does not exist.
async fn check_booking(
    db: &impl ConnectionTrait,
    manage: &Scope,
    organizations: &[Uuid],
    group: Option<Uuid>,
) -> AppResult<()> {
    if manage.all {
        if let Some(group) = group
            && entities::linkage_group::Entity::find_by_id(group)
                .one(db)
                .await?
                .is_none()
        {
            return Err(no_such_group());
        }
        return Ok(());
    }
    // A caller who may schedule nothing at all learns nothing about the group either.
    if manage.is_empty() {
        return Err(AppError::Forbidden);
    }
    let Some(&host) = organizations.first() else {
        return Err(AppError::Forbidden);
    };
    let by_subtree = Scope {
        all: false,
        subtree_paths: manage.subtree_paths.clone(),
        group_ids: Vec::new(),
    };
    let hosts_in_subtree = !by_subtree.is_empty()
        && organization::Entity::find_by_id(host)
            .filter(by_subtree.organization_condition(organization::Column::Id))
            .one(db)
            .await?
            .is_some();
    if let Some(group) = group {
        let granted = manage.group_ids.contains(&group);
        let host_is_member = hosts_in_subtree && current_members(db, &[group], &[host]).await? == 1;
        if !granted && !host_is_member {
            return Err(no_such_group());
        }
    }
    if hosts_in_subtree {
        return Ok(());
    }
    let groups = match group {
        Some(group) => vec![group],
        None => manage.group_ids.clone(),
    };
    if groups.is_empty()
        || current_members(db, &groups, organizations).await? != organizations.len()
    {
        return Err(AppError::Forbidden);
    }
    Ok(())
}

fn no_such_group() -> AppError {
    AppError::bad_input(
        "linkageGroupId",
        "linkageGroupId names no linkage group you may schedule into",
    )
}

/// How many of `organizations` are current members of at least one of `groups`.
async fn current_members(
    db: &impl ConnectionTrait,
    groups: &[Uuid],
    organizations: &[Uuid],
) -> AppResult<usize> {
    let mut members: Vec<Uuid> = entities::linkage_group_member::Entity::find()
        .select_only()
        .column(entities::linkage_group_member::Column::OrganizationId)
        .filter(
            entities::linkage_group_member::Column::LinkageGroupId.is_in(groups.iter().copied()),
        )
        .filter(
            entities::linkage_group_member::Column::OrganizationId
                .is_in(organizations.iter().copied()),
        )
        .filter(entities::linkage_group_member::Column::LeftOn.is_null())
        .into_tuple()
        .all(db)
        .await?;
    members.sort();
    members.dedup();
    Ok(members.len())
}

#[derive(Debug, Clone)]
pub struct NewActivity {
    pub title: String,
    pub kind: ActivityKind,
    pub host_organization_id: Uuid,
    pub participant_organization_ids: Vec<Uuid>,
    pub co_host_organization_ids: Vec<Uuid>,
    pub linkage_group_id: Option<Uuid>,
    pub venue: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub capacity: Option<i32>,
    pub description: Option<String>,
    pub allow_conflicts: bool,
}

/// A scheduled or rescheduled activity and the clashes the caller accepted.
#[derive(Debug, Clone)]
pub struct Booked {
    pub activity: joint_activity::Model,
    pub accepted: Vec<Clash>,
}

fn check_times(starts: DateTime<Utc>, ends: DateTime<Utc>) -> AppResult<()> {
    if ends <= starts {
        return Err(AppError::bad_input(
            "endsAt",
            "endsAt must be after startsAt",
        ));
    }
    if ends - starts > max_duration() {
        return Err(AppError::bad_input(
            "endsAt",
            format!("an activity lasts at most {MAX_DAYS} days"),
        ));
    }
    Ok(())
}

/// The longest an activity may last, in days.
pub const MAX_DAYS: i64 = 31;

/// The earliest start among the activities running at `from` (started before it, ended after
/// it), or `from` when none is: every activity that ends after `from` starts at or after it.
/// An activity lasts at most MAX_DAYS, so those running end within MAX_DAYS after `from`: a
/// range of the (ends_at, starts_at) index, read without the rows. `MIN(COALESCE(x, x))`
/// rather than `MIN(x)`, which PostgreSQL would answer by walking the starts_at index from the
/// oldest activity until one matches.
fn earliest_running(from: DateTime<Utc>) -> Expr {
    use sea_orm::sea_query::{Alias, Func, Query, SubQueryStatement};
    let running = Alias::new("running");
    let starts = || Expr::col((running.clone(), joint_activity::Column::StartsAt));
    let ends = || Expr::col((running.clone(), joint_activity::Column::EndsAt));
    let query = Query::select()
        .expr(Func::coalesce([
            Expr::expr(Func::min(Func::coalesce([starts(), starts()]))),
            Expr::val(from),
        ]))
        .from_as(joint_activity::Entity, running.clone())
        .and_where(ends().gt(from))
        .and_where(ends().lte(from + max_duration()))
        .and_where(starts().lt(from))
        .to_owned();
    Expr::SubQuery(None, Box::new(SubQueryStatement::SelectStatement(query)))
}

fn max_duration() -> chrono::Duration {
    chrono::Duration::days(MAX_DAYS)
}

fn snapshot(a: &joint_activity::Model) -> Json {
    json!({
        "title": a.title, "kind": a.kind, "status": a.status, "venue": a.venue,
        "startsAt": a.starts_at, "endsAt": a.ends_at, "hostOrganizationId": a.host_organization_id,
        "linkageGroupId": a.linkage_group_id, "capacity": a.capacity, "version": a.version,
    })
}

/// The audit trail's name of what happened to an activity: the mutation that did it.
fn audit_action(action: ActivityAction) -> &'static str {
    match action {
        ActivityAction::Scheduled => "scheduleJointActivity",
        ActivityAction::Rescheduled => "rescheduleJointActivity",
        ActivityAction::Confirmed => "confirmJointActivity",
        ActivityAction::Cancelled => "cancelJointActivity",
        ActivityAction::Completed => "completeJointActivity",
        ActivityAction::AttendanceRecorded => "recordAttendance",
    }
}

fn changed(action: ActivityAction, activity: &joint_activity::Model) -> DomainEvent {
    DomainEvent::JointActivityChanged {
        action,
        activity: activity.id,
    }
}

/// Schedules an activity. A clash is CONFLICT listing every clash, unless `allow_conflicts`;
/// subscribers hear of the activity once it is committed.
pub async fn schedule<C>(
    db: &C,
    actor: &Actor,
    events: &EventBus,
    input: NewActivity,
) -> AppResult<Booked>
where
    C: TransactionTrait,
{
    let access = Access::of(actor)?;
    let title = Name::parse("title", &input.title, TITLE_MAX_CHARS)?.into_inner();
    let venue = Name::parse("venue", &input.venue, VENUE_MAX_CHARS)?.into_inner();
    let description =
        OptionalText::parse("description", input.description.as_deref(), TEXT_MAX_CHARS)?
            .into_inner();
    check_times(input.starts_at, input.ends_at)?;
    if input.capacity.is_some_and(|c| c < 1) {
        return Err(AppError::bad_input(
            "capacity",
            "capacity must be at least 1",
        ));
    }
    // Host first, then co-hosts, then participants; an organization appears once.
    let mut roles: Vec<(Uuid, ParticipantRole)> =
        vec![(input.host_organization_id, ParticipantRole::Host)];
    for (ids, role) in [
        (&input.co_host_organization_ids, ParticipantRole::CoHost),
        (
            &input.participant_organization_ids,
            ParticipantRole::Participant,
        ),
    ] {
        for id in ids {
            if !roles.iter().any(|(o, _)| o == id) {
                roles.push((*id, role));
            }
        }
    }
    let org_ids: Vec<Uuid> = roles.iter().map(|(o, _)| *o).collect();
    let key = venue_key(&venue);

    let mut w = Write::begin(db, actor).await?;
    let found = organization::Entity::find()
        .filter(organization::Column::Id.is_in(org_ids.clone()))
        .filter(organization::Column::ArchivedAt.is_null())
        .count(&w)
        .await?;
    if found != org_ids.len() as u64 {
        return Err(AppError::bad_input(
            "participantOrganizationIds",
            "an organization does not exist or is archived",
        ));
    }
    check_booking(&w, &access.manage, &org_ids, input.linkage_group_id).await?;
    lock_slots(&w, &org_ids, &key).await?;
    let slot = Slot {
        organizations: &org_ids,
        venue: &venue,
        venue_key: &key,
        starts: input.starts_at,
        ends: input.ends_at,
    };
    let clashes = find_clashes(&w, &slot, None, &access.read).await?;
    if !clashes.is_empty() && !input.allow_conflicts {
        return Err(conflict(&clashes));
    }
    let now = super::now();
    let activity = joint_activity::ActiveModel {
        id: Set(super::new_id()),
        title: Set(title),
        kind: Set(input.kind),
        linkage_group_id: Set(input.linkage_group_id),
        host_organization_id: Set(input.host_organization_id),
        venue: Set(venue),
        venue_key: Set(key),
        starts_at: Set(input.starts_at),
        ends_at: Set(input.ends_at),
        capacity: Set(input.capacity),
        description: Set(description),
        status: Set(ActivityStatus::Planned),
        cancel_reason: Set(None),
        summary: Set(None),
        completed_at: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&w)
    .await?;
    activity_participant::Entity::insert_many(roles.iter().map(|(organization_id, role)| {
        activity_participant::ActiveModel {
            id: Set(super::new_id()),
            activity_id: Set(activity.id),
            organization_id: Set(*organization_id),
            role: Set(*role),
        }
    }))
    .exec_without_returning(&w)
    .await?;
    let mut after = snapshot(&activity);
    after["participants"] = json!(org_ids);
    after["acceptedConflicts"] = json!(clashes.iter().map(Clash::audit_json).collect::<Vec<_>>());
    let scheduled = ActivityAction::Scheduled;
    w.audit(Change::of(audit_action(scheduled), "JointActivity", activity.id).after(after))
        .await?;
    w.publish(changed(scheduled, &activity));
    w.commit_and_publish(events).await?;
    Ok(Booked {
        activity,
        accepted: clashes,
    })
}

/// An activity the actor may manage (NOT_FOUND if it may not read it), at the version the
/// caller expects.
async fn require_managed(
    db: &impl ConnectionTrait,
    id: Uuid,
    expected_version: Option<i32>,
    access: &Access,
) -> AppResult<joint_activity::Model> {
    let activity = scoped::fetch_for::<joint_activity::Entity>(
        db,
        id,
        read_condition(&access.read),
        manage_condition(&access.manage),
        "joint activity",
    )
    .await?;
    if let Some(expected) = expected_version
        && expected != activity.version
    {
        return Err(AppError::Conflict {
            message: format!(
                "the activity changed since version {expected}; it is now at version {}",
                activity.version
            ),
            details: ConflictDetails::StaleVersion {
                field: "expectedVersion".into(),
                current_version: activity.version,
            },
        });
    }
    Ok(activity)
}

/// Writes the changed activity with a raised version, guarded by the version it was read at;
/// audits the change and queues its event.
async fn save<T>(
    w: &mut Write<'_, T>,
    action: ActivityAction,
    before: &joint_activity::Model,
    mut model: joint_activity::ActiveModel,
) -> AppResult<joint_activity::Model>
where
    T: ConnectionTrait + TransactionSession + Send,
{
    model.version = Set(before.version + 1);
    model.updated_at = Set(super::now());
    let update = joint_activity::Entity::update_many()
        .set(model)
        .filter(joint_activity::Column::Id.eq(before.id))
        .filter(joint_activity::Column::Version.eq(before.version));
    let Some(after) = scoped::update_returning(&*w, update).await? else {
        return Err(AppError::conflict(
            "the activity was changed by someone else; read it again",
        ));
    };
    w.audit(
        Change::of(audit_action(action), "JointActivity", before.id)
            .before(snapshot(before))
            .after(snapshot(&after)),
    )
    .await?;
    w.publish(changed(action, &after));
    Ok(after)
}

/// Scopes of the actor: what it may read and what it may manage.
#[derive(Debug, Clone)]
struct Access {
    read: Scope,
    manage: Scope,
}

impl Access {
    fn of(actor: &Actor) -> AppResult<Self> {
        Ok(Self {
            read: actor.scope("joint_activity", "read")?,
            manage: actor.scope("joint_activity", "manage")?,
        })
    }
}

#[derive(Debug, Clone)]
pub struct Reschedule {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub venue: Option<String>,
    pub allow_conflicts: bool,
    pub expected_version: Option<i32>,
}

/// Moves a planned or confirmed activity; clashes are refused as in `schedule`.
pub async fn reschedule<C>(
    db: &C,
    actor: &Actor,
    events: &EventBus,
    id: Uuid,
    change: Reschedule,
) -> AppResult<Booked>
where
    C: TransactionTrait,
{
    let access = Access::of(actor)?;
    check_times(change.starts_at, change.ends_at)?;
    let venue = change
        .venue
        .as_deref()
        .map(|v| Name::parse("venue", v, VENUE_MAX_CHARS).map(Name::into_inner))
        .transpose()?;
    let mut w = Write::begin(db, actor).await?;
    let before = require_managed(&w, id, change.expected_version, &access).await?;
    if !matches!(
        before.status,
        ActivityStatus::Planned | ActivityStatus::Confirmed
    ) {
        return Err(AppError::InvalidTransition {
            from: status_name(before.status).into(),
            to: "RESCHEDULED".into(),
        });
    }
    let venue = venue.unwrap_or_else(|| before.venue.clone());
    let key = venue_key(&venue);
    let org_ids: Vec<Uuid> = participants_of(&w, &[id])
        .await?
        .iter()
        .map(|p| p.organization_id)
        .collect();
    lock_slots(&w, &org_ids, &key).await?;
    let slot = Slot {
        organizations: &org_ids,
        venue: &venue,
        venue_key: &key,
        starts: change.starts_at,
        ends: change.ends_at,
    };
    let clashes = find_clashes(&w, &slot, Some(id), &access.read).await?;
    if !clashes.is_empty() && !change.allow_conflicts {
        return Err(conflict(&clashes));
    }
    let mut model: joint_activity::ActiveModel = before.clone().into();
    model.starts_at = Set(change.starts_at);
    model.ends_at = Set(change.ends_at);
    model.venue = Set(venue);
    model.venue_key = Set(key);
    let activity = save(&mut w, ActivityAction::Rescheduled, &before, model).await?;
    w.commit_and_publish(events).await?;
    Ok(Booked {
        activity,
        accepted: clashes,
    })
}

/// Moves an activity to `to` (CONFIRMED or CANCELLED); cancelling needs a reason.
pub async fn change_status<C>(
    db: &C,
    actor: &Actor,
    events: &EventBus,
    id: Uuid,
    to: ActivityStatus,
    reason: Option<String>,
    expected_version: Option<i32>,
) -> AppResult<joint_activity::Model>
where
    C: TransactionTrait,
{
    let access = Access::of(actor)?;
    let reason = match to {
        ActivityStatus::Cancelled => Some(
            OptionalText::parse("reason", reason.as_deref(), TEXT_MAX_CHARS)?
                .into_inner()
                .ok_or_else(|| AppError::bad_input("reason", "reason must not be empty"))?,
        ),
        _ => None,
    };
    let mut w = Write::begin(db, actor).await?;
    let before = require_managed(&w, id, expected_version, &access).await?;
    check_transition(before.status, to)?;
    let mut model: joint_activity::ActiveModel = before.clone().into();
    model.status = Set(to);
    if reason.is_some() {
        model.cancel_reason = Set(reason);
    }
    let action = match to {
        ActivityStatus::Cancelled => ActivityAction::Cancelled,
        _ => ActivityAction::Confirmed,
    };
    let activity = save(&mut w, action, &before, model).await?;
    w.commit_and_publish(events).await?;
    Ok(activity)
}

/// Completes a confirmed activity that has started, with its closing report.
pub async fn complete<C>(
    db: &C,
    actor: &Actor,
    events: &EventBus,
    id: Uuid,
    summary: &str,
    expected_version: Option<i32>,
) -> AppResult<joint_activity::Model>
where
    C: TransactionTrait,
{
    let access = Access::of(actor)?;
    // A report may run over several lines: only emptiness and length are checked.
    let summary = OptionalText::parse("summary", Some(summary), TEXT_MAX_CHARS)?
        .into_inner()
        .ok_or_else(|| AppError::bad_input("summary", "summary must not be empty"))?;
    let mut w = Write::begin(db, actor).await?;
    let before = require_managed(&w, id, expected_version, &access).await?;
    check_transition(before.status, ActivityStatus::Completed)?;
    if super::now() < before.starts_at {
        return Err(AppError::bad_input(
            "id",
            "an activity can be completed only once it has started",
        ));
    }
    let mut model: joint_activity::ActiveModel = before.clone().into();
    model.status = Set(ActivityStatus::Completed);
    model.summary = Set(Some(summary));
    model.completed_at = Set(Some(super::now()));
    let activity = save(&mut w, ActivityAction::Completed, &before, model).await?;
    w.commit_and_publish(events).await?;
    Ok(activity)
}

/// Checks people in; people already checked in are skipped, so recording twice changes nothing.
/// Returns how many were added.
pub async fn record_attendance<C>(
    db: &C,
    actor: &Actor,
    events: &EventBus,
    id: Uuid,
    person_ids: &[Uuid],
    checked_in_at: DateTime<Utc>,
) -> AppResult<(joint_activity::Model, usize)>
where
    C: TransactionTrait,
{
    let access = Access::of(actor)?;
    if person_ids.is_empty() {
        return Err(AppError::bad_input(
            "personIds",
            "personIds must name at least one person",
        ));
    }
    let mut w = Write::begin(db, actor).await?;
    // Check-ins of one activity wait for each other from here to the commit, so the attendees
    // counted below are still all there are when the new ones are written (capacity holds). On
    // SQLite the single writer connection already serializes the transactions of a process.
    let activity = scoped::fetch_for_update::<joint_activity::Entity>(
        &w,
        id,
        read_condition(&access.read),
        manage_condition(&access.manage),
        "joint activity",
    )
    .await?;
    if !matches!(
        activity.status,
        ActivityStatus::Planned | ActivityStatus::Confirmed
    ) {
        return Err(AppError::bad_input(
            "activityId",
            format!(
                "attendance is recorded for planned or confirmed activities, not {}",
                status_name(activity.status)
            ),
        ));
    }
    let participants: Vec<Uuid> = participants_of(&w, &[id])
        .await?
        .iter()
        .map(|p| p.organization_id)
        .collect();
    let people = person::Entity::find()
        .filter(person::Column::Id.is_in(person_ids.iter().copied()))
        .all(&w)
        .await?;
    // One answer for someone missing and someone outside: the caller may not be allowed to read
    // the person, so the error names nobody and does not tell the two apart.
    let distinct = person_ids
        .iter()
        .collect::<std::collections::HashSet<_>>()
        .len();
    if people.len() != distinct
        || people
            .iter()
            .any(|p| !participants.contains(&p.organization_id))
    {
        return Err(AppError::bad_input(
            "personIds",
            "personIds names someone who is not a member of a participating organization",
        ));
    }
    let present: Vec<Uuid> = attendance::Entity::find()
        .filter(attendance::Column::ActivityId.eq(id))
        .all(&w)
        .await?
        .into_iter()
        .map(|a| a.person_id)
        .collect();
    let new: Vec<&person::Model> = people.iter().filter(|p| !present.contains(&p.id)).collect();
    if let Some(capacity) = activity.capacity
        && present.len() + new.len() > capacity as usize
    {
        return Err(AppError::Conflict {
            message: format!(
                "the activity holds {capacity} people and {} are checked in",
                present.len()
            ),
            details: ConflictDetails::Full {
                field: "personIds".into(),
                capacity,
            },
        });
    }
    // One statement for every check-in; one already there is not an error (recording
    // attendance twice is idempotent) and does not come back as added.
    let rows = new.iter().map(|p| attendance::ActiveModel {
        id: Set(super::new_id()),
        activity_id: Set(id),
        person_id: Set(p.id),
        organization_id: Set(p.organization_id),
        checked_in_at: Set(checked_in_at),
    });
    let inserted = attendance::Entity::insert_many(rows)
        .on_conflict_do_nothing_on([attendance::Column::ActivityId, attendance::Column::PersonId])
        .exec_with_returning_many(&w)
        .await?;
    let inserted = match inserted {
        TryInsertResult::Inserted(rows) => rows,
        TryInsertResult::Empty | TryInsertResult::Conflicted => Vec::new(),
    };
    // In the order the caller named them, as before.
    let new: Vec<Uuid> = new
        .iter()
        .map(|p| p.id)
        .filter(|id| inserted.iter().any(|row| row.person_id == *id))
        .collect();
    let recorded = ActivityAction::AttendanceRecorded;
    if !new.is_empty() {
        w.audit(
            Change::of(audit_action(recorded), "JointActivity", id)
                .before(json!({ "attendees": present.len() }))
                .after(json!({ "attendees": present.len() + new.len(), "added": new })),
        )
        .await?;
    }
    // Subscribers hear of every recording, even one that added nobody.
    w.publish(changed(recorded, &activity));
    w.commit_and_publish(events).await?;
    Ok((activity, new.len()))
}

pub async fn attendee_counts(
    db: &impl ConnectionTrait,
    activity_ids: &[Uuid],
) -> AppResult<std::collections::HashMap<Uuid, u64>> {
    super::pagination::count_by(
        db,
        attendance::Entity::find().filter(crate::services::one_of(
            db,
            attendance::Column::ActivityId,
            activity_ids.iter().copied(),
        )),
        attendance::Column::ActivityId,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use ActivityStatus::*;

    #[test]
    fn only_the_designed_transitions_are_allowed() {
        let all = [Planned, Confirmed, Completed, Cancelled];
        let allowed = [
            (Planned, Confirmed),
            (Planned, Cancelled),
            (Confirmed, Cancelled),
            (Confirmed, Completed),
        ];
        for from in all {
            for to in all {
                let result = check_transition(from, to);
                if allowed.contains(&(from, to)) {
                    assert!(result.is_ok(), "{from:?} -> {to:?}");
                } else {
                    match result {
                        Err(AppError::InvalidTransition { from: f, to: t }) => {
                            assert_eq!(
                                (f.as_str(), t.as_str()),
                                (status_name(from), status_name(to))
                            );
                        }
                        other => panic!("{from:?} -> {to:?}: {other:?}"),
                    }
                }
            }
        }
    }

    #[test]
    fn venues_compare_trimmed_and_case_folded() {
        assert_eq!(venue_key("  党群服务中心   Hall "), "党群服务中心 hall");
        assert_eq!(
            venue_key("党群服务中心 hall"),
            venue_key("党群服务中心\tHALL")
        );
    }
}
