//! Supervision rounds (督办周期): `SupervisionRound` with its items, reviews and frozen snapshot,
//! `supervisionRounds`, and the open / review / close mutations.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use entities::{supervision_review, supervision_round};
use uuid::Uuid;

use super::{
    accounts::User,
    context::ContextExt,
    ids::{self, NodeKind},
    linkage_groups::LinkageGroup,
    loaders::{PageKey, page_needs},
    organizations::Organization,
    plain::Plain,
    relay::{self, Conn},
    scalars::{Date, DateTime},
    supervision::SupervisionItem,
};
use crate::{
    error::AppError,
    services::{
        pagination::{Page, PageNeeds},
        supervision::rounds::{self, OrganizationFigures, Snapshot},
    },
};

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entities::enums::RoundStatus")]
pub enum RoundStatus {
    Open,
    Closed,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entities::enums::ReviewVerdict")]
pub enum ReviewVerdict {
    OnTrack,
    AtRisk,
    OffTrack,
}

/// One cadence period (督办周期) of a linkage group: the items it lists, the supervisors'
/// reviews, and once closed the figures frozen on closing day.
#[derive(Debug, Clone)]
pub struct SupervisionRound(pub supervision_round::Model);

#[Object]
impl SupervisionRound {
    pub async fn id(&self) -> ID {
        ids::encode(NodeKind::SupervisionRound, self.0.id)
    }

    async fn linkage_group(&self, ctx: &Context<'_>) -> Result<LinkageGroup> {
        // Whoever may read a round holds a grant on its group.
        ctx.loaders()?
            .grant_groups
            .load_one(self.0.linkage_group_id)
            .await?
            .map(LinkageGroup)
            .ok_or_else(|| AppError::internal("round of a missing linkage group").into())
    }

    /// Numbered from 1: round n starts cadenceStartsOn + (n - 1) × cadenceDays.
    async fn number(&self) -> i32 {
        self.0.number
    }

    async fn starts_on(&self) -> Date {
        Date(self.0.starts_on)
    }

    /// The last day of the period, included.
    async fn ends_on(&self) -> Date {
        Date(self.0.ends_on)
    }

    async fn status(&self) -> RoundStatus {
        self.0.status.into()
    }

    async fn opened_at(&self, ctx: &Context<'_>) -> DateTime {
        DateTime::in_zone(self.0.opened_at, ctx.timezone())
    }

    async fn closed_at(&self, ctx: &Context<'_>) -> Option<DateTime> {
        self.0
            .closed_at
            .map(|t| DateTime::in_zone(t, ctx.timezone()))
    }

    /// The items open in the group when the round opened and those opened while it was open,
    /// in the order they were opened.
    async fn items(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<Plain<SupervisionItem>>> {
        let page = relay::page_request(ctx, first, after, last, before)?;
        let needs = page_needs(ctx);
        let rows = if needs == PageNeeds::Total && !page.counts() {
            None
        } else {
            ctx.loaders()?
                .round_items
                .load_one(PageKey {
                    parent: self.0.id,
                    page,
                    needs,
                })
                .await?
        };
        let rows = rows.unwrap_or(Page {
            rows: Vec::new(),
            has_previous: false,
            has_next: false,
            total: Some(0),
        });
        Ok(relay::connection(rows, |row| Plain(SupervisionItem(row))))
    }

    /// One review per item, the latest verdict of each.
    async fn reviews(&self, ctx: &Context<'_>) -> Result<Vec<RoundReview>> {
        Ok(ctx
            .loaders()?
            .round_reviews
            .load_one(self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(RoundReview)
            .collect())
    }

    /// Null while the round is open; once closed, the figures as they stood on closing day,
    /// never computed again.
    async fn snapshot(&self) -> Result<Option<RoundSnapshot>> {
        Ok(rounds::snapshot_of(&self.0)?.map(RoundSnapshot))
    }
}

/// A supervisor's verdict on one item in one round.
#[derive(Debug, Clone)]
pub struct RoundReview(pub supervision_review::Model);

#[Object]
impl RoundReview {
    async fn item(&self, ctx: &Context<'_>) -> Result<SupervisionItem> {
        SupervisionItem::load(ctx, self.0.item_id)
            .await?
            .ok_or_else(|| AppError::NotFound("supervision item").into())
    }

    async fn verdict(&self) -> ReviewVerdict {
        self.0.verdict.into()
    }

    async fn comment(&self) -> Option<&str> {
        self.0.comment.as_deref()
    }

    /// Null when the viewer may not see the account.
    async fn reviewer(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(id) = self.0.reviewer_id else {
            return Ok(None);
        };
        Ok(ctx.loaders()?.users.load_one(id).await?.map(User))
    }

    /// When the verdict was last given.
    async fn at(&self, ctx: &Context<'_>) -> DateTime {
        DateTime::in_zone(self.0.at, ctx.timezone())
    }
}

/// The figures of a round, frozen when it closed.
pub struct RoundSnapshot(Snapshot);

#[Object]
impl RoundSnapshot {
    async fn taken_at(&self, ctx: &Context<'_>) -> DateTime {
        DateTime::in_zone(self.0.taken_at, ctx.timezone())
    }

    /// Items opened within the round's period.
    async fn opened(&self) -> i32 {
        self.0.opened
    }

    /// Items closed within the round's period.
    async fn closed(&self) -> i32 {
        self.0.closed
    }

    /// Of the items closed within the period, those closed on time.
    async fn closed_on_time(&self) -> i32 {
        self.0.closed_on_time
    }

    /// Items overdue on closing day.
    async fn overdue(&self) -> i32 {
        self.0.overdue
    }

    /// Items at SUPERVISE or REPORT on closing day.
    async fn escalated(&self) -> i32 {
        self.0.escalated
    }

    /// Items still open on closing day.
    async fn carried_over(&self) -> i32 {
        self.0.carried_over
    }

    /// Per lead organization with at least one non-zero figure.
    async fn by_organization(&self) -> Vec<RoundOrganizationFigures> {
        self.0
            .by_organization
            .iter()
            .cloned()
            .map(RoundOrganizationFigures)
            .collect()
    }
}

/// One lead organization's figures in a round's snapshot.
pub struct RoundOrganizationFigures(OrganizationFigures);

#[Object]
impl RoundOrganizationFigures {
    async fn organization(&self, ctx: &Context<'_>) -> Result<Plain<Organization>> {
        Organization::load(ctx, self.0.organization_id)
            .await
            .map(Plain)
    }

    /// Items it leads that were open on closing day.
    async fn open(&self) -> i32 {
        self.0.open
    }

    /// Items it leads closed within the period.
    async fn closed(&self) -> i32 {
        self.0.closed
    }

    /// Items it leads overdue on closing day.
    async fn overdue(&self) -> i32 {
        self.0.overdue
    }
}

#[derive(Default)]
pub struct RoundQuery;

#[Object]
impl RoundQuery {
    /// The rounds of a linkage group, newest first. Empty unless the viewer holds a grant on
    /// the group itself (committee staff, supervisors) or is an administrator.
    async fn supervision_rounds(
        &self,
        ctx: &Context<'_>,
        linkage_group_id: ID,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<SupervisionRound>> {
        let group = ids::decode_as("linkageGroupId", NodeKind::LinkageGroup, &linkage_group_id)?;
        let page = relay::page_request(ctx, first, after, last, before)?;
        let rows = rounds::list(&ctx.state()?.db.read, &ctx.actor(), group, &page).await?;
        Ok(relay::connection(rows, SupervisionRound))
    }
}

#[derive(InputObject)]
pub struct OpenSupervisionRoundInput {
    pub linkage_group_id: ID,
}

#[derive(InputObject)]
pub struct ReviewSupervisionItemInput {
    pub round_id: ID,
    pub item_id: ID,
    pub verdict: ReviewVerdict,
    pub comment: Option<String>,
}

#[derive(InputObject)]
pub struct CloseSupervisionRoundInput {
    pub id: ID,
}

#[derive(SimpleObject)]
pub struct OpenSupervisionRoundPayload {
    pub supervision_round: SupervisionRound,
}

#[derive(SimpleObject)]
pub struct ReviewSupervisionItemPayload {
    pub supervision_round: SupervisionRound,
    pub review: RoundReview,
}

#[derive(SimpleObject)]
pub struct CloseSupervisionRoundPayload {
    pub supervision_round: SupervisionRound,
}

fn round_id(field: &str, id: &ID) -> Result<Uuid, AppError> {
    ids::decode_as(field, NodeKind::SupervisionRound, id)
}

#[derive(Default)]
pub struct RoundMutation;

#[Object]
impl RoundMutation {
    /// Opens the group's round whose period contains today, listing every open item of the
    /// group. Supervisors of the group.
    async fn open_supervision_round(
        &self,
        ctx: &Context<'_>,
        input: OpenSupervisionRoundInput,
    ) -> Result<OpenSupervisionRoundPayload> {
        let group = ids::decode_as(
            "linkageGroupId",
            NodeKind::LinkageGroup,
            &input.linkage_group_id,
        )?;
        let state = ctx.state()?;
        let round = rounds::open(
            &state.db.write,
            &ctx.actor(),
            &state.events,
            &state.clock,
            group,
        )
        .await?;
        Ok(OpenSupervisionRoundPayload {
            supervision_round: SupervisionRound(round),
        })
    }

    /// Gives (or replaces) the verdict on one item of an open round. Supervisors of the group.
    async fn review_supervision_item(
        &self,
        ctx: &Context<'_>,
        input: ReviewSupervisionItemInput,
    ) -> Result<ReviewSupervisionItemPayload> {
        let round = round_id("roundId", &input.round_id)?;
        let item = ids::decode_as("itemId", NodeKind::SupervisionItem, &input.item_id)?;
        let state = ctx.state()?;
        let (round, review) = rounds::review(
            &state.db.write,
            &ctx.actor(),
            &state.events,
            &state.clock,
            round,
            item,
            input.verdict.into(),
            input.comment,
        )
        .await?;
        Ok(ReviewSupervisionItemPayload {
            supervision_round: SupervisionRound(round),
            review: RoundReview(review),
        })
    }

    /// OPEN -> CLOSED, freezing the round's snapshot. Supervisors of the group.
    async fn close_supervision_round(
        &self,
        ctx: &Context<'_>,
        input: CloseSupervisionRoundInput,
    ) -> Result<CloseSupervisionRoundPayload> {
        let id = round_id("id", &input.id)?;
        let state = ctx.state()?;
        let round = rounds::close(
            &state.db.write,
            &ctx.actor(),
            &state.events,
            &state.clock,
            id,
        )
        .await?;
        Ok(CloseSupervisionRoundPayload {
            supervision_round: SupervisionRound(round),
        })
    }
}
