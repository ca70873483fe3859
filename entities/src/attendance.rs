//! A person checked in at a joint activity, for one of the participating organizations.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "attendance")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub activity_id: Uuid,
    pub person_id: Uuid,
    pub organization_id: Uuid,
    pub checked_in_at: DateTimeUtc,
}

crate::by_position!(Model {
    id: Uuid,
    activity_id: Uuid,
    person_id: Uuid,
    organization_id: Uuid,
    checked_in_at: DateTimeUtc
});

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
