//! An organization responsible for a supervision item (the lead, or a co-responsible one), with
//! its own progress.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "supervision_assignment")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub item_id: Uuid,
    pub organization_id: Uuid,
    pub lead: bool,
    pub progress_percent: i32,
    pub note: Option<String>,
    pub updated_at: Option<DateTimeUtc>,
}

crate::by_position!(Model { id: Uuid, item_id: Uuid, organization_id: Uuid, lead: bool, progress_percent: i32, note: Option<String>, updated_at: Option<DateTimeUtc> });

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
