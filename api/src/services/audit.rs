//! The audit trail: every mutation writes one entry in its own transaction.

use entities::audit_entry;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use serde_json::Value as Json;
use uuid::Uuid;

use super::{Actor, new_id, now};
use crate::error::AppResult;

/// What a mutation changed.
#[derive(Debug)]
pub struct Change<'a> {
    pub action: &'a str,
    pub target_type: &'a str,
    pub target_id: Option<Uuid>,
    pub before: Option<Json>,
    pub after: Option<Json>,
}

pub async fn record(db: &impl ConnectionTrait, actor: &Actor, change: Change<'_>) -> AppResult<()> {
    audit_entry::ActiveModel {
        id: Set(new_id()),
        actor_id: Set(actor.user_id),
        action: Set(change.action.to_owned()),
        target_type: Set(change.target_type.to_owned()),
        target_id: Set(change.target_id),
        before: Set(change.before),
        after: Set(change.after),
        request_id: Set(actor.request_id.clone()),
        created_at: Set(now()),
    }
    .insert(db)
    .await?;
    Ok(())
}
