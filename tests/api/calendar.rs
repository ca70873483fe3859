//! Calendar feeds: `issueCalendarToken`, `revokeCalendarToken` and `GET /calendar/{token}.ics`.

use std::collections::BTreeMap;

use async_graphql::ID;
use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use chrono::{DateTime, Duration, FixedOffset, NaiveTime, Utc};
use lianjian_api::{authz::Role, graphql::ids, services::accounts::GrantScope};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::TestApp;

const ISSUE: &str = "mutation($input: IssueCalendarTokenInput!) {
    issueCalendarToken(input: $input) { token url } }";
const REVOKE: &str = "mutation($input: RevokeCalendarTokenInput!) {
    revokeCalendarToken(input: $input) { revoked } }";

/// A long title in Chinese, so that its line is folded inside multi-byte characters.
const LONG_TITLE: &str = "学习贯彻党的二十大精神暨乡村振兴联建共建主题党日活动";

fn shanghai() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap()
}

/// `days` from today at `hour:minute` local time (Asia/Shanghai has no daylight saving).
fn local(days: i64, hour: u32, minute: u32) -> DateTime<FixedOffset> {
    let day = (Utc::now().with_timezone(&shanghai()) + Duration::days(days)).date_naive();
    day.and_time(NaiveTime::from_hms_opt(hour, minute, 0).unwrap())
        .and_local_timezone(shanghai())
        .unwrap()
}

fn uuid_of(id: &str) -> Uuid {
    ids::decode("id", &ID(id.to_owned())).unwrap().id
}

async fn create_org(app: &TestApp, area: &str, name: &str) -> String {
    let response = app
        .graphql(
            "mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id } } }",
            json!({ "input": { "name": name, "level": "BRANCH", "unitType": "VILLAGE", "areaId": area } }),
        )
        .await;
    response.ok()["createOrganization"]["organization"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

struct Scheduled {
    id: Uuid,
    title: &'static str,
    venue: &'static str,
    starts: DateTime<FixedOffset>,
    ends: DateTime<FixedOffset>,
}

#[allow(clippy::too_many_arguments)]
async fn schedule(
    app: &TestApp,
    title: &'static str,
    host: &str,
    participants: &[&str],
    venue: &'static str,
    starts: DateTime<FixedOffset>,
    ends: DateTime<FixedOffset>,
    description: Option<&str>,
) -> Scheduled {
    let response = app
        .graphql(
            "mutation($input: ScheduleJointActivityInput!) {
                scheduleJointActivity(input: $input) { jointActivity { id } } }",
            json!({ "input": {
                "title": title, "kind": "THEMED_PARTY_DAY", "hostOrganizationId": host,
                "participantOrganizationIds": participants, "venue": venue,
                "startsAt": starts.to_rfc3339(), "endsAt": ends.to_rfc3339(),
                "description": description,
            } }),
        )
        .await;
    let id = response.ok()["scheduleJointActivity"]["jointActivity"]["id"]
        .as_str()
        .unwrap();
    Scheduled {
        id: uuid_of(id),
        title,
        venue,
        starts,
        ends,
    }
}

/// Three organizations and four activities:
/// - `lesson`: A hosts, B takes part, with a description;
/// - `patrol`: B hosts, C takes part, then cancelled;
/// - `meeting`: A hosts, C takes part (nothing of B);
/// - `old`: B hosts, 120 days ago (outside the feed's window).
struct World {
    orgs: BTreeMap<&'static str, String>,
    lesson: Scheduled,
    patrol: Scheduled,
    meeting: Scheduled,
    old: Scheduled,
}

async fn world(app: &TestApp) -> World {
    let area = app.create_area("Calendar area").await;
    let mut orgs = BTreeMap::new();
    for name in ["A", "B", "C"] {
        orgs.insert(
            name,
            create_org(app, &area, &format!("Branch {name}")).await,
        );
    }
    let lesson = schedule(
        app,
        LONG_TITLE,
        &orgs["A"],
        &[&orgs["B"]],
        "Room 1, Building A; east wing",
        local(2, 9, 30),
        local(2, 11, 0),
        Some("Bring notebooks.\nTea provided."),
    )
    .await;
    let patrol = schedule(
        app,
        "Night patrol",
        &orgs["B"],
        &[&orgs["C"]],
        "Village gate",
        local(5, 19, 0),
        local(5, 21, 15),
        None,
    )
    .await;
    let meeting = schedule(
        app,
        "Joint meeting",
        &orgs["A"],
        &[&orgs["C"]],
        "Town hall",
        local(7, 14, 0),
        local(7, 16, 0),
        None,
    )
    .await;
    let old = schedule(
        app,
        "Old study session",
        &orgs["B"],
        &[],
        "Library",
        local(-120, 9, 0),
        local(-120, 10, 0),
        None,
    )
    .await;
    app.graphql(
        "mutation($input: CancelJointActivityInput!) {
            cancelJointActivity(input: $input) { jointActivity { status } } }",
        json!({ "input": {
            "id": ids::encode(ids::NodeKind::JointActivity, patrol.id).0,
            "reason": "storm warning",
        } }),
    )
    .await
    .ok();
    World {
        orgs,
        lesson,
        patrol,
        meeting,
        old,
    }
}

async fn member_of(app: &TestApp, username: &str, org: &str) -> String {
    app.user_with(
        username,
        &[(Role::Member, GrantScope::Organization(uuid_of(org)))],
    )
    .await
}

async fn issue(app: &TestApp, token: &str, organization: Option<&str>) -> (String, String) {
    let response = app
        .graphql_as(
            Some(token),
            ISSUE,
            json!({ "input": { "organizationId": organization } }),
        )
        .await;
    let payload = &response.ok()["issueCalendarToken"];
    (
        payload["token"].as_str().unwrap().to_owned(),
        payload["url"].as_str().unwrap().to_owned(),
    )
}

/// GETs a path with no credentials at all.
async fn fetch(app: &TestApp, url: &str) -> (StatusCode, axum::http::HeaderMap, String) {
    let (status, headers, body) = app
        .request(Request::get(url).body(Body::empty()).unwrap())
        .await;
    (status, headers, String::from_utf8(body).unwrap())
}

/// One parsed VEVENT: its properties by name, each with its parameters and value.
#[derive(Debug)]
struct Event {
    props: BTreeMap<String, (Vec<(String, String)>, String)>,
}

impl Event {
    fn value(&self, name: &str) -> &str {
        &self
            .props
            .get(name)
            .unwrap_or_else(|| panic!("{name} missing in {self:?}"))
            .1
    }

    fn param(&self, name: &str, key: &str) -> Option<&str> {
        self.props[name]
            .0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Parses a feed with the `icalendar` parser; returns the calendar's properties and its events
/// by UID.
fn parse(body: &str) -> (BTreeMap<String, String>, BTreeMap<String, Event>) {
    let unfolded = icalendar::parser::unfold(body);
    let calendar = icalendar::parser::read_calendar(&unfolded).unwrap();
    let properties = calendar
        .properties
        .iter()
        .map(|p| (p.name.as_str().to_owned(), p.val.as_str().to_owned()))
        .collect();
    let mut events = BTreeMap::new();
    for component in &calendar.components {
        assert_eq!(component.name.as_str(), "VEVENT", "{body}");
        let props: BTreeMap<_, _> = component
            .properties
            .iter()
            .map(|p| {
                let params = p
                    .params
                    .iter()
                    .map(|param| {
                        (
                            param.key.as_str().to_owned(),
                            param
                                .val
                                .as_ref()
                                .map(|v| v.as_str().to_owned())
                                .unwrap_or_default(),
                        )
                    })
                    .collect();
                (
                    p.name.as_str().to_owned(),
                    (params, p.val.as_str().to_owned()),
                )
            })
            .collect();
        let event = Event { props };
        events.insert(event.value("UID").to_owned(), event);
    }
    (properties, events)
}

fn uid(activity: &Scheduled) -> String {
    format!("{}@lianjian", activity.id)
}

fn ical_local(at: DateTime<FixedOffset>) -> String {
    at.format("%Y%m%dT%H%M%S").to_string()
}

#[tokio::test]
async fn a_feed_holds_exactly_the_activities_its_user_may_read() {
    let app = TestApp::spawn().await;
    let world = world(&app).await;
    let member = member_of(&app, "member-b", &world.orgs["B"]).await;
    let (token, url) = issue(&app, &member, None).await;
    assert_eq!(url, format!("/calendar/{token}.ics"));
    assert!(
        token.len() >= 43 && token.chars().all(|c| c.is_ascii_alphanumeric()),
        "{token}"
    );

    let (status, headers, body) = fetch(&app, &url).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        headers[header::CONTENT_TYPE],
        "text/calendar; charset=utf-8"
    );
    assert_eq!(headers[header::CACHE_CONTROL], "private, max-age=300");
    assert!(body.starts_with("BEGIN:VCALENDAR\r\n"), "{body}");
    assert!(body.ends_with("END:VCALENDAR\r\n"), "{body}");
    for line in body.split("\r\n") {
        assert!(line.len() <= 75, "line longer than 75 octets: {line:?}");
        assert!(!line.contains('\n') && !line.contains('\r'), "{line:?}");
    }

    let (properties, events) = parse(&body);
    assert_eq!(properties["VERSION"], "2.0");
    assert!(properties["PRODID"].contains("lianjian"), "{properties:?}");
    assert!(properties.contains_key("X-WR-CALNAME"), "{properties:?}");
    // B takes part in the lesson and hosts the patrol; the meeting is none of B's business and
    // the old session lies outside the window.
    assert_eq!(
        events.keys().cloned().collect::<Vec<_>>(),
        {
            let mut expected = vec![uid(&world.lesson), uid(&world.patrol)];
            expected.sort();
            expected
        },
        "{body}"
    );
    assert!(!body.contains(&world.meeting.id.to_string()));
    assert!(!body.contains(&world.old.id.to_string()));

    let lesson = &events[&uid(&world.lesson)];
    assert_eq!(lesson.value("SUMMARY"), world.lesson.title);
    assert_eq!(lesson.value("LOCATION"), world.lesson.venue);
    assert_eq!(
        lesson.value("DESCRIPTION"),
        "Bring notebooks.\nTea provided."
    );
    assert_eq!(lesson.value("STATUS"), "TENTATIVE");
    assert_eq!(lesson.param("DTSTART", "TZID"), Some("Asia/Shanghai"));
    assert_eq!(lesson.value("DTSTART"), ical_local(world.lesson.starts));
    assert!(lesson.value("DTSTART").ends_with("T093000"));
    assert_eq!(lesson.param("DTEND", "TZID"), Some("Asia/Shanghai"));
    assert_eq!(lesson.value("DTEND"), ical_local(world.lesson.ends));
    assert!(lesson.value("DTSTAMP").ends_with('Z'), "{lesson:?}");
    // The raw text, escaped as RFC 5545 wants it.
    assert!(
        body.contains(&format!(
            "DTSTART;TZID=Asia/Shanghai:{}\r\n",
            ical_local(world.lesson.starts)
        )),
        "{body}"
    );
    assert!(
        icalendar::parser::unfold(&body).contains("LOCATION:Room 1\\, Building A\\; east wing\r\n"),
        "{body}"
    );

    let patrol = &events[&uid(&world.patrol)];
    assert_eq!(patrol.value("STATUS"), "CANCELLED");
    assert_eq!(patrol.value("SUMMARY"), world.patrol.title);
    assert_eq!(patrol.value("LOCATION"), world.patrol.venue);
    assert_eq!(patrol.value("DTSTART"), ical_local(world.patrol.starts));
    assert_eq!(patrol.value("DTEND"), ical_local(world.patrol.ends));
    assert!(!patrol.props.contains_key("DESCRIPTION"));

    // The administrator reads everything in the window.
    let (_, url) = issue(&app, &app.admin_token, None).await;
    let (status, _, body) = fetch(&app, &url).await;
    assert_eq!(status, StatusCode::OK);
    let (_, events) = parse(&body);
    let mut expected = vec![uid(&world.lesson), uid(&world.patrol), uid(&world.meeting)];
    expected.sort();
    assert_eq!(events.keys().cloned().collect::<Vec<_>>(), expected);
}

#[tokio::test]
async fn a_narrowed_token_holds_one_organizations_activities() {
    let app = TestApp::spawn().await;
    let world = world(&app).await;
    let member = member_of(&app, "member-b", &world.orgs["B"]).await;

    // A takes part in the lesson and the meeting, but B's member may read only the lesson.
    let (_, url) = issue(&app, &member, Some(&world.orgs["A"])).await;
    let (status, _, body) = fetch(&app, &url).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, events) = parse(&body);
    assert_eq!(
        events.keys().cloned().collect::<Vec<_>>(),
        [uid(&world.lesson)]
    );

    // C takes part in the patrol and the meeting; of those B's member reads the patrol.
    let (_, url) = issue(&app, &member, Some(&world.orgs["C"])).await;
    let (_, _, body) = fetch(&app, &url).await;
    let (properties, events) = parse(&body);
    assert_eq!(
        events.keys().cloned().collect::<Vec<_>>(),
        [uid(&world.patrol)]
    );
    // C is not the member's to read: the calendar's name does not give its name away.
    assert_eq!(properties["X-WR-CALNAME"], "Joint activities");

    // B is: its name shows.
    let (_, url) = issue(&app, &member, Some(&world.orgs["B"])).await;
    let (_, _, body) = fetch(&app, &url).await;
    let (properties, events) = parse(&body);
    assert_eq!(properties["X-WR-CALNAME"], "Joint activities: Branch B");
    let mut expected = vec![uid(&world.lesson), uid(&world.patrol)];
    expected.sort();
    assert_eq!(events.keys().cloned().collect::<Vec<_>>(), expected);

    // The administrator's view of A.
    let (_, url) = issue(&app, &app.admin_token, Some(&world.orgs["A"])).await;
    let (_, _, body) = fetch(&app, &url).await;
    let (_, events) = parse(&body);
    let mut expected = vec![uid(&world.lesson), uid(&world.meeting)];
    expected.sort();
    assert_eq!(events.keys().cloned().collect::<Vec<_>>(), expected);
}

#[tokio::test]
async fn issuing_checks_its_input() {
    let app = TestApp::spawn().await;
    let anonymous = app.graphql_as(None, ISSUE, json!({ "input": {} })).await;
    assert_eq!(anonymous.code(), "UNAUTHENTICATED");
    assert!(anonymous.data().is_null());

    let missing = ids::encode(ids::NodeKind::Organization, Uuid::now_v7()).0;
    let response = app
        .graphql(ISSUE, json!({ "input": { "organizationId": missing } }))
        .await;
    assert_eq!(
        response.error("BAD_USER_INPUT")["extensions"]["field"],
        "organizationId"
    );
    let area = app.create_area("Not an organization").await;
    let response = app
        .graphql(ISSUE, json!({ "input": { "organizationId": area } }))
        .await;
    assert_eq!(
        response.error("BAD_USER_INPUT")["extensions"]["field"],
        "organizationId"
    );
    assert_eq!(app.count_rows("calendar_token").await, 0);

    let anonymous = app
        .graphql_as(None, REVOKE, json!({ "input": { "token": "x" } }))
        .await;
    assert_eq!(anonymous.code(), "UNAUTHENTICATED");
}

#[tokio::test]
async fn revoked_unknown_and_malformed_tokens_are_404() {
    let app = TestApp::spawn().await;
    world(&app).await;
    let (token, url) = issue(&app, &app.admin_token, None).await;
    assert_eq!(fetch(&app, &url).await.0, StatusCode::OK);
    // Only `<token>.ics` is a feed.
    for path in [
        format!("/calendar/{token}"),
        format!("/calendar/{token}.ICS"),
        format!("/calendar/{token}.json"),
        format!("/calendar/{token}.ics/more"),
    ] {
        assert_eq!(fetch(&app, &path).await.0, StatusCode::NOT_FOUND, "{path}");
    }
    let unknown = "A".repeat(43);
    for path in [
        format!("/calendar/{unknown}.ics"),
        "/calendar/.ics".to_owned(),
        "/calendar/x.ics".to_owned(),
    ] {
        let (status, headers, body) = fetch(&app, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND");
    }

    let response = app
        .graphql(REVOKE, json!({ "input": { "token": token } }))
        .await;
    assert_eq!(response.ok()["revokeCalendarToken"]["revoked"], true);
    let (status, _, body) = fetch(&app, &url).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    // Revoking again changes nothing.
    let response = app
        .graphql(REVOKE, json!({ "input": { "token": token } }))
        .await;
    assert_eq!(response.ok()["revokeCalendarToken"]["revoked"], false);
    assert_eq!(fetch(&app, &url).await.0, StatusCode::NOT_FOUND);

    let response = app
        .graphql(REVOKE, json!({ "input": { "token": unknown } }))
        .await;
    assert_eq!(response.code(), "NOT_FOUND");
}

#[tokio::test]
async fn only_the_owner_revokes_a_token() {
    let app = TestApp::spawn().await;
    let world = world(&app).await;
    let owner = member_of(&app, "owner", &world.orgs["B"]).await;
    let other = member_of(&app, "other", &world.orgs["B"]).await;
    let (token, url) = issue(&app, &owner, None).await;

    let response = app
        .graphql_as(Some(&other), REVOKE, json!({ "input": { "token": token } }))
        .await;
    assert_eq!(response.code(), "NOT_FOUND");
    // Not even the administrator revokes someone else's token.
    let response = app
        .graphql(REVOKE, json!({ "input": { "token": token } }))
        .await;
    assert_eq!(response.code(), "NOT_FOUND");
    assert_eq!(fetch(&app, &url).await.0, StatusCode::OK);

    let response = app
        .graphql_as(Some(&owner), REVOKE, json!({ "input": { "token": token } }))
        .await;
    assert_eq!(response.ok()["revokeCalendarToken"]["revoked"], true);
    assert_eq!(fetch(&app, &url).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_disabled_account_has_no_feed() {
    let app = TestApp::spawn().await;
    let world = world(&app).await;
    let member = member_of(&app, "leaver", &world.orgs["B"]).await;
    let (_, url) = issue(&app, &member, None).await;
    assert_eq!(fetch(&app, &url).await.0, StatusCode::OK);
    let user = entities::user_account::Entity::find()
        .filter(entities::user_account::Column::Username.eq("leaver"))
        .one(&app.state.db.write)
        .await
        .unwrap()
        .unwrap();
    let mut user: entities::user_account::ActiveModel = user.into();
    user.disabled = Set(true);
    user.update(&app.state.db.write).await.unwrap();
    assert_eq!(fetch(&app, &url).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn tokens_are_stored_as_digests_and_never_audited() {
    let app = TestApp::spawn().await;
    let world = world(&app).await;
    let member = member_of(&app, "member-b", &world.orgs["B"]).await;
    let (token, _) = issue(&app, &member, Some(&world.orgs["A"])).await;
    let response = app
        .graphql_as(
            Some(&member),
            REVOKE,
            json!({ "input": { "token": token } }),
        )
        .await;
    assert_eq!(response.ok()["revokeCalendarToken"]["revoked"], true);

    let rows = entities::calendar_token::Entity::find()
        .all(&app.state.db.read)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row.token_digest.len(), 64);
    assert!(row.token_digest.chars().all(|c| c.is_ascii_hexdigit()));
    assert_ne!(row.token_digest, token);
    assert_eq!(row.organization_id, Some(uuid_of(&world.orgs["A"])));
    assert!(row.revoked_at.is_some());

    let entries = entities::audit_entry::Entity::find()
        .filter(
            entities::audit_entry::Column::Action
                .is_in(["issueCalendarToken", "revokeCalendarToken"]),
        )
        .all(&app.state.db.read)
        .await
        .unwrap();
    assert_eq!(entries.len(), 2);
    for entry in &entries {
        assert_eq!(entry.target_type, "User");
        assert_eq!(entry.target_id, Some(row.user_id));
        assert_eq!(entry.actor_id, Some(row.user_id));
    }
    let everything = entities::audit_entry::Entity::find()
        .all(&app.state.db.read)
        .await
        .unwrap();
    let text = format!("{everything:?}");
    assert!(!text.contains(&token), "the token reached the audit log");
    assert!(
        !text.contains(&row.token_digest),
        "the digest reached the audit log"
    );
}

#[tokio::test]
async fn a_feed_pages_through_many_activities() {
    use lianjian_api::services::{
        Actor,
        activities::{self, NewActivity},
    };
    let app = TestApp::spawn().await;
    let area = app.create_area("Busy area").await;
    let org = uuid_of(&create_org(&app, &area, "Busy branch").await);
    const COUNT: usize = 205;
    for i in 0..COUNT {
        let starts = local(1, 8, 0) + Duration::hours(i as i64);
        activities::schedule(
            &app.state.db.write,
            &Actor::system("test"),
            &app.state.events,
            NewActivity {
                title: format!("Session {i}"),
                kind: entities::enums::ActivityKind::StudySession,
                host_organization_id: org,
                participant_organization_ids: Vec::new(),
                co_host_organization_ids: Vec::new(),
                linkage_group_id: None,
                venue: "Hall".into(),
                starts_at: starts.with_timezone(&Utc),
                ends_at: (starts + Duration::minutes(30)).with_timezone(&Utc),
                capacity: None,
                description: None,
                allow_conflicts: false,
            },
        )
        .await
        .unwrap();
    }
    let (_, url) = issue(&app, &app.admin_token, None).await;
    let (status, _, body) = fetch(&app, &url).await;
    assert_eq!(status, StatusCode::OK);
    let (_, events) = parse(&body);
    assert_eq!(events.len(), COUNT);
    assert_eq!(body.matches("BEGIN:VEVENT").count(), COUNT);
}
