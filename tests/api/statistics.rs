//! `statistics`: a group's ledger and activities over a period, against figures worked out by
//! hand from a small data set built through the API on a manual clock, and who may read them.
//!
//! The data set (dates are Asia/Shanghai dates; the 2026 calendar has 09-25 and 10-01 to 10-07
//! off, and Saturday 10-10 as a make-up working day). Organizations: A 风景区党委 (the group's
//! lead), B 南平村党支部, C 石坑村党支部, D 龙门村党支部, all in group G; group H (lead C, member
//! A) is another committee. Names sort by code point: 南 (U+5357) < 石 (U+77F3) < 风 (U+98CE).
//!
//! | item | lead | co   | opened | due         | what happened                                     | on 11-10    |
//! |------|------|------|--------|-------------|---------------------------------------------------|-------------|
//! | I1   | A    | B, D | 09-28  | 10-09       | submitted 10-09, closed 10-12 (on time)           | CLOSED      |
//! | I2   | B    | C    | 10-09  | 10-16       | submitted 10-20, closed 10-21 (late)              | CLOSED      |
//! | I3   | A    |      | 09-21  | 09-30→10-16 | extended 10-01 07:00 local (09-30 UTC), submitted 10-16, closed 10-20 | CLOSED |
//! | I4   | C    | A, B | 10-14  | 10-23       | started 10-15                                     | overdue     |
//! | I5   | B    |      | 10-20  | 10-27       | submitted 10-26                                   | not overdue |
//! | I6   | A    | C    | 10-22  | 10-29       | submitted 11-02                                   | overdue     |
//! | I7   | C    |      | 10-26  | 11-30       | cancelled 10-28                                   | CANCELLED   |
//! | I8   | B    |      | 10-30  | 11-06→11-20 | extended 11-01 00:30 local (10-31 UTC)            | not overdue |
//! | I9   | C    |      | 11-02  | 11-05       |                                                   | overdue     |
//! | I10  | A    |      | 10-13  | 10-20       | submitted 10-19, closed 10-20, reopened 10-27     | overdue     |
//! | X1   | A (group H) |  | 10-15 | 10-20      |                                                   | overdue     |
//!
//! Activities (local times): in G, 10-01 00:00 THEMED_PARTY_DAY A+B+C completed; 10-15
//! STUDY_SESSION B+A completed; 10-20 THEMED_PARTY_DAY C+A completed; 10-22 PATROL A+C
//! cancelled; 10-25 MEDIATION C confirmed only; 10-31 23:30 VOLUNTEER_SERVICE B completed;
//! 11-01 00:00 STUDY_SESSION A completed; 09-30 23:00 THEMED_PARTY_DAY A+B completed. Elsewhere:
//! 10-10 JOINT_MEETING A+B in H, 10-12 PUBLICITY B in no group, both completed.

use chrono::{DateTime, Utc};
use lianjian_api::{authz::Role, graphql::ids, services::accounts::GrantScope};
use serde_json::{Value, json};

use crate::helpers::TestApp;

const STATISTICS: &str = "query($group: ID!, $from: Date!, $to: Date!) {
    statistics(linkageGroupId: $group, from: $from, to: $to) {
        linkageGroup { name } from to asOf
        supervision {
            opened closed closedOnTime closedLate overdueNow extended
            onTimeRate { numerator denominator value asOf }
            averageWorkingDaysToClose
            byOrganization { organization { name } lead coResponsible closed closedOnTime
                overdueNow onTimeRate { numerator denominator value asOf } }
        }
        activities {
            held cancelled
            byKind { kind count }
            participationByOrganization { organization { name } count }
        }
    } }";

const A: &str = "风景区党委";
const B: &str = "南平村党支部";
const C: &str = "石坑村党支部";
const D: &str = "龙门村党支部";

fn instant(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
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
    orgs: std::collections::HashMap<&'static str, String>,
    group: String,
    other_group: String,
}

impl World {
    /// Moves the clock to a local date and time.
    fn at(&self, local: &str) {
        self.app.state.clock.set(instant(local));
    }

    /// Moves the clock to 10:00 of a local date.
    fn on(&self, date: &str) {
        self.at(&format!("{date}T10:00:00+08:00"));
    }

    async fn create_group(&self, name: &str, lead: &str, members: &[&str]) -> String {
        let members: Vec<&String> = members.iter().map(|m| &self.orgs[m]).collect();
        self.app
            .graphql(
                "mutation($input: CreateLinkageGroupInput!) { createLinkageGroup(input: $input) { linkageGroup { id } } }",
                json!({ "input": { "name": name, "leadOrganizationId": self.orgs[lead],
                    "memberOrganizationIds": members } }),
            )
            .await
            .ok()["createLinkageGroup"]["linkageGroup"]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Opens an item today (the clock's date) in `group`.
    async fn open_in(&self, group: &str, lead: &str, co: &[&str], due: &str) -> String {
        let co: Vec<&String> = co.iter().map(|o| &self.orgs[o]).collect();
        self.app
            .graphql(
                "mutation($input: OpenSupervisionItemInput!) { openSupervisionItem(input: $input) { supervisionItem { id openedOn } } }",
                json!({ "input": { "title": format!("督办事项 {lead} {due}"), "source": "JOINT_MEETING",
                    "linkageGroupId": group, "leadOrganizationId": self.orgs[lead],
                    "coResponsibleOrganizationIds": co, "dueOn": due } }),
            )
            .await
            .ok()["openSupervisionItem"]["supervisionItem"]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn open(&self, lead: &str, co: &[&str], due: &str) -> String {
        self.open_in(&self.group.clone(), lead, co, due).await
    }

    /// One of the status moves, as the administrator; answers the new status.
    async fn mv(&self, mutation: &str, id: &str) -> String {
        let query = format!(
            "mutation($input: SupervisionTransitionInput!) {{ {mutation}(input: $input) {{ supervisionItem {{ status }} }} }}"
        );
        self.app
            .graphql(&query, json!({ "input": { "id": id, "note": "理由" } }))
            .await
            .ok()[mutation]["supervisionItem"]["status"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn extend(&self, id: &str, due: &str) {
        self.app
            .graphql(
                "mutation($input: ExtendSupervisionDeadlineInput!) { extendSupervisionDeadline(input: $input) { supervisionItem { dueOn } } }",
                json!({ "input": { "id": id, "dueOn": due, "reason": "汛期施工受阻" } }),
            )
            .await
            .ok();
    }

    /// Schedules an activity and brings it to `status` (PLANNED, CONFIRMED, COMPLETED or
    /// CANCELLED).
    #[allow(clippy::too_many_arguments)]
    async fn activity(
        &self,
        group: Option<&str>,
        kind: &str,
        host: &str,
        participants: &[&str],
        starts: &str,
        ends: &str,
        status: &str,
    ) {
        let participants: Vec<&String> = participants.iter().map(|p| &self.orgs[p]).collect();
        let scheduled = self
            .app
            .graphql(
                "mutation($input: ScheduleJointActivityInput!) { scheduleJointActivity(input: $input) { jointActivity { id } } }",
                json!({ "input": { "title": format!("{kind} {starts}"), "kind": kind,
                    "hostOrganizationId": self.orgs[host], "participantOrganizationIds": participants,
                    "linkageGroupId": group, "venue": format!("党群服务中心 {starts}"),
                    "startsAt": starts, "endsAt": ends } }),
            )
            .await;
        let id = scheduled.ok()["scheduleJointActivity"]["jointActivity"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let steps: &[(&str, &str)] = match status {
            "PLANNED" => &[],
            "CONFIRMED" => &[("confirmJointActivity", "{ id: $id }")],
            "COMPLETED" => &[
                ("confirmJointActivity", "{ id: $id }"),
                (
                    "completeJointActivity",
                    "{ id: $id, summary: \"活动圆满完成\" }",
                ),
            ],
            "CANCELLED" => &[("cancelJointActivity", "{ id: $id, reason: \"天气原因\" }")],
            other => panic!("no such status {other}"),
        };
        for (mutation, input) in steps {
            let query = format!(
                "mutation($id: ID!) {{ {mutation}(input: {input}) {{ jointActivity {{ status }} }} }}"
            );
            self.app.graphql(&query, json!({ "id": id })).await.ok();
        }
    }

    async fn statistics(&self, token: Option<&str>, from: &str, to: &str) -> crate::helpers::Gql {
        self.app
            .graphql_as(
                token,
                STATISTICS,
                json!({ "group": self.group, "from": from, "to": to }),
            )
            .await
    }
}

/// Builds the data set of the module comment; the clock ends at 2026-11-10 10:00 local.
async fn world() -> World {
    let app = TestApp::spawn_at(instant("2026-09-01T10:00:00+08:00")).await;
    let area = app.create_area("温泉镇").await;
    let mut orgs = std::collections::HashMap::new();
    for (key, name) in [
        ("A", A),
        ("B", B),
        ("C", C),
        ("D", D),
        ("E", "外镇村党支部"),
    ] {
        let response = app
            .graphql(
                "mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id } } }",
                json!({ "input": { "name": name, "level": "BRANCH", "unitType": "VILLAGE", "areaId": area } }),
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
    let mut w = World {
        app,
        orgs,
        group: String::new(),
        other_group: String::new(),
    };
    w.group = w
        .create_group("温泉联建委员会", "A", &["B", "C", "D"])
        .await;
    w.other_group = w.create_group("邻镇联建组", "C", &["A"]).await;

    w.on("2026-09-21");
    let i3 = w.open("A", &[], "2026-09-30").await;
    w.on("2026-09-28");
    let i1 = w.open("A", &["B", "D"], "2026-10-09").await;
    w.on("2026-09-29");
    w.mv("startSupervisionItem", &i1).await;
    // 07:00 in Shanghai is still 09-30 in UTC: the extension counts for October.
    w.at("2026-10-01T07:00:00+08:00");
    w.extend(&i3, "2026-10-16").await;
    w.on("2026-10-08");
    w.mv("startSupervisionItem", &i3).await;
    w.on("2026-10-09");
    w.mv("submitSupervisionItem", &i1).await;
    let i2 = w.open("B", &["C"], "2026-10-16").await;
    w.on("2026-10-12");
    assert_eq!(w.mv("closeSupervisionItem", &i1).await, "CLOSED");
    w.mv("startSupervisionItem", &i2).await;
    w.on("2026-10-13");
    let i10 = w.open("A", &[], "2026-10-20").await;
    w.mv("startSupervisionItem", &i10).await;
    w.on("2026-10-14");
    let i4 = w.open("C", &["A", "B"], "2026-10-23").await;
    w.on("2026-10-15");
    w.mv("startSupervisionItem", &i4).await;
    let other_group = w.other_group.clone();
    w.open_in(&other_group, "A", &[], "2026-10-20").await;
    w.on("2026-10-16");
    w.mv("submitSupervisionItem", &i3).await;
    w.on("2026-10-19");
    w.mv("submitSupervisionItem", &i10).await;
    w.on("2026-10-20");
    assert_eq!(w.mv("closeSupervisionItem", &i3).await, "CLOSED");
    let i5 = w.open("B", &[], "2026-10-27").await;
    w.mv("submitSupervisionItem", &i2).await;
    w.mv("closeSupervisionItem", &i10).await;
    w.on("2026-10-21");
    assert_eq!(w.mv("closeSupervisionItem", &i2).await, "CLOSED");
    w.mv("startSupervisionItem", &i5).await;
    w.on("2026-10-22");
    let i6 = w.open("A", &["C"], "2026-10-29").await;
    w.on("2026-10-23");
    w.mv("startSupervisionItem", &i6).await;
    w.on("2026-10-26");
    assert_eq!(w.mv("submitSupervisionItem", &i5).await, "PENDING_REVIEW");
    let i7 = w.open("C", &[], "2026-11-30").await;
    w.on("2026-10-27");
    assert_eq!(w.mv("reopenSupervisionItem", &i10).await, "REOPENED");
    w.on("2026-10-28");
    assert_eq!(w.mv("cancelSupervisionItem", &i7).await, "CANCELLED");
    w.on("2026-10-30");
    let i8 = w.open("B", &[], "2026-11-06").await;
    // 00:30 in Shanghai is still 10-31 in UTC: the extension counts for November.
    w.at("2026-11-01T00:30:00+08:00");
    w.extend(&i8, "2026-11-20").await;
    w.on("2026-11-02");
    w.open("C", &[], "2026-11-05").await;
    assert_eq!(w.mv("submitSupervisionItem", &i6).await, "PENDING_REVIEW");
    w.on("2026-11-10");

    let g = Some(w.group.clone());
    let g = g.as_deref();
    let h = Some(w.other_group.clone());
    for (group, kind, host, participants, starts, ends, status) in [
        (
            g,
            "THEMED_PARTY_DAY",
            "A",
            &["B"][..],
            "2026-09-30T23:00:00+08:00",
            "2026-09-30T23:59:00+08:00",
            "COMPLETED",
        ),
        (
            g,
            "THEMED_PARTY_DAY",
            "A",
            &["B", "C"][..],
            "2026-10-01T00:00:00+08:00",
            "2026-10-01T02:00:00+08:00",
            "COMPLETED",
        ),
        (
            h.as_deref(),
            "JOINT_MEETING",
            "A",
            &["B"][..],
            "2026-10-10T09:00:00+08:00",
            "2026-10-10T11:00:00+08:00",
            "COMPLETED",
        ),
        (
            None,
            "PUBLICITY",
            "B",
            &[][..],
            "2026-10-12T09:00:00+08:00",
            "2026-10-12T11:00:00+08:00",
            "COMPLETED",
        ),
        (
            g,
            "STUDY_SESSION",
            "B",
            &["A"][..],
            "2026-10-15T09:00:00+08:00",
            "2026-10-15T11:00:00+08:00",
            "COMPLETED",
        ),
        (
            g,
            "THEMED_PARTY_DAY",
            "C",
            &["A"][..],
            "2026-10-20T09:00:00+08:00",
            "2026-10-20T11:00:00+08:00",
            "COMPLETED",
        ),
        (
            g,
            "PATROL",
            "A",
            &["C"][..],
            "2026-10-22T09:00:00+08:00",
            "2026-10-22T11:00:00+08:00",
            "CANCELLED",
        ),
        (
            g,
            "MEDIATION",
            "C",
            &[][..],
            "2026-10-25T09:00:00+08:00",
            "2026-10-25T11:00:00+08:00",
            "CONFIRMED",
        ),
        (
            g,
            "VOLUNTEER_SERVICE",
            "B",
            &[][..],
            "2026-10-31T23:30:00+08:00",
            "2026-10-31T23:50:00+08:00",
            "COMPLETED",
        ),
        (
            g,
            "STUDY_SESSION",
            "A",
            &[][..],
            "2026-11-01T00:00:00+08:00",
            "2026-11-01T01:00:00+08:00",
            "COMPLETED",
        ),
    ] {
        w.activity(group, kind, host, participants, starts, ends, status)
            .await;
    }
    w
}

fn rate(numerator: i64, denominator: i64, value: Value) -> Value {
    json!({ "numerator": numerator, "denominator": denominator, "value": value, "asOf": "2026-11-10" })
}

fn figures(name: &str, counts: [i64; 5], on_time_rate: Value) -> Value {
    let [lead, co, closed, on_time, overdue] = counts;
    json!({ "organization": { "name": name }, "lead": lead, "coResponsible": co, "closed": closed,
        "closedOnTime": on_time, "overdueNow": overdue, "onTimeRate": on_time_rate })
}

/// The statements one statistics request costs.
async fn cost(w: &World, from: &str, to: &str) -> u64 {
    let before = w.app.sql_statements().await;
    w.statistics(Some(&w.app.admin_token), from, to).await.ok();
    w.app.sql_statements().await - before
}

#[tokio::test]
async fn figures_of_a_month_match_the_ledger_worked_out_by_hand() {
    let w = world().await;
    let response = w
        .statistics(Some(&w.app.admin_token), "2026-10-01", "2026-10-31")
        .await;
    let s = &response.ok()["statistics"];
    assert_eq!(s["linkageGroup"]["name"], "温泉联建委员会");
    assert_eq!(
        (&s["from"], &s["to"], &s["asOf"]),
        (
            &json!("2026-10-01"),
            &json!("2026-10-31"),
            &json!("2026-11-10")
        )
    );
    let sv = &s["supervision"];
    // Opened in October: I2, I4, I5, I6, I7, I8, I10 (I1 and I3 in September, I9 in November,
    // X1 in another group).
    assert_eq!(sv["opened"], 7);
    // Closed in October and still closed: I1 (10-12), I2 (10-21), I3 (10-20); I10 was closed on
    // 10-20 but reopened.
    assert_eq!(sv["closed"], 3);
    // I1 submitted on its due date, I3 on its extended due date; I2 four days late.
    assert_eq!(sv["closedOnTime"], 2);
    assert_eq!(sv["closedLate"], 1);
    // On 11-10: I4 (in progress, due 10-23), I6 (submitted 11-02 after 10-29), I9 (due 11-05),
    // I10 (reopened, due 10-20). I5 was submitted in time; X1 is another group's.
    assert_eq!(sv["overdueNow"], 4);
    // I3, extended at 10-01 07:00 local; I8's extension is on 11-01 local.
    assert_eq!(sv["extended"], 1);
    let on_time = sv["onTimeRate"].clone();
    assert_eq!(on_time["numerator"], 2);
    assert_eq!(on_time["denominator"], 3);
    assert_eq!(on_time["asOf"], "2026-11-10");
    assert!((on_time["value"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-9);
    // Working days d with opened < d <= closed:
    // I1 09-28 -> 10-12: 09-29, 09-30, (10-01..10-07 off), 10-08, 10-09, 10-10 (make-up
    //   Saturday), 10-12 = 6;
    // I2 10-09 -> 10-21: 10-10 (make-up), 10-12..10-16 (5), 10-19..10-21 (3) = 9;
    // I3 09-21 -> 10-20: 09-22..09-24 (3, 09-25 off), 09-28..09-30 (3), 10-08..10-10 (3),
    //   10-12..10-16 (5), 10-19, 10-20 (2) = 16.
    // (6 + 9 + 16) / 3 = 31 / 3.
    let average = sv["averageWorkingDaysToClose"].as_f64().unwrap();
    assert!((average - 31.0 / 3.0).abs() < 1e-9, "{average}");
    assert_eq!(
        sv["byOrganization"],
        json!([
            // B leads I2, I5, I8 (all opened in October) and co-owns I1 (September) and I4;
            // I2 closed late; none of its items is overdue.
            figures(B, [3, 1, 1, 0, 0], rate(0, 1, json!(0.0))),
            // C leads I4, I7 (October) and I9 (November), co-owns I2 and I6; closed none;
            // I4 and I9 are overdue.
            figures(C, [2, 2, 0, 0, 2], rate(0, 0, Value::Null)),
            // A leads I6, I10 (October), I1, I3 (September, both closed on time in October),
            // co-owns I4; I6 and I10 are overdue. (X1 belongs to the other group.)
            figures(A, [2, 1, 2, 2, 2], rate(2, 2, json!(1.0))),
            // D only co-owns I1, opened in September: nothing to count, left out.
        ])
    );

    let act = &s["activities"];
    // Completed in G starting in [10-01 00:00, 11-01 00:00) local: the 10-01 00:00 party day,
    // 10-15 study, 10-20 party day, 10-31 23:30 volunteering. Cancelled: the 10-22 patrol.
    assert_eq!(act["held"], 4);
    assert_eq!(act["cancelled"], 1);
    assert_eq!(
        act["byKind"],
        json!([
            { "kind": "STUDY_SESSION", "count": 1 },
            { "kind": "THEMED_PARTY_DAY", "count": 2 },
            { "kind": "VOLUNTEER_SERVICE", "count": 1 },
        ])
    );
    // A: 10-01, 10-15, 10-20; B: 10-01, 10-15, 10-31; C: 10-01, 10-20. A and B tie at 3 and
    // sort by name (南 before 风).
    assert_eq!(
        act["participationByOrganization"],
        json!([
            { "organization": { "name": B }, "count": 3 },
            { "organization": { "name": A }, "count": 3 },
            { "organization": { "name": C }, "count": 2 },
        ])
    );
}

#[tokio::test]
async fn a_month_without_closings_has_no_rate_and_no_average() {
    let w = world().await;
    let response = w.statistics(None, "2026-11-01", "2026-11-30").await;
    assert_eq!(response.code(), "UNAUTHENTICATED");
    let response = w
        .statistics(Some(&w.app.admin_token), "2026-11-01", "2026-11-30")
        .await;
    let s = &response.ok()["statistics"];
    assert_eq!(
        s["supervision"],
        json!({
            // I9 (11-02).
            "opened": 1,
            "closed": 0,
            "closedOnTime": 0,
            "closedLate": 0,
            // I4, I6, I9, I10, whatever the period.
            "overdueNow": 4,
            // I8, extended at 11-01 00:30 local.
            "extended": 1,
            "onTimeRate": rate(0, 0, Value::Null),
            "averageWorkingDaysToClose": null,
            "byOrganization": [
                // C leads I9 (November); I4 and I9 are overdue.
                figures(C, [1, 0, 0, 0, 2], rate(0, 0, Value::Null)),
                // A leads the overdue I6 and I10, opened in October.
                figures(A, [0, 0, 0, 0, 2], rate(0, 0, Value::Null)),
                // B and D: nothing in November.
            ],
        })
    );
    // Only the 11-01 00:00 study session, hosted by A alone.
    assert_eq!(
        s["activities"],
        json!({
            "held": 1,
            "cancelled": 0,
            "byKind": [{ "kind": "STUDY_SESSION", "count": 1 }],
            "participationByOrganization": [{ "organization": { "name": A }, "count": 1 }],
        })
    );

    // The cost does not grow with the ledger: two more items and an activity, same statements.
    let first = cost(&w, "2026-11-01", "2026-11-30").await;
    w.open("B", &["D"], "2026-11-20").await;
    w.open("D", &["A"], "2026-11-12").await;
    w.activity(
        Some(&w.group.clone()),
        "PATROL",
        "D",
        &["C"],
        "2026-11-03T09:00:00+08:00",
        "2026-11-03T11:00:00+08:00",
        "COMPLETED",
    )
    .await;
    let second = cost(&w, "2026-11-01", "2026-11-30").await;
    assert_eq!(first, second);
    let after = w
        .statistics(Some(&w.app.admin_token), "2026-11-01", "2026-11-30")
        .await;
    let s = &after.ok()["statistics"];
    assert_eq!(s["supervision"]["opened"], 3);
    assert_eq!(s["activities"]["held"], 2);
}

#[tokio::test]
async fn committee_staff_and_supervisors_of_the_group_read_it_others_do_not() {
    let w = world().await;
    let app = &w.app;
    let group = uuid_of(&w.group);
    let other = uuid_of(&w.other_group);
    let org = |key: &str| uuid_of(&w.orgs[key]);
    let staff = app
        .user_with(
            "staff",
            &[(Role::CommitteeStaff, GrantScope::LinkageGroup(group))],
        )
        .await;
    let supervisor = app
        .user_with(
            "supervisor",
            &[(Role::Supervisor, GrantScope::LinkageGroup(group))],
        )
        .await;
    let secretary = app
        .user_with(
            "secretary",
            &[(Role::OrgSecretary, GrantScope::Organization(org("B")))],
        )
        .await;
    let member = app
        .user_with(
            "member",
            &[(Role::Member, GrantScope::Organization(org("C")))],
        )
        .await;
    let outsider = app
        .user_with(
            "outsider",
            &[(Role::OrgSecretary, GrantScope::Organization(org("E")))],
        )
        .await;
    let elsewhere = app
        .user_with(
            "elsewhere",
            &[(Role::Supervisor, GrantScope::LinkageGroup(other))],
        )
        .await;
    let admin = app.admin_token.clone();

    let expected = w.statistics(Some(&admin), "2026-10-01", "2026-10-31").await;
    let expected = expected.ok()["statistics"].clone();
    assert_eq!(expected["supervision"]["closed"], 3);
    for token in [&staff, &supervisor] {
        let response = w.statistics(Some(token), "2026-10-01", "2026-10-31").await;
        assert_eq!(response.ok()["statistics"], expected);
    }
    // Secretaries and members of member organizations may know the group, not its figures.
    for token in [&secretary, &member] {
        let response = w.statistics(Some(token), "2026-10-01", "2026-10-31").await;
        assert_eq!(response.code(), "FORBIDDEN", "{}", response.body);
        assert!(response.data().is_null(), "{}", response.body);
    }
    // Someone outside the group, or with rights in another group only, does not learn it exists.
    for token in [&outsider, &elsewhere] {
        let response = w.statistics(Some(token), "2026-10-01", "2026-10-31").await;
        assert_eq!(response.code(), "NOT_FOUND", "{}", response.body);
    }
    // ... while the supervisor of the other group reads that one.
    let theirs = app
        .graphql_as(
            Some(&elsewhere),
            "query($group: ID!) { statistics(linkageGroupId: $group, from: \"2026-10-01\", to: \"2026-10-31\") { supervision { opened overdueNow } activities { held } } }",
            json!({ "group": w.other_group }),
        )
        .await;
    // X1 (opened 10-15, due 10-20, still open); the 10-10 joint meeting.
    assert_eq!(
        theirs.ok()["statistics"],
        json!({ "supervision": { "opened": 1, "overdueNow": 1 }, "activities": { "held": 1 } })
    );
    let anonymous = w.statistics(None, "2026-10-01", "2026-10-31").await;
    assert_eq!(anonymous.code(), "UNAUTHENTICATED");

    // Periods that run backwards, or over 3660 days, are refused on `to`.
    for (from, to) in [("2026-10-31", "2026-10-01"), ("2016-01-01", "2026-01-08")] {
        let response = w.statistics(Some(&supervisor), from, to).await;
        assert_eq!(
            response.error("BAD_USER_INPUT")["extensions"]["field"],
            "to",
            "{from} {to}"
        );
    }
    // 2016-01-01 to 2026-01-07 is 3660 days, both ends included: allowed.
    let longest = w
        .statistics(Some(&supervisor), "2016-01-01", "2026-01-07")
        .await;
    assert_eq!(longest.ok()["statistics"]["from"], "2016-01-01");
    // A single day is a period.
    let one_day = w
        .statistics(Some(&supervisor), "2026-10-12", "2026-10-12")
        .await;
    assert_eq!(one_day.ok()["statistics"]["supervision"]["closed"], 1);
}
