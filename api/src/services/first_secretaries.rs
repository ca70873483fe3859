//! First secretaries (第一书记) posted to villages and communities (DESIGN 2, 3.3): postings with
//! inclusive date ranges, at most one at a time per person and per village, each giving its
//! person the FIRST_SECRETARY position for its dates. The FIRST_SECRETARY role on the village is
//! not stored: `accounts::grants_of_many` derives it from the postings active today, so it starts
//! and stops with the dates on the next request of every process.

use chrono::NaiveDate;
use entities::{
    enums::{Position, UnitType},
    first_secretary_assignment as posting, organization, person, person_position,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set, TransactionTrait,
};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use super::{
    Actor, Change, Write,
    organizations::{ids_of, require_managed_reference},
    pagination::{Page, PageRequest, fetch_page},
    scoped,
    values::OptionalText,
};
use crate::{
    authz::Scope,
    clock::Clock,
    error::{AppError, AppResult, ConflictDetails},
};

pub const DISPATCHED_BY_MAX_CHARS: usize = 200;

/// Postings in the order lists show them: earliest start first.
pub const POSTING_KEYS: &[posting::Column] = &[posting::Column::StartsOn, posting::Column::Id];

/// Whether a posting is active on `day`: started, and not past its last day.
pub fn active_on(p: &posting::Model, day: NaiveDate) -> bool {
    p.starts_on <= day && p.ends_on.is_none_or(|end| day <= end)
}

/// Postings active on `day`, as SQL.
pub fn active_condition(day: NaiveDate) -> Condition {
    Condition::all()
        .add(posting::Column::StartsOn.lte(day))
        .add(
            Condition::any()
                .add(posting::Column::EndsOn.is_null())
                .add(posting::Column::EndsOn.gte(day)),
        )
}

/// Postings the scope may read: those of an organization in it.
pub fn read_condition(scope: &Scope) -> Condition {
    scope.organization_condition(posting::Column::OrganizationId)
}

#[derive(Debug, Clone, Default)]
pub struct PostingFilter {
    pub organization_id: Option<Uuid>,
    pub include_sub_organizations: bool,
    pub active_on: Option<NaiveDate>,
    /// Postings to organizations flagged (or not) as key villages.
    pub key_village: Option<bool>,
    /// Postings to organizations flagged (or not) as remote.
    pub remote: Option<bool>,
}

#[derive(Debug, Clone)]
pub struct NewPosting {
    pub person_id: Uuid,
    pub organization_id: Uuid,
    pub starts_on: NaiveDate,
    /// The last day, when known from the start; open-ended otherwise.
    pub ends_on: Option<NaiveDate>,
    pub dispatched_by: Option<String>,
}

/// Postings the actor may read, filtered in SQL, earliest start first.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    filter: &PostingFilter,
    page: &PageRequest,
) -> AppResult<Page<posting::Model>> {
    let scope = actor.scope("first_secretary_assignment", "read")?;
    let mut cond = Condition::all().add(read_condition(&scope));
    if let Some(org) = filter.organization_id {
        let organizations = ids_of(
            db,
            "filter.organizationId",
            org,
            filter.include_sub_organizations,
        )
        .await?;
        cond = cond.add(posting::Column::OrganizationId.in_subquery(organizations));
    }
    if let Some(day) = filter.active_on {
        cond = cond.add(active_condition(day));
    }
    let mut flags = Condition::all();
    if let Some(key) = filter.key_village {
        flags = flags.add(organization::Column::KeyVillage.eq(key));
    }
    if let Some(remote) = filter.remote {
        flags = flags.add(organization::Column::Remote.eq(remote));
    }
    if filter.key_village.is_some() || filter.remote.is_some() {
        let flagged = organization::Entity::find()
            .select_only()
            .column(organization::Column::Id)
            .filter(flags)
            .into_query();
        cond = cond.add(posting::Column::OrganizationId.in_subquery(flagged));
    }
    fetch_page(db, posting::Entity::find().filter(cond), POSTING_KEYS, page).await
}

/// The postings among `ids` the actor may read; the others read as missing.
pub async fn readable(
    db: &impl ConnectionTrait,
    actor: &Actor,
    ids: &[Uuid],
) -> AppResult<Vec<posting::Model>> {
    let scope = actor.scope("first_secretary_assignment", "read")?;
    scoped::many::<posting::Entity>(db, ids, read_condition(&scope)).await
}

fn snapshot(p: &posting::Model) -> Json {
    json!({
        "personId": p.person_id, "organizationId": p.organization_id,
        "startsOn": p.starts_on, "endsOn": p.ends_on, "dispatchedBy": p.dispatched_by,
        "positionId": p.position_id, "version": p.version,
    })
}

/// On PostgreSQL, serializes writers posting the same person or to the same village, so that
/// the overlap check and the write are one atomic step; SQLite already has a single writer.
async fn lock_postings(db: &impl ConnectionTrait, person: Uuid, village: Uuid) -> AppResult<()> {
    let keys = vec![
        format!("first_secretary:person:{person}"),
        format!("first_secretary:village:{village}"),
    ];
    super::write::advisory_locks(db, keys).await
}

/// Postings of `column = id` whose dates meet `[starts_on, ends_on]` (open when `None`).
fn overlapping(
    column: posting::Column,
    id: Uuid,
    starts_on: NaiveDate,
    ends_on: Option<NaiveDate>,
    except: Option<Uuid>,
) -> sea_orm::Select<posting::Entity> {
    let mut select = posting::Entity::find().filter(column.eq(id)).filter(
        Condition::any()
            .add(posting::Column::EndsOn.is_null())
            .add(posting::Column::EndsOn.gte(starts_on)),
    );
    if let Some(end) = ends_on {
        select = select.filter(posting::Column::StartsOn.lte(end));
    }
    if let Some(except) = except {
        select = select.filter(posting::Column::Id.ne(except));
    }
    select.order_by_asc(posting::Column::StartsOn)
}

fn dates(p: &posting::Model) -> String {
    match p.ends_on {
        Some(end) => format!("{} to {end}", p.starts_on),
        None => format!("{} on, open-ended", p.starts_on),
    }
}

/// CONFLICT when another posting of the same person, or to the same village, meets the dates.
/// The other posting is named (its id, organization and dates) only when the actor may read it.
async fn require_no_overlap(
    db: &impl ConnectionTrait,
    read: &Scope,
    person_id: Uuid,
    organization_id: Uuid,
    starts_on: NaiveDate,
    ends_on: Option<NaiveDate>,
    except: Option<Uuid>,
) -> AppResult<()> {
    for (field, column, id) in [
        ("personId", posting::Column::PersonId, person_id),
        (
            "organizationId",
            posting::Column::OrganizationId,
            organization_id,
        ),
    ] {
        let Some(other) = overlapping(column, id, starts_on, ends_on, except)
            .one(db)
            .await?
        else {
            continue;
        };
        let visible = posting::Entity::find_by_id(other.id)
            .filter(read_condition(read))
            .count(db)
            .await?
            > 0;
        let message = match (field, visible) {
            ("personId", true) => {
                let org = super::organizations::get(db, other.organization_id).await?;
                format!(
                    "the person is already posted to {} for {}",
                    org.map(|o| o.name).unwrap_or_default(),
                    dates(&other)
                )
            }
            ("personId", false) => "the person already has a posting for these dates".to_owned(),
            (_, true) => format!(
                "the organization already has a first secretary for {}",
                dates(&other)
            ),
            (_, false) => "the organization already has a first secretary for these dates".into(),
        };
        return Err(AppError::Conflict {
            message,
            details: ConflictDetails::Posting {
                field: field.to_owned(),
                assignment_id: visible.then_some(other.id),
            },
        });
    }
    Ok(())
}

/// Posts a person as first secretary to a village or community: administrators and secretaries
/// of the organization's subtree. Gives the person the FIRST_SECRETARY position for the dates.
pub async fn assign<C>(
    db: &C,
    actor: &Actor,
    clock: &Clock,
    input: NewPosting,
) -> AppResult<posting::Model>
where
    C: ConnectionTrait + TransactionTrait,
{
    let read = actor.scope("first_secretary_assignment", "read")?;
    let manage = actor.scope("first_secretary_assignment", "manage")?;
    let people = actor.scope("person", "read")?;
    let dispatched_by = OptionalText::parse(
        "dispatchedBy",
        input.dispatched_by.as_deref(),
        DISPATCHED_BY_MAX_CHARS,
    )?
    .into_inner();
    if input.ends_on.is_some_and(|end| end < input.starts_on) {
        return Err(AppError::bad_input(
            "endsOn",
            "endsOn must not be before startsOn",
        ));
    }
    let w = Write::begin(db, actor).await?;
    let organization =
        require_managed_reference(&w, "organizationId", input.organization_id, &manage).await?;
    if !matches!(
        organization.unit_type,
        UnitType::Village | UnitType::Community
    ) {
        return Err(AppError::bad_input(
            "organizationId",
            "a first secretary is posted to a village or community organization",
        ));
    }
    let person_visible = person::Entity::find_by_id(input.person_id)
        .filter(people.organization_condition(person::Column::OrganizationId))
        .count(&w)
        .await?;
    if person_visible == 0 {
        return Err(AppError::bad_input("personId", "personId names no person"));
    }
    lock_postings(&w, input.person_id, organization.id).await?;
    require_no_overlap(
        &w,
        &read,
        input.person_id,
        organization.id,
        input.starts_on,
        input.ends_on,
        None,
    )
    .await?;
    let position = person_position::ActiveModel {
        id: Set(super::new_id()),
        person_id: Set(input.person_id),
        position: Set(Position::FirstSecretary),
        started_on: Set(input.starts_on),
        ended_on: Set(input.ends_on),
    }
    .insert(&w)
    .await?;
    let now = clock.now();
    let created = posting::ActiveModel {
        id: Set(super::new_id()),
        person_id: Set(input.person_id),
        organization_id: Set(organization.id),
        starts_on: Set(input.starts_on),
        ends_on: Set(input.ends_on),
        dispatched_by: Set(dispatched_by),
        position_id: Set(Some(position.id)),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&w)
    .await?;
    w.audit(
        Change::of(
            "assignFirstSecretary",
            "FirstSecretaryAssignment",
            created.id,
        )
        .after(snapshot(&created)),
    )
    .await?;
    w.commit().await?;
    Ok(created)
}

/// Sets a posting's last day (and its position's): administrators and secretaries of the
/// village's subtree. A posting whose last day has passed is ended: ending it again is
/// INVALID_TRANSITION from ENDED. A later last day than the one set is checked for overlaps like
/// a new posting.
pub async fn end<C>(
    db: &C,
    actor: &Actor,
    clock: &Clock,
    id: Uuid,
    ends_on: NaiveDate,
    expected_version: Option<i32>,
) -> AppResult<posting::Model>
where
    C: ConnectionTrait + TransactionTrait,
{
    let read = actor.scope("first_secretary_assignment", "read")?;
    let manage = actor.scope("first_secretary_assignment", "manage")?;
    let today = clock.today();
    let w = Write::begin(db, actor).await?;
    let before = scoped::fetch_for::<posting::Entity>(
        &w,
        id,
        read_condition(&read),
        read_condition(&manage),
        "first secretary assignment",
    )
    .await?;
    if let Some(expected) = expected_version
        && expected != before.version
    {
        return Err(stale(expected, before.version));
    }
    if before.ends_on.is_some_and(|end| end < today) {
        return Err(AppError::InvalidTransition {
            from: "ENDED".into(),
            to: "ENDED".into(),
        });
    }
    if ends_on < before.starts_on {
        return Err(AppError::bad_input(
            "endsOn",
            format!("endsOn must not be before startsOn {}", before.starts_on),
        ));
    }
    lock_postings(&w, before.person_id, before.organization_id).await?;
    if before.ends_on.is_some_and(|end| end < ends_on) {
        require_no_overlap(
            &w,
            &read,
            before.person_id,
            before.organization_id,
            before.starts_on,
            Some(ends_on),
            Some(before.id),
        )
        .await?;
    }
    let now = clock.now();
    let update = posting::Entity::update_many()
        .set(posting::ActiveModel {
            ends_on: Set(Some(ends_on)),
            version: Set(before.version + 1),
            updated_at: Set(now),
            ..Default::default()
        })
        .filter(posting::Column::Id.eq(before.id))
        .filter(posting::Column::Version.eq(before.version));
    let Some(after) = scoped::update_returning(&w, update).await? else {
        return Err(stale(before.version, before.version + 1));
    };
    if let Some(position) = before.position_id {
        // The position may have been replaced since by `updatePerson`; then there is none to end.
        person_position::Entity::update_many()
            .set(person_position::ActiveModel {
                ended_on: Set(Some(ends_on)),
                ..Default::default()
            })
            .filter(person_position::Column::Id.eq(position))
            .exec(&w)
            .await?;
    }
    w.audit(
        Change::of(
            "endFirstSecretaryAssignment",
            "FirstSecretaryAssignment",
            before.id,
        )
        .before(snapshot(&before))
        .after(snapshot(&after)),
    )
    .await?;
    w.commit().await?;
    Ok(after)
}

fn stale(expected: i32, current: i32) -> AppError {
    AppError::Conflict {
        message: format!(
            "the assignment changed since version {expected}; it is now at version {current}"
        ),
        details: ConflictDetails::StaleVersion {
            field: "expectedVersion".into(),
            current_version: current,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn posting(starts: &str, ends: Option<&str>) -> posting::Model {
        posting::Model {
            id: Uuid::nil(),
            person_id: Uuid::nil(),
            organization_id: Uuid::nil(),
            starts_on: d(starts),
            ends_on: ends.map(d),
            dispatched_by: None,
            position_id: None,
            version: 1,
            created_at: chrono::DateTime::UNIX_EPOCH,
            updated_at: chrono::DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn a_posting_is_active_from_its_first_to_its_last_day_both_included() {
        let p = posting("2026-04-01", Some("2026-06-30"));
        assert!(!active_on(&p, d("2026-03-31")));
        assert!(active_on(&p, d("2026-04-01")));
        assert!(active_on(&p, d("2026-06-30")));
        assert!(!active_on(&p, d("2026-07-01")));
        let open = posting("2026-04-01", None);
        assert!(active_on(&open, d("2099-01-01")));
    }
}
