//! Joint activities: the `JointActivity` type, `jointActivities` / `jointActivity`, and the
//! scheduling, status, attendance and completion mutations.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use entities::{activity_participant, attendance, joint_activity};

use super::{
    context::{ContextExt, Delivery, events_after, per_event},
    enums::{ActivityKind, ActivityStatus, ParticipantRole},
    ids::{self, NodeKind},
    linkage_groups::LinkageGroup,
    organizations::{Organization, load_page},
    people::Person,
    plain::Plain,
    relay::{self, Conn},
    scalars::{self, Date, DateTime},
};
use crate::{
    error::AppError,
    events::DomainEvent,
    services::activities::{self, ActivityFilter, Booked, Clash, NewActivity, Reschedule},
};

/// A joint activity of several organizations.
#[derive(Debug, Clone)]
pub struct JointActivity(pub joint_activity::Model);

#[derive(Debug, Clone)]
pub struct ActivityParticipant(pub activity_participant::Model);

#[Object]
impl ActivityParticipant {
    async fn organization(&self, ctx: &Context<'_>) -> Result<Plain<Organization>> {
        Organization::load(ctx, self.0.organization_id)
            .await
            .map(Plain)
    }

    async fn role(&self) -> ParticipantRole {
        self.0.role.into()
    }
}

/// A person checked in at an activity.
#[derive(Debug, Clone)]
pub struct Attendance(pub attendance::Model);

#[Object]
impl Attendance {
    /// Null when the viewer may not read the person.
    async fn person(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        Ok(ctx
            .loaders()?
            .people
            .load_one(self.0.person_id)
            .await?
            .map(Person))
    }

    async fn organization(&self, ctx: &Context<'_>) -> Result<Plain<Organization>> {
        Organization::load(ctx, self.0.organization_id)
            .await
            .map(Plain)
    }

    async fn checked_in_at(&self, ctx: &Context<'_>) -> DateTime {
        DateTime::in_zone(self.0.checked_in_at, ctx.timezone())
    }
}

#[Object]
impl JointActivity {
    pub async fn id(&self) -> ID {
        ids::encode(NodeKind::JointActivity, self.0.id)
    }

    async fn title(&self) -> &str {
        &self.0.title
    }

    async fn kind(&self) -> ActivityKind {
        self.0.kind.into()
    }

    async fn status(&self) -> ActivityStatus {
        self.0.status.into()
    }

    async fn venue(&self) -> &str {
        &self.0.venue
    }

    async fn starts_at(&self, ctx: &Context<'_>) -> DateTime {
        DateTime::in_zone(self.0.starts_at, ctx.timezone())
    }

    async fn ends_at(&self, ctx: &Context<'_>) -> DateTime {
        DateTime::in_zone(self.0.ends_at, ctx.timezone())
    }

    /// The calendar date the activity starts on, in the deployment's time zone.
    async fn starts_on(&self, ctx: &Context<'_>) -> Date {
        Date(self.0.starts_at.with_timezone(&ctx.timezone()).date_naive())
    }

    async fn capacity(&self) -> Option<i32> {
        self.0.capacity
    }

    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    async fn cancel_reason(&self) -> Option<&str> {
        self.0.cancel_reason.as_deref()
    }

    /// The closing report, once completed.
    async fn summary(&self) -> Option<&str> {
        self.0.summary.as_deref()
    }

    /// Send it back as `expectedVersion` to refuse writes over someone else's change.
    async fn version(&self) -> i32 {
        self.0.version
    }

    async fn host(&self, ctx: &Context<'_>) -> Result<Plain<Organization>> {
        Organization::load(ctx, self.0.host_organization_id)
            .await
            .map(Plain)
    }

    async fn linkage_group(&self, ctx: &Context<'_>) -> Result<Option<LinkageGroup>> {
        let Some(group) = self.0.linkage_group_id else {
            return Ok(None);
        };
        Ok(ctx
            .loaders()?
            .linkage_groups
            .load_one(group)
            .await?
            .map(LinkageGroup))
    }

    /// Host first, then co-hosts, then participants, each in the order they were listed.
    async fn participants(&self, ctx: &Context<'_>) -> Result<Vec<ActivityParticipant>> {
        Ok(ctx
            .loaders()?
            .participants
            .load_one(self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(ActivityParticipant)
            .collect())
    }

    /// People checked in, in check-in order.
    async fn attendance(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<Attendance>> {
        let page = relay::page_request(ctx, first, after, last, before)?;
        let rows = load_page(&ctx.loaders()?.attendance, self.0.id, page).await?;
        Ok(relay::connection(rows, Attendance))
    }

    /// How many people are checked in.
    async fn attendee_count(&self, ctx: &Context<'_>) -> Result<u64> {
        Ok(ctx
            .loaders()?
            .attendee_counts
            .load_one(self.0.id)
            .await?
            .unwrap_or_default())
    }

    async fn created_at(&self, ctx: &Context<'_>) -> DateTime {
        DateTime::in_zone(self.0.created_at, ctx.timezone())
    }
}

/// A clash a schedule ran into: the other activity, and the organization or venue they share.
#[derive(SimpleObject)]
pub struct ScheduleConflict {
    /// Null when the viewer may not read the other activity: then the clash is busy time only,
    /// with the viewer's own organization or venue and the time range.
    pub joint_activity: Option<JointActivity>,
    pub organization: Option<Organization>,
    pub venue: Option<String>,
    pub starts_at: DateTime,
    pub ends_at: DateTime,
}

async fn conflicts(ctx: &Context<'_>, clashes: Vec<Clash>) -> Result<Vec<ScheduleConflict>> {
    // The organizations of every clash in one batch.
    let organizations = ctx
        .loaders()?
        .organizations
        .load_many(clashes.iter().filter_map(|c| c.organization_id))
        .await?;
    let mut out = Vec::with_capacity(clashes.len());
    for clash in clashes {
        let organization = clash
            .organization_id
            .and_then(|id| organizations.get(&id).cloned())
            .map(Organization);
        out.push(ScheduleConflict {
            joint_activity: clash.activity.map(JointActivity),
            organization,
            venue: clash.venue,
            starts_at: DateTime::in_zone(clash.starts_at, ctx.timezone()),
            ends_at: DateTime::in_zone(clash.ends_at, ctx.timezone()),
        });
    }
    Ok(out)
}

#[derive(InputObject, Default)]
pub struct JointActivityFilter {
    /// Activities overlapping [from, to).
    pub from: Option<DateTime>,
    pub to: Option<DateTime>,
    /// Activities overlapping these calendar days (inclusive), in the deployment's time zone.
    pub from_date: Option<Date>,
    pub to_date: Option<Date>,
    pub organization_id: Option<ID>,
    #[graphql(default_with = "Some(false)")]
    pub include_sub_organizations: Option<bool>,
    pub linkage_group_id: Option<ID>,
    pub kinds: Option<Vec<ActivityKind>>,
    pub statuses: Option<Vec<ActivityStatus>>,
}

/// The instant a local calendar day starts, no later than the last supported instant.
fn local_midnight(
    ctx: &Context<'_>,
    field: &str,
    date: chrono::NaiveDate,
) -> Result<chrono::DateTime<chrono::Utc>> {
    use chrono::TimeZone;
    let midnight = date.and_time(chrono::NaiveTime::MIN);
    ctx.timezone()
        .from_local_datetime(&midnight)
        .earliest()
        .map(|t| t.with_timezone(&chrono::Utc).min(scalars::max_instant()))
        .ok_or_else(|| AppError::bad_input(field, format!("{field}: no such local date")).into())
}

#[derive(Default)]
pub struct ActivityQuery;

#[Object]
impl ActivityQuery {
    /// Joint activities the viewer may read, by start time.
    #[allow(clippy::too_many_arguments)]
    async fn joint_activities(
        &self,
        ctx: &Context<'_>,
        filter: Option<JointActivityFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<JointActivity>> {
        let page = relay::page_request(ctx, first, after, last, before)?;
        let filter = filter.unwrap_or_default();
        let mut from = filter.from.map(DateTime::to_utc);
        let mut to = filter.to.map(DateTime::to_utc);
        if let Some(date) = filter.from_date {
            let start = local_midnight(ctx, "filter.fromDate", date.0)?;
            from = Some(from.map_or(start, |f| f.max(start)));
        }
        if let Some(date) = filter.to_date {
            // The scalar stops at 9999-12-31, so a next day exists; checked all the same, as
            // date arithmetic that overflows panics.
            let next = date.0.succ_opt().ok_or_else(|| {
                AppError::bad_input("filter.toDate", scalars::DATE_HINT.to_owned())
            })?;
            let end = local_midnight(ctx, "filter.toDate", next)?;
            to = Some(to.map_or(end, |t| t.min(end)));
        }
        let service = ActivityFilter {
            from,
            to,
            organization_id: filter
                .organization_id
                .as_ref()
                .map(|id| ids::decode_as("filter.organizationId", NodeKind::Organization, id))
                .transpose()?,
            include_sub_organizations: filter.include_sub_organizations.unwrap_or(false),
            linkage_group_id: filter
                .linkage_group_id
                .as_ref()
                .map(|id| ids::decode_as("filter.linkageGroupId", NodeKind::LinkageGroup, id))
                .transpose()?,
            kinds: filter
                .kinds
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            statuses: filter
                .statuses
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
        };
        let rows = activities::list(&ctx.state()?.db.read, &ctx.actor(), &service, &page).await?;
        Ok(relay::connection(rows, JointActivity))
    }

    async fn joint_activity(&self, ctx: &Context<'_>, id: ID) -> Result<JointActivity> {
        let id = ids::decode_as("id", NodeKind::JointActivity, &id)?;
        ctx.loaders()?
            .activities
            .load_one(id)
            .await?
            .map(JointActivity)
            .ok_or_else(|| AppError::NotFound("joint activity").into())
    }
}

#[derive(InputObject)]
pub struct ScheduleJointActivityInput {
    pub title: String,
    pub kind: ActivityKind,
    pub host_organization_id: ID,
    pub participant_organization_ids: Vec<ID>,
    pub co_host_organization_ids: Option<Vec<ID>>,
    pub linkage_group_id: Option<ID>,
    pub venue: String,
    pub starts_at: DateTime,
    pub ends_at: DateTime,
    pub capacity: Option<i32>,
    pub description: Option<String>,
    /// Schedule even when it clashes; the payload lists the clashes accepted.
    #[graphql(default = false)]
    pub allow_conflicts: bool,
}

#[derive(SimpleObject)]
pub struct ScheduleJointActivityPayload {
    pub joint_activity: JointActivity,
    pub accepted_conflicts: Vec<ScheduleConflict>,
}

#[derive(InputObject)]
pub struct RescheduleJointActivityInput {
    pub id: ID,
    pub starts_at: DateTime,
    pub ends_at: DateTime,
    pub venue: Option<String>,
    #[graphql(default = false)]
    pub allow_conflicts: bool,
    pub expected_version: Option<i32>,
}

#[derive(SimpleObject)]
pub struct RescheduleJointActivityPayload {
    pub joint_activity: JointActivity,
    pub accepted_conflicts: Vec<ScheduleConflict>,
}

#[derive(InputObject)]
pub struct ConfirmJointActivityInput {
    pub id: ID,
    pub expected_version: Option<i32>,
}

#[derive(InputObject)]
pub struct CancelJointActivityInput {
    pub id: ID,
    pub reason: String,
    pub expected_version: Option<i32>,
}

#[derive(InputObject)]
pub struct CompleteJointActivityInput {
    pub id: ID,
    /// The closing report.
    pub summary: String,
    pub expected_version: Option<i32>,
}

#[derive(InputObject)]
pub struct RecordAttendanceInput {
    pub activity_id: ID,
    pub person_ids: Vec<ID>,
    /// Now when absent.
    pub checked_in_at: Option<DateTime>,
}

#[derive(SimpleObject)]
pub struct JointActivityPayload {
    pub joint_activity: JointActivity,
}

#[derive(SimpleObject)]
pub struct RecordAttendancePayload {
    pub joint_activity: JointActivity,
    /// People added by this call (people already checked in are skipped).
    pub recorded: u64,
}

fn org_ids(field: &str, values: &[ID]) -> Result<Vec<uuid::Uuid>, AppError> {
    values
        .iter()
        .map(|id| ids::decode_as(field, NodeKind::Organization, id))
        .collect()
}

async fn booked_payload(
    ctx: &Context<'_>,
    booked: Booked,
) -> Result<(JointActivity, Vec<ScheduleConflict>)> {
    Ok((
        JointActivity(booked.activity),
        conflicts(ctx, booked.accepted).await?,
    ))
}

#[derive(Default)]
pub struct ActivityMutation;

#[Object]
impl ActivityMutation {
    /// Schedules an activity. A clash (an organization already in an overlapping activity, or the
    /// venue booked at an overlapping time) is CONFLICT with `extensions.conflicts`, unless
    /// `allowConflicts`.
    async fn schedule_joint_activity(
        &self,
        ctx: &Context<'_>,
        input: ScheduleJointActivityInput,
    ) -> Result<ScheduleJointActivityPayload> {
        let new = NewActivity {
            title: input.title,
            kind: input.kind.into(),
            host_organization_id: ids::decode_as(
                "hostOrganizationId",
                NodeKind::Organization,
                &input.host_organization_id,
            )?,
            participant_organization_ids: org_ids(
                "participantOrganizationIds",
                &input.participant_organization_ids,
            )?,
            co_host_organization_ids: org_ids(
                "coHostOrganizationIds",
                &input.co_host_organization_ids.unwrap_or_default(),
            )?,
            linkage_group_id: input
                .linkage_group_id
                .as_ref()
                .map(|id| ids::decode_as("linkageGroupId", NodeKind::LinkageGroup, id))
                .transpose()?,
            venue: input.venue,
            starts_at: input.starts_at.to_utc(),
            ends_at: input.ends_at.to_utc(),
            capacity: input.capacity,
            description: input.description,
            allow_conflicts: input.allow_conflicts,
        };
        let state = ctx.state()?;
        let booked =
            activities::schedule(&state.db.write, &ctx.actor(), &state.events, new).await?;
        let (joint_activity, accepted_conflicts) = booked_payload(ctx, booked).await?;
        Ok(ScheduleJointActivityPayload {
            joint_activity,
            accepted_conflicts,
        })
    }

    async fn reschedule_joint_activity(
        &self,
        ctx: &Context<'_>,
        input: RescheduleJointActivityInput,
    ) -> Result<RescheduleJointActivityPayload> {
        let id = ids::decode_as("id", NodeKind::JointActivity, &input.id)?;
        let state = ctx.state()?;
        let booked = activities::reschedule(
            &state.db.write,
            &ctx.actor(),
            &state.events,
            id,
            Reschedule {
                starts_at: input.starts_at.to_utc(),
                ends_at: input.ends_at.to_utc(),
                venue: input.venue,
                allow_conflicts: input.allow_conflicts,
                expected_version: input.expected_version,
            },
        )
        .await?;
        let (joint_activity, accepted_conflicts) = booked_payload(ctx, booked).await?;
        Ok(RescheduleJointActivityPayload {
            joint_activity,
            accepted_conflicts,
        })
    }

    async fn confirm_joint_activity(
        &self,
        ctx: &Context<'_>,
        input: ConfirmJointActivityInput,
    ) -> Result<JointActivityPayload> {
        let id = ids::decode_as("id", NodeKind::JointActivity, &input.id)?;
        let state = ctx.state()?;
        let activity = activities::change_status(
            &state.db.write,
            &ctx.actor(),
            &state.events,
            id,
            entities::enums::ActivityStatus::Confirmed,
            None,
            input.expected_version,
        )
        .await?;
        Ok(JointActivityPayload {
            joint_activity: JointActivity(activity),
        })
    }

    async fn cancel_joint_activity(
        &self,
        ctx: &Context<'_>,
        input: CancelJointActivityInput,
    ) -> Result<JointActivityPayload> {
        let id = ids::decode_as("id", NodeKind::JointActivity, &input.id)?;
        let state = ctx.state()?;
        let activity = activities::change_status(
            &state.db.write,
            &ctx.actor(),
            &state.events,
            id,
            entities::enums::ActivityStatus::Cancelled,
            Some(input.reason),
            input.expected_version,
        )
        .await?;
        Ok(JointActivityPayload {
            joint_activity: JointActivity(activity),
        })
    }

    /// Checks people of participating organizations in; recording someone twice changes nothing.
    async fn record_attendance(
        &self,
        ctx: &Context<'_>,
        input: RecordAttendanceInput,
    ) -> Result<RecordAttendancePayload> {
        let id = ids::decode_as("activityId", NodeKind::JointActivity, &input.activity_id)?;
        let people = input
            .person_ids
            .iter()
            .map(|p| ids::decode_as("personIds", NodeKind::Person, p))
            .collect::<Result<Vec<_>, _>>()?;
        let when = input
            .checked_in_at
            .map(DateTime::to_utc)
            .unwrap_or_else(crate::services::now);
        let state = ctx.state()?;
        let (activity, recorded) = activities::record_attendance(
            &state.db.write,
            &ctx.actor(),
            &state.events,
            id,
            &people,
            when,
        )
        .await?;
        Ok(RecordAttendancePayload {
            joint_activity: JointActivity(activity),
            recorded: recorded as u64,
        })
    }

    /// Completes a confirmed activity that has started, with its closing report.
    async fn complete_joint_activity(
        &self,
        ctx: &Context<'_>,
        input: CompleteJointActivityInput,
    ) -> Result<JointActivityPayload> {
        let id = ids::decode_as("id", NodeKind::JointActivity, &input.id)?;
        let state = ctx.state()?;
        let activity = activities::complete(
            &state.db.write,
            &ctx.actor(),
            &state.events,
            id,
            &input.summary,
            input.expected_version,
        )
        .await?;
        Ok(JointActivityPayload {
            joint_activity: JointActivity(activity),
        })
    }
}

/// What happened to an activity.
#[derive(async_graphql::Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::events::ActivityAction")]
pub enum ActivityEventAction {
    Scheduled,
    Rescheduled,
    Confirmed,
    Cancelled,
    Completed,
    AttendanceRecorded,
}

#[derive(SimpleObject)]
pub struct JointActivityEvent {
    /// The event's place in the stream: pass it as `after` when subscribing again to receive
    /// what happened since (kept for the server's event retention, 7 days by default).
    pub position: String,
    pub action: ActivityEventAction,
    /// The activity as it stands when the event is delivered.
    pub joint_activity: JointActivity,
}

#[derive(InputObject, Default)]
pub struct JointActivityEventFilter {
    /// Only activities this organization takes part in.
    pub organization_id: Option<ID>,
    pub linkage_group_id: Option<ID>,
    pub kinds: Option<Vec<ActivityKind>>,
}

#[derive(Default)]
pub struct ActivitySubscription;

#[async_graphql::Subscription]
impl ActivitySubscription {
    /// Activities as they are scheduled and change, only those the subscriber may read when the
    /// event is delivered. With `after` (a `position` from an earlier event), the events since
    /// then come first, then the live ones, each once and in order.
    async fn joint_activity_events(
        &self,
        ctx: &Context<'_>,
        filter: Option<JointActivityEventFilter>,
        after: Option<String>,
    ) -> Result<impl futures_util::Stream<Item = JointActivityEvent> + use<>> {
        ctx.scope("joint_activity", "read")?;
        let source = ctx.viewer_source()?;
        let state = ctx.state()?.clone();
        let filter = filter.unwrap_or_default();
        let organization = filter
            .organization_id
            .as_ref()
            .map(|id| ids::decode_as("filter.organizationId", NodeKind::Organization, id))
            .transpose()?;
        let group = filter
            .linkage_group_id
            .as_ref()
            .map(|id| ids::decode_as("filter.linkageGroupId", NodeKind::LinkageGroup, id))
            .transpose()?;
        let kinds: Vec<entities::enums::ActivityKind> = filter
            .kinds
            .unwrap_or_default()
            .into_iter()
            .map(Into::into)
            .collect();
        use futures_util::StreamExt;
        let events = events_after(&state, after.as_deref())
            .await?
            .filter_map(|envelope| {
                futures_util::future::ready(match envelope.event {
                    DomainEvent::JointActivityChanged { action, activity } => {
                        Some((envelope.position, action, activity))
                    }
                    _ => None,
                })
            });
        Ok(per_event(
            source,
            events,
            move |viewer, (position, action, id)| {
                let state = state.clone();
                let kinds = kinds.clone();
                async move {
                    // The grants of the moment decide; a subscriber left with none is done.
                    let scope = viewer.scope("joint_activity", "read");
                    if scope.is_empty() {
                        return Delivery::End;
                    }
                    // Visibility is decided by the database, with the same scope condition as
                    // every list; the filters apply to the activity as it stands.
                    let Some(visible) = activities::get_many(&state.db.read, &[id], &scope)
                        .await
                        .ok()
                        .and_then(|rows| rows.into_iter().next())
                    else {
                        return Delivery::Skip;
                    };
                    if group.is_some_and(|g| visible.linkage_group_id != Some(g))
                        || (!kinds.is_empty() && !kinds.contains(&visible.kind))
                    {
                        return Delivery::Skip;
                    }
                    if let Some(org) = organization {
                        let Ok(participants) =
                            activities::participants_of(&state.db.read, &[id]).await
                        else {
                            return Delivery::Skip;
                        };
                        if !participants.iter().any(|p| p.organization_id == org) {
                            return Delivery::Skip;
                        }
                    }
                    Delivery::Send(JointActivityEvent {
                        position: position.to_string(),
                        action: action.into(),
                        joint_activity: JointActivity(visible),
                    })
                }
            },
        ))
    }
}
