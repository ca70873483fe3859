//! A resident's appeal (民情诉求) collected on a household visit, and how it was closed.

use sea_orm::entity::prelude::*;

use crate::enums::{AppealCategory, AppealStatus, Satisfaction};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "resident_appeal")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The village or community organization the appeal belongs to.
    pub village_id: Uuid,
    /// The year of receipt and the appeal's number within the village's year.
    pub year: i32,
    pub seq: i32,
    /// The readable number, unique in the village.
    pub code: String,
    pub content: String,
    pub category: AppealCategory,
    pub status: AppealStatus,
    pub grid: Option<String>,
    /// The person who collected it on the visit.
    pub collector_id: Option<Uuid>,
    pub received_on: Date,
    /// `handling_working_days` working days after receipt.
    pub due_on: Date,
    pub handling_working_days: i32,
    /// Personal data (DESIGN 4.4): shown in full only to those entitled, never logged or audited.
    pub resident_name: Option<String>,
    pub resident_phone: Option<String>,
    pub address: Option<String>,
    pub resolution: Option<String>,
    pub rejection_reason: Option<String>,
    pub resolved_on: Option<Date>,
    /// The supervision item it was escalated to.
    pub supervision_item_id: Option<Uuid>,
    /// The resident's latest feedback after resolution.
    pub feedback_satisfaction: Option<Satisfaction>,
    pub feedback_comment: Option<String>,
    pub feedback_at: Option<DateTimeUtc>,
    pub reopened_count: i32,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

crate::by_position!(Model { id: Uuid, village_id: Uuid, year: i32, seq: i32, code: String, content: String, category: AppealCategory, status: AppealStatus, grid: Option<String>, collector_id: Option<Uuid>, received_on: Date, due_on: Date, handling_working_days: i32, resident_name: Option<String>, resident_phone: Option<String>, address: Option<String>, resolution: Option<String>, rejection_reason: Option<String>, resolved_on: Option<Date>, supervision_item_id: Option<Uuid>, feedback_satisfaction: Option<Satisfaction>, feedback_comment: Option<String>, feedback_at: Option<DateTimeUtc>, reopened_count: i32, version: i32, created_at: DateTimeUtc, updated_at: DateTimeUtc });

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
