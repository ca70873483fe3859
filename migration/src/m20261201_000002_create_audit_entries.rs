use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditEntry::Table)
                    .col(uuid(AuditEntry::Id).primary_key())
                    .col(uuid_null(AuditEntry::ActorId))
                    .col(string_len(AuditEntry::Action, 100))
                    .col(string_len(AuditEntry::TargetType, 100))
                    .col(uuid_null(AuditEntry::TargetId))
                    .col(json_null(AuditEntry::Before))
                    .col(json_null(AuditEntry::After))
                    .col(string_len_null(AuditEntry::RequestId, 100))
                    .col(timestamp_with_time_zone(AuditEntry::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_audit_entry_target")
                    .table(AuditEntry::Table)
                    .col(AuditEntry::TargetType)
                    .col(AuditEntry::TargetId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_audit_entry_actor")
                    .table(AuditEntry::Table)
                    .col(AuditEntry::ActorId)
                    .col(AuditEntry::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_audit_entry_created_at")
                    .table(AuditEntry::Table)
                    .col(AuditEntry::CreatedAt)
                    .col(AuditEntry::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditEntry::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum AuditEntry {
    Table,
    Id,
    ActorId,
    Action,
    TargetType,
    TargetId,
    Before,
    After,
    RequestId,
    CreatedAt,
}
