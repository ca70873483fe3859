//! An organization taking part in a joint activity, with its role.

use sea_orm::entity::prelude::*;

use crate::enums::ParticipantRole;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "activity_participant")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub activity_id: Uuid,
    pub organization_id: Uuid,
    pub role: ParticipantRole,
}

crate::by_position!(Model {
    id: Uuid,
    activity_id: Uuid,
    organization_id: Uuid,
    role: ParticipantRole
});

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
