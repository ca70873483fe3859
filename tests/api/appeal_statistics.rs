//! `statistics(...).appeals`: residents' appeals of a group's villages over a period, against
//! figures worked out by hand. Appeal rows are written directly (with personal data filled in).
//!
//! Organizations: A 风景区党委 leads group G, B 南平村党支部 is a member, C 石坑村党支部 lies below
//! A (a sub-organization of a member), D 龙门村党支部 is in no group. Names sort by code point:
//! 南 (U+5357) < 石 (U+77F3) < 风 (U+98CE). Today is 2026-11-10 (Asia/Shanghai); the period is
//! October 2026.
//!
//! | appeal | village | received | due   | status   | category       | feedback         |
//! |--------|---------|----------|-------|----------|----------------|------------------|
//! | 1      | B       | 10-08    | 10-29 | RESOLVED | INFRASTRUCTURE | SATISFIED        |
//! | 2      | B       | 10-12    | 11-02 | RESOLVED | ENVIRONMENT    | PARTLY_SATISFIED |
//! | 3      | B       | 10-20    | 11-20 | ACCEPTED | INFRASTRUCTURE | (in time)        |
//! | 4      | C       | 10-09    | 10-30 | RECEIVED | DISPUTE        | (past due)       |
//! | 5      | C       | 10-15    | 11-05 | REJECTED | LEGAL          |                  |
//! | 6      | A       | 10-30    | 11-10 | RECEIVED | ENVIRONMENT    | (due today: in time) |
//! | 7      | C       | 10-01    | 10-22 | RESOLVED | INFRASTRUCTURE |                  |
//! | 8      | B       | 09-30    | 10-21 | RESOLVED | OTHER          | before the period |
//! | 9      | B       | 11-01    | 11-20 | RECEIVED | OTHER          | after the period |
//! | 10     | D       | 10-10    | 10-31 | RESOLVED | TOURISM        | SATISFIED, not in the group |
//!
//! So: collected 7 (1-7), resolved 3 (1, 2, 7), rejected 1 (5), open 3 (3, 4, 6); still within
//! handling time and not resolved: 3 and 6, so resolutionRate = 3 / (7 - 2) = 3/5 = 0.6 (4, past
//! due and unresolved, counts); satisfactionRate = 1 SATISFIED / 2 with feedback = 0.5.
//! byVillage: B 3, C 3 (南 < 石), A 1. byCategory: DISPUTE 1, ENVIRONMENT 2, INFRASTRUCTURE 3,
//! LEGAL 1.

use chrono::{DateTime, NaiveDate, Utc};
use entities::{
    enums::{AppealCategory, AppealStatus, Satisfaction},
    resident_appeal,
};
use lianjian_api::graphql::ids;
use sea_orm::{ActiveModelTrait, Set};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::TestApp;

pub const RESIDENT_NAME: &str = "张秀英";
pub const RESIDENT_PHONE: &str = "13812345678";
pub const RESIDENT_ADDRESS: &str = "南平村七组18号";

pub fn instant(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .with_timezone(&Utc)
}

pub fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

pub fn uuid_of(global: &str) -> Uuid {
    ids::decode("id", &async_graphql::ID(global.to_owned()))
        .unwrap()
        .id
}

/// Creates a village organization (below `parent` if given) and answers its global id.
pub async fn create_org(app: &TestApp, area: &str, name: &str, parent: Option<&str>) -> String {
    app.graphql(
        "mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id } } }",
        json!({ "input": { "name": name, "level": "BRANCH", "unitType": "VILLAGE", "areaId": area,
            "parentId": parent } }),
    )
    .await
    .ok()["createOrganization"]["organization"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// One appeal as written to the table.
pub struct Appeal<'a> {
    pub village: Uuid,
    pub seq: i32,
    pub code: &'a str,
    pub content: &'a str,
    pub category: AppealCategory,
    pub status: AppealStatus,
    pub received_on: &'a str,
    pub due_on: &'a str,
    pub resolution: Option<&'a str>,
    pub rejection_reason: Option<&'a str>,
    pub feedback: Option<Satisfaction>,
    pub updated_at: &'a str,
}

impl Default for Appeal<'_> {
    fn default() -> Self {
        Self {
            village: Uuid::nil(),
            seq: 1,
            code: "",
            content: "路灯不亮",
            category: AppealCategory::Other,
            status: AppealStatus::Received,
            received_on: "2026-10-01",
            due_on: "2026-10-22",
            resolution: None,
            rejection_reason: None,
            feedback: None,
            updated_at: "2026-10-01T09:00:00+08:00",
        }
    }
}

/// Writes an appeal row, with the resident's personal data filled in.
pub async fn insert(app: &TestApp, a: Appeal<'_>) {
    let received = date(a.received_on);
    let updated = instant(a.updated_at);
    let code = if a.code.is_empty() {
        format!("MQ-{}", a.seq)
    } else {
        a.code.to_owned()
    };
    resident_appeal::ActiveModel {
        id: Set(Uuid::new_v4()),
        village_id: Set(a.village),
        year: Set(2026),
        seq: Set(a.seq),
        code: Set(code),
        content: Set(a.content.to_owned()),
        category: Set(a.category),
        status: Set(a.status),
        grid: Set(Some("第三网格".to_owned())),
        collector_id: Set(None),
        received_on: Set(received),
        due_on: Set(date(a.due_on)),
        handling_working_days: Set(15),
        resident_name: Set(Some(RESIDENT_NAME.to_owned())),
        resident_phone: Set(Some(RESIDENT_PHONE.to_owned())),
        address: Set(Some(RESIDENT_ADDRESS.to_owned())),
        resolution: Set(a.resolution.map(str::to_owned)),
        rejection_reason: Set(a.rejection_reason.map(str::to_owned)),
        resolved_on: Set((a.status == AppealStatus::Resolved).then_some(received)),
        supervision_item_id: Set(None),
        feedback_satisfaction: Set(a.feedback),
        feedback_comment: Set(a.feedback.map(|_| format!("{RESIDENT_NAME}的意见"))),
        feedback_at: Set(a.feedback.map(|_| updated)),
        reopened_count: Set(0),
        version: Set(1),
        created_at: Set(updated),
        updated_at: Set(updated),
    }
    .insert(&app.state.db.write)
    .await
    .unwrap();
}

const APPEALS: &str = "query($group: ID!, $from: Date!, $to: Date!) {
    statistics(linkageGroupId: $group, from: $from, to: $to) {
        appeals {
            collected resolved rejected open
            resolutionRate { numerator denominator value asOf }
            satisfactionRate { numerator denominator value asOf }
            byVillage { organization { name } count }
            byCategory { category count }
        }
    } }";

struct World {
    app: TestApp,
    group: String,
    ids: std::collections::HashMap<&'static str, Uuid>,
    area: String,
}

async fn world() -> World {
    let app = TestApp::spawn_at(instant("2026-11-10T10:00:00+08:00")).await;
    let area = app.create_area("温泉镇").await;
    let a = create_org(&app, &area, "风景区党委", None).await;
    let b = create_org(&app, &area, "南平村党支部", None).await;
    let c = create_org(&app, &area, "石坑村党支部", Some(&a)).await;
    let d = create_org(&app, &area, "龙门村党支部", None).await;
    let group = app
        .graphql(
            "mutation($input: CreateLinkageGroupInput!) { createLinkageGroup(input: $input) { linkageGroup { id } } }",
            json!({ "input": { "name": "温泉联建委员会", "leadOrganizationId": a,
                "memberOrganizationIds": [b] } }),
        )
        .await
        .ok()["createLinkageGroup"]["linkageGroup"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ids: std::collections::HashMap<&'static str, Uuid> = [
        ("A", uuid_of(&a)),
        ("B", uuid_of(&b)),
        ("C", uuid_of(&c)),
        ("D", uuid_of(&d)),
    ]
    .into_iter()
    .collect();
    use AppealCategory as K;
    use AppealStatus as S;
    let rows = [
        (
            1,
            "B",
            "2026-10-08",
            "2026-10-29",
            S::Resolved,
            K::Infrastructure,
            Some(Satisfaction::Satisfied),
        ),
        (
            2,
            "B",
            "2026-10-12",
            "2026-11-02",
            S::Resolved,
            K::Environment,
            Some(Satisfaction::PartlySatisfied),
        ),
        (
            3,
            "B",
            "2026-10-20",
            "2026-11-20",
            S::Accepted,
            K::Infrastructure,
            None,
        ),
        (
            4,
            "C",
            "2026-10-09",
            "2026-10-30",
            S::Received,
            K::Dispute,
            None,
        ),
        (
            5,
            "C",
            "2026-10-15",
            "2026-11-05",
            S::Rejected,
            K::Legal,
            None,
        ),
        (
            6,
            "A",
            "2026-10-30",
            "2026-11-10",
            S::Received,
            K::Environment,
            None,
        ),
        (
            7,
            "C",
            "2026-10-01",
            "2026-10-22",
            S::Resolved,
            K::Infrastructure,
            None,
        ),
        (
            8,
            "B",
            "2026-09-30",
            "2026-10-21",
            S::Resolved,
            K::Other,
            None,
        ),
        (
            9,
            "B",
            "2026-11-01",
            "2026-11-20",
            S::Received,
            K::Other,
            None,
        ),
        (
            10,
            "D",
            "2026-10-10",
            "2026-10-31",
            S::Resolved,
            K::Tourism,
            Some(Satisfaction::Satisfied),
        ),
    ];
    for (seq, village, received, due, status, category, feedback) in rows {
        insert(
            &app,
            Appeal {
                village: ids[village],
                seq,
                category,
                status,
                received_on: received,
                due_on: due,
                feedback,
                ..Appeal::default()
            },
        )
        .await;
    }
    World {
        app,
        group,
        ids,
        area,
    }
}

async fn figures(w: &World) -> Value {
    w.app
        .graphql(
            APPEALS,
            json!({ "group": w.group, "from": "2026-10-01", "to": "2026-10-31" }),
        )
        .await
        .ok()["statistics"]["appeals"]
        .clone()
}

#[tokio::test]
async fn appeal_figures_of_a_group_over_a_period() {
    let w = world().await;
    assert_eq!(
        figures(&w).await,
        json!({
            "collected": 7, "resolved": 3, "rejected": 1, "open": 3,
            "resolutionRate": { "numerator": 3, "denominator": 5, "value": 0.6, "asOf": "2026-11-10" },
            "satisfactionRate": { "numerator": 1, "denominator": 2, "value": 0.5, "asOf": "2026-11-10" },
            "byVillage": [
                { "organization": { "name": "南平村党支部" }, "count": 3 },
                { "organization": { "name": "石坑村党支部" }, "count": 3 },
                { "organization": { "name": "风景区党委" }, "count": 1 },
            ],
            "byCategory": [
                { "category": "DISPUTE", "count": 1 },
                { "category": "ENVIRONMENT", "count": 2 },
                { "category": "INFRASTRUCTURE", "count": 3 },
                { "category": "LEGAL", "count": 1 },
            ],
        })
    );
}

#[tokio::test]
async fn an_appeal_leaves_the_in_time_exclusion_the_day_after_it_is_due() {
    let w = world().await;
    // On 11-11 appeal 6 (due 11-10) is past due and unresolved: it joins the denominator.
    w.app.state.clock.set(instant("2026-11-11T10:00:00+08:00"));
    let appeals = figures(&w).await;
    assert_eq!(
        appeals["resolutionRate"],
        json!({ "numerator": 3, "denominator": 6, "value": 0.5, "asOf": "2026-11-11" })
    );
}

#[tokio::test]
async fn a_group_without_appeals_has_no_rates() {
    let w = world().await;
    let appeals = w
        .app
        .graphql(
            APPEALS,
            json!({ "group": w.group, "from": "2025-01-01", "to": "2025-12-31" }),
        )
        .await
        .ok()["statistics"]["appeals"]
        .clone();
    assert_eq!(
        appeals,
        json!({
            "collected": 0, "resolved": 0, "rejected": 0, "open": 0,
            "resolutionRate": { "numerator": 0, "denominator": 0, "value": null, "asOf": "2026-11-10" },
            "satisfactionRate": { "numerator": 0, "denominator": 0, "value": null, "asOf": "2026-11-10" },
            "byVillage": [], "byCategory": [],
        })
    );
}

#[tokio::test]
async fn appeal_statistics_cost_the_same_statements_however_many_villages() {
    let w = world().await;
    let variables = json!({ "group": w.group, "from": "2026-10-01", "to": "2026-10-31" });
    let before = w.app.sql_statements().await;
    w.app.graphql(APPEALS, variables.clone()).await.ok();
    let small = w.app.sql_statements().await - before;
    // Five more villages below A, with appeals in each.
    let a = ids::encode(ids::NodeKind::Organization, w.ids["A"]).0;
    for n in 0..5 {
        let village = create_org(&w.app, &w.area, &format!("新村{n}党支部"), Some(&a)).await;
        for seq in 1..=2 {
            insert(
                &w.app,
                Appeal {
                    village: uuid_of(&village),
                    seq,
                    received_on: "2026-10-05",
                    ..Appeal::default()
                },
            )
            .await;
        }
    }
    let before = w.app.sql_statements().await;
    let appeals = w.app.graphql(APPEALS, variables).await.ok()["statistics"]["appeals"].clone();
    let large = w.app.sql_statements().await - before;
    assert_eq!(appeals["collected"], json!(17));
    assert_eq!(small, large);
}
