//! The audit trail: every mutation writes one entry in its own transaction (`Write::audit`).

use entities::audit_entry;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use serde_json::Value as Json;
use uuid::Uuid;

use super::{Actor, new_id, now};
use crate::error::{AppError, AppResult};

/// What a mutation changed.
#[derive(Debug)]
pub struct Change<'a> {
    pub action: &'a str,
    pub target_type: &'a str,
    pub target_id: Option<Uuid>,
    pub before: Option<Json>,
    pub after: Option<Json>,
}

impl<'a> Change<'a> {
    /// `action` (the mutation's name) on the `target_type` record `target_id`; say what it was
    /// and what it became with `before` and `after`.
    pub fn of(action: &'a str, target_type: &'a str, target_id: Uuid) -> Self {
        Self {
            action,
            target_type,
            target_id: Some(target_id),
            before: None,
            after: None,
        }
    }

    pub fn before(self, before: Json) -> Self {
        Self {
            before: Some(before),
            ..self
        }
    }

    pub fn after(self, after: Json) -> Self {
        Self {
            after: Some(after),
            ..self
        }
    }
}

pub async fn record(db: &impl ConnectionTrait, actor: &Actor, change: Change<'_>) -> AppResult<()> {
    entry(actor, change).insert(db).await?;
    Ok(())
}

/// The entry [`record`] writes, for a statement that writes it together with the change
/// (`write::insert_where`).
pub fn entry(actor: &Actor, change: Change<'_>) -> audit_entry::ActiveModel {
    audit_entry::ActiveModel {
        id: Set(new_id()),
        actor_id: Set(actor.user_id),
        action: Set(change.action.to_owned()),
        target_type: Set(change.target_type.to_owned()),
        target_id: Set(change.target_id),
        before: Set(change.before),
        after: Set(change.after),
        request_id: Set(actor.request_id.clone()),
        created_at: Set(now()),
    }
}

/// Which audit entries to list.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor_id: Option<Uuid>,
    pub target_type: Option<String>,
    pub target_id: Option<Uuid>,
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    pub to: Option<chrono::DateTime<chrono::Utc>>,
}

/// Audit entries, newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &super::Actor,
    filter: &AuditFilter,
    page: &super::pagination::PageRequest,
) -> AppResult<super::pagination::Page<audit_entry::Model>> {
    actor.require_admin()?;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let mut select = audit_entry::Entity::find();
    if let Some(actor) = filter.actor_id {
        select = select.filter(audit_entry::Column::ActorId.eq(actor));
    }
    if let Some(target_type) = &filter.target_type {
        select = select.filter(audit_entry::Column::TargetType.eq(target_type.as_str()));
    }
    if let Some(target) = filter.target_id {
        select = select.filter(audit_entry::Column::TargetId.eq(target));
    }
    if let Some(from) = filter.from {
        select = select.filter(audit_entry::Column::CreatedAt.gte(from));
    }
    if let Some(to) = filter.to {
        select = select.filter(audit_entry::Column::CreatedAt.lt(to));
    }
    super::pagination::fetch_page_ordered(
        db,
        select,
        &[audit_entry::Column::CreatedAt, audit_entry::Column::Id],
        true,
        page,
    )
    .await
}

/// The entries among `ids` the actor may read: all of them for administrators, none otherwise
/// (an entry someone may not read is answered as one that does not exist).
pub async fn readable(
    db: &impl ConnectionTrait,
    actor: &super::Actor,
    ids: &[Uuid],
) -> AppResult<Vec<audit_entry::Model>> {
    use sea_orm::{EntityTrait, QueryFilter};
    match actor.require_admin() {
        Ok(()) => Ok(audit_entry::Entity::find()
            .filter(crate::services::one_of(
                db,
                audit_entry::Column::Id,
                ids.iter().copied(),
            ))
            .all(db)
            .await?),
        Err(AppError::Forbidden) => Ok(Vec::new()),
        Err(other) => Err(other),
    }
}
