//! Linkage groups (joint committees) and their membership history.

use chrono::NaiveDate;
use entities::{enums::LinkageRole, linkage_group, linkage_group_member, organization};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use super::{
    Actor, Change, Write,
    pagination::{Page, PageRequest, fetch_page},
    scoped,
    values::{Name, OptionalText},
};
use crate::{
    authz::Scope,
    error::{AppError, AppResult},
};

pub const NAME_MAX_CHARS: usize = 100;
pub const DESCRIPTION_MAX_CHARS: usize = 2000;
pub const DEFAULT_CADENCE_DAYS: i32 = 14;

/// Membership rows in the order a group lists them: by joining date, then id.
pub const MEMBER_KEYS: &[linkage_group_member::Column] = &[
    linkage_group_member::Column::JoinedOn,
    linkage_group_member::Column::Id,
];

#[derive(Debug, Clone)]
pub struct NewLinkageGroup {
    pub name: String,
    pub description: Option<String>,
    pub lead_organization_id: Uuid,
    pub member_organization_ids: Vec<Uuid>,
    pub cadence_days: Option<i32>,
    pub cadence_starts_on: Option<NaiveDate>,
}

pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    search: Option<&str>,
    page: &PageRequest,
) -> AppResult<Page<linkage_group::Model>> {
    let scope = actor.scope("linkage_group", "read")?;
    let mut select = linkage_group::Entity::find().filter(scope.linkage_group_condition());
    if let Some(search) = search.filter(|s| !s.trim().is_empty()) {
        select = select.filter(super::text_contains(
            db.get_database_backend(),
            linkage_group::Column::Name,
            search,
        ));
    }
    fetch_page(
        db,
        select,
        &[linkage_group::Column::Name, linkage_group::Column::Id],
        page,
    )
    .await
}

/// The linkage groups among `ids` the actor may read; the others read as missing.
pub async fn readable(
    db: &impl ConnectionTrait,
    actor: &Actor,
    ids: &[Uuid],
) -> AppResult<Vec<linkage_group::Model>> {
    get_many(db, ids, &actor.scope("linkage_group", "read")?).await
}

pub async fn get_many(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
    scope: &Scope,
) -> AppResult<Vec<linkage_group::Model>> {
    scoped::many::<linkage_group::Entity>(db, ids, scope.linkage_group_condition()).await
}

/// Members of one group, current ones only unless `include_former`.
pub fn members_select(include_former: bool) -> sea_orm::Select<linkage_group_member::Entity> {
    let select = linkage_group_member::Entity::find();
    if include_former {
        select
    } else {
        select.filter(linkage_group_member::Column::LeftOn.is_null())
    }
}

async fn require_organizations(
    db: &impl ConnectionTrait,
    field: &str,
    ids: &[Uuid],
) -> AppResult<()> {
    let found = organization::Entity::find()
        .filter(crate::services::one_of(
            db,
            organization::Column::Id,
            ids.iter().copied(),
        ))
        .filter(organization::Column::ArchivedAt.is_null())
        .all(db)
        .await?;
    if found.len() != ids.len() {
        return Err(AppError::bad_input(
            field,
            format!("{field} names an organization that does not exist or is archived"),
        ));
    }
    Ok(())
}

/// Joining a group lets the group's staff read the organization's people, so an organization
/// joins only with its own consent: that of an administrator or of someone who manages it
/// (`consent` is the actor's manage scope on organizations). Organizations are publicly known,
/// so a refusal is FORBIDDEN.
async fn require_consent(
    db: &impl ConnectionTrait,
    organizations: &[Uuid],
    consent: &Scope,
) -> AppResult<()> {
    if consent.all || organizations.is_empty() {
        return Ok(());
    }
    let managed = organization::Entity::find()
        .filter(crate::services::one_of(
            db,
            organization::Column::Id,
            organizations.iter().copied(),
        ))
        .filter(consent.organization_condition(organization::Column::Id))
        .all(db)
        .await?;
    if managed.len() != organizations.len() {
        return Err(AppError::Forbidden);
    }
    Ok(())
}

pub async fn create<C>(
    db: &C,
    actor: &Actor,
    input: NewLinkageGroup,
    today: NaiveDate,
) -> AppResult<linkage_group::Model>
where
    C: TransactionTrait,
{
    let manage = &actor.scope("linkage_group", "manage")?;
    let consent = &actor.scope("organization", "manage")?;
    if !manage.all {
        return Err(AppError::Forbidden);
    }
    let name = Name::parse("name", &input.name, NAME_MAX_CHARS)?.into_inner();
    let description = OptionalText::parse(
        "description",
        input.description.as_deref(),
        DESCRIPTION_MAX_CHARS,
    )?
    .into_inner();
    let cadence_days = input.cadence_days.unwrap_or(DEFAULT_CADENCE_DAYS);
    if !(1..=366).contains(&cadence_days) {
        return Err(AppError::bad_input(
            "cadenceDays",
            "cadenceDays must be between 1 and 366",
        ));
    }
    let mut members: Vec<Uuid> = Vec::new();
    for id in &input.member_organization_ids {
        if *id != input.lead_organization_id && !members.contains(id) {
            members.push(*id);
        }
    }
    let w = Write::begin(db, actor).await?;
    require_organizations(&w, "leadOrganizationId", &[input.lead_organization_id]).await?;
    require_organizations(&w, "memberOrganizationIds", &members).await?;
    let mut joining = vec![input.lead_organization_id];
    joining.extend(members.iter().copied());
    require_consent(&w, &joining, consent).await?;
    w.require_unique(
        linkage_group::Entity::find().filter(linkage_group::Column::Name.eq(name.as_str())),
        "name",
        || format!("a linkage group named {name} already exists"),
    )
    .await?;
    let now = super::now();
    let group = linkage_group::ActiveModel {
        id: Set(super::new_id()),
        name: Set(name),
        description: Set(description),
        lead_organization_id: Set(input.lead_organization_id),
        cadence_days: Set(cadence_days),
        cadence_starts_on: Set(input.cadence_starts_on.unwrap_or(today)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&w)
    .await?;
    let roles = std::iter::once((input.lead_organization_id, LinkageRole::Lead))
        .chain(members.iter().map(|id| (*id, LinkageRole::Member)));
    for (organization_id, role) in roles {
        linkage_group_member::ActiveModel {
            id: Set(super::new_id()),
            linkage_group_id: Set(group.id),
            organization_id: Set(organization_id),
            role: Set(role),
            joined_on: Set(today),
            left_on: Set(None),
            created_at: Set(now),
        }
        .insert(&w)
        .await?;
    }
    w.audit(
        Change::of("createLinkageGroup", "LinkageGroup", group.id).after(json!({
            "name": group.name,
            "leadOrganizationId": group.lead_organization_id,
            "memberOrganizationIds": members,
            "cadenceDays": group.cadence_days,
            "cadenceStartsOn": group.cadence_starts_on,
        })),
    )
    .await?;
    w.commit().await?;
    Ok(group)
}

/// A group the actor may manage: NOT_FOUND when it cannot even see it, FORBIDDEN when it can.
async fn require_group(
    db: &impl ConnectionTrait,
    id: Uuid,
    read: &Scope,
    manage: &Scope,
) -> AppResult<linkage_group::Model> {
    scoped::fetch_for::<linkage_group::Entity>(
        db,
        id,
        read.linkage_group_condition(),
        manage.linkage_group_condition(),
        "linkage group",
    )
    .await
}

/// The current membership of `organization_id` in `group_id`, if any.
async fn current_membership(
    db: &impl ConnectionTrait,
    group_id: Uuid,
    organization_id: Uuid,
) -> AppResult<Option<linkage_group_member::Model>> {
    Ok(linkage_group_member::Entity::find()
        .filter(linkage_group_member::Column::LinkageGroupId.eq(group_id))
        .filter(linkage_group_member::Column::OrganizationId.eq(organization_id))
        .filter(linkage_group_member::Column::LeftOn.is_null())
        .one(db)
        .await?)
}

pub async fn add_member<C>(
    db: &C,
    actor: &Actor,
    group_id: Uuid,
    organization_id: Uuid,
    joined_on: NaiveDate,
) -> AppResult<linkage_group::Model>
where
    C: TransactionTrait,
{
    let read = &actor.scope("linkage_group", "read")?;
    let manage = &actor.scope("linkage_group", "manage")?;
    let consent = &actor.scope("organization", "manage")?;
    let w = Write::begin(db, actor).await?;
    let group = require_group(&w, group_id, read, manage).await?;
    require_organizations(&w, "organizationId", &[organization_id]).await?;
    require_consent(&w, &[organization_id], consent).await?;
    if current_membership(&w, group_id, organization_id)
        .await?
        .is_some()
    {
        return Err(AppError::taken(
            "organizationId",
            "the organization is already a member of this group",
        ));
    }
    let member = linkage_group_member::ActiveModel {
        id: Set(super::new_id()),
        linkage_group_id: Set(group_id),
        organization_id: Set(organization_id),
        role: Set(LinkageRole::Member),
        joined_on: Set(joined_on),
        left_on: Set(None),
        created_at: Set(super::now()),
    }
    .insert(&w)
    .await?;
    w.audit(
        Change::of("addLinkageGroupMember", "LinkageGroup", group_id)
            .after(json!({ "organizationId": organization_id, "joinedOn": member.joined_on })),
    )
    .await?;
    w.commit().await?;
    Ok(group)
}

pub async fn remove_member<C>(
    db: &C,
    actor: &Actor,
    group_id: Uuid,
    organization_id: Uuid,
    left_on: NaiveDate,
) -> AppResult<linkage_group::Model>
where
    C: TransactionTrait,
{
    let read = &actor.scope("linkage_group", "read")?;
    let manage = &actor.scope("linkage_group", "manage")?;
    let w = Write::begin(db, actor).await?;
    let group = require_group(&w, group_id, read, manage).await?;
    if group.lead_organization_id == organization_id {
        return Err(AppError::bad_input(
            "organizationId",
            "the lead organization cannot leave its group",
        ));
    }
    let current = current_membership(&w, group_id, organization_id)
        .await?
        .ok_or_else(|| {
            AppError::bad_input(
                "organizationId",
                "the organization is not a member of this group",
            )
        })?;
    if left_on < current.joined_on {
        return Err(AppError::bad_input(
            "leftOn",
            "leftOn is before the joining date",
        ));
    }
    let mut model: linkage_group_member::ActiveModel = current.clone().into();
    model.left_on = Set(Some(left_on));
    model.update(&w).await?;
    w.audit(
        Change::of("removeLinkageGroupMember", "LinkageGroup", group_id)
            .before(json!({ "organizationId": organization_id, "leftOn": null }))
            .after(json!({ "organizationId": organization_id, "leftOn": left_on })),
    )
    .await?;
    w.commit().await?;
    Ok(group)
}
