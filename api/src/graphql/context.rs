//! What a resolver can reach: the shared application state and the per-request context.

use async_graphql::Context;
use chrono_tz::Tz;

use std::sync::Arc;

use super::loaders::Loaders;
use crate::authz::{Scope, Viewer};
use crate::{app::AppState, error::AppError, services::Actor};

/// Data of one request (or one WebSocket connection), inserted by the HTTP layer.
#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    pub actor: Actor,
    /// The signed-in user; `None` for anonymous requests, which may only sign in.
    pub viewer: Option<Arc<Viewer>>,
    /// The client's address, for sign-in throttling.
    pub address: String,
}

pub trait ContextExt {
    fn state(&self) -> Result<&AppState, AppError>;
    /// The signed-in viewer, or UNAUTHENTICATED.
    fn viewer(&self) -> Result<&Viewer, AppError>;
    /// Where the viewer may do `action` on `object`s.
    fn scope(&self, object: &'static str, action: &'static str) -> Result<Scope, AppError>;
    fn loaders(&self) -> Result<&Loaders, AppError>;
    /// Today's date in the deployment's time zone.
    fn today(&self) -> chrono::NaiveDate;
    fn actor(&self) -> Actor;
    fn timezone(&self) -> Tz;
}

impl ContextExt for Context<'_> {
    fn state(&self) -> Result<&AppState, AppError> {
        self.data::<AppState>()
            .map_err(|_| AppError::internal("application state missing from schema"))
    }

    fn viewer(&self) -> Result<&Viewer, AppError> {
        self.data_opt::<RequestContext>()
            .and_then(|r| r.viewer.as_deref())
            .ok_or(AppError::Unauthenticated)
    }

    fn scope(&self, object: &'static str, action: &'static str) -> Result<Scope, AppError> {
        Ok(self.viewer()?.scope(object, action))
    }

    fn loaders(&self) -> Result<&Loaders, AppError> {
        self.data::<Loaders>()
            .map_err(|_| AppError::internal("data loaders missing from request"))
    }

    fn today(&self) -> chrono::NaiveDate {
        chrono::Utc::now()
            .with_timezone(&self.timezone())
            .date_naive()
    }

    fn actor(&self) -> Actor {
        let Some(request) = self.data_opt::<RequestContext>() else {
            return Actor::default();
        };
        match &request.viewer {
            Some(viewer) => Actor::user(viewer.clone(), request.actor.request_id.clone()),
            None => Actor {
                request_id: request.actor.request_id.clone(),
                ..Actor::default()
            },
        }
    }

    fn timezone(&self) -> Tz {
        self.data_opt::<AppState>()
            .map(|s| s.config.server.timezone)
            .unwrap_or(chrono_tz::Asia::Shanghai)
    }
}
