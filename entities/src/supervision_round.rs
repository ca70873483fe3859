//! A supervision round (督办周期): one cadence period of a joint committee, reviewed item by item
//! and frozen into a snapshot when it closes.

use sea_orm::entity::prelude::*;

use crate::enums::RoundStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "supervision_round")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub linkage_group_id: Uuid,
    pub number: i32,
    pub starts_on: Date,
    pub ends_on: Date,
    pub status: RoundStatus,
    pub opened_at: DateTimeUtc,
    pub opened_by: Option<Uuid>,
    pub closed_at: Option<DateTimeUtc>,
    pub closed_by: Option<Uuid>,
    /// The figures frozen at closing; never rewritten.
    pub snapshot: Option<Json>,
    pub version: i32,
}

crate::by_position!(Model { id: Uuid, linkage_group_id: Uuid, number: i32, starts_on: Date, ends_on: Date, status: RoundStatus, opened_at: DateTimeUtc, opened_by: Option<Uuid>, closed_at: Option<DateTimeUtc>, closed_by: Option<Uuid>, snapshot: Option<Json>, version: i32 });

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
