//! One subscription event, written in the transaction of its change. `position` orders events
//! across every replica; `payload` is the event as JSON (ids and small values, never a copy of a
//! record), `kind` its type for operators reading the table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "event_outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub position: i64,
    pub kind: String,
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    pub created_at: DateTimeUtc,
}

crate::by_position!(Model {
    position: i64,
    kind: String,
    payload: String,
    created_at: DateTimeUtc
});

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
