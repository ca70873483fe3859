use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(UserAccount::Table)
                    .col(uuid(UserAccount::Id).primary_key())
                    .col(string_len(UserAccount::Username, 64))
                    .col(string_len(UserAccount::PasswordHash, 200))
                    .col(uuid_null(UserAccount::PersonId))
                    .col(boolean(UserAccount::Disabled).default(false))
                    .col(integer(UserAccount::TokenVersion).default(0))
                    .col(timestamp_with_time_zone(UserAccount::CreatedAt))
                    .col(timestamp_with_time_zone(UserAccount::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_user_account_person")
                            .from(UserAccount::Table, UserAccount::PersonId)
                            .to(Person::Table, Person::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_user_account_username")
                    .table(UserAccount::Table)
                    .col(UserAccount::Username)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RoleGrant::Table)
                    .col(uuid(RoleGrant::Id).primary_key())
                    .col(uuid(RoleGrant::UserId))
                    .col(string_len(RoleGrant::Role, 30))
                    .col(uuid_null(RoleGrant::OrganizationId))
                    .col(uuid_null(RoleGrant::LinkageGroupId))
                    .col(string_len(RoleGrant::Scope, 40))
                    .col(timestamp_with_time_zone(RoleGrant::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_role_grant_user")
                            .from(RoleGrant::Table, RoleGrant::UserId)
                            .to(UserAccount::Table, UserAccount::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_role_grant_organization")
                            .from(RoleGrant::Table, RoleGrant::OrganizationId)
                            .to(Organization::Table, Organization::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_role_grant_linkage_group")
                            .from(RoleGrant::Table, RoleGrant::LinkageGroupId)
                            .to(LinkageGroup::Table, LinkageGroup::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_role_grant")
                    .table(RoleGrant::Table)
                    .col(RoleGrant::UserId)
                    .col(RoleGrant::Role)
                    .col(RoleGrant::Scope)
                    .unique()
                    .to_owned(),
            )
            .await?;
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
            .await?;
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
            .create_table(
                Table::create()
                    .table(AppSetting::Table)
                    .col(string_len(AppSetting::Key, 100).primary_key())
                    .col(text(AppSetting::Value))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AppSetting::Table.into_iden(),
            LoginFailure::Table.into_iden(),
            CasbinRule::Table.into_iden(),
            RoleGrant::Table.into_iden(),
            UserAccount::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum UserAccount {
    Table,
    Id,
    Username,
    PasswordHash,
    PersonId,
    Disabled,
    TokenVersion,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum RoleGrant {
    Table,
    Id,
    UserId,
    Role,
    OrganizationId,
    LinkageGroupId,
    Scope,
    CreatedAt,
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

#[derive(DeriveIden, Clone)]
enum LoginFailure {
    Table,
    Id,
    Username,
    Address,
    FailedAt,
}

#[derive(DeriveIden)]
enum AppSetting {
    Table,
    Key,
    Value,
}

#[derive(DeriveIden)]
enum Person {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Organization {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum LinkageGroup {
    Table,
    Id,
}
