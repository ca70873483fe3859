//! The role permissions are read from `policies/` at start-up and grants from `role_grant` with
//! every request; the copy of the rules in `casbin_rule` is no longer read.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(CasbinRule::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CasbinRule::Table)
                    .col(uuid(CasbinRule::Id).primary_key())
                    .col(string_len(CasbinRule::Ptype, 10))
                    .col(string_len(CasbinRule::V0, 200))
                    .col(string_len(CasbinRule::V1, 200))
                    .col(string_len(CasbinRule::V2, 200))
                    .col(string_len(CasbinRule::V3, 200))
                    .col(string_len(CasbinRule::V4, 200))
                    .col(string_len(CasbinRule::V5, 200))
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum CasbinRule {
    Table,
    Id,
    Ptype,
    V0,
    V1,
    V2,
    V3,
    V4,
    V5,
}
