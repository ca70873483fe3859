//! Objects whose selection is only plain fields are answered straight from their rows
//! (`graphql::plain`); any other selection goes through the fields' resolvers. Both must give the
//! same answer: the same query is asked once as is and once with every selection inside an
//! inline fragment, which always takes the resolvers, and the answers are compared.

use axum::{
    body::Body,
    http::{Request, header},
};
use serde_json::{Value, json};

use crate::helpers::TestApp;

/// Every plain field of every type that has them, beside fields that take their resolvers, where
/// each type is reached through a field that answers it plainly: people pages, a person's
/// positions and organization, an organization's parent, ledger items with their lead and
/// co-responsible organizations, an activity's host and participants, appeals and their
/// villages. `{P}`, `{Q}`, `{O}`, `{I}`, `{A}` and `{R}` are filled with the selections.
const QUERY: &str = r#"
{
  people(first: 100) { nodes { {P} positions { {Q} } organization { {O} } } }
  organizations(first: 100, filter: { includeArchived: true }) {
    nodes { name parent { {O} } people(first: 3) { nodes { {P} } } }
  }
  supervisionItems(first: 50) {
    nodes { {I} leadOrganization { {O} } coResponsible { {A} organization { {O} } } }
  }
  jointActivities(first: 50) { nodes { host { {O} } participants { organization { {O} } } } }
  residentAppeals(first: 50) { nodes { {R} village { {O} } } }
}
"#;

const PERSON: &str = "id name gender politicalStatus __typename";
const POSITION: &str = "position startedOn endedOn __typename";
const ORGANIZATION: &str =
    "id name shortName level unitType keyVillage remote archived depth __typename";
const ITEM: &str =
    "id code title description source priority status version openedOn dueOn __typename";
const ASSIGNMENT: &str = "progressPercent note __typename";
const APPEAL: &str = "id code content category status grid receivedOn dueOn resolution
    rejectionReason resolvedOn __typename";

/// QUERY with each type's selection, as `selection(type name, plain fields)` writes it.
fn query(selection: impl Fn(&str, &str) -> String) -> String {
    QUERY
        .replace("{P}", &selection("Person", PERSON))
        .replace("{Q}", &selection("PersonPosition", POSITION))
        .replace("{O}", &selection("Organization", ORGANIZATION))
        .replace("{I}", &selection("SupervisionItem", ITEM))
        .replace("{A}", &selection("SupervisionAssignment", ASSIGNMENT))
        .replace("{R}", &selection("ResidentAppeal", APPEAL))
}

async fn post(app: &TestApp, query: &str) -> String {
    let body = serde_json::to_vec(&json!({ "query": query })).unwrap();
    let request = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {}", app.admin_token))
        .body(Body::from(body))
        .unwrap();
    let (status, _, body) = app.request(request).await;
    let text = String::from_utf8(body).unwrap();
    assert_eq!(status, 200, "{text}");
    assert!(!text.contains("\"errors\""), "{text}");
    text
}

fn count(value: &Value, key: &str) -> usize {
    match value {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| usize::from(k == key) + count(v, key))
            .sum(),
        Value::Array(items) => items.iter().map(|v| count(v, key)).sum(),
        _ => 0,
    }
}

#[tokio::test]
async fn plain_selections_answer_as_the_resolvers_do() {
    let app = TestApp::spawn().await;
    app.load_demo().await;
    let plain = post(&app, &query(|_, fields| fields.to_owned())).await;
    let resolved = post(
        &app,
        &query(|name, fields| format!("... on {name} {{ {fields} }}")),
    )
    .await;
    // Byte for byte: the same values in the same order.
    assert_eq!(plain, resolved);

    let data: Value = serde_json::from_str(&plain).unwrap();
    let data = &data["data"];
    // The answer holds what the comparison needs: people, positions, organizations of each
    // path, nulls and both booleans.
    assert!(count(data, "politicalStatus") > 20, "{data}");
    assert!(count(data, "startedOn") > 5, "{data}");
    assert!(count(data, "unitType") > 50, "{data}");
    assert!(count(data, "openedOn") > 5, "{data}");
    assert!(count(data, "progressPercent") > 5, "{data}");
    assert!(count(data, "receivedOn") > 5, "{data}");
    for path in [
        "leadOrganization",
        "host",
        "village",
        "parent",
        "organization",
    ] {
        assert!(count(data, path) > 0, "no {path} in {data}");
    }
    assert!(plain.contains("\"keyVillage\":true"), "{plain}");
    assert!(plain.contains("\"keyVillage\":false"), "{plain}");

    // The demo names every organization with a short name: a parent without one, both ways.
    let area = app.create_area("温泉镇").await;
    let create = "mutation($input: CreateOrganizationInput!) {
        createOrganization(input: $input) { organization { id } } }";
    let mut parent = Value::Null;
    for name in ["无简称党委", "其支部"] {
        let response = app
            .graphql(
                create,
                json!({ "input": {
                    "name": name, "level": "BRANCH", "unitType": "VILLAGE",
                    "areaId": area, "parentId": parent,
                } }),
            )
            .await;
        parent = response.ok()["createOrganization"]["organization"]["id"].clone();
    }
    let child = parent.as_str().unwrap();
    let ask = |selection: String| {
        format!("{{ organization(id: \"{child}\") {{ parent {{ {selection} }} }} }}")
    };
    let plain = post(&app, &ask(ORGANIZATION.to_owned())).await;
    let resolved = post(
        &app,
        &ask(format!("... on Organization {{ {ORGANIZATION} }}")),
    )
    .await;
    assert_eq!(plain, resolved);
    assert!(
        plain.contains("\"name\":\"无简称党委\",\"shortName\":null"),
        "{plain}"
    );
}

#[tokio::test]
async fn plain_selections_keep_their_order_aliases_and_directives() {
    let app = TestApp::spawn().await;
    app.load_demo().await;
    let text = post(
        &app,
        "{ people(first: 3) { nodes { title: name __typename id name again: name } } }",
    )
    .await;
    let data: Value = serde_json::from_str(&text).unwrap();
    let nodes = data["data"]["people"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 3, "{text}");
    for node in nodes {
        let name = node["name"].as_str().unwrap();
        assert!(!name.is_empty());
        assert_eq!(node["title"], name);
        assert_eq!(node["again"], name);
        assert_eq!(node["__typename"], "Person");
        assert!(node["id"].as_str().is_some_and(|id| !id.is_empty()));
    }
    // Keys in the order selected, node after node.
    let mut at = 0;
    for _ in 0..3 {
        for key in [
            "\"title\":",
            "\"__typename\":",
            "\"id\":",
            "\"name\":",
            "\"again\":",
        ] {
            let found = text[at..]
                .find(key)
                .unwrap_or_else(|| panic!("{key} out of order in {text}"));
            at += found + key.len();
        }
    }

    // Directives still apply (these selections take the resolvers).
    let text = post(
        &app,
        "{ people(first: 3) { nodes { name @include(if: false) id @skip(if: false) } } }",
    )
    .await;
    let data: Value = serde_json::from_str(&text).unwrap();
    for node in data["data"]["people"]["nodes"].as_array().unwrap() {
        let keys: Vec<&String> = node.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["id"], "{text}");
    }
}
