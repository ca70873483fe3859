//! Joint activities by end and start: the activities running at a moment (ended after it,
//! started before it) are an index range read, without reading the rows. The calendar's `from`
//! starts its page at the earliest start among them instead of `MAX_DAYS` before `from`.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const NAME: &str = "ix_joint_activity_ends_starts";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(NAME)
                    .table(JointActivity::Table)
                    .col(JointActivity::EndsAt)
                    .col(JointActivity::StartsAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(NAME)
                    .table(JointActivity::Table)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum JointActivity {
    Table,
    EndsAt,
    StartsAt,
}
