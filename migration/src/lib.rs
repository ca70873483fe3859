//! Database migrations, applied in order by `lianjian migrate up` and by `lianjian serve` at start.
//! An applied migration is never edited: a change is a new migration.

pub use sea_orm_migration::MigrationStatus;
pub use sea_orm_migration::prelude::*;

mod m20261201_000001_create_areas;
mod m20261201_000002_create_audit_entries;
mod m20261201_000003_create_organizations;
mod m20261201_000004_create_linkage_groups;
mod m20261201_000005_create_people;
mod m20261201_000006_create_accounts;
mod m20261201_000007_create_joint_activities;
mod m20261201_000008_create_attempt_counters;
mod m20261215_000001_drop_casbin_rule;
mod m20261220_000001_create_work_calendar;
mod m20261220_000002_create_supervision;
mod m20261227_000001_create_mentoring;
mod m20261229_000001_create_appeals;
mod m20261230_000001_create_event_outbox;
mod m20261231_000001_first_page_indexes;
mod m20270101_000001_search_grams;
mod m20270102_000001_path_collation;

pub use m20261231_000001_first_page_indexes::UNFINISHED_SQL;
pub use m20270101_000001_search_grams::SEARCH_GRAMS;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261201_000001_create_areas::Migration),
            Box::new(m20261201_000002_create_audit_entries::Migration),
            Box::new(m20261201_000003_create_organizations::Migration),
            Box::new(m20261201_000004_create_linkage_groups::Migration),
            Box::new(m20261201_000005_create_people::Migration),
            Box::new(m20261201_000006_create_accounts::Migration),
            Box::new(m20261201_000007_create_joint_activities::Migration),
            Box::new(m20261201_000008_create_attempt_counters::Migration),
            Box::new(m20261215_000001_drop_casbin_rule::Migration),
            Box::new(m20261220_000001_create_work_calendar::Migration),
            Box::new(m20261220_000002_create_supervision::Migration),
            Box::new(m20261227_000001_create_mentoring::Migration),
            Box::new(m20261229_000001_create_appeals::Migration),
            Box::new(m20261230_000001_create_event_outbox::Migration),
            Box::new(m20261231_000001_first_page_indexes::Migration),
            Box::new(m20270101_000001_search_grams::Migration),
            Box::new(m20270102_000001_path_collation::Migration),
        ]
    }
}
