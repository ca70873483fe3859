//! A person posted as first secretary (第一书记) to a village or community organization.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "first_secretary_assignment")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub person_id: Uuid,
    pub organization_id: Uuid,
    pub starts_on: Date,
    /// The last day of the posting; open-ended while `None`.
    pub ends_on: Option<Date>,
    /// Who sent the first secretary (the dispatching unit), as written.
    pub dispatched_by: Option<String>,
    /// The FIRST_SECRETARY position the posting gave the person.
    pub position_id: Option<Uuid>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

crate::by_position!(Model { id: Uuid, person_id: Uuid, organization_id: Uuid, starts_on: Date, ends_on: Option<Date>, dispatched_by: Option<String>, position_id: Option<Uuid>, version: i32, created_at: DateTimeUtc, updated_at: DateTimeUtc });

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
