//! Areas: the named zones organizations belong to.

use entities::area;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use super::{
    Actor, Change, Write,
    pagination::{Page, PageRequest, fetch_page},
    values::{Name, OptionalText},
};
use crate::{
    error::{AppError, AppResult},
    events::{DomainEvent, EventBus},
};

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
        select = select.filter(super::text_contains(
            db.get_database_backend(),
            area::Column::Name,
            search,
        ));
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
        .filter(crate::services::one_of(
            db,
            area::Column::Id,
            ids.iter().copied(),
        ))
        .all(db)
        .await?)
}

/// Creates an area; subscribers hear of it once it is committed.
pub async fn create<C>(
    db: &C,
    actor: &Actor,
    events: &EventBus,
    input: NewArea,
) -> AppResult<area::Model>
where
    C: TransactionTrait,
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
    let mut w = Write::begin(db, actor).await?;
    w.require_unique(
        area::Entity::find().filter(area::Column::Name.eq(name.as_str())),
        "name",
        || format!("an area named {name} already exists"),
    )
    .await?;
    let now = super::now();
    let created = area::ActiveModel {
        id: Set(super::new_id()),
        name: Set(name),
        description: Set(description),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&w)
    .await?;
    w.audit(
        Change::of("createArea", "Area", created.id)
            .after(json!({ "name": created.name, "description": created.description })),
    )
    .await?;
    w.publish(DomainEvent::AreaCreated { area: created.id });
    w.commit_and_publish(events).await?;
    Ok(created)
}
