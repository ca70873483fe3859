//! Supervision rounds (督办周期, DESIGN 2 and 3.2): one cadence period of a linkage group,
//! opened with the list of the group's open items, reviewed item by item, and closed into a
//! snapshot of figures that is stored and never computed again.
//!
//! Rounds belong to their group as a whole (their snapshots are group totals), so only a grant
//! on the group itself (or the whole system) reaches them: an organization-subtree grant does
//! not, even one that reads some of the group's items.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Days, NaiveDate, Utc};
use entities::{
    decode::Decoded,
    enums::{EscalationLevel, ReviewVerdict, RoundStatus, SupervisionEventKind, SupervisionStatus},
    linkage_group, supervision_item, supervision_review, supervision_round, supervision_round_item,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select, Set, SqlErr, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use super::{Entry, TEXT_MAX_CHARS, never, record, rules};
use crate::{
    authz::Scope,
    clock::Clock,
    error::{AppError, AppResult},
    events::EventBus,
    services::{
        Actor, Change, Write, new_id,
        pagination::{Page, PageNeeds, PageRequest, fetch_page_ordered, fetch_pages_needing},
        scoped,
        values::OptionalText,
        workdays::WorkCalendar,
    },
};

/// Statuses in which an item is still open: listed when a round opens, carried over when it
/// closes.
pub const OPEN_STATUSES: [SupervisionStatus; 4] = [
    SupervisionStatus::Open,
    SupervisionStatus::InProgress,
    SupervisionStatus::PendingReview,
    SupervisionStatus::Reopened,
];

/// Rounds of a group, newest first.
pub const ROUND_KEYS: &[supervision_round::Column] = &[
    supervision_round::Column::Number,
    supervision_round::Column::Id,
];

/// A round's items in the order they were opened (ids are UUID v7).
pub const ROUND_ITEM_KEYS: &[supervision_round_item::Column] =
    &[supervision_round_item::Column::ItemId];

// ---- The calendar of rounds ------------------------------------------------------------------

/// The number of the round whose period contains `day`: round n covers
/// `starts_on + (n - 1) * cadence_days` for `cadence_days` days. `None` before the first one.
pub fn number_on(starts_on: NaiveDate, cadence_days: i32, day: NaiveDate) -> Option<i32> {
    let elapsed = (day - starts_on).num_days();
    if elapsed < 0 {
        return None;
    }
    let cadence = i64::from(cadence_days.max(1));
    i32::try_from(elapsed / cadence + 1).ok()
}

/// The first and last day (both included) of round `number`.
pub fn period(
    starts_on: NaiveDate,
    cadence_days: i32,
    number: i32,
) -> Option<(NaiveDate, NaiveDate)> {
    let cadence = u64::try_from(cadence_days.max(1)).ok()?;
    let before = u64::try_from(number.checked_sub(1)?).ok()?;
    let first = starts_on.checked_add_days(Days::new(before.checked_mul(cadence)?))?;
    let last = first.checked_add_days(Days::new(cadence - 1))?;
    Some((first, last))
}

// ---- Who may see and do what -----------------------------------------------------------------

/// Rows whose group `column` the scope reaches: only a grant on the group itself or on the whole
/// system does.
fn group_condition<C: ColumnTrait>(scope: &Scope, column: C) -> Condition {
    if scope.all {
        Condition::all()
    } else if scope.group_ids.is_empty() {
        never()
    } else {
        Condition::all().add(column.is_in(scope.group_ids.clone()))
    }
}

/// Rounds the scope reaches.
pub fn round_condition(scope: &Scope) -> Condition {
    group_condition(scope, supervision_round::Column::LinkageGroupId)
}

struct Access {
    read: Scope,
    manage: Scope,
}

impl Access {
    fn of(actor: &Actor) -> AppResult<Self> {
        Ok(Self {
            read: actor.scope("supervision_round", "read")?,
            manage: actor.scope("supervision_round", "manage")?,
        })
    }

    /// The round for a managing action, locked for the rest of the write (PostgreSQL; SQLite
    /// has one writer): NOT_FOUND when its rounds are out of reach, FORBIDDEN when they may be
    /// read but not managed.
    async fn round_to_manage(
        &self,
        db: &impl ConnectionTrait,
        id: Uuid,
    ) -> AppResult<supervision_round::Model> {
        scoped::fetch_for_update::<supervision_round::Entity>(
            db,
            id,
            round_condition(&self.read),
            round_condition(&self.manage),
            "supervision round",
        )
        .await
    }
}

// ---- Reading ---------------------------------------------------------------------------------

/// The rounds of a group the actor may read, newest first; empty for a group whose rounds it
/// may not read, as for one that does not exist.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    group_id: Uuid,
    page: &PageRequest,
) -> AppResult<Page<supervision_round::Model>> {
    let scope = actor.scope("supervision_round", "read")?;
    let select = supervision_round::Entity::find()
        .filter(supervision_round::Column::LinkageGroupId.eq(group_id))
        .filter(round_condition(&scope));
    fetch_page_ordered(db, select, ROUND_KEYS, true, page).await
}

/// The rounds among `ids` the actor may read; the others read as missing.
pub async fn readable(
    db: &impl ConnectionTrait,
    actor: &Actor,
    ids: &[Uuid],
) -> AppResult<Vec<supervision_round::Model>> {
    let scope = actor.scope("supervision_round", "read")?;
    scoped::many::<supervision_round::Entity>(db, ids, round_condition(&scope)).await
}

/// `column IN (items within visible_items)`.
fn of_visible_items<C: ColumnTrait>(column: C, visible_items: Condition) -> Condition {
    let items = supervision_item::Entity::find()
        .select_only()
        .column(supervision_item::Column::Id)
        .filter(visible_items)
        .into_query();
    Condition::all().add(column.in_subquery(items))
}

/// One page of each round's items among `visible_items` (a condition on `supervision_item`,
/// the viewer's read scope), reading only what `needs` asks for. Two statements whatever the
/// number of rounds: the pages of round entries, then their items.
pub async fn items_of_rounds(
    db: &impl ConnectionTrait,
    round_ids: &[Uuid],
    visible_items: Condition,
    page: &PageRequest,
    needs: PageNeeds,
) -> AppResult<HashMap<Uuid, Page<supervision_item::Model>>> {
    let entries = supervision_round_item::Entity::find().filter(of_visible_items(
        supervision_round_item::Column::ItemId,
        visible_items.clone(),
    ));
    let pages = fetch_pages_needing(
        db,
        entries,
        supervision_round_item::Column::RoundId,
        round_ids,
        ROUND_ITEM_KEYS,
        page,
        needs,
    )
    .await?;
    let item_ids: Vec<Uuid> = pages
        .values()
        .flat_map(|p| p.rows.iter().map(|(_, entry)| entry.item_id))
        .collect();
    let items: HashMap<Uuid, supervision_item::Model> = if item_ids.is_empty() {
        HashMap::new()
    } else {
        scoped::many::<supervision_item::Entity>(db, &item_ids, visible_items)
            .await?
            .into_iter()
            .map(|item| (item.id, item))
            .collect()
    };
    Ok(pages
        .into_iter()
        .map(|(round, p)| {
            let page = p.with_rows(|rows| {
                rows.into_iter()
                    .filter_map(|(cursor, entry)| {
                        items
                            .get(&entry.item_id)
                            .cloned()
                            .map(|item| (cursor, item))
                    })
                    .collect()
            });
            (round, page)
        })
        .collect())
}

/// The reviews of each round, of items within `visible_items`, in the order of the items.
pub async fn reviews_of_rounds(
    db: &impl ConnectionTrait,
    round_ids: &[Uuid],
    visible_items: Condition,
) -> AppResult<Vec<supervision_review::Model>> {
    Ok(supervision_review::Entity::find()
        .filter(crate::services::one_of(
            db,
            supervision_review::Column::RoundId,
            round_ids.iter().copied(),
        ))
        .filter(of_visible_items(
            supervision_review::Column::ItemId,
            visible_items,
        ))
        .order_by_asc(supervision_review::Column::ItemId)
        .all(db)
        .await?)
}

/// The reviews of each item (one per round it was reviewed in), oldest round first. Whoever
/// reads an item reads its verdicts; only the rounds' figures are kept to the group's grants.
pub async fn reviews_of_items(
    db: &impl ConnectionTrait,
    item_ids: &[Uuid],
    visible_items: Condition,
) -> AppResult<Vec<supervision_review::Model>> {
    Ok(supervision_review::Entity::find()
        .filter(crate::services::one_of(
            db,
            supervision_review::Column::ItemId,
            item_ids.iter().copied(),
        ))
        .filter(of_visible_items(
            supervision_review::Column::ItemId,
            visible_items,
        ))
        .order_by_asc(supervision_review::Column::At)
        .order_by_asc(supervision_review::Column::Id)
        .all(db)
        .await?)
}

// ---- The snapshot ----------------------------------------------------------------------------

/// The figures frozen when a round closes (stored as JSON in `supervision_round.snapshot`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    pub taken_at: DateTime<Utc>,
    /// The closing day the figures were computed on.
    pub as_of: NaiveDate,
    /// Items opened within the round's period.
    pub opened: i32,
    /// Items closed within the round's period.
    pub closed: i32,
    /// Of those, closed on time.
    pub closed_on_time: i32,
    /// Items overdue on the closing day.
    pub overdue: i32,
    /// Items at SUPERVISE or REPORT on the closing day.
    pub escalated: i32,
    /// Items still open on the closing day.
    pub carried_over: i32,
    /// Per lead organization with at least one non-zero figure, by organization id.
    pub by_organization: Vec<OrganizationFigures>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationFigures {
    pub organization_id: Uuid,
    /// Items it leads that are open on the closing day.
    pub open: i32,
    /// Items it leads closed within the period.
    pub closed: i32,
    /// Items it leads overdue on the closing day.
    pub overdue: i32,
}

/// A closed round's snapshot, as it was stored; `None` while the round is open.
pub fn snapshot_of(round: &supervision_round::Model) -> AppResult<Option<Snapshot>> {
    round
        .snapshot
        .clone()
        .map(serde_json::from_value)
        .transpose()
        .map_err(|e| AppError::internal(format!("round {}: unreadable snapshot: {e}", round.id)))
}

/// What there is to count in a group on closing day `today`, for the round covering
/// `starts_on..=ends_on`. `items` are the group's items (at least those open, or opened or
/// closed within the period).
pub fn compute_snapshot(
    items: &[supervision_item::Model],
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    today: NaiveDate,
    taken_at: DateTime<Utc>,
    calendar: &WorkCalendar,
    cadence_days: i32,
) -> Snapshot {
    let within = |day: Option<NaiveDate>| day.is_some_and(|d| starts_on <= d && d <= ends_on);
    let mut snapshot = Snapshot {
        taken_at,
        as_of: today,
        opened: 0,
        closed: 0,
        closed_on_time: 0,
        overdue: 0,
        escalated: 0,
        carried_over: 0,
        by_organization: Vec::new(),
    };
    let mut by_organization: BTreeMap<Uuid, OrganizationFigures> = BTreeMap::new();
    for item in items {
        let opened = within(Some(item.opened_on));
        let closed = item.status == SupervisionStatus::Closed && within(item.closed_on);
        let on_time = closed && rules::closed_on_time(item) == Some(true);
        let overdue = rules::is_overdue(item, today);
        let escalated = matches!(
            rules::escalation_level(item, today, calendar, cadence_days),
            EscalationLevel::Supervise | EscalationLevel::Report
        );
        let open = OPEN_STATUSES.contains(&item.status);
        snapshot.opened += i32::from(opened);
        snapshot.closed += i32::from(closed);
        snapshot.closed_on_time += i32::from(on_time);
        snapshot.overdue += i32::from(overdue);
        snapshot.escalated += i32::from(escalated);
        snapshot.carried_over += i32::from(open);
        if open || closed || overdue {
            let figures = by_organization
                .entry(item.lead_organization_id)
                .or_insert_with(|| OrganizationFigures {
                    organization_id: item.lead_organization_id,
                    ..OrganizationFigures::default()
                });
            figures.open += i32::from(open);
            figures.closed += i32::from(closed);
            figures.overdue += i32::from(overdue);
        }
    }
    snapshot.by_organization = by_organization.into_values().collect();
    snapshot
}

// ---- Writing ---------------------------------------------------------------------------------

fn round_json(round: &supervision_round::Model) -> Json {
    json!({
        "linkageGroupId": round.linkage_group_id, "number": round.number,
        "startsOn": round.starts_on, "endsOn": round.ends_on, "status": round.status,
        "openedAt": round.opened_at, "closedAt": round.closed_at,
        "snapshot": round.snapshot, "version": round.version,
    })
}

fn review_json(review: &supervision_review::Model) -> Json {
    json!({
        "roundId": review.round_id, "itemId": review.item_id, "verdict": review.verdict,
        "comment": review.comment, "reviewerId": review.reviewer_id, "at": review.at,
    })
}

/// The name a round's period goes by in messages.
fn describe(round: &supervision_round::Model) -> String {
    format!(
        "round {} ({} to {})",
        round.number, round.starts_on, round.ends_on
    )
}

/// A unique index of the rounds (one open round per group, one round per period) refused the
/// write: someone else opened a round at the same moment. Other errors pass through.
fn opened_meanwhile(e: DbErr) -> AppError {
    match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => AppError::taken(
            "linkageGroupId",
            "another round of this group was opened at the same time",
        ),
        _ => e.into(),
    }
}

/// Opens the round of `group_id` whose period contains today, listing every item of the group
/// that is open now (items opened while it stays open join it as they are opened).
pub async fn open<C>(
    db: &C,
    actor: &Actor,
    events: &EventBus,
    clock: &Clock,
    group_id: Uuid,
) -> AppResult<supervision_round::Model>
where
    C: TransactionTrait,
{
    let access = Access::of(actor)?;
    let today = clock.today();
    let now = clock.now();
    let w = Write::begin(db, actor).await?;
    // Rounds (and items, whose opening joins them to the open round) of one group are written
    // one writer at a time (PostgreSQL row lock; SQLite has a single writer already).
    let group = scoped::fetch_for_update::<linkage_group::Entity>(
        &w,
        group_id,
        group_condition(&access.read, linkage_group::Column::Id),
        group_condition(&access.manage, linkage_group::Column::Id),
        "linkage group",
    )
    .await?;
    let number =
        number_on(group.cadence_starts_on, group.cadence_days, today).ok_or_else(|| {
            AppError::bad_input(
                "linkageGroupId",
                format!(
                    "the group's first round starts on {}; no round can be opened before",
                    group.cadence_starts_on
                ),
            )
        })?;
    let (starts_on, ends_on) = period(group.cadence_starts_on, group.cadence_days, number)
        .ok_or_else(|| AppError::internal("round period out of the calendar's range"))?;
    if let Some(open) = supervision_round::Entity::find()
        .filter(supervision_round::Column::LinkageGroupId.eq(group.id))
        .filter(supervision_round::Column::Status.eq(RoundStatus::Open))
        .one(&w)
        .await?
    {
        return Err(AppError::taken(
            "linkageGroupId",
            format!(
                "{} of this group is still open; close it before opening another",
                describe(&open)
            ),
        ));
    }
    if let Some(earlier) = supervision_round::Entity::find()
        .filter(supervision_round::Column::LinkageGroupId.eq(group.id))
        .filter(supervision_round::Column::Number.eq(number))
        .one(&w)
        .await?
    {
        return Err(AppError::taken(
            "linkageGroupId",
            format!(
                "{} of this group was opened already; the next round opens on {}",
                describe(&earlier),
                ends_on + Days::new(1)
            ),
        ));
    }
    let round = supervision_round::ActiveModel {
        id: Set(new_id()),
        linkage_group_id: Set(group.id),
        number: Set(number),
        starts_on: Set(starts_on),
        ends_on: Set(ends_on),
        status: Set(RoundStatus::Open),
        opened_at: Set(now),
        opened_by: Set(actor.user_id),
        closed_at: Set(None),
        closed_by: Set(None),
        snapshot: Set(None),
        version: Set(1),
    }
    .insert(&w)
    .await
    .map_err(opened_meanwhile)?;
    let open_items: Vec<Uuid> = supervision_item::Entity::find()
        .select_only()
        .column(supervision_item::Column::Id)
        .filter(supervision_item::Column::LinkageGroupId.eq(group.id))
        .filter(supervision_item::Column::Status.is_in(OPEN_STATUSES))
        .order_by_asc(supervision_item::Column::Id)
        .into_tuple()
        .all(&w)
        .await?;
    // Two parameters a row: well below every engine's limit per statement.
    for chunk in open_items.chunks(1000) {
        supervision_round_item::Entity::insert_many(chunk.iter().map(|item| {
            supervision_round_item::ActiveModel {
                round_id: Set(round.id),
                item_id: Set(*item),
            }
        }))
        .exec(&w)
        .await?;
    }
    let mut after = round_json(&round);
    after["items"] = json!(open_items);
    w.audit(Change::of("openSupervisionRound", "SupervisionRound", round.id).after(after))
        .await?;
    w.commit_and_publish(events).await?;
    Ok(round)
}

/// Records the actor's verdict on one item of an open round; a second review of the same item
/// in the same round replaces the first. The item's timeline gets a REVIEWED entry with the
/// comment as its note. A closed round takes no more reviews: INVALID_TRANSITION from CLOSED to
/// REVIEWED.
#[allow(clippy::too_many_arguments)]
pub async fn review<C>(
    db: &C,
    actor: &Actor,
    events: &EventBus,
    clock: &Clock,
    round_id: Uuid,
    item_id: Uuid,
    verdict: ReviewVerdict,
    comment: Option<String>,
) -> AppResult<(supervision_round::Model, supervision_review::Model)>
where
    C: TransactionTrait,
{
    let access = Access::of(actor)?;
    let comment = OptionalText::parse("comment", comment.as_deref(), TEXT_MAX_CHARS)?.into_inner();
    let now = clock.now();
    let mut w = Write::begin(db, actor).await?;
    let round = access.round_to_manage(&w, round_id).await?;
    if round.status == RoundStatus::Closed {
        return Err(AppError::InvalidTransition {
            from: "CLOSED".into(),
            to: "REVIEWED".into(),
        });
    }
    let Some((item, before)) = item_on_round(&w, round.id, item_id).await? else {
        return Err(AppError::bad_input(
            "itemId",
            format!("the item is not on the list of {}", describe(&round)),
        ));
    };
    let review = match &before {
        Some(earlier) => {
            let mut model: supervision_review::ActiveModel = earlier.clone().into();
            model.verdict = Set(verdict);
            model.comment = Set(comment.clone());
            model.reviewer_id = Set(actor.user_id);
            model.at = Set(now);
            model.update(&w).await?
        }
        None => supervision_review::ActiveModel {
            id: Set(new_id()),
            round_id: Set(round.id),
            item_id: Set(item_id),
            verdict: Set(verdict),
            comment: Set(comment.clone()),
            reviewer_id: Set(actor.user_id),
            at: Set(now),
        }
        .insert(&w)
        .await
        .map_err(|e| match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => AppError::taken(
                "itemId",
                "the item was reviewed in this round at the same time; try again",
            ),
            _ => e.into(),
        })?,
    };
    record(
        &mut w,
        &item,
        SupervisionEventKind::Reviewed,
        Entry {
            note: comment,
            ..Entry::default()
        },
        now,
    )
    .await?;
    let mut change =
        Change::of("reviewSupervisionItem", "SupervisionItem", item_id).after(review_json(&review));
    if let Some(earlier) = &before {
        change = change.before(review_json(earlier));
    }
    w.audit(change).await?;
    w.commit_and_publish(events).await?;
    Ok((round, review))
}

/// The item `item_id` if it is on the list of round `round_id`, with its review in that round if
/// it has one: one statement for the three reads.
async fn item_on_round(
    db: &impl ConnectionTrait,
    round_id: Uuid,
    item_id: Uuid,
) -> AppResult<Option<(supervision_item::Model, Option<supervision_review::Model>)>> {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Query};
    let (i, r) = (|| Alias::new("i"), || Alias::new("r"));
    let mut query = Query::select();
    query.from_as(supervision_item::Entity, i());
    scoped::select_prefixed::<supervision_item::Entity>(&mut query, "i", "i_");
    scoped::select_prefixed::<supervision_review::Entity>(&mut query, "r", "r_");
    query
        .join_as(
            JoinType::LeftJoin,
            supervision_review::Entity,
            r(),
            Expr::col((r(), supervision_review::Column::ItemId))
                .equals((i(), supervision_item::Column::Id))
                .and(Expr::col((r(), supervision_review::Column::RoundId)).eq(round_id)),
        )
        .and_where(Expr::col((i(), supervision_item::Column::Id)).eq(item_id))
        .and_where(Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from(supervision_round_item::Entity)
                .and_where(supervision_round_item::Column::RoundId.eq(round_id))
                .and_where(supervision_round_item::Column::ItemId.eq(item_id))
                .to_owned(),
        ));
    let Some(row) = db.query_one(&query).await? else {
        return Ok(None);
    };
    let Decoded(item) = Decoded::from_query_result(&row, "i_")?;
    let review = Decoded::from_query_result_optional(&row, "r_")?.map(|Decoded(r)| r);
    Ok(Some((item, review)))
}

/// The group's items that can count in a snapshot of `starts_on..=ends_on`: open ones, and
/// those opened or closed within the period.
fn counted_items(
    group: Uuid,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
) -> Select<supervision_item::Entity> {
    use supervision_item::Column as C;
    supervision_item::Entity::find()
        .filter(C::LinkageGroupId.eq(group))
        .filter(
            Condition::any()
                .add(C::Status.is_in(OPEN_STATUSES))
                .add(C::OpenedOn.between(starts_on, ends_on))
                .add(C::ClosedOn.between(starts_on, ends_on)),
        )
}

/// OPEN -> CLOSED: freezes the snapshot of the group's items as of today into the round.
pub async fn close<C>(
    db: &C,
    actor: &Actor,
    events: &EventBus,
    clock: &Clock,
    round_id: Uuid,
) -> AppResult<supervision_round::Model>
where
    C: TransactionTrait,
{
    let access = Access::of(actor)?;
    let today = clock.today();
    let now = clock.now();
    let w = Write::begin(db, actor).await?;
    let before = access.round_to_manage(&w, round_id).await?;
    if before.status == RoundStatus::Closed {
        return Err(AppError::InvalidTransition {
            from: "CLOSED".into(),
            to: "CLOSED".into(),
        });
    }
    let cadence_days = linkage_group::Entity::find_by_id(before.linkage_group_id)
        .one(&w)
        .await?
        .map(|g| g.cadence_days)
        .ok_or_else(|| AppError::internal("round of a missing linkage group"))?;
    let items = counted_items(before.linkage_group_id, before.starts_on, before.ends_on)
        .all(&w)
        .await?;
    let calendar = WorkCalendar::load(&w).await?;
    let snapshot = compute_snapshot(
        &items,
        before.starts_on,
        before.ends_on,
        today,
        now,
        &calendar,
        cadence_days,
    );
    let stored = serde_json::to_value(&snapshot).map_err(AppError::internal)?;
    let update = supervision_round::Entity::update_many()
        .set(supervision_round::ActiveModel {
            status: Set(RoundStatus::Closed),
            closed_at: Set(Some(now)),
            closed_by: Set(actor.user_id),
            snapshot: Set(Some(stored)),
            version: Set(before.version + 1),
            ..Default::default()
        })
        .filter(supervision_round::Column::Id.eq(before.id))
        .filter(supervision_round::Column::Version.eq(before.version));
    let Some(round) = scoped::update_returning(&w, update).await? else {
        return Err(AppError::conflict(format!(
            "{} changed while it was being closed; try again",
            describe(&before)
        )));
    };
    w.audit(
        Change::of("closeSupervisionRound", "SupervisionRound", round.id)
            .before(round_json(&before))
            .after(round_json(&round)),
    )
    .await?;
    w.commit_and_publish(events).await?;
    Ok(round)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn rounds_are_numbered_from_the_first_cadence() {
        let start = day("2027-03-01");
        assert_eq!(number_on(start, 14, day("2027-02-28")), None);
        // Written out by hand: 1: 03-01..03-14, 2: 03-15..03-28, 3: 03-29..04-11.
        for (today, number) in [
            ("2027-03-01", 1),
            ("2027-03-14", 1),
            ("2027-03-15", 2),
            ("2027-03-28", 2),
            ("2027-03-29", 3),
            ("2027-04-11", 3),
        ] {
            assert_eq!(number_on(start, 14, day(today)), Some(number), "{today}");
        }
        assert_eq!(
            period(start, 14, 1),
            Some((day("2027-03-01"), day("2027-03-14")))
        );
        assert_eq!(
            period(start, 14, 3),
            Some((day("2027-03-29"), day("2027-04-11")))
        );
        assert_eq!(
            period(start, 1, 2),
            Some((day("2027-03-02"), day("2027-03-02")))
        );
        assert_eq!(period(start, 14, 0), None);
    }
}
