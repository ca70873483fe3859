//! Sign-in over every transport: the schema refuses anonymous operations itself, and a WebSocket
//! checks its token again for every operation and every subscription event.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use lianjian_api::{
    auth::TokenKeys,
    authz::Role,
    graphql::ids,
    services::accounts::{self, GrantScope},
};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::{Value, json};
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream,
    tungstenite::{Message, client::IntoClientRequest, http::HeaderValue},
};

use crate::helpers::TestApp;

/// A graphql-transport-ws client over a real socket.
pub(crate) struct Socket {
    inner: WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>,
    next_id: u32,
}

/// What the server sent next.
#[derive(Debug)]
pub(crate) enum Incoming {
    Json(Value),
    Closed { code: u16, reason: String },
}

impl Socket {
    /// Opens a socket and sends `connection_init` with `payload`, without waiting for the answer.
    pub(crate) async fn open(addr: std::net::SocketAddr, payload: Value) -> Self {
        let mut request = format!("ws://{addr}/graphql/ws")
            .into_client_request()
            .unwrap();
        request.headers_mut().insert(
            "sec-websocket-protocol",
            HeaderValue::from_static("graphql-transport-ws"),
        );
        let (inner, _) = tokio_tungstenite::connect_async(request).await.unwrap();
        let mut socket = Self { inner, next_id: 0 };
        socket
            .send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        socket
    }

    /// Opens a socket signed in with `token` (or anonymous) and waits for the acknowledgement.
    pub(crate) async fn connect(addr: std::net::SocketAddr, token: Option<&str>) -> Self {
        let payload = match token {
            Some(token) => json!({ "authorization": format!("Bearer {token}") }),
            None => json!({}),
        };
        let mut socket = Self::open(addr, payload).await;
        assert_eq!(socket.json().await["type"], "connection_ack");
        socket
    }

    pub(crate) async fn send(&mut self, value: Value) {
        self.inner
            .send(Message::Text(value.to_string().into()))
            .await
            .unwrap();
    }

    pub(crate) async fn next(&mut self) -> Incoming {
        loop {
            let message = tokio::time::timeout(Duration::from_secs(10), self.inner.next())
                .await
                .expect("a message within 10 seconds");
            match message {
                Some(Ok(Message::Text(text))) => {
                    return Incoming::Json(serde_json::from_str(&text).unwrap());
                }
                Some(Ok(Message::Close(frame))) => {
                    let (code, reason) = frame
                        .map(|f| (u16::from(f.code), f.reason.to_string()))
                        .unwrap_or((1005, String::new()));
                    return Incoming::Closed { code, reason };
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => panic!("socket error: {e}"),
                None => panic!("the socket ended without a close frame"),
            }
        }
    }

    pub(crate) async fn json(&mut self) -> Value {
        match self.next().await {
            Incoming::Json(value) => value,
            other => panic!("expected a message, got {other:?}"),
        }
    }

    /// The close frame the server sends next.
    pub(crate) async fn closed(&mut self) -> (u16, String) {
        match self.next().await {
            Incoming::Closed { code, reason } => (code, reason),
            other => panic!("expected the socket to be closed, got {other:?}"),
        }
    }

    /// Starts an operation and returns its id.
    pub(crate) async fn start(&mut self, query: &str, variables: Value) -> String {
        self.next_id += 1;
        let id = self.next_id.to_string();
        self.send(json!({ "id": id, "type": "subscribe",
            "payload": { "query": query, "variables": variables } }))
            .await;
        id
    }

    /// Runs a query or mutation and returns its result (`data` and `errors`).
    pub(crate) async fn run(&mut self, query: &str, variables: Value) -> Value {
        let id = self.start(query, variables).await;
        let message = self.json().await;
        assert_eq!(message["id"], id.as_str(), "{message}");
        assert_eq!(message["type"], "next", "{message}");
        let done = self.json().await;
        assert_eq!(done, json!({ "id": id, "type": "complete" }));
        message["payload"].clone()
    }
}

fn code(result: &Value) -> &str {
    result["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("expected an error, got {result}"))
}

/// The API is the gate: run directly, without any transport, it refuses anonymous operations
/// that are not sign-in or introspection.
#[tokio::test]
async fn the_api_refuses_anonymous_operations_without_any_transport() {
    let app = TestApp::spawn().await;
    let schema = lianjian_api::graphql::Api::new(Some(app.state.clone()));
    for query in [
        "{ organizations { totalCount } }",
        "{ __typename ... on Query { areas { totalCount } } }",
        "query A { __typename } query B { areas { totalCount } }",
        "mutation { createArea(input: { name: \"x\" }) { area { id } } }",
    ] {
        let response = schema.execute(query).await;
        assert_eq!(response.errors.len(), 1, "{query}");
        let extensions = response.errors[0].extensions.as_ref().unwrap();
        assert_eq!(
            extensions.get("code"),
            Some(&async_graphql::Value::from("UNAUTHENTICATED")),
            "{query}"
        );
        assert_eq!(response.data, async_graphql::Value::Null, "{query}");
    }
    let response = schema.execute("{ __typename }").await;
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    assert_eq!(app.count_rows("area").await, 0);
}

/// Over GET and in a batch, each anonymous operation is judged on its own.
#[tokio::test]
async fn anonymous_get_and_batch_operations_are_refused() {
    use axum::{body::Body, http::Request};
    let app = TestApp::spawn().await;
    let (_, _, body) = app
        .request(
            Request::get("/graphql?query=%7B%20areas%20%7B%20totalCount%20%7D%20%7D")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    assert!(body["data"].is_null());

    let (_, _, body) = app
        .request(
            Request::post("/graphql")
                .header("content-type", "application/json")
                .body(Body::from(
                    json!([{ "query": "{ __typename }" }, { "query": "{ areas { totalCount } }" }])
                        .to_string(),
                ))
                .unwrap(),
        )
        .await;
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body[0]["data"]["__typename"], "Query");
    assert_eq!(
        body[1]["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
    assert!(body[1]["data"].is_null());
}

/// A socket without a token is accepted, and may only sign in and read the schema.
#[tokio::test]
async fn an_anonymous_socket_may_only_sign_in() {
    let app = TestApp::spawn().await;
    app.user_with("lin", &[]).await;
    let addr = app.serve().await;
    let mut socket = Socket::connect(addr, None).await;
    for query in [
        "{ organizations { totalCount } }",
        "{ __typename viewer { user { username } } }",
        "query { ...F } fragment F on Query { areas { totalCount } }",
        "mutation { createArea(input: { name: \"x\" }) { area { id } } }",
    ] {
        let result = socket.run(query, json!({})).await;
        assert_eq!(code(&result), "UNAUTHENTICATED", "{query}");
        assert!(result["data"].is_null(), "{result}");
    }
    let id = socket
        .start("subscription { areaCreated { id } }", json!({}))
        .await;
    let message = socket.json().await;
    assert_eq!(message["id"], id.as_str());
    assert_eq!(
        message["payload"]["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{message}"
    );
    assert_eq!(socket.json().await, json!({ "id": id, "type": "complete" }));
    assert_eq!(app.count_rows("area").await, 0);

    let result = socket
        .run("{ __schema { queryType { name } } }", json!({}))
        .await;
    assert_eq!(result["data"]["__schema"]["queryType"]["name"], "Query");
    let result = socket
        .run(
            "mutation { login(input: { username: \"lin\", password: \"password-123\" }) { viewer { user { username } } } }",
            json!({}),
        )
        .await;
    assert_eq!(result["data"]["login"]["viewer"]["user"]["username"], "lin");
}

/// A member's socket: the global id of its account and its token.
async fn member(app: &TestApp, username: &str) -> (String, String, uuid::Uuid) {
    let area = app.create_area(&format!("{username}镇")).await;
    let org = app
        .graphql(
            "mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id } } }",
            json!({ "input": { "name": format!("{username}村党支部"), "level": "BRANCH", "unitType": "VILLAGE", "areaId": area } }),
        )
        .await;
    let org = org.ok()["createOrganization"]["organization"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let org_uuid = ids::decode("id", &async_graphql::ID(org.clone()))
        .unwrap()
        .id;
    let token = app
        .user_with(
            username,
            &[(Role::Member, GrantScope::Organization(org_uuid))],
        )
        .await;
    let user = app
        .graphql_as(Some(&token), "{ viewer { user { id } } }", json!({}))
        .await;
    let user = user.ok()["viewer"]["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    (user, token, org_uuid)
}

const VIEWER: &str = "{ viewer { user { username } } }";

/// A password reset, a disabled account and an expired token each end the socket's rights at its
/// very next operation: the operation is refused and the server closes the socket with 4401.
#[tokio::test]
async fn a_socket_is_closed_once_its_token_is_no_longer_valid() {
    let app = TestApp::spawn().await;
    let addr = app.serve().await;

    // Password reset.
    let (user, token, _) = member(&app, "wuli").await;
    let mut socket = Socket::connect(addr, Some(&token)).await;
    assert_eq!(
        socket.run(VIEWER, json!({})).await["data"]["viewer"]["user"]["username"],
        "wuli"
    );
    app.graphql(
        "mutation($input: ResetPasswordInput!) { resetPassword(input: $input) { user { username } } }",
        json!({ "input": { "userId": user, "newPassword": "another-password" } }),
    )
    .await
    .ok();
    let id = socket.start(VIEWER, json!({})).await;
    let refused = socket.json().await;
    assert_eq!(refused["id"], id.as_str());
    assert_eq!(code(&refused["payload"]), "UNAUTHENTICATED", "{refused}");
    assert!(refused["payload"]["data"].is_null());
    assert_eq!(
        socket.closed().await,
        (4401, "token no longer valid".to_owned())
    );

    // A disabled account (there is no mutation for it: an operator sets the flag).
    let (_, token, _) = member(&app, "zheng").await;
    let mut socket = Socket::connect(addr, Some(&token)).await;
    assert_eq!(
        socket.run(VIEWER, json!({})).await["data"]["viewer"]["user"]["username"],
        "zheng"
    );
    let subject = app.state.tokens.verify(&token).unwrap();
    let account = entities::user_account::Entity::find_by_id(subject.user_id)
        .one(&app.state.db.write)
        .await
        .unwrap()
        .unwrap();
    let mut account: entities::user_account::ActiveModel = account.into();
    account.disabled = Set(true);
    account.update(&app.state.db.write).await.unwrap();
    let refused = socket.json_of(VIEWER).await;
    assert_eq!(code(&refused["payload"]), "UNAUTHENTICATED", "{refused}");
    assert_eq!(socket.closed().await.0, 4401);

    // An expired token: one issued by the server's key with a two-second lifetime.
    let (_, token, _) = member(&app, "feng").await;
    let subject = app.state.tokens.verify(&token).unwrap();
    let secret = accounts::token_secret(
        &app.state.db.read,
        app.state
            .config
            .server
            .jwt_secret
            .as_ref()
            .map(|s| s.0.as_str()),
    )
    .await
    .unwrap();
    let short = TokenKeys::new(&secret, chrono::Duration::seconds(2));
    let (token, expires_at) = short.issue(subject.user_id, subject.version).unwrap();
    let mut socket = Socket::connect(addr, Some(&token)).await;
    assert_eq!(
        socket.run(VIEWER, json!({})).await["data"]["viewer"]["user"]["username"],
        "feng"
    );
    let wait = (expires_at - chrono::Utc::now())
        .to_std()
        .unwrap_or_default();
    tokio::time::sleep(wait + Duration::from_millis(1100)).await;
    let refused = socket.json_of(VIEWER).await;
    assert_eq!(code(&refused["payload"]), "UNAUTHENTICATED", "{refused}");
    assert_eq!(socket.closed().await.0, 4401);

    // A token that is not valid at `connection_init` is refused before any operation.
    let mut socket = Socket::open(addr, json!({ "authorization": "Bearer not-a-token" })).await;
    assert_eq!(socket.closed().await, (4403, "token not valid".to_owned()));
}

impl Socket {
    /// Starts an operation and returns the first message answering it.
    async fn json_of(&mut self, query: &str) -> Value {
        let id = self.start(query, json!({})).await;
        let message = self.json().await;
        assert_eq!(message["id"], id.as_str(), "{message}");
        message
    }
}

/// A subscription re-reads its viewer for every event: once the subscriber's role is revoked it
/// delivers nothing more and completes; the token itself is still valid, so the socket stays
/// open and its next query sees the grants of now.
#[tokio::test]
async fn a_revoked_role_ends_subscriptions_and_narrows_the_next_query() {
    let app = TestApp::spawn().await;
    let (user, token, org) = member(&app, "chen").await;
    let org_id = ids::encode(ids::NodeKind::Organization, org).0;
    let addr = app.serve().await;
    let mut socket = Socket::connect(addr, Some(&token)).await;
    let subscription = socket
        .start(
            "subscription { jointActivityEvents { action jointActivity { title } } }",
            json!({}),
        )
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let schedule = "mutation($input: ScheduleJointActivityInput!) { scheduleJointActivity(input: $input) { jointActivity { id } } }";
    let input = |title: &str, day: u32| {
        json!({ "input": { "title": title, "kind": "PATROL", "hostOrganizationId": org_id,
            "participantOrganizationIds": [], "venue": "河堤", "startsAt": format!("2027-08-{day:02}T09:00:00+08:00"),
            "endsAt": format!("2027-08-{day:02}T10:00:00+08:00") } })
    };
    app.graphql(schedule, input("第一次巡河", 1)).await.ok();
    let event = socket.json().await;
    let result = app
        .graphql_as(
            Some(&token),
            "{ jointActivities { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(result.ok()["jointActivities"]["totalCount"], 1);
    assert_eq!(event["id"], subscription.as_str());
    assert_eq!(
        event["payload"]["data"]["jointActivityEvents"]["jointActivity"]["title"],
        "第一次巡河"
    );

    app.graphql(
        "mutation($input: RevokeRoleInput!) { revokeRole(input: $input) { user { username } } }",
        json!({ "input": { "userId": user, "role": "MEMBER", "scopeId": org_id } }),
    )
    .await
    .ok();
    app.graphql(schedule, input("第二次巡河", 2)).await.ok();
    // No event after the revocation: the subscription completes instead.
    assert_eq!(
        socket.json().await,
        json!({ "id": subscription, "type": "complete" })
    );
    let result = socket
        .run("{ jointActivities { totalCount } }", json!({}))
        .await;
    assert_eq!(
        result["data"]["jointActivities"]["totalCount"], 0,
        "{result}"
    );
}

/// A subscription whose token stops being valid delivers nothing more and the socket closes.
#[tokio::test]
async fn a_subscription_ends_with_its_token() {
    let app = TestApp::spawn().await;
    let (user, token, _) = member(&app, "heli").await;
    let addr = app.serve().await;
    let mut socket = Socket::connect(addr, Some(&token)).await;
    let subscription = socket
        .start("subscription { areaCreated { name } }", json!({}))
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    app.create_area("之前").await;
    let event = socket.json().await;
    assert_eq!(event["payload"]["data"]["areaCreated"]["name"], "之前");

    app.graphql(
        "mutation($input: ResetPasswordInput!) { resetPassword(input: $input) { user { username } } }",
        json!({ "input": { "userId": user, "newPassword": "another-password" } }),
    )
    .await
    .ok();
    app.create_area("之后").await;
    assert_eq!(
        socket.json().await,
        json!({ "id": subscription, "type": "complete" })
    );
    assert_eq!(
        socket.closed().await,
        (4401, "token no longer valid".to_owned())
    );
}

/// Socket messages obey the HTTP body limit (1 MiB by default).
#[tokio::test]
async fn an_oversize_socket_message_is_refused() {
    let app = TestApp::spawn().await;
    let addr = app.serve().await;
    let mut socket = Socket::connect(addr, Some(&app.admin_token)).await;
    let padding = "#".repeat(2 * 1024 * 1024);
    socket
        .send(json!({ "id": "big", "type": "subscribe",
            "payload": { "query": format!("{{ __typename }}\n{padding}") } }))
        .await;
    assert_eq!(socket.closed().await, (1009, "message too big".to_owned()));
}

/// Sign-ins over a socket count against the socket's peer address, like HTTP sign-ins from it,
/// and not against one address shared by every socket.
#[tokio::test]
async fn socket_sign_ins_are_throttled_per_peer_address() {
    use sea_orm::{ColumnTrait, QueryFilter};
    let app = TestApp::spawn().await;
    app.user_with("qian", &[]).await;
    let addr = app.serve().await;
    let mut socket = Socket::connect(addr, None).await;
    let login = "mutation($input: LoginInput!) { login(input: $input) { token } }";
    for i in 0..20 {
        let result = socket
            .run(
                login,
                json!({ "input": { "username": format!("nobody{i}"), "password": "wrong-password" } }),
            )
            .await;
        assert_eq!(code(&result), "BAD_USER_INPUT", "{result}");
    }
    let result = socket
        .run(
            login,
            json!({ "input": { "username": "qian", "password": "password-123" } }),
        )
        .await;
    assert_eq!(code(&result), "RATE_LIMITED", "{result}");
    let recorded = entities::attempt_counter::Entity::find()
        .filter(entities::attempt_counter::Column::Kind.eq("login-address"))
        .all(&app.state.db.read)
        .await
        .unwrap();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].subject, "127.0.0.1");
    assert_eq!(recorded[0].attempts, 20);
    // The same address over HTTP shares the limit; another address does not.
    app.login_from("127.0.0.1", "qian", "password-123")
        .await
        .error("RATE_LIMITED");
    app.login_from("10.3.0.1", "qian", "password-123")
        .await
        .ok();
}

/// When the database does not answer while a token is checked, the caller is not told it is
/// signed out: HTTP answers 503 with INTERNAL and no details, a socket operation INTERNAL.
#[tokio::test]
async fn a_database_failure_while_authenticating_is_not_unauthenticated() {
    let app = TestApp::spawn().await;
    let addr = app.serve().await;
    let mut socket = Socket::connect(addr, Some(&app.admin_token)).await;
    app.state.db.read.close_by_ref().await.unwrap();

    let response = app
        .graphql("{ viewer { user { username } } }", json!({}))
        .await;
    assert_eq!(response.status, axum::http::StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        response.body,
        json!({ "errors": [{ "message": "the service is unavailable; try again shortly",
            "extensions": { "code": "INTERNAL" } }] })
    );

    let refused = socket.json_of("{ viewer { user { username } } }").await;
    assert_eq!(
        refused["payload"],
        json!({ "data": null, "errors": [{ "message": "internal error",
            "extensions": { "code": "INTERNAL" } }] })
    );
    assert_eq!(socket.json().await["type"], "complete");
    // The socket stays open (the database may come back) and answers the next operation.
    let result = socket.run("{ __typename }", json!({})).await;
    assert_eq!(code(&result), "INTERNAL", "{result}");

    let mut socket = Socket::open(
        addr,
        json!({ "authorization": format!("Bearer {}", app.admin_token) }),
    )
    .await;
    assert_eq!(socket.closed().await, (1011, "internal error".to_owned()));
}
