//! Integration tests: the real router on a fresh database, SQLite by default and PostgreSQL when
//! `TEST_DATABASE_URL` is set.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod activities;
mod appeal_statistics;
mod appeals;
mod areas;
mod authz;
mod calendar;
mod concurrency;
mod contract;
mod demo;
mod first_secretaries;
mod generate;
mod health;
mod helpers;
mod limits;
mod mentoring;
mod migrate_data;
mod open311;
mod oracle;
mod organizations;
mod process;
mod replicas;
mod response_order;
mod robustness;
mod rounds;
mod schema;
mod sockets;
mod statements;
mod statistics;
mod subscriptions;
mod supervision;
mod transport;
mod workdays;
