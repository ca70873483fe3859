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
    body::Body,
    extract::{RawQuery, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};

use super::{graphiql, json_error};
use crate::{
    app::HttpState,
    graphql::{context::RequestContext, loaders::Loaders},
    services::Actor,
};

pub async fn post(State(http): State<HttpState>, headers: HeaderMap, body: Body) -> Response {
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
    let context = request_context(&headers);
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
    let context = request_context(&headers);
    GraphQLResponse::from(execute(&http, request, &context).await).into_response()
}

async fn execute(
    http: &HttpState,
    request: Request,
    context: &RequestContext,
) -> async_graphql::Response {
    let started = Instant::now();
    let operation = request.operation_name.clone().unwrap_or_default();
    let loaders = Loaders::new(&http.state.db.read);
    let response = http
        .schema
        .execute(request.data(context.clone()).data(loaders))
        .await;
    http.state
        .metrics
        .record_operation(&operation, response.is_ok(), started.elapsed());
    response
}

fn request_context(headers: &HeaderMap) -> RequestContext {
    RequestContext {
        actor: Actor {
            user_id: None,
            request_id: headers
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        },
    }
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
