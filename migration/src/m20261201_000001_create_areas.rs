use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Area::Table)
                    .col(uuid(Area::Id).primary_key())
                    .col(string_len(Area::Name, 100))
                    .col(text_null(Area::Description))
                    .col(timestamp_with_time_zone(Area::CreatedAt))
                    .col(timestamp_with_time_zone(Area::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        // Names are unique; the index also serves the NAME_ASC ordering (name, id).
        manager
            .create_index(
                Index::create()
                    .name("ux_area_name")
                    .table(Area::Table)
                    .col(Area::Name)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Area::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Area {
    Table,
    Id,
    Name,
    Description,
    CreatedAt,
    UpdatedAt,
}
