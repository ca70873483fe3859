//! The audit log: every mutation's entry, for administrators.

use async_graphql::{Context, ID, InputObject, Json, Object, Result};
use entities::audit_entry;

use super::{
    accounts::User,
    context::ContextExt,
    ids::{self, NodeKind},
    relay::{self, Conn},
    scalars::DateTime,
};
use crate::services::audit::{self, AuditFilter as ServiceFilter};

/// One mutation: who did what to which object, with the object before and after.
#[derive(Clone)]
pub struct AuditEntry(pub audit_entry::Model);

#[Object]
impl AuditEntry {
    pub async fn id(&self) -> ID {
        ids::encode(NodeKind::AuditEntry, self.0.id)
    }

    /// The mutation, e.g. `createOrganization`.
    async fn action(&self) -> &str {
        &self.0.action
    }

    async fn actor(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(id) = self.0.actor_id else {
            return Ok(None);
        };
        Ok(ctx.loaders()?.users.load_one(id).await?.map(User))
    }

    async fn target_type(&self) -> &str {
        &self.0.target_type
    }

    /// The global id of the changed object.
    async fn target_id(&self) -> Option<ID> {
        let kind = NodeKind::from_audit_target(&self.0.target_type)?;
        self.0.target_id.map(|id| ids::encode(kind, id))
    }

    async fn before(&self) -> Option<Json<serde_json::Value>> {
        self.0.before.clone().map(Json)
    }

    async fn after(&self) -> Option<Json<serde_json::Value>> {
        self.0.after.clone().map(Json)
    }

    async fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }

    async fn created_at(&self, ctx: &Context<'_>) -> DateTime {
        DateTime::in_zone(self.0.created_at, ctx.timezone())
    }
}

#[derive(InputObject, Default)]
pub struct AuditLogFilter {
    pub actor_id: Option<ID>,
    /// `Organization`, `Person`, `User`, ...
    pub target_type: Option<String>,
    pub target_id: Option<ID>,
    /// Entries at or after this time.
    pub from: Option<DateTime>,
    /// Entries before this time.
    pub to: Option<DateTime>,
}

#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// Every mutation, newest first. Administrators only.
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        filter: Option<AuditLogFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<AuditEntry>> {
        let page = relay::page_request(ctx, first, after, last, before)?;
        let filter = filter.unwrap_or_default();
        let service = ServiceFilter {
            actor_id: filter
                .actor_id
                .as_ref()
                .map(|id| ids::decode_as("filter.actorId", NodeKind::User, id))
                .transpose()?,
            target_type: filter.target_type,
            target_id: filter
                .target_id
                .as_ref()
                .map(|id| ids::decode("filter.targetId", id).map(|g| g.id))
                .transpose()?,
            from: filter.from.map(DateTime::to_utc),
            to: filter.to.map(DateTime::to_utc),
        };
        let rows = audit::list(&ctx.state()?.db.read, &ctx.actor(), &service, &page).await?;
        Ok(relay::connection(rows, AuditEntry))
    }
}
