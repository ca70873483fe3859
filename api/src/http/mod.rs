//! HTTP endpoints besides the GraphQL schema itself: the GraphQL transport, health, metrics, the
//! GraphiQL page and its assets.

pub mod calendar;
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
