//! One typed `Config`, read once from flags and their environment variables at start-up.

use std::{
    net::{Ipv4Addr, SocketAddr, SocketAddrV4},
    time::Duration,
};

use chrono_tz::Tz;
use clap::Args;

/// Defaults of the flags (see `ServerConfig` and `DatabaseConfig`).
pub const DEFAULT_DATABASE_URL: &str = "sqlite://lianjian.db?mode=rwc";
pub const DEFAULT_DB_MAX_CONNECTIONS: u32 = 10;
pub const DEFAULT_SQLITE_READERS: u32 = 4;
pub const DEFAULT_DB_CONNECT_TIMEOUT_SECS: u64 = 5;
pub const DEFAULT_BIND: SocketAddr =
    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::new(127, 0, 0, 1), 8080));
pub const DEFAULT_TIMEZONE: Tz = chrono_tz::Asia::Shanghai;
pub const DEFAULT_REQUEST_TIMEOUT_SECS: u64 = 30;
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
pub const DEFAULT_MAX_QUERY_DEPTH: usize = 16;
/// Nodes one operation may return. A list screen with details, two nested pages of 100
/// (`organizations(first: 100) { ... people(first: 100) }`), costs 100 + 100 * 100 = 10,100;
/// three nested pages of 100 cost 1,010,100. 100,000 sits in between (about their geometric
/// mean): ten such screens fit in one request, while a third level of full pages, a million
/// rows for one request on a town's SQLite machine, is refused. The README's queries cost 860
/// at most.
pub const DEFAULT_MAX_QUERY_NODES: u64 = 100_000;
/// Fields one document may select. GraphiQL's introspection query selects 229 fields once its
/// fragments are expanded, the README's queries 32 at most; 2,000 leaves room for any screen
/// (and for introspection queries that follow types deeper) while a document of thousands of
/// aliases, or of fragments spread within fragments, is refused before validation reads it.
pub const DEFAULT_MAX_QUERY_FIELDS: u64 = 2_000;
pub const DEFAULT_MAX_MUTATION_FIELDS: usize = 10;
pub const DEFAULT_MAX_BATCH: usize = 10;
/// Queries and mutations running at once; more wait their turn. 16 keeps two cores and ten
/// database connections busy (16 at once answered Q2 as fast as 64 did) and bounds what
/// requests in flight hold: at 64 connections the server's peak memory stays where 16 put it.
pub const DEFAULT_MAX_OPERATIONS: usize = 16;
pub const DEFAULT_TOKEN_TTL_HOURS: i64 = 12;
pub const DEFAULT_EVENT_RETENTION_DAYS: u32 = 7;

/// Where the database lives and how many connections to keep.
#[derive(Debug, Clone, PartialEq, Args)]
pub struct DatabaseConfig {
    /// Database URL: `sqlite://FILE?mode=rwc` (embedded) or `postgres://USER@HOST/DB`.
    #[arg(
        long = "database-url",
        env = "DATABASE_URL",
        default_value = DEFAULT_DATABASE_URL,
        hide_env_values = true
    )]
    pub url: String,

    /// Connections in the PostgreSQL pool.
    #[arg(
        long = "db-max-connections",
        env = "LIANJIAN_DB_MAX_CONNECTIONS",
        default_value_t = DEFAULT_DB_MAX_CONNECTIONS
    )]
    pub max_connections: u32,

    /// Read-only connections beside the single SQLite writer.
    #[arg(
        long = "sqlite-readers",
        env = "LIANJIAN_SQLITE_READERS",
        default_value_t = DEFAULT_SQLITE_READERS
    )]
    pub sqlite_readers: u32,

    /// Seconds to wait for the database before giving up (start-up and each acquire).
    #[arg(
        long = "db-connect-timeout",
        env = "LIANJIAN_DB_CONNECT_TIMEOUT",
        default_value_t = DEFAULT_DB_CONNECT_TIMEOUT_SECS
    )]
    pub connect_timeout_secs: u64,

    /// PostgreSQL schema to work in (search_path); the server's default when absent.
    #[arg(long = "database-schema", env = "LIANJIAN_DATABASE_SCHEMA")]
    pub schema: Option<String>,
}

impl DatabaseConfig {
    /// The defaults of the flags with another URL (not read from the environment).
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: DEFAULT_DB_MAX_CONNECTIONS,
            sqlite_readers: DEFAULT_SQLITE_READERS,
            connect_timeout_secs: DEFAULT_DB_CONNECT_TIMEOUT_SECS,
            schema: None,
        }
    }

    pub fn connect_timeout(&self) -> Duration {
        Duration::from_secs(self.connect_timeout_secs.max(1))
    }
}

/// Everything `serve` needs besides the database. Each default is a constant below, used by both
/// the flag (`default_value_t`) and `Default`, so `--help`, the README and the tests agree.
#[derive(Debug, Clone, PartialEq, Args)]
pub struct ServerConfig {
    /// Address to listen on.
    #[arg(long, env = "LIANJIAN_BIND", default_value_t = DEFAULT_BIND)]
    pub bind: SocketAddr,

    /// Time zone of calendar dates (deadlines, rounds) and of rendered times.
    #[arg(long, env = "LIANJIAN_TIMEZONE", default_value_t = DEFAULT_TIMEZONE, value_parser = parse_timezone)]
    pub timezone: Tz,

    /// Seconds a request may take before it is answered with a timeout.
    #[arg(
        long = "request-timeout",
        env = "LIANJIAN_REQUEST_TIMEOUT",
        default_value_t = DEFAULT_REQUEST_TIMEOUT_SECS
    )]
    pub request_timeout_secs: u64,

    /// Largest request body in bytes.
    #[arg(
        long = "max-body-bytes",
        env = "LIANJIAN_MAX_BODY_BYTES",
        default_value_t = DEFAULT_MAX_BODY_BYTES
    )]
    pub max_body_bytes: usize,

    /// Deepest GraphQL selection allowed.
    #[arg(
        long = "max-query-depth",
        env = "LIANJIAN_MAX_QUERY_DEPTH",
        default_value_t = DEFAULT_MAX_QUERY_DEPTH
    )]
    pub max_query_depth: usize,

    /// Most nodes one operation may return: each connection's `first`/`last` (20 when absent)
    /// times those of the connections above it, summed over the operation.
    #[arg(
        long = "max-query-nodes",
        env = "LIANJIAN_MAX_QUERY_NODES",
        default_value_t = DEFAULT_MAX_QUERY_NODES
    )]
    pub max_query_nodes: u64,

    /// Most fields one document may select (`__typename` included, fragments counted where
    /// they are spread).
    #[arg(
        long = "max-query-fields",
        env = "LIANJIAN_MAX_QUERY_FIELDS",
        default_value_t = DEFAULT_MAX_QUERY_FIELDS
    )]
    pub max_query_fields: u64,

    /// Most mutation fields (aliases included) in one request.
    #[arg(
        long = "max-mutation-fields",
        env = "LIANJIAN_MAX_MUTATION_FIELDS",
        default_value_t = DEFAULT_MAX_MUTATION_FIELDS
    )]
    pub max_mutation_fields: usize,

    /// Most operations in one batched request.
    #[arg(long = "max-batch", env = "LIANJIAN_MAX_BATCH", default_value_t = DEFAULT_MAX_BATCH)]
    pub max_batch: usize,

    /// Most queries and mutations running at once, over every transport; more wait their turn
    /// (a subscription waits to start, not while it streams).
    #[arg(
        long = "max-operations",
        env = "LIANJIAN_MAX_OPERATIONS",
        default_value_t = DEFAULT_MAX_OPERATIONS
    )]
    pub max_operations: usize,

    /// Key that signs sign-in tokens (32+ characters); required on PostgreSQL, generated and kept
    /// in the database on SQLite.
    #[arg(
        long = "jwt-secret",
        env = "LIANJIAN_JWT_SECRET",
        hide_env_values = true
    )]
    pub jwt_secret: Option<Secret>,

    /// Hours a sign-in token stays valid.
    #[arg(
        long = "token-ttl-hours",
        env = "LIANJIAN_TOKEN_TTL_HOURS",
        default_value_t = DEFAULT_TOKEN_TTL_HOURS
    )]
    pub token_ttl_hours: i64,

    /// Days subscription events stay in the outbox: a client reconnecting within them can resume
    /// from the last event it saw (`after`); older events are pruned.
    #[arg(
        long = "event-retention-days",
        env = "LIANJIAN_EVENT_RETENTION_DAYS",
        default_value_t = DEFAULT_EVENT_RETENTION_DAYS,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub event_retention_days: u32,

    /// Treat DATE (YYYY-MM-DD) as today for every deadline rule: for demonstrations, training
    /// and rehearsing a deadline. Off by default: today is the date in `--timezone`.
    #[arg(long, env = "LIANJIAN_TODAY")]
    pub today: Option<chrono::NaiveDate>,
}

/// A secret from the configuration; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

/// The defaults of the flags, without reading the environment: tests that build their
/// configuration from `Default` do not depend on the `LIANJIAN_*` variables of the shell they run
/// in.
impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            bind: DEFAULT_BIND,
            timezone: DEFAULT_TIMEZONE,
            request_timeout_secs: DEFAULT_REQUEST_TIMEOUT_SECS,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_query_depth: DEFAULT_MAX_QUERY_DEPTH,
            max_query_nodes: DEFAULT_MAX_QUERY_NODES,
            max_query_fields: DEFAULT_MAX_QUERY_FIELDS,
            max_mutation_fields: DEFAULT_MAX_MUTATION_FIELDS,
            max_batch: DEFAULT_MAX_BATCH,
            max_operations: DEFAULT_MAX_OPERATIONS,
            jwt_secret: None,
            token_ttl_hours: DEFAULT_TOKEN_TTL_HOURS,
            event_retention_days: DEFAULT_EVENT_RETENTION_DAYS,
            today: None,
        }
    }
}

impl ServerConfig {
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs.max(1))
    }
}

/// The whole configuration of a running server.
#[derive(Debug, Clone)]
pub struct Config {
    pub database: DatabaseConfig,
    pub server: ServerConfig,
}

/// An IANA time zone name such as `Asia/Shanghai`.
pub fn parse_timezone(name: &str) -> Result<Tz, String> {
    name.parse::<Tz>()
        .map_err(|_| format!("unknown time zone {name:?}; use an IANA name such as Asia/Shanghai"))
}

/// A database URL fit for logs and error messages: the password is replaced by `***`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, FromArgMatches, Parser};

    use super::{DatabaseConfig, ServerConfig, redact_url};

    #[derive(Debug, Parser)]
    struct Flags {
        #[command(flatten)]
        database: DatabaseConfig,
        #[command(flatten)]
        server: ServerConfig,
    }

    /// What the flags give on an empty command line, environment variables ignored.
    fn flags_defaults() -> Flags {
        let matches = Flags::command()
            .mut_args(|arg| arg.env(None::<&'static str>))
            .try_get_matches_from(["lianjian"])
            .unwrap();
        Flags::from_arg_matches(&matches).unwrap()
    }

    #[test]
    fn default_configs_are_the_flags_defaults() {
        let flags = flags_defaults();
        assert_eq!(flags.server, ServerConfig::default());
        assert_eq!(
            flags.database,
            DatabaseConfig::new("sqlite://lianjian.db?mode=rwc")
        );
    }

    #[test]
    fn documented_defaults() {
        // Written by hand from the README's configuration table.
        let server = ServerConfig::default();
        assert_eq!(server.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(server.timezone.name(), "Asia/Shanghai");
        assert_eq!(server.request_timeout_secs, 30);
        assert_eq!(server.max_body_bytes, 1_048_576);
        assert_eq!(server.max_query_depth, 16);
        assert_eq!(server.max_query_nodes, 100_000);
        assert_eq!(server.max_query_fields, 2_000);
        assert_eq!(server.max_mutation_fields, 10);
        assert_eq!(server.max_batch, 10);
        assert_eq!(server.max_operations, 16);
        assert_eq!(server.token_ttl_hours, 12);
        assert!(server.jwt_secret.is_none());
        assert!(server.today.is_none());
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db.local:5432/lianjian"),
            "postgres://app:***@db.local:5432/lianjian"
        );
        assert_eq!(
            redact_url("postgres://app@db.local/lianjian"),
            "postgres://app@db.local/lianjian"
        );
        assert_eq!(
            redact_url("sqlite://lianjian.db?mode=rwc"),
            "sqlite://lianjian.db?mode=rwc"
        );
        assert_eq!(
            redact_url("postgres://u:p:q@h/d?x=@"),
            "postgres://u:***@h/d?x=@"
        );
    }
}
