use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(JointActivity::Table)
                    .col(uuid(JointActivity::Id).primary_key())
                    .col(string_len(JointActivity::Title, 200))
                    .col(string_len(JointActivity::Kind, 20))
                    .col(uuid_null(JointActivity::LinkageGroupId))
                    .col(uuid(JointActivity::HostOrganizationId))
                    .col(string_len(JointActivity::Venue, 200))
                    .col(string_len(JointActivity::VenueKey, 200))
                    .col(timestamp_with_time_zone(JointActivity::StartsAt))
                    .col(timestamp_with_time_zone(JointActivity::EndsAt))
                    .col(integer_null(JointActivity::Capacity))
                    .col(text_null(JointActivity::Description))
                    .col(string_len(JointActivity::Status, 20))
                    .col(text_null(JointActivity::CancelReason))
                    .col(text_null(JointActivity::Summary))
                    .col(timestamp_with_time_zone_null(JointActivity::CompletedAt))
                    .col(integer(JointActivity::Version).default(1))
                    .col(timestamp_with_time_zone(JointActivity::CreatedAt))
                    .col(timestamp_with_time_zone(JointActivity::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_joint_activity_group")
                            .from(JointActivity::Table, JointActivity::LinkageGroupId)
                            .to(LinkageGroup::Table, LinkageGroup::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_joint_activity_host")
                            .from(JointActivity::Table, JointActivity::HostOrganizationId)
                            .to(Organization::Table, Organization::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            (
                "ix_joint_activity_starts_at",
                vec![JointActivity::StartsAt, JointActivity::Id],
            ),
            (
                "ix_joint_activity_venue",
                vec![JointActivity::VenueKey, JointActivity::StartsAt],
            ),
            (
                "ix_joint_activity_group",
                vec![JointActivity::LinkageGroupId, JointActivity::StartsAt],
            ),
            (
                "ix_joint_activity_host",
                vec![JointActivity::HostOrganizationId],
            ),
            (
                "ix_joint_activity_status",
                vec![JointActivity::Status, JointActivity::StartsAt],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(JointActivity::Table);
            for column in columns {
                index.col(column);
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(ActivityParticipant::Table)
                    .col(uuid(ActivityParticipant::Id).primary_key())
                    .col(uuid(ActivityParticipant::ActivityId))
                    .col(uuid(ActivityParticipant::OrganizationId))
                    .col(string_len(ActivityParticipant::Role, 20))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_activity_participant_activity")
                            .from(ActivityParticipant::Table, ActivityParticipant::ActivityId)
                            .to(JointActivity::Table, JointActivity::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_activity_participant_organization")
                            .from(
                                ActivityParticipant::Table,
                                ActivityParticipant::OrganizationId,
                            )
                            .to(Organization::Table, Organization::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_activity_participant")
                    .table(ActivityParticipant::Table)
                    .col(ActivityParticipant::ActivityId)
                    .col(ActivityParticipant::OrganizationId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_activity_participant_organization")
                    .table(ActivityParticipant::Table)
                    .col(ActivityParticipant::OrganizationId)
                    .col(ActivityParticipant::ActivityId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Attendance::Table)
                    .col(uuid(Attendance::Id).primary_key())
                    .col(uuid(Attendance::ActivityId))
                    .col(uuid(Attendance::PersonId))
                    .col(uuid(Attendance::OrganizationId))
                    .col(timestamp_with_time_zone(Attendance::CheckedInAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_attendance_activity")
                            .from(Attendance::Table, Attendance::ActivityId)
                            .to(JointActivity::Table, JointActivity::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_attendance_person")
                            .from(Attendance::Table, Attendance::PersonId)
                            .to(Person::Table, Person::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_attendance")
                    .table(Attendance::Table)
                    .col(Attendance::ActivityId)
                    .col(Attendance::PersonId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CalendarToken::Table)
                    .col(uuid(CalendarToken::Id).primary_key())
                    .col(string_len(CalendarToken::TokenDigest, 64))
                    .col(uuid(CalendarToken::UserId))
                    .col(uuid_null(CalendarToken::OrganizationId))
                    .col(timestamp_with_time_zone(CalendarToken::CreatedAt))
                    .col(timestamp_with_time_zone_null(CalendarToken::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_calendar_token_user")
                            .from(CalendarToken::Table, CalendarToken::UserId)
                            .to(UserAccount::Table, UserAccount::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_calendar_token_digest")
                    .table(CalendarToken::Table)
                    .col(CalendarToken::TokenDigest)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            CalendarToken::Table.into_iden(),
            Attendance::Table.into_iden(),
            ActivityParticipant::Table.into_iden(),
            JointActivity::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone)]
enum JointActivity {
    Table,
    Id,
    Title,
    Kind,
    LinkageGroupId,
    HostOrganizationId,
    Venue,
    VenueKey,
    StartsAt,
    EndsAt,
    Capacity,
    Description,
    Status,
    CancelReason,
    Summary,
    CompletedAt,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ActivityParticipant {
    Table,
    Id,
    ActivityId,
    OrganizationId,
    Role,
}

#[derive(DeriveIden)]
enum Attendance {
    Table,
    Id,
    ActivityId,
    PersonId,
    OrganizationId,
    CheckedInAt,
}

#[derive(DeriveIden)]
enum CalendarToken {
    Table,
    Id,
    TokenDigest,
    UserId,
    OrganizationId,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum LinkageGroup {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Organization {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Person {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum UserAccount {
    Table,
    Id,
}
