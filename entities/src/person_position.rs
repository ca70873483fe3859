//! A position a person holds or held, with its dates.

use sea_orm::entity::prelude::*;

use crate::enums::Position;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "person_position")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub person_id: Uuid,
    pub position: Position,
    pub started_on: Date,
    pub ended_on: Option<Date>,
}

crate::by_position!(Model { id: Uuid, person_id: Uuid, position: Position, started_on: Date, ended_on: Option<Date> });

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
