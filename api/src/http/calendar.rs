//! `GET /calendar/{token}.ics`: the RFC 5545 feed of the joint activities a calendar token's user
//! may read. The token is a secret and the only credential: an unknown or revoked token, or one
//! whose account is disabled, is 404, and nothing here logs it.

use axum::{
    extract::{Path, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use entities::organization;
use sea_orm::{EntityTrait, QueryFilter};

use super::json_error;
use crate::{
    app::HttpState,
    error::{AppError, AppResult},
    services::calendar,
};

fn not_found() -> Response {
    json_error(StatusCode::NOT_FOUND, "NOT_FOUND", "no such calendar")
}

pub async fn feed(State(http): State<HttpState>, Path(file): Path<String>) -> Response {
    let Some(token) = file.strip_suffix(".ics") else {
        return not_found();
    };
    match render(&http, token).await {
        Ok(Some(body)) => (
            [
                (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
                (header::CACHE_CONTROL, "private, max-age=300"),
            ],
            body,
        )
            .into_response(),
        Ok(None) => not_found(),
        Err(AppError::Internal(detail)) => {
            tracing::error!(error = %detail, "calendar feed failed");
            json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL",
                "internal error",
            )
        }
        Err(e) => json_error(StatusCode::BAD_REQUEST, e.code(), &e.to_string()),
    }
}

/// The feed's text, or `None` when the token opens nothing.
async fn render(http: &HttpState, token: &str) -> AppResult<Option<String>> {
    let state = &http.state;
    let db = &state.db.read;
    let Some(row) = calendar::resolve(db, token).await? else {
        return Ok(None);
    };
    let Some(viewer) =
        calendar::viewer_for_user(db, &state.authz, row.user_id, state.clock.today()).await?
    else {
        return Ok(None);
    };
    let viewer = std::sync::Arc::new(viewer);
    let actor = crate::services::Actor::user(viewer.clone(), None);
    let activities =
        calendar::feed_activities(db, &actor, row.organization_id, crate::services::now()).await?;
    // The organization's name only when the viewer may read it.
    let organization = match row.organization_id {
        Some(org) => {
            organization::Entity::find_by_id(org)
                .filter(
                    viewer
                        .scope("organization", "read")
                        .organization_condition(organization::Column::Id),
                )
                .one(db)
                .await?
        }
        None => None,
    };
    let name = match organization {
        Some(org) => format!("Joint activities: {}", org.name),
        None => "Joint activities".to_owned(),
    };
    Ok(Some(calendar::feed(
        &activities,
        state.config.server.timezone,
        &name,
    )))
}
