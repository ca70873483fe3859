//! Attempts of one kind (sign-in per account, per client address, password change per user)
//! counted in a fixed window that starts with the first attempt after the previous one ran out.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "attempt_counter")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: String,
    /// What is counted: a lower-cased username, a client address or a user id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub subject: String,
    pub window_started_at: DateTimeUtc,
    pub attempts: i32,
}

crate::by_position!(Model {
    kind: String,
    subject: String,
    window_started_at: DateTimeUtc,
    attempts: i32
});

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
