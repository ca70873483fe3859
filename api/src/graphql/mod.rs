//! The GraphQL API: one module per domain, each contributing Query, Mutation and Subscription parts
//! that `schema.rs` merges into one schema.

pub mod accounts;
pub mod activities;
pub mod appeal_enums;
pub mod appeals;
pub mod areas;
pub mod audit;
pub mod calendar;
pub mod context;
pub mod enums;
pub mod errors;
pub mod first_secretaries;
pub mod gate;
pub mod guard;
pub mod ids;
pub mod input_errors;
pub mod limits;
pub mod linkage_groups;
pub mod loaders;
pub mod mentoring;
pub mod node;
pub mod order;
pub mod organizations;
pub mod people;
pub mod plain;
pub mod relay;
pub mod rounds;
pub mod scalars;
pub mod schema;
pub mod sdl;
pub mod statistics;
pub mod supervision;
pub mod workdays;

pub use gate::Api;
pub use schema::AppSchema;
