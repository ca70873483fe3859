//! Linkage groups (联建组): the `LinkageGroup` type with its members, queries and mutations.

use async_graphql::{
    Context, ID, InputObject, Object, Result, SimpleObject,
    connection::{Connection, EmptyFields},
};
use entities::{linkage_group, linkage_group_member};

use super::{
    context::ContextExt,
    enums::LinkageRole,
    ids::{self, NodeKind},
    loaders::load_selected_page,
    organizations::Organization,
    plain::Plain,
    relay::{self, Conn, ConnectionTotals},
    scalars::{Date, DateTime},
};
use crate::{
    error::AppError,
    services::linkage_groups::{self, NewLinkageGroup},
};

/// A joint committee of organizations (联建组).
#[derive(Debug, Clone)]
pub struct LinkageGroup(pub linkage_group::Model);

/// An organization's membership in a linkage group; former members keep their dates.
#[derive(Debug, Clone)]
pub struct LinkageGroupMember(pub linkage_group_member::Model);

#[Object]
impl LinkageGroupMember {
    async fn organization(&self, ctx: &Context<'_>) -> Result<Plain<Organization>> {
        Organization::load(ctx, self.0.organization_id)
            .await
            .map(Plain)
    }

    async fn role(&self) -> LinkageRole {
        self.0.role.into()
    }

    async fn joined_on(&self) -> Date {
        Date(self.0.joined_on)
    }

    async fn left_on(&self) -> Option<Date> {
        self.0.left_on.map(Date)
    }
}

pub type MemberConnection = Connection<String, LinkageGroupMember, ConnectionTotals, EmptyFields>;

#[Object]
impl LinkageGroup {
    pub async fn id(&self) -> ID {
        ids::encode(NodeKind::LinkageGroup, self.0.id)
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    async fn lead_organization(&self, ctx: &Context<'_>) -> Result<Plain<Organization>> {
        Organization::load(ctx, self.0.lead_organization_id)
            .await
            .map(Plain)
    }

    /// Members in joining order; former members too when `includeFormer`.
    #[allow(clippy::too_many_arguments)]
    async fn members(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Some(false)")] include_former: Option<bool>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<MemberConnection> {
        let page = relay::page_request(ctx, first, after, last, before)?;
        let loaders = ctx.loaders()?;
        let loader = if include_former.unwrap_or(false) {
            &loaders.all_members
        } else {
            &loaders.current_members
        };
        let rows = load_selected_page(ctx, loader, self.0.id, page).await?;
        Ok(relay::connection(rows, LinkageGroupMember))
    }

    /// Length of one supervision cadence (督办周期) in days.
    async fn cadence_days(&self) -> i32 {
        self.0.cadence_days
    }

    async fn cadence_starts_on(&self) -> Date {
        Date(self.0.cadence_starts_on)
    }

    /// The group's supervision rounds, newest first (as `supervisionRounds(linkageGroupId:)`):
    /// empty unless the viewer holds a grant on the group itself or is an administrator.
    async fn supervision_rounds(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<super::rounds::SupervisionRound>> {
        let page = relay::page_request(ctx, first, after, last, before)?;
        let rows = crate::services::supervision::rounds::list(
            &ctx.state()?.db.read,
            &ctx.actor(),
            self.0.id,
            &page,
        )
        .await?;
        Ok(relay::connection(rows, super::rounds::SupervisionRound))
    }

    /// The group's figures from `from` to `to`, as `statistics(linkageGroupId:, from:, to:)`: for
    /// committee staff and supervisors of the group and administrators.
    async fn statistics(
        &self,
        ctx: &Context<'_>,
        from: Date,
        to: Date,
    ) -> Result<super::statistics::Statistics> {
        let state = ctx.state()?;
        let figures = crate::services::statistics::of_group(
            &state.db.read,
            &ctx.actor(),
            &state.clock,
            self.0.id,
            from.0,
            to.0,
        )
        .await?;
        Ok(super::statistics::Statistics(figures))
    }

    /// The group's supervision ledger, as far as the viewer may read it.
    #[allow(clippy::too_many_arguments)]
    async fn supervision_items(
        &self,
        ctx: &Context<'_>,
        filter: Option<super::supervision::SupervisionItemFilter>,
        #[graphql(default)] order_by: super::supervision::SupervisionItemOrder,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<Plain<super::supervision::SupervisionItem>>> {
        let page = relay::page_request(ctx, first, after, last, before)?;
        let mut filter = filter.unwrap_or_default().into_service()?;
        filter.linkage_group_id = Some(self.0.id);
        super::supervision::item_page(ctx, filter, order_by, page).await
    }

    async fn created_at(&self, ctx: &Context<'_>) -> DateTime {
        DateTime::in_zone(self.0.created_at, ctx.timezone())
    }
}

#[derive(Default)]
pub struct LinkageGroupQuery;

#[Object]
impl LinkageGroupQuery {
    /// Linkage groups by name.
    async fn linkage_groups(
        &self,
        ctx: &Context<'_>,
        search: Option<String>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<LinkageGroup>> {
        let page = relay::page_request(ctx, first, after, last, before)?;
        let rows = linkage_groups::list(
            &ctx.state()?.db.read,
            &ctx.actor(),
            search.as_deref(),
            &page,
        )
        .await?;
        Ok(relay::connection(rows, LinkageGroup))
    }

    async fn linkage_group(&self, ctx: &Context<'_>, id: ID) -> Result<LinkageGroup> {
        let id = ids::decode_as("id", NodeKind::LinkageGroup, &id)?;
        ctx.loaders()?
            .linkage_groups
            .load_one(id)
            .await?
            .map(LinkageGroup)
            .ok_or_else(|| AppError::NotFound("linkage group").into())
    }
}

#[derive(InputObject, Debug)]
pub struct CreateLinkageGroupInput {
    pub name: String,
    pub description: Option<String>,
    pub lead_organization_id: ID,
    pub member_organization_ids: Vec<ID>,
    #[graphql(default = 14)]
    pub cadence_days: i32,
    /// Today when absent.
    pub cadence_starts_on: Option<Date>,
}

#[derive(InputObject, Debug)]
pub struct AddLinkageGroupMemberInput {
    pub linkage_group_id: ID,
    pub organization_id: ID,
    /// Today when absent.
    pub joined_on: Option<Date>,
}

#[derive(InputObject, Debug)]
pub struct RemoveLinkageGroupMemberInput {
    pub linkage_group_id: ID,
    pub organization_id: ID,
    /// Today when absent.
    pub left_on: Option<Date>,
}

#[derive(SimpleObject, Debug)]
pub struct CreateLinkageGroupPayload {
    pub linkage_group: LinkageGroup,
}

#[derive(SimpleObject, Debug)]
pub struct AddLinkageGroupMemberPayload {
    pub linkage_group: LinkageGroup,
}

#[derive(SimpleObject, Debug)]
pub struct RemoveLinkageGroupMemberPayload {
    pub linkage_group: LinkageGroup,
}

#[derive(Default)]
pub struct LinkageGroupMutation;

#[Object]
impl LinkageGroupMutation {
    async fn create_linkage_group(
        &self,
        ctx: &Context<'_>,
        input: CreateLinkageGroupInput,
    ) -> Result<CreateLinkageGroupPayload> {
        let new = NewLinkageGroup {
            name: input.name,
            description: input.description,
            lead_organization_id: ids::decode_as(
                "leadOrganizationId",
                NodeKind::Organization,
                &input.lead_organization_id,
            )?,
            member_organization_ids: input
                .member_organization_ids
                .iter()
                .map(|id| ids::decode_as("memberOrganizationIds", NodeKind::Organization, id))
                .collect::<Result<_, _>>()?,
            cadence_days: Some(input.cadence_days),
            cadence_starts_on: input.cadence_starts_on.map(|d| d.0),
        };
        let group =
            linkage_groups::create(&ctx.state()?.db.write, &ctx.actor(), new, ctx.today()).await?;
        Ok(CreateLinkageGroupPayload {
            linkage_group: LinkageGroup(group),
        })
    }

    async fn add_linkage_group_member(
        &self,
        ctx: &Context<'_>,
        input: AddLinkageGroupMemberInput,
    ) -> Result<AddLinkageGroupMemberPayload> {
        let group = ids::decode_as(
            "linkageGroupId",
            NodeKind::LinkageGroup,
            &input.linkage_group_id,
        )?;
        let org = ids::decode_as(
            "organizationId",
            NodeKind::Organization,
            &input.organization_id,
        )?;
        let joined_on = input.joined_on.map_or_else(|| ctx.today(), |d| d.0);
        let group =
            linkage_groups::add_member(&ctx.state()?.db.write, &ctx.actor(), group, org, joined_on)
                .await?;
        Ok(AddLinkageGroupMemberPayload {
            linkage_group: LinkageGroup(group),
        })
    }

    /// Ends a membership; the organization stays in the group's history.
    async fn remove_linkage_group_member(
        &self,
        ctx: &Context<'_>,
        input: RemoveLinkageGroupMemberInput,
    ) -> Result<RemoveLinkageGroupMemberPayload> {
        let group = ids::decode_as(
            "linkageGroupId",
            NodeKind::LinkageGroup,
            &input.linkage_group_id,
        )?;
        let org = ids::decode_as(
            "organizationId",
            NodeKind::Organization,
            &input.organization_id,
        )?;
        let left_on = input.left_on.map_or_else(|| ctx.today(), |d| d.0);
        let group = linkage_groups::remove_member(
            &ctx.state()?.db.write,
            &ctx.actor(),
            group,
            org,
            left_on,
        )
        .await?;
        Ok(RemoveLinkageGroupMemberPayload {
            linkage_group: LinkageGroup(group),
        })
    }
}
