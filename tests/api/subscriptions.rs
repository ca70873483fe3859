use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest, http::HeaderValue};

use crate::{helpers::TestApp, sockets::Socket};

/// A subscription over a real WebSocket with the graphql-transport-ws protocol.
#[tokio::test]
async fn area_created_reaches_a_websocket_subscriber() {
    let app = TestApp::spawn().await;
    let addr = app.serve().await;
    let mut request = format!("ws://{addr}/graphql/ws")
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let (mut socket, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(
        response.headers()["sec-websocket-protocol"],
        "graphql-transport-ws"
    );

    let send = |value: Value| Message::Text(value.to_string().into());
    let authorization = format!("Bearer {}", app.admin_token);
    socket
        .send(send(json!({
            "type": "connection_init",
            "payload": { "authorization": authorization }
        })))
        .await
        .unwrap();
    assert_eq!(next_json(&mut socket).await["type"], "connection_ack");
    socket
        .send(send(json!({
            "id": "1",
            "type": "subscribe",
            "payload": { "query": "subscription { areaCreated { id name } }" }
        })))
        .await
        .unwrap();
    // Let the subscription register before the event is published.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let id = app.create_area("温泉景区").await;

    let message = next_json(&mut socket).await;
    assert_eq!(message["type"], "next", "{message}");
    assert_eq!(message["id"], "1");
    assert_eq!(
        message["payload"]["data"]["areaCreated"]["name"], "温泉景区",
        "{message}"
    );
    assert_eq!(message["payload"]["data"]["areaCreated"]["id"], id.as_str());

    socket
        .send(send(json!({ "id": "1", "type": "complete" })))
        .await
        .unwrap();
    socket.close(None).await.unwrap();
}

/// A subscription holds no turn while it streams, and a query over a socket gives its turn back
/// when it has answered: with one operation at a time allowed, two open subscriptions and a
/// query over the same socket still let a mutation run, and both subscriptions hear of it.
#[tokio::test]
async fn open_subscriptions_leave_the_turns_to_queries_and_mutations() {
    let app = TestApp::spawn_with(lianjian_api::config::ServerConfig {
        max_operations: 1,
        ..Default::default()
    })
    .await;
    let addr = app.serve().await;
    let mut sockets = Vec::new();
    for _ in 0..2 {
        let mut socket = Socket::connect(addr, Some(&app.admin_token)).await;
        socket
            .start("subscription { areaCreated { name } }", json!({}))
            .await;
        sockets.push(socket);
    }
    let counted = sockets[0]
        .run("{ areas(first: 1) { totalCount } }", json!({}))
        .await;
    assert_eq!(counted, json!({ "data": { "areas": { "totalCount": 0 } } }));
    // Let the subscriptions register before the event is published.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let created = tokio::time::timeout(Duration::from_secs(10), app.create_area("温泉景区"))
        .await
        .expect("the mutation ran beside two open subscriptions");
    assert!(!created.is_empty());
    for socket in &mut sockets {
        let message = socket.json().await;
        assert_eq!(
            message["payload"]["data"]["areaCreated"]["name"], "温泉景区",
            "{message}"
        );
    }
}

async fn next_json<S>(socket: &mut S) -> Value
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("a message within 10 seconds")
            .expect("the socket is open")
            .expect("a valid frame");
        if let Message::Text(text) = message {
            return serde_json::from_str(&text).unwrap();
        }
    }
}

/// Without a token in `connection_init`, subscribing is refused; a bad token closes the socket.
#[tokio::test]
async fn subscriptions_need_a_signed_in_user() {
    let app = TestApp::spawn().await;
    let addr = app.serve().await;
    for payload in [json!({}), json!({ "authorization": "Bearer not-a-token" })] {
        let mut request = format!("ws://{addr}/graphql/ws")
            .into_client_request()
            .unwrap();
        request.headers_mut().insert(
            "sec-websocket-protocol",
            HeaderValue::from_static("graphql-transport-ws"),
        );
        let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
        let send = |value: Value| Message::Text(value.to_string().into());
        let bad_token = payload.get("authorization").is_some();
        socket
            .send(send(
                json!({ "type": "connection_init", "payload": payload }),
            ))
            .await
            .unwrap();
        if bad_token {
            // The server ends the connection instead of acknowledging it.
            let next = tokio::time::timeout(Duration::from_secs(10), socket.next())
                .await
                .unwrap();
            let acknowledged = matches!(
                &next,
                Some(Ok(Message::Text(text))) if text.contains("connection_ack")
            );
            assert!(!acknowledged, "{next:?}");
            continue;
        }
        assert_eq!(next_json(&mut socket).await["type"], "connection_ack");
        socket
            .send(send(json!({
                "id": "1",
                "type": "subscribe",
                "payload": { "query": "subscription { areaCreated { id } }" }
            })))
            .await
            .unwrap();
        let message = next_json(&mut socket).await;
        let text = message.to_string();
        assert!(text.contains("UNAUTHENTICATED"), "{text}");
    }
}

/// Activity events reach a subscriber only for activities it may read.
#[tokio::test]
async fn joint_activity_events_deliver_only_what_the_subscriber_may_read() {
    use lianjian_api::{authz::Role, graphql::ids, services::accounts::GrantScope};
    let app = TestApp::spawn().await;
    let area = app.create_area("温泉镇").await;
    let mut orgs = Vec::new();
    for name in ["南平村党支部", "石坑村党支部"] {
        let r = app
            .graphql(
                "mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id } } }",
                json!({ "input": { "name": name, "level": "BRANCH", "unitType": "VILLAGE", "areaId": area } }),
            )
            .await;
        orgs.push(
            r.ok()["createOrganization"]["organization"]["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let (b, c) = (&orgs[0], &orgs[1]);
    let b_uuid = ids::decode("id", &async_graphql::ID(b.clone())).unwrap().id;
    let token = app
        .user_with(
            "member-b",
            &[(Role::Member, GrantScope::Organization(b_uuid))],
        )
        .await;

    let addr = app.serve().await;
    let mut request = format!("ws://{addr}/graphql/ws")
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let send = |value: Value| Message::Text(value.to_string().into());
    socket
        .send(send(json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {token}") } })))
        .await
        .unwrap();
    assert_eq!(next_json(&mut socket).await["type"], "connection_ack");
    socket
        .send(send(json!({ "id": "a", "type": "subscribe", "payload": {
            "query": "subscription { jointActivityEvents { action jointActivity { title host { name } } } }" } })))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    let schedule = "mutation($input: ScheduleJointActivityInput!) { scheduleJointActivity(input: $input) { jointActivity { id } } }";
    let input = |title: &str, participants: Vec<&String>, day: u32| {
        json!({ "input": { "title": title, "kind": "PATROL", "hostOrganizationId": c, "participantOrganizationIds": participants,
            "venue": format!("河堤{day}"), "startsAt": format!("2027-08-{day:02}T09:00:00+08:00"), "endsAt": format!("2027-08-{day:02}T10:00:00+08:00") } })
    };
    app.graphql(schedule, input("石坑村自己的巡河", vec![], 1))
        .await
        .ok();
    let visible = app.graphql(schedule, input("联合巡河", vec![b], 2)).await;
    let id = visible.ok()["scheduleJointActivity"]["jointActivity"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let message = next_json(&mut socket).await;
    assert_eq!(
        message["payload"]["data"]["jointActivityEvents"]["action"], "SCHEDULED",
        "{message}"
    );
    assert_eq!(
        message["payload"]["data"]["jointActivityEvents"]["jointActivity"]["title"],
        "联合巡河"
    );
    assert_eq!(
        message["payload"]["data"]["jointActivityEvents"]["jointActivity"]["host"]["name"],
        "石坑村党支部"
    );
    app.graphql(
        "mutation($id: ID!) { confirmJointActivity(input: { id: $id }) { jointActivity { id } } }",
        json!({ "id": id }),
    )
    .await
    .ok();
    let message = next_json(&mut socket).await;
    assert_eq!(
        message["payload"]["data"]["jointActivityEvents"]["action"], "CONFIRMED",
        "{message}"
    );
    socket.close(None).await.unwrap();
}
