//! Races: dozens of requests at once through the real router on a multi-threaded runtime. Limits
//! and invariants must hold exactly, whatever the interleaving.

use std::{collections::HashMap, sync::Arc};

use entities::organization;
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::helpers::{Gql, TestApp};

/// Runs every request at once, each on a task of its own, and returns the answers in order.
async fn all_at_once<F, Fut>(app: &Arc<TestApp>, count: usize, request: F) -> Vec<Gql>
where
    F: Fn(Arc<TestApp>, usize) -> Fut,
    Fut: std::future::Future<Output = Gql> + Send + 'static,
{
    let tasks: Vec<_> = (0..count)
        .map(|i| tokio::spawn(request(app.clone(), i)))
        .collect();
    let mut answers = Vec::with_capacity(count);
    for task in tasks {
        answers.push(task.await.expect("request task"));
    }
    answers
}

/// The `extensions.code` of every error of every answer.
fn codes(answers: &[Gql]) -> Vec<String> {
    answers
        .iter()
        .flat_map(|a| a.errors())
        .map(|e| e["extensions"]["code"].as_str().unwrap_or("").to_owned())
        .collect()
}

/// Forty wrong passwords at once: exactly five are checked, however the requests interleave,
/// and the right password is refused afterwards. (A successful sign-in forgives the attempts
/// before it, so a right password among the forty would let a timing-dependent number of later
/// guesses through; it is sent once the forty are answered.)
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forty_parallel_sign_ins_check_exactly_five_passwords() {
    let app = Arc::new(TestApp::spawn().await);
    app.user_with("lin", &[]).await;
    let answers = all_at_once(&app, 40, |app, i| async move {
        app.login_from("10.9.0.1", "lin", &format!("wrong-{i}"))
            .await
    })
    .await;
    let mut checked = 0;
    for answer in &answers {
        let error = answer
            .errors()
            .first()
            .cloned()
            .unwrap_or_else(|| panic!("a wrong password signed in: {}", answer.body));
        match error["extensions"]["code"].as_str() {
            Some("BAD_USER_INPUT") => checked += 1,
            Some("RATE_LIMITED") => {
                let retry = error["extensions"]["retryAfter"].as_u64().unwrap();
                assert!(retry > 0 && retry <= 15 * 60, "{error}");
            }
            _ => panic!("unexpected answer: {}", answer.body),
        }
    }
    assert_eq!(checked, 5, "{:?}", codes(&answers));
    let right = app.login_from("10.9.0.1", "lin", "password-123").await;
    assert_eq!(right.code(), "RATE_LIMITED", "{}", right.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn guesses_at_the_current_password_are_limited_in_parallel_and_aliased() {
    let app = Arc::new(TestApp::spawn().await);
    let token = app.user_with("guo", &[]).await;
    let change =
        "mutation($input: ChangePasswordInput!) { changePassword(input: $input) { token } }";
    let guess = |i: usize| json!({ "input": { "currentPassword": format!("guess-{i}"), "newPassword": "new-password-1" } });

    // Aliases in one request (mutation fields run one after another).
    let aliased = format!(
        "mutation {{ {} }}",
        (0..8)
            .map(|i| format!(
                "g{i}: changePassword(input: {{ currentPassword: \"alias-{i}\", newPassword: \"new-password-1\" }}) {{ token }}"
            ))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let first = app.graphql_as(Some(&token), &aliased, json!({})).await;

    // And 23 more guesses, all at once: 31 in all.
    let token_for_tasks = token.clone();
    let parallel = all_at_once(&app, 23, move |app, i| {
        let token = token_for_tasks.clone();
        let variables = guess(i);
        async move { app.graphql_as(Some(&token), change, variables).await }
    })
    .await;
    for answer in &parallel {
        assert_eq!(answer.errors().len(), 1, "{}", answer.body);
    }
    let mut all = vec![first];
    all.extend(parallel);
    let codes = codes(&all);
    let wrong = codes.iter().filter(|c| *c == "BAD_USER_INPUT").count();
    let limited = codes.iter().filter(|c| *c == "RATE_LIMITED").count();
    assert_eq!(wrong, 5, "{codes:?}");
    assert_eq!(wrong + limited, codes.len(), "{codes:?}");
    assert!(limited >= 23 - 4, "{codes:?}");

    // Now even the right password waits, and the account's tokens keep working.
    let response = app
        .graphql_as(
            Some(&token),
            change,
            json!({ "input": { "currentPassword": "password-123", "newPassword": "new-password-1" } }),
        )
        .await;
    assert!(
        response.error("RATE_LIMITED")["extensions"]["retryAfter"]
            .as_u64()
            .unwrap()
            > 0
    );
    let viewer = app
        .graphql_as(Some(&token), "{ viewer { user { username } } }", json!({}))
        .await;
    assert_eq!(viewer.ok()["viewer"]["user"]["username"], "guo");
}

/// Runs a mutation as the administrator and returns the id of the object it created.
async fn created(app: &TestApp, mutation: &str, input: Value, path: &[&str]) -> String {
    let response = app.graphql(mutation, json!({ "input": input })).await;
    let mut at = response.ok();
    for key in path {
        at = &at[*key];
    }
    at["id"].as_str().unwrap().to_owned()
}

async fn organization(app: &TestApp, area: &str, name: &str) -> String {
    created(
        app,
        "mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id } } }",
        json!({ "name": name, "level": "BRANCH", "unitType": "VILLAGE", "areaId": area }),
        &["createOrganization", "organization"],
    )
    .await
}

async fn person(app: &TestApp, name: &str, org: &str) -> String {
    created(
        app,
        "mutation($input: CreatePersonInput!) { createPerson(input: $input) { person { id } } }",
        json!({ "name": name, "politicalStatus": "FULL_MEMBER", "organizationId": org }),
        &["createPerson", "person"],
    )
    .await
}

async fn activity(app: &TestApp, host: &str, day: u32, capacity: Option<u32>) -> String {
    created(
        app,
        "mutation($input: ScheduleJointActivityInput!) { scheduleJointActivity(input: $input) { jointActivity { id } } }",
        json!({ "title": "志愿服务", "kind": "THEMED_PARTY_DAY", "hostOrganizationId": host,
            "participantOrganizationIds": [], "venue": format!("景区入口 {day}"),
            "startsAt": format!("2027-04-{day:02}T09:00:00+08:00"),
            "endsAt": format!("2027-04-{day:02}T11:00:00+08:00"), "capacity": capacity }),
        &["scheduleJointActivity", "jointActivity"],
    )
    .await
}

const RECORD: &str = "mutation($input: RecordAttendanceInput!) {
    recordAttendance(input: $input) { recorded } }";

const ATTENDEES: &str = "query($id: ID!) { node(id: $id) { ... on JointActivity {
    attendeeCount attendance(first: 100) { totalCount edges { node { person { name } } } } } } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_check_ins_keep_capacity_and_duplicates_are_idempotent() {
    let app = Arc::new(TestApp::spawn().await);
    let area = app.create_area("温泉镇").await;
    let host = organization(&app, &area, "南平村党支部").await;
    let mut people = Vec::new();
    for i in 0..20 {
        people.push(person(&app, &format!("村民{i:02}"), &host).await);
    }

    // Twenty different people at once into an activity for three.
    let small = activity(&app, &host, 1, Some(3)).await;
    let (id, ids) = (small.clone(), people.clone());
    let answers = all_at_once(&app, 20, move |app, i| {
        let input = json!({ "input": { "activityId": id, "personIds": [ids[i]] } });
        async move { app.graphql(RECORD, input).await }
    })
    .await;
    let recorded: Vec<&Gql> = answers.iter().filter(|a| a.errors().is_empty()).collect();
    assert_eq!(recorded.len(), 3, "{:?}", codes(&answers));
    for answer in &recorded {
        assert_eq!(answer.data()["recordAttendance"]["recorded"], 1);
    }
    for answer in answers.iter().filter(|a| !a.errors().is_empty()) {
        assert_eq!(answer.error("CONFLICT")["extensions"]["field"], "personIds");
    }
    let response = app.graphql(ATTENDEES, json!({ "id": small })).await;
    let stored = &response.ok()["node"];
    assert_eq!(stored["attendeeCount"], 3);
    assert_eq!(stored["attendance"]["totalCount"], 3);
    assert_eq!(stored["attendance"]["edges"].as_array().unwrap().len(), 3);
    assert_eq!(app.count_rows("attendance").await, 3);

    // One person checked in twenty times at once: one row, and no call is refused.
    let open = activity(&app, &host, 2, None).await;
    let (id, someone) = (open.clone(), people[7].clone());
    let answers = all_at_once(&app, 20, move |app, _| {
        let input = json!({ "input": { "activityId": id, "personIds": [someone] } });
        async move { app.graphql(RECORD, input).await }
    })
    .await;
    let added: u64 = answers
        .iter()
        .map(|a| a.ok()["recordAttendance"]["recorded"].as_u64().unwrap())
        .sum();
    assert_eq!(added, 1);
    let response = app.graphql(ATTENDEES, json!({ "id": open })).await;
    let stored = &response.ok()["node"];
    assert_eq!(stored["attendeeCount"], 1);
    assert_eq!(
        stored["attendance"]["edges"][0]["node"]["person"]["name"],
        "村民07"
    );
    assert_eq!(app.count_rows("attendance").await, 4);
}

const MOVE: &str = "mutation($input: UpdateOrganizationInput!) {
    updateOrganization(input: $input) { organization { id } } }";

const ANCESTORS: &str = "query($id: ID!) { organization(id: $id) { id depth ancestors { id } } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_organizations_moved_under_each_other_at_once_never_form_a_cycle() {
    let app = Arc::new(TestApp::spawn().await);
    let area = app.create_area("温泉镇").await;
    let a = organization(&app, &area, "甲村党支部").await;
    let b = organization(&app, &area, "乙村党支部").await;
    let below_a = created(
        &app,
        "mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id } } }",
        json!({ "name": "甲村第一党支部", "level": "BRANCH", "unitType": "VILLAGE", "areaId": area, "parentId": a }),
        &["createOrganization", "organization"],
    )
    .await;
    for round in 0..20 {
        for root in [&a, &b] {
            app.graphql(MOVE, json!({ "input": { "id": root, "parentId": null } }))
                .await
                .ok();
        }
        let (x, y) = (a.clone(), b.clone());
        let answers = all_at_once(&app, 2, move |app, i| {
            let (id, parent) = if i == 0 { (&x, &y) } else { (&y, &x) };
            let input = json!({ "input": { "id": id, "parentId": parent } });
            async move { app.graphql(MOVE, input).await }
        })
        .await;
        let moved = answers.iter().filter(|r| r.errors().is_empty()).count();
        assert_eq!(moved, 1, "round {round}: {:?}", codes(&answers));
        for refused in answers.iter().filter(|r| !r.errors().is_empty()) {
            assert_eq!(
                refused.error("BAD_USER_INPUT")["extensions"]["field"],
                "parentId"
            );
        }
        let chains = parent_chains(&app).await;
        assert_eq!(chains.len(), 3);
        for id in [&a, &b, &below_a] {
            let response = app.graphql(ANCESTORS, json!({ "id": id })).await;
            let node = &response.ok()["organization"];
            let ancestors: Vec<&str> = node["ancestors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["id"].as_str().unwrap())
                .collect();
            assert!(!ancestors.contains(&id.as_str()), "round {round}");
            // The stored path agrees with the chain of parents.
            assert_eq!(
                node["depth"].as_u64().unwrap() as usize,
                ancestors.len(),
                "round {round}"
            );
        }
    }
}

/// Every organization's chain of parents, read straight from the database; panics on a cycle.
async fn parent_chains(app: &TestApp) -> HashMap<uuid::Uuid, Vec<uuid::Uuid>> {
    let all = organization::Entity::find()
        .all(&app.state.db.read)
        .await
        .unwrap();
    let parent: HashMap<_, _> = all.iter().map(|o| (o.id, o.parent_id)).collect();
    let mut chains = HashMap::new();
    for o in &all {
        let mut chain = Vec::new();
        let mut at = o.parent_id;
        while let Some(p) = at {
            assert_ne!(p, o.id, "{} is its own ancestor", o.name);
            assert!(chain.len() <= all.len(), "a cycle above {}", o.name);
            chain.push(p);
            at = parent[&p];
        }
        chains.insert(o.id, chain);
    }
    chains
}

/// With two operations allowed at a time, 48 reads and writes sent at once all answer: the
/// others wait their turn, none is refused or lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn operations_beyond_the_limit_wait_their_turn() {
    let app = Arc::new(
        TestApp::spawn_with(lianjian_api::config::ServerConfig {
            max_operations: 2,
            ..Default::default()
        })
        .await,
    );
    let answers = all_at_once(&app, 48, |app, i| async move {
        if i % 2 == 0 {
            app.graphql(
                "mutation($input: CreateAreaInput!) { createArea(input: $input) { area { name } } }",
                json!({ "input": { "name": format!("片区{i:02}") } }),
            )
            .await
        } else {
            app.graphql("{ areas(first: 1) { nodes { __typename } } }", json!({}))
                .await
        }
    })
    .await;
    assert_eq!(codes(&answers), Vec::<String>::new());
    for (i, answer) in answers.iter().enumerate().filter(|(i, _)| i % 2 == 0) {
        assert_eq!(
            answer.ok()["createArea"]["area"]["name"],
            format!("片区{i:02}")
        );
    }
    let mut names: Vec<String> = app
        .graphql("{ areas(first: 100) { nodes { name } } }", json!({}))
        .await
        .ok()["areas"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    let expected: Vec<String> = (0..48).step_by(2).map(|i| format!("片区{i:02}")).collect();
    assert_eq!(names, expected);
}

/// Thirty-two people with one ID-card number at once (on PostgreSQL each is a single statement
/// that checks the number and writes): exactly one is created, every other answer is the
/// CONFLICT on `idNumber` a second create gets when it comes alone, and nothing else is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_people_with_one_id_number_create_exactly_one() {
    let app = Arc::new(TestApp::spawn().await);
    let area = app.create_area("温泉镇").await;
    let village = organization(&app, &area, "南平村党支部").await;
    let before = app.audits().await;
    let answers = all_at_once(&app, 32, move |app, i| {
        let input = json!({ "input": { "name": format!("村民{i:02}"), "politicalStatus": "MASSES",
            "organizationId": village, "idNumber": "11010519491231002X" } });
        async move {
            app.graphql(
                "mutation($input: CreatePersonInput!) { createPerson(input: $input) { person { name idNumber } } }",
                input,
            )
            .await
        }
    })
    .await;
    let created: Vec<&Gql> = answers.iter().filter(|a| a.errors().is_empty()).collect();
    assert_eq!(created.len(), 1, "{:?}", codes(&answers));
    assert_eq!(
        created[0].ok()["createPerson"]["person"]["idNumber"],
        "11010519491231002X"
    );
    for answer in answers.iter().filter(|a| !a.errors().is_empty()) {
        assert_eq!(
            answer.error("CONFLICT")["extensions"]["field"],
            "idNumber",
            "{}",
            answer.body
        );
    }
    assert_eq!(app.count_rows("person").await, 1);
    assert_eq!(app.audits().await, before + 1);
}
