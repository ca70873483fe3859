//! Mentoring pairings (传帮带, DESIGN 3.3): who may be paired, sessions and their refusals, ending,
//! the neglect boundary at exactly 30 days (field and SQL filter agreeing), who may read and do
//! what (a hand-written table), and the statements a page costs. Expected values are written by
//! hand from DESIGN and the issue.
//!
//! The world:
//!
//! ```text
//! R (镇党委) ─┬─ V1 (南平村)      X (邻镇, an unrelated root)
//!             └─ V2 (石坑村)
//! group G: V1 (lead, the only member)
//! people: fs1, fs2 (FIRST_SECRETARY, in R); sec (SECRETARY, V1); cadre1 (CADRE, V1);
//!         grid2 (GRID_WORKER, V2); plain (no position, V1); outsider (CADRE, X)
//! ```

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, TimeZone, Utc};
use lianjian_api::{
    authz::Role,
    graphql::ids,
    services::{
        Actor,
        accounts::{self, GrantScope},
    },
};
use serde_json::{Value, json};

use crate::helpers::{Gql, TestApp};

const PAIRING_FIELDS: &str = "id status goals startsOn endedOn outcome lastSessionOn neglected
    mentor { name } mentee { name } organization { name }";

/// 10:00 on a day in Shanghai.
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

/// The administrator's token, for the helpers that take a caller (`None`: anonymous).
fn admin(app: &TestApp) -> Option<&str> {
    Some(app.admin_token.as_str())
}

/// "OK", or the error's code with its field when it has one.
fn outcome(response: &Gql) -> String {
    match response.errors().first() {
        None => "OK".to_owned(),
        Some(e) => match e["extensions"]["field"].as_str() {
            Some(field) => format!("{} {field}", e["extensions"]["code"].as_str().unwrap()),
            None => e["extensions"]["code"].as_str().unwrap().to_owned(),
        },
    }
}

struct World {
    orgs: BTreeMap<&'static str, String>,
    people: BTreeMap<&'static str, String>,
}

async fn create_org(app: &TestApp, area: &str, name: &str, parent: Option<&String>) -> String {
    let response = app
        .graphql(
            "mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id } } }",
            json!({ "input": { "name": name, "level": "BRANCH", "unitType": "VILLAGE", "areaId": area, "parentId": parent } }),
        )
        .await;
    response.ok()["createOrganization"]["organization"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn create_person(
    app: &TestApp,
    name: &str,
    organization: &str,
    position: Option<&str>,
    phone: Option<&str>,
) -> String {
    let positions: Vec<Value> = position
        .map(|p| json!({ "position": p, "startedOn": "2025-01-01" }))
        .into_iter()
        .collect();
    let response = app
        .graphql(
            "mutation($input: CreatePersonInput!) { createPerson(input: $input) { person { id } } }",
            json!({ "input": { "name": name, "politicalStatus": "FULL_MEMBER",
                "organizationId": organization, "positions": positions, "phone": phone } }),
        )
        .await;
    response.ok()["createPerson"]["person"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn world(app: &TestApp) -> World {
    let area = app.create_area("温泉镇").await;
    let mut orgs = BTreeMap::new();
    orgs.insert("R", create_org(app, &area, "镇党委", None).await);
    let v1 = create_org(app, &area, "南平村党支部", Some(&orgs["R"])).await;
    orgs.insert("V1", v1);
    let v2 = create_org(app, &area, "石坑村党支部", Some(&orgs["R"])).await;
    orgs.insert("V2", v2);
    orgs.insert("X", create_org(app, &area, "邻镇党委", None).await);
    let group = app
        .graphql(
            "mutation($input: CreateLinkageGroupInput!) { createLinkageGroup(input: $input) { linkageGroup { id } } }",
            json!({ "input": { "name": "联建委员会", "leadOrganizationId": orgs["V1"], "memberOrganizationIds": [], "cadenceStartsOn": "2026-01-05" } }),
        )
        .await;
    let group = group.ok()["createLinkageGroup"]["linkageGroup"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    orgs.insert("G", group);
    let mut people = BTreeMap::new();
    for (key, name, org, position, phone) in [
        (
            "fs1",
            "张第一书记",
            "R",
            Some("FIRST_SECRETARY"),
            Some("13812345678"),
        ),
        ("fs2", "刘第一书记", "R", Some("FIRST_SECRETARY"), None),
        ("sec", "李书记", "V1", Some("SECRETARY"), None),
        ("cadre1", "王村干", "V1", Some("CADRE"), None),
        ("grid2", "赵网格员", "V2", Some("GRID_WORKER"), None),
        ("plain", "钱群众", "V1", None, None),
        ("outsider", "孙干部", "X", Some("CADRE"), None),
    ] {
        people.insert(
            key,
            create_person(app, name, &orgs[org], position, phone).await,
        );
    }
    World { orgs, people }
}

/// An account linked to `person` (when given), with one grant; its token.
async fn account(
    app: &TestApp,
    username: &str,
    person: Option<&String>,
    role: Role,
    scope: GrantScope,
) -> String {
    let system = Actor::system("test");
    let user = accounts::create_user(
        &app.state.db.write,
        &system,
        accounts::NewUser {
            username: username.into(),
            password: "password-123".into(),
            person_id: person.map(|p| uuid_of(p)),
        },
    )
    .await
    .unwrap();
    accounts::grant_role(&app.state.db.write, &system, user.id, role, scope)
        .await
        .unwrap();
    app.state
        .tokens
        .issue(user.id, user.token_version)
        .unwrap()
        .0
}

async fn create_pairing(app: &TestApp, token: Option<&str>, input: Value) -> Gql {
    let query = format!(
        "mutation($input: CreateMentorPairingInput!) {{ createMentorPairing(input: $input) {{ mentorPairing {{ {PAIRING_FIELDS} }} }} }}"
    );
    app.graphql_as(token, &query, json!({ "input": input }))
        .await
}

/// Creates a pairing as the administrator and returns its id.
async fn pairing(app: &TestApp, w: &World, mentor: &str, mentee: &str, starts_on: &str) -> String {
    let response = create_pairing(
        app,
        admin(app),
        json!({ "mentorId": w.people[mentor], "menteeId": w.people[mentee],
            "goals": "熟悉村务", "startsOn": starts_on }),
    )
    .await;
    response.ok()["createMentorPairing"]["mentorPairing"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn log(
    app: &TestApp,
    token: Option<&str>,
    pairing: &str,
    held_on: &str,
    minutes: i64,
) -> Gql {
    app.graphql_as(
        token,
        "mutation($input: LogMentoringSessionInput!) { logMentoringSession(input: $input) {
            mentoringSession { id heldOn topic durationMinutes pairing { id } }
            mentorPairing { lastSessionOn neglected } } }",
        json!({ "input": { "pairingId": pairing, "heldOn": held_on, "topic": "村级财务公开",
            "notes": "讲解流程\n现场演示", "durationMinutes": minutes } }),
    )
    .await
}

async fn end(app: &TestApp, token: Option<&str>, pairing: &str, input: Value) -> Gql {
    let mut input = input;
    input["id"] = json!(pairing);
    app.graphql_as(
        token,
        "mutation($input: EndMentorPairingInput!) { endMentorPairing(input: $input) {
            mentorPairing { status endedOn outcome neglected } } }",
        json!({ "input": input }),
    )
    .await
}

#[tokio::test]
async fn who_may_be_paired() {
    let app = TestApp::spawn_at(at("2026-06-30")).await;
    let w = world(&app).await;
    let p = |k: &str| w.people[k].clone();
    let base = |mentor: &str, mentee: &str| {
        json!({ "mentorId": p(mentor), "menteeId": p(mentee), "goals": "熟悉村务\n学会做群众工作",
            "startsOn": "2026-06-01" })
    };
    let audits = app.audits().await;
    let mut with_org = base("fs1", "outsider");
    with_org["organizationId"] = json!(w.orgs["V1"]);
    let mut future = base("fs1", "cadre1");
    future["startsOn"] = json!("2026-07-01");
    let mut no_goals = base("fs1", "cadre1");
    no_goals["goals"] = json!("  ");
    let mut backdated = base("fs1", "cadre1");
    // The position started on 2025-01-01: a pairing from before then is refused.
    backdated["startsOn"] = json!("2024-12-31");
    for (case, input, expected) in [
        (
            "mentor without the position",
            base("plain", "cadre1"),
            "BAD_USER_INPUT mentorId",
        ),
        (
            "a cadre is no mentor",
            base("cadre1", "grid2"),
            "BAD_USER_INPUT mentorId",
        ),
        (
            "mentee without a cadre position",
            base("fs1", "plain"),
            "BAD_USER_INPUT menteeId",
        ),
        (
            "mentee outside the organization",
            with_org,
            "BAD_USER_INPUT menteeId",
        ),
        (
            "mentor and mentee the same",
            base("fs1", "fs1"),
            "BAD_USER_INPUT menteeId",
        ),
        ("starting tomorrow", future, "BAD_USER_INPUT startsOn"),
        ("without goals", no_goals, "BAD_USER_INPUT goals"),
        (
            "before the mentor's position",
            backdated,
            "BAD_USER_INPUT mentorId",
        ),
    ] {
        assert_eq!(
            outcome(&create_pairing(&app, admin(&app), input).await),
            expected,
            "{case}"
        );
    }
    assert_eq!(app.audits().await, audits, "refusals write nothing");

    let created = create_pairing(&app, admin(&app), base("fs1", "cadre1")).await;
    assert_eq!(
        created.ok()["createMentorPairing"]["mentorPairing"],
        json!({ "id": created.ok()["createMentorPairing"]["mentorPairing"]["id"],
            "status": "ACTIVE", "goals": "熟悉村务\n学会做群众工作", "startsOn": "2026-06-01",
            "endedOn": null, "outcome": null, "lastSessionOn": null, "neglected": false,
            "mentor": { "name": "张第一书记" }, "mentee": { "name": "王村干" },
            "organization": { "name": "南平村党支部" } })
    );
    // A second active pairing of the same two.
    let again = create_pairing(&app, admin(&app), base("fs1", "cadre1")).await;
    assert_eq!(outcome(&again), "CONFLICT menteeId");
    // A secretary mentors a cadre of a village below the organization named.
    let mut below = base("sec", "grid2");
    below["organizationId"] = json!(w.orgs["R"]);
    let below = create_pairing(&app, admin(&app), below).await;
    assert_eq!(
        below.ok()["createMentorPairing"]["mentorPairing"]["organization"]["name"],
        "镇党委"
    );
    assert_eq!(app.audits().await, audits + 2);
}

/// What is refused first when several things are wrong: the mentor, the mentee and the
/// organization must exist (in that order), then the caller must be allowed there, and only then
/// are the people themselves judged.
#[tokio::test]
async fn refusals_come_in_order() {
    let app = TestApp::spawn_at(at("2026-06-30")).await;
    let w = world(&app).await;
    let sec_x = account(
        &app,
        "sec_x",
        None,
        Role::OrgSecretary,
        GrantScope::Organization(uuid_of(&w.orgs["X"])),
    )
    .await;
    let fs1 = account(
        &app,
        "fs1",
        Some(&w.people["fs1"]),
        Role::FirstSecretary,
        GrantScope::Organization(uuid_of(&w.orgs["V1"])),
    )
    .await;
    let nobody = ids::encode(ids::NodeKind::Person, uuid::Uuid::now_v7()).0;
    let nowhere = ids::encode(ids::NodeKind::Organization, uuid::Uuid::now_v7()).0;
    let person = |k: &str| w.people.get(k).cloned().unwrap_or_else(|| nobody.clone());
    let input = |mentor: &str, mentee: &str, org: Option<&str>| {
        let org = org.map(|o| w.orgs.get(o).cloned().unwrap_or_else(|| nowhere.clone()));
        json!({ "mentorId": person(mentor), "menteeId": person(mentee), "organizationId": org,
            "goals": "熟悉村务", "startsOn": "2026-06-01" })
    };
    let audits = app.audits().await;
    for (caller, token, input, expected) in [
        (
            "admin",
            admin(&app),
            input("nobody", "nobody", None),
            "BAD_USER_INPUT mentorId",
        ),
        (
            "admin",
            admin(&app),
            input("nobody", "cadre1", None),
            "BAD_USER_INPUT mentorId",
        ),
        (
            "admin",
            admin(&app),
            input("fs1", "nobody", None),
            "BAD_USER_INPUT menteeId",
        ),
        (
            "admin",
            admin(&app),
            input("fs1", "fs1", Some("nowhere")),
            "BAD_USER_INPUT organizationId",
        ),
        (
            "sec_x",
            Some(sec_x.as_str()),
            input("plain", "nobody", None),
            "BAD_USER_INPUT menteeId",
        ),
        (
            "sec_x",
            Some(sec_x.as_str()),
            input("plain", "plain", Some("nowhere")),
            "BAD_USER_INPUT organizationId",
        ),
        (
            "sec_x",
            Some(sec_x.as_str()),
            input("fs1", "fs1", None),
            "FORBIDDEN",
        ),
        (
            "sec_x",
            Some(sec_x.as_str()),
            input("plain", "outsider", Some("V1")),
            "FORBIDDEN",
        ),
        (
            "fs1",
            Some(fs1.as_str()),
            input("fs2", "cadre1", None),
            "FORBIDDEN",
        ),
        (
            "fs1",
            Some(fs1.as_str()),
            input("fs1", "fs1", Some("V1")),
            "BAD_USER_INPUT menteeId",
        ),
        (
            "fs1",
            Some(fs1.as_str()),
            input("fs1", "plain", None),
            "BAD_USER_INPUT menteeId",
        ),
        (
            "fs1",
            Some(fs1.as_str()),
            input("fs1", "outsider", Some("V1")),
            "BAD_USER_INPUT menteeId",
        ),
        (
            "admin",
            admin(&app),
            input("plain", "plain", None),
            "BAD_USER_INPUT menteeId",
        ),
        (
            "admin",
            admin(&app),
            input("plain", "outsider", Some("V1")),
            "BAD_USER_INPUT mentorId",
        ),
        (
            "admin",
            admin(&app),
            input("grid2", "plain", Some("X")),
            "BAD_USER_INPUT mentorId",
        ),
        (
            "admin",
            admin(&app),
            input("sec", "grid2", Some("V1")),
            "BAD_USER_INPUT menteeId",
        ),
    ] {
        assert_eq!(
            outcome(&create_pairing(&app, token, input.clone()).await),
            expected,
            "{caller}: {input}"
        );
    }
    assert_eq!(app.audits().await, audits, "refusals write nothing");
    // The first secretary as the mentor, in their village, naming it.
    let own = create_pairing(&app, Some(fs1.as_str()), input("fs1", "cadre1", Some("V1"))).await;
    assert_eq!(
        own.ok()["createMentorPairing"]["mentorPairing"]["organization"]["name"],
        "南平村党支部"
    );
    let again = create_pairing(&app, admin(&app), input("fs1", "cadre1", None)).await;
    assert_eq!(outcome(&again), "CONFLICT menteeId");
}

#[tokio::test]
async fn sessions_and_ending() {
    let app = TestApp::spawn_at(at("2026-06-30")).await;
    let w = world(&app).await;
    let id = pairing(&app, &w, "fs1", "cadre1", "2026-06-01").await;
    for (held_on, minutes, expected) in [
        ("2026-07-01", 60, "BAD_USER_INPUT heldOn"),
        ("2026-05-31", 60, "BAD_USER_INPUT heldOn"),
        ("2026-06-10", 0, "BAD_USER_INPUT durationMinutes"),
        ("2026-06-10", 601, "BAD_USER_INPUT durationMinutes"),
    ] {
        assert_eq!(
            outcome(&log(&app, admin(&app), &id, held_on, minutes).await),
            expected,
            "{held_on} {minutes}"
        );
    }
    let no_topic = app
        .graphql(
            "mutation($input: LogMentoringSessionInput!) { logMentoringSession(input: $input) { mentoringSession { id } } }",
            json!({ "input": { "pairingId": id, "heldOn": "2026-06-10", "topic": " ", "durationMinutes": 30 } }),
        )
        .await;
    assert_eq!(outcome(&no_topic), "BAD_USER_INPUT topic");

    let audits = app.audits().await;
    let first = log(&app, admin(&app), &id, "2026-06-30", 600).await;
    let first = &first.ok()["logMentoringSession"];
    assert_eq!(first["mentoringSession"]["heldOn"], "2026-06-30");
    assert_eq!(first["mentoringSession"]["durationMinutes"], 600);
    assert_eq!(first["mentoringSession"]["pairing"]["id"], id.as_str());
    assert_eq!(
        first["mentorPairing"],
        json!({ "lastSessionOn": "2026-06-30", "neglected": false })
    );
    // An earlier session logged later leaves lastSessionOn at the latest date.
    let second = log(&app, admin(&app), &id, "2026-06-01", 1).await;
    assert_eq!(
        second.ok()["logMentoringSession"]["mentorPairing"]["lastSessionOn"],
        "2026-06-30"
    );
    assert_eq!(app.audits().await, audits + 2);

    // Sessions newest first, a page at a time.
    let sessions = |after: Option<String>| {
        let app = &app;
        let id = id.clone();
        async move {
            app.graphql(
                "query($id: ID!, $after: String) { node(id: $id) { ... on MentorPairing {
                    sessions(first: 1, after: $after) { totalCount
                      edges { cursor node { heldOn } } pageInfo { hasNextPage hasPreviousPage } } } } }",
                json!({ "id": id, "after": after }),
            )
            .await
        }
    };
    let page1 = sessions(None).await;
    let page1 = &page1.ok()["node"]["sessions"];
    assert_eq!(page1["totalCount"], 2);
    assert_eq!(page1["edges"][0]["node"]["heldOn"], "2026-06-30");
    assert_eq!(
        page1["pageInfo"],
        json!({ "hasNextPage": true, "hasPreviousPage": false })
    );
    let cursor = page1["edges"][0]["cursor"].as_str().unwrap().to_owned();
    let page2 = sessions(Some(cursor)).await;
    let page2 = &page2.ok()["node"]["sessions"];
    assert_eq!(page2["edges"][0]["node"]["heldOn"], "2026-06-01");
    assert_eq!(
        page2["pageInfo"],
        json!({ "hasNextPage": false, "hasPreviousPage": true })
    );

    // Ending.
    for (input, expected) in [
        (
            json!({ "status": "ACTIVE", "outcome": "结对完成" }),
            "BAD_USER_INPUT status",
        ),
        (
            json!({ "status": "COMPLETED", "outcome": "" }),
            "BAD_USER_INPUT outcome",
        ),
        (
            json!({ "status": "COMPLETED", "outcome": "结对完成", "endedOn": "2026-05-31" }),
            "BAD_USER_INPUT endedOn",
        ),
        (
            json!({ "status": "COMPLETED", "outcome": "结对完成", "endedOn": "2026-07-01" }),
            "BAD_USER_INPUT endedOn",
        ),
    ] {
        assert_eq!(
            outcome(&end(&app, admin(&app), &id, input.clone()).await),
            expected,
            "{input}"
        );
    }
    let ended = end(
        &app,
        admin(&app),
        &id,
        json!({ "status": "COMPLETED", "outcome": "能独立主持村民议事会" }),
    )
    .await;
    assert_eq!(
        ended.ok()["endMentorPairing"]["mentorPairing"],
        json!({ "status": "COMPLETED", "endedOn": "2026-06-30",
            "outcome": "能独立主持村民议事会", "neglected": false })
    );
    let late = log(&app, admin(&app), &id, "2026-06-30", 30).await;
    let error = late.error("INVALID_TRANSITION");
    assert_eq!(
        (&error["extensions"]["from"], &error["extensions"]["to"]),
        (&json!("COMPLETED"), &json!("SESSION_LOGGED"))
    );
    let twice = end(
        &app,
        admin(&app),
        &id,
        json!({ "status": "ENDED", "outcome": "再结束" }),
    )
    .await;
    let error = twice.error("INVALID_TRANSITION");
    assert_eq!(
        (&error["extensions"]["from"], &error["extensions"]["to"]),
        (&json!("COMPLETED"), &json!("ENDED"))
    );
    // Once finished, the same two may be paired again.
    pairing(&app, &w, "fs1", "cadre1", "2026-06-30").await;
}

#[tokio::test]
async fn neglect_starts_on_the_thirtieth_day() {
    let app = TestApp::spawn_at(at("2026-07-31")).await;
    let w = world(&app).await;
    // Session 29 days ago, session 30 days ago; no session, started 29 and 30 days ago; finished.
    let p29 = pairing(&app, &w, "fs1", "cadre1", "2026-06-01").await;
    log(&app, admin(&app), &p29, "2026-07-02", 60).await.ok();
    let p30 = pairing(&app, &w, "fs2", "cadre1", "2026-06-01").await;
    log(&app, admin(&app), &p30, "2026-07-01", 60).await.ok();
    let s29 = pairing(&app, &w, "sec", "grid2", "2026-07-02").await;
    let s30 = pairing(&app, &w, "fs1", "grid2", "2026-07-01").await;
    let done = pairing(&app, &w, "fs2", "grid2", "2026-01-01").await;
    end(
        &app,
        admin(&app),
        &done,
        json!({ "status": "ENDED", "outcome": "调离", "endedOn": "2026-03-01" }),
    )
    .await
    .ok();
    let names = BTreeMap::from([
        (p29.clone(), "p29"),
        (p30.clone(), "p30"),
        (s29.clone(), "s29"),
        (s30.clone(), "s30"),
        (done.clone(), "done"),
    ]);

    let listed = |days: Option<i64>| {
        let app = &app;
        let names = &names;
        async move {
            let response = app
                .graphql(
                    "query($filter: MentorPairingFilter) { mentorPairings(filter: $filter, first: 100) {
                        totalCount edges { node { id neglected } } } }",
                    json!({ "filter": { "neglectedForDays": days } }),
                )
                .await;
            let conn = &response.ok()["mentorPairings"];
            let rows: BTreeMap<&str, bool> = conn["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| {
                    (
                        names[e["node"]["id"].as_str().unwrap()],
                        e["node"]["neglected"].as_bool().unwrap(),
                    )
                })
                .collect();
            (conn["totalCount"].as_u64().unwrap(), rows)
        }
    };
    let (total, all) = listed(None).await;
    assert_eq!(total, 5);
    assert_eq!(
        all,
        BTreeMap::from([
            ("done", false),
            ("p29", false),
            ("p30", true),
            ("s29", false),
            ("s30", true)
        ])
    );
    let (total, neglected) = listed(Some(30)).await;
    assert_eq!(total, 2);
    assert_eq!(neglected, BTreeMap::from([("p30", true), ("s30", true)]));
    let (total, since_29) = listed(Some(29)).await;
    assert_eq!(total, 4);
    assert_eq!(
        since_29.keys().copied().collect::<Vec<_>>(),
        ["p29", "p30", "s29", "s30"]
    );
    let refused = app
        .graphql(
            "{ mentorPairings(filter: { neglectedForDays: -1 }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(outcome(&refused), "BAD_USER_INPUT filter.neglectedForDays");

    // A day earlier, the 30-day ones were on their 29th day.
    app.state.clock.set(at("2026-07-30"));
    let (total, _) = listed(Some(30)).await;
    assert_eq!(total, 0);
    let (_, all) = listed(None).await;
    assert_eq!(all.values().filter(|n| **n).count(), 0);
}

#[tokio::test]
async fn who_may_read_and_do_what() {
    let app = TestApp::spawn_at(at("2026-06-30")).await;
    let w = world(&app).await;
    let org = |k: &str| GrantScope::Organization(uuid_of(&w.orgs[k]));
    let mut tokens: BTreeMap<&str, Option<String>> = BTreeMap::new();
    tokens.insert("admin", Some(app.admin_token.clone()));
    tokens.insert("anonymous", None);
    for (name, person, role, scope) in [
        ("fs1", Some("fs1"), Role::FirstSecretary, org("V1")),
        ("fs2", Some("fs2"), Role::FirstSecretary, org("V2")),
        ("sec_r", None, Role::OrgSecretary, org("R")),
        ("sec_x", None, Role::OrgSecretary, org("X")),
        (
            "staff",
            None,
            Role::CommitteeStaff,
            GrantScope::LinkageGroup(uuid_of(&w.orgs["G"])),
        ),
        ("mentee", Some("cadre1"), Role::Member, org("V1")),
        ("member", None, Role::Member, org("V1")),
    ] {
        let token = account(&app, name, person.map(|p| &w.people[p]), role, scope).await;
        tokens.insert(name, Some(token));
    }
    let token = |name: &str| tokens[name].clone();
    let input = |mentor: &str, mentee: &str| {
        json!({ "mentorId": w.people[mentor], "menteeId": w.people[mentee], "goals": "熟悉村务",
            "startsOn": "2026-06-01" })
    };

    // Creating: the secretary of the subtree; a first secretary as the mentor, in their village.
    let audits = app.audits().await;
    for (user, mentor, mentee, expected) in [
        ("anonymous", "fs1", "cadre1", "UNAUTHENTICATED"),
        ("staff", "fs1", "cadre1", "FORBIDDEN"),
        ("sec_x", "fs1", "cadre1", "FORBIDDEN"),
        ("mentee", "fs1", "cadre1", "FORBIDDEN"),
        ("fs2", "fs1", "grid2", "FORBIDDEN"),
        ("fs1", "fs1", "grid2", "FORBIDDEN"),
    ] {
        let response = app
            .graphql_as(
                token(user).as_deref(),
                "mutation($input: CreateMentorPairingInput!) { createMentorPairing(input: $input) { mentorPairing { id } } }",
                json!({ "input": input(mentor, mentee) }),
            )
            .await;
        assert_eq!(
            outcome(&response),
            expected,
            "{user} creates {mentor} -> {mentee}"
        );
    }
    assert_eq!(app.audits().await, audits);
    let p1 = create_pairing(&app, token("sec_r").as_deref(), input("fs1", "cadre1")).await;
    let p1 = p1.ok()["createMentorPairing"]["mentorPairing"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let p2 = create_pairing(&app, token("fs2").as_deref(), input("fs2", "grid2")).await;
    let p2 = p2.ok()["createMentorPairing"]["mentorPairing"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let session = log(&app, token("fs1").as_deref(), &p1, "2026-06-20", 45).await;
    let session = session.ok()["logMentoringSession"]["mentoringSession"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let label = BTreeMap::from([(p1.clone(), "P1"), (p2.clone(), "P2")]);

    // Reading: the list (with totalCount), `node` of each pairing, and the session.
    let reads: &[(&str, &[&str])] = &[
        ("admin", &["P1", "P2"]),
        ("fs1", &["P1"]),
        ("fs2", &["P2"]),
        ("sec_r", &["P1", "P2"]),
        ("sec_x", &[]),
        ("staff", &["P1"]),
        ("mentee", &["P1"]),
        ("member", &[]),
    ];
    for (user, expected) in reads {
        let expected: BTreeSet<&str> = expected.iter().copied().collect();
        let response = app
            .graphql_as(
                token(user).as_deref(),
                "query($p1: ID!, $p2: ID!, $s: ID!) {
                    mentorPairings { totalCount edges { node { id mentor { name } mentee { name } } } }
                    p1: node(id: $p1) { id } p2: node(id: $p2) { id }
                    s: node(id: $s) { ... on MentoringSession { pairing { id } } } }",
                json!({ "p1": p1, "p2": p2, "s": session }),
            )
            .await;
        let data = response.ok();
        let listed: BTreeSet<&str> = data["mentorPairings"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| label[e["node"]["id"].as_str().unwrap()])
            .collect();
        assert_eq!(listed, expected, "{user} lists");
        assert_eq!(
            data["mentorPairings"]["totalCount"].as_u64().unwrap() as usize,
            expected.len(),
            "{user} counts"
        );
        let by_node: BTreeSet<&str> = [("P1", "p1"), ("P2", "p2")]
            .into_iter()
            .filter(|(_, alias)| !data[alias].is_null())
            .map(|(name, _)| name)
            .collect();
        assert_eq!(by_node, expected, "{user} by node");
        assert_eq!(
            !data["s"].is_null(),
            expected.contains("P1"),
            "{user} reads the session"
        );
    }
    let anonymous = app
        .graphql_as(None, "{ mentorPairings { totalCount } }", json!({}))
        .await;
    assert_eq!(outcome(&anonymous), "UNAUTHENTICATED");

    // The mentee reads the mentor's card (in R, outside the member's organization), masked; the
    // secretary of R sees the number in full.
    let phone = |user: &str| {
        let app = &app;
        let p1 = p1.clone();
        let token = token(user);
        async move {
            let response = app
                .graphql_as(
                    token.as_deref(),
                    "query($id: ID!) { node(id: $id) { ... on MentorPairing { mentor { name phone } } } }",
                    json!({ "id": p1 }),
                )
                .await;
            response.ok()["node"]["mentor"]["phone"].clone()
        }
    };
    assert_eq!(phone("mentee").await, "138****5678");
    assert_eq!(phone("sec_r").await, "13812345678");

    // Managing: only the mentor (and administrators).
    let audits = app.audits().await;
    for (user, expected) in [
        ("anonymous", "UNAUTHENTICATED"),
        ("fs2", "NOT_FOUND"),
        ("sec_x", "NOT_FOUND"),
        ("member", "NOT_FOUND"),
        ("sec_r", "FORBIDDEN"),
        ("staff", "FORBIDDEN"),
        ("mentee", "FORBIDDEN"),
    ] {
        let logged = log(&app, token(user).as_deref(), &p1, "2026-06-25", 30).await;
        assert_eq!(outcome(&logged), expected, "{user} logs on P1");
        let ended = end(
            &app,
            token(user).as_deref(),
            &p1,
            json!({ "status": "ENDED", "outcome": "结束" }),
        )
        .await;
        assert_eq!(outcome(&ended), expected, "{user} ends P1");
    }
    assert_eq!(app.audits().await, audits, "refusals write nothing");
    assert_eq!(
        outcome(&log(&app, token("fs1").as_deref(), &p1, "2026-06-25", 30).await),
        "OK"
    );
    assert_eq!(
        outcome(&log(&app, token("fs2").as_deref(), &p2, "2026-06-25", 30).await),
        "OK"
    );
    let ended = end(
        &app,
        token("fs1").as_deref(),
        &p1,
        json!({ "status": "COMPLETED", "outcome": "能独立开展工作" }),
    )
    .await;
    assert_eq!(outcome(&ended), "OK");
    assert_eq!(app.audits().await, audits + 3);
}

#[tokio::test]
async fn a_page_costs_the_same_whatever_its_size() {
    let app = TestApp::spawn_at(at("2026-06-30")).await;
    let w = world(&app).await;
    for i in 0..10 {
        let cadre = create_person(
            &app,
            &format!("村干部{i}"),
            &w.orgs["V1"],
            Some("CADRE"),
            None,
        )
        .await;
        let response = create_pairing(
            &app,
            admin(&app),
            json!({ "mentorId": w.people["fs1"], "menteeId": cadre, "goals": "熟悉村务",
                "startsOn": "2026-06-01" }),
        )
        .await;
        let id = response.ok()["createMentorPairing"]["mentorPairing"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        log(&app, admin(&app), &id, "2026-06-10", 60).await.ok();
        log(&app, admin(&app), &id, "2026-06-20", 60).await.ok();
    }
    // Organizations are selected at one depth only: the same loader asked at two depths may or
    // may not share one batch, depending on when the reads above them return.
    let query = "query($first: Int) { mentorPairings(first: $first) { totalCount edges { node {
        id neglected mentor { name positions { position } } mentee { name }
        organization { name }
        sessions(first: 5) { totalCount edges { node { heldOn topic pairing { id } } } } } } } }";
    let cost = |first: i64| {
        let app = &app;
        async move {
            let before = app.sql_statements().await;
            let response = app.graphql(query, json!({ "first": first })).await;
            let data = response.ok().clone();
            (app.sql_statements().await - before, data)
        }
    };
    let (small, data) = cost(2).await;
    assert_eq!(data["mentorPairings"]["edges"].as_array().unwrap().len(), 2);
    assert_eq!(
        data["mentorPairings"]["edges"][0]["node"]["sessions"]["totalCount"],
        2
    );
    let (large, data) = cost(10).await;
    assert_eq!(
        data["mentorPairings"]["edges"].as_array().unwrap().len(),
        10
    );
    assert_eq!(data["mentorPairings"]["totalCount"], 10);
    assert_eq!(
        small, large,
        "a page of 2 costs {small}, a page of 10 {large}"
    );
}
