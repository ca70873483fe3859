//! A party organization. `path` is the materialized path of ids from the root (`/<id>/<id>/`), so
//! subtree and ancestor queries are one statement each.

use sea_orm::entity::prelude::*;

use crate::enums::{OrganizationLevel, UnitType};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organization")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub short_name: Option<String>,
    pub external_code: Option<String>,
    pub level: OrganizationLevel,
    pub unit_type: UnitType,
    pub area_id: Uuid,
    pub parent_id: Option<Uuid>,
    pub path: String,
    /// 0 for a root.
    pub depth: i32,
    pub contact: Option<String>,
    pub key_village: bool,
    pub remote: bool,
    pub archived_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

crate::by_position!(Model { id: Uuid, name: String, short_name: Option<String>, external_code: Option<String>, level: OrganizationLevel, unit_type: UnitType, area_id: Uuid, parent_id: Option<Uuid>, path: String, depth: i32, contact: Option<String>, key_village: bool, remote: bool, archived_at: Option<DateTimeUtc>, created_at: DateTimeUtc, updated_at: DateTimeUtc });

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(belongs_to = "Entity", from = "Column::ParentId", to = "Column::Id")]
    Parent,
}

/// From an organization to its parent, for reading both in one statement.
#[derive(Debug, Clone, Copy)]
pub struct ParentLink;

impl Linked for ParentLink {
    type FromEntity = Entity;
    type ToEntity = Entity;

    fn link(&self) -> Vec<RelationDef> {
        vec![Relation::Parent.def()]
    }
}

impl ActiveModelBehavior for ActiveModel {}

/// The path segment of one organization id.
pub fn path_segment(id: Uuid) -> String {
    id.simple().to_string()
}

/// The ids on a materialized path, root first.
pub fn path_ids(path: &str) -> Vec<Uuid> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .filter_map(|s| Uuid::parse_str(s).ok())
        .collect()
}
