//! Statements per request: relations of a page are loaded in batches, so a page of 50 costs the
//! statements a page of 5 costs, and a nested connection reads only what its selection asks for.
//! Every count runs on the current-thread runtime and on the multi-threaded one the server uses.

use chrono::{Duration, TimeZone, Utc};
use entities::user_account;
use lianjian_api::{authz::Role, graphql::ids, services::accounts::GrantScope};
use sea_orm::{ActiveModelTrait, Set};
use serde_json::{Value, json};

use crate::helpers::TestApp;

/// Runs each named async test body as two tests, `current_thread` and `multi_thread`.
macro_rules! on_both_runtimes {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn current_thread() {
                    super::$name().await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn multi_thread() {
                    super::$name().await;
                }
            }
        )*
    };
}

on_both_runtimes!(
    attendance_people_cost_the_same_for_5_or_50,
    audit_actors_and_their_grants_cost_the_same_for_5_or_50,
    nodes_of_users_cost_the_same_for_5_or_50,
    a_clash_list_costs_the_same_for_5_or_50_clashes,
    a_count_of_children_reads_no_rows,
    counts_of_people_groups_and_members_read_no_rows,
    page_info_alone_reads_at_most_the_ends_of_a_page,
    authentication_is_one_statement_for_every_kind_of_grant,
    a_batch_reads_its_viewer_once,
    changing_an_activity_reads_it_once,
    an_organization_comes_with_its_parent_and_area_in_one_statement,
    a_page_of_organizations_comes_with_the_parents_in_one_statement,
    adding_a_person_is_five_statements_or_one_write_on_postgres,
    adding_a_person_writes_the_person_its_positions_and_its_audit_entry,
    pairing_a_mentor_costs_six_statements,
);

fn uuid_of(global: &str) -> uuid::Uuid {
    ids::decode("id", &async_graphql::ID(global.to_owned()))
        .unwrap()
        .id
}

fn str_at<'a>(value: &'a Value, path: &[&str]) -> &'a str {
    let mut v = value;
    for key in path {
        v = &v[*key];
    }
    v.as_str()
        .unwrap_or_else(|| panic!("no string at {path:?} in {value}"))
}

/// The statements one request costs, and its data.
async fn cost(app: &TestApp, token: Option<&str>, query: &str, variables: Value) -> (u64, Value) {
    let before = app.sql_statements().await;
    let response = app
        .graphql_as(Some(token.unwrap_or(&app.admin_token)), query, variables)
        .await;
    let data = response.ok().clone();
    (app.sql_statements().await - before, data)
}

async fn area(app: &TestApp) -> String {
    app.create_area("温泉镇").await
}

async fn org(app: &TestApp, name: &str, area: &str, parent: Option<&str>) -> String {
    let response = app
        .graphql(
            "mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id } } }",
            json!({ "input": {
                "name": name, "level": "BRANCH", "unitType": "VILLAGE",
                "areaId": area, "parentId": parent,
            } }),
        )
        .await;
    str_at(response.ok(), &["createOrganization", "organization", "id"]).to_owned()
}

async fn person(app: &TestApp, name: &str, org: &str) -> String {
    let response = app
        .graphql(
            "mutation($input: CreatePersonInput!) { createPerson(input: $input) { person { id } } }",
            json!({ "input": { "name": name, "politicalStatus": "FULL_MEMBER", "organizationId": org } }),
        )
        .await;
    str_at(response.ok(), &["createPerson", "person", "id"]).to_owned()
}

async fn group(app: &TestApp, name: &str, lead: &str, members: &[&str]) -> String {
    let response = app
        .graphql(
            "mutation($input: CreateLinkageGroupInput!) { createLinkageGroup(input: $input) { linkageGroup { id } } }",
            json!({ "input": { "name": name, "leadOrganizationId": lead, "memberOrganizationIds": members } }),
        )
        .await;
    str_at(response.ok(), &["createLinkageGroup", "linkageGroup", "id"]).to_owned()
}

/// An account written straight to the database (hashing a password per account would only slow
/// the test down; these accounts sign in with tokens), with its grants and a token.
async fn account(app: &TestApp, username: &str, grants: &[(Role, GrantScope)]) -> (String, String) {
    let now = Utc::now();
    let user = user_account::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        username: Set(username.to_owned()),
        password_hash: Set("not a hash: never signs in with a password".to_owned()),
        person_id: Set(None),
        disabled: Set(false),
        token_version: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&app.state.db.write)
    .await
    .unwrap();
    for (role, scope) in grants {
        lianjian_api::services::accounts::grant_role(
            &app.state.db.write,
            &lianjian_api::services::Actor::system("test"),
            user.id,
            *role,
            *scope,
        )
        .await
        .unwrap();
    }
    let token = app
        .state
        .tokens
        .issue(user.id, user.token_version)
        .unwrap()
        .0;
    (ids::encode(ids::NodeKind::User, user.id).0, token)
}

// ---- Attendance.person ----

const ATTENDANCE: &str = "query($id: ID!, $first: Int) { jointActivity(id: $id) {
    attendance(first: $first) { edges { node { person { name } organization { name } } } } } }";

async fn attendance_people_cost_the_same_for_5_or_50() {
    let app = TestApp::spawn().await;
    let area = area(&app).await;
    let b = org(&app, "南平村党支部", &area, None).await;
    let c = org(&app, "石坑村党支部", &area, None).await;
    let activity = app
        .graphql(
            "mutation($input: ScheduleJointActivityInput!) { scheduleJointActivity(input: $input) { jointActivity { id } } }",
            json!({ "input": { "title": "主题党日", "kind": "THEMED_PARTY_DAY", "hostOrganizationId": b,
                "participantOrganizationIds": [c], "venue": "村委会",
                "startsAt": "2027-07-01T08:00:00+08:00", "endsAt": "2027-07-01T18:00:00+08:00" } }),
        )
        .await;
    let activity = str_at(
        activity.ok(),
        &["scheduleJointActivity", "jointActivity", "id"],
    )
    .to_owned();
    // 50 people, even ones of 南平村 and odd ones of 石坑村, checked in one minute apart.
    let start = Utc.with_ymd_and_hms(2027, 7, 1, 1, 0, 0).unwrap();
    for i in 0..50 {
        let home = if i % 2 == 0 { &b } else { &c };
        let id = person(&app, &format!("村民{i:02}"), home).await;
        app.graphql(
            "mutation($input: RecordAttendanceInput!) { recordAttendance(input: $input) { recorded } }",
            json!({ "input": { "activityId": activity, "personIds": [id],
                "checkedInAt": (start + Duration::minutes(i)).to_rfc3339() } }),
        )
        .await
        .ok();
    }
    let mut costs = Vec::new();
    for first in [5, 50] {
        let (statements, data) = cost(
            &app,
            None,
            ATTENDANCE,
            json!({ "id": activity, "first": first }),
        )
        .await;
        let edges = data["jointActivity"]["attendance"]["edges"]
            .as_array()
            .unwrap();
        let names: Vec<&str> = edges
            .iter()
            .map(|e| str_at(e, &["node", "person", "name"]))
            .collect();
        let expected: Vec<String> = (0..first).map(|i| format!("村民{i:02}")).collect();
        assert_eq!(names, expected);
        assert_eq!(
            str_at(&edges[1], &["node", "organization", "name"]),
            "石坑村党支部"
        );
        costs.push(statements);
    }
    assert_eq!(costs[0], costs[1], "statements for 5 and 50: {costs:?}");

    // The people loader keeps to the viewer's scope: a secretary of 南平村 reads its own
    // villagers, and the others of the activity read as null.
    let (_, secretary) = account(
        &app,
        "sec-b",
        &[(Role::OrgSecretary, GrantScope::Organization(uuid_of(&b)))],
    )
    .await;
    let (_, data) = cost(
        &app,
        Some(&secretary),
        ATTENDANCE,
        json!({ "id": activity, "first": 4 }),
    )
    .await;
    let people: Vec<Value> = data["jointActivity"]["attendance"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["person"].clone())
        .collect();
    assert_eq!(
        people,
        [
            json!({ "name": "村民00" }),
            Value::Null,
            json!({ "name": "村民02" }),
            Value::Null
        ]
    );
}

// ---- AuditEntry.actor and User.grants ----

const AUDIT: &str = "query($first: Int) { auditLog(first: $first, filter: { targetType: \"Person\" }) {
    edges { node { action actor { username grants { role scope { ... on Organization { name } } } } } } } }";

async fn audit_actors_and_their_grants_cost_the_same_for_5_or_50() {
    let app = TestApp::spawn().await;
    let area = area(&app).await;
    let village = org(&app, "南平村党支部", &area, None).await;
    // 50 secretaries of the village, each adding one person: 50 entries by 50 actors.
    for i in 0..50 {
        let (_, token) = account(
            &app,
            &format!("sec{i:02}"),
            &[(
                Role::OrgSecretary,
                GrantScope::Organization(uuid_of(&village)),
            )],
        )
        .await;
        app.graphql_as(
            Some(&token),
            "mutation($input: CreatePersonInput!) { createPerson(input: $input) { person { id } } }",
            json!({ "input": { "name": format!("村民{i:02}"), "politicalStatus": "MASSES", "organizationId": village } }),
        )
        .await
        .ok();
    }
    let mut costs = Vec::new();
    for first in [5, 50] {
        let (statements, data) = cost(&app, None, AUDIT, json!({ "first": first })).await;
        let edges = data["auditLog"]["edges"].as_array().unwrap();
        assert_eq!(edges.len(), first);
        // Newest first.
        for (n, edge) in edges.iter().enumerate() {
            let node = &edge["node"];
            assert_eq!(node["action"], "createPerson");
            assert_eq!(
                node["actor"],
                json!({ "username": format!("sec{:02}", 49 - n),
                    "grants": [{ "role": "ORG_SECRETARY", "scope": { "name": "南平村党支部" } }] })
            );
        }
        costs.push(statements);
    }
    assert_eq!(costs[0], costs[1], "statements for 5 and 50: {costs:?}");
}

// ---- node / nodes for users ----

const NODES: &str = "query($ids: [ID!]!) { nodes(ids: $ids) { id ... on User { username
    grants { role scope { __typename ... on Organization { name } ... on LinkageGroup { name } } } } } }";

async fn nodes_of_users_cost_the_same_for_5_or_50() {
    let app = TestApp::spawn().await;
    let area = area(&app).await;
    let village = org(&app, "南平村党支部", &area, None).await;
    let town = org(&app, "温泉镇党委", &area, None).await;
    let committee = group(&app, "联建委员会", &town, &[&village]).await;
    // One grant each, of three kinds: system-wide, on the village, on the committee.
    let mut users = Vec::new();
    for i in 0..50 {
        let grant = match i % 3 {
            0 => (Role::Admin, GrantScope::System),
            1 => (
                Role::OrgSecretary,
                GrantScope::Organization(uuid_of(&village)),
            ),
            _ => (
                Role::CommitteeStaff,
                GrantScope::LinkageGroup(uuid_of(&committee)),
            ),
        };
        users.push(account(&app, &format!("user{i:02}"), &[grant]).await);
    }
    let expected = |i: usize| -> Value {
        let grant = match i % 3 {
            0 => json!({ "role": "ADMIN", "scope": null }),
            1 => {
                json!({ "role": "ORG_SECRETARY", "scope": { "__typename": "Organization", "name": "南平村党支部" } })
            }
            _ => {
                json!({ "role": "COMMITTEE_STAFF", "scope": { "__typename": "LinkageGroup", "name": "联建委员会" } })
            }
        };
        json!({ "id": users[i].0, "username": format!("user{i:02}"), "grants": [grant] })
    };
    let mut costs = Vec::new();
    for n in [5, 50] {
        let wanted: Vec<&str> = users[..n].iter().map(|(id, _)| id.as_str()).collect();
        let (statements, data) = cost(&app, None, NODES, json!({ "ids": wanted })).await;
        let found = data["nodes"].as_array().unwrap();
        assert_eq!(found.len(), n);
        for (i, node) in found.iter().enumerate() {
            assert_eq!(node, &expected(i));
        }
        costs.push(statements);
    }
    assert_eq!(costs[0], costs[1], "statements for 5 and 50: {costs:?}");

    // Someone who is not an administrator sees their own account only.
    let (_, token) = (users[1].0.clone(), users[1].1.clone());
    let (_, data) = cost(
        &app,
        Some(&token),
        NODES,
        json!({ "ids": [users[0].0, users[1].0, users[2].0] }),
    )
    .await;
    assert_eq!(data["nodes"], json!([null, expected(1), null]));
    let (_, data) = cost(
        &app,
        Some(&token),
        "query($id: ID!) { node(id: $id) { ... on User { username } } }",
        json!({ "id": users[1].0 }),
    )
    .await;
    assert_eq!(data["node"], json!({ "username": "user01" }));
}

// ---- The clash list of a schedule ----

const SCHEDULE: &str = "mutation($input: ScheduleJointActivityInput!) {
    scheduleJointActivity(input: $input) { jointActivity { id }
        acceptedConflicts { jointActivity { title host { name } participants { organization { name } } }
            organization { name } venue } } }";

async fn a_clash_list_costs_the_same_for_5_or_50_clashes() {
    let app = TestApp::spawn().await;
    let area = area(&app).await;
    let host = org(&app, "风景区党委", &area, None).await;
    let village = org(&app, "南平村党支部", &area, None).await;
    let other = org(&app, "石坑村党支部", &area, None).await;
    // On day 1 five meetings of the village, on day 2 fifty, ten minutes each, each in a room of
    // its own; then one long activity of the village each day that clashes with all of them.
    let mut costs = Vec::new();
    for (day, meetings) in [(1u32, 5usize), (2, 50)] {
        let start = Utc.with_ymd_and_hms(2027, 8, day, 0, 0, 0).unwrap();
        for i in 0..meetings {
            let from = start + Duration::minutes(10 * i as i64);
            app.graphql(
                SCHEDULE,
                json!({ "input": { "title": format!("例会{day}-{i:02}"), "kind": "JOINT_MEETING",
                    "hostOrganizationId": host, "participantOrganizationIds": [village],
                    "venue": format!("会议室{i:02}"), "startsAt": from.to_rfc3339(),
                    "endsAt": (from + Duration::minutes(10)).to_rfc3339() } }),
            )
            .await
            .ok();
        }
        let (statements, data) = cost(
            &app,
            None,
            SCHEDULE,
            json!({ "input": { "title": format!("巡河{day}"), "kind": "PATROL",
                "hostOrganizationId": other, "participantOrganizationIds": [village],
                "venue": "河堤", "startsAt": start.to_rfc3339(),
                "endsAt": (start + Duration::hours(10)).to_rfc3339(), "allowConflicts": true } }),
        )
        .await;
        let clashes = data["scheduleJointActivity"]["acceptedConflicts"]
            .as_array()
            .unwrap();
        assert_eq!(clashes.len(), meetings);
        for (i, clash) in clashes.iter().enumerate() {
            assert_eq!(
                clash,
                &json!({
                    "jointActivity": { "title": format!("例会{day}-{i:02}"), "host": { "name": "风景区党委" },
                        "participants": [{ "organization": { "name": "风景区党委" } },
                                         { "organization": { "name": "南平村党支部" } }] },
                    "organization": { "name": "南平村党支部" },
                    "venue": null,
                })
            );
        }
        costs.push(statements);
    }
    assert_eq!(costs[0], costs[1], "statements for 5 and 50: {costs:?}");
}

// ---- Nested connections read only what their selection asks for ----

const BRANCHES: &str = "query($root: ID!, $first: Int) {
    organizations(first: $first, filter: { parentId: $root }) { edges { node { name } } } }";

const BRANCHES_WITH_CHILD_COUNTS: &str = "query($root: ID!, $first: Int) {
    organizations(first: $first, filter: { parentId: $root }) { edges { node { name children { totalCount } } } } }";

async fn a_count_of_children_reads_no_rows() {
    let app = TestApp::spawn().await;
    let area = area(&app).await;
    let root = org(&app, "党委", &area, None).await;
    // Branch i has i % 4 children, and branches 3 and 7 one archived child more.
    for i in 0..50 {
        let branch = org(&app, &format!("支部{i:02}"), &area, Some(&root)).await;
        for c in 0..i % 4 {
            org(&app, &format!("小组{i:02}-{c}"), &area, Some(&branch)).await;
        }
        if i == 3 || i == 7 {
            let archived = org(&app, &format!("旧小组{i:02}"), &area, Some(&branch)).await;
            app.graphql(
                "mutation($input: ArchiveOrganizationInput!) { archiveOrganization(input: $input) { organization { id } } }",
                json!({ "input": { "id": archived } }),
            )
            .await
            .ok();
        }
    }
    for first in [5, 50] {
        let variables = json!({ "root": root, "first": first });
        let (without, _) = cost(&app, None, BRANCHES, variables.clone()).await;
        let (with, data) = cost(&app, None, BRANCHES_WITH_CHILD_COUNTS, variables).await;
        // One grouped count for the whole page, and no rows.
        assert_eq!(with - without, 1, "page of {first}");
        let edges = data["organizations"]["edges"].as_array().unwrap();
        assert_eq!(edges.len(), first);
        for (i, edge) in edges.iter().enumerate() {
            assert_eq!(
                edge["node"],
                json!({ "name": format!("支部{i:02}"), "children": { "totalCount": i % 4 } })
            );
        }
    }
    // Asking for nothing that needs the database costs nothing.
    let (without, _) = cost(&app, None, BRANCHES, json!({ "root": root, "first": 50 })).await;
    let (with, data) = cost(
        &app,
        None,
        "query($root: ID!) { organizations(first: 50, filter: { parentId: $root }) {
            edges { node { name children { __typename } } } } }",
        json!({ "root": root }),
    )
    .await;
    assert_eq!(with, without);
    assert_eq!(
        data["organizations"]["edges"][0]["node"]["children"],
        json!({ "__typename": "OrganizationConnection" })
    );
}

async fn counts_of_people_groups_and_members_read_no_rows() {
    let app = TestApp::spawn().await;
    let area = area(&app).await;
    let town = org(&app, "温泉镇党委", &area, None).await;
    let villages = [
        org(&app, "南平村党支部", &area, None).await,
        org(&app, "石坑村党支部", &area, None).await,
        org(&app, "龙潭村党支部", &area, None).await,
    ];
    // 南平村 has 3 people, 石坑村 1, 龙潭村 none.
    for (name, village) in [("陈一", 0), ("陈二", 0), ("陈三", 0), ("林一", 1)] {
        person(&app, name, &villages[village]).await;
    }
    let first = group(&app, "联建委员会", &town, &[&villages[0], &villages[1]]).await;
    group(&app, "河长联盟", &villages[0], &[&villages[2]]).await;
    let query = |fields: &str| {
        format!(
            "query($ids: [ID!]!) {{ nodes(ids: $ids) {{ ... on Organization {{ name {fields} }} }} }}"
        )
    };
    let ids = json!({ "ids": villages });
    let (base, _) = cost(&app, None, &query(""), ids.clone()).await;
    let (people, data) = cost(&app, None, &query("people { totalCount }"), ids.clone()).await;
    assert_eq!(people - base, 1);
    assert_eq!(
        data["nodes"],
        json!([
            { "name": "南平村党支部", "people": { "totalCount": 3 } },
            { "name": "石坑村党支部", "people": { "totalCount": 1 } },
            { "name": "龙潭村党支部", "people": { "totalCount": 0 } },
        ])
    );
    let (groups, data) = cost(
        &app,
        None,
        &query("linkageGroups { totalCount }"),
        ids.clone(),
    )
    .await;
    assert_eq!(groups - base, 1);
    // 南平村: member of 联建委员会 and lead of 河长联盟 (a lead is a member too).
    assert_eq!(
        data["nodes"],
        json!([
            { "name": "南平村党支部", "linkageGroups": { "totalCount": 2 } },
            { "name": "石坑村党支部", "linkageGroups": { "totalCount": 1 } },
            { "name": "龙潭村党支部", "linkageGroups": { "totalCount": 1 } },
        ])
    );
    let (base, _) = cost(
        &app,
        None,
        "query($id: ID!) { linkageGroup(id: $id) { name } }",
        json!({ "id": first }),
    )
    .await;
    let (members, data) = cost(
        &app,
        None,
        "query($id: ID!) { linkageGroup(id: $id) { name members { totalCount } } }",
        json!({ "id": first }),
    )
    .await;
    assert_eq!(members - base, 1);
    // The lead and the two villages.
    assert_eq!(
        data["linkageGroup"],
        json!({ "name": "联建委员会", "members": { "totalCount": 3 } })
    );
}

async fn page_info_alone_reads_at_most_the_ends_of_a_page() {
    let app = TestApp::spawn().await;
    let area = area(&app).await;
    let root = org(&app, "党委", &area, None).await;
    for i in 1..=7 {
        org(&app, &format!("c{i}"), &area, Some(&root)).await;
    }
    let vars = |page: Value| {
        let mut v = json!({ "id": root });
        v.as_object_mut()
            .unwrap()
            .extend(page.as_object().unwrap().clone());
        v
    };
    let children = |args: &str, fields: &str| {
        format!(
            "query($id: ID!, $first: Int, $last: Int, $after: String, $before: String) {{
                organization(id: $id) {{ name children({args}) {{ {fields} }} }} }}"
        )
    };
    let all = "first: $first, last: $last, after: $after, before: $before";
    let (base, _) = cost(
        &app,
        None,
        "query($id: ID!) { organization(id: $id) { name } }",
        json!({ "id": root }),
    )
    .await;
    let names = |data: &Value| -> Vec<String> {
        data["organization"]["children"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| str_at(e, &["node", "name"]).to_owned())
            .collect()
    };

    // Whether more follow: one count, no rows.
    let (n, data) = cost(
        &app,
        None,
        &children(all, "pageInfo { hasNextPage hasPreviousPage }"),
        vars(json!({ "first": 3 })),
    )
    .await;
    assert_eq!(n - base, 1);
    assert_eq!(
        data["organization"]["children"],
        json!({ "pageInfo": { "hasNextPage": true, "hasPreviousPage": false } })
    );
    // With totalCount and no cursor, that count answers both.
    let (n, data) = cost(
        &app,
        None,
        &children(all, "totalCount pageInfo { hasNextPage }"),
        vars(json!({ "first": 7 })),
    )
    .await;
    assert_eq!(n - base, 1);
    assert_eq!(
        data["organization"]["children"],
        json!({ "totalCount": 7, "pageInfo": { "hasNextPage": false } })
    );

    // The cursors of a page: its first and last row only, in one statement.
    let (n, data) = cost(
        &app,
        None,
        &children(
            all,
            "pageInfo { startCursor endCursor hasNextPage hasPreviousPage }",
        ),
        vars(json!({ "first": 3 })),
    )
    .await;
    assert_eq!(n - base, 1);
    let info = data["organization"]["children"]["pageInfo"].clone();
    assert_eq!(info["hasNextPage"], true);
    assert_eq!(info["hasPreviousPage"], false);
    // The end cursor is c3's: the next page starts at c4; the start cursor is c1's.
    let (_, data) = cost(
        &app,
        None,
        &children(all, "edges { node { name } }"),
        vars(json!({ "first": 2, "after": info["endCursor"] })),
    )
    .await;
    assert_eq!(names(&data), ["c4", "c5"]);
    let (_, data) = cost(
        &app,
        None,
        &children(all, "edges { node { name } }"),
        vars(json!({ "first": 1, "after": info["startCursor"] })),
    )
    .await;
    assert_eq!(names(&data), ["c2"]);

    // After a cursor, with totalCount: the count of all, and the ends after the cursor.
    let (n, data) = cost(
        &app,
        None,
        &children(
            all,
            "totalCount pageInfo { startCursor endCursor hasNextPage hasPreviousPage }",
        ),
        vars(json!({ "first": 3, "after": info["endCursor"] })),
    )
    .await;
    assert_eq!(n - base, 2);
    let page = data["organization"]["children"].clone();
    assert_eq!(page["totalCount"], 7);
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    assert_eq!(page["pageInfo"]["hasPreviousPage"], true);
    // c4 to c6: before the start cursor comes c3, after the end cursor c7.
    let (_, data) = cost(
        &app,
        None,
        &children(all, "edges { node { name } }"),
        vars(json!({ "last": 1, "before": page["pageInfo"]["startCursor"] })),
    )
    .await;
    assert_eq!(names(&data), ["c3"]);
    let (_, data) = cost(
        &app,
        None,
        &children(all, "edges { node { name } }"),
        vars(json!({ "first": 5, "after": page["pageInfo"]["endCursor"] })),
    )
    .await;
    assert_eq!(names(&data), ["c7"]);

    // Backwards, and a page shorter than asked for: the last two are c6 and c7, and a page of
    // ten holds all seven, from c1 to c7.
    let (_, data) = cost(
        &app,
        None,
        &children(
            all,
            "pageInfo { startCursor endCursor hasNextPage hasPreviousPage }",
        ),
        vars(json!({ "last": 2 })),
    )
    .await;
    let info = data["organization"]["children"]["pageInfo"].clone();
    assert_eq!(info["hasPreviousPage"], true);
    assert_eq!(info["hasNextPage"], false);
    let (_, data) = cost(
        &app,
        None,
        &children(all, "edges { node { name } }"),
        vars(json!({ "last": 1, "before": info["startCursor"] })),
    )
    .await;
    assert_eq!(names(&data), ["c5"]);
    let (_, data) = cost(
        &app,
        None,
        &children(all, "edges { node { name } }"),
        vars(json!({ "last": 1, "before": info["endCursor"] })),
    )
    .await;
    assert_eq!(names(&data), ["c6"]);
    let (_, data) = cost(
        &app,
        None,
        &children(all, "pageInfo { startCursor endCursor hasNextPage }"),
        vars(json!({ "first": 10 })),
    )
    .await;
    let info = data["organization"]["children"]["pageInfo"].clone();
    assert_eq!(info["hasNextPage"], false);
    let (_, data) = cost(
        &app,
        None,
        &children(all, "edges { node { name } }"),
        vars(json!({ "first": 10, "after": info["startCursor"] })),
    )
    .await;
    assert_eq!(names(&data), ["c2", "c3", "c4", "c5", "c6", "c7"]);
    let (_, data) = cost(
        &app,
        None,
        &children(all, "edges { node { name } }"),
        vars(json!({ "last": 10, "before": info["endCursor"] })),
    )
    .await;
    assert_eq!(names(&data), ["c1", "c2", "c3", "c4", "c5", "c6"]);
    // An empty page has no cursors, and tells whether rows follow.
    let (_, data) = cost(
        &app,
        None,
        &children(all, "pageInfo { startCursor endCursor hasNextPage }"),
        vars(json!({ "first": 0 })),
    )
    .await;
    assert_eq!(
        data["organization"]["children"]["pageInfo"],
        json!({ "startCursor": null, "endCursor": null, "hasNextPage": true })
    );

    // A page of one organization and a page of all eight cost the same with cursors alone.
    let mut costs = Vec::new();
    for first in [1, 8] {
        let (n, data) = cost(
            &app,
            None,
            "query($first: Int) { organizations(first: $first) { edges { node { name
                children(first: 2) { pageInfo { endCursor hasNextPage } } } } } }",
            json!({ "first": first }),
        )
        .await;
        let edges = data["organizations"]["edges"].as_array().unwrap();
        assert_eq!(edges.len(), first);
        costs.push(n);
    }
    assert_eq!(costs[0], costs[1], "statements for 1 and 8: {costs:?}");
}

/// Reading who asks costs one statement, whatever the account holds: the account, its grants,
/// its postings' grants and their organizations' paths come together (the demo accounts hold a
/// system grant, group grants, an organization grant and a posting). An operation open to
/// anyone (`__typename`, introspection) runs without it.
async fn authentication_is_one_statement_for_every_kind_of_grant() {
    let app = TestApp::spawn().await;
    app.load_demo().await;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    for username in [
        "admin",
        "staff",
        "supervisor",
        "secretary",
        "first-secretary",
        "member",
    ] {
        let user = user_account::Entity::find()
            .filter(user_account::Column::Username.eq(username))
            .one(&app.state.db.read)
            .await
            .unwrap()
            .unwrap();
        let (token, _) = app.state.tokens.issue(user.id, user.token_version).unwrap();
        let (statements, data) = cost(
            &app,
            Some(&token),
            "{ viewer { user { username } } }",
            json!({}),
        )
        .await;
        assert_eq!(
            data,
            json!({ "viewer": { "user": { "username": username } } })
        );
        assert_eq!(statements, 1, "{username}");
        // An operation open to anyone reads no account, whatever token comes with it.
        for query in ["{ __typename }", "{ __schema { queryType { name } } }"] {
            let (statements, data) = cost(&app, Some(&token), query, json!({})).await;
            assert!(data.is_object(), "{data}");
            assert_eq!(statements, 0, "{username}: {query}");
        }
    }
}

/// A batch reads who asks once, for the first operation that needs a viewer, and not at all
/// when none does.
async fn a_batch_reads_its_viewer_once() {
    let app = TestApp::spawn().await;
    let me = json!({ "query": "{ viewer { user { username } } }" });
    let typename = json!({ "query": "{ __typename }" });
    for (batch, statements) in [
        (json!([me, me, me]), 1),
        (json!([typename, me, typename, me]), 1),
        (json!([typename, typename]), 0),
    ] {
        let before = app.sql_statements().await;
        let response = app.post_json(&batch).await;
        assert_eq!(app.sql_statements().await - before, statements, "{batch}");
        let answers = response.body.as_array().unwrap();
        assert_eq!(answers.len(), batch.as_array().unwrap().len());
        for (answer, request) in answers.iter().zip(batch.as_array().unwrap()) {
            let expected = if request == &me {
                json!({ "viewer": { "user": { "username": "root" } } })
            } else {
                json!({ "__typename": "Query" })
            };
            assert_eq!(answer, &json!({ "data": expected }), "{batch}");
        }
    }
}

/// The statements of a nested page do not depend on scheduling: 24 identical requests at once on
/// the multi-threaded runtime cost exactly 24 times what one costs alone, so no batch was split
/// between worker threads.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_cost_the_statements_of_one_each() {
    let app = TestApp::spawn().await;
    app.load_demo().await;
    let query = "{ organizations(first: 30) { nodes { name parent { name } children { totalCount }
        people(first: 5) { nodes { name } } linkageGroups { nodes { name } } } } }";
    let (alone, data) = cost(&app, None, query, json!({})).await;
    assert_eq!(data["organizations"]["nodes"].as_array().unwrap().len(), 30);
    let app = std::sync::Arc::new(app);
    for _ in 0..3 {
        let before = app.sql_statements().await;
        let mut tasks = Vec::new();
        for _ in 0..24 {
            let app = app.clone();
            tasks.push(tokio::spawn(async move {
                app.graphql(query, json!({})).await.ok().clone()
            }));
        }
        for task in tasks {
            assert_eq!(task.await.unwrap(), data);
        }
        assert_eq!(app.sql_statements().await - before, 24 * alone);
    }
}

const CARD: &str =
    "query($id: ID!) { organization(id: $id) { name level parent { name } area { name } } }";

/// One organization with its parent's and its area's cards is one statement after the
/// authentication (the two are joined to it), and a row asked for again at another depth of
/// the same query is not read again.
async fn an_organization_comes_with_its_parent_and_area_in_one_statement() {
    let app = TestApp::spawn().await;
    let town = area(&app).await;
    let root = org(&app, "温泉镇党委", &town, None).await;
    let branch = org(&app, "东村党支部", &town, Some(&root)).await;

    let (statements, data) = cost(&app, None, CARD, json!({ "id": branch })).await;
    assert_eq!(
        data,
        json!({ "organization": { "name": "东村党支部", "level": "BRANCH",
            "parent": { "name": "温泉镇党委" }, "area": { "name": "温泉镇" } } })
    );
    assert_eq!(statements, 2);

    // A root has no parent; the join finds none.
    let (statements, data) = cost(&app, None, CARD, json!({ "id": root })).await;
    assert_eq!(
        data,
        json!({ "organization": { "name": "温泉镇党委", "level": "BRANCH",
            "parent": null, "area": { "name": "温泉镇" } } })
    );
    assert_eq!(statements, 2);

    // Only the parent, through a fragment and an alias: still one statement.
    let (statements, data) = cost(
        &app,
        None,
        "query($id: ID!) { organization(id: $id) { ...Up } } fragment Up on Organization { up: parent { name } }",
        json!({ "id": branch }),
    )
    .await;
    assert_eq!(
        data,
        json!({ "organization": { "up": { "name": "温泉镇党委" } } })
    );
    assert_eq!(statements, 2);

    // The parent's parent is not joined: one batch more.
    let leaf = org(&app, "东村第一党小组", &town, Some(&branch)).await;
    let (statements, data) = cost(
        &app,
        None,
        "query($id: ID!) { organization(id: $id) { parent { name parent { name parent { name } } } } }",
        json!({ "id": leaf }),
    )
    .await;
    assert_eq!(
        data,
        json!({ "organization": { "parent": { "name": "东村党支部",
            "parent": { "name": "温泉镇党委", "parent": null } } } })
    );
    assert_eq!(statements, 3);

    // The branch's children point back at the branch, which the query has read already.
    let (statements, data) = cost(
        &app,
        None,
        "query($id: ID!) { organization(id: $id) { name parent { name }
            children { nodes { name parent { name } } } } }",
        json!({ "id": branch }),
    )
    .await;
    assert_eq!(
        data,
        json!({ "organization": { "name": "东村党支部", "parent": { "name": "温泉镇党委" },
            "children": { "nodes": [ { "name": "东村第一党小组", "parent": { "name": "东村党支部" } } ] } } })
    );
    // Authentication, the organization with its parent, the children's page.
    assert_eq!(statements, 3);

    // No such organization: NOT_FOUND, joined or not.
    let missing = ids::encode(ids::NodeKind::Organization, uuid::Uuid::now_v7()).0;
    for query in [CARD, "query($id: ID!) { organization(id: $id) { name } }"] {
        let response = app.graphql(query, json!({ "id": missing })).await;
        assert_eq!(response.code(), "NOT_FOUND", "{query}");
    }
}

const PAGE: &str = "query($first: Int) { organizations(first: $first) { nodes { name } } }";
const PAGE_WITH_PARENTS: &str =
    "query($first: Int) { organizations(first: $first) { nodes { name parent { name } } } }";
const EDGES_WITH_PARENTS: &str = "query($first: Int) { organizations(first: $first) {
    edges { node { name parent { name } } } } }";

/// A page of organizations with their parents' names costs what the page alone costs: the
/// parents are joined to the page's rows.
async fn a_page_of_organizations_comes_with_the_parents_in_one_statement() {
    let app = TestApp::spawn().await;
    let town = area(&app).await;
    // Names sort as: the two roots, then the branches, whose parents alternate.
    let first_root = org(&app, "R1 甲镇党委", &town, None).await;
    let second_root = org(&app, "R2 乙镇党委", &town, None).await;
    let mut expected = vec![
        json!({ "name": "R1 甲镇党委", "parent": null }),
        json!({ "name": "R2 乙镇党委", "parent": null }),
    ];
    for i in 0..10 {
        let (root, root_name) = if i % 2 == 0 {
            (&first_root, "R1 甲镇党委")
        } else {
            (&second_root, "R2 乙镇党委")
        };
        org(&app, &format!("S{i:02} 党支部"), &town, Some(root)).await;
        expected
            .push(json!({ "name": format!("S{i:02} 党支部"), "parent": { "name": root_name } }));
    }
    for first in [5, 12] {
        let variables = json!({ "first": first });
        let (alone, _) = cost(&app, None, PAGE, variables.clone()).await;
        let (with_parents, data) = cost(&app, None, PAGE_WITH_PARENTS, variables.clone()).await;
        assert_eq!(with_parents, alone, "page of {first}");
        assert_eq!(data["organizations"]["nodes"], json!(expected[..first]));
        let (with_parents, data) = cost(&app, None, EDGES_WITH_PARENTS, variables).await;
        assert_eq!(with_parents, alone, "edges, page of {first}");
        let nodes: Vec<Value> = data["organizations"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|edge| edge["node"].clone())
            .collect();
        assert_eq!(nodes, expected[..first]);
    }
    // Pages after a cursor, backwards and with a count keep their rows and parents.
    let response = app
        .graphql(
            "{ organizations(last: 3) { totalCount nodes { name parent { name } } pageInfo { hasPreviousPage } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        response.ok()["organizations"],
        json!({ "totalCount": 12, "nodes": expected[9..12], "pageInfo": { "hasPreviousPage": true } })
    );
}

const ADD_PERSON: &str = "mutation($input: CreatePersonInput!) {
    createPerson(input: $input) { person { name positions { position } } } }";

/// Adding a person. On SQLite: signing in, the caller's count of refused identifiers, the
/// organization with whether the caller may manage it (one statement for both), the person, one
/// insert for all its positions, and the audit entry (the transaction's BEGIN and COMMIT are not
/// counted). On PostgreSQL: signing in, then ONE statement that checks the count, the
/// organization and the permission and writes the person, its positions and the audit entry,
/// with no transaction around it.
async fn adding_a_person_is_five_statements_or_one_write_on_postgres() {
    let app = TestApp::spawn().await;
    let postgres = app.state.db.write.get_database_backend() == sea_orm::DbBackend::Postgres;
    // (the person, the positions when there are any, the audit entry) after the count and the
    // organization.
    let (bare, with_positions) = if postgres { (2, 2) } else { (5, 6) };
    let town = area(&app).await;
    let branch = org(&app, "东村党支部", &town, None).await;
    let (statements, data) = cost(
        &app,
        None,
        ADD_PERSON,
        json!({ "input": { "name": "张三", "politicalStatus": "MASSES", "organizationId": branch } }),
    )
    .await;
    assert_eq!(
        data,
        json!({ "createPerson": { "person": { "name": "张三", "positions": [] } } })
    );
    assert_eq!(
        statements,
        bare + 1,
        "with the positions' read for the payload"
    );
    let (statements, data) = cost(
        &app,
        None,
        ADD_PERSON,
        json!({ "input": { "name": "李四", "politicalStatus": "FULL_MEMBER", "organizationId": branch,
            "positions": [
                { "position": "SECRETARY", "startedOn": "2026-01-01" },
                { "position": "GRID_WORKER", "startedOn": "2026-02-01" },
            ] } }),
    )
    .await;
    assert_eq!(
        data,
        json!({ "createPerson": { "person": { "name": "李四",
            "positions": [ { "position": "SECRETARY" }, { "position": "GRID_WORKER" } ] } } })
    );
    assert_eq!(statements, with_positions + 1);
    let (statements, data) = cost(
        &app,
        None,
        ADD_PERSON,
        json!({ "input": { "name": "王五", "politicalStatus": "FULL_MEMBER", "organizationId": branch,
            "positions": [
                { "position": "SECRETARY", "startedOn": "2026-01-01" },
                { "position": "GRID_WORKER", "startedOn": "2026-02-01" },
                { "position": "DEPUTY_SECRETARY", "startedOn": "2026-03-01" },
                { "position": "COMMITTEE_MEMBER", "startedOn": "2026-04-01" },
            ] } }),
    )
    .await;
    assert_eq!(
        data,
        json!({ "createPerson": { "person": { "name": "王五",
            "positions": [ { "position": "SECRETARY" }, { "position": "GRID_WORKER" },
                { "position": "DEPUTY_SECRETARY" }, { "position": "COMMITTEE_MEMBER" } ] } } })
    );
    assert_eq!(
        statements,
        with_positions + 1,
        "four positions cost what two cost"
    );
}

const CANCEL: &str = "mutation($input: CancelJointActivityInput!) {
    cancelJointActivity(input: $input) { jointActivity { id status cancelReason version } } }";

/// Changing a row that carries a version: signing in, the row with whether the caller may
/// manage it (one statement for both), the UPDATE guarded by the version read, which returns
/// the row as written, the audit entry, and the event in the outbox (one insert; on PostgreSQL
/// also the statement that takes the outbox's lock and queues the notification). The row is not
/// read again after the write. BEGIN and COMMIT are not counted.
async fn changing_an_activity_reads_it_once() {
    let app = TestApp::spawn().await;
    app.load_demo().await;
    let planned = app
        .graphql(
            "{ jointActivities(first: 100, filter: { statuses: [PLANNED] }) { nodes { id version } } }",
            json!({}),
        )
        .await;
    let nodes = planned.ok()["jointActivities"]["nodes"].clone();
    let first = &nodes[0];
    let id = str_at(first, &["id"]).to_owned();
    let version = first["version"].as_i64().unwrap();
    let postgres = app.state.db.write.get_database_backend() == sea_orm::DbBackend::Postgres;
    let outbox = if postgres { 2 } else { 1 };
    let (statements, data) = cost(
        &app,
        None,
        CANCEL,
        json!({ "input": { "id": id, "reason": "下雨", "expectedVersion": version } }),
    )
    .await;
    assert_eq!(
        data,
        json!({ "cancelJointActivity": { "jointActivity": {
            "id": id, "status": "CANCELLED", "cancelReason": "下雨", "version": version + 1 } } })
    );
    assert_eq!(statements, 1 + 1 + 1 + 1 + outbox);
    // What the write returned is what a later read sees.
    let again = app
        .graphql(
            "query($id: ID!) { jointActivity(id: $id) { id status cancelReason version } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        again.ok()["jointActivity"],
        data["cancelJointActivity"]["jointActivity"]
    );
}

/// What `createPerson` leaves in the tables, read back row by row: the same on SQLite (step by
/// step, in a transaction) and on PostgreSQL (one statement). The expected rows are the input
/// as written here, and the audit entry as DESIGN has it: no phone or ID-card number, only
/// whether one is on file.
async fn adding_a_person_writes_the_person_its_positions_and_its_audit_entry() {
    use entities::{audit_entry, enums, person, person_position};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

    let app = TestApp::spawn().await;
    let town = area(&app).await;
    let branch = org(&app, "东村党支部", &town, None).await;
    let (statements, data) = cost(
        &app,
        None,
        "mutation($input: CreatePersonInput!) { createPerson(input: $input) { person { id } } }",
        json!({ "input": { "name": "赵敏", "gender": "FEMALE", "politicalStatus": "FULL_MEMBER",
            "organizationId": branch, "phone": "13812345678", "idNumber": "11010519491231002X",
            "positions": [
                { "position": "CADRE", "startedOn": "2021-01-01", "endedOn": "2023-12-31" },
                { "position": "SECRETARY", "startedOn": "2024-01-01" },
            ] } }),
    )
    .await;
    assert!(statements > 0);
    let id = uuid_of(str_at(&data, &["createPerson", "person", "id"]));
    let db = &app.state.db.write;
    let person = person::Entity::find_by_id(id)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(person.name, "赵敏");
    assert_eq!(person.gender, Some(enums::Gender::Female));
    assert_eq!(person.phone.as_deref(), Some("13812345678"));
    assert_eq!(person.id_number.as_deref(), Some("11010519491231002X"));
    assert_eq!(person.political_status, enums::PoliticalStatus::FullMember);
    assert_eq!(person.organization_id, uuid_of(&branch));
    assert_eq!(person.created_at, person.updated_at);
    let positions: Vec<_> = person_position::Entity::find()
        .filter(person_position::Column::PersonId.eq(id))
        .order_by_asc(person_position::Column::StartedOn)
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|p| {
            (
                p.position,
                p.started_on.to_string(),
                p.ended_on.map(|d| d.to_string()),
            )
        })
        .collect();
    assert_eq!(
        positions,
        vec![
            (
                enums::Position::Cadre,
                "2021-01-01".to_owned(),
                Some("2023-12-31".to_owned())
            ),
            (enums::Position::Secretary, "2024-01-01".to_owned(), None),
        ]
    );
    let entries = audit_entry::Entity::find()
        .filter(audit_entry::Column::TargetId.eq(id))
        .all(db)
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
    let entry = &entries[0];
    assert_eq!(entry.action, "createPerson");
    assert_eq!(entry.target_type, "Person");
    assert!(entry.actor_id.is_some());
    assert!(entry.request_id.is_some());
    assert_eq!(entry.before, None);
    assert_eq!(
        entry.after,
        Some(json!({
            "name": "赵敏", "gender": "FEMALE", "politicalStatus": "FULL_MEMBER",
            "organizationId": uuid_of(&branch), "hasPhone": true, "hasIdNumber": true,
            "positions": [
                { "position": "CADRE", "startedOn": "2021-01-01", "endedOn": "2023-12-31" },
                { "position": "SECRETARY", "startedOn": "2024-01-01", "endedOn": null },
            ],
        }))
    );
    assert!(entry.created_at >= person.created_at);
    assert_eq!(app.count_rows("person").await, 1);
    assert_eq!(app.count_rows("person_position").await, 2);
}

const PAIR: &str = "mutation($input: CreateMentorPairingInput!) {
    createMentorPairing(input: $input) { mentorPairing { id } } }";

/// Pairing a mentor with a cadre: signing in; the mentor and the mentee, each with whether it
/// holds a mentor or a cadre position over the pairing's span (one statement for both people
/// and their positions); the pairing's organization and the mentee's, with whether the caller
/// may create pairings in the first (one statement); whether the two already have an active
/// pairing; the pairing (an insert that returns the row); and the audit entry. BEGIN and COMMIT
/// are not counted. It was eleven: each person, the organization, its linkage groups, each
/// person's positions and the mentee's organization were read one statement at a time.
async fn pairing_a_mentor_costs_six_statements() {
    let app = TestApp::spawn_at(Utc.with_ymd_and_hms(2026, 6, 30, 2, 0, 0).unwrap()).await;
    let town = area(&app).await;
    let committee = org(&app, "镇党委", &town, None).await;
    let village = org(&app, "南平村党支部", &town, Some(&committee)).await;
    let mut people = Vec::new();
    for (name, org, position) in [
        ("张第一书记", &committee, "FIRST_SECRETARY"),
        ("李书记", &village, "SECRETARY"),
        ("王村干", &village, "CADRE"),
    ] {
        let response = app
            .graphql(
                "mutation($input: CreatePersonInput!) { createPerson(input: $input) { person { id } } }",
                json!({ "input": { "name": name, "politicalStatus": "FULL_MEMBER",
                    "organizationId": org,
                    "positions": [ { "position": position, "startedOn": "2026-01-01" } ] } }),
            )
            .await;
        people.push(str_at(response.ok(), &["createPerson", "person", "id"]).to_owned());
    }
    let (_, secretary) = account(
        &app,
        "town-secretary",
        &[(
            Role::OrgSecretary,
            GrantScope::Organization(uuid_of(&committee)),
        )],
    )
    .await;
    // The administrator, with the mentee's organization; a secretary of the subtree, naming it.
    for (caller, token, mentor, organization) in [
        ("administrator", None, &people[0], None),
        (
            "secretary",
            Some(secretary.as_str()),
            &people[1],
            Some(&committee),
        ),
    ] {
        let (statements, data) = cost(
            &app,
            token,
            PAIR,
            json!({ "input": { "mentorId": mentor, "menteeId": people[2], "goals": "熟悉村务",
                "startsOn": "2026-06-01", "organizationId": organization } }),
        )
        .await;
        assert!(data["createMentorPairing"]["mentorPairing"]["id"].is_string());
        assert_eq!(statements, 1 + 1 + 1 + 1 + 1 + 1, "{caller}");
    }
}
