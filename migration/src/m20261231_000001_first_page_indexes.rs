//! Indexes for first pages of long lists:
//! - joint activities by end and start: the activities running at a moment (ended after it,
//!   started before it) are an index range read, without reading the rows; the calendar's
//!   `from` starts its page at the earliest start among them;
//! - unfinished supervision items (open, in progress, reopened, pending review) by due date and
//!   by priority: the overdue, due-soon and escalated items are found among the unfinished ones
//!   instead of walking past every finished item. The predicate is `UNFINISHED_SQL`, which the
//!   ledger's queries repeat word for word so that both engines see it implied.

use sea_orm_migration::prelude::*;

/// The partial indexes' predicate; `services::supervision::rules::unfinished` writes the same.
pub const UNFINISHED_SQL: &str = "status IN ('OPEN', 'IN_PROGRESS', 'REOPENED', 'PENDING_REVIEW')";

#[derive(DeriveMigrationName)]
pub struct Migration;

const ACTIVITY_ENDS: &str = "ix_joint_activity_ends_starts";
const UNFINISHED_DUE: &str = "ix_supervision_item_unfinished_due";
const UNFINISHED_PRIORITY: &str = "ix_supervision_item_unfinished_priority";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(ACTIVITY_ENDS)
                    .table(JointActivity::Table)
                    .col(JointActivity::EndsAt)
                    .col(JointActivity::StartsAt)
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            (
                UNFINISHED_DUE,
                &[SupervisionItem::DueOn, SupervisionItem::Id][..],
            ),
            (
                UNFINISHED_PRIORITY,
                &[
                    SupervisionItem::Priority,
                    SupervisionItem::DueOn,
                    SupervisionItem::Id,
                ][..],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(SupervisionItem::Table);
            for column in columns {
                index.col(*column);
            }
            index.and_where(Expr::cust(UNFINISHED_SQL));
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table) in [
            (UNFINISHED_PRIORITY, SupervisionItem::Table.into_iden()),
            (UNFINISHED_DUE, SupervisionItem::Table.into_iden()),
            (ACTIVITY_ENDS, JointActivity::Table.into_iden()),
        ] {
            manager
                .drop_index(Index::drop().name(name).table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum JointActivity {
    Table,
    EndsAt,
    StartsAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum SupervisionItem {
    Table,
    Id,
    Priority,
    DueOn,
}
