//! How fast subscription events travel between replicas: two application states on one database
//! (each with its own pools, dispatcher and, on PostgreSQL, listener), writers creating areas on
//! the first, a subscriber on the second. Reports writes per second and, per event, the time from
//! the write's commit to its delivery on the other replica (p50, p95, max).
//!
//! Run with `cargo bench --bench events` (a fresh SQLite file), or against PostgreSQL with
//! `cargo bench --bench events -- --database-url postgres://postgres@127.0.0.1:5432/test`
//! (in a schema of its own, dropped afterwards). `--events N` (default 2000) sets the writes,
//! made by 8 concurrent writers.

use std::{
    collections::HashMap,
    error::Error,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use futures_util::StreamExt;
use lianjian_api::{
    AppState, Config,
    config::{DatabaseConfig, Secret, ServerConfig},
    db::Db,
    events::DomainEvent,
    metrics::Metrics,
    services::{Actor, areas},
};
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Database};

type BenchResult<T> = Result<T, Box<dyn Error + Send + Sync>>;

const DEFAULT_EVENTS: usize = 2000;
const WRITERS: usize = 8;

fn main() -> BenchResult<()> {
    let mut events = DEFAULT_EVENTS;
    let mut url = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--events" => events = args.next().ok_or("--events needs a number")?.parse()?,
            "--database-url" => url = Some(args.next().ok_or("--database-url needs a URL")?),
            // `--bench` and other harness flags cargo passes through are ignored.
            _ => {}
        }
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(events.max(1), url))
}

async fn replica(database: &DatabaseConfig) -> BenchResult<AppState> {
    let metrics = Metrics::new();
    let db = Db::connect(database, &metrics).await?;
    let server = ServerConfig {
        jwt_secret: Some(Secret("bench-secret-bench-secret-bench-secret-0".into())),
        ..ServerConfig::default()
    };
    Ok(AppState::build(
        Config {
            database: database.clone(),
            server,
        },
        db,
        metrics,
    )
    .await?)
}

async fn run(count: usize, url: Option<String>) -> BenchResult<()> {
    let dir = tempfile::tempdir()?;
    let (database, engine, schema) = match &url {
        Some(url) => {
            let schema = format!("bench_events_{}", uuid::Uuid::new_v4().simple());
            let admin = Database::connect(url).await?;
            admin
                .execute_unprepared(&format!("CREATE SCHEMA {schema}"))
                .await?;
            admin.close().await?;
            let mut config = DatabaseConfig::new(url.clone());
            config.schema = Some(schema.clone());
            (config, "PostgreSQL", Some(schema))
        }
        None => {
            let path = dir.path().join("events.db");
            let config = DatabaseConfig::new(format!("sqlite://{}?mode=rwc", path.display()));
            (config, "SQLite", None)
        }
    };
    {
        let metrics = Metrics::new();
        let db = Db::connect(&database, &metrics).await?;
        Migrator::up(&db.write, None).await?;
        db.close().await?;
    }
    let writer = replica(&database).await?;
    let reader = replica(&database).await?;
    // Let both dispatchers (and listeners) start.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let committed: Arc<Mutex<HashMap<uuid::Uuid, Instant>>> = Arc::default();
    let stream = reader.events.subscribe(&reader.db.background, None).await?;
    let heard = {
        let committed = committed.clone();
        tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(count);
            let mut stream = Box::pin(stream);
            while latencies.len() < count {
                let Some(envelope) = stream.next().await else {
                    break;
                };
                let now = Instant::now();
                if let DomainEvent::AreaCreated { area } = envelope.event {
                    // The writer records its commit right after it returns: wait for it.
                    let at = loop {
                        if let Some(at) = committed.lock().map_err(|_| "poisoned")?.get(&area) {
                            break *at;
                        }
                        tokio::task::yield_now().await;
                    };
                    latencies.push(now.saturating_duration_since(at));
                }
            }
            Ok::<_, &'static str>(latencies)
        })
    };

    println!(
        "{engine}: {count} events written by {WRITERS} writers on one replica, heard on another"
    );
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        let state = writer.clone();
        let committed = committed.clone();
        tasks.push(tokio::spawn(async move {
            let actor = Actor::system("bench");
            for n in (w..count).step_by(WRITERS) {
                let area = areas::create(
                    &state.db.write,
                    &actor,
                    &state.events,
                    areas::NewArea {
                        name: format!("区{n}"),
                        description: None,
                    },
                )
                .await
                .map_err(|e| e.to_string())?;
                committed
                    .lock()
                    .map_err(|_| "poisoned".to_owned())?
                    .insert(area.id, Instant::now());
            }
            Ok::<_, String>(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    let written = started.elapsed();
    let mut latencies = tokio::time::timeout(Duration::from_secs(120), heard).await???;
    let delivered = started.elapsed();
    latencies.sort();
    let at = |q: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or_default()
    };
    println!(
        "  writes: {:.0}/s ({:.2} s); all heard after {:.2} s",
        count as f64 / written.as_secs_f64(),
        written.as_secs_f64(),
        delivered.as_secs_f64()
    );
    println!(
        "  commit to delivery on the other replica: p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms ({} events)",
        at(0.5).as_secs_f64() * 1000.0,
        at(0.95).as_secs_f64() * 1000.0,
        at(1.0).as_secs_f64() * 1000.0,
        latencies.len()
    );
    if let (Some(url), Some(schema)) = (url, schema) {
        writer.dispatch.stop();
        reader.dispatch.stop();
        let admin = Database::connect(&url).await?;
        admin
            .execute_unprepared(&format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE application_name IN ('lianjian:{schema}', 'lianjian-listener:{schema}')"
            ))
            .await?;
        admin
            .execute_unprepared(&format!("DROP SCHEMA {schema} CASCADE"))
            .await?;
    }
    Ok(())
}
