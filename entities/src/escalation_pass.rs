//! A day whose escalation pass ran to the end. A day without a row is still to be passed (or was
//! interrupted), whichever replica takes it up.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "escalation_pass")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub as_of: Date,
    pub examined: i32,
    pub escalated: i32,
    pub finished_at: DateTimeUtc,
}

crate::by_position!(Model {
    as_of: Date,
    examined: i32,
    escalated: i32,
    finished_at: DateTimeUtc
});

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
