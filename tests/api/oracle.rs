//! The authorization oracle: what each role may see and do, written by hand from DESIGN 4.1 (and
//! 3.1, 4.3, 4.4) as literal tables over a small fixed world. Nothing here asks the enforcer or
//! the scope code: every expected answer is a name or an error code typed below, and the tables
//! are walked over lists (page by page, with `totalCount` on every page), counts, `node`/`nodes`,
//! nested paths, mutations and clash reports.
//!
//! The world:
//!
//! ```text
//! areas 东区 (R, A, A1, B) and 西区 (X)
//! R ─┬─ A ── A1         X (an unrelated root)
//!    └─ B
//! group G: A (lead), B          group H: X (lead)
//! people: R-1; A-1, A-2; A1-1; B-1, B-2; X-1
//! act-AB  hosted by A, B takes part, in G        2027-03-01 09:00-11:00 at "A Hall"
//! act-X   hosted by X                            2027-03-02 09:00-11:00 at "X Hall"
//! act-A1X hosted by A1, X takes part             2027-03-03 09:00-11:00 at "A1 Hall"
//! item-AB  supervision item of G led by A, B co-responsible
//! item-B   supervision item of G led by B
//! item-X   supervision item of H led by X
//! round 1 of G, open
//! appeal-A, appeal-A1, appeal-B, appeal-X: residents' appeals of those villages
//! ```
//!
//! Every mismatch is collected, so a failing run lists every cell that disagrees.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use lianjian_api::{
    authz::Role,
    graphql::ids::{self, NodeKind},
    services::accounts::GrantScope,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Gql, TestApp};

// ---------------------------------------------------------------------------------------------
// The expected answers, by hand.
// ---------------------------------------------------------------------------------------------

/// The users, one per row of the tables below.
const USERS: [&str; 9] = [
    "admin",
    "staff_g",
    "supervisor_g",
    "secretary_a",
    "first_secretary_a1",
    "member_b",
    "member_x",
    "nobody",
    // Committee staff of G who is also secretary of X: the one caller, besides an administrator,
    // who may bring X into G (it manages both).
    "staff_g_secretary_x",
];

const ORGS: [&str; 5] = ["R", "A", "A1", "B", "X"];

/// Everyone signed in reads the public card of every organization; the internal fields
/// (`contact`, `externalCode`) only where a grant reaches: an organization subtree, or the
/// current members of a linkage group (not their sub-organizations).
const ORG_INTERNAL: [(&str, &[&str]); 9] = [
    ("admin", &["R", "A", "A1", "B", "X"]),
    ("staff_g", &["A", "B"]),
    ("supervisor_g", &["A", "B"]),
    ("secretary_a", &["A", "A1"]),
    ("first_secretary_a1", &["A1"]),
    ("member_b", &["B"]),
    ("member_x", &["X"]),
    ("nobody", &[]),
    ("staff_g_secretary_x", &["A", "B", "X"]),
];

/// People each user reads. Supervisors read the group and its organizations, not their people.
const PEOPLE: [(&str, &[&str]); 9] = [
    ("admin", &["R-1", "A-1", "A-2", "A1-1", "B-1", "B-2", "X-1"]),
    ("staff_g", &["A-1", "A-2", "B-1", "B-2"]),
    ("supervisor_g", &[]),
    ("secretary_a", &["A-1", "A-2", "A1-1"]),
    ("first_secretary_a1", &["A1-1"]),
    ("member_b", &["B-1", "B-2"]),
    ("member_x", &["X-1"]),
    ("nobody", &[]),
    ("staff_g_secretary_x", &["A-1", "A-2", "B-1", "B-2", "X-1"]),
];

/// People whose phone and ID-card numbers each user sees in full (DESIGN 4.4: administrators
/// and secretaries of the person's organization); every other readable person is masked.
const PERSONAL_DATA: [(&str, &[&str]); 9] = [
    ("admin", &["R-1", "A-1", "A-2", "A1-1", "B-1", "B-2", "X-1"]),
    ("staff_g", &[]),
    ("supervisor_g", &[]),
    ("secretary_a", &["A-1", "A-2", "A1-1"]),
    ("first_secretary_a1", &[]),
    ("member_b", &[]),
    ("member_x", &[]),
    ("nobody", &[]),
    ("staff_g_secretary_x", &["X-1"]),
];

/// Linkage groups each user reads: those granted, and those an organization in the user's
/// reach currently belongs to.
const GROUPS: [(&str, &[&str]); 9] = [
    ("admin", &["G", "H"]),
    ("staff_g", &["G"]),
    ("supervisor_g", &["G"]),
    ("secretary_a", &["G"]),
    ("first_secretary_a1", &[]),
    ("member_b", &["G"]),
    ("member_x", &["H"]),
    ("nobody", &[]),
    ("staff_g_secretary_x", &["G", "H"]),
];

/// Joint activities each user reads: those its organizations take part in; committee staff and
/// supervisors those of their group's current members; nobody else, not even through `node`.
const ACTIVITIES: [(&str, &[&str]); 9] = [
    ("admin", &["act-AB", "act-X", "act-A1X"]),
    ("staff_g", &["act-AB"]),
    ("supervisor_g", &["act-AB"]),
    ("secretary_a", &["act-AB", "act-A1X"]),
    ("first_secretary_a1", &["act-A1X"]),
    ("member_b", &["act-AB"]),
    ("member_x", &["act-X", "act-A1X"]),
    ("nobody", &[]),
    ("staff_g_secretary_x", &["act-AB", "act-X", "act-A1X"]),
];

/// Supervision items each user reads (DESIGN 4.1): every item of a group granted (committee
/// staff, supervisors), the items an organization in reach leads or co-owns; nobody else, not
/// through lists, counts or `node`.
const ITEMS: [(&str, &[&str]); 9] = [
    ("admin", &["item-AB", "item-B", "item-X"]),
    ("staff_g", &["item-AB", "item-B"]),
    ("supervisor_g", &["item-AB", "item-B"]),
    ("secretary_a", &["item-AB"]),
    ("first_secretary_a1", &[]),
    ("member_b", &["item-AB", "item-B"]),
    ("member_x", &["item-X"]),
    ("nobody", &[]),
    ("staff_g_secretary_x", &["item-AB", "item-B", "item-X"]),
];

/// Residents' appeals each user reads (DESIGN 4.1): secretaries and first secretaries those of
/// the villages in their subtree, committee staff and supervisors those of their group's current
/// members (not the villages below them); members and everyone else none.
const APPEALS: [(&str, &[&str]); 9] = [
    ("admin", &["appeal-A", "appeal-A1", "appeal-B", "appeal-X"]),
    ("staff_g", &["appeal-A", "appeal-B"]),
    ("supervisor_g", &["appeal-A", "appeal-B"]),
    ("secretary_a", &["appeal-A", "appeal-A1"]),
    ("first_secretary_a1", &["appeal-A1"]),
    ("member_b", &[]),
    ("member_x", &[]),
    ("nobody", &[]),
    ("staff_g_secretary_x", &["appeal-A", "appeal-B", "appeal-X"]),
];

/// The world's appeals: content and village.
const APPEAL_DATA: [(&str, &str); 4] = [
    ("appeal-A", "A"),
    ("appeal-A1", "A1"),
    ("appeal-B", "B"),
    ("appeal-X", "X"),
];

/// Whose `supervisionRounds(G)` and `statistics(G)` answer: a grant on G itself (or admin);
/// organization grants do not reach a group's totals.
const GROUP_TOTALS: [&str; 4] = ["admin", "staff_g", "supervisor_g", "staff_g_secretary_x"];

/// The world's supervision items: title, group, lead, co-responsible organizations.
const ITEM_DATA: [(&str, &str, &str, &[&str]); 3] = [
    ("item-AB", "G", "A", &["B"]),
    ("item-B", "G", "B", &[]),
    ("item-X", "H", "X", &[]),
];

/// The world's data (not expectations): people with their organization and numbers.
const PERSONS: [(&str, &str, &str, &str); 7] = [
    ("R-1", "R", "13800000001", "44010019800101001"),
    ("A-1", "A", "13800000002", "44010019800101002"),
    ("A-2", "A", "13800000003", "44010019800101003"),
    ("A1-1", "A1", "13800000004", "44010019800101004"),
    ("B-1", "B", "13800000005", "44010019800101005"),
    ("B-2", "B", "13800000006", "44010019800101006"),
    ("X-1", "X", "13800000007", "44010019800101007"),
];

/// The world's activities: title, host, other participants, group, day of March 2027, venue.
type ActivityRow = (
    &'static str,
    &'static str,
    &'static [&'static str],
    Option<&'static str>,
    u32,
    &'static str,
);
const ACTIVITY_DATA: [ActivityRow; 3] = [
    ("act-AB", "A", &["B"], Some("G"), 1, "A Hall"),
    ("act-X", "X", &[], None, 2, "X Hall"),
    ("act-A1X", "A1", &["X"], None, 3, "A1 Hall"),
];

/// Current members of each group.
const MEMBERS: [(&str, &[&str]); 2] = [("G", &["A", "B"]), ("H", &["X"])];

fn row(table: &[(&str, &[&str])], key: &str) -> BTreeSet<String> {
    table
        .iter()
        .find(|(k, _)| *k == key)
        .unwrap_or_else(|| panic!("no row {key}"))
        .1
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// DESIGN 4.4's masks: `138****5678`, `4401**********1234`.
fn masked_phone(full: &str) -> String {
    format!("{}****{}", &full[..3], &full[7..])
}

fn masked_id_number(full: &str) -> String {
    format!("{}**********{}", &full[..4], &full[14..])
}

// ---------------------------------------------------------------------------------------------
// Collecting cells.
// ---------------------------------------------------------------------------------------------

#[derive(Default)]
struct Cells {
    checked: usize,
    failed: Vec<String>,
}

impl Cells {
    fn eq<T: PartialEq + std::fmt::Debug>(&mut self, cell: &str, expected: T, actual: T) {
        self.checked += 1;
        if expected != actual {
            self.failed
                .push(format!("{cell}: expected {expected:?}, got {actual:?}"));
        }
    }

    fn fail(&mut self, cell: &str, what: String) {
        self.checked += 1;
        self.failed.push(format!("{cell}: {what}"));
    }

    fn finish(self, at_least: usize) {
        assert!(
            self.failed.is_empty(),
            "{} of {} cells disagree with the design:\n{}",
            self.failed.len(),
            self.checked,
            self.failed.join("\n")
        );
        assert!(
            self.checked >= at_least,
            "only {} cells checked",
            self.checked
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The world.
// ---------------------------------------------------------------------------------------------

struct World {
    areas: BTreeMap<&'static str, String>,
    orgs: BTreeMap<&'static str, String>,
    groups: BTreeMap<&'static str, String>,
    people: BTreeMap<&'static str, String>,
    activities: BTreeMap<&'static str, String>,
    items: BTreeMap<&'static str, String>,
    appeals: BTreeMap<&'static str, String>,
    tokens: BTreeMap<&'static str, String>,
    /// A user with no grant that only `grantRole` cells touch.
    grantee: String,
}

impl World {
    fn token(&self, user: &str) -> &str {
        &self.tokens[user]
    }

    fn name_of_org(&self, id: &str) -> &'static str {
        self.orgs
            .iter()
            .find(|(_, v)| v.as_str() == id)
            .map(|(k, _)| *k)
            .unwrap_or("?")
    }
}

fn uuid_of(global: &str) -> Uuid {
    ids::decode("id", &async_graphql::ID(global.to_owned()))
        .unwrap()
        .id
}

fn missing(kind: NodeKind) -> String {
    ids::encode(kind, Uuid::now_v7()).0
}

fn at(day: u32, hour: u32) -> String {
    format!("2027-03-{day:02}T{hour:02}:00:00+08:00")
}

/// A rendered time as an instant, whatever offset it was written in.
fn instant(text: &Value) -> String {
    text.as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc).to_rfc3339())
        .unwrap_or_default()
}

const SCHEDULE: &str = "mutation($input: ScheduleJointActivityInput!) {
    scheduleJointActivity(input: $input) { jointActivity { id title } } }";

fn schedule_input(
    w: &World,
    title: &str,
    host: &str,
    participants: &[&str],
    group: Option<&str>,
    venue: &str,
    (starts, ends): (String, String),
) -> Value {
    json!({
        "title": title, "kind": "JOINT_MEETING", "hostOrganizationId": w.orgs[host],
        "participantOrganizationIds": participants.iter().map(|p| w.orgs[p].clone()).collect::<Vec<_>>(),
        "linkageGroupId": group.map(|g| w.groups[g].clone()),
        "venue": venue, "startsAt": starts, "endsAt": ends,
    })
}

async fn world(app: &TestApp) -> World {
    let mut areas = BTreeMap::new();
    for name in ["东区", "西区"] {
        areas.insert(name, app.create_area(name).await);
    }
    let mut orgs: BTreeMap<&'static str, String> = BTreeMap::new();
    for (key, parent, area) in [
        ("R", None, "东区"),
        ("A", Some("R"), "东区"),
        ("B", Some("R"), "东区"),
        ("A1", Some("A"), "东区"),
        ("X", None, "西区"),
    ] {
        let response = app
            .graphql(
                "mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id } } }",
                json!({ "input": { "name": key, "level": "BRANCH", "unitType": "VILLAGE",
                    "areaId": areas[area], "parentId": parent.map(|p: &str| orgs[p].clone()),
                    "contact": format!("{key} office"), "externalCode": format!("code-{key}") } }),
            )
            .await;
        orgs.insert(
            key,
            response.ok()["createOrganization"]["organization"]["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let mut groups = BTreeMap::new();
    for (key, lead, members) in [("G", "A", vec!["B"]), ("H", "X", vec![])] {
        let response = app
            .graphql(
                "mutation($input: CreateLinkageGroupInput!) { createLinkageGroup(input: $input) { linkageGroup { id } } }",
                json!({ "input": { "name": key, "leadOrganizationId": orgs[lead],
                    "memberOrganizationIds": members.iter().map(|m| orgs[m].clone()).collect::<Vec<_>>() } }),
            )
            .await;
        groups.insert(
            key,
            response.ok()["createLinkageGroup"]["linkageGroup"]["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let mut people = BTreeMap::new();
    for (name, org, phone, id17) in PERSONS {
        let response = app
            .graphql(
                "mutation($input: CreatePersonInput!) { createPerson(input: $input) { person { id } } }",
                json!({ "input": { "name": name, "phone": phone, "idNumber": id_number(id17),
                    "politicalStatus": "FULL_MEMBER", "organizationId": orgs[org] } }),
            )
            .await;
        people.insert(
            name,
            response.ok()["createPerson"]["person"]["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let org = |k: &str| GrantScope::Organization(uuid_of(&orgs[k]));
    let group = |k: &str| GrantScope::LinkageGroup(uuid_of(&groups[k]));
    let mut tokens = BTreeMap::new();
    tokens.insert("admin", app.admin_token.clone());
    for (user, grants) in [
        ("staff_g", vec![(Role::CommitteeStaff, group("G"))]),
        ("supervisor_g", vec![(Role::Supervisor, group("G"))]),
        ("secretary_a", vec![(Role::OrgSecretary, org("A"))]),
        (
            "first_secretary_a1",
            vec![(Role::FirstSecretary, org("A1"))],
        ),
        ("member_b", vec![(Role::Member, org("B"))]),
        ("member_x", vec![(Role::Member, org("X"))]),
        ("nobody", vec![]),
        (
            "staff_g_secretary_x",
            vec![
                (Role::CommitteeStaff, group("G")),
                (Role::OrgSecretary, org("X")),
            ],
        ),
    ] {
        tokens.insert(user, app.user_with(user, &grants).await);
    }
    let grantee_token = app.user_with("grantee", &[]).await;
    let grantee = app
        .graphql_as(
            Some(&grantee_token),
            "{ viewer { user { id } } }",
            json!({}),
        )
        .await
        .ok()["viewer"]["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut w = World {
        areas,
        orgs,
        groups,
        people,
        activities: BTreeMap::new(),
        items: BTreeMap::new(),
        appeals: BTreeMap::new(),
        tokens,
        grantee,
    };
    for (title, host, participants, group, day, venue) in ACTIVITY_DATA {
        let input = schedule_input(
            &w,
            title,
            host,
            participants,
            group,
            venue,
            (at(day, 9), at(day, 11)),
        );
        let response = app.graphql(SCHEDULE, json!({ "input": input })).await;
        let id = response.ok()["scheduleJointActivity"]["jointActivity"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        w.activities.insert(title, id);
    }
    for (title, group, lead, co) in ITEM_DATA {
        let co: Vec<&String> = co.iter().map(|o| &w.orgs[o]).collect();
        let response = app
            .graphql(
                "mutation($input: OpenSupervisionItemInput!) { openSupervisionItem(input: $input) { supervisionItem { id } } }",
                json!({ "input": { "title": title, "source": "JOINT_MEETING", "linkageGroupId": w.groups[group],
                    "leadOrganizationId": w.orgs[lead], "coResponsibleOrganizationIds": co, "dueInWorkingDays": 10 } }),
            )
            .await;
        let id = response.ok()["openSupervisionItem"]["supervisionItem"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        w.items.insert(title, id);
    }
    for (content, village) in APPEAL_DATA {
        let response = app
            .graphql(
                "mutation($input: RecordResidentAppealInput!) { recordResidentAppeal(input: $input) { residentAppeal { id } } }",
                json!({ "input": { "content": content, "category": "OTHER", "villageId": w.orgs[village],
                    "receivedOn": chrono::Utc::now().date_naive().pred_opt().unwrap().to_string() } }),
            )
            .await;
        let id = response.ok()["recordResidentAppeal"]["residentAppeal"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        w.appeals.insert(content, id);
    }
    let response = app
        .graphql(
            "mutation($g: ID!) { openSupervisionRound(input: { linkageGroupId: $g }) { supervisionRound { id } } }",
            json!({ "g": w.groups["G"] }),
        )
        .await;
    response.ok();
    w
}

fn id_number(first17: &str) -> String {
    let check = lianjian_api::services::values::id_number_check_digit(first17).unwrap();
    format!("{first17}{check}")
}

// ---------------------------------------------------------------------------------------------
// Walking connections.
// ---------------------------------------------------------------------------------------------

/// Pages through the connection at `path` of `query` (which takes `$first` and `$after`),
/// `page` at a time; checks that `totalCount` is the same on every page, that only the last page
/// is short, and that the nodes add up to it. Returns the nodes.
#[allow(clippy::too_many_arguments)] // one call per cell reads best with every argument named in place
async fn walk(
    cells: &mut Cells,
    cell: &str,
    app: &TestApp,
    token: &str,
    query: &str,
    variables: Value,
    path: &[&str],
    page: usize,
) -> Vec<Value> {
    let mut nodes = Vec::new();
    let mut after = Value::Null;
    let mut total = None;
    for _ in 0..50 {
        let mut vars = variables.clone();
        vars["first"] = json!(page);
        vars["after"] = after.clone();
        let response = app.graphql_as(Some(token), query, vars).await;
        if !response.errors().is_empty() {
            cells.fail(cell, format!("errors {}", response.body));
            return nodes;
        }
        let mut connection = response.data();
        for key in path {
            connection = &connection[*key];
        }
        let Some(count) = connection["totalCount"].as_u64() else {
            cells.fail(cell, format!("no connection in {}", response.body));
            return nodes;
        };
        if *total.get_or_insert(count) != count {
            cells.fail(cell, format!("totalCount changed between pages to {count}"));
        }
        let batch = connection["nodes"].as_array().cloned().unwrap_or_default();
        let more = connection["pageInfo"]["hasNextPage"] == true;
        if more && batch.len() != page {
            cells.fail(
                cell,
                format!("a short page of {} before the end", batch.len()),
            );
        }
        nodes.extend(batch);
        if !more {
            break;
        }
        after = connection["pageInfo"]["endCursor"].clone();
    }
    cells.eq(
        &format!("{cell} (nodes on all pages vs totalCount)"),
        total.unwrap_or(0),
        nodes.len() as u64,
    );
    nodes
}

fn names(nodes: &[Value], field: &str) -> BTreeSet<String> {
    nodes
        .iter()
        .filter_map(|n| n[field].as_str().map(str::to_owned))
        .collect()
}

const PAGE: &str = "totalCount pageInfo { hasNextPage endCursor }";

// ---------------------------------------------------------------------------------------------
// Reads.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn every_user_reads_exactly_what_the_hand_written_table_says() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let mut cells = Cells::default();
    let participants: BTreeMap<&str, BTreeSet<String>> = ACTIVITY_DATA
        .iter()
        .map(|(title, host, others, ..)| {
            let mut orgs = set(others);
            orgs.insert((*host).to_owned());
            (*title, orgs)
        })
        .collect();
    let org_of_person: BTreeMap<&str, &str> = PERSONS.iter().map(|p| (p.0, p.1)).collect();

    for user in USERS {
        let token = w.token(user);
        let internal = row(&ORG_INTERNAL, user);
        let people = row(&PEOPLE, user);
        let full = row(&PERSONAL_DATA, user);
        let groups = row(&GROUPS, user);
        let activities = row(&ACTIVITIES, user);

        // Organizations: every public card, internal fields in scope only.
        let query = format!(
            "query($first: Int, $after: String) {{ organizations(first: $first, after: $after) {{ {PAGE} nodes {{ name contact externalCode people {{ totalCount }} }} }} }}"
        );
        let nodes = walk(
            &mut cells,
            &format!("{user}: organizations"),
            &app,
            token,
            &query,
            json!({}),
            &["organizations"],
            2,
        )
        .await;
        cells.eq(
            &format!("{user}: organizations"),
            set(&ORGS),
            names(&nodes, "name"),
        );
        for node in &nodes {
            let name = node["name"].as_str().unwrap_or("?");
            let readable = internal.contains(name);
            cells.eq(
                &format!("{user}: organizations[{name}].contact"),
                readable.then(|| format!("{name} office")),
                node["contact"].as_str().map(str::to_owned),
            );
            cells.eq(
                &format!("{user}: organizations[{name}].externalCode"),
                readable.then(|| format!("code-{name}")),
                node["externalCode"].as_str().map(str::to_owned),
            );
            let expected = people
                .iter()
                .filter(|p| org_of_person[p.as_str()] == name)
                .count() as u64;
            cells.eq(
                &format!("{user}: organizations[{name}].people.totalCount"),
                Some(expected),
                node["people"]["totalCount"].as_u64(),
            );
        }
        for org in ORGS {
            let id = &w.orgs[org];
            let readable = internal.contains(org);
            for (how, query, field) in [
                (
                    "organization",
                    "query($id: ID!) { organization(id: $id) { name contact externalCode } }",
                    "organization",
                ),
                (
                    "node",
                    "query($id: ID!) { node(id: $id) { ... on Organization { name contact externalCode } } }",
                    "node",
                ),
            ] {
                let response = app
                    .graphql_as(Some(token), query, json!({ "id": id }))
                    .await;
                let card = &response.data()[field];
                cells.eq(
                    &format!("{user}: {how}({org}).name"),
                    Some(org),
                    card["name"].as_str(),
                );
                cells.eq(
                    &format!("{user}: {how}({org}).contact"),
                    readable.then(|| format!("{org} office")),
                    card["contact"].as_str().map(str::to_owned),
                );
                cells.eq(
                    &format!("{user}: {how}({org}).externalCode"),
                    readable.then(|| format!("code-{org}")),
                    card["externalCode"].as_str().map(str::to_owned),
                );
            }
            // Nested lists under any organization hold only what the viewer reads anyway.
            let query = format!(
                "query($id: ID!, $first: Int, $after: String) {{ organization(id: $id) {{ people(first: $first, after: $after) {{ {PAGE} nodes {{ name }} }} }} }}"
            );
            let nodes = walk(
                &mut cells,
                &format!("{user}: organization({org}).people"),
                &app,
                token,
                &query,
                json!({ "id": id }),
                &["organization", "people"],
                1,
            )
            .await;
            let expected: BTreeSet<String> = people
                .iter()
                .filter(|p| org_of_person[p.as_str()] == org)
                .cloned()
                .collect();
            cells.eq(
                &format!("{user}: organization({org}).people"),
                expected,
                names(&nodes, "name"),
            );
            let query = format!(
                "query($id: ID!, $first: Int, $after: String) {{ organization(id: $id) {{ jointActivities(first: $first, after: $after) {{ {PAGE} nodes {{ title }} }} }} }}"
            );
            let nodes = walk(
                &mut cells,
                &format!("{user}: organization({org}).jointActivities"),
                &app,
                token,
                &query,
                json!({ "id": id }),
                &["organization", "jointActivities"],
                1,
            )
            .await;
            let expected: BTreeSet<String> = activities
                .iter()
                .filter(|a| participants[a.as_str()].contains(org))
                .cloned()
                .collect();
            cells.eq(
                &format!("{user}: organization({org}).jointActivities"),
                expected,
                names(&nodes, "title"),
            );
        }

        // People: the list, a filtered count, single reads and masking.
        let query = format!(
            "query($first: Int, $after: String) {{ people(first: $first, after: $after) {{ {PAGE} nodes {{ name phone idNumber organization {{ name contact }} }} }} }}"
        );
        let nodes = walk(
            &mut cells,
            &format!("{user}: people"),
            &app,
            token,
            &query,
            json!({}),
            &["people"],
            2,
        )
        .await;
        cells.eq(
            &format!("{user}: people"),
            people.clone(),
            names(&nodes, "name"),
        );
        for node in &nodes {
            let name = node["name"].as_str().unwrap_or("?");
            let Some((_, org, phone, id17)) = PERSONS.iter().find(|p| p.0 == name) else {
                continue;
            };
            let number = id_number(id17);
            let (phone, number) = if full.contains(name) {
                ((*phone).to_owned(), number)
            } else {
                (masked_phone(phone), masked_id_number(&number))
            };
            cells.eq(
                &format!("{user}: people[{name}].phone"),
                Some(phone.as_str()),
                node["phone"].as_str(),
            );
            cells.eq(
                &format!("{user}: people[{name}].idNumber"),
                Some(number.as_str()),
                node["idNumber"].as_str(),
            );
            // A readable person's organization is readable: it is in the same scope.
            cells.eq(
                &format!("{user}: people[{name}].organization.contact"),
                Some(format!("{org} office")),
                node["organization"]["contact"].as_str().map(str::to_owned),
            );
        }
        let query = format!(
            "query($root: ID!, $first: Int, $after: String) {{ people(filter: {{ organizationId: $root, includeSubOrganizations: true }}, first: $first, after: $after) {{ {PAGE} nodes {{ name }} }} }}"
        );
        let nodes = walk(
            &mut cells,
            &format!("{user}: people under R"),
            &app,
            token,
            &query,
            json!({ "root": w.orgs["R"] }),
            &["people"],
            2,
        )
        .await;
        let expected: BTreeSet<String> = people
            .iter()
            .filter(|p| org_of_person[p.as_str()] != "X")
            .cloned()
            .collect();
        cells.eq(
            &format!("{user}: people under R"),
            expected,
            names(&nodes, "name"),
        );
        // Out of scope reads exactly like a missing id: null.
        let mut ids: Vec<String> = PERSONS.iter().map(|p| w.people[p.0].clone()).collect();
        ids.push(missing(NodeKind::Person));
        let response = app
            .graphql_as(
                Some(token),
                "query($ids: [ID!]!) { nodes(ids: $ids) { ... on Person { name } } }",
                json!({ "ids": ids }),
            )
            .await;
        let mut expected: Vec<Value> = PERSONS
            .iter()
            .map(|p| {
                if people.contains(p.0) {
                    json!({ "name": p.0 })
                } else {
                    Value::Null
                }
            })
            .collect();
        expected.push(Value::Null);
        cells.eq(
            &format!("{user}: nodes(people and a missing id)"),
            &json!(expected),
            &response.data()["nodes"],
        );
        for (name, ..) in PERSONS {
            let response = app
                .graphql_as(
                    Some(token),
                    "query($id: ID!) { node(id: $id) { ... on Person { name } } }",
                    json!({ "id": w.people[name] }),
                )
                .await;
            cells.eq(
                &format!("{user}: node(person {name})"),
                people.contains(name).then_some(name),
                response.data()["node"]["name"].as_str(),
            );
        }

        // Linkage groups: list, single reads, members and a nested path down to people.
        let query = format!(
            "query($first: Int, $after: String) {{ linkageGroups(first: $first, after: $after) {{ {PAGE} nodes {{ name }} }} }}"
        );
        let nodes = walk(
            &mut cells,
            &format!("{user}: linkageGroups"),
            &app,
            token,
            &query,
            json!({}),
            &["linkageGroups"],
            1,
        )
        .await;
        cells.eq(
            &format!("{user}: linkageGroups"),
            groups.clone(),
            names(&nodes, "name"),
        );
        for (group, members) in MEMBERS {
            let id = &w.groups[group];
            let readable = groups.contains(group);
            let response = app
                .graphql_as(
                    Some(token),
                    "query($id: ID!) { linkageGroup(id: $id) { name } }",
                    json!({ "id": id }),
                )
                .await;
            let answer = if response.errors().is_empty() {
                response.data()["linkageGroup"]["name"]
                    .as_str()
                    .unwrap_or("?")
                    .to_owned()
            } else {
                response.code()
            };
            cells.eq(
                &format!("{user}: linkageGroup({group})"),
                if readable { group } else { "NOT_FOUND" },
                answer.as_str(),
            );
            let response = app
                .graphql_as(
                    Some(token),
                    "query($id: ID!) { node(id: $id) { ... on LinkageGroup { name } } }",
                    json!({ "id": id }),
                )
                .await;
            cells.eq(
                &format!("{user}: node(group {group})"),
                readable.then_some(group),
                response.data()["node"]["name"].as_str(),
            );
            if !readable {
                continue;
            }
            let query = format!(
                "query($id: ID!, $first: Int, $after: String) {{ linkageGroup(id: $id) {{ members(first: $first, after: $after) {{ {PAGE} nodes {{ role organization {{ name contact people {{ totalCount }} }} }} }} }} }}"
            );
            let nodes = walk(
                &mut cells,
                &format!("{user}: linkageGroup({group}).members"),
                &app,
                token,
                &query,
                json!({ "id": id }),
                &["linkageGroup", "members"],
                1,
            )
            .await;
            let found: BTreeSet<String> = nodes
                .iter()
                .filter_map(|n| n["organization"]["name"].as_str().map(str::to_owned))
                .collect();
            cells.eq(
                &format!("{user}: linkageGroup({group}).members"),
                set(members),
                found,
            );
            for node in &nodes {
                let org = node["organization"]["name"].as_str().unwrap_or("?");
                cells.eq(
                    &format!("{user}: linkageGroup({group}).members[{org}].contact"),
                    internal.contains(org).then(|| format!("{org} office")),
                    node["organization"]["contact"].as_str().map(str::to_owned),
                );
                let expected = people
                    .iter()
                    .filter(|p| org_of_person[p.as_str()] == org)
                    .count() as u64;
                cells.eq(
                    &format!("{user}: linkageGroup({group}).members[{org}].people.totalCount"),
                    Some(expected),
                    node["organization"]["people"]["totalCount"].as_u64(),
                );
            }
        }

        // Joint activities: list, filtered counts, single reads.
        let query = format!(
            "query($first: Int, $after: String) {{ jointActivities(first: $first, after: $after) {{ {PAGE} nodes {{ title participants {{ organization {{ name }} }} }} }} }}"
        );
        let nodes = walk(
            &mut cells,
            &format!("{user}: jointActivities"),
            &app,
            token,
            &query,
            json!({}),
            &["jointActivities"],
            1,
        )
        .await;
        cells.eq(
            &format!("{user}: jointActivities"),
            activities.clone(),
            names(&nodes, "title"),
        );
        for node in &nodes {
            let title = node["title"].as_str().unwrap_or("?");
            let found: BTreeSet<String> = node["participants"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| p["organization"]["name"].as_str().map(str::to_owned))
                .collect();
            cells.eq(
                &format!("{user}: jointActivities[{title}].participants"),
                participants.get(title).cloned().unwrap_or_default(),
                found,
            );
        }
        for (filter, cell, expected) in [
            (
                json!({ "organizationId": w.orgs["X"] }),
                "jointActivities(organizationId: X)",
                &["act-X", "act-A1X"][..],
            ),
            (
                json!({ "linkageGroupId": w.groups["G"] }),
                "jointActivities(linkageGroupId: G)",
                &["act-AB"][..],
            ),
            (
                json!({ "organizationId": w.orgs["R"], "includeSubOrganizations": true }),
                "jointActivities(organizationId: R and below)",
                &["act-AB", "act-A1X"][..],
            ),
        ] {
            let query = format!(
                "query($filter: JointActivityFilter, $first: Int, $after: String) {{ jointActivities(filter: $filter, first: $first, after: $after) {{ {PAGE} nodes {{ title }} }} }}"
            );
            let nodes = walk(
                &mut cells,
                &format!("{user}: {cell}"),
                &app,
                token,
                &query,
                json!({ "filter": filter }),
                &["jointActivities"],
                1,
            )
            .await;
            let expected: BTreeSet<String> =
                set(expected).intersection(&activities).cloned().collect();
            cells.eq(&format!("{user}: {cell}"), expected, names(&nodes, "title"));
        }
        for (title, ..) in ACTIVITY_DATA {
            let id = &w.activities[title];
            let readable = activities.contains(title);
            let response = app
                .graphql_as(
                    Some(token),
                    "query($id: ID!) { jointActivity(id: $id) { title } }",
                    json!({ "id": id }),
                )
                .await;
            let answer = if response.errors().is_empty() {
                response.data()["jointActivity"]["title"]
                    .as_str()
                    .unwrap_or("?")
                    .to_owned()
            } else {
                response.code()
            };
            cells.eq(
                &format!("{user}: jointActivity({title})"),
                if readable { title } else { "NOT_FOUND" },
                answer.as_str(),
            );
            let response = app
                .graphql_as(
                    Some(token),
                    "query($ids: [ID!]!) { nodes(ids: $ids) { ... on JointActivity { title } } }",
                    json!({ "ids": [id, missing(NodeKind::JointActivity)] }),
                )
                .await;
            cells.eq(
                &format!("{user}: nodes(activity {title}, a missing id)"),
                &json!([readable.then(|| json!({ "title": title })), null]),
                &response.data()["nodes"],
            );
        }

        // Supervision items: list (page by page), counts by organization, single reads, nodes.
        let items = row(&ITEMS, user);
        let query = format!(
            "query($first: Int, $after: String) {{ supervisionItems(first: $first, after: $after) {{ {PAGE} nodes {{ title }} }} }}"
        );
        let nodes = walk(
            &mut cells,
            &format!("{user}: supervisionItems"),
            &app,
            token,
            &query,
            json!({}),
            &["supervisionItems"],
            1,
        )
        .await;
        cells.eq(
            &format!("{user}: supervisionItems"),
            items.clone(),
            names(&nodes, "title"),
        );
        let response = app
            .graphql_as(
                Some(token),
                "query($o: ID!) { supervisionItems(filter: { organizationId: $o }) { totalCount } }",
                json!({ "o": w.orgs["B"] }),
            )
            .await;
        let expected: BTreeSet<String> = set(&["item-AB", "item-B"])
            .intersection(&items)
            .cloned()
            .collect();
        cells.eq(
            &format!("{user}: supervisionItems(organizationId: B).totalCount"),
            Some(expected.len() as u64),
            response.data()["supervisionItems"]["totalCount"].as_u64(),
        );
        for (title, ..) in ITEM_DATA {
            let id = &w.items[title];
            let readable = items.contains(title);
            let response = app
                .graphql_as(
                    Some(token),
                    "query($id: ID!) { supervisionItem(id: $id) { title } }",
                    json!({ "id": id }),
                )
                .await;
            let answer = if response.errors().is_empty() {
                response.data()["supervisionItem"]["title"]
                    .as_str()
                    .unwrap_or("?")
                    .to_owned()
            } else {
                response.code()
            };
            cells.eq(
                &format!("{user}: supervisionItem({title})"),
                if readable { title } else { "NOT_FOUND" },
                answer.as_str(),
            );
            let response = app
                .graphql_as(
                    Some(token),
                    "query($ids: [ID!]!) { nodes(ids: $ids) { ... on SupervisionItem { title } } }",
                    json!({ "ids": [id, missing(NodeKind::SupervisionItem)] }),
                )
                .await;
            cells.eq(
                &format!("{user}: nodes(item {title}, a missing id)"),
                &json!([readable.then(|| json!({ "title": title })), null]),
                &response.data()["nodes"],
            );
        }
        // Residents' appeals: list (page by page) and nodes.
        let appeals = row(&APPEALS, user);
        let query = format!(
            "query($first: Int, $after: String) {{ residentAppeals(first: $first, after: $after) {{ {PAGE} nodes {{ content }} }} }}"
        );
        let nodes = walk(
            &mut cells,
            &format!("{user}: residentAppeals"),
            &app,
            token,
            &query,
            json!({}),
            &["residentAppeals"],
            1,
        )
        .await;
        cells.eq(
            &format!("{user}: residentAppeals"),
            appeals.clone(),
            names(&nodes, "content"),
        );
        for (content, _) in APPEAL_DATA {
            let readable = appeals.contains(content);
            let response = app
                .graphql_as(
                    Some(token),
                    "query($ids: [ID!]!) { nodes(ids: $ids) { ... on ResidentAppeal { content } } }",
                    json!({ "ids": [w.appeals[content], missing(NodeKind::ResidentAppeal)] }),
                )
                .await;
            cells.eq(
                &format!("{user}: nodes(appeal {content}, a missing id)"),
                &json!([readable.then(|| json!({ "content": content })), null]),
                &response.data()["nodes"],
            );
        }

        // A group's rounds and statistics: only with a grant on the group.
        let totals = GROUP_TOTALS.contains(&user);
        let response = app
            .graphql_as(
                Some(token),
                "query($g: ID!) { supervisionRounds(linkageGroupId: $g) { totalCount } }",
                json!({ "g": w.groups["G"] }),
            )
            .await;
        cells.eq(
            &format!("{user}: supervisionRounds(G).totalCount"),
            Some(u64::from(totals)),
            response.data()["supervisionRounds"]["totalCount"].as_u64(),
        );
        let response = app
            .graphql_as(
                Some(token),
                "query($g: ID!) { statistics(linkageGroupId: $g, from: \"2020-01-01\", to: \"2029-12-31\") { supervision { opened } } }",
                json!({ "g": w.groups["G"] }),
            )
            .await;
        let answer = if response.errors().is_empty() {
            format!(
                "opened {}",
                response.data()["statistics"]["supervision"]["opened"]
            )
        } else {
            response.code()
        };
        cells.eq(
            &format!("{user}: statistics(G)"),
            if totals {
                // item-AB and item-B, opened today in G.
                "opened 2".to_owned()
            } else if groups.contains("G") {
                "FORBIDDEN".to_owned()
            } else {
                "NOT_FOUND".to_owned()
            },
            answer,
        );

        // Areas: every signed-in user reads them all.
        let query = format!(
            "query($first: Int, $after: String) {{ areas(first: $first, after: $after) {{ {PAGE} nodes {{ name }} }} }}"
        );
        let nodes = walk(
            &mut cells,
            &format!("{user}: areas"),
            &app,
            token,
            &query,
            json!({}),
            &["areas"],
            1,
        )
        .await;
        cells.eq(
            &format!("{user}: areas"),
            set(&["东区", "西区"]),
            names(&nodes, "name"),
        );
        for (name, id) in &w.areas {
            let response = app
                .graphql_as(
                    Some(token),
                    "query($id: ID!) { node(id: $id) { ... on Area { name } } }",
                    json!({ "id": id }),
                )
                .await;
            cells.eq(
                &format!("{user}: node(area {name})"),
                Some(*name),
                response.data()["node"]["name"].as_str(),
            );
        }
    }
    cells.finish(1000);
}

// ---------------------------------------------------------------------------------------------
// Mutations.
// ---------------------------------------------------------------------------------------------

/// The expected answer of one mutation cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Ok,
    Forbidden,
    NotFound,
    /// Exactly what the same caller gets for an id that names nothing (DESIGN 4.3: an object the
    /// caller may not read looks like a missing one), and never FORBIDDEN.
    LikeMissing,
}
use Expect::{Forbidden as F, LikeMissing as M, NotFound as NF, Ok as OK};

/// A scheduling cell: user, host, other participants, group, expected answer.
type ScheduleCell = (
    &'static str,
    &'static str,
    &'static [&'static str],
    Option<&'static str>,
    Expect,
);

/// The outcome of a mutation: "OK" or the error's code, with `extensions.field` when present.
fn outcome(response: &Gql) -> String {
    match response.errors().first() {
        None => "OK".to_owned(),
        Some(error) => {
            let code = error["extensions"]["code"].as_str().unwrap_or("?");
            match error["extensions"]["field"].as_str() {
                Some(field) => format!("{code} on {field}"),
                None => code.to_owned(),
            }
        }
    }
}

/// Runs one mutation cell: the answer must be the expected one, and a refused mutation must
/// write nothing (no audit entry). `missing` is the same mutation with the unreadable object
/// replaced by an id that names nothing, for `LikeMissing` cells.
#[allow(clippy::too_many_arguments)] // one call per cell reads best with every argument named in place
async fn mutation_cell(
    cells: &mut Cells,
    app: &TestApp,
    cell: &str,
    token: &str,
    query: &str,
    input: Value,
    missing: Option<Value>,
    expect: Expect,
) -> Gql {
    let audits = app.audits().await;
    let response = app
        .graphql_as(Some(token), query, json!({ "input": input }))
        .await;
    let got = outcome(&response);
    let expected = match expect {
        Expect::Ok => "OK".to_owned(),
        Expect::Forbidden => "FORBIDDEN".to_owned(),
        Expect::NotFound => "NOT_FOUND".to_owned(),
        Expect::LikeMissing => {
            let like = app
                .graphql_as(
                    Some(token),
                    query,
                    json!({ "input": missing.unwrap_or(Value::Null) }),
                )
                .await;
            let like = outcome(&like);
            if like == "OK" || like == "FORBIDDEN" {
                cells.fail(cell, format!("a missing id answers {like}"));
            }
            like
        }
    };
    cells.eq(cell, expected.as_str(), got.as_str());
    if !response.errors().is_empty() {
        cells.eq(
            &format!("{cell} writes nothing"),
            audits,
            app.audits().await,
        );
    }
    response
}

/// Cells that hold on the server as it is.
#[tokio::test]
async fn every_user_may_do_exactly_what_the_hand_written_table_says() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let mut cells = Cells::default();

    // createArea: administrators only.
    for user in USERS {
        let expect = if user == "admin" { OK } else { F };
        mutation_cell(
            &mut cells,
            &app,
            &format!("{user}: createArea"),
            w.token(user),
            "mutation($input: CreateAreaInput!) { createArea(input: $input) { area { name } } }",
            json!({ "name": format!("区 {user}") }),
            None,
            expect,
        )
        .await;
    }

    // Organizations are publicly known: out of scope is FORBIDDEN, never NOT_FOUND.
    const CREATE_ORG_UNDER_A: [(&str, Expect); 9] = [
        ("admin", OK),
        ("staff_g", F),
        ("supervisor_g", F),
        ("secretary_a", OK),
        ("first_secretary_a1", F),
        ("member_b", F),
        ("member_x", F),
        ("nobody", F),
        ("staff_g_secretary_x", F),
    ];
    for (user, expect) in CREATE_ORG_UNDER_A {
        mutation_cell(
            &mut cells,
            &app,
            &format!("{user}: createOrganization under A"),
            w.token(user),
            "mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { name } } }",
            json!({ "name": format!("A 下 {user}"), "level": "BRANCH", "unitType": "VILLAGE",
                "areaId": w.areas["东区"], "parentId": w.orgs["A"] }),
            None,
            expect,
        )
        .await;
    }

    // Columns: A1, B, X.
    const UPDATE_ORG: [(&str, [Expect; 3]); 9] = [
        ("admin", [OK, OK, OK]),
        ("staff_g", [F, F, F]),
        ("supervisor_g", [F, F, F]),
        ("secretary_a", [OK, F, F]),
        ("first_secretary_a1", [F, F, F]),
        ("member_b", [F, F, F]),
        ("member_x", [F, F, F]),
        ("nobody", [F, F, F]),
        ("staff_g_secretary_x", [F, F, OK]),
    ];
    for (user, row) in UPDATE_ORG {
        for (org, expect) in ["A1", "B", "X"].into_iter().zip(row) {
            mutation_cell(
                &mut cells,
                &app,
                &format!("{user}: updateOrganization({org})"),
                w.token(user),
                "mutation($input: UpdateOrganizationInput!) { updateOrganization(input: $input) { organization { name } } }",
                json!({ "id": w.orgs[org], "shortName": format!("{org} by {user}") }),
                None,
                expect,
            )
            .await;
        }
    }

    // Columns: A1, B, X. Creating people needs `manage` on the organization.
    const CREATE_PERSON: [(&str, [Expect; 3]); 9] = [
        ("admin", [OK, OK, OK]),
        ("staff_g", [F, F, F]),
        ("supervisor_g", [F, F, F]),
        ("secretary_a", [OK, F, F]),
        ("first_secretary_a1", [F, F, F]),
        ("member_b", [F, F, F]),
        ("member_x", [F, F, F]),
        ("nobody", [F, F, F]),
        ("staff_g_secretary_x", [F, F, OK]),
    ];
    for (user, row) in CREATE_PERSON {
        for (org, expect) in ["A1", "B", "X"].into_iter().zip(row) {
            mutation_cell(
                &mut cells,
                &app,
                &format!("{user}: createPerson in {org}"),
                w.token(user),
                "mutation($input: CreatePersonInput!) { createPerson(input: $input) { person { name } } }",
                json!({ "name": format!("{org} 新人 {user}"), "politicalStatus": "MASSES",
                    "organizationId": w.orgs[org] }),
                None,
                expect,
            )
            .await;
        }
    }

    // Columns: A1-1, B-1, X-1. A person the caller cannot read is NOT_FOUND; one it reads but
    // may not manage is FORBIDDEN.
    const UPDATE_PERSON: [(&str, [Expect; 3]); 9] = [
        ("admin", [OK, OK, OK]),
        ("staff_g", [NF, F, NF]),
        ("supervisor_g", [NF, NF, NF]),
        ("secretary_a", [OK, NF, NF]),
        ("first_secretary_a1", [F, NF, NF]),
        ("member_b", [NF, F, NF]),
        ("member_x", [NF, NF, F]),
        ("nobody", [NF, NF, NF]),
        ("staff_g_secretary_x", [NF, F, OK]),
    ];
    for (user, row) in UPDATE_PERSON {
        for (person, expect) in ["A1-1", "B-1", "X-1"].into_iter().zip(row) {
            mutation_cell(
                &mut cells,
                &app,
                &format!("{user}: updatePerson({person})"),
                w.token(user),
                "mutation($input: UpdatePersonInput!) { updatePerson(input: $input) { person { name } } }",
                json!({ "id": w.people[person], "politicalStatus": "FULL_MEMBER" }),
                None,
                expect,
            )
            .await;
        }
    }

    // grantRole: administrators only; everyone else is refused before anything is looked up.
    for user in USERS {
        let expect = if user == "admin" { OK } else { F };
        mutation_cell(
            &mut cells,
            &app,
            &format!("{user}: grantRole(member of X)"),
            w.token(user),
            "mutation($input: GrantRoleInput!) { grantRole(input: $input) { user { id } } }",
            json!({ "userId": w.grantee, "role": "MEMBER", "scopeId": w.orgs["X"] }),
            None,
            expect,
        )
        .await;
    }

    // scheduleJointActivity: secretaries host in their subtree and invite anyone; committee
    // staff schedule for the current members of their group; nobody else schedules. Each cell
    // books its own day and venue, so that no cell clashes with another.
    let schedule_cells: [ScheduleCell; 14] = [
        ("admin", "X", &["A"], None, OK),
        ("staff_g", "A", &["B"], Some("G"), OK),
        ("staff_g", "B", &[], None, OK),
        ("staff_g", "X", &[], None, F),
        ("supervisor_g", "A", &["B"], Some("G"), F),
        ("secretary_a", "A1", &["X"], None, OK),
        ("secretary_a", "A", &["B"], Some("G"), OK),
        ("secretary_a", "B", &[], None, F),
        ("secretary_a", "X", &[], None, F),
        ("first_secretary_a1", "A1", &[], None, F),
        ("member_b", "B", &[], None, F),
        ("member_x", "X", &[], None, F),
        ("nobody", "A", &[], None, F),
        ("staff_g_secretary_x", "X", &["A1"], None, OK),
    ];
    for (i, (user, host, participants, group, expect)) in schedule_cells.into_iter().enumerate() {
        let day = 10 + i as u32;
        mutation_cell(
            &mut cells,
            &app,
            &format!(
                "{user}: scheduleJointActivity hosted by {host} with {participants:?} in {group:?}"
            ),
            w.token(user),
            SCHEDULE,
            schedule_input(
                &w,
                &format!("cell {i}"),
                host,
                participants,
                group,
                &format!("room {i}"),
                (at(day, 9), at(day, 10)),
            ),
            None,
            expect,
        )
        .await;
    }

    // addLinkageGroupMember into G: an unreadable group is NOT_FOUND, a readable one the caller
    // does not manage FORBIDDEN.
    let add_cells: [(&str, &str, Expect); 7] = [
        ("admin", "A1", OK),
        ("supervisor_g", "X", F),
        ("secretary_a", "A1", F),
        ("member_b", "X", F),
        ("first_secretary_a1", "A1", NF),
        ("member_x", "X", NF),
        ("nobody", "X", NF),
    ];
    for (user, org, expect) in add_cells {
        add_member_cell(&mut cells, &app, &w, user, "G", org, expect).await;
    }

    cells.finish(150);
}

const ADD_MEMBER: &str = "mutation($input: AddLinkageGroupMemberInput!) {
    addLinkageGroupMember(input: $input) { linkageGroup { name } } }";

/// One addLinkageGroupMember cell; a membership it adds is ended again, so cells stay apart.
async fn add_member_cell(
    cells: &mut Cells,
    app: &TestApp,
    w: &World,
    user: &str,
    group: &str,
    org: &str,
    expect: Expect,
) {
    let response = mutation_cell(
        cells,
        app,
        &format!("{user}: addLinkageGroupMember({org} into {group})"),
        w.token(user),
        ADD_MEMBER,
        json!({ "linkageGroupId": w.groups[group], "organizationId": w.orgs[org] }),
        Some(json!({ "linkageGroupId": missing(NodeKind::LinkageGroup), "organizationId": w.orgs[org] })),
        expect,
    )
    .await;
    if response.errors().is_empty() {
        app.graphql(
            "mutation($input: RemoveLinkageGroupMemberInput!) { removeLinkageGroupMember(input: $input) { linkageGroup { id } } }",
            json!({ "input": { "linkageGroupId": w.groups[group], "organizationId": w.orgs[org] } }),
        )
        .await
        .ok();
    }
}

/// DESIGN 4.1 group scope: committee staff schedule only for the current members of their group
/// and only into groups they manage; an organization joins a group only with its consent (an
/// administrator, or a caller who manages it), so nobody widens their own reach.
#[tokio::test]
async fn committee_staff_stay_inside_their_group_and_groups_grow_only_with_consent() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let mut cells = Cells::default();

    let schedule_cells: [ScheduleCell; 7] = [
        // A1 is below A, a member of G, but not a member itself.
        ("staff_g", "A1", &[], Some("G"), F),
        ("staff_g", "X", &[], Some("G"), F),
        ("staff_g", "A", &["X"], Some("G"), F),
        // H is a group staff of G cannot even read.
        ("staff_g", "A", &["B"], Some("H"), M),
        ("secretary_a", "A", &[], Some("H"), M),
        // Still allowed: members of G, into G.
        ("staff_g", "B", &["A"], Some("G"), OK),
        ("staff_g_secretary_x", "A", &["B"], Some("G"), OK),
    ];
    for (i, (user, host, participants, group, expect)) in schedule_cells.into_iter().enumerate() {
        let day = 10 + i as u32;
        let input = |group: Option<String>| {
            let mut input = schedule_input(
                &w,
                &format!("cell {i}"),
                host,
                participants,
                None,
                &format!("room {i}"),
                (at(day, 9), at(day, 10)),
            );
            input["linkageGroupId"] = json!(group);
            input
        };
        mutation_cell(
            &mut cells,
            &app,
            &format!(
                "{user}: scheduleJointActivity hosted by {host} with {participants:?} in {group:?}"
            ),
            w.token(user),
            SCHEDULE,
            input(group.map(|g| w.groups[g].clone())),
            Some(input(Some(missing(NodeKind::LinkageGroup)))),
            expect,
        )
        .await;
    }

    let add_cells: [(&str, &str, Expect); 4] = [
        ("staff_g", "X", F),
        ("staff_g", "A1", F),
        // Manages G (staff) and X (secretary): both sides consent.
        ("staff_g_secretary_x", "X", OK),
        ("admin", "X", OK),
    ];
    for (user, org, expect) in add_cells {
        add_member_cell(&mut cells, &app, &w, user, "G", org, expect).await;
    }
    cells.finish(15);
}

// ---------------------------------------------------------------------------------------------
// Clash reports.
// ---------------------------------------------------------------------------------------------

/// An expected clash: activity, organization, venue (names), and the day of the busy time.
type ExpectedClash = (
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
    u32,
);

/// A reported clash: activity, organization, venue (names), start and end instants.
type ReportedClash = (
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    String,
);

type RefusedCell = (
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    Option<&'static str>,
    &'static str,
    u32,
    Vec<ExpectedClash>,
    Option<&'static str>,
);

/// `{ activityId, organizationId, venue, startsAt, endsAt }` of a clash, with names for ids.
fn clash(w: &World, c: &Value) -> ReportedClash {
    let activity = c["activityId"].as_str().map(|id| {
        w.activities
            .iter()
            .find(|(_, v)| v.as_str() == id)
            .map(|(k, _)| (*k).to_owned())
            .unwrap_or_else(|| id.to_owned())
    });
    let org = c["organizationId"]
        .as_str()
        .map(|id| w.name_of_org(id).to_owned());
    let venue = c["venue"].as_str().map(str::to_owned);
    (
        activity,
        org,
        venue,
        instant(&c["startsAt"]),
        instant(&c["endsAt"]),
    )
}

/// The busy time of the world's activity on that day.
fn busy(day: u32) -> (String, String) {
    (instant(&json!(at(day, 9))), instant(&json!(at(day, 11))))
}

/// Nothing of an unreadable activity may appear anywhere in an answer but its time.
fn discloses(w: &World, body: &Value, activity: &str) -> Vec<String> {
    let (_, _, _, _, _, venue) = ACTIVITY_DATA
        .iter()
        .find(|a| a.0 == activity)
        .copied()
        .unwrap();
    let text = body.to_string();
    let global = &w.activities[activity];
    [
        activity.to_owned(),
        venue.to_owned(),
        global.clone(),
        uuid_of(global).to_string(),
        uuid_of(global).simple().to_string(),
    ]
    .into_iter()
    .filter(|secret| text.contains(secret.as_str()))
    .collect()
}

/// DESIGN 3.1: a clash with an activity the caller may not read is busy time only: no id, no
/// title, no venue but the one the caller wrote; `ScheduleConflict.jointActivity` is null.
#[tokio::test]
async fn a_clash_with_an_unreadable_activity_is_reported_as_busy_time_only() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let mut cells = Cells::default();

    // (cell, user, host, participants, group, venue, day, expected clashes, unreadable activity)
    let refused: [RefusedCell; 4] = [
        // X is busy with act-X, which the secretary of A may not read.
        (
            "secretary_a invites X over act-X",
            "secretary_a",
            "A1",
            &["X"],
            None,
            "room c1",
            2,
            vec![(None, Some("X"), None, 2)],
            Some("act-X"),
        ),
        // The venue of act-X, written differently: the caller's spelling comes back.
        (
            "secretary_a books act-X's venue",
            "secretary_a",
            "A",
            &[],
            None,
            "x hall",
            2,
            vec![(None, None, Some("x hall"), 2)],
            Some("act-X"),
        ),
        // Committee staff of G may not read act-A1X (neither A1 nor X is a member of G).
        (
            "staff_g books act-A1X's venue",
            "staff_g",
            "A",
            &["B"],
            Some("G"),
            "a1 hall",
            3,
            vec![(None, None, Some("a1 hall"), 3)],
            Some("act-A1X"),
        ),
        // A readable clash is reported in full.
        (
            "secretary_a over act-AB (readable)",
            "secretary_a",
            "A",
            &[],
            None,
            "room c4",
            1,
            vec![(Some("act-AB"), Some("A"), None, 1)],
            None,
        ),
    ];
    for (cell, user, host, participants, group, venue, day, expected, unreadable) in refused {
        let input = schedule_input(
            &w,
            "clash probe",
            host,
            participants,
            group,
            venue,
            (at(day, 10), at(day, 12)),
        );
        let response = app
            .graphql_as(Some(w.token(user)), SCHEDULE, json!({ "input": input }))
            .await;
        check_refused(&mut cells, &w, cell, &response, &expected, unreadable);
    }

    // rescheduleJointActivity: act-A1X moved onto act-X's slot clashes on X.
    let response = app
        .graphql_as(
            Some(w.token("secretary_a")),
            "mutation($input: RescheduleJointActivityInput!) { rescheduleJointActivity(input: $input) { jointActivity { id } } }",
            json!({ "input": { "id": w.activities["act-A1X"], "startsAt": at(2, 10), "endsAt": at(2, 12) } }),
        )
        .await;
    check_refused(
        &mut cells,
        &w,
        "secretary_a reschedules act-A1X over act-X",
        &response,
        &[(None, Some("X"), None, 2)],
        Some("act-X"),
    );

    // Accepted clashes: the payload lists busy time with a null activity.
    let mut input = schedule_input(
        &w,
        "accepted",
        "A1",
        &["X"],
        None,
        "room c6",
        (at(2, 10), at(2, 12)),
    );
    input["allowConflicts"] = json!(true);
    let response = app
        .graphql_as(
            Some(w.token("secretary_a")),
            "mutation($input: ScheduleJointActivityInput!) { scheduleJointActivity(input: $input) {
                jointActivity { title }
                acceptedConflicts { jointActivity { id title venue description } organization { name } venue startsAt endsAt } } }",
            json!({ "input": input }),
        )
        .await;
    let cell = "secretary_a accepts a clash with act-X";
    if response.errors().is_empty() {
        let accepted: Vec<_> = response.data()["scheduleJointActivity"]["acceptedConflicts"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|c| {
                (
                    c["jointActivity"].clone(),
                    c["organization"]["name"].as_str().map(str::to_owned),
                    c["venue"].as_str().map(str::to_owned),
                    instant(&c["startsAt"]),
                    instant(&c["endsAt"]),
                )
            })
            .collect();
        let (starts, ends) = busy(2);
        cells.eq(
            cell,
            vec![(Value::Null, Some("X".to_owned()), None, starts, ends)],
            accepted,
        );
        cells.eq(
            &format!("{cell} discloses"),
            Vec::<String>::new(),
            discloses(&w, &response.body, "act-X"),
        );
    } else {
        cells.fail(cell, format!("errors {}", response.body));
    }
    cells.finish(10);
}

fn check_refused(
    cells: &mut Cells,
    w: &World,
    cell: &str,
    response: &Gql,
    expected: &[ExpectedClash],
    unreadable: Option<&str>,
) {
    if outcome(response) != "CONFLICT" {
        cells.fail(cell, format!("expected CONFLICT, got {}", response.body));
        return;
    }
    let error = response.errors()[0].clone();
    let found: Vec<ReportedClash> = error["extensions"]["conflicts"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|c| clash(w, c))
        .collect();
    let expected: Vec<ReportedClash> = expected
        .iter()
        .map(|(activity, org, venue, day)| {
            let (starts, ends) = busy(*day);
            (
                activity.map(str::to_owned),
                org.map(str::to_owned),
                venue.map(str::to_owned),
                starts,
                ends,
            )
        })
        .collect();
    cells.eq(&format!("{cell}: extensions.conflicts"), expected, found);
    if let Some(activity) = unreadable {
        cells.eq(
            &format!("{cell}: discloses"),
            Vec::<String>::new(),
            discloses(w, &response.body, activity),
        );
    }
}
