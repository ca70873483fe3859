//! Residents' appeals (民情诉求) collected on household visits, and their timeline.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Tbl::ResidentAppeal)
                    .col(uuid(Col::Id).primary_key())
                    .col(uuid(Col::VillageId))
                    .col(integer(Col::Year))
                    .col(integer(Col::Seq))
                    .col(string_len(Col::Code, 40))
                    .col(text(Col::Content))
                    .col(string_len(Col::Category, 30))
                    .col(string_len(Col::Status, 20))
                    .col(string_len_null(Col::Grid, 100))
                    .col(uuid_null(Col::CollectorId))
                    .col(date(Col::ReceivedOn))
                    .col(date(Col::DueOn))
                    .col(integer(Col::HandlingWorkingDays))
                    .col(string_len_null(Col::ResidentName, 100))
                    .col(string_len_null(Col::ResidentPhone, 30))
                    .col(string_len_null(Col::Address, 300))
                    .col(text_null(Col::Resolution))
                    .col(text_null(Col::RejectionReason))
                    .col(date_null(Col::ResolvedOn))
                    .col(uuid_null(Col::SupervisionItemId))
                    .col(string_len_null(Col::FeedbackSatisfaction, 30))
                    .col(text_null(Col::FeedbackComment))
                    .col(timestamp_with_time_zone_null(Col::FeedbackAt))
                    .col(integer(Col::ReopenedCount).default(0))
                    .col(integer(Col::Version).default(1))
                    .col(timestamp_with_time_zone(Col::CreatedAt))
                    .col(timestamp_with_time_zone(Col::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_resident_appeal_village")
                            .from(Tbl::ResidentAppeal, Col::VillageId)
                            .to(Tbl::Organization, Col::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_resident_appeal_collector")
                            .from(Tbl::ResidentAppeal, Col::CollectorId)
                            .to(Tbl::Person, Col::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_resident_appeal_item")
                            .from(Tbl::ResidentAppeal, Col::SupervisionItemId)
                            .to(Tbl::SupervisionItem, Col::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns, unique) in [
            (
                "ux_resident_appeal_seq",
                vec![Col::VillageId, Col::Year, Col::Seq],
                true,
            ),
            (
                "ux_resident_appeal_code",
                vec![Col::VillageId, Col::Code],
                true,
            ),
            (
                "ix_resident_appeal_received",
                vec![Col::ReceivedOn, Col::Id],
                false,
            ),
            (
                "ix_resident_appeal_village",
                vec![Col::VillageId, Col::ReceivedOn],
                false,
            ),
            (
                "ix_resident_appeal_status",
                vec![Col::Status, Col::DueOn],
                false,
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(Tbl::ResidentAppeal);
            for column in columns {
                index.col(column);
            }
            if unique {
                index.unique();
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Tbl::AppealEvent)
                    .col(uuid(Col::Id).primary_key())
                    .col(uuid(Col::AppealId))
                    .col(timestamp_with_time_zone(Col::At))
                    .col(uuid_null(Col::ActorId))
                    .col(string_len(Col::Kind, 30))
                    .col(text_null(Col::Note))
                    .col(string_len_null(Col::FromStatus, 20))
                    .col(string_len_null(Col::ToStatus, 20))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_appeal_event_appeal")
                            .from(Tbl::AppealEvent, Col::AppealId)
                            .to(Tbl::ResidentAppeal, Col::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_appeal_event_appeal")
                    .table(Tbl::AppealEvent)
                    .col(Col::AppealId)
                    .col(Col::At)
                    .col(Col::Id)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Tbl::AppealEvent).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Tbl::ResidentAppeal).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Tbl {
    ResidentAppeal,
    AppealEvent,
    Organization,
    Person,
    SupervisionItem,
}

#[derive(DeriveIden, Clone, Copy)]
enum Col {
    Id,
    VillageId,
    Year,
    Seq,
    Code,
    Content,
    Category,
    Status,
    Grid,
    CollectorId,
    ReceivedOn,
    DueOn,
    HandlingWorkingDays,
    ResidentName,
    ResidentPhone,
    Address,
    Resolution,
    RejectionReason,
    ResolvedOn,
    SupervisionItemId,
    FeedbackSatisfaction,
    FeedbackComment,
    FeedbackAt,
    ReopenedCount,
    Version,
    CreatedAt,
    UpdatedAt,
    AppealId,
    At,
    ActorId,
    Kind,
    Note,
    FromStatus,
    ToStatus,
}
