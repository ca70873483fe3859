//! One entry of a supervision item's timeline: who did what, when, with what note.

use sea_orm::entity::prelude::*;

use crate::enums::{EscalationLevel, SupervisionEventKind, SupervisionStatus};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "supervision_event")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub item_id: Uuid,
    pub at: DateTimeUtc,
    /// `None` for the system (the daily escalation pass).
    pub actor_id: Option<Uuid>,
    pub kind: SupervisionEventKind,
    pub note: Option<String>,
    pub from_status: Option<SupervisionStatus>,
    pub to_status: Option<SupervisionStatus>,
    pub level: Option<EscalationLevel>,
    /// The due date after the change (deadline extensions, escalations).
    pub due_on: Option<Date>,
}

crate::by_position!(Model { id: Uuid, item_id: Uuid, at: DateTimeUtc, actor_id: Option<Uuid>, kind: SupervisionEventKind, note: Option<String>, from_status: Option<SupervisionStatus>, to_status: Option<SupervisionStatus>, level: Option<EscalationLevel>, due_on: Option<Date> });

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
