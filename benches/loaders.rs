//! What a nested page costs through the real router: a page of 50 organizations with their
//! parent, area, linkage groups, first people (with positions) and a count of their children,
//! the same page without that count, and the same page asking only for counts. The router runs
//! in-process (as in the tests) on the multi-threaded runtime the server uses, each client in a
//! task of the pool, over a fresh SQLite file opened the way the server opens it (WAL, one
//! writer, a pool of readers).
//!
//! Then batching alone, without a database: 50 objects with three levels of fields loaded by
//! key, through async-graphql's `DataLoader` configured as the loaders were before (a zero
//! delay, after 64 yields in a spawned task) and through `BatchLoader`.
//!
//! Run with `cargo bench --bench loaders`; `--requests N` (default 400) sets the requests per
//! measurement. A plain `main` timed with `Instant`, like `benches/authz.rs`: each step is a whole
//! request against a real database, which a statistics harness would only obscure.

use std::{
    collections::HashMap,
    error::Error,
    sync::Arc,
    time::{Duration, Instant},
};

use async_graphql::dataloader::{DataLoader, Loader};
use axum::{
    Router,
    body::Body,
    http::{Request, header},
};
use http_body_util::BodyExt;
use lianjian_api::{
    AppState, Config,
    authz::Role,
    build_router,
    config::{DatabaseConfig, ServerConfig},
    db::Db,
    graphql::loaders::BatchLoader,
    metrics::Metrics,
    services::{
        Actor,
        accounts::{self, GrantScope},
    },
};
use migration::{Migrator, MigratorTrait};
use serde_json::{Value, json};
use tower::ServiceExt;

type BenchResult<T> = Result<T, Box<dyn Error + Send + Sync>>;

const BRANCHES: usize = 50;
/// More than one default page (20), so a page of children is 21 rows per branch.
const CHILDREN_PER_BRANCH: usize = 25;
const PEOPLE_PER_BRANCH: usize = 5;
const DEFAULT_REQUESTS: usize = 400;
const WARMUP_REQUESTS: usize = 50;
const CONCURRENCY: usize = 8;

const NESTED: &str =
    "query($parent: ID!) { organizations(first: 50, filter: { parentId: $parent }) {
    edges { node { name parent { name } area { name } children { totalCount }
        linkageGroups { edges { node { name } } }
        people(first: 5) { edges { node { name positions { position } } } } } } } }";

/// The same page without the count of children, which reads rows only for what it shows.
const NESTED_WITHOUT_COUNTS: &str =
    "query($parent: ID!) { organizations(first: 50, filter: { parentId: $parent }) {
    edges { node { name parent { name } area { name }
        linkageGroups { edges { node { name } } }
        people(first: 5) { edges { node { name positions { position } } } } } } } }";

const COUNTS: &str =
    "query($parent: ID!) { organizations(first: 50, filter: { parentId: $parent }) {
    edges { node { name children { totalCount } people { totalCount } } } } }";

fn main() -> BenchResult<()> {
    let requests = request_count(std::env::args().skip(1))?;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(requests))
}

fn request_count(mut args: impl Iterator<Item = String>) -> BenchResult<usize> {
    let mut requests = DEFAULT_REQUESTS;
    while let Some(arg) = args.next() {
        if arg == "--requests" {
            requests = args.next().ok_or("--requests needs a number")?.parse()?;
        } else if let Some(n) = arg.strip_prefix("--requests=") {
            requests = n.parse()?;
        }
        // `--bench` and other harness flags cargo passes through are ignored.
    }
    Ok(requests.max(1))
}

struct App {
    router: Router,
    state: AppState,
    token: String,
    _dir: tempfile::TempDir,
}

impl App {
    async fn graphql(&self, query: &str, variables: &Value) -> BenchResult<Value> {
        let body = json!({ "query": query, "variables": variables }).to_string();
        let request = Request::post("/graphql")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::AUTHORIZATION, format!("Bearer {}", self.token))
            .body(Body::from(body))?;
        let response = self.router.clone().oneshot(request).await?;
        let bytes = response.into_body().collect().await?.to_bytes();
        let value: Value = serde_json::from_slice(&bytes)?;
        if let Some(errors) = value.get("errors") {
            return Err(format!("errors: {errors}").into());
        }
        Ok(value)
    }

    fn statements(&self) -> u64 {
        self.state
            .metrics
            .render()
            .lines()
            .filter(|l| l.starts_with("lianjian_sql_statements_total"))
            .filter_map(|l| l.split_whitespace().last()?.parse::<f64>().ok())
            .map(|v| v as u64)
            .sum()
    }
}

async fn setup() -> BenchResult<(App, String)> {
    let dir = tempfile::tempdir()?;
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("loaders.db").display()
    );
    let database = DatabaseConfig::new(url);
    let metrics = Metrics::new();
    let db = Db::connect(&database, &metrics).await?;
    Migrator::up(&db.write, None).await?;
    let state = AppState::build(
        Config {
            database,
            server: ServerConfig::default(),
        },
        db,
        metrics,
    )
    .await?;
    let admin = accounts::create_user(
        &state.db.write,
        &Actor::system("bench"),
        accounts::NewUser {
            username: "root".into(),
            password: "root-password".into(),
            person_id: None,
        },
    )
    .await?;
    accounts::grant_role(
        &state.db.write,
        &Actor::system("bench"),
        admin.id,
        Role::Admin,
        GrantScope::System,
    )
    .await?;
    let (token, _) = state.tokens.issue(admin.id, admin.token_version)?;
    let app = App {
        router: build_router(state.clone()),
        state,
        token,
        _dir: dir,
    };

    let area = app
        .graphql(
            "mutation($input: CreateAreaInput!) { createArea(input: $input) { area { id } } }",
            &json!({ "input": { "name": "温泉镇" } }),
        )
        .await?["data"]["createArea"]["area"]["id"]
        .as_str()
        .ok_or("area id")?
        .to_owned();
    let root = create_org(&app, "00 党委", &area, None).await?;
    let mut branches = Vec::new();
    for b in 0..BRANCHES {
        let branch = create_org(&app, &format!("{b:02} 党总支"), &area, Some(&root)).await?;
        for c in 0..CHILDREN_PER_BRANCH {
            create_org(&app, &format!("{b:02}-{c:02} 党支部"), &area, Some(&branch)).await?;
        }
        for p in 0..PEOPLE_PER_BRANCH {
            app.graphql(
                "mutation($input: CreatePersonInput!) { createPerson(input: $input) { person { id } } }",
                &json!({ "input": {
                    "name": format!("人员{b:02}-{p}"), "politicalStatus": "FULL_MEMBER",
                    "organizationId": branch,
                    "positions": [{ "position": "COMMITTEE_MEMBER", "startedOn": "2026-01-01" }],
                } }),
            )
            .await?;
        }
        branches.push(branch);
    }
    app.graphql(
        "mutation($input: CreateLinkageGroupInput!) { createLinkageGroup(input: $input) { linkageGroup { id } } }",
        &json!({ "input": { "name": "联建组", "leadOrganizationId": root, "memberOrganizationIds": branches } }),
    )
    .await?;
    Ok((app, root))
}

async fn create_org(
    app: &App,
    name: &str,
    area: &str,
    parent: Option<&str>,
) -> BenchResult<String> {
    let response = app
        .graphql(
            "mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id } } }",
            &json!({ "input": {
                "name": name, "level": "BRANCH", "unitType": "VILLAGE",
                "areaId": area, "parentId": parent,
            } }),
        )
        .await?;
    Ok(response["data"]["createOrganization"]["organization"]["id"]
        .as_str()
        .ok_or("organization id")?
        .to_owned())
}

async fn run(requests: usize) -> BenchResult<()> {
    eprintln!(
        "setup: {BRANCHES} branches x {CHILDREN_PER_BRANCH} children, {PEOPLE_PER_BRANCH} people each"
    );
    let started = Instant::now();
    let (app, root) = setup().await?;
    eprintln!("setup: {:.1} s", started.elapsed().as_secs_f64());
    let app = Arc::new(app);
    let variables = json!({ "parent": root });

    let check = app.graphql(NESTED, &variables).await?;
    let edges = check["data"]["organizations"]["edges"]
        .as_array()
        .map_or(0, Vec::len);
    if edges != BRANCHES {
        return Err(format!("expected {BRANCHES} organizations, got {edges}").into());
    }

    println!("{requests} requests per measurement, {CONCURRENCY} clients for throughput");
    for (name, query) in [
        ("nested page of 50", NESTED),
        ("without counts", NESTED_WITHOUT_COUNTS),
        ("counts only", COUNTS),
    ] {
        for _ in 0..WARMUP_REQUESTS {
            app.graphql(query, &variables).await?;
        }
        let before = app.statements();
        app.graphql(query, &variables).await?;
        let statements = app.statements() - before;

        // In a task of the runtime's pool, as the server runs each connection.
        let mut latencies = tokio::spawn({
            let app = app.clone();
            let variables = variables.clone();
            async move {
                let mut latencies = Vec::with_capacity(requests);
                for _ in 0..requests {
                    let started = Instant::now();
                    app.graphql(query, &variables).await?;
                    latencies.push(started.elapsed());
                }
                Ok::<_, Box<dyn Error + Send + Sync>>(latencies)
            }
        })
        .await??;
        latencies.sort();
        let mean = latencies.iter().sum::<Duration>() / requests as u32;

        let started = Instant::now();
        let per_client = requests.div_ceil(CONCURRENCY);
        let mut clients = Vec::new();
        for _ in 0..CONCURRENCY {
            let app = app.clone();
            let variables = variables.clone();
            clients.push(tokio::spawn(async move {
                for _ in 0..per_client {
                    app.graphql(query, &variables).await?;
                }
                Ok::<(), Box<dyn Error + Send + Sync>>(())
            }));
        }
        for client in clients {
            client.await??;
        }
        let throughput = (per_client * CONCURRENCY) as f64 / started.elapsed().as_secs_f64();

        println!(
            "{name:<18} statements {statements:>3} | sequential: mean {:.2} ms, p50 {:.2} ms, p99 {:.2} ms, {:.0} req/s | {CONCURRENCY} clients: {throughput:.0} req/s",
            ms(mean),
            ms(percentile(&latencies, 0.50)),
            ms(percentile(&latencies, 0.99)),
            1.0 / mean.as_secs_f64(),
        );
    }
    batching_alone(requests).await
}

/// Doubles its keys, at once.
struct Doubler;

impl Loader<u32> for Doubler {
    type Value = u32;
    type Error = String;

    async fn load(&self, keys: &[u32]) -> Result<HashMap<u32, u32>, String> {
        Ok(keys.iter().map(|k| (*k, k * 2)).collect())
    }
}

/// 50 objects whose fields load three levels of keys, one level after the other.
async fn three_levels<F, Fut>(load: F) -> BenchResult<()>
where
    F: Fn(u32) -> Fut,
    Fut: std::future::Future<Output = Result<Option<u32>, String>>,
{
    let objects = (1..=50u32).map(|k| {
        let load = &load;
        async move {
            let first = load(k).await?.ok_or("missing")?;
            let second = load(first + 1000).await?.ok_or("missing")?;
            load(second + 10_000).await?.ok_or("missing")?;
            Ok::<(), String>(())
        }
    });
    futures_util::future::try_join_all(objects).await?;
    Ok(())
}

async fn batching_alone(requests: usize) -> BenchResult<()> {
    let mut results = Vec::new();
    for name in ["DataLoader, zero delay", "BatchLoader"] {
        // Each request in a task of the pool, with loaders of its own, as the server does.
        let elapsed = tokio::spawn(async move {
            let started = Instant::now();
            for _ in 0..requests {
                if name == "BatchLoader" {
                    let loader = BatchLoader::new(Doubler);
                    three_levels(|k| loader.load_one(k)).await?;
                } else {
                    let loader = DataLoader::new(Doubler, |fetch| {
                        tokio::spawn(async move {
                            for _ in 0..64 {
                                tokio::task::yield_now().await;
                            }
                            fetch.await;
                        })
                    })
                    .delay(Duration::ZERO);
                    three_levels(|k| loader.load_one(k)).await?;
                }
            }
            Ok::<_, Box<dyn Error + Send + Sync>>(started.elapsed())
        })
        .await??;
        results.push((name, elapsed / requests as u32));
    }
    for (name, per_request) in results {
        println!(
            "batching alone, 50 objects x 3 levels, {name:<22}: {:.3} ms per request",
            ms(per_request)
        );
    }
    Ok(())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
