//! What authorization costs per request at a realistic size: 2,000 organizations in a three-level
//! tree, 5 linkage groups and 10,000 users with about as many grants, in a SQLite file database
//! opened the way the server opens it (WAL, one writer, a pool of readers).
//!
//! Run with `cargo bench --bench authz`. A plain `main` timed with `Instant`: every measured step
//! is an async call against a real database, which a statistics harness would only obscure.

use std::{
    collections::{BTreeMap, BTreeSet},
    error::Error,
    time::{Duration, Instant},
};

use chrono::{NaiveDate, Utc};
use entities::{
    area,
    enums::{LinkageRole, OrganizationLevel, PoliticalStatus, UnitType},
    linkage_group, linkage_group_member, organization, person, role_grant, user_account,
};
use lianjian_api::{
    auth::{TokenKeys, hash_password},
    authz::{Authz, Role, Viewer, adapter, group_domain, organization_domain},
    config::DatabaseConfig,
    db::Db,
    metrics::Metrics,
    services::accounts::{GrantScope, token_secret, viewer_from_token},
};
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ActiveModelTrait, DatabaseConnection, DbBackend, EntityTrait, PaginatorTrait, QueryFilter,
    QueryTrait, Set, TransactionTrait,
};
use uuid::Uuid;

type BenchResult<T> = Result<T, Box<dyn Error>>;

// 20 + 20*9 + 20*9*10 = 2,000 organizations exactly.
const ROOTS: usize = 20;
const CHILDREN_PER_ROOT: usize = 9;
const LEAVES_PER_CHILD: usize = 10;
const ORGANIZATIONS: usize = ROOTS * (1 + CHILDREN_PER_ROOT * (1 + LEAVES_PER_CHILD));
const GROUPS: usize = 5;
const GROUP_SIZE: usize = 40;
// People only give the scoped count query something to count.
const PEOPLE_PER_ORGANIZATION: usize = 10;
const USERS: usize = 10_000;
// Large enough to amortize statement overhead, small enough to stay far below SQLite's
// bound-parameter limit (organization rows have 16 columns).
const BATCH: usize = 500;
const REQUESTS_PER_KIND: usize = 300;
const WARMUP_REQUESTS: usize = 100;
const COUNT_QUERIES_PER_KIND: usize = 20;

/// The user kinds the report breaks down by: one per role, plus users holding several grants.
const KINDS: [&str; 7] = [
    "admin",
    "committee_staff",
    "supervisor",
    "org_secretary",
    "first_secretary",
    "member",
    "multi-grant",
];

fn main() -> BenchResult<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run())
}

async fn run() -> BenchResult<()> {
    let dir = tempfile::tempdir()?;
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("authz.db").display()
    );
    let metrics = Metrics::new();
    let db = Db::connect(&DatabaseConfig::new(url), &metrics).await?;
    Migrator::up(&db.write, None).await?;

    let setup = Instant::now();
    let data = populate(&db.write).await?;
    eprintln!(
        "setup: data inserted in {:.1} s",
        setup.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    let authz = Authz::load(&db.write).await?;
    let load_time = started.elapsed();
    let started = Instant::now();
    authz.reload(&db.write).await?;
    let reload_time = started.elapsed();
    // Splits the reload into its SQL part and the part spent inside Casbin.
    let started = Instant::now();
    let lines = adapter::grant_lines(&db.write).await?;
    let grant_lines_time = started.elapsed();
    let domains: BTreeSet<&str> = lines
        .iter()
        .filter_map(|l| l.get(2).map(String::as_str))
        .collect();
    let enforcer_line = format!(
        "enforcer: Authz::load {:.1} ms (seed + build), reload {:.1} ms (grant_lines SQL {:.1} ms); \
         {} g lines in {} domain patterns",
        ms(load_time),
        ms(reload_time),
        ms(grant_lines_time),
        group_digits(lines.len()),
        group_digits(domains.len()),
    );
    eprintln!("{enforcer_line}");

    let secret = token_secret(&db.write, None).await?;
    let keys = TokenKeys::new(&secret, chrono::Duration::hours(1));
    let requests = plan_requests(&data, &keys)?;

    for request in requests.iter().take(WARMUP_REQUESTS) {
        viewer_from_token(&db.read, &keys, &authz, &request.token).await?;
    }

    let mut results = Results::default();
    let mut counted: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, request) in requests.iter().enumerate() {
        let before = sql_statements(&metrics);
        let started = Instant::now();
        let viewer = viewer_from_token(&db.read, &keys, &authz, &request.token).await?;
        let auth = started.elapsed();
        let statements = sql_statements(&metrics).saturating_sub(before);

        let started = Instant::now();
        let person_scope = viewer.scope("person", "read");
        viewer.scope("organization", "read");
        viewer.scope("linkage_group", "read");
        let scope = started.elapsed();

        // The same user's next request: scopes come from the policy generation's cache.
        let next = viewer_from_token(&db.read, &keys, &authz, &request.token).await?;
        let started = Instant::now();
        next.scope("person", "read");
        next.scope("organization", "read");
        next.scope("linkage_group", "read");
        let scope_warm = started.elapsed();

        let own = own_domain(&viewer, &data);
        let started = Instant::now();
        let own_allowed = viewer.allows("person", "read", std::slice::from_ref(&own));
        let allows_own = started.elapsed();

        let other = data.org_domain((i * 37 + 11) % ORGANIZATIONS);
        let started = Instant::now();
        let other_allowed = viewer.allows("person", "read", std::slice::from_ref(&other));
        let allows_other = started.elapsed();

        let query = person::Entity::find()
            .filter(person_scope.organization_condition(person::Column::OrganizationId));
        let statement = query.build(DbBackend::Sqlite);
        let sql_chars = statement.to_string().chars().count();
        let params = statement.values.as_ref().map_or(0, |v| v.0.len());

        // Counting is the slow part of this loop and barely varies within a kind.
        let count = counted.entry(request.kind).or_default();
        let count_run = if *count < COUNT_QUERIES_PER_KIND {
            *count += 1;
            let started = Instant::now();
            let rows = query.count(&db.read).await?;
            Some((started.elapsed(), rows))
        } else {
            None
        };

        let kind = results.kinds.entry(request.kind).or_default();
        kind.auth.push(auth);
        kind.statements += statements;
        kind.scope.push(scope);
        kind.scope_warm.push(scope_warm);
        kind.grants += viewer.grants.len();
        kind.paths += person_scope.subtree_paths.len();
        kind.groups += person_scope.group_ids.len();
        kind.sql_chars.push(sql_chars);
        kind.params += params;
        if let Some((elapsed, rows)) = count_run {
            kind.count.push(elapsed);
            kind.counted_rows += rows;
        }
        results.allows_own.push(allows_own);
        results.allows_own_allowed += usize::from(own_allowed);
        results.allows_other.push(allows_other);
        results.allows_other_allowed += usize::from(other_allowed);

        if (i + 1).is_multiple_of(500) || i + 1 == requests.len() {
            eprintln!("measure: {}/{} requests", i + 1, requests.len());
        }
    }

    println!();
    println!(
        "authz bench: {} organizations, {} groups, {} users, {} grants, {} people (SQLite WAL file)",
        group_digits(ORGANIZATIONS),
        GROUPS,
        group_digits(USERS),
        group_digits(data.grants),
        group_digits(ORGANIZATIONS * PEOPLE_PER_ORGANIZATION),
    );
    println!("{enforcer_line}");
    print_timings(&results, requests.len());
    print_scope_sizes(&results);
    Ok(())
}

/// What setup leaves behind for the measurements.
struct Data {
    /// Materialized paths, in insertion order (roots, then children, then leaves).
    org_paths: Vec<String>,
    /// Per user: id and kind, in insertion order.
    users: Vec<(Uuid, &'static str)>,
    grants: usize,
}

impl Data {
    fn org_domain(&self, index: usize) -> String {
        organization_domain(&self.org_paths[index % self.org_paths.len()])
    }
}

/// Where one grant applies, by index into the generated organizations and groups.
#[derive(Clone, Copy)]
enum Target {
    System,
    Org(usize),
    Group(usize),
}

/// The grants of one user.
type Grants = Vec<(Role, Target)>;

/// Roles by user index; deterministic so that runs compare.
fn grants_for(i: usize) -> (&'static str, Grants) {
    let primary = match i {
        0..10 => (Role::Admin, Target::System),
        10..210 => (Role::CommitteeStaff, Target::Group(i % GROUPS)),
        210..410 => (Role::Supervisor, Target::Group(i % GROUPS)),
        // One secretary per organization, roots included.
        410..2410 => (Role::OrgSecretary, Target::Org((i - 410) % ORGANIZATIONS)),
        // First secretaries are sent to villages: the leaves.
        2410..3010 => {
            let leaves = ORGANIZATIONS - ROOTS * (1 + CHILDREN_PER_ROOT);
            let leaf = (i - 2410) * 3 % leaves;
            (
                Role::FirstSecretary,
                Target::Org(ORGANIZATIONS - leaves + leaf),
            )
        }
        // 7919 is coprime with 2,000, so members spread over every organization.
        _ => (Role::Member, Target::Org(i * 7919 % ORGANIZATIONS)),
    };
    let mut grants = vec![primary];
    // Ten users hold two or three grants; scope cost grows with the grant count.
    if i % 1000 == 999 {
        grants.push((Role::Supervisor, Target::Group(i % GROUPS)));
        if i % 2000 == 1999 {
            let other = match primary.1 {
                Target::Org(o) => (o + ORGANIZATIONS / 2) % ORGANIZATIONS,
                _ => i % ORGANIZATIONS,
            };
            grants.push((Role::Member, Target::Org(other)));
        }
    }
    let kind = if grants.len() > 1 {
        "multi-grant"
    } else {
        primary.0.as_str()
    };
    (kind, grants)
}

async fn populate(db: &DatabaseConnection) -> BenchResult<Data> {
    let now = Utc::now();
    let day = NaiveDate::from_ymd_opt(2026, 1, 1).ok_or("invalid date")?;
    let area_id = Uuid::now_v7();
    area::ActiveModel {
        id: Set(area_id),
        name: Set("景区".to_owned()),
        description: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;

    // Breadth first, so every parent is inserted before its children (the parent foreign key).
    let mut orgs: Vec<(Uuid, Option<Uuid>, String, i32)> = Vec::with_capacity(ORGANIZATIONS);
    for _ in 0..ROOTS {
        let id = Uuid::now_v7();
        orgs.push((id, None, format!("/{}/", organization::path_segment(id)), 0));
    }
    for (per_parent, depth) in [(CHILDREN_PER_ROOT, 1), (LEAVES_PER_CHILD, 2)] {
        let parents: Vec<(Uuid, String)> = orgs
            .iter()
            .filter(|o| o.3 == depth - 1)
            .map(|o| (o.0, o.2.clone()))
            .collect();
        for (parent, path) in parents {
            for _ in 0..per_parent {
                let id = Uuid::now_v7();
                let path = format!("{path}{}/", organization::path_segment(id));
                orgs.push((id, Some(parent), path, depth));
            }
        }
    }
    let rows = orgs
        .iter()
        .enumerate()
        .map(|(i, (id, parent, path, depth))| {
            let (level, unit_type) = match depth {
                0 => (OrganizationLevel::Committee, UnitType::Government),
                1 => (OrganizationLevel::GeneralBranch, UnitType::Community),
                _ => (OrganizationLevel::Branch, UnitType::Village),
            };
            organization::ActiveModel {
                id: Set(*id),
                name: Set(format!("党组织{i:04}")),
                short_name: Set(None),
                external_code: Set(None),
                level: Set(level),
                unit_type: Set(unit_type),
                area_id: Set(area_id),
                parent_id: Set(*parent),
                path: Set(path.clone()),
                depth: Set(*depth),
                contact: Set(None),
                key_village: Set(false),
                remote: Set(false),
                archived_at: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            }
        });
    insert_batched(db, "organizations", rows.collect()).await?;

    let people = orgs.iter().enumerate().flat_map(|(o, (org_id, ..))| {
        (0..PEOPLE_PER_ORGANIZATION).map(move |p| person::ActiveModel {
            id: Set(Uuid::now_v7()),
            name: Set(format!("成员{o:04}-{p}")),
            gender: Set(None),
            phone: Set(None),
            id_number: Set(None),
            political_status: Set(PoliticalStatus::FullMember),
            organization_id: Set(*org_id),
            created_at: Set(now),
            updated_at: Set(now),
        })
    });
    insert_batched(db, "people", people.collect()).await?;

    // Members are picked with a stride of 7, so each group mixes roots, branches and villages
    // and no organization is in two groups.
    let group_ids: Vec<Uuid> = (0..GROUPS).map(|_| Uuid::now_v7()).collect();
    let member_org = |g: usize, k: usize| orgs[(g * GROUP_SIZE + k) * 7 % ORGANIZATIONS].0;
    let groups = group_ids
        .iter()
        .enumerate()
        .map(|(g, id)| linkage_group::ActiveModel {
            id: Set(*id),
            name: Set(format!("联建组{g}")),
            description: Set(None),
            lead_organization_id: Set(member_org(g, 0)),
            cadence_days: Set(30),
            cadence_starts_on: Set(day),
            created_at: Set(now),
            updated_at: Set(now),
        });
    insert_batched(db, "linkage groups", groups.collect()).await?;
    let members = group_ids.iter().enumerate().flat_map(|(g, group_id)| {
        (0..GROUP_SIZE).map(move |k| linkage_group_member::ActiveModel {
            id: Set(Uuid::now_v7()),
            linkage_group_id: Set(*group_id),
            organization_id: Set(member_org(g, k)),
            role: Set(if k == 0 {
                LinkageRole::Lead
            } else {
                LinkageRole::Member
            }),
            joined_on: Set(day),
            left_on: Set(None),
            created_at: Set(now),
        })
    });
    insert_batched(db, "group members", members.collect()).await?;

    // Argon2 takes tens of milliseconds per hash; one shared hash keeps setup to seconds.
    let password_hash = hash_password("benchmark-password")?;
    let users: Vec<(Uuid, &'static str, Grants)> = (0..USERS)
        .map(|i| {
            let (kind, grants) = grants_for(i);
            (Uuid::now_v7(), kind, grants)
        })
        .collect();
    let accounts = users
        .iter()
        .enumerate()
        .map(|(i, (id, ..))| user_account::ActiveModel {
            id: Set(*id),
            username: Set(format!("user{i:05}")),
            password_hash: Set(password_hash.clone()),
            person_id: Set(None),
            disabled: Set(false),
            token_version: Set(0),
            created_at: Set(now),
            updated_at: Set(now),
        });
    insert_batched(db, "users", accounts.collect()).await?;

    let grant_rows: Vec<role_grant::ActiveModel> = users
        .iter()
        .flat_map(|(user_id, _, grants)| {
            grants.iter().map(|(role, target)| {
                let (organization_id, linkage_group_id) = match *target {
                    Target::System => (None, None),
                    Target::Org(o) => (Some(orgs[o].0), None),
                    Target::Group(g) => (None, Some(group_ids[g])),
                };
                role_grant::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    user_id: Set(*user_id),
                    role: Set(role.as_str().to_owned()),
                    organization_id: Set(organization_id),
                    linkage_group_id: Set(linkage_group_id),
                    scope: Set(scope_key(organization_id, linkage_group_id)),
                    created_at: Set(now),
                }
            })
        })
        .collect();
    let grants = grant_rows.len();
    insert_batched(db, "grants", grant_rows).await?;

    Ok(Data {
        org_paths: orgs.into_iter().map(|o| o.2).collect(),
        users: users.into_iter().map(|(id, kind, _)| (id, kind)).collect(),
        grants,
    })
}

/// The grant's scope key, as the service writes it.
fn scope_key(organization: Option<Uuid>, group: Option<Uuid>) -> String {
    match (organization, group) {
        (Some(id), _) => GrantScope::Organization(id),
        (None, Some(id)) => GrantScope::LinkageGroup(id),
        (None, None) => GrantScope::System,
    }
    .key()
}

async fn insert_batched<A>(db: &DatabaseConnection, what: &str, rows: Vec<A>) -> BenchResult<()>
where
    A: ActiveModelTrait + Send,
{
    let total = rows.len();
    let tx = db.begin().await?;
    let mut rows = rows.into_iter().peekable();
    let mut done = 0;
    while rows.peek().is_some() {
        let batch: Vec<A> = rows.by_ref().take(BATCH).collect();
        let n = batch.len();
        A::Entity::insert_many(batch)
            .exec_without_returning(&tx)
            .await?;
        done += n;
        if done / 1000 > (done - n) / 1000 || done == total {
            eprintln!(
                "setup: {}/{} {what}",
                group_digits(done),
                group_digits(total)
            );
        }
    }
    tx.commit().await?;
    Ok(())
}

struct Request {
    kind: &'static str,
    token: String,
}

/// The same number of requests for every kind, cycling through its users, interleaved so that
/// drift over the run (cache warming, allocator growth) does not favour one kind.
fn plan_requests(data: &Data, keys: &TokenKeys) -> BenchResult<Vec<Request>> {
    let by_kind: Vec<Vec<Uuid>> = KINDS
        .iter()
        .map(|kind| {
            data.users
                .iter()
                .filter(|(_, k)| k == kind)
                .map(|(id, _)| *id)
                .collect()
        })
        .collect();
    let mut requests = Vec::with_capacity(REQUESTS_PER_KIND * KINDS.len());
    for round in 0..REQUESTS_PER_KIND {
        for (kind, users) in KINDS.into_iter().zip(&by_kind) {
            if users.is_empty() {
                continue;
            }
            // A stride coprime with most user counts visits users in a scattered order.
            let user = users[(round * 101) % users.len()];
            let (token, _) = keys.issue(user, 0)?;
            requests.push(Request { kind, token });
        }
    }
    Ok(requests)
}

/// A domain inside the viewer's first grant: what a check on its own data looks like.
fn own_domain(viewer: &Viewer, data: &Data) -> String {
    match viewer.grants.first() {
        Some(grant) => match (&grant.organization, grant.linkage_group) {
            (Some((_, path)), _) => organization_domain(path),
            (None, Some(group)) => group_domain(group),
            (None, None) => data.org_domain(ORGANIZATIONS - 1),
        },
        None => data.org_domain(0),
    }
}

/// SQL statements executed so far, read back from the Prometheus text.
fn sql_statements(metrics: &Metrics) -> u64 {
    metrics
        .render()
        .lines()
        .filter(|l| l.starts_with("lianjian_sql_statements_total"))
        .filter_map(|l| l.split_whitespace().last()?.parse::<f64>().ok())
        .map(|v| v as u64)
        .sum()
}

#[derive(Default)]
struct KindResults {
    auth: Vec<Duration>,
    statements: u64,
    scope: Vec<Duration>,
    scope_warm: Vec<Duration>,
    count: Vec<Duration>,
    counted_rows: u64,
    grants: usize,
    paths: usize,
    groups: usize,
    sql_chars: Vec<usize>,
    params: usize,
}

#[derive(Default)]
struct Results {
    kinds: BTreeMap<&'static str, KindResults>,
    allows_own: Vec<Duration>,
    allows_own_allowed: usize,
    allows_other: Vec<Duration>,
    allows_other_allowed: usize,
}

impl Results {
    /// Kinds in report order, skipping any without requests.
    fn in_order(&self) -> impl Iterator<Item = (&'static str, &KindResults)> {
        KINDS
            .iter()
            .filter_map(|kind| self.kinds.get(kind).map(|r| (*kind, r)))
    }
}

struct Summary {
    n: usize,
    mean: f64,
    p50: f64,
    p95: f64,
    max: f64,
}

/// Nearest-rank percentiles, in microseconds.
fn summarize(samples: &[Duration]) -> Summary {
    let mut us: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e6).collect();
    if us.is_empty() {
        return Summary {
            n: 0,
            mean: 0.0,
            p50: 0.0,
            p95: 0.0,
            max: 0.0,
        };
    }
    us.sort_by(f64::total_cmp);
    let rank = |p: usize| us[(us.len() * p).div_ceil(100).clamp(1, us.len()) - 1];
    Summary {
        n: us.len(),
        mean: us.iter().sum::<f64>() / us.len() as f64,
        p50: rank(50),
        p95: rank(95),
        max: rank(100),
    }
}

fn timing_row(metric: &str, kind: &str, samples: &[Duration], note: &str) {
    let s = summarize(samples);
    println!(
        "{metric:<22} {kind:<16} {:>5} {:>9.1} {:>9.1} {:>9.1} {:>9.1}  {note}",
        s.n, s.mean, s.p50, s.p95, s.max
    );
}

fn print_timings(results: &Results, requests: usize) {
    println!();
    println!(
        "{:<22} {:<16} {:>5} {:>9} {:>9} {:>9} {:>9}",
        "per request (µs)", "kind", "n", "mean", "p50", "p95", "max"
    );
    let all_auth: Vec<Duration> = results
        .in_order()
        .flat_map(|(_, r)| r.auth.iter().copied())
        .collect();
    let statements: u64 = results.in_order().map(|(_, r)| r.statements).sum();
    timing_row(
        "viewer_from_token",
        "all",
        &all_auth,
        &format!("{:.2} SQL/request", statements as f64 / requests as f64),
    );
    for (kind, r) in results.in_order() {
        let note = format!("{:.2} SQL", r.statements as f64 / r.auth.len() as f64);
        timing_row("", kind, &r.auth, &note);
    }
    let all_scope: Vec<Duration> = results
        .in_order()
        .flat_map(|(_, r)| r.scope.iter().copied())
        .collect();
    timing_row("scope x3 (3 objects)", "all", &all_scope, "");
    for (kind, r) in results.in_order() {
        let grants = r.grants as f64 / r.scope.len() as f64;
        let note = format!("{:.0} enforce", 3.0 * grants);
        timing_row("", kind, &r.scope, &note);
    }
    let all_warm: Vec<Duration> = results
        .in_order()
        .flat_map(|(_, r)| r.scope_warm.iter().copied())
        .collect();
    timing_row(
        "scope x3, next request",
        "all",
        &all_warm,
        "cached per policy generation",
    );
    let allowed = |n: usize| format!("{:.0}% allowed", 100.0 * n as f64 / requests as f64);
    timing_row(
        "allows, own domain",
        "all",
        &results.allows_own,
        &allowed(results.allows_own_allowed),
    );
    timing_row(
        "allows, other org",
        "all",
        &results.allows_other,
        &allowed(results.allows_other_allowed),
    );
}

fn print_scope_sizes(results: &Results) {
    println!();
    println!(
        "{:<16} {:>6} {:>6} {:>6} {:>9} {:>9} {:>7} {:>7} {:>9} {:>9} {:>9} {:>9}",
        "person/read",
        "grants",
        "paths",
        "groups",
        "SQL chars",
        "SQL max",
        "params",
        "rows",
        "count µs",
        "p50",
        "p95",
        "max"
    );
    for (kind, r) in results.in_order() {
        let n = r.sql_chars.len().max(1) as f64;
        let count = summarize(&r.count);
        println!(
            "{kind:<16} {:>6.2} {:>6.2} {:>6.2} {:>9.0} {:>9} {:>7.1} {:>7.0} {:>9.1} {:>9.1} {:>9.1} {:>9.1}",
            r.grants as f64 / n,
            r.paths as f64 / n,
            r.groups as f64 / n,
            r.sql_chars.iter().sum::<usize>() as f64 / n,
            r.sql_chars.iter().max().copied().unwrap_or(0),
            r.params as f64 / n,
            r.counted_rows as f64 / count.n.max(1) as f64,
            count.mean,
            count.p50,
            count.p95,
            count.max,
        );
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// 10000 -> "10,000".
fn group_digits(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
