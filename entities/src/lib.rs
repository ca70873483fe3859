//! SeaORM entities of lianjian, one module per table. These are storage shapes only: the GraphQL
//! types live in the `api` crate, so nothing here depends on async-graphql.

pub mod area;
pub mod audit_entry;
