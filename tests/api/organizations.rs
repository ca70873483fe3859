use serde_json::{Value, json};

use crate::helpers::TestApp;

const CREATE_ORG: &str = "mutation($input: CreateOrganizationInput!) {
    createOrganization(input: $input) { organization { id name path: depth } } }";

async fn org(app: &TestApp, name: &str, area: &str, parent: Option<&str>) -> String {
    let response = app
        .graphql(
            CREATE_ORG,
            json!({ "input": {
                "name": name, "level": "BRANCH", "unitType": "VILLAGE",
                "areaId": area, "parentId": parent,
            } }),
        )
        .await;
    response.ok()["createOrganization"]["organization"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn names(connection: &Value) -> Vec<String> {
    connection["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["name"].as_str().unwrap().to_owned())
        .collect()
}

const TREE: &str = "query($id: ID!) { organization(id: $id) {
    name depth parent { name }
    ancestors { name }
    children { totalCount edges { node { name } } }
    descendants { totalCount edges { node { name } } } } }";

#[tokio::test]
async fn ancestors_and_descendants_at_depth_four() {
    let app = TestApp::spawn().await;
    let area = app.create_area("温泉镇").await;
    let a = org(&app, "A 党委", &area, None).await;
    let b = org(&app, "B 党总支", &area, Some(&a)).await;
    let c = org(&app, "C 党支部", &area, Some(&b)).await;
    let d = org(&app, "D 党小组", &area, Some(&c)).await;
    let e = org(&app, "E 党小组", &area, Some(&d)).await;
    let response = app.graphql(TREE, json!({ "id": e })).await;
    let leaf = &response.ok()["organization"];
    assert_eq!(leaf["depth"], 4);
    assert_eq!(leaf["parent"]["name"], "D 党小组");
    let ancestors: Vec<&str> = leaf["ancestors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(ancestors, ["A 党委", "B 党总支", "C 党支部", "D 党小组"]);
    let response = app.graphql(TREE, json!({ "id": a })).await;
    let root = &response.ok()["organization"];
    assert!(root["parent"].is_null());
    assert_eq!(root["children"]["totalCount"], 1);
    assert_eq!(root["descendants"]["totalCount"], 4);
    assert_eq!(
        names(&root["descendants"]),
        ["B 党总支", "C 党支部", "D 党小组", "E 党小组"]
    );
}

#[tokio::test]
async fn moving_an_organization_moves_its_subtree_and_cycles_are_refused() {
    let app = TestApp::spawn().await;
    let area = app.create_area("温泉镇").await;
    let a = org(&app, "A", &area, None).await;
    let b = org(&app, "B", &area, Some(&a)).await;
    let c = org(&app, "C", &area, Some(&b)).await;
    let d = org(&app, "D", &area, Some(&c)).await;
    let x = org(&app, "X", &area, None).await;
    let update = "mutation($input: UpdateOrganizationInput!) {
        updateOrganization(input: $input) { organization { depth parent { name } } } }";

    // Under itself or its own descendant: refused, nothing changes.
    for target in [&b, &d] {
        let response = app
            .graphql(update, json!({ "input": { "id": b, "parentId": target } }))
            .await;
        assert_eq!(
            response.error("BAD_USER_INPUT")["extensions"]["field"],
            "parentId"
        );
    }
    let audits = app.audits().await;

    let response = app
        .graphql(update, json!({ "input": { "id": b, "parentId": x } }))
        .await;
    let moved = &response.ok()["updateOrganization"]["organization"];
    assert_eq!(moved["parent"]["name"], "X");
    assert_eq!(app.audits().await, audits + 1);
    let response = app.graphql(TREE, json!({ "id": d })).await;
    let leaf = &response.ok()["organization"];
    assert_eq!(leaf["depth"], 3);
    let ancestors: Vec<&str> = leaf["ancestors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(ancestors, ["X", "B", "C"]);
    let response = app.graphql(TREE, json!({ "id": a })).await;
    assert_eq!(
        response.ok()["organization"]["descendants"]["totalCount"],
        0
    );
    let response = app.graphql(TREE, json!({ "id": x })).await;
    assert_eq!(
        response.ok()["organization"]["descendants"]["totalCount"],
        3
    );

    // Null parent: C becomes a root with D below it.
    let response = app
        .graphql(update, json!({ "input": { "id": c, "parentId": null } }))
        .await;
    assert_eq!(
        response.ok()["updateOrganization"]["organization"]["depth"],
        0
    );
    let response = app.graphql(TREE, json!({ "id": d })).await;
    assert_eq!(response.ok()["organization"]["depth"], 1);
}

#[tokio::test]
async fn archived_organizations_leave_lists_but_still_resolve() {
    let app = TestApp::spawn().await;
    let area = app.create_area("温泉镇").await;
    let parent = org(&app, "温泉镇党委", &area, None).await;
    let child = org(&app, "旧村党支部", &area, Some(&parent)).await;
    let person = app
        .graphql(
            "mutation($input: CreatePersonInput!) { createPerson(input: $input) { person { id } } }",
            json!({ "input": { "name": "李明", "politicalStatus": "FULL_MEMBER", "organizationId": child } }),
        )
        .await;
    let person_id = person.ok()["createPerson"]["person"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let archive = "mutation($id: ID!) { archiveOrganization(input: { id: $id }) { organization { archived archivedAt } } }";
    let response = app.graphql(archive, json!({ "id": child })).await;
    assert_eq!(
        response.ok()["archiveOrganization"]["organization"]["archived"],
        true
    );
    let response = app.graphql(archive, json!({ "id": child })).await;
    response.error("INVALID_TRANSITION");

    let list = "query($all: Boolean) { organizations(filter: { includeArchived: $all }) { totalCount edges { node { name } } } }";
    let response = app.graphql(list, json!({})).await;
    assert_eq!(names(&response.ok()["organizations"]), ["温泉镇党委"]);
    let response = app.graphql(list, json!({ "all": true })).await;
    assert_eq!(response.ok()["organizations"]["totalCount"], 2);
    let response = app.graphql(TREE, json!({ "id": parent })).await;
    assert_eq!(response.ok()["organization"]["children"]["totalCount"], 0);
    // Whatever refers to it still resolves.
    let query =
        "query($id: ID!) { node(id: $id) { ... on Person { organization { name archived } } } }";
    let response = app.graphql(query, json!({ "id": person_id })).await;
    assert_eq!(response.ok()["node"]["organization"]["name"], "旧村党支部");
    assert_eq!(response.ok()["node"]["organization"]["archived"], true);
}

#[tokio::test]
async fn organizations_are_searched_by_chinese_substring() {
    let app = TestApp::spawn().await;
    let area = app.create_area("温泉镇").await;
    for name in [
        "南平村党支部",
        "静修村党支部",
        "温泉风景区党委",
        "南平静修小镇党委",
    ] {
        org(&app, name, &area, None).await;
    }
    let query = "query($s: String) { organizations(filter: { search: $s }) { totalCount edges { node { name } } } }";
    let response = app.graphql(query, json!({ "s": "南平" })).await;
    assert_eq!(
        names(&response.ok()["organizations"]),
        ["南平村党支部", "南平静修小镇党委"]
    );
    let response = app.graphql(query, json!({ "s": "静修" })).await;
    assert_eq!(response.ok()["organizations"]["totalCount"], 2);
    let response = app.graphql(query, json!({ "s": "村党支部" })).await;
    assert_eq!(response.ok()["organizations"]["totalCount"], 2);
}

#[tokio::test]
async fn organization_validation_names_the_field_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let area = app.create_area("温泉镇").await;
    let cases = [
        (json!({ "name": " ", "areaId": area }), "name"),
        (json!({ "name": "x".repeat(101), "areaId": area }), "name"),
        (
            json!({ "name": "ok", "shortName": "短".repeat(31), "areaId": area }),
            "shortName",
        ),
        (json!({ "name": "ok", "areaId": "bad" }), "areaId"),
        (
            json!({ "name": "ok", "areaId": area, "parentId": area }),
            "parentId",
        ),
    ];
    for (mut input, field) in cases {
        input["level"] = json!("BRANCH");
        input["unitType"] = json!("VILLAGE");
        let response = app.graphql(CREATE_ORG, json!({ "input": input })).await;
        assert_eq!(
            response.error("BAD_USER_INPUT")["extensions"]["field"],
            field,
            "{input}"
        );
    }
    assert_eq!(app.count_rows("organization").await, 0);
    assert_eq!(app.audits().await, 1);
}

const CREATE_PERSON: &str = "mutation($input: CreatePersonInput!) {
    createPerson(input: $input) { person { id name phone idNumber positions { position startedOn endedOn } } } }";

#[tokio::test]
async fn people_are_validated_per_field() {
    let app = TestApp::spawn().await;
    let area = app.create_area("温泉镇").await;
    let village = org(&app, "南平村党支部", &area, None).await;
    let base =
        json!({ "name": "陈静", "politicalStatus": "FULL_MEMBER", "organizationId": village });
    let with = |extra: Value| {
        let mut input = base.clone();
        for (k, v) in extra.as_object().unwrap() {
            input[k] = v.clone();
        }
        json!({ "input": input })
    };
    for (extra, field) in [
        (json!({ "phone": "1381234567" }), "phone"),
        (json!({ "phone": "12812345678" }), "phone"),
        (json!({ "idNumber": "440184199001011235" }), "idNumber"),
        (json!({ "idNumber": "44018419900230123X" }), "idNumber"),
        (json!({ "name": "" }), "name"),
        (
            json!({ "positions": [{ "position": "CADRE", "startedOn": "2024-05-01", "endedOn": "2024-04-30" }] }),
            "positions.0.endedOn",
        ),
    ] {
        let response = app.graphql(CREATE_PERSON, with(extra.clone())).await;
        assert_eq!(
            response.error("BAD_USER_INPUT")["extensions"]["field"],
            field,
            "{extra}"
        );
    }
    assert_eq!(app.count_rows("person").await, 0);
    assert_eq!(app.count_rows("person_position").await, 0);

    let id_number = valid_id_number("44018419900101123");
    let response = app
        .graphql(
            CREATE_PERSON,
            with(json!({
                "phone": "+86 138-1234-5678", "idNumber": id_number.to_lowercase(),
                "positions": [
                    { "position": "CADRE", "startedOn": "2021-01-01", "endedOn": "2023-12-31" },
                    { "position": "SECRETARY", "startedOn": "2024-01-01" }
                ]
            })),
        )
        .await;
    let person = &response.ok()["createPerson"]["person"];
    assert_eq!(person["phone"], "13812345678");
    assert_eq!(person["idNumber"], id_number.as_str());
    assert_eq!(person["positions"][0]["position"], "CADRE");
    assert_eq!(person["positions"][0]["endedOn"], "2023-12-31");
    assert!(person["positions"][1]["endedOn"].is_null());
    // The same ID-card number twice is a conflict.
    let response = app
        .graphql(
            CREATE_PERSON,
            with(json!({ "name": "陈静二", "idNumber": id_number })),
        )
        .await;
    assert_eq!(
        response.error("CONFLICT")["extensions"]["field"],
        "idNumber"
    );
}

fn valid_id_number(first17: &str) -> String {
    let check = lianjian_api::services::values::id_number_check_digit(first17).unwrap();
    format!("{first17}{check}")
}

#[tokio::test]
async fn people_filter_by_subtree_position_and_search() {
    let app = TestApp::spawn().await;
    let area = app.create_area("温泉镇").await;
    let town = org(&app, "温泉镇党委", &area, None).await;
    let village = org(&app, "南平村党支部", &area, Some(&town)).await;
    let other = org(&app, "其他党委", &area, None).await;
    for (name, org_id, position) in [
        ("张书记", &town, "SECRETARY"),
        ("李干部", &village, "CADRE"),
        ("王书记", &village, "SECRETARY"),
        ("赵书记", &other, "SECRETARY"),
    ] {
        app.graphql(
            CREATE_PERSON,
            json!({ "input": { "name": name, "politicalStatus": "FULL_MEMBER", "organizationId": org_id,
                "positions": [{ "position": position, "startedOn": "2024-01-01" }] } }),
        )
        .await
        .ok();
    }
    let query = "query($filter: PersonFilter) { people(filter: $filter) { totalCount edges { node { name } } } }";
    let response = app
        .graphql(
            query,
            json!({ "filter": { "organizationId": town, "includeSubOrganizations": true } }),
        )
        .await;
    assert_eq!(response.ok()["people"]["totalCount"], 3);
    let response = app
        .graphql(query, json!({ "filter": { "organizationId": town } }))
        .await;
    assert_eq!(names(&response.ok()["people"]), ["张书记"]);
    let response = app
        .graphql(query, json!({ "filter": { "organizationId": town, "includeSubOrganizations": true, "position": "SECRETARY" } }))
        .await;
    assert_eq!(response.ok()["people"]["totalCount"], 2);
    let response = app
        .graphql(query, json!({ "filter": { "search": "书记" } }))
        .await;
    assert_eq!(response.ok()["people"]["totalCount"], 3);
}

#[tokio::test]
async fn linkage_group_membership_keeps_its_history() {
    let app = TestApp::spawn().await;
    let area = app.create_area("温泉镇").await;
    let lead = org(&app, "风景区党委", &area, None).await;
    let a = org(&app, "甲村党支部", &area, None).await;
    let b = org(&app, "乙村党支部", &area, None).await;
    let response = app
        .graphql(
            "mutation($input: CreateLinkageGroupInput!) { createLinkageGroup(input: $input) {
                linkageGroup { id cadenceDays leadOrganization { name } members { totalCount edges { node { role organization { name } } } } } } }",
            json!({ "input": { "name": "联建委员会", "leadOrganizationId": lead, "memberOrganizationIds": [a], "cadenceStartsOn": "2026-12-01" } }),
        )
        .await;
    let group = response.ok()["createLinkageGroup"]["linkageGroup"].clone();
    assert_eq!(group["cadenceDays"], 14);
    assert_eq!(group["leadOrganization"]["name"], "风景区党委");
    assert_eq!(group["members"]["totalCount"], 2);
    assert_eq!(group["members"]["edges"][0]["node"]["role"], "LEAD");
    let group_id = group["id"].as_str().unwrap();

    let add = "mutation($g: ID!, $o: ID!) { addLinkageGroupMember(input: { linkageGroupId: $g, organizationId: $o, joinedOn: \"2026-12-02\" }) { linkageGroup { members { totalCount } } } }";
    let response = app.graphql(add, json!({ "g": group_id, "o": b })).await;
    assert_eq!(
        response.ok()["addLinkageGroupMember"]["linkageGroup"]["members"]["totalCount"],
        3
    );
    let response = app.graphql(add, json!({ "g": group_id, "o": b })).await;
    response.error("CONFLICT");

    let remove = "mutation($g: ID!, $o: ID!) { removeLinkageGroupMember(input: { linkageGroupId: $g, organizationId: $o, leftOn: \"2026-12-20\" }) {
        linkageGroup { members { totalCount } history: members(includeFormer: true) { totalCount edges { node { organization { name } joinedOn leftOn } } } } } }";
    let response = app.graphql(remove, json!({ "g": group_id, "o": a })).await;
    let group = &response.ok()["removeLinkageGroupMember"]["linkageGroup"];
    assert_eq!(group["members"]["totalCount"], 2);
    assert_eq!(group["history"]["totalCount"], 3);
    let left: Vec<&Value> = group["history"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| !e["node"]["leftOn"].is_null())
        .collect();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["node"]["organization"]["name"], "甲村党支部");
    assert_eq!(left[0]["node"]["leftOn"], "2026-12-20");
    let response = app
        .graphql(remove, json!({ "g": group_id, "o": lead }))
        .await;
    assert_eq!(
        response.error("BAD_USER_INPUT")["extensions"]["field"],
        "organizationId"
    );
    // Rejoining after leaving is a new membership.
    let response = app.graphql(add, json!({ "g": group_id, "o": a })).await;
    assert_eq!(
        response.ok()["addLinkageGroupMember"]["linkageGroup"]["members"]["totalCount"],
        3
    );

    let query = "query($id: ID!) { organization(id: $id) { linkageGroups { totalCount edges { node { name } } } } }";
    let response = app.graphql(query, json!({ "id": b })).await;
    assert_eq!(
        names(&response.ok()["organization"]["linkageGroups"]),
        ["联建委员会"]
    );
}

const NESTED: &str = "query($first: Int) { organizations(first: $first) { edges { node {
    parent { name } children { totalCount }
    linkageGroups { edges { node { name } } }
    people(first: 5) { edges { node { name } } } } } } }";

/// The statement count of a nested page does not grow with the page: DataLoaders batch each
/// relation into one statement.
#[tokio::test]
async fn nested_relations_cost_the_same_statements_for_5_or_50_organizations() {
    let app = TestApp::spawn().await;
    let area = app.create_area("温泉镇").await;
    let root = org(&app, "00 党委", &area, None).await;
    let mut ids = vec![root.clone()];
    for i in 1..60 {
        ids.push(org(&app, &format!("{i:02} 党支部"), &area, Some(&root)).await);
    }
    app.graphql(
        "mutation($input: CreateLinkageGroupInput!) { createLinkageGroup(input: $input) { linkageGroup { id } } }",
        json!({ "input": { "name": "联建组", "leadOrganizationId": root, "memberOrganizationIds": &ids[1..] } }),
    )
    .await
    .ok();
    for (i, org_id) in ids.iter().enumerate().take(50) {
        app.graphql(
            CREATE_PERSON,
            json!({ "input": { "name": format!("人员{i:02}"), "politicalStatus": "MASSES", "organizationId": org_id } }),
        )
        .await
        .ok();
    }
    let mut costs = Vec::new();
    for first in [5, 50] {
        let before = app.sql_statements().await;
        let response = app.graphql(NESTED, json!({ "first": first })).await;
        let edges = response.ok()["organizations"]["edges"]
            .as_array()
            .unwrap()
            .clone();
        assert_eq!(edges.len(), first);
        assert_eq!(edges[1]["node"]["parent"]["name"], "00 党委");
        assert_eq!(
            edges[1]["node"]["linkageGroups"]["edges"][0]["node"]["name"],
            "联建组"
        );
        assert_eq!(edges[0]["node"]["children"]["totalCount"], 59);
        costs.push(app.sql_statements().await - before);
    }
    assert_eq!(costs[0], costs[1], "statements for 5 and 50: {costs:?}");
    // 1 to authenticate (the account with its grants), 5 for the page with its parents and
    // the other relations.
    assert_eq!(costs[1], 6, "statements: {costs:?}");
}

#[tokio::test]
async fn children_and_people_connections_paginate() {
    let app = TestApp::spawn().await;
    let area = app.create_area("温泉镇").await;
    let root = org(&app, "党委", &area, None).await;
    for i in 0..7 {
        org(&app, &format!("支部{i}"), &area, Some(&root)).await;
    }
    let query = "query($id: ID!, $after: String) { organization(id: $id) {
        children(first: 3, after: $after) { totalCount edges { node { name } } pageInfo { hasNextPage endCursor } } } }";
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let response = app
            .graphql(query, json!({ "id": root, "after": after }))
            .await;
        let children = response.ok()["organization"]["children"].clone();
        assert_eq!(children["totalCount"], 7);
        seen.extend(names(&children));
        if !children["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = children["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(seen, (0..7).map(|i| format!("支部{i}")).collect::<Vec<_>>());
}

/// Walks a connection with pages of 2 and checks it returns every node once, in order, with a
/// steady totalCount.
async fn walk(app: &TestApp, query: &str, vars: Value, path: &[&str]) -> Vec<String> {
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let mut vars = vars.clone();
        vars["after"] = after.clone();
        let response = app.graphql(query, vars).await;
        let mut connection = response.ok().clone();
        for key in path {
            connection = connection[*key].clone();
        }
        let total = connection["totalCount"].as_u64().unwrap();
        let page = names(&connection);
        assert!(page.len() <= 2);
        seen.extend(page);
        if !connection["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            assert_eq!(seen.len() as u64, total, "{seen:?}");
            break;
        }
        after = connection["pageInfo"]["endCursor"].clone();
    }
    let unique: std::collections::HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "duplicates in {seen:?}");
    seen
}

#[tokio::test]
async fn every_connection_paginates() {
    let app = TestApp::spawn().await;
    let area = app.create_area("温泉镇").await;
    let root = org(&app, "党委", &area, None).await;
    let mut branches = Vec::new();
    for i in 0..5 {
        branches.push(org(&app, &format!("支部{i}"), &area, Some(&root)).await);
    }
    org(&app, "小组", &area, Some(&branches[0])).await;
    for i in 0..5 {
        app.graphql(
            CREATE_PERSON,
            json!({ "input": { "name": format!("党员{i}"), "politicalStatus": "FULL_MEMBER", "organizationId": root } }),
        )
        .await
        .ok();
    }
    let response = app
        .graphql(
            "mutation($input: CreateLinkageGroupInput!) { createLinkageGroup(input: $input) { linkageGroup { id } } }",
            json!({ "input": { "name": "联建组", "leadOrganizationId": root, "memberOrganizationIds": branches } }),
        )
        .await;
    let group = response.ok()["createLinkageGroup"]["linkageGroup"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let page = "totalCount edges { node { name } } pageInfo { hasNextPage endCursor }";
    let orgs = walk(
        &app,
        &format!("query($after: String) {{ organizations(first: 2, after: $after) {{ {page} }} }}"),
        json!({}),
        &["organizations"],
    )
    .await;
    assert_eq!(orgs.len(), 7);
    let people = walk(
        &app,
        &format!("query($after: String) {{ people(first: 2, after: $after) {{ {page} }} }}"),
        json!({}),
        &["people"],
    )
    .await;
    assert_eq!(people, ["党员0", "党员1", "党员2", "党员3", "党员4"]);
    let own = walk(
        &app,
        &format!("query($id: ID!, $after: String) {{ organization(id: $id) {{ people(first: 2, after: $after) {{ {page} }} }} }}"),
        json!({ "id": root }),
        &["organization", "people"],
    )
    .await;
    assert_eq!(own, people);
    let descendants = walk(
        &app,
        &format!("query($id: ID!, $after: String) {{ organization(id: $id) {{ descendants(first: 2, after: $after) {{ {page} }} }} }}"),
        json!({ "id": root }),
        &["organization", "descendants"],
    )
    .await;
    assert_eq!(descendants.len(), 6);
    let members_query = "query($id: ID!, $after: String) { linkageGroup(id: $id) { members(first: 2, after: $after) {
            totalCount edges { node { organization { name } } } pageInfo { hasNextPage endCursor } } } }";
    let mut seen = 0;
    let mut after = Value::Null;
    loop {
        let response = app
            .graphql(members_query, json!({ "id": group, "after": after }))
            .await;
        let members = response.ok()["linkageGroup"]["members"].clone();
        assert_eq!(members["totalCount"], 6);
        seen += members["edges"].as_array().unwrap().len();
        if !members["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = members["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(seen, 6);
    let groups = walk(
        &app,
        &format!("query($after: String) {{ linkageGroups(first: 2, after: $after) {{ {page} }} }}"),
        json!({}),
        &["linkageGroups"],
    )
    .await;
    assert_eq!(groups, ["联建组"]);
}

#[tokio::test]
async fn update_person_replaces_positions_and_clears_fields() {
    let app = TestApp::spawn().await;
    let area = app.create_area("温泉镇").await;
    let village = org(&app, "南平村党支部", &area, None).await;
    let other = org(&app, "静修村党支部", &area, None).await;
    let response = app
        .graphql(
            CREATE_PERSON,
            json!({ "input": { "name": "黄强", "phone": "13912345678", "politicalStatus": "PROBATIONARY_MEMBER",
                "organizationId": village, "positions": [{ "position": "CADRE", "startedOn": "2023-01-01" }] } }),
        )
        .await;
    let id = response.ok()["createPerson"]["person"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let update = "mutation($input: UpdatePersonInput!) { updatePerson(input: $input) { person {
        name phone politicalStatus organization { name } positions { position startedOn endedOn } } } }";
    let response = app
        .graphql(
            update,
            json!({ "input": { "id": id, "phone": null, "politicalStatus": "FULL_MEMBER", "organizationId": other,
                "positions": [
                    { "position": "CADRE", "startedOn": "2023-01-01", "endedOn": "2025-12-31" },
                    { "position": "DEPUTY_SECRETARY", "startedOn": "2026-01-01" }
                ] } }),
        )
        .await;
    let person = &response.ok()["updatePerson"]["person"];
    assert_eq!(person["name"], "黄强");
    assert!(person["phone"].is_null());
    assert_eq!(person["politicalStatus"], "FULL_MEMBER");
    assert_eq!(person["organization"]["name"], "静修村党支部");
    assert_eq!(person["positions"].as_array().unwrap().len(), 2);
    assert_eq!(person["positions"][1]["position"], "DEPUTY_SECRETARY");
    assert_eq!(app.count_rows("person_position").await, 2);
    // A refused update changes nothing.
    let response = app
        .graphql(
            update,
            json!({ "input": { "id": id, "name": "", "positions": [] } }),
        )
        .await;
    assert_eq!(
        response.error("BAD_USER_INPUT")["extensions"]["field"],
        "name"
    );
    assert_eq!(app.count_rows("person_position").await, 2);
    // The audit trail keeps no phone number.
    use sea_orm::{EntityTrait, QueryOrder};
    let entries = entities::audit_entry::Entity::find()
        .order_by_asc(entities::audit_entry::Column::CreatedAt)
        .all(&app.state.db.read)
        .await
        .unwrap();
    let text = serde_json::to_string(
        &entries
            .iter()
            .map(|e| (&e.before, &e.after))
            .collect::<Vec<_>>(),
    )
    .unwrap();
    assert!(!text.contains("13912345678"), "{text}");
}

fn uuid_of(global: &str) -> uuid::Uuid {
    lianjian_api::graphql::ids::decode("id", &async_graphql::ID(global.to_owned()))
        .unwrap()
        .id
}

#[tokio::test]
async fn an_organization_joins_a_group_only_with_its_consent() {
    use lianjian_api::{authz::Role, services::accounts::GrantScope};
    let app = TestApp::spawn().await;
    let area = app.create_area("温泉镇").await;
    let lead = org(&app, "风景区党委", &area, None).await;
    let outsider = org(&app, "石坑村党支部", &area, None).await;
    let other = org(&app, "龙岗村党支部", &area, None).await;
    let group = app
        .graphql(
            "mutation($input: CreateLinkageGroupInput!) { createLinkageGroup(input: $input) { linkageGroup { id } } }",
            json!({ "input": { "name": "联建委员会", "leadOrganizationId": lead, "memberOrganizationIds": [] } }),
        )
        .await
        .ok()["createLinkageGroup"]["linkageGroup"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let staff = app
        .user_with(
            "staff",
            &[(
                Role::CommitteeStaff,
                GrantScope::LinkageGroup(uuid_of(&group)),
            )],
        )
        .await;
    let staff_and_secretary = app
        .user_with(
            "staff-sec",
            &[
                (
                    Role::CommitteeStaff,
                    GrantScope::LinkageGroup(uuid_of(&group)),
                ),
                (
                    Role::OrgSecretary,
                    GrantScope::Organization(uuid_of(&outsider)),
                ),
            ],
        )
        .await;
    let add = "mutation($g: ID!, $o: ID!) { addLinkageGroupMember(input: { linkageGroupId: $g, organizationId: $o }) { linkageGroup { members { totalCount } } } }";
    let (members, audits) = (
        app.count_rows("linkage_group_member").await,
        app.audits().await,
    );
    // The group's staff cannot pull an organization in to read its people.
    let r = app
        .graphql_as(Some(&staff), add, json!({ "g": group, "o": outsider }))
        .await;
    r.error("FORBIDDEN");
    let r = app
        .graphql_as(Some(&staff), "{ people { totalCount } }", json!({}))
        .await;
    assert_eq!(r.ok()["people"]["totalCount"], 0);
    assert_eq!(app.count_rows("linkage_group_member").await, members);
    assert_eq!(app.audits().await, audits);
    // Someone who manages the organization consents for it, an administrator for anyone.
    let r = app
        .graphql_as(
            Some(&staff_and_secretary),
            add,
            json!({ "g": group, "o": outsider }),
        )
        .await;
    assert_eq!(
        r.ok()["addLinkageGroupMember"]["linkageGroup"]["members"]["totalCount"],
        2
    );
    let r = app
        .graphql_as(
            Some(&staff_and_secretary),
            add,
            json!({ "g": group, "o": other }),
        )
        .await;
    r.error("FORBIDDEN");
    let r = app.graphql(add, json!({ "g": group, "o": other })).await;
    assert_eq!(
        r.ok()["addLinkageGroupMember"]["linkageGroup"]["members"]["totalCount"],
        3
    );
}

const CREATE_PERSON_ID: &str =
    "mutation($input: CreatePersonInput!) { createPerson(input: $input) { person { id } } }";

#[tokio::test]
async fn an_identifier_held_outside_scope_is_refused_without_confirming_the_holder() {
    use lianjian_api::{authz::Role, services::accounts::GrantScope};
    let app = TestApp::spawn().await;
    let area = app.create_area("温泉镇").await;
    let mine = org(&app, "南平村党支部", &area, None).await;
    let theirs = org(&app, "石坑村党支部", &area, None).await;
    let hidden_number = valid_id_number("44018419900101123");
    let r = app
        .graphql(
            CREATE_PERSON_ID,
            json!({ "input": { "name": "他村党员", "politicalStatus": "FULL_MEMBER", "organizationId": theirs, "idNumber": hidden_number } }),
        )
        .await;
    let hidden_person = r.ok()["createPerson"]["person"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let coded = app
        .graphql(
            CREATE_ORG,
            json!({ "input": { "name": "外单位", "level": "BRANCH", "unitType": "ENTERPRISE", "areaId": area, "externalCode": "EXT-001" } }),
        )
        .await;
    coded.ok();
    let secretary = app
        .user_with(
            "sec",
            &[(Role::OrgSecretary, GrantScope::Organization(uuid_of(&mine)))],
        )
        .await;

    // Inside the secretary's scope the refusal says what collides.
    let own_number = valid_id_number("44018419900101124");
    let person = |name: &str, number: &str| json!({ "input": { "name": name, "politicalStatus": "FULL_MEMBER", "organizationId": mine, "idNumber": number } });
    let r = app
        .graphql_as(
            Some(&secretary),
            CREATE_PERSON_ID,
            person("本村党员", &own_number),
        )
        .await;
    let own_person = r.ok()["createPerson"]["person"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .graphql_as(
            Some(&secretary),
            CREATE_PERSON_ID,
            person("重复", &own_number),
        )
        .await;
    assert_eq!(r.error("CONFLICT")["extensions"]["field"], "idNumber");

    // Outside it: a bare CONFLICT, the same for people and organizations, each one audited.
    let (people, orgs) = (
        app.count_rows("person").await,
        app.count_rows("organization").await,
    );
    let update = "mutation($id: ID!, $n: String) { updatePerson(input: { id: $id, idNumber: $n }) { person { id } } }";
    let attempts = [
        app.graphql_as(Some(&secretary), CREATE_PERSON_ID, person("猜一", &hidden_number))
            .await,
        app.graphql_as(
            Some(&secretary),
            update,
            json!({ "id": own_person, "n": hidden_number }),
        )
        .await,
        app.graphql_as(
            Some(&secretary),
            CREATE_ORG,
            json!({ "input": { "name": "新支部", "level": "BRANCH", "unitType": "VILLAGE", "areaId": area, "parentId": mine, "externalCode": "EXT-001" } }),
        )
        .await,
        app.graphql_as(Some(&secretary), CREATE_PERSON_ID, person("猜二", &hidden_number))
            .await,
        app.graphql_as(Some(&secretary), CREATE_PERSON_ID, person("猜三", &hidden_number))
            .await,
    ];
    for r in &attempts {
        let error = r.error("CONFLICT");
        assert_eq!(
            error["extensions"],
            json!({ "code": "CONFLICT" }),
            "{}",
            r.body
        );
        let text = r.body.to_string();
        assert!(
            !text.contains(&hidden_person)
                && !text.contains("他村党员")
                && !text.contains("外单位")
        );
    }
    assert_eq!(
        attempts[0].errors()[0]["message"],
        "idNumber cannot be accepted; if it is right, ask an administrator"
    );
    assert_eq!(app.count_rows("person").await, people);
    assert_eq!(app.count_rows("organization").await, orgs);
    let log = app
        .graphql(
            "{ auditLog(first: 10) { edges { node { action targetType after actor { username } } } } }",
            json!({}),
        )
        .await;
    let refusals: Vec<Value> = log.ok()["auditLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .filter(|n| n["action"] == "identifierRefused")
        .collect();
    assert_eq!(refusals.len(), 5);
    assert!(refusals.iter().all(|n| n["actor"]["username"] == "sec"));
    assert_eq!(refusals[2]["targetType"], "Organization");
    assert_eq!(refusals[2]["after"]["field"], "externalCode");
    assert_eq!(refusals[2]["after"]["mutation"], "createOrganization");
    assert_eq!(
        refusals[4]["after"]["collidesWith"],
        uuid_of(&hidden_person).to_string()
    );

    // The sixth try is rate limited, colliding or not, on every such mutation.
    let fresh = valid_id_number("44018419900101125");
    for r in [
        app.graphql_as(Some(&secretary), CREATE_PERSON_ID, person("新人", &fresh))
            .await,
        app.graphql_as(
            Some(&secretary),
            update,
            json!({ "id": own_person, "n": hidden_number }),
        )
        .await,
        app.graphql_as(
            Some(&secretary),
            CREATE_ORG,
            json!({ "input": { "name": "又一支部", "level": "BRANCH", "unitType": "VILLAGE", "areaId": area, "parentId": mine } }),
        )
        .await,
    ] {
        let retry = r.error("RATE_LIMITED")["extensions"]["retryAfter"]
            .as_u64()
            .unwrap();
        assert!((1..=900).contains(&retry), "{retry}");
    }
    assert_eq!(app.count_rows("person").await, people);
    // Others are not limited by the secretary's refusals.
    let r = app
        .graphql(CREATE_PERSON_ID, person("管理员录入", &fresh))
        .await;
    r.ok();
}

#[tokio::test]
async fn a_request_carries_at_most_ten_mutation_fields() {
    let app = TestApp::spawn().await;
    let aliased = |n: usize| {
        let fields: String = (0..n)
            .map(|i| format!("a{i}: createArea(input: {{ name: \"区{i}\" }}) {{ area {{ id }} }} "))
            .collect();
        format!("mutation {{ {fields} }}")
    };
    let areas = app.count_rows("area").await;
    let r = app.graphql(&aliased(11), json!({})).await;
    assert_eq!(r.error("BAD_USER_INPUT")["extensions"]["field"], "mutation");
    assert!(r.data().is_null());
    assert_eq!(app.count_rows("area").await, areas);
    // Fragments are followed, as often as they are spread.
    let r = app
        .graphql(
            "mutation { ...Six ...Six } fragment Six on Mutation {
                a: createArea(input: { name: \"甲\" }) { area { id } } b: createArea(input: { name: \"乙\" }) { area { id } }
                c: createArea(input: { name: \"丙\" }) { area { id } } d: createArea(input: { name: \"丁\" }) { area { id } }
                e: createArea(input: { name: \"戊\" }) { area { id } } f: createArea(input: { name: \"己\" }) { area { id } } }",
            json!({}),
        )
        .await;
    r.error("BAD_USER_INPUT");
    assert_eq!(app.count_rows("area").await, areas);
    let r = app.graphql(&aliased(10), json!({})).await;
    assert_eq!(
        r.ok()["a9"]["area"]["id"].as_str().map(|s| !s.is_empty()),
        Some(true)
    );
    assert_eq!(app.count_rows("area").await, areas + 10);
    // Queries are not mutations: eleven aliased reads are fine.
    let reads: String = (0..11)
        .map(|i| format!("r{i}: areas {{ totalCount }} "))
        .collect();
    let r = app.graphql(&format!("{{ {reads} }}"), json!({})).await;
    assert_eq!(r.ok()["r10"]["totalCount"], 10);
}

/// Nested pages of many parents at once, forwards and backwards, with cursors only where they
/// are selected: the pages are read per parent in one statement (a LATERAL read per parent on
/// PostgreSQL, numbered rows on SQLite) and must agree with the list written here by hand.
#[tokio::test]
async fn nested_pages_of_many_parents_go_both_ways_and_their_cursors_continue() {
    let app = TestApp::spawn().await;
    let area = app.create_area("温泉镇").await;
    let a = org(&app, "A 党支部", &area, None).await;
    let b = org(&app, "B 党支部", &area, None).await;
    org(&app, "C 党支部", &area, None).await;
    for (organization, names) in [
        (&a, &["a1", "a2", "a3", "a4", "a5"][..]),
        (&b, &["b1", "b2"][..]),
    ] {
        // Created out of order: the pages follow the names.
        for name in names.iter().rev() {
            app.graphql(
                CREATE_PERSON_ID,
                json!({ "input": { "name": name, "politicalStatus": "MASSES", "organizationId": organization } }),
            )
            .await
            .ok();
        }
    }
    let names = |connection: &Value| -> Vec<String> {
        connection["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let first = app
        .graphql(
            "{ organizations(first: 10) { nodes { name people(first: 2) { nodes { name }
               pageInfo { hasNextPage hasPreviousPage } } } } }",
            json!({}),
        )
        .await;
    let nodes = first.ok()["organizations"]["nodes"]
        .as_array()
        .unwrap()
        .clone();
    let expected = [
        ("A 党支部", vec!["a1", "a2"], true),
        ("B 党支部", vec!["b1", "b2"], false),
        ("C 党支部", vec![], false),
    ];
    assert_eq!(nodes.len(), 3);
    for (node, (name, people, more)) in nodes.iter().zip(&expected) {
        assert_eq!(node["name"], *name);
        assert_eq!(names(&node["people"]), *people, "{name}");
        assert_eq!(node["people"]["pageInfo"]["hasNextPage"], *more, "{name}");
        assert_eq!(
            node["people"]["pageInfo"]["hasPreviousPage"], false,
            "{name}"
        );
    }

    let last = app
        .graphql(
            "{ organizations(first: 10) { nodes { name people(last: 2) { nodes { name }
               pageInfo { hasNextPage hasPreviousPage } } } } }",
            json!({}),
        )
        .await;
    let nodes = last.ok()["organizations"]["nodes"]
        .as_array()
        .unwrap()
        .clone();
    let expected = [
        ("A 党支部", vec!["a4", "a5"], true),
        ("B 党支部", vec!["b1", "b2"], false),
        ("C 党支部", vec![], false),
    ];
    for (node, (name, people, more)) in nodes.iter().zip(&expected) {
        assert_eq!(names(&node["people"]), *people, "{name}");
        assert_eq!(
            node["people"]["pageInfo"]["hasPreviousPage"], *more,
            "{name}"
        );
    }

    // Cursors where they are selected, and they continue the list.
    let edges = app
        .graphql(
            "query($id: ID!) { organization(id: $id) { people(first: 2) { edges { cursor node { name } } } } }",
            json!({ "id": a }),
        )
        .await;
    let edges = edges.ok()["organization"]["people"]["edges"]
        .as_array()
        .unwrap()
        .clone();
    let cursor = edges[1]["cursor"].as_str().unwrap().to_owned();
    assert!(!cursor.is_empty());
    assert!(!edges[0]["cursor"].as_str().unwrap().is_empty());
    let next = app
        .graphql(
            "query($id: ID!, $after: String) { organization(id: $id) { people(first: 2, after: $after) { nodes { name } } } }",
            json!({ "id": a, "after": cursor }),
        )
        .await;
    assert_eq!(names(&next.ok()["organization"]["people"]), ["a3", "a4"]);
}
