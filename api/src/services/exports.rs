//! Spreadsheet exports (督办台账, 联建活动, 民情诉求, 组织, 人员): the sheets of each file and their
//! rows, read page by page through the same scopes as the API's lists, so that a file holds
//! exactly what its caller may read, and never the whole file in memory. Each export is prepared
//! first (parameters checked, the caller's scopes read, small sheets computed), so refusals come
//! before a byte is sent; the rows of the long sheets are read afterwards, one keyset page at a
//! time. How the rows become XLSX or CSV is the HTTP layer's business (`http::exports`).
//!
//! Enumerations are written with their Chinese labels (`labels`), dates as dates, and personal
//! data as the API shows it to the same caller: phone and ID-card numbers masked outside
//! `people::personal_data_scope`, residents' names, phones and addresses never read at all.

use std::collections::{HashMap, HashSet, VecDeque};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;
use entities::{
    area,
    enums::{AppealCategory, AppealStatus, ParticipantRole, Satisfaction, SupervisionStatus},
    linkage_group, linkage_group_member, organization, person, resident_appeal, supervision_item,
    supervision_round,
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult,
    Order, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Value,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

use super::{
    Actor, activities,
    labels::{Label, yes_no},
    linkage_groups, organizations,
    pagination::{PageRequest, fetch_page},
    people, statistics,
    supervision::{self, rounds, rules},
    workdays::WorkCalendar,
};
use crate::{
    authz::Scope,
    clock::Clock,
    error::{AppError, AppResult},
};

/// Rows read per statement.
pub const PAGE_ROWS: u64 = 500;

/// One cell of a sheet.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Int(i64),
    Float(f64),
    /// A calendar date (in the deployment's time zone).
    Date(NaiveDate),
    /// A local date and time (in the deployment's time zone).
    DateTime(NaiveDateTime),
}

impl Cell {
    fn text(text: impl Into<String>) -> Self {
        Self::Text(text.into())
    }

    fn opt_text(text: Option<impl Into<String>>) -> Self {
        text.map_or(Self::Empty, |t| Self::Text(t.into()))
    }

    fn opt_date(date: Option<NaiveDate>) -> Self {
        date.map_or(Self::Empty, Self::Date)
    }

    fn int(n: impl Into<i64>) -> Self {
        Self::Int(n.into())
    }
}

pub type Row = Vec<Cell>;

/// A column: its header and a width for spreadsheet programs (in characters).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Column {
    pub header: &'static str,
    pub width: f64,
}

const fn col(header: &'static str, width: f64) -> Column {
    Column { header, width }
}

/// One sheet of an export: its name, its columns, and where its rows come from.
pub struct Sheet {
    pub name: &'static str,
    pub columns: &'static [Column],
    rows: Rows,
}

impl std::fmt::Debug for Sheet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sheet").field("name", &self.name).finish()
    }
}

enum Rows {
    /// Computed when the export was prepared; handed out at the first call.
    Ready(Option<Vec<Row>>),
    Items(Box<ItemPages>),
    Rounds(RoundPages),
    Activities(Box<ActivityPages>),
    Appeals(AppealPages),
    Organizations(OrganizationPages),
    People(Box<PeoplePages>),
}

impl Sheet {
    /// The next rows of the sheet, `None` once every row was handed out. Pages are never empty.
    pub async fn next_page(&mut self, db: &DatabaseConnection) -> AppResult<Option<Vec<Row>>> {
        let rows = match &mut self.rows {
            Rows::Ready(rows) => rows.take(),
            Rows::Items(pages) => Box::pin(pages.next(db)).await?,
            Rows::Rounds(pages) => Box::pin(pages.next(db)).await?,
            Rows::Activities(pages) => Box::pin(pages.next(db)).await?,
            Rows::Appeals(pages) => Box::pin(pages.next(db)).await?,
            Rows::Organizations(pages) => Box::pin(pages.next(db)).await?,
            Rows::People(pages) => Box::pin(pages.next(db)).await?,
        };
        Ok(rows.filter(|rows| !rows.is_empty()))
    }
}

/// Keyset progress through a list: the cursor after the last row handed out.
#[derive(Debug, Default)]
struct Progress {
    after: Option<String>,
    done: bool,
}

impl Progress {
    fn request(&self) -> PageRequest {
        PageRequest {
            limit: PAGE_ROWS,
            after: self.after.clone(),
            ..PageRequest::default()
        }
    }

    /// Records the page read; `None` when there was nothing more.
    fn advance<M>(&mut self, page: super::pagination::Page<M>) -> Option<Vec<M>> {
        self.done = !page.has_next;
        self.after = page.rows.last().map(|(cursor, _)| cursor.clone());
        if page.rows.is_empty() {
            self.done = true;
            return None;
        }
        Some(page.rows.into_iter().map(|(_, row)| row).collect())
    }
}

// ---- Parameters --------------------------------------------------------------------------------

/// The calendar days an export covers, both included; `None` leaves that end open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Period {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl Period {
    /// `from` after `to` is BAD_USER_INPUT on `to`, as for `statistics`.
    fn check(self) -> AppResult<Self> {
        if let (Some(from), Some(to)) = (self.from, self.to)
            && from > to
        {
            return Err(AppError::bad_input("to", "to must not be before from"));
        }
        Ok(self)
    }
}

/// The sheets of the supervision ledger export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LedgerSheet {
    Items,
    Rounds,
    Statistics,
}

/// A linkage group the actor may read, or BAD_USER_INPUT on `linkageGroupId`: a group it may not
/// read answers exactly like one that does not exist.
async fn readable_group(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> AppResult<linkage_group::Model> {
    linkage_groups::readable(db, actor, &[id])
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| {
            AppError::bad_input("linkageGroupId", "linkageGroupId names no linkage group")
        })
}

/// Organization names by id: the public card, which every signed-in user may read.
async fn organization_names(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> AppResult<HashMap<Uuid, String>> {
    let ids: Vec<Uuid> = ids
        .into_iter()
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(organizations::get_many(db, &ids)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect())
}

fn name_of(names: &HashMap<Uuid, String>, id: Uuid) -> String {
    names.get(&id).cloned().unwrap_or_default()
}

/// Names joined with `、`.
fn joined(names: impl IntoIterator<Item = String>) -> Cell {
    let names: Vec<String> = names.into_iter().filter(|n| !n.is_empty()).collect();
    if names.is_empty() {
        Cell::Empty
    } else {
        Cell::Text(names.join("、"))
    }
}

/// The linkage groups each organization currently belongs to (for group grants).
async fn groups_of(
    db: &impl ConnectionTrait,
    organization_ids: &[Uuid],
) -> AppResult<HashMap<Uuid, Vec<Uuid>>> {
    let mut out: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    if organization_ids.is_empty() {
        return Ok(out);
    }
    let rows: Vec<(Uuid, Uuid)> = linkage_group_member::Entity::find()
        .select_only()
        .column(linkage_group_member::Column::OrganizationId)
        .column(linkage_group_member::Column::LinkageGroupId)
        .filter(super::one_of(
            db,
            linkage_group_member::Column::OrganizationId,
            organization_ids.iter().copied(),
        ))
        .filter(linkage_group_member::Column::LeftOn.is_null())
        .into_tuple()
        .all(db)
        .await?;
    for (organization, group) in rows {
        out.entry(organization).or_default().push(group);
    }
    Ok(out)
}

/// Which of `organizations` the scope covers (its subtrees, or a group they belong to): what
/// the API's `Organization.covered_by` decides for internal fields and personal data.
async fn covered(
    db: &impl ConnectionTrait,
    scope: &Scope,
    organizations: &[&organization::Model],
) -> AppResult<HashSet<Uuid>> {
    if scope.is_empty() {
        return Ok(HashSet::new());
    }
    if scope.all {
        return Ok(organizations.iter().map(|o| o.id).collect());
    }
    let groups = if scope.group_ids.is_empty() {
        HashMap::new()
    } else {
        let ids: Vec<Uuid> = organizations.iter().map(|o| o.id).collect();
        groups_of(db, &ids).await?
    };
    Ok(organizations
        .iter()
        .filter(|o| {
            scope.covers_organization(
                &o.path,
                groups.get(&o.id).map(Vec::as_slice).unwrap_or_default(),
            )
        })
        .map(|o| o.id)
        .collect())
}

/// `(k1, k2, ...) > (v1, v2, ...)` (or `<` when `descending`), written out so that every engine
/// can use its indexes; for keysets over joined or selected columns.
fn keyset_after(keys: &[Expr], values: &[Value], descending: bool) -> Condition {
    let mut any = Condition::any();
    for n in (1..=keys.len()).rev() {
        let mut all = Condition::all();
        for (i, (key, value)) in keys.iter().zip(values).take(n).enumerate() {
            let value = Expr::val(value.clone());
            all = all.add(if i + 1 < n {
                key.clone().eq(value)
            } else if descending {
                key.clone().lt(value)
            } else {
                key.clone().gt(value)
            });
        }
        any = any.add(all);
    }
    any
}

fn local(zone: Tz, instant: DateTime<Utc>) -> NaiveDateTime {
    instant.with_timezone(&zone).naive_local()
}

// ---- 督办台账: the supervision ledger ----------------------------------------------------------

pub const ITEM_COLUMNS: &[Column] = &[
    col("编号", 16.0),
    col("标题", 40.0),
    col("牵头单位", 30.0),
    col("协办单位", 40.0),
    col("交办日期", 12.0),
    col("办理时限", 12.0),
    col("原定时限", 12.0),
    col("状态", 10.0),
    col("督办等级", 10.0),
    col("办结日期", 12.0),
    col("按时办结", 10.0),
];

pub const ROUND_COLUMNS: &[Column] = &[
    col("轮次", 8.0),
    col("开始日期", 12.0),
    col("结束日期", 12.0),
    col("状态", 10.0),
    col("结束时间", 18.0),
    col("新增事项", 10.0),
    col("办结事项", 10.0),
    col("按时办结", 10.0),
    col("逾期事项", 10.0),
    col("升级督办", 10.0),
    col("结转事项", 10.0),
];

pub const STATISTICS_COLUMNS: &[Column] = &[
    col("类别", 10.0),
    col("指标", 24.0),
    col("对象", 30.0),
    col("分子", 10.0),
    col("分母", 10.0),
    col("数值", 12.0),
    col("截至日期", 12.0),
];

/// The supervision ledger of a group over `[from, to]` (both required, at most
/// `statistics::MAX_RANGE_DAYS` days, as for `statistics`): `sheets` in that order.
///
/// - 督办事项: the group's items the actor may read that were alive in the period: opened on or
///   before `to`, and not closed or cancelled before `from`; by opening date, then id (the
///   order they were opened). Status and escalation level are as of today.
/// - 督办轮次: the group's rounds overlapping the period, by number, with the figures frozen at
///   closing (blank while open); only a grant on the group reaches them, as in the API.
/// - 统计: the figures of `statistics` for the group and the period, one row per figure. A
///   caller who may read the group but not its figures gets the sheet without rows; asking for
///   that sheet alone is FORBIDDEN, as the query is.
pub async fn supervision_ledger(
    db: &impl ConnectionTrait,
    actor: &Actor,
    clock: &Clock,
    group: Option<Uuid>,
    period: Period,
    sheets: &[LedgerSheet],
) -> AppResult<Vec<Sheet>> {
    let item_scope = actor.scope("supervision_item", "read")?;
    let round_scope = actor.scope("supervision_round", "read")?;
    let group =
        group.ok_or_else(|| AppError::bad_input("linkageGroupId", "linkageGroupId is required"))?;
    let from = period
        .from
        .ok_or_else(|| AppError::bad_input("from", "from is required (YYYY-MM-DD)"))?;
    let to = period
        .to
        .ok_or_else(|| AppError::bad_input("to", "to is required (YYYY-MM-DD)"))?;
    period.check()?;
    if (to - from).num_days() >= statistics::MAX_RANGE_DAYS {
        return Err(AppError::bad_input(
            "to",
            format!(
                "a period covers at most {} days",
                statistics::MAX_RANGE_DAYS
            ),
        ));
    }
    let group = readable_group(db, actor, group).await?;
    let today = clock.today();
    let mut out = Vec::new();
    for sheet in sheets {
        out.push(match sheet {
            LedgerSheet::Items => {
                use supervision_item::Column as C;
                let alive = Condition::all()
                    .add(C::LinkageGroupId.eq(group.id))
                    .add(C::OpenedOn.lte(to))
                    .add(
                        Condition::any()
                            .add(C::ClosedOn.is_null())
                            .add(C::ClosedOn.gte(from)),
                    )
                    .add(
                        Condition::any()
                            .add(C::CancelledOn.is_null())
                            .add(C::CancelledOn.gte(from)),
                    );
                Sheet {
                    name: "督办事项",
                    columns: ITEM_COLUMNS,
                    rows: Rows::Items(Box::new(ItemPages {
                        condition: alive.add(supervision::read_condition(&item_scope)),
                        today,
                        calendar: WorkCalendar::load(db).await?,
                        cadence: group.cadence_days,
                        progress: Progress::default(),
                    })),
                }
            }
            LedgerSheet::Rounds => {
                use supervision_round::Column as C;
                Sheet {
                    name: "督办轮次",
                    columns: ROUND_COLUMNS,
                    rows: Rows::Rounds(RoundPages {
                        condition: Condition::all()
                            .add(C::LinkageGroupId.eq(group.id))
                            .add(C::StartsOn.lte(to))
                            .add(C::EndsOn.gte(from))
                            .add(rounds::round_condition(&round_scope)),
                        zone: clock.zone(),
                        progress: Progress::default(),
                    }),
                }
            }
            LedgerSheet::Statistics => {
                let figures = match statistics::of_group(db, actor, clock, group.id, from, to).await
                {
                    Ok(figures) => Some(figures),
                    Err(AppError::Forbidden) if sheets.len() > 1 => None,
                    Err(e) => return Err(e),
                };
                let rows = match figures {
                    Some(figures) => statistics_rows(db, &figures).await?,
                    None => Vec::new(),
                };
                Sheet {
                    name: "统计",
                    columns: STATISTICS_COLUMNS,
                    rows: Rows::Ready(Some(rows)),
                }
            }
        });
    }
    Ok(out)
}

struct ItemPages {
    condition: Condition,
    today: NaiveDate,
    calendar: WorkCalendar,
    cadence: i32,
    progress: Progress,
}

const ITEM_KEYS: &[supervision_item::Column] = &[
    supervision_item::Column::OpenedOn,
    supervision_item::Column::Id,
];

impl ItemPages {
    async fn next(&mut self, db: &DatabaseConnection) -> AppResult<Option<Vec<Row>>> {
        if self.progress.done {
            return Ok(None);
        }
        let select = supervision_item::Entity::find().filter(self.condition.clone());
        let page = fetch_page(db, select, ITEM_KEYS, &self.progress.request()).await?;
        let Some(items) = self.progress.advance(page) else {
            return Ok(None);
        };
        let ids: Vec<Uuid> = items.iter().map(|i| i.id).collect();
        let assignments = supervision::assignments_of(db, &ids).await?;
        let names = organization_names(
            db,
            items
                .iter()
                .map(|i| i.lead_organization_id)
                .chain(assignments.iter().map(|a| a.organization_id)),
        )
        .await?;
        let mut co_responsible: HashMap<Uuid, Vec<String>> = HashMap::new();
        for a in assignments.iter().filter(|a| !a.lead) {
            co_responsible
                .entry(a.item_id)
                .or_default()
                .push(name_of(&names, a.organization_id));
        }
        Ok(Some(
            items
                .into_iter()
                .map(|item| {
                    let derived = rules::derive(&item, self.today, &self.calendar, self.cadence);
                    vec![
                        Cell::text(item.code.clone()),
                        Cell::text(item.title.clone()),
                        Cell::text(name_of(&names, item.lead_organization_id)),
                        joined(co_responsible.remove(&item.id).unwrap_or_default()),
                        Cell::Date(item.opened_on),
                        Cell::Date(item.due_on),
                        Cell::Date(item.original_due_on),
                        Cell::text(item.status.label()),
                        Cell::text(derived.escalation_level.label()),
                        Cell::opt_date(
                            item.closed_on
                                .filter(|_| item.status == SupervisionStatus::Closed),
                        ),
                        Cell::opt_text(derived.closed_on_time.map(yes_no)),
                    ]
                })
                .collect(),
        ))
    }
}

struct RoundPages {
    condition: Condition,
    zone: Tz,
    progress: Progress,
}

impl RoundPages {
    async fn next(&mut self, db: &DatabaseConnection) -> AppResult<Option<Vec<Row>>> {
        if self.progress.done {
            return Ok(None);
        }
        let select = supervision_round::Entity::find().filter(self.condition.clone());
        let page = fetch_page(db, select, rounds::ROUND_KEYS, &self.progress.request()).await?;
        let Some(rounds) = self.progress.advance(page) else {
            return Ok(None);
        };
        rounds
            .into_iter()
            .map(|round| {
                let snapshot = rounds::snapshot_of(&round)?;
                let figure = |f: fn(&rounds::Snapshot) -> i32| {
                    snapshot.as_ref().map_or(Cell::Empty, |s| Cell::int(f(s)))
                };
                Ok(vec![
                    Cell::int(round.number),
                    Cell::Date(round.starts_on),
                    Cell::Date(round.ends_on),
                    Cell::text(round.status.label()),
                    round
                        .closed_at
                        .map_or(Cell::Empty, |t| Cell::DateTime(local(self.zone, t))),
                    figure(|s| s.opened),
                    figure(|s| s.closed),
                    figure(|s| s.closed_on_time),
                    figure(|s| s.overdue),
                    figure(|s| s.escalated),
                    figure(|s| s.carried_over),
                ])
            })
            .collect::<AppResult<Vec<_>>>()
            .map(Some)
    }
}

/// The figures of `statistics`, one row each, each category's counts then its rates: category,
/// figure, what it is of (an organization, a kind, a category; blank for the group's totals),
/// numerator and denominator (rates only), value, as-of date.
async fn statistics_rows(
    db: &impl ConnectionTrait,
    s: &statistics::Statistics,
) -> AppResult<Vec<Row>> {
    let names = organization_names(
        db,
        s.supervision
            .by_organization
            .iter()
            .map(|o| o.organization_id)
            .chain(s.activities.participation.iter().map(|(id, _)| *id))
            .chain(s.appeals.by_village.iter().map(|(id, _)| *id)),
    )
    .await?;
    let org = |id: Uuid| Cell::text(name_of(&names, id));
    let mut rows = Figures {
        rows: Vec::new(),
        as_of: s.as_of,
        category: "督办事项",
    };
    let sup = &s.supervision;
    rows.count("新增事项", Cell::Empty, sup.opened);
    rows.count("办结事项", Cell::Empty, sup.closed);
    rows.count("按时办结", Cell::Empty, sup.closed_on_time);
    rows.count("逾期办结", Cell::Empty, sup.closed_late);
    rows.count("当前逾期", Cell::Empty, sup.overdue_now);
    rows.count("延期事项", Cell::Empty, sup.extended);
    rows.value(
        "平均办结用时（工作日）",
        sup.average_working_days_to_close
            .map_or(Cell::Empty, Cell::Float),
    );
    rows.rate("按时办结率", Cell::Empty, sup.on_time_rate);
    for o in &sup.by_organization {
        rows.count("牵头事项", org(o.organization_id), o.lead);
        rows.count("协办事项", org(o.organization_id), o.co_responsible);
        rows.count("牵头办结", org(o.organization_id), o.closed);
        rows.count("牵头按时办结", org(o.organization_id), o.closed_on_time);
        rows.count("牵头当前逾期", org(o.organization_id), o.overdue_now);
        rows.rate("牵头按时办结率", org(o.organization_id), o.on_time_rate);
    }
    rows.category = "联建活动";
    let act = &s.activities;
    rows.count("开展活动", Cell::Empty, act.held);
    rows.count("取消活动", Cell::Empty, act.cancelled);
    for (kind, n) in &act.by_kind {
        rows.count("按类型开展活动", Cell::text(kind.label()), *n);
    }
    for (id, n) in &act.participation {
        rows.count("参加活动", org(*id), *n);
    }
    rows.category = "传帮带";
    let men = &s.mentoring;
    rows.count("在帮带结对", Cell::Empty, men.active_pairings);
    rows.count("帮带次数", Cell::Empty, men.sessions);
    rows.count("帮带滞后结对", Cell::Empty, men.neglected_pairings);
    rows.rate(
        "重点村第一书记覆盖率",
        Cell::Empty,
        men.key_village_coverage,
    );
    rows.rate(
        "偏远村第一书记覆盖率",
        Cell::Empty,
        men.remote_village_coverage,
    );
    rows.category = "民情诉求";
    let app = &s.appeals;
    rows.count("收集诉求", Cell::Empty, app.collected);
    rows.count("已办结", Cell::Empty, app.resolved);
    rows.count("不予受理", Cell::Empty, app.rejected);
    rows.count("办理中", Cell::Empty, app.open);
    rows.rate("诉求办结率", Cell::Empty, app.resolution_rate);
    rows.rate("群众满意率", Cell::Empty, app.satisfaction_rate);
    for (id, n) in &app.by_village {
        rows.count("按村（社区）收集", org(*id), *n);
    }
    for (category, n) in &app.by_category {
        rows.count("按类别收集", Cell::text(category.label()), *n);
    }
    Ok(rows.rows)
}

/// The rows of the statistics sheet, as they are added.
struct Figures {
    rows: Vec<Row>,
    as_of: NaiveDate,
    category: &'static str,
}

impl Figures {
    fn value(&mut self, figure: &str, value: Cell) {
        self.rows.push(vec![
            Cell::text(self.category),
            Cell::text(figure),
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            value,
            Cell::Date(self.as_of),
        ]);
    }

    fn count(&mut self, figure: &str, of: Cell, n: i32) {
        self.rows.push(vec![
            Cell::text(self.category),
            Cell::text(figure),
            of,
            Cell::Empty,
            Cell::Empty,
            Cell::int(n),
            Cell::Date(self.as_of),
        ]);
    }

    fn rate(&mut self, figure: &str, of: Cell, rate: statistics::Rate) {
        self.rows.push(vec![
            Cell::text(self.category),
            Cell::text(figure),
            of,
            Cell::int(rate.numerator),
            Cell::int(rate.denominator),
            rate.value().map_or(Cell::Empty, Cell::Float),
            Cell::Date(rate.as_of),
        ]);
    }
}

// ---- 联建活动: joint activities ----------------------------------------------------------------

pub const ACTIVITY_COLUMNS: &[Column] = &[
    col("标题", 36.0),
    col("类型", 10.0),
    col("状态", 10.0),
    col("联建组", 30.0),
    col("主办单位", 30.0),
    col("协办单位", 36.0),
    col("参加单位", 48.0),
    col("地点", 24.0),
    col("开始时间", 18.0),
    col("结束时间", 18.0),
    col("人数上限", 10.0),
    col("签到人数", 10.0),
    col("取消原因", 24.0),
];

/// The joint activities the actor may read that overlap the calendar days of the period (as
/// `jointActivities(filter: { fromDate, toDate, linkageGroupId })`), of one group when `group`
/// is given (a group the actor may read), by start time. Times are local.
pub async fn activities(
    db: &impl ConnectionTrait,
    actor: &Actor,
    zone: Tz,
    group: Option<Uuid>,
    period: Period,
) -> AppResult<Vec<Sheet>> {
    // Asked now so that an anonymous caller is refused before anything is sent.
    actor.scope("joint_activity", "read")?;
    let groups = actor.scope("linkage_group", "read")?;
    let period = period.check()?;
    if let Some(group) = group {
        readable_group(db, actor, group).await?;
    }
    let filter = activities::ActivityFilter {
        from: period
            .from
            .map(|d| local_midnight(zone, "from", d))
            .transpose()?,
        to: period
            .to
            .map(|d| {
                let next = d
                    .succ_opt()
                    .ok_or_else(|| AppError::bad_input("to", "to is too far ahead"))?;
                local_midnight(zone, "to", next)
            })
            .transpose()?,
        linkage_group_id: group,
        ..activities::ActivityFilter::default()
    };
    Ok(vec![Sheet {
        name: "联建活动",
        columns: ACTIVITY_COLUMNS,
        rows: Rows::Activities(Box::new(ActivityPages {
            actor: actor.clone(),
            filter,
            groups,
            zone,
            progress: Progress::default(),
        })),
    }])
}

/// The instant a local calendar day starts (the first one, should the zone skip midnight), no
/// later than the last instant the API accepts.
fn local_midnight(zone: Tz, field: &str, day: NaiveDate) -> AppResult<DateTime<Utc>> {
    use chrono::TimeZone;
    (0..=3)
        .find_map(|hour| {
            zone.from_local_datetime(&day.and_hms_opt(hour, 0, 0)?)
                .earliest()
        })
        .map(|t| Ord::min(t.with_timezone(&Utc), last_instant()))
        .ok_or_else(|| AppError::bad_input(field, format!("{field}: no such local date")))
}

/// The last instant a range may reach: SQLite compares instants as text, which breaks past
/// year 9999 (the API's `DateTime` stops there too).
fn last_instant() -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(9999, 12, 31)
        .and_then(|d| d.and_hms_micro_opt(23, 59, 59, 999_999))
        .map_or(DateTime::<Utc>::MAX_UTC, |t| t.and_utc())
}

struct ActivityPages {
    actor: Actor,
    filter: activities::ActivityFilter,
    /// Where the actor may read a linkage group's name.
    groups: Scope,
    zone: Tz,
    progress: Progress,
}

impl ActivityPages {
    async fn next(&mut self, db: &DatabaseConnection) -> AppResult<Option<Vec<Row>>> {
        if self.progress.done {
            return Ok(None);
        }
        let page =
            activities::list(db, &self.actor, &self.filter, &self.progress.request()).await?;
        let Some(list) = self.progress.advance(page) else {
            return Ok(None);
        };
        let ids: Vec<Uuid> = list.iter().map(|a| a.id).collect();
        let mut participants = activities::participants_of(db, &ids).await?;
        // Host, co-hosts, participants; within a role in the order they were listed.
        participants.sort_by_key(|p| {
            let rank = match p.role {
                ParticipantRole::Host => 0,
                ParticipantRole::CoHost => 1,
                ParticipantRole::Participant => 2,
            };
            (p.activity_id, rank, p.id)
        });
        let names = organization_names(
            db,
            list.iter()
                .map(|a| a.host_organization_id)
                .chain(participants.iter().map(|p| p.organization_id)),
        )
        .await?;
        let group_ids: Vec<Uuid> = list
            .iter()
            .filter_map(|a| a.linkage_group_id)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let group_names: HashMap<Uuid, String> = if group_ids.is_empty() {
            HashMap::new()
        } else {
            linkage_groups::get_many(db, &group_ids, &self.groups)
                .await?
                .into_iter()
                .map(|g| (g.id, g.name))
                .collect()
        };
        let attendees = activities::attendee_counts(db, &ids).await?;
        let mut by_role: HashMap<(Uuid, u8), Vec<String>> = HashMap::new();
        for p in &participants {
            let role = match p.role {
                ParticipantRole::Host => continue,
                ParticipantRole::CoHost => 1,
                ParticipantRole::Participant => 2,
            };
            by_role
                .entry((p.activity_id, role))
                .or_default()
                .push(name_of(&names, p.organization_id));
        }
        Ok(Some(
            list.into_iter()
                .map(|a| {
                    vec![
                        Cell::text(a.title.clone()),
                        Cell::text(a.kind.label()),
                        Cell::text(a.status.label()),
                        Cell::opt_text(
                            a.linkage_group_id
                                .and_then(|g| group_names.get(&g).cloned()),
                        ),
                        Cell::text(name_of(&names, a.host_organization_id)),
                        joined(by_role.remove(&(a.id, 1)).unwrap_or_default()),
                        joined(by_role.remove(&(a.id, 2)).unwrap_or_default()),
                        Cell::text(a.venue.clone()),
                        Cell::DateTime(local(self.zone, a.starts_at)),
                        Cell::DateTime(local(self.zone, a.ends_at)),
                        a.capacity.map_or(Cell::Empty, Cell::int),
                        Cell::Int(
                            i64::try_from(attendees.get(&a.id).copied().unwrap_or_default())
                                .unwrap_or(i64::MAX),
                        ),
                        Cell::opt_text(a.cancel_reason.clone()),
                    ]
                })
                .collect(),
        ))
    }
}

// ---- 民情诉求: residents' appeals, without personal data ----------------------------------------

pub const APPEAL_COLUMNS: &[Column] = &[
    col("编号", 16.0),
    col("村（社区）", 28.0),
    col("网格", 12.0),
    col("类别", 10.0),
    col("诉求内容", 48.0),
    col("状态", 12.0),
    col("登记日期", 12.0),
    col("办理时限", 12.0),
    col("逾期", 8.0),
    col("办结日期", 12.0),
    col("办理结果", 36.0),
    col("不予受理理由", 24.0),
    col("群众评价", 10.0),
    col("督办事项", 16.0),
];

/// The residents' appeals the actor may read (`residentAppeals`' scope) received in the period,
/// of the villages of one group (its current members and everything below them) when `group` is
/// given, newest receipt first. The resident's name, phone and address are never read, nor the
/// resident's feedback comment (free text in the resident's words) or the collector.
pub async fn appeals(
    db: &impl ConnectionTrait,
    actor: &Actor,
    clock: &Clock,
    group: Option<Uuid>,
    period: Period,
) -> AppResult<Vec<Sheet>> {
    use resident_appeal::Column as C;
    let read = actor.scope("resident_appeal", "read")?;
    let items = actor.scope("supervision_item", "read")?;
    let period = period.check()?;
    let mut condition = Condition::all().add(super::appeals::read_condition(&read));
    if let Some(group) = group {
        let group = readable_group(db, actor, group).await?;
        let villages = organization::Entity::find()
            .select_only()
            .column(organization::Column::Id)
            .filter(statistics::group_organizations(db, group.id).await?)
            .into_query();
        condition = condition.add(C::VillageId.in_subquery(villages));
    }
    if let Some(from) = period.from {
        condition = condition.add(C::ReceivedOn.gte(from));
    }
    if let Some(to) = period.to {
        condition = condition.add(C::ReceivedOn.lte(to));
    }
    Ok(vec![Sheet {
        name: "民情诉求",
        columns: APPEAL_COLUMNS,
        rows: Rows::Appeals(AppealPages {
            condition,
            items,
            today: clock.today(),
            last: None,
            done: false,
        }),
    }])
}

/// The columns read: nothing personal.
#[derive(Debug, FromQueryResult)]
struct AppealRow {
    id: Uuid,
    code: String,
    village_id: Uuid,
    grid: Option<String>,
    category: AppealCategory,
    content: String,
    status: AppealStatus,
    received_on: NaiveDate,
    due_on: NaiveDate,
    resolved_on: Option<NaiveDate>,
    resolution: Option<String>,
    rejection_reason: Option<String>,
    feedback_satisfaction: Option<Satisfaction>,
    supervision_item_id: Option<Uuid>,
}

struct AppealPages {
    condition: Condition,
    /// Where the actor may read supervision items: an escalated appeal's item number only then.
    items: Scope,
    today: NaiveDate,
    /// The keyset (date of receipt, id) of the last row handed out.
    last: Option<(NaiveDate, Uuid)>,
    done: bool,
}

fn satisfaction_label(s: Satisfaction) -> &'static str {
    match s {
        Satisfaction::Satisfied => "满意",
        Satisfaction::PartlySatisfied => "基本满意",
        Satisfaction::NotSatisfied => "不满意",
    }
}

impl AppealPages {
    async fn next(&mut self, db: &DatabaseConnection) -> AppResult<Option<Vec<Row>>> {
        use resident_appeal::Column as C;
        if self.done {
            return Ok(None);
        }
        let mut select = resident_appeal::Entity::find()
            .select_only()
            .columns([
                C::Id,
                C::Code,
                C::VillageId,
                C::Grid,
                C::Category,
                C::Content,
                C::Status,
                C::ReceivedOn,
                C::DueOn,
                C::ResolvedOn,
                C::Resolution,
                C::RejectionReason,
                C::FeedbackSatisfaction,
                C::SupervisionItemId,
            ])
            .filter(self.condition.clone());
        if let Some((received, id)) = self.last {
            select = select.filter(keyset_after(
                &[
                    Expr::col((resident_appeal::Entity, C::ReceivedOn)),
                    Expr::col((resident_appeal::Entity, C::Id)),
                ],
                &[received.into(), id.into()],
                true,
            ));
        }
        let rows = select
            .order_by(C::ReceivedOn, Order::Desc)
            .order_by(C::Id, Order::Desc)
            .limit(PAGE_ROWS)
            .into_model::<AppealRow>()
            .all(db)
            .await?;
        if (rows.len() as u64) < PAGE_ROWS {
            self.done = true;
        }
        let Some(last) = rows.last() else {
            self.done = true;
            return Ok(None);
        };
        self.last = Some((last.received_on, last.id));
        let villages = organization_names(db, rows.iter().map(|r| r.village_id)).await?;
        let item_ids: Vec<Uuid> = rows.iter().filter_map(|r| r.supervision_item_id).collect();
        let item_codes: HashMap<Uuid, String> = if item_ids.is_empty() {
            HashMap::new()
        } else {
            supervision::get_many(db, &item_ids, &self.items)
                .await?
                .into_iter()
                .map(|i| (i.id, i.code))
                .collect()
        };
        let today = self.today;
        Ok(Some(
            rows.into_iter()
                .map(|r| {
                    // `appeals::is_overdue`, on the columns read here.
                    let overdue =
                        matches!(r.status, AppealStatus::Received | AppealStatus::Accepted)
                            && r.due_on < today;
                    vec![
                        Cell::text(r.code),
                        Cell::text(name_of(&villages, r.village_id)),
                        Cell::opt_text(r.grid),
                        Cell::text(r.category.label()),
                        Cell::text(r.content),
                        Cell::text(r.status.label()),
                        Cell::Date(r.received_on),
                        Cell::Date(r.due_on),
                        Cell::text(yes_no(overdue)),
                        Cell::opt_date(r.resolved_on),
                        Cell::opt_text(r.resolution),
                        Cell::opt_text(r.rejection_reason),
                        Cell::opt_text(r.feedback_satisfaction.map(satisfaction_label)),
                        Cell::opt_text(
                            r.supervision_item_id
                                .and_then(|id| item_codes.get(&id).cloned()),
                        ),
                    ]
                })
                .collect(),
        ))
    }
}

// ---- 组织 and 人员: the files the bulk import reads back --------------------------------------

/// The columns of the organizations file, fixed: the import reads them back.
pub const ORGANIZATION_COLUMNS: &[Column] = &[
    col("名称", 36.0),
    col("简称", 16.0),
    col("编码", 16.0),
    col("层级", 10.0),
    col("单位类型", 10.0),
    col("片区", 24.0),
    col("上级组织", 36.0),
    col("上级编码", 16.0),
    col("联系方式", 24.0),
    col("重点村", 8.0),
    col("偏远村", 8.0),
];

/// The columns of the people file, fixed: the import reads them back.
pub const PEOPLE_COLUMNS: &[Column] = &[
    col("姓名", 12.0),
    col("性别", 6.0),
    col("手机号", 14.0),
    col("身份证号", 22.0),
    col("政治面貌", 14.0),
    col("所属组织", 36.0),
    col("组织编码", 16.0),
    col("职务", 36.0),
];

/// Every organization that is not archived (any signed-in user lists their public cards), parents
/// before children: by depth, then name, then id. The code (编码, 上级编码) and the contact are
/// internal: blank unless `organizations::internal_fields_scope` covers the organization.
pub async fn organizations(actor: &Actor) -> AppResult<Vec<Sheet>> {
    actor.require_signed_in()?;
    let internal = organizations::internal_fields_scope(actor)?;
    Ok(vec![Sheet {
        name: "组织",
        columns: ORGANIZATION_COLUMNS,
        rows: Rows::Organizations(OrganizationPages {
            internal,
            progress: Progress::default(),
        }),
    }])
}

/// Organizations in the order of the exports: parents before children.
const ORGANIZATION_KEYS: &[organization::Column] = &[
    organization::Column::Depth,
    organization::Column::Name,
    organization::Column::Id,
];

struct OrganizationPages {
    internal: Scope,
    progress: Progress,
}

impl OrganizationPages {
    async fn next(&mut self, db: &DatabaseConnection) -> AppResult<Option<Vec<Row>>> {
        if self.progress.done {
            return Ok(None);
        }
        let select =
            organization::Entity::find().filter(organization::Column::ArchivedAt.is_null());
        let page = fetch_page(db, select, ORGANIZATION_KEYS, &self.progress.request()).await?;
        let Some(list) = self.progress.advance(page) else {
            return Ok(None);
        };
        let parent_ids: Vec<Uuid> = list
            .iter()
            .filter_map(|o| o.parent_id)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let parents: HashMap<Uuid, organization::Model> = if parent_ids.is_empty() {
            HashMap::new()
        } else {
            organizations::get_many(db, &parent_ids)
                .await?
                .into_iter()
                .map(|o| (o.id, o))
                .collect()
        };
        let area_ids: Vec<Uuid> = list
            .iter()
            .map(|o| o.area_id)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let areas: HashMap<Uuid, String> = area::Entity::find()
            .filter(super::one_of(db, area::Column::Id, area_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|a| (a.id, a.name))
            .collect();
        let everyone: Vec<&organization::Model> = list.iter().chain(parents.values()).collect();
        let covered = covered(db, &self.internal, &everyone).await?;
        let internal = |o: &organization::Model, value: &Option<String>| {
            if covered.contains(&o.id) {
                Cell::opt_text(value.clone())
            } else {
                Cell::Empty
            }
        };
        Ok(Some(
            list.iter()
                .map(|o| {
                    let parent = o.parent_id.and_then(|p| parents.get(&p));
                    vec![
                        Cell::text(o.name.clone()),
                        Cell::opt_text(o.short_name.clone()),
                        internal(o, &o.external_code),
                        Cell::text(o.level.label()),
                        Cell::text(o.unit_type.label()),
                        Cell::opt_text(areas.get(&o.area_id).cloned()),
                        Cell::opt_text(parent.map(|p| p.name.clone())),
                        parent.map_or(Cell::Empty, |p| internal(p, &p.external_code)),
                        internal(o, &o.contact),
                        Cell::text(yes_no(o.key_village)),
                        Cell::text(yes_no(o.remote)),
                    ]
                })
                .collect(),
        ))
    }
}

/// The people the actor may read (`people`' scope), by organization in the order of the
/// organizations file (archived organizations in their place too, as the API lists their
/// people), then name, then id. Phone and ID-card numbers in full only where
/// `people::personal_data_scope` covers the person's organization, masked elsewhere, as the API
/// shows them; 职务 lists the positions held today (not ended, or ending after today), oldest
/// first, as `书记（2021-06-01起）`.
pub async fn people(actor: &Actor, clock: &Clock) -> AppResult<Vec<Sheet>> {
    let read = actor.scope("person", "read")?;
    let personal = people::personal_data_scope(actor)?;
    let internal = organizations::internal_fields_scope(actor)?;
    Ok(vec![Sheet {
        name: "人员",
        columns: PEOPLE_COLUMNS,
        rows: Rows::People(Box::new(PeoplePages {
            condition: read.organization_condition(person::Column::OrganizationId),
            personal,
            internal,
            today: clock.today(),
            organizations: Progress::default(),
            pending: VecDeque::new(),
            large: None,
        })),
    }])
}

/// People are read organization by organization, in the organizations' order, on the index of
/// (organization, name, id): a page of organizations and how many readable people each has,
/// then the people of a run of small organizations in one statement (at most a page), or of a
/// large one page by page.
struct PeoplePages {
    /// The people the actor may read.
    condition: Condition,
    personal: Scope,
    internal: Scope,
    today: NaiveDate,
    organizations: Progress,
    /// Organizations of the page read, in order, with how many people to hand out.
    pending: VecDeque<(organization::Model, u64)>,
    /// An organization with more than a page of people, and the last (name, id) handed out.
    large: Option<(organization::Model, Option<(String, Uuid)>)>,
}

impl PeoplePages {
    async fn next(&mut self, db: &DatabaseConnection) -> AppResult<Option<Vec<Row>>> {
        use person::Column as P;
        loop {
            if let Some((org, after)) = &mut self.large {
                let mut select = person::Entity::find()
                    .filter(P::OrganizationId.eq(org.id))
                    .filter(self.condition.clone());
                if let Some((name, id)) = after.clone() {
                    select = select.filter(keyset_after(
                        &[
                            Expr::col((person::Entity, P::Name)),
                            Expr::col((person::Entity, P::Id)),
                        ],
                        &[name.into(), id.into()],
                        false,
                    ));
                }
                let list = select
                    .order_by(P::Name, Order::Asc)
                    .order_by(P::Id, Order::Asc)
                    .limit(PAGE_ROWS)
                    .all(db)
                    .await?;
                *after = list.last().map(|p| (p.name.clone(), p.id));
                let org = org.clone();
                if (list.len() as u64) < PAGE_ROWS {
                    self.large = None;
                }
                if !list.is_empty() {
                    return self.rows(db, list, &[org]).await.map(Some);
                }
                continue;
            }
            let Some((_, first)) = self.pending.front() else {
                if self.organizations.done {
                    return Ok(None);
                }
                self.read_organizations(db).await?;
                continue;
            };
            if *first > PAGE_ROWS {
                if let Some((org, _)) = self.pending.pop_front() {
                    self.large = Some((org, None));
                }
                continue;
            }
            // A run of small organizations: at most a page of people together.
            let mut batch = Vec::new();
            let mut total = 0;
            while let Some((_, count)) = self.pending.front() {
                if total + count > PAGE_ROWS {
                    break;
                }
                total += count;
                if let Some((org, _)) = self.pending.pop_front() {
                    batch.push(org);
                }
            }
            let mut list = person::Entity::find()
                .filter(super::one_of(
                    db,
                    P::OrganizationId,
                    batch.iter().map(|o| o.id),
                ))
                .filter(self.condition.clone())
                .order_by(P::OrganizationId, Order::Asc)
                .order_by(P::Name, Order::Asc)
                .order_by(P::Id, Order::Asc)
                .all(db)
                .await?;
            // The organizations' order; within one, the database's order of names.
            let rank: HashMap<Uuid, usize> =
                batch.iter().enumerate().map(|(i, o)| (o.id, i)).collect();
            list.sort_by_key(|p| rank.get(&p.organization_id).copied());
            if !list.is_empty() {
                return self.rows(db, list, &batch).await.map(Some);
            }
        }
    }

    /// The next page of organizations, keeping those with people the actor may read.
    async fn read_organizations(&mut self, db: &DatabaseConnection) -> AppResult<()> {
        let page = fetch_page(
            db,
            organization::Entity::find(),
            ORGANIZATION_KEYS,
            &self.organizations.request(),
        )
        .await?;
        let Some(list) = self.organizations.advance(page) else {
            return Ok(());
        };
        let counts = super::pagination::count_by(
            db,
            person::Entity::find()
                .filter(super::one_of(
                    db,
                    person::Column::OrganizationId,
                    list.iter().map(|o| o.id),
                ))
                .filter(self.condition.clone()),
            person::Column::OrganizationId,
        )
        .await?;
        self.pending.extend(
            list.into_iter()
                .filter_map(|o| counts.get(&o.id).copied().map(|n| (o, n)))
                .filter(|(_, n)| *n > 0),
        );
        Ok(())
    }

    async fn rows(
        &self,
        db: &DatabaseConnection,
        list: Vec<person::Model>,
        orgs: &[organization::Model],
    ) -> AppResult<Vec<Row>> {
        let by_id: HashMap<Uuid, &organization::Model> = orgs.iter().map(|o| (o.id, o)).collect();
        let all: Vec<&organization::Model> = orgs.iter().collect();
        let personal = covered(db, &self.personal, &all).await?;
        let internal = covered(db, &self.internal, &all).await?;
        let ids: Vec<Uuid> = list.iter().map(|p| p.id).collect();
        let mut positions: HashMap<Uuid, Vec<String>> = HashMap::new();
        for held in people::positions_of(db, &ids).await? {
            if held.ended_on.is_some_and(|end| end <= self.today) {
                continue;
            }
            positions.entry(held.person_id).or_default().push(format!(
                "{}（{}起）",
                held.position.label(),
                held.started_on.format("%Y-%m-%d")
            ));
        }
        Ok(list
            .into_iter()
            .map(|person| {
                let org = by_id.get(&person.organization_id).copied();
                let full = personal.contains(&person.organization_id);
                let shown = |value: &Option<String>, mask: fn(&str) -> String| {
                    value
                        .as_deref()
                        .map(|v| if full { v.to_owned() } else { mask(v) })
                };
                vec![
                    Cell::text(person.name.clone()),
                    Cell::opt_text(person.gender.map(Label::label)),
                    Cell::opt_text(shown(&person.phone, super::values::mask_phone)),
                    Cell::opt_text(shown(&person.id_number, super::values::mask_id_number)),
                    Cell::text(person.political_status.label()),
                    Cell::opt_text(org.map(|o| o.name.clone())),
                    org.filter(|o| internal.contains(&o.id))
                        .map_or(Cell::Empty, |o| Cell::opt_text(o.external_code.clone())),
                    joined(positions.remove(&person.id).unwrap_or_default()),
                ]
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_ending_before_it_starts_is_refused_on_to() {
        let day = |s: &str| s.parse::<NaiveDate>().ok();
        let backwards = Period {
            from: day("2026-06-02"),
            to: day("2026-06-01"),
        };
        match backwards.check() {
            Err(AppError::BadUserInput { field, .. }) => assert_eq!(field, "to"),
            other => panic!("{other:?}"),
        }
        let open = Period {
            from: day("2026-06-02"),
            to: None,
        };
        assert_eq!(open.check().ok(), Some(open));
    }

    #[test]
    fn names_are_joined_with_the_enumeration_comma() {
        assert_eq!(
            joined(vec!["甲村".to_owned(), String::new(), "乙村".to_owned()]),
            Cell::Text("甲村、乙村".to_owned())
        );
        assert_eq!(joined(Vec::new()), Cell::Empty);
    }
}
