//! The test harness: `TestApp::spawn()` builds the real router over a fresh database (a temporary
//! SQLite file by default, a fresh PostgreSQL schema when `TEST_DATABASE_URL` is set), applies the
//! migrations and drives the router in-process.

use axum::{
    Router,
    body::Body,
    http::{HeaderMap, Request, StatusCode, header},
};
use http_body_util::BodyExt;
use lianjian_api::{
    AppState, Config,
    authz::Role,
    build_router,
    config::{DatabaseConfig, Secret, ServerConfig},
    db::Db,
    metrics::Metrics,
    services::{
        Actor,
        accounts::{self, GrantScope},
    },
};
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use tower::ServiceExt;

/// The token key of PostgreSQL test apps and servers.
pub const TEST_JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123";

/// A fresh, empty database for one test; dropped with it.
pub struct TestDatabase {
    pub config: DatabaseConfig,
    /// The PostgreSQL server and schema to drop afterwards.
    postgres: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    pub async fn create() -> Self {
        match std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
        {
            Some(url) => {
                let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
                let admin = Database::connect(&url)
                    .await
                    .expect("connect to TEST_DATABASE_URL");
                admin
                    .execute_unprepared(&format!("CREATE SCHEMA {schema}"))
                    .await
                    .expect("create test schema");
                admin.close().await.expect("close admin connection");
                let mut config = DatabaseConfig::new(url.clone());
                config.schema = Some(schema.clone());
                config.max_connections = 5;
                Self {
                    config,
                    postgres: Some((url, schema)),
                    _dir: None,
                }
            }
            None => Self::sqlite(),
        }
    }

    /// A database the test made itself (e.g. a backup file), left in place when dropped.
    pub fn existing(config: DatabaseConfig) -> Self {
        Self {
            config,
            postgres: None,
            _dir: None,
        }
    }

    /// A fresh SQLite file in a temporary directory, whatever `TEST_DATABASE_URL` says.
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("lianjian-test.db");
        let config = DatabaseConfig::new(format!("sqlite://{}?mode=rwc", path.display()));
        Self {
            config,
            postgres: None,
            _dir: Some(dir),
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((url, schema)) = self.postgres.take() else {
            return;
        };
        // Drop runs inside the test's runtime, which cannot block: clean up on a thread of its own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                if let Ok(admin) = Database::connect(&url).await {
                    // The app's connections may still hold locks (a transaction dropped by a
                    // failing test rolls back only once the test's runtime runs again, and
                    // this thread is blocking it): end them first.
                    let _ = admin
                        .execute_unprepared(&format!(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                             WHERE application_name IN ('lianjian:{schema}', 'lianjian-listener:{schema}')"
                        ))
                        .await;
                    let _ = admin
                        .execute_unprepared(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                        .await;
                    let _ = admin.close().await;
                }
            });
            Ok::<(), std::io::Error>(())
        })
        .join();
    }
}

/// The answer to a GraphQL request.
#[derive(Debug)]
pub struct Gql {
    pub status: StatusCode,
    pub body: Value,
}

impl Gql {
    pub fn data(&self) -> &Value {
        &self.body["data"]
    }

    pub fn errors(&self) -> Vec<Value> {
        self.body["errors"].as_array().cloned().unwrap_or_default()
    }

    /// The data, after checking there are no errors.
    pub fn ok(&self) -> &Value {
        assert!(
            self.body.get("errors").is_none(),
            "unexpected errors: {}",
            self.body
        );
        self.data()
    }

    /// The `extensions.code` of the first error.
    pub fn code(&self) -> String {
        self.errors()
            .first()
            .and_then(|e| e["extensions"]["code"].as_str())
            .unwrap_or_else(|| panic!("expected an error, got {}", self.body))
            .to_owned()
    }

    /// The first error, after checking its code.
    pub fn error(&self, code: &str) -> Value {
        assert_eq!(self.code(), code, "unexpected error: {}", self.body);
        self.errors()[0].clone()
    }
}

pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    /// A token of the administrator every test app starts with; `graphql` sends it.
    pub admin_token: String,
    /// Audit entries written while setting the app up (the administrator's account and grant).
    audit_baseline: i64,
    /// Kept for the lifetime of the app; dropping it removes the database. A replica has none.
    _database: Option<TestDatabase>,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(ServerConfig::default()).await
    }

    /// An app whose clock stands at `at` until `app.state.clock.set(...)` moves it (every clone
    /// of a manual clock moves together, the router's included).
    pub async fn spawn_at(at: chrono::DateTime<chrono::Utc>) -> Self {
        let mut app = Self::spawn().await;
        app.state.clock = lianjian_api::clock::Clock::manual(app.state.config.server.timezone, at);
        app.router = build_router(app.state.clone());
        app
    }

    /// An app whose tokens `serve` processes started on its database (with the test key, as
    /// `process::start_server_on` starts them) accept too; its clock stands at `at` when given.
    pub async fn spawn_for_servers(at: Option<chrono::DateTime<chrono::Utc>>) -> Self {
        let server = ServerConfig {
            jwt_secret: Some(Secret(TEST_JWT_SECRET.to_owned())),
            ..ServerConfig::default()
        };
        let mut app = Self::spawn_with(server).await;
        if let Some(at) = at {
            app.state.clock =
                lianjian_api::clock::Clock::manual(app.state.config.server.timezone, at);
            app.router = build_router(app.state.clone());
        }
        app
    }

    /// Whether the test database is PostgreSQL.
    pub fn on_postgres(&self) -> bool {
        self.state.config.database.schema.is_some()
    }

    pub async fn spawn_with(server: ServerConfig) -> Self {
        Self::spawn_on(TestDatabase::create().await, server).await
    }

    /// An app on `database`, which the test may have set up its own way (another address, a
    /// smaller pool, a shorter timeout).
    pub async fn spawn_on(database: TestDatabase, mut server: ServerConfig) -> Self {
        if database.config.schema.is_some() && server.jwt_secret.is_none() {
            // PostgreSQL deployments must configure the key; SQLite generates one.
            server.jwt_secret = Some(Secret(TEST_JWT_SECRET.to_owned()));
        }
        let metrics = Metrics::new();
        let db = Db::connect(&database.config, &metrics)
            .await
            .expect("connect to the test database");
        Migrator::up(&db.write, None).await.expect("migrations");
        let state = AppState::build(
            Config {
                database: database.config.clone(),
                server,
            },
            db,
            metrics,
        )
        .await
        .expect("application state");
        let admin = accounts::create_user(
            &state.db.write,
            &Actor::system("test"),
            accounts::NewUser {
                username: "root".into(),
                password: "root-password".into(),
                person_id: None,
            },
        )
        .await
        .expect("admin account");
        accounts::grant_role(
            &state.db.write,
            &Actor::system("test"),
            admin.id,
            Role::Admin,
            GrantScope::System,
        )
        .await
        .expect("admin grant");
        let (admin_token, _) = state
            .tokens
            .issue(admin.id, admin.token_version)
            .expect("token");
        let mut app = Self {
            router: build_router(state.clone()),
            state,
            admin_token,
            audit_baseline: 0,
            _database: Some(database),
        };
        app.audit_baseline = app.audits().await;
        app
    }

    /// Loads the demo town (`serve --demo`'s data) into the app's database.
    pub async fn load_demo(&self) {
        lianjian_api::services::demo::load(
            &self.state.db.write,
            self.state.clock.today(),
            self.state.config.server.timezone,
        )
        .await
        .expect("demo data");
    }

    /// Sends any HTTP request to the router.
    pub async fn request(&self, request: Request<Body>) -> (StatusCode, HeaderMap, Vec<u8>) {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("the router never fails");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("read body")
            .to_bytes()
            .to_vec();
        (status, headers, body)
    }

    /// GETs a path as the administrator.
    pub async fn get(&self, uri: &str) -> (StatusCode, HeaderMap, Vec<u8>) {
        self.request(
            Request::get(uri)
                .header(
                    header::AUTHORIZATION,
                    format!("Bearer {}", self.admin_token),
                )
                .body(Body::empty())
                .expect("request"),
        )
        .await
    }

    /// A second server over the same database (the same SQLite file, or the same PostgreSQL
    /// schema), as another replica behind a load balancer would be.
    pub async fn replica(&self) -> TestApp {
        let metrics = Metrics::new();
        let db = Db::connect(&self.state.config.database, &metrics)
            .await
            .expect("connect the replica");
        let state = AppState::build((*self.state.config).clone(), db, metrics)
            .await
            .expect("replica state");
        TestApp {
            router: build_router(state.clone()),
            state,
            admin_token: self.admin_token.clone(),
            audit_baseline: 0,
            _database: None,
        }
    }

    /// Signs in from a client address.
    pub async fn login_from(&self, address: &str, username: &str, password: &str) -> Gql {
        let body = json!({
            "query": "mutation($input: LoginInput!) { login(input: $input) { token expiresAt viewer { user { username } } } }",
            "variables": { "input": { "username": username, "password": password } },
        });
        let mut request = Request::post("/graphql")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .expect("request");
        let addr: std::net::SocketAddr = format!("{address}:40000").parse().expect("address");
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(addr));
        let (status, _, body) = self.request(request).await;
        Gql {
            status,
            body: serde_json::from_slice(&body).expect("JSON"),
        }
    }

    /// Creates an account holding `role` in `scope` and returns its token.
    pub async fn user_with(&self, username: &str, grants: &[(Role, GrantScope)]) -> String {
        let user = accounts::create_user(
            &self.state.db.write,
            &Actor::system("test"),
            accounts::NewUser {
                username: username.into(),
                password: "password-123".into(),
                person_id: None,
            },
        )
        .await
        .expect("account");
        for (role, scope) in grants {
            accounts::grant_role(
                &self.state.db.write,
                &Actor::system("test"),
                user.id,
                *role,
                *scope,
            )
            .await
            .expect("grant");
        }
        self.state
            .tokens
            .issue(user.id, user.token_version)
            .expect("token")
            .0
    }

    /// POSTs a GraphQL operation as JSON, as the administrator.
    pub async fn graphql(&self, query: &str, variables: Value) -> Gql {
        self.graphql_as(Some(&self.admin_token), query, variables)
            .await
    }

    /// POSTs a GraphQL operation with the given token (none: anonymous).
    pub async fn graphql_as(&self, token: Option<&str>, query: &str, variables: Value) -> Gql {
        self.send(
            token,
            "application/json",
            json!({ "query": query, "variables": variables })
                .to_string()
                .into_bytes(),
        )
        .await
    }

    pub async fn post_json(&self, body: &Value) -> Gql {
        self.post_raw("application/json", body.to_string().into_bytes())
            .await
    }

    pub async fn post_raw(&self, content_type: &str, body: Vec<u8>) -> Gql {
        self.send(Some(&self.admin_token), content_type, body).await
    }

    async fn send(&self, token: Option<&str>, content_type: &str, body: Vec<u8>) -> Gql {
        let mut request = Request::post("/graphql").header(header::CONTENT_TYPE, content_type);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let request = request.body(Body::from(body)).expect("request");
        let (status, _, body) = self.request(request).await;
        let body = serde_json::from_slice(&body)
            .unwrap_or_else(|_| panic!("response is not JSON: {}", String::from_utf8_lossy(&body)));
        Gql { status, body }
    }

    /// The current value of `lianjian_sql_statements_total`.
    pub async fn sql_statements(&self) -> u64 {
        let (_, _, body) = self.get("/metrics").await;
        String::from_utf8_lossy(&body)
            .lines()
            .find_map(|line| line.strip_prefix("lianjian_sql_statements_total "))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .map(|v| v as u64)
            .unwrap_or(0)
    }

    /// Serves the router on a free local port, for clients that need a real socket.
    pub async fn serve(&self) -> std::net::SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a local port");
        let addr = listener.local_addr().expect("local address");
        let router = self.router.clone();
        // As `serve` does: handlers see the peer address.
        tokio::spawn(async move {
            let _ = axum::serve(
                listener,
                router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await;
        });
        addr
    }

    /// Creates an area and returns its global id.
    pub async fn create_area(&self, name: &str) -> String {
        let response = self
            .graphql(
                "mutation($input: CreateAreaInput!) { createArea(input: $input) { area { id } } }",
                json!({ "input": { "name": name } }),
            )
            .await;
        response.ok()["createArea"]["area"]["id"]
            .as_str()
            .expect("area id")
            .to_owned()
    }

    /// Audit entries written since the app was set up.
    pub async fn audits(&self) -> i64 {
        self.count_rows("audit_entry").await - self.audit_baseline
    }

    /// Counts rows of a table, straight from the database.
    pub async fn count_rows(&self, table: &str) -> i64 {
        self.count_where(&format!("SELECT COUNT(*) AS n FROM {table}"))
            .await
    }

    /// The `n` of a query answering one row with a count named `n`.
    pub async fn count_where(&self, sql: &str) -> i64 {
        let backend = self.state.db.backend();
        let row = self
            .state
            .db
            .read
            .query_one_raw(sea_orm::Statement::from_string(backend, sql.to_owned()))
            .await
            .expect("count query")
            .expect("a row");
        row.try_get::<i64>("", "n").expect("count")
    }
}
