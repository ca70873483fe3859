//! Residents' appeals (民情诉求, DESIGN 3.4): the loop from a household visit to the resident's
//! feedback, every refused move, due dates across the 2026 National Day holiday, escalation to
//! the supervision ledger (atomic, linked both ways, resolved by closing the item), the
//! resident's personal data, and who may read and act. Expected values are written by hand.

use chrono::{DateTime, TimeZone, Utc};
use lianjian_api::{
    authz::Role,
    graphql::ids::{self, NodeKind},
    services::accounts::GrantScope,
};
use serde_json::{Value, json};

use crate::helpers::{Gql, TestApp};

const APPEAL_FIELDS: &str = "id code content category status grid receivedOn dueOn overdue
    residentName residentPhone address resolution rejectionReason resolvedOn reopenedCount version
    village { name } collector { name } supervisionItem { id code source status appeal { id } }
    feedback { satisfaction comment }";

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

/// The town committee T with its village V (南平村) and the scenic unit S; the village W (石坑村)
/// outside T; the group 联建委员会 led by T with V and S as members; and a token per role.
struct Town {
    orgs: std::collections::HashMap<&'static str, String>,
    group: String,
    collector: String,
    tokens: std::collections::HashMap<&'static str, String>,
}

async fn create_org(
    app: &TestApp,
    area: &str,
    name: &str,
    level: &str,
    unit: &str,
    parent: Option<&String>,
) -> String {
    let response = app
        .graphql(
            "mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id } } }",
            json!({ "input": { "name": name, "level": level, "unitType": unit, "areaId": area, "parentId": parent } }),
        )
        .await;
    response.ok()["createOrganization"]["organization"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn town(app: &TestApp) -> Town {
    let area = app.create_area("温泉镇").await;
    let mut orgs = std::collections::HashMap::new();
    let t = create_org(app, &area, "温泉镇党委", "COMMITTEE", "GOVERNMENT", None).await;
    let v = create_org(app, &area, "南平村党支部", "BRANCH", "VILLAGE", Some(&t)).await;
    let s = create_org(
        app,
        &area,
        "景区管理办党支部",
        "BRANCH",
        "SCENIC_UNIT",
        Some(&t),
    )
    .await;
    let w = create_org(app, &area, "石坑村党支部", "BRANCH", "VILLAGE", None).await;
    orgs.insert("T", t);
    orgs.insert("V", v);
    orgs.insert("S", s);
    orgs.insert("W", w);
    let response = app
        .graphql(
            "mutation($input: CreateLinkageGroupInput!) { createLinkageGroup(input: $input) { linkageGroup { id } } }",
            json!({ "input": { "name": "联建委员会", "leadOrganizationId": orgs["T"],
                "memberOrganizationIds": [orgs["V"], orgs["S"]], "cadenceStartsOn": "2026-01-05" } }),
        )
        .await;
    let group = response.ok()["createLinkageGroup"]["linkageGroup"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let collector = app
        .graphql(
            "mutation($input: CreatePersonInput!) { createPerson(input: $input) { person { id } } }",
            json!({ "input": { "name": "陈静", "politicalStatus": "FULL_MEMBER", "organizationId": orgs["V"] } }),
        )
        .await
        .ok()["createPerson"]["person"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let g = GrantScope::LinkageGroup(uuid_of(&group));
    let o = |k: &str| GrantScope::Organization(uuid_of(&orgs[k]));
    let mut tokens = std::collections::HashMap::new();
    for (name, role, scope) in [
        ("sec_v", Role::OrgSecretary, o("V")),
        ("sec_t", Role::OrgSecretary, o("T")),
        ("sec_w", Role::OrgSecretary, o("W")),
        ("first_v", Role::FirstSecretary, o("V")),
        ("first_w", Role::FirstSecretary, o("W")),
        ("staff", Role::CommitteeStaff, g),
        ("supervisor", Role::Supervisor, g),
        ("member_v", Role::Member, o("V")),
    ] {
        tokens.insert(name, app.user_with(name, &[(role, scope)]).await);
    }
    Town {
        orgs,
        group,
        collector,
        tokens,
    }
}

impl Town {
    fn token(&self, who: &str) -> Option<&str> {
        (who != "admin").then(|| self.tokens[who].as_str())
    }
}

async fn as_who(app: &TestApp, token: Option<&str>, query: &str, variables: Value) -> Gql {
    match token {
        Some(token) => app.graphql_as(Some(token), query, variables).await,
        None => app.graphql(query, variables).await,
    }
}

async fn record(app: &TestApp, token: Option<&str>, input: Value) -> Gql {
    let query = format!(
        "mutation($input: RecordResidentAppealInput!) {{ recordResidentAppeal(input: $input) {{ residentAppeal {{ {APPEAL_FIELDS} }} }} }}"
    );
    as_who(app, token, &query, json!({ "input": input })).await
}

fn appeal_input(t: &Town, received_on: &str) -> Value {
    json!({ "content": "村口路灯损坏三盏，夜间出行不便", "category": "INFRASTRUCTURE",
        "villageId": t.orgs["V"], "grid": "第三网格", "receivedOn": received_on,
        "residentName": "张三丰", "residentPhone": "13812345678",
        "address": "温泉镇南平村东街12号" })
}

/// Records an appeal in V as the administrator and returns its id.
async fn appeal(app: &TestApp, t: &Town, received_on: &str) -> String {
    record(app, None, appeal_input(t, received_on)).await.ok()["recordResidentAppeal"]
        ["residentAppeal"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// One move: `accept`, `resolve`, `reject` or `feedback`.
async fn step(app: &TestApp, token: Option<&str>, mv: &str, id: &str, extra: Value) -> Gql {
    let (field, input_type) = match mv {
        "accept" => ("acceptResidentAppeal", "AcceptResidentAppealInput"),
        "resolve" => ("resolveResidentAppeal", "ResolveResidentAppealInput"),
        "reject" => ("rejectResidentAppeal", "RejectResidentAppealInput"),
        "feedback" => ("recordAppealFeedback", "RecordAppealFeedbackInput"),
        other => panic!("no move {other}"),
    };
    let mut input = json!({ "id": id });
    for (k, v) in extra.as_object().unwrap() {
        input[k] = v.clone();
    }
    let query = format!(
        "mutation($input: {input_type}!) {{ {field}(input: $input) {{ residentAppeal {{ {APPEAL_FIELDS} }} }} }}"
    );
    let response = as_who(app, token, &query, json!({ "input": input })).await;
    if response.errors().is_empty() {
        let mut body = response.body.clone();
        body["data"] = json!({ "appeal": response.ok()[field]["residentAppeal"].clone() });
        return Gql {
            status: response.status,
            body,
        };
    }
    response
}

fn extra_of(mv: &str) -> Value {
    match mv {
        "resolve" => json!({ "resolution": "已更换路灯" }),
        "reject" => json!({ "reason": "不属于村级事务" }),
        "feedback" => json!({ "satisfaction": "SATISFIED" }),
        _ => json!({}),
    }
}

async fn read(app: &TestApp, token: Option<&str>, id: &str) -> Value {
    let query = format!(
        "query($id: ID!) {{ node(id: $id) {{ ... on ResidentAppeal {{ {APPEAL_FIELDS} }} }} }}"
    );
    as_who(app, token, &query, json!({ "id": id })).await.ok()["node"].clone()
}

#[tokio::test]
async fn the_loop_runs_from_the_visit_to_the_residents_feedback() {
    let app = TestApp::spawn_at(at("2026-03-09")).await;
    let t = town(&app).await;
    let mut input = appeal_input(&t, "2026-03-06");
    input["collectorId"] = json!(t.collector);
    // A first secretary of the village records what was collected on the visit.
    let recorded = record(&app, t.token("first_v"), input).await;
    let a = recorded.ok()["recordResidentAppeal"]["residentAppeal"].clone();
    let id = a["id"].as_str().unwrap().to_owned();
    assert_eq!(a["code"], "民情-2026-0001");
    assert_eq!(a["status"], "RECEIVED");
    assert_eq!(a["village"]["name"], "南平村党支部");
    assert_eq!(a["collector"]["name"], "陈静");
    assert_eq!(a["receivedOn"], "2026-03-06");
    // 15 working days after Friday 03-06: 03-09..03-13, 03-16..03-20, 03-23..03-27.
    assert_eq!(a["dueOn"], "2026-03-27");
    assert_eq!(a["overdue"], false);
    assert_eq!(a["version"], 1);
    assert_eq!(a["reopenedCount"], 0);
    // The second appeal of the village's year gets the next number.
    let second = record(&app, t.token("sec_v"), appeal_input(&t, "2026-03-09")).await;
    assert_eq!(
        second.ok()["recordResidentAppeal"]["residentAppeal"]["code"],
        "民情-2026-0002"
    );

    let sec = t.token("sec_v");
    let accepted = step(&app, sec, "accept", &id, json!({ "expectedVersion": 1 })).await;
    assert_eq!(accepted.ok()["appeal"]["status"], "ACCEPTED");
    assert_eq!(accepted.ok()["appeal"]["version"], 2);
    // A write over a version that is gone is refused.
    let stale = step(
        &app,
        sec,
        "resolve",
        &id,
        json!({ "resolution": "已更换路灯", "expectedVersion": 1 }),
    )
    .await;
    let error = stale.error("CONFLICT");
    assert_eq!(error["extensions"]["currentVersion"], 2, "{error}");
    app.state.clock.set(at("2026-03-12"));
    let resolved = step(
        &app,
        sec,
        "resolve",
        &id,
        json!({ "resolution": "已更换路灯三盏", "expectedVersion": 2 }),
    )
    .await;
    let r = &resolved.ok()["appeal"];
    assert_eq!(r["status"], "RESOLVED");
    assert_eq!(r["resolution"], "已更换路灯三盏");
    assert_eq!(r["resolvedOn"], "2026-03-12");
    assert_eq!(r["version"], 3);
    let feedback = step(
        &app,
        sec,
        "feedback",
        &id,
        json!({ "satisfaction": "SATISFIED", "comment": "修得很快" }),
    )
    .await;
    let f = &feedback.ok()["appeal"];
    assert_eq!(f["status"], "RESOLVED");
    assert_eq!(
        f["feedback"],
        json!({ "satisfaction": "SATISFIED", "comment": "修得很快" })
    );
    assert_eq!(f["reopenedCount"], 0);
    assert_eq!(f["version"], 4);
    assert_eq!(f["overdue"], false);
    // Four timeline rows for the first appeal and one for the second.
    assert_eq!(app.count_rows("appeal_event").await, 5);
}

#[tokio::test]
async fn recording_checks_its_input() {
    let app = TestApp::spawn_at(at("2026-03-09")).await;
    let t = town(&app).await;
    let person = ids::encode(NodeKind::Person, uuid::Uuid::now_v7()).0;
    for (change, field) in [
        (json!({ "villageId": t.orgs["S"] }), "villageId"),
        (json!({ "villageId": t.orgs["T"] }), "villageId"),
        (json!({ "content": "  " }), "content"),
        (json!({ "receivedOn": "2026-03-10" }), "receivedOn"),
        (json!({ "handlingWorkingDays": 0 }), "handlingWorkingDays"),
        (json!({ "handlingWorkingDays": 251 }), "handlingWorkingDays"),
        (json!({ "collectorId": person }), "collectorId"),
    ] {
        let mut input = appeal_input(&t, "2026-03-09");
        for (k, v) in change.as_object().unwrap() {
            input[k] = v.clone();
        }
        let refused = record(&app, None, input).await;
        let error = refused.error("BAD_USER_INPUT");
        assert_eq!(error["extensions"]["field"], field, "{change}: {error}");
    }
    // 250 working days is the most.
    let mut input = appeal_input(&t, "2026-03-09");
    input["handlingWorkingDays"] = json!(250);
    record(&app, None, input).await.ok();
    // Who may record in V: its first secretary and secretaries of it; not the others.
    for (who, code) in [
        ("first_w", "FORBIDDEN"),
        ("sec_w", "FORBIDDEN"),
        ("staff", "FORBIDDEN"),
        ("supervisor", "FORBIDDEN"),
        ("member_v", "FORBIDDEN"),
    ] {
        let refused = record(&app, t.token(who), appeal_input(&t, "2026-03-09")).await;
        assert_eq!(refused.code(), code, "{who}");
    }
    record(&app, t.token("sec_t"), appeal_input(&t, "2026-03-09"))
        .await
        .ok();
    assert_eq!(app.count_rows("resident_appeal").await, 2);
}

#[tokio::test]
async fn the_due_date_skips_the_national_day_holiday() {
    let app = TestApp::spawn_at(at("2026-10-08")).await;
    let t = town(&app).await;
    let mut input = appeal_input(&t, "2026-09-30");
    input["handlingWorkingDays"] = json!(5);
    let a = record(&app, None, input).await;
    // After Wednesday 09-30: 10-01..10-07 off (10-03/04 a weekend), 10-08 Thu (1), 10-09 Fri (2),
    // 10-10 Sat a make-up working day (3), 10-11 Sun off, 10-12 Mon (4), 10-13 Tue (5).
    let a = &a.ok()["recordResidentAppeal"]["residentAppeal"];
    assert_eq!(a["dueOn"], "2026-10-13");
    assert_eq!(a["overdue"], false);
    let id = a["id"].as_str().unwrap().to_owned();
    app.state.clock.set(at("2026-10-13"));
    assert_eq!(read(&app, None, &id).await["overdue"], false);
    app.state.clock.set(at("2026-10-14"));
    assert_eq!(read(&app, None, &id).await["overdue"], true);
    let list = |overdue: bool| {
        let app = &app;
        async move {
            app.graphql(
                "query($f: ResidentAppealFilter) { residentAppeals(filter: $f, first: 10) { totalCount } }",
                json!({ "f": { "overdue": overdue } }),
            )
            .await
            .ok()["residentAppeals"]["totalCount"]
                .clone()
        }
    };
    assert_eq!(list(true).await, 1);
    assert_eq!(list(false).await, 0);
}

#[tokio::test]
async fn every_move_not_allowed_is_refused_and_changes_nothing() {
    let app = TestApp::spawn_at(at("2026-03-09")).await;
    let t = town(&app).await;
    // From each status, the moves DESIGN 3.4 does not allow, with the `to` the error names.
    type Row<'a> = (&'a str, &'a [&'a str], &'a [(&'a str, &'a str)]);
    let table: [Row; 4] = [
        (
            "RECEIVED",
            &[],
            &[("resolve", "RESOLVED"), ("feedback", "FEEDBACK")],
        ),
        (
            "ACCEPTED",
            &["accept"],
            &[("accept", "ACCEPTED"), ("feedback", "FEEDBACK")],
        ),
        (
            "RESOLVED",
            &["accept", "resolve"],
            &[
                ("accept", "ACCEPTED"),
                ("resolve", "RESOLVED"),
                ("reject", "REJECTED"),
            ],
        ),
        (
            "REJECTED",
            &["reject"],
            &[
                ("accept", "ACCEPTED"),
                ("resolve", "RESOLVED"),
                ("reject", "REJECTED"),
                ("feedback", "FEEDBACK"),
            ],
        ),
    ];
    for (status, path, refused_moves) in table {
        let id = appeal(&app, &t, "2026-03-09").await;
        for mv in path {
            step(&app, None, mv, &id, extra_of(mv)).await.ok();
        }
        let before = read(&app, None, &id).await;
        assert_eq!(before["status"], status);
        for (mv, to) in refused_moves {
            let refused = step(&app, None, mv, &id, extra_of(mv)).await;
            let error = refused.error("INVALID_TRANSITION");
            assert_eq!(error["extensions"]["from"], status, "{mv} from {status}");
            assert_eq!(error["extensions"]["to"], *to, "{mv} from {status}");
        }
        assert_eq!(read(&app, None, &id).await, before, "{status}");
    }
    // Resolving and rejecting must say how and why.
    let id = appeal(&app, &t, "2026-03-09").await;
    let refused = step(&app, None, "reject", &id, json!({ "reason": " " })).await;
    assert_eq!(
        refused.error("BAD_USER_INPUT")["extensions"]["field"],
        "reason"
    );
    step(&app, None, "accept", &id, json!({})).await.ok();
    let refused = step(&app, None, "resolve", &id, json!({ "resolution": "" })).await;
    assert_eq!(
        refused.error("BAD_USER_INPUT")["extensions"]["field"],
        "resolution"
    );
}

#[tokio::test]
async fn not_satisfied_feedback_reopens_the_appeal() {
    let app = TestApp::spawn_at(at("2026-03-09")).await;
    let t = town(&app).await;
    let id = appeal(&app, &t, "2026-03-09").await;
    let sec = t.token("sec_v");
    step(&app, sec, "accept", &id, json!({})).await.ok();
    step(&app, sec, "resolve", &id, extra_of("resolve"))
        .await
        .ok();
    let reopened = step(
        &app,
        sec,
        "feedback",
        &id,
        json!({ "satisfaction": "NOT_SATISFIED", "comment": "只修了一盏" }),
    )
    .await;
    let a = &reopened.ok()["appeal"];
    assert_eq!(a["status"], "ACCEPTED");
    assert_eq!(a["reopenedCount"], 1);
    assert_eq!(a["resolvedOn"], Value::Null);
    assert_eq!(
        a["feedback"],
        json!({ "satisfaction": "NOT_SATISFIED", "comment": "只修了一盏" })
    );
    assert_eq!(a["version"], 4);
    // Resolved again, then PARTLY_SATISFIED only records what the resident said.
    step(&app, sec, "resolve", &id, extra_of("resolve"))
        .await
        .ok();
    let partly = step(
        &app,
        sec,
        "feedback",
        &id,
        json!({ "satisfaction": "PARTLY_SATISFIED" }),
    )
    .await;
    let a = &partly.ok()["appeal"];
    assert_eq!(a["status"], "RESOLVED");
    assert_eq!(a["reopenedCount"], 1);
    assert_eq!(a["resolvedOn"], "2026-03-09");
    assert_eq!(a["feedback"]["satisfaction"], "PARTLY_SATISFIED");
}

async fn escalate(app: &TestApp, token: Option<&str>, input: Value) -> Gql {
    let query = format!(
        "mutation($input: EscalateResidentAppealInput!) {{ escalateResidentAppeal(input: $input) {{ residentAppeal {{ {APPEAL_FIELDS} }} supervisionItem {{ id code title source status dueOn lead: leadOrganization {{ name }} appeal {{ id status }} }} }} }}"
    );
    as_who(app, token, &query, json!({ "input": input })).await
}

#[tokio::test]
async fn a_failed_escalation_writes_nothing() {
    let app = TestApp::spawn_at(at("2026-03-09")).await;
    let t = town(&app).await;
    let id = appeal(&app, &t, "2026-03-09").await;
    let before = read(&app, None, &id).await;
    let audits = app.audits().await;
    // W is not a member of the group.
    let refused = escalate(
        &app,
        t.token("sec_v"),
        json!({ "id": id, "linkageGroupId": t.group, "leadOrganizationId": t.orgs["W"],
            "dueInWorkingDays": 10 }),
    )
    .await;
    assert_eq!(
        refused.error("BAD_USER_INPUT")["extensions"]["field"],
        "leadOrganizationId"
    );
    assert_eq!(app.count_rows("supervision_item").await, 0);
    assert_eq!(app.count_rows("supervision_event").await, 0);
    assert_eq!(app.audits().await, audits);
    let after = read(&app, None, &id).await;
    assert_eq!(after, before);
    assert_eq!(after["version"], 1);
    assert_eq!(after["status"], "RECEIVED");
    assert_eq!(after["supervisionItem"], Value::Null);
}

#[tokio::test]
async fn an_escalated_appeal_is_linked_both_ways_and_resolved_by_closing_its_item() {
    let app = TestApp::spawn_at(at("2026-03-09")).await;
    let t = town(&app).await;
    let id = appeal(&app, &t, "2026-03-09").await;
    let escalated = escalate(
        &app,
        t.token("sec_v"),
        json!({ "id": id, "linkageGroupId": t.group, "leadOrganizationId": t.orgs["V"],
            "coResponsibleOrganizationIds": [t.orgs["S"]], "dueInWorkingDays": 10, "priority": "HIGH" }),
    )
    .await;
    let data = escalated.ok()["escalateResidentAppeal"].clone();
    let item = &data["supervisionItem"];
    let item_id = item["id"].as_str().unwrap().to_owned();
    assert_eq!(item["code"], "联建督-2026-001");
    assert_eq!(item["title"], "村口路灯损坏三盏，夜间出行不便");
    assert_eq!(item["source"], "RESIDENT_APPEAL");
    assert_eq!(item["status"], "OPEN");
    // 10 working days after Monday 03-09: 03-10..03-13, 03-16..03-20, 03-23.
    assert_eq!(item["dueOn"], "2026-03-23");
    assert_eq!(item["lead"]["name"], "南平村党支部");
    assert_eq!(item["appeal"]["id"], id);
    let a = &data["residentAppeal"];
    assert_eq!(a["status"], "ACCEPTED");
    assert_eq!(a["version"], 2);
    assert_eq!(a["supervisionItem"]["id"], item_id.as_str());
    assert_eq!(a["supervisionItem"]["appeal"]["id"], id.as_str());
    // Once is enough.
    let again = escalate(
        &app,
        t.token("sec_v"),
        json!({ "id": id, "linkageGroupId": t.group, "leadOrganizationId": t.orgs["V"],
            "dueInWorkingDays": 10 }),
    )
    .await;
    again.error("CONFLICT");
    assert_eq!(app.count_rows("supervision_item").await, 1);

    // The item's supervisor closes it: the appeal is resolved with the closing note.
    app.state.clock.set(at("2026-03-16"));
    for (mutation, note) in [
        ("startSupervisionItem", None),
        ("submitSupervisionItem", None),
        ("closeSupervisionItem", Some("路灯已全部更换")),
    ] {
        let query = format!(
            "mutation($input: SupervisionTransitionInput!) {{ {mutation}(input: $input) {{ supervisionItem {{ status }} }} }}"
        );
        app.graphql(&query, json!({ "input": { "id": item_id, "note": note } }))
            .await
            .ok();
    }
    let a = read(&app, None, &id).await;
    assert_eq!(a["status"], "RESOLVED");
    assert_eq!(a["resolution"], "路灯已全部更换");
    assert_eq!(a["resolvedOn"], "2026-03-16");
    assert_eq!(a["version"], 3);
    assert_eq!(a["supervisionItem"]["status"], "CLOSED");

    // An item closed without a note resolves with the standard wording; an appeal resolved
    // already stays as it was.
    let other = appeal(&app, &t, "2026-03-16").await;
    let data = escalate(
        &app,
        None,
        json!({ "id": other, "linkageGroupId": t.group, "leadOrganizationId": t.orgs["S"],
            "dueInWorkingDays": 5 }),
    )
    .await;
    let other_item = data.ok()["escalateResidentAppeal"]["supervisionItem"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for mutation in [
        "startSupervisionItem",
        "submitSupervisionItem",
        "closeSupervisionItem",
    ] {
        let query = format!(
            "mutation($input: SupervisionTransitionInput!) {{ {mutation}(input: $input) {{ supervisionItem {{ status }} }} }}"
        );
        app.graphql(&query, json!({ "input": { "id": other_item } }))
            .await
            .ok();
    }
    let o = read(&app, None, &other).await;
    assert_eq!(o["status"], "RESOLVED");
    assert_eq!(o["resolution"], "督办事项已办结");
}

#[tokio::test]
async fn residents_personal_data_is_masked_and_never_audited() {
    let app = TestApp::spawn_at(at("2026-03-09")).await;
    let t = town(&app).await;
    let id = appeal(&app, &t, "2026-03-09").await;
    let sec = t.token("sec_v");
    step(&app, sec, "accept", &id, json!({})).await.ok();
    step(&app, sec, "resolve", &id, extra_of("resolve"))
        .await
        .ok();
    step(&app, sec, "feedback", &id, extra_of("feedback"))
        .await
        .ok();
    let full = json!(["张三丰", "13812345678", "温泉镇南平村东街12号"]);
    let masked = json!(["张**", "138****5678", "温泉镇南平村****"]);
    for (who, expected) in [
        ("admin", &full),
        ("sec_v", &full),
        ("sec_t", &full),
        ("first_v", &masked),
        ("staff", &masked),
        ("supervisor", &masked),
    ] {
        let a = read(&app, t.token(who), &id).await;
        assert_eq!(
            json!([a["residentName"], a["residentPhone"], a["address"]]),
            *expected,
            "{who}"
        );
    }
    let log = app
        .graphql(
            "query($f: AuditLogFilter) { auditLog(filter: $f, first: 50) { totalCount nodes { action before after } } }",
            json!({ "f": { "targetId": id } }),
        )
        .await;
    let log = &log.ok()["auditLog"];
    assert_eq!(log["totalCount"], 4);
    let text = log.to_string();
    for secret in ["张三丰", "13812345678", "东街12号"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    let mut actions: Vec<String> = log["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["action"].as_str().unwrap().to_owned())
        .collect();
    actions.sort();
    assert_eq!(
        actions,
        [
            "acceptResidentAppeal",
            "recordAppealFeedback",
            "recordResidentAppeal",
            "resolveResidentAppeal"
        ]
    );
}

#[tokio::test]
async fn who_reads_and_who_may_accept() {
    let app = TestApp::spawn_at(at("2026-03-09")).await;
    let t = town(&app).await;
    let id = appeal(&app, &t, "2026-03-09").await;
    // An appeal of W, which only W's people and the administrator see.
    let mut input = appeal_input(&t, "2026-03-09");
    input["villageId"] = json!(t.orgs["W"]);
    record(&app, None, input).await.ok();
    // (who, appeals listed, reads V's appeal, answer to accepting it)
    // (who, first appeals listed, reads V's first appeal, answer to accepting a fresh one of V)
    for (who, total, reads, accept) in [
        ("admin", 2, true, "OK"),
        ("sec_t", 1, true, "OK"),
        ("sec_v", 1, true, "OK"),
        ("first_v", 1, true, "FORBIDDEN"),
        ("staff", 1, true, "FORBIDDEN"),
        ("supervisor", 1, true, "FORBIDDEN"),
        ("sec_w", 1, false, "NOT_FOUND"),
        ("first_w", 1, false, "NOT_FOUND"),
        ("member_v", 0, false, "NOT_FOUND"),
    ] {
        let token = t.token(who);
        // The first appeal of each village is numbered 民情-2026-0001; later ones are not.
        let list = as_who(
            &app,
            token,
            "{ residentAppeals(filter: { search: \"民情-2026-0001\" }, first: 10) { totalCount nodes { id } } }",
            json!({}),
        )
        .await;
        let list = &list.ok()["residentAppeals"];
        assert_eq!(list["totalCount"], total, "{who}");
        assert_eq!(list["nodes"].as_array().unwrap().len(), total, "{who}");
        let node = read(&app, token, &id).await;
        assert_eq!(node["id"] == json!(id), reads, "{who}: {node}");
        let fresh = appeal(&app, &t, "2026-03-09").await;
        let answer = step(&app, token, "accept", &fresh, json!({})).await;
        let code = if answer.errors().is_empty() {
            assert_eq!(answer.ok()["appeal"]["status"], "ACCEPTED", "{who}");
            "OK".to_owned()
        } else {
            answer.code()
        };
        assert_eq!(code, accept, "{who}");
        // A refusal changes nothing.
        if accept != "OK" {
            assert_eq!(read(&app, None, &fresh).await["version"], 1, "{who}");
        }
    }
}

/// Twenty appeals recorded in one village at once, on the multi-threaded runtime: every one is
/// recorded, and the village's numbers run from 0001 to 0020 without a gap or a repeat.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn appeals_recorded_at_once_get_distinct_numbers() {
    let app = TestApp::spawn().await;
    let t = town(&app).await;
    let today = app.state.clock.today();
    let received = today.to_string();
    let requests = (0..20).map(|_| record(&app, None, appeal_input(&t, &received)));
    let answers = futures_util::future::join_all(requests).await;
    let mut codes: Vec<String> = answers
        .iter()
        .map(|a| {
            a.ok()["recordResidentAppeal"]["residentAppeal"]["code"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    codes.sort();
    let year = chrono::Datelike::year(&today);
    let expected: Vec<String> = (1..=20).map(|n| format!("民情-{year}-{n:04}")).collect();
    assert_eq!(codes, expected);
}

/// `residentAppealEvents` delivers each timeline entry to those who may read the appeal, with the
/// resident's details as each of them may see them, and nothing of another village's appeals.
#[tokio::test]
async fn appeal_events_reach_only_readers_of_the_appeal_with_details_as_they_may_see_them() {
    use crate::sockets::Socket;
    let app = TestApp::spawn_at(at("2026-03-10")).await;
    let t = town(&app).await;
    let addr = app.serve().await;
    let query = "subscription { residentAppealEvents { position kind from to residentAppeal { content residentName village { name } } } }";
    let mut sockets = Vec::new();
    for who in ["sec_v", "first_v", "sec_w"] {
        let mut socket = Socket::connect(addr, t.token(who)).await;
        let id = socket.start(query, json!({})).await;
        sockets.push((who, socket, id));
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let in_v = appeal(&app, &t, "2026-03-09").await;
    step(&app, t.token("sec_v"), "accept", &in_v, json!({}))
        .await
        .ok();
    let mut in_w = appeal_input(&t, "2026-03-09");
    in_w["villageId"] = json!(t.orgs["W"]);
    in_w["content"] = json!("石坑村水渠堵塞");
    record(&app, None, in_w).await.ok();

    let expected: [(&str, Vec<Value>); 3] = [
        (
            "sec_v",
            vec![
                json!([
                    "RECORDED",
                    null,
                    "RECEIVED",
                    "村口路灯损坏三盏，夜间出行不便",
                    "张三丰",
                    "南平村党支部"
                ]),
                json!([
                    "ACCEPTED",
                    "RECEIVED",
                    "ACCEPTED",
                    "村口路灯损坏三盏，夜间出行不便",
                    "张三丰",
                    "南平村党支部"
                ]),
            ],
        ),
        (
            "first_v",
            vec![
                json!([
                    "RECORDED",
                    null,
                    "RECEIVED",
                    "村口路灯损坏三盏，夜间出行不便",
                    "张**",
                    "南平村党支部"
                ]),
                json!([
                    "ACCEPTED",
                    "RECEIVED",
                    "ACCEPTED",
                    "村口路灯损坏三盏，夜间出行不便",
                    "张**",
                    "南平村党支部"
                ]),
            ],
        ),
        (
            "sec_w",
            vec![json!([
                "RECORDED",
                null,
                "RECEIVED",
                "石坑村水渠堵塞",
                "张三丰",
                "石坑村党支部"
            ])],
        ),
    ];
    for ((who, socket, id), (expected_who, events)) in sockets.iter_mut().zip(expected) {
        assert_eq!(*who, expected_who);
        let mut positions = Vec::new();
        for event in events {
            let message = socket.json().await;
            assert_eq!(message["id"], id.as_str(), "{who}: {message}");
            let e = &message["payload"]["data"]["residentAppealEvents"];
            let a = &e["residentAppeal"];
            assert_eq!(
                json!([
                    e["kind"],
                    e["from"],
                    e["to"],
                    a["content"],
                    a["residentName"],
                    a["village"]["name"]
                ]),
                event,
                "{who}"
            );
            positions.push(e["position"].as_str().unwrap().parse::<i64>().unwrap());
        }
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{who}");
        let more = tokio::time::timeout(std::time::Duration::from_millis(500), socket.next()).await;
        assert!(more.is_err(), "{who} heard more: {more:?}");
    }
}

/// Overdue appeals in list order (latest received first), page by page both ways; on
/// PostgreSQL their page is sorted from the overdue ones alone (`read_matches_first`).
#[tokio::test]
async fn overdue_appeals_page_in_list_order_both_ways() {
    let app = TestApp::spawn_at(at("2026-03-20")).await;
    let t = town(&app).await;
    // Due the next working day: the five received in the first week are overdue on the 20th,
    // the two received on the 19th and the 20th are not.
    for day in [
        "2026-03-04",
        "2026-03-19",
        "2026-03-02",
        "2026-03-06",
        "2026-03-20",
        "2026-03-03",
        "2026-03-05",
    ] {
        let mut input = appeal_input(&t, day);
        input["handlingWorkingDays"] = json!(1);
        record(&app, None, input).await.ok();
    }
    let page = |args: Value| {
        let app = &app;
        async move {
            let data = app
                .graphql(
                    "query($first: Int, $last: Int, $after: String, $before: String) {
                        residentAppeals(filter: { overdue: true }, first: $first, last: $last,
                            after: $after, before: $before) {
                            totalCount countUpTo(limit: 3) { count exact }
                            edges { cursor node { receivedOn overdue } }
                            pageInfo { hasNextPage hasPreviousPage } } }",
                    args,
                )
                .await
                .ok()["residentAppeals"]
                .clone();
            let days: Vec<String> = data["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| {
                    assert_eq!(e["node"]["overdue"], true);
                    e["node"]["receivedOn"].as_str().unwrap().to_owned()
                })
                .collect();
            (days, data)
        }
    };
    let (days, first) = page(json!({ "first": 2 })).await;
    assert_eq!(days, ["2026-03-06", "2026-03-05"]);
    assert_eq!(first["totalCount"], 5);
    assert_eq!(first["countUpTo"], json!({ "count": 3, "exact": false }));
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    let after = first["edges"][1]["cursor"].clone();
    let (days, second) = page(json!({ "first": 2, "after": after })).await;
    assert_eq!(days, ["2026-03-04", "2026-03-03"]);
    let after = second["edges"][1]["cursor"].clone();
    let (days, third) = page(json!({ "first": 2, "after": after })).await;
    assert_eq!(days, ["2026-03-02"]);
    assert_eq!(third["pageInfo"]["hasNextPage"], false);
    let (days, last) = page(json!({ "last": 2 })).await;
    assert_eq!(days, ["2026-03-03", "2026-03-02"]);
    assert_eq!(last["pageInfo"]["hasPreviousPage"], true);
    let before = last["edges"][0]["cursor"].clone();
    let (days, _) = page(json!({ "last": 2, "before": before })).await;
    assert_eq!(days, ["2026-03-05", "2026-03-04"]);
}
