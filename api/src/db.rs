//! Database connections: on SQLite one writer and a small pool of readers (WAL lets them read while
//! the writer writes), on PostgreSQL one pool for both.

use std::str::FromStr;

use sea_orm::{
    DatabaseConnection, DbBackend, DbErr, SqlxPostgresConnector, SqlxSqliteConnector,
    sqlx::{
        postgres::{PgConnectOptions, PgPoolOptions},
        sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    },
};

use crate::{
    config::{DatabaseConfig, redact_url},
    metrics::Metrics,
};

/// The connections of one server. Mutations use `write` (inside a transaction), queries use `read`.
#[derive(Clone, Debug)]
pub struct Db {
    pub write: DatabaseConnection,
    pub read: DatabaseConnection,
    /// The readers again, for the process's own background reads (the event dispatcher polling
    /// the outbox): not counted in `lianjian_sql_statements_total`, which counts the statements
    /// requests and jobs run.
    pub background: DatabaseConnection,
}

/// Why the database could not be opened; the message names the URL without its password.
#[derive(Debug, thiserror::Error)]
#[error("cannot open database {url}: {reason}")]
pub struct ConnectError {
    pub url: String,
    pub reason: String,
}

impl Db {
    /// Opens the database named by `config`, counting every statement in `metrics`.
    pub async fn connect(config: &DatabaseConfig, metrics: &Metrics) -> Result<Self, ConnectError> {
        let fail = |reason: String| ConnectError {
            url: redact_url(&config.url),
            reason,
        };
        let mut db = if config.url.starts_with("sqlite:") {
            connect_sqlite(config).await
        } else if config.url.starts_with("postgres:") || config.url.starts_with("postgresql:") {
            connect_postgres(config).await
        } else {
            return Err(fail(
                "unsupported scheme: use sqlite:// or postgres://".into(),
            ));
        }
        .map_err(|e| fail(first_line(&e.to_string())))?;
        db.count_statements(metrics);
        Ok(db)
    }

    pub fn backend(&self) -> DbBackend {
        self.write.get_database_backend()
    }

    fn count_statements(&mut self, metrics: &Metrics) {
        self.background = self.read.clone();
        let counter = metrics.sql_statements.clone();
        self.write
            .set_metric_callback(move |_| counter.increment(1));
        if self.backend() == DbBackend::Sqlite {
            let counter = metrics.sql_statements.clone();
            self.read.set_metric_callback(move |_| counter.increment(1));
        } else {
            self.read = self.write.clone();
        }
    }

    /// Closes every connection; in-flight statements finish first.
    pub async fn close(self) -> Result<(), DbErr> {
        if self.backend() == DbBackend::Sqlite {
            self.read.close().await?;
        }
        self.write.close().await
    }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or_default().to_owned()
}

async fn connect_sqlite(config: &DatabaseConfig) -> Result<Db, Box<dyn std::error::Error>> {
    let options = SqliteConnectOptions::from_str(&config.url)?
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(config.connect_timeout())
        .foreign_keys(true);
    let in_memory = config.url.contains(":memory:") || config.url.contains("mode=memory");
    // One writer: SQLite serializes writers anyway, and a single connection turns that into a
    // queue in the pool instead of SQLITE_BUSY errors.
    let writer = SqlitePoolOptions::new()
        .max_connections(1)
        .test_before_acquire(false)
        .min_connections(1)
        .acquire_timeout(config.connect_timeout())
        .connect_with(options.clone())
        .await?;
    let write = SqlxSqliteConnector::from_sqlx_sqlite_pool(writer);
    if in_memory {
        // Each in-memory connection would be a database of its own: read through the writer.
        return Ok(Db {
            read: write.clone(),
            background: write.clone(),
            write,
        });
    }
    let readers = SqlitePoolOptions::new()
        .max_connections(config.sqlite_readers.max(1))
        // A connection to a local file does not go stale; pinging it is a trip to its worker
        // thread before every statement.
        .test_before_acquire(false)
        .acquire_timeout(config.connect_timeout())
        .connect_with(options.create_if_missing(false).read_only(true))
        .await?;
    let read = SqlxSqliteConnector::from_sqlx_sqlite_pool(readers);
    Ok(Db {
        write,
        background: read.clone(),
        read,
    })
}

/// A pooled PostgreSQL connection idle this long is pinged before it is handed out.
const PING_IF_IDLE_FOR: std::time::Duration = std::time::Duration::from_secs(10);

async fn connect_postgres(config: &DatabaseConfig) -> Result<Db, Box<dyn std::error::Error>> {
    let pool = PgPoolOptions::new()
        .max_connections(config.max_connections.max(1))
        .acquire_timeout(config.connect_timeout())
        // sqlx pings every connection it hands out by default: a second round trip for every
        // statement. Only a connection that sat idle for a while is pinged; a busy one that
        // broke fails its statement once and is then discarded.
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_IF_IDLE_FOR {
                    use sea_orm::sqlx::Connection;
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
        .connect_with(postgres_options(config, "lianjian")?)
        .await?;
    let write = SqlxPostgresConnector::from_sqlx_postgres_pool(pool);
    Ok(Db {
        read: write.clone(),
        background: write.clone(),
        write,
    })
}

/// The options of the connection that listens for other replicas' events (PostgreSQL only): the
/// pool's, under an application name of its own (`lianjian-listener`, with `:schema` when one is
/// set), so operators can tell it apart.
pub fn listener_options(config: &DatabaseConfig) -> Option<PgConnectOptions> {
    if config.url.starts_with("sqlite:") {
        return None;
    }
    postgres_options(config, "lianjian-listener").ok()
}

fn postgres_options(
    config: &DatabaseConfig,
    application: &str,
) -> Result<PgConnectOptions, sea_orm::sqlx::Error> {
    let mut options = PgConnectOptions::from_str(&config.url)?.application_name(application);
    if let Some(schema) = &config.schema {
        // The schema in the application name tells deployments sharing a server apart.
        options = options
            .options([("search_path", schema.as_str())])
            .application_name(&format!("{application}:{schema}"));
    }
    Ok(options)
}
