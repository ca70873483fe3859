//! `lianjian generate`: data sets for performance work. The demo first (its accounts sign in),
//! then organizations, people, joint activities, supervision items and appeals grown below the
//! demo's organizations, written in multi-row statements, a transaction per chunk.
//!
//! Every generated row is a function of its index, the shape and the demo's load day (read back
//! from the demo's linkage group, so a rerun on a later day builds the same rows): ids are UUID
//! v7-shaped with a fixed marker and the index, and each row's random choices come from an RNG
//! seeded with its index. A chunk whose last row exists is skipped, and inserts ignore rows
//! already there, so a rerun finishes an interrupted run and changes nothing after a finished
//! one. No audit entries or outbox events are written: the rows are data, not changes anyone
//! made. Escalations the daily pass would have recorded for overdue items are written with them.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use entities::{
    activity_participant,
    enums::{
        ActivityKind, ActivityStatus, AppealCategory, AppealEventKind, AppealStatus,
        EscalationLevel, Gender, LinkageRole, OrganizationLevel, ParticipantRole, PoliticalStatus,
        Position, Priority, Satisfaction, SupervisionEventKind, SupervisionSource,
        SupervisionStatus, UnitType,
    },
    joint_activity, linkage_group, linkage_group_member,
    organization::{self, path_segment},
    person, person_position, resident_appeal, supervision_assignment, supervision_escalation,
    supervision_event, supervision_item, user_account,
};
use rand::{Rng, SeedableRng, rngs::StdRng};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, Iterable,
    QueryFilter, QueryOrder, Set, Statement, TransactionTrait,
};
use uuid::Uuid;

use crate::{
    error::{AppError, AppResult},
    services::{activities::venue_key, demo, demo_data, workdays::WorkCalendar},
};

pub mod cli;

/// How much to generate beyond the demo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub organizations: u64,
    pub people: u64,
    pub activities: u64,
    pub items: u64,
    pub appeals: u64,
}

impl Shape {
    /// The demo alone.
    pub const fn s() -> Self {
        Self {
            organizations: 0,
            people: 0,
            activities: 0,
            items: 0,
            appeals: 0,
        }
    }

    pub const fn m() -> Self {
        Self {
            organizations: 1_000,
            people: 30_000,
            activities: 100_000,
            items: 10_000,
            appeals: 5_000,
        }
    }

    pub const fn l() -> Self {
        Self {
            organizations: 10_000,
            people: 300_000,
            activities: 1_000_000,
            items: 100_000,
            appeals: 30_000,
        }
    }

    /// Committees directly below the demo's root organizations, one linkage group each.
    pub fn committees(&self) -> u64 {
        self.organizations.div_ceil(50)
    }

    /// General branches below the committees; the rest are branches below them.
    pub fn general_branches(&self) -> u64 {
        (self.organizations - self.committees()).min(self.organizations.div_ceil(8))
    }
}

/// Hears how far each part got.
pub trait Progress {
    fn start(&mut self, part: &'static str, total: u64);
    fn advance(&mut self, done: u64);
    fn finish(&mut self);
}

/// Hears nothing.
pub struct Quiet;

impl Progress for Quiet {
    fn start(&mut self, _: &'static str, _: u64) {}
    fn advance(&mut self, _: u64) {}
    fn finish(&mut self) {}
}

#[derive(Debug, Clone)]
pub struct Options {
    /// The day the demo is laid out around when this run loads it.
    pub today: NaiveDate,
    pub zone: chrono_tz::Tz,
    /// Test hook: return after writing this many chunks, as if interrupted.
    pub stop_after_chunks: Option<usize>,
}

#[derive(Debug)]
pub struct Outcome {
    pub demo: demo::DemoOutcome,
    /// The day the rows are laid out around (the demo's load day).
    pub anchor: NaiveDate,
    /// False when `stop_after_chunks` cut the run short.
    pub complete: bool,
    /// Chunks written by this run (skipped ones not counted).
    pub chunks_written: usize,
}

/// The tables `generate` fills, in the order it reports them.
pub const TABLES: &[&str] = &[
    "area",
    "organization",
    "linkage_group",
    "linkage_group_member",
    "person",
    "person_position",
    "user_account",
    "joint_activity",
    "activity_participant",
    "supervision_item",
    "supervision_assignment",
    "supervision_event",
    "supervision_escalation",
    "resident_appeal",
    "appeal_event",
];

/// Row counts of `TABLES`.
pub async fn table_counts(db: &impl ConnectionTrait) -> AppResult<Vec<(&'static str, i64)>> {
    let mut counts = Vec::new();
    for table in TABLES {
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await?;
        let n = match row {
            Some(row) => row.try_get::<i64>("", "n")?,
            None => 0,
        };
        counts.push((*table, n));
    }
    Ok(counts)
}

/// Bound parameters per statement: under SQLite's 32,766 (PostgreSQL allows 65,535).
const MAX_PARAMS: usize = 30_000;

/// The marker in the random bits of every generated id ("lj gen").
const MARK: u128 = 0x2c_6a67;

/// Tables' tags in the ids.
mod tag {
    pub const ORGANIZATION: u16 = 1;
    pub const GROUP: u16 = 2;
    pub const MEMBER: u16 = 3;
    pub const PERSON: u16 = 4;
    pub const POSITION: u16 = 5;
    pub const ACTIVITY: u16 = 6;
    pub const PARTICIPANT: u16 = 7;
    pub const ITEM: u16 = 8;
    pub const ASSIGNMENT: u16 = 9;
    pub const EVENT: u16 = 10;
    pub const ESCALATION: u16 = 11;
    pub const APPEAL: u16 = 12;
    pub const APPEAL_EVENT: u16 = 13;
}

/// A UUID v7 whose time is `at`, with the table's tag in `rand_a` and the marker and `index`
/// in `rand_b`: ordered by time like the API's ids, and the same on every run.
pub fn id(tag: u16, index: u64, at: DateTime<Utc>) -> Uuid {
    let ms = u128::from(u64::try_from(at.timestamp_millis()).unwrap_or(0) & 0xFFFF_FFFF_FFFF);
    let high = (ms << 16) | 0x7000 | u128::from(tag & 0x0FFF);
    let low = (0b10u128 << 62) | (MARK << 40) | u128::from(index & 0xFF_FFFF_FFFF);
    Uuid::from_u128((high << 64) | low)
}

/// Whether `id` is one `generate` made.
pub fn is_generated(id: Uuid) -> bool {
    let low = id.as_u128() & 0xFFFF_FFFF_FFFF_FFFF;
    (low >> 40) & 0x3F_FFFF == MARK && (id.as_u128() >> 76) & 0xF == 7
}

fn rng(tag: u16, index: u64) -> StdRng {
    StdRng::seed_from_u64((u64::from(tag) << 48) ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

const SYLLABLES: [&str; 30] = [
    "石", "坑", "南", "平", "龙", "岗", "新", "田", "塘", "头", "山", "下", "东", "西", "北", "湖",
    "桥", "背", "江", "埔", "岭", "水", "和", "安", "福", "兴", "乐", "明", "光", "华",
];
const SURNAMES: [&str; 20] = [
    "陈", "李", "黄", "张", "梁", "刘", "林", "何", "罗", "钟", "邓", "谢", "曾", "冯", "朱", "潘",
    "郭", "叶", "徐", "吴",
];
const GIVEN: [&str; 24] = [
    "伟", "芳", "敏", "强", "丽", "军", "静", "杰", "娟", "涛", "明", "霞", "志", "红", "斌", "燕",
    "文", "玲", "华", "萍", "建", "婷", "海", "琳",
];
const TOPICS: [&str; 12] = [
    "学习贯彻党的二十届三中全会精神",
    "景区环境整治",
    "防汛安全巡查",
    "乡村振兴产业对接",
    "温泉旅游服务提升",
    "邻里纠纷调解",
    "垃圾分类宣传",
    "森林防火宣传",
    "法律进村入户",
    "关爱留守老人",
    "村级集体经济发展",
    "党员志愿服务",
];

/// A place name of two or three syllables, different for every index below 27,000.
fn place(i: u64) -> String {
    let s = |n: u64| SYLLABLES[(n % 30) as usize];
    if i < 900 {
        format!("{}{}", s(i), s(i / 30 + 7))
    } else {
        format!("{}{}{}", s(i), s(i / 30), s(i / 900))
    }
}

#[derive(Debug, Clone)]
struct OrgPlan {
    id: Uuid,
    parent: Uuid,
    path: String,
    depth: i32,
    level: OrganizationLevel,
    unit_type: UnitType,
    area: Uuid,
    name: String,
    short_name: String,
    group: usize,
    created_at: DateTime<Utc>,
}

/// Everything the rows are computed from, built in memory before the first write.
struct Plan {
    shape: Shape,
    anchor: NaiveDate,
    zone: chrono_tz::Tz,
    calendar: WorkCalendar,
    supervisor: Option<Uuid>,
    orgs: Vec<OrgPlan>,
    /// Per group: its organizations (the committee first), and each organization's place there.
    members: Vec<Vec<usize>>,
    place_in_group: Vec<usize>,
    group_ids: Vec<Uuid>,
    /// Per item: (year, seq) in its group's ledger.
    item_numbers: Vec<(i32, i32)>,
    villages: Vec<usize>,
    appeal_numbers: Vec<(i32, i32)>,
}

fn at_local(zone: chrono_tz::Tz, day: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
    day.and_hms_opt(hour, minute, 0)
        .and_then(|t| zone.from_local_datetime(&t).earliest())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
}

fn days(n: i64) -> Duration {
    Duration::days(n)
}

/// The span generated history covers: three years before the anchor.
const HISTORY_DAYS: i64 = 3 * 365;

impl Plan {
    fn at(&self, day: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
        at_local(self.zone, day, hour, minute)
    }

    fn org_id(&self, i: usize) -> Uuid {
        self.orgs[i].id
    }

    /// The `n`-th person of organization `org`, if the shape has that many people.
    fn person_of(&self, org: usize, n: u64) -> Option<Uuid> {
        let j = org as u64 + n * self.shape.organizations;
        (j < self.shape.people).then(|| person_id(self, j))
    }
}

struct Roots {
    ids: Vec<(Uuid, String, Uuid, i32)>,
}

/// The demo's root committees (a party branch at the root takes no committee below it).
async fn roots(db: &impl ConnectionTrait) -> AppResult<Roots> {
    let found = organization::Entity::find()
        .filter(organization::Column::ParentId.is_null())
        .filter(organization::Column::Level.eq(OrganizationLevel::Committee))
        .order_by_asc(organization::Column::Name)
        .all(db)
        .await?;
    Ok(Roots {
        ids: found
            .into_iter()
            .map(|o| (o.id, o.path, o.area_id, o.depth))
            .collect(),
    })
}

fn plan_organizations(
    shape: &Shape,
    anchor: NaiveDate,
    zone: chrono_tz::Tz,
    roots: &Roots,
) -> Vec<OrgPlan> {
    let n = shape.organizations;
    let c = shape.committees();
    let g = shape.general_branches();
    let mut orgs: Vec<OrgPlan> = Vec::with_capacity(n as usize);
    let start = anchor - days(HISTORY_DAYS + 30);
    for i in 0..n {
        let created_at = at_local(
            zone,
            start + days((i / 100) as i64 % 30),
            9,
            (i % 60) as u32,
        );
        let id = id(tag::ORGANIZATION, i, created_at);
        let place = place(i);
        let mut r = rng(tag::ORGANIZATION, i);
        let (parent, parent_path, parent_depth, area, group, level, unit_type, name, short) =
            if i < c {
                let (root, path, area, depth) = &roots.ids[(i as usize) % roots.ids.len()];
                (
                    *root,
                    path.clone(),
                    *depth,
                    *area,
                    i as usize,
                    OrganizationLevel::Committee,
                    UnitType::Government,
                    format!("中共{place}片区委员会"),
                    format!("{place}片区党委"),
                )
            } else if i < c + g {
                let committee = ((i - c) % c) as usize;
                let p = &orgs[committee];
                let unit = if r.random_bool(0.6) {
                    UnitType::Community
                } else {
                    UnitType::Village
                };
                let kind = if unit == UnitType::Community {
                    "社区"
                } else {
                    "村"
                };
                (
                    p.id,
                    p.path.clone(),
                    p.depth,
                    p.area,
                    p.group,
                    OrganizationLevel::GeneralBranch,
                    unit,
                    format!("{place}{kind}党总支部"),
                    format!("{place}{kind}党总支"),
                )
            } else {
                let gb = (c + (i - c - g) % g) as usize;
                let p = &orgs[gb];
                let unit = match r.random_range(0..10) {
                    0..=4 => UnitType::Village,
                    5..=6 => UnitType::Community,
                    7 => UnitType::ScenicUnit,
                    8 => UnitType::Enterprise,
                    _ => UnitType::School,
                };
                let name = match unit {
                    UnitType::Village => format!("{place}村党支部"),
                    UnitType::Community => format!("{place}社区党支部"),
                    UnitType::ScenicUnit => format!("{place}景区党支部"),
                    UnitType::Enterprise => format!("{place}实业有限公司党支部"),
                    _ => format!("{place}小学党支部"),
                };
                let short = name.replace("党支部", "支部");
                (
                    p.id,
                    p.path.clone(),
                    p.depth,
                    p.area,
                    p.group,
                    OrganizationLevel::Branch,
                    unit,
                    name,
                    short,
                )
            };
        orgs.push(OrgPlan {
            id,
            parent,
            path: format!("{parent_path}{}/", path_segment(id)),
            depth: parent_depth + 1,
            level,
            unit_type,
            area,
            name,
            short_name: short,
            group,
            created_at,
        });
    }
    orgs
}

async fn plan(
    db: &impl ConnectionTrait,
    shape: Shape,
    anchor: NaiveDate,
    zone: chrono_tz::Tz,
) -> AppResult<Plan> {
    let roots = roots(db).await?;
    if roots.ids.is_empty() && shape.organizations > 0 {
        return Err(AppError::internal("the demo's organizations are missing"));
    }
    let orgs = plan_organizations(&shape, anchor, zone, &roots);
    let groups = shape.committees() as usize;
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); groups];
    let mut place_in_group = vec![0; orgs.len()];
    for (i, o) in orgs.iter().enumerate() {
        place_in_group[i] = members[o.group].len();
        members[o.group].push(i);
    }
    let group_ids = (0..groups)
        .map(|g| id(tag::GROUP, g as u64, orgs[g].created_at))
        .collect();
    let supervisor = user_account::Entity::find()
        .filter(user_account::Column::Username.eq("supervisor"))
        .one(db)
        .await?
        .map(|u| u.id);
    let calendar = WorkCalendar::load(db).await?;
    let mut plan = Plan {
        shape,
        anchor,
        zone,
        calendar,
        supervisor,
        orgs,
        members,
        place_in_group,
        group_ids,
        item_numbers: Vec::new(),
        villages: Vec::new(),
        appeal_numbers: Vec::new(),
    };
    let mut next: HashMap<(usize, i32), i32> = HashMap::new();
    for k in 0..shape.items {
        let item = item_shape(&plan, k);
        let year = item.opened_on.year();
        let seq = next.entry((item.group, year)).or_insert(0);
        *seq += 1;
        plan.item_numbers.push((year, *seq));
    }
    plan.villages = plan
        .orgs
        .iter()
        .enumerate()
        .filter(|(_, o)| matches!(o.unit_type, UnitType::Village | UnitType::Community))
        .map(|(i, _)| i)
        .collect();
    if plan.villages.is_empty() {
        plan.villages = (0..plan.orgs.len()).collect();
    }
    let mut next: HashMap<(usize, i32), i32> = HashMap::new();
    for a in 0..shape.appeals {
        let appeal = appeal_shape(&plan, a);
        let year = appeal.received_on.year();
        let seq = next.entry((appeal.village, year)).or_insert(0);
        *seq += 1;
        plan.appeal_numbers.push((year, *seq));
    }
    Ok(plan)
}

/// Inserts `rows` in statements of as many rows as the parameter bound allows; rows already
/// there are left alone.
async fn insert<A>(db: &impl ConnectionTrait, rows: Vec<A>) -> AppResult<()>
where
    A: ActiveModelTrait + Send,
{
    let columns = <<A::Entity as EntityTrait>::Column as Iterable>::iter()
        .count()
        .max(1);
    let per = (MAX_PARAMS / columns).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let batch: Vec<A> = rows.by_ref().take(per).collect();
        A::Entity::insert_many(batch)
            .on_conflict_do_nothing()
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

async fn exists<E>(db: &impl ConnectionTrait, id: Uuid) -> AppResult<bool>
where
    E: EntityTrait,
    <E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType: From<Uuid>,
{
    Ok(E::find_by_id(id).one(db).await?.is_some())
}

// ---- Organizations, groups, people ------------------------------------------------------------

fn organization_rows(plan: &Plan, range: std::ops::Range<u64>) -> Vec<organization::ActiveModel> {
    range
        .map(|i| {
            let o = &plan.orgs[i as usize];
            let mut r = rng(tag::ORGANIZATION, i + 1_000_000);
            let village = o.unit_type == UnitType::Village;
            organization::ActiveModel {
                id: Set(o.id),
                name: Set(o.name.clone()),
                short_name: Set(Some(o.short_name.chars().take(30).collect())),
                external_code: Set(None),
                level: Set(o.level),
                unit_type: Set(o.unit_type),
                area_id: Set(o.area),
                parent_id: Set(Some(o.parent)),
                path: Set(o.path.clone()),
                depth: Set(o.depth),
                contact: Set(None),
                key_village: Set(village && r.random_bool(0.15)),
                remote: Set(village && r.random_bool(0.1)),
                archived_at: Set(None),
                created_at: Set(o.created_at),
                updated_at: Set(o.created_at),
            }
        })
        .collect()
}

fn group_rows(
    plan: &Plan,
    range: std::ops::Range<u64>,
) -> (
    Vec<linkage_group::ActiveModel>,
    Vec<linkage_group_member::ActiveModel>,
) {
    let mut groups = Vec::new();
    let mut members = Vec::new();
    for g in range {
        let committee = &plan.orgs[g as usize];
        let created_at = committee.created_at + days(1);
        let joined_on = created_at.with_timezone(&plan.zone).date_naive();
        groups.push(linkage_group::ActiveModel {
            id: Set(plan.group_ids[g as usize]),
            name: Set(format!("{}党建联建组（{}）", committee.short_name, g + 1)),
            description: Set(Some(format!(
                "{}与辖区党组织组成的党建联建组：联合开展活动，建立工作台账，两周督办。",
                committee.name
            ))),
            lead_organization_id: Set(committee.id),
            cadence_days: Set(14),
            cadence_starts_on: Set(joined_on),
            created_at: Set(created_at),
            updated_at: Set(created_at),
        });
        for &o in &plan.members[g as usize] {
            members.push(linkage_group_member::ActiveModel {
                id: Set(id(tag::MEMBER, o as u64, created_at)),
                linkage_group_id: Set(plan.group_ids[g as usize]),
                organization_id: Set(plan.org_id(o)),
                role: Set(if o == g as usize {
                    LinkageRole::Lead
                } else {
                    LinkageRole::Member
                }),
                joined_on: Set(joined_on),
                left_on: Set(None),
                created_at: Set(created_at),
            });
        }
    }
    (groups, members)
}

fn person_created(plan: &Plan, j: u64) -> DateTime<Utc> {
    plan.at(
        plan.anchor - days(HISTORY_DAYS - (j / 1000) as i64 % 30),
        10,
        (j % 60) as u32,
    )
}

fn person_id(plan: &Plan, j: u64) -> Uuid {
    id(tag::PERSON, j, person_created(plan, j))
}

fn people_rows(
    plan: &Plan,
    range: std::ops::Range<u64>,
) -> (Vec<person::ActiveModel>, Vec<person_position::ActiveModel>) {
    let n = plan.shape.organizations.max(1);
    let mut people = Vec::new();
    let mut positions = Vec::new();
    for j in range {
        let mut r = rng(tag::PERSON, j);
        let created_at = person_created(plan, j);
        let female = j % 2 == 1;
        let name = format!(
            "{}{}{}",
            SURNAMES[r.random_range(0..SURNAMES.len())],
            GIVEN[r.random_range(0..GIVEN.len())],
            if j % 3 == 0 {
                ""
            } else {
                GIVEN[r.random_range(0..GIVEN.len())]
            }
        );
        // Region 440199 is not the demo's; birth date and sequence differ for every index.
        let birth =
            NaiveDate::from_ymd_opt(1950, 1, 1).unwrap_or_default() + days((j / 500) as i64);
        let first17 = format!(
            "440199{}{:03}",
            birth.format("%Y%m%d"),
            (j % 500) * 2 + u64::from(!female)
        );
        let id_number = crate::services::values::id_number_check_digit(&first17)
            .map(|c| format!("{first17}{c}"));
        let political_status = match j % 10 {
            0..=6 => PoliticalStatus::FullMember,
            7 => PoliticalStatus::ProbationaryMember,
            8 => PoliticalStatus::LeagueMember,
            _ => PoliticalStatus::Masses,
        };
        let person = person_id(plan, j);
        people.push(person::ActiveModel {
            id: Set(person),
            name: Set(name),
            gender: Set(Some(if female { Gender::Female } else { Gender::Male })),
            phone: Set(Some(format!(
                "1{}{:09}",
                3 + j % 6,
                (j * 7_654_321 + 1_234_567) % 1_000_000_000
            ))),
            id_number: Set(id_number),
            political_status: Set(political_status),
            organization_id: Set(plan.org_id((j % n) as usize)),
            created_at: Set(created_at),
            updated_at: Set(created_at),
        });
        let position = match j / n {
            0 => Position::Secretary,
            1 => Position::DeputySecretary,
            2 => Position::CommitteeMember,
            _ => match r.random_range(0..4) {
                0 => Position::Cadre,
                1 => Position::GridWorker,
                2 => Position::Volunteer,
                _ => Position::LegalAdviser,
            },
        };
        let started_on = plan.anchor - days(30 + (j % 2000) as i64);
        positions.push(person_position::ActiveModel {
            id: Set(id(tag::POSITION, j * 2, created_at)),
            person_id: Set(person),
            position: Set(position),
            started_on: Set(started_on),
            ended_on: Set(None),
        });
        if j % 4 == 0 {
            positions.push(person_position::ActiveModel {
                id: Set(id(tag::POSITION, j * 2 + 1, created_at)),
                person_id: Set(person),
                position: Set(Position::Volunteer),
                started_on: Set(started_on - days(700)),
                ended_on: Set(Some(started_on - days(1))),
            });
        }
    }
    (people, positions)
}

// ---- Joint activities -------------------------------------------------------------------------

const KINDS: [(ActivityKind, &str); 8] = [
    (ActivityKind::ThemedPartyDay, "主题党日"),
    (ActivityKind::StudySession, "联合学习"),
    (ActivityKind::VolunteerService, "志愿服务"),
    (ActivityKind::Patrol, "联合巡查"),
    (ActivityKind::Mediation, "矛盾调解"),
    (ActivityKind::Publicity, "政策宣传"),
    (ActivityKind::JointMeeting, "联席会议"),
    (ActivityKind::Other, "联建活动"),
];

/// Participants of activity `k` besides its host: other members of the host's group.
fn others(plan: &Plan, host: usize, wanted: usize) -> Vec<usize> {
    let group = &plan.members[plan.orgs[host].group];
    let at = plan.place_in_group[host];
    (1..group.len())
        .take(wanted)
        .map(|t| group[(at + t) % group.len()])
        .collect()
}

fn activity_start_day(plan: &Plan, k: u64) -> NaiveDate {
    // From three years back to three months ahead, in index order.
    let span = HISTORY_DAYS + 90;
    let a = plan.shape.activities.max(1);
    plan.anchor - days(HISTORY_DAYS) + days((k as i64 * span) / a as i64)
}

fn activity_rows(
    plan: &Plan,
    range: std::ops::Range<u64>,
) -> (
    Vec<joint_activity::ActiveModel>,
    Vec<activity_participant::ActiveModel>,
) {
    let n = plan.shape.organizations;
    let now = plan.at(plan.anchor, 8, 0);
    let mut activities = Vec::new();
    let mut participants = Vec::new();
    for k in range {
        let mut r = rng(tag::ACTIVITY, k);
        let host = ((k * 7_919) % n) as usize;
        let day = activity_start_day(plan, k);
        let starts_at = plan.at(day, 9 + 2 * (k % 4) as u32, 0);
        let ends_at = starts_at + Duration::hours(2);
        let created_at = starts_at - days(14);
        let (kind, kind_name) = KINDS[r.random_range(0..KINDS.len())];
        let topic = TOPICS[r.random_range(0..TOPICS.len())];
        let status = if ends_at < now {
            if k % 10 == 9 {
                ActivityStatus::Cancelled
            } else {
                ActivityStatus::Completed
            }
        } else if k % 2 == 0 {
            ActivityStatus::Confirmed
        } else {
            ActivityStatus::Planned
        };
        let completed_at =
            (status == ActivityStatus::Completed).then(|| ends_at + Duration::hours(1));
        let version = match status {
            ActivityStatus::Planned => 1,
            ActivityStatus::Confirmed | ActivityStatus::Cancelled => 2,
            ActivityStatus::Completed => 3,
        };
        let venue = format!("{}党群服务中心", plan.orgs[host].short_name);
        let activity = id(tag::ACTIVITY, k, created_at);
        let others = others(plan, host, 1 + (k % 3) as usize);
        activities.push(joint_activity::ActiveModel {
            id: Set(activity),
            title: Set(format!("{kind_name}：{topic}")),
            kind: Set(kind),
            linkage_group_id: Set((k % 2 == 0).then(|| plan.group_ids[plan.orgs[host].group])),
            host_organization_id: Set(plan.org_id(host)),
            venue_key: Set(venue_key(&venue)),
            venue: Set(venue),
            starts_at: Set(starts_at),
            ends_at: Set(ends_at),
            capacity: Set(Some(20 + 10 * (k % 5) as i32)),
            description: Set(None),
            status: Set(status),
            cancel_reason: Set(
                (status == ActivityStatus::Cancelled).then(|| "天气原因，活动取消".to_owned())
            ),
            summary: Set(completed_at
                .map(|_| format!("围绕{topic}开展{kind_name}，各参与党组织交流了做法。"))),
            completed_at: Set(completed_at),
            version: Set(version),
            created_at: Set(created_at),
            updated_at: Set(completed_at.unwrap_or(created_at)),
        });
        for (t, org) in std::iter::once(host).chain(others).enumerate() {
            participants.push(activity_participant::ActiveModel {
                id: Set(id(tag::PARTICIPANT, k * 4 + t as u64, created_at)),
                activity_id: Set(activity),
                organization_id: Set(plan.org_id(org)),
                role: Set(match t {
                    0 => ParticipantRole::Host,
                    1 if k % 5 == 0 => ParticipantRole::CoHost,
                    _ => ParticipantRole::Participant,
                }),
            });
        }
    }
    (activities, participants)
}

// ---- Supervision items ------------------------------------------------------------------------

/// What item `k` is: a function of `k % 20` (see `item_rows`), and its dates.
struct ItemShape {
    lead: usize,
    group: usize,
    status: SupervisionStatus,
    opened_on: NaiveDate,
    due_on: NaiveDate,
    /// Events after OPENED, in order, with their day.
    steps: Vec<(SupervisionEventKind, NaiveDate)>,
    /// Escalation levels reached for the current due date.
    levels: Vec<EscalationLevel>,
}

fn item_shape(plan: &Plan, k: u64) -> ItemShape {
    use SupervisionEventKind as E;
    let n = plan.shape.organizations;
    let lead = ((k * 104_729 + k / 7) % n) as usize;
    let group = plan.orgs[lead].group;
    let today = plan.anchor;
    let i = plan.shape.items.max(1) as i64;
    // Finished items spread over the three years; those still worked on are recent.
    let past = today - days(HISTORY_DAYS) + days(((k as i64) * (HISTORY_DAYS - 90)) / i);
    let spread = (k % 17) as i64;
    let (status, opened_on, due_on, steps, levels) = match k % 20 {
        0..=9 => {
            let due = past + days(20 + spread);
            let submitted = past + days(10 + spread + (k % 13) as i64);
            (
                SupervisionStatus::Closed,
                past,
                due,
                vec![
                    (E::Started, past + days(1)),
                    (E::Progress, past + days(5)),
                    (E::Submitted, submitted),
                    (E::Closed, submitted + days(2)),
                ],
                vec![],
            )
        }
        10 | 11 => (
            SupervisionStatus::Cancelled,
            past,
            past + days(20 + spread),
            vec![(E::Cancelled, past + days(3))],
            vec![],
        ),
        12 | 13 => (
            SupervisionStatus::Open,
            today - days(spread % 5),
            today + days(5 + spread * 2),
            vec![],
            vec![],
        ),
        14..=17 => {
            let (opened, due, levels) = match k % 20 {
                16 => (
                    today - days(30),
                    today - days(1 + spread % 14),
                    vec![EscalationLevel::Urge],
                ),
                17 => (
                    today - days(50),
                    today - days(15 + spread % 14),
                    vec![EscalationLevel::Urge, EscalationLevel::Supervise],
                ),
                _ => (today - days(10 + spread), today + days(4 + spread), vec![]),
            };
            (
                SupervisionStatus::InProgress,
                opened,
                due,
                vec![
                    (E::Started, opened + days(1)),
                    (E::Progress, opened + days(4)),
                ],
                levels,
            )
        }
        18 => {
            let due = today - days(29 + spread);
            (
                SupervisionStatus::Open,
                due - days(20),
                due,
                vec![],
                vec![
                    EscalationLevel::Urge,
                    EscalationLevel::Supervise,
                    EscalationLevel::Report,
                ],
            )
        }
        _ => {
            let opened = today - days(20 + spread);
            (
                SupervisionStatus::PendingReview,
                opened,
                today + days(3 + spread),
                vec![
                    (E::Started, opened + days(1)),
                    (E::Progress, opened + days(5)),
                    (E::Submitted, today - days(1)),
                ],
                vec![],
            )
        }
    };
    ItemShape {
        lead,
        group,
        status,
        opened_on,
        due_on,
        steps,
        levels,
    }
}

/// The day an overdue item reached `level` (cadence 14 days).
fn reached_on(due_on: NaiveDate, level: EscalationLevel) -> NaiveDate {
    match level {
        EscalationLevel::Supervise => due_on + days(15),
        EscalationLevel::Report => due_on + days(29),
        _ => due_on + days(1),
    }
}

struct ItemRows {
    items: Vec<supervision_item::ActiveModel>,
    assignments: Vec<supervision_assignment::ActiveModel>,
    events: Vec<supervision_event::ActiveModel>,
    escalations: Vec<supervision_escalation::ActiveModel>,
}

fn item_rows(plan: &Plan, range: std::ops::Range<u64>) -> ItemRows {
    use SupervisionEventKind as E;
    use SupervisionStatus as S;
    let mut out = ItemRows {
        items: Vec::new(),
        assignments: Vec::new(),
        events: Vec::new(),
        escalations: Vec::new(),
    };
    for k in range {
        let mut r = rng(tag::ITEM, k);
        let shape = item_shape(plan, k);
        let created_at = plan.at(shape.opened_on, 10, (k % 60) as u32);
        let item = item_id(plan, k);
        let (year, seq) = plan.item_numbers[k as usize];
        let progress = match shape.status {
            S::Closed | S::PendingReview => 100,
            S::InProgress => 20 + 10 * (k % 7) as i32,
            _ => 0,
        };
        let submitted_on = shape
            .steps
            .iter()
            .rev()
            .find(|(kind, _)| *kind == E::Submitted)
            .map(|(_, day)| *day);
        let last_day = shape
            .steps
            .last()
            .map(|(_, d)| *d)
            .unwrap_or(shape.opened_on);
        let last_escalation = shape.levels.last().map(|l| reached_on(shape.due_on, *l));
        let updated_day = last_escalation.map_or(last_day, |d| d.max(last_day));
        let topic = TOPICS[r.random_range(0..TOPICS.len())];
        let co = others(plan, shape.lead, (k % 3) as usize);
        out.items.push(supervision_item::ActiveModel {
            id: Set(item),
            linkage_group_id: Set(plan.group_ids[shape.group]),
            year: Set(year),
            seq: Set(seq),
            code: Set(crate::services::supervision::code(year, seq)),
            title: Set(format!("{}：{topic}", plan.orgs[shape.lead].short_name)),
            description: Set(Some(format!(
                "联席会议议定事项，由{}牵头落实。",
                plan.orgs[shape.lead].name
            ))),
            source: Set(match r.random_range(0..10) {
                0..=4 => SupervisionSource::JointMeeting,
                5..=6 => SupervisionSource::Inspection,
                7..=8 => SupervisionSource::SuperiorAssignment,
                _ => SupervisionSource::Other,
            }),
            priority: Set(match k % 10 {
                0 => Priority::Urgent,
                1..=3 => Priority::High,
                _ => Priority::Normal,
            }),
            status: Set(shape.status),
            lead_organization_id: Set(plan.org_id(shape.lead)),
            assignee_id: Set(plan.person_of(shape.lead, 0)),
            supervisor_id: Set(plan.supervisor),
            opened_on: Set(shape.opened_on),
            due_on: Set(shape.due_on),
            original_due_on: Set(shape.due_on),
            submitted_on: Set(submitted_on),
            closed_on: Set((shape.status == S::Closed).then_some(last_day)),
            cancelled_on: Set((shape.status == S::Cancelled).then_some(last_day)),
            progress_percent: Set(progress),
            appeal_id: Set(None),
            version: Set(1 + shape.steps.len() as i32),
            created_at: Set(created_at),
            updated_at: Set(plan.at(updated_day, 10, (k % 60) as u32)),
        });
        for (t, org) in std::iter::once(shape.lead).chain(co).enumerate() {
            let lead = t == 0;
            out.assignments.push(supervision_assignment::ActiveModel {
                id: Set(id(tag::ASSIGNMENT, k * 4 + t as u64, created_at)),
                item_id: Set(item),
                organization_id: Set(plan.org_id(org)),
                lead: Set(lead),
                progress_percent: Set(if lead { progress } else { progress / 2 }),
                note: Set(None),
                updated_at: Set(None),
            });
        }
        let mut e = 0u64;
        let mut event = |at: DateTime<Utc>,
                         actor: Option<Uuid>,
                         kind: E,
                         from: Option<S>,
                         to: Option<S>,
                         level: Option<EscalationLevel>,
                         due_on: Option<NaiveDate>,
                         note: Option<String>| {
            out.events.push(supervision_event::ActiveModel {
                id: Set(id(tag::EVENT, k * 16 + e, at)),
                item_id: Set(item),
                at: Set(at),
                actor_id: Set(actor),
                kind: Set(kind),
                note: Set(note),
                from_status: Set(from),
                to_status: Set(to),
                level: Set(level),
                due_on: Set(due_on),
            });
            e += 1;
        };
        event(
            created_at,
            plan.supervisor,
            E::Opened,
            None,
            Some(S::Open),
            None,
            Some(shape.due_on),
            None,
        );
        let mut status = S::Open;
        for (kind, day) in &shape.steps {
            let at = plan.at(*day, 15, (k % 60) as u32);
            let to = match kind {
                E::Started => Some(S::InProgress),
                E::Submitted => Some(S::PendingReview),
                E::Closed => Some(S::Closed),
                E::Cancelled => Some(S::Cancelled),
                _ => None,
            };
            let note = match kind {
                E::Progress => Some(format!("已完成{}%", 20 + 10 * (k % 7))),
                E::Cancelled => Some("事项已并入其他督办事项".to_owned()),
                _ => None,
            };
            event(
                at,
                plan.supervisor,
                *kind,
                to.map(|_| status),
                to,
                None,
                None,
                note,
            );
            if let Some(to) = to {
                status = to;
            }
        }
        for level in &shape.levels {
            let day = reached_on(shape.due_on, *level);
            let at = plan.at(day, 0, 5);
            event(
                at,
                None,
                E::Escalated,
                None,
                None,
                Some(*level),
                Some(shape.due_on),
                None,
            );
            out.escalations.push(supervision_escalation::ActiveModel {
                id: Set(id(tag::ESCALATION, k * 4 + *level as u64, at)),
                item_id: Set(item),
                due_on: Set(shape.due_on),
                level: Set(*level),
                reached_on: Set(day),
                at: Set(at),
            });
        }
    }
    out
}

fn item_id(plan: &Plan, k: u64) -> Uuid {
    let shape = item_shape(plan, k);
    id(tag::ITEM, k, plan.at(shape.opened_on, 10, (k % 60) as u32))
}

// ---- Residents' appeals -----------------------------------------------------------------------

struct AppealShape {
    village: usize,
    received_on: NaiveDate,
    status: AppealStatus,
}

fn appeal_shape(plan: &Plan, a: u64) -> AppealShape {
    let village = plan.villages[((a * 7_919) % plan.villages.len() as u64) as usize];
    let status = match a % 10 {
        0 => AppealStatus::Received,
        1 | 2 => AppealStatus::Accepted,
        3..=8 => AppealStatus::Resolved,
        _ => AppealStatus::Rejected,
    };
    let total = plan.shape.appeals.max(1) as i64;
    let received_on = match status {
        AppealStatus::Received | AppealStatus::Accepted => plan.anchor - days((a % 25) as i64),
        _ => plan.anchor - days(HISTORY_DAYS) + days((a as i64 * (HISTORY_DAYS - 30)) / total),
    };
    AppealShape {
        village,
        received_on,
        status,
    }
}

/// An appeal's timeline entry: kind, from, to, day, note.
type AppealStep = (
    AppealEventKind,
    Option<AppealStatus>,
    Option<AppealStatus>,
    NaiveDate,
    Option<String>,
);

fn appeal_rows(
    plan: &Plan,
    range: std::ops::Range<u64>,
) -> (
    Vec<resident_appeal::ActiveModel>,
    Vec<entities::appeal_event::ActiveModel>,
) {
    use AppealEventKind as E;
    use AppealStatus as S;
    const CATEGORIES: [(AppealCategory, &str); 8] = [
        (
            AppealCategory::Infrastructure,
            "村道破损，雨天积水，希望尽快修复",
        ),
        (AppealCategory::Environment, "河涌有垃圾堆积，影响环境"),
        (AppealCategory::PublicSafety, "路口缺少路灯，夜间出行不安全"),
        (AppealCategory::Dispute, "邻里宅基地边界有争议，请求调解"),
        (
            AppealCategory::SocialSecurity,
            "咨询城乡居民养老保险缴费办法",
        ),
        (AppealCategory::Tourism, "节假日景区周边停车困难"),
        (AppealCategory::Legal, "务工工资被拖欠，请求法律援助"),
        (AppealCategory::Other, "希望增加村内文体活动场地"),
    ];
    let mut appeals = Vec::new();
    let mut events = Vec::new();
    for a in range {
        let mut r = rng(tag::APPEAL, a);
        let shape = appeal_shape(plan, a);
        let (year, seq) = plan.appeal_numbers[a as usize];
        let handling = 15;
        let due_on = plan
            .calendar
            .add_working_days(shape.received_on, handling as u32)
            .unwrap_or(shape.received_on + days(21));
        let created_at = plan.at(shape.received_on, 16, (a % 60) as u32);
        let appeal = id(tag::APPEAL, a, created_at);
        let (category, content) = CATEGORIES[r.random_range(0..CATEGORIES.len())];
        let resolved_on =
            (shape.status == S::Resolved).then(|| shape.received_on + days(3 + (a % 11) as i64));
        let rejected_on = (shape.status == S::Rejected).then(|| shape.received_on + days(2));
        let feedback = (a % 10 == 8).then(|| {
            let day = resolved_on.unwrap_or(shape.received_on) + days(2);
            (
                match a % 3 {
                    0 => Satisfaction::Satisfied,
                    1 => Satisfaction::PartlySatisfied,
                    _ => Satisfaction::NotSatisfied,
                },
                plan.at(day, 11, 0),
            )
        });
        let collector = plan
            .person_of(shape.village, 1)
            .or(plan.person_of(shape.village, 0));
        let mut steps: Vec<AppealStep> = vec![(
            E::Recorded,
            None,
            Some(S::Received),
            shape.received_on,
            None,
        )];
        match shape.status {
            S::Received => {}
            S::Accepted => steps.push((
                E::Accepted,
                Some(S::Received),
                Some(S::Accepted),
                shape.received_on + days(1),
                None,
            )),
            S::Resolved => {
                steps.push((
                    E::Accepted,
                    Some(S::Received),
                    Some(S::Accepted),
                    shape.received_on + days(1),
                    None,
                ));
                steps.push((
                    E::Resolved,
                    Some(S::Accepted),
                    Some(S::Resolved),
                    resolved_on.unwrap_or(shape.received_on),
                    Some("已协调相关单位处理完毕".to_owned()),
                ));
            }
            S::Rejected => steps.push((
                E::Rejected,
                Some(S::Received),
                Some(S::Rejected),
                rejected_on.unwrap_or(shape.received_on),
                Some("不属于村级办理事项，已告知居民向有关部门反映".to_owned()),
            )),
        }
        if let Some((satisfaction, at)) = feedback {
            steps.push((
                E::Feedback,
                None,
                None,
                at.with_timezone(&plan.zone).date_naive(),
                Some(format!("{satisfaction:?}")),
            ));
        }
        let last = steps.last().map(|s| s.3).unwrap_or(shape.received_on);
        for (e, (kind, from, to, day, note)) in steps.iter().enumerate() {
            let at = plan.at(*day, 16, (a % 60) as u32);
            events.push(entities::appeal_event::ActiveModel {
                id: Set(id(tag::APPEAL_EVENT, a * 8 + e as u64, at)),
                appeal_id: Set(appeal),
                at: Set(at),
                actor_id: Set(None),
                kind: Set(*kind),
                note: Set(note.clone()),
                from_status: Set(*from),
                to_status: Set(*to),
            });
        }
        appeals.push(resident_appeal::ActiveModel {
            id: Set(appeal),
            village_id: Set(plan.org_id(shape.village)),
            year: Set(year),
            seq: Set(seq),
            code: Set(crate::services::appeals::code(year, seq)),
            content: Set(content.to_owned()),
            category: Set(category),
            status: Set(shape.status),
            grid: Set(Some(format!("第{}网格", 1 + a % 6))),
            collector_id: Set(collector),
            received_on: Set(shape.received_on),
            due_on: Set(due_on),
            handling_working_days: Set(handling),
            resident_name: Set(Some(format!(
                "{}{}",
                SURNAMES[r.random_range(0..SURNAMES.len())],
                GIVEN[r.random_range(0..GIVEN.len())]
            ))),
            resident_phone: Set(Some(format!(
                "13{:09}",
                (a * 3_456_789 + 7) % 1_000_000_000
            ))),
            address: Set(Some(format!(
                "{}{}号",
                plan.orgs[shape.village].short_name,
                1 + a % 200
            ))),
            resolution: Set(resolved_on.map(|_| "已协调相关单位处理完毕".to_owned())),
            rejection_reason: Set(
                rejected_on.map(|_| "不属于村级办理事项，已告知居民向有关部门反映".to_owned())
            ),
            resolved_on: Set(resolved_on),
            supervision_item_id: Set(None),
            feedback_satisfaction: Set(feedback.map(|f| f.0)),
            feedback_comment: Set(feedback.map(|_| "处理及时".to_owned())),
            feedback_at: Set(feedback.map(|f| f.1)),
            reopened_count: Set(0),
            version: Set(steps.len() as i32),
            created_at: Set(created_at),
            updated_at: Set(plan.at(last, 16, (a % 60) as u32)),
        });
    }
    (appeals, events)
}

// ---- The run ----------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Organizations,
    Groups,
    People,
    Activities,
    Items,
    Appeals,
}

impl Part {
    fn name(self) -> &'static str {
        match self {
            Self::Organizations => "organizations",
            Self::Groups => "linkage groups",
            Self::People => "people",
            Self::Activities => "joint activities",
            Self::Items => "supervision items",
            Self::Appeals => "appeals",
        }
    }

    /// Units per transaction.
    fn chunk(self) -> u64 {
        match self {
            Self::Organizations => 2_000,
            Self::Groups => 50,
            Self::People => 5_000,
            Self::Activities => 5_000,
            Self::Items => 2_000,
            Self::Appeals => 2_000,
        }
    }

    fn total(self, shape: &Shape) -> u64 {
        match self {
            Self::Organizations => shape.organizations,
            Self::Groups => shape.committees(),
            Self::People => shape.people,
            Self::Activities => shape.activities,
            Self::Items => shape.items,
            Self::Appeals => shape.appeals,
        }
    }
}

/// Loads the demo unless it is there, then grows it to `shape`.
pub async fn generate(
    db: &DatabaseConnection,
    shape: Shape,
    options: &Options,
    progress: &mut dyn Progress,
) -> AppResult<Outcome> {
    let demo = demo::load(db, options.today, options.zone).await?;
    let group = linkage_group::Entity::find()
        .filter(linkage_group::Column::Name.eq(demo_data::LINKAGE_GROUP_NAME))
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal("the demo's linkage group is missing"))?;
    let anchor = group.cadence_starts_on - days(demo_data::CADENCE_STARTS);
    let mut outcome = Outcome {
        demo,
        anchor,
        complete: true,
        chunks_written: 0,
    };
    if shape.organizations == 0 {
        return Ok(outcome);
    }
    let plan = plan(db, shape, anchor, options.zone).await?;
    for part in [
        Part::Organizations,
        Part::Groups,
        Part::People,
        Part::Activities,
        Part::Items,
        Part::Appeals,
    ] {
        let total = part.total(&shape);
        progress.start(part.name(), total);
        let mut start = 0;
        while start < total {
            let end = (start + part.chunk()).min(total);
            let last = end - 1;
            let present = match part {
                Part::Organizations => {
                    exists::<organization::Entity>(db, plan.org_id(last as usize)).await?
                }
                Part::Groups => {
                    exists::<linkage_group::Entity>(db, plan.group_ids[last as usize]).await?
                }
                Part::People => exists::<person::Entity>(db, person_id(&plan, last)).await?,
                Part::Activities => {
                    let created_at = plan.at(
                        activity_start_day(&plan, last),
                        9 + 2 * (last % 4) as u32,
                        0,
                    ) - days(14);
                    exists::<joint_activity::Entity>(db, id(tag::ACTIVITY, last, created_at))
                        .await?
                }
                Part::Items => exists::<supervision_item::Entity>(db, item_id(&plan, last)).await?,
                Part::Appeals => {
                    let shape = appeal_shape(&plan, last);
                    let at = plan.at(shape.received_on, 16, (last % 60) as u32);
                    exists::<resident_appeal::Entity>(db, id(tag::APPEAL, last, at)).await?
                }
            };
            if !present {
                if options.stop_after_chunks == Some(outcome.chunks_written) {
                    outcome.complete = false;
                    progress.finish();
                    return Ok(outcome);
                }
                let tx = db.begin().await?;
                let range = start..end;
                match part {
                    Part::Organizations => insert(&tx, organization_rows(&plan, range)).await?,
                    Part::Groups => {
                        let (groups, members) = group_rows(&plan, range);
                        insert(&tx, groups).await?;
                        insert(&tx, members).await?;
                    }
                    Part::People => {
                        let (people, positions) = people_rows(&plan, range);
                        insert(&tx, people).await?;
                        insert(&tx, positions).await?;
                    }
                    Part::Activities => {
                        let (activities, participants) = activity_rows(&plan, range);
                        insert(&tx, activities).await?;
                        insert(&tx, participants).await?;
                    }
                    Part::Items => {
                        let rows = item_rows(&plan, range);
                        insert(&tx, rows.items).await?;
                        insert(&tx, rows.assignments).await?;
                        insert(&tx, rows.events).await?;
                        insert(&tx, rows.escalations).await?;
                    }
                    Part::Appeals => {
                        let (appeals, events) = appeal_rows(&plan, range);
                        insert(&tx, appeals).await?;
                        insert(&tx, events).await?;
                    }
                }
                tx.commit().await?;
                outcome.chunks_written += 1;
            }
            progress.advance(end);
            start = end;
        }
        progress.finish();
    }
    if outcome.chunks_written > 0 {
        // Fresh statistics, so the planner sees the grown tables before the first request
        // instead of after autovacuum's next round (on PostgreSQL, a 500 ms plan for a page
        // that takes 2 ms once the tables are analyzed). On PostgreSQL also a VACUUM, which sets
        // the visibility map the way autovacuum would, so that index-only scans (counts of scoped
        // lists) read no heap pages.
        let statement = match db.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => "VACUUM (ANALYZE)",
            _ => "ANALYZE",
        };
        db.execute_unprepared(statement).await?;
    }
    Ok(outcome)
}
