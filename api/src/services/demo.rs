//! Loads the hot-spring example (`demo_data`) into an empty database, in one transaction, through
//! the same service functions the API uses (so it is validated and audited like any other write).

use std::collections::HashMap;

use chrono::NaiveDate;
use entities::{area, linkage_group};
use sea_orm::{
    ActiveEnum, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    TransactionSession, TransactionTrait,
};
use uuid::Uuid;

use super::{
    Actor, accounts,
    accounts::GrantScope,
    activities, areas, demo_data, linkage_groups, organizations, people,
    people::{NewPerson, NewPosition},
};
use crate::{
    authz::Role,
    error::{AppError, AppResult},
    events::EventBus,
};

/// What `load` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DemoOutcome {
    Loaded {
        areas: usize,
        organizations: usize,
        people: usize,
        /// The demo accounts and their passwords, shown once.
        accounts: Vec<DemoAccount>,
        activities: usize,
        /// Supervision items of the committee's ledger.
        items: usize,
        /// Mentoring pairings.
        pairings: usize,
        /// Residents' appeals.
        appeals: usize,
    },
    /// The example was loaded before; nothing was written.
    AlreadyLoaded,
}

/// A demo account: its name, what it may see, and its generated password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoAccount {
    pub username: String,
    pub grant: String,
    pub password: String,
}

/// The demo accounts: username, role, organization key of the scope (`None` with the linkage
/// group for group roles, or the whole system for the administrator), person's organization.
const ACCOUNTS: &[(&str, Role, Scoped)] = &[
    ("admin", Role::Admin, Scoped::System),
    ("staff", Role::CommitteeStaff, Scoped::Group),
    ("supervisor", Role::Supervisor, Scoped::Group),
    (
        "secretary",
        Role::OrgSecretary,
        Scoped::Org("town_committee"),
    ),
    (
        "first-secretary",
        Role::FirstSecretary,
        Scoped::Org("shikeng"),
    ),
    ("member", Role::Member, Scoped::Org("nanping")),
];

#[derive(Clone, Copy)]
enum Scoped {
    System,
    Group,
    Org(&'static str),
}

fn random_password() -> String {
    use rand::Rng;
    rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(16)
        .map(char::from)
        .collect()
}

fn parse_enum<T: ActiveEnum<Value = String>>(what: &str, value: &str) -> AppResult<T> {
    T::try_from_value(&value.to_owned())
        .map_err(|_| AppError::internal(format!("demo data has an unknown {what}: {value}")))
}

pub async fn load<C>(db: &C, today: NaiveDate, zone: chrono_tz::Tz) -> AppResult<DemoOutcome>
where
    C: ConnectionTrait + TransactionTrait,
{
    let tx = super::begin_write(db).await?;
    let group_exists = linkage_group::Entity::find()
        .filter(linkage_group::Column::Name.eq(demo_data::LINKAGE_GROUP_NAME))
        .one(&tx)
        .await?
        .is_some();
    if group_exists {
        return Ok(DemoOutcome::AlreadyLoaded);
    }
    if area::Entity::find().count(&tx).await? > 0 {
        return Err(AppError::conflict(
            "the database already holds data: demo data loads only into an empty database",
        ));
    }
    let actor = Actor::system("demo-data");
    // Each service's write is released into this one transaction, not committed: its events
    // would announce rows that may still be rolled back, so they go to a bus nobody hears.
    let unheard = EventBus::new();

    let mut area_ids: HashMap<&str, Uuid> = HashMap::new();
    let demo_areas = demo_data::areas();
    for a in &demo_areas {
        let created = areas::create(
            &tx,
            &actor,
            &unheard,
            areas::NewArea {
                name: a.name.to_owned(),
                description: Some(a.description.to_owned()),
            },
        )
        .await?;
        area_ids.insert(a.key, created.id);
    }

    let mut org_ids: HashMap<&str, Uuid> = HashMap::new();
    let mut members = Vec::new();
    let demo_orgs = demo_data::organizations();
    for o in &demo_orgs {
        let lookup = |ids: &HashMap<&str, Uuid>, key: &str| {
            ids.get(key)
                .copied()
                .ok_or_else(|| AppError::internal(format!("demo data refers to unknown {key}")))
        };
        let created = organizations::create(
            &tx,
            &actor,
            organizations::NewOrganization {
                name: o.name.to_owned(),
                short_name: Some(o.short_name.to_owned()),
                level: parse_enum("level", o.level)?,
                unit_type: parse_enum("unit type", o.unit_type)?,
                area_id: lookup(&area_ids, o.area)?,
                parent_id: o.parent.map(|p| lookup(&org_ids, p)).transpose()?,
                external_code: None,
                contact: None,
                key_village: o.key_village,
                remote: o.remote,
            },
        )
        .await?;
        org_ids.insert(o.key, created.id);
        if o.member {
            members.push(created.id);
        }
    }
    let lead = org_ids
        .get(demo_data::LEAD_ORGANIZATION)
        .copied()
        .ok_or_else(|| AppError::internal("demo data has no lead organization"))?;
    let group = linkage_groups::create(
        &tx,
        &actor,
        linkage_groups::NewLinkageGroup {
            name: demo_data::LINKAGE_GROUP_NAME.to_owned(),
            description: Some(
                "景区16个党组织与周边村镇11个党组织组成的党建联建委员会：定期开展联合党组织活动，建立工作台账，两周督办。"
                    .to_owned(),
            ),
            lead_organization_id: lead,
            member_organization_ids: members,
            cadence_days: Some(linkage_groups::DEFAULT_CADENCE_DAYS),
            cadence_starts_on: Some(today + chrono::Duration::days(demo_data::CADENCE_STARTS)),
        },
        today,
    )
    .await?;

    let demo_people = demo_data::people();
    let mut first_person_of: HashMap<&str, Uuid> = HashMap::new();
    // Who holds a position on the load day, in the order the people were created.
    let mut holders: HashMap<(&str, &str), Vec<Uuid>> = HashMap::new();
    // First secretaries' positions come from their postings, made once everyone exists.
    let mut postings = Vec::new();
    for p in &demo_people {
        let positions = p
            .positions
            .iter()
            .filter(|pos| pos.position != "FIRST_SECRETARY")
            .map(|pos| {
                Ok(NewPosition {
                    position: parse_enum("position", pos.position)?,
                    started_on: pos.started_on,
                    ended_on: pos.ended_on,
                })
            })
            .collect::<AppResult<Vec<_>>>()?;
        let created = people::create(
            &tx,
            &actor,
            NewPerson {
                name: p.name.clone(),
                gender: Some(parse_enum("gender", p.gender)?),
                phone: Some(p.phone.clone()),
                id_number: Some(p.id_number.clone()),
                political_status: parse_enum("political status", p.political_status)?,
                organization_id: org_ids.get(p.organization).copied().ok_or_else(|| {
                    AppError::internal(format!("demo person in unknown {}", p.organization))
                })?,
                positions,
            },
        )
        .await?;
        first_person_of.entry(p.organization).or_insert(created.id);
        for pos in &p.positions {
            if pos.ended_on.is_none_or(|end| end >= today) {
                holders
                    .entry((p.organization, pos.position))
                    .or_default()
                    .push(created.id);
            }
            if pos.position == "FIRST_SECRETARY" {
                postings.push((created.id, p.organization, pos.started_on, pos.ended_on));
            }
        }
    }
    let clock = crate::clock::Clock::new(zone, Some(today));
    for (person, village, starts_on, ends_on) in postings {
        super::first_secretaries::assign(
            &tx,
            &actor,
            &clock,
            super::first_secretaries::NewPosting {
                person_id: person,
                organization_id: org_ids.get(village).copied().ok_or_else(|| {
                    AppError::internal(format!("demo posting to unknown {village}"))
                })?,
                starts_on,
                ends_on,
                dispatched_by: Some("从化区委组织部".to_owned()),
            },
        )
        .await?;
    }

    let mut accounts_made = Vec::new();
    for (username, role, scoped) in ACCOUNTS {
        let password = random_password();
        let (scope, person, grant) = match scoped {
            Scoped::System => (GrantScope::System, None, "everything".to_owned()),
            Scoped::Group => (
                GrantScope::LinkageGroup(group.id),
                None,
                format!("{} in {}", role.as_str(), group.name),
            ),
            Scoped::Org(key) => {
                let org = org_ids.get(key).copied().ok_or_else(|| {
                    AppError::internal(format!("demo account scoped to unknown {key}"))
                })?;
                let name = demo_orgs
                    .iter()
                    .find(|o| o.key == *key)
                    .map(|o| o.name)
                    .unwrap_or_default();
                // The first secretary's account is the village's serving first secretary, the
                // mentor of its pairings.
                let person = if *role == Role::FirstSecretary {
                    holders
                        .get(&(*key, "FIRST_SECRETARY"))
                        .and_then(|h| h.first())
                        .copied()
                } else {
                    first_person_of.get(key).copied()
                };
                (
                    GrantScope::Organization(org),
                    person,
                    format!("{} of {name} and the organizations below it", role.as_str()),
                )
            }
        };
        let user = accounts::create_user(
            &tx,
            &actor,
            accounts::NewUser {
                username: (*username).to_owned(),
                password: password.clone(),
                person_id: person,
            },
        )
        .await?;
        accounts::grant_role(&tx, &actor, user.id, *role, scope).await?;
        accounts_made.push(DemoAccount {
            username: (*username).to_owned(),
            grant,
            password,
        });
    }
    let activities = load_activities(
        &tx,
        &actor,
        &unheard,
        &org_ids,
        &first_person_of,
        group.id,
        today,
        zone,
    )
    .await?;
    let items = load_ledger(&tx, &actor, &unheard, &org_ids, group.id, today, zone).await?;
    let pairings = load_pairings(&tx, &actor, &org_ids, &holders, today, zone).await?;
    let appeals = load_appeals(
        &tx,
        &actor,
        &unheard,
        Some(group.id),
        &org_ids,
        &holders,
        today,
        zone,
    )
    .await?;
    tx.commit().await?;
    Ok(DemoOutcome::Loaded {
        areas: demo_areas.len(),
        organizations: demo_orgs.len(),
        people: demo_people.len(),
        accounts: accounts_made,
        activities,
        items,
        pairings,
        appeals,
    })
}

/// The mentoring pairings, each created on its first day, its sessions logged on theirs and
/// finished ones ended, with a clock standing on each day.
async fn load_pairings<T>(
    tx: &T,
    actor: &Actor,
    org_ids: &HashMap<&str, Uuid>,
    holders: &HashMap<(&str, &str), Vec<Uuid>>,
    today: NaiveDate,
    zone: chrono_tz::Tz,
) -> AppResult<usize>
where
    T: ConnectionTrait + TransactionTrait,
{
    use super::mentoring::{self, Ending, NewPairing, NewSession};
    let person = |h: demo_data::Holder| {
        holders
            .get(&(h.organization, h.position))
            .and_then(|people| people.get(h.index))
            .copied()
            .ok_or_else(|| {
                AppError::internal(format!(
                    "demo pairing names no {} of {}",
                    h.position, h.organization
                ))
            })
    };
    let day = |days: i64| today + chrono::Duration::days(days);
    let pairings = demo_data::pairings();
    for p in &pairings {
        let organization = org_ids.get(p.organization).copied().ok_or_else(|| {
            AppError::internal(format!("demo pairing in unknown {}", p.organization))
        })?;
        let created = mentoring::create(
            tx,
            actor,
            &crate::clock::Clock::new(zone, Some(day(p.starts))),
            NewPairing {
                mentor_id: person(p.mentor)?,
                mentee_id: person(p.mentee)?,
                organization_id: Some(organization),
                goals: p.goals.to_owned(),
                starts_on: day(p.starts),
            },
        )
        .await?;
        for (held, topic, minutes) in p.sessions {
            mentoring::log_session(
                tx,
                actor,
                &crate::clock::Clock::new(zone, Some(day(*held))),
                NewSession {
                    pairing_id: created.id,
                    held_on: day(*held),
                    topic: (*topic).to_owned(),
                    notes: None,
                    duration_minutes: *minutes,
                },
            )
            .await?;
        }
        if let Some((ended, status, outcome)) = p.end {
            mentoring::end(
                tx,
                actor,
                &crate::clock::Clock::new(zone, Some(day(ended))),
                Ending {
                    id: created.id,
                    status: parse_enum("pairing status", status)?,
                    outcome: outcome.to_owned(),
                    ended_on: Some(day(ended)),
                },
            )
            .await?;
        }
    }
    Ok(pairings.len())
}

/// The committee's supervision ledger: each item opened, worked, reviewed and extended on its own
/// days before `today`, in the order the days came, through the same services as the API, with a
/// clock standing on each day.
async fn load_ledger<T>(
    tx: &T,
    actor: &Actor,
    events: &EventBus,
    org_ids: &HashMap<&str, Uuid>,
    group: Uuid,
    today: NaiveDate,
    zone: chrono_tz::Tz,
) -> AppResult<usize>
where
    T: ConnectionTrait + TransactionTrait,
{
    use super::supervision::{self, Due, Move, NewItem};
    use chrono::TimeZone;
    use demo_data::LedgerStep as Step;

    let org = |key: &str| {
        org_ids
            .get(key)
            .copied()
            .ok_or_else(|| AppError::internal(format!("demo ledger refers to unknown {key}")))
    };
    let clock = crate::clock::Clock::manual(zone, chrono::Utc::now());
    let stand_on = |days: i64| -> AppResult<()> {
        let date = today + chrono::Duration::days(days);
        let morning = date
            .and_hms_opt(10, 0, 0)
            .and_then(|t| zone.from_local_datetime(&t).earliest())
            .ok_or_else(|| AppError::internal("demo ledger day has no 10:00"))?;
        clock.set(morning.with_timezone(&chrono::Utc));
        Ok(())
    };
    let ledger = demo_data::ledger();
    /// What happens on a day, in this order within the day.
    #[derive(Clone, Copy)]
    enum Action {
        OpenRound,
        OpenItem(usize),
        Step(usize, Step),
        Review,
        CloseRound,
    }
    let phase = |a: &Action| match a {
        Action::OpenRound => 0,
        Action::OpenItem(_) => 1,
        Action::Step(..) => 2,
        Action::Review => 3,
        Action::CloseRound => 4,
    };
    let mut agenda: Vec<(i64, usize, Action)> = Vec::new();
    for (n, item) in ledger.iter().enumerate() {
        agenda.push((item.opened, n, Action::OpenItem(n)));
        agenda.extend(
            item.steps
                .iter()
                .map(|(day, step)| (*day, n, Action::Step(n, *step))),
        );
    }
    // Rounds 1 to 4 in the past, each opened on its first day, reviewed on its eleventh and
    // closed on its last; the current round opened on its first day and reviewed yesterday.
    let cadence = i64::from(linkage_groups::DEFAULT_CADENCE_DAYS);
    for round in 0..5 {
        let first = demo_data::CADENCE_STARTS + round * cadence;
        agenda.push((first, 0, Action::OpenRound));
        if round < 4 {
            agenda.push((first + 10, 0, Action::Review));
            agenda.push((first + cadence - 1, 0, Action::CloseRound));
        } else {
            agenda.push((-1, 0, Action::Review));
        }
    }
    agenda.sort_by_key(|(day, n, action)| (*day, phase(action), *n));
    let calendar = super::workdays::WorkCalendar::load(tx).await?;
    let mut ids: HashMap<usize, Uuid> = HashMap::new();
    let mut round: Option<Uuid> = None;
    for (day, _, action) in agenda {
        stand_on(day)?;
        let (n, step) = match action {
            Action::OpenRound => {
                round = Some(
                    supervision::rounds::open(tx, actor, events, &clock, group)
                        .await?
                        .id,
                );
                continue;
            }
            Action::CloseRound => {
                if let Some(id) = round.take() {
                    supervision::rounds::close(tx, actor, events, &clock, id).await?;
                }
                continue;
            }
            Action::Review => {
                if let Some(id) = round {
                    review_round(tx, actor, events, &clock, &calendar, id).await?;
                }
                continue;
            }
            Action::OpenItem(n) => (n, None),
            Action::Step(n, step) => (n, Some(step)),
        };
        let item = &ledger[n];
        let Some(step) = step else {
            let opened = supervision::open(
                tx,
                actor,
                events,
                &clock,
                NewItem {
                    title: item.title.to_owned(),
                    description: None,
                    source: parse_enum("supervision source", item.source)?,
                    priority: match item.priority {
                        "URGENT" => entities::enums::Priority::Urgent,
                        "HIGH" => entities::enums::Priority::High,
                        _ => entities::enums::Priority::Normal,
                    },
                    linkage_group_id: group,
                    lead_organization_id: org(item.lead)?,
                    co_responsible_organization_ids: item
                        .co
                        .iter()
                        .map(|k| org(k))
                        .collect::<AppResult<Vec<_>>>()?,
                    assignee_id: None,
                    supervisor_id: None,
                    due: Due::On(today + chrono::Duration::days(item.due)),
                    appeal_id: None,
                },
            )
            .await?;
            ids.insert(n, opened.id);
            continue;
        };
        let id = ids
            .get(&n)
            .copied()
            .ok_or_else(|| AppError::internal("demo ledger step before its item"))?;
        let mv = |mv: Move, note: Option<&str>| {
            supervision::transition(
                tx,
                actor,
                events,
                &clock,
                id,
                mv,
                note.map(str::to_owned),
                None,
            )
        };
        match step {
            Step::Start => mv(Move::Start, None).await?,
            Step::Submit => mv(Move::Submit, None).await?,
            Step::Close => mv(Move::Close, None).await?,
            Step::Reject(note) => mv(Move::Reject, Some(note)).await?,
            Step::Reopen(note) => mv(Move::Reopen, Some(note)).await?,
            Step::Cancel(note) => mv(Move::Cancel, Some(note)).await?,
            Step::Report(percent, note) => {
                supervision::report_progress(
                    tx,
                    actor,
                    events,
                    &clock,
                    id,
                    Some(org(item.lead)?),
                    percent,
                    note,
                    None,
                )
                .await?
            }
            Step::CoReport(key, percent, note) => {
                supervision::report_progress(
                    tx,
                    actor,
                    events,
                    &clock,
                    id,
                    Some(org(key)?),
                    percent,
                    note,
                    None,
                )
                .await?
            }
            Step::Extend(due, reason) => {
                supervision::extend(
                    tx,
                    actor,
                    events,
                    &clock,
                    id,
                    today + chrono::Duration::days(due),
                    reason,
                    None,
                )
                .await?
            }
        };
    }
    Ok(ledger.len())
}

/// Joint activities around `today`: done ones with attendance and a report, confirmed and planned
/// ones ahead, and one cancelled.
#[allow(clippy::too_many_arguments)]
async fn load_activities<T>(
    tx: &T,
    actor: &Actor,
    events: &EventBus,
    org_ids: &HashMap<&str, Uuid>,
    first_person_of: &HashMap<&str, Uuid>,
    group: Uuid,
    today: NaiveDate,
    zone: chrono_tz::Tz,
) -> AppResult<usize>
where
    T: ConnectionTrait + TransactionTrait,
{
    use chrono::TimeZone;
    use entities::enums::{ActivityKind, ActivityStatus};
    let at = |days: i64, hour: u32, minute: u32| {
        let date = today + chrono::Duration::days(days);
        zone.from_local_datetime(&date.and_hms_opt(hour, minute, 0).unwrap_or_default())
            .earliest()
            .map(|t| t.with_timezone(&chrono::Utc))
            .ok_or_else(|| AppError::internal("demo activity time does not exist"))
    };
    let org = |key: &str| {
        org_ids
            .get(key)
            .copied()
            .ok_or_else(|| AppError::internal(format!("demo activity refers to unknown {key}")))
    };
    // (days from today, start hour, hours, title, kind, host, participants, venue, outcome)
    #[allow(clippy::type_complexity)]
    let plan: &[(i64, u32, i64, &str, ActivityKind, &str, &[&str], &str, &str)] = &[
        (
            -20,
            9,
            2,
            "联建委员会第一次联席会议",
            ActivityKind::JointMeeting,
            "scenic_committee",
            &["town_committee", "nanping", "biwan"],
            "温泉风景区管理办公室三楼会议室",
            "completed",
        ),
        (
            -16,
            14,
            3,
            "“守护流溪河”联合巡河",
            ActivityKind::Patrol,
            "greenway_station",
            &["nanping", "shikeng", "xinnan"],
            "流溪河温泉段绿道",
            "completed",
        ),
        (
            -13,
            9,
            3,
            "主题党日：党员志愿服务进景区",
            ActivityKind::ThemedPartyDay,
            "biwan",
            &["wenquan_community", "longgang"],
            "碧水湾游客中心广场",
            "completed",
        ),
        (
            -9,
            15,
            2,
            "民法典宣讲进村",
            ActivityKind::Publicity,
            "town_committee",
            &["yunxing", "weidong", "police_station"],
            "云星村党群服务中心",
            "completed",
        ),
        (
            -6,
            10,
            2,
            "矛盾纠纷联合调解",
            ActivityKind::Mediation,
            "police_station",
            &["xuanxing"],
            "宣星村委会调解室",
            "cancelled",
        ),
        (
            -2,
            9,
            2,
            "联合党课：乡村治理示范镇创建",
            ActivityKind::StudySession,
            "scenic_committee",
            &["town_committee", "taolian", "wushi"],
            "温泉镇党群服务中心礼堂",
            "confirmed",
        ),
        (
            3,
            9,
            2,
            "联建委员会第二次联席会议",
            ActivityKind::JointMeeting,
            "scenic_committee",
            &["town_committee", "nanping", "biwan", "tourism_company"],
            "温泉风景区管理办公室三楼会议室",
            "confirmed",
        ),
        (
            6,
            8,
            4,
            "景区周末文明引导志愿服务",
            ActivityKind::VolunteerService,
            "visitor_center",
            &["middle_school", "nanping"],
            "温泉风景区游客服务中心",
            "confirmed",
        ),
        (
            10,
            14,
            2,
            "防溺水安全宣传",
            ActivityKind::Publicity,
            "primary_school",
            &["shikeng", "health_center"],
            "温泉镇中心小学操场",
            "planned",
        ),
        (
            17,
            9,
            3,
            "主题党日：红色教育基地参观",
            ActivityKind::ThemedPartyDay,
            "town_committee",
            &["longgang", "yunxing", "xuanxing"],
            "南平静修小镇红色教育基地",
            "planned",
        ),
    ];
    for (days, hour, hours, title, kind, host, participants, venue, outcome) in plan {
        let booked = activities::schedule(
            tx,
            actor,
            events,
            activities::NewActivity {
                title: (*title).to_owned(),
                kind: *kind,
                host_organization_id: org(host)?,
                participant_organization_ids: participants
                    .iter()
                    .map(|p| org(p))
                    .collect::<AppResult<_>>()?,
                co_host_organization_ids: Vec::new(),
                linkage_group_id: Some(group),
                venue: (*venue).to_owned(),
                starts_at: at(*days, *hour, 0)?,
                ends_at: at(*days, *hour, 0)? + chrono::Duration::hours(*hours),
                capacity: Some(60),
                description: None,
                allow_conflicts: false,
            },
        )
        .await?;
        let id = booked.activity.id;
        match *outcome {
            "cancelled" => {
                activities::change_status(
                    tx,
                    actor,
                    events,
                    id,
                    ActivityStatus::Cancelled,
                    Some("当事双方已自行和解".to_owned()),
                    None,
                )
                .await?;
            }
            "planned" => {}
            _ => {
                activities::change_status(
                    tx,
                    actor,
                    events,
                    id,
                    ActivityStatus::Confirmed,
                    None,
                    None,
                )
                .await?;
            }
        }
        if *outcome == "completed" {
            let attendees: Vec<Uuid> = std::iter::once(*host)
                .chain(participants.iter().copied())
                .filter_map(|key| first_person_of.get(key).copied())
                .collect();
            let checked_in_at = at(*days, *hour, 0)?;
            activities::record_attendance(tx, actor, events, id, &attendees, checked_in_at).await?;
            activities::complete(
                tx,
                actor,
                events,
                id,
                &format!(
                    "{title}顺利开展，{} 个党组织参加，形成问题清单并纳入工作台账。",
                    participants.len() + 1
                ),
                None,
            )
            .await?;
        }
    }
    Ok(plan.len())
}

/// Reviews every item of the round that is still being worked on, the way a supervisor would on
/// that day: OFF_TRACK when overdue, AT_RISK when due within three working days, else ON_TRACK.
async fn review_round<T>(
    tx: &T,
    actor: &Actor,
    events: &EventBus,
    clock: &crate::clock::Clock,
    calendar: &super::workdays::WorkCalendar,
    round: Uuid,
) -> AppResult<()>
where
    T: ConnectionTrait + TransactionTrait,
{
    use entities::enums::{EscalationLevel, ReviewVerdict, SupervisionStatus};
    use entities::{supervision_item, supervision_round_item};
    let listed: Vec<Uuid> = supervision_round_item::Entity::find()
        .filter(supervision_round_item::Column::RoundId.eq(round))
        .all(tx)
        .await?
        .into_iter()
        .map(|r| r.item_id)
        .collect();
    let mut items = supervision_item::Entity::find()
        .filter(supervision_item::Column::Id.is_in(listed))
        .all(tx)
        .await?;
    items.sort_by_key(|i| i.seq);
    let today = clock.today();
    for item in items {
        if matches!(
            item.status,
            SupervisionStatus::Closed | SupervisionStatus::Cancelled
        ) {
            continue;
        }
        let level = super::supervision::rules::escalation_level(
            &item,
            today,
            calendar,
            linkage_groups::DEFAULT_CADENCE_DAYS,
        );
        let (verdict, comment) = match level {
            EscalationLevel::Urge | EscalationLevel::Supervise | EscalationLevel::Report => (
                ReviewVerdict::OffTrack,
                "已逾期，请牵头单位说明原因并报送整改计划",
            ),
            EscalationLevel::Remind => (ReviewVerdict::AtRisk, "临近期限，请加快进度"),
            EscalationLevel::None => (ReviewVerdict::OnTrack, "按计划推进"),
        };
        super::supervision::rounds::review(
            tx,
            actor,
            events,
            clock,
            round,
            item.id,
            verdict,
            Some(comment.to_owned()),
        )
        .await?;
    }
    Ok(())
}

/// The town's household-visit appeals since 2020, each recorded on its day, accepted the next,
/// and resolved or rejected as the demo table says, with the resident's feedback; through the
/// same services as the API, with a clock standing on each day.
#[allow(clippy::too_many_arguments)]
async fn load_appeals<T>(
    tx: &T,
    actor: &Actor,
    events: &EventBus,
    group: Option<Uuid>,
    org_ids: &HashMap<&str, Uuid>,
    holders: &HashMap<(&str, &str), Vec<Uuid>>,
    today: NaiveDate,
    zone: chrono_tz::Tz,
) -> AppResult<usize>
where
    T: ConnectionTrait + TransactionTrait,
{
    use super::appeals::{self, Move, NewAppeal};
    use demo_data::{AppealDay, AppealOutcome};
    let on = |day: NaiveDate| crate::clock::Clock::new(zone, Some(day.min(today)));
    let appeals = demo_data::appeals();
    for a in &appeals {
        let village = org_ids
            .get(a.village)
            .copied()
            .ok_or_else(|| AppError::internal(format!("demo appeal in unknown {}", a.village)))?;
        let received = match a.received {
            AppealDay::On(day) => day,
            AppealDay::DaysAgo(days) => today - chrono::Duration::days(days),
        };
        let recorded = appeals::record(
            tx,
            actor,
            events,
            &on(received),
            NewAppeal {
                content: a.content.to_owned(),
                category: parse_enum("appeal category", a.category)?,
                village_id: village,
                grid: None,
                collector_id: holders
                    .get(&(a.village, "SECRETARY"))
                    .and_then(|h| h.first())
                    .copied(),
                received_on: received,
                resident_name: Some(a.resident_name.clone()),
                resident_phone: Some(a.resident_phone.clone()),
                address: Some(a.address.clone()),
                handling_working_days: None,
            },
        )
        .await?;
        let next_day = received + chrono::Duration::days(1);
        let id = recorded.id;
        let step = |day: NaiveDate, mv: Move, text: Option<&str>| {
            let clock = on(day);
            let text = text.map(str::to_owned);
            async move { appeals::transition(tx, actor, events, &clock, id, mv, text, None).await }
        };
        match &a.outcome {
            AppealOutcome::Received => {}
            AppealOutcome::Accepted => {
                step(next_day, Move::Accept, None).await?;
            }
            AppealOutcome::Rejected(reason) => {
                step(next_day, Move::Reject, Some(reason)).await?;
            }
            AppealOutcome::Resolved {
                days,
                resolution,
                feedback,
            } => {
                step(next_day, Move::Accept, None).await?;
                let resolved_on = received + chrono::Duration::days(*days);
                step(resolved_on, Move::Resolve, Some(resolution)).await?;
                if let Some(satisfaction) = feedback {
                    step(
                        resolved_on + chrono::Duration::days(7),
                        Move::Feedback(parse_enum("satisfaction", satisfaction)?),
                        None,
                    )
                    .await?;
                }
            }
        }
        if let (Some(days_ago), Some(group)) = (a.escalated_days_ago, group) {
            let day = today - chrono::Duration::days(days_ago);
            appeals::escalate(
                tx,
                actor,
                events,
                &on(day),
                recorded.id,
                group,
                village,
                Vec::new(),
                10,
                entities::enums::Priority::High,
            )
            .await?;
        }
    }
    Ok(appeals.len())
}
