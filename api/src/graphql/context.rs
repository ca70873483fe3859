//! What a resolver can reach: the shared application state and the per-request context.

use async_graphql::Context;
use chrono_tz::Tz;

use std::sync::Arc;

use super::{
    guard::SocketSession,
    loaders::{LazyLoaders, Loaders},
};
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

/// Where a subscription reads its viewer again before each event it delivers.
#[derive(Clone, Debug)]
pub enum ViewerSource {
    /// The viewer of a short-lived request, read when the request arrived.
    Fixed(Option<Arc<Viewer>>),
    /// A WebSocket: its token is checked against the database again.
    Socket {
        state: Box<AppState>,
        session: SocketSession,
    },
}

impl ViewerSource {
    /// The viewer as of now: UNAUTHENTICATED once the token is no longer valid (the socket is
    /// then being closed), INTERNAL when the database cannot tell.
    pub async fn fresh(&self) -> Result<Arc<Viewer>, AppError> {
        match self {
            Self::Fixed(viewer) => viewer.clone().ok_or(AppError::Unauthenticated),
            Self::Socket { state, session } => session
                .viewer(state)
                .await?
                .ok_or(AppError::Unauthenticated),
        }
    }
}

pub trait ContextExt {
    fn state(&self) -> Result<&AppState, AppError>;
    /// The signed-in viewer, or UNAUTHENTICATED.
    fn viewer(&self) -> Result<&Viewer, AppError>;
    /// Where the viewer may do `action` on `object`s.
    fn scope(&self, object: &'static str, action: &'static str) -> Result<Scope, AppError>;
    fn loaders(&self) -> Result<&Loaders, AppError>;
    /// How a subscription re-reads its viewer for each event.
    fn viewer_source(&self) -> Result<ViewerSource, AppError>;
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
        self.data::<LazyLoaders>()
            .map(LazyLoaders::get)
            .map_err(|_| AppError::internal("data loaders missing from request"))
    }

    fn viewer_source(&self) -> Result<ViewerSource, AppError> {
        match self.data_opt::<SocketSession>() {
            Some(session) => Ok(ViewerSource::Socket {
                state: Box::new(self.state()?.clone()),
                session: session.clone(),
            }),
            None => Ok(ViewerSource::Fixed(
                self.data_opt::<RequestContext>()
                    .and_then(|r| r.viewer.clone()),
            )),
        }
    }

    fn today(&self) -> chrono::NaiveDate {
        match self.data_opt::<AppState>() {
            Some(state) => state.clock.today(),
            None => crate::clock::Clock::new(self.timezone(), None).today(),
        }
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

/// What a subscription does with one event, decided with the viewer of the moment.
pub enum Delivery<T> {
    Send(T),
    Skip,
    /// The subscriber has no right left to this subscription: it completes.
    End,
}

/// Delivers `events` through `deliver`, reading the viewer again before each one. The stream
/// ends when the token stops being valid (the socket is then closed) or `deliver` says so; an
/// event the database cannot vouch for is skipped rather than sent.
pub fn per_event<E, T, F, Fut>(
    source: ViewerSource,
    events: impl futures_util::Stream<Item = E> + Send + 'static,
    deliver: F,
) -> impl futures_util::Stream<Item = T> + Send + 'static
where
    E: Send + 'static,
    T: Send + 'static,
    F: Fn(Arc<Viewer>, E) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Delivery<T>> + Send + 'static,
{
    use futures_util::{StreamExt, future::ready};
    let deliver = Arc::new(deliver);
    events
        .then(move |event| {
            let source = source.clone();
            let deliver = deliver.clone();
            async move {
                match source.fresh().await {
                    Ok(viewer) => deliver(viewer, event).await,
                    Err(AppError::Unauthenticated) => Delivery::End,
                    Err(e) => {
                        tracing::warn!(error = %e, "event skipped: the subscriber could not be checked");
                        Delivery::Skip
                    }
                }
            }
        })
        .take_while(|delivery| ready(!matches!(delivery, Delivery::End)))
        .filter_map(|delivery| {
            ready(match delivery {
                Delivery::Send(item) => Some(item),
                Delivery::Skip | Delivery::End => None,
            })
        })
}

/// The outbox events a subscription follows: those after `after` (the `position` an event carried,
/// for a client resuming after a reconnect), or those from now on.
pub async fn events_after(
    state: &AppState,
    after: Option<&str>,
) -> Result<
    impl futures_util::Stream<Item = Arc<crate::events::Envelope>> + Send + 'static + use<>,
    AppError,
> {
    let after = after
        .map(|text| {
            text.trim()
                .parse::<i64>()
                .ok()
                .filter(|p| *p >= 0)
                .ok_or_else(|| {
                    AppError::bad_input(
                        "after",
                        "not an event position: pass the `position` of an event",
                    )
                })
        })
        .transpose()?;
    state.events.subscribe(&state.db.background, after).await
}
