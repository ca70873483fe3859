//! Gives every GraphQL error a stable `extensions.code`: service errors carry their own, and the
//! errors async-graphql raises itself (parse, validation, limits, bad arguments) are BAD_USER_INPUT.
//! Internal errors are logged here, once, and reach the client as a bare "internal error". This
//! is also where an `AppError`'s details become extensions: global ids, camelCase keys. The gate
//! calls it on every response, once per error.

use async_graphql::{ErrorExtensionValues, ServerError};
use serde_json::json;

use super::ids::{self, NodeKind};
use crate::error::{AppError, ConflictDetails, ScheduleClash};

/// Gives `error` its code (and the details of service errors): a service error writes its own,
/// every other error is BAD_USER_INPUT. Internal errors are logged here, once.
pub fn classify(error: &mut ServerError) {
    let mut extensions = error.extensions.take().unwrap_or_default();
    if let Some(app) = error.source::<AppError>() {
        if let AppError::Internal(detail) = app {
            tracing::error!(error = %detail, path = ?error.path, "internal error");
        }
        app.write_extensions(&mut extensions);
    } else if extensions.get("code").is_none() {
        extensions.set("code", "BAD_USER_INPUT");
    }
    error.extensions = Some(extensions);
}

// Rendering for GraphQL lives with the GraphQL layer, so `crate::error` knows nothing of it.
impl AppError {
    /// Writes this error's code and details into GraphQL error extensions (DESIGN 3).
    pub fn write_extensions(&self, ext: &mut ErrorExtensionValues) {
        ext.set("code", self.code());
        match self {
            Self::BadUserInput { field, .. } => ext.set("field", field.as_str()),
            Self::Conflict { details, .. } => write_conflict(details, ext),
            Self::InvalidTransition { from, to } => {
                ext.set("from", from.as_str());
                ext.set("to", to.as_str());
            }
            Self::RateLimited { retry_after_secs } => ext.set("retryAfter", *retry_after_secs),
            _ => {}
        }
    }
}

fn write_conflict(details: &ConflictDetails, ext: &mut ErrorExtensionValues) {
    match details {
        ConflictDetails::None => {}
        ConflictDetails::Taken { field } => ext.set("field", field.as_str()),
        ConflictDetails::StaleVersion {
            field,
            current_version,
        } => {
            ext.set("field", field.as_str());
            ext.set("currentVersion", *current_version);
        }
        ConflictDetails::Full { field, capacity } => {
            ext.set("field", field.as_str());
            ext.set("capacity", *capacity);
        }
        ConflictDetails::Posting {
            field,
            assignment_id,
        } => {
            ext.set("field", field.as_str());
            if let Some(id) = assignment_id {
                ext.set(
                    "assignmentId",
                    ids::encode(NodeKind::FirstSecretaryAssignment, *id).0,
                );
            }
        }
        ConflictDetails::Clashes(clashes) => {
            let clashes = json!(clashes.iter().map(clash_json).collect::<Vec<_>>());
            if let Ok(value) = async_graphql::Value::from_json(clashes) {
                ext.set("conflicts", value);
            }
        }
    }
}

/// One clash of `extensions.conflicts`: with global ids, like everything else clients see.
fn clash_json(clash: &ScheduleClash) -> serde_json::Value {
    json!({
        "activityId": clash.activity_id.map(|a| ids::encode(NodeKind::JointActivity, a).0),
        "organizationId": clash.organization_id.map(|o| ids::encode(NodeKind::Organization, o).0),
        "venue": clash.venue,
        "startsAt": clash.starts_at,
        "endsAt": clash.ends_at,
    })
}
