//! Gives every GraphQL error a stable `extensions.code`: service errors carry their own, and the
//! errors async-graphql raises itself (parse, validation, limits, bad arguments) are BAD_USER_INPUT.
//! Internal errors are logged here, once, and reach the client as a bare "internal error". The
//! gate calls it on every response, once per error.

use async_graphql::ServerError;

use crate::error::AppError;

/// Gives `error` its code: a service error writes its own, every other error is
/// BAD_USER_INPUT. Internal errors are logged here, once.
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
