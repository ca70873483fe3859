//! What authorization costs per request, and whether that cost grows with the number of users:
//! 2,000 organizations in a three-level tree, 5 linkage groups, 20,000 people, and 10,000 then
//! 100,000 users with about one grant each, every size in a fresh SQLite file database opened the
//! way the server opens it (WAL, one writer, a pool of readers).
//!
//! Run with `cargo bench --bench authz` (both sizes, one after the other), or choose the sizes
//! with `cargo bench --bench authz -- --users 100000` (repeatable, or comma-separated) or
//! `AUTHZ_BENCH_USERS=10000,100000`. A plain `main` timed with `Instant`: every measured step is
//! an async call against a real database, which a statistics harness would only obscure.

use std::{
    collections::BTreeMap,
    error::Error,
    sync::Arc,
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
    authz::{Authz, Role, Viewer, group_domain, organization_domain},
    config::DatabaseConfig,
    db::Db,
    metrics::Metrics,
    services::accounts::{self, GrantScope, token_secret, viewer_from_token},
};
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QueryTrait, Set, Statement, TransactionTrait,
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
const DEFAULT_USERS: [usize; 2] = [10_000, 100_000];
// Below this the role mix of `grants_for` (10 admins, 2,000 secretaries, ...) has no members.
const MIN_USERS: usize = 3_100;
const USERS_ENV: &str = "AUTHZ_BENCH_USERS";
// Large enough to amortize statement overhead, small enough to stay far below SQLite's
// bound-parameter limit (organization rows have 16 columns).
const BATCH: usize = 500;
const REQUESTS_PER_KIND: usize = 300;
const WARMUP_REQUESTS: usize = 100;
const COUNT_QUERIES_PER_KIND: usize = 20;
/// The objects a typical list request scopes: people, their organizations, the groups.
const SCOPED: [(&str, &str); 3] = [
    ("person", "read"),
    ("organization", "read"),
    ("linkage_group", "read"),
];

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
    let sizes = user_counts(std::env::args().skip(1), std::env::var(USERS_ENV).ok())?;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(&sizes))
}

/// The user counts to measure: `--users N` (repeatable, or `N,M`), else `AUTHZ_BENCH_USERS`,
/// else both default sizes. Cargo adds `--bench` to a harness-less bench's arguments.
fn user_counts(
    mut args: impl Iterator<Item = String>,
    env: Option<String>,
) -> BenchResult<Vec<usize>> {
    let mut lists = Vec::new();
    while let Some(arg) = args.next() {
        if let Some(value) = arg.strip_prefix("--users=") {
            lists.push(value.to_owned());
        } else if arg == "--users" {
            lists.push(args.next().ok_or("--users needs a number")?);
        } else if arg == "--bench" || arg.starts_with("--") {
            // `--bench` and other harness flags cargo passes through.
        } else {
            return Err(format!("unexpected argument {arg:?}; use --users N").into());
        }
    }
    if lists.is_empty() {
        lists.extend(env.filter(|v| !v.trim().is_empty()));
    }
    let mut sizes = Vec::new();
    for list in &lists {
        for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let n: usize = part
                .replace('_', "")
                .parse()
                .map_err(|_| format!("not a user count: {part:?}"))?;
            if n < MIN_USERS {
                return Err(format!("at least {MIN_USERS} users, got {n}").into());
            }
            sizes.push(n);
        }
    }
    if sizes.is_empty() {
        sizes.extend(DEFAULT_USERS);
    }
    Ok(sizes)
}

async fn run(sizes: &[usize]) -> BenchResult<()> {
    // The rules are compiled once per process and know nothing about users.
    let started = Instant::now();
    let authz = Arc::new(Authz::load().await?);
    let load_line = format!(
        "Authz::load (model + role permissions of policies/, no users): {:.2} ms",
        ms(started.elapsed())
    );
    eprintln!("{load_line}");

    let mut summaries = Vec::new();
    for &users in sizes {
        summaries.push(run_size(users, &authz).await?);
    }

    println!();
    println!("{load_line}");
    if summaries.len() > 1 {
        print_comparison(&summaries);
    }
    Ok(())
}

/// The headline figures of one size, for the side-by-side comparison.
struct SizeSummary {
    users: usize,
    grants: usize,
    auth: Summary,
    statements: f64,
    scope: Summary,
    scope_memo: Summary,
    allows: Summary,
    count: Summary,
}

async fn run_size(users: usize, authz: &Arc<Authz>) -> BenchResult<SizeSummary> {
    eprintln!();
    eprintln!("== {} users: setup", group_digits(users));
    let dir = tempfile::tempdir()?;
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("authz.db").display()
    );
    let metrics = Metrics::new();
    let db = Db::connect(&DatabaseConfig::new(url), &metrics).await?;
    Migrator::up(&db.write, None).await?;

    let setup = Instant::now();
    let data = populate(&db.write, users).await?;
    // What the server's readers would find after a while: statistics for the query planner.
    db.write.execute_unprepared("ANALYZE").await?;
    eprintln!(
        "setup: data inserted in {:.1} s",
        setup.elapsed().as_secs_f64()
    );
    let plans = query_plans(&db.read, &data).await?;
    for line in &plans {
        eprintln!("plan: {line}");
    }

    let secret = token_secret(&db.write, None).await?;
    let keys = TokenKeys::new(&secret, chrono::Duration::hours(1));
    let requests = plan_requests(&data, &keys)?;

    for request in requests.iter().take(WARMUP_REQUESTS) {
        viewer_from_token(&db.read, &keys, authz, &request.token, today()).await?;
    }

    let mut results = Results::default();
    let mut counted: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, request) in requests.iter().enumerate() {
        let before = sql_statements(&metrics);
        let started = Instant::now();
        let viewer = viewer_from_token(&db.read, &keys, authz, &request.token, today()).await?;
        let auth = started.elapsed();
        let statements = sql_statements(&metrics).saturating_sub(before);

        // The same steps one by one, right after: where the authentication time goes.
        let started = Instant::now();
        let subject = keys.verify(&request.token)?;
        let verify = started.elapsed();
        let started = Instant::now();
        accounts::get(&db.read, subject.user_id).await?;
        let account = started.elapsed();
        let started = Instant::now();
        accounts::grants_of(&db.read, subject.user_id, today()).await?;
        let grants_sql = started.elapsed();

        let started = Instant::now();
        let scopes = SCOPED.map(|(object, action)| viewer.scope(object, action));
        let scope = started.elapsed();

        // Later resolvers of the same request ask again.
        let started = Instant::now();
        for (object, action) in SCOPED {
            viewer.scope(object, action);
        }
        let scope_memo = started.elapsed();

        let own = own_domain(&viewer, &data);
        let started = Instant::now();
        let own_allowed = viewer.allows("person", "read", std::slice::from_ref(&own));
        let allows_own = started.elapsed();

        let other = data.org_domain((i * 37 + 11) % ORGANIZATIONS);
        let started = Instant::now();
        let other_allowed = viewer.allows("person", "read", std::slice::from_ref(&other));
        let allows_other = started.elapsed();

        let person_scope = &scopes[0];
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
        kind.verify.push(verify);
        kind.account.push(account);
        kind.grants_sql.push(grants_sql);
        kind.scope.push(scope);
        kind.scope_memo.push(scope_memo);
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
    db.close().await?;

    println!();
    println!(
        "== authz bench: {} users, {} grants, {} organizations, {} groups, {} people \
         (SQLite WAL file, {} requests)",
        group_digits(users),
        group_digits(data.grants),
        group_digits(ORGANIZATIONS),
        GROUPS,
        group_digits(ORGANIZATIONS * PEOPLE_PER_ORGANIZATION),
        group_digits(requests.len()),
    );
    for line in &plans {
        println!("plan: {line}");
    }
    print_timings(&results, requests.len());
    print_scope_sizes(&results);

    let all = |pick: fn(&KindResults) -> &Vec<Duration>| -> Vec<Duration> {
        results
            .in_order()
            .flat_map(|(_, r)| pick(r).iter().copied())
            .collect()
    };
    let statements: u64 = results.in_order().map(|(_, r)| r.statements).sum();
    let mut allows = results.allows_own.clone();
    allows.extend(&results.allows_other);
    Ok(SizeSummary {
        users,
        grants: data.grants,
        auth: summarize(&all(|r| &r.auth)),
        statements: statements as f64 / requests.len().max(1) as f64,
        scope: summarize(&all(|r| &r.scope)),
        scope_memo: summarize(&all(|r| &r.scope_memo)),
        allows: summarize(&allows),
        count: summarize(&all(|r| &r.count)),
    })
}

/// How SQLite runs the two lookups of every request: both must search an index, never scan.
async fn query_plans(db: &DatabaseConnection, data: &Data) -> BenchResult<Vec<String>> {
    let user = data.users.first().map(|u| u.0).ok_or("no users")?;
    // The statements of `accounts::get` and `accounts::grants_of`.
    let lookups = [
        (
            "account",
            user_account::Entity::find_by_id(user)
                .build(DbBackend::Sqlite)
                .to_string(),
        ),
        (
            "grants",
            role_grant::Entity::find()
                .filter(role_grant::Column::UserId.eq(user))
                .order_by_asc(role_grant::Column::CreatedAt)
                .build(DbBackend::Sqlite)
                .to_string(),
        ),
    ];
    let mut lines = Vec::new();
    for (what, sql) in lookups {
        let rows = db
            .query_all_raw(Statement::from_string(
                DbBackend::Sqlite,
                format!("EXPLAIN QUERY PLAN {sql}"),
            ))
            .await?;
        let steps: Vec<String> = rows
            .iter()
            .filter_map(|row| row.try_get::<String>("", "detail").ok())
            .collect();
        lines.push(format!("{what}: {}", steps.join("; ")));
    }
    Ok(lines)
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
    // One user in a thousand holds two or three grants; scope cost grows with the grant count.
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

async fn populate(db: &DatabaseConnection, users: usize) -> BenchResult<Data> {
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
    let users: Vec<(Uuid, &'static str, Grants)> = (0..users)
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
            username: Set(format!("user{i:06}")),
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
    // About ten progress lines per table, whatever its size.
    let step = (total / 10).max(1000);
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
        if done / step > (done - n) / step || done == total {
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
            // Spread over the whole table (ids are time-ordered, so over the whole index), in a
            // scattered order: 7,919 is prime, so `round * 7919 % 300` visits every slot once.
            let slot = round * 7919 % REQUESTS_PER_KIND;
            let user = users[slot * users.len() / REQUESTS_PER_KIND];
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
    verify: Vec<Duration>,
    account: Vec<Duration>,
    grants_sql: Vec<Duration>,
    scope: Vec<Duration>,
    scope_memo: Vec<Duration>,
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
        "{metric:<24} {kind:<16} {:>5} {:>9.1} {:>9.1} {:>9.1} {:>9.1}  {note}",
        s.n, s.mean, s.p50, s.p95, s.max
    );
}

/// One row for every kind together, then one per kind.
fn timing_rows(
    results: &Results,
    metric: &str,
    pick: fn(&KindResults) -> &Vec<Duration>,
    all_note: &str,
    kind_note: &dyn Fn(&KindResults) -> String,
) {
    let all: Vec<Duration> = results
        .in_order()
        .flat_map(|(_, r)| pick(r).iter().copied())
        .collect();
    timing_row(metric, "all", &all, all_note);
    for (kind, r) in results.in_order() {
        timing_row("", kind, pick(r), &kind_note(r));
    }
}

fn print_timings(results: &Results, requests: usize) {
    println!();
    println!(
        "{:<24} {:<16} {:>5} {:>9} {:>9} {:>9} {:>9}",
        "per request (µs)", "kind", "n", "mean", "p50", "p95", "max"
    );
    let statements: u64 = results.in_order().map(|(_, r)| r.statements).sum();
    timing_rows(
        results,
        "viewer_from_token",
        |r| &r.auth,
        &format!(
            "{:.2} SQL/request",
            statements as f64 / requests.max(1) as f64
        ),
        &|r| {
            format!(
                "{:.2} SQL, {:.2} grants",
                r.statements as f64 / r.auth.len().max(1) as f64,
                r.grants as f64 / r.auth.len().max(1) as f64
            )
        },
    );
    let none = |_: &KindResults| String::new();
    timing_rows(
        results,
        "  token verify",
        |r| &r.verify,
        "signature and expiry",
        &none,
    );
    timing_rows(
        results,
        "  account SQL",
        |r| &r.account,
        "accounts::get",
        &none,
    );
    timing_rows(
        results,
        "  grants SQL",
        |r| &r.grants_sql,
        "accounts::grants_of (grants, their organizations)",
        &none,
    );
    timing_rows(
        results,
        "scope x3, first",
        |r| &r.scope,
        "person, organization, linkage_group",
        &|r| {
            let grants = r.grants as f64 / r.scope.len().max(1) as f64;
            format!("{:.0} enforce", SCOPED.len() as f64 * grants)
        },
    );
    timing_rows(
        results,
        "scope x3, memoized",
        |r| &r.scope_memo,
        "asked again in the same request",
        &none,
    );
    let allowed = |n: usize| format!("{:.0}% allowed", 100.0 * n as f64 / requests.max(1) as f64);
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

/// The sizes side by side: the per-request figures should not move with the number of users.
fn print_comparison(summaries: &[SizeSummary]) {
    println!();
    println!(
        "{:>9} {:>9} {:>6} {:>20} {:>20} {:>20} {:>20} {:>20}",
        "users",
        "grants",
        "SQL",
        "auth µs mean/p95",
        "scope x3 mean/p95",
        "memoized mean/p95",
        "allows mean/p95",
        "count mean/p95"
    );
    let pair = |s: &Summary| format!("{:.1} / {:.1}", s.mean, s.p95);
    for s in summaries {
        println!(
            "{:>9} {:>9} {:>6.2} {:>20} {:>20} {:>20} {:>20} {:>20}",
            group_digits(s.users),
            group_digits(s.grants),
            s.statements,
            pair(&s.auth),
            pair(&s.scope),
            pair(&s.scope_memo),
            pair(&s.allows),
            pair(&s.count),
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

/// The day postings' grants are read for.
fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}
