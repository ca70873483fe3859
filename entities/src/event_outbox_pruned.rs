//! How far outbox pruning has gone: one row (id 1). A client resuming from a position below
//! `through` may have missed pruned events and is told so.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "event_outbox_pruned")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i32,
    pub through: i64,
    pub at: DateTimeUtc,
}

crate::by_position!(Model {
    id: i32,
    through: i64,
    at: DateTimeUtc
});

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
