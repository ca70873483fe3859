//! Several servers on one database behave as one: subscription events written on one reach
//! subscribers on every other, in order, once each, only where the subscriber may read them; a
//! client resumes from the last position it saw; a listener killed by PostgreSQL loses nothing;
//! the escalation pass run by two servers at once writes each rise once.

use std::time::Duration;

use futures_util::StreamExt;
use lianjian_api::{
    authz::Role,
    events::{DomainEvent, outbox},
    graphql::ids,
    services::accounts::GrantScope,
};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};

use crate::{
    helpers::TestApp,
    process::{post_graphql, sign_in, start_server_on},
    sockets::Socket,
};

const SCHEDULE: &str = "mutation($input: ScheduleJointActivityInput!) { scheduleJointActivity(input: $input) { jointActivity { id } } }";
const EVENTS: &str = "subscription($after: String) { jointActivityEvents(after: $after) { position action jointActivity { title } } }";

/// Two villages B and C; `member-b` (password `password-123`) is a member of B only.
async fn villages(app: &TestApp) -> (String, String) {
    let area = app.create_area("温泉镇").await;
    let mut orgs = Vec::new();
    for name in ["南平村党支部", "石坑村党支部"] {
        let r = app
            .graphql(
                "mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id } } }",
                json!({ "input": { "name": name, "level": "BRANCH", "unitType": "VILLAGE", "areaId": area } }),
            )
            .await;
        orgs.push(
            r.ok()["createOrganization"]["organization"]["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let b = ids::decode("id", &async_graphql::ID(orgs[0].clone()))
        .unwrap()
        .id;
    app.user_with("member-b", &[(Role::Member, GrantScope::Organization(b))])
        .await;
    (orgs[0].clone(), orgs[1].clone())
}

/// The input of an activity hosted by C, with B taking part when `with_b`.
fn activity(title: &str, b: &str, c: &str, with_b: bool, day: u32) -> Value {
    let participants: Vec<&str> = if with_b { vec![b] } else { vec![] };
    json!({ "input": { "title": title, "kind": "PATROL", "hostOrganizationId": c,
        "participantOrganizationIds": participants, "venue": format!("河堤{day}"),
        "startsAt": format!("2027-08-{day:02}T09:00:00+08:00"),
        "endsAt": format!("2027-08-{day:02}T10:00:00+08:00") } })
}

/// Schedules on the server at `port` as `token`; the activity's id.
fn schedule(port: u16, token: &str, input: Value) -> String {
    let response = post_graphql(port, Some(token), SCHEDULE, input);
    response["data"]["scheduleJointActivity"]["jointActivity"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{response}"))
        .to_owned()
}

/// The next `count` events of subscription `id` on `socket`: (position, action, title).
async fn events(socket: &mut Socket, id: &str, count: usize) -> Vec<(i64, String, String)> {
    let mut seen = Vec::new();
    while seen.len() < count {
        let message = socket.json().await;
        assert_eq!(message["id"], id, "{message}");
        assert_eq!(message["type"], "next", "{message}");
        let event = &message["payload"]["data"]["jointActivityEvents"];
        seen.push((
            event["position"]
                .as_str()
                .unwrap_or_else(|| panic!("{message}"))
                .parse()
                .unwrap(),
            event["action"].as_str().unwrap().to_owned(),
            event["jointActivity"]["title"].as_str().unwrap().to_owned(),
        ));
    }
    seen
}

fn titles(events: &[(i64, String, String)]) -> Vec<(&str, &str)> {
    events
        .iter()
        .map(|(_, action, title)| (action.as_str(), title.as_str()))
        .collect()
}

fn increasing(events: &[(i64, String, String)]) -> bool {
    events.windows(2).all(|w| w[0].0 < w[1].0)
}

/// Nothing more arrives on `socket` within a second.
async fn quiet(socket: &mut Socket) {
    let more = tokio::time::timeout(Duration::from_secs(1), socket.next()).await;
    assert!(more.is_err(), "unexpected message: {more:?}");
}

/// Subscribers on server B hear what is written through server A, in order, each once, only
/// what they may read; one that reconnects to A with `after` gets what it missed, then the live
/// events.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn subscribers_on_one_server_hear_mutations_on_another_in_order_and_only_what_they_may_read()
{
    let app = TestApp::spawn_for_servers(None).await;
    let (b, c) = villages(&app).await;
    let first = start_server_on(&app.state.config.database, &[], &[], None);
    let second = start_server_on(&app.state.config.database, &[], &[], None);
    let admin = sign_in(first.port, "root", "root-password");
    let member = sign_in(second.port, "member-b", "password-123");
    let address = |port: u16| std::net::SocketAddr::from(([127, 0, 0, 1], port));

    let mut watching_admin = Socket::connect(address(second.port), Some(&admin)).await;
    let mut watching_member = Socket::connect(address(second.port), Some(&member)).await;
    let admin_sub = watching_admin.start(EVENTS, json!({})).await;
    let member_sub = watching_member.start(EVENTS, json!({})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Written on the first server: B takes part in the odd ones only.
    let mut ids = Vec::new();
    for n in 1..=6u32 {
        ids.push(schedule(
            first.port,
            &admin,
            activity(&format!("巡河{n}"), &b, &c, n % 2 == 1, n),
        ));
    }
    let confirmed = post_graphql(
        first.port,
        Some(&admin),
        "mutation($id: ID!) { confirmJointActivity(input: { id: $id }) { jointActivity { id } } }",
        json!({ "id": ids[0] }),
    );
    assert!(confirmed["errors"].is_null(), "{confirmed}");

    let all = events(&mut watching_admin, &admin_sub, 7).await;
    assert_eq!(
        titles(&all),
        [
            ("SCHEDULED", "巡河1"),
            ("SCHEDULED", "巡河2"),
            ("SCHEDULED", "巡河3"),
            ("SCHEDULED", "巡河4"),
            ("SCHEDULED", "巡河5"),
            ("SCHEDULED", "巡河6"),
            ("CONFIRMED", "巡河1"),
        ]
    );
    assert!(increasing(&all), "{all:?}");
    let mine = events(&mut watching_member, &member_sub, 4).await;
    assert_eq!(
        titles(&mine),
        [
            ("SCHEDULED", "巡河1"),
            ("SCHEDULED", "巡河3"),
            ("SCHEDULED", "巡河5"),
            ("CONFIRMED", "巡河1"),
        ]
    );
    assert!(increasing(&mine), "{mine:?}");
    // Each event carries the same position on every replica.
    assert_eq!(mine[1].0, all[2].0);
    quiet(&mut watching_member).await;
    quiet(&mut watching_admin).await;

    // The member's connection drops after 巡河3; it resumes on the first server from there.
    drop(watching_member);
    let mut resumed = Socket::connect(address(first.port), Some(&member)).await;
    let resumed_sub = resumed
        .start(EVENTS, json!({ "after": mine[1].0.to_string() }))
        .await;
    let missed = events(&mut resumed, &resumed_sub, 2).await;
    assert_eq!(
        titles(&missed),
        [("SCHEDULED", "巡河5"), ("CONFIRMED", "巡河1")]
    );
    assert_eq!(
        missed.iter().map(|e| e.0).collect::<Vec<_>>(),
        [mine[2].0, mine[3].0]
    );
    // Then the live ones, written on the other server.
    schedule(second.port, &admin, activity("巡河7", &b, &c, true, 7));
    schedule(second.port, &admin, activity("巡河8", &b, &c, false, 8));
    schedule(second.port, &admin, activity("巡河9", &b, &c, true, 9));
    let live = events(&mut resumed, &resumed_sub, 2).await;
    assert_eq!(
        titles(&live),
        [("SCHEDULED", "巡河7"), ("SCHEDULED", "巡河9")]
    );
    assert!(live[0].0 > missed[1].0);
    quiet(&mut resumed).await;
}

/// `after` must be a position the outbox still holds: garbage, a future position and a pruned
/// one are BAD_USER_INPUT on `after`; the newest position is accepted.
#[tokio::test]
async fn resuming_needs_a_position_the_outbox_still_holds() {
    let app = TestApp::spawn().await;
    for name in ["一", "二", "三"] {
        app.create_area(name).await;
    }
    let addr = app.serve().await;
    let mut socket = Socket::connect(addr, Some(&app.admin_token)).await;
    let newest = outbox::bounds(&app.state.db.read).await.unwrap().newest;
    assert!(newest >= 3, "{newest}");
    for (after, expected) in [
        ("abc".to_owned(), "not an event position"),
        ("-1".to_owned(), "not an event position"),
        ((newest + 1).to_string(), "no event has that position yet"),
    ] {
        let id = socket.start(EVENTS, json!({ "after": after })).await;
        let message = socket.json().await;
        assert_eq!(message["id"], id.as_str());
        // The subscription answers with its error, then completes.
        let error = &message["payload"]["errors"][0];
        assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{message}");
        assert_eq!(error["extensions"]["field"], "after");
        assert!(message["payload"]["data"].is_null());
        assert_eq!(socket.json().await, json!({ "id": id, "type": "complete" }));
        assert!(
            error["message"].as_str().unwrap().contains(expected),
            "{message}"
        );
    }
    // Pruning everything written before tomorrow keeps only the newest event.
    let stored = app.count_rows("event_outbox").await;
    let deleted = outbox::prune(
        &app.state.db.write,
        chrono::Utc::now() + chrono::Duration::days(1),
    )
    .await
    .unwrap();
    assert_eq!(deleted, Some(u64::try_from(stored - 1).unwrap()));
    assert_eq!(app.count_rows("event_outbox").await, 1);
    let id = socket.start(EVENTS, json!({ "after": "0" })).await;
    let message = socket.json().await;
    assert_eq!(message["id"], id.as_str(), "{message}");
    let error = &message["payload"]["errors"][0];
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{message}");
    assert_eq!(socket.json().await, json!({ "id": id, "type": "complete" }));
    assert!(
        error["message"].as_str().unwrap().contains(&format!(
            "events up to position {} are no longer kept",
            newest - 1
        )),
        "{message}"
    );
    // From the newest position: nothing missed, and the next event arrives.
    let id = socket
        .start(EVENTS, json!({ "after": newest.to_string() }))
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (b, c) = villages(&app).await;
    app.graphql(SCHEDULE, activity("巡河", &b, &c, false, 1))
        .await
        .ok();
    let message = socket.json().await;
    assert_eq!(message["id"], id.as_str(), "{message}");
    assert_eq!(
        message["payload"]["data"]["jointActivityEvents"]["jointActivity"]["title"],
        "巡河"
    );
}

/// The first 40 areas a process's event stream delivers: (position, area).
async fn forty_areas(
    stream: impl futures_util::Stream<Item = std::sync::Arc<lianjian_api::events::Envelope>>,
) -> Vec<(i64, uuid::Uuid)> {
    let areas = stream
        .take(40)
        .map(|e| {
            let DomainEvent::AreaCreated { area } = e.event else {
                panic!("{e:?}")
            };
            (e.position, area)
        })
        .collect::<Vec<_>>();
    tokio::time::timeout(Duration::from_secs(20), areas)
        .await
        .expect("40 events within 20 seconds")
}

/// A server that has just started knows where its events begin before it answers anything: a
/// subscriber of its first moments hears every event written after it subscribed. (The
/// dispatcher used to read that position in its own task; on a busy machine that task ran after
/// the first writes, passed over them, and the subscriber waited for them in vain.)
#[tokio::test]
async fn a_server_just_started_starts_its_events_where_the_outbox_stands() {
    let app = TestApp::spawn().await;
    for n in 0..3 {
        app.create_area(&format!("早{n}")).await;
    }
    let newest = outbox::newest_row(&app.state.db.read)
        .await
        .unwrap()
        .unwrap();
    let replica = app.replica().await;
    // No await between: the replica's dispatcher task has had no turn on this thread yet.
    assert_eq!(replica.state.events.position(), newest);
    let on_replica = replica
        .state
        .events
        .subscribe(&replica.state.db.read, None)
        .await
        .unwrap();
    let mut created = Vec::new();
    for n in 0..3 {
        created.push(app.create_area(&format!("晚{n}")).await);
    }
    let heard: Vec<String> = tokio::time::timeout(
        Duration::from_secs(20),
        on_replica
            .take(3)
            .map(|e| match e.event {
                DomainEvent::AreaCreated { area } => ids::encode(ids::NodeKind::Area, area).0,
                ref other => panic!("{other:?}"),
            })
            .collect::<Vec<_>>(),
    )
    .await
    .expect("the three later areas within 20 seconds");
    assert_eq!(heard, created);
}

/// Dozens of writes at once through two replicas: a subscriber on each hears every event exactly
/// once, in the same order, with no position skipped over and delivered late.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writes_on_two_replicas_reach_every_subscriber_once_in_one_order() {
    let app = TestApp::spawn().await;
    let replica = app.replica().await;
    let on_app = app
        .state
        .events
        .subscribe(&app.state.db.read, None)
        .await
        .unwrap();
    let on_replica = replica
        .state
        .events
        .subscribe(&replica.state.db.read, None)
        .await
        .unwrap();
    let writes = (0..40).map(|n| {
        let target = if n % 2 == 0 { &app } else { &replica };
        async move { target.create_area(&format!("区{n}")).await }
    });
    let mut created: Vec<String> = futures_util::future::join_all(writes).await;
    created.sort();
    let (heard_app, heard_replica) = tokio::join!(forty_areas(on_app), forty_areas(on_replica));
    assert_eq!(heard_app, heard_replica);
    assert!(heard_app.windows(2).all(|w| w[0].0 < w[1].0));
    let mut areas: Vec<String> = heard_app
        .iter()
        .map(|(_, area)| ids::encode(ids::NodeKind::Area, *area).0)
        .collect();
    areas.sort();
    assert_eq!(areas, created);
    // The outbox holds the same 40, in the same order.
    let page = outbox::read_after(&app.state.db.read, 0, 100)
        .await
        .unwrap();
    let stored: Vec<(i64, uuid::Uuid)> = page
        .envelopes
        .into_iter()
        .map(|e| match e.event {
            DomainEvent::AreaCreated { area } => (e.position, area),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(stored, heard_app);
}

/// PostgreSQL ends every listener connection of the schema (`pg_terminate_backend`) while
/// writes go on: the subscriber loses nothing, hears nothing twice, and the listeners come back.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_listener_killed_by_postgres_loses_nothing() {
    let app = TestApp::spawn_for_servers(None).await;
    if !app.on_postgres() {
        eprintln!("a PostgreSQL test: set TEST_DATABASE_URL to run it");
        return;
    }
    let schema = app.state.config.database.schema.clone().unwrap();
    let (b, c) = villages(&app).await;
    let first = start_server_on(&app.state.config.database, &[], &[], None);
    let second = start_server_on(&app.state.config.database, &[], &[], None);
    let admin = sign_in(first.port, "root", "root-password");
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], second.port));
    let mut watching = Socket::connect(address, Some(&admin)).await;
    let sub = watching.start(EVENTS, json!({})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let listeners = format!(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'lianjian-listener:{schema}'"
    );
    let count = |sql: String| {
        let db = app.state.db.write.clone();
        async move {
            db.query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
                .await
                .unwrap()
                .unwrap()
                .try_get::<i64>("", "n")
                .unwrap()
        }
    };
    // The in-process app and both servers listen.
    assert_eq!(count(listeners.clone()).await, 3);
    let kill = format!(
        "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE application_name = 'lianjian-listener:{schema}'"
    );
    let mut expected = Vec::new();
    for n in 1..=9u32 {
        if n % 3 == 1 {
            // Each kill finds every listener back from the one before: they reconnect on their
            // own, and the writes between two kills may be quicker than that.
            let started = std::time::Instant::now();
            while count(listeners.clone()).await < 3 {
                assert!(
                    started.elapsed() < Duration::from_secs(15),
                    "the listeners did not come back"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            assert_eq!(count(kill.clone()).await, 3);
        }
        let title = format!("巡河{n}");
        schedule(first.port, &admin, activity(&title, &b, &c, false, n));
        expected.push(("SCHEDULED".to_owned(), title));
    }
    let heard = events(&mut watching, &sub, 9).await;
    assert_eq!(
        heard
            .iter()
            .map(|(_, a, t)| (a.clone(), t.clone()))
            .collect::<Vec<_>>(),
        expected
    );
    assert!(increasing(&heard), "{heard:?}");
    quiet(&mut watching).await;
    // The listeners are back.
    let started = std::time::Instant::now();
    while count(listeners.clone()).await < 3 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "listeners did not come back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Two servers starting at once on a day items rose on the ladder both try the day's pass: each
/// rise is written once (one ESCALATED entry, one alert), and the day is recorded as passed once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_escalation_pass_on_two_servers_at_once_writes_each_rise_once() {
    use crate::supervision::{at, item, ledger};
    let app = TestApp::spawn_for_servers(Some(at("2026-03-02"))).await;
    let l = ledger(&app).await;
    let overdue = item(&app, &l, "逾期", "A", json!({ "dueOn": "2026-03-03" })).await;
    let soon = item(&app, &l, "临期", "B", json!({ "dueOn": "2026-03-20" })).await;
    item(&app, &l, "从容", "C", json!({ "dueOn": "2026-04-30" })).await;
    let before = outbox::bounds(&app.state.db.read).await.unwrap().newest;
    // 2026-03-18: `overdue` is 15 days late (> 14: SUPERVISE), `soon` has 2 working days left
    // (19, 20: REMIND), the third nothing.
    let (first, second) = std::thread::scope(|s| {
        let one = s.spawn(|| {
            start_server_on(
                &app.state.config.database,
                &["--today", "2026-03-18"],
                &[],
                None,
            )
        });
        let two = s.spawn(|| {
            start_server_on(
                &app.state.config.database,
                &["--today", "2026-03-18"],
                &[],
                None,
            )
        });
        (one.join().unwrap(), two.join().unwrap())
    });
    let passed = "SELECT count(*) AS n FROM escalation_pass WHERE as_of = '2026-03-18'";
    let started = std::time::Instant::now();
    while app.count_where(passed).await == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no pass finished"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Give the other server's pass time to finish (or to find the day done).
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(app.count_where(passed).await, 1);
    assert_eq!(
        app.count_where("SELECT count(*) AS n FROM supervision_event WHERE kind = 'ESCALATED'")
            .await,
        2
    );
    let alerts: Vec<(uuid::Uuid, String)> = outbox::read_after(&app.state.db.read, before, 100)
        .await
        .unwrap()
        .envelopes
        .into_iter()
        .filter_map(|e| match e.event {
            DomainEvent::DeadlineAlert { item, level, .. } => Some((item, format!("{level:?}"))),
            _ => None,
        })
        .collect();
    let mut alerts = alerts;
    alerts.sort();
    let uuid = |id: &str| {
        ids::decode("id", &async_graphql::ID(id.to_owned()))
            .unwrap()
            .id
    };
    let mut expected = vec![
        (uuid(&overdue), "Supervise".to_owned()),
        (uuid(&soon), "Remind".to_owned()),
    ];
    expected.sort();
    assert_eq!(alerts, expected);
    // A subscriber resuming from before the pass, on either server, hears the two alerts.
    let token = &l.tokens["supervisor"];
    for server in [&first, &second] {
        let address = std::net::SocketAddr::from(([127, 0, 0, 1], server.port));
        let mut socket = Socket::connect(address, Some(token)).await;
        let id = socket
            .start(
                "subscription($after: String) { deadlineAlerts(after: $after) { level item { title } } }",
                json!({ "after": before.to_string() }),
            )
            .await;
        let mut heard = Vec::new();
        for _ in 0..2 {
            let message = socket.json().await;
            assert_eq!(message["id"], id.as_str(), "{message}");
            let alert = &message["payload"]["data"]["deadlineAlerts"];
            heard.push((
                alert["item"]["title"].as_str().unwrap().to_owned(),
                alert["level"].as_str().unwrap().to_owned(),
            ));
        }
        heard.sort();
        assert_eq!(
            heard,
            [
                ("临期".to_owned(), "REMIND".to_owned()),
                ("逾期".to_owned(), "SUPERVISE".to_owned())
            ]
        );
    }
}

/// A pass another replica holds is left to it; once that replica is gone (its lock released
/// with its connection, the day unrecorded), the next look runs the day to its end.
#[tokio::test]
async fn a_day_whose_pass_died_with_its_replica_is_passed_by_another() {
    use lianjian_api::services::supervision::escalation::{self, WhenBusy};
    use sea_orm::TransactionTrait;
    let app = TestApp::spawn_at(crate::supervision::at("2026-03-02")).await;
    if !app.on_postgres() {
        eprintln!("a PostgreSQL test (advisory locks): set TEST_DATABASE_URL to run it");
        return;
    }
    let l = crate::supervision::ledger(&app).await;
    crate::supervision::item(&app, &l, "逾期", "A", json!({ "dueOn": "2026-03-03" })).await;
    let day: chrono::NaiveDate = "2026-03-18".parse().unwrap();
    let now = app.state.clock.now();
    // Another replica's pass, holding the day's lock.
    let other = app.state.db.write.begin().await.unwrap();
    other
        .execute_unprepared(&format!(
            "SELECT pg_advisory_xact_lock({}, hashtext(current_schema()))",
            escalation::PASS_LOCK
        ))
        .await
        .unwrap();
    let skipped = escalation::run_exclusive(
        &app.state.db.write,
        &app.state.events,
        day,
        now,
        WhenBusy::Skip,
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(skipped, None);
    assert!(!escalation::passed(&app.state.db.write, day).await.unwrap());
    assert_eq!(
        app.count_where("SELECT count(*) AS n FROM supervision_event WHERE kind = 'ESCALATED'")
            .await,
        0
    );
    // The other replica dies: its transaction ends without a commit.
    other.rollback().await.unwrap();
    let done = escalation::run_exclusive(
        &app.state.db.write,
        &app.state.events,
        day,
        now,
        WhenBusy::Skip,
        |_| {},
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!((done.examined, done.escalated), (1, 1));
    assert!(escalation::passed(&app.state.db.write, day).await.unwrap());
}
