//! The authorization matrix: for users of every role and scope, every object and action, the SQL
//! scope, the lists (paginated, with totalCount), single reads and Casbin's `enforce()` agree.

use std::collections::{BTreeSet, HashMap};

use entities::{linkage_group_member, organization, person};
use lianjian_api::{
    authz::{Role, Viewer, group_domain, organization_domain},
    services::accounts::{self, GrantScope},
};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Gql, TestApp};

struct Fixture {
    orgs: HashMap<&'static str, organization::Model>,
    people: HashMap<&'static str, person::Model>,
    groups: HashMap<&'static str, Uuid>,
}

async fn create_org(
    app: &TestApp,
    area: &str,
    name: &str,
    parent: Option<Uuid>,
) -> organization::Model {
    let parent_id = parent.map(|p| {
        lianjian_api::graphql::ids::encode(lianjian_api::graphql::ids::NodeKind::Organization, p).0
    });
    let response = app
        .graphql(
            "mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id } } }",
            json!({ "input": { "name": name, "level": "BRANCH", "unitType": "VILLAGE", "areaId": area,
                "parentId": parent_id, "contact": format!("{name} office") } }),
        )
        .await;
    let id = response.ok()["createOrganization"]["organization"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let uuid = lianjian_api::graphql::ids::decode("id", &async_graphql::ID(id))
        .unwrap()
        .id;
    organization::Entity::find_by_id(uuid)
        .one(&app.state.db.read)
        .await
        .unwrap()
        .unwrap()
}

/// A root organization whose id differs from `twin`'s only in the last hex digit, so that one
/// id's domain is as close to a prefix of the other's as UUIDs allow.
async fn create_twin(app: &TestApp, twin: &organization::Model, name: &str) -> organization::Model {
    let mut text = twin.id.simple().to_string();
    let last = text.pop().unwrap();
    text.push(if last == 'f' { 'e' } else { 'f' });
    let id = Uuid::parse_str(&text).unwrap();
    let now = chrono::Utc::now();
    organization::ActiveModel {
        id: Set(id),
        name: Set(name.to_owned()),
        short_name: Set(None),
        external_code: Set(None),
        level: Set(twin.level),
        unit_type: Set(twin.unit_type),
        area_id: Set(twin.area_id),
        parent_id: Set(None),
        path: Set(format!("/{}/", id.simple())),
        depth: Set(0),
        contact: Set(Some(format!("{name} office"))),
        key_village: Set(false),
        remote: Set(false),
        archived_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&app.state.db.write)
    .await
    .unwrap()
}

async fn fixture(app: &TestApp) -> Fixture {
    let area = app.create_area("温泉镇").await;
    let a = create_org(app, &area, "A 党委", None).await;
    let b = create_org(app, &area, "B 党总支", Some(a.id)).await;
    let c = create_org(app, &area, "C 村党支部", Some(b.id)).await;
    let d = create_org(app, &area, "D 党支部", None).await;
    let e = create_org(app, &area, "E 党支部", None).await;
    let p1 = create_org(app, &area, "P1 党支部", None).await;
    let p2 = create_twin(app, &p1, "P2 党支部").await;
    let mut orgs = HashMap::new();
    for (key, org) in [
        ("A", a),
        ("B", b),
        ("C", c),
        ("D", d),
        ("E", e),
        ("P1", p1),
        ("P2", p2),
    ] {
        orgs.insert(key, org);
    }
    let gid = |o: &organization::Model| {
        lianjian_api::graphql::ids::encode(lianjian_api::graphql::ids::NodeKind::Organization, o.id)
            .0
    };
    let mut groups = HashMap::new();
    for (key, name, lead, members) in [
        ("G", "联建组 G", "A", vec!["B", "D", "E"]),
        ("H", "联建组 H", "P1", vec![]),
    ] {
        let response = app
            .graphql(
                "mutation($input: CreateLinkageGroupInput!) { createLinkageGroup(input: $input) { linkageGroup { id } } }",
                json!({ "input": { "name": name, "leadOrganizationId": gid(&orgs[lead]),
                    "memberOrganizationIds": members.iter().map(|m| gid(&orgs[m])).collect::<Vec<_>>() } }),
            )
            .await;
        let id = response.ok()["createLinkageGroup"]["linkageGroup"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        groups.insert(
            key,
            lianjian_api::graphql::ids::decode("id", &async_graphql::ID(id))
                .unwrap()
                .id,
        );
    }
    // E has left G: its people are no longer the committee's business.
    let g = lianjian_api::graphql::ids::encode(
        lianjian_api::graphql::ids::NodeKind::LinkageGroup,
        groups["G"],
    )
    .0;
    app.graphql(
        "mutation($g: ID!, $o: ID!) { removeLinkageGroupMember(input: { linkageGroupId: $g, organizationId: $o }) { linkageGroup { id } } }",
        json!({ "g": g, "o": gid(&orgs["E"]) }),
    )
    .await
    .ok();
    let mut people = HashMap::new();
    for (i, key) in ["A", "B", "C", "D", "E", "P1", "P2"]
        .into_iter()
        .enumerate()
    {
        let response = app
            .graphql(
                "mutation($input: CreatePersonInput!) { createPerson(input: $input) { person { id } } }",
                json!({ "input": { "name": format!("{key} 的党员"), "phone": format!("1380000{i:04}"),
                    "politicalStatus": "FULL_MEMBER", "organizationId": gid(&orgs[key]) } }),
            )
            .await;
        let id = response.ok()["createPerson"]["person"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let uuid = lianjian_api::graphql::ids::decode("id", &async_graphql::ID(id))
            .unwrap()
            .id;
        let model = person::Entity::find_by_id(uuid)
            .one(&app.state.db.read)
            .await
            .unwrap()
            .unwrap();
        people.insert(key, model);
    }
    Fixture {
        orgs,
        people,
        groups,
    }
}

/// Casbin domains of an organization: its own path and the groups it currently belongs to.
async fn org_domains(app: &TestApp, org: &organization::Model) -> Vec<String> {
    let mut domains = vec![organization_domain(&org.path)];
    let memberships = linkage_group_member::Entity::find()
        .filter(linkage_group_member::Column::OrganizationId.eq(org.id))
        .filter(linkage_group_member::Column::LeftOn.is_null())
        .all(&app.state.db.read)
        .await
        .unwrap();
    domains.extend(memberships.iter().map(|m| group_domain(m.linkage_group_id)));
    domains
}

/// Casbin domains of a group: its own and those of its current members.
async fn group_domains(app: &TestApp, group: Uuid) -> Vec<String> {
    let mut domains = vec![group_domain(group)];
    let members = linkage_group_member::Entity::find()
        .filter(linkage_group_member::Column::LinkageGroupId.eq(group))
        .filter(linkage_group_member::Column::LeftOn.is_null())
        .all(&app.state.db.read)
        .await
        .unwrap();
    for member in members {
        let org = organization::Entity::find_by_id(member.organization_id)
            .one(&app.state.db.read)
            .await
            .unwrap()
            .unwrap();
        domains.push(organization_domain(&org.path));
    }
    domains
}

async fn viewer(app: &TestApp, token: &str) -> Viewer {
    accounts::viewer_from_token(
        &app.state.db.read,
        &app.state.tokens,
        &app.state.authz,
        token,
        app.state.clock.today(),
    )
    .await
    .unwrap()
}

/// Every name of a connection, walked with pages of 2; checks totalCount on every page.
async fn walk(app: &TestApp, token: &str, field: &str, selection: &str) -> BTreeSet<String> {
    let query = format!(
        "query($after: String) {{ {field}(first: 2, after: $after) {{ totalCount edges {{ node {{ {selection} }} }} pageInfo {{ hasNextPage endCursor }} }} }}"
    );
    let mut names = BTreeSet::new();
    let mut after = Value::Null;
    let mut total = None;
    loop {
        let response: Gql = app
            .graphql_as(Some(token), &query, json!({ "after": after }))
            .await;
        let connection = response.ok()[field].clone();
        let count = connection["totalCount"].as_u64().unwrap();
        assert_eq!(
            *total.get_or_insert(count),
            count,
            "totalCount changed between pages"
        );
        for edge in connection["edges"].as_array().unwrap() {
            names.insert(edge["node"]["name"].as_str().unwrap().to_owned());
        }
        if !connection["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = connection["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(names.len() as u64, total.unwrap_or(0), "{field}: {names:?}");
    names
}

#[tokio::test]
async fn sql_scope_lists_reads_and_enforce_agree_for_every_user_object_and_action() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let users: Vec<(&str, String)> = vec![
        ("admin", app.admin_token.clone()),
        (
            "secretary of A's subtree",
            app.user_with(
                "sec-a",
                &[(Role::OrgSecretary, GrantScope::Organization(f.orgs["A"].id))],
            )
            .await,
        ),
        (
            "member of C only",
            app.user_with(
                "mem-c",
                &[(Role::Member, GrantScope::Organization(f.orgs["C"].id))],
            )
            .await,
        ),
        (
            "member of P1 (P2's id differs in one digit)",
            app.user_with(
                "mem-p1",
                &[(Role::Member, GrantScope::Organization(f.orgs["P1"].id))],
            )
            .await,
        ),
        (
            "committee staff of G",
            app.user_with(
                "staff-g",
                &[(
                    Role::CommitteeStaff,
                    GrantScope::LinkageGroup(f.groups["G"]),
                )],
            )
            .await,
        ),
        (
            "supervisor of G",
            app.user_with(
                "sup-g",
                &[(Role::Supervisor, GrantScope::LinkageGroup(f.groups["G"]))],
            )
            .await,
        ),
        (
            "first secretary of C",
            app.user_with(
                "fs-c",
                &[(
                    Role::FirstSecretary,
                    GrantScope::Organization(f.orgs["C"].id),
                )],
            )
            .await,
        ),
        (
            "secretary of D and member of P2",
            app.user_with(
                "multi",
                &[
                    (Role::OrgSecretary, GrantScope::Organization(f.orgs["D"].id)),
                    (Role::Member, GrantScope::Organization(f.orgs["P2"].id)),
                ],
            )
            .await,
        ),
        ("no grant", app.user_with("nobody", &[]).await),
    ];
    let mut allowed_cells = 0;
    let mut denied_cells = 0;
    for (label, token) in &users {
        let viewer = viewer(&app, token).await;
        let mut readable_people = BTreeSet::new();
        for (key, person) in &f.people {
            let domains = org_domains(&app, &f.orgs[key]).await;
            for action in ["read", "read_personal", "manage"] {
                let enforce = viewer.allows("person", action, &domains);
                let scope = viewer.scope("person", action_static(action));
                let sql = person::Entity::find_by_id(person.id)
                    .filter(scope.organization_condition(person::Column::OrganizationId))
                    .one(&app.state.db.read)
                    .await
                    .unwrap()
                    .is_some();
                assert_eq!(sql, enforce, "{label}: person {key} {action}");
                if enforce {
                    allowed_cells += 1
                } else {
                    denied_cells += 1
                }
            }
            let readable = viewer.allows("person", "read", &domains);
            if readable {
                readable_people.insert(person.name.clone());
            }
            // Single read: a person out of scope looks exactly like a missing one.
            let id = lianjian_api::graphql::ids::encode(
                lianjian_api::graphql::ids::NodeKind::Person,
                person.id,
            );
            let response = app
                .graphql_as(
                    Some(token),
                    "query($id: ID!) { node(id: $id) { ... on Person { name phone } } }",
                    json!({ "id": id.0 }),
                )
                .await;
            let node = &response.ok()["node"];
            assert_eq!(!node.is_null(), readable, "{label}: node(person {key})");
            if readable {
                let full = viewer.allows("person", "read_personal", &domains);
                let phone = node["phone"].as_str().unwrap();
                assert_eq!(
                    !phone.contains('*'),
                    full,
                    "{label}: phone of {key} is {phone}"
                );
            }
        }
        assert_eq!(
            walk(&app, token, "people", "name").await,
            readable_people,
            "{label}: people list"
        );

        for (key, org) in &f.orgs {
            let domains = org_domains(&app, org).await;
            for action in ["read", "manage"] {
                let enforce = viewer.allows("organization", action, &domains);
                let scope = viewer.scope("organization", action_static(action));
                let sql = organization::Entity::find_by_id(org.id)
                    .filter(scope.organization_condition(organization::Column::Id))
                    .one(&app.state.db.read)
                    .await
                    .unwrap()
                    .is_some();
                assert_eq!(sql, enforce, "{label}: organization {key} {action}");
                if enforce {
                    allowed_cells += 1
                } else {
                    denied_cells += 1
                }
            }
            // Internal fields follow `read`; the public card is always there.
            let id = lianjian_api::graphql::ids::encode(
                lianjian_api::graphql::ids::NodeKind::Organization,
                org.id,
            );
            let response = app
                .graphql_as(
                    Some(token),
                    "query($id: ID!) { organization(id: $id) { name contact } }",
                    json!({ "id": id.0 }),
                )
                .await;
            let card = &response.ok()["organization"];
            assert_eq!(card["name"], org.name.as_str());
            assert_eq!(
                !card["contact"].is_null(),
                viewer.allows("organization", "read", &domains),
                "{label}: contact of {key}"
            );
        }

        let mut readable_groups = BTreeSet::new();
        for (key, group) in &f.groups {
            let domains = group_domains(&app, *group).await;
            for action in ["read", "manage"] {
                let enforce = viewer.allows("linkage_group", action, &domains);
                let scope = viewer.scope("linkage_group", action_static(action));
                let sql = entities::linkage_group::Entity::find_by_id(*group)
                    .filter(scope.linkage_group_condition())
                    .one(&app.state.db.read)
                    .await
                    .unwrap()
                    .is_some();
                assert_eq!(sql, enforce, "{label}: group {key} {action}");
                if enforce {
                    allowed_cells += 1
                } else {
                    denied_cells += 1
                }
            }
            if viewer.allows("linkage_group", "read", &domains) {
                readable_groups.insert(
                    if *key == "G" {
                        "联建组 G"
                    } else {
                        "联建组 H"
                    }
                    .to_owned(),
                );
            }
        }
        assert_eq!(
            walk(&app, token, "linkageGroups", "name").await,
            readable_groups,
            "{label}: linkageGroups list"
        );
    }
    assert!(
        allowed_cells > 50 && denied_cells > 50,
        "allowed {allowed_cells}, denied {denied_cells}"
    );
}

fn action_static(action: &str) -> &'static str {
    match action {
        "read" => "read",
        "read_personal" => "read_personal",
        _ => "manage",
    }
}

/// A few cells spelled out, so that the matrix above cannot agree on a wrong model.
#[tokio::test]
async fn the_roles_reach_what_the_design_says() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let sec = app
        .user_with(
            "sec-a",
            &[(Role::OrgSecretary, GrantScope::Organization(f.orgs["A"].id))],
        )
        .await;
    let mem_p1 = app
        .user_with(
            "mem-p1",
            &[(Role::Member, GrantScope::Organization(f.orgs["P1"].id))],
        )
        .await;
    let staff = app
        .user_with(
            "staff-g",
            &[(
                Role::CommitteeStaff,
                GrantScope::LinkageGroup(f.groups["G"]),
            )],
        )
        .await;
    let nobody = app.user_with("nobody", &[]).await;
    let names = |set: BTreeSet<String>| set.into_iter().collect::<Vec<_>>();
    assert_eq!(
        names(walk(&app, &sec, "people", "name").await),
        ["A 的党员", "B 的党员", "C 的党员"]
    );
    assert_eq!(
        names(walk(&app, &mem_p1, "people", "name").await),
        ["P1 的党员"]
    );
    // A leads G, B and D are members; E has left.
    assert_eq!(
        names(walk(&app, &staff, "people", "name").await),
        ["A 的党员", "B 的党员", "D 的党员"]
    );
    assert!(walk(&app, &nobody, "people", "name").await.is_empty());
    // Everyone signed in sees every organization's public card.
    assert_eq!(walk(&app, &nobody, "organizations", "name").await.len(), 7);
    // Secretaries see their people's phone numbers in full; committee staff see them masked.
    let query = "{ people { edges { node { name phone } } } }";
    let response = app.graphql_as(Some(&sec), query, json!({})).await;
    assert!(
        response.ok()["people"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| !e["node"]["phone"].as_str().unwrap().contains('*'))
    );
    let response = app.graphql_as(Some(&staff), query, json!({})).await;
    assert!(
        response.ok()["people"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["node"]["phone"].as_str().unwrap().contains("****"))
    );
    // Writes: the secretary manages people in the subtree only.
    let create =
        "mutation($input: CreatePersonInput!) { createPerson(input: $input) { person { id } } }";
    let gid = |o: &organization::Model| {
        lianjian_api::graphql::ids::encode(lianjian_api::graphql::ids::NodeKind::Organization, o.id)
            .0
    };
    let ok = app.graphql_as(Some(&sec), create, json!({ "input": { "name": "新党员", "politicalStatus": "MASSES", "organizationId": gid(&f.orgs["C"]) } })).await;
    ok.ok();
    let refused = app.graphql_as(Some(&sec), create, json!({ "input": { "name": "越权", "politicalStatus": "MASSES", "organizationId": gid(&f.orgs["D"]) } })).await;
    refused.error("FORBIDDEN");
    let refused = app.graphql_as(Some(&staff), create, json!({ "input": { "name": "越权", "politicalStatus": "MASSES", "organizationId": gid(&f.orgs["B"]) } })).await;
    refused.error("FORBIDDEN");
    // A person out of scope is NOT_FOUND to an update, not FORBIDDEN.
    let pd = lianjian_api::graphql::ids::encode(
        lianjian_api::graphql::ids::NodeKind::Person,
        f.people["D"].id,
    )
    .0;
    let response = app
        .graphql_as(Some(&sec), "mutation($id: ID!) { updatePerson(input: { id: $id, name: \"改名\" }) { person { id } } }", json!({ "id": pd }))
        .await;
    response.error("NOT_FOUND");
}
