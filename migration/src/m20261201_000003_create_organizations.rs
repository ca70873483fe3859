use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Organization::Table)
                    .col(uuid(Organization::Id).primary_key())
                    .col(string_len(Organization::Name, 100))
                    .col(string_len_null(Organization::ShortName, 30))
                    .col(string_len_null(Organization::ExternalCode, 50))
                    .col(string_len(Organization::Level, 20))
                    .col(string_len(Organization::UnitType, 20))
                    .col(uuid(Organization::AreaId))
                    .col(uuid_null(Organization::ParentId))
                    .col(string_len(Organization::Path, 2000))
                    .col(integer(Organization::Depth))
                    .col(string_len_null(Organization::Contact, 200))
                    .col(boolean(Organization::KeyVillage).default(false))
                    .col(boolean(Organization::Remote).default(false))
                    .col(timestamp_with_time_zone_null(Organization::ArchivedAt))
                    .col(timestamp_with_time_zone(Organization::CreatedAt))
                    .col(timestamp_with_time_zone(Organization::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_organization_area")
                            .from(Organization::Table, Organization::AreaId)
                            .to(Area::Table, Area::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_organization_parent")
                            .from(Organization::Table, Organization::ParentId)
                            .to(Organization::Table, Organization::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns, unique) in [
            ("ux_organization_path", &[Organization::Path][..], true),
            (
                "ux_organization_external_code",
                &[Organization::ExternalCode][..],
                true,
            ),
            (
                "ix_organization_name",
                &[Organization::Name, Organization::Id][..],
                false,
            ),
            (
                "ix_organization_parent",
                &[Organization::ParentId, Organization::Name, Organization::Id][..],
                false,
            ),
            (
                "ix_organization_area",
                &[Organization::AreaId, Organization::Name, Organization::Id][..],
                false,
            ),
            ("ix_organization_level", &[Organization::Level][..], false),
            (
                "ix_organization_unit_type",
                &[Organization::UnitType][..],
                false,
            ),
            (
                "ix_organization_created_at",
                &[Organization::CreatedAt, Organization::Id][..],
                false,
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(Organization::Table);
            for column in columns {
                index.col(column.clone());
            }
            if unique {
                index.unique();
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Organization::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone)]
enum Organization {
    Table,
    Id,
    Name,
    ShortName,
    ExternalCode,
    Level,
    UnitType,
    AreaId,
    ParentId,
    Path,
    Depth,
    Contact,
    KeyVillage,
    Remote,
    ArchivedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Area {
    Table,
    Id,
}
