//! `/healthz` (the process answers) and `/readyz` (the database answers and is fully migrated).

use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};
use migration::{Migrator, MigratorTrait};
use serde_json::json;

use crate::app::HttpState;

pub async fn healthz() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

pub async fn readyz(State(http): State<HttpState>) -> impl IntoResponse {
    let db = &http.state.db.read;
    if db.ping().await.is_err() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "reason": "database unreachable" })),
        );
    }
    match Migrator::get_pending_migrations_read_only(db).await {
        Ok(pending) if pending.is_empty() => (StatusCode::OK, Json(json!({ "status": "ready" }))),
        Ok(pending) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({
                "status": "unavailable",
                "reason": "migrations pending",
                "pending": pending.iter().map(|m| m.name().to_owned()).collect::<Vec<_>>(),
            })),
        ),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "reason": "migration state unreadable" })),
        ),
    }
}
