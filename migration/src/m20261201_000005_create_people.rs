use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Person::Table)
                    .col(uuid(Person::Id).primary_key())
                    .col(string_len(Person::Name, 50))
                    .col(string_len_null(Person::Gender, 20))
                    .col(string_len_null(Person::Phone, 20))
                    .col(string_len_null(Person::IdNumber, 18))
                    .col(string_len(Person::PoliticalStatus, 20))
                    .col(uuid(Person::OrganizationId))
                    .col(timestamp_with_time_zone(Person::CreatedAt))
                    .col(timestamp_with_time_zone(Person::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_person_organization")
                            .from(Person::Table, Person::OrganizationId)
                            .to(Organization::Table, Organization::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns, unique) in [
            ("ux_person_id_number", &[Person::IdNumber][..], true),
            (
                "ix_person_organization",
                &[Person::OrganizationId, Person::Name, Person::Id][..],
                false,
            ),
            ("ix_person_name", &[Person::Name, Person::Id][..], false),
            (
                "ix_person_political_status",
                &[Person::PoliticalStatus][..],
                false,
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(Person::Table);
            for column in columns {
                index.col(column.clone());
            }
            if unique {
                index.unique();
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(PersonPosition::Table)
                    .col(uuid(PersonPosition::Id).primary_key())
                    .col(uuid(PersonPosition::PersonId))
                    .col(string_len(PersonPosition::Position, 20))
                    .col(date(PersonPosition::StartedOn))
                    .col(date_null(PersonPosition::EndedOn))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_person_position_person")
                            .from(PersonPosition::Table, PersonPosition::PersonId)
                            .to(Person::Table, Person::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_person_position_person")
                    .table(PersonPosition::Table)
                    .col(PersonPosition::PersonId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_person_position_position")
                    .table(PersonPosition::Table)
                    .col(PersonPosition::Position)
                    .col(PersonPosition::PersonId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PersonPosition::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Person::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone)]
enum Person {
    Table,
    Id,
    Name,
    Gender,
    Phone,
    IdNumber,
    PoliticalStatus,
    OrganizationId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PersonPosition {
    Table,
    Id,
    PersonId,
    Position,
    StartedOn,
    EndedOn,
}

#[derive(DeriveIden)]
enum Organization {
    Table,
    Id,
}
