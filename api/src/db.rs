//! Database connections: on SQLite one writer and a small pool of readers (WAL lets them read while
//! the writer writes), on PostgreSQL one pool for both.

use std::str::FromStr;

use sea_orm::{
    ConnAcquireErr, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, ExecResult, QueryResult,
    RuntimeErr, SqlxPostgresConnector, SqlxSqliteConnector, Statement,
    sqlx::{
        PgPool,
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
    pub read: ReadDb,
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
        self.background = self.read.conn.clone();
        let counter = metrics.sql_statements.clone();
        self.write
            .set_metric_callback(move |_| counter.increment(1));
        if self.backend() == DbBackend::Sqlite {
            let counter = metrics.sql_statements.clone();
            self.read
                .conn
                .set_metric_callback(move |_| counter.increment(1));
        } else {
            self.read.conn = self.write.clone();
            if let Some(pg) = &mut self.read.pg {
                pg.statements = Some(metrics.sql_statements.clone());
            }
        }
    }

    /// Closes every connection; in-flight statements finish first.
    pub async fn close(self) -> Result<(), DbErr> {
        if self.backend() == DbBackend::Sqlite {
            self.read.conn.close().await?;
        }
        self.write.close().await
    }
}

/// The connection queries read through: a SeaORM connection (it dereferences to one), except that
/// on PostgreSQL its reads (`query_one_raw`, `query_all_raw`, and so every `one` and `all`) run
/// on the pool through sqlx directly, with the same statement, the same prepared-statement cache
/// and the same rows. SeaORM's own path wraps each of them in a tracing span and moves a
/// future of about 15 KB several times: a fifth of the instructions of a request for one
/// organization. Statements are counted in `lianjian_sql_statements_total` all the same.
#[derive(Clone, Debug)]
pub struct ReadDb {
    conn: DatabaseConnection,
    pg: Option<PgReads>,
}

#[derive(Clone)]
struct PgReads {
    pool: PgPool,
    statements: Option<metrics::Counter>,
}

impl std::fmt::Debug for PgReads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgReads").finish_non_exhaustive()
    }
}

impl ReadDb {
    /// Reads through `conn` as SeaORM does.
    pub fn new(conn: DatabaseConnection) -> Self {
        Self { conn, pg: None }
    }
}

impl std::ops::Deref for ReadDb {
    type Target = DatabaseConnection;

    fn deref(&self) -> &DatabaseConnection {
        &self.conn
    }
}

impl PgReads {
    /// The sqlx query of `stmt`, its final `LIMIT` written into the text ([`inline_final_limit`]).
    fn query(
        stmt: Statement,
    ) -> sea_orm::sqlx::query::Query<'static, sea_orm::sqlx::Postgres, sea_query_sqlx::SqlxValues>
    {
        let mut sql = stmt.sql;
        let mut values = stmt.values.map(|v| v.0).unwrap_or_default();
        inline_final_limit(&mut sql, &mut values);
        sea_orm::sqlx::query_with(
            sea_orm::sqlx::AssertSqlSafe(sql),
            sea_query_sqlx::SqlxValues(sea_orm::Values(values)),
        )
    }

    async fn connection(
        &self,
    ) -> Result<sea_orm::sqlx::pool::PoolConnection<sea_orm::sqlx::Postgres>, DbErr> {
        self.pool.acquire().await.map_err(|e| match e {
            sea_orm::sqlx::Error::PoolTimedOut => DbErr::ConnectionAcquire(ConnAcquireErr::Timeout),
            sea_orm::sqlx::Error::PoolClosed => {
                DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed)
            }
            e => DbErr::Conn(RuntimeErr::SqlxError(e.into())),
        })
    }

    fn counted(&self) {
        if let Some(counter) = &self.statements {
            counter.increment(1);
        }
    }
}

/// `... LIMIT $n` with `$n` the last parameter, used only there, and a count: the count
/// written into the text instead (`... LIMIT 51`), and the parameter dropped. PostgreSQL plans a
/// prepared statement afresh for its parameters (a custom plan) as long as the plan it could
/// keep (the generic plan) looks dearer, and with an unknown `LIMIT` it assumes a tenth of the
/// rows: a page of 50 organizations was planned again on every request (0.27 ms, more than it
/// took to run). With the count in the text the generic plan is the custom one, and is kept.
/// Only an integer is written out, so nothing from a request reaches the text.
fn inline_final_limit(sql: &mut String, values: &mut Vec<sea_orm::Value>) {
    use sea_orm::Value;
    let n = values.len();
    if n == 0 {
        return;
    }
    // The number of the parameter written at `at` (just after its `$`), if it is one.
    let number_at = |at: usize| {
        let rest = &sql[at..];
        let end = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        rest[..end].parse::<usize>().ok()
    };
    const TAIL: &str = " LIMIT $";
    let Some(limit_at) = sql.rfind(TAIL) else {
        return;
    };
    let number_from = limit_at + TAIL.len();
    if sql[number_from..].parse::<usize>().ok() != Some(n) {
        return;
    }
    let uses = sql
        .match_indices('$')
        .filter(|(at, _)| number_at(at + 1) == Some(n))
        .count();
    if uses != 1 {
        return;
    }
    let count = match values[n - 1] {
        Value::BigUnsigned(Some(v)) => v.to_string(),
        Value::Unsigned(Some(v)) => v.to_string(),
        Value::BigInt(Some(v)) if v >= 0 => v.to_string(),
        Value::Int(Some(v)) if v >= 0 => v.to_string(),
        _ => return,
    };
    sql.truncate(number_from - 1);
    sql.push_str(&count);
    values.pop();
}

fn query_err(e: sea_orm::sqlx::Error) -> DbErr {
    DbErr::Query(RuntimeErr::SqlxError(e.into()))
}

#[async_trait::async_trait]
impl ConnectionTrait for ReadDb {
    fn get_database_backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.conn.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.conn.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        let Some(pg) = &self.pg else {
            return self.conn.query_one_raw(stmt).await;
        };
        let mut conn = pg.connection().await?;
        let row = PgReads::query(stmt).fetch_optional(&mut *conn).await;
        pg.counted();
        Ok(row.map_err(query_err)?.map(QueryResult::from))
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        let Some(pg) = &self.pg else {
            return self.conn.query_all_raw(stmt).await;
        };
        let mut conn = pg.connection().await?;
        let rows = PgReads::query(stmt).fetch_all(&mut *conn).await;
        pg.counted();
        Ok(rows
            .map_err(query_err)?
            .into_iter()
            .map(QueryResult::from)
            .collect())
    }

    fn support_returning(&self) -> bool {
        self.conn.support_returning()
    }

    fn is_mock_connection(&self) -> bool {
        self.conn.is_mock_connection()
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
            read: ReadDb::new(write.clone()),
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
        read: ReadDb::new(read),
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
    let write = SqlxPostgresConnector::from_sqlx_postgres_pool(pool.clone());
    Ok(Db {
        read: ReadDb {
            conn: write.clone(),
            pg: Some(PgReads {
                pool,
                statements: None,
            }),
        },
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

#[cfg(test)]
mod tests {
    use sea_orm::Value;

    use super::inline_final_limit;

    fn inlined(sql: &str, values: Vec<Value>) -> (String, Vec<Value>) {
        let mut sql = sql.to_owned();
        let mut values = values;
        inline_final_limit(&mut sql, &mut values);
        (sql, values)
    }

    #[test]
    fn a_final_limit_is_written_into_the_statement() {
        assert_eq!(
            inlined(
                "SELECT a FROM t WHERE b = $1 ORDER BY a LIMIT $2",
                vec![Value::from("x"), Value::BigUnsigned(Some(51))]
            ),
            (
                "SELECT a FROM t WHERE b = $1 ORDER BY a LIMIT 51".to_owned(),
                vec![Value::from("x")]
            )
        );
        assert_eq!(
            inlined("SELECT a FROM t LIMIT $1", vec![Value::BigInt(Some(1))]),
            ("SELECT a FROM t LIMIT 1".to_owned(), vec![])
        );
        assert_eq!(
            inlined("SELECT a FROM t LIMIT $1", vec![Value::Int(Some(7))]),
            ("SELECT a FROM t LIMIT 7".to_owned(), vec![])
        );
    }

    #[test]
    fn any_other_statement_is_left_as_it_is() {
        let cases: Vec<(&str, Vec<Value>)> = vec![
            // Not at the end.
            (
                "SELECT COUNT(*) FROM (SELECT 1 FROM t LIMIT $1) AS s",
                vec![Value::BigUnsigned(Some(1001))],
            ),
            // Not the last parameter.
            (
                "SELECT a FROM t WHERE b = $2 LIMIT $1",
                vec![Value::BigUnsigned(Some(5)), Value::from("x")],
            ),
            // The parameter is used elsewhere too.
            (
                "SELECT a FROM t WHERE b < $1 LIMIT $1",
                vec![Value::BigInt(Some(5))],
            ),
            // Not an integer, or not a count.
            (
                "SELECT a FROM t LIMIT $1",
                vec![Value::from("5; DROP TABLE t")],
            ),
            ("SELECT a FROM t LIMIT $1", vec![Value::BigInt(Some(-1))]),
            ("SELECT a FROM t LIMIT $1", vec![Value::BigUnsigned(None)]),
            // No parameters, or an offset after the limit.
            ("SELECT a FROM t LIMIT 5", vec![]),
            (
                "SELECT a FROM t LIMIT $1 OFFSET $2",
                vec![Value::BigUnsigned(Some(5)), Value::BigUnsigned(Some(10))],
            ),
        ];
        for (sql, values) in cases {
            assert_eq!(
                inlined(sql, values.clone()),
                (sql.to_owned(), values),
                "{sql}"
            );
        }
    }

    /// `$1` in `LIMIT $1` is not confused with `$10` elsewhere.
    #[test]
    fn a_parameter_is_told_from_a_longer_one() {
        let mut values: Vec<Value> = (0..9).map(|i| Value::Int(Some(i))).collect();
        values.push(Value::BigUnsigned(Some(21)));
        let sql = "SELECT a FROM t WHERE b IN ($1, $2, $3, $4, $5, $6, $7, $8, $9) LIMIT $10";
        let (out, left) = inlined(sql, values);
        assert_eq!(
            out,
            "SELECT a FROM t WHERE b IN ($1, $2, $3, $4, $5, $6, $7, $8, $9) LIMIT 21"
        );
        assert_eq!(left.len(), 9);
    }
}
