//! The GraphQL API: one module per domain, each contributing Query, Mutation and Subscription parts
//! that `schema.rs` merges into one schema.

pub mod areas;
pub mod context;
pub mod errors;
pub mod ids;
pub mod node;
pub mod relay;
pub mod scalars;
pub mod schema;

pub use schema::{AppSchema, build_schema};
