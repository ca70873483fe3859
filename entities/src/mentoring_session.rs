//! One mentoring session of a pairing.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mentoring_session")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub pairing_id: Uuid,
    pub held_on: Date,
    pub topic: String,
    pub notes: Option<String>,
    pub duration_minutes: i32,
    /// The account that logged it.
    pub recorded_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

crate::by_position!(Model { id: Uuid, pairing_id: Uuid, held_on: Date, topic: String, notes: Option<String>, duration_minutes: i32, recorded_by: Option<Uuid>, created_at: DateTimeUtc });

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
