//! A mentoring pairing (传帮带): a mentor and a village cadre, in an organization.

use sea_orm::entity::prelude::*;

use crate::enums::PairingStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mentor_pairing")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub mentor_id: Uuid,
    pub mentee_id: Uuid,
    pub organization_id: Uuid,
    pub goals: String,
    pub starts_on: Date,
    pub status: PairingStatus,
    pub ended_on: Option<Date>,
    pub outcome: Option<String>,
    /// The latest session's date, written with each session in its transaction (sessions are
    /// never edited or removed), so neglect can be filtered in SQL.
    pub last_session_on: Option<Date>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

crate::by_position!(Model { id: Uuid, mentor_id: Uuid, mentee_id: Uuid, organization_id: Uuid, goals: String, starts_on: Date, status: PairingStatus, ended_on: Option<Date>, outcome: Option<String>, last_session_on: Option<Date>, version: i32, created_at: DateTimeUtc, updated_at: DateTimeUtc });

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
