//! `countUpTo`: a count that stops at a bound. The expected answers come from walking every page
//! of the same list as the same caller and counting the nodes, never from `countUpTo` or
//! `totalCount` themselves: with `n` nodes, `countUpTo(limit: k)` is `{ count: min(n, k),
//! exact: n <= k }`.

use lianjian_api::{authz::Role, services::accounts::GrantScope};
use serde_json::{Value, json};

use crate::helpers::{Gql, TestApp};

/// The lists counted: field, arguments (besides paging).
const LISTS: &[(&str, &str)] = &[
    ("organizations", ""),
    ("people", ""),
    ("supervisionItems", ""),
    ("jointActivities", ""),
    (
        "jointActivities",
        r#"filter: { from: "2026-01-01T00:00:00Z" }"#,
    ),
    ("residentAppeals", ""),
    ("linkageGroups", ""),
];

/// How many nodes `field(args)` has for `token`, by reading every page of 100.
async fn walked(app: &TestApp, token: &str, field: &str, args: &str) -> u64 {
    let sep = if args.is_empty() { "" } else { ", " };
    let query = format!(
        "query($after: String) {{ {field}({args}{sep}first: 100, after: $after) {{ edges {{ node {{ id }} }} pageInfo {{ hasNextPage endCursor }} }} }}"
    );
    let mut after = Value::Null;
    let mut n = 0;
    loop {
        let response = app
            .graphql_as(Some(token), &query, json!({ "after": after }))
            .await;
        let connection = response.ok()[field].clone();
        n += connection["edges"].as_array().unwrap().len() as u64;
        if !connection["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            return n;
        }
        after = connection["pageInfo"]["endCursor"].clone();
    }
}

fn expected(n: u64, limit: u64) -> Value {
    json!({ "count": n.min(limit), "exact": n <= limit })
}

/// The limits worth asking for a list of `n`: on both sides of `n`, 1 and the largest.
fn limits_around(n: u64) -> Vec<u64> {
    let mut limits = vec![1, n.saturating_sub(1).max(1), n.max(1), n + 1, 10_000];
    limits.sort_unstable();
    limits.dedup();
    limits
}

async fn scoped_token(app: &TestApp) -> String {
    // The organization with the most children: a secretary of it sees a part of each list.
    let orgs = app
        .graphql(
            "{ organizations(first: 100) { nodes { id children { totalCount } } } }",
            json!({}),
        )
        .await;
    let org = orgs.ok()["organizations"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .max_by_key(|o| o["children"]["totalCount"].as_u64().unwrap())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let org = lianjian_api::graphql::ids::decode("id", &async_graphql::ID(org))
        .unwrap()
        .id;
    app.user_with(
        "counted-secretary",
        &[(Role::OrgSecretary, GrantScope::Organization(org))],
    )
    .await
}

#[tokio::test]
async fn count_up_to_counts_what_the_caller_can_page_through_and_stops_at_the_limit() {
    let app = TestApp::spawn().await;
    app.load_demo().await;
    let secretary = scoped_token(&app).await;
    let mut scoped_smaller = 0;
    for (who, token) in [("admin", app.admin_token.clone()), ("secretary", secretary)] {
        for (field, args) in LISTS {
            let n = walked(&app, &token, field, args).await;
            if who == "admin" && args.is_empty() {
                assert!(n > 0, "{field}({args}): the demo has rows");
            }
            let sep = if args.is_empty() { "" } else { ", " };
            for limit in limits_around(n) {
                // Alone: the count that stops at the bound.
                let query = format!(
                    "{{ {field}({args}{sep}first: 1) {{ countUpTo(limit: {limit}) {{ count exact }} }} }}"
                );
                let response = app.graphql_as(Some(&token), &query, json!({})).await;
                assert_eq!(
                    response.ok()[field]["countUpTo"],
                    expected(n, limit),
                    "{who}: {field}({args}) with {n} nodes, limit {limit}"
                );
                // Beside totalCount, and beside a second countUpTo with another limit.
                let query = format!(
                    "{{ {field}({args}{sep}first: 1) {{ totalCount countUpTo(limit: {limit}) {{ count exact }} \
                     other: countUpTo(limit: 1) {{ count exact }} }} }}"
                );
                let response = app.graphql_as(Some(&token), &query, json!({})).await;
                let data = &response.ok()[field];
                assert_eq!(data["totalCount"], json!(n), "{who}: {field}({args})");
                assert_eq!(data["countUpTo"], expected(n, limit));
                assert_eq!(data["other"], expected(n, 1));
            }
            if who == "secretary" && n < walked(&app, &app.admin_token, field, args).await {
                scoped_smaller += 1;
            }
        }
    }
    assert!(
        scoped_smaller >= 3,
        "the secretary's scope is smaller than the whole in several lists ({scoped_smaller})"
    );
}

#[tokio::test]
async fn count_up_to_without_a_limit_stops_at_a_thousand_and_takes_variables() {
    let app = TestApp::spawn().await;
    app.load_demo().await;
    let n = walked(&app, &app.admin_token, "people", "").await;
    let response = app
        .graphql(
            "query($k: Int!) { people(first: 0) { a: countUpTo { count exact } b: countUpTo(limit: $k) { count exact } } }",
            json!({ "k": 2 }),
        )
        .await;
    let data = &response.ok()["people"];
    assert_eq!(data["a"], expected(n, 1_000));
    assert_eq!(data["b"], expected(n, 2));
}

#[tokio::test]
async fn count_up_to_on_each_parent_counts_its_children() {
    let app = TestApp::spawn().await;
    app.load_demo().await;
    let orgs = app
        .graphql(
            "{ organizations(first: 100) { nodes { id children(first: 100) { edges { node { id } } } \
             people(first: 100) { edges { node { id } } } \
             c: children { countUpTo(limit: 2) { count exact } } \
             p: people { countUpTo(limit: 3) { count exact } } } } }",
            json!({}),
        )
        .await;
    let nodes = orgs.ok()["organizations"]["nodes"]
        .as_array()
        .unwrap()
        .clone();
    let mut with_more = 0;
    for org in &nodes {
        let children = org["children"]["edges"].as_array().unwrap().len() as u64;
        let people = org["people"]["edges"].as_array().unwrap().len() as u64;
        assert_eq!(org["c"]["countUpTo"], expected(children, 2), "{org}");
        assert_eq!(org["p"]["countUpTo"], expected(people, 3), "{org}");
        if children > 2 || people > 3 {
            with_more += 1;
        }
    }
    assert!(with_more > 0, "some organization has more than the limit");
}

#[tokio::test]
async fn a_limit_out_of_range_is_refused_naming_limit() {
    let app = TestApp::spawn().await;
    app.load_demo().await;
    for (query, variables) in [
        ("{ people { countUpTo(limit: 0) { count } } }", json!({})),
        ("{ people { countUpTo(limit: -3) { count } } }", json!({})),
        (
            "{ people { countUpTo(limit: 10001) { count } } }",
            json!({}),
        ),
        (
            "query($k: Int!) { people { countUpTo(limit: $k) { count } } }",
            json!({ "k": 20000 }),
        ),
        (
            "{ organizations(first: 2) { nodes { children { countUpTo(limit: 0) { count } } } } }",
            json!({}),
        ),
    ] {
        let response: Gql = app.graphql(query, variables).await;
        let error = response.error("BAD_USER_INPUT");
        assert_eq!(error["extensions"]["field"], json!("limit"), "{query}");
        assert!(
            error["message"].as_str().unwrap().contains("10000"),
            "{}",
            error["message"]
        );
    }
}
