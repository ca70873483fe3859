//! Searching for a few characters anywhere in a name, on PostgreSQL.
//!
//! A search (`filter: { search: "陈伟" }`) is `lower(column) LIKE '%…%'`, which no B-tree can
//! answer: a page read in name order tests row after row until it has its twenty matches, and a
//! count tests every row (300,000 people at scale L, a quarter of a second). pg_trgm does not help
//! either: it indexes three-character grams, and Chinese names and searches are two or three
//! characters long. So each searched column gets a stored, generated column of its grams (every
//! single character and every pair of adjacent characters of the lowered text, without repeats)
//! and a GIN index on it. A search for one character asks for rows whose grams hold that
//! character, a longer one for rows whose grams hold each of its pairs, which every match has:
//! the index narrows the rows, and the `LIKE` still decides. [`SEARCH_GRAMS`] lists the columns,
//! and `services::text_contains` adds the condition for them.
//!
//! SQLite is left as it is: it has no array type, and at the scales it serves a search reads
//! every row in a few milliseconds.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

/// The searched columns that have a grams column, `<column>_grams`, on PostgreSQL.
pub const SEARCH_GRAMS: &[(&str, &str)] = &[
    ("person", "name"),
    ("organization", "name"),
    ("organization", "short_name"),
    ("supervision_item", "title"),
    ("supervision_item", "code"),
    ("resident_appeal", "content"),
    ("resident_appeal", "code"),
];

/// The grams of a text: its characters and its pairs of adjacent characters, without repeats.
/// Immutable, as a generated column's expression must be.
const GRAMS_FUNCTION: &str = "CREATE FUNCTION lianjian_grams(t text) RETURNS text[] \
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ \
    SELECT ARRAY(SELECT DISTINCT substr(t, i, n) \
    FROM generate_series(1, char_length(t)) AS i, (VALUES (1), (2)) AS g(n) \
    WHERE i + n - 1 <= char_length(t)) $$";

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared(GRAMS_FUNCTION).await?;
        for (table, column) in SEARCH_GRAMS {
            db.execute_unprepared(&format!(
                "ALTER TABLE \"{table}\" ADD COLUMN \"{column}_grams\" text[] \
                 GENERATED ALWAYS AS (lianjian_grams(lower(\"{column}\"))) STORED"
            ))
            .await?;
            db.execute_unprepared(&format!(
                "CREATE INDEX \"ix_{table}_{column}_grams\" ON \"{table}\" \
                 USING gin (\"{column}_grams\")"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        for (table, column) in SEARCH_GRAMS {
            // Dropping the column drops its index.
            db.execute_unprepared(&format!(
                "ALTER TABLE \"{table}\" DROP COLUMN \"{column}_grams\""
            ))
            .await?;
        }
        db.execute_unprepared("DROP FUNCTION lianjian_grams(text)")
            .await?;
        Ok(())
    }
}
