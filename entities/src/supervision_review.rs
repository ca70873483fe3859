//! A supervisor's review of one item in one round; one per item per round, editable until the
//! round closes.

use sea_orm::entity::prelude::*;

use crate::enums::ReviewVerdict;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "supervision_review")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub round_id: Uuid,
    pub item_id: Uuid,
    pub verdict: ReviewVerdict,
    pub comment: Option<String>,
    pub reviewer_id: Option<Uuid>,
    pub at: DateTimeUtc,
}

crate::by_position!(Model { id: Uuid, round_id: Uuid, item_id: Uuid, verdict: ReviewVerdict, comment: Option<String>, reviewer_id: Option<Uuid>, at: DateTimeUtc });

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
