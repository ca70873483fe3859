//! A supervision item (督办事项) of a joint committee's ledger. Overdue, remaining days and the
//! escalation level are derived from the dates here and the working-day calendar, never stored.

use sea_orm::entity::prelude::*;

use crate::enums::{Priority, SupervisionSource, SupervisionStatus};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "supervision_item")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub linkage_group_id: Uuid,
    /// The ledger year and the item's number within the group's ledger of that year.
    pub year: i32,
    pub seq: i32,
    /// The readable ledger number, e.g. `联建督-2026-007`.
    pub code: String,
    pub title: String,
    pub description: Option<String>,
    pub source: SupervisionSource,
    pub priority: Priority,
    pub status: SupervisionStatus,
    pub lead_organization_id: Uuid,
    pub assignee_id: Option<Uuid>,
    pub supervisor_id: Option<Uuid>,
    pub opened_on: Date,
    pub due_on: Date,
    pub original_due_on: Date,
    /// The date of the latest submission for review.
    pub submitted_on: Option<Date>,
    pub closed_on: Option<Date>,
    pub cancelled_on: Option<Date>,
    /// The lead organization's latest reported progress.
    pub progress_percent: i32,
    /// The resident appeal the item was raised from, if any.
    pub appeal_id: Option<Uuid>,
    /// Raised on every change; a write naming an older version is refused.
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

crate::by_position!(Model { id: Uuid, linkage_group_id: Uuid, year: i32, seq: i32, code: String, title: String, description: Option<String>, source: SupervisionSource, priority: Priority, status: SupervisionStatus, lead_organization_id: Uuid, assignee_id: Option<Uuid>, supervisor_id: Option<Uuid>, opened_on: Date, due_on: Date, original_due_on: Date, submitted_on: Option<Date>, closed_on: Option<Date>, cancelled_on: Option<Date>, progress_percent: i32, appeal_id: Option<Uuid>, version: i32, created_at: DateTimeUtc, updated_at: DateTimeUtc });

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
