//! A progress report of one responsible organization on a supervision item.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "supervision_report")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub item_id: Uuid,
    pub organization_id: Uuid,
    pub author_id: Option<Uuid>,
    pub percent: i32,
    pub note: String,
    pub at: DateTimeUtc,
}

crate::by_position!(Model { id: Uuid, item_id: Uuid, organization_id: Uuid, author_id: Option<Uuid>, percent: i32, note: String, at: DateTimeUtc });

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
