//! One row per mutation, written in the mutation's own transaction.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_entry")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The signed-in user who acted; `None` for the system (migrations, demo data, anonymous).
    pub actor_id: Option<Uuid>,
    /// The mutation's name, e.g. `createArea`.
    pub action: String,
    pub target_type: String,
    pub target_id: Option<Uuid>,
    pub before: Option<Json>,
    pub after: Option<Json>,
    pub request_id: Option<String>,
    pub created_at: DateTimeUtc,
}

crate::by_position!(Model { id: Uuid, actor_id: Option<Uuid>, action: String, target_type: String, target_id: Option<Uuid>, before: Option<Json>, after: Option<Json>, request_id: Option<String>, created_at: DateTimeUtc });

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
