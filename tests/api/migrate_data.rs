//! `lianjian migrate-data` and `lianjian backup` on the real binary: a demo town copied from a
//! SQLite file into the test database (a PostgreSQL schema when `TEST_DATABASE_URL` is set,
//! another SQLite file otherwise) answers the same queries as the original, row for row.

use std::{
    collections::{BTreeMap, BTreeSet},
    process::{Command, Output},
};

use lianjian_api::{config::DatabaseConfig, db::Db, metrics::Metrics, transfer};
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};

use crate::{
    helpers::TestDatabase,
    process::{BINARY, database_args, post_graphql, sign_in, start_server_with},
};

const TODAY: &str = "2026-06-15";

/// Runs the binary with the logs off and `--today` pinned.
fn run(args: &[&str], database: Option<&TestDatabase>) -> Output {
    let mut command = Command::new(BINARY);
    command
        .args(args)
        .env("LIANJIAN_LOG", "off")
        .env("LIANJIAN_TODAY", TODAY);
    if let Some(database) = database {
        command.args(database_args(database));
    }
    command.output().unwrap()
}

fn succeeded(output: Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The demo town in a new SQLite file, with the escalation pass of `TODAY` already run (so the
/// pass every server runs at start-up writes nothing on either side). Returns the database and
/// the administrator's password that `demo-data` printed.
fn demo_town() -> (TestDatabase, String) {
    let source = TestDatabase::sqlite();
    let printed = succeeded(run(&["demo-data"], Some(&source)));
    let password = printed
        .lines()
        .find_map(|line| {
            let mut words = line.split_whitespace();
            (words.next() == Some("admin")).then(|| words.next().unwrap().to_owned())
        })
        .unwrap_or_else(|| panic!("no admin password in {printed}"));
    let escalated = succeeded(run(&["escalate"], Some(&source)));
    assert!(escalated.contains("14 escalated"), "{escalated}");
    (source, password)
}

/// `migrate-data` from `source` (SQLite) into `target`.
fn migrate_data(source: &TestDatabase, target: &TestDatabase, extra: &[&str]) -> Output {
    let mut args = vec![
        "migrate-data",
        "--from",
        &source.config.url,
        "--to",
        &target.config.url,
    ];
    if let Some(schema) = &target.config.schema {
        args.extend(["--to-schema", schema.as_str()]);
    }
    args.extend(extra);
    run(&args, None)
}

async fn connect(config: &DatabaseConfig) -> Db {
    Db::connect(config, &Metrics::new()).await.unwrap()
}

/// The tables of a database as its catalogue lists them.
async fn table_names(db: &impl ConnectionTrait) -> BTreeSet<String> {
    let sql = match db.get_database_backend() {
        DbBackend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        }
        _ => {
            "SELECT table_name::text AS name FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        }
    };
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .into_iter()
        .map(|row| row.try_get::<String>("", "name").unwrap())
        .collect()
}

/// COUNT(*) of every table of the database, the migrations' bookkeeping table included.
async fn row_counts(config: &DatabaseConfig) -> BTreeMap<String, i64> {
    let db = connect(config).await;
    let mut counts = BTreeMap::new();
    for table in table_names(&db.write).await {
        let row = db
            .write
            .query_one_raw(Statement::from_string(
                db.backend(),
                format!("SELECT COUNT(*) AS n FROM \"{table}\""),
            ))
            .await
            .unwrap()
            .unwrap();
        counts.insert(table, row.try_get::<i64>("", "n").unwrap());
    }
    db.close().await.unwrap();
    counts
}

async fn one_string(config: &DatabaseConfig, sql: &str) -> String {
    let db = connect(config).await;
    let row = db
        .write
        .query_one_raw(Statement::from_string(db.backend(), sql))
        .await
        .unwrap()
        .unwrap();
    let value = row.try_get_by_index::<String>(0).unwrap();
    db.close().await.unwrap();
    value
}

/// The queries both sides must answer alike, as the administrator.
const AREAS_AND_TREE: &str = "{
  areas(first: 100) { totalCount edges { node { id name description createdAt updatedAt } } }
  organizations(first: 100) { totalCount edges { node {
    id name shortName externalCode level unitType contact keyVillage remote archived archivedAt
    depth createdAt updatedAt area { id name } parent { id name } ancestors { id name }
    children(first: 100) { totalCount edges { node { id name } } }
    people(first: 100) { totalCount edges { node { id name gender phone idNumber politicalStatus
      positions { position startedOn endedOn } } } } } } }
  linkageGroups(first: 10) { totalCount edges { node { id name description cadenceDays
    cadenceStartsOn createdAt leadOrganization { id name }
    members(first: 100) { totalCount edges { node { role organization { id name } } } } } } }
}";

const ACTIVITIES: &str = "{
  jointActivities(first: 100) { totalCount edges { node {
    id title kind status venue startsAt endsAt startsOn capacity description cancelReason summary
    version createdAt attendeeCount host { id name } linkageGroup { id name }
    participants { role organization { id name } }
    attendance(first: 100) { totalCount } } } }
}";

const LEDGER: &str = "{
  supervisionItems(first: 100) { totalCount edges { node {
    id code title description source priority status version openedOn dueOn originalDueOn
    submittedOn closedOn cancelledOn overdue daysRemaining workingDaysRemaining closedOnTime
    escalationLevel progressPercent createdAt updatedAt leadOrganization { id name }
    coResponsible { __typename } assignee { id name } supervisor { id username }
    appeal { id code }
    reviews { verdict comment at reviewer { username } }
    timeline(first: 100) { totalCount edges { node {
      at kind note from to level dueOn actor { id username } } } }
    reports(first: 100) { totalCount } } } }
}";

const ROUNDS: &str = "{
  linkageGroups(first: 10) { edges { node { id
    supervisionRounds(first: 50) { totalCount edges { node {
      id number startsOn endsOn status openedAt closedAt
      items(first: 100) { totalCount edges { node { id code } } }
      reviews { verdict comment at item { code } reviewer { username } }
      snapshot { takenAt opened closed closedOnTime overdue escalated carriedOver
        byOrganization { __typename } } } } } } } }
}";

const APPEALS: &str = "{
  residentAppeals(first: 100) { totalCount edges { node {
    id code content category status village { id name } grid collector { id name } receivedOn
    dueOn overdue residentName residentPhone address resolution rejectionReason resolvedOn
    supervisionItem { id code } feedback { satisfaction comment at } reopenedCount version } } }
}";

const MENTORING: &str = "{
  firstSecretaryAssignments(first: 100) { totalCount edges { node {
    id person { name } organization { name } startsOn endsOn active dispatchedBy version } } }
  mentorPairings(first: 100) { totalCount edges { node {
    id mentor { name } mentee { name } organization { name } goals startsOn status endedOn
    outcome lastSessionOn neglected version createdAt updatedAt } } }
  workCalendar2026: workCalendar(year: 2026) { date isWorkingDay name }
  workCalendar2027: workCalendar(year: 2027) { date isWorkingDay name }
}";

const STATISTICS: &str = "query($group: ID!) {
  statistics(linkageGroupId: $group, from: \"2026-01-01\", to: \"2026-12-31\") {
    from to asOf
    supervision { opened closed closedOnTime closedLate overdueNow extended
      averageWorkingDaysToClose onTimeRate { numerator denominator value asOf }
      byOrganization { organization { name } lead coResponsible closed closedOnTime overdueNow } }
    activities { held cancelled participationByOrganization { organization { name } count } }
    mentoring { activePairings sessions neglectedPairings
      keyVillageCoverage { numerator denominator value } }
    appeals { collected resolved rejected open resolutionRate { numerator denominator value }
      satisfactionRate { numerator denominator value }
      byVillage { organization { name } count } byCategory { category count } } }
}";

const AUDIT: &str = "{
  auditLog(first: 100) { totalCount edges { node {
    id action targetType targetId requestId createdAt before after actor { id username } } } }
}";

const USERS: &str = "query($ids: [ID!]!) {
  nodes(ids: $ids) { ... on User { id username disabled createdAt person { id name }
    grants { role scope { id } } } }
}";

/// The answers of one server to every query above.
fn answers(port: u16, token: &str, group: &str, users: &[String]) -> Vec<(&'static str, Value)> {
    let mut answers = Vec::new();
    for (name, query, variables) in [
        ("areas and organizations", AREAS_AND_TREE, json!({})),
        ("joint activities", ACTIVITIES, json!({})),
        ("supervision ledger", LEDGER, json!({})),
        ("supervision rounds", ROUNDS, json!({})),
        ("appeals", APPEALS, json!({})),
        ("mentoring and calendar", MENTORING, json!({})),
        ("statistics", STATISTICS, json!({ "group": group })),
        ("audit log", AUDIT, json!({})),
        ("users", USERS, json!({ "ids": users })),
    ] {
        let response = post_graphql(port, Some(token), query, variables);
        assert!(response["errors"].is_null(), "{name}: {response}");
        answers.push((name, response["data"].clone()));
    }
    answers
}

/// Where two answers differ, as JSON pointers with both values (the first 20).
fn differ(path: &str, before: &Value, after: &Value, out: &mut Vec<String>) {
    if out.len() >= 20 {
        return;
    }
    match (before, after) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for key in keys {
                let (x, y) = (&a.get(key), &b.get(key));
                match (x, y) {
                    (Some(x), Some(y)) => differ(&format!("{path}/{key}"), x, y, out),
                    _ => out.push(format!("{path}/{key}: {x:?} / {y:?}")),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                differ(&format!("{path}/{i}"), x, y, out);
            }
        }
        _ if before != after => out.push(format!("{path}: {before} / {after}")),
        _ => {}
    }
}

/// The copy of a demo town: every table holds as many rows as the original (counted on both
/// sides with COUNT(*)), and a server on the copy answers every query of the ledger, the tree,
/// activities, appeals, statistics, the audit log and the accounts exactly as a server on the
/// original, with the token signed in on the original. A second run into the filled target is
/// refused (exit code 2) and changes nothing.
#[tokio::test]
async fn a_demo_town_moves_to_another_database_and_answers_the_same() {
    let (source, password) = demo_town();
    // A calendar correction made on the source replaces the holiday tables the target's
    // migrations seed.
    let dir = tempfile::tempdir().unwrap();
    let calendar = dir.path().join("2027.csv");
    std::fs::write(
        &calendar,
        "date,is_working_day,name\n2027-01-01,false,元旦\n2027-02-06,true,春节补班\n",
    )
    .unwrap();
    succeeded(run(
        &["calendar", "import", calendar.to_str().unwrap()],
        Some(&source),
    ));

    // Signed in on the original before the move: the same token works on both sides after it.
    let token = {
        let server = start_server_with(&source, &[], &[("LIANJIAN_TODAY", TODAY)], None);
        sign_in(server.port, "admin", &password)
    };

    let target = TestDatabase::create().await;
    let output = migrate_data(&source, &target, &["--chunk-rows", "7"]);
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(0), "{stderr}");

    let source_counts = row_counts(&source.config).await;
    let target_counts = row_counts(&target.config).await;
    assert_eq!(source_counts, target_counts);
    // What the demo holds (README, DESIGN 5, tests/api/demo.rs): 2 areas, 30 items of the ledger
    // and 2 escalated from residents' appeals, 10 activities, 6 accounts.
    assert_eq!(target_counts["area"], 2);
    assert_eq!(target_counts["supervision_item"], 32);
    assert_eq!(target_counts["joint_activity"], 10);
    assert_eq!(target_counts["user_account"], 6);
    assert!(target_counts["organization"] > 27, "{target_counts:?}");
    assert!(target_counts["appeal_event"] > 0, "{target_counts:?}");
    assert!(
        target_counts["supervision_escalation"] >= 14,
        "{target_counts:?}"
    );

    // Progress per table on standard error, in chunks of 7; no personal data anywhere.
    assert!(
        stderr.contains("migrate-data: organization: 7 of "),
        "{stderr}"
    );
    assert!(
        stderr.contains("migrate-data: supervision_item: 32 of 32 rows"),
        "{stderr}"
    );
    let tables = target_counts.len() - 1;
    assert!(
        stdout.contains(&format!("copied {tables} tables")),
        "{stdout}"
    );
    for secret in [
        password.clone(),
        one_string(
            &source.config,
            "SELECT name FROM person ORDER BY name LIMIT 1",
        )
        .await,
        one_string(
            &source.config,
            "SELECT phone FROM person WHERE phone IS NOT NULL ORDER BY phone LIMIT 1",
        )
        .await,
        one_string(
            &source.config,
            "SELECT resident_name FROM resident_appeal WHERE resident_name IS NOT NULL \
             ORDER BY resident_name LIMIT 1",
        )
        .await,
    ] {
        assert!(!stderr.contains(&secret) && !stdout.contains(&secret));
    }

    let group = {
        let db = connect(&source.config).await;
        let row = db
            .write
            .query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT id FROM linkage_group",
            ))
            .await
            .unwrap()
            .unwrap();
        lianjian_api::graphql::ids::encode(
            lianjian_api::graphql::ids::NodeKind::LinkageGroup,
            row.try_get::<uuid::Uuid>("", "id").unwrap(),
        )
        .0
    };
    let users: Vec<String> = {
        let db = connect(&source.config).await;
        let rows = db
            .write
            .query_all_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT id FROM user_account ORDER BY username",
            ))
            .await
            .unwrap();
        rows.iter()
            .map(|row| {
                lianjian_api::graphql::ids::encode(
                    lianjian_api::graphql::ids::NodeKind::User,
                    row.try_get::<uuid::Uuid>("", "id").unwrap(),
                )
                .0
            })
            .collect()
    };
    let env = [("LIANJIAN_TODAY", TODAY)];
    let original = start_server_with(&source, &[], &env, None);
    let copy = start_server_with(&target, &[], &env, None);
    let before = answers(original.port, &token, &group, &users);
    let after = answers(copy.port, &token, &group, &users);
    for ((name, before), (_, after)) in before.iter().zip(&after) {
        let mut differences = Vec::new();
        differ("", before, after, &mut differences);
        assert!(
            differences.is_empty(),
            "{name} differs after the move:\n{}",
            differences.join("\n")
        );
    }
    // The answers are data, not empty pages.
    let answer = |name: &str| &after.iter().find(|(n, _)| *n == name).unwrap().1;
    assert_eq!(answer("areas and organizations")["areas"]["totalCount"], 2);
    assert_eq!(
        answer("joint activities")["jointActivities"]["totalCount"],
        10
    );
    assert_eq!(
        answer("supervision ledger")["supervisionItems"]["totalCount"],
        32
    );
    assert!(
        answer("supervision rounds")["linkageGroups"]["edges"][0]["node"]["supervisionRounds"]
            ["totalCount"]
            .as_u64()
            .unwrap()
            > 0
    );
    assert_eq!(
        answer("audit log")["auditLog"]["totalCount"],
        target_counts["audit_entry"]
    );
    assert_eq!(
        answer("mentoring and calendar")["workCalendar2027"],
        json!([
            { "date": "2027-01-01", "isWorkingDay": false, "name": "元旦" },
            { "date": "2027-02-06", "isWorkingDay": true, "name": "春节补班" },
        ])
    );
    let accounts = answer("users")["nodes"].as_array().unwrap();
    assert_eq!(accounts.len(), 6);
    assert!(
        accounts
            .iter()
            .all(|u| !u["grants"].as_array().unwrap().is_empty())
    );
    drop(original);
    drop(copy);

    // Once more into the filled target: refused, one line, exit code 2, nothing changed.
    let before = row_counts(&target.config).await;
    let output = migrate_data(&source, &target, &[]);
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("is not empty"), "{stderr}");
    assert!(stderr.contains("(area: 2 rows, audit_entry: "), "{stderr}");
    assert_eq!(row_counts(&target.config).await, before);

    // And back, from a PostgreSQL schema into a new SQLite file: every count as in the original.
    if let Some(schema) = &target.config.schema {
        let back = TestDatabase::sqlite();
        let output = run(
            &[
                "migrate-data",
                "--from",
                &target.config.url,
                "--from-schema",
                schema,
                "--to",
                &back.config.url,
            ],
            None,
        );
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(row_counts(&back.config).await, source_counts);
    }
}

/// A source row the target cannot take (an appeal event of an appeal that does not exist,
/// written with foreign keys off; ids are 16-byte blobs on SQLite) fails the copy at that table, after every other table went in:
/// the error names the table, the exit code is 1, and the target holds no data afterwards.
#[tokio::test]
async fn a_failed_copy_names_the_table_and_leaves_the_target_empty() {
    let (source, _) = demo_town();
    {
        let options = sea_orm::ConnectOptions::new(source.config.url.clone())
            .max_connections(1)
            .to_owned();
        let db = sea_orm::Database::connect(options).await.unwrap();
        db.execute_unprepared(
            "PRAGMA foreign_keys = OFF; \
             UPDATE appeal_event SET appeal_id = X'00000000000070008000000000000001' \
             WHERE id = (SELECT MIN(id) FROM appeal_event);",
        )
        .await
        .unwrap();
        db.close().await.unwrap();
    }
    let target = TestDatabase::create().await;
    let output = migrate_data(&source, &target, &[]);
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    // Progress up to the failing table, then the error on one line.
    let error = stderr.trim().lines().last().unwrap();
    assert!(
        error.starts_with("error: copying appeal_event failed"),
        "{stderr}"
    );
    assert!(error.to_lowercase().contains("foreign key"), "{stderr}");
    assert!(
        stderr.contains("migrate-data: resident_appeal: "),
        "{stderr}"
    );
    assert_eq!(stderr.matches("error:").count(), 1, "{stderr}");
    // Only what migrations put there: the migrations themselves and the holiday tables.
    let counts = row_counts(&target.config).await;
    let holding: Vec<_> = counts
        .iter()
        .filter(|(table, n)| {
            **n > 0 && !["seaql_migrations", "work_calendar"].contains(&table.as_str())
        })
        .collect();
    assert!(holding.is_empty(), "{holding:?}");
    assert_eq!(
        counts["seaql_migrations"],
        Migrator::migrations().len() as i64
    );
    // The seed: every line of the two official tables in data/.
    let seeded = [
        include_str!("../../data/cn-workdays-2025.csv"),
        include_str!("../../data/cn-workdays-2026.csv"),
    ]
    .iter()
    .map(|f| f.lines().skip(1).filter(|l| !l.trim().is_empty()).count() as i64)
    .sum::<i64>();
    assert_eq!(counts["work_calendar"], seeded);
}

/// Bad input is a one-line error with exit code 2 before anything is written: a source file that
/// does not exist, a schema option on SQLite, the same database on both sides.
#[tokio::test]
async fn bad_arguments_are_refused_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let missing = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("missing.db").display()
    );
    let target = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("target.db").display()
    );
    for (args, expected) in [
        (
            vec!["--from", missing.as_str(), "--to", target.as_str()],
            "does not exist",
        ),
        (
            vec![
                "--from",
                target.as_str(),
                "--to",
                missing.as_str(),
                "--to-schema",
                "s",
            ],
            "--to-schema applies to PostgreSQL only",
        ),
        (
            vec!["--from", target.as_str(), "--to", target.as_str()],
            "same database",
        ),
    ] {
        let mut all = vec!["migrate-data"];
        all.extend(args);
        let output = run(&all, None);
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(expected), "{stderr}");
    }
    // Nothing was created along the way.
    assert!(!dir.path().join("missing.db").exists());
    assert!(!dir.path().join("target.db").exists());
}

/// The copier's list is the schema: every table of a freshly migrated database (the migrations'
/// bookkeeping table aside) is in it with the same columns, and each table comes after the
/// tables its foreign keys point at, unless the column is written after the copy (deferred).
#[tokio::test]
async fn the_copier_knows_every_table_and_column_in_foreign_key_order() {
    let database = TestDatabase::create().await;
    let db = connect(&database.config).await;
    Migrator::up(&db.write, None).await.unwrap();
    let present: BTreeSet<String> = table_names(&db.write)
        .await
        .into_iter()
        .filter(|t| t != "seaql_migrations")
        .collect();
    let tables = transfer::tables();
    let listed: BTreeSet<String> = tables.iter().map(|t| t.name.to_owned()).collect();
    assert_eq!(
        listed.len(),
        tables.len(),
        "a table is listed twice in transfer::tables()"
    );
    assert_eq!(
        present.difference(&listed).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "tables missing from transfer::tables()"
    );
    assert_eq!(
        listed.difference(&present).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "tables in transfer::tables() that migrations do not create"
    );

    let backend = db.backend();
    for (position, table) in tables.iter().enumerate() {
        let columns_sql = match backend {
            DbBackend::Sqlite => "SELECT name FROM pragma_table_info(?)",
            _ => {
                // Generated columns (a searched column's grams) are computed, not copied.
                "SELECT column_name::text AS name FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = $1 \
                 AND is_generated = 'NEVER'"
            }
        };
        let columns: BTreeSet<String> = db
            .write
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                columns_sql,
                [table.name.into()],
            ))
            .await
            .unwrap()
            .iter()
            .map(|row| row.try_get::<String>("", "name").unwrap())
            .collect();
        let copied: BTreeSet<String> = table.columns.iter().map(|c| (*c).to_owned()).collect();
        assert_eq!(columns, copied, "columns of {}", table.name);

        let foreign_keys_sql = match backend {
            DbBackend::Sqlite => {
                "SELECT \"from\" AS name, \"table\" AS target FROM pragma_foreign_key_list(?)"
            }
            _ => {
                "SELECT kcu.column_name::text AS name, ccu.table_name::text AS target \
                 FROM information_schema.table_constraints tc \
                 JOIN information_schema.key_column_usage kcu \
                   ON kcu.constraint_name = tc.constraint_name AND kcu.table_schema = tc.table_schema \
                 JOIN information_schema.constraint_column_usage ccu \
                   ON ccu.constraint_name = tc.constraint_name AND ccu.table_schema = tc.table_schema \
                 WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = current_schema() \
                   AND tc.table_name = $1"
            }
        };
        let foreign_keys = db
            .write
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                foreign_keys_sql,
                [table.name.into()],
            ))
            .await
            .unwrap();
        for row in foreign_keys {
            let column: String = row.try_get("", "name").unwrap();
            let target: String = row.try_get("", "target").unwrap();
            let earlier = tables[..position].iter().any(|t| t.name == target);
            assert!(
                earlier || table.deferred.contains(&column.as_str()),
                "{}.{column} points at {target}, which is not copied before it",
                table.name
            );
        }
    }
    db.close().await.unwrap();
}

/// PostgreSQL: serial and identity columns continue after the largest copied value, and start at
/// 1 in an empty table.
#[tokio::test]
async fn sequences_continue_after_the_copied_values() {
    let database = TestDatabase::create().await;
    if database.config.schema.is_none() {
        return;
    }
    let db = connect(&database.config).await;
    db.write
        .execute_unprepared(
            "CREATE TABLE seq_probe (id SERIAL PRIMARY KEY, label TEXT); \
             CREATE TABLE ident_probe (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, label TEXT); \
             CREATE TABLE empty_probe (id SERIAL PRIMARY KEY, label TEXT); \
             INSERT INTO seq_probe (id, label) VALUES (3, 'a'), (41, 'b'), (7, 'c'); \
             INSERT INTO ident_probe (id, label) VALUES (12, 'a');",
        )
        .await
        .unwrap();
    let set = transfer::reset_sequences(&db.write, &["seq_probe", "ident_probe", "empty_probe"])
        .await
        .unwrap();
    assert_eq!(set, ["seq_probe.id", "ident_probe.id", "empty_probe.id"]);
    for (table, expected) in [("seq_probe", 42), ("ident_probe", 13), ("empty_probe", 1)] {
        let row = db
            .write
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                format!("INSERT INTO {table} (label) VALUES ('new') RETURNING id::bigint AS id"),
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.try_get::<i64>("", "id").unwrap(), expected, "{table}");
    }
    db.close().await.unwrap();
}

/// `lianjian backup` while a server runs on the database: the copy opens and answers like the
/// original; an existing file and a PostgreSQL URL are refused with exit code 2.
#[tokio::test]
async fn a_backup_of_a_running_database_answers_the_same() {
    let (source, password) = demo_town();
    let env = [("LIANJIAN_TODAY", TODAY)];
    let original = start_server_with(&source, &[], &env, None);
    let token = sign_in(original.port, "admin", &password);

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("backup.db");
    let printed = succeeded(run(
        &["backup", "--to", file.to_str().unwrap()],
        Some(&source),
    ));
    assert!(printed.starts_with("backed up to "), "{printed}");

    let backup = TestDatabase::existing(DatabaseConfig::new(format!(
        "sqlite://{}?mode=rwc",
        file.display()
    )));
    assert_eq!(
        row_counts(&backup.config).await,
        row_counts(&source.config).await
    );
    let copy = start_server_with(&backup, &[], &env, None);
    for query in [AREAS_AND_TREE, LEDGER, AUDIT] {
        let before = post_graphql(original.port, Some(&token), query, json!({}));
        let after = post_graphql(copy.port, Some(&token), query, json!({}));
        assert!(before["errors"].is_null(), "{before}");
        assert_eq!(before, after);
    }
    drop(copy);

    // An existing file is never overwritten.
    let size = std::fs::metadata(&file).unwrap().len();
    let output = run(&["backup", "--to", file.to_str().unwrap()], Some(&source));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("already exists"), "{stderr}");
    assert_eq!(std::fs::metadata(&file).unwrap().len(), size);

    let output = run(
        &[
            "backup",
            "--to",
            dir.path().join("pg.db").to_str().unwrap(),
            "--database-url",
            "postgres://lianjian@127.0.0.1:1/lianjian",
        ],
        None,
    );
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("pg_dump"), "{stderr}");
}

/// A backup taken while 4 clients keep writing is one moment of the database: restored (the file
/// put in place and served), it passes `PRAGMA integrity_check`, every area it holds comes with
/// its audit entry and its event, and each is in the original with the same name; the writes
/// answered before the backup started are all in it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_under_write_load_restores_to_one_consistent_moment() {
    use std::sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    };

    let (source, password) = demo_town();
    let baseline = areas_audits_events(&source.config).await;
    let server = start_server_with(&source, &[], &[("LIANJIAN_TODAY", TODAY)], None);
    let token = sign_in(server.port, "admin", &password);
    let stop = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(Mutex::new(Vec::<String>::new()));
    let writers: Vec<_> = (0..4)
        .map(|writer| {
            let (stop, answered, token, port) =
                (stop.clone(), answered.clone(), token.clone(), server.port);
            std::thread::spawn(move || {
                let headers = [("Authorization", format!("Bearer {token}"))];
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    let name = format!("备份区{writer}-{n}");
                    let response = crate::process::send_graphql(
                        port,
                        &headers,
                        "mutation($input: CreateAreaInput!) { createArea(input: $input) { area { name } } }",
                        json!({ "input": { "name": name } }),
                    )
                    .unwrap();
                    assert_eq!(response["data"]["createArea"]["area"]["name"], name.as_str());
                    answered.lock().unwrap().push(name);
                    n += 1;
                    // At most 24 each, so that every area fits in one page of the check.
                    if n == 24 {
                        break;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(40));
                }
            })
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(500));
    let before_backup = answered.lock().unwrap().clone();
    assert!(!before_backup.is_empty(), "no write answered within 500 ms");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("under-load.db");
    succeeded(run(
        &["backup", "--to", file.to_str().unwrap()],
        Some(&source),
    ));
    std::thread::sleep(std::time::Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.join().unwrap();
    }
    let after_backup = answered.lock().unwrap().len();
    drop(server);

    // Restored: the copy is whole and serves.
    let restored = TestDatabase::existing(DatabaseConfig::new(format!(
        "sqlite://{}?mode=rwc",
        file.display()
    )));
    assert_eq!(
        one_string(&restored.config, "PRAGMA integrity_check").await,
        "ok"
    );
    let copy = start_server_with(&restored, &[], &[("LIANJIAN_TODAY", TODAY)], None);
    let token = sign_in(copy.port, "admin", &password);
    let names = |port: u16| -> BTreeSet<String> {
        let response = post_graphql(
            port,
            Some(&token),
            "{ areas(first: 100, filter: { search: \"备份区\" }) { totalCount nodes { name } } }",
            json!({}),
        );
        assert!(response["errors"].is_null(), "{response}");
        let total = response["data"]["areas"]["totalCount"].as_u64().unwrap();
        assert!(total <= 100, "more areas than a page: {total}");
        response["data"]["areas"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let in_backup = names(copy.port);
    drop(copy);
    let original = start_server_with(&source, &[], &[("LIANJIAN_TODAY", TODAY)], None);
    let token_original = sign_in(original.port, "admin", &password);
    let response = post_graphql(
        original.port,
        Some(&token_original),
        "{ areas(first: 100, filter: { search: \"备份区\" }) { totalCount } }",
        json!({}),
    );
    assert_eq!(
        response["data"]["areas"]["totalCount"].as_u64(),
        Some(after_backup as u64)
    );
    drop(original);
    for name in &before_backup {
        assert!(
            in_backup.contains(name),
            "{name} answered before the backup, missing in it"
        );
    }
    assert!(in_backup.len() <= after_backup);
    // One moment: the copy holds as many new audit entries and events of new areas as new areas.
    let copied = areas_audits_events(&restored.config).await;
    let new: Vec<usize> = copied.iter().zip(&baseline).map(|(c, b)| c - b).collect();
    assert_eq!(new, vec![in_backup.len(); 3], "areas, audits, events");
}

/// Areas, `createArea` audit entries and `AreaCreated` events in a database.
async fn areas_audits_events(config: &DatabaseConfig) -> Vec<usize> {
    let mut counts = Vec::new();
    for sql in [
        "SELECT CAST(count(*) AS TEXT) FROM area",
        "SELECT CAST(count(*) AS TEXT) FROM audit_entry WHERE action = 'createArea'",
        "SELECT CAST(count(*) AS TEXT) FROM event_outbox WHERE kind = 'AreaCreated'",
    ] {
        counts.push(one_string(config, sql).await.parse::<usize>().unwrap());
    }
    counts
}
