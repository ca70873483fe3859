//! First secretaries (DESIGN 3.3): postings only to villages and communities, one at a time per
//! person and per village (touching ranges allowed), the FIRST_SECRETARY position and role for
//! the posting's dates (on the next request, no restart), `statistics.mentoring` on a small data
//! set worked out by hand, and who may read and post, as tables written by hand.
//!
//! The world (every organization in area 温泉镇):
//!
//! ```text
//! T 温泉镇党委 (GOVERNMENT) ─┬─ V1 南平村党支部 (VILLAGE)     X 邻镇党委 (GOVERNMENT) ── VX 石坑村党支部 (VILLAGE)
//!                            ├─ V2 龙门社区党支部 (COMMUNITY)
//!                            ├─ V3 石门村党支部 (VILLAGE)
//!                            └─ E 温泉酒店党支部 (ENTERPRISE)
//! people: P1 张一, P2 张二 (of T, P1 with an account), C1 村民甲 (of V1), PX 李四 (of X)
//! ```

use chrono::{DateTime, TimeZone, Utc};
use lianjian_api::{
    authz::Role,
    graphql::ids,
    services::{Actor, accounts, accounts::GrantScope},
};
use serde_json::{Value, json};

use crate::helpers::{Gql, TestApp};

const FIELDS: &str =
    "id person { name } organization { name } startsOn endsOn active dispatchedBy version";

/// 10:00 on a day in Shanghai (UTC+8, no daylight saving).
fn at(day: &str) -> DateTime<Utc> {
    let date: chrono::NaiveDate = day.parse().unwrap();
    chrono::FixedOffset::east_opt(8 * 3600)
        .unwrap()
        .from_local_datetime(&date.and_hms_opt(10, 0, 0).unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

fn uuid_of(global: &str) -> uuid::Uuid {
    ids::decode("id", &async_graphql::ID(global.to_owned()))
        .unwrap()
        .id
}

struct World {
    app: TestApp,
    area: String,
    orgs: std::collections::HashMap<&'static str, String>,
    people: std::collections::HashMap<&'static str, String>,
    tokens: std::collections::HashMap<&'static str, String>,
}

async fn create_org(
    app: &TestApp,
    area: &str,
    name: &str,
    unit_type: &str,
    parent: Option<&String>,
    flags: (bool, bool),
) -> String {
    let response = app
        .graphql(
            "mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id } } }",
            json!({ "input": { "name": name, "level": "BRANCH", "unitType": unit_type, "areaId": area,
                "parentId": parent, "keyVillage": flags.0, "remote": flags.1 } }),
        )
        .await;
    response.ok()["createOrganization"]["organization"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn create_person(app: &TestApp, name: &str, org: &str) -> String {
    let response = app
        .graphql(
            "mutation($input: CreatePersonInput!) { createPerson(input: $input) { person { id } } }",
            json!({ "input": { "name": name, "politicalStatus": "FULL_MEMBER", "organizationId": org } }),
        )
        .await;
    response.ok()["createPerson"]["person"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// An account for a person, and its token.
async fn account_of(app: &TestApp, username: &str, person: &str) -> String {
    let user = accounts::create_user(
        &app.state.db.write,
        &Actor::system("test"),
        accounts::NewUser {
            username: username.into(),
            password: "password-123".into(),
            person_id: Some(uuid_of(person)),
        },
    )
    .await
    .unwrap();
    app.state
        .tokens
        .issue(user.id, user.token_version)
        .unwrap()
        .0
}

async fn world(today: &str) -> World {
    let app = TestApp::spawn_at(at(today)).await;
    let area = app.create_area("温泉镇").await;
    let mut orgs = std::collections::HashMap::new();
    let t = create_org(
        &app,
        &area,
        "温泉镇党委",
        "GOVERNMENT",
        None,
        (false, false),
    )
    .await;
    for (key, name, unit) in [
        ("V1", "南平村党支部", "VILLAGE"),
        ("V2", "龙门社区党支部", "COMMUNITY"),
        ("V3", "石门村党支部", "VILLAGE"),
        ("E", "温泉酒店党支部", "ENTERPRISE"),
    ] {
        let id = create_org(&app, &area, name, unit, Some(&t), (false, false)).await;
        orgs.insert(key, id);
    }
    let x = create_org(&app, &area, "邻镇党委", "GOVERNMENT", None, (false, false)).await;
    let vx = create_org(
        &app,
        &area,
        "石坑村党支部",
        "VILLAGE",
        Some(&x),
        (false, false),
    )
    .await;
    orgs.insert("T", t);
    orgs.insert("X", x);
    orgs.insert("VX", vx);
    let mut people = std::collections::HashMap::new();
    for (key, name, org) in [
        ("P1", "张一", "T"),
        ("P2", "张二", "T"),
        ("C1", "村民甲", "V1"),
        ("PX", "李四", "X"),
    ] {
        people.insert(key, create_person(&app, name, &orgs[org]).await);
    }
    let o = |k: &str| GrantScope::Organization(uuid_of(&orgs[k]));
    let mut tokens = std::collections::HashMap::new();
    for (name, role, scope) in [
        ("sec_t", Role::OrgSecretary, o("T")),
        ("sec_v1", Role::OrgSecretary, o("V1")),
        ("sec_x", Role::OrgSecretary, o("X")),
        ("member_t", Role::Member, o("T")),
        ("member_v3", Role::Member, o("V3")),
    ] {
        tokens.insert(name, app.user_with(name, &[(role, scope)]).await);
    }
    tokens.insert("p1", account_of(&app, "posted_p1", &people["P1"]).await);
    tokens.insert("p2", account_of(&app, "posted_p2", &people["P2"]).await);
    World {
        app,
        area,
        orgs,
        people,
        tokens,
    }
}

impl World {
    async fn assign_as(
        &self,
        token: Option<&str>,
        person: &str,
        org: &str,
        starts: &str,
        ends: Option<&str>,
    ) -> Gql {
        self.app
            .graphql_as(
                token,
                &format!("mutation($input: AssignFirstSecretaryInput!) {{ assignFirstSecretary(input: $input) {{ firstSecretaryAssignment {{ {FIELDS} }} }} }}"),
                json!({ "input": { "personId": self.people[person], "organizationId": self.orgs[org],
                    "startsOn": starts, "endsOn": ends, "dispatchedBy": "县委组织部" } }),
            )
            .await
    }

    /// Posts as the administrator and returns the posting's id.
    async fn assign(&self, person: &str, org: &str, starts: &str, ends: Option<&str>) -> String {
        let response = self
            .assign_as(Some(&self.app.admin_token), person, org, starts, ends)
            .await;
        response.ok()["assignFirstSecretary"]["firstSecretaryAssignment"]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn end_as(&self, token: Option<&str>, id: &str, ends: &str) -> Gql {
        self.app
            .graphql_as(
                token,
                &format!("mutation($input: EndFirstSecretaryAssignmentInput!) {{ endFirstSecretaryAssignment(input: $input) {{ firstSecretaryAssignment {{ {FIELDS} }} }} }}"),
                json!({ "input": { "id": id, "endsOn": ends } }),
            )
            .await
    }

    /// The viewer's grants as (role, scope id) pairs.
    async fn grants(&self, token: &str) -> Vec<(String, Option<String>)> {
        let response = self
            .app
            .graphql_as(
                Some(token),
                "{ viewer { grants { role scope { id } } } }",
                json!({}),
            )
            .await;
        response.ok()["viewer"]["grants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| {
                (
                    g["role"].as_str().unwrap().to_owned(),
                    g["scope"]["id"].as_str().map(str::to_owned),
                )
            })
            .collect()
    }

    /// How many people the account reads.
    async fn people_read(&self, token: &str) -> i64 {
        let response = self
            .app
            .graphql_as(Some(token), "{ people { totalCount } }", json!({}))
            .await;
        response.ok()["people"]["totalCount"].as_i64().unwrap()
    }

    /// Organization names of the postings the token reads, with `totalCount`.
    async fn list(&self, token: Option<&str>, filter: Value) -> Gql {
        self.app
            .graphql_as(
                token,
                "query($filter: FirstSecretaryAssignmentFilter) { firstSecretaryAssignments(filter: $filter) {
                    totalCount edges { node { organization { name } person { name } startsOn } } } }",
                json!({ "filter": filter }),
            )
            .await
    }
}

fn names(response: &Gql) -> (i64, Vec<String>) {
    let conn = &response.ok()["firstSecretaryAssignments"];
    (
        conn["totalCount"].as_i64().unwrap(),
        conn["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                e["node"]["organization"]["name"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect(),
    )
}

#[tokio::test]
async fn only_villages_and_communities_take_a_first_secretary() {
    let w = world("2026-03-10").await;
    let admin = Some(w.app.admin_token.as_str());
    for org in ["E", "T"] {
        let refused = w.assign_as(admin, "P1", org, "2026-03-01", None).await;
        let error = refused.error("BAD_USER_INPUT");
        assert_eq!(error["extensions"]["field"], "organizationId", "{org}");
    }
    let village = w.assign_as(admin, "P1", "V1", "2026-03-01", None).await;
    let posted = &village.ok()["assignFirstSecretary"]["firstSecretaryAssignment"];
    assert_eq!(posted["organization"]["name"], "南平村党支部");
    assert_eq!(posted["person"]["name"], "张一");
    assert_eq!(posted["startsOn"], "2026-03-01");
    assert_eq!(posted["endsOn"], Value::Null);
    assert_eq!(posted["active"], true);
    assert_eq!(posted["dispatchedBy"], "县委组织部");
    let community = w.assign_as(admin, "P2", "V2", "2026-03-01", None).await;
    assert_eq!(
        community.ok()["assignFirstSecretary"]["firstSecretaryAssignment"]["organization"]["name"],
        "龙门社区党支部"
    );
    // An unknown person, an end before the start.
    let response = w
        .app
        .graphql(
            "mutation($input: AssignFirstSecretaryInput!) { assignFirstSecretary(input: $input) { firstSecretaryAssignment { id } } }",
            json!({ "input": { "personId": ids::encode(ids::NodeKind::Person, uuid::Uuid::now_v7()),
                "organizationId": w.orgs["V3"], "startsOn": "2026-03-01" } }),
        )
        .await;
    assert_eq!(
        response.error("BAD_USER_INPUT")["extensions"]["field"],
        "personId"
    );
    let backwards = w
        .assign_as(admin, "PX", "V3", "2026-03-01", Some("2026-02-28"))
        .await;
    assert_eq!(
        backwards.error("BAD_USER_INPUT")["extensions"]["field"],
        "endsOn"
    );
    // Two postings, each with its audit entry and its position.
    assert_eq!(w.app.count_rows("first_secretary_assignment").await, 2);
    let audited = w
        .app
        .count_rows("audit_entry WHERE action = 'assignFirstSecretary'")
        .await;
    assert_eq!(audited, 2);
}

#[tokio::test]
async fn overlapping_postings_are_refused_for_the_person_and_for_the_village() {
    let w = world("2026-01-10").await;
    let admin = Some(w.app.admin_token.as_str());
    let first = w.assign("P1", "V1", "2026-01-01", Some("2026-03-31")).await;

    // P1 again, from a day inside the first posting: CONFLICT on the person, naming it.
    let refused = w.assign_as(admin, "P1", "V2", "2026-03-31", None).await;
    let error = refused.error("CONFLICT");
    assert_eq!(error["extensions"]["field"], "personId");
    assert_eq!(error["extensions"]["assignmentId"], first.as_str());
    assert_eq!(
        error["message"],
        "the person is already posted to 南平村党支部 for 2026-01-01 to 2026-03-31"
    );
    // Another person to V1 over its dates (even one starting earlier and running into them).
    let refused = w
        .assign_as(admin, "P2", "V1", "2025-12-01", Some("2026-01-01"))
        .await;
    let error = refused.error("CONFLICT");
    assert_eq!(error["extensions"]["field"], "organizationId");
    assert_eq!(error["extensions"]["assignmentId"], first.as_str());

    // Touching ranges: one ends 03-31, the next starts 04-01; for the person and the village.
    w.assign("P1", "V2", "2026-04-01", None).await;
    w.assign("P2", "V1", "2026-04-01", None).await;
    // An open posting meets every later one.
    let refused = w.assign_as(admin, "P1", "V3", "2027-06-01", None).await;
    assert_eq!(refused.error("CONFLICT")["extensions"]["field"], "personId");

    // A caller who may post but not read the other posting learns nothing about it.
    w.assign("PX", "V3", "2026-01-01", None).await;
    let refused = w
        .assign_as(Some(&w.tokens["sec_x"]), "PX", "VX", "2026-02-01", None)
        .await;
    let error = refused.error("CONFLICT");
    assert_eq!(error["extensions"]["field"], "personId");
    assert_eq!(error["extensions"]["assignmentId"], Value::Null);
    assert_eq!(
        error["message"],
        "the person already has a posting for these dates"
    );
    // Four postings stand, nothing of the refused ones.
    assert_eq!(w.app.count_rows("first_secretary_assignment").await, 4);
    assert_eq!(
        w.app
            .count_rows("person_position WHERE position = 'FIRST_SECRETARY'")
            .await,
        4
    );
}

#[tokio::test]
async fn the_role_comes_with_the_posting_and_goes_when_it_ends_on_the_next_request() {
    let w = world("2026-03-10").await;
    let p1 = w.tokens["p1"].clone();
    let p2 = w.tokens["p2"].clone();
    assert_eq!(w.grants(&p1).await, []);
    assert_eq!(w.people_read(&p1).await, 0);

    let posting = w.assign("P1", "V1", "2026-03-01", None).await;
    // A posting starting in the future gives nothing yet.
    let later = w.assign("P2", "V2", "2026-04-01", None).await;
    let v1 = Some(w.orgs["V1"].clone());
    assert_eq!(
        w.grants(&p1).await,
        [("FIRST_SECRETARY".to_owned(), v1.clone())]
    );
    assert_eq!(w.grants(&p2).await, []);
    // A first secretary reads the village's people: C1.
    assert_eq!(w.people_read(&p1).await, 1);

    // The position, with the posting's dates.
    let positions = |person: &'static str| {
        let app = &w.app;
        let id = w.people[person].clone();
        async move {
            app.graphql(
                "query($id: ID!) { node(id: $id) { ... on Person { positions { position startedOn endedOn } } } }",
                json!({ "id": id }),
            )
            .await
            .ok()["node"]["positions"]
                .clone()
        }
    };
    assert_eq!(
        positions("P1").await,
        json!([{ "position": "FIRST_SECRETARY", "startedOn": "2026-03-01", "endedOn": null }])
    );

    // Ended as of 03-20: still active on 03-10 and 03-20.
    let ended = w
        .end_as(Some(&w.app.admin_token), &posting, "2026-03-20")
        .await;
    let ended = &ended.ok()["endFirstSecretaryAssignment"]["firstSecretaryAssignment"];
    assert_eq!(
        (&ended["endsOn"], &ended["active"], &ended["version"]),
        (&json!("2026-03-20"), &json!(true), &json!(2))
    );
    assert_eq!(
        positions("P1").await,
        json!([{ "position": "FIRST_SECRETARY", "startedOn": "2026-03-01", "endedOn": "2026-03-20" }])
    );
    w.app.state.clock.set(at("2026-03-20"));
    assert_eq!(w.grants(&p1).await, [("FIRST_SECRETARY".to_owned(), v1)]);

    // The day after its last day: gone, on the next request, no restart.
    w.app.state.clock.set(at("2026-03-21"));
    assert_eq!(w.grants(&p1).await, []);
    assert_eq!(w.people_read(&p1).await, 0);
    let node = w
        .app
        .graphql(
            "query($id: ID!) { node(id: $id) { ... on FirstSecretaryAssignment { active endsOn } } }",
            json!({ "id": posting }),
        )
        .await;
    assert_eq!(
        node.ok()["node"],
        json!({ "active": false, "endsOn": "2026-03-20" })
    );
    // Ending an ended posting is refused; so is an end before the start.
    let again = w
        .end_as(Some(&w.app.admin_token), &posting, "2026-03-25")
        .await;
    let error = again.error("INVALID_TRANSITION");
    assert_eq!(
        (&error["extensions"]["from"], &error["extensions"]["to"]),
        (&json!("ENDED"), &json!("ENDED"))
    );
    let backwards = w
        .end_as(Some(&w.app.admin_token), &later, "2026-03-31")
        .await;
    assert_eq!(
        backwards.error("BAD_USER_INPUT")["extensions"]["field"],
        "endsOn"
    );
    assert_eq!(
        w.app
            .count_rows("audit_entry WHERE action = 'endFirstSecretaryAssignment'")
            .await,
        1
    );

    // The future posting starts.
    w.app.state.clock.set(at("2026-04-01"));
    assert_eq!(
        w.grants(&p2).await,
        [("FIRST_SECRETARY".to_owned(), Some(w.orgs["V2"].clone()))]
    );
}

#[tokio::test]
async fn who_may_post_and_end() {
    let w = world("2026-03-10").await;
    let t = &w.tokens;
    // (who, expected code) posting P1 to V1 from 03-01, each on its own dates so that every
    // allowed one succeeds.
    let table: [(&str, Option<&str>, &str, &str); 7] = [
        ("admin", Some(&w.app.admin_token), "2026-01-01", "OK"),
        ("sec_t", Some(&t["sec_t"]), "2026-03-01", "OK"),
        ("sec_v1", Some(&t["sec_v1"]), "2026-02-01", "BAD_USER_INPUT"),
        ("sec_x", Some(&t["sec_x"]), "2026-04-01", "FORBIDDEN"),
        ("member_t", Some(&t["member_t"]), "2026-05-01", "FORBIDDEN"),
        (
            "member_v3",
            Some(&t["member_v3"]),
            "2026-06-01",
            "FORBIDDEN",
        ),
        ("anonymous", None, "2026-07-01", "UNAUTHENTICATED"),
    ];
    let mut posted = Vec::new();
    for (who, token, day, expected) in table {
        let ends = format!("{}-28", &day[..7]);
        let response = w.assign_as(token, "P1", "V1", day, Some(&ends)).await;
        let code = if response.errors().is_empty() {
            posted.push(
                response.ok()["assignFirstSecretary"]["firstSecretaryAssignment"]["id"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
            "OK".to_owned()
        } else {
            response.code()
        };
        // The secretary of V1 manages V1 but may not read P1 (of T): the person is unknown.
        assert_eq!(code, expected, "{who}");
    }
    assert_eq!(posted.len(), 2);
    // Ending the current one (03-01 to 03-28): the secretary of another subtree cannot know of
    // it, a member may read it but not end it; the village's secretary may.
    let id = &posted[1];
    for (who, token, expected) in [
        ("sec_x", Some(t["sec_x"].as_str()), "NOT_FOUND"),
        ("member_t", Some(t["member_t"].as_str()), "FORBIDDEN"),
        ("anonymous", None, "UNAUTHENTICATED"),
    ] {
        assert_eq!(
            w.end_as(token, id, "2026-03-20").await.code(),
            expected,
            "{who}"
        );
    }
    let ended = w.end_as(Some(&t["sec_v1"]), id, "2026-03-20").await;
    assert_eq!(
        ended.ok()["endFirstSecretaryAssignment"]["firstSecretaryAssignment"]["endsOn"],
        "2026-03-20"
    );
}

#[tokio::test]
async fn who_reads_the_list_by_hand() {
    let w = world("2026-03-10").await;
    w.assign("P1", "V1", "2026-03-01", None).await;
    w.assign("P2", "V2", "2026-01-01", Some("2026-02-28")).await;
    w.assign("PX", "VX", "2026-02-01", None).await;
    let t = &w.tokens;
    // Postings are ordered by start: V2 (01-01), VX (02-01), V1 (03-01).
    let table: [(&str, &str, &[&str]); 7] = [
        (
            "admin",
            &w.app.admin_token,
            &["龙门社区党支部", "石坑村党支部", "南平村党支部"],
        ),
        ("sec_t", &t["sec_t"], &["龙门社区党支部", "南平村党支部"]),
        ("sec_v1", &t["sec_v1"], &["南平村党支部"]),
        ("sec_x", &t["sec_x"], &["石坑村党支部"]),
        (
            "member_t",
            &t["member_t"],
            &["龙门社区党支部", "南平村党支部"],
        ),
        ("member_v3", &t["member_v3"], &[]),
        // P1's own posting makes it first secretary of V1, which reads V1's postings.
        ("p1", &t["p1"], &["南平村党支部"]),
    ];
    for (who, token, expected) in table {
        let (total, got) = names(&w.list(Some(token), json!(null)).await);
        assert_eq!(got, expected, "{who}");
        assert_eq!(total, expected.len() as i64, "{who}");
    }
    assert_eq!(w.list(None, json!(null)).await.code(), "UNAUTHENTICATED");
    // Filters: active on a day, an organization's subtree.
    let (_, active) = names(
        &w.list(
            Some(&w.app.admin_token),
            json!({ "activeOn": "2026-02-15" }),
        )
        .await,
    );
    assert_eq!(active, ["龙门社区党支部", "石坑村党支部"]);
    let (_, below_t) = names(
        &w.list(
            Some(&w.app.admin_token),
            json!({ "organizationId": w.orgs["T"], "includeSubOrganizations": true }),
        )
        .await,
    );
    assert_eq!(below_t, ["龙门社区党支部", "南平村党支部"]);
    // The person of a readable posting is readable with it, though not among the people.
    let response = w.list(Some(&t["sec_v1"]), json!(null)).await;
    assert_eq!(
        response.ok()["firstSecretaryAssignments"]["edges"][0]["node"]["person"]["name"],
        "张一"
    );
    let _ = &w.area;
}

#[tokio::test]
async fn coverage_and_pairings_match_figures_worked_out_by_hand() {
    use entities::{enums::PairingStatus, mentor_pairing, mentoring_session};
    use sea_orm::{ActiveModelTrait, Set};

    // Today 2026-05-10; 30 days before: 2026-04-10.
    let w = world("2026-05-10").await;
    let app = &w.app;
    let t = w.orgs["T"].clone();
    let x = w.orgs["X"].clone();
    let flagged = |name: &'static str, parent: String, key: bool, remote: bool| {
        let area = w.area.clone();
        async move { create_org(app, &area, name, "VILLAGE", Some(&parent), (key, remote)).await }
    };
    let k1 = flagged("重点一村", t.clone(), true, false).await;
    let k2 = flagged("重点二村", t.clone(), true, false).await;
    let k3 = flagged("重点偏远三村", t.clone(), true, true).await;
    let r1 = flagged("偏远一村", t.clone(), false, true).await;
    let archived = flagged("已撤并村", t.clone(), true, true).await;
    let outside = flagged("邻镇重点村", x.clone(), true, true).await;
    let group = app
        .graphql(
            "mutation($input: CreateLinkageGroupInput!) { createLinkageGroup(input: $input) { linkageGroup { id } } }",
            json!({ "input": { "name": "温泉联建委员会", "leadOrganizationId": t, "memberOrganizationIds": [],
                "cadenceStartsOn": "2026-01-05" } }),
        )
        .await;
    let group = group.ok()["createLinkageGroup"]["linkageGroup"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut people = Vec::new();
    for i in 0..6 {
        people.push(create_person(app, &format!("书记{i}"), &t).await);
    }
    let post = |person: String, org: String, starts: &'static str, ends: Option<&'static str>| async move {
        let response = app
            .graphql(
                "mutation($input: AssignFirstSecretaryInput!) { assignFirstSecretary(input: $input) { firstSecretaryAssignment { id } } }",
                json!({ "input": { "personId": person, "organizationId": org, "startsOn": starts, "endsOn": ends } }),
            )
            .await;
        response.ok();
    };
    // K1 covered (open), K3 covered (until 12-31), K2 ended 04-30, R1 from 06-01 (not yet),
    // the archived village covered but out of count, the village outside the group covered.
    post(people[0].clone(), k1.clone(), "2026-01-01", None).await;
    post(
        people[1].clone(),
        k3.clone(),
        "2026-05-01",
        Some("2026-12-31"),
    )
    .await;
    post(
        people[2].clone(),
        k2.clone(),
        "2026-01-01",
        Some("2026-04-30"),
    )
    .await;
    post(people[3].clone(), r1.clone(), "2026-06-01", None).await;
    post(people[4].clone(), archived.clone(), "2026-01-01", None).await;
    post(people[5].clone(), outside.clone(), "2026-01-01", None).await;
    app.graphql(
        "mutation($input: ArchiveOrganizationInput!) { archiveOrganization(input: $input) { organization { id } } }",
        json!({ "input": { "id": archived } }),
    )
    .await
    .ok();

    // Pairings (another domain writes them; here straight into the tables):
    // A in K1 ACTIVE, sessions 04-20 and 05-01 (last 05-01: not neglected);
    // B in R1 ACTIVE from 03-01, no session (neglected); E in K3 ACTIVE from 04-10, no session
    // (04-10 <= 04-10: neglected); C in K2 COMPLETED, session 03-15; D outside, ACTIVE, session
    // 05-02.
    let db = &app.state.db.write;
    let now = Utc::now();
    let mentor = uuid_of(&people[0]);
    let mentee = uuid_of(&people[1]);
    let pairing = |org: &String, starts: &str, status: PairingStatus, last: Option<&str>| {
        mentor_pairing::ActiveModel {
            id: Set(uuid::Uuid::now_v7()),
            mentor_id: Set(mentor),
            mentee_id: Set(mentee),
            organization_id: Set(uuid_of(org)),
            goals: Set("带村务".into()),
            starts_on: Set(starts.parse().unwrap()),
            status: Set(status),
            ended_on: Set(None),
            outcome: Set(None),
            last_session_on: Set(last.map(|d| d.parse().unwrap())),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        }
    };
    // One ACTIVE pairing per mentor and mentee: vary the mentee where two are active.
    let a = pairing(&k1, "2026-03-01", PairingStatus::Active, Some("2026-05-01"))
        .insert(db)
        .await
        .unwrap();
    let mut b = pairing(&r1, "2026-03-01", PairingStatus::Active, None);
    b.mentee_id = Set(uuid_of(&people[2]));
    b.insert(db).await.unwrap();
    let mut e = pairing(&k3, "2026-04-10", PairingStatus::Active, None);
    e.mentee_id = Set(uuid_of(&people[3]));
    e.insert(db).await.unwrap();
    let c = pairing(
        &k2,
        "2026-01-01",
        PairingStatus::Completed,
        Some("2026-03-15"),
    )
    .insert(db)
    .await
    .unwrap();
    let mut d = pairing(
        &outside,
        "2026-01-01",
        PairingStatus::Active,
        Some("2026-05-02"),
    );
    d.mentee_id = Set(uuid_of(&people[4]));
    let d = d.insert(db).await.unwrap();
    for (pairing, day) in [
        (a.id, "2026-04-20"),
        (a.id, "2026-05-01"),
        (c.id, "2026-03-15"),
        (d.id, "2026-05-02"),
    ] {
        mentoring_session::ActiveModel {
            id: Set(uuid::Uuid::now_v7()),
            pairing_id: Set(pairing),
            held_on: Set(day.parse().unwrap()),
            topic: Set("村务".into()),
            notes: Set(None),
            duration_minutes: Set(60),
            recorded_by: Set(None),
            created_at: Set(now),
        }
        .insert(db)
        .await
        .unwrap();
    }

    let query = "query($group: ID!) { statistics(linkageGroupId: $group, from: \"2026-04-01\", to: \"2026-05-31\") {
        mentoring { activePairings sessions neglectedPairings
            keyVillageCoverage { numerator denominator value asOf }
            remoteVillageCoverage { numerator denominator value asOf } } } }";
    let response = app.graphql(query, json!({ "group": group })).await;
    let m = &response.ok()["statistics"]["mentoring"];
    // Active: A, B, E (D is outside the group, C completed). Sessions in April-May of the
    // group's pairings: A's two (C's is in March, D's outside). Neglected: B and E.
    assert_eq!(
        (
            &m["activePairings"],
            &m["sessions"],
            &m["neglectedPairings"]
        ),
        (&json!(3), &json!(2), &json!(2))
    );
    // Key villages K1, K2, K3 (the archived and the outside one left out): K1 and K3 covered.
    let key = &m["keyVillageCoverage"];
    assert_eq!(
        (&key["numerator"], &key["denominator"], &key["asOf"]),
        (&json!(2), &json!(3), &json!("2026-05-10"))
    );
    assert!((key["value"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-9);
    // Remote villages K3 and R1: K3 covered, R1 not yet.
    assert_eq!(
        m["remoteVillageCoverage"],
        json!({ "numerator": 1, "denominator": 2, "value": 0.5, "asOf": "2026-05-10" })
    );

    // On 06-01 R1's posting starts and K2 still has none: 2/3 and 2/2.
    app.state.clock.set(at("2026-06-01"));
    let response = app.graphql(query, json!({ "group": group })).await;
    let m = &response.ok()["statistics"]["mentoring"];
    assert_eq!(
        (
            &m["keyVillageCoverage"]["numerator"],
            &m["remoteVillageCoverage"]["numerator"],
            &m["remoteVillageCoverage"]["denominator"],
        ),
        (&json!(2), &json!(2), &json!(2))
    );
}

/// Rewriting a person's positions keeps the position a posting gave them: it belongs to the
/// posting, which alone ends it.
#[tokio::test]
async fn updating_positions_keeps_the_posting_s_position() {
    let w = world("2026-03-02").await;
    let posting = w.assign("P1", "V1", "2026-03-01", None).await;
    let updated = w
        .app
        .graphql(
            "mutation($input: UpdatePersonInput!) { updatePerson(input: $input) { person { id } } }",
            json!({ "input": { "id": w.people["P1"], "positions": [
                { "position": "SECRETARY", "startedOn": "2025-01-01" } ] } }),
        )
        .await;
    updated.ok();
    let mut after: Vec<Value> = positions_of(&w).await.as_array().unwrap().clone();
    after.sort_by_key(|p| p["position"].as_str().unwrap().to_owned());
    assert_eq!(
        after,
        [
            json!({ "position": "FIRST_SECRETARY", "startedOn": "2026-03-01", "endedOn": null }),
            json!({ "position": "SECRETARY", "startedOn": "2025-01-01", "endedOn": null }),
        ]
    );
    w.end_as(Some(&w.app.admin_token), &posting, "2026-03-31")
        .await
        .ok();
    let ended = positions_of(&w).await;
    assert!(
        ended
            .as_array()
            .unwrap()
            .contains(&json!({ "position": "FIRST_SECRETARY", "startedOn": "2026-03-01", "endedOn": "2026-03-31" })),
        "{ended}"
    );
}

async fn positions_of(w: &World) -> Value {
    let response = w
        .app
        .graphql(
            "query($id: ID!) { node(id: $id) { ... on Person { positions { position startedOn endedOn } } } }",
            json!({ "id": w.people["P1"] }),
        )
        .await;
    response.ok()["node"]["positions"].clone()
}
