//! The GraphQL transport over HTTP. POST runs queries and mutations and accepts only
//! `application/json` (a browser form cannot send that without a CORS preflight, which closes the
//! door to cross-site request forgery); GET runs queries only, or serves GraphiQL.

use std::time::Instant;

use async_graphql::{
    BatchRequest, BatchResponse, Request,
    parser::{
        parse_query,
        types::{DocumentOperations, OperationType},
    },
};
use async_graphql_axum::GraphQLResponse;
use axum::{
    extract::{RawQuery, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};

use super::{graphiql, json_error};
use std::sync::Arc;

use crate::{
    app::HttpState,
    error::AppError,
    graphql::{context::RequestContext, loaders::Loaders},
    services::{Actor, accounts},
};

pub async fn post(State(http): State<HttpState>, request: axum::extract::Request) -> Response {
    let (parts, body) = request.into_parts();
    let headers = parts.headers;
    let address = client_address(&parts.extensions);
    if !is_json(&headers) {
        return json_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "BAD_USER_INPUT",
            "send GraphQL requests with content-type: application/json",
        );
    }
    let limit = http.state.config.server.max_body_bytes;
    let too_large = || {
        json_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "BAD_USER_INPUT",
            &format!("request body is larger than {limit} bytes"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return too_large();
    }
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => bytes,
        Err(_) => return too_large(),
    };
    let batch: BatchRequest = match serde_json::from_slice(&bytes) {
        Ok(batch) => batch,
        Err(e) => {
            return json_error(
                StatusCode::BAD_REQUEST,
                "BAD_USER_INPUT",
                &format!("request body is not a GraphQL request in JSON: {e}"),
            );
        }
    };
    let max_batch = http.state.config.server.max_batch;
    if let BatchRequest::Batch(requests) = &batch {
        if requests.len() > max_batch {
            return json_error(
                StatusCode::BAD_REQUEST,
                "BAD_USER_INPUT",
                &format!("a batch holds at most {max_batch} operations"),
            );
        }
        if requests.is_empty() {
            return json_error(
                StatusCode::BAD_REQUEST,
                "BAD_USER_INPUT",
                "the batch is empty",
            );
        }
    }
    let context = request_context(&http, &headers, address).await;
    let response = match batch {
        BatchRequest::Single(request) => {
            BatchResponse::Single(execute(&http, request, &context).await)
        }
        BatchRequest::Batch(requests) => {
            let mut responses = Vec::with_capacity(requests.len());
            for request in requests {
                responses.push(execute(&http, request, &context).await);
            }
            BatchResponse::Batch(responses)
        }
    };
    GraphQLResponse::from(response).into_response()
}

pub async fn get(
    State(http): State<HttpState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    extensions: axum::http::Extensions,
) -> Response {
    let Some(query) = query.filter(|q| q.split('&').any(|p| p.starts_with("query="))) else {
        return graphiql::page().await.into_response();
    };
    let request = match async_graphql::http::parse_query_string(&query) {
        Ok(request) => request,
        Err(e) => {
            return json_error(
                StatusCode::BAD_REQUEST,
                "BAD_USER_INPUT",
                &format!("query string is not a GraphQL request: {e}"),
            );
        }
    };
    if !is_query_operation(&request) {
        return json_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "BAD_USER_INPUT",
            "only queries run over GET; send mutations with POST and content-type: application/json",
        );
    }
    let context = request_context(&http, &headers, client_address(&extensions)).await;
    GraphQLResponse::from(execute(&http, request, &context).await).into_response()
}

async fn execute(
    http: &HttpState,
    request: Request,
    context: &Authenticated,
) -> async_graphql::Response {
    let started = Instant::now();
    let operation = request.operation_name.clone().unwrap_or_default();
    let context = match context {
        Authenticated::Viewer(context) | Authenticated::Anonymous(context) => context.clone(),
        Authenticated::Rejected(anonymous) => {
            if !is_anonymous_operation(&request) {
                return unauthenticated();
            }
            anonymous.clone()
        }
    };
    if context.viewer.is_none() && !is_anonymous_operation(&request) {
        http.state
            .metrics
            .record_operation(&operation, false, started.elapsed());
        return unauthenticated();
    }
    let loaders = Loaders::new(&http.state.db.read, context.viewer.as_deref());
    let response = http
        .schema
        .execute(request.data(context).data(loaders))
        .await;
    http.state
        .metrics
        .record_operation(&operation, response.is_ok(), started.elapsed());
    response
}

/// The outcome of reading the bearer token of a request.
enum Authenticated {
    Viewer(RequestContext),
    Anonymous(RequestContext),
    /// A token was sent but is not valid (bad signature, expired, revoked, unknown or disabled
    /// account): only operations open to anonymous callers run.
    Rejected(RequestContext),
}

async fn request_context(http: &HttpState, headers: &HeaderMap, address: String) -> Authenticated {
    let anonymous = RequestContext {
        actor: Actor {
            request_id: headers
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            ..Actor::default()
        },
        viewer: None,
        address,
    };
    let Some(token) = bearer_token(headers) else {
        return Authenticated::Anonymous(anonymous);
    };
    let state = &http.state;
    match accounts::viewer_from_token(&state.db.read, &state.tokens, &state.authz, token).await {
        Ok(viewer) => Authenticated::Viewer(RequestContext {
            actor: Actor {
                user_id: Some(viewer.id()),
                ..anonymous.actor.clone()
            },
            viewer: Some(Arc::new(viewer)),
            address: anonymous.address.clone(),
        }),
        Err(_) => Authenticated::Rejected(anonymous),
    }
}

pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

fn client_address(extensions: &axum::http::Extensions) -> String {
    extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "local".to_owned())
}

fn unauthenticated() -> async_graphql::Response {
    let mut error = async_graphql::ServerError::new("sign in first", None);
    let mut extensions = async_graphql::ErrorExtensionValues::default();
    AppError::Unauthenticated.write_extensions(&mut extensions);
    error.extensions = Some(extensions);
    async_graphql::Response::from_errors(vec![error])
}

/// Root fields anonymous callers may use: signing in and reading the schema.
const ANONYMOUS_FIELDS: &[&str] = &["login", "__typename", "__schema", "__type"];

/// Whether the operation that would run selects only fields open to anonymous callers. A
/// document that does not parse counts as open: executing it reports the syntax error.
fn is_anonymous_operation(request: &Request) -> bool {
    use async_graphql::parser::types::Selection;
    let Ok(document) = parse_query(&request.query) else {
        return true;
    };
    let operation = match (&document.operations, request.operation_name.as_deref()) {
        (DocumentOperations::Single(op), _) => Some(op),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name),
        (DocumentOperations::Multiple(ops), None) => ops.values().next(),
    };
    let Some(operation) = operation else {
        return true;
    };
    operation
        .node
        .selection_set
        .node
        .items
        .iter()
        .all(|item| match &item.node {
            Selection::Field(field) => ANONYMOUS_FIELDS.contains(&field.node.name.node.as_str()),
            _ => false,
        })
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}

/// True unless the operation that would run is a mutation or subscription. A document that does
/// not parse counts as a query: executing it reports the syntax error.
fn is_query_operation(request: &Request) -> bool {
    let Ok(document) = parse_query(&request.query) else {
        return true;
    };
    let ty = match (&document.operations, request.operation_name.as_deref()) {
        (DocumentOperations::Single(op), _) => Some(op.node.ty),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).map(|op| op.node.ty),
        (DocumentOperations::Multiple(ops), None) => {
            // Without a name, refuse if any operation could be a write.
            if ops.values().any(|op| op.node.ty != OperationType::Query) {
                return false;
            }
            None
        }
    };
    ty.is_none_or(|ty| ty == OperationType::Query)
}

/// `GET /graphql/ws`: subscriptions over graphql-transport-ws. The token travels in the
/// `connection_init` payload (`{"authorization": "Bearer <token>"}`), since browsers cannot set
/// headers on a WebSocket.
pub async fn websocket(
    State(http): State<HttpState>,
    protocol: async_graphql_axum::GraphQLProtocol,
    upgrade: axum::extract::WebSocketUpgrade,
) -> Response {
    upgrade
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |stream| {
            let state = http.state.clone();
            async_graphql_axum::GraphQLWebSocket::new(stream, http.schema.clone(), protocol)
                .on_connection_init(move |payload| connection_data(state, payload))
                .serve()
        })
}

async fn connection_data(
    state: crate::app::AppState,
    payload: serde_json::Value,
) -> async_graphql::Result<async_graphql::Data> {
    let token = payload
        .get("authorization")
        .or_else(|| payload.get("Authorization"))
        .and_then(|v| v.as_str())
        .map(|v| v.trim_start_matches("Bearer ").trim().to_owned())
        .or_else(|| {
            payload
                .get("token")
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        });
    let mut context = RequestContext::default();
    if let Some(token) = token {
        let viewer =
            accounts::viewer_from_token(&state.db.read, &state.tokens, &state.authz, &token)
                .await
                .map_err(|_| async_graphql::Error::new("the token is not valid"))?;
        context.actor.user_id = Some(viewer.id());
        context.viewer = Some(Arc::new(viewer));
    }
    let mut data = async_graphql::Data::default();
    data.insert(Loaders::new(&state.db.read, context.viewer.as_deref()));
    data.insert(context);
    Ok(data)
}
