//! Joint activities: clashes, the status machine, attendance, visibility, time zones.

use lianjian_api::{authz::Role, graphql::ids, services::accounts::GrantScope};
use serde_json::{Value, json};

use crate::helpers::{Gql, TestApp};

const SCHEDULE: &str = "mutation($input: ScheduleJointActivityInput!) {
    scheduleJointActivity(input: $input) {
        jointActivity { id title status version startsAt startsOn venue host { name }
            participants { role organization { name } } }
        acceptedConflicts { jointActivity { title } organization { name } venue } } }";

/// Scheduling with a selection that reads nothing more, so that only the mutation's own
/// statements count.
const SCHEDULE_ID: &str = "mutation($input: ScheduleJointActivityInput!) {
    scheduleJointActivity(input: $input) { jointActivity { id } } }";

struct World {
    orgs: std::collections::HashMap<&'static str, String>,
    group: String,
}

fn uuid_of(global: &str) -> uuid::Uuid {
    ids::decode("id", &async_graphql::ID(global.to_owned()))
        .unwrap()
        .id
}

async fn world(app: &TestApp) -> World {
    let area = app.create_area("温泉镇").await;
    let mut orgs: std::collections::HashMap<&'static str, String> =
        std::collections::HashMap::new();
    for (key, name, parent) in [
        ("A", "风景区党委", None),
        ("A1", "景区管理办党支部", Some("A")),
        ("B", "南平村党支部", None),
        ("C", "石坑村党支部", None),
    ] {
        let parent_id = parent.map(|p: &str| orgs[p].clone());
        let response = app
            .graphql(
                "mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id } } }",
                json!({ "input": { "name": name, "level": "BRANCH", "unitType": "VILLAGE", "areaId": area, "parentId": parent_id } }),
            )
            .await;
        orgs.insert(
            key,
            response.ok()["createOrganization"]["organization"]["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let response = app
        .graphql(
            "mutation($input: CreateLinkageGroupInput!) { createLinkageGroup(input: $input) { linkageGroup { id } } }",
            json!({ "input": { "name": "联建委员会", "leadOrganizationId": orgs["A"], "memberOrganizationIds": [orgs["B"]] } }),
        )
        .await;
    let group = response.ok()["createLinkageGroup"]["linkageGroup"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    World { orgs, group }
}

fn input(
    title: &str,
    host: &str,
    participants: &[&str],
    venue: &str,
    starts: &str,
    ends: &str,
) -> Value {
    json!({ "title": title, "kind": "THEMED_PARTY_DAY", "hostOrganizationId": host,
        "participantOrganizationIds": participants, "venue": venue, "startsAt": starts, "endsAt": ends })
}

async fn schedule(app: &TestApp, input: Value) -> Gql {
    app.graphql(SCHEDULE, json!({ "input": input })).await
}

fn id_of(response: &Gql) -> String {
    response.ok()["scheduleJointActivity"]["jointActivity"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn clashes_on_organizations_and_venues_are_refused_with_every_clash_listed() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let (a, b, c) = (&w.orgs["A"], &w.orgs["B"], &w.orgs["C"]);
    let first = schedule(
        &app,
        input(
            "主题党日",
            a,
            &[b],
            "党群服务中心 Hall",
            "2027-01-10T09:00:00+08:00",
            "2027-01-10T11:00:00+08:00",
        ),
    )
    .await;
    let first_id = id_of(&first);
    let activity = &first.ok()["scheduleJointActivity"]["jointActivity"];
    assert_eq!(activity["status"], "PLANNED");
    assert_eq!(activity["participants"][0]["role"], "HOST");
    assert_eq!(
        activity["participants"][1]["organization"]["name"],
        "南平村党支部"
    );

    // The same venue, written differently, at an overlapping time.
    let response = schedule(
        &app,
        input(
            "学习会",
            c,
            &[],
            "  党群服务中心   hall ",
            "2027-01-10T10:00:00+08:00",
            "2027-01-10T12:00:00+08:00",
        ),
    )
    .await;
    let error = response.error("CONFLICT");
    let conflicts = error["extensions"]["conflicts"].as_array().unwrap();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0]["activityId"], first_id.as_str());
    assert!(conflicts[0]["organizationId"].is_null());
    assert_eq!(conflicts[0]["venue"], "党群服务中心 Hall");
    assert!(conflicts[0]["startsAt"].is_string() && conflicts[0]["endsAt"].is_string());

    // An organization already taking part, and the venue too: both clashes are listed.
    let response = schedule(
        &app,
        input(
            "巡逻",
            b,
            &[],
            "党群服务中心 hall",
            "2027-01-10T10:30:00+08:00",
            "2027-01-10T10:45:00+08:00",
        ),
    )
    .await;
    let conflicts = response.error("CONFLICT")["extensions"]["conflicts"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(conflicts.len(), 2, "{conflicts:?}");
    assert!(conflicts.iter().any(|c| c["organizationId"] == b.as_str()));
    assert_eq!(app.count_rows("joint_activity").await, 1);

    // Touching intervals do not clash.
    let touching = schedule(
        &app,
        input(
            "调解",
            b,
            &[],
            "党群服务中心 Hall",
            "2027-01-10T11:00:00+08:00",
            "2027-01-10T12:00:00+08:00",
        ),
    )
    .await;
    assert!(touching.errors().is_empty(), "{}", touching.body);

    // Cancelled activities never clash.
    app.graphql(
        "mutation($id: ID!) { cancelJointActivity(input: { id: $id, reason: \"下雨\" }) { jointActivity { status cancelReason } } }",
        json!({ "id": first_id }),
    )
    .await
    .ok();
    let again = schedule(
        &app,
        input(
            "主题党日（改）",
            a,
            &[b],
            "党群服务中心 Hall",
            "2027-01-10T09:00:00+08:00",
            "2027-01-10T11:00:00+08:00",
        ),
    )
    .await;
    assert!(again.errors().is_empty(), "{}", again.body);

    // allowConflicts schedules anyway and says what it accepted.
    let mut forced = input(
        "临时会议",
        c,
        &[b],
        "党群服务中心 Hall",
        "2027-01-10T10:00:00+08:00",
        "2027-01-10T11:30:00+08:00",
    );
    forced["allowConflicts"] = json!(true);
    let response = schedule(&app, forced).await;
    let accepted = response.ok()["scheduleJointActivity"]["acceptedConflicts"]
        .as_array()
        .unwrap()
        .clone();
    assert!(accepted.len() >= 3, "{accepted:?}");
    assert!(
        accepted
            .iter()
            .any(|c| c["organization"]["name"] == "南平村党支部")
    );
    assert!(accepted.iter().any(|c| c["venue"] == "党群服务中心 Hall"));
}

#[tokio::test]
async fn rescheduling_checks_clashes_and_versions() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let (a, b) = (&w.orgs["A"], &w.orgs["B"]);
    let one = id_of(
        &schedule(
            &app,
            input(
                "一",
                a,
                &[],
                "村委会",
                "2027-02-01T09:00:00+08:00",
                "2027-02-01T10:00:00+08:00",
            ),
        )
        .await,
    );
    schedule(
        &app,
        input(
            "二",
            b,
            &[],
            "礼堂",
            "2027-02-01T14:00:00+08:00",
            "2027-02-01T15:00:00+08:00",
        ),
    )
    .await
    .ok();
    let reschedule =
        "mutation($input: RescheduleJointActivityInput!) { rescheduleJointActivity(input: $input) {
        jointActivity { version startsAt venue } acceptedConflicts { jointActivity { title } } } }";
    let response = app
        .graphql(reschedule, json!({ "input": { "id": one, "startsAt": "2027-02-01T14:30:00+08:00", "endsAt": "2027-02-01T15:30:00+08:00", "venue": "礼堂" } }))
        .await;
    response.error("CONFLICT");
    let response = app
        .graphql(reschedule, json!({ "input": { "id": one, "startsAt": "2027-02-01T15:00:00+08:00", "endsAt": "2027-02-01T16:00:00+08:00", "venue": "礼堂", "expectedVersion": 1 } }))
        .await;
    let moved = &response.ok()["rescheduleJointActivity"]["jointActivity"];
    assert_eq!(moved["version"], 2);
    assert_eq!(moved["startsAt"], "2027-02-01T15:00:00+08:00");
    // A stale version is refused, never silently overwritten.
    let response = app
        .graphql(reschedule, json!({ "input": { "id": one, "startsAt": "2027-02-01T17:00:00+08:00", "endsAt": "2027-02-01T18:00:00+08:00", "expectedVersion": 1 } }))
        .await;
    assert_eq!(
        response.error("CONFLICT")["extensions"]["currentVersion"],
        2
    );
    let response = app
        .graphql(reschedule, json!({ "input": { "id": one, "startsAt": "2027-02-01T18:00:00+08:00", "endsAt": "2027-02-01T17:00:00+08:00" } }))
        .await;
    assert_eq!(
        response.error("BAD_USER_INPUT")["extensions"]["field"],
        "endsAt"
    );
}

#[tokio::test]
async fn two_schedules_racing_for_one_slot_cannot_both_succeed() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let (b, c) = (&w.orgs["B"], &w.orgs["C"]);
    for round in 0..3 {
        let starts = format!("2027-03-0{}T09:00:00+08:00", round + 1);
        let ends = format!("2027-03-0{}T10:00:00+08:00", round + 1);
        // Different hosts and venues; they share organization B.
        let (x, y) = tokio::join!(
            schedule(
                &app,
                input("甲", b, &[], &format!("甲地{round}"), &starts, &ends)
            ),
            schedule(
                &app,
                input("乙", c, &[b], &format!("乙地{round}"), &starts, &ends)
            ),
        );
        let ok = [&x, &y].iter().filter(|r| r.errors().is_empty()).count();
        assert_eq!(ok, 1, "{} / {}", x.body, y.body);
        assert!(
            [&x, &y]
                .iter()
                .any(|r| !r.errors().is_empty() && r.code() == "CONFLICT")
        );
    }
    assert_eq!(app.count_rows("joint_activity").await, 3);
}

#[tokio::test]
async fn the_status_machine_refuses_every_other_transition() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let a = &w.orgs["A"];
    let confirm = "mutation($id: ID!) { confirmJointActivity(input: { id: $id }) { jointActivity { status } } }";
    let cancel = "mutation($id: ID!, $reason: String!) { cancelJointActivity(input: { id: $id, reason: $reason }) { jointActivity { status cancelReason } } }";
    let complete = "mutation($id: ID!, $summary: String!) { completeJointActivity(input: { id: $id, summary: $summary }) { jointActivity { status summary attendeeCount } } }";
    let transition = |r: &Gql| {
        let e = r.error("INVALID_TRANSITION");
        (
            e["extensions"]["from"].as_str().unwrap().to_owned(),
            e["extensions"]["to"].as_str().unwrap().to_owned(),
        )
    };

    // A past activity: planned -> completed is refused, confirmed -> completed works once.
    let past = id_of(
        &schedule(
            &app,
            input(
                "已开展",
                a,
                &[],
                "广场",
                "2026-11-01T09:00:00+08:00",
                "2026-11-01T11:00:00+08:00",
            ),
        )
        .await,
    );
    let r = app
        .graphql(complete, json!({ "id": past, "summary": "总结" }))
        .await;
    assert_eq!(transition(&r), ("PLANNED".into(), "COMPLETED".into()));
    app.graphql(confirm, json!({ "id": past })).await.ok();
    let r = app.graphql(confirm, json!({ "id": past })).await;
    assert_eq!(transition(&r), ("CONFIRMED".into(), "CONFIRMED".into()));
    let r = app
        .graphql(complete, json!({ "id": past, "summary": "  " }))
        .await;
    assert_eq!(r.error("BAD_USER_INPUT")["extensions"]["field"], "summary");
    let r = app
        .graphql(
            complete,
            json!({ "id": past, "summary": "开展顺利。\n参加 12 人。" }),
        )
        .await;
    assert_eq!(
        r.ok()["completeJointActivity"]["jointActivity"]["status"],
        "COMPLETED"
    );
    assert_eq!(
        r.ok()["completeJointActivity"]["jointActivity"]["summary"],
        "开展顺利。\n参加 12 人。"
    );
    for (query, vars, expected) in [
        (
            complete,
            json!({ "id": past, "summary": "再次" }),
            ("COMPLETED", "COMPLETED"),
        ),
        (confirm, json!({ "id": past }), ("COMPLETED", "CONFIRMED")),
        (
            cancel,
            json!({ "id": past, "reason": "取消" }),
            ("COMPLETED", "CANCELLED"),
        ),
    ] {
        let r = app.graphql(query, vars).await;
        assert_eq!(
            transition(&r),
            (expected.0.to_owned(), expected.1.to_owned())
        );
    }

    // A future activity cannot be completed before it starts; cancelled is final.
    let future = id_of(
        &schedule(
            &app,
            input(
                "未开展",
                a,
                &[],
                "广场",
                "2027-05-01T09:00:00+08:00",
                "2027-05-01T11:00:00+08:00",
            ),
        )
        .await,
    );
    app.graphql(confirm, json!({ "id": future })).await.ok();
    let r = app
        .graphql(complete, json!({ "id": future, "summary": "总结" }))
        .await;
    r.error("BAD_USER_INPUT");
    let r = app
        .graphql(cancel, json!({ "id": future, "reason": "" }))
        .await;
    assert_eq!(r.error("BAD_USER_INPUT")["extensions"]["field"], "reason");
    let r = app
        .graphql(cancel, json!({ "id": future, "reason": "台风" }))
        .await;
    assert_eq!(
        r.ok()["cancelJointActivity"]["jointActivity"]["cancelReason"],
        "台风"
    );
    for (query, vars, to) in [
        (confirm, json!({ "id": future }), "CONFIRMED"),
        (
            cancel,
            json!({ "id": future, "reason": "又取消" }),
            "CANCELLED",
        ),
    ] {
        let r = app.graphql(query, vars).await;
        assert_eq!(transition(&r), ("CANCELLED".into(), to.into()));
    }
    let reschedule = "mutation($id: ID!) { rescheduleJointActivity(input: { id: $id, startsAt: \"2027-06-01T09:00:00+08:00\", endsAt: \"2027-06-01T10:00:00+08:00\" }) { jointActivity { id } } }";
    let r = app.graphql(reschedule, json!({ "id": future })).await;
    assert_eq!(transition(&r), ("CANCELLED".into(), "RESCHEDULED".into()));
}

async fn person(app: &TestApp, name: &str, org: &str) -> String {
    let r = app
        .graphql(
            "mutation($input: CreatePersonInput!) { createPerson(input: $input) { person { id } } }",
            json!({ "input": { "name": name, "politicalStatus": "FULL_MEMBER", "organizationId": org } }),
        )
        .await;
    r.ok()["createPerson"]["person"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn attendance_is_idempotent_limited_to_participants_and_capacity() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let (a, b, c) = (&w.orgs["A"], &w.orgs["B"], &w.orgs["C"]);
    let mut with_capacity = input(
        "志愿服务",
        a,
        &[b],
        "景区入口",
        "2027-04-01T09:00:00+08:00",
        "2027-04-01T11:00:00+08:00",
    );
    with_capacity["capacity"] = json!(2);
    let activity = id_of(&schedule(&app, with_capacity).await);
    let p1 = person(&app, "张一", a).await;
    let p2 = person(&app, "李二", b).await;
    let p3 = person(&app, "王三", b).await;
    let outsider = person(&app, "赵四", c).await;
    let record = "mutation($input: RecordAttendanceInput!) { recordAttendance(input: $input) {
        recorded jointActivity { attendeeCount attendance { totalCount edges { node { person { name } organization { name } } } } } } }";
    let r = app
        .graphql(
            record,
            json!({ "input": { "activityId": activity, "personIds": [p1] } }),
        )
        .await;
    assert_eq!(r.ok()["recordAttendance"]["recorded"], 1);
    let r = app
        .graphql(
            record,
            json!({ "input": { "activityId": activity, "personIds": [p1] } }),
        )
        .await;
    assert_eq!(r.ok()["recordAttendance"]["recorded"], 0);
    assert_eq!(
        r.ok()["recordAttendance"]["jointActivity"]["attendeeCount"],
        1
    );
    let r = app
        .graphql(
            record,
            json!({ "input": { "activityId": activity, "personIds": [outsider] } }),
        )
        .await;
    assert_eq!(
        r.error("BAD_USER_INPUT")["extensions"]["field"],
        "personIds"
    );
    let r = app
        .graphql(
            record,
            json!({ "input": { "activityId": activity, "personIds": [p2, p3] } }),
        )
        .await;
    assert_eq!(r.error("CONFLICT")["extensions"]["field"], "personIds");
    assert_eq!(app.count_rows("attendance").await, 1);
    let r = app
        .graphql(
            record,
            json!({ "input": { "activityId": activity, "personIds": [p2] } }),
        )
        .await;
    let after = &r.ok()["recordAttendance"]["jointActivity"];
    assert_eq!(after["attendeeCount"], 2);
    assert_eq!(after["attendance"]["totalCount"], 2);
    assert_eq!(
        after["attendance"]["edges"][1]["node"]["organization"]["name"],
        "南平村党支部"
    );
}

/// Checking in one person or five costs the same statements (the check-ins are one insert), and
/// so do organizations scheduled together (the participants are one insert).
#[tokio::test]
async fn check_ins_and_participants_cost_the_same_for_one_or_many() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let (a, b, c) = (&w.orgs["A"], &w.orgs["B"], &w.orgs["C"]);
    let record =
        "mutation($input: RecordAttendanceInput!) { recordAttendance(input: $input) { recorded } }";
    let mut check_ins = Vec::new();
    let mut schedules = Vec::new();
    for (n, day, guests) in [
        (1, "2027-05-03", vec![b.as_str()]),
        (5, "2027-05-04", vec![b.as_str(), c.as_str()]),
    ] {
        let booking = input(
            "学习会",
            a,
            &guests,
            "礼堂",
            &format!("{day}T09:00:00+08:00"),
            &format!("{day}T10:00:00+08:00"),
        );
        let before = app.sql_statements().await;
        let scheduled = app.graphql(SCHEDULE_ID, json!({ "input": booking })).await;
        schedules.push(app.sql_statements().await - before);
        let activity = scheduled.ok()["scheduleJointActivity"]["jointActivity"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let mut people = Vec::new();
        for i in 0..n {
            let org = if i % 2 == 0 { a } else { b };
            people.push(person(&app, &format!("参会者{n}-{i}"), org).await);
        }
        let before = app.sql_statements().await;
        let r = app
            .graphql(
                record,
                json!({ "input": { "activityId": activity, "personIds": people } }),
            )
            .await;
        check_ins.push(app.sql_statements().await - before);
        assert_eq!(r.ok()["recordAttendance"]["recorded"], n);
    }
    assert_eq!(
        check_ins[0], check_ins[1],
        "check-ins of 1 and 5: {check_ins:?}"
    );
    assert_eq!(
        schedules[0], schedules[1],
        "with 1 and 2 guests: {schedules:?}"
    );
}

#[tokio::test]
async fn only_participants_and_their_committees_see_an_activity() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let (a, a1, b, c) = (&w.orgs["A"], &w.orgs["A1"], &w.orgs["B"], &w.orgs["C"]);
    let activity = id_of(
        &schedule(
            &app,
            input(
                "联合巡逻",
                a1,
                &[b],
                "河堤",
                "2027-04-02T09:00:00+08:00",
                "2027-04-02T11:00:00+08:00",
            ),
        )
        .await,
    );
    let member_c = app
        .user_with(
            "member-c",
            &[(Role::Member, GrantScope::Organization(uuid_of(c)))],
        )
        .await;
    let member_b = app
        .user_with(
            "member-b",
            &[(Role::Member, GrantScope::Organization(uuid_of(b)))],
        )
        .await;
    let secretary_a = app
        .user_with(
            "sec-a",
            &[(Role::OrgSecretary, GrantScope::Organization(uuid_of(a)))],
        )
        .await;
    let staff = app
        .user_with(
            "staff",
            &[(
                Role::CommitteeStaff,
                GrantScope::LinkageGroup(uuid_of(&w.group)),
            )],
        )
        .await;
    let list = "{ jointActivities { totalCount edges { node { title } } } }";
    let node = "query($id: ID!) { node(id: $id) { ... on JointActivity { title } } }";
    let single = "query($id: ID!) { jointActivity(id: $id) { title } }";
    for (token, visible) in [
        (&member_c, false),
        (&member_b, true),
        (&secretary_a, true),
        (&staff, true),
    ] {
        let r = app.graphql_as(Some(token), list, json!({})).await;
        assert_eq!(
            r.ok()["jointActivities"]["totalCount"],
            if visible { 1 } else { 0 }
        );
        let r = app
            .graphql_as(Some(token), node, json!({ "id": activity }))
            .await;
        assert_eq!(r.ok()["node"].is_null(), !visible);
        let r = app
            .graphql_as(Some(token), single, json!({ "id": activity }))
            .await;
        if visible {
            assert_eq!(r.ok()["jointActivity"]["title"], "联合巡逻");
        } else {
            r.error("NOT_FOUND");
        }
    }
    // A secretary schedules activities hosted in their subtree and may invite anyone...
    let r = app
        .graphql_as(Some(&secretary_a), SCHEDULE, json!({ "input": input("学习", a, &[c], "会议室", "2027-04-03T09:00:00+08:00", "2027-04-03T10:00:00+08:00") }))
        .await;
    assert!(r.errors().is_empty(), "{}", r.body);
    // ...but not activities hosted elsewhere; members schedule nothing.
    let r = app
        .graphql_as(Some(&secretary_a), SCHEDULE, json!({ "input": input("越权", c, &[], "会议室2", "2027-04-04T09:00:00+08:00", "2027-04-04T10:00:00+08:00") }))
        .await;
    r.error("FORBIDDEN");
    let r = app
        .graphql_as(Some(&member_b), SCHEDULE, json!({ "input": input("越权", b, &[], "会议室3", "2027-04-05T09:00:00+08:00", "2027-04-05T10:00:00+08:00") }))
        .await;
    r.error("FORBIDDEN");
    // Member C now sees the activity it was invited to, and only that one.
    let r = app.graphql_as(Some(&member_c), list, json!({})).await;
    assert_eq!(
        r.ok()["jointActivities"]["edges"][0]["node"]["title"],
        "学习"
    );
    assert_eq!(r.ok()["jointActivities"]["totalCount"], 1);
}

#[tokio::test]
async fn an_activity_at_half_past_eleven_in_shanghai_falls_on_that_date() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let a = &w.orgs["A"];
    let r = schedule(
        &app,
        input(
            "夜间巡逻",
            a,
            &[],
            "景区",
            "2026-12-01T15:30:00Z",
            "2026-12-01T15:50:00Z",
        ),
    )
    .await;
    let activity = &r.ok()["scheduleJointActivity"]["jointActivity"];
    assert_eq!(activity["startsAt"], "2026-12-01T23:30:00+08:00");
    assert_eq!(activity["startsOn"], "2026-12-01");
    let query =
        "query($filter: JointActivityFilter) { jointActivities(filter: $filter) { totalCount } }";
    for (from, to, expected) in [
        ("2026-12-01", "2026-12-01", 1),
        ("2026-12-02", "2026-12-02", 0),
        ("2026-11-30", "2026-11-30", 0),
    ] {
        let r = app
            .graphql(
                query,
                json!({ "filter": { "fromDate": from, "toDate": to } }),
            )
            .await;
        assert_eq!(
            r.ok()["jointActivities"]["totalCount"],
            expected,
            "{from}..{to}"
        );
    }
    let r = app
        .graphql(query, json!({ "filter": { "from": "2026-12-01T00:00:00+08:00", "to": "2026-12-02T00:00:00+08:00", "statuses": ["PLANNED"], "kinds": ["THEMED_PARTY_DAY"] } }))
        .await;
    assert_eq!(r.ok()["jointActivities"]["totalCount"], 1);
    let r = app
        .graphql(
            query,
            json!({ "filter": { "organizationId": a, "statuses": ["CANCELLED"] } }),
        )
        .await;
    assert_eq!(r.ok()["jointActivities"]["totalCount"], 0);
}

#[tokio::test]
async fn a_page_of_activities_costs_the_same_statements_for_5_or_30() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let (a, b, c) = (&w.orgs["A"], &w.orgs["B"], &w.orgs["C"]);
    for day in 1..=30 {
        schedule(
            &app,
            input(
                &format!("活动{day:02}"),
                a,
                &[b, c],
                &format!("地点{day}"),
                &format!("2027-07-{day:02}T09:00:00+08:00"),
                &format!("2027-07-{day:02}T10:00:00+08:00"),
            ),
        )
        .await
        .ok();
    }
    let query = "query($first: Int) { jointActivities(first: $first) { edges { node {
        title host { name } participants { role organization { name } } linkageGroup { name } attendeeCount } } } }";
    let mut costs = Vec::new();
    for first in [5, 30] {
        let before = app.sql_statements().await;
        let r = app.graphql(query, json!({ "first": first })).await;
        let edges = r.ok()["jointActivities"]["edges"]
            .as_array()
            .unwrap()
            .clone();
        assert_eq!(edges.len(), first);
        assert_eq!(
            edges[0]["node"]["participants"].as_array().unwrap().len(),
            3
        );
        costs.push(app.sql_statements().await - before);
    }
    assert_eq!(costs[0], costs[1], "{costs:?}");
    assert!(costs[1] <= 7, "{costs:?}");
}

const SCHEDULE_DETAILED: &str = "mutation($input: ScheduleJointActivityInput!) {
    scheduleJointActivity(input: $input) {
        jointActivity { id }
        acceptedConflicts { jointActivity { id title description venue participants { organization { name } } }
            organization { name } venue startsAt endsAt } } }";

/// The text of an answer must not carry anything of a hidden activity.
fn assert_discloses_nothing(response: &Gql, hidden: &[&str]) {
    let text = response.body.to_string();
    for secret in hidden {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
}

#[tokio::test]
async fn a_clash_with_an_unreadable_activity_is_busy_time_only() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let (a, a1, b, c) = (&w.orgs["A"], &w.orgs["A1"], &w.orgs["B"], &w.orgs["C"]);
    // C alone holds a meeting nobody of A or of the group may read.
    let mut hidden = input(
        "保密会议",
        c,
        &[],
        "Village Hall",
        "2027-07-01T09:00:00+08:00",
        "2027-07-01T11:00:00+08:00",
    );
    hidden["description"] = json!("内部事项");
    let hidden_id = id_of(&schedule(&app, hidden).await);
    let readable_id = id_of(
        &schedule(
            &app,
            input(
                "公开学习",
                a,
                &[],
                "礼堂",
                "2027-07-01T09:00:00+08:00",
                "2027-07-01T10:00:00+08:00",
            ),
        )
        .await,
    );
    let secrets = [hidden_id.as_str(), "保密会议", "内部事项", "Village Hall"];
    let secretary = app
        .user_with(
            "sec-a",
            &[(Role::OrgSecretary, GrantScope::Organization(uuid_of(a)))],
        )
        .await;
    let staff = app
        .user_with(
            "staff",
            &[(
                Role::CommitteeStaff,
                GrantScope::LinkageGroup(uuid_of(&w.group)),
            )],
        )
        .await;
    let node = "query($id: ID!) { node(id: $id) { id } }";
    for token in [&secretary, &staff] {
        let r = app
            .graphql_as(Some(token), node, json!({ "id": hidden_id }))
            .await;
        assert!(r.ok()["node"].is_null());
    }

    // The secretary invites C over C's meeting, and A over A's own readable one.
    let request = input(
        "联合学习",
        a,
        &[c],
        "会议室",
        "2027-07-01T09:30:00+08:00",
        "2027-07-01T10:30:00+08:00",
    );
    let r = app
        .graphql_as(
            Some(&secretary),
            SCHEDULE_DETAILED,
            json!({ "input": request }),
        )
        .await;
    let conflicts = r.error("CONFLICT")["extensions"]["conflicts"].clone();
    assert_eq!(
        conflicts,
        json!([
            { "activityId": readable_id, "organizationId": a, "venue": null,
              "startsAt": "2027-07-01T01:00:00Z", "endsAt": "2027-07-01T02:00:00Z" },
            { "activityId": null, "organizationId": c, "venue": null,
              "startsAt": "2027-07-01T01:00:00Z", "endsAt": "2027-07-01T03:00:00Z" },
        ])
    );
    assert_discloses_nothing(&r, &secrets);

    let mut forced = request.clone();
    forced["allowConflicts"] = json!(true);
    let r = app
        .graphql_as(
            Some(&secretary),
            SCHEDULE_DETAILED,
            json!({ "input": forced }),
        )
        .await;
    let payload = r.ok()["scheduleJointActivity"].clone();
    assert_eq!(
        payload["acceptedConflicts"],
        json!([
            { "jointActivity": { "id": readable_id, "title": "公开学习", "description": null,
                "venue": "礼堂", "participants": [{ "organization": { "name": "风景区党委" } }] },
              "organization": { "name": "风景区党委" }, "venue": null,
              "startsAt": "2027-07-01T09:00:00+08:00", "endsAt": "2027-07-01T10:00:00+08:00" },
            { "jointActivity": null, "organization": { "name": "石坑村党支部" }, "venue": null,
              "startsAt": "2027-07-01T09:00:00+08:00", "endsAt": "2027-07-01T11:00:00+08:00" },
        ])
    );
    assert_discloses_nothing(&r, &secrets);
    let booked = payload["jointActivity"]["id"].as_str().unwrap().to_owned();

    // The venue alone: the caller's own text comes back, not the other activity's.
    let r = app
        .graphql_as(
            Some(&secretary),
            SCHEDULE_DETAILED,
            json!({ "input": input("宣讲", a1, &[], "village hall", "2027-07-01T10:00:00+08:00", "2027-07-01T10:30:00+08:00") }),
        )
        .await;
    assert_eq!(
        r.error("CONFLICT")["extensions"]["conflicts"],
        json!([{ "activityId": null, "organizationId": null, "venue": "village hall",
                 "startsAt": "2027-07-01T01:00:00Z", "endsAt": "2027-07-01T03:00:00Z" }])
    );
    assert_discloses_nothing(&r, &secrets);

    // Committee staff meet the hidden meeting through the venue only.
    let r = app
        .graphql_as(
            Some(&staff),
            SCHEDULE_DETAILED,
            json!({ "input": input("巡河", a, &[b], "VILLAGE HALL", "2027-07-01T10:30:00+08:00", "2027-07-01T11:00:00+08:00") }),
        )
        .await;
    assert_eq!(
        r.error("CONFLICT")["extensions"]["conflicts"],
        json!([{ "activityId": null, "organizationId": null, "venue": "VILLAGE HALL",
                 "startsAt": "2027-07-01T01:00:00Z", "endsAt": "2027-07-01T03:00:00Z" }])
    );
    assert_discloses_nothing(&r, &secrets);

    // Rescheduling onto another hidden booking of C: by organization and by venue.
    let other_hidden = id_of(
        &schedule(
            &app,
            input(
                "保密二",
                c,
                &[],
                "Barn",
                "2027-07-02T14:00:00+08:00",
                "2027-07-02T16:00:00+08:00",
            ),
        )
        .await,
    );
    let reschedule = "mutation($input: RescheduleJointActivityInput!) { rescheduleJointActivity(input: $input) {
        jointActivity { id } acceptedConflicts { jointActivity { title } organization { name } venue startsAt endsAt } } }";
    let moved = json!({ "id": booked, "startsAt": "2027-07-02T14:30:00+08:00",
        "endsAt": "2027-07-02T15:00:00+08:00", "venue": "barn" });
    let r = app
        .graphql_as(Some(&secretary), reschedule, json!({ "input": moved }))
        .await;
    assert_eq!(
        r.error("CONFLICT")["extensions"]["conflicts"],
        json!([
            { "activityId": null, "organizationId": null, "venue": "barn",
              "startsAt": "2027-07-02T06:00:00Z", "endsAt": "2027-07-02T08:00:00Z" },
            { "activityId": null, "organizationId": c, "venue": null,
              "startsAt": "2027-07-02T06:00:00Z", "endsAt": "2027-07-02T08:00:00Z" },
        ])
    );
    assert_discloses_nothing(&r, &[other_hidden.as_str(), "保密二", "Barn"]);
    let mut forced = moved.clone();
    forced["allowConflicts"] = json!(true);
    let r = app
        .graphql_as(Some(&secretary), reschedule, json!({ "input": forced }))
        .await;
    assert_eq!(
        r.ok()["rescheduleJointActivity"]["acceptedConflicts"],
        json!([
            { "jointActivity": null, "organization": null, "venue": "barn",
              "startsAt": "2027-07-02T14:00:00+08:00", "endsAt": "2027-07-02T16:00:00+08:00" },
            { "jointActivity": null, "organization": { "name": "石坑村党支部" }, "venue": null,
              "startsAt": "2027-07-02T14:00:00+08:00", "endsAt": "2027-07-02T16:00:00+08:00" },
        ])
    );
    assert_discloses_nothing(&r, &[other_hidden.as_str(), "保密二", "Barn"]);
}

#[tokio::test]
async fn committee_staff_schedule_only_current_members_into_their_own_group() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let (a, a1, b, c) = (&w.orgs["A"], &w.orgs["A1"], &w.orgs["B"], &w.orgs["C"]);
    let other_group = app
        .graphql(
            "mutation($input: CreateLinkageGroupInput!) { createLinkageGroup(input: $input) { linkageGroup { id } } }",
            json!({ "input": { "name": "另一联建组", "leadOrganizationId": c, "memberOrganizationIds": [] } }),
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
                GrantScope::LinkageGroup(uuid_of(&w.group)),
            )],
        )
        .await;
    let secretary = app
        .user_with(
            "sec-a",
            &[(Role::OrgSecretary, GrantScope::Organization(uuid_of(a)))],
        )
        .await;
    let day = |n: u32| {
        (
            format!("2027-08-{n:02}T09:00:00+08:00"),
            format!("2027-08-{n:02}T10:00:00+08:00"),
        )
    };
    let with_group = |mut input: Value, group: &str| {
        input["linkageGroupId"] = json!(group);
        input
    };
    let before = app.count_rows("joint_activity").await;

    // Outside the group: a non-member participant, a non-member host, a member's sub-branch.
    for (n, host, participants) in [(1, a, vec![c]), (2, c, vec![]), (3, a, vec![a1])] {
        let (s, e) = day(n);
        let r = app
            .graphql_as(Some(&staff), SCHEDULE, json!({ "input": input("越界", host, &participants.iter().map(|p| p.as_str()).collect::<Vec<_>>(), "会场", &s, &e) }))
            .await;
        r.error("FORBIDDEN");
    }
    // Another group, which the staff cannot read: answered like a group that does not exist.
    let (s, e) = day(4);
    let r = app
        .graphql_as(
            Some(&staff),
            SCHEDULE,
            json!({ "input": with_group(input("越组", a, &[b], "会场", &s, &e), &other_group) }),
        )
        .await;
    assert_eq!(
        r.error("BAD_USER_INPUT")["extensions"]["field"],
        "linkageGroupId"
    );
    assert_eq!(app.count_rows("joint_activity").await, before);

    // Members, into their own group or none.
    let (s, e) = day(5);
    let r = app
        .graphql_as(
            Some(&staff),
            SCHEDULE,
            json!({ "input": with_group(input("联建", a, &[b], "会场", &s, &e), &w.group) }),
        )
        .await;
    assert_eq!(
        r.ok()["scheduleJointActivity"]["jointActivity"]["title"],
        "联建"
    );
    let (s, e) = day(6);
    let r = app
        .graphql_as(
            Some(&staff),
            SCHEDULE,
            json!({ "input": input("联建二", b, &[a], "会场", &s, &e) }),
        )
        .await;
    assert_eq!(
        r.ok()["scheduleJointActivity"]["jointActivity"]["title"],
        "联建二"
    );

    // A secretary attaches only groups its host belongs to, and still invites anyone.
    let (s, e) = day(7);
    let r = app
        .graphql_as(
            Some(&secretary),
            SCHEDULE,
            json!({ "input": with_group(input("越组", a, &[], "会场", &s, &e), &other_group) }),
        )
        .await;
    assert_eq!(
        r.error("BAD_USER_INPUT")["extensions"]["field"],
        "linkageGroupId"
    );
    let r = app
        .graphql_as(
            Some(&secretary),
            SCHEDULE,
            json!({ "input": with_group(input("组内", a, &[c], "会场", &s, &e), &w.group) }),
        )
        .await;
    assert_eq!(
        r.ok()["scheduleJointActivity"]["jointActivity"]["title"],
        "组内"
    );

    // Once B has left the group, the staff no longer book it.
    app.graphql(
        "mutation($g: ID!, $o: ID!) { removeLinkageGroupMember(input: { linkageGroupId: $g, organizationId: $o }) { linkageGroup { id } } }",
        json!({ "g": w.group, "o": b }),
    )
    .await
    .ok();
    let (s, e) = day(8);
    let r = app
        .graphql_as(
            Some(&staff),
            SCHEDULE,
            json!({ "input": input("离组", a, &[b], "会场", &s, &e) }),
        )
        .await;
    r.error("FORBIDDEN");
    assert_eq!(app.count_rows("joint_activity").await, before + 3);
}

#[tokio::test]
async fn attendance_errors_name_nobody() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let (a, c) = (&w.orgs["A"], &w.orgs["C"]);
    let activity = id_of(
        &schedule(
            &app,
            input(
                "志愿服务",
                a,
                &[],
                "景区入口",
                "2027-04-01T09:00:00+08:00",
                "2027-04-01T11:00:00+08:00",
            ),
        )
        .await,
    );
    let outsider = person(&app, "赵四保密", c).await;
    let secretary = app
        .user_with(
            "sec-a",
            &[(Role::OrgSecretary, GrantScope::Organization(uuid_of(a)))],
        )
        .await;
    let record =
        "mutation($input: RecordAttendanceInput!) { recordAttendance(input: $input) { recorded } }";
    let r = app
        .graphql_as(
            Some(&secretary),
            record,
            json!({ "input": { "activityId": activity, "personIds": [outsider] } }),
        )
        .await;
    let error = r.error("BAD_USER_INPUT");
    assert_eq!(error["extensions"]["field"], "personIds");
    assert_discloses_nothing(&r, &["赵四保密", outsider.as_str()]);
    // Someone who does not exist gets the very same answer.
    let missing = ids::encode(ids::NodeKind::Person, uuid::Uuid::now_v7()).0;
    let r2 = app
        .graphql_as(
            Some(&secretary),
            record,
            json!({ "input": { "activityId": activity, "personIds": [missing] } }),
        )
        .await;
    assert_eq!(r2.error("BAD_USER_INPUT")["message"], error["message"]);
    assert_eq!(app.count_rows("attendance").await, 0);
}

/// `from` keeps every activity that ends after it, the ones running at that moment (however
/// long ago they started) first, in start order, on every page.
#[tokio::test]
async fn from_lists_the_activities_running_then_and_the_later_ones_in_start_order() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let (a, a1, b, c) = (&w.orgs["A"], &w.orgs["A1"], &w.orgs["B"], &w.orgs["C"]);
    for (title, host, venue, starts, ends) in [
        (
            "二十天",
            a,
            "一号",
            "2026-11-20T09:00:00Z",
            "2026-12-10T09:00:00Z",
        ),
        (
            "跨夜",
            b,
            "二号",
            "2026-11-30T20:00:00Z",
            "2026-12-01T02:00:00Z",
        ),
        (
            "上午",
            c,
            "三号",
            "2026-11-30T10:00:00Z",
            "2026-11-30T12:00:00Z",
        ),
        (
            "零点止",
            c,
            "三号",
            "2026-11-30T22:00:00Z",
            "2026-12-01T00:00:00Z",
        ),
        (
            "零点起",
            a1,
            "四号",
            "2026-12-01T00:00:00Z",
            "2026-12-01T02:00:00Z",
        ),
        (
            "三日",
            c,
            "三号",
            "2026-12-03T09:00:00Z",
            "2026-12-03T11:00:00Z",
        ),
        (
            "十月",
            b,
            "二号",
            "2026-10-01T00:00:00Z",
            "2026-10-31T00:00:00Z",
        ),
    ] {
        id_of(&schedule(&app, input(title, host, &[], venue, starts, ends)).await);
    }
    let query = "query($from: DateTime!, $after: String) { jointActivities(filter: { from: $from }, first: 2, after: $after) { \
                 totalCount countUpTo(limit: 2) { count exact } nodes { title } pageInfo { hasNextPage endCursor } } }";
    for (from, expected) in [
        (
            "2026-12-01T00:00:00Z",
            &["二十天", "跨夜", "零点起", "三日"][..],
        ),
        ("2026-12-05T00:00:00Z", &["二十天"][..]),
        (
            "2026-11-30T11:00:00Z",
            &["二十天", "上午", "跨夜", "零点止", "零点起", "三日"][..],
        ),
        (
            "2026-12-01T01:59:59Z",
            &["二十天", "跨夜", "零点起", "三日"][..],
        ),
        ("2026-12-20T00:00:00Z", &[][..]),
    ] {
        let mut titles = Vec::new();
        let mut after = Value::Null;
        loop {
            let r = app
                .graphql(query, json!({ "from": from, "after": after }))
                .await;
            let page = r.ok()["jointActivities"].clone();
            assert_eq!(page["totalCount"], expected.len(), "from {from}");
            assert_eq!(
                page["countUpTo"],
                json!({ "count": expected.len().min(2), "exact": expected.len() <= 2 }),
                "from {from}"
            );
            for node in page["nodes"].as_array().unwrap() {
                titles.push(node["title"].as_str().unwrap().to_owned());
            }
            if !page["pageInfo"]["hasNextPage"].as_bool().unwrap() {
                break;
            }
            after = page["pageInfo"]["endCursor"].clone();
        }
        assert_eq!(titles, expected, "from {from}");
    }
}
