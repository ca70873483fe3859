//! The schema: every domain's Query, Mutation and Subscription parts merged, with the limits.

use async_graphql::{MergedObject, MergedSubscription, Schema};

use super::{
    accounts::{AccountMutation, AccountQuery},
    activities::{ActivityMutation, ActivityQuery, ActivitySubscription},
    areas::{AreaMutation, AreaQuery, AreaSubscription},
    audit::AuditQuery,
    calendar::CalendarMutation,
    errors::ErrorCodes,
    guard::SignInGuard,
    input_errors::InputErrors,
    limits::{DocumentLimits, QueryLimits},
    linkage_groups::{LinkageGroupMutation, LinkageGroupQuery},
    node::NodeQuery,
    organizations::{OrganizationMutation, OrganizationQuery},
    people::{PersonMutation, PersonQuery},
    scalars::Date,
};
use crate::app::AppState;

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
);

#[derive(MergedSubscription, Default)]
#[graphql(name = "Subscription")]
pub struct SubscriptionRoot(AreaSubscription, ActivitySubscription);

pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// Builds the schema; `state` is `None` only for exporting the SDL.
pub fn build_schema(state: Option<AppState>) -> AppSchema {
    let limits = state
        .as_ref()
        .map(|s| s.config.server.clone())
        .unwrap_or_default();
    let mut builder = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    )
    // `Date` is part of the contract before any field uses it, so clients can generate it.
    .register_input_type::<Date>()
    .limit_depth(limits.max_query_depth)
    .extension(ErrorCodes)
    .extension(SignInGuard)
    .extension(InputErrors)
    .extension(DocumentLimits::new(QueryLimits::from_config(&limits)));
    if let Some(state) = state {
        builder = builder.data(state);
    }
    builder.finish()
}
