//! One entry of an appeal's timeline.

use sea_orm::entity::prelude::*;

use crate::enums::{AppealEventKind, AppealStatus};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "appeal_event")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub appeal_id: Uuid,
    pub at: DateTimeUtc,
    pub actor_id: Option<Uuid>,
    pub kind: AppealEventKind,
    pub note: Option<String>,
    pub from_status: Option<AppealStatus>,
    pub to_status: Option<AppealStatus>,
}

crate::by_position!(Model { id: Uuid, appeal_id: Uuid, at: DateTimeUtc, actor_id: Option<Uuid>, kind: AppealEventKind, note: Option<String>, from_status: Option<AppealStatus>, to_status: Option<AppealStatus> });

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
