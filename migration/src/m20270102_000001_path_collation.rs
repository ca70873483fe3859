//! An organization's subtree is the range of paths `path >= '/a/' AND path < '/a0'`, which holds
//! when `/` sorts just before the hexadecimal digits, as it does byte by byte (SQLite's only
//! order for text). A PostgreSQL database created with a collation that ignores punctuation
//! (glibc's en_US.UTF-8 and zh_CN.UTF-8, ICU's `und-u-ka-shifted`) orders paths otherwise, and the
//! range then leaves the organizations below the subtree's root out. On PostgreSQL `path`
//! therefore compares byte by byte (`COLLATE "C"`) whatever the database's collation; its unique
//! index is rebuilt with it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Gives `organization.path` the collation `collation` on PostgreSQL; SQLite is left as it is.
async fn path_collation(manager: &SchemaManager<'_>, collation: &str) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    manager
        .get_connection()
        .execute_unprepared(&format!(
            "ALTER TABLE \"organization\" ALTER COLUMN \"path\" TYPE varchar(2000) \
             COLLATE \"{collation}\""
        ))
        .await?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        path_collation(manager, "C").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        path_collation(manager, "default").await
    }
}
