//! Document limits through the API: the nodes a query may return, the fields a document
//! selects, directives, and names that show nothing. Costs are written by hand.

use axum::http::StatusCode;
use lianjian_api::config::ServerConfig;
use serde_json::{Value, json};

use crate::helpers::{Gql, TestApp};

/// The error of a refused document, after checking that nothing ran.
fn refused(response: &Gql) -> Value {
    let error = response.error("BAD_USER_INPUT");
    assert!(response.data().is_null(), "{}", response.body);
    error
}

/// Three nested pages of 100: 100 + 100 * 100 + 100 * 100 * 100 nodes.
const THREE_LEVELS: &str = "query($n: Int) { organizations(first: $n) { nodes { name
    children(first: $n) { nodes { name people(first: $n) { nodes { name } } } } } } }";

#[tokio::test]
async fn a_list_with_details_passes_and_a_third_level_of_pages_is_refused() {
    let app = TestApp::spawn().await;
    let two = "{ organizations(first: 100) { nodes { name people(first: 100) { totalCount nodes { name } } } } }";
    let response = app.graphql(two, json!({})).await;
    assert_eq!(response.ok()["organizations"]["nodes"], json!([]));

    let response = app.graphql(THREE_LEVELS, json!({ "n": 100 })).await;
    let error = refused(&response);
    assert_eq!(error["extensions"]["cost"], 1_010_100);
    assert_eq!(error["extensions"]["limit"], 100_000);
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("1010100") && message.contains("100000"),
        "{message}"
    );

    // The same document with smaller pages from its variables: 10 + 100 + 1,000.
    let response = app.graphql(THREE_LEVELS, json!({ "n": 10 })).await;
    assert_eq!(response.ok()["organizations"]["nodes"], json!([]));
    // Without first, each page counts 20: 20 + 400 + 8,000.
    let response = app.graphql(THREE_LEVELS, json!({})).await;
    response.ok();
}

#[tokio::test]
async fn the_node_limit_follows_fragments_and_the_flag() {
    let app = TestApp::spawn_with(ServerConfig {
        max_query_nodes: 50,
        ..ServerConfig::default()
    })
    .await;
    // 10 + 10 * 4 = 50: at the limit.
    let query = "{ organizations(first: 10) { nodes { ...A } } }
        fragment A on Organization { children(first: 4) { totalCount } }";
    app.graphql(query, json!({})).await.ok();
    // Spread twice: 10 + 2 * 40 = 90.
    let query = "{ organizations(first: 10) { nodes { ...A ...A } } }
        fragment A on Organization { children(first: 4) { totalCount } }";
    let error = refused(&app.graphql(query, json!({})).await);
    assert_eq!(error["extensions"]["cost"], 90);
    assert_eq!(error["extensions"]["limit"], 50);
    // nodes(ids:) counts one per id, here 51.
    let ids: Vec<String> = (0..51).map(|i| format!("id{i}")).collect();
    let error = refused(
        &app.graphql(
            "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            json!({ "ids": ids }),
        )
        .await,
    );
    assert_eq!(error["extensions"]["cost"], 51);
}

#[tokio::test]
async fn a_document_selects_at_most_the_field_limit() {
    let app = TestApp::spawn().await;
    let aliases = |n: usize| {
        let fields: String = (0..n).map(|i| format!("a{i}: __typename ")).collect();
        format!("{{ {fields} }}")
    };
    let response = app.graphql(&aliases(2_000), json!({})).await;
    assert_eq!(response.ok()["a1999"], "Query");

    let response = app.graphql(&aliases(20_000), json!({})).await;
    let error = refused(&response);
    assert_eq!(error["extensions"]["cost"], 20_000);
    assert_eq!(error["extensions"]["limit"], 2_000);

    // Anonymous callers are held to it too (a fragment counts where it is spread: 1,001 * 2).
    let query = format!(
        "{{ ...F ...F }} fragment F on Query {{ {} }}",
        (0..1001)
            .map(|i| format!("a{i}: __typename "))
            .collect::<String>()
    );
    let error = refused(&app.graphql_as(None, &query, json!({})).await);
    assert_eq!(error["extensions"]["cost"], 2_002);
}

#[tokio::test]
async fn a_fragment_bomb_is_refused_at_once() {
    let app = TestApp::spawn().await;
    // F0 selects one field, each next fragment spreads the previous one twice: 2^26 fields,
    // within async-graphql's limit of 32 nested selections (its own check of that limit
    // expands every spread; this one must run first).
    let mut query = String::from("{ ...F26 } fragment F0 on Query { __typename }");
    for k in 1..=26 {
        query.push_str(&format!(
            " fragment F{k} on Query {{ ...F{} ...F{} }}",
            k - 1,
            k - 1
        ));
    }
    let started = std::time::Instant::now();
    let response = app.graphql(&query, json!({})).await;
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    let error = refused(&response);
    assert_eq!(error["extensions"]["cost"], 1u64 << 26, "{error}");
}

#[tokio::test]
async fn unknown_directives_are_refused_everywhere() {
    let app = TestApp::spawn().await;
    for query in [
        "query @foo { __typename }",
        "query($x: Int @foo) { __typename }",
        "{ __typename @foo }",
        "{ areas @foo { totalCount } }",
        "{ areas { nodes { name @foo } } }",
        "{ ...F @foo } fragment F on Query { __typename }",
        "{ ... @foo { __typename } }",
        "{ ...F } fragment F on Query @foo { __typename }",
        "mutation @foo { __typename }",
    ] {
        let error = refused(&app.graphql(query, json!({})).await);
        assert!(
            error["message"].as_str().unwrap().contains("@foo"),
            "{query}: {error}"
        );
    }
    // @skip and @include work where they belong, and only there.
    let response = app
        .graphql(
            "{ __typename @skip(if: true) areas @include(if: true) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(response.ok(), &json!({ "areas": { "totalCount": 0 } }));
    let error = refused(
        &app.graphql("query @skip(if: true) { __typename }", json!({}))
            .await,
    );
    assert!(
        error["message"].as_str().unwrap().contains("@skip"),
        "{error}"
    );
}

#[tokio::test]
async fn limits_hold_over_get_and_in_batches() {
    let app = TestApp::spawn().await;
    let (status, _, body) = app
        .get("/graphql?query=%7B%20__typename%20%40foo%20%7D")
        .await;
    assert_eq!(status, StatusCode::OK);
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert!(body["data"].is_null(), "{body}");

    let response = app
        .post_json(&json!([
            { "query": "{ __typename }" },
            { "query": THREE_LEVELS, "variables": { "n": 100 } },
        ]))
        .await;
    let answers = response.body.as_array().unwrap();
    assert_eq!(answers[0]["data"]["__typename"], "Query");
    assert_eq!(answers[1]["errors"][0]["extensions"]["cost"], 1_010_100);
}

#[tokio::test]
async fn names_of_invisible_characters_are_refused_like_empty_ones() {
    let app = TestApp::spawn().await;
    let create = "mutation($input: CreateAreaInput!) { createArea(input: $input) { area { id } } }";
    for name in [
        "\u{200B}\u{200B}",
        "\u{FEFF}",
        " \u{2060}\u{200D} ",
        "\u{200C}\u{3000}",
    ] {
        let response = app
            .graphql(create, json!({ "input": { "name": name } }))
            .await;
        let error = refused(&response);
        assert_eq!(error["extensions"]["field"], "name", "{name:?}: {error}");
    }
    assert_eq!(app.count_rows("area").await, 0);
    // A visible name next to an invisible character is a name.
    let response = app
        .graphql(create, json!({ "input": { "name": "温泉\u{200B}" } }))
        .await;
    response.ok();
}
