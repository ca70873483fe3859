use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use lianjian_api::config::ServerConfig;
use serde_json::{Value, json};

use crate::helpers::TestApp;

const CREATE_AREA: &str =
    "mutation($input: CreateAreaInput!) { createArea(input: $input) { area { id name } } }";

#[tokio::test]
async fn typename_answers() {
    let app = TestApp::spawn().await;
    let response = app.graphql("{ __typename }", json!({})).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.ok()["__typename"], "Query");
}

#[tokio::test]
async fn malformed_json_is_a_clear_400() {
    let app = TestApp::spawn().await;
    let response = app
        .post_raw("application/json", b"{\"query\": ".to_vec())
        .await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    let error = response.error("BAD_USER_INPUT");
    assert!(
        error["message"].as_str().unwrap().contains("JSON"),
        "{error}"
    );
}

#[tokio::test]
async fn a_two_mebibyte_body_is_refused_with_413() {
    let app = TestApp::spawn().await;
    let padding = "x".repeat(2 * 1024 * 1024);
    let body = json!({ "query": "{ __typename }", "variables": { "padding": padding } });
    let response = app.post_json(&body).await;
    assert_eq!(response.status, StatusCode::PAYLOAD_TOO_LARGE);
    response.error("BAD_USER_INPUT");
    // Without a Content-Length header the limit still holds while streaming.
    let stream =
        futures_util::stream::iter((0..64).map(|_| Ok::<_, std::io::Error>(vec![b' '; 32 * 1024])));
    let request = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from_stream(stream))
        .unwrap();
    let (status, _, _) = app.request(request).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn a_query_deeper_than_the_limit_is_refused() {
    let app = TestApp::spawn_with(ServerConfig {
        max_query_depth: 5,
        ..ServerConfig::default()
    })
    .await;
    let deep = "{ __schema { types { fields { type { ofType { ofType { name } } } } } } }";
    let response = app.graphql(deep, json!({})).await;
    let error = response.error("BAD_USER_INPUT");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("nested too deep"),
        "{error}"
    );
    assert!(response.data().is_null());
}

#[tokio::test]
async fn graphiql_introspection_fits_the_default_limits() {
    let app = TestApp::spawn().await;
    let query = include_str!("fixtures/introspection.graphql");
    let response = app.graphql(query, json!({})).await;
    let types = response.ok()["__schema"]["types"].as_array().unwrap();
    assert!(types.iter().any(|t| t["name"] == "Area"));
}

#[tokio::test]
async fn mutations_do_not_run_over_get() {
    let app = TestApp::spawn().await;
    let uri = format!(
        "/graphql?query={}",
        urlencode("mutation { createArea(input: {name: \"via GET\"}) { area { id } } }")
    );
    let (status, _, body) = app.get(&uri).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert_eq!(app.count_rows("area").await, 0);
}

#[tokio::test]
async fn queries_run_over_get() {
    let app = TestApp::spawn().await;
    app.create_area("温泉景区").await;
    let uri = format!(
        "/graphql?query={}",
        urlencode("{ areas { edges { node { name } } } }")
    );
    let (status, _, body) = app.get(&uri).await;
    assert_eq!(status, StatusCode::OK);
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        body["data"]["areas"]["edges"][0]["node"]["name"],
        "温泉景区"
    );
}

#[tokio::test]
async fn requests_a_browser_form_can_send_do_not_run() {
    let app = TestApp::spawn().await;
    let body = json!({ "query": CREATE_AREA, "variables": { "input": { "name": "forged" } } });
    for content_type in [
        "text/plain",
        "text/plain;charset=UTF-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let response = app
            .post_raw(content_type, body.to_string().into_bytes())
            .await;
        assert_eq!(
            response.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type}"
        );
        response.error("BAD_USER_INPUT");
    }
    assert_eq!(app.count_rows("area").await, 0);
    assert_eq!(app.audits().await, 0);
}

#[tokio::test]
async fn batches_are_limited() {
    let app = TestApp::spawn().await;
    let two = json!([{ "query": "{ __typename }" }, { "query": "{ areas { totalCount } }" }]);
    let response = app.post_json(&two).await;
    assert_eq!(response.status, StatusCode::OK);
    let answers = response.body.as_array().unwrap();
    assert_eq!(answers.len(), 2);
    assert_eq!(answers[1]["data"]["areas"]["totalCount"], 0);

    let many: Vec<Value> = (0..11)
        .map(|_| json!({ "query": "{ __typename }" }))
        .collect();
    let response = app.post_json(&Value::Array(many)).await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    let error = response.error("BAD_USER_INPUT");
    assert!(error["message"].as_str().unwrap().contains("at most 10"));
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = TestApp::spawn().await;
    let (_, headers, _) = app.get("/healthz").await;
    let id = headers["x-request-id"].to_str().unwrap();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    let request = Request::get("/healthz")
        .header("x-request-id", "abc-123")
        .body(Body::empty())
        .unwrap();
    let (_, headers, _) = app.request(request).await;
    assert_eq!(headers["x-request-id"], "abc-123");
}

#[tokio::test]
async fn unknown_paths_are_404_json() {
    let app = TestApp::spawn().await;
    let (status, _, body) = app.get("/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND");
}

#[tokio::test]
async fn graphiql_is_served_without_internet() {
    let app = TestApp::spawn().await;
    let (status, _, body) = app.get("/graphql").await;
    assert_eq!(status, StatusCode::OK);
    let page = String::from_utf8(body).unwrap();
    assert!(page.contains("GraphiQL"));
    assert!(
        !page.contains("https://"),
        "the page must not load anything remote"
    );
    let mut assets = 0;
    for src in page
        .split("src=\"")
        .skip(1)
        .chain(page.split("href=\"").skip(1))
    {
        let path = &src[..src.find('"').unwrap()];
        let (status, headers, body) = app.get(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(!body.is_empty(), "{path}");
        let content_type = headers["content-type"].to_str().unwrap();
        assert!(content_type.starts_with("text/"), "{path}: {content_type}");
        assets += 1;
    }
    assert_eq!(assets, 5);
}

#[tokio::test]
async fn responses_are_compressed_when_asked() {
    let app = TestApp::spawn().await;
    let request = Request::get("/graphiql/graphiql.min.js")
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(Body::empty())
        .unwrap();
    let (status, headers, body) = app.request(request).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-encoding"], "gzip");
    assert!(body.len() < 500_000);
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn anonymous_callers_may_only_sign_in_and_read_the_schema() {
    let app = TestApp::spawn().await;
    let response = app
        .graphql_as(None, "{ __schema { queryType { name } } }", json!({}))
        .await;
    assert_eq!(response.ok()["__schema"]["queryType"]["name"], "Query");
    for query in [
        "{ areas { totalCount } }",
        "{ __typename areas { totalCount } }",
        "query { ...F } fragment F on Query { areas { totalCount } }",
        "mutation { createArea(input: { name: \"x\" }) { area { id } } }",
    ] {
        let response = app.graphql_as(None, query, json!({})).await;
        assert_eq!(response.code(), "UNAUTHENTICATED", "{query}");
        assert!(response.data().is_null());
    }
    assert_eq!(app.count_rows("area").await, 0);
}

/// The server keeps the parsed documents of recent query texts: the same text with other
/// variables answers for those variables, under the caller of that request, and a text that
/// does not parse is refused every time it comes.
#[tokio::test]
async fn a_query_text_sent_again_answers_for_its_own_variables_and_caller() {
    let app = TestApp::spawn().await;
    let areas = ["温泉镇", "景区", "南平村"];
    let mut ids = Vec::new();
    for name in areas {
        ids.push(app.create_area(name).await);
    }
    const AREA: &str = "query($id: ID!) { node(id: $id) { ... on Area { name } } }";
    for _ in 0..3 {
        for (id, name) in ids.iter().zip(areas) {
            let response = app.graphql(AREA, json!({ "id": id })).await;
            assert_eq!(response.ok()["node"]["name"], name);
        }
    }
    // The same text without a token: refused, though it was admitted for the admin before.
    let anonymous = app.graphql_as(None, AREA, json!({ "id": ids[0] })).await;
    assert_eq!(anonymous.code(), "UNAUTHENTICATED");
    let first = app.graphql("{ node(id: ", json!({})).await;
    let again = app.graphql("{ node(id: ", json!({})).await;
    assert_eq!(first.errors().len(), 1, "{}", first.body);
    assert!(first.data().is_null(), "{}", first.body);
    assert_eq!(first.errors()[0]["message"], again.errors()[0]["message"]);
}
