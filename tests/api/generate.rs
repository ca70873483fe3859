//! `lianjian generate`: exact row counts for a small shape, idempotent reruns, an interrupted run
//! finished by the next one, the API over generated data, and scale S equal to the demo.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use entities::{joint_activity, organization, supervision_event};
use lianjian_api::{
    generate::{self, Options, Outcome, Quiet, Shape},
    services::demo::DemoOutcome,
};
use sea_orm::{EntityTrait, QueryOrder};
use serde_json::json;

use crate::helpers::TestApp;

/// A Monday; the demo is laid out around it.
fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 15).unwrap()
}

const SMALL: Shape = Shape {
    organizations: 300,
    people: 1_200,
    activities: 2_000,
    items: 400,
    appeals: 200,
};

async fn run(app: &TestApp, shape: Shape, stop_after_chunks: Option<usize>) -> Outcome {
    generate::generate(
        &app.state.db.write,
        shape,
        &Options {
            today: today(),
            zone: app.state.config.server.timezone,
            stop_after_chunks,
        },
        &mut Quiet,
    )
    .await
    .unwrap()
}

async fn counts(app: &TestApp) -> BTreeMap<&'static str, i64> {
    let mut counts = BTreeMap::new();
    for table in generate::TABLES {
        counts.insert(*table, app.count_rows(table).await);
    }
    counts
}

/// The demo's counts, from a database that holds only the demo.
async fn demo_counts() -> BTreeMap<&'static str, i64> {
    let app = TestApp::spawn().await;
    lianjian_api::services::demo::load(
        &app.state.db.write,
        today(),
        app.state.config.server.timezone,
    )
    .await
    .unwrap();
    counts(&app).await
}

/// What SMALL adds to the demo, counted by hand from the shape (see the generator's rules:
/// committees = ceil(orgs / 50), one group each holding its subtree; an extra ended position
/// for every fourth person; 1 + (k % 3) participants besides the host; k % 3 co-responsible
/// organizations; events and escalations by k % 20; appeal events by a % 10).
fn small_adds() -> BTreeMap<&'static str, i64> {
    let per_item_events = |k: i64| match k % 20 {
        0..=9 => 5,   // opened, started, progress, submitted, closed
        10 | 11 => 2, // opened, cancelled
        12 | 13 => 1, // opened
        14 | 15 => 3, // opened, started, progress
        16 => 3 + 1,  // ... and URGE
        17 => 3 + 2,  // ... and URGE, SUPERVISE
        18 => 1 + 3,  // opened, URGE, SUPERVISE, REPORT
        _ => 4,       // opened, started, progress, submitted
    };
    let per_item_escalations = |k: i64| match k % 20 {
        16 => 1,
        17 => 2,
        18 => 3,
        _ => 0,
    };
    let per_appeal_events = |a: i64| match a % 10 {
        0 => 1,
        1 | 2 => 2,
        3..=7 => 3,
        8 => 4,
        _ => 2,
    };
    BTreeMap::from([
        ("area", 0),
        ("organization", 300),
        ("linkage_group", 6),
        ("linkage_group_member", 300),
        ("person", 1_200),
        ("person_position", 1_200 + 300),
        ("user_account", 0),
        ("joint_activity", 2_000),
        ("activity_participant", (0..2_000).map(|k| 2 + k % 3).sum()),
        ("supervision_item", 400),
        ("supervision_assignment", (0..400).map(|k| 1 + k % 3).sum()),
        ("supervision_event", (0..400).map(per_item_events).sum()),
        (
            "supervision_escalation",
            (0..400).map(per_item_escalations).sum(),
        ),
        ("resident_appeal", 200),
        ("appeal_event", (0..200).map(per_appeal_events).sum()),
    ])
}

/// Generated rows of a few tables (ids and what does not refer to the demo's random ids), in id
/// order: equal for two runs that built the same rows.
async fn fingerprint(app: &TestApp) -> Vec<String> {
    let db = &app.state.db.read;
    let mut rows = Vec::new();
    for o in organization::Entity::find()
        .order_by_asc(organization::Column::Id)
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .filter(|o| generate::is_generated(o.id))
    {
        rows.push(format!(
            "o {} {} {} {:?}",
            o.id, o.depth, o.name, o.unit_type
        ));
    }
    for a in joint_activity::Entity::find()
        .order_by_asc(joint_activity::Column::Id)
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .filter(|a| generate::is_generated(a.id))
    {
        rows.push(format!(
            "a {} {} {} {:?}",
            a.id, a.title, a.starts_at, a.status
        ));
    }
    for e in supervision_event::Entity::find()
        .order_by_asc(supervision_event::Column::Id)
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| generate::is_generated(e.id))
    {
        rows.push(format!("e {} {} {:?} {:?}", e.id, e.item_id, e.kind, e.at));
    }
    rows
}

#[tokio::test]
async fn generate_counts_exactly_and_reruns_change_nothing() {
    let demo = demo_counts().await;
    let adds = small_adds();
    let expected: BTreeMap<&str, i64> = demo
        .iter()
        .map(|(table, n)| (*table, n + adds[table]))
        .collect();

    // Interrupted after three chunks, then finished by a rerun.
    let app = TestApp::spawn().await;
    let cut = run(&app, SMALL, Some(3)).await;
    assert!(!cut.complete);
    assert_eq!(cut.chunks_written, 3);
    assert!(matches!(cut.demo, DemoOutcome::Loaded { .. }));
    // Organizations, groups and people are one chunk each: activities are not started yet.
    assert_eq!(app.count_rows("person").await, expected["person"]);
    assert_eq!(
        app.count_rows("joint_activity").await,
        demo["joint_activity"]
    );
    let finished = run(&app, SMALL, None).await;
    assert!(finished.complete);
    assert!(finished.chunks_written > 0);
    assert_eq!(finished.demo, DemoOutcome::AlreadyLoaded);
    assert_eq!(counts(&app).await, expected);

    // A finished run again writes no chunk and changes no count.
    let again = run(&app, SMALL, None).await;
    assert!(again.complete);
    assert_eq!(again.chunks_written, 0);
    assert_eq!(counts(&app).await, expected);

    // The same rows as one uninterrupted run on a fresh database.
    let fresh = TestApp::spawn().await;
    let whole = run(&fresh, SMALL, None).await;
    assert!(whole.complete);
    assert_eq!(counts(&fresh).await, expected);
    let (a, b) = (fingerprint(&app).await, fingerprint(&fresh).await);
    assert_eq!(a.len(), (300 + 2_000 + adds["supervision_event"]) as usize);
    assert!(a == b, "the interrupted run built other rows");
}

#[tokio::test]
async fn api_answers_over_generated_data() {
    let app = TestApp::spawn().await;
    let outcome = run(&app, SMALL, None).await;
    let DemoOutcome::Loaded { accounts, .. } = outcome.demo else {
        panic!("expected the demo to load");
    };
    let password = &accounts
        .iter()
        .find(|a| a.username == "admin")
        .unwrap()
        .password;
    let login = app.login_from("127.0.0.1", "admin", password).await;
    let token = login.ok()["login"]["token"].as_str().unwrap().to_owned();

    let organizations = app
        .graphql_as(
            Some(&token),
            "{ organizations(first: 50) { totalCount edges { node { name level parent { name }
                children { totalCount } people(first: 5) { totalCount edges { node { name } } } } } } }",
            json!({}),
        )
        .await;
    let organizations = &organizations.ok()["organizations"];
    assert_eq!(
        organizations["totalCount"],
        app.count_rows("organization").await
    );
    assert_eq!(organizations["edges"].as_array().unwrap().len(), 50);

    let ledger = app
        .graphql_as(
            Some(&token),
            "{ supervisionItems(first: 20) { totalCount edges { node { code status dueOn
                escalationLevel leadOrganization { name } coResponsible { organization { name } } } } } }",
            json!({}),
        )
        .await;
    let ledger = &ledger.ok()["supervisionItems"];
    assert_eq!(
        ledger["totalCount"],
        app.count_rows("supervision_item").await
    );
    assert_eq!(ledger["edges"].as_array().unwrap().len(), 20);

    // Items 18, 38, ... are overdue by more than two cadences: the API derives REPORT for them.
    let report = app
        .graphql_as(
            Some(&token),
            "{ supervisionItems(filter: { escalationLevels: [REPORT] }, first: 1) { totalCount } }",
            json!({}),
        )
        .await;
    assert!(
        report.ok()["supervisionItems"]["totalCount"]
            .as_i64()
            .unwrap()
            >= 20
    );

    let calendar = app
        .graphql_as(
            Some(&token),
            "{ jointActivities(first: 20) { totalCount edges { node { title status startsAt
                host { name } participants { role organization { name } } } } } }",
            json!({}),
        )
        .await;
    let calendar = &calendar.ok()["jointActivities"];
    assert_eq!(
        calendar["totalCount"],
        app.count_rows("joint_activity").await
    );
    for edge in calendar["edges"].as_array().unwrap() {
        let participants = edge["node"]["participants"].as_array().unwrap();
        assert_eq!(
            participants.iter().filter(|p| p["role"] == "HOST").count(),
            1,
            "{edge}"
        );
    }

    // The tree: every child's path extends its parent's by one level ...
    let broken = app
        .count_where(
            "SELECT COUNT(*) AS n FROM organization c JOIN organization p ON p.id = c.parent_id \
             WHERE substr(c.path, 1, length(p.path)) <> p.path OR c.depth <> p.depth + 1 \
             OR length(c.path) <> length(p.path) + 33",
        )
        .await;
    assert_eq!(broken, 0);
    let orphans = app
        .count_where(
            "SELECT COUNT(*) AS n FROM organization WHERE parent_id IS NULL AND depth <> 0",
        )
        .await;
    assert_eq!(orphans, 0);
    // ... and ends with its own id.
    for o in organization::Entity::find()
        .all(&app.state.db.read)
        .await
        .unwrap()
    {
        assert!(
            o.path.ends_with(&format!("/{}/", o.id.simple())),
            "{} {}",
            o.id,
            o.path
        );
    }
}

#[tokio::test]
async fn scale_s_is_the_demo() {
    let app = TestApp::spawn().await;
    let outcome = run(&app, Shape::s(), None).await;
    assert!(outcome.complete);
    assert!(matches!(outcome.demo, DemoOutcome::Loaded { .. }));
    assert_eq!(counts(&app).await, demo_counts().await);
}
