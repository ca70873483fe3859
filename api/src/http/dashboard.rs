//! The meeting-room dashboard (`GET /dashboard`): one page and its own script and styles,
//! compiled into the binary like GraphiQL's, for screens on intranets that never reach a CDN.
//! The page is a client like any other: it signs in with `login`, reads the public GraphQL API
//! and refreshes itself from the subscriptions; the server only hands out the files.

use axum::{
    extract::Path,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

const PAGE: &str = include_str!("../../assets/dashboard/index.html");

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "dashboard.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../assets/dashboard/dashboard.js"),
    },
    Asset {
        name: "dashboard.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../../assets/dashboard/dashboard.css"),
    },
];

/// `GET /dashboard`: the page, under a policy that lets it load only what this server serves and
/// talk only to this server (over HTTP and its WebSocket).
pub async fn page(headers: HeaderMap) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (header::CONTENT_SECURITY_POLICY, policy(&headers)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ),
        ],
        PAGE,
    )
        .into_response()
}

/// `GET /dashboard/{file}`: the page's script and styles. They change with the binary, so the
/// browser revalidates them rather than keeping a stale copy after an upgrade.
pub async fn asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|a| a.name == name) {
        Some(asset) => (
            [
                (header::CONTENT_TYPE, asset.content_type),
                (header::CACHE_CONTROL, "no-cache"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            asset.body,
        )
            .into_response(),
        None => super::json_error(StatusCode::NOT_FOUND, "NOT_FOUND", "no such asset"),
    }
}

/// Only this server: scripts, styles and requests to 'self', the WebSocket to the same host
/// (older browsers do not let 'self' cover ws: and wss:), no frames, no plugins, and no form may
/// submit natively (the sign-in form is sent by the script, so a password never ends up in a URL).
fn policy(headers: &HeaderMap) -> HeaderValue {
    let sockets = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|host| is_plain_host(host))
        .map(|host| format!(" ws://{host} wss://{host}"))
        .unwrap_or_default();
    let policy = format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'{sockets}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    );
    HeaderValue::from_str(&policy).unwrap_or(HeaderValue::from_static(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    ))
}

/// A Host header fit to be written into the policy: a name or address with an optional port,
/// nothing that could end a directive or add a source.
fn is_plain_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 255
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_names_the_socket_of_a_plain_host_only() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("10.0.0.5:8080"));
        let policy = policy(&headers);
        let policy = policy.to_str().unwrap_or_default();
        assert!(policy.contains("connect-src 'self' ws://10.0.0.5:8080 wss://10.0.0.5:8080;"));
        headers.insert(
            header::HOST,
            HeaderValue::from_static("evil.example; script-src *"),
        );
        let policy = super::policy(&headers);
        assert!(
            policy
                .to_str()
                .unwrap_or_default()
                .contains("connect-src 'self'; ")
        );
    }
}
