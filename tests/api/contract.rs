//! The contract as a front-end's reference tools see it: graphql-js (tests/graphql-js, installed
//! with `npm ci` on first use) builds the schema from the server's introspection, prints it, and
//! validates the queries DESIGN 3.1 promises will work.

use std::{
    io::Write,
    path::PathBuf,
    process::{Command, Stdio},
    sync::OnceLock,
};

use serde_json::{Value, json};

use lianjian_api::{authz::Role, services::accounts::GrantScope};

use crate::helpers::TestApp;

fn graphql_js_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/graphql-js")
}

/// Installs graphql-js once per test run (from the lock file) when it is not there yet.
fn ensure_graphql_js() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let dir = graphql_js_dir();
        if dir.join("node_modules/graphql/package.json").exists() {
            return;
        }
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dir)
            .status()
            .expect("npm (Node.js) is needed for the contract tests");
        assert!(status.success(), "npm ci in tests/graphql-js failed");
    });
}

/// Runs tests/graphql-js/check.mjs on `input`.
fn graphql_js(input: &Value) -> Value {
    ensure_graphql_js();
    let mut child = Command::new("node")
        .arg("check.mjs")
        .current_dir(graphql_js_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node (Node.js) is needed for the contract tests");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "check.mjs failed");
    serde_json::from_slice(&output.stdout).unwrap()
}

/// The schema's introspection, asked with graphql-js's own introspection query.
async fn introspection(app: &TestApp) -> Value {
    let query = graphql_js(&json!({}))["introspectionQuery"]
        .as_str()
        .unwrap()
        .to_owned();
    app.graphql_as(None, &query, json!({})).await.ok().clone()
}

#[tokio::test]
async fn the_served_sdl_is_what_graphql_js_prints_from_introspection() {
    let app = TestApp::spawn().await;
    let introspection = introspection(&app).await;
    let printed = graphql_js(&json!({ "introspection": introspection }))["sdl"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _, body) = app.get("/schema.graphql").await;
    assert_eq!(status, axum::http::StatusCode::OK);
    let served = String::from_utf8(body).unwrap();
    assert_eq!(served, printed);
    // The custom scalars say which specification their values follow.
    for scalar in [
        "scalar Date @specifiedBy(url: \"https://www.rfc-editor.org/rfc/rfc3339#section-5.6\")",
        "scalar DateTime @specifiedBy(url: \"https://www.rfc-editor.org/rfc/rfc3339\")",
    ] {
        assert!(
            served.lines().any(|line| line == scalar),
            "{scalar} missing from {served}"
        );
    }
}

/// Queries DESIGN 3.1 promises, validated by graphql-js against the introspected schema.
#[tokio::test]
async fn design_queries_validate_with_graphql_js() {
    let app = TestApp::spawn().await;
    let introspection = introspection(&app).await;
    let queries = [
        // Grant.scope is the Node interface: no fragment is needed to read its id.
        "{ viewer { grants { role scope { id __typename } } } }",
        // An audit entry is a node with a global id, and can be fetched again by it.
        "{ auditLog(first: 5) { nodes { id action targetType targetId } } }",
        "query($id: ID!) { node(id: $id) { id ... on AuditEntry { action } } }",
    ];
    let result = graphql_js(&json!({ "introspection": introspection, "queries": queries }));
    for (query, errors) in queries.iter().zip(result["validation"].as_array().unwrap()) {
        assert_eq!(errors, &json!([]), "{query}");
    }
}

/// Every object type with a global `id` implements `Node`, and the list of nodes is the one
/// DESIGN 3.1 names (written out here by hand).
#[tokio::test]
async fn every_object_with_an_id_is_a_node() {
    let app = TestApp::spawn().await;
    let introspection = introspection(&app).await;
    let types = introspection["__schema"]["types"].as_array().unwrap();
    let mut nodes = Vec::new();
    for ty in types {
        if ty["kind"] != "OBJECT" {
            continue;
        }
        let name = ty["name"].as_str().unwrap();
        let has_id = ty["fields"].as_array().unwrap().iter().any(|f| {
            f["name"] == "id"
                && f["type"]["kind"] == "NON_NULL"
                && f["type"]["ofType"]["name"] == "ID"
        });
        let is_node = ty["interfaces"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["name"] == "Node");
        assert_eq!(has_id, is_node, "{name}: an id and Node go together");
        if is_node {
            nodes.push(name.to_owned());
        }
    }
    nodes.sort();
    assert_eq!(
        nodes,
        [
            "Area",
            "AuditEntry",
            "FirstSecretaryAssignment",
            "JointActivity",
            "LinkageGroup",
            "MentorPairing",
            "MentoringSession",
            "Organization",
            "Person",
            "ResidentAppeal",
            "SupervisionItem",
            "SupervisionRound",
            "User",
        ]
    );
}

/// An audit entry's global id fetches it again through `node`, for administrators only.
#[tokio::test]
async fn audit_entries_are_fetched_by_global_id() {
    let app = TestApp::spawn().await;
    app.create_area("景区").await;
    let page = app
        .graphql(
            "{ auditLog(first: 1) { nodes { id action targetType } } }",
            json!({}),
        )
        .await;
    let entry = page.ok()["auditLog"]["nodes"][0].clone();
    assert_eq!(entry["action"], "createArea");
    let id = entry["id"].as_str().unwrap();
    let fetched = app
        .graphql(
            "query($id: ID!) { node(id: $id) { __typename id ... on AuditEntry { action targetType } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        fetched.ok()["node"],
        json!({ "__typename": "AuditEntry", "id": id, "action": "createArea", "targetType": "Area" })
    );
    // Someone who is not an administrator does not learn that the entry exists.
    let reader = app.user_with("reader", &[]).await;
    let hidden = app
        .graphql_as(
            Some(&reader),
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(hidden.ok()["node"], Value::Null);
}

/// `Grant.scope` answers the organization as a `Node`; a system-wide grant has no scope.
#[tokio::test]
async fn grant_scope_is_a_node() {
    let app = TestApp::spawn().await;
    let area = app.create_area("景区").await;
    let organization = app
        .graphql(
            "mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id } } }",
            json!({ "input": { "name": "村党支部", "level": "BRANCH", "unitType": "VILLAGE", "areaId": area } }),
        )
        .await
        .ok()["createOrganization"]["organization"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let uuid = lianjian_api::graphql::ids::decode("id", &async_graphql::ID(organization.clone()))
        .unwrap()
        .id;
    let secretary = app
        .user_with(
            "secretary",
            &[(Role::OrgSecretary, GrantScope::Organization(uuid))],
        )
        .await;
    let query = "{ viewer { grants { role scope { id __typename } } } }";
    let mine = app.graphql_as(Some(&secretary), query, json!({})).await;
    assert_eq!(
        mine.ok()["viewer"]["grants"],
        json!([{ "role": "ORG_SECRETARY", "scope": { "id": organization, "__typename": "Organization" } }])
    );
    let admin = app.graphql(query, json!({})).await;
    assert_eq!(
        admin.ok()["viewer"]["grants"],
        json!([{ "role": "ADMIN", "scope": null }])
    );
}
