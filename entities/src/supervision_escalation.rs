//! An escalation level an item reached for one due date; unique per (item, due date, level), so
//! each is written once whoever runs the daily pass.

use sea_orm::entity::prelude::*;

use crate::enums::EscalationLevel;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "supervision_escalation")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub item_id: Uuid,
    pub due_on: Date,
    pub level: EscalationLevel,
    /// The day the pass found the item at this level.
    pub reached_on: Date,
    pub at: DateTimeUtc,
}

crate::by_position!(Model {
    id: Uuid,
    item_id: Uuid,
    due_on: Date,
    level: EscalationLevel,
    reached_on: Date,
    at: DateTimeUtc
});

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
