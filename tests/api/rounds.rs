//! Supervision rounds (督办周期): numbering from the group's cadence, one open round per group
//! and one round per period, reviews, the snapshot frozen at closing, and who may do what.
//! Every expected value is worked out by hand from DESIGN 3.2 in the comments next to it.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use lianjian_api::{authz::Role, graphql::ids, services::accounts::GrantScope};
use serde_json::{Value, json};

use crate::helpers::{Gql, TestApp};

const ROUND_FIELDS: &str = "id number startsOn endsOn status openedAt closedAt
    linkageGroup { name }
    snapshot { takenAt opened closed closedOnTime overdue escalated carriedOver
        byOrganization { organization { id name } open closed overdue } }";

fn open_query() -> String {
    format!(
        "mutation($g: ID!) {{ openSupervisionRound(input: {{ linkageGroupId: $g }}) {{
            supervisionRound {{ {ROUND_FIELDS} items {{ totalCount }} }} }} }}"
    )
}

fn close_query() -> String {
    format!(
        "mutation($id: ID!) {{ closeSupervisionRound(input: {{ id: $id }}) {{
            supervisionRound {{ {ROUND_FIELDS} }} }} }}"
    )
}

fn rounds_query() -> String {
    format!(
        "query($g: ID!) {{ supervisionRounds(linkageGroupId: $g) {{ totalCount
            edges {{ node {{ {ROUND_FIELDS} }} }} }} }}"
    )
}

const REVIEW: &str = "mutation($input: ReviewSupervisionItemInput!) {
    reviewSupervisionItem(input: $input) {
        supervisionRound { id status }
        review { verdict comment reviewer { username } item { id title } at } } }";

/// 10:00 in Shanghai (02:00 UTC) on `day`.
fn on(day: &str) -> DateTime<Utc> {
    let date: NaiveDate = day.parse().unwrap();
    Utc.from_utc_datetime(&date.and_hms_opt(2, 0, 0).unwrap())
}

fn uuid_of(global: &str) -> uuid::Uuid {
    ids::decode("id", &async_graphql::ID(global.to_owned()))
        .unwrap()
        .id
}

struct World {
    orgs: HashMap<&'static str, String>,
    /// 联建委员会: lead A, members B, C, D.
    group: String,
    /// Another group, led by C, whose items never count in the first one's rounds.
    other: String,
}

impl World {
    fn org(&self, key: &str) -> &str {
        &self.orgs[key]
    }
}

async fn create_group(
    app: &TestApp,
    name: &str,
    lead: &str,
    members: &[&str],
    cadence_days: i32,
    starts_on: &str,
) -> String {
    let response = app
        .graphql(
            "mutation($input: CreateLinkageGroupInput!) { createLinkageGroup(input: $input) { linkageGroup { id } } }",
            json!({ "input": { "name": name, "leadOrganizationId": lead, "memberOrganizationIds": members,
                "cadenceDays": cadence_days, "cadenceStartsOn": starts_on } }),
        )
        .await;
    response.ok()["createLinkageGroup"]["linkageGroup"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Organizations A to D and two groups; the first group's cadence is 14 days from 2027-03-01.
async fn world(app: &TestApp) -> World {
    let area = app.create_area("温泉镇").await;
    let mut orgs = HashMap::new();
    for (key, name) in [
        ("A", "风景区党委"),
        ("B", "南平村党支部"),
        ("C", "石坑村党支部"),
        ("D", "汤泉村党支部"),
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
    let group = create_group(
        app,
        "联建委员会",
        &orgs["A"],
        &[&orgs["B"], &orgs["C"], &orgs["D"]],
        14,
        "2027-03-01",
    )
    .await;
    let other = create_group(app, "石坑片区联建组", &orgs["C"], &[], 14, "2027-03-01").await;
    World { orgs, group, other }
}

/// Opens an item as the administrator, today by the app's clock; returns its id.
async fn open_item(app: &TestApp, group: &str, lead: &str, title: &str, due_on: &str) -> String {
    let response = app
        .graphql(
            "mutation($input: OpenSupervisionItemInput!) { openSupervisionItem(input: $input) { supervisionItem { id } } }",
            json!({ "input": { "title": title, "source": "JOINT_MEETING", "linkageGroupId": group,
                "leadOrganizationId": lead, "dueOn": due_on } }),
        )
        .await;
    response.ok()["openSupervisionItem"]["supervisionItem"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Moves an item along its status machine as the administrator.
async fn step(app: &TestApp, mutation: &str, id: &str) {
    let query = format!(
        "mutation($input: SupervisionTransitionInput!) {{ {mutation}(input: $input) {{ supervisionItem {{ status }} }} }}"
    );
    app.graphql(
        &query,
        json!({ "input": { "id": id, "note": "按程序办理" } }),
    )
    .await
    .ok();
}

fn set_day(app: &TestApp, day: &str) {
    app.state.clock.set(on(day));
}

async fn open_round(app: &TestApp, token: Option<&str>, group: &str) -> Gql {
    app.graphql_as(token, &open_query(), json!({ "g": group }))
        .await
}

async fn close_round(app: &TestApp, token: Option<&str>, round: &str) -> Gql {
    app.graphql_as(token, &close_query(), json!({ "id": round }))
        .await
}

async fn review(
    app: &TestApp,
    token: Option<&str>,
    round: &str,
    item: &str,
    verdict: &str,
    comment: &str,
) -> Gql {
    app.graphql_as(
        token,
        REVIEW,
        json!({ "input": { "roundId": round, "itemId": item, "verdict": verdict, "comment": comment } }),
    )
    .await
}

fn opened(response: &Gql) -> Value {
    response.ok()["openSupervisionRound"]["supervisionRound"].clone()
}

/// The actions of the audit entries about `target_type`, counted.
async fn audited(app: &TestApp, target_type: &str) -> HashMap<String, usize> {
    let response = app
        .graphql(
            "query($t: String!) { auditLog(filter: { targetType: $t }, first: 100) { edges { node { action } } } }",
            json!({ "t": target_type }),
        )
        .await;
    let mut counts = HashMap::new();
    for edge in response.ok()["auditLog"]["edges"].as_array().unwrap() {
        *counts
            .entry(edge["node"]["action"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    counts
}

#[tokio::test]
async fn a_round_is_numbered_by_the_period_of_today_and_a_period_has_one_round() {
    let app = TestApp::spawn_at(on("2027-01-15")).await;
    let w = world(&app).await;

    // The first cadence starts on 2027-03-01: nothing to open the day before.
    set_day(&app, "2027-02-28");
    let error = open_round(&app, None, &w.group)
        .await
        .error("UNAUTHENTICATED");
    assert!(error["message"].is_string());
    let error = open_round(&app, Some(&app.admin_token), &w.group)
        .await
        .error("BAD_USER_INPUT");
    assert_eq!(error["extensions"]["field"], "linkageGroupId");
    assert_eq!(app.count_rows("supervision_round").await, 0);

    // 14-day rounds from 03-01: 1 = 03-01..03-14, 2 = 03-15..03-28, 3 = 03-29..04-11.
    set_day(&app, "2027-03-20");
    let round2 = opened(&open_round(&app, Some(&app.admin_token), &w.group).await);
    assert_eq!(round2["number"], 2);
    assert_eq!(round2["startsOn"], "2027-03-15");
    assert_eq!(round2["endsOn"], "2027-03-28");
    assert_eq!(round2["status"], "OPEN");
    assert_eq!(round2["openedAt"], "2027-03-20T10:00:00+08:00");
    assert!(round2["closedAt"].is_null());
    assert!(round2["snapshot"].is_null());
    assert_eq!(round2["linkageGroup"]["name"], "联建委员会");
    let round2_id = round2["id"].as_str().unwrap().to_owned();

    // A second open round of the group, the same day or in the next period: CONFLICT.
    let error = open_round(&app, Some(&app.admin_token), &w.group)
        .await
        .error("CONFLICT");
    assert_eq!(error["extensions"]["field"], "linkageGroupId");
    set_day(&app, "2027-03-29");
    open_round(&app, Some(&app.admin_token), &w.group)
        .await
        .error("CONFLICT");
    assert_eq!(app.count_rows("supervision_round").await, 1);

    // Closed on its last day, round 2's period cannot have another round.
    set_day(&app, "2027-03-28");
    let closed = close_round(&app, Some(&app.admin_token), &round2_id).await;
    assert_eq!(
        closed.ok()["closeSupervisionRound"]["supervisionRound"]["status"],
        "CLOSED"
    );
    let error = open_round(&app, Some(&app.admin_token), &w.group)
        .await
        .error("CONFLICT");
    assert_eq!(error["extensions"]["field"], "linkageGroupId");
    assert_eq!(app.count_rows("supervision_round").await, 1);

    // The next day belongs to round 3.
    set_day(&app, "2027-03-29");
    let round3 = opened(&open_round(&app, Some(&app.admin_token), &w.group).await);
    assert_eq!(
        (&round3["number"], &round3["startsOn"], &round3["endsOn"]),
        (&json!(3), &json!("2027-03-29"), &json!("2027-04-11"))
    );

    // 10-day rounds from 03-01: 03-31 is day 30, so round 4 = 03-31..04-09.
    let tens = create_group(&app, "十日组", w.org("B"), &[], 10, "2027-03-01").await;
    set_day(&app, "2027-03-31");
    let round4 = opened(&open_round(&app, Some(&app.admin_token), &tens).await);
    assert_eq!(
        (&round4["number"], &round4["startsOn"], &round4["endsOn"]),
        (&json!(4), &json!("2027-03-31"), &json!("2027-04-09"))
    );

    // Two openings at once: exactly one round, the other is CONFLICT.
    let (first, second) = tokio::join!(
        open_round(&app, Some(&app.admin_token), &w.other),
        open_round(&app, Some(&app.admin_token), &w.other),
    );
    let mut outcomes = [first, second]
        .iter()
        .map(|r| match r.errors().first() {
            None => "OK".to_owned(),
            Some(_) => r.code(),
        })
        .collect::<Vec<_>>();
    outcomes.sort();
    assert_eq!(outcomes, ["CONFLICT", "OK"]);
    assert_eq!(app.count_rows("supervision_round").await, 4);

    // Newest first.
    let list = app.graphql(&rounds_query(), json!({ "g": w.group })).await;
    let list = &list.ok()["supervisionRounds"];
    assert_eq!(list["totalCount"], 2);
    let numbers: Vec<_> = list["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["number"].clone())
        .collect();
    assert_eq!(numbers, [json!(3), json!(2)]);

    let actions = audited(&app, "SupervisionRound").await;
    assert_eq!(actions.get("openSupervisionRound"), Some(&4));
    assert_eq!(actions.get("closeSupervisionRound"), Some(&1));
    assert_eq!(actions.len(), 2, "{actions:?}");
}

const ITEM_REVIEWS: &str = "query($id: ID!) { supervisionItem(id: $id) {
    reviews { verdict comment reviewer { username } }
    timeline(first: 50) { edges { node { kind note actor { username } } } } } }";

#[tokio::test]
async fn a_review_is_one_per_item_per_round_and_editable_until_the_round_closes() {
    let app = TestApp::spawn_at(on("2027-03-02")).await;
    let w = world(&app).await;
    let supervisor = app
        .user_with(
            "sup",
            &[(
                Role::Supervisor,
                GrantScope::LinkageGroup(uuid_of(&w.group)),
            )],
        )
        .await;
    // Closed before the round opens: not on its list.
    let done = open_item(&app, &w.group, w.org("B"), "修缮村道", "2027-03-20").await;
    for mutation in [
        "startSupervisionItem",
        "submitSupervisionItem",
        "closeSupervisionItem",
    ] {
        step(&app, mutation, &done).await;
    }
    set_day(&app, "2027-03-20");
    let item = open_item(&app, &w.group, w.org("B"), "整治河道", "2027-04-20").await;
    let elsewhere = open_item(&app, &w.other, w.org("C"), "石坑停车场", "2027-04-20").await;
    set_day(&app, "2027-03-29");
    let round = opened(&open_round(&app, Some(&supervisor), &w.group).await);
    assert_eq!(round["items"]["totalCount"], 1);
    let round_id = round["id"].as_str().unwrap().to_owned();

    let first = review(
        &app,
        Some(&supervisor),
        &round_id,
        &item,
        "ON_TRACK",
        "按计划推进",
    )
    .await;
    let first = &first.ok()["reviewSupervisionItem"];
    assert_eq!(first["supervisionRound"]["id"], round_id.as_str());
    assert_eq!(first["review"]["verdict"], "ON_TRACK");
    assert_eq!(first["review"]["comment"], "按计划推进");
    assert_eq!(first["review"]["reviewer"]["username"], "sup");
    assert_eq!(first["review"]["item"]["title"], "整治河道");
    assert_eq!(first["review"]["at"], "2027-03-29T10:00:00+08:00");

    // The second review of the item in the round replaces the first.
    set_day(&app, "2027-04-02");
    let second = review(
        &app,
        Some(&supervisor),
        &round_id,
        &item,
        "AT_RISK",
        "进度滞后",
    )
    .await;
    let second = &second.ok()["reviewSupervisionItem"]["review"];
    assert_eq!(second["verdict"], "AT_RISK");
    assert_eq!(second["comment"], "进度滞后");
    assert_eq!(second["at"], "2027-04-02T10:00:00+08:00");
    assert_eq!(app.count_rows("supervision_review").await, 1);

    let reviews = app
        .graphql(
            "query($id: ID!) { node(id: $id) { ... on SupervisionRound { reviews { verdict comment item { id } } } } }",
            json!({ "id": round_id }),
        )
        .await;
    assert_eq!(
        reviews.ok()["node"]["reviews"],
        json!([{ "verdict": "AT_RISK", "comment": "进度滞后", "item": { "id": item } }])
    );
    let on_item = app.graphql(ITEM_REVIEWS, json!({ "id": item })).await;
    let on_item = &on_item.ok()["supervisionItem"];
    assert_eq!(
        on_item["reviews"],
        json!([{ "verdict": "AT_RISK", "comment": "进度滞后", "reviewer": { "username": "sup" } }])
    );
    // Each review is a REVIEWED entry of the item's timeline, with the comment as its note.
    let reviewed: Vec<_> = on_item["timeline"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"])
        .filter(|n| n["kind"] == "REVIEWED")
        .map(|n| (n["note"].clone(), n["actor"]["username"].clone()))
        .collect();
    assert_eq!(
        reviewed,
        [
            (json!("按计划推进"), json!("sup")),
            (json!("进度滞后"), json!("sup"))
        ]
    );

    // Items not on the round's list: closed before it opened, or of another group.
    for other in [&done, &elsewhere] {
        let error = review(&app, Some(&supervisor), &round_id, other, "ON_TRACK", "")
            .await
            .error("BAD_USER_INPUT");
        assert_eq!(error["extensions"]["field"], "itemId");
    }
    // An item's id where the round's belongs.
    let error = review(&app, Some(&supervisor), &item, &item, "ON_TRACK", "")
        .await
        .error("BAD_USER_INPUT");
    assert_eq!(error["extensions"]["field"], "roundId");

    // Closed, the round takes no more reviews.
    close_round(&app, Some(&supervisor), &round_id).await.ok();
    let error = review(
        &app,
        Some(&supervisor),
        &round_id,
        &item,
        "OFF_TRACK",
        "停滞",
    )
    .await
    .error("INVALID_TRANSITION");
    assert_eq!(
        (&error["extensions"]["from"], &error["extensions"]["to"]),
        (&json!("CLOSED"), &json!("REVIEWED"))
    );
    let error = close_round(&app, Some(&supervisor), &round_id)
        .await
        .error("INVALID_TRANSITION");
    assert_eq!(
        (&error["extensions"]["from"], &error["extensions"]["to"]),
        (&json!("CLOSED"), &json!("CLOSED"))
    );
    assert_eq!(app.count_rows("supervision_review").await, 1);
    let actions = audited(&app, "SupervisionItem").await;
    assert_eq!(actions.get("reviewSupervisionItem"), Some(&2));
}

#[tokio::test]
async fn closing_freezes_the_figures_of_the_period_and_they_never_change() {
    let app = TestApp::spawn_at(on("2027-01-15")).await;
    let w = world(&app).await;
    let (a, b, c, d) = (w.org("A"), w.org("B"), w.org("C"), w.org("D"));
    let supervisor = app
        .user_with(
            "sup",
            &[(
                Role::Supervisor,
                GrantScope::LinkageGroup(uuid_of(&w.group)),
            )],
        )
        .await;
    let g = w.group.clone();

    // The ledger, day by day. Round 3 covers 03-29..04-11 and is closed on 04-13.
    set_day(&app, "2027-02-01");
    let i1 = open_item(&app, &g, b, "I1", "2027-02-20").await;
    set_day(&app, "2027-03-02");
    let i0 = open_item(&app, &g, b, "I0", "2027-03-20").await;
    for mutation in [
        "startSupervisionItem",
        "submitSupervisionItem",
        "closeSupervisionItem",
    ] {
        step(&app, mutation, &i0).await;
    }
    set_day(&app, "2027-03-10");
    let i2 = open_item(&app, &g, b, "I2", "2027-03-25").await;
    step(&app, "startSupervisionItem", &i2).await;
    set_day(&app, "2027-03-15");
    let i5 = open_item(&app, &g, b, "I5", "2027-04-01").await;
    step(&app, "startSupervisionItem", &i5).await;

    set_day(&app, "2027-03-29");
    let round = opened(&open_round(&app, Some(&supervisor), &g).await);
    assert_eq!(round["number"], 3);
    // Open on 03-29: I1 (OPEN), I2 and I5 (IN_PROGRESS); I0 is closed.
    assert_eq!(round["items"]["totalCount"], 3);
    let round_id = round["id"].as_str().unwrap().to_owned();

    set_day(&app, "2027-03-30");
    let i3 = open_item(&app, &g, c, "I3", "2027-04-05").await;
    set_day(&app, "2027-03-31");
    let i4 = open_item(&app, &g, c, "I4", "2027-04-20").await;
    step(&app, "startSupervisionItem", &i4).await;
    set_day(&app, "2027-04-01");
    let i7 = open_item(&app, &g, a, "I7", "2027-04-10").await;
    step(&app, "startSupervisionItem", &i7).await;
    let i10 = open_item(&app, &w.other, c, "I10", "2027-04-05").await;
    set_day(&app, "2027-04-02");
    let i6 = open_item(&app, &g, d, "I6", "2027-04-30").await;
    step(&app, "submitSupervisionItem", &i4).await;
    set_day(&app, "2027-04-03");
    step(&app, "closeSupervisionItem", &i4).await;
    let i8 = open_item(&app, &g, c, "I8", "2027-04-07").await;
    step(&app, "startSupervisionItem", &i8).await;
    set_day(&app, "2027-04-05");
    step(&app, "cancelSupervisionItem", &i6).await;
    set_day(&app, "2027-04-06");
    step(&app, "submitSupervisionItem", &i5).await;
    set_day(&app, "2027-04-08");
    step(&app, "closeSupervisionItem", &i5).await;
    set_day(&app, "2027-04-09");
    step(&app, "submitSupervisionItem", &i7).await;
    step(&app, "submitSupervisionItem", &i8).await;
    set_day(&app, "2027-04-12");
    step(&app, "closeSupervisionItem", &i7).await;
    let i9 = open_item(&app, &g, a, "I9", "2027-04-30").await;

    // The round lists what was open when it opened and what was opened while it was open,
    // never I0 (closed before) nor I10 (another group); two pages of 5 and 4.
    let page = "query($id: ID!, $after: String) { node(id: $id) { ... on SupervisionRound {
        items(first: 5, after: $after) { totalCount pageInfo { hasNextPage endCursor }
            edges { node { id } } } } } }";
    let mut listed = BTreeSet::new();
    let mut after = Value::Null;
    for (size, more) in [(5, true), (4, false)] {
        let response = app
            .graphql_as(
                Some(&supervisor),
                page,
                json!({ "id": round_id, "after": after }),
            )
            .await;
        let items = &response.ok()["node"]["items"];
        assert_eq!(items["totalCount"], 9);
        assert_eq!(items["pageInfo"]["hasNextPage"], more);
        let edges = items["edges"].as_array().unwrap();
        assert_eq!(edges.len(), size);
        listed.extend(
            edges
                .iter()
                .map(|e| e["node"]["id"].as_str().unwrap().to_owned()),
        );
        after = items["pageInfo"]["endCursor"].clone();
    }
    let expected: BTreeSet<String> = [&i1, &i2, &i5, &i3, &i4, &i7, &i6, &i8, &i9]
        .into_iter()
        .cloned()
        .collect();
    assert_eq!(listed, expected);
    assert!(!listed.contains(&i0) && !listed.contains(&i10));

    set_day(&app, "2027-04-13");
    let closed = close_round(&app, Some(&supervisor), &round_id).await;
    let closed = closed.ok()["closeSupervisionRound"]["supervisionRound"].clone();
    assert_eq!(closed["status"], "CLOSED");
    assert_eq!(closed["closedAt"], "2027-04-13T10:00:00+08:00");
    let snapshot = closed["snapshot"].clone();
    // Worked out by hand, period P = 03-29..04-11, closing day T = 04-13, cadence 14:
    //   opened in P: I3 (03-30), I4 (03-31), I7 (04-01), I6 (04-02), I8 (04-03)      = 5
    //   closed in P: I4 (04-03), I5 (04-08); I7 closed 04-12, after P                  = 2
    //   on time: I4 (submitted 04-02 <= due 04-20); I5 submitted 04-06 > due 04-01     = 1
    //   overdue on T: I1 (due 02-20), I2 (due 03-25), I3 (due 04-05), and I8, pending
    //     review after a late submission (04-09 > 04-07); I9 is due 04-30            = 4
    //   escalated on T: I1 52 days late > 28 (REPORT), I2 19 > 14 (SUPERVISE);
    //     I3 (8) and I8 (6) only URGE                                                   = 2
    //   carried over (open on T): I1, I2, I3, I8, I9                                    = 5
    //   by lead organization: A: I9 open; B: I1, I2 open and overdue, I5 closed;
    //     C: I3, I8 open and overdue, I4 closed; D: only I6, cancelled, left out;
    //     I10 (C, another group, overdue) counts nowhere.
    let mut by_org = vec![
        (a, "风景区党委", 1, 0, 0),
        (b, "南平村党支部", 2, 1, 2),
        (c, "石坑村党支部", 2, 1, 2),
    ];
    by_org.sort_by_key(|(id, ..)| uuid_of(id));
    let by_org: Vec<Value> = by_org
        .into_iter()
        .map(|(id, name, open, closed, overdue)| {
            json!({ "organization": { "id": id, "name": name },
                "open": open, "closed": closed, "overdue": overdue })
        })
        .collect();
    assert_eq!(
        snapshot,
        json!({
            "takenAt": "2027-04-13T10:00:00+08:00",
            "opened": 5, "closed": 2, "closedOnTime": 1, "overdue": 4, "escalated": 2,
            "carriedOver": 5, "byOrganization": by_org,
        })
    );

    // Afterwards the ledger moves on: I8 is closed, I3's deadline extended, time passes.
    set_day(&app, "2027-04-14");
    step(&app, "closeSupervisionItem", &i8).await;
    app.graphql(
        "mutation($input: ExtendSupervisionDeadlineInput!) { extendSupervisionDeadline(input: $input) { supervisionItem { dueOn } } }",
        json!({ "input": { "id": i3, "dueOn": "2027-05-30", "reason": "汛期施工受阻" } }),
    )
    .await
    .ok();
    set_day(&app, "2027-05-20");
    // The closed round answers the same figures, through the list and through `node`.
    let list = app
        .graphql_as(Some(&supervisor), &rounds_query(), json!({ "g": g }))
        .await;
    assert_eq!(list.ok()["supervisionRounds"]["edges"][0]["node"], closed);
    let node = app
        .graphql(
            &format!("query($id: ID!) {{ node(id: $id) {{ ... on SupervisionRound {{ {ROUND_FIELDS} }} }} }}"),
            json!({ "id": round_id }),
        )
        .await;
    assert_eq!(node.ok()["node"]["snapshot"], snapshot);
}

#[tokio::test]
async fn only_grants_on_the_group_reach_its_rounds_and_only_supervisors_manage_them() {
    let app = TestApp::spawn_at(on("2027-03-20")).await;
    let w = world(&app).await;
    let group = uuid_of(&w.group);
    let supervisor = app
        .user_with(
            "sup",
            &[(Role::Supervisor, GrantScope::LinkageGroup(group))],
        )
        .await;
    let staff = app
        .user_with(
            "staff",
            &[(Role::CommitteeStaff, GrantScope::LinkageGroup(group))],
        )
        .await;
    let member = app
        .user_with(
            "member",
            &[(Role::Member, GrantScope::Organization(uuid_of(w.org("B"))))],
        )
        .await;
    // A supervisor of the lead organization's subtree reads the items it leads, not rounds.
    let subtree = app
        .user_with(
            "subtree",
            &[(
                Role::Supervisor,
                GrantScope::Organization(uuid_of(w.org("A"))),
            )],
        )
        .await;
    let elsewhere = app
        .user_with(
            "elsewhere",
            &[(
                Role::Supervisor,
                GrantScope::LinkageGroup(uuid_of(&w.other)),
            )],
        )
        .await;
    let item = open_item(&app, &w.group, w.org("B"), "整治河道", "2027-04-20").await;

    assert_eq!(
        open_round(&app, None, &w.group).await.code(),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        open_round(&app, Some(&staff), &w.group).await.code(),
        "FORBIDDEN"
    );
    for token in [&member, &subtree, &elsewhere] {
        assert_eq!(
            open_round(&app, Some(token), &w.group).await.code(),
            "NOT_FOUND"
        );
    }
    assert_eq!(app.count_rows("supervision_round").await, 0);
    let round = opened(&open_round(&app, Some(&supervisor), &w.group).await);
    let round_id = round["id"].as_str().unwrap().to_owned();

    let seen = |response: Gql| -> Vec<Value> {
        let list = &response.ok()["supervisionRounds"];
        let numbers: Vec<Value> = list["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["number"].clone())
            .collect();
        assert_eq!(list["totalCount"], numbers.len());
        numbers
    };
    let node = "query($id: ID!) { node(id: $id) { ... on SupervisionRound { number } } }";
    for (token, numbers) in [
        (&supervisor, vec![json!(2)]),
        (&staff, vec![json!(2)]),
        (&member, vec![]),
        (&subtree, vec![]),
        (&elsewhere, vec![]),
    ] {
        let list = app
            .graphql_as(Some(token), &rounds_query(), json!({ "g": w.group }))
            .await;
        assert_eq!(seen(list), numbers);
        let found = app
            .graphql_as(Some(token), node, json!({ "id": round_id }))
            .await;
        let expected = if numbers.is_empty() {
            Value::Null
        } else {
            json!({ "number": 2 })
        };
        assert_eq!(found.ok()["node"], expected);
    }
    assert_eq!(
        app.graphql_as(None, &rounds_query(), json!({ "g": w.group }))
            .await
            .code(),
        "UNAUTHENTICATED"
    );

    assert_eq!(
        review(&app, None, &round_id, &item, "ON_TRACK", "")
            .await
            .code(),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        review(&app, Some(&staff), &round_id, &item, "ON_TRACK", "")
            .await
            .code(),
        "FORBIDDEN"
    );
    for token in [&member, &subtree, &elsewhere] {
        assert_eq!(
            review(&app, Some(token), &round_id, &item, "ON_TRACK", "")
                .await
                .code(),
            "NOT_FOUND"
        );
    }
    assert_eq!(app.count_rows("supervision_review").await, 0);
    let reviewed = review(
        &app,
        Some(&supervisor),
        &round_id,
        &item,
        "AT_RISK",
        "需加快",
    )
    .await;
    assert_eq!(
        reviewed.ok()["reviewSupervisionItem"]["review"]["verdict"],
        "AT_RISK"
    );
    // The lead organization's member reads the verdict on its own item (not the round).
    let on_item = app
        .graphql_as(
            Some(&member),
            "query($id: ID!) { supervisionItem(id: $id) { reviews { verdict comment } } }",
            json!({ "id": item }),
        )
        .await;
    assert_eq!(
        on_item.ok()["supervisionItem"]["reviews"],
        json!([{ "verdict": "AT_RISK", "comment": "需加快" }])
    );

    assert_eq!(
        close_round(&app, None, &round_id).await.code(),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        close_round(&app, Some(&staff), &round_id).await.code(),
        "FORBIDDEN"
    );
    for token in [&member, &subtree, &elsewhere] {
        assert_eq!(
            close_round(&app, Some(token), &round_id).await.code(),
            "NOT_FOUND"
        );
    }
    let closed = close_round(&app, Some(&supervisor), &round_id).await;
    assert_eq!(
        closed.ok()["closeSupervisionRound"]["supervisionRound"]["status"],
        "CLOSED"
    );
    // Committee staff read the frozen figures: I1 open on closing day, nothing else.
    let list = app
        .graphql_as(Some(&staff), &rounds_query(), json!({ "g": w.group }))
        .await;
    let snapshot = &list.ok()["supervisionRounds"]["edges"][0]["node"]["snapshot"];
    assert_eq!(
        (
            &snapshot["opened"],
            &snapshot["carriedOver"],
            &snapshot["overdue"]
        ),
        (&json!(1), &json!(1), &json!(0))
    );
}

/// A page of rounds with their items, reviews and snapshots costs the same statements for 2
/// rounds as for 6: every relation is one batch per page.
#[tokio::test]
async fn a_page_of_rounds_costs_the_same_for_2_or_6() {
    let app = TestApp::spawn_at(on("2027-03-01")).await;
    let w = world(&app).await;
    // One-day rounds: each day of March is a round of its own.
    let daily = create_group(
        &app,
        "每日组",
        w.org("A"),
        &[w.org("B"), w.org("C")],
        1,
        "2027-03-01",
    )
    .await;
    let items = [
        open_item(&app, &daily, w.org("B"), "整治河道", "2027-03-20").await,
        open_item(&app, &daily, w.org("C"), "修缮村道", "2027-03-03").await,
    ];
    for day in 2..=7 {
        set_day(&app, &format!("2027-03-{day:02}"));
        let round = opened(&open_round(&app, Some(&app.admin_token), &daily).await);
        let round = round["id"].as_str().unwrap();
        for item in &items {
            review(&app, Some(&app.admin_token), round, item, "AT_RISK", "跟进")
                .await
                .ok();
        }
        close_round(&app, Some(&app.admin_token), round).await.ok();
    }
    let query = "query($g: ID!, $n: Int) { supervisionRounds(linkageGroupId: $g, first: $n) {
        edges { node { number linkageGroup { name }
            items(first: 5) { totalCount edges { node { title reviews { verdict } } } }
            reviews { verdict reviewer { username } item { title } }
            snapshot { overdue byOrganization { organization { name } open } } } } } }";
    let mut costs = Vec::new();
    for n in [2, 6] {
        let before = app.sql_statements().await;
        let response = app.graphql(query, json!({ "g": daily, "n": n })).await;
        let edges = response.ok()["supervisionRounds"]["edges"]
            .as_array()
            .unwrap()
            .clone();
        costs.push(app.sql_statements().await - before);
        // Newest first: rounds 7, 6, ... (day d is round d); each lists both items, reviewed.
        assert_eq!(edges.len(), n);
        for (edge, number) in edges.iter().zip((2..=7).rev()) {
            let node = &edge["node"];
            assert_eq!(node["number"], number);
            assert_eq!(node["items"]["totalCount"], 2);
            assert_eq!(node["reviews"].as_array().unwrap().len(), 2);
            assert_eq!(
                node["items"]["edges"][0]["node"]["reviews"]
                    .as_array()
                    .unwrap()
                    .len(),
                6
            );
        }
        // Closed on 03-07, round 7 counts 修缮村道 (due 03-03) overdue, 整治河道 not yet.
        assert_eq!(edges[0]["node"]["snapshot"]["overdue"], 1);
    }
    assert_eq!(costs[0], costs[1], "statements for 2 and for 6 rounds");
}

/// An item reopened while a round is open joins that round's list, so it can be reviewed there.
#[tokio::test]
async fn an_item_reopened_during_an_open_round_joins_its_list() {
    let app = TestApp::spawn_at(on("2027-03-02")).await;
    let w = world(&app).await;
    let item = open_item(&app, &w.group, w.org("B"), "村道修复", "2027-03-10").await;
    for mutation in [
        "startSupervisionItem",
        "submitSupervisionItem",
        "closeSupervisionItem",
    ] {
        step(&app, mutation, &item).await;
    }
    // Round 1 (03-01 to 03-14) lists no item: the only one is closed.
    let round = opened(&open_round(&app, Some(&app.admin_token), &w.group).await);
    assert_eq!(round["items"]["totalCount"], 0);
    let round_id = round["id"].as_str().unwrap().to_owned();
    review(
        &app,
        Some(&app.admin_token),
        &round_id,
        &item,
        "ON_TRACK",
        "",
    )
    .await
    .error("BAD_USER_INPUT");
    step(&app, "reopenSupervisionItem", &item).await;
    let listed = app
        .graphql(
            "query($id: ID!) { node(id: $id) { ... on SupervisionRound { items { totalCount edges { node { id } } } } } }",
            json!({ "id": round_id }),
        )
        .await;
    assert_eq!(listed.ok()["node"]["items"]["totalCount"], 1);
    assert_eq!(
        listed.ok()["node"]["items"]["edges"][0]["node"]["id"],
        item.as_str()
    );
    let reviewed = review(
        &app,
        Some(&app.admin_token),
        &round_id,
        &item,
        "AT_RISK",
        "返工",
    )
    .await;
    assert_eq!(
        reviewed.ok()["reviewSupervisionItem"]["review"]["verdict"],
        "AT_RISK"
    );
    // Reopening again later (after another close) does not list it twice.
    for mutation in [
        "startSupervisionItem",
        "submitSupervisionItem",
        "closeSupervisionItem",
        "reopenSupervisionItem",
    ] {
        step(&app, mutation, &item).await;
    }
    let listed = app
        .graphql(
            "query($id: ID!) { node(id: $id) { ... on SupervisionRound { items { totalCount } } } }",
            json!({ "id": round_id }),
        )
        .await;
    assert_eq!(listed.ok()["node"]["items"]["totalCount"], 1);
}

/// Reviewing an item: signing in; the round with the permission, locked; the item with whether
/// it is on the round's list and its review in the round (one statement); the review; the
/// REVIEWED entry of the timeline; the audit entry; the outbox (on PostgreSQL also its lock).
/// A second review of the item, which replaces the first, costs the same.
#[tokio::test]
async fn a_review_costs_seven_statements() {
    let app = TestApp::spawn_at(on("2027-03-20")).await;
    let w = world(&app).await;
    let item = open_item(&app, &w.group, w.org("B"), "整治河道", "2027-04-20").await;
    set_day(&app, "2027-03-29");
    let round = opened(&open_round(&app, Some(&app.admin_token), &w.group).await);
    let round_id = round["id"].as_str().unwrap().to_owned();
    let outbox = if app.on_postgres() { 2 } else { 1 };
    for (verdict, expected) in [("ON_TRACK", 1), ("AT_RISK", 1)] {
        let before = app.sql_statements().await;
        let answer = app
            .graphql(
                "mutation($input: ReviewSupervisionItemInput!) {
                    reviewSupervisionItem(input: $input) { review { verdict } } }",
                json!({ "input": { "roundId": round_id, "itemId": item, "verdict": verdict, "comment": "" } }),
            )
            .await;
        let statements = app.sql_statements().await - before;
        assert_eq!(
            answer.ok()["reviewSupervisionItem"]["review"]["verdict"],
            verdict
        );
        assert_eq!(statements, 1 + 1 + 1 + 1 + 1 + 1 + outbox, "{verdict}");
        assert_eq!(app.count_rows("supervision_review").await, expected);
    }
}
