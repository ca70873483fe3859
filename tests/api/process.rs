//! The real binary: graceful shutdown and start-up failures.

use std::{
    io::{Read, Write},
    net::TcpStream,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use crate::helpers::TestDatabase;

pub(crate) const BINARY: &str = env!("CARGO_BIN_EXE_lianjian");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub(crate) fn database_args(database: &TestDatabase) -> Vec<String> {
    let mut args = vec!["--database-url".to_owned(), database.config.url.clone()];
    if let Some(schema) = &database.config.schema {
        args.extend(["--database-schema".to_owned(), schema.clone()]);
    }
    args
}

/// SIGTERM while a request is in flight: the request completes, then the process exits 0.
#[tokio::test]
async fn sigterm_lets_the_request_in_flight_finish_and_exits_zero() {
    let database = TestDatabase::create().await;
    let mut server = start_server(&database);
    let port = server.port;
    let child = &mut server.child;

    // Send the headers and half of the body: the request is now in flight.
    let body = r#"{"query":"{ __schema { queryType { name } } }"}"#;
    let (head, tail) = body.as_bytes().split_at(body.len() / 2);
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(
        stream,
        "POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    stream.write_all(head).unwrap();
    stream.flush().unwrap();
    std::thread::sleep(Duration::from_millis(300));

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        child.try_wait().unwrap().is_none(),
        "exited before the request finished"
    );

    stream.write_all(tail).unwrap();
    stream.flush().unwrap();
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        response.contains(r#""queryType":{"name":"Query"}"#),
        "{response}"
    );

    let started = Instant::now();
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "did not exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(exit.code(), Some(0));
}

/// A database that cannot be opened: one line naming the URL without its password, exit code 2,
/// within a few seconds.
#[test]
fn an_unreachable_database_is_a_one_line_error_and_exit_code_2() {
    let port = free_port();
    let started = Instant::now();
    let output = Command::new(BINARY)
        .args(["migrate", "status", "--database-url"])
        .arg(format!(
            "postgres://lianjian:s3cret@127.0.0.1:{port}/lianjian"
        ))
        .args(["--db-connect-timeout", "2"])
        .env("LIANJIAN_LOG", "off")
        .output()
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "postgres://lianjian:***@127.0.0.1:{port}/lianjian"
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("s3cret"), "{stderr}");

    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(BINARY)
        .args(["serve", "--bind", "127.0.0.1:0", "--database-url"])
        .arg(format!(
            "sqlite://{}/missing/dir/x.db?mode=rwc",
            dir.path().display()
        ))
        .env("LIANJIAN_LOG", "off")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.starts_with("error: cannot open database sqlite://"),
        "{stderr}"
    );
}

#[test]
fn export_schema_prints_the_sdl() {
    let output = Command::new(BINARY).arg("export-schema").output().unwrap();
    assert!(output.status.success());
    let sdl = String::from_utf8(output.stdout).unwrap();
    assert!(
        sdl.contains("createArea(input: CreateAreaInput!): CreateAreaPayload!"),
        "{sdl}"
    );
}

#[tokio::test]
async fn migrate_up_status_and_down() {
    let database = TestDatabase::create().await;
    let run = |args: &[&str]| {
        let output = Command::new(BINARY)
            .args(args)
            .args(database_args(&database))
            .env("LIANJIAN_LOG", "off")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let status = run(&["migrate", "status"]);
    assert!(status.lines().all(|l| l.starts_with("pending")), "{status}");
    run(&["migrate", "up"]);
    let status = run(&["migrate", "status"]);
    assert!(status.lines().all(|l| l.starts_with("applied")), "{status}");
    run(&["migrate", "down"]);
    let status = run(&["migrate", "status"]);
    assert_eq!(
        status.lines().filter(|l| l.starts_with("pending")).count(),
        1,
        "{status}"
    );
}

/// `lianjian demo-data` loads once and changes nothing when run again.
#[tokio::test]
async fn demo_data_command_is_idempotent() {
    let database = TestDatabase::create().await;
    let run = || {
        let output = Command::new(BINARY)
            .arg("demo-data")
            .args(database_args(&database))
            .env("LIANJIAN_LOG", "off")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let first = run();
    assert!(first.contains("demo data loaded: 2 areas"), "{first}");
    let second = run();
    assert!(second.contains("already loaded"), "{second}");
}

/// `--today` from outside: the demo ledger laid out around a pinned day, then `lianjian
/// escalate` for that day writes every rise once and nothing when run again. Expected counts by
/// hand from the demo ledger on 2026-06-15: 2 REPORT, 2 SUPERVISE, 6 URGE, 4 REMIND.
#[tokio::test]
async fn a_pinned_today_drives_the_demo_ledger_and_the_escalation_command() {
    let database = TestDatabase::create().await;
    let run = |args: &[&str]| {
        let output = Command::new(BINARY)
            .args(args)
            .args(database_args(&database))
            .env("LIANJIAN_LOG", "off")
            .env("LIANJIAN_TODAY", "2026-06-15")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let loaded = run(&["demo-data"]);
    assert!(loaded.contains("30 supervision items"), "{loaded}");
    let first = run(&["escalate"]);
    assert!(
        first.contains(
            "escalation for 2026-06-15: 14 items at a reminder or escalation level, 14 escalated"
        ),
        "{first}"
    );
    let again = run(&["escalate"]);
    assert!(
        again.contains(
            "escalation for 2026-06-15: 14 items at a reminder or escalation level, 0 escalated"
        ),
        "{again}"
    );
    // The next day, as a catch-up: no item crosses a rung between 06-15 and 06-16 (none is due
    // on 06-15, none is due on 06-22, the next day to come within 3 working days across the
    // Dragon Boat Festival, and none is 15 or 29 days late), so the same 14 items, no new rise.
    let next_day = run(&["escalate", "--as-of", "2026-06-16"]);
    assert!(
        next_day.contains(
            "escalation for 2026-06-16: 14 items at a reminder or escalation level, 0 escalated"
        ),
        "{next_day}"
    );
    let bad = Command::new(BINARY)
        .args(["escalate", "--as-of", "2026-13-01"])
        .args(database_args(&database))
        .env("LIANJIAN_LOG", "off")
        .output()
        .unwrap();
    assert!(!bad.status.success());
}

/// The token key: generated once and kept in the database on SQLite; on PostgreSQL, where
/// replicas must share it, a missing key is a start-up error (exit code 2).
#[tokio::test]
async fn the_token_key_is_kept_on_sqlite_and_required_on_postgres() {
    let database = TestDatabase::create().await;
    if database.config.schema.is_some() {
        let output = Command::new(BINARY)
            .args(["serve", "--bind", "127.0.0.1:0"])
            .args(database_args(&database))
            .env_remove("LIANJIAN_JWT_SECRET")
            .env("LIANJIAN_LOG", "off")
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2));
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(stderr.contains("--jwt-secret"), "{stderr}");
        return;
    }
    let metrics = lianjian_api::metrics::Metrics::new();
    let db = lianjian_api::db::Db::connect(&database.config, &metrics)
        .await
        .unwrap();
    use migration::MigratorTrait;
    migration::Migrator::up(&db.write, None).await.unwrap();
    let first = lianjian_api::services::accounts::token_secret(&db.write, None)
        .await
        .unwrap();
    let second = lianjian_api::services::accounts::token_secret(&db.write, None)
        .await
        .unwrap();
    assert_eq!(first, second);
    assert!(first.len() >= 32);
}

/// `lianjian create-user` bootstraps an administrator from a password on standard input.
#[tokio::test]
async fn create_user_command_makes_an_administrator_who_can_sign_in() {
    let database = TestDatabase::create().await;
    let stdout = create_admin_from_the_command_line(&database, "Boss", "a long boss password");
    assert!(stdout.contains("created boss with role admin"));

    let metrics = lianjian_api::metrics::Metrics::new();
    let db = lianjian_api::db::Db::connect(&database.config, &metrics)
        .await
        .unwrap();
    let keys = lianjian_api::auth::TokenKeys::new(
        b"0123456789abcdef0123456789abcdef",
        chrono::Duration::hours(1),
    );
    let actor = lianjian_api::services::Actor::default();
    let signed_in = lianjian_api::services::accounts::login(
        &db.write,
        &keys,
        &actor,
        "boss",
        "a long boss password",
        "local",
    )
    .await
    .unwrap();
    let grants = lianjian_api::services::accounts::grants_of(
        &db.read,
        signed_in.user.id,
        chrono::Utc::now().date_naive(),
    )
    .await
    .unwrap();
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0].1.role, lianjian_api::authz::Role::Admin);
    assert!(
        lianjian_api::services::accounts::login(&db.write, &keys, &actor, "boss", "wrong", "local")
            .await
            .is_err()
    );
}

/// A running `serve` process, killed when dropped.
pub(crate) struct Server {
    child: std::process::Child,
    pub(crate) port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(database: &TestDatabase) -> Server {
    start_server_with(database, &[], &[], None)
}

/// Starts `lianjian serve` followed by `args` only: the database, the address and the token key
/// come from the environment (`DATABASE_URL`, `LIANJIAN_DATABASE_SCHEMA`, `LIANJIAN_BIND`,
/// `LIANJIAN_JWT_SECRET`), and the other `LIANJIAN_*` variables of the shell running the tests
/// are removed, so every other setting is the flag's default. `env` adds variables (the log
/// filter is `warn` unless given); standard output and error go to `output` when given.
pub(crate) fn start_server_with(
    database: &TestDatabase,
    args: &[&str],
    env: &[(&str, &str)],
    output: Option<&std::path::Path>,
) -> Server {
    start_server_on(&database.config, args, env, output)
}

/// `start_server_with` on the database of `config` (an in-process `TestApp`'s, for instance).
pub(crate) fn start_server_on(
    config: &lianjian_api::config::DatabaseConfig,
    args: &[&str],
    env: &[(&str, &str)],
    output: Option<&std::path::Path>,
) -> Server {
    let port = free_port();
    let mut command = Command::new(BINARY);
    command.arg("serve").args(args);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("LIANJIAN_") {
            command.env_remove(name);
        }
    }
    command
        .env("DATABASE_URL", &config.url)
        .env("LIANJIAN_BIND", format!("127.0.0.1:{port}"))
        .env("LIANJIAN_JWT_SECRET", crate::helpers::TEST_JWT_SECRET)
        .env("LIANJIAN_LOG", "warn");
    if let Some(schema) = &config.schema {
        command.env("LIANJIAN_DATABASE_SCHEMA", schema);
    }
    command.envs(env.iter().copied());
    match output {
        Some(path) => {
            let file = std::fs::File::create(path).unwrap();
            command.stdout(file.try_clone().unwrap()).stderr(file);
        }
        None => {
            command.stdout(Stdio::null()).stderr(Stdio::null());
        }
    }
    let child = command.spawn().unwrap();
    let mut server = Server { child, port };
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "server did not start"
        );
        assert!(
            server.child.try_wait().unwrap().is_none(),
            "server exited before listening"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}

/// POSTs one GraphQL request to a server over a plain HTTP/1.1 connection and returns the JSON.
pub(crate) fn post_graphql(
    port: u16,
    token: Option<&str>,
    query: &str,
    variables: serde_json::Value,
) -> serde_json::Value {
    let headers: Vec<(&str, String)> = token
        .map(|t| ("Authorization", format!("Bearer {t}")))
        .into_iter()
        .collect();
    post_graphql_with(port, &headers, query, variables)
}

/// `post_graphql` with any request headers.
fn post_graphql_with(
    port: u16,
    headers: &[(&str, String)],
    query: &str,
    variables: serde_json::Value,
) -> serde_json::Value {
    send_graphql(port, headers, query, variables).unwrap()
}

/// `post_graphql_with`, but a server that is gone (refused, reset, cut short) is an error.
pub(crate) fn send_graphql(
    port: u16,
    headers: &[(&str, String)],
    query: &str,
    variables: serde_json::Value,
) -> std::io::Result<serde_json::Value> {
    let broken = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
    let body = serde_json::json!({ "query": query, "variables": variables }).to_string();
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let headers: String = headers
        .iter()
        .map(|(name, value)| format!("{name}: {value}\r\n"))
        .collect();
    write!(
        stream,
        "POST /graphql HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\n{headers}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let response = String::from_utf8(response).map_err(|_| broken("not UTF-8"))?;
    let (head, body) = response
        .split_once("\r\n\r\n")
        .ok_or_else(|| broken("no header"))?;
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        let mut decoded = String::new();
        let mut rest = body;
        loop {
            let (size, after) = rest.split_once("\r\n").ok_or_else(|| broken("chunk"))?;
            let size = usize::from_str_radix(size.trim(), 16).map_err(|_| broken("chunk size"))?;
            if size == 0 {
                break;
            }
            decoded.push_str(after.get(..size).ok_or_else(|| broken("short chunk"))?);
            rest = after.get(size + 2..).ok_or_else(|| broken("short chunk"))?;
        }
        decoded
    } else {
        body.to_owned()
    };
    serde_json::from_str(&body).map_err(|e| broken(&format!("{e}: {body}")))
}

/// SIGKILL in the middle of a burst of writes on SQLite (on PostgreSQL the database outlives
/// the server): after a restart the file passes `PRAGMA integrity_check`, and every mutation
/// that was answered with success is there, with its audit entry and its event in the outbox.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_during_writes_loses_nothing_that_was_answered() {
    use sea_orm::{
        ColumnTrait, ConnectionTrait, Database, EntityTrait, PaginatorTrait, QueryFilter, Statement,
    };
    use std::sync::{Arc, Mutex};

    let database = TestDatabase::sqlite();
    create_admin_from_the_command_line(&database, "admin", "a long admin password");
    let mut server = start_server(&database);
    let token = sign_in(server.port, "admin", "a long admin password");
    let answered = Arc::new(Mutex::new(Vec::<(String, String)>::new()));
    let writers: Vec<_> = (0..8)
        .map(|writer| {
            let (answered, token, port) = (answered.clone(), token.clone(), server.port);
            std::thread::spawn(move || {
                let headers = [("Authorization", format!("Bearer {token}"))];
                for n in 0.. {
                    let name = format!("区{writer}-{n}");
                    let Ok(response) = send_graphql(
                        port,
                        &headers,
                        "mutation($input: CreateAreaInput!) { createArea(input: $input) { area { id name } } }",
                        serde_json::json!({ "input": { "name": name } }),
                    ) else {
                        return n;
                    };
                    let area = &response["data"]["createArea"]["area"];
                    assert_eq!(area["name"], name.as_str(), "{response}");
                    let global = async_graphql::ID(area["id"].as_str().unwrap().to_owned());
                    let id = lianjian_api::graphql::ids::decode("id", &global).unwrap().id;
                    answered.lock().unwrap().push((id.to_string(), name));
                }
                unreachable!()
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    let sent: u64 = writers.into_iter().map(|w| w.join().unwrap()).sum();
    let answered = answered.lock().unwrap().clone();
    assert!(
        answered.len() >= 8,
        "only {} of {sent} answered",
        answered.len()
    );

    // The file is whole, and a server starts on it.
    let restarted = start_server(&database);
    let db = Database::connect(&database.config.url).await.unwrap();
    let one = |sql: &str| Statement::from_string(db.get_database_backend(), sql.to_owned());
    let row = db
        .query_one_raw(one("PRAGMA integrity_check"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get_by_index::<String>(0).unwrap(), "ok");
    for (id, name) in &answered {
        let uuid: uuid::Uuid = id.parse().unwrap();
        let area = entities::area::Entity::find_by_id(uuid)
            .one(&db)
            .await
            .unwrap();
        assert_eq!(area.map(|a| a.name), Some(name.clone()));
        let audits = entities::audit_entry::Entity::find()
            .filter(entities::audit_entry::Column::Action.eq("createArea"))
            .filter(entities::audit_entry::Column::TargetId.eq(uuid))
            .count(&db)
            .await
            .unwrap();
        assert_eq!(audits, 1, "audit of {name}");
        let events = entities::event_outbox::Entity::find()
            .filter(entities::event_outbox::Column::Kind.eq("AreaCreated"))
            .filter(entities::event_outbox::Column::Payload.contains(id.as_str()))
            .count(&db)
            .await
            .unwrap();
        assert_eq!(events, 1, "event of {name}");
    }
    let areas = post_graphql(
        restarted.port,
        Some(&sign_in(restarted.port, "admin", "a long admin password")),
        "{ areas { totalCount } }",
        serde_json::json!({}),
    );
    let total = areas["data"]["areas"]["totalCount"].as_u64().unwrap();
    assert!(
        total >= answered.len() as u64,
        "{total} < {}",
        answered.len()
    );
    db.close().await.unwrap();
}

/// Runs `lianjian create-user --role admin` with the password on standard input; its output.
fn create_admin_from_the_command_line(
    database: &TestDatabase,
    username: &str,
    password: &str,
) -> String {
    let mut child = Command::new(BINARY)
        .args([
            "create-user",
            "--username",
            username,
            "--role",
            "admin",
            "--password-stdin",
        ])
        .args(database_args(database))
        .env("LIANJIAN_LOG", "off")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{password}\n").as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub(crate) fn sign_in(port: u16, username: &str, password: &str) -> String {
    let response = post_graphql(
        port,
        None,
        "mutation($input: LoginInput!) { login(input: $input) { token } }",
        serde_json::json!({ "input": { "username": username, "password": password } }),
    );
    response["data"]["login"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("{response}"))
        .to_owned()
}

fn error_code(response: &serde_json::Value) -> Option<&str> {
    response["errors"][0]["extensions"]["code"].as_str()
}

/// Grants live in the database and are read with every request: an administrator created by
/// `create-user` while two servers run works at once on both, and a grant or revocation made
/// through one server holds on the next request of the other (same SQLite file, or the same
/// PostgreSQL schema).
#[tokio::test]
async fn grants_made_anywhere_hold_at_once_in_every_serving_process() {
    let database = TestDatabase::create().await;
    let first = start_server(&database);
    let second = start_server(&database);
    let audit = "{ auditLog(first: 1) { totalCount } }";

    create_admin_from_the_command_line(&database, "boss", "a long boss password");
    for server in [&first, &second] {
        let token = sign_in(server.port, "boss", "a long boss password");
        let response = post_graphql(server.port, Some(&token), audit, serde_json::json!({}));
        assert!(response["errors"].is_null(), "{response}");
        assert!(response["data"]["auditLog"]["totalCount"].as_u64().unwrap() >= 1);
    }

    let boss = sign_in(first.port, "boss", "a long boss password");
    let created = post_graphql(
        first.port,
        Some(&boss),
        "mutation($input: CreateUserInput!) { createUser(input: $input) { user { id } } }",
        serde_json::json!({ "input": { "username": "clerk", "password": "a long clerk password" } }),
    );
    let clerk_id = created["data"]["createUser"]["user"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"))
        .to_owned();
    let clerk = sign_in(second.port, "clerk", "a long clerk password");
    assert_eq!(
        error_code(&post_graphql(
            second.port,
            Some(&clerk),
            audit,
            serde_json::json!({})
        )),
        Some("FORBIDDEN")
    );

    let grant = serde_json::json!({ "input": { "userId": clerk_id, "role": "ADMIN" } });
    let granted = post_graphql(
        first.port,
        Some(&boss),
        "mutation($input: GrantRoleInput!) { grantRole(input: $input) { user { id } } }",
        grant.clone(),
    );
    assert!(granted["errors"].is_null(), "{granted}");
    let response = post_graphql(second.port, Some(&clerk), audit, serde_json::json!({}));
    assert!(response["errors"].is_null(), "{response}");

    let revoked = post_graphql(
        second.port,
        Some(&clerk),
        "mutation($input: RevokeRoleInput!) { revokeRole(input: $input) { user { id } } }",
        grant,
    );
    assert!(revoked["errors"].is_null(), "{revoked}");
    assert_eq!(
        error_code(&post_graphql(
            first.port,
            Some(&clerk),
            audit,
            serde_json::json!({})
        )),
        Some("FORBIDDEN")
    );
    assert_eq!(
        error_code(&post_graphql(
            second.port,
            Some(&clerk),
            audit,
            serde_json::json!({})
        )),
        Some("FORBIDDEN")
    );
}

/// The README's example queries: each ```graphql block split at its `# title` lines, and the
/// bodies of its `curl -d '...'` examples (the sign-in first).
fn readme_examples() -> (Vec<(String, String)>, Vec<serde_json::Value>) {
    let readme = include_str!("../../README.md");
    let mut queries = Vec::new();
    for block in readme.split("```graphql").skip(1) {
        let block = block.split("```").next().unwrap();
        let mut title = String::new();
        let mut text = String::new();
        for line in block.lines().chain(["# end"]) {
            if let Some(comment) = line.trim().strip_prefix('#') {
                if !text.trim().is_empty() {
                    queries.push((title.clone(), std::mem::take(&mut text)));
                }
                title = comment.trim().to_owned();
            } else {
                text.push_str(line);
                text.push('\n');
            }
        }
    }
    let bodies = readme
        .split("-d '")
        .skip(1)
        .map(|rest| serde_json::from_str(rest.split('\'').next().unwrap()).unwrap())
        .collect();
    (queries, bodies)
}

/// The README's walk-through on the real binary with every setting at its default: `lianjian
/// serve --demo` (the database, address and token key from the environment, no other flag),
/// sign in as the README says with the password `serve --demo` printed, then every example
/// query of the README answers data without errors.
#[tokio::test]
async fn every_readme_query_runs_on_a_default_demo_server() {
    let database = TestDatabase::create().await;
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("serve.out");
    let server = start_server_with(&database, &["--demo"], &[], Some(&output));
    let printed = std::fs::read_to_string(&output).unwrap();
    let password = printed
        .lines()
        .find_map(|line| {
            let mut words = line.split_whitespace();
            (words.next() == Some("admin")).then(|| words.next().unwrap().to_owned())
        })
        .unwrap_or_else(|| panic!("no admin password in {printed}"));

    let (queries, bodies) = readme_examples();
    assert!(queries.len() >= 3, "{queries:?}");
    assert_eq!(queries[0].0, "The committee's members, with their area");
    let (sign_in, others) = bodies.split_first().unwrap();
    let sign_in = sign_in["query"]
        .as_str()
        .unwrap()
        .replace("PASSWORD", &password);
    assert!(sign_in.contains("login"), "{sign_in}");
    let response = post_graphql(server.port, None, &sign_in, serde_json::json!({}));
    let token = response["data"]["login"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("{response}"))
        .to_owned();

    let examples = queries.into_iter().chain(others.iter().map(|body| {
        (
            "curl".to_owned(),
            body["query"].as_str().unwrap().to_owned(),
        )
    }));
    for (title, query) in examples {
        let response = post_graphql(server.port, Some(&token), &query, serde_json::json!({}));
        assert!(response["errors"].is_null(), "{title}: {response}");
        let data = response["data"].as_object().unwrap();
        assert!(!data.is_empty(), "{title}: {response}");
        for (field, value) in data {
            assert!(!value.is_null(), "{title}: {field} is null");
            if let Some(edges) = value.get("edges") {
                assert!(
                    !edges.as_array().unwrap().is_empty(),
                    "{title}: {field} is empty: {response}"
                );
            }
        }
    }
}

/// Logs written to a file carry no terminal colour codes; `--log-format json` writes one JSON
/// object per line, and the lines of a request carry its request id, never a password.
#[tokio::test]
async fn logs_in_a_file_are_plain_text_or_json_lines_with_the_request_id() {
    let database = TestDatabase::create().await;
    let dir = tempfile::tempdir().unwrap();
    // The default level (servers in tests are started at `warn`): each answered request is one line.
    let debug = [("LIANJIAN_LOG", "info")];
    let password = "never-logged-password-7431";
    let sign_in = format!(
        "mutation {{ login(input: {{ username: \"nobody\", password: \"{password}\" }}) {{ token }} }}"
    );
    let request_id = [("x-request-id", "log-test-4711".to_owned())];

    let text = dir.path().join("text.log");
    let server = start_server_with(&database, &[], &debug, Some(&text));
    post_graphql_with(server.port, &request_id, &sign_in, serde_json::json!({}));
    std::thread::sleep(Duration::from_millis(300));
    drop(server);
    let log = std::fs::read_to_string(&text).unwrap();
    assert!(log.contains("lianjian is listening"), "{log}");
    assert!(log.contains("log-test-4711"), "{log}");
    assert!(!log.contains("\x1b["), "{log}");
    assert!(!log.contains(password), "{log}");

    let json = dir.path().join("json.log");
    let server = start_server_with(&database, &["--log-format", "json"], &debug, Some(&json));
    post_graphql_with(server.port, &request_id, &sign_in, serde_json::json!({}));
    std::thread::sleep(Duration::from_millis(300));
    drop(server);
    let log = std::fs::read_to_string(&json).unwrap();
    assert!(!log.contains(password), "{log}");
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l["fields"]["message"] == "lianjian is listening"),
        "{log}"
    );
    let of_request: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["span"]["request_id"] == "log-test-4711")
        .collect();
    assert!(
        of_request
            .iter()
            .any(|l| l["fields"]["message"] == "finished processing request"
                && l["fields"]["status"] == 200),
        "{log}"
    );
    for line in of_request {
        assert_eq!(line["span"]["path"], "/graphql", "{line}");
        assert!(
            line["spans"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["request_id"] == "log-test-4711"),
            "{line}"
        );
    }
}

/// A resident's name, phone and address go into the database and to those entitled, never into
/// the server's log (default level, text and JSON alike).
#[tokio::test]
async fn residents_personal_data_never_reaches_the_log() {
    let database = TestDatabase::create().await;
    let dir = tempfile::tempdir().unwrap();
    create_admin_from_the_command_line(&database, "boss", "a long boss password");
    for (format, file) in [("text", "text.log"), ("json", "json.log")] {
        let path = dir.path().join(file);
        let server = start_server_with(
            &database,
            &["--log-format", format],
            &[("LIANJIAN_LOG", "info")],
            Some(&path),
        );
        let token = sign_in(server.port, "boss", "a long boss password");
        let area = post_graphql(
            server.port,
            Some(&token),
            "mutation($input: CreateAreaInput!) { createArea(input: $input) { area { id } } }",
            serde_json::json!({ "input": { "name": format!("片区{format}") } }),
        );
        let area = area["data"]["createArea"]["area"]["id"].clone();
        let village = post_graphql(
            server.port,
            Some(&token),
            "mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id } } }",
            serde_json::json!({ "input": { "name": format!("日志村{format}"), "level": "BRANCH",
                "unitType": "VILLAGE", "areaId": area } }),
        );
        let village = village["data"]["createOrganization"]["organization"]["id"].clone();
        let recorded = post_graphql(
            server.port,
            Some(&token),
            "mutation($input: RecordResidentAppealInput!) { recordResidentAppeal(input: $input) { residentAppeal { residentName } } }",
            serde_json::json!({ "input": { "content": "路灯不亮", "category": "INFRASTRUCTURE",
                "villageId": village, "receivedOn": "2026-01-05", "residentName": "欧阳秀兰",
                "residentPhone": "13987654321", "address": "日志村东巷7号" } }),
        );
        assert_eq!(
            recorded["data"]["recordResidentAppeal"]["residentAppeal"]["residentName"], "欧阳秀兰",
            "{recorded}"
        );
        std::thread::sleep(Duration::from_millis(300));
        drop(server);
        let log = std::fs::read_to_string(&path).unwrap();
        assert!(log.contains("lianjian is listening"), "{log}");
        for secret in [
            "欧阳秀兰",
            "13987654321",
            "日志村东巷7号",
            "a long boss password",
        ] {
            assert!(
                !log.contains(secret),
                "{format} log carries {secret}: {log}"
            );
        }
    }
}
