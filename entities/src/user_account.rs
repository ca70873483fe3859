//! A login account, linked to at most one person. Only an Argon2id hash of the password is kept.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_account")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub username: String,
    pub password_hash: String,
    pub person_id: Option<Uuid>,
    pub disabled: bool,
    /// Raised on every password change or reset; tokens carry it, so older tokens stop working.
    pub token_version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

crate::by_position!(Model { id: Uuid, username: String, password_hash: String, person_id: Option<Uuid>, disabled: bool, token_version: i32, created_at: DateTimeUtc, updated_at: DateTimeUtc });

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
