//! People and the positions they hold. Phone and ID-card numbers are validated here and never
//! written to the audit trail in clear: the audit keeps only whether they changed.

use chrono::NaiveDate;
use entities::{
    enums::{Gender, PoliticalStatus, Position},
    organization, person, person_position,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QuerySelect, QueryTrait, Set, TransactionSession, TransactionTrait,
    sea_query::{Expr, ExprTrait, Query},
};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use super::{
    Actor, Change, Write, audit,
    organizations::{ids_of, require_managed_reference},
    pagination::{Page, PageRequest, fetch_page},
    refusals, scoped,
    values::{IdNumber, Name, Phone},
    write::{self, Row},
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
    if let Some(org) = filter.organization_id {
        let organizations =
            ids_of(db, "organizationId", org, filter.include_sub_organizations).await?;
        cond = cond.add(person::Column::OrganizationId.in_subquery(organizations));
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
    let search = filter.search.as_deref().filter(|s| !s.trim().is_empty());
    let backend = db.get_database_backend();
    if let Some(search) = search {
        cond = cond.add(super::text_contains(backend, person::Column::Name, search));
    }
    let mut select = person::Entity::find().filter(cond);
    if search.is_some() {
        // People are listed in name order: see `read_matches_first`.
        select = super::read_matches_first(backend, select);
    }
    fetch_page(db, select, PERSON_KEYS, page).await
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
    scoped::many::<person::Entity>(
        db,
        ids,
        scope.organization_condition(person::Column::OrganizationId),
    )
    .await
}

/// The positions of many people in one statement, oldest first.
pub async fn positions_of(
    db: &impl ConnectionTrait,
    person_ids: &[Uuid],
) -> AppResult<Vec<person_position::Model>> {
    use sea_orm::QueryOrder;
    Ok(person_position::Entity::find()
        .filter(crate::services::one_of(
            db,
            person_position::Column::PersonId,
            person_ids.iter().copied(),
        ))
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
/// so; outside it, the write is given up first and the refusal is audited on its own and
/// confirms nothing (see `refusals`).
async fn require_unique_id_number<'a, C, T>(
    db: &C,
    w: Write<'a, T>,
    mutation: &str,
    id_number: &str,
    except: Option<Uuid>,
    read: &Scope,
) -> AppResult<Write<'a, T>>
where
    C: ConnectionTrait,
    T: ConnectionTrait + TransactionSession + Send,
{
    match id_number_holder(&w, id_number, except, read).await? {
        Holder::Nobody => Ok(w),
        Holder::Readable => Err(AppError::taken(
            "idNumber",
            "another person has this ID-card number",
        )),
        Holder::Hidden(holder) => {
            let actor = w.actor();
            w.rollback().await?;
            Err(refusals::refuse(db, actor, mutation, "Person", "idNumber", holder).await)
        }
    }
}

async fn replace_positions(
    db: &impl ConnectionTrait,
    person_id: Uuid,
    positions: &[NewPosition],
) -> AppResult<()> {
    // The FIRST_SECRETARY positions of postings belong to the postings, which alone end them.
    let of_postings = entities::first_secretary_assignment::Entity::find()
        .select_only()
        .column(entities::first_secretary_assignment::Column::PositionId)
        .filter(entities::first_secretary_assignment::Column::PersonId.eq(person_id))
        .filter(entities::first_secretary_assignment::Column::PositionId.is_not_null())
        .into_query();
    person_position::Entity::delete_many()
        .filter(person_position::Column::PersonId.eq(person_id))
        .filter(person_position::Column::Id.not_in_subquery(of_postings))
        .exec(db)
        .await?;
    insert_positions(db, person_id, positions).await
}

/// Adds `positions` to a person (all of them, for a person just created), in one statement.
async fn insert_positions(
    db: &impl ConnectionTrait,
    person_id: Uuid,
    positions: &[NewPosition],
) -> AppResult<()> {
    person_position::Entity::insert_many(position_rows(person_id, positions))
        .exec_without_returning(db)
        .await?;
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

/// A new person's rows as `create` writes them: checked input, fresh ids and times.
struct Created {
    person: person::Model,
    positions: Vec<person_position::ActiveModel>,
}

fn created(input: &NewPerson) -> AppResult<Created> {
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
    let now = super::now();
    let id = super::new_id();
    Ok(Created {
        person: person::Model {
            id,
            name,
            gender: input.gender,
            phone,
            id_number,
            political_status: input.political_status,
            organization_id: input.organization_id,
            created_at: now,
            updated_at: now,
        },
        positions: position_rows(id, &input.positions),
    })
}

fn position_rows(person_id: Uuid, positions: &[NewPosition]) -> Vec<person_position::ActiveModel> {
    positions
        .iter()
        .map(|p| person_position::ActiveModel {
            id: Set(super::new_id()),
            person_id: Set(person_id),
            position: Set(p.position),
            started_on: Set(p.started_on),
            ended_on: Set(p.ended_on),
        })
        .collect()
}

/// `createPerson`. On PostgreSQL a create that passes every check is one statement (see
/// [`create_in_one_statement`]); anything else, and every create on SQLite, goes step by step,
/// which also gives every refusal its error, in its order.
pub async fn create<C>(db: &C, actor: &Actor, input: NewPerson) -> AppResult<person::Model>
where
    C: ConnectionTrait + TransactionTrait,
{
    if db.get_database_backend() == DbBackend::Postgres
        && let Some(created) = create_in_one_statement(db, actor, &input).await?
    {
        return Ok(created);
    }
    create_step_by_step(db, actor, input).await
}

/// The person, its positions and the audit entry in one statement, written only where the
/// step-by-step create would write them: the actor's refusals leave room, the organization
/// exists, is not archived and is in the actor's `person.manage` scope, and no one holds the
/// ID-card number. `None` (nothing written) when any check fails, for the step-by-step create
/// to say which; a constraint the statement meets (a number taken meanwhile) is such a case
/// too.
async fn create_in_one_statement(
    db: &impl ConnectionTrait,
    actor: &Actor,
    input: &NewPerson,
) -> AppResult<Option<person::Model>> {
    let (Ok(manage), Ok(created)) = (actor.scope("person", "manage"), created(input)) else {
        return Ok(None);
    };
    let mut checks = Condition::all()
        .add(organization::Column::Id.eq(input.organization_id))
        .add(organization::Column::ArchivedAt.is_null())
        .add(manage.organization_condition(organization::Column::Id));
    if let Some(reached) = refusals::limit_reached(actor) {
        checks = checks.add(reached.not());
    }
    if let Some(id_number) = &created.person.id_number {
        checks = checks.add(
            Expr::exists(
                Query::select()
                    .expr(Expr::val(1))
                    .from(person::Entity)
                    .and_where(person::Column::IdNumber.eq(id_number.as_str()))
                    .to_owned(),
            )
            .not(),
        );
    }
    let guard = Query::select()
        .expr(Expr::val(1))
        .from(organization::Entity)
        .cond_where(checks)
        .to_owned();
    let mut rows = vec![Row::of(
        &person::ActiveModel::from(created.person.clone()).reset_all(),
    )];
    rows.extend(created.positions.iter().map(Row::of));
    rows.push(Row::of(&audit::entry(
        actor,
        Change::of("createPerson", "Person", created.person.id)
            .after(snapshot(&created.person, Some(&input.positions))),
    )));
    match write::insert_where(db, guard, rows).await {
        Ok(true) => Ok(Some(created.person)),
        Ok(false) => Ok(None),
        Err(e) if e.sql_err().is_some() => Ok(None),
        Err(e) => Err(e.into()),
    }
}

async fn create_step_by_step<C>(db: &C, actor: &Actor, input: NewPerson) -> AppResult<person::Model>
where
    C: ConnectionTrait + TransactionTrait,
{
    let read = &actor.scope("person", "read")?;
    let manage = &actor.scope("person", "manage")?;
    refusals::check_limit(db, actor).await?;
    let Created { person, positions } = created(&input)?;
    let mut w = Write::begin(db, actor).await?;
    require_managed_reference(&w, "organizationId", input.organization_id, manage).await?;
    if let Some(id_number) = &person.id_number {
        w = require_unique_id_number(db, w, "createPerson", id_number, None, read).await?;
    }
    let created = person::ActiveModel::from(person)
        .reset_all()
        .insert(&w)
        .await?;
    if !positions.is_empty() {
        person_position::Entity::insert_many(positions)
            .exec_without_returning(&w)
            .await?;
    }
    w.audit(
        Change::of("createPerson", "Person", created.id)
            .after(snapshot(&created, Some(&input.positions))),
    )
    .await?;
    w.commit().await?;
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
    let mut w = Write::begin(db, actor).await?;
    let before = scoped::fetch_for::<person::Entity>(
        &w,
        id,
        read.organization_condition(person::Column::OrganizationId),
        manage.organization_condition(person::Column::OrganizationId),
        "person",
    )
    .await?;
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
            w = require_unique_id_number(db, w, "updatePerson", number, Some(id), read).await?;
        }
        model.id_number = Set(id_number);
    }
    if let Some(status) = changes.political_status {
        model.political_status = Set(status);
    }
    if let Some(org) = changes.organization_id {
        require_managed_reference(&w, "organizationId", org, manage).await?;
        model.organization_id = Set(org);
    }
    model.updated_at = Set(super::now());
    let updated = model.update(&w).await?;
    if let Some(positions) = &changes.positions {
        replace_positions(&w, id, positions).await?;
    }
    w.audit(
        Change::of("updatePerson", "Person", id)
            .before(snapshot(&before, None))
            .after(snapshot(&updated, changes.positions.as_deref())),
    )
    .await?;
    w.commit().await?;
    Ok(updated)
}
