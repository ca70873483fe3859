//! Hostile or extreme input: dates and numbers out of range, invented operation names, odd
//! request ids. Each is refused or neutralised without a panic or unbounded growth.

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use serde_json::{Value, json};

use crate::helpers::{Gql, TestApp};

const ACTIVITIES: &str =
    "query($filter: JointActivityFilter) { jointActivities(filter: $filter) { totalCount } }";

const SCHEDULE: &str = "mutation($input: ScheduleJointActivityInput!) {
    scheduleJointActivity(input: $input) { jointActivity { id startsAt } } }";

fn field_of(response: &Gql) -> Value {
    response.error("BAD_USER_INPUT")["extensions"]["field"].clone()
}

async fn organization(app: &TestApp) -> String {
    let area = app.create_area("温泉镇").await;
    let response = app
        .graphql(
            "mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id } } }",
            json!({ "input": { "name": "南平村党支部", "level": "BRANCH", "unitType": "VILLAGE", "areaId": area } }),
        )
        .await;
    response.ok()["createOrganization"]["organization"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn dates_outside_1900_to_9999_are_bad_input_naming_the_field() {
    let app = TestApp::spawn().await;
    for (filter, field) in [
        (json!({ "toDate": "+262142-12-31" }), "filter.toDate"),
        (json!({ "fromDate": "+262142-12-31" }), "filter.fromDate"),
        (json!({ "toDate": "-0001-01-01" }), "filter.toDate"),
        (json!({ "fromDate": "1899-12-31" }), "filter.fromDate"),
        (json!({ "toDate": "10000-01-01" }), "filter.toDate"),
        (json!({ "from": "0001-01-01T00:00:00Z" }), "filter.from"),
        (json!({ "to": "9999-12-31T23:00:00-05:00" }), "filter.to"),
    ] {
        let response = app
            .graphql(ACTIVITIES, json!({ "filter": filter.clone() }))
            .await;
        assert_eq!(response.status, StatusCode::OK, "{filter}");
        assert_eq!(field_of(&response), field, "{filter}: {}", response.body);
        let message = response.errors()[0]["message"].as_str().unwrap().to_owned();
        assert!(message.contains("1900"), "{filter}: {message}");
    }
    // The same refusal when the value is written into the query itself.
    let response = app
        .graphql(
            r#"{ jointActivities(filter: { toDate: "+262142-12-31" }) { totalCount } }"#,
            json!({}),
        )
        .await;
    assert_eq!(field_of(&response), "filter.toDate", "{}", response.body);
    // A mutation input names the input field, like every other refusal of a mutation input.
    let org = organization(&app).await;
    let before = app.audits().await;
    let response = app
        .graphql(
            SCHEDULE,
            json!({ "input": { "title": "巡逻", "kind": "THEMED_PARTY_DAY", "hostOrganizationId": org,
                "participantOrganizationIds": [], "venue": "景区",
                "startsAt": "1800-01-01T09:00:00+08:00", "endsAt": "2026-12-01T10:00:00+08:00" } }),
        )
        .await;
    assert_eq!(field_of(&response), "startsAt", "{}", response.body);
    assert_eq!(
        app.audits().await,
        before,
        "a refused mutation writes nothing"
    );
    let response = app
        .graphql(
            "query($filter: AuditLogFilter) { auditLog(filter: $filter) { totalCount } }",
            json!({ "filter": { "from": "+100000-01-01T00:00:00Z" } }),
        )
        .await;
    assert_eq!(field_of(&response), "filter.from", "{}", response.body);
}

#[tokio::test]
async fn the_edges_of_the_supported_range_work() {
    let app = TestApp::spawn().await;
    let org = organization(&app).await;
    // 18:00 in Shanghai on the last supported day.
    let response = app
        .graphql(
            SCHEDULE,
            json!({ "input": { "title": "巡逻", "kind": "THEMED_PARTY_DAY", "hostOrganizationId": org,
                "participantOrganizationIds": [], "venue": "景区",
                "startsAt": "9999-12-31T10:00:00Z", "endsAt": "9999-12-31T11:00:00Z" } }),
        )
        .await;
    assert_eq!(
        response.ok()["scheduleJointActivity"]["jointActivity"]["startsAt"],
        "9999-12-31T18:00:00+08:00"
    );
    for (filter, expected) in [
        (
            json!({ "fromDate": "1900-01-01", "toDate": "9999-12-31" }),
            1,
        ),
        (json!({ "toDate": "9999-12-31" }), 1),
        (json!({ "fromDate": "9999-12-31" }), 1),
        (json!({ "toDate": "9999-12-30" }), 0),
        (
            json!({ "fromDate": "1900-01-01", "toDate": "1900-01-01" }),
            0,
        ),
        (
            json!({ "from": "1900-01-01T00:00:00Z", "to": "9999-12-31T23:59:59Z" }),
            1,
        ),
    ] {
        let response = app
            .graphql(ACTIVITIES, json!({ "filter": filter.clone() }))
            .await;
        assert_eq!(
            response.ok()["jointActivities"]["totalCount"],
            expected,
            "{filter}"
        );
    }
}

#[tokio::test]
async fn numbers_out_of_range_are_bad_input_naming_the_field() {
    let app = TestApp::spawn().await;
    let query =
        "query($first: Int, $last: Int) { areas(first: $first, last: $last) { totalCount } }";
    for (variables, field) in [
        (json!({ "first": 2_147_483_648_i64 }), "first"),
        (json!({ "first": -2_147_483_649_i64 }), "first"),
        (json!({ "first": -1 }), "first"),
        (json!({ "last": -5 }), "last"),
        (json!({ "last": 1e12 }), "last"),
    ] {
        let response = app.graphql(query, variables.clone()).await;
        assert_eq!(field_of(&response), field, "{variables}: {}", response.body);
    }
    let org = organization(&app).await;
    let before = app.audits().await;
    for capacity in [json!(0), json!(-3), json!(4_294_967_296_i64)] {
        let response = app
            .graphql(
                SCHEDULE,
                json!({ "input": { "title": "巡逻", "kind": "THEMED_PARTY_DAY", "hostOrganizationId": org,
                    "participantOrganizationIds": [], "venue": "景区", "capacity": capacity,
                    "startsAt": "2026-12-01T09:00:00+08:00", "endsAt": "2026-12-01T10:00:00+08:00" } }),
            )
            .await;
        assert_eq!(
            field_of(&response),
            "capacity",
            "{capacity}: {}",
            response.body
        );
    }
    let response = app
        .graphql(
            "mutation($input: CreateLinkageGroupInput!) { createLinkageGroup(input: $input) { linkageGroup { id } } }",
            json!({ "input": { "name": "联建委员会", "leadOrganizationId": org, "memberOrganizationIds": [], "cadenceDays": -30 } }),
        )
        .await;
    assert_eq!(field_of(&response), "cadenceDays", "{}", response.body);
    assert_eq!(
        app.audits().await,
        before,
        "a refused mutation writes nothing"
    );
}

/// The Prometheus series of one metric: its lines up to the value, e.g. `name{a="b"}`.
fn series<'a>(text: &'a str, metric: &str) -> Vec<&'a str> {
    text.lines()
        .filter(|line| line.starts_with(&format!("{metric}{{")))
        .filter_map(|line| line.rsplit_once(' ').map(|(series, _)| series))
        .collect()
}

#[tokio::test]
async fn invented_operation_names_do_not_grow_the_metrics() {
    let app = TestApp::spawn().await;
    for i in 0..300 {
        let name = format!("Probe{i}_{}", uuid::Uuid::new_v4().simple());
        let response = app
            .post_json(&json!({
                "query": format!("query {name} {{ __typename }}"),
                "operationName": name,
            }))
            .await;
        assert_eq!(response.ok()["__typename"], "Query");
    }
    // An operation named after a root field keeps its name, whatever its case.
    for name in ["Areas", "areas", "AREAS"] {
        let response = app
            .post_json(&json!({
                "query": format!("query {name} {{ areas {{ totalCount }} }}"),
                "operationName": name,
            }))
            .await;
        assert_eq!(response.ok()["areas"]["totalCount"], 0);
    }
    let (status, _, body) = app.get("/metrics").await;
    assert_eq!(status, StatusCode::OK);
    let text = String::from_utf8(body).unwrap();
    let mut requests = series(&text, "lianjian_graphql_requests_total");
    requests.sort_unstable();
    assert_eq!(
        requests,
        [
            r#"lianjian_graphql_requests_total{operation="areas",outcome="ok"}"#,
            r#"lianjian_graphql_requests_total{operation="other",outcome="ok"}"#,
        ],
        "{text}"
    );
    assert!(
        text.contains(r#"lianjian_graphql_requests_total{operation="other",outcome="ok"} 300"#),
        "{text}"
    );
    assert!(
        text.contains(r#"lianjian_graphql_requests_total{operation="areas",outcome="ok"} 3"#),
        "{text}"
    );
    assert!(text.len() < 16 * 1024, "{} bytes", text.len());
}

async fn with_request_id(app: &TestApp, id: &str) -> (String, Value) {
    let body = json!({
        "query": "mutation($input: CreateAreaInput!) { createArea(input: $input) { area { id } } }",
        "variables": { "input": { "name": format!("区{}", app.audits().await) } },
    });
    let request = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {}", app.admin_token))
        .header("x-request-id", id)
        .body(Body::from(body.to_string()))
        .unwrap();
    let (status, headers, body) = app.request(request).await;
    assert_eq!(status, StatusCode::OK);
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert!(body.get("errors").is_none(), "{body}");
    let echoed = headers["x-request-id"].to_str().unwrap().to_owned();
    let log = app
        .graphql(
            "{ auditLog(first: 1) { nodes { action requestId } } }",
            json!({}),
        )
        .await;
    let entry = log.ok()["auditLog"]["nodes"][0].clone();
    assert_eq!(entry["action"], "createArea", "{entry}");
    (echoed, entry["requestId"].clone())
}

fn is_uuid(s: &str) -> bool {
    uuid::Uuid::parse_str(s).is_ok() && s.len() == 36
}

#[tokio::test]
async fn only_short_plain_request_ids_are_kept() {
    let app = TestApp::spawn().await;
    let plain = format!("web-1.{}_x", "a".repeat(56));
    assert_eq!(plain.len(), 64);
    let (echoed, logged) = with_request_id(&app, &plain).await;
    assert_eq!(echoed, plain);
    assert_eq!(logged, plain.as_str());

    for odd in [
        "a".repeat(6000),
        "a".repeat(65),
        "abc def".to_owned(),
        "id;DROP TABLE".to_owned(),
        "<script>".to_owned(),
        "id/1".to_owned(),
    ] {
        let (echoed, logged) = with_request_id(&app, &odd).await;
        assert!(is_uuid(&echoed), "{odd:.80} -> {echoed:.80}");
        assert_eq!(
            logged,
            echoed.as_str(),
            "the audit entry names the id echoed"
        );
    }
    // Bytes that are not even text are replaced too.
    let request = Request::get("/healthz")
        .header(
            "x-request-id",
            axum::http::HeaderValue::from_bytes(b"caf\xe9").unwrap(),
        )
        .body(Body::empty())
        .unwrap();
    let (_, headers, _) = app.request(request).await;
    assert!(is_uuid(headers["x-request-id"].to_str().unwrap()));
}

/// A NUL character cannot be stored in PostgreSQL text, and no value of the API holds one:
/// wherever a client sends one (a search, a cursor's position, a name to sign in with, a
/// mutation's text), literally or in a variable, the request is BAD_USER_INPUT naming the field,
/// on both engines, before anything runs; never an INTERNAL error.
#[tokio::test]
async fn nul_characters_are_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    organization(&app).await;
    let audits = app.audits().await;
    let cursor = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        "[\"\\u0000\",\"0190a0b0-c0d0-e0f0-a0b0-c0d0e0f0a0b0\"]",
    );
    for (token, query, variables, field) in [
        (
            Some(&app.admin_token),
            "{ areas(filter: { search: \"a\\u0000b\" }) { totalCount } }",
            json!({}),
            "filter.search",
        ),
        (
            Some(&app.admin_token),
            "query($s: String) { people(filter: { search: $s }) { totalCount } }",
            json!({ "s": "\u{0}" }),
            "filter.search",
        ),
        (
            Some(&app.admin_token),
            "query($s: String) { linkageGroups(search: $s) { totalCount } }",
            json!({ "s": "组\u{0}" }),
            "search",
        ),
        (
            Some(&app.admin_token),
            "query($after: String) { organizations(first: 2, after: $after) { totalCount } }",
            json!({ "after": cursor }),
            "after",
        ),
        (
            Some(&app.admin_token),
            "mutation($input: CreateAreaInput!) { createArea(input: $input) { area { id } } }",
            json!({ "input": { "name": "温泉\u{0}镇" } }),
            "name",
        ),
        (
            None,
            "mutation { login(input: { username: \"ro\\u0000ot\", password: \"root-password\" }) { token } }",
            json!({}),
            "username",
        ),
    ] {
        let response = app
            .graphql_as(token.map(String::as_str), query, variables)
            .await;
        assert_eq!(field_of(&response), field, "{query}");
    }
    // Nothing ran: no area was added, no failed sign-in was audited.
    assert_eq!(app.count_rows("area").await, 1);
    assert_eq!(app.audits().await, audits);
}
