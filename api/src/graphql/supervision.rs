//! The supervision ledger: `SupervisionItem` with its derived deadline fields, timeline and
//! progress reports, `supervisionItems` / `supervisionItem`, the status and deadline mutations,
//! and the `supervisionItemEvents` / `deadlineAlerts` subscriptions.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use entities::{supervision_assignment, supervision_event, supervision_item, supervision_report};
use uuid::Uuid;

use super::{
    accounts::User,
    context::{ContextExt, Delivery, events_after, per_event},
    ids::{self, NodeKind},
    linkage_groups::LinkageGroup,
    loaders::load_selected_page,
    organizations::Organization,
    people::Person,
    plain::{self, Plain, PlainFields},
    relay::{self, Conn},
    scalars::{Date, DateTime},
};
use crate::{
    error::AppError,
    events::DomainEvent,
    services::supervision::{self, Derived, Due, ItemFilter, ItemOrder, Move, NewItem},
};

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entities::enums::SupervisionSource")]
pub enum SupervisionSource {
    /// 联席会议
    JointMeeting,
    /// 民情诉求
    ResidentAppeal,
    Inspection,
    SuperiorAssignment,
    Other,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entities::enums::Priority")]
pub enum Priority {
    Normal,
    High,
    Urgent,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entities::enums::SupervisionStatus")]
pub enum SupervisionStatus {
    Open,
    InProgress,
    PendingReview,
    Closed,
    Reopened,
    Cancelled,
}

/// The escalation ladder: REMIND (due within 3 working days), URGE 催办 (overdue), SUPERVISE 督办
/// (overdue past one cadence), REPORT (overdue past two cadences).
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entities::enums::EscalationLevel")]
pub enum EscalationLevel {
    None,
    Remind,
    Urge,
    Supervise,
    Report,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entities::enums::SupervisionEventKind")]
pub enum SupervisionEventKind {
    Opened,
    Started,
    Progress,
    Submitted,
    Rejected,
    Closed,
    Reopened,
    Cancelled,
    DeadlineExtended,
    Escalated,
    Reviewed,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum SupervisionItemOrder {
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

impl From<SupervisionItemOrder> for ItemOrder {
    fn from(order: SupervisionItemOrder) -> Self {
        match order {
            SupervisionItemOrder::DueOnAsc => Self::DueOnAsc,
            SupervisionItemOrder::PriorityDesc => Self::PriorityDesc,
            SupervisionItemOrder::UpdatedAtDesc => Self::UpdatedAtDesc,
            SupervisionItemOrder::OpenedOnDesc => Self::OpenedOnDesc,
        }
    }
}

/// A supervision item (督办事项) of a joint committee's ledger.
#[derive(Debug, Clone)]
pub struct SupervisionItem(pub supervision_item::Model);

impl SupervisionItem {
    /// The derived fields as of today, from the calendar and the group's cadence.
    async fn derived(&self, ctx: &Context<'_>) -> Result<Derived> {
        let loaders = ctx.loaders()?;
        // Both in the batches of this round.
        let (calendar, cadence) = futures_util::future::try_join(
            loaders.work_calendar.load_one(()),
            loaders.cadences.load_one(self.0.linkage_group_id),
        )
        .await?;
        let calendar = calendar.unwrap_or_default();
        let cadence = cadence.unwrap_or(14);
        Ok(supervision::rules::derive(
            &self.0,
            ctx.today(),
            &calendar,
            cadence,
        ))
    }

    /// An item something refers to, as far as the viewer may read it.
    pub async fn load(ctx: &Context<'_>, id: Uuid) -> Result<Option<SupervisionItem>> {
        Ok(ctx
            .loaders()?
            .supervision_items
            .load_one(id)
            .await?
            .map(SupervisionItem))
    }
}

impl PlainFields for SupervisionItem {
    const PLAIN: &'static [&'static str] = &[
        "id",
        "code",
        "title",
        "description",
        "source",
        "priority",
        "status",
        "version",
        "openedOn",
        "dueOn",
    ];

    fn plain_field(&self, name: &str) -> Option<async_graphql::Value> {
        Some(match name {
            "id" => plain::scalar(&ids::encode(NodeKind::SupervisionItem, self.0.id)),
            "code" => plain::string(&self.0.code),
            "title" => plain::string(&self.0.title),
            "description" => plain::optional_string(self.0.description.as_deref()),
            "source" => plain::enumerated(SupervisionSource::from(self.0.source)),
            "priority" => plain::enumerated(Priority::from(self.0.priority)),
            "status" => plain::enumerated(SupervisionStatus::from(self.0.status)),
            "version" => plain::scalar(&self.0.version),
            "openedOn" => plain::scalar(&Date(self.0.opened_on)),
            "dueOn" => plain::scalar(&Date(self.0.due_on)),
            _ => return None,
        })
    }
}

#[Object]
impl SupervisionItem {
    pub async fn id(&self) -> ID {
        ids::encode(NodeKind::SupervisionItem, self.0.id)
    }

    /// The readable ledger number, unique in the group, e.g. `联建督-2026-007`.
    async fn code(&self) -> &str {
        &self.0.code
    }

    async fn title(&self) -> &str {
        &self.0.title
    }

    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    async fn source(&self) -> SupervisionSource {
        self.0.source.into()
    }

    async fn priority(&self) -> Priority {
        self.0.priority.into()
    }

    async fn status(&self) -> SupervisionStatus {
        self.0.status.into()
    }

    /// Send it back as `expectedVersion` to refuse writes over someone else's change.
    async fn version(&self) -> i32 {
        self.0.version
    }

    async fn linkage_group(&self, ctx: &Context<'_>) -> Result<LinkageGroup> {
        // Whoever may read an item may know the name of its committee.
        ctx.loaders()?
            .grant_groups
            .load_one(self.0.linkage_group_id)
            .await?
            .map(LinkageGroup)
            .ok_or_else(|| AppError::internal("item of a missing linkage group").into())
    }

    async fn lead_organization(&self, ctx: &Context<'_>) -> Result<Plain<Organization>> {
        Organization::load(ctx, self.0.lead_organization_id)
            .await
            .map(Plain)
    }

    /// The co-responsible organizations, each with its own progress.
    async fn co_responsible(&self, ctx: &Context<'_>) -> Result<Vec<Plain<SupervisionAssignment>>> {
        Ok(ctx
            .loaders()?
            .supervision_assignments
            .load_one(self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .filter(|a| !a.lead)
            .map(|assignment| Plain(SupervisionAssignment(assignment)))
            .collect())
    }

    /// Null when the viewer may not read the person.
    async fn assignee(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        let Some(id) = self.0.assignee_id else {
            return Ok(None);
        };
        Ok(ctx.loaders()?.people.load_one(id).await?.map(Person))
    }

    /// Null when there is none, or the viewer may not see the account.
    async fn supervisor(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(id) = self.0.supervisor_id else {
            return Ok(None);
        };
        Ok(ctx.loaders()?.users.load_one(id).await?.map(User))
    }

    async fn opened_on(&self) -> Date {
        Date(self.0.opened_on)
    }

    async fn due_on(&self) -> Date {
        Date(self.0.due_on)
    }

    /// The first due date, kept through extensions.
    async fn original_due_on(&self) -> Date {
        Date(self.0.original_due_on)
    }

    /// The date of the latest submission for review.
    async fn submitted_on(&self) -> Option<Date> {
        self.0.submitted_on.map(Date)
    }

    async fn closed_on(&self) -> Option<Date> {
        self.0.closed_on.map(Date)
    }

    async fn cancelled_on(&self) -> Option<Date> {
        self.0.cancelled_on.map(Date)
    }

    /// Past its due date while worked on, or waiting for review after a late submission.
    async fn overdue(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(self.derived(ctx).await?.overdue)
    }

    /// Calendar days from today to the due date (negative when overdue); for a closed or
    /// cancelled item, from the day it ended.
    async fn days_remaining(&self, ctx: &Context<'_>) -> Result<i32> {
        Ok(self.derived(ctx).await?.days_remaining)
    }

    /// Working days d with today < d <= dueOn; minus the working days since dueOn when overdue.
    async fn working_days_remaining(&self, ctx: &Context<'_>) -> Result<i32> {
        Ok(self.derived(ctx).await?.working_days_remaining)
    }

    /// For a closed item: whether the accepted submission came on or before the due date.
    async fn closed_on_time(&self) -> Option<bool> {
        supervision::rules::closed_on_time(&self.0)
    }

    async fn escalation_level(&self, ctx: &Context<'_>) -> Result<EscalationLevel> {
        Ok(self.derived(ctx).await?.escalation_level.into())
    }

    /// The lead organization's latest reported progress; 100 once closed.
    async fn progress_percent(&self, ctx: &Context<'_>) -> Result<i32> {
        Ok(self.derived(ctx).await?.progress_percent)
    }

    /// Every change, oldest first.
    async fn timeline(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<SupervisionEvent>> {
        let page = relay::page_request(ctx, first, after, last, before)?;
        let rows =
            load_selected_page(ctx, &ctx.loaders()?.supervision_timeline, self.0.id, page).await?;
        let item = self.0.clone();
        Ok(relay::connection(rows, move |event| SupervisionEvent {
            position: None,
            event,
            item: Some(item.clone()),
        }))
    }

    /// Progress reports, oldest first.
    async fn reports(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<ProgressReport>> {
        let page = relay::page_request(ctx, first, after, last, before)?;
        let rows =
            load_selected_page(ctx, &ctx.loaders()?.supervision_reports, self.0.id, page).await?;
        Ok(relay::connection(rows, ProgressReport))
    }

    /// Its reviews, one per round it was reviewed in, oldest round first.
    async fn reviews(&self, ctx: &Context<'_>) -> Result<Vec<super::rounds::RoundReview>> {
        Ok(ctx
            .loaders()?
            .item_reviews
            .load_one(self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(super::rounds::RoundReview)
            .collect())
    }

    async fn created_at(&self, ctx: &Context<'_>) -> DateTime {
        DateTime::in_zone(self.0.created_at, ctx.timezone())
    }

    /// The resident appeal the item was raised from; null when none, or the viewer may not
    /// read it.
    async fn appeal(&self, ctx: &Context<'_>) -> Result<Option<super::appeals::ResidentAppeal>> {
        match self.0.appeal_id {
            Some(id) => super::appeals::ResidentAppeal::load(ctx, id).await,
            None => Ok(None),
        }
    }

    async fn updated_at(&self, ctx: &Context<'_>) -> DateTime {
        DateTime::in_zone(self.0.updated_at, ctx.timezone())
    }
}

/// An organization responsible for an item, with its own progress.
#[derive(Debug, Clone)]
pub struct SupervisionAssignment(pub supervision_assignment::Model);

impl PlainFields for SupervisionAssignment {
    const PLAIN: &'static [&'static str] = &["progressPercent", "note"];

    fn plain_field(&self, name: &str) -> Option<async_graphql::Value> {
        Some(match name {
            "progressPercent" => plain::scalar(&self.0.progress_percent),
            "note" => plain::optional_string(self.0.note.as_deref()),
            _ => return None,
        })
    }
}

#[Object]
impl SupervisionAssignment {
    async fn organization(&self, ctx: &Context<'_>) -> Result<Plain<Organization>> {
        Organization::load(ctx, self.0.organization_id)
            .await
            .map(Plain)
    }

    async fn progress_percent(&self) -> i32 {
        self.0.progress_percent
    }

    /// The note of its latest report.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }

    /// When it last reported.
    async fn updated_at(&self, ctx: &Context<'_>) -> Option<DateTime> {
        self.0
            .updated_at
            .map(|t| DateTime::in_zone(t, ctx.timezone()))
    }
}

/// One entry of an item's timeline.
#[derive(Debug, Clone)]
pub struct SupervisionEvent {
    pub event: supervision_event::Model,
    /// The item, when the entry was read through it.
    pub item: Option<supervision_item::Model>,
    /// Its place in the event stream, when a subscription delivered it.
    pub position: Option<i64>,
}

#[Object]
impl SupervisionEvent {
    async fn at(&self, ctx: &Context<'_>) -> DateTime {
        DateTime::in_zone(self.event.at, ctx.timezone())
    }

    /// Set on entries delivered by `supervisionItemEvents`: pass it as `after` when subscribing
    /// again to receive what happened since. Null on timelines read by query.
    async fn position(&self) -> Option<String> {
        self.position.map(|p| p.to_string())
    }

    /// Null for the system (the daily escalation pass), or an account the viewer may not see.
    async fn actor(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(id) = self.event.actor_id else {
            return Ok(None);
        };
        Ok(ctx.loaders()?.users.load_one(id).await?.map(User))
    }

    async fn kind(&self) -> SupervisionEventKind {
        self.event.kind.into()
    }

    async fn note(&self) -> Option<&str> {
        self.event.note.as_deref()
    }

    async fn from(&self) -> Option<SupervisionStatus> {
        self.event.from_status.map(Into::into)
    }

    async fn to(&self) -> Option<SupervisionStatus> {
        self.event.to_status.map(Into::into)
    }

    /// The level reached, for ESCALATED entries.
    async fn level(&self) -> Option<EscalationLevel> {
        self.event.level.map(Into::into)
    }

    /// The due date after the change (opening, extensions, escalations).
    async fn due_on(&self) -> Option<Date> {
        self.event.due_on.map(Date)
    }

    async fn item(&self, ctx: &Context<'_>) -> Result<SupervisionItem> {
        if let Some(item) = &self.item {
            return Ok(SupervisionItem(item.clone()));
        }
        SupervisionItem::load(ctx, self.event.item_id)
            .await?
            .ok_or_else(|| AppError::NotFound("supervision item").into())
    }
}

/// A progress report of one responsible organization.
#[derive(Debug, Clone)]
pub struct ProgressReport(pub supervision_report::Model);

#[Object]
impl ProgressReport {
    async fn organization(&self, ctx: &Context<'_>) -> Result<Plain<Organization>> {
        Organization::load(ctx, self.0.organization_id)
            .await
            .map(Plain)
    }

    async fn author(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(id) = self.0.author_id else {
            return Ok(None);
        };
        Ok(ctx.loaders()?.users.load_one(id).await?.map(User))
    }

    async fn percent(&self) -> i32 {
        self.0.percent
    }

    async fn note(&self) -> &str {
        &self.0.note
    }

    async fn at(&self, ctx: &Context<'_>) -> DateTime {
        DateTime::in_zone(self.0.at, ctx.timezone())
    }
}

#[derive(InputObject, Default)]
pub struct SupervisionItemFilter {
    pub linkage_group_id: Option<ID>,
    pub statuses: Option<Vec<SupervisionStatus>>,
    pub overdue: Option<bool>,
    /// Due strictly before this date.
    pub due_before: Option<Date>,
    /// Not overdue, not finished, and at most this many working days left.
    pub due_within_working_days: Option<i32>,
    pub lead_organization_id: Option<ID>,
    /// Items this organization leads or co-owns.
    pub organization_id: Option<ID>,
    #[graphql(default_with = "Some(false)")]
    pub include_sub_organizations: Option<bool>,
    pub supervisor_id: Option<ID>,
    pub priority: Option<Priority>,
    pub escalation_levels: Option<Vec<EscalationLevel>>,
    /// In the title or the ledger number.
    pub search: Option<String>,
}

fn optional_id(field: &str, kind: NodeKind, id: Option<&ID>) -> Result<Option<Uuid>, AppError> {
    id.map(|id| ids::decode_as(field, kind, id)).transpose()
}

impl SupervisionItemFilter {
    pub fn into_service(self) -> Result<ItemFilter, AppError> {
        Ok(ItemFilter {
            linkage_group_id: optional_id(
                "filter.linkageGroupId",
                NodeKind::LinkageGroup,
                self.linkage_group_id.as_ref(),
            )?,
            statuses: self
                .statuses
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            overdue: self.overdue,
            due_before: self.due_before.map(|d| d.0),
            due_within_working_days: self.due_within_working_days,
            lead_organization_id: optional_id(
                "filter.leadOrganizationId",
                NodeKind::Organization,
                self.lead_organization_id.as_ref(),
            )?,
            organization_id: optional_id(
                "filter.organizationId",
                NodeKind::Organization,
                self.organization_id.as_ref(),
            )?,
            include_sub_organizations: self.include_sub_organizations.unwrap_or(false),
            supervisor_id: optional_id(
                "filter.supervisorId",
                NodeKind::User,
                self.supervisor_id.as_ref(),
            )?,
            priority: self.priority.map(Into::into),
            escalation_levels: self
                .escalation_levels
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            search: self.search,
        })
    }
}

/// A page of items for a list field: the service's list with the viewer, today and the filter.
pub async fn item_page(
    ctx: &Context<'_>,
    filter: ItemFilter,
    order: SupervisionItemOrder,
    page: crate::services::pagination::PageRequest,
) -> Result<Conn<Plain<SupervisionItem>>> {
    let rows = supervision::list(
        &ctx.state()?.db.read,
        &ctx.actor(),
        &filter,
        order.into(),
        &page,
        ctx.today(),
    )
    .await?;
    Ok(relay::connection(rows, |row| Plain(SupervisionItem(row))))
}

#[derive(Default)]
pub struct SupervisionQuery;

#[Object]
impl SupervisionQuery {
    /// Items the viewer may read, filtered (the derived rules included) and ordered in SQL.
    #[allow(clippy::too_many_arguments)]
    async fn supervision_items(
        &self,
        ctx: &Context<'_>,
        filter: Option<SupervisionItemFilter>,
        #[graphql(default)] order_by: SupervisionItemOrder,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<Plain<SupervisionItem>>> {
        let page = relay::page_request(ctx, first, after, last, before)?;
        let filter = filter.unwrap_or_default().into_service()?;
        item_page(ctx, filter, order_by, page).await
    }

    async fn supervision_item(&self, ctx: &Context<'_>, id: ID) -> Result<SupervisionItem> {
        let id = ids::decode_as("id", NodeKind::SupervisionItem, &id)?;
        SupervisionItem::load(ctx, id)
            .await?
            .ok_or_else(|| AppError::NotFound("supervision item").into())
    }
}

#[derive(InputObject)]
pub struct OpenSupervisionItemInput {
    pub title: String,
    pub description: Option<String>,
    pub source: SupervisionSource,
    #[graphql(default_with = "Priority::Normal")]
    pub priority: Priority,
    pub linkage_group_id: ID,
    pub lead_organization_id: ID,
    pub co_responsible_organization_ids: Option<Vec<ID>>,
    pub assignee_id: Option<ID>,
    /// The supervising account; the opener when absent and the opener is a supervisor.
    pub supervisor_id: Option<ID>,
    /// Exactly one of dueOn and dueInWorkingDays.
    pub due_on: Option<Date>,
    /// Due on the n-th working day after today.
    pub due_in_working_days: Option<i32>,
}

/// Start, submit and close take it as is; reject, reopen and cancel require a note.
#[derive(InputObject)]
pub struct SupervisionTransitionInput {
    pub id: ID,
    pub expected_version: Option<i32>,
    pub note: Option<String>,
}

#[derive(InputObject)]
pub struct ReportSupervisionProgressInput {
    pub id: ID,
    /// The responsible organization reporting; needed only when the viewer speaks for several.
    pub organization_id: Option<ID>,
    pub percent: i32,
    pub note: String,
    pub expected_version: Option<i32>,
}

#[derive(InputObject)]
pub struct ExtendSupervisionDeadlineInput {
    pub id: ID,
    pub due_on: Date,
    pub reason: String,
    pub expected_version: Option<i32>,
}

macro_rules! item_payloads {
    ($($name:ident),* $(,)?) => {$(
        #[derive(SimpleObject)]
        pub struct $name {
            pub supervision_item: SupervisionItem,
        }
    )*};
}

item_payloads!(
    OpenSupervisionItemPayload,
    StartSupervisionItemPayload,
    SubmitSupervisionItemPayload,
    RejectSupervisionItemPayload,
    CloseSupervisionItemPayload,
    ReopenSupervisionItemPayload,
    CancelSupervisionItemPayload,
    ReportSupervisionProgressPayload,
    ExtendSupervisionDeadlinePayload,
);

async fn make_move(
    ctx: &Context<'_>,
    input: SupervisionTransitionInput,
    mv: Move,
) -> Result<SupervisionItem> {
    let id = ids::decode_as("id", NodeKind::SupervisionItem, &input.id)?;
    let state = ctx.state()?;
    let item = supervision::transition(
        &state.db.write,
        &ctx.actor(),
        &state.events,
        &state.clock,
        id,
        mv,
        input.note,
        input.expected_version,
    )
    .await?;
    Ok(SupervisionItem(item))
}

#[derive(Default)]
pub struct SupervisionMutation;

#[Object]
impl SupervisionMutation {
    /// Opens an item in a group's ledger. Committee staff and supervisors of the group.
    async fn open_supervision_item(
        &self,
        ctx: &Context<'_>,
        input: OpenSupervisionItemInput,
    ) -> Result<OpenSupervisionItemPayload> {
        let due = match (input.due_on, input.due_in_working_days) {
            (Some(day), None) => Due::On(day.0),
            (None, Some(n)) => Due::InWorkingDays(n),
            (Some(_), Some(_)) => {
                return Err(AppError::bad_input(
                    "dueOn",
                    "give either dueOn or dueInWorkingDays, not both",
                )
                .into());
            }
            (None, None) => {
                return Err(AppError::bad_input("dueOn", "give dueOn or dueInWorkingDays").into());
            }
        };
        let co = input
            .co_responsible_organization_ids
            .unwrap_or_default()
            .iter()
            .map(|id| ids::decode_as("coResponsibleOrganizationIds", NodeKind::Organization, id))
            .collect::<Result<Vec<_>, _>>()?;
        let new = NewItem {
            title: input.title,
            description: input.description,
            source: input.source.into(),
            priority: input.priority.into(),
            linkage_group_id: ids::decode_as(
                "linkageGroupId",
                NodeKind::LinkageGroup,
                &input.linkage_group_id,
            )?,
            lead_organization_id: ids::decode_as(
                "leadOrganizationId",
                NodeKind::Organization,
                &input.lead_organization_id,
            )?,
            co_responsible_organization_ids: co,
            assignee_id: optional_id("assigneeId", NodeKind::Person, input.assignee_id.as_ref())?,
            supervisor_id: optional_id(
                "supervisorId",
                NodeKind::User,
                input.supervisor_id.as_ref(),
            )?,
            due,
            appeal_id: None,
        };
        let state = ctx.state()?;
        let item = supervision::open(
            &state.db.write,
            &ctx.actor(),
            &state.events,
            &state.clock,
            new,
        )
        .await?;
        Ok(OpenSupervisionItemPayload {
            supervision_item: SupervisionItem(item),
        })
    }

    /// OPEN or REOPENED -> IN_PROGRESS: the lead organization starts work.
    async fn start_supervision_item(
        &self,
        ctx: &Context<'_>,
        input: SupervisionTransitionInput,
    ) -> Result<StartSupervisionItemPayload> {
        Ok(StartSupervisionItemPayload {
            supervision_item: make_move(ctx, input, Move::Start).await?,
        })
    }

    /// IN_PROGRESS -> PENDING_REVIEW: the lead organization submits for review.
    async fn submit_supervision_item(
        &self,
        ctx: &Context<'_>,
        input: SupervisionTransitionInput,
    ) -> Result<SubmitSupervisionItemPayload> {
        Ok(SubmitSupervisionItemPayload {
            supervision_item: make_move(ctx, input, Move::Submit).await?,
        })
    }

    /// PENDING_REVIEW -> IN_PROGRESS: the supervisor sends it back, with a note.
    async fn reject_supervision_item(
        &self,
        ctx: &Context<'_>,
        input: SupervisionTransitionInput,
    ) -> Result<RejectSupervisionItemPayload> {
        Ok(RejectSupervisionItemPayload {
            supervision_item: make_move(ctx, input, Move::Reject).await?,
        })
    }

    /// PENDING_REVIEW -> CLOSED: the supervisor accepts the submission.
    async fn close_supervision_item(
        &self,
        ctx: &Context<'_>,
        input: SupervisionTransitionInput,
    ) -> Result<CloseSupervisionItemPayload> {
        Ok(CloseSupervisionItemPayload {
            supervision_item: make_move(ctx, input, Move::Close).await?,
        })
    }

    /// CLOSED -> REOPENED, with a note.
    async fn reopen_supervision_item(
        &self,
        ctx: &Context<'_>,
        input: SupervisionTransitionInput,
    ) -> Result<ReopenSupervisionItemPayload> {
        Ok(ReopenSupervisionItemPayload {
            supervision_item: make_move(ctx, input, Move::Reopen).await?,
        })
    }

    /// Any open state -> CANCELLED, with a note.
    async fn cancel_supervision_item(
        &self,
        ctx: &Context<'_>,
        input: SupervisionTransitionInput,
    ) -> Result<CancelSupervisionItemPayload> {
        Ok(CancelSupervisionItemPayload {
            supervision_item: make_move(ctx, input, Move::Cancel).await?,
        })
    }

    /// A progress report of one responsible organization: the lead's secretary for the lead, a
    /// co-responsible organization's secretary for that organization only.
    async fn report_supervision_progress(
        &self,
        ctx: &Context<'_>,
        input: ReportSupervisionProgressInput,
    ) -> Result<ReportSupervisionProgressPayload> {
        let id = ids::decode_as("id", NodeKind::SupervisionItem, &input.id)?;
        let organization = optional_id(
            "organizationId",
            NodeKind::Organization,
            input.organization_id.as_ref(),
        )?;
        let state = ctx.state()?;
        let item = supervision::report_progress(
            &state.db.write,
            &ctx.actor(),
            &state.events,
            &state.clock,
            id,
            organization,
            input.percent,
            &input.note,
            input.expected_version,
        )
        .await?;
        Ok(ReportSupervisionProgressPayload {
            supervision_item: SupervisionItem(item),
        })
    }

    /// Moves the deadline later, with a reason; `originalDueOn` keeps the first one.
    async fn extend_supervision_deadline(
        &self,
        ctx: &Context<'_>,
        input: ExtendSupervisionDeadlineInput,
    ) -> Result<ExtendSupervisionDeadlinePayload> {
        let id = ids::decode_as("id", NodeKind::SupervisionItem, &input.id)?;
        let state = ctx.state()?;
        let item = supervision::extend(
            &state.db.write,
            &ctx.actor(),
            &state.events,
            &state.clock,
            id,
            input.due_on.0,
            &input.reason,
            input.expected_version,
        )
        .await?;
        Ok(ExtendSupervisionDeadlinePayload {
            supervision_item: SupervisionItem(item),
        })
    }
}

#[derive(InputObject, Default)]
pub struct SupervisionEventFilter {
    pub linkage_group_id: Option<ID>,
    /// Only items this organization leads or co-owns.
    pub organization_id: Option<ID>,
}

/// An item reached a higher rung of the escalation ladder.
#[derive(SimpleObject)]
pub struct DeadlineAlert {
    /// The alert's place in the event stream: pass it as `after` when subscribing again.
    pub position: String,
    pub item: SupervisionItem,
    pub level: EscalationLevel,
    pub at: DateTime,
}

/// The item as the subscriber may read it now, if it is in `group` (when given) and concerns
/// `organization` (when given).
async fn visible_item(
    state: &crate::app::AppState,
    viewer: &crate::authz::Viewer,
    id: Uuid,
    group: Option<Uuid>,
    organization: Option<Uuid>,
) -> Delivery<supervision_item::Model> {
    let scope = viewer.scope("supervision_item", "read");
    if scope.is_empty() {
        return Delivery::End;
    }
    let Some(visible) = supervision::get_many(&state.db.read, &[id], &scope)
        .await
        .ok()
        .and_then(|rows| rows.into_iter().next())
    else {
        return Delivery::Skip;
    };
    if group.is_some_and(|g| g != visible.linkage_group_id) {
        return Delivery::Skip;
    }
    if let Some(org) = organization {
        let Ok(assignments) = supervision::assignments_of(&state.db.read, &[id]).await else {
            return Delivery::Skip;
        };
        if !assignments.iter().any(|a| a.organization_id == org) {
            return Delivery::Skip;
        }
    }
    Delivery::Send(visible)
}

#[derive(Default)]
pub struct SupervisionSubscription;

#[async_graphql::Subscription]
impl SupervisionSubscription {
    /// Timeline entries as they are written, for items the subscriber may read at delivery.
    /// With `after` (a `position` from an earlier entry), the entries since then come first,
    /// then the live ones, each once and in order.
    async fn supervision_item_events(
        &self,
        ctx: &Context<'_>,
        filter: Option<SupervisionEventFilter>,
        after: Option<String>,
    ) -> Result<impl futures_util::Stream<Item = SupervisionEvent> + use<>> {
        ctx.scope("supervision_item", "read")?;
        let source = ctx.viewer_source()?;
        let state = ctx.state()?.clone();
        let filter = filter.unwrap_or_default();
        let group = optional_id(
            "filter.linkageGroupId",
            NodeKind::LinkageGroup,
            filter.linkage_group_id.as_ref(),
        )?;
        let organization = optional_id(
            "filter.organizationId",
            NodeKind::Organization,
            filter.organization_id.as_ref(),
        )?;
        use futures_util::StreamExt;
        let events = events_after(&state, after.as_deref())
            .await?
            .filter_map(|envelope| {
                futures_util::future::ready(match envelope.event {
                    DomainEvent::SupervisionItemChanged { item, event } => {
                        Some((envelope.position, item, event))
                    }
                    _ => None,
                })
            });
        Ok(per_event(
            source,
            events,
            move |viewer, (position, item, event)| {
                let state = state.clone();
                async move {
                    let item = match visible_item(&state, &viewer, item, group, organization).await
                    {
                        Delivery::Send(item) => item,
                        Delivery::Skip => return Delivery::Skip,
                        Delivery::End => return Delivery::End,
                    };
                    use sea_orm::EntityTrait;
                    match supervision_event::Entity::find_by_id(event)
                        .one(&state.db.read)
                        .await
                    {
                        Ok(Some(event)) => Delivery::Send(SupervisionEvent {
                            event,
                            item: Some(item),
                            position: Some(position),
                        }),
                        _ => Delivery::Skip,
                    }
                }
            },
        ))
    }

    /// Items reaching a higher escalation level, for items the subscriber may read at delivery.
    /// With `after` (a `position` from an earlier alert), the alerts since then come first.
    async fn deadline_alerts(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
    ) -> Result<impl futures_util::Stream<Item = DeadlineAlert> + use<>> {
        ctx.scope("supervision_item", "read")?;
        let source = ctx.viewer_source()?;
        let state = ctx.state()?.clone();
        let zone = ctx.timezone();
        use futures_util::StreamExt;
        let events = events_after(&state, after.as_deref())
            .await?
            .filter_map(|envelope| {
                futures_util::future::ready(match envelope.event {
                    DomainEvent::DeadlineAlert { item, level, at } => {
                        Some((envelope.position, item, level, at))
                    }
                    _ => None,
                })
            });
        Ok(per_event(
            source,
            events,
            move |viewer, (position, item, level, at)| {
                let state = state.clone();
                async move {
                    match visible_item(&state, &viewer, item, None, None).await {
                        Delivery::Send(item) => Delivery::Send(DeadlineAlert {
                            position: position.to_string(),
                            item: SupervisionItem(item),
                            level: level.into(),
                            at: DateTime::in_zone(at, zone),
                        }),
                        Delivery::Skip => Delivery::Skip,
                        Delivery::End => Delivery::End,
                    }
                }
            },
        ))
    }
}
