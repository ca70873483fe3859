//! The schema: every domain's Query, Mutation and Subscription parts merged, with the limits.

use async_graphql::{MergedObject, MergedSubscription, Schema};

use super::{
    accounts::{AccountMutation, AccountQuery},
    activities::{ActivityMutation, ActivityQuery, ActivitySubscription},
    appeals::{AppealMutation, AppealQuery, AppealSubscription},
    areas::{AreaMutation, AreaQuery, AreaSubscription},
    audit::AuditQuery,
    calendar::CalendarMutation,
    first_secretaries::{FirstSecretaryMutation, FirstSecretaryQuery},
    linkage_groups::{LinkageGroupMutation, LinkageGroupQuery},
    mentoring::{MentoringMutation, MentoringQuery},
    node::NodeQuery,
    organizations::{OrganizationMutation, OrganizationQuery},
    people::{PersonMutation, PersonQuery},
    rounds::{RoundMutation, RoundQuery},
    scalars::Date,
    statistics::StatisticsQuery,
    supervision::{SupervisionMutation, SupervisionQuery, SupervisionSubscription},
    workdays::WorkdayQuery,
};
use crate::{app::AppState, config::ServerConfig};

#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    NodeQuery,
    AccountQuery,
    ActivityQuery,
    AuditQuery,
    AreaQuery,
    OrganizationQuery,
    LinkageGroupQuery,
    PersonQuery,
    SupervisionQuery,
    WorkdayQuery,
    StatisticsQuery,
    RoundQuery,
    FirstSecretaryQuery,
    MentoringQuery,
    AppealQuery,
);

#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    AccountMutation,
    ActivityMutation,
    AreaMutation,
    CalendarMutation,
    OrganizationMutation,
    LinkageGroupMutation,
    PersonMutation,
    SupervisionMutation,
    RoundMutation,
    FirstSecretaryMutation,
    MentoringMutation,
    AppealMutation,
);

#[derive(MergedSubscription, Default)]
#[graphql(name = "Subscription")]
pub struct SubscriptionRoot(
    AreaSubscription,
    ActivitySubscription,
    SupervisionSubscription,
    AppealSubscription,
);

pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// Builds the schema; `state` is `None` only for printing the SDL. Only the gate
/// ([`Api`](super::gate::Api)) runs operations on it; it carries no extensions, so a field
/// costs only its resolver.
pub(super) fn build_schema(state: Option<&AppState>) -> AppSchema {
    let max_depth = state
        .map(|s| s.config.server.max_query_depth)
        .unwrap_or(ServerConfig::default().max_query_depth);
    let mut builder = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    )
    // `Date` is part of the contract before any field uses it, so clients can generate it.
    .register_input_type::<Date>()
    .limit_depth(max_depth);
    if let Some(state) = state {
        builder = builder.data(state.clone());
    }
    builder.finish()
}
