//! First secretaries posted to villages, and mentoring pairings (传帮带) with their sessions.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(name: &str, from: (Tbl, Col), to: (Tbl, Col)) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .to_owned()
}

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: Tbl,
    columns: &[Col],
) -> Result<(), DbErr> {
    let mut index = Index::create();
    index.name(name).table(table);
    for column in columns {
        index.col(*column);
    }
    manager.create_index(index.to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Tbl::FirstSecretaryAssignment)
                    .col(uuid(Col::Id).primary_key())
                    .col(uuid(Col::PersonId))
                    .col(uuid(Col::OrganizationId))
                    .col(date(Col::StartsOn))
                    .col(date_null(Col::EndsOn))
                    .col(string_len_null(Col::DispatchedBy, 200))
                    .col(uuid_null(Col::PositionId))
                    .col(integer(Col::Version).default(1))
                    .col(timestamp_with_time_zone(Col::CreatedAt))
                    .col(timestamp_with_time_zone(Col::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_first_secretary_assignment_person",
                        (Tbl::FirstSecretaryAssignment, Col::PersonId),
                        (Tbl::Person, Col::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_first_secretary_assignment_organization",
                        (Tbl::FirstSecretaryAssignment, Col::OrganizationId),
                        (Tbl::Organization, Col::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_first_secretary_assignment_person",
            Tbl::FirstSecretaryAssignment,
            &[Col::PersonId, Col::StartsOn],
        )
        .await?;
        index(
            manager,
            "ix_first_secretary_assignment_organization",
            Tbl::FirstSecretaryAssignment,
            &[Col::OrganizationId, Col::StartsOn],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Tbl::MentorPairing)
                    .col(uuid(Col::Id).primary_key())
                    .col(uuid(Col::MentorId))
                    .col(uuid(Col::MenteeId))
                    .col(uuid(Col::OrganizationId))
                    .col(text(Col::Goals))
                    .col(date(Col::StartsOn))
                    .col(string_len(Col::Status, 20))
                    .col(date_null(Col::EndedOn))
                    .col(text_null(Col::Outcome))
                    .col(date_null(Col::LastSessionOn))
                    .col(integer(Col::Version).default(1))
                    .col(timestamp_with_time_zone(Col::CreatedAt))
                    .col(timestamp_with_time_zone(Col::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_mentor_pairing_mentor",
                        (Tbl::MentorPairing, Col::MentorId),
                        (Tbl::Person, Col::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_mentor_pairing_mentee",
                        (Tbl::MentorPairing, Col::MenteeId),
                        (Tbl::Person, Col::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_mentor_pairing_organization",
                        (Tbl::MentorPairing, Col::OrganizationId),
                        (Tbl::Organization, Col::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_mentor_pairing_mentor",
            Tbl::MentorPairing,
            &[Col::MentorId, Col::MenteeId],
        )
        .await?;
        index(
            manager,
            "ix_mentor_pairing_mentee",
            Tbl::MentorPairing,
            &[Col::MenteeId],
        )
        .await?;
        index(
            manager,
            "ix_mentor_pairing_organization",
            Tbl::MentorPairing,
            &[Col::OrganizationId, Col::StartsOn],
        )
        .await?;
        index(
            manager,
            "ix_mentor_pairing_starts",
            Tbl::MentorPairing,
            &[Col::StartsOn, Col::Id],
        )
        .await?;
        // One active pairing of a mentor and a mentee, held by the database whoever writes.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_mentor_pairing_active ON mentor_pairing (mentor_id, mentee_id) \
                 WHERE status = 'ACTIVE'",
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Tbl::MentoringSession)
                    .col(uuid(Col::Id).primary_key())
                    .col(uuid(Col::PairingId))
                    .col(date(Col::HeldOn))
                    .col(string_len(Col::Topic, 200))
                    .col(text_null(Col::Notes))
                    .col(integer(Col::DurationMinutes))
                    .col(uuid_null(Col::RecordedBy))
                    .col(timestamp_with_time_zone(Col::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_mentoring_session_pairing",
                        (Tbl::MentoringSession, Col::PairingId),
                        (Tbl::MentorPairing, Col::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_mentoring_session_pairing",
            Tbl::MentoringSession,
            &[Col::PairingId, Col::HeldOn, Col::Id],
        )
        .await?;
        index(
            manager,
            "ix_mentoring_session_held",
            Tbl::MentoringSession,
            &[Col::HeldOn],
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Tbl::MentoringSession,
            Tbl::MentorPairing,
            Tbl::FirstSecretaryAssignment,
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Tbl {
    FirstSecretaryAssignment,
    MentorPairing,
    MentoringSession,
    Person,
    Organization,
}

#[derive(DeriveIden, Clone, Copy)]
enum Col {
    Id,
    PersonId,
    OrganizationId,
    StartsOn,
    EndsOn,
    DispatchedBy,
    PositionId,
    Version,
    CreatedAt,
    UpdatedAt,
    MentorId,
    MenteeId,
    Goals,
    Status,
    EndedOn,
    Outcome,
    LastSessionOn,
    PairingId,
    HeldOn,
    Topic,
    Notes,
    DurationMinutes,
    RecordedBy,
}
