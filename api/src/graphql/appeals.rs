//! Residents' appeals (民情诉求, DESIGN 3.4): `ResidentAppeal` with the resident's personal data
//! masked for readers who are not entitled to it, `residentAppeals`, and the mutations of the
//! loop (record, accept, resolve, reject, feedback) and of escalation to the supervision ledger.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use entities::resident_appeal;
use uuid::Uuid;

use super::{
    context::{ContextExt, Delivery, events_after, per_event},
    ids::{self, NodeKind},
    organizations::Organization,
    people::Person,
    plain::{self, Plain, PlainFields},
    relay::{self, Conn},
    scalars::{Date, DateTime},
    supervision::{Priority, SupervisionItem},
};
use crate::{
    error::AppError,
    services::{
        appeals::{self, AppealFilter, Move, NewAppeal},
        people,
        values::mask_phone,
    },
};

pub use super::appeal_enums::{AppealCategory, AppealEventKind, AppealStatus, Satisfaction};

/// A resident's name for readers who may not see personal data: the first character, then one
/// `*` for every other character (`张**`).
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        None => String::new(),
    }
}

/// An address for readers who may not see personal data: the first six characters, then `****`.
pub fn mask_address(address: &str) -> String {
    let head: String = address.chars().take(6).collect();
    format!("{head}****")
}

/// A resident's appeal (民情诉求) collected on a household visit.
#[derive(Debug, Clone)]
pub struct ResidentAppeal(pub resident_appeal::Model);

impl ResidentAppeal {
    /// An appeal something refers to, as far as the viewer may read it.
    pub async fn load(ctx: &Context<'_>, id: Uuid) -> Result<Option<ResidentAppeal>> {
        Ok(ctx
            .loaders()?
            .resident_appeals
            .load_one(id)
            .await?
            .map(ResidentAppeal))
    }

    /// Administrators and secretaries of the village see the resident's data in full.
    async fn personal_data_visible(&self, ctx: &Context<'_>) -> Result<bool> {
        let scope = people::personal_data_scope(&ctx.actor())?;
        if scope.all || scope.is_empty() {
            return Ok(scope.all);
        }
        Organization::load(ctx, self.0.village_id)
            .await?
            .covered_by(ctx, &scope)
            .await
    }

    async fn personal(
        &self,
        ctx: &Context<'_>,
        value: Option<&String>,
        mask: fn(&str) -> String,
    ) -> Result<Option<String>> {
        let Some(value) = value else {
            return Ok(None);
        };
        Ok(Some(if self.personal_data_visible(ctx).await? {
            value.clone()
        } else {
            mask(value)
        }))
    }
}

impl PlainFields for ResidentAppeal {
    const PLAIN: &'static [&'static str] = &[
        "id",
        "code",
        "content",
        "category",
        "status",
        "grid",
        "receivedOn",
        "dueOn",
        "resolution",
        "rejectionReason",
        "resolvedOn",
    ];

    fn plain_field(&self, name: &str) -> Option<async_graphql::Value> {
        Some(match name {
            "id" => plain::scalar(&ids::encode(NodeKind::ResidentAppeal, self.0.id)),
            "code" => plain::string(&self.0.code),
            "content" => plain::string(&self.0.content),
            "category" => plain::enumerated(AppealCategory::from(self.0.category)),
            "status" => plain::enumerated(AppealStatus::from(self.0.status)),
            "grid" => plain::optional_string(self.0.grid.as_deref()),
            "receivedOn" => plain::scalar(&Date(self.0.received_on)),
            "dueOn" => plain::scalar(&Date(self.0.due_on)),
            "resolution" => plain::optional_string(self.0.resolution.as_deref()),
            "rejectionReason" => plain::optional_string(self.0.rejection_reason.as_deref()),
            "resolvedOn" => plain::optional_scalar(self.0.resolved_on.map(Date).as_ref()),
            _ => return None,
        })
    }
}

#[Object]
impl ResidentAppeal {
    pub async fn id(&self) -> ID {
        ids::encode(NodeKind::ResidentAppeal, self.0.id)
    }

    /// The readable number, unique in the village, e.g. `民情-2026-0007`.
    async fn code(&self) -> &str {
        &self.0.code
    }

    async fn content(&self) -> &str {
        &self.0.content
    }

    async fn category(&self) -> AppealCategory {
        self.0.category.into()
    }

    async fn status(&self) -> AppealStatus {
        self.0.status.into()
    }

    async fn village(&self, ctx: &Context<'_>) -> Result<Plain<Organization>> {
        Organization::load(ctx, self.0.village_id).await.map(Plain)
    }

    async fn grid(&self) -> Option<&str> {
        self.0.grid.as_deref()
    }

    /// Who collected it; null when the viewer may not read the person.
    async fn collector(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        let Some(id) = self.0.collector_id else {
            return Ok(None);
        };
        Ok(ctx.loaders()?.people.load_one(id).await?.map(Person))
    }

    async fn received_on(&self) -> Date {
        Date(self.0.received_on)
    }

    /// The handling time's last day: that many working days after receipt.
    async fn due_on(&self) -> Date {
        Date(self.0.due_on)
    }

    /// Received or accepted, and past its due date today.
    async fn overdue(&self, ctx: &Context<'_>) -> bool {
        appeals::is_overdue(&self.0, ctx.today())
    }

    /// Masked (`张**`) unless the viewer is an administrator or a secretary of the village.
    async fn resident_name(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        self.personal(ctx, self.0.resident_name.as_ref(), mask_name)
            .await
    }

    /// Masked (`138****5678`) unless the viewer is an administrator or a secretary of the
    /// village.
    async fn resident_phone(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        self.personal(ctx, self.0.resident_phone.as_ref(), mask_phone)
            .await
    }

    /// Masked (the first six characters, then `****`) unless the viewer is an administrator or
    /// a secretary of the village.
    async fn address(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        self.personal(ctx, self.0.address.as_ref(), mask_address)
            .await
    }

    async fn resolution(&self) -> Option<&str> {
        self.0.resolution.as_deref()
    }

    async fn rejection_reason(&self) -> Option<&str> {
        self.0.rejection_reason.as_deref()
    }

    async fn resolved_on(&self) -> Option<Date> {
        self.0.resolved_on.map(Date)
    }

    /// The item it was escalated to; null when none, or the viewer may not read it.
    async fn supervision_item(&self, ctx: &Context<'_>) -> Result<Option<SupervisionItem>> {
        match self.0.supervision_item_id {
            Some(id) => SupervisionItem::load(ctx, id).await,
            None => Ok(None),
        }
    }

    /// The resident's latest feedback after resolution.
    async fn feedback(&self) -> Option<AppealFeedback> {
        match (self.0.feedback_satisfaction, self.0.feedback_at) {
            (Some(satisfaction), Some(at)) => Some(AppealFeedback {
                satisfaction: satisfaction.into(),
                comment: self.0.feedback_comment.clone(),
                at,
            }),
            _ => None,
        }
    }

    /// How often the resident's NOT_SATISFIED feedback reopened it.
    async fn reopened_count(&self) -> i32 {
        self.0.reopened_count
    }

    /// Send it back as `expectedVersion` to refuse writes over someone else's change.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

/// What the resident said of the resolution.
pub struct AppealFeedback {
    satisfaction: Satisfaction,
    comment: Option<String>,
    at: chrono::DateTime<chrono::Utc>,
}

#[Object]
impl AppealFeedback {
    async fn satisfaction(&self) -> Satisfaction {
        self.satisfaction
    }

    async fn comment(&self) -> Option<&str> {
        self.comment.as_deref()
    }

    async fn at(&self, ctx: &Context<'_>) -> DateTime {
        DateTime::in_zone(self.at, ctx.timezone())
    }
}

#[derive(InputObject, Default)]
pub struct ResidentAppealFilter {
    pub statuses: Option<Vec<AppealStatus>>,
    pub village_id: Option<ID>,
    #[graphql(default_with = "Some(false)")]
    pub include_sub_organizations: Option<bool>,
    pub category: Option<AppealCategory>,
    pub collector_id: Option<ID>,
    pub overdue: Option<bool>,
    pub received_from: Option<Date>,
    pub received_to: Option<Date>,
    /// In the content or the number.
    pub search: Option<String>,
}

fn optional_id(field: &str, kind: NodeKind, id: Option<&ID>) -> Result<Option<Uuid>, AppError> {
    id.map(|id| ids::decode_as(field, kind, id)).transpose()
}

impl ResidentAppealFilter {
    fn into_service(self) -> Result<AppealFilter, AppError> {
        Ok(AppealFilter {
            statuses: self
                .statuses
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            village_id: optional_id(
                "filter.villageId",
                NodeKind::Organization,
                self.village_id.as_ref(),
            )?,
            include_sub_organizations: self.include_sub_organizations.unwrap_or(false),
            category: self.category.map(Into::into),
            collector_id: optional_id(
                "filter.collectorId",
                NodeKind::Person,
                self.collector_id.as_ref(),
            )?,
            overdue: self.overdue,
            received_from: self.received_from.map(|d| d.0),
            received_to: self.received_to.map(|d| d.0),
            search: self.search,
        })
    }
}

#[derive(Default)]
pub struct AppealQuery;

#[Object]
impl AppealQuery {
    /// Appeals the viewer may read, filtered in SQL, newest first.
    async fn resident_appeals(
        &self,
        ctx: &Context<'_>,
        filter: Option<ResidentAppealFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<Plain<ResidentAppeal>>> {
        let page = relay::page_request(ctx, first, after, last, before)?;
        let filter = filter.unwrap_or_default().into_service()?;
        let rows = appeals::list(
            &ctx.state()?.db.read,
            &ctx.actor(),
            &filter,
            &page,
            ctx.today(),
        )
        .await?;
        Ok(relay::connection(rows, |row| Plain(ResidentAppeal(row))))
    }
}

#[derive(InputObject)]
pub struct RecordResidentAppealInput {
    pub content: String,
    pub category: AppealCategory,
    pub village_id: ID,
    pub grid: Option<String>,
    pub collector_id: Option<ID>,
    pub received_on: Date,
    pub resident_name: Option<String>,
    pub resident_phone: Option<String>,
    pub address: Option<String>,
    #[graphql(default = 15)]
    pub handling_working_days: i32,
}

#[derive(InputObject)]
pub struct AcceptResidentAppealInput {
    pub id: ID,
    pub expected_version: Option<i32>,
}

#[derive(InputObject)]
pub struct ResolveResidentAppealInput {
    pub id: ID,
    pub resolution: String,
    pub expected_version: Option<i32>,
}

#[derive(InputObject)]
pub struct RejectResidentAppealInput {
    pub id: ID,
    pub reason: String,
    pub expected_version: Option<i32>,
}

#[derive(InputObject)]
pub struct EscalateResidentAppealInput {
    pub id: ID,
    pub linkage_group_id: ID,
    pub lead_organization_id: ID,
    pub co_responsible_organization_ids: Option<Vec<ID>>,
    pub due_in_working_days: i32,
    #[graphql(default_with = "Priority::Normal")]
    pub priority: Priority,
}

#[derive(InputObject)]
pub struct RecordAppealFeedbackInput {
    pub id: ID,
    pub satisfaction: Satisfaction,
    pub comment: Option<String>,
}

macro_rules! appeal_payloads {
    ($($name:ident),* $(,)?) => {$(
        #[derive(SimpleObject)]
        pub struct $name {
            pub resident_appeal: ResidentAppeal,
        }
    )*};
}

appeal_payloads!(
    RecordResidentAppealPayload,
    AcceptResidentAppealPayload,
    ResolveResidentAppealPayload,
    RejectResidentAppealPayload,
    RecordAppealFeedbackPayload,
);

#[derive(SimpleObject)]
pub struct EscalateResidentAppealPayload {
    pub resident_appeal: ResidentAppeal,
    pub supervision_item: SupervisionItem,
}

async fn make_move(
    ctx: &Context<'_>,
    id: &ID,
    mv: Move,
    text: Option<String>,
    expected_version: Option<i32>,
) -> Result<ResidentAppeal> {
    let id = ids::decode_as("id", NodeKind::ResidentAppeal, id)?;
    let state = ctx.state()?;
    let appeal = appeals::transition(
        &state.db.write,
        &ctx.actor(),
        &state.events,
        &state.clock,
        id,
        mv,
        text,
        expected_version,
    )
    .await?;
    Ok(ResidentAppeal(appeal))
}

#[derive(Default)]
pub struct AppealMutation;

#[Object]
impl AppealMutation {
    /// Records an appeal collected in a village: first secretaries and secretaries of it.
    async fn record_resident_appeal(
        &self,
        ctx: &Context<'_>,
        input: RecordResidentAppealInput,
    ) -> Result<RecordResidentAppealPayload> {
        let new = NewAppeal {
            content: input.content,
            category: input.category.into(),
            village_id: ids::decode_as("villageId", NodeKind::Organization, &input.village_id)?,
            grid: input.grid,
            collector_id: optional_id(
                "collectorId",
                NodeKind::Person,
                input.collector_id.as_ref(),
            )?,
            received_on: input.received_on.0,
            resident_name: input.resident_name,
            resident_phone: input.resident_phone,
            address: input.address,
            handling_working_days: Some(input.handling_working_days),
        };
        let state = ctx.state()?;
        let appeal = appeals::record(
            &state.db.write,
            &ctx.actor(),
            &state.events,
            &state.clock,
            new,
        )
        .await?;
        Ok(RecordResidentAppealPayload {
            resident_appeal: ResidentAppeal(appeal),
        })
    }

    /// RECEIVED -> ACCEPTED. Secretaries of the village.
    async fn accept_resident_appeal(
        &self,
        ctx: &Context<'_>,
        input: AcceptResidentAppealInput,
    ) -> Result<AcceptResidentAppealPayload> {
        let appeal = make_move(ctx, &input.id, Move::Accept, None, input.expected_version).await?;
        Ok(AcceptResidentAppealPayload {
            resident_appeal: appeal,
        })
    }

    /// ACCEPTED -> RESOLVED, with the resolution. Secretaries of the village.
    async fn resolve_resident_appeal(
        &self,
        ctx: &Context<'_>,
        input: ResolveResidentAppealInput,
    ) -> Result<ResolveResidentAppealPayload> {
        let appeal = make_move(
            ctx,
            &input.id,
            Move::Resolve,
            Some(input.resolution),
            input.expected_version,
        )
        .await?;
        Ok(ResolveResidentAppealPayload {
            resident_appeal: appeal,
        })
    }

    /// RECEIVED or ACCEPTED -> REJECTED, with the reason. Secretaries of the village.
    async fn reject_resident_appeal(
        &self,
        ctx: &Context<'_>,
        input: RejectResidentAppealInput,
    ) -> Result<RejectResidentAppealPayload> {
        let appeal = make_move(
            ctx,
            &input.id,
            Move::Reject,
            Some(input.reason),
            input.expected_version,
        )
        .await?;
        Ok(RejectResidentAppealPayload {
            resident_appeal: appeal,
        })
    }

    /// Turns a received or accepted appeal into a supervision item of a linkage group (source
    /// RESIDENT_APPEAL), linked both ways, in one transaction. Secretaries of the village.
    async fn escalate_resident_appeal(
        &self,
        ctx: &Context<'_>,
        input: EscalateResidentAppealInput,
    ) -> Result<EscalateResidentAppealPayload> {
        let id = ids::decode_as("id", NodeKind::ResidentAppeal, &input.id)?;
        let group = ids::decode_as(
            "linkageGroupId",
            NodeKind::LinkageGroup,
            &input.linkage_group_id,
        )?;
        let lead = ids::decode_as(
            "leadOrganizationId",
            NodeKind::Organization,
            &input.lead_organization_id,
        )?;
        let co = input
            .co_responsible_organization_ids
            .unwrap_or_default()
            .iter()
            .map(|id| ids::decode_as("coResponsibleOrganizationIds", NodeKind::Organization, id))
            .collect::<Result<Vec<_>, _>>()?;
        let state = ctx.state()?;
        let (appeal, item) = appeals::escalate(
            &state.db.write,
            &ctx.actor(),
            &state.events,
            &state.clock,
            id,
            group,
            lead,
            co,
            input.due_in_working_days,
            input.priority.into(),
        )
        .await?;
        Ok(EscalateResidentAppealPayload {
            resident_appeal: ResidentAppeal(appeal),
            supervision_item: SupervisionItem(item),
        })
    }

    /// The resident's feedback on a resolved appeal, as the village's secretary heard it;
    /// NOT_SATISFIED reopens it to ACCEPTED.
    async fn record_appeal_feedback(
        &self,
        ctx: &Context<'_>,
        input: RecordAppealFeedbackInput,
    ) -> Result<RecordAppealFeedbackPayload> {
        let appeal = make_move(
            ctx,
            &input.id,
            Move::Feedback(input.satisfaction.into()),
            input.comment,
            None,
        )
        .await?;
        Ok(RecordAppealFeedbackPayload {
            resident_appeal: appeal,
        })
    }
}

/// An entry of an appeal's timeline, as `residentAppealEvents` delivers it.
#[derive(SimpleObject)]
pub struct ResidentAppealEvent {
    /// The event's place in the stream: pass it as `after` when subscribing again.
    pub position: String,
    pub kind: AppealEventKind,
    pub at: DateTime,
    /// The status before and after, when the entry changed it.
    pub from: Option<AppealStatus>,
    pub to: Option<AppealStatus>,
    /// The appeal as it stands when the event is delivered, as the subscriber may read it
    /// (residents' details masked unless the subscriber may see them in full).
    pub resident_appeal: ResidentAppeal,
}

#[derive(InputObject, Default)]
pub struct ResidentAppealEventFilter {
    /// Only appeals of this village.
    pub village_id: Option<ID>,
}

#[derive(Default)]
pub struct AppealSubscription;

#[async_graphql::Subscription]
impl AppealSubscription {
    /// Appeals as they are recorded and move along, for appeals the subscriber may read at
    /// delivery. With `after` (a `position` from an earlier event), the events since then come
    /// first, then the live ones, each once and in order.
    async fn resident_appeal_events(
        &self,
        ctx: &Context<'_>,
        filter: Option<ResidentAppealEventFilter>,
        after: Option<String>,
    ) -> Result<impl futures_util::Stream<Item = ResidentAppealEvent> + use<>> {
        ctx.scope("resident_appeal", "read")?;
        let source = ctx.viewer_source()?;
        let state = ctx.state()?.clone();
        let zone = ctx.timezone();
        let village = optional_id(
            "filter.villageId",
            NodeKind::Organization,
            filter.unwrap_or_default().village_id.as_ref(),
        )?;
        use futures_util::StreamExt;
        let events = events_after(&state, after.as_deref())
            .await?
            .filter_map(|envelope| {
                futures_util::future::ready(match envelope.event {
                    crate::events::DomainEvent::ResidentAppealChanged { appeal, event } => {
                        Some((envelope.position, appeal, event))
                    }
                    _ => None,
                })
            });
        Ok(per_event(
            source,
            events,
            move |viewer, (position, appeal, event)| {
                let state = state.clone();
                async move {
                    let scope = viewer.scope("resident_appeal", "read");
                    if scope.is_empty() {
                        return Delivery::End;
                    }
                    let Ok(Some((appeal, event))) =
                        appeals::event_as_read(&state.db.read, &scope, appeal, event).await
                    else {
                        return Delivery::Skip;
                    };
                    if village.is_some_and(|v| v != appeal.village_id) {
                        return Delivery::Skip;
                    }
                    Delivery::Send(ResidentAppealEvent {
                        position: position.to_string(),
                        kind: event.kind.into(),
                        at: DateTime::in_zone(event.at, zone),
                        from: event.from_status.map(Into::into),
                        to: event.to_status.map(Into::into),
                        resident_appeal: ResidentAppeal(appeal),
                    })
                }
            },
        ))
    }
}
