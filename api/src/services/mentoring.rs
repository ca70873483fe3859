//! Mentoring pairings (传帮带, DESIGN 3.3): a mentor (a first secretary or a secretary) and a
//! village cadre, their sessions, and the neglect rule, filtered and counted in SQL.
//!
//! Who may do what (policy.csv, `own` rules through `Actor::own_person`): a pairing is read by
//! grants whose scope covers its organization (secretaries of the subtree, committee staff and
//! supervisors of a group's current members) and by its own mentor and mentee; it is managed
//! (sessions, ending) only by its mentor, and by administrators.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate};
use entities::{
    enums::{PairingStatus, Position},
    mentor_pairing, mentoring_session, organization, person, person_position,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult,
    QueryFilter, QuerySelect, QueryTrait, Set, TransactionTrait,
    sea_query::{Alias, Expr, ExprTrait},
};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use super::{
    Actor, Change, Principal, Write,
    organizations::ids_of,
    pagination::{Page, PageNeeds, PageRequest, fetch_page_ordered, fetch_pages_needing},
    scoped,
    values::{Name, OptionalText},
};
use crate::{
    authz::Scope,
    clock::Clock,
    error::{AppError, AppResult},
};

pub const GOALS_MAX_CHARS: usize = 2000;
pub const OUTCOME_MAX_CHARS: usize = 2000;
pub const TOPIC_MAX_CHARS: usize = 200;
pub const NOTES_MAX_CHARS: usize = 5000;
pub const MIN_SESSION_MINUTES: i32 = 1;
pub const MAX_SESSION_MINUTES: i32 = 600;

/// A pairing without a session for this many days while ACTIVE is neglected.
pub const NEGLECT_DAYS: i64 = 30;

/// Positions a mentor holds.
pub const MENTOR_POSITIONS: [Position; 2] = [Position::FirstSecretary, Position::Secretary];

/// Positions of the village cadres a mentor is paired with.
pub const CADRE_POSITIONS: [Position; 4] = [
    Position::Cadre,
    Position::CommitteeMember,
    Position::DeputySecretary,
    Position::GridWorker,
];

/// Pairings newest start first.
pub const PAIRING_KEYS: &[mentor_pairing::Column] =
    &[mentor_pairing::Column::StartsOn, mentor_pairing::Column::Id];

/// Sessions newest first (read descending).
pub const SESSION_KEYS: &[mentoring_session::Column] = &[
    mentoring_session::Column::HeldOn,
    mentoring_session::Column::Id,
];

/// The name the audit trail and INVALID_TRANSITION give a status.
pub fn status_name(status: PairingStatus) -> &'static str {
    match status {
        PairingStatus::Active => "ACTIVE",
        PairingStatus::Completed => "COMPLETED",
        PairingStatus::Ended => "ENDED",
    }
}

/// What a refused session log names as its target state: logging is no status change, so an
/// INVALID_TRANSITION of a finished pairing goes from its status to this.
pub const SESSION_LOGGED: &str = "SESSION_LOGGED";

// ---- Who may see and do what -----------------------------------------------------------------

/// Pairings the actor may read: those of organizations its read scope covers, and its own as
/// mentor or mentee (when an `own` rule lets it read them).
pub fn read_condition(actor: &Actor) -> AppResult<Condition> {
    Ok(pairing_condition(
        &actor.scope("mentor_pairing", "read")?,
        actor.own_person("mentor_pairing", "read")?,
    ))
}

/// Pairings of the organizations `scope` covers, and those `own` (a person) mentors or is
/// mentored in: the read condition, for callers holding a viewer rather than an actor.
pub fn pairing_condition(scope: &Scope, own: Option<Uuid>) -> Condition {
    let mut any =
        Condition::any().add(scope.organization_condition(mentor_pairing::Column::OrganizationId));
    if let Some(person) = own {
        any = any
            .add(mentor_pairing::Column::MentorId.eq(person))
            .add(mentor_pairing::Column::MenteeId.eq(person));
    }
    any
}

/// People who are the mentor or the mentee of a pairing within `pairings`: whoever may read a
/// pairing may read who is in it (their personal data masked as anywhere else).
pub fn people_of_pairings(pairings: Condition) -> Condition {
    let of = |column: mentor_pairing::Column| {
        mentor_pairing::Entity::find()
            .select_only()
            .column(column)
            .filter(pairings.clone())
            .into_query()
    };
    Condition::any()
        .add(person::Column::Id.in_subquery(of(mentor_pairing::Column::MentorId)))
        .add(person::Column::Id.in_subquery(of(mentor_pairing::Column::MenteeId)))
}

/// Pairings the actor may manage (log sessions, end): its own as mentor; everything for
/// administrators.
pub fn manage_condition(actor: &Actor) -> AppResult<Condition> {
    let scope = actor.scope("mentor_pairing", "manage")?;
    let mut any =
        Condition::any().add(scope.organization_condition(mentor_pairing::Column::OrganizationId));
    if let Some(person) = actor.own_person("mentor_pairing", "manage")? {
        any = any.add(mentor_pairing::Column::MentorId.eq(person));
    }
    Ok(any)
}

/// Sessions of the pairings the actor may read.
pub fn session_read_condition(actor: &Actor) -> AppResult<Condition> {
    let readable = mentor_pairing::Entity::find()
        .select_only()
        .column(mentor_pairing::Column::Id)
        .filter(read_condition(actor)?)
        .into_query();
    Ok(Condition::all().add(mentoring_session::Column::PairingId.in_subquery(readable)))
}

/// The organizations where the actor's `own` rule lets it create pairings it mentors.
fn own_create_scope(actor: &Actor) -> Scope {
    match &actor.principal {
        Principal::User(viewer) => viewer.own_scope("mentor_pairing", "create"),
        Principal::System | Principal::Anonymous => Scope::default(),
    }
}

// ---- Neglect ---------------------------------------------------------------------------------

/// ACTIVE pairings without a session since `today - days` (counting from the start date when
/// there was none): the last session (or start) on or before that day.
pub fn neglected_condition(today: NaiveDate, days: i64) -> Condition {
    use mentor_pairing::Column as C;
    let threshold = today - Duration::days(days);
    Condition::all()
        .add(C::Status.eq(PairingStatus::Active))
        .add(
            Condition::any()
                .add(
                    Condition::all()
                        .add(C::LastSessionOn.is_null())
                        .add(C::StartsOn.lte(threshold)),
                )
                .add(C::LastSessionOn.lte(threshold)),
        )
}

/// The same rule as `neglected_condition`, on one row: ACTIVE and no session for `days` days.
pub fn is_neglected(pairing: &mentor_pairing::Model, today: NaiveDate, days: i64) -> bool {
    let since = pairing.last_session_on.unwrap_or(pairing.starts_on);
    pairing.status == PairingStatus::Active && since <= today - Duration::days(days)
}

// ---- Reading ---------------------------------------------------------------------------------

#[derive(Debug, Clone, Default)]
pub struct PairingFilter {
    pub mentor_id: Option<Uuid>,
    pub mentee_id: Option<Uuid>,
    pub organization_id: Option<Uuid>,
    pub include_sub_organizations: bool,
    pub statuses: Vec<PairingStatus>,
    /// ACTIVE pairings without a session for at least this many days.
    pub neglected_for_days: Option<i32>,
}

/// Longest neglect a filter may ask about: ten years.
const MAX_NEGLECT_DAYS: i32 = 3660;

async fn filter_condition(
    db: &impl ConnectionTrait,
    filter: &PairingFilter,
    today: NaiveDate,
) -> AppResult<Condition> {
    use mentor_pairing::Column as C;
    let mut cond = Condition::all();
    if let Some(mentor) = filter.mentor_id {
        cond = cond.add(C::MentorId.eq(mentor));
    }
    if let Some(mentee) = filter.mentee_id {
        cond = cond.add(C::MenteeId.eq(mentee));
    }
    if let Some(org) = filter.organization_id {
        let organizations = ids_of(
            db,
            "filter.organizationId",
            org,
            filter.include_sub_organizations,
        )
        .await?;
        cond = cond.add(C::OrganizationId.in_subquery(organizations));
    }
    if !filter.statuses.is_empty() {
        cond = cond.add(C::Status.is_in(filter.statuses.clone()));
    }
    if let Some(days) = filter.neglected_for_days {
        if !(0..=MAX_NEGLECT_DAYS).contains(&days) {
            return Err(AppError::bad_input(
                "filter.neglectedForDays",
                format!("neglectedForDays must be between 0 and {MAX_NEGLECT_DAYS}"),
            ));
        }
        cond = cond.add(neglected_condition(today, i64::from(days)));
    }
    Ok(cond)
}

/// Pairings the actor may read, filtered, newest start first.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    filter: &PairingFilter,
    page: &PageRequest,
    today: NaiveDate,
) -> AppResult<Page<mentor_pairing::Model>> {
    let cond = Condition::all()
        .add(read_condition(actor)?)
        .add(filter_condition(db, filter, today).await?);
    fetch_page_ordered(
        db,
        mentor_pairing::Entity::find().filter(cond),
        PAIRING_KEYS,
        true,
        page,
    )
    .await
}

/// The pairings among `ids` the actor may read; the others read as missing.
pub async fn readable(
    db: &impl ConnectionTrait,
    actor: &Actor,
    ids: &[Uuid],
) -> AppResult<Vec<mentor_pairing::Model>> {
    scoped::many::<mentor_pairing::Entity>(db, ids, read_condition(actor)?).await
}

/// The sessions among `ids` whose pairing the actor may read.
pub async fn readable_sessions(
    db: &impl ConnectionTrait,
    actor: &Actor,
    ids: &[Uuid],
) -> AppResult<Vec<mentoring_session::Model>> {
    scoped::many::<mentoring_session::Entity>(db, ids, session_read_condition(actor)?).await
}

/// One page of sessions for each pairing (pairings already read through the scope), newest
/// first, in one statement whatever the number of pairings. The per-parent pages run ascending,
/// so the page is asked for the other way round (`first`/`after` as `last`/`before`: a cursor
/// holds the same keys in either direction) and turned back.
pub async fn sessions_of_pairings(
    db: &impl ConnectionTrait,
    pairing_ids: &[Uuid],
    page: &PageRequest,
    needs: PageNeeds,
) -> AppResult<HashMap<Uuid, Page<mentoring_session::Model>>> {
    let ascending = PageRequest {
        limit: page.limit,
        backward: !page.backward,
        after: page.before.clone(),
        before: page.after.clone(),
        with_total: page.with_total,
        count_up_to: page.count_up_to,
        without_cursors: page.without_cursors,
        without_more: page.without_more,
    };
    let pages = fetch_pages_needing(
        db,
        mentoring_session::Entity::find(),
        mentoring_session::Column::PairingId,
        pairing_ids,
        SESSION_KEYS,
        &ascending,
        needs,
    )
    .await?;
    Ok(pages
        .into_iter()
        .map(|(id, mut p)| {
            p.rows.reverse();
            let page = Page {
                rows: p.rows,
                has_previous: p.has_next,
                has_next: p.has_previous,
                total: p.total,
            };
            (id, page)
        })
        .collect())
}

// ---- Writing ---------------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct NewPairing {
    pub mentor_id: Uuid,
    pub mentee_id: Uuid,
    /// The mentee's organization when not given.
    pub organization_id: Option<Uuid>,
    pub goals: String,
    pub starts_on: NaiveDate,
}

#[derive(Debug, Clone)]
pub struct NewSession {
    pub pairing_id: Uuid,
    pub held_on: NaiveDate,
    pub topic: String,
    pub notes: Option<String>,
    pub duration_minutes: i32,
}

#[derive(Debug, Clone)]
pub struct Ending {
    pub id: Uuid,
    pub status: PairingStatus,
    pub outcome: String,
    /// Today when not given.
    pub ended_on: Option<NaiveDate>,
}

/// Free text (several lines allowed) that must not be empty.
fn required_text(field: &str, raw: &str, max_chars: usize) -> AppResult<String> {
    OptionalText::parse(field, Some(raw), max_chars)?
        .into_inner()
        .ok_or_else(|| AppError::bad_input(field, format!("{field} must not be empty")))
}

fn snapshot(p: &mentor_pairing::Model) -> Json {
    json!({
        "mentorId": p.mentor_id, "menteeId": p.mentee_id, "organizationId": p.organization_id,
        "goals": p.goals, "startsOn": p.starts_on, "status": status_name(p.status),
        "endedOn": p.ended_on, "outcome": p.outcome, "lastSessionOn": p.last_session_on,
        "version": p.version,
    })
}

fn session_snapshot(s: &mentoring_session::Model) -> Json {
    json!({
        "pairingId": s.pairing_id, "heldOn": s.held_on, "topic": s.topic, "notes": s.notes,
        "durationMinutes": s.duration_minutes,
    })
}

/// `1` when the person of the row read holds one of `positions` over the whole span from `from`
/// to `to` (started on or before `from`, not ended before `to`), else `0`: a column of the
/// statement that reads the people named.
fn holds_position(positions: &[Position], from: NaiveDate, to: NaiveDate) -> Expr {
    use person_position::Column as C;
    let held = person_position::Entity::find()
        .select_only()
        .column(C::Id)
        .filter(
            Expr::col((person_position::Entity, C::PersonId))
                .equals((person::Entity, person::Column::Id)),
        )
        .filter(C::Position.is_in(positions.iter().copied()))
        .filter(C::StartedOn.lte(from))
        .filter(
            Condition::any()
                .add(C::EndedOn.is_null())
                .add(C::EndedOn.gte(to)),
        )
        .into_query();
    Expr::case(Expr::exists(held), Expr::val(1))
        .finally(Expr::val(0))
        .into()
}

/// The columns `named_people` selects the position checks into; no table has columns of these
/// names.
const HOLDS_MENTOR_POSITION: &str = "lianjian_holds_mentor_position";
const HOLDS_CADRE_POSITION: &str = "lianjian_holds_cadre_position";

/// A person named by a new pairing, with whether they hold a mentor's and a cadre's position
/// over the span the pairing has run.
struct Named {
    person: person::Model,
    mentor_position: bool,
    cadre_position: bool,
}

/// The people among `ids` (the mentor and the mentee), each with their position checks from
/// `from` to `to`: one statement.
async fn named_people(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<Vec<Named>> {
    let mut query = person::Entity::find()
        .filter(super::one_of(db, person::Column::Id, ids.iter().copied()))
        .into_query();
    query
        .expr_as(
            holds_position(&MENTOR_POSITIONS, from, to),
            Alias::new(HOLDS_MENTOR_POSITION),
        )
        .expr_as(
            holds_position(&CADRE_POSITIONS, from, to),
            Alias::new(HOLDS_CADRE_POSITION),
        );
    let mut people = Vec::new();
    for row in db.query_all(&query).await? {
        people.push(Named {
            person: person::Model::from_query_result(&row, "")?,
            mentor_position: row.try_get::<i32>("", HOLDS_MENTOR_POSITION)? == 1,
            cadre_position: row.try_get::<i32>("", HOLDS_CADRE_POSITION)? == 1,
        });
    }
    Ok(people)
}

fn person_named<'a>(people: &'a [Named], id: Uuid, field: &str) -> AppResult<&'a Named> {
    people
        .iter()
        .find(|named| named.person.id == id)
        .ok_or_else(|| AppError::bad_input(field, format!("{field} names no person")))
}

/// Maps the partial unique index's violation (a concurrent second ACTIVE pairing) to the
/// CONFLICT the check before the insert gives.
fn active_pairing_exists() -> AppError {
    AppError::taken(
        "menteeId",
        "this mentor and mentee already have an active pairing",
    )
}

/// Pairs a mentor with a village cadre. The mentor must hold FIRST_SECRETARY or SECRETARY, and
/// the mentee a cadre position, from `startsOn` to today (the positions are checked over the
/// span the pairing has already run, so a backdated pairing needs them on its start date).
/// Secretaries create pairings of their subtree, first secretaries those they mentor in their
/// village.
pub async fn create<C>(
    db: &C,
    actor: &Actor,
    clock: &Clock,
    input: NewPairing,
) -> AppResult<mentor_pairing::Model>
where
    C: TransactionTrait,
{
    let create_scope = actor.scope("mentor_pairing", "create")?;
    let own_person = actor.own_person("mentor_pairing", "create")?;
    let goals = required_text("goals", &input.goals, GOALS_MAX_CHARS)?;
    let today = clock.today();
    let now = clock.now();
    if input.starts_on > today {
        return Err(AppError::bad_input(
            "startsOn",
            format!("startsOn must not be after today ({today})"),
        ));
    }

    let w = Write::begin(db, actor).await?;
    // Both people with their positions in one statement, then the pairing's organization and
    // the mentee's with the permission in one more; the refusals come in the order they always
    // did.
    let people = named_people(
        &w,
        &[input.mentor_id, input.mentee_id],
        input.starts_on,
        today,
    )
    .await?;
    let mentor = person_named(&people, input.mentor_id, "mentorId")?;
    let mentee = person_named(&people, input.mentee_id, "menteeId")?;
    let organization_id = input
        .organization_id
        .unwrap_or(mentee.person.organization_id);

    // May the actor create it: a create grant over the organization, or its own pairing as the
    // mentor in the organizations its own rule covers.
    let mut allowed =
        Condition::any().add(create_scope.organization_condition(organization::Column::Id));
    if own_person == Some(mentor.person.id) {
        allowed =
            allowed.add(own_create_scope(actor).organization_condition(organization::Column::Id));
    }
    let organizations = scoped::many_allowed::<organization::Entity>(
        &w,
        &[organization_id, mentee.person.organization_id],
        allowed,
    )
    .await?;
    let of = |id: Uuid| organizations.iter().find(|(o, _)| o.id == id);
    let Some((organization, may_create)) = of(organization_id) else {
        return Err(AppError::bad_input(
            "organizationId",
            "organizationId names no organization",
        ));
    };
    if !*may_create {
        return Err(AppError::Forbidden);
    }

    if mentor.person.id == mentee.person.id {
        return Err(AppError::bad_input(
            "menteeId",
            "the mentee must be someone other than the mentor",
        ));
    }
    if !mentor.mentor_position {
        return Err(AppError::bad_input(
            "mentorId",
            "the mentor must hold a FIRST_SECRETARY or SECRETARY position from startsOn on",
        ));
    }
    if !mentee.cadre_position {
        return Err(AppError::bad_input(
            "menteeId",
            "the mentee must hold a CADRE, COMMITTEE_MEMBER, DEPUTY_SECRETARY or GRID_WORKER \
             position from startsOn on",
        ));
    }
    // The mentee's organization is the pairing's or lies below it (paths are prefixes, as in
    // `Scope::covers_organization`).
    let in_organization = of(mentee.person.organization_id)
        .is_some_and(|(o, _)| o.path.starts_with(organization.path.as_str()));
    if !in_organization {
        return Err(AppError::bad_input(
            "menteeId",
            "the mentee must belong to the pairing's organization or one below it",
        ));
    }
    let (mentor, mentee) = (&mentor.person, &mentee.person);
    w.require_unique(
        mentor_pairing::Entity::find()
            .filter(mentor_pairing::Column::MentorId.eq(mentor.id))
            .filter(mentor_pairing::Column::MenteeId.eq(mentee.id))
            .filter(mentor_pairing::Column::Status.eq(PairingStatus::Active)),
        "menteeId",
        || "this mentor and mentee already have an active pairing".to_owned(),
    )
    .await?;

    let pairing = mentor_pairing::ActiveModel {
        id: Set(super::new_id()),
        mentor_id: Set(mentor.id),
        mentee_id: Set(mentee.id),
        organization_id: Set(organization.id),
        goals: Set(goals),
        starts_on: Set(input.starts_on),
        status: Set(PairingStatus::Active),
        ended_on: Set(None),
        outcome: Set(None),
        last_session_on: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&w)
    .await
    .map_err(|e| match AppError::from(e) {
        AppError::Conflict { .. } => active_pairing_exists(),
        other => other,
    })?;
    w.audit(
        Change::of("createMentorPairing", "MentorPairing", pairing.id).after(snapshot(&pairing)),
    )
    .await?;
    w.commit().await?;
    Ok(pairing)
}

/// The pairing for a change by its mentor (or an administrator): NOT_FOUND when the actor may
/// not read it, FORBIDDEN when it may read it but not manage it.
async fn require_managed(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> AppResult<mentor_pairing::Model> {
    scoped::fetch_for::<mentor_pairing::Entity>(
        db,
        id,
        read_condition(actor)?,
        manage_condition(actor)?,
        "mentor pairing",
    )
    .await
}

/// Writes the changed pairing with a raised version, guarded by the version it was read at.
async fn save(
    db: &impl ConnectionTrait,
    before: &mentor_pairing::Model,
    mut model: mentor_pairing::ActiveModel,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<mentor_pairing::Model> {
    model.version = Set(before.version + 1);
    model.updated_at = Set(now);
    let update = mentor_pairing::Entity::update_many()
        .set(model)
        .filter(mentor_pairing::Column::Id.eq(before.id))
        .filter(mentor_pairing::Column::Version.eq(before.version));
    scoped::update_returning(db, update).await?.ok_or_else(|| {
        AppError::conflict("the pairing changed while this change was being made; try again")
    })
}

/// Logs a session of an ACTIVE pairing, held between its start and today, and moves the
/// pairing's `lastSessionOn` forward in the same transaction. The mentor (or an administrator).
pub async fn log_session<C>(
    db: &C,
    actor: &Actor,
    clock: &Clock,
    input: NewSession,
) -> AppResult<(mentoring_session::Model, mentor_pairing::Model)>
where
    C: TransactionTrait,
{
    let read = read_condition(actor)?;
    let manage = manage_condition(actor)?;
    let today = clock.today();
    let now = clock.now();
    let w = Write::begin(db, actor).await?;
    let pairing = scoped::fetch_for::<mentor_pairing::Entity>(
        &w,
        input.pairing_id,
        read,
        manage,
        "mentor pairing",
    )
    .await?;
    if pairing.status != PairingStatus::Active {
        return Err(AppError::InvalidTransition {
            from: status_name(pairing.status).to_owned(),
            to: SESSION_LOGGED.to_owned(),
        });
    }
    let topic = Name::parse("topic", &input.topic, TOPIC_MAX_CHARS)?.into_inner();
    let notes = OptionalText::parse("notes", input.notes.as_deref(), NOTES_MAX_CHARS)?.into_inner();
    if input.held_on > today {
        return Err(AppError::bad_input(
            "heldOn",
            format!("heldOn must not be after today ({today})"),
        ));
    }
    if input.held_on < pairing.starts_on {
        return Err(AppError::bad_input(
            "heldOn",
            format!(
                "heldOn must not be before the pairing started ({})",
                pairing.starts_on
            ),
        ));
    }
    if !(MIN_SESSION_MINUTES..=MAX_SESSION_MINUTES).contains(&input.duration_minutes) {
        return Err(AppError::bad_input(
            "durationMinutes",
            format!(
                "durationMinutes must be between {MIN_SESSION_MINUTES} and {MAX_SESSION_MINUTES}"
            ),
        ));
    }
    let session = mentoring_session::ActiveModel {
        id: Set(super::new_id()),
        pairing_id: Set(pairing.id),
        held_on: Set(input.held_on),
        topic: Set(topic),
        notes: Set(notes),
        duration_minutes: Set(input.duration_minutes),
        recorded_by: Set(actor.user_id),
        created_at: Set(now),
    }
    .insert(&w)
    .await?;
    let last = pairing
        .last_session_on
        .map_or(input.held_on, |d| std::cmp::max(d, input.held_on));
    let after = save(
        &w,
        &pairing,
        mentor_pairing::ActiveModel {
            last_session_on: Set(Some(last)),
            ..Default::default()
        },
        now,
    )
    .await?;
    let mut audit_after = session_snapshot(&session);
    audit_after["lastSessionOn"] = json!(after.last_session_on);
    w.audit(Change::of("logMentoringSession", "MentoringSession", session.id).after(audit_after))
        .await?;
    w.commit().await?;
    Ok((session, after))
}

/// ACTIVE -> COMPLETED or ENDED, with an outcome, on a day between the start and today. The
/// mentor (or an administrator).
pub async fn end<C>(
    db: &C,
    actor: &Actor,
    clock: &Clock,
    input: Ending,
) -> AppResult<mentor_pairing::Model>
where
    C: TransactionTrait,
{
    let today = clock.today();
    let now = clock.now();
    let w = Write::begin(db, actor).await?;
    let pairing = require_managed(&w, actor, input.id).await?;
    if input.status == PairingStatus::Active {
        return Err(AppError::bad_input(
            "status",
            "a pairing ends as COMPLETED or ENDED",
        ));
    }
    if pairing.status != PairingStatus::Active {
        return Err(AppError::InvalidTransition {
            from: status_name(pairing.status).to_owned(),
            to: status_name(input.status).to_owned(),
        });
    }
    let outcome = required_text("outcome", &input.outcome, OUTCOME_MAX_CHARS)?;
    let ended_on = input.ended_on.unwrap_or(today);
    if ended_on > today {
        return Err(AppError::bad_input(
            "endedOn",
            format!("endedOn must not be after today ({today})"),
        ));
    }
    if ended_on < pairing.starts_on {
        return Err(AppError::bad_input(
            "endedOn",
            format!(
                "endedOn must not be before the pairing started ({})",
                pairing.starts_on
            ),
        ));
    }
    let after = save(
        &w,
        &pairing,
        mentor_pairing::ActiveModel {
            status: Set(input.status),
            outcome: Set(Some(outcome)),
            ended_on: Set(Some(ended_on)),
            ..Default::default()
        },
        now,
    )
    .await?;
    w.audit(
        Change::of("endMentorPairing", "MentorPairing", pairing.id)
            .before(snapshot(&pairing))
            .after(snapshot(&after)),
    )
    .await?;
    w.commit().await?;
    Ok(after)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn pairing(
        starts_on: &str,
        last: Option<&str>,
        status: PairingStatus,
    ) -> mentor_pairing::Model {
        mentor_pairing::Model {
            id: Uuid::nil(),
            mentor_id: Uuid::nil(),
            mentee_id: Uuid::nil(),
            organization_id: Uuid::nil(),
            goals: "g".into(),
            starts_on: day(starts_on),
            status,
            ended_on: None,
            outcome: None,
            last_session_on: last.map(day),
            version: 1,
            created_at: chrono::DateTime::default(),
            updated_at: chrono::DateTime::default(),
        }
    }

    #[test]
    fn neglect_starts_on_the_thirtieth_day() {
        let today = day("2026-06-30");
        // 29 days since the last session: not yet; 30: neglected.
        let recent = pairing("2026-01-01", Some("2026-06-01"), PairingStatus::Active);
        let old = pairing("2026-01-01", Some("2026-05-31"), PairingStatus::Active);
        assert!(!is_neglected(&recent, today, NEGLECT_DAYS));
        assert!(is_neglected(&old, today, NEGLECT_DAYS));
        // Without a session, counted from the start.
        assert!(!is_neglected(
            &pairing("2026-06-01", None, PairingStatus::Active),
            today,
            30
        ));
        assert!(is_neglected(
            &pairing("2026-05-31", None, PairingStatus::Active),
            today,
            30
        ));
        // Finished pairings are never neglected.
        assert!(!is_neglected(
            &pairing("2026-01-01", None, PairingStatus::Completed),
            today,
            30
        ));
    }
}
