//! Membership of an organization in a linkage group. Leaving sets `left_on`; the row stays as history.

use sea_orm::entity::prelude::*;

use crate::enums::LinkageRole;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "linkage_group_member")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub linkage_group_id: Uuid,
    pub organization_id: Uuid,
    pub role: LinkageRole,
    pub joined_on: Date,
    pub left_on: Option<Date>,
    pub created_at: DateTimeUtc,
}

crate::by_position!(Model { id: Uuid, linkage_group_id: Uuid, organization_id: Uuid, role: LinkageRole, joined_on: Date, left_on: Option<Date>, created_at: DateTimeUtc });

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
