//! HTTP endpoints besides the GraphQL schema itself: the GraphQL transport, health, metrics, the
//! GraphiQL page and the meeting-room dashboard with their assets.

pub mod calendar;
pub mod dashboard;
pub mod exports;
pub mod graphiql;
pub mod graphql;
pub mod health;
pub mod metrics;
pub mod open311;

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::json;

/// Why a request's bearer token gave no viewer.
pub enum NoViewer {
    /// No token, or one that is not (or no longer) valid.
    Unauthenticated,
    /// The database did not answer (logged, without the token).
    Unavailable,
}

/// The viewer of a request's `Authorization: Bearer` token, for the endpoints outside GraphQL
/// (Open311, exports): the same `AppState::viewer_from_token` every transport asks.
pub async fn bearer_viewer(
    state: &crate::app::AppState,
    headers: &axum::http::HeaderMap,
    endpoint: &'static str,
) -> Result<crate::authz::Viewer, NoViewer> {
    let token = graphql::bearer_token(headers).ok_or(NoViewer::Unauthenticated)?;
    match state.viewer_from_token(token).await {
        Ok(viewer) => Ok(viewer),
        Err(crate::error::AppError::Unauthenticated) => Err(NoViewer::Unauthenticated),
        Err(e) => {
            tracing::error!(error = %e, endpoint, "cannot authenticate: the database did not answer");
            Err(NoViewer::Unavailable)
        }
    }
}

/// A response in the shape of a GraphQL error, for failures before any operation runs.
pub fn json_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({ "errors": [{ "message": message, "extensions": { "code": code } }] })),
    )
        .into_response()
}

pub async fn not_found() -> Response {
    json_error(StatusCode::NOT_FOUND, "NOT_FOUND", "no such endpoint")
}
