use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LinkageGroup::Table)
                    .col(uuid(LinkageGroup::Id).primary_key())
                    .col(string_len(LinkageGroup::Name, 100))
                    .col(text_null(LinkageGroup::Description))
                    .col(uuid(LinkageGroup::LeadOrganizationId))
                    .col(integer(LinkageGroup::CadenceDays))
                    .col(date(LinkageGroup::CadenceStartsOn))
                    .col(timestamp_with_time_zone(LinkageGroup::CreatedAt))
                    .col(timestamp_with_time_zone(LinkageGroup::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_linkage_group_lead")
                            .from(LinkageGroup::Table, LinkageGroup::LeadOrganizationId)
                            .to(Organization::Table, Organization::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_linkage_group_name")
                    .table(LinkageGroup::Table)
                    .col(LinkageGroup::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LinkageGroupMember::Table)
                    .col(uuid(LinkageGroupMember::Id).primary_key())
                    .col(uuid(LinkageGroupMember::LinkageGroupId))
                    .col(uuid(LinkageGroupMember::OrganizationId))
                    .col(string_len(LinkageGroupMember::Role, 20))
                    .col(date(LinkageGroupMember::JoinedOn))
                    .col(date_null(LinkageGroupMember::LeftOn))
                    .col(timestamp_with_time_zone(LinkageGroupMember::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_linkage_group_member_group")
                            .from(
                                LinkageGroupMember::Table,
                                LinkageGroupMember::LinkageGroupId,
                            )
                            .to(LinkageGroup::Table, LinkageGroup::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_linkage_group_member_organization")
                            .from(
                                LinkageGroupMember::Table,
                                LinkageGroupMember::OrganizationId,
                            )
                            .to(Organization::Table, Organization::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_linkage_group_member_group")
                    .table(LinkageGroupMember::Table)
                    .col(LinkageGroupMember::LinkageGroupId)
                    .col(LinkageGroupMember::JoinedOn)
                    .col(LinkageGroupMember::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_linkage_group_member_organization")
                    .table(LinkageGroupMember::Table)
                    .col(LinkageGroupMember::OrganizationId)
                    .col(LinkageGroupMember::JoinedOn)
                    .col(LinkageGroupMember::Id)
                    .to_owned(),
            )
            .await?;
        // An organization is a current member of a group at most once; former memberships stay.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_linkage_group_member_current \
                 ON linkage_group_member (linkage_group_id, organization_id) \
                 WHERE left_on IS NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(LinkageGroupMember::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(LinkageGroup::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum LinkageGroup {
    Table,
    Id,
    Name,
    Description,
    LeadOrganizationId,
    CadenceDays,
    CadenceStartsOn,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum LinkageGroupMember {
    Table,
    Id,
    LinkageGroupId,
    OrganizationId,
    Role,
    JoinedOn,
    LeftOn,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Organization {
    Table,
    Id,
}
