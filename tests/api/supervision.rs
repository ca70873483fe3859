//! The supervision ledger: the lifecycle and every refused move, working-day deadlines across
//! the 2026 Spring Festival, the overdue and escalation boundaries (derived fields and SQL filters
//! agreeing), the escalation pass run twice and on two processes, racing supervisors, and who may
//! see and do what. Expected values are written by hand from DESIGN 3.2 and the 2026 calendar.

use chrono::{DateTime, TimeZone, Utc};
use lianjian_api::{
    authz::Role,
    graphql::ids,
    services::{accounts::GrantScope, supervision::escalation},
};
use serde_json::{Value, json};

use crate::helpers::{Gql, TestApp};

const ITEM_FIELDS: &str = "id code status version openedOn dueOn originalDueOn submittedOn closedOn
    overdue daysRemaining workingDaysRemaining closedOnTime escalationLevel progressPercent
    coResponsible { organization { name } progressPercent note }";

/// 10:00 on a day in Shanghai.
pub(crate) fn at(day: &str) -> DateTime<Utc> {
    local(day, 10, 0)
}

fn local(day: &str, hour: u32, minute: u32) -> DateTime<Utc> {
    let date: chrono::NaiveDate = day.parse().unwrap();
    // Asia/Shanghai has kept UTC+8 without daylight saving since 1991.
    chrono::FixedOffset::east_opt(8 * 3600)
        .unwrap()
        .from_local_datetime(&date.and_hms_opt(hour, minute, 0).unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

fn uuid_of(global: &str) -> uuid::Uuid {
    ids::decode("id", &async_graphql::ID(global.to_owned()))
        .unwrap()
        .id
}

/// Organizations A (with sub-branch A1), B, C in the group 联建委员会 led by A; D in a second
/// group; and a token per role.
pub(crate) struct Ledger {
    pub(crate) orgs: std::collections::HashMap<&'static str, String>,
    group: String,
    other_group: String,
    pub(crate) tokens: std::collections::HashMap<&'static str, String>,
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

async fn create_group(app: &TestApp, name: &str, lead: &str, members: &[&String]) -> String {
    let response = app
        .graphql(
            "mutation($input: CreateLinkageGroupInput!) { createLinkageGroup(input: $input) { linkageGroup { id } } }",
            json!({ "input": { "name": name, "leadOrganizationId": lead, "memberOrganizationIds": members, "cadenceStartsOn": "2026-01-05" } }),
        )
        .await;
    response.ok()["createLinkageGroup"]["linkageGroup"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub(crate) async fn ledger(app: &TestApp) -> Ledger {
    let area = app.create_area("温泉镇").await;
    let mut orgs = std::collections::HashMap::new();
    orgs.insert("A", create_org(app, &area, "风景区党委", None).await);
    let a1 = create_org(app, &area, "景区管理办党支部", Some(&orgs["A"])).await;
    orgs.insert("A1", a1);
    orgs.insert("B", create_org(app, &area, "南平村党支部", None).await);
    orgs.insert("C", create_org(app, &area, "石坑村党支部", None).await);
    orgs.insert("D", create_org(app, &area, "邻镇党委", None).await);
    let group = create_group(app, "联建委员会", &orgs["A"], &[&orgs["B"], &orgs["C"]]).await;
    let other_group = create_group(app, "邻镇联建组", &orgs["D"], &[]).await;
    let g = GrantScope::LinkageGroup(uuid_of(&group));
    let g2 = GrantScope::LinkageGroup(uuid_of(&other_group));
    let o = |k: &str| GrantScope::Organization(uuid_of(&orgs[k]));
    let mut tokens = std::collections::HashMap::new();
    for (name, role, scope) in [
        ("supervisor", Role::Supervisor, g),
        ("supervisor2", Role::Supervisor, g),
        ("other_supervisor", Role::Supervisor, g2),
        ("staff", Role::CommitteeStaff, g),
        ("sec_a", Role::OrgSecretary, o("A")),
        ("sec_b", Role::OrgSecretary, o("B")),
        ("first_b", Role::FirstSecretary, o("B")),
        ("member_c", Role::Member, o("C")),
        ("member_d", Role::Member, o("D")),
    ] {
        tokens.insert(name, app.user_with(name, &[(role, scope)]).await);
    }
    Ledger {
        orgs,
        group,
        other_group,
        tokens,
    }
}

/// Opens an item with `token` (the administrator's when `None`).
async fn open_item(app: &TestApp, token: Option<&str>, input: Value) -> Gql {
    let query = format!(
        "mutation($input: OpenSupervisionItemInput!) {{ openSupervisionItem(input: $input) {{ supervisionItem {{ {ITEM_FIELDS} }} }} }}"
    );
    match token {
        Some(token) => {
            app.graphql_as(Some(token), &query, json!({ "input": input }))
                .await
        }
        None => app.graphql(&query, json!({ "input": input })).await,
    }
}

/// Opens an item as the administrator and returns its id.
pub(crate) async fn item(app: &TestApp, l: &Ledger, title: &str, lead: &str, due: Value) -> String {
    let mut input = json!({ "title": title, "source": "JOINT_MEETING",
        "linkageGroupId": l.group, "leadOrganizationId": l.orgs[lead] });
    for (k, v) in due.as_object().unwrap() {
        input[k] = v.clone();
    }
    let response = open_item(app, None, input).await;
    response.ok()["openSupervisionItem"]["supervisionItem"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// One move of the status machine (`start`, `submit`, ...).
async fn step(
    app: &TestApp,
    token: Option<&str>,
    mutation: &str,
    id: &str,
    note: Option<&str>,
    version: Option<i64>,
) -> Gql {
    let query = format!(
        "mutation($input: SupervisionTransitionInput!) {{ {mutation}SupervisionItem(input: $input) {{ supervisionItem {{ {ITEM_FIELDS} }} }} }}"
    );
    let input = json!({ "id": id, "note": note, "expectedVersion": version });
    match token {
        Some(token) => {
            app.graphql_as(Some(token), &query, json!({ "input": input }))
                .await
        }
        None => app.graphql(&query, json!({ "input": input })).await,
    }
}

fn item_of<'a>(response: &'a Gql, mutation: &str) -> &'a Value {
    &response.ok()[format!("{mutation}SupervisionItem")]["supervisionItem"]
}

async fn read_item(app: &TestApp, token: Option<&str>, id: &str) -> Gql {
    let query = format!("query($id: ID!) {{ supervisionItem(id: $id) {{ {ITEM_FIELDS} }} }}");
    match token {
        Some(token) => {
            app.graphql_as(Some(token), &query, json!({ "id": id }))
                .await
        }
        None => app.graphql(&query, json!({ "id": id })).await,
    }
}

async fn timeline_kinds(app: &TestApp, id: &str) -> Vec<String> {
    let response = app
        .graphql(
            "query($id: ID!) { supervisionItem(id: $id) { timeline(first: 100) { totalCount edges { node { kind from to note level dueOn } } } } }",
            json!({ "id": id }),
        )
        .await;
    response.ok()["supervisionItem"]["timeline"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_whole_lifecycle_through_the_roles_that_own_each_step() {
    // Monday 2026-03-02.
    let app = TestApp::spawn_at(at("2026-03-02")).await;
    let l = ledger(&app).await;
    let t = |k: &str| Some(l.tokens[k].clone());
    let audits_before = app.audits().await;

    let opened = open_item(
        &app,
        t("supervisor").as_deref(),
        json!({ "title": "南平村道路硬化", "source": "RESIDENT_APPEAL", "priority": "HIGH",
            "linkageGroupId": l.group, "leadOrganizationId": l.orgs["A"],
            "coResponsibleOrganizationIds": [l.orgs["B"], l.orgs["A"]], "dueOn": "2026-03-20" }),
    )
    .await;
    let item = &opened.ok()["openSupervisionItem"]["supervisionItem"];
    assert_eq!(item["code"], "联建督-2026-001");
    assert_eq!(item["status"], "OPEN");
    assert_eq!(item["version"], 1);
    assert_eq!(item["openedOn"], "2026-03-02");
    assert_eq!(item["dueOn"], "2026-03-20");
    assert_eq!(item["originalDueOn"], "2026-03-20");
    // 2026-03-02 (Mon) to 03-20 (Fri): 18 calendar days, 14 working days (03-03..03-06,
    // 03-09..03-13, 03-16..03-20).
    assert_eq!(item["daysRemaining"], 18);
    assert_eq!(item["workingDaysRemaining"], 14);
    assert_eq!(item["overdue"], false);
    assert_eq!(item["escalationLevel"], "NONE");
    // The lead named again among the co-responsible is the lead only.
    assert_eq!(
        item["coResponsible"],
        json!([{ "organization": { "name": "南平村党支部" }, "progressPercent": 0, "note": null }])
    );
    let id = item["id"].as_str().unwrap().to_owned();

    // The next number of the ledger.
    let second = open_item(
        &app,
        t("staff").as_deref(),
        json!({ "title": "石坑村文化室", "source": "INSPECTION", "linkageGroupId": l.group,
            "leadOrganizationId": l.orgs["C"], "dueInWorkingDays": 5 }),
    )
    .await;
    assert_eq!(
        second.ok()["openSupervisionItem"]["supervisionItem"]["code"],
        "联建督-2026-002"
    );

    // Only the lead organization's secretary starts.
    let refused = step(&app, t("sec_b").as_deref(), "start", &id, None, None).await;
    refused.error("FORBIDDEN");
    let refused = step(&app, t("supervisor").as_deref(), "start", &id, None, None).await;
    refused.error("FORBIDDEN");
    let started = step(&app, t("sec_a").as_deref(), "start", &id, None, Some(1)).await;
    assert_eq!(item_of(&started, "start")["status"], "IN_PROGRESS");
    assert_eq!(item_of(&started, "start")["version"], 2);

    // Progress: B for itself, A for the lead; B cannot speak for A.
    let report = "mutation($input: ReportSupervisionProgressInput!) { reportSupervisionProgress(input: $input) { supervisionItem { progressPercent version coResponsible { organization { name } progressPercent note } } } }";
    let b = app
        .graphql_as(
            t("sec_b").as_deref(),
            report,
            json!({ "input": { "id": id, "percent": 40, "note": "征地协调完成" } }),
        )
        .await;
    let after = &b.ok()["reportSupervisionProgress"]["supervisionItem"];
    assert_eq!(after["progressPercent"], 0);
    assert_eq!(after["coResponsible"][0]["progressPercent"], 40);
    assert_eq!(after["coResponsible"][0]["note"], "征地协调完成");
    let refused = app
        .graphql_as(
            t("sec_b").as_deref(),
            report,
            json!({ "input": { "id": id, "organizationId": l.orgs["A"], "percent": 90, "note": "x" } }),
        )
        .await;
    refused.error("FORBIDDEN");
    let bad = app
        .graphql_as(
            t("sec_a").as_deref(),
            report,
            json!({ "input": { "id": id, "percent": 101, "note": "x" } }),
        )
        .await;
    assert_eq!(
        bad.error("BAD_USER_INPUT")["extensions"]["field"],
        "percent"
    );
    let a = app
        .graphql_as(
            t("sec_a").as_deref(),
            report,
            json!({ "input": { "id": id, "percent": 60, "note": "路基完成" } }),
        )
        .await;
    assert_eq!(
        a.ok()["reportSupervisionProgress"]["supervisionItem"]["progressPercent"],
        60
    );

    // Submit, reject (a note is required), submit again, close.
    let submitted = step(&app, t("sec_a").as_deref(), "submit", &id, None, None).await;
    assert_eq!(item_of(&submitted, "submit")["status"], "PENDING_REVIEW");
    assert_eq!(item_of(&submitted, "submit")["submittedOn"], "2026-03-02");
    let refused = step(&app, t("supervisor").as_deref(), "reject", &id, None, None).await;
    assert_eq!(
        refused.error("BAD_USER_INPUT")["extensions"]["field"],
        "note"
    );
    let refused = step(&app, t("sec_a").as_deref(), "reject", &id, Some("x"), None).await;
    refused.error("FORBIDDEN");
    let rejected = step(
        &app,
        t("supervisor").as_deref(),
        "reject",
        &id,
        Some("缺少验收照片"),
        None,
    )
    .await;
    assert_eq!(item_of(&rejected, "reject")["status"], "IN_PROGRESS");
    step(&app, t("sec_a").as_deref(), "submit", &id, None, None)
        .await
        .ok();
    let closed = step(&app, t("supervisor").as_deref(), "close", &id, None, None).await;
    let c = item_of(&closed, "close");
    assert_eq!(c["status"], "CLOSED");
    assert_eq!(c["closedOn"], "2026-03-02");
    assert_eq!(c["closedOnTime"], true);
    assert_eq!(c["progressPercent"], 100);
    assert_eq!(c["escalationLevel"], "NONE");

    // Reopen needs a note; then start again and cancel (with a note).
    let refused = step(&app, t("supervisor").as_deref(), "reopen", &id, None, None).await;
    assert_eq!(
        refused.error("BAD_USER_INPUT")["extensions"]["field"],
        "note"
    );
    let reopened = step(
        &app,
        t("supervisor").as_deref(),
        "reopen",
        &id,
        Some("群众反映返工"),
        None,
    )
    .await;
    assert_eq!(item_of(&reopened, "reopen")["status"], "REOPENED");
    assert_eq!(item_of(&reopened, "reopen")["closedOnTime"], Value::Null);
    step(&app, t("sec_a").as_deref(), "start", &id, None, None)
        .await
        .ok();
    let refused = step(
        &app,
        t("supervisor").as_deref(),
        "cancel",
        &id,
        Some("  "),
        None,
    )
    .await;
    assert_eq!(
        refused.error("BAD_USER_INPUT")["extensions"]["field"],
        "note"
    );
    let cancelled = step(
        &app,
        t("supervisor").as_deref(),
        "cancel",
        &id,
        Some("并入新项目"),
        None,
    )
    .await;
    assert_eq!(item_of(&cancelled, "cancel")["status"], "CANCELLED");
    assert_eq!(item_of(&cancelled, "cancel")["version"], 11);

    let kinds = timeline_kinds(&app, &id).await;
    assert_eq!(
        kinds,
        [
            "OPENED",
            "STARTED",
            "PROGRESS",
            "PROGRESS",
            "SUBMITTED",
            "REJECTED",
            "SUBMITTED",
            "CLOSED",
            "REOPENED",
            "STARTED",
            "CANCELLED"
        ]
    );
    // One audit entry per change: 11 of this item, 1 for the second item.
    assert_eq!(app.audits().await - audits_before, 12);
    let timeline = app
        .graphql(
            "query($id: ID!) { supervisionItem(id: $id) { timeline(first: 3, after: null) { edges { node { kind from to note actor { username } } } } reports { totalCount edges { node { percent note organization { name } author { username } } } } } }",
            json!({ "id": id }),
        )
        .await;
    let entry = &timeline.ok()["supervisionItem"]["timeline"]["edges"][1]["node"];
    assert_eq!(entry["from"], "OPEN");
    assert_eq!(entry["to"], "IN_PROGRESS");
    assert_eq!(entry["actor"]["username"], "sec_a");
    let reports = &timeline.ok()["supervisionItem"]["reports"];
    assert_eq!(reports["totalCount"], 2);
    assert_eq!(reports["edges"][0]["node"]["percent"], 40);
    assert_eq!(
        reports["edges"][0]["node"]["organization"]["name"],
        "南平村党支部"
    );
    assert_eq!(reports["edges"][1]["node"]["note"], "路基完成");
}

/// Every move refused from every status where DESIGN 2 does not allow it, with from and to.
#[tokio::test]
async fn every_refused_move_names_from_and_to_and_changes_nothing() {
    let app = TestApp::spawn_at(at("2026-03-02")).await;
    let l = ledger(&app).await;
    let due = json!({ "dueOn": "2026-03-31" });
    // Items brought to each status by the administrator (who may make every move).
    let paths: [(&str, &[&str]); 6] = [
        ("OPEN", &[]),
        ("IN_PROGRESS", &["start"]),
        ("PENDING_REVIEW", &["start", "submit"]),
        ("CLOSED", &["start", "submit", "close"]),
        ("REOPENED", &["start", "submit", "close", "reopen"]),
        ("CANCELLED", &["cancel"]),
    ];
    // (move, status it leads to, statuses it is allowed from): DESIGN 2.
    let moves: [(&str, &str, &[&str]); 6] = [
        ("start", "IN_PROGRESS", &["OPEN", "REOPENED"]),
        ("submit", "PENDING_REVIEW", &["IN_PROGRESS"]),
        ("reject", "IN_PROGRESS", &["PENDING_REVIEW"]),
        ("close", "CLOSED", &["PENDING_REVIEW"]),
        ("reopen", "REOPENED", &["CLOSED"]),
        (
            "cancel",
            "CANCELLED",
            &["OPEN", "IN_PROGRESS", "PENDING_REVIEW", "REOPENED"],
        ),
    ];
    for (status, path) in paths {
        let id = item(&app, &l, status, "A", due.clone()).await;
        for mv in path {
            step(&app, None, mv, &id, Some("备注"), None).await.ok();
        }
        let before = read_item(&app, None, &id).await;
        assert_eq!(before.ok()["supervisionItem"]["status"], status);
        for (mv, to, from) in moves {
            if from.contains(&status) {
                continue;
            }
            let refused = step(&app, None, mv, &id, Some("备注"), None).await;
            let error = refused.error("INVALID_TRANSITION");
            assert_eq!(error["extensions"]["from"], status, "{mv} from {status}");
            assert_eq!(error["extensions"]["to"], to, "{mv} from {status}");
        }
        let after = read_item(&app, None, &id).await;
        assert_eq!(
            after.ok(),
            before.ok(),
            "{status}: a refused move changed the item"
        );
    }
}

#[tokio::test]
async fn due_dates_in_working_days_skip_the_spring_festival_and_count_make_up_saturdays() {
    // Friday 2026-02-13, the last working day before the 2026 Spring Festival.
    let app = TestApp::spawn_at(at("2026-02-13")).await;
    let l = ledger(&app).await;
    // From the 2026 notice: Sat 02-14 is a make-up working day, 02-15 (Sun) to 02-23 (Mon) are
    // off, Sat 02-28 is a make-up working day.
    for (n, due, calendar_days) in [
        (1, "2026-02-14", 1),
        (2, "2026-02-24", 11),
        (3, "2026-02-25", 12),
        (6, "2026-02-28", 15),
        (7, "2026-03-02", 17),
    ] {
        let id = item(&app, &l, "春节后", "A", json!({ "dueInWorkingDays": n })).await;
        let read = read_item(&app, None, &id).await;
        let item = &read.ok()["supervisionItem"];
        assert_eq!(item["dueOn"], due, "{n} working days");
        assert_eq!(item["workingDaysRemaining"], n, "{n} working days");
        assert_eq!(item["daysRemaining"], calendar_days, "{n} working days");
    }
    for (input, field) in [
        (json!({ "dueOn": "2026-02-12" }), "dueOn"),
        (
            json!({ "dueOn": "2026-02-20", "dueInWorkingDays": 3 }),
            "dueOn",
        ),
        (json!({}), "dueOn"),
        (json!({ "dueInWorkingDays": 0 }), "dueInWorkingDays"),
        (json!({ "dueInWorkingDays": 501 }), "dueInWorkingDays"),
    ] {
        let mut full = json!({ "title": "x", "source": "OTHER", "linkageGroupId": l.group,
            "leadOrganizationId": l.orgs["A"] });
        for (k, v) in input.as_object().unwrap() {
            full[k] = v.clone();
        }
        let refused = open_item(&app, None, full).await;
        assert_eq!(
            refused.error("BAD_USER_INPUT")["extensions"]["field"],
            field,
            "{input}"
        );
    }
    assert_eq!(app.count_rows("supervision_item").await, 5);
}

async fn overdue_total(app: &TestApp, filter: Value) -> i64 {
    let response = app
        .graphql(
            "query($filter: SupervisionItemFilter) { supervisionItems(filter: $filter) { totalCount } }",
            json!({ "filter": filter }),
        )
        .await;
    response.ok()["supervisionItems"]["totalCount"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn an_item_due_today_turns_overdue_at_local_midnight() {
    let app = TestApp::spawn_at(at("2026-03-10")).await;
    let l = ledger(&app).await;
    let id = item(&app, &l, "当日到期", "A", json!({ "dueOn": "2026-03-16" })).await;
    // 23:59 in Shanghai on the due date: 15:59 UTC.
    app.state.clock.set(local("2026-03-16", 23, 59));
    let read = read_item(&app, None, &id).await;
    assert_eq!(read.ok()["supervisionItem"]["overdue"], false);
    assert_eq!(read.ok()["supervisionItem"]["workingDaysRemaining"], 0);
    assert_eq!(overdue_total(&app, json!({ "overdue": true })).await, 0);
    // 00:00 the next day.
    app.state.clock.set(local("2026-03-17", 0, 0));
    let read = read_item(&app, None, &id).await;
    assert_eq!(read.ok()["supervisionItem"]["overdue"], true);
    assert_eq!(read.ok()["supervisionItem"]["daysRemaining"], -1);
    assert_eq!(read.ok()["supervisionItem"]["workingDaysRemaining"], -1);
    assert_eq!(overdue_total(&app, json!({ "overdue": true })).await, 1);
    assert_eq!(overdue_total(&app, json!({ "overdue": false })).await, 0);
}

#[tokio::test]
async fn every_escalation_boundary_one_day_before_and_on_it() {
    let app = TestApp::spawn_at(at("2026-03-02")).await;
    let l = ledger(&app).await;
    // Due Monday 2026-03-16; the group's cadence is 14 days.
    let id = item(&app, &l, "阶梯", "A", json!({ "dueOn": "2026-03-16" })).await;
    // Written from DESIGN 3.2 with the March 2026 calendar (no holidays):
    // REMIND when working days left <= 3: on 03-10 (Tue) 4 are left (11, 12, 13, 16), on
    // 03-11 three. URGE from 03-17. SUPERVISE when today > dueOn + 14 = 03-30. REPORT when
    // today > dueOn + 28 = 04-13.
    let days = [
        ("2026-03-10", "NONE", false),
        ("2026-03-11", "REMIND", false),
        ("2026-03-16", "REMIND", false),
        ("2026-03-17", "URGE", true),
        ("2026-03-30", "URGE", true),
        ("2026-03-31", "SUPERVISE", true),
        ("2026-04-13", "SUPERVISE", true),
        ("2026-04-14", "REPORT", true),
    ];
    let levels = ["NONE", "REMIND", "URGE", "SUPERVISE", "REPORT"];
    for (day, level, overdue) in days {
        app.state.clock.set(at(day));
        let read = read_item(&app, None, &id).await;
        assert_eq!(
            read.ok()["supervisionItem"]["escalationLevel"],
            level,
            "{day}"
        );
        assert_eq!(read.ok()["supervisionItem"]["overdue"], overdue, "{day}");
        // The SQL filter agrees with the derived field on every level.
        for candidate in levels {
            let total = overdue_total(&app, json!({ "escalationLevels": [candidate] })).await;
            assert_eq!(
                total,
                i64::from(candidate == level),
                "{day}: filter {candidate}"
            );
        }
    }
    // A submission on time stops the clock; a late one does not.
    app.state.clock.set(at("2026-03-16"));
    step(&app, None, "start", &id, None, None).await.ok();
    step(&app, None, "submit", &id, None, None).await.ok();
    app.state.clock.set(at("2026-04-20"));
    let read = read_item(&app, None, &id).await;
    assert_eq!(read.ok()["supervisionItem"]["overdue"], false);
    assert_eq!(read.ok()["supervisionItem"]["escalationLevel"], "NONE");
    let late = item(&app, &l, "迟交", "A", json!({ "dueOn": "2026-04-20" })).await;
    app.state.clock.set(at("2026-04-22"));
    step(&app, None, "start", &late, None, None).await.ok();
    step(&app, None, "submit", &late, None, None).await.ok();
    let read = read_item(&app, None, &late).await;
    assert_eq!(read.ok()["supervisionItem"]["status"], "PENDING_REVIEW");
    assert_eq!(read.ok()["supervisionItem"]["overdue"], true);
    assert_eq!(overdue_total(&app, json!({ "overdue": true })).await, 1);
    let closed = step(&app, None, "close", &late, None, None).await;
    assert_eq!(item_of(&closed, "close")["closedOnTime"], false);
}

#[tokio::test]
async fn due_within_working_days_and_the_other_filters_count_in_sql() {
    // Wednesday 2026-04-29: 05-01 to 05-05 are off, Sat 05-09 is a make-up working day.
    let app = TestApp::spawn_at(at("2026-04-29")).await;
    let l = ledger(&app).await;
    for (title, lead, due) in [
        ("明天", "A", "2026-04-30"),
        ("假期后", "B", "2026-05-06"),
        ("补班日", "C", "2026-05-09"),
        ("更晚", "A", "2026-05-11"),
    ] {
        item(&app, &l, title, lead, json!({ "dueOn": due })).await;
    }
    // Working days after 04-29: 04-30 (1), 05-06 (2), 05-07 (3), 05-08 (4), 05-09 (5), 05-11 (6).
    for (n, expected) in [(0, 0), (1, 1), (2, 2), (4, 2), (5, 3), (6, 4)] {
        assert_eq!(
            overdue_total(&app, json!({ "dueWithinWorkingDays": n })).await,
            expected,
            "within {n} working days"
        );
    }
    assert_eq!(
        overdue_total(&app, json!({ "organizationId": l.orgs["A"] })).await,
        2
    );
    // A1 lies in A's subtree, but leads nothing.
    assert_eq!(
        overdue_total(
            &app,
            json!({ "organizationId": l.orgs["A1"], "includeSubOrganizations": true })
        )
        .await,
        0
    );
    assert_eq!(overdue_total(&app, json!({ "search": "假期" })).await, 1);
    assert_eq!(
        overdue_total(&app, json!({ "search": "2026-003" })).await,
        1
    );
    assert_eq!(
        overdue_total(&app, json!({ "dueBefore": "2026-05-09" })).await,
        2
    );
    assert_eq!(
        overdue_total(&app, json!({ "linkageGroupId": l.other_group })).await,
        0
    );
    let bad = app
        .graphql(
            "{ supervisionItems(filter: { dueWithinWorkingDays: -1 }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        bad.error("BAD_USER_INPUT")["extensions"]["field"],
        "filter.dueWithinWorkingDays"
    );
    // Orders: most urgent first; pages of 2 walk the whole list without gaps.
    let page = app
        .graphql(
            "{ supervisionItems(orderBy: DUE_ON_ASC, first: 2) { edges { node { title } } pageInfo { hasNextPage endCursor } } }",
            json!({}),
        )
        .await;
    let titles: Vec<&str> = page.ok()["supervisionItems"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["明天", "假期后"]);
    let cursor = page.ok()["supervisionItems"]["pageInfo"]["endCursor"].clone();
    let next = app
        .graphql(
            "query($after: String) { supervisionItems(orderBy: DUE_ON_ASC, first: 2, after: $after) { edges { node { title } } pageInfo { hasNextPage } } }",
            json!({ "after": cursor }),
        )
        .await;
    let titles: Vec<&str> = next.ok()["supervisionItems"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["补班日", "更晚"]);
    assert_eq!(
        next.ok()["supervisionItems"]["pageInfo"]["hasNextPage"],
        false
    );
}

#[tokio::test]
async fn extensions_need_a_reason_and_keep_the_original_due_date() {
    let app = TestApp::spawn_at(at("2026-03-02")).await;
    let l = ledger(&app).await;
    let id = item(&app, &l, "延期", "A", json!({ "dueOn": "2026-03-06" })).await;
    let extend = "mutation($input: ExtendSupervisionDeadlineInput!) { extendSupervisionDeadline(input: $input) { supervisionItem { dueOn originalDueOn version } } }";
    let token = l.tokens["supervisor"].clone();
    let refused = app
        .graphql_as(
            Some(&token),
            extend,
            json!({ "input": { "id": id, "dueOn": "2026-03-20", "reason": " " } }),
        )
        .await;
    assert_eq!(
        refused.error("BAD_USER_INPUT")["extensions"]["field"],
        "reason"
    );
    let refused = app
        .graphql_as(
            Some(&token),
            extend,
            json!({ "input": { "id": id, "dueOn": "2026-03-05", "reason": "r" } }),
        )
        .await;
    assert_eq!(
        refused.error("BAD_USER_INPUT")["extensions"]["field"],
        "dueOn"
    );
    let refused = app
        .graphql_as(
            Some(&l.tokens["sec_a"]),
            extend,
            json!({ "input": { "id": id, "dueOn": "2026-03-20", "reason": "r" } }),
        )
        .await;
    refused.error("FORBIDDEN");
    let extended = app
        .graphql_as(
            Some(&token),
            extend,
            json!({ "input": { "id": id, "dueOn": "2026-03-20", "reason": "汛期停工", "expectedVersion": 1 } }),
        )
        .await;
    assert_eq!(
        extended.ok()["extendSupervisionDeadline"]["supervisionItem"],
        json!({ "dueOn": "2026-03-20", "originalDueOn": "2026-03-06", "version": 2 })
    );
    let stale = app
        .graphql_as(
            Some(&token),
            extend,
            json!({ "input": { "id": id, "dueOn": "2026-03-27", "reason": "r", "expectedVersion": 1 } }),
        )
        .await;
    stale.error("CONFLICT");
    let timeline = app
        .graphql(
            "query($id: ID!) { supervisionItem(id: $id) { dueOn timeline { edges { node { kind note dueOn } } } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(timeline.ok()["supervisionItem"]["dueOn"], "2026-03-20");
    assert_eq!(
        timeline.ok()["supervisionItem"]["timeline"]["edges"][1]["node"],
        json!({ "kind": "DEADLINE_EXTENDED", "note": "汛期停工", "dueOn": "2026-03-20" })
    );
}

/// The (item, level) of the first `count` deadline alerts a process's event stream delivers,
/// waiting at most ten seconds.
async fn alerts_within(
    stream: impl futures_util::Stream<Item = std::sync::Arc<lianjian_api::events::Envelope>>,
    count: usize,
) -> Vec<(uuid::Uuid, String)> {
    use futures_util::StreamExt;
    let alerts = stream
        .filter_map(|envelope| async move {
            match envelope.event {
                lianjian_api::events::DomainEvent::DeadlineAlert { item, level, .. } => {
                    Some((item, format!("{level:?}")))
                }
                _ => None,
            }
        })
        .take(count)
        .collect::<Vec<_>>();
    tokio::time::timeout(std::time::Duration::from_secs(10), alerts)
        .await
        .unwrap_or_default()
}

async fn escalated_levels(app: &TestApp, id: &str) -> Vec<String> {
    let response = app
        .graphql(
            "query($id: ID!) { supervisionItem(id: $id) { timeline(first: 100) { edges { node { kind level } } } } }",
            json!({ "id": id }),
        )
        .await;
    response.ok()["supervisionItem"]["timeline"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["node"]["kind"] == "ESCALATED")
        .map(|e| e["node"]["level"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_escalation_pass_writes_each_rise_once_across_runs_and_processes() {
    let app = TestApp::spawn_at(at("2026-03-02")).await;
    let l = ledger(&app).await;
    let overdue = item(&app, &l, "逾期", "A", json!({ "dueOn": "2026-03-03" })).await;
    let soon = item(&app, &l, "临期", "B", json!({ "dueOn": "2026-03-20" })).await;
    let calm = item(&app, &l, "从容", "C", json!({ "dueOn": "2026-04-30" })).await;
    let replica = app.replica().await;
    let alerts = app
        .state
        .events
        .subscribe(&app.state.db.read, None)
        .await
        .unwrap();
    // 2026-03-18: `overdue` is 15 days late (> 14: SUPERVISE), `soon` has 2 working days left
    // (19, 20: REMIND), `calm` nothing.
    let day = "2026-03-18".parse().unwrap();
    let now = app.state.clock.now();
    let (first, second) = tokio::join!(
        escalation::run(&app.state.db.write, &app.state.events, day, now, |_| {}),
        escalation::run(
            &replica.state.db.write,
            &replica.state.events,
            day,
            now,
            |_| {}
        ),
    );
    let (first, second) = (first.unwrap(), second.unwrap());
    assert_eq!(first.examined, 2);
    assert_eq!(first.escalated + second.escalated, 2);
    let again = escalation::run(&app.state.db.write, &app.state.events, day, now, |_| {})
        .await
        .unwrap();
    assert_eq!(again.escalated, 0);
    assert_eq!(escalated_levels(&app, &overdue).await, ["SUPERVISE"]);
    assert_eq!(escalated_levels(&app, &soon).await, ["REMIND"]);
    assert!(escalated_levels(&app, &calm).await.is_empty());
    // This process's subscribers hear every alert, whichever process wrote it: one per item.
    let heard = alerts_within(alerts, 2).await;
    assert_eq!(heard.len(), 2, "{heard:?}");
    let mut items: Vec<_> = heard.iter().map(|(item, _)| *item).collect();
    items.sort();
    let mut expected = vec![uuid_of(&overdue), uuid_of(&soon)];
    expected.sort();
    assert_eq!(items, expected);
    // Later: `overdue` reaches REPORT (> 28 days late on 04-01), `soon` URGE.
    let later = "2026-04-01".parse().unwrap();
    for _ in 0..2 {
        escalation::run(
            &replica.state.db.write,
            &replica.state.events,
            later,
            now,
            |_| {},
        )
        .await
        .unwrap();
    }
    assert_eq!(
        escalated_levels(&app, &overdue).await,
        ["SUPERVISE", "REPORT"]
    );
    assert_eq!(escalated_levels(&app, &soon).await, ["REMIND", "URGE"]);
    // An extension starts the ladder again for the new due date.
    app.state.clock.set(at("2026-04-01"));
    let extend = app
        .graphql(
            "mutation($input: ExtendSupervisionDeadlineInput!) { extendSupervisionDeadline(input: $input) { supervisionItem { dueOn } } }",
            json!({ "input": { "id": soon, "dueOn": "2026-04-02", "reason": "补充材料" } }),
        )
        .await;
    extend.ok();
    escalation::run(&app.state.db.write, &app.state.events, later, now, |_| {})
        .await
        .unwrap();
    assert_eq!(
        escalated_levels(&app, &soon).await,
        ["REMIND", "URGE", "REMIND"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_supervisors_on_one_item_one_wins_the_others_get_conflict() {
    let app = TestApp::spawn_at(at("2026-03-02")).await;
    let l = ledger(&app).await;
    let id = item(&app, &l, "争议", "A", json!({ "dueOn": "2026-03-06" })).await;
    let extend = "mutation($input: ExtendSupervisionDeadlineInput!) { extendSupervisionDeadline(input: $input) { supervisionItem { dueOn version } } }";
    let tokens = [
        l.tokens["supervisor"].clone(),
        l.tokens["supervisor2"].clone(),
    ];
    let requests = (0..24).map(|i| {
        let app = &app;
        let token = tokens[i % 2].clone();
        let id = id.clone();
        async move {
            let day = format!("2026-04-{:02}", i + 1);
            app.graphql_as(
                Some(&token),
                extend,
                json!({ "input": { "id": id, "dueOn": day, "reason": format!("第{i}次"), "expectedVersion": 1 } }),
            )
            .await
        }
    });
    let answers = futures_util::future::join_all(requests).await;
    let winners: Vec<&Gql> = answers
        .iter()
        .filter(|a| a.body.get("errors").is_none())
        .collect();
    assert_eq!(winners.len(), 1, "{answers:?}");
    for answer in &answers {
        if answer.body.get("errors").is_some() {
            assert_eq!(answer.code(), "CONFLICT", "{}", answer.body);
        }
    }
    let won = winners[0].ok()["extendSupervisionDeadline"]["supervisionItem"].clone();
    assert_eq!(won["version"], 2);
    let read = read_item(&app, None, &id).await;
    assert_eq!(read.ok()["supervisionItem"]["dueOn"], won["dueOn"]);
    assert_eq!(read.ok()["supervisionItem"]["version"], 2);
    assert_eq!(
        timeline_kinds(&app, &id).await,
        ["OPENED", "DEADLINE_EXTENDED"]
    );
}

/// Who sees which item and may do what, written by hand from DESIGN 4.1.
#[tokio::test]
async fn the_permission_table_for_items() {
    let app = TestApp::spawn_at(at("2026-03-02")).await;
    let l = ledger(&app).await;
    let due = json!({ "dueOn": "2026-03-31" });
    // I1: led by A, B co-responsible. I2: led by C. I3: in the other group, led by D.
    let mut input = json!({ "title": "I1", "source": "OTHER", "linkageGroupId": l.group,
        "leadOrganizationId": l.orgs["A"], "coResponsibleOrganizationIds": [l.orgs["B"]], "dueOn": "2026-03-31" });
    let i1 = open_item(&app, None, input.clone()).await.ok()["openSupervisionItem"]
        ["supervisionItem"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let i2 = item(&app, &l, "I2", "C", due.clone()).await;
    input["title"] = json!("I3");
    input["linkageGroupId"] = json!(l.other_group);
    input["leadOrganizationId"] = json!(l.orgs["D"]);
    input["coResponsibleOrganizationIds"] = json!([]);
    let i3 =
        open_item(&app, None, input).await.ok()["openSupervisionItem"]["supervisionItem"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
    let items = [&i1, &i2, &i3];
    // user: readable items (I1, I2, I3)
    let reads = [
        ("supervisor", [true, true, false]),
        ("staff", [true, true, false]),
        ("other_supervisor", [false, false, true]),
        ("sec_a", [true, false, false]),
        ("sec_b", [true, false, false]),
        ("first_b", [true, false, false]),
        ("member_c", [false, true, false]),
        ("member_d", [false, false, true]),
    ];
    for (user, expected) in reads {
        let token = l.tokens[user].clone();
        for (item, readable) in items.iter().zip(expected) {
            let read = read_item(&app, Some(&token), item).await;
            if readable {
                read.ok();
            } else {
                read.error("NOT_FOUND");
            }
            let node = app
                .graphql_as(
                    Some(&token),
                    "query($id: ID!) { node(id: $id) { id } }",
                    json!({ "id": item }),
                )
                .await;
            assert_eq!(node.ok()["node"].is_null(), !readable, "{user} node {item}");
        }
        let listed = app
            .graphql_as(
                Some(&token),
                "{ supervisionItems(first: 100) { totalCount edges { node { title } } } }",
                json!({}),
            )
            .await;
        let count = expected.iter().filter(|r| **r).count();
        assert_eq!(
            listed.ok()["supervisionItems"]["totalCount"],
            count,
            "{user}"
        );
        assert_eq!(
            listed.ok()["supervisionItems"]["edges"]
                .as_array()
                .unwrap()
                .len(),
            count,
            "{user}"
        );
    }
    // Acting: (user, move, item, expected code or OK). Each OK is undone by the next rows only
    // where it matters: moves are tried on I1 in this order.
    let extend = "mutation($input: ExtendSupervisionDeadlineInput!) { extendSupervisionDeadline(input: $input) { supervisionItem { id } } }";
    let acts: [(&str, &str, &String, &str); 12] = [
        ("member_d", "start", &i1, "NOT_FOUND"),
        ("sec_b", "start", &i1, "FORBIDDEN"),
        ("first_b", "start", &i1, "FORBIDDEN"),
        ("supervisor", "start", &i1, "FORBIDDEN"),
        ("staff", "start", &i1, "FORBIDDEN"),
        ("member_c", "start", &i2, "FORBIDDEN"),
        ("sec_a", "start", &i1, "OK"),
        ("sec_a", "extend", &i1, "FORBIDDEN"),
        ("staff", "extend", &i1, "FORBIDDEN"),
        ("other_supervisor", "extend", &i1, "NOT_FOUND"),
        ("supervisor", "extend", &i1, "OK"),
        ("other_supervisor", "extend", &i3, "OK"),
    ];
    for (n, (user, mv, item, expected)) in acts.into_iter().enumerate() {
        let token = l.tokens[user].clone();
        let answer = if mv == "extend" {
            let day = format!("2026-05-{:02}", n + 1);
            app.graphql_as(
                Some(&token),
                extend,
                json!({ "input": { "id": item, "dueOn": day, "reason": "r" } }),
            )
            .await
        } else {
            step(&app, Some(&token), mv, item, None, None).await
        };
        if expected == "OK" {
            answer.ok();
        } else {
            answer.error(expected);
        }
    }
    // Opening: staff and supervisors of the group; not secretaries; not another group's
    // supervisor, who does not know the group.
    let open = |lead: &str| {
        json!({ "title": "新", "source": "OTHER", "linkageGroupId": l.group,
            "leadOrganizationId": l.orgs[lead], "dueOn": "2026-03-31" })
    };
    open_item(&app, Some(&l.tokens["staff"]), open("B"))
        .await
        .ok();
    open_item(&app, Some(&l.tokens["sec_a"]), open("A"))
        .await
        .error("FORBIDDEN");
    open_item(&app, Some(&l.tokens["other_supervisor"]), open("B"))
        .await
        .error("NOT_FOUND");
    // A lead outside the group is refused whoever opens.
    let outside = open_item(&app, None, open("D")).await;
    assert_eq!(
        outside.error("BAD_USER_INPUT")["extensions"]["field"],
        "leadOrganizationId"
    );
    // Anonymous callers reach nothing.
    let anonymous = app
        .graphql_as(None, "{ supervisionItems { totalCount } }", json!({}))
        .await;
    anonymous.error("UNAUTHENTICATED");
}

/// Organizations are read at two depths here (lead, co-responsible), each a batch of its own.
const LEDGER_PAGE: &str = "query($first: Int) { supervisionItems(first: $first) { totalCount edges { node {
    code title overdue daysRemaining workingDaysRemaining escalationLevel progressPercent closedOnTime
    linkageGroup { name } leadOrganization { name } assignee { name } supervisor { username }
    coResponsible { progressPercent organization { name } }
    timeline(first: 2) { totalCount edges { node { kind actor { username } item { code } } } }
    reports(first: 2) { edges { node { percent author { username } } } } } } } }";

/// A page of the demo ledger with every relation costs the same statements for 5 items or 30.
async fn a_ledger_page_costs_the_same_for_5_or_30() {
    let today: chrono::NaiveDate = "2026-06-15".parse().unwrap();
    let app = TestApp::spawn_at(at("2026-06-15")).await;
    lianjian_api::services::demo::load(
        &app.state.db.write,
        today,
        app.state.config.server.timezone,
    )
    .await
    .unwrap();
    let mut costs = Vec::new();
    for first in [5, 30] {
        let before = app.sql_statements().await;
        let response = app.graphql(LEDGER_PAGE, json!({ "first": first })).await;
        let edges = response.ok()["supervisionItems"]["edges"]
            .as_array()
            .unwrap()
            .len();
        assert_eq!(edges, first);
        costs.push(app.sql_statements().await - before);
    }
    assert_eq!(
        costs[0], costs[1],
        "statements for 5 and 30 items: {costs:?}"
    );
}

#[tokio::test]
async fn ledger_page_statements_current_thread() {
    a_ledger_page_costs_the_same_for_5_or_30().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ledger_page_statements_multi_thread() {
    a_ledger_page_costs_the_same_for_5_or_30().await;
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn subscribe(addr: std::net::SocketAddr, token: &str, query: &str) -> Socket {
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest, http::HeaderValue};
    let mut request = format!("ws://{addr}/graphql/ws")
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let send = |value: Value| Message::Text(value.to_string().into());
    socket
        .send(send(json!({ "type": "connection_init",
            "payload": { "authorization": format!("Bearer {token}") } })))
        .await
        .unwrap();
    assert_eq!(next_message(&mut socket).await["type"], "connection_ack");
    socket
        .send(send(
            json!({ "id": "1", "type": "subscribe", "payload": { "query": query } }),
        ))
        .await
        .unwrap();
    socket
}

async fn next_message(socket: &mut Socket) -> Value {
    use futures_util::StreamExt;
    loop {
        let message = tokio::time::timeout(std::time::Duration::from_secs(10), socket.next())
            .await
            .expect("a message within 10 seconds")
            .expect("the socket is open")
            .expect("a valid frame");
        if let tokio_tungstenite::tungstenite::Message::Text(text) = message {
            return serde_json::from_str(&text).unwrap();
        }
    }
}

/// Each subscriber hears of the items it may read and of nothing else: the unreadable item's
/// events are published first, so the first message a subscriber gets shows what it skipped.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn events_and_alerts_reach_only_those_who_may_read_the_item() {
    let app = TestApp::spawn_at(at("2026-03-02")).await;
    let l = ledger(&app).await;
    let i1 = item(&app, &l, "I1", "B", json!({ "dueOn": "2026-03-04" })).await;
    let i2 = item(&app, &l, "I2", "C", json!({ "dueOn": "2026-03-04" })).await;
    let addr = app.serve().await;
    let events = "subscription { supervisionItemEvents { kind note item { id title } } }";
    let alerts = "subscription { deadlineAlerts { level item { id title } } }";
    let mut sec_b = subscribe(addr, &l.tokens["sec_b"], events).await;
    let mut member_c = subscribe(addr, &l.tokens["member_c"], events).await;
    let mut staff = subscribe(
        addr,
        &l.tokens["staff"],
        &format!(
            "subscription {{ supervisionItemEvents(filter: {{ organizationId: \"{}\" }}) {{ kind item {{ title }} }} }}",
            l.orgs["C"]
        ),
    )
    .await;
    let mut alerts_b = subscribe(addr, &l.tokens["sec_b"], alerts).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    step(&app, None, "start", &i2, Some("开工"), None)
        .await
        .ok();
    step(&app, None, "start", &i1, Some("动工"), None)
        .await
        .ok();
    let b = next_message(&mut sec_b).await;
    assert_eq!(
        b["payload"]["data"]["supervisionItemEvents"],
        json!({ "kind": "STARTED", "note": "动工", "item": { "id": i1, "title": "I1" } })
    );
    let c = next_message(&mut member_c).await;
    assert_eq!(
        c["payload"]["data"]["supervisionItemEvents"],
        json!({ "kind": "STARTED", "note": "开工", "item": { "id": i2, "title": "I2" } })
    );
    // The organization filter: staff read both, but asked for C's items only.
    let s = next_message(&mut staff).await;
    assert_eq!(
        s["payload"]["data"]["supervisionItemEvents"],
        json!({ "kind": "STARTED", "item": { "title": "I2" } })
    );
    step(&app, None, "submit", &i1, None, None).await.ok();
    step(&app, None, "submit", &i2, None, None).await.ok();
    let s = next_message(&mut staff).await;
    assert_eq!(
        s["payload"]["data"]["supervisionItemEvents"],
        json!({ "kind": "SUBMITTED", "item": { "title": "I2" } })
    );

    // 2026-03-06: I2 is submitted on time (no level), I1 too; a third item, B's, is overdue.
    let i3 = item(&app, &l, "I3", "B", json!({ "dueOn": "2026-03-03" })).await;
    let i4 = item(&app, &l, "I4", "C", json!({ "dueOn": "2026-03-03" })).await;
    let _ = (&i3, &i4);
    // The pass walks items by id: C's item I4 comes after I3, so publish order is I3, I4; sec_b
    // must see I3 only.
    escalation::run(
        &app.state.db.write,
        &app.state.events,
        "2026-03-06".parse().unwrap(),
        app.state.clock.now(),
        |_| {},
    )
    .await
    .unwrap();
    let alert = next_message(&mut alerts_b).await;
    assert_eq!(
        alert["payload"]["data"]["deadlineAlerts"],
        json!({ "level": "URGE", "item": { "id": i3, "title": "I3" } })
    );
    // Nothing else arrives for sec_b: I4 is not its to read.
    use futures_util::StreamExt;
    let more = tokio::time::timeout(std::time::Duration::from_millis(500), alerts_b.next()).await;
    assert!(more.is_err(), "unexpected message: {more:?}");
}

/// The calendar is read, not copied: a year imported by another process changes remaining
/// working days and due dates on the next request.
#[tokio::test]
async fn an_imported_calendar_holds_on_the_next_request() {
    let app = TestApp::spawn_at(at("2027-01-04")).await;
    let l = ledger(&app).await;
    // Monday 2027-01-04 to Friday 01-08: 4 working days (5, 6, 7, 8) under the ordinary week.
    let id = item(&app, &l, "跨年", "A", json!({ "dueOn": "2027-01-08" })).await;
    let read = read_item(&app, None, &id).await;
    assert_eq!(read.ok()["supervisionItem"]["workingDaysRemaining"], 4);
    // Another process loads a 2027 table in which 01-06 is a day off.
    lianjian_api::services::workdays::import(
        &app.state.db.write,
        &lianjian_api::services::Actor::system("test"),
        "date,is_working_day,name\n2027-01-06,false,试行假日\n",
    )
    .await
    .unwrap();
    let read = read_item(&app, None, &id).await;
    assert_eq!(read.ok()["supervisionItem"]["workingDaysRemaining"], 3);
    let due = open_item(
        &app,
        None,
        json!({ "title": "三个工作日", "source": "OTHER", "linkageGroupId": l.group,
            "leadOrganizationId": l.orgs["A"], "dueInWorkingDays": 3 }),
    )
    .await;
    // 01-05, (01-06 off), 01-07, 01-08.
    assert_eq!(
        due.ok()["openSupervisionItem"]["supervisionItem"]["dueOn"],
        "2027-01-08"
    );
}
