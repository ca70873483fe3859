//! Areas: the named zones organizations belong to.

use entities::area;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set,
    TransactionSession, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use super::{
    Actor, audit,
    pagination::{Page, PageRequest, fetch_page},
    values::{Name, OptionalText},
};
use crate::error::{AppError, AppResult};

pub const NAME_MAX_CHARS: usize = 100;
pub const DESCRIPTION_MAX_CHARS: usize = 2000;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AreaOrder {
    #[default]
    NameAsc,
    CreatedAtAsc,
}

#[derive(Debug, Clone, Default)]
pub struct AreaFilter {
    pub search: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewArea {
    pub name: String,
    pub description: Option<String>,
}

pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    filter: &AreaFilter,
    order: AreaOrder,
    page: &PageRequest,
) -> AppResult<Page<area::Model>> {
    actor.require_signed_in()?;
    let mut select = area::Entity::find();
    if let Some(search) = filter.search.as_deref().filter(|s| !s.trim().is_empty()) {
        select = select.filter(super::text_contains(area::Column::Name, search));
    }
    let keys: &[area::Column] = match order {
        AreaOrder::NameAsc => &[area::Column::Name, area::Column::Id],
        AreaOrder::CreatedAtAsc => &[area::Column::CreatedAt, area::Column::Id],
    };
    fetch_page(db, select, keys, page).await
}

pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> AppResult<Option<area::Model>> {
    Ok(area::Entity::find_by_id(id).one(db).await?)
}

pub async fn get_many(db: &impl ConnectionTrait, ids: &[Uuid]) -> AppResult<Vec<area::Model>> {
    Ok(area::Entity::find()
        .filter(area::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

pub async fn create<C>(db: &C, actor: &Actor, input: NewArea) -> AppResult<area::Model>
where
    C: ConnectionTrait + TransactionTrait,
{
    if !actor.scope("area", "manage")?.all {
        return Err(AppError::Forbidden);
    }
    let name = Name::parse("name", &input.name, NAME_MAX_CHARS)?.into_inner();
    let description = OptionalText::parse(
        "description",
        input.description.as_deref(),
        DESCRIPTION_MAX_CHARS,
    )?
    .into_inner();
    let tx = super::begin_write(db).await?;
    let taken = area::Entity::find()
        .filter(area::Column::Name.eq(name.as_str()))
        .one(&tx)
        .await?;
    if taken.is_some() {
        return Err(AppError::Conflict {
            message: format!("an area named {name} already exists"),
            details: Some(json!({ "field": "name" })),
        });
    }
    let now = super::now();
    let created = area::ActiveModel {
        id: Set(super::new_id()),
        name: Set(name),
        description: Set(description),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&tx)
    .await?;
    audit::record(
        &tx,
        actor,
        audit::Change {
            action: "createArea",
            target_type: "Area",
            target_id: Some(created.id),
            before: None,
            after: Some(json!({ "name": created.name, "description": created.description })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(created)
}
