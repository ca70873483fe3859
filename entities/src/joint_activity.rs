//! A joint activity of several organizations (联合党组织活动).

use sea_orm::entity::prelude::*;

use crate::enums::{ActivityKind, ActivityStatus};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "joint_activity")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub title: String,
    pub kind: ActivityKind,
    pub linkage_group_id: Option<Uuid>,
    pub host_organization_id: Uuid,
    pub venue: String,
    /// The venue trimmed and case-folded: what clash detection compares.
    pub venue_key: String,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    pub capacity: Option<i32>,
    pub description: Option<String>,
    pub status: ActivityStatus,
    pub cancel_reason: Option<String>,
    /// The closing report.
    pub summary: Option<String>,
    pub completed_at: Option<DateTimeUtc>,
    /// Raised on every change; a write naming an older version is refused.
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

crate::by_position!(Model { id: Uuid, title: String, kind: ActivityKind, linkage_group_id: Option<Uuid>, host_organization_id: Uuid, venue: String, venue_key: String, starts_at: DateTimeUtc, ends_at: DateTimeUtc, capacity: Option<i32>, description: Option<String>, status: ActivityStatus, cancel_reason: Option<String>, summary: Option<String>, completed_at: Option<DateTimeUtc>, version: i32, created_at: DateTimeUtc, updated_at: DateTimeUtc });

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
