//! The supervision ledger (督办台账): items with their responsible organizations, timeline,
//! progress reports and escalations, and the biweekly rounds with their reviews and snapshots.

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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Tbl::SupervisionItem)
                    .col(uuid(Col::Id).primary_key())
                    .col(uuid(Col::LinkageGroupId))
                    .col(integer(Col::Year))
                    .col(integer(Col::Seq))
                    .col(string_len(Col::Code, 40))
                    .col(string_len(Col::Title, 200))
                    .col(text_null(Col::Description))
                    .col(string_len(Col::Source, 30))
                    .col(integer(Col::Priority))
                    .col(string_len(Col::Status, 20))
                    .col(uuid(Col::LeadOrganizationId))
                    .col(uuid_null(Col::AssigneeId))
                    .col(uuid_null(Col::SupervisorId))
                    .col(date(Col::OpenedOn))
                    .col(date(Col::DueOn))
                    .col(date(Col::OriginalDueOn))
                    .col(date_null(Col::SubmittedOn))
                    .col(date_null(Col::ClosedOn))
                    .col(date_null(Col::CancelledOn))
                    .col(integer(Col::ProgressPercent).default(0))
                    .col(uuid_null(Col::AppealId))
                    .col(integer(Col::Version).default(1))
                    .col(timestamp_with_time_zone(Col::CreatedAt))
                    .col(timestamp_with_time_zone(Col::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_supervision_item_group",
                        (Tbl::SupervisionItem, Col::LinkageGroupId),
                        (Tbl::LinkageGroup, Col::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_supervision_item_lead",
                        (Tbl::SupervisionItem, Col::LeadOrganizationId),
                        (Tbl::Organization, Col::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_supervision_item_assignee",
                        (Tbl::SupervisionItem, Col::AssigneeId),
                        (Tbl::Person, Col::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_supervision_item_supervisor",
                        (Tbl::SupervisionItem, Col::SupervisorId),
                        (Tbl::UserAccount, Col::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_supervision_item_code",
            Tbl::SupervisionItem,
            &[Col::LinkageGroupId, Col::Code],
            true,
        )
        .await?;
        index(
            manager,
            "ux_supervision_item_seq",
            Tbl::SupervisionItem,
            &[Col::LinkageGroupId, Col::Year, Col::Seq],
            true,
        )
        .await?;
        index(
            manager,
            "ix_supervision_item_due",
            Tbl::SupervisionItem,
            &[Col::DueOn, Col::Id],
            false,
        )
        .await?;
        index(
            manager,
            "ix_supervision_item_group_due",
            Tbl::SupervisionItem,
            &[Col::LinkageGroupId, Col::DueOn],
            false,
        )
        .await?;
        index(
            manager,
            "ix_supervision_item_lead",
            Tbl::SupervisionItem,
            &[Col::LeadOrganizationId],
            false,
        )
        .await?;
        index(
            manager,
            "ix_supervision_item_status",
            Tbl::SupervisionItem,
            &[Col::Status, Col::DueOn],
            false,
        )
        .await?;
        index(
            manager,
            "ix_supervision_item_updated",
            Tbl::SupervisionItem,
            &[Col::UpdatedAt, Col::Id],
            false,
        )
        .await?;
        index(
            manager,
            "ix_supervision_item_opened",
            Tbl::SupervisionItem,
            &[Col::OpenedOn, Col::Id],
            false,
        )
        .await?;
        index(
            manager,
            "ix_supervision_item_priority",
            Tbl::SupervisionItem,
            &[Col::Priority, Col::DueOn, Col::Id],
            false,
        )
        .await?;

        // Every responsible organization, the lead included, with its own progress.
        manager
            .create_table(
                Table::create()
                    .table(Tbl::SupervisionAssignment)
                    .col(uuid(Col::Id).primary_key())
                    .col(uuid(Col::ItemId))
                    .col(uuid(Col::OrganizationId))
                    .col(boolean(Col::Lead))
                    .col(integer(Col::ProgressPercent).default(0))
                    .col(text_null(Col::Note))
                    .col(timestamp_with_time_zone_null(Col::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_supervision_assignment_item",
                        (Tbl::SupervisionAssignment, Col::ItemId),
                        (Tbl::SupervisionItem, Col::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_supervision_assignment_organization",
                        (Tbl::SupervisionAssignment, Col::OrganizationId),
                        (Tbl::Organization, Col::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_supervision_assignment",
            Tbl::SupervisionAssignment,
            &[Col::ItemId, Col::OrganizationId],
            true,
        )
        .await?;
        index(
            manager,
            "ix_supervision_assignment_organization",
            Tbl::SupervisionAssignment,
            &[Col::OrganizationId, Col::ItemId],
            false,
        )
        .await?;

        // The timeline: one row per change, written in the transaction of the change.
        manager
            .create_table(
                Table::create()
                    .table(Tbl::SupervisionEvent)
                    .col(uuid(Col::Id).primary_key())
                    .col(uuid(Col::ItemId))
                    .col(timestamp_with_time_zone(Col::At))
                    .col(uuid_null(Col::ActorId))
                    .col(string_len(Col::Kind, 30))
                    .col(text_null(Col::Note))
                    .col(string_len_null(Col::FromStatus, 20))
                    .col(string_len_null(Col::ToStatus, 20))
                    .col(string_len_null(Col::Level, 20))
                    .col(date_null(Col::DueOn))
                    .foreign_key(&mut fk(
                        "fk_supervision_event_item",
                        (Tbl::SupervisionEvent, Col::ItemId),
                        (Tbl::SupervisionItem, Col::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_supervision_event_item",
            Tbl::SupervisionEvent,
            &[Col::ItemId, Col::At, Col::Id],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Tbl::SupervisionReport)
                    .col(uuid(Col::Id).primary_key())
                    .col(uuid(Col::ItemId))
                    .col(uuid(Col::OrganizationId))
                    .col(uuid_null(Col::AuthorId))
                    .col(integer(Col::Percent))
                    .col(text(Col::Note))
                    .col(timestamp_with_time_zone(Col::At))
                    .foreign_key(&mut fk(
                        "fk_supervision_report_item",
                        (Tbl::SupervisionReport, Col::ItemId),
                        (Tbl::SupervisionItem, Col::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_supervision_report_organization",
                        (Tbl::SupervisionReport, Col::OrganizationId),
                        (Tbl::Organization, Col::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_supervision_report_item",
            Tbl::SupervisionReport,
            &[Col::ItemId, Col::At, Col::Id],
            false,
        )
        .await?;

        // One row per (item, deadline, level) reached: the unique key is what makes the daily
        // pass write each escalation once, however many processes run it.
        manager
            .create_table(
                Table::create()
                    .table(Tbl::SupervisionEscalation)
                    .col(uuid(Col::Id).primary_key())
                    .col(uuid(Col::ItemId))
                    .col(date(Col::DueOn))
                    .col(string_len(Col::Level, 20))
                    .col(date(Col::ReachedOn))
                    .col(timestamp_with_time_zone(Col::At))
                    .foreign_key(&mut fk(
                        "fk_supervision_escalation_item",
                        (Tbl::SupervisionEscalation, Col::ItemId),
                        (Tbl::SupervisionItem, Col::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_supervision_escalation",
            Tbl::SupervisionEscalation,
            &[Col::ItemId, Col::DueOn, Col::Level],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Tbl::SupervisionRound)
                    .col(uuid(Col::Id).primary_key())
                    .col(uuid(Col::LinkageGroupId))
                    .col(integer(Col::Number))
                    .col(date(Col::StartsOn))
                    .col(date(Col::EndsOn))
                    .col(string_len(Col::Status, 20))
                    .col(timestamp_with_time_zone(Col::OpenedAt))
                    .col(uuid_null(Col::OpenedBy))
                    .col(timestamp_with_time_zone_null(Col::ClosedAt))
                    .col(uuid_null(Col::ClosedBy))
                    .col(json_null(Col::Snapshot))
                    .col(integer(Col::Version).default(1))
                    .foreign_key(&mut fk(
                        "fk_supervision_round_group",
                        (Tbl::SupervisionRound, Col::LinkageGroupId),
                        (Tbl::LinkageGroup, Col::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_supervision_round_number",
            Tbl::SupervisionRound,
            &[Col::LinkageGroupId, Col::Number],
            true,
        )
        .await?;
        // At most one open round per group, held by the database whoever opens it.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_supervision_round_open ON supervision_round (linkage_group_id) \
                 WHERE status = 'OPEN'",
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Tbl::SupervisionRoundItem)
                    .col(uuid(Col::RoundId))
                    .col(uuid(Col::ItemId))
                    .primary_key(Index::create().col(Col::RoundId).col(Col::ItemId))
                    .foreign_key(&mut fk(
                        "fk_supervision_round_item_round",
                        (Tbl::SupervisionRoundItem, Col::RoundId),
                        (Tbl::SupervisionRound, Col::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_supervision_round_item_item",
                        (Tbl::SupervisionRoundItem, Col::ItemId),
                        (Tbl::SupervisionItem, Col::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_supervision_round_item_item",
            Tbl::SupervisionRoundItem,
            &[Col::ItemId, Col::RoundId],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Tbl::SupervisionReview)
                    .col(uuid(Col::Id).primary_key())
                    .col(uuid(Col::RoundId))
                    .col(uuid(Col::ItemId))
                    .col(string_len(Col::Verdict, 20))
                    .col(text_null(Col::Comment))
                    .col(uuid_null(Col::ReviewerId))
                    .col(timestamp_with_time_zone(Col::At))
                    .foreign_key(&mut fk(
                        "fk_supervision_review_round",
                        (Tbl::SupervisionReview, Col::RoundId),
                        (Tbl::SupervisionRound, Col::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_supervision_review_item",
                        (Tbl::SupervisionReview, Col::ItemId),
                        (Tbl::SupervisionItem, Col::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_supervision_review",
            Tbl::SupervisionReview,
            &[Col::RoundId, Col::ItemId],
            true,
        )
        .await?;
        index(
            manager,
            "ix_supervision_review_item",
            Tbl::SupervisionReview,
            &[Col::ItemId, Col::At],
            false,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Tbl::SupervisionReview,
            Tbl::SupervisionRoundItem,
            Tbl::SupervisionRound,
            Tbl::SupervisionEscalation,
            Tbl::SupervisionReport,
            Tbl::SupervisionEvent,
            Tbl::SupervisionAssignment,
            Tbl::SupervisionItem,
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: Tbl,
    columns: &[Col],
    unique: bool,
) -> Result<(), DbErr> {
    let mut index = Index::create();
    index.name(name).table(table);
    for column in columns {
        index.col(*column);
    }
    if unique {
        index.unique();
    }
    manager.create_index(index.to_owned()).await
}

#[derive(DeriveIden, Clone, Copy)]
enum Tbl {
    SupervisionItem,
    SupervisionAssignment,
    SupervisionEvent,
    SupervisionReport,
    SupervisionEscalation,
    SupervisionRound,
    SupervisionRoundItem,
    SupervisionReview,
    LinkageGroup,
    Organization,
    Person,
    UserAccount,
}

#[derive(DeriveIden, Clone, Copy)]
enum Col {
    Id,
    LinkageGroupId,
    Year,
    Seq,
    Code,
    Title,
    Description,
    Source,
    Priority,
    Status,
    LeadOrganizationId,
    AssigneeId,
    SupervisorId,
    OpenedOn,
    DueOn,
    OriginalDueOn,
    SubmittedOn,
    ClosedOn,
    CancelledOn,
    ProgressPercent,
    AppealId,
    Version,
    CreatedAt,
    UpdatedAt,
    ItemId,
    OrganizationId,
    Lead,
    Note,
    At,
    ActorId,
    Kind,
    FromStatus,
    ToStatus,
    Level,
    AuthorId,
    Percent,
    ReachedOn,
    Number,
    StartsOn,
    EndsOn,
    OpenedAt,
    OpenedBy,
    ClosedAt,
    ClosedBy,
    Snapshot,
    RoundId,
    Verdict,
    Comment,
    ReviewerId,
}
