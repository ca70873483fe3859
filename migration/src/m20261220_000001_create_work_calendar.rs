//! The working-day calendar: the exceptions to the ordinary working week (holidays on weekdays,
//! make-up working days on weekends), seeded with the official 2025 and 2026 tables of `data/`.

use sea_orm_migration::{prelude::*, schema::*};

/// The official tables this migration seeds. They are part of the migration: a later correction
/// is loaded with `lianjian calendar import`, never by editing these files.
const SEED: [&str; 2] = [
    include_str!("../../data/cn-workdays-2025.csv"),
    include_str!("../../data/cn-workdays-2026.csv"),
];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WorkCalendar::Table)
                    .col(date(WorkCalendar::Day).primary_key())
                    .col(boolean(WorkCalendar::IsWorkingDay))
                    .col(string_len(WorkCalendar::Name, 50))
                    .to_owned(),
            )
            .await?;
        let mut insert = Query::insert();
        insert.into_table(WorkCalendar::Table).columns([
            WorkCalendar::Day,
            WorkCalendar::IsWorkingDay,
            WorkCalendar::Name,
        ]);
        for file in SEED {
            for line in file.lines().skip(1).filter(|l| !l.trim().is_empty()) {
                let mut fields = line.trim().splitn(3, ',');
                let (Some(day), Some(working), Some(name)) =
                    (fields.next(), fields.next(), fields.next())
                else {
                    return Err(DbErr::Migration(format!("bad calendar seed line: {line}")));
                };
                let day: sea_orm::prelude::Date = day
                    .trim()
                    .parse()
                    .map_err(|_| DbErr::Migration(format!("bad calendar seed date: {line}")))?;
                insert.values_panic([
                    day.into(),
                    (working.trim() == "true").into(),
                    name.trim().into(),
                ]);
            }
        }
        manager.exec_stmt(insert).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(WorkCalendar::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum WorkCalendar {
    Table,
    Day,
    IsWorkingDay,
    Name,
}
