//! The GraphQL transport over HTTP. POST runs queries and mutations and accepts only
//! `application/json` (a browser form cannot send that without a CORS preflight, which closes the
//! door to cross-site request forgery); GET runs queries only, or serves GraphiQL; `/graphql/ws`
//! runs operations over a WebSocket. Who may run what is decided by the gate
//! (`graphql::gate`), the same for every transport.

use std::time::Instant;

use async_graphql::{
    BatchRequest, BatchResponse, Request,
    parser::{
        parse_query,
        types::{DocumentOperations, OperationType},
    },
};
use async_graphql_axum::GraphQLResponse;
use axum::extract::ws::{CloseFrame, Message};
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
    graphql::{
        context::RequestContext,
        guard::{self, CLOSE_FORBIDDEN, CLOSE_INTERNAL, SocketClose, SocketSession},
    },
    services::Actor,
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
    let mut caller = Caller::new(&http, &headers, address);
    let response = match batch {
        BatchRequest::Single(request) => match caller.run(request).await {
            Ok(response) => BatchResponse::Single(response),
            Err(unavailable) => return unavailable,
        },
        BatchRequest::Batch(requests) => {
            let mut responses = Vec::with_capacity(requests.len());
            for request in requests {
                match caller.run(request).await {
                    Ok(response) => responses.push(response),
                    Err(unavailable) => return unavailable,
                }
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
    let mut caller = Caller::new(&http, &headers, client_address(&extensions));
    match caller.run(request).await {
        Ok(response) => GraphQLResponse::from(response).into_response(),
        Err(unavailable) => unavailable,
    }
}

/// Who sent an HTTP request (one operation or a batch): the signed-in viewer, read from the
/// database at most once per request and only for an operation that needs one, or an anonymous
/// caller when no token was sent or the token is not valid (bad signature, expired, outdated,
/// unknown or disabled account), so that only operations open to anonymous callers run.
struct Caller<'a> {
    http: &'a HttpState,
    token: Option<&'a str>,
    anonymous: RequestContext,
    signed_in: Option<RequestContext>,
}

impl<'a> Caller<'a> {
    fn new(http: &'a HttpState, headers: &'a HeaderMap, address: String) -> Self {
        Self {
            http,
            token: bearer_token(headers),
            anonymous: RequestContext {
                actor: Actor {
                    request_id: headers
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned),
                    ..Actor::default()
                },
                viewer: None,
                address,
            },
            signed_in: None,
        }
    }

    /// Runs one operation through the gate (`graphql::gate`), which decides, the same for every
    /// transport, whether the caller may run it at all. `Err` is the 503 a request gets when
    /// the database cannot say who is asking.
    async fn run(&mut self, mut request: Request) -> Result<async_graphql::Response, Response> {
        self.http.api.prime(&mut request);
        let context = self.context_for(&mut request).await?;
        let started = Instant::now();
        let operation = request.operation_name.clone().unwrap_or_default();
        let response = self.http.api.execute(request.data(context)).await;
        self.http
            .state
            .metrics
            .record_operation(&operation, response.is_ok(), started.elapsed());
        Ok(response)
    }

    /// The context `request` runs in. An operation open to anonymous callers (signing in,
    /// `__typename`, introspection) runs as one whatever token came with it: it reads nothing a
    /// viewer could change, so the account and its grants are not read for it. A document that
    /// does not parse is the gate's to report.
    async fn context_for(&mut self, request: &mut Request) -> Result<RequestContext, Response> {
        let Some(token) = self.token else {
            return Ok(self.anonymous.clone());
        };
        if let Some(context) = &self.signed_in {
            return Ok(context.clone());
        }
        let operation_name = request.operation_name.clone();
        let open_to_anyone = request.parsed_query().map_or(true, |document| {
            guard::is_anonymous_operation(document, operation_name.as_deref())
        });
        if open_to_anyone {
            return Ok(self.anonymous.clone());
        }
        let context = self.read_viewer(token).await?;
        self.signed_in = Some(context.clone());
        Ok(context)
    }

    /// The viewer behind `token`, with the grants of now. When the database cannot be asked,
    /// the answer is 503: a caller with a good token must not be told it is signed out.
    async fn read_viewer(&self, token: &str) -> Result<RequestContext, Response> {
        let state = &self.http.state;
        match state.viewer_from_token(token).await {
            Ok(viewer) => Ok(RequestContext {
                actor: Actor {
                    user_id: Some(viewer.id()),
                    ..self.anonymous.actor.clone()
                },
                viewer: Some(Arc::new(viewer)),
                address: self.anonymous.address.clone(),
            }),
            Err(AppError::Unauthenticated) => Ok(self.anonymous.clone()),
            Err(e) => {
                tracing::error!(error = %e, "cannot authenticate: the database did not answer");
                let mut response = json_error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "INTERNAL",
                    "the service is unavailable; try again shortly",
                );
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
                Err(response)
            }
        }
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

/// `GET /graphql/ws`: operations over graphql-transport-ws. The token travels in the
/// `connection_init` payload (`{"authorization": "Bearer <token>"}`), since browsers cannot set
/// headers on a WebSocket. Messages obey the HTTP body limit. The token is checked again for
/// every operation and every subscription event; once it is no longer valid the server closes
/// the socket with 4401. A token that is not valid at `connection_init` closes it with 4403;
/// without a token the socket is anonymous and, as over HTTP, may only `login` and read the
/// schema.
pub async fn websocket(
    State(http): State<HttpState>,
    protocol: async_graphql_axum::GraphQLProtocol,
    extensions: axum::http::Extensions,
    upgrade: axum::extract::WebSocketUpgrade,
) -> Response {
    let limit = http.state.config.server.max_body_bytes;
    let address = client_address(&extensions);
    upgrade
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .max_message_size(limit)
        .max_frame_size(limit)
        .on_upgrade(move |socket| serve_socket(http, protocol, socket, address))
}

/// How long the server waits for the answer that made it close a socket before closing anyway.
const CLOSE_GRACE: std::time::Duration = std::time::Duration::from_millis(500);

async fn serve_socket(
    http: HttpState,
    protocol: async_graphql_axum::GraphQLProtocol,
    socket: axum::extract::ws::WebSocket,
    address: String,
) {
    use futures_util::StreamExt;

    let close = SocketClose::default();
    let (sink, stream) = socket.split();
    // The schema's answers go through a channel, so that the server can close the socket after
    // the answer that refused an operation, with a code of its own.
    let (sender, receiver) = tokio::sync::mpsc::channel::<Message>(32);
    let outgoing = futures_util::sink::unfold(sender, |sender, message: Message| async move {
        sender
            .send(message)
            .await
            .map(|()| sender)
            .map_err(|_| axum::Error::new("the socket is closed"))
    });
    let incoming = {
        let close = close.clone();
        stream.inspect(move |message| {
            if let Err(e) = message
                && is_too_large(e)
            {
                close.close(1009, "message too big");
            }
        })
    };
    let state = http.state.clone();
    let session_close = close.clone();
    let serve = async_graphql_axum::GraphQLWebSocket::new_with_pair(
        outgoing,
        incoming,
        http.api.clone(),
        protocol,
    )
    .on_connection_init(move |payload| connection_data(state, payload, address, session_close))
    .serve();
    let write = write_socket(sink, receiver, close);
    tokio::pin!(write);
    tokio::select! {
        () = serve => write.await,
        () = &mut write => {}
    }
}

/// Forwards the schema's answers to the socket; once a close was asked for, forwards the answer
/// that caused it and closes with the code and reason asked for.
async fn write_socket(
    mut sink: futures_util::stream::SplitSink<axum::extract::ws::WebSocket, Message>,
    mut answers: tokio::sync::mpsc::Receiver<Message>,
    close: SocketClose,
) {
    use futures_util::SinkExt;
    let frame = |(code, reason): (u16, &'static str)| {
        Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        }))
    };
    loop {
        let next = tokio::select! {
            biased;
            answer = answers.recv() => answer,
            _ = close.closed() => tokio::time::timeout(CLOSE_GRACE, answers.recv())
                .await
                .ok()
                .flatten(),
        };
        let Some(answer) = next else {
            break;
        };
        let (answer, closing) = match (answer, close.reason()) {
            // The server's own reason replaces the generic one of the protocol layer.
            (Message::Close(_), Some(reason)) => (frame(reason), true),
            (answer @ Message::Close(_), None) => (answer, true),
            (answer, _) => (answer, false),
        };
        if sink.send(answer).await.is_err() || closing {
            return;
        }
        if let Some(reason) = close.reason() {
            let _ = sink.send(frame(reason)).await;
            return;
        }
    }
    if let Some(reason) = close.reason() {
        let _ = sink.send(frame(reason)).await;
    }
    let _ = sink.close().await;
}

/// Whether reading failed because a message or frame exceeded the limit (tungstenite reports
/// it as a capacity error, which axum does not expose as a type).
fn is_too_large(error: &axum::Error) -> bool {
    let text = error.to_string();
    text.contains("Space limit exceeded") || text.contains("too long") || text.contains("too big")
}

async fn connection_data(
    state: crate::app::AppState,
    payload: serde_json::Value,
    address: String,
    close: SocketClose,
) -> async_graphql::Result<async_graphql::Data> {
    let token = payload
        .get("authorization")
        .or_else(|| payload.get("Authorization"))
        .and_then(|v| v.as_str())
        .map(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
                .unwrap_or(v)
                .trim()
                .to_owned()
        })
        .or_else(|| {
            payload
                .get("token")
                .and_then(|v| v.as_str())
                .map(|v| v.trim().to_owned())
        })
        .filter(|t| !t.is_empty());
    if let Some(token) = &token {
        match state.viewer_from_token(token).await {
            Ok(_) => {}
            Err(AppError::Unauthenticated) => {
                close.close(CLOSE_FORBIDDEN, "token not valid");
                return Err(async_graphql::Error::new("the token is not valid"));
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot authenticate a socket: the database did not answer");
                close.close(CLOSE_INTERNAL, "internal error");
                return Err(async_graphql::Error::new("internal error"));
            }
        }
    }
    let mut data = async_graphql::Data::default();
    data.insert(SocketSession {
        token,
        address,
        close,
    });
    Ok(data)
}
