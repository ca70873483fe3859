//! Refusals that must not confirm what they collide with: a unique identifier (an ID-card number,
//! an organization's external code) already held by something the caller may not read. Each one
//! is audited on its own, and a user who collects too many in a short window is rate limited on
//! the mutations that can produce them, so guessing a masked number is not worth trying.

use chrono::{DateTime, Duration, Utc};
use entities::audit_entry;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::json;

use super::{Actor, audit};
use crate::error::{AppError, AppResult};

/// The audit action of a refused identifier.
pub const ACTION: &str = "identifierRefused";
/// Refusals a user may collect within `WINDOW_MINUTES` before being rate limited.
pub const LIMIT: u64 = 5;
pub const WINDOW_MINUTES: i64 = 15;

/// RATE_LIMITED once the actor has collected `LIMIT` refusals within the window. Callers run this
/// before anything else in a mutation that can refuse an identifier, whether or not this call
/// would collide: a limit that applied only to colliding calls would itself confirm a collision.
pub async fn check_limit(db: &impl ConnectionTrait, actor: &Actor) -> AppResult<()> {
    let Some(user) = actor.user_id else {
        return Ok(());
    };
    let now = super::now();
    let recent = recent_refusals(db, user, now).await?;
    if (recent.len() as u64) < LIMIT {
        return Ok(());
    }
    // Free again once the LIMIT-th most recent refusal leaves the window.
    let oldest_counted = recent[(LIMIT - 1) as usize];
    let free_at = oldest_counted + Duration::minutes(WINDOW_MINUTES);
    let retry_after_secs = (free_at - now).num_seconds().max(1) as u64;
    Err(AppError::RateLimited { retry_after_secs })
}

/// When the actor's refusals within the window happened, newest first, at most `LIMIT`. Kept
/// apart so the count can move to a dedicated attempt counter without touching the callers.
async fn recent_refusals(
    db: &impl ConnectionTrait,
    user: uuid::Uuid,
    now: DateTime<Utc>,
) -> AppResult<Vec<DateTime<Utc>>> {
    Ok(audit_entry::Entity::find()
        .select_only()
        .column(audit_entry::Column::CreatedAt)
        .filter(audit_entry::Column::ActorId.eq(user))
        .filter(audit_entry::Column::Action.eq(ACTION))
        .filter(audit_entry::Column::CreatedAt.gt(now - Duration::minutes(WINDOW_MINUTES)))
        .order_by_desc(audit_entry::Column::CreatedAt)
        .limit(LIMIT)
        .into_tuple()
        .all(db)
        .await?)
}

/// Audits a refusal and returns the error the caller sees: CONFLICT with a message that names
/// neither the field's owner nor anything about it. `db` must not be inside the refused
/// mutation's transaction (which writes nothing): the entry is kept on its own.
pub async fn refuse(
    db: &impl ConnectionTrait,
    actor: &Actor,
    mutation: &str,
    target_type: &str,
    field: &str,
    collides_with: uuid::Uuid,
) -> AppError {
    let recorded = audit::record(
        db,
        actor,
        audit::Change {
            action: ACTION,
            target_type,
            target_id: None,
            before: None,
            after: Some(
                json!({ "mutation": mutation, "field": field, "collidesWith": collides_with }),
            ),
        },
    )
    .await;
    match recorded {
        Ok(()) => AppError::Conflict {
            message: format!("{field} cannot be accepted; if it is right, ask an administrator"),
            details: None,
        },
        Err(e) => e,
    }
}
