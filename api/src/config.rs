//! One typed `Config`, read once from flags and their environment variables at start-up.

use std::{net::SocketAddr, time::Duration};

use chrono_tz::Tz;
use clap::Args;

/// Where the database lives and how many connections to keep.
#[derive(Debug, Clone, Args)]
pub struct DatabaseConfig {
    /// Database URL: `sqlite://FILE?mode=rwc` (embedded) or `postgres://USER@HOST/DB`.
    #[arg(
        long = "database-url",
        env = "DATABASE_URL",
        default_value = "sqlite://lianjian.db?mode=rwc",
        hide_env_values = true
    )]
    pub url: String,

    /// Connections in the PostgreSQL pool.
    #[arg(
        long = "db-max-connections",
        env = "LIANJIAN_DB_MAX_CONNECTIONS",
        default_value_t = 10
    )]
    pub max_connections: u32,

    /// Read-only connections beside the single SQLite writer.
    #[arg(
        long = "sqlite-readers",
        env = "LIANJIAN_SQLITE_READERS",
        default_value_t = 4
    )]
    pub sqlite_readers: u32,

    /// Seconds to wait for the database before giving up (start-up and each acquire).
    #[arg(
        long = "db-connect-timeout",
        env = "LIANJIAN_DB_CONNECT_TIMEOUT",
        default_value_t = 5
    )]
    pub connect_timeout_secs: u64,

    /// PostgreSQL schema to work in (search_path); the server's default when absent.
    #[arg(long = "database-schema", env = "LIANJIAN_DATABASE_SCHEMA")]
    pub schema: Option<String>,
}

impl DatabaseConfig {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: 10,
            sqlite_readers: 4,
            connect_timeout_secs: 5,
            schema: None,
        }
    }

    pub fn connect_timeout(&self) -> Duration {
        Duration::from_secs(self.connect_timeout_secs.max(1))
    }
}

/// Everything `serve` needs besides the database.
#[derive(Debug, Clone, Args)]
pub struct ServerConfig {
    /// Address to listen on.
    #[arg(long, env = "LIANJIAN_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// Time zone of calendar dates (deadlines, rounds) and of rendered times.
    #[arg(long, env = "LIANJIAN_TIMEZONE", default_value = "Asia/Shanghai", value_parser = parse_timezone)]
    pub timezone: Tz,

    /// Seconds a request may take before it is answered with a timeout.
    #[arg(
        long = "request-timeout",
        env = "LIANJIAN_REQUEST_TIMEOUT",
        default_value_t = 30
    )]
    pub request_timeout_secs: u64,

    /// Largest request body in bytes.
    #[arg(long = "max-body-bytes", env = "LIANJIAN_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Deepest GraphQL selection allowed.
    #[arg(
        long = "max-query-depth",
        env = "LIANJIAN_MAX_QUERY_DEPTH",
        default_value_t = 16
    )]
    pub max_query_depth: usize,

    /// Highest GraphQL query complexity allowed (one per field, times page size on lists).
    #[arg(
        long = "max-query-complexity",
        env = "LIANJIAN_MAX_QUERY_COMPLEXITY",
        default_value_t = 5000
    )]
    pub max_query_complexity: usize,

    /// Most mutation fields (aliases included) in one request.
    #[arg(
        long = "max-mutation-fields",
        env = "LIANJIAN_MAX_MUTATION_FIELDS",
        default_value_t = 10
    )]
    pub max_mutation_fields: usize,

    /// Most operations in one batched request.
    #[arg(long = "max-batch", env = "LIANJIAN_MAX_BATCH", default_value_t = 10)]
    pub max_batch: usize,

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
        default_value_t = 12
    )]
    pub token_ttl_hours: i64,
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

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            timezone: chrono_tz::Asia::Shanghai,
            request_timeout_secs: 30,
            max_body_bytes: 1024 * 1024,
            max_query_depth: 16,
            max_query_complexity: 20_000,
            max_mutation_fields: 10,
            max_batch: 10,
            jwt_secret: None,
            token_ttl_hours: 12,
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
    use super::redact_url;

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
