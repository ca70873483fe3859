//! The working-day calendar: days that break the ordinary week (a weekday off, a working weekend).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "work_calendar")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: Date,
    pub is_working_day: bool,
    /// The holiday the exception belongs to (春节, 国庆节, ...).
    pub name: String,
}

crate::by_position!(Model {
    day: Date,
    is_working_day: bool,
    name: String
});

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
