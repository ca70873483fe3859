use std::collections::HashSet;

use serde_json::{Value, json};

use crate::helpers::TestApp;

const CREATE: &str = "mutation($input: CreateAreaInput!) {
    createArea(input: $input) { area { id name description createdAt } } }";

const PAGE: &str = "query($first: Int, $after: String, $last: Int, $before: String) {
    areas(first: $first, after: $after, last: $last, before: $before) {
        totalCount
        edges { cursor node { id name } }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    } }";

fn names(page: &Value) -> Vec<String> {
    page["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn create_area_returns_the_area_and_writes_one_audit_entry() {
    let app = TestApp::spawn().await;
    let response = app
        .graphql(
            CREATE,
            json!({ "input": { "name": "  温泉景区 ", "description": "5A scenic area" } }),
        )
        .await;
    let area = &response.ok()["createArea"]["area"];
    assert_eq!(area["name"], "温泉景区");
    assert_eq!(area["description"], "5A scenic area");
    assert!(
        area["createdAt"].as_str().unwrap().ends_with("+08:00"),
        "{area}"
    );
    assert_eq!(app.count_rows("area").await, 1);
    assert_eq!(app.audits().await, 1);

    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let entry = entities::audit_entry::Entity::find()
        .filter(entities::audit_entry::Column::Action.eq("createArea"))
        .one(&app.state.db.read)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(entry.action, "createArea");
    assert_eq!(entry.target_type, "Area");
    assert_eq!(entry.after.unwrap()["name"], "温泉景区");
    assert!(entry.request_id.is_some());
}

#[tokio::test]
async fn invalid_names_are_bad_user_input_naming_the_field_and_write_nothing() {
    let app = TestApp::spawn().await;
    let long = "景".repeat(101);
    for name in ["", "   ", long.as_str()] {
        let response = app
            .graphql(CREATE, json!({ "input": { "name": name } }))
            .await;
        let error = response.error("BAD_USER_INPUT");
        assert_eq!(error["extensions"]["field"], "name", "{error}");
        assert!(response.data().is_null());
    }
    let response = app
        .graphql(
            CREATE,
            json!({ "input": { "name": "ok", "description": "d".repeat(2001) } }),
        )
        .await;
    assert_eq!(
        response.error("BAD_USER_INPUT")["extensions"]["field"],
        "description"
    );
    // A missing required field is refused by the schema itself.
    let response = app.graphql(CREATE, json!({ "input": {} })).await;
    response.error("BAD_USER_INPUT");
    assert_eq!(app.count_rows("area").await, 0);
    assert_eq!(app.audits().await, 0);
}

#[tokio::test]
async fn a_hundred_character_name_is_accepted() {
    let app = TestApp::spawn().await;
    let name = "景".repeat(100);
    let response = app
        .graphql(CREATE, json!({ "input": { "name": name } }))
        .await;
    assert_eq!(response.ok()["createArea"]["area"]["name"], name.as_str());
}

#[tokio::test]
async fn a_duplicate_name_is_a_conflict_and_writes_nothing() {
    let app = TestApp::spawn().await;
    app.create_area("温泉镇").await;
    let response = app
        .graphql(CREATE, json!({ "input": { "name": " 温泉镇" } }))
        .await;
    let error = response.error("CONFLICT");
    assert_eq!(error["extensions"]["field"], "name");
    assert_eq!(app.count_rows("area").await, 1);
    assert_eq!(app.audits().await, 1);
}

#[tokio::test]
async fn racing_duplicates_leave_one_area() {
    let app = TestApp::spawn().await;
    let (a, b) = tokio::join!(
        app.graphql(CREATE, json!({ "input": { "name": "同名" } })),
        app.graphql(CREATE, json!({ "input": { "name": "同名" } })),
    );
    let codes: Vec<Option<String>> = [&a, &b]
        .iter()
        .map(|r| {
            r.errors()
                .first()
                .map(|e| e["extensions"]["code"].as_str().unwrap().to_owned())
        })
        .collect();
    assert!(codes.contains(&None), "{codes:?}");
    assert!(codes.contains(&Some("CONFLICT".to_owned())), "{codes:?}");
    assert_eq!(app.count_rows("area").await, 1);
    assert_eq!(app.audits().await, 1);
}

#[tokio::test]
async fn pages_cover_every_area_once_even_with_inserts_between_pages() {
    let app = TestApp::spawn().await;
    for i in 0..12 {
        app.create_area(&format!("area-{i:02}")).await;
    }
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let response = app
            .graphql(PAGE, json!({ "first": 5, "after": after }))
            .await;
        let page = response.ok()["areas"].clone();
        assert_eq!(page["totalCount"], 12 + pages);
        seen.extend(names(&page));
        pages += 1;
        // An area sorting before the cursor and one after it, inserted between pages.
        app.create_area(&format!("area-{:02}x", pages)).await;
        if !page["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = page["pageInfo"]["endCursor"].as_str().map(str::to_owned);
        assert_eq!(
            after.as_deref(),
            page["edges"].as_array().unwrap().last().unwrap()["cursor"].as_str()
        );
    }
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no duplicates: {seen:?}");
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(sorted, seen, "pages follow the name order");
    for i in 0..12 {
        assert!(seen.contains(&format!("area-{i:02}")), "no gaps: {seen:?}");
    }
}

#[tokio::test]
async fn pages_go_backwards_with_last_and_before() {
    let app = TestApp::spawn().await;
    for i in 0..7 {
        app.create_area(&format!("b-{i}")).await;
    }
    let response = app.graphql(PAGE, json!({ "last": 3 })).await;
    let page = &response.ok()["areas"];
    assert_eq!(names(page), ["b-4", "b-5", "b-6"]);
    assert_eq!(page["pageInfo"]["hasPreviousPage"], true);
    let before = page["pageInfo"]["startCursor"].as_str().unwrap();
    let response = app
        .graphql(PAGE, json!({ "last": 3, "before": before }))
        .await;
    let page = &response.ok()["areas"];
    assert_eq!(names(page), ["b-1", "b-2", "b-3"]);
    let before = page["pageInfo"]["startCursor"].as_str().unwrap();
    let response = app
        .graphql(PAGE, json!({ "last": 3, "before": before }))
        .await;
    let page = &response.ok()["areas"];
    assert_eq!(names(page), ["b-0"]);
    assert_eq!(page["pageInfo"]["hasPreviousPage"], false);
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
}

#[tokio::test]
async fn page_size_defaults_to_twenty_and_is_limited_to_a_hundred() {
    let app = TestApp::spawn().await;
    for i in 0..21 {
        app.create_area(&format!("p-{i:02}")).await;
    }
    let response = app.graphql(PAGE, json!({})).await;
    assert_eq!(names(&response.ok()["areas"]).len(), 20);
    let response = app.graphql(PAGE, json!({ "first": 101 })).await;
    assert_eq!(
        response.error("BAD_USER_INPUT")["extensions"]["field"],
        "first"
    );
    let response = app.graphql(PAGE, json!({ "first": -1 })).await;
    assert_eq!(
        response.error("BAD_USER_INPUT")["extensions"]["field"],
        "first"
    );
    let response = app.graphql(PAGE, json!({ "after": "garbage" })).await;
    assert_eq!(
        response.error("BAD_USER_INPUT")["extensions"]["field"],
        "after"
    );
}

#[tokio::test]
async fn areas_are_searched_by_chinese_substring_and_ordered_by_creation() {
    let app = TestApp::spawn().await;
    app.create_area("温泉景区").await;
    app.create_area("温泉镇").await;
    app.create_area("山下村片区").await;
    let query = "query($search: String, $order: AreaOrder) {
        areas(filter: { search: $search }, orderBy: $order) { totalCount edges { node { name } } } }";
    let response = app.graphql(query, json!({ "search": "温泉" })).await;
    let page = &response.ok()["areas"];
    assert_eq!(page["totalCount"], 2);
    let mut found = names(page);
    found.sort();
    assert_eq!(found, ["温泉景区", "温泉镇"]);
    let response = app.graphql(query, json!({ "search": "100%" })).await;
    assert_eq!(response.ok()["areas"]["totalCount"], 0);
    let response = app
        .graphql(query, json!({ "order": "CREATED_AT_ASC" }))
        .await;
    assert_eq!(
        names(&response.ok()["areas"]),
        ["温泉景区", "温泉镇", "山下村片区"]
    );
}

#[tokio::test]
async fn node_round_trips_a_global_id() {
    let app = TestApp::spawn().await;
    let id = app.create_area("温泉景区").await;
    let query = "query($id: ID!) { node(id: $id) { __typename id ... on Area { name } } }";
    let response = app.graphql(query, json!({ "id": id })).await;
    let node = &response.ok()["node"];
    assert_eq!(node["__typename"], "Area");
    assert_eq!(node["id"], id.as_str());
    assert_eq!(node["name"], "温泉景区");
}

#[tokio::test]
async fn node_is_null_for_an_unknown_id_and_bad_input_for_a_malformed_one() {
    let app = TestApp::spawn().await;
    let query = "query($id: ID!) { node(id: $id) { id } }";
    // Well-formed ids that name nothing: a missing area, and a type the server does not have.
    use base64::Engine;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    for unknown in [
        engine.encode(format!("Area:{}", uuid::Uuid::now_v7().simple())),
        engine.encode(format!("Planet:{}", uuid::Uuid::now_v7().simple())),
    ] {
        let response = app.graphql(query, json!({ "id": unknown })).await;
        assert!(response.ok()["node"].is_null());
    }
    for malformed in ["nope", "", "QXJlYTp4"] {
        let response = app.graphql(query, json!({ "id": malformed })).await;
        let error = response.error("BAD_USER_INPUT");
        assert_eq!(error["extensions"]["field"], "id");
    }
}

#[tokio::test]
async fn nodes_keep_the_order_of_the_ids() {
    let app = TestApp::spawn().await;
    let a = app.create_area("甲").await;
    let b = app.create_area("乙").await;
    use base64::Engine;
    let missing = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(format!("Area:{}", uuid::Uuid::now_v7().simple()));
    let query = "query($ids: [ID!]!) { nodes(ids: $ids) { ... on Area { name } } }";
    let response = app.graphql(query, json!({ "ids": [b, missing, a] })).await;
    let nodes = response.ok()["nodes"].as_array().unwrap().clone();
    assert_eq!(nodes[0]["name"], "乙");
    assert!(nodes[1].is_null());
    assert_eq!(nodes[2]["name"], "甲");
}
