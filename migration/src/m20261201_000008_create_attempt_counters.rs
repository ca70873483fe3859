//! Sign-in and password-change attempts are counted in one row per (kind, subject) that a single
//! upsert raises, so parallel attempts on any number of replicas cannot all pass the limit. The
//! per-failure rows of `login_failure` were counted with a read before the password was checked,
//! which let parallel attempts through; they are no longer needed.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AttemptCounter::Table)
                    .col(string_len(AttemptCounter::Kind, 30))
                    .col(string_len(AttemptCounter::Subject, 100))
                    .col(timestamp_with_time_zone(AttemptCounter::WindowStartedAt))
                    .col(integer(AttemptCounter::Attempts))
                    .primary_key(
                        Index::create()
                            .col(AttemptCounter::Kind)
                            .col(AttemptCounter::Subject),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(LoginFailure::Table).to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LoginFailure::Table)
                    .col(uuid(LoginFailure::Id).primary_key())
                    .col(string_len(LoginFailure::Username, 64))
                    .col(string_len(LoginFailure::Address, 64))
                    .col(timestamp_with_time_zone(LoginFailure::FailedAt))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("ix_login_failure_username", LoginFailure::Username),
            ("ix_login_failure_address", LoginFailure::Address),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(LoginFailure::Table)
                        .col(column)
                        .col(LoginFailure::FailedAt)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(AttemptCounter::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum AttemptCounter {
    Table,
    Kind,
    Subject,
    WindowStartedAt,
    Attempts,
}

#[derive(DeriveIden, Clone)]
enum LoginFailure {
    Table,
    Id,
    Username,
    Address,
    FailedAt,
}
