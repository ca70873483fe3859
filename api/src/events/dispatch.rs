//! The dispatcher of one process: it reads the outbox after the last position it delivered and
//! hands new events to this process's subscribers. It looks when a local commit wrote events, when
//! PostgreSQL announces that another replica did (`LISTEN`), and every `POLL` besides, so that a
//! missed announcement (a listener that lost its connection, another process on the same SQLite
//! file) delays an event but never loses it.

use std::time::Duration;

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, Statement,
    sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions},
};
use tokio::task::JoinHandle;

use super::{EventBus, outbox};

/// How often the outbox is read when nothing announced an event.
pub const POLL: Duration = Duration::from_secs(1);
/// Events read per statement.
const BATCH: u64 = 500;
/// How often old outbox rows are pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// The running dispatcher (and listener); stopped when dropped.
#[derive(Debug)]
pub struct Running {
    tasks: Vec<JoinHandle<()>>,
}

impl Running {
    pub fn stop(&self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Starts delivering outbox events to `bus`'s subscribers. `listen` (PostgreSQL only) opens the
/// extra connection that hears other replicas' announcements.
///
/// Subscribers hear what is written from now on; what came before is read on request. Where
/// "now" is, is read here, before this returns: a subscriber that comes after (a server's first
/// request) never has the events it waits for passed over by a dispatcher that started late.
pub async fn start(
    bus: EventBus,
    db: DatabaseConnection,
    listen: Option<PgConnectOptions>,
) -> Result<Running, sea_orm::DbErr> {
    bus.start_at(outbox::bounds(&db).await?.newest);
    let mut tasks = Vec::new();
    if let Some(options) = listen {
        tasks.push(tokio::spawn(listener(bus.clone(), db.clone(), options)));
    }
    tasks.push(tokio::spawn(dispatcher(bus, db)));
    Ok(Running { tasks })
}

async fn dispatcher(bus: EventBus, db: DatabaseConnection) {
    loop {
        if let Err(e) = deliver_new(&bus, &db).await {
            tracing::error!(error = %e, "event dispatcher cannot read the outbox; retrying");
        }
        tokio::select! {
            _ = bus.woken() => {}
            _ = tokio::time::sleep(POLL) => {}
        }
    }
}

/// Sends every event after the last delivered one, in position order.
async fn deliver_new(bus: &EventBus, db: &DatabaseConnection) -> Result<(), sea_orm::DbErr> {
    loop {
        let page = outbox::read_after(db, bus.delivered(), BATCH).await?;
        let full = page.envelopes.len() as u64 == BATCH;
        let through = page.through;
        bus.send(page.envelopes, through);
        if !full {
            return Ok(());
        }
    }
}

/// Listens for other replicas' announcements; a lost connection is opened again, and the
/// dispatcher then reads whatever was written meanwhile.
async fn listener(bus: EventBus, db: DatabaseConnection, options: PgConnectOptions) {
    let schema = loop {
        match current_schema(&db).await {
            Ok(schema) => break schema,
            Err(e) => {
                tracing::error!(error = %e, "event listener cannot read the schema; retrying");
                tokio::time::sleep(POLL).await;
            }
        }
    };
    loop {
        match listen(&options).await {
            Ok(mut listener) => {
                bus.wake();
                loop {
                    match listener.try_recv().await {
                        Ok(Some(notification)) => {
                            if notification.payload() == schema {
                                bus.wake();
                            }
                        }
                        Ok(None) => {
                            tracing::warn!(
                                "event listener lost its connection and reconnected; catching up from the outbox"
                            );
                            bus.wake();
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "event listener lost its connection; reconnecting");
                            break;
                        }
                    }
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "event listener cannot connect; retrying");
            }
        }
        // Until the listener is back, the dispatcher's polling keeps events flowing.
        tokio::time::sleep(POLL).await;
    }
}

async fn listen(options: &PgConnectOptions) -> Result<PgListener, sea_orm::sqlx::Error> {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options.clone())
        .await?;
    let mut listener = PgListener::connect_with(&pool).await?;
    listener.listen(outbox::CHANNEL).await?;
    Ok(listener)
}

async fn current_schema(db: &DatabaseConnection) -> Result<String, sea_orm::DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT current_schema() AS schema",
        ))
        .await?;
    row.map(|r| r.try_get::<String>("", "schema"))
        .transpose()?
        .ok_or_else(|| sea_orm::DbErr::Custom("no current schema".into()))
}

/// Prunes outbox rows older than `retention`, now and then every `PRUNE_EVERY`.
pub async fn prune_periodically(db: DatabaseConnection, retention: chrono::Duration) {
    loop {
        let before = crate::services::now() - retention;
        match outbox::prune(&db, before).await {
            Ok(Some(deleted)) if deleted > 0 => {
                tracing::info!(deleted, "old events pruned from the outbox")
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "pruning the outbox failed"),
        }
        tokio::time::sleep(PRUNE_EVERY).await;
    }
}
