//! A linkage group's figures over a period (DESIGN 3.2 `statistics`): its supervision ledger and
//! its joint activities, read in a handful of statements whatever the size of the group, every
//! rate with its numerator, denominator and as-of date.
//!
//! Dates are calendar dates in the deployment's time zone; figures "now" are as of today.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use entities::{
    activity_participant,
    enums::{
        ActivityKind, ActivityStatus, AppealCategory, AppealStatus, Satisfaction,
        SupervisionEventKind, SupervisionStatus,
    },
    joint_activity, linkage_group, organization, resident_appeal, supervision_assignment,
    supervision_event, supervision_item,
};
use sea_orm::{
    ActiveEnum, ColumnTrait, Condition, ConnectionTrait, EntityTrait, JoinType, QueryFilter,
    QuerySelect, QueryTrait, RelationDef, Select,
    sea_query::{Expr, Func},
};
use uuid::Uuid;

use super::{Actor, supervision::rules, workdays::WorkCalendar};
use crate::{
    clock::Clock,
    error::{AppError, AppResult},
};

/// The longest period one request may cover, in days (both ends included): ten years and a bit.
pub const MAX_RANGE_DAYS: i64 = 3660;

/// A share, with what it is a share of and when it was true.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub numerator: i32,
    pub denominator: i32,
    pub as_of: NaiveDate,
}

impl Rate {
    /// `numerator / denominator`; `None` for 0/0.
    pub fn value(&self) -> Option<f64> {
        (self.denominator != 0).then(|| f64::from(self.numerator) / f64::from(self.denominator))
    }
}

/// The figures of one organization responsible for items of the group.
#[derive(Debug, Clone, PartialEq)]
pub struct OrganizationFigures {
    pub organization_id: Uuid,
    /// Items it leads, opened in the period.
    pub lead: i32,
    /// Items it co-owns, opened in the period.
    pub co_responsible: i32,
    /// Items it leads, closed in the period.
    pub closed: i32,
    /// Of those, closed on time.
    pub closed_on_time: i32,
    /// Items it leads that are overdue today.
    pub overdue_now: i32,
    pub on_time_rate: Rate,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SupervisionFigures {
    /// Items opened in the period.
    pub opened: i32,
    /// Items closed (and still closed) with a closing date in the period.
    pub closed: i32,
    pub closed_on_time: i32,
    pub closed_late: i32,
    /// Items overdue today, whenever they were opened.
    pub overdue_now: i32,
    /// Items whose deadline was extended on a day of the period.
    pub extended: i32,
    /// Closed on time / closed, within the period.
    pub on_time_rate: Rate,
    /// Mean working days from opening to closing of the items closed in the period.
    pub average_working_days_to_close: Option<f64>,
    /// By organization name, then id; organizations with nothing to count are left out.
    pub by_organization: Vec<OrganizationFigures>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityFigures {
    /// Activities starting in the period that were completed.
    pub held: i32,
    /// Activities starting in the period that were cancelled.
    pub cancelled: i32,
    /// Held activities per kind, by kind name; kinds with none left out.
    pub by_kind: Vec<(ActivityKind, i32)>,
    /// Held activities each organization took part in (any role), most first, then by name.
    pub participation: Vec<(Uuid, i32)>,
}

/// Mentoring pairings (传帮带) and first-secretary coverage of the group's organizations (its
/// current members and everything below them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MentoringFigures {
    /// Pairings ACTIVE now.
    pub active_pairings: i32,
    /// Sessions held in the period.
    pub sessions: i32,
    /// ACTIVE pairings without a session (or start) in the last 30 days.
    pub neglected_pairings: i32,
    /// Key villages (not archived) with a first-secretary posting active today / key villages.
    pub key_village_coverage: Rate,
    /// Remote villages (not archived) with a first-secretary posting active today / remote ones.
    pub remote_village_coverage: Rate,
}

/// Residents' appeals (民情诉求) of the group's villages (its current members and everything below
/// them) received in the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppealFigures {
    /// Received in the period.
    pub collected: i32,
    /// Of those, RESOLVED now.
    pub resolved: i32,
    /// Of those, REJECTED now.
    pub rejected: i32,
    /// Of those, RECEIVED or ACCEPTED now.
    pub open: i32,
    /// resolved / (collected - open ones still within their handling time, due today or later).
    pub resolution_rate: Rate,
    /// SATISFIED / with feedback, among the collected ones.
    pub satisfaction_rate: Rate,
    /// Collected per village, most first, then by name; villages with none left out.
    pub by_village: Vec<(Uuid, i32)>,
    /// Collected per category, by category name; categories with none left out.
    pub by_category: Vec<(AppealCategory, i32)>,
}

/// Days without a session after which an ACTIVE pairing is neglected.
pub const NEGLECTED_AFTER_DAYS: i64 = 30;

#[derive(Debug, Clone, PartialEq)]
pub struct Statistics {
    pub linkage_group: linkage_group::Model,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub as_of: NaiveDate,
    pub supervision: SupervisionFigures,
    pub activities: ActivityFigures,
    pub mentoring: MentoringFigures,
    pub appeals: AppealFigures,
}

/// The figures of a group over `[from, to]`, for committee staff and supervisors of the group
/// (and administrators). A group the actor may not read is NOT_FOUND; a group it may read
/// without the right to its statistics is FORBIDDEN.
pub async fn of_group(
    db: &impl ConnectionTrait,
    actor: &Actor,
    clock: &Clock,
    group_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<Statistics> {
    let allowed = actor.scope("statistics", "read")?;
    let readable = actor.scope("linkage_group", "read")?;
    if from > to {
        return Err(AppError::bad_input("to", "to must not be before from"));
    }
    if (to - from).num_days() >= MAX_RANGE_DAYS {
        return Err(AppError::bad_input(
            "to",
            format!("a period covers at most {MAX_RANGE_DAYS} days"),
        ));
    }
    let group = linkage_group::Entity::find_by_id(group_id)
        .filter(readable.linkage_group_condition())
        .one(db)
        .await?
        .ok_or(AppError::NotFound("linkage group"))?;
    if !(allowed.all || allowed.group_ids.contains(&group.id)) {
        return Err(AppError::Forbidden);
    }
    let today = clock.today();
    let zone = clock.zone();
    let period = Period { from, to, today };
    let supervision = supervision_figures(db, group.id, period, zone).await?;
    let activities = activity_figures(db, group.id, period, zone).await?;
    let within = group_organizations(db, group.id).await?;
    let mentoring = mentoring_figures(db, &within, period).await?;
    let appeals = appeal_figures(db, &within, period).await?;
    Ok(Statistics {
        linkage_group: group,
        from,
        to,
        as_of: today,
        supervision,
        activities,
        mentoring,
        appeals,
    })
}

#[derive(Debug, Clone, Copy)]
struct Period {
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
}

impl Period {
    fn contains(&self, day: NaiveDate) -> bool {
        self.from <= day && day <= self.to
    }

    fn rate(&self, numerator: i32, denominator: i32) -> Rate {
        Rate {
            numerator,
            denominator,
            as_of: self.today,
        }
    }
}

/// The instant a local calendar day starts (the first hour that exists, should a time zone skip
/// midnight).
fn day_start(zone: Tz, day: NaiveDate) -> AppResult<DateTime<Utc>> {
    (0..=3)
        .find_map(|hour| {
            let local = day.and_hms_opt(hour, 0, 0)?;
            zone.from_local_datetime(&local).earliest()
        })
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| AppError::bad_input("to", format!("{day} does not exist in {zone}")))
}

/// `[start of from, start of the day after to)`, as instants. The end stays within year 9999
/// (UTC), past which SQLite's text comparison of instants breaks.
fn instants(zone: Tz, period: Period) -> AppResult<(DateTime<Utc>, DateTime<Utc>)> {
    let after = period
        .to
        .succ_opt()
        .ok_or_else(|| AppError::bad_input("to", "to is too far ahead"))?;
    let last = NaiveDate::from_ymd_opt(9999, 12, 31)
        .and_then(|d| d.and_hms_micro_opt(23, 59, 59, 999_999))
        .map(|t| t.and_utc())
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    Ok((
        day_start(zone, period.from)?.min(last),
        day_start(zone, after)?.min(last),
    ))
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// `child.column = organization.id`, for joining organization names in.
fn organization_of<E: EntityTrait>(column: E::Column) -> RelationDef {
    E::belongs_to(organization::Entity)
        .from(column)
        .to(organization::Column::Id)
        .into()
}

async fn supervision_figures(
    db: &impl ConnectionTrait,
    group: Uuid,
    period: Period,
    zone: Tz,
) -> AppResult<SupervisionFigures> {
    use supervision_item::Column as C;
    // Only items that can count: opened or closed in the period, or overdue today.
    let relevant = || -> Select<supervision_item::Entity> {
        supervision_item::Entity::find()
            .filter(C::LinkageGroupId.eq(group))
            .filter(
                Condition::any()
                    .add(C::OpenedOn.between(period.from, period.to))
                    .add(
                        Condition::all()
                            .add(C::Status.eq(SupervisionStatus::Closed))
                            .add(C::ClosedOn.between(period.from, period.to)),
                    )
                    .add(rules::overdue_condition(period.today)),
            )
    };
    let items = relevant().all(db).await?;
    let assignments: Vec<(Uuid, Uuid, bool, String)> = supervision_assignment::Entity::find()
        .select_only()
        .column(supervision_assignment::Column::ItemId)
        .column(supervision_assignment::Column::OrganizationId)
        .column(supervision_assignment::Column::Lead)
        .column(organization::Column::Name)
        .join(
            JoinType::InnerJoin,
            organization_of::<supervision_assignment::Entity>(
                supervision_assignment::Column::OrganizationId,
            ),
        )
        .filter(
            supervision_assignment::Column::ItemId
                .in_subquery(relevant().select_only().column(C::Id).into_query()),
        )
        .into_tuple()
        .all(db)
        .await?;
    let (start, end) = instants(zone, period)?;
    let group_items = supervision_item::Entity::find()
        .select_only()
        .column(C::Id)
        .filter(C::LinkageGroupId.eq(group))
        .into_query();
    // The local date of an entry is in the period exactly when its instant is in these bounds.
    let extended: Option<i64> = supervision_event::Entity::find()
        .select_only()
        .column_as(
            Expr::expr(Func::count_distinct(Expr::col(
                supervision_event::Column::ItemId,
            ))),
            "n",
        )
        .filter(supervision_event::Column::Kind.eq(SupervisionEventKind::DeadlineExtended))
        .filter(supervision_event::Column::At.gte(start))
        .filter(supervision_event::Column::At.lt(end))
        .filter(supervision_event::Column::ItemId.in_subquery(group_items))
        .into_tuple()
        .one(db)
        .await?;
    let closed: Vec<&supervision_item::Model> = items
        .iter()
        .filter(|i| {
            i.status == SupervisionStatus::Closed && i.closed_on.is_some_and(|d| period.contains(d))
        })
        .collect();
    let average_working_days_to_close = if closed.is_empty() {
        None
    } else {
        let calendar = WorkCalendar::load(db).await?;
        let total: i64 = closed
            .iter()
            .filter_map(|i| {
                let closed_on = i.closed_on?;
                Some(i64::from(
                    calendar.working_days_between(i.opened_on, closed_on),
                ))
            })
            .sum();
        Some(total as f64 / closed.len() as f64)
    };
    let closed_on_time = closed
        .iter()
        .filter(|i| rules::closed_on_time(i) == Some(true))
        .count();

    // Per organization, with its name for the order.
    let by_id: HashMap<Uuid, &supervision_item::Model> = items.iter().map(|i| (i.id, i)).collect();
    let closed_ids: HashSet<Uuid> = closed.iter().map(|i| i.id).collect();
    let mut figures: HashMap<Uuid, (String, OrganizationFigures)> = HashMap::new();
    for (item_id, organization_id, lead, name) in assignments {
        let Some(item) = by_id.get(&item_id) else {
            continue;
        };
        let opened = i32::from(period.contains(item.opened_on));
        let (_, f) = figures.entry(organization_id).or_insert_with(|| {
            (
                name,
                OrganizationFigures {
                    organization_id,
                    lead: 0,
                    co_responsible: 0,
                    closed: 0,
                    closed_on_time: 0,
                    overdue_now: 0,
                    on_time_rate: period.rate(0, 0),
                },
            )
        });
        if lead {
            let is_closed = closed_ids.contains(&item.id);
            f.lead += opened;
            f.closed += i32::from(is_closed);
            f.closed_on_time += i32::from(is_closed && rules::closed_on_time(item) == Some(true));
            f.overdue_now += i32::from(rules::is_overdue(item, period.today));
        } else {
            f.co_responsible += opened;
        }
    }
    let mut by_organization: Vec<(String, OrganizationFigures)> = figures
        .into_values()
        .filter(|(_, f)| {
            [f.lead, f.co_responsible, f.closed, f.overdue_now]
                .iter()
                .any(|n| *n != 0)
        })
        .map(|(name, mut f)| {
            f.on_time_rate = period.rate(f.closed_on_time, f.closed);
            (name, f)
        })
        .collect();
    by_organization.sort_by(|(a, x), (b, y)| {
        a.cmp(b)
            .then_with(|| x.organization_id.cmp(&y.organization_id))
    });

    let closed_n = count(closed.len());
    let on_time_n = count(closed_on_time);
    Ok(SupervisionFigures {
        opened: count(
            items
                .iter()
                .filter(|i| period.contains(i.opened_on))
                .count(),
        ),
        closed: closed_n,
        closed_on_time: on_time_n,
        closed_late: closed_n - on_time_n,
        overdue_now: count(
            items
                .iter()
                .filter(|i| rules::is_overdue(i, period.today))
                .count(),
        ),
        extended: i32::try_from(extended.unwrap_or(0)).unwrap_or(i32::MAX),
        on_time_rate: period.rate(on_time_n, closed_n),
        average_working_days_to_close,
        by_organization: by_organization.into_iter().map(|(_, f)| f).collect(),
    })
}

async fn activity_figures(
    db: &impl ConnectionTrait,
    group: Uuid,
    period: Period,
    zone: Tz,
) -> AppResult<ActivityFigures> {
    use joint_activity::Column as C;
    let (start, end) = instants(zone, period)?;
    let in_period = || {
        joint_activity::Entity::find()
            .filter(C::LinkageGroupId.eq(group))
            .filter(C::StartsAt.gte(start))
            .filter(C::StartsAt.lt(end))
    };
    let counts: Vec<(ActivityKind, ActivityStatus, i64)> = in_period()
        .select_only()
        .column(C::Kind)
        .column(C::Status)
        .column_as(Expr::expr(Func::count(Expr::col(C::Id))), "n")
        .filter(C::Status.is_in([ActivityStatus::Completed, ActivityStatus::Cancelled]))
        .group_by(C::Kind)
        .group_by(C::Status)
        .into_tuple()
        .all(db)
        .await?;
    let mut held = 0;
    let mut cancelled = 0;
    let mut by_kind: Vec<(ActivityKind, i32)> = Vec::new();
    for (kind, status, n) in counts {
        let n = i32::try_from(n).unwrap_or(i32::MAX);
        match status {
            ActivityStatus::Completed => {
                held += n;
                by_kind.push((kind, n));
            }
            ActivityStatus::Cancelled => cancelled += n,
            ActivityStatus::Planned | ActivityStatus::Confirmed => {}
        }
    }
    by_kind.sort_by_key(|(kind, _)| kind.to_value());

    let held_ids = in_period()
        .select_only()
        .column(C::Id)
        .filter(C::Status.eq(ActivityStatus::Completed))
        .into_query();
    let rows: Vec<(Uuid, String, i64)> = activity_participant::Entity::find()
        .select_only()
        .column(activity_participant::Column::OrganizationId)
        .column(organization::Column::Name)
        .column_as(
            Expr::expr(Func::count_distinct(Expr::col((
                activity_participant::Entity,
                activity_participant::Column::ActivityId,
            )))),
            "n",
        )
        .join(
            JoinType::InnerJoin,
            organization_of::<activity_participant::Entity>(
                activity_participant::Column::OrganizationId,
            ),
        )
        .filter(activity_participant::Column::ActivityId.in_subquery(held_ids))
        .group_by(activity_participant::Column::OrganizationId)
        .group_by(organization::Column::Name)
        .into_tuple()
        .all(db)
        .await?;
    let mut participation: Vec<(Uuid, String, i32)> = rows
        .into_iter()
        .map(|(id, name, n)| (id, name, i32::try_from(n).unwrap_or(i32::MAX)))
        .collect();
    participation.sort_by(|(a_id, a_name, a), (b_id, b_name, b)| {
        b.cmp(a).then(a_name.cmp(b_name)).then(a_id.cmp(b_id))
    });
    Ok(ActivityFigures {
        held,
        cancelled,
        by_kind,
        participation: participation
            .into_iter()
            .map(|(id, _, n)| (id, n))
            .collect(),
    })
}

/// `SELECT COUNT(*)` of a select, as an `i32`.
async fn count_of<E>(db: &impl ConnectionTrait, select: Select<E>) -> AppResult<i32>
where
    E: EntityTrait,
    E::Model: Sync,
{
    use sea_orm::PaginatorTrait;
    Ok(i32::try_from(select.count(db).await?).unwrap_or(i32::MAX))
}

/// The group's organizations, its current members and everything below them, as a condition on
/// `organization`: one statement (the members' paths) however large the group.
pub(crate) async fn group_organizations(
    db: &impl ConnectionTrait,
    group: Uuid,
) -> AppResult<Condition> {
    use entities::linkage_group_member;
    use sea_orm::sea_query::ExprTrait;
    let paths: Vec<String> = organization::Entity::find()
        .select_only()
        .column(organization::Column::Path)
        .filter(
            organization::Column::Id.in_subquery(
                linkage_group_member::Entity::find()
                    .select_only()
                    .column(linkage_group_member::Column::OrganizationId)
                    .filter(linkage_group_member::Column::LinkageGroupId.eq(group))
                    .filter(linkage_group_member::Column::LeftOn.is_null())
                    .into_query(),
            ),
        )
        .into_tuple()
        .all(db)
        .await?;
    let mut within = Condition::any();
    for path in &paths {
        within = within.add(crate::authz::scope::subtree_condition(path));
    }
    if paths.is_empty() {
        within = within.add(Expr::val(1).eq(0));
    }
    Ok(within)
}

/// Four statements however large the group: three counts, and the flagged villages with whether
/// each is covered today (the group's organizations are read once for all parts).
async fn mentoring_figures(
    db: &impl ConnectionTrait,
    within: &Condition,
    period: Period,
) -> AppResult<MentoringFigures> {
    use entities::{
        enums::PairingStatus, first_secretary_assignment as posting, mentor_pairing,
        mentoring_session,
    };
    use sea_orm::sea_query::ExprTrait;
    let organizations = || {
        organization::Entity::find()
            .select_only()
            .column(organization::Column::Id)
            .filter(within.clone())
            .into_query()
    };
    let pairings = || {
        mentor_pairing::Entity::find()
            .filter(mentor_pairing::Column::OrganizationId.in_subquery(organizations()))
    };
    let active_pairings = count_of(
        db,
        pairings().filter(mentor_pairing::Column::Status.eq(PairingStatus::Active)),
    )
    .await?;
    let quiet_since = period.today - chrono::Duration::days(NEGLECTED_AFTER_DAYS);
    let neglected_pairings = count_of(
        db,
        pairings()
            .filter(mentor_pairing::Column::Status.eq(PairingStatus::Active))
            .filter(
                Expr::expr(Func::coalesce([
                    Expr::col((
                        mentor_pairing::Entity,
                        mentor_pairing::Column::LastSessionOn,
                    )),
                    Expr::col((mentor_pairing::Entity, mentor_pairing::Column::StartsOn)),
                ]))
                .lte(quiet_since),
            ),
    )
    .await?;
    let sessions = count_of(
        db,
        mentoring_session::Entity::find()
            .filter(mentoring_session::Column::HeldOn.between(period.from, period.to))
            .filter(
                mentoring_session::Column::PairingId.in_subquery(
                    pairings()
                        .select_only()
                        .column(mentor_pairing::Column::Id)
                        .into_query(),
                ),
            ),
    )
    .await?;
    // Key and remote villages, and which of them hold an active posting today.
    let covered = posting::Entity::find()
        .select_only()
        .column(posting::Column::OrganizationId)
        .filter(crate::services::first_secretaries::active_condition(
            period.today,
        ))
        .into_query();
    let flagged: Vec<(Uuid, bool, bool)> = organization::Entity::find()
        .select_only()
        .column(organization::Column::Id)
        .column(organization::Column::KeyVillage)
        .column(organization::Column::Remote)
        .filter(within.clone())
        .filter(organization::Column::ArchivedAt.is_null())
        .filter(
            Condition::any()
                .add(organization::Column::KeyVillage.eq(true))
                .add(organization::Column::Remote.eq(true)),
        )
        .into_tuple()
        .all(db)
        .await?;
    let covered_ids: HashSet<Uuid> = organization::Entity::find()
        .select_only()
        .column(organization::Column::Id)
        .filter(within.clone())
        .filter(organization::Column::ArchivedAt.is_null())
        .filter(
            Condition::any()
                .add(organization::Column::KeyVillage.eq(true))
                .add(organization::Column::Remote.eq(true)),
        )
        .filter(organization::Column::Id.in_subquery(covered))
        .into_tuple::<Uuid>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let coverage = |pick: fn(&(Uuid, bool, bool)) -> bool| {
        let all: Vec<&(Uuid, bool, bool)> = flagged.iter().filter(|f| pick(f)).collect();
        let with = all
            .iter()
            .filter(|(id, _, _)| covered_ids.contains(id))
            .count();
        period.rate(count(with), count(all.len()))
    };
    Ok(MentoringFigures {
        active_pairings,
        sessions,
        neglected_pairings,
        key_village_coverage: coverage(|(_, key, _)| *key),
        remote_village_coverage: coverage(|(_, _, remote)| *remote),
    })
}

/// One statement however large the group: the appeals received in the period, counted by
/// village (with its name), category, status, feedback and whether still within handling time.
async fn appeal_figures(
    db: &impl ConnectionTrait,
    within: &Condition,
    period: Period,
) -> AppResult<AppealFigures> {
    use resident_appeal::Column as C;
    use sea_orm::sea_query::ExprTrait;
    let villages = organization::Entity::find()
        .select_only()
        .column(organization::Column::Id)
        .filter(within.clone())
        .into_query();
    // 1 for an appeal due today or later (still within its handling time if not closed). The
    // results are literals, not parameters, so that PostgreSQL knows their type; the grouping
    // names the output column, as the same expression with other parameters would not match.
    let in_time: Expr = Expr::case(
        Expr::col((resident_appeal::Entity, C::DueOn)).gte(period.today),
        Expr::cust("1"),
    )
    .finally(Expr::cust("0"))
    .into();
    type Row = (
        Uuid,
        String,
        AppealCategory,
        AppealStatus,
        Option<Satisfaction>,
        i32,
        i64,
    );
    let rows: Vec<Row> = resident_appeal::Entity::find()
        .select_only()
        .column(C::VillageId)
        .column(organization::Column::Name)
        .column(C::Category)
        .column(C::Status)
        .column(C::FeedbackSatisfaction)
        .column_as(in_time, "in_time")
        .column_as(
            Expr::expr(Func::count(Expr::col((resident_appeal::Entity, C::Id)))),
            "n",
        )
        .join(
            JoinType::InnerJoin,
            organization_of::<resident_appeal::Entity>(C::VillageId),
        )
        .filter(C::ReceivedOn.between(period.from, period.to))
        .filter(C::VillageId.in_subquery(villages))
        .group_by(C::VillageId)
        .group_by(organization::Column::Name)
        .group_by(C::Category)
        .group_by(C::Status)
        .group_by(C::FeedbackSatisfaction)
        .group_by(Expr::col(sea_orm::sea_query::Alias::new("in_time")))
        .into_tuple()
        .all(db)
        .await?;
    let mut collected = 0;
    let mut resolved = 0;
    let mut rejected = 0;
    let mut open = 0;
    let mut pending = 0;
    let mut satisfied = 0;
    let mut with_feedback = 0;
    let mut villages: HashMap<Uuid, (String, i32)> = HashMap::new();
    let mut categories: HashMap<AppealCategory, i32> = HashMap::new();
    for (village, name, category, status, satisfaction, in_time, n) in rows {
        let n = i32::try_from(n).unwrap_or(i32::MAX);
        collected += n;
        match status {
            AppealStatus::Resolved => resolved += n,
            AppealStatus::Rejected => rejected += n,
            AppealStatus::Received | AppealStatus::Accepted => {
                open += n;
                if in_time == 1 {
                    pending += n;
                }
            }
        }
        if let Some(satisfaction) = satisfaction {
            with_feedback += n;
            if satisfaction == Satisfaction::Satisfied {
                satisfied += n;
            }
        }
        villages.entry(village).or_insert((name, 0)).1 += n;
        *categories.entry(category).or_insert(0) += n;
    }
    let mut by_village: Vec<(Uuid, String, i32)> = villages
        .into_iter()
        .map(|(id, (name, n))| (id, name, n))
        .collect();
    by_village.sort_by(|(a_id, a_name, a), (b_id, b_name, b)| {
        b.cmp(a).then(a_name.cmp(b_name)).then(a_id.cmp(b_id))
    });
    let mut by_category: Vec<(AppealCategory, i32)> = categories.into_iter().collect();
    by_category.sort_by_key(|(category, _)| category.to_value());
    Ok(AppealFigures {
        collected,
        resolved,
        rejected,
        open,
        resolution_rate: period.rate(resolved, collected - pending),
        satisfaction_rate: period.rate(satisfied, with_feedback),
        by_village: by_village.into_iter().map(|(id, _, n)| (id, n)).collect(),
        by_category,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_rate_of_nothing_has_no_value() {
        let as_of = d("2026-11-10");
        let rate = |numerator, denominator| Rate {
            numerator,
            denominator,
            as_of,
        };
        assert_eq!(rate(0, 0).value(), None);
        assert_eq!(rate(0, 4).value(), Some(0.0));
        assert_eq!(rate(3, 4).value(), Some(0.75));
    }

    #[test]
    fn a_period_runs_from_local_midnight_to_local_midnight() {
        let period = Period {
            from: d("2026-10-01"),
            to: d("2026-10-31"),
            today: d("2026-11-10"),
        };
        let (start, end) = instants(chrono_tz::Asia::Shanghai, period).unwrap();
        // Shanghai is UTC+8 all year.
        assert_eq!(start.to_rfc3339(), "2026-09-30T16:00:00+00:00");
        assert_eq!(end.to_rfc3339(), "2026-10-31T16:00:00+00:00");
    }
}
