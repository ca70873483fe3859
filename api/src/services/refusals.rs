//! Refusals that must not confirm what they collide with: a unique identifier (an ID-card number,
//! an organization's external code) already held by something the caller may not read. Each one
//! is audited on its own and counted per user, and a user who collects too many in a short window
//! is rate limited on the mutations that can produce them, so guessing a masked number is not
//! worth trying.

use sea_orm::ConnectionTrait;
use serde_json::json;

use super::{
    Actor,
    attempts::{self, Limit},
    audit,
};
use crate::error::{AppError, AppResult};

/// The audit action of a refused identifier.
pub const ACTION: &str = "identifierRefused";
/// Refusals a user may collect within 15 minutes before being rate limited.
pub const REFUSALS_PER_USER: Limit = Limit {
    kind: "identifier-refused",
    max: 5,
    window_minutes: 15,
};

/// RATE_LIMITED once the actor has collected the limit of refusals within the window. Callers run
/// this before anything else in a mutation that can refuse an identifier, whether or not this
/// call would collide: a limit that applied only to colliding calls would itself confirm a
/// collision.
pub async fn check_limit(db: &impl ConnectionTrait, actor: &Actor) -> AppResult<()> {
    let Some(user) = actor.user_id else {
        return Ok(());
    };
    attempts::check(db, &REFUSALS_PER_USER, &user.to_string(), super::now()).await
}

/// [`check_limit`] as a condition: the actor's refusals fill the window (never for a system
/// actor). A statement that writes only while this is false refuses exactly when `check_limit`
/// would.
pub fn limit_reached(actor: &Actor) -> Option<sea_orm::sea_query::Expr> {
    let user = actor.user_id?;
    Some(attempts::reached(
        &REFUSALS_PER_USER,
        &user.to_string(),
        super::now(),
    ))
}

/// Audits and counts a refusal and returns the error the caller sees: CONFLICT with a message
/// that names neither the field's owner nor anything about it. `db` must not be inside the
/// refused mutation's transaction (which writes nothing): the entry is kept on its own.
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
    if let Err(e) = recorded {
        return e;
    }
    if let Some(user) = actor.user_id {
        // A full window only means the next call is refused by `check_limit`.
        match attempts::count(db, &REFUSALS_PER_USER, &user.to_string(), super::now()).await {
            Ok(_) | Err(AppError::RateLimited { .. }) => {}
            Err(e) => return e,
        }
    }
    AppError::conflict(format!(
        "{field} cannot be accepted; if it is right, ask an administrator"
    ))
}
