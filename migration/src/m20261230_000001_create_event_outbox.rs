//! The event outbox: every subscription event is written here in the transaction of its change,
//! so that every replica on one database can deliver it and a reconnecting client can resume
//! from the position it last saw. Beside it, how far pruning has gone, and which days' escalation
//! passes have finished.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Tbl::EventOutbox)
                    // Positions only grow: AUTOINCREMENT on SQLite (never reused after pruning),
                    // a bigserial on PostgreSQL.
                    .col(big_integer(Col::Position).auto_increment().primary_key())
                    .col(string_len(Col::Kind, 40))
                    .col(text(Col::Payload))
                    .col(timestamp_with_time_zone(Col::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_event_outbox_created_at")
                    .table(Tbl::EventOutbox)
                    .col(Col::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Tbl::EventOutboxPruned)
                    .col(integer(Col::Id).primary_key())
                    // Every position up to this one may have been pruned.
                    .col(big_integer(Col::Through))
                    .col(timestamp_with_time_zone(Col::At))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Tbl::EscalationPass)
                    .col(date(Col::AsOf).primary_key())
                    .col(integer(Col::Examined))
                    .col(integer(Col::Escalated))
                    .col(timestamp_with_time_zone(Col::FinishedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Tbl::EscalationPass,
            Tbl::EventOutboxPruned,
            Tbl::EventOutbox,
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Tbl {
    EventOutbox,
    EventOutboxPruned,
    EscalationPass,
}

#[derive(DeriveIden)]
enum Col {
    Position,
    Kind,
    Payload,
    CreatedAt,
    Id,
    Through,
    At,
    AsOf,
    Examined,
    Escalated,
    FinishedAt,
}
