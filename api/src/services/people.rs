//! People and the positions they hold. Phone and ID-card numbers are validated here and never
//! written to the audit trail in clear: the audit keeps only whether they changed.

use chrono::NaiveDate;
use entities::{
    enums::{Gender, PoliticalStatus, Position},
    organization, person, person_position,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QuerySelect, QueryTrait, Set, TransactionSession, TransactionTrait,
};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use super::{
    Actor, audit,
    organizations::subtree_condition,
    pagination::{Page, PageRequest, fetch_page},
    refusals,
    values::{IdNumber, Name, Phone},
};
use crate::{
    authz::Scope,
    error::{AppError, AppResult},
};

pub const NAME_MAX_CHARS: usize = 50;

/// People in the order lists show them: by name, then id.
pub const PERSON_KEYS: &[person::Column] = &[person::Column::Name, person::Column::Id];

#[derive(Debug, Clone, Default)]
pub struct PersonFilter {
    pub organization_id: Option<Uuid>,
    pub include_sub_organizations: bool,
    pub position: Option<Position>,
    pub political_status: Option<PoliticalStatus>,
    pub search: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewPosition {
    pub position: Position,
    pub started_on: NaiveDate,
    pub ended_on: Option<NaiveDate>,
}

#[derive(Debug, Clone)]
pub struct NewPerson {
    pub name: String,
    pub gender: Option<Gender>,
    pub phone: Option<String>,
    pub id_number: Option<String>,
    pub political_status: PoliticalStatus,
    pub organization_id: Uuid,
    pub positions: Vec<NewPosition>,
}

/// Changes to a person; `None` leaves a field as it is, `Some(None)` clears it. `positions`, when
/// given, replaces the whole list.
#[derive(Debug, Clone, Default)]
pub struct PersonChanges {
    pub name: Option<String>,
    pub gender: Option<Option<Gender>>,
    pub phone: Option<Option<String>>,
    pub id_number: Option<Option<String>>,
    pub political_status: Option<PoliticalStatus>,
    pub organization_id: Option<Uuid>,
    pub positions: Option<Vec<NewPosition>>,
}

/// Where the actor sees phone and ID-card numbers in full (DESIGN 4.4): administrators, and
/// secretaries of the person's organization; everyone else sees them masked.
pub fn personal_data_scope(actor: &Actor) -> AppResult<Scope> {
    actor.scope("person", "read_personal")
}

pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    filter: &PersonFilter,
    page: &PageRequest,
) -> AppResult<Page<person::Model>> {
    let scope = actor.scope("person", "read")?;
    let mut cond =
        Condition::all().add(scope.organization_condition(person::Column::OrganizationId));
    if let Some(org_id) = filter.organization_id {
        if filter.include_sub_organizations {
            let root = organization::Entity::find_by_id(org_id)
                .one(db)
                .await?
                .ok_or_else(|| {
                    AppError::bad_input("organizationId", "organizationId names no organization")
                })?;
            let subtree = organization::Entity::find()
                .select_only()
                .column(organization::Column::Id)
                .filter(subtree_condition(&root.path))
                .into_query();
            cond = cond.add(person::Column::OrganizationId.in_subquery(subtree));
        } else {
            cond = cond.add(person::Column::OrganizationId.eq(org_id));
        }
    }
    if let Some(position) = filter.position {
        let holders = person_position::Entity::find()
            .select_only()
            .column(person_position::Column::PersonId)
            .filter(person_position::Column::Position.eq(position))
            .filter(person_position::Column::EndedOn.is_null())
            .into_query();
        cond = cond.add(person::Column::Id.in_subquery(holders));
    }
    if let Some(status) = filter.political_status {
        cond = cond.add(person::Column::PoliticalStatus.eq(status));
    }
    if let Some(search) = filter.search.as_deref().filter(|s| !s.trim().is_empty()) {
        cond = cond.add(super::text_contains(person::Column::Name, search));
    }
    fetch_page(db, person::Entity::find().filter(cond), PERSON_KEYS, page).await
}

/// The people among `ids` the actor may read; the others read as missing.
pub async fn readable(
    db: &impl ConnectionTrait,
    actor: &Actor,
    ids: &[Uuid],
) -> AppResult<Vec<person::Model>> {
    get_many(db, ids, &actor.scope("person", "read")?).await
}

pub async fn get_many(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
    scope: &Scope,
) -> AppResult<Vec<person::Model>> {
    Ok(person::Entity::find()
        .filter(person::Column::Id.is_in(ids.iter().copied()))
        .filter(scope.organization_condition(person::Column::OrganizationId))
        .all(db)
        .await?)
}

/// The positions of many people in one statement, oldest first.
pub async fn positions_of(
    db: &impl ConnectionTrait,
    person_ids: &[Uuid],
) -> AppResult<Vec<person_position::Model>> {
    use sea_orm::QueryOrder;
    Ok(person_position::Entity::find()
        .filter(person_position::Column::PersonId.is_in(person_ids.iter().copied()))
        .order_by_asc(person_position::Column::StartedOn)
        .order_by_asc(person_position::Column::Id)
        .all(db)
        .await?)
}

fn check_positions(positions: &[NewPosition]) -> AppResult<()> {
    for (i, p) in positions.iter().enumerate() {
        if p.ended_on.is_some_and(|end| end < p.started_on) {
            return Err(AppError::bad_input(
                format!("positions.{i}.endedOn"),
                "endedOn must not be before startedOn",
            ));
        }
    }
    Ok(())
}

/// The organization must exist, not be archived, and be one the actor may manage people of.
async fn require_organization(
    db: &impl ConnectionTrait,
    id: Uuid,
    manage: &Scope,
) -> AppResult<()> {
    match organization::Entity::find_by_id(id).one(db).await? {
        Some(org) if org.archived_at.is_none() => {}
        Some(_) => {
            return Err(AppError::bad_input(
                "organizationId",
                "the organization is archived",
            ));
        }
        None => {
            return Err(AppError::bad_input(
                "organizationId",
                "organizationId names no organization",
            ));
        }
    }
    let allowed = organization::Entity::find_by_id(id)
        .filter(manage.organization_condition(organization::Column::Id))
        .one(db)
        .await?;
    if allowed.is_none() {
        return Err(AppError::Forbidden);
    }
    Ok(())
}

/// Who else holds an ID-card number, if anyone, and whether the actor may read them.
enum Holder {
    Nobody,
    Readable,
    Hidden(Uuid),
}

async fn id_number_holder(
    db: &impl ConnectionTrait,
    id_number: &str,
    except: Option<Uuid>,
    read: &Scope,
) -> AppResult<Holder> {
    let mut select = person::Entity::find().filter(person::Column::IdNumber.eq(id_number));
    if let Some(id) = except {
        select = select.filter(person::Column::Id.ne(id));
    }
    let Some(holder) = select.one(db).await? else {
        return Ok(Holder::Nobody);
    };
    let readable = person::Entity::find_by_id(holder.id)
        .filter(read.organization_condition(person::Column::OrganizationId))
        .one(db)
        .await?
        .is_some();
    Ok(if readable {
        Holder::Readable
    } else {
        Holder::Hidden(holder.id)
    })
}

/// Refuses an ID-card number someone else holds. Inside the actor's read scope the refusal says
/// so; outside it, the transaction is given up first and the refusal is audited on its own and
/// confirms nothing (see `refusals`).
async fn require_unique_id_number<C, T>(
    db: &C,
    tx: T,
    actor: &Actor,
    mutation: &str,
    id_number: &str,
    except: Option<Uuid>,
    read: &Scope,
) -> AppResult<T>
where
    C: ConnectionTrait,
    T: ConnectionTrait + TransactionSession,
{
    match id_number_holder(&tx, id_number, except, read).await? {
        Holder::Nobody => Ok(tx),
        Holder::Readable => Err(AppError::Conflict {
            message: "another person has this ID-card number".into(),
            details: Some(json!({ "field": "idNumber" })),
        }),
        Holder::Hidden(holder) => {
            tx.rollback().await?;
            Err(refusals::refuse(db, actor, mutation, "Person", "idNumber", holder).await)
        }
    }
}

async fn replace_positions(
    db: &impl ConnectionTrait,
    person_id: Uuid,
    positions: &[NewPosition],
) -> AppResult<()> {
    person_position::Entity::delete_many()
        .filter(person_position::Column::PersonId.eq(person_id))
        .exec(db)
        .await?;
    for p in positions {
        person_position::ActiveModel {
            id: Set(super::new_id()),
            person_id: Set(person_id),
            position: Set(p.position),
            started_on: Set(p.started_on),
            ended_on: Set(p.ended_on),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// What the audit keeps of a person: no phone or ID-card number, only whether one is on file.
fn snapshot(p: &person::Model, positions: Option<&[NewPosition]>) -> Json {
    let mut value = json!({
        "name": p.name,
        "gender": p.gender,
        "politicalStatus": p.political_status,
        "organizationId": p.organization_id,
        "hasPhone": p.phone.is_some(),
        "hasIdNumber": p.id_number.is_some(),
    });
    if let Some(positions) = positions {
        value["positions"] = positions
            .iter()
            .map(|p| json!({ "position": p.position, "startedOn": p.started_on, "endedOn": p.ended_on }))
            .collect();
    }
    value
}

pub async fn create<C>(db: &C, actor: &Actor, input: NewPerson) -> AppResult<person::Model>
where
    C: ConnectionTrait + TransactionTrait,
{
    let read = &actor.scope("person", "read")?;
    let manage = &actor.scope("person", "manage")?;
    refusals::check_limit(db, actor).await?;
    let name = Name::parse("name", &input.name, NAME_MAX_CHARS)?.into_inner();
    let phone = input
        .phone
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|s| Phone::parse("phone", s).map(Phone::into_inner))
        .transpose()?;
    let id_number = input
        .id_number
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|s| IdNumber::parse("idNumber", s).map(IdNumber::into_inner))
        .transpose()?;
    check_positions(&input.positions)?;
    let mut tx = super::begin_write(db).await?;
    require_organization(&tx, input.organization_id, manage).await?;
    if let Some(id_number) = &id_number {
        tx = require_unique_id_number(db, tx, actor, "createPerson", id_number, None, read).await?;
    }
    let now = super::now();
    let created = person::ActiveModel {
        id: Set(super::new_id()),
        name: Set(name),
        gender: Set(input.gender),
        phone: Set(phone),
        id_number: Set(id_number),
        political_status: Set(input.political_status),
        organization_id: Set(input.organization_id),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&tx)
    .await?;
    replace_positions(&tx, created.id, &input.positions).await?;
    audit::record(
        &tx,
        actor,
        audit::Change {
            action: "createPerson",
            target_type: "Person",
            target_id: Some(created.id),
            before: None,
            after: Some(snapshot(&created, Some(&input.positions))),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(created)
}

pub async fn update<C>(
    db: &C,
    actor: &Actor,
    id: Uuid,
    changes: PersonChanges,
) -> AppResult<person::Model>
where
    C: ConnectionTrait + TransactionTrait,
{
    let read = &actor.scope("person", "read")?;
    let manage = &actor.scope("person", "manage")?;
    let name = changes
        .name
        .as_deref()
        .map(|n| Name::parse("name", n, NAME_MAX_CHARS).map(Name::into_inner))
        .transpose()?;
    let phone = changes
        .phone
        .as_ref()
        .map(|p| {
            p.as_deref()
                .filter(|s| !s.trim().is_empty())
                .map(|s| Phone::parse("phone", s).map(Phone::into_inner))
                .transpose()
        })
        .transpose()?;
    let id_number = changes
        .id_number
        .as_ref()
        .map(|p| {
            p.as_deref()
                .filter(|s| !s.trim().is_empty())
                .map(|s| IdNumber::parse("idNumber", s).map(IdNumber::into_inner))
                .transpose()
        })
        .transpose()?;
    if let Some(positions) = &changes.positions {
        check_positions(positions)?;
    }
    refusals::check_limit(db, actor).await?;
    let mut tx = super::begin_write(db).await?;
    let before = person::Entity::find_by_id(id)
        .filter(read.organization_condition(person::Column::OrganizationId))
        .one(&tx)
        .await?
        .ok_or(AppError::NotFound("person"))?;
    let manageable = person::Entity::find_by_id(id)
        .filter(manage.organization_condition(person::Column::OrganizationId))
        .one(&tx)
        .await?;
    if manageable.is_none() {
        return Err(AppError::Forbidden);
    }
    let mut model: person::ActiveModel = before.clone().into();
    if let Some(name) = name {
        model.name = Set(name);
    }
    if let Some(gender) = changes.gender {
        model.gender = Set(gender);
    }
    if let Some(phone) = phone {
        model.phone = Set(phone);
    }
    if let Some(id_number) = id_number {
        if let Some(number) = &id_number {
            tx = require_unique_id_number(db, tx, actor, "updatePerson", number, Some(id), read)
                .await?;
        }
        model.id_number = Set(id_number);
    }
    if let Some(status) = changes.political_status {
        model.political_status = Set(status);
    }
    if let Some(org) = changes.organization_id {
        require_organization(&tx, org, manage).await?;
        model.organization_id = Set(org);
    }
    model.updated_at = Set(super::now());
    let updated = model.update(&tx).await?;
    if let Some(positions) = &changes.positions {
        replace_positions(&tx, id, positions).await?;
    }
    audit::record(
        &tx,
        actor,
        audit::Change {
            action: "updatePerson",
            target_type: "Person",
            target_id: Some(id),
            before: Some(snapshot(&before, None)),
            after: Some(snapshot(&updated, changes.positions.as_deref())),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(updated)
}
