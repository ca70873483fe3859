//! First secretaries (DESIGN 3.3): `FirstSecretaryAssignment`, `firstSecretaryAssignments`,
//! `assignFirstSecretary` and `endFirstSecretaryAssignment`.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use entities::first_secretary_assignment as posting;

use super::{
    context::ContextExt,
    ids::{self, NodeKind},
    organizations::Organization,
    people::Person,
    plain::Plain,
    relay::{self, Conn},
    scalars::{Date, DateTime},
};
use crate::{
    error::AppError,
    services::first_secretaries::{self, NewPosting, PostingFilter},
};

/// A person posted as first secretary (第一书记) to a village or community, from `startsOn` to
/// `endsOn` (both included; open-ended while null).
#[derive(Debug, Clone)]
pub struct FirstSecretaryAssignment(pub posting::Model);

#[Object]
impl FirstSecretaryAssignment {
    pub async fn id(&self) -> ID {
        ids::encode(NodeKind::FirstSecretaryAssignment, self.0.id)
    }

    /// Whoever may read the posting may read who holds it.
    async fn person(&self, ctx: &Context<'_>) -> Result<Person> {
        ctx.loaders()?
            .posted_people
            .load_one(self.0.person_id)
            .await?
            .map(Person)
            .ok_or_else(|| AppError::internal("posting of a missing person").into())
    }

    async fn organization(&self, ctx: &Context<'_>) -> Result<Plain<Organization>> {
        Organization::load(ctx, self.0.organization_id)
            .await
            .map(Plain)
    }

    async fn starts_on(&self) -> Date {
        Date(self.0.starts_on)
    }

    /// The last day of the posting; null while open-ended.
    async fn ends_on(&self) -> Option<Date> {
        self.0.ends_on.map(Date)
    }

    /// Whether today lies within `startsOn` and `endsOn`: while it does, the person's account
    /// holds the FIRST_SECRETARY role on the organization.
    async fn active(&self, ctx: &Context<'_>) -> bool {
        first_secretaries::active_on(&self.0, ctx.today())
    }

    /// The dispatching unit, as written.
    async fn dispatched_by(&self) -> Option<&str> {
        self.0.dispatched_by.as_deref()
    }

    /// Send it back as `expectedVersion` to refuse writes over someone else's change.
    async fn version(&self) -> i32 {
        self.0.version
    }

    async fn created_at(&self, ctx: &Context<'_>) -> DateTime {
        DateTime::in_zone(self.0.created_at, ctx.timezone())
    }

    async fn updated_at(&self, ctx: &Context<'_>) -> DateTime {
        DateTime::in_zone(self.0.updated_at, ctx.timezone())
    }
}

#[derive(InputObject, Default)]
pub struct FirstSecretaryAssignmentFilter {
    pub organization_id: Option<ID>,
    #[graphql(default_with = "Some(false)")]
    pub include_sub_organizations: Option<bool>,
    /// Postings active on this day.
    pub active_on: Option<Date>,
    /// Postings to organizations flagged (or not) as key villages.
    pub key_village: Option<bool>,
    /// Postings to organizations flagged (or not) as remote.
    pub remote: Option<bool>,
}

impl FirstSecretaryAssignmentFilter {
    fn into_service(self) -> Result<PostingFilter, AppError> {
        Ok(PostingFilter {
            organization_id: self
                .organization_id
                .as_ref()
                .map(|id| ids::decode_as("filter.organizationId", NodeKind::Organization, id))
                .transpose()?,
            include_sub_organizations: self.include_sub_organizations.unwrap_or(false),
            active_on: self.active_on.map(|d| d.0),
            key_village: self.key_village,
            remote: self.remote,
        })
    }
}

#[derive(Default)]
pub struct FirstSecretaryQuery;

#[Object]
impl FirstSecretaryQuery {
    /// Postings the viewer may read (those of organizations in its grants), earliest start
    /// first.
    async fn first_secretary_assignments(
        &self,
        ctx: &Context<'_>,
        filter: Option<FirstSecretaryAssignmentFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<FirstSecretaryAssignment>> {
        let page = relay::page_request(ctx, first, after, last, before)?;
        let filter = filter.unwrap_or_default().into_service()?;
        let rows =
            first_secretaries::list(&ctx.state()?.db.read, &ctx.actor(), &filter, &page).await?;
        Ok(relay::connection(rows, FirstSecretaryAssignment))
    }
}

#[derive(InputObject)]
pub struct AssignFirstSecretaryInput {
    pub person_id: ID,
    /// A VILLAGE or COMMUNITY organization.
    pub organization_id: ID,
    pub starts_on: Date,
    /// The last day, when known from the start; open-ended otherwise.
    pub ends_on: Option<Date>,
    /// The dispatching unit.
    pub dispatched_by: Option<String>,
}

#[derive(InputObject)]
pub struct EndFirstSecretaryAssignmentInput {
    pub id: ID,
    /// The last day of the posting, on or after its start.
    pub ends_on: Date,
    pub expected_version: Option<i32>,
}

#[derive(SimpleObject)]
pub struct AssignFirstSecretaryPayload {
    pub first_secretary_assignment: FirstSecretaryAssignment,
}

#[derive(SimpleObject)]
pub struct EndFirstSecretaryAssignmentPayload {
    pub first_secretary_assignment: FirstSecretaryAssignment,
}

#[derive(Default)]
pub struct FirstSecretaryMutation;

#[Object]
impl FirstSecretaryMutation {
    /// Posts a person as first secretary: administrators and secretaries of the organization's
    /// subtree. The person holds the FIRST_SECRETARY position for the dates, and its account
    /// the FIRST_SECRETARY role on the organization while the posting is active.
    async fn assign_first_secretary(
        &self,
        ctx: &Context<'_>,
        input: AssignFirstSecretaryInput,
    ) -> Result<AssignFirstSecretaryPayload> {
        let new = NewPosting {
            person_id: ids::decode_as("personId", NodeKind::Person, &input.person_id)?,
            organization_id: ids::decode_as(
                "organizationId",
                NodeKind::Organization,
                &input.organization_id,
            )?,
            starts_on: input.starts_on.0,
            ends_on: input.ends_on.map(|d| d.0),
            dispatched_by: input.dispatched_by,
        };
        let state = ctx.state()?;
        let created =
            first_secretaries::assign(&state.db.write, &ctx.actor(), &state.clock, new).await?;
        Ok(AssignFirstSecretaryPayload {
            first_secretary_assignment: FirstSecretaryAssignment(created),
        })
    }

    /// Sets the last day of a posting (and of its position); the role ends after that day.
    async fn end_first_secretary_assignment(
        &self,
        ctx: &Context<'_>,
        input: EndFirstSecretaryAssignmentInput,
    ) -> Result<EndFirstSecretaryAssignmentPayload> {
        let id = ids::decode_as("id", NodeKind::FirstSecretaryAssignment, &input.id)?;
        let state = ctx.state()?;
        let ended = first_secretaries::end(
            &state.db.write,
            &ctx.actor(),
            &state.clock,
            id,
            input.ends_on.0,
            input.expected_version,
        )
        .await?;
        Ok(EndFirstSecretaryAssignmentPayload {
            first_secretary_assignment: FirstSecretaryAssignment(ended),
        })
    }
}
