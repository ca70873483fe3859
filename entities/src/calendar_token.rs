//! A secret that lets a calendar app read one user's joint activities without a bearer token.
//! Only a SHA-256 digest of the token is stored.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "calendar_token")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub token_digest: String,
    pub user_id: Uuid,
    /// Narrows the feed to one organization's activities.
    pub organization_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub revoked_at: Option<DateTimeUtc>,
}

crate::by_position!(Model { id: Uuid, token_digest: String, user_id: Uuid, organization_id: Option<Uuid>, created_at: DateTimeUtc, revoked_at: Option<DateTimeUtc> });

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
