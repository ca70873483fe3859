//! The application state shared by every request and the router that serves it.

use std::sync::Arc;

use axum::{
    Router,
    http::{HeaderName, Request, StatusCode},
    response::Response,
    routing::get,
};
use tower::ServiceBuilder;
use tower_http::{
    catch_panic::CatchPanicLayer,
    compression::CompressionLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    timeout::TimeoutLayer,
    trace::TraceLayer,
};

use crate::{
    auth::TokenKeys,
    authz::Authz,
    clock::Clock,
    config::Config,
    db::Db,
    error::AppResult,
    events::{EventBus, dispatch},
    graphql::Api,
    http::{self, json_error},
    metrics::Metrics,
    services::accounts,
};

/// What every request can reach. Cheap to clone: each part is a handle.
#[derive(Clone, Debug)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub metrics: Metrics,
    pub events: EventBus,
    pub authz: Arc<Authz>,
    pub tokens: TokenKeys,
    /// Now and today for every deadline rule.
    pub clock: Clock,
    /// The dispatcher delivering outbox events to this process's subscribers.
    pub dispatch: Arc<dispatch::Running>,
}

impl AppState {
    /// The viewer behind a bearer token, with the grants of now (one statement; see
    /// `accounts::viewer_from_token`): what every transport asks before it lets an operation run.
    pub async fn viewer_from_token(
        &self,
        token: &str,
    ) -> crate::error::AppResult<crate::authz::Viewer> {
        crate::services::accounts::viewer_from_token(
            &self.db.read,
            &self.tokens,
            &self.authz,
            token,
            self.clock.today(),
        )
        .await
    }

    /// Loads the rules and reads the token key.
    pub async fn build(config: Config, db: Db, metrics: Metrics) -> AppResult<Self> {
        let authz = Arc::new(Authz::load().await?);
        let secret = accounts::token_secret(
            &db.write,
            config.server.jwt_secret.as_ref().map(|s| s.0.as_str()),
        )
        .await?;
        let tokens = TokenKeys::new(
            &secret,
            chrono::Duration::hours(config.server.token_ttl_hours.max(1)),
        );
        let clock = Clock::new(config.server.timezone, config.server.today);
        let events = EventBus::new();
        let dispatch = Arc::new(
            dispatch::start(
                events.clone(),
                db.background.clone(),
                crate::db::listener_options(&config.database),
            )
            .await?,
        );
        Ok(Self {
            db,
            clock,
            config: Arc::new(config),
            metrics,
            events,
            dispatch,
            authz,
            tokens,
        })
    }
}

/// The router's own state: the application state and the API built over it.
#[derive(Clone)]
pub struct HttpState {
    pub state: AppState,
    pub api: Api,
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub fn build_router(state: AppState) -> Router {
    let api = Api::new(Some(state.clone()));
    state.metrics.label_operations_of(api.source_sdl());
    let timeout = state.config.server.request_timeout();
    let http_state = HttpState { state, api };
    Router::new()
        .route(
            "/graphql",
            get(http::graphql::get).post(http::graphql::post),
        )
        .route("/graphql/ws", get(http::graphql::websocket))
        .route("/schema.graphql", get(sdl))
        .route("/graphiql/{file}", get(http::graphiql::asset))
        .route("/dashboard", get(http::dashboard::page))
        .route("/dashboard/{file}", get(http::dashboard::asset))
        .route("/healthz", get(http::health::healthz))
        .route("/readyz", get(http::health::readyz))
        .route("/metrics", get(http::metrics::metrics))
        .route("/calendar/{file}", get(http::calendar::feed))
        .route("/exports/{file}", get(http::exports::export))
        .route("/open311/v2/services.json", get(http::open311::services))
        .route("/open311/v2/requests.json", get(http::open311::requests))
        .fallback(http::not_found)
        .with_state(http_state)
        .layer(
            ServiceBuilder::new()
                .map_request(drop_unfit_request_id)
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(|request: &Request<_>| {
                            let request_id = request
                                .headers()
                                .get(REQUEST_ID)
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or_default();
                            tracing::info_span!(
                                "request",
                                method = %request.method(),
                                path = %log_path(request.uri().path()),
                                request_id = %request_id,
                            )
                        })
                        // One line per answered request at the default level: status and latency,
                        // inside the span that carries the request id.
                        .on_response(
                            tower_http::trace::DefaultOnResponse::new().level(tracing::Level::INFO),
                        ),
                )
                .layer(PropagateRequestIdLayer::new(REQUEST_ID))
                .layer(CatchPanicLayer::custom(panic_response))
                .layer(CompressionLayer::new())
                .layer(TimeoutLayer::with_status_code(
                    StatusCode::SERVICE_UNAVAILABLE,
                    timeout,
                )),
        )
}

/// The longest request id a client may choose.
pub const MAX_REQUEST_ID_CHARS: usize = 64;

/// Request ids end up in logs and in the audit log: a client's own is kept only when short and
/// plain (letters, digits, '-', '_', '.'); otherwise it is dropped and a fresh UUID is used.
fn drop_unfit_request_id<B>(mut request: Request<B>) -> Request<B> {
    let fit = request.headers().get_all(REQUEST_ID).iter().count() <= 1
        && request.headers().get(REQUEST_ID).is_none_or(|value| {
            let bytes = value.as_bytes();
            !bytes.is_empty()
                && bytes.len() <= MAX_REQUEST_ID_CHARS
                && bytes
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        });
    if !fit {
        request.headers_mut().remove(REQUEST_ID);
    }
    request
}

async fn sdl(axum::extract::State(http): axum::extract::State<HttpState>) -> String {
    http.api.sdl().await
}

/// The path as logs show it: the path only (query strings may carry tokens or personal data),
/// and the calendar feed's path hides its token.
fn log_path(path: &str) -> &str {
    if path.starts_with("/calendar/") {
        "/calendar/***.ics"
    } else {
        path
    }
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("request handler panicked");
    json_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "INTERNAL",
        "internal error",
    )
}
