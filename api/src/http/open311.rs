//! Open311 GeoReport v2, read only (DESIGN 3.4): `GET /open311/v2/services.json`, the appeal
//! categories as services, and `GET /open311/v2/requests.json`, the appeals the bearer token's
//! viewer may read as service requests, without personal data. Errors are GeoReport's list of
//! `{ code, description }`; the description of a bad parameter starts with its name. Nothing
//! here logs the token or the query.

use std::sync::Arc;

use axum::{
    Json,
    extract::{Query, State, rejection::QueryRejection},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::json;

use super::NoViewer;
use crate::{
    app::HttpState,
    error::AppError,
    services::{
        Actor,
        open311::{self, RequestQuery},
    },
};

/// GeoReport's error body: `[{ "code": 400, "description": "..." }]`.
fn error(status: StatusCode, description: &str) -> Response {
    (
        status,
        Json(json!([{ "code": status.as_u16(), "description": description }])),
    )
        .into_response()
}

fn unauthorized() -> Response {
    let mut response = error(
        StatusCode::UNAUTHORIZED,
        "send a valid token: Authorization: Bearer <token>",
    );
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

fn failure(e: AppError) -> Response {
    match e {
        AppError::Unauthenticated => unauthorized(),
        AppError::Forbidden => error(StatusCode::FORBIDDEN, "not allowed"),
        AppError::BadUserInput { field, message } => {
            error(StatusCode::BAD_REQUEST, &format!("{field}: {message}"))
        }
        AppError::Internal(detail) => {
            tracing::error!(error = %detail, "open311 export failed");
            error(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        }
        other => error(StatusCode::BAD_REQUEST, &other.to_string()),
    }
}

/// The service list: public metadata, no data of anyone.
pub async fn services() -> Response {
    Json(open311::services()).into_response()
}

pub async fn requests(
    State(http): State<HttpState>,
    headers: HeaderMap,
    params: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let state = &http.state;
    let viewer = match super::bearer_viewer(state, &headers, "open311").await {
        Ok(viewer) => viewer,
        Err(NoViewer::Unauthenticated) => return unauthorized(),
        Err(NoViewer::Unavailable) => {
            return error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the service is unavailable; try again shortly",
            );
        }
    };
    let Ok(Query(params)) = params else {
        return error(
            StatusCode::BAD_REQUEST,
            "query: the query string is not form-encoded",
        );
    };
    let zone = state.clock.zone();
    let query = match RequestQuery::parse(&params, zone) {
        Ok(query) => query,
        Err(e) => return failure(e),
    };
    let request_id = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let actor = Actor::user(Arc::new(viewer), request_id);
    match open311::requests(&state.db.read, &actor, zone, &query).await {
        Ok(requests) => (
            [(header::CACHE_CONTROL, "private, no-store")],
            Json(requests),
        )
            .into_response(),
        Err(e) => failure(e),
    }
}
