//! A role granted to a user in a scope: the whole system (no scope), an organization's subtree, or
//! a linkage group. The Casbin `g` lines are built from these rows with the scope's current path,
//! so moving an organization moves its grants along.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "role_grant")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    /// `admin`, `committee_staff`, `supervisor`, `org_secretary`, `first_secretary` or `member`.
    pub role: String,
    pub organization_id: Option<Uuid>,
    pub linkage_group_id: Option<Uuid>,
    /// `*`, `o:<uuid>` or `g:<uuid>`: one key for "the same grant" (unique with user and role).
    pub scope: String,
    pub created_at: DateTimeUtc,
}

crate::by_position!(Model { id: Uuid, user_id: Uuid, role: String, organization_id: Option<Uuid>, linkage_group_id: Option<Uuid>, scope: String, created_at: DateTimeUtc });

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
