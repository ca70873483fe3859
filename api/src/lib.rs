//! lianjian (联建): the GraphQL API server of a joint party-building linkage mechanism.

/// The application state and the HTTP router.
pub mod app;
/// Passwords and signed tokens.
pub mod auth;
/// Casbin: roles, grants, the viewer's scope as SQL.
pub mod authz;
/// The `lianjian` command line: serve, migrate, migrate-data, backup, import, export-schema.
pub mod cli;
/// The one source of now and today (`--today`, manual clocks in tests).
pub mod clock;
/// One typed configuration, read once from flags and environment.
pub mod config;
/// Database connections (SQLite writer and readers, or a PostgreSQL pool).
pub mod db;
/// The error type and its stable codes.
pub mod error;
/// In-process events that feed subscriptions.
pub mod events;
/// `lianjian generate`: data sets of three scales for performance work.
pub mod generate;
/// The GraphQL schema, one module per domain.
pub mod graphql;
/// HTTP endpoints: GraphQL transport, health, metrics, GraphiQL, the dashboard, exports.
pub mod http;
/// `lianjian import`: organizations and people from a spreadsheet, all or nothing.
pub mod import;
/// Prometheus metrics.
pub mod metrics;
/// Domain logic, free of GraphQL.
pub mod services;
/// Copying a town's data between databases (`migrate-data`) and SQLite backups.
pub mod transfer;

pub use app::{AppState, build_router};
pub use config::Config;
