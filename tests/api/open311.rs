//! The Open311 GeoReport v2 export: `GET /open311/v2/services.json` and
//! `GET /open311/v2/requests.json`, compared with JSON written by hand from the specification.
//!
//! Villages B 南平村党支部 and C 石坑村党支部; today is 2026-11-10 (Asia/Shanghai, UTC+8).
//!
//! | code        | village | received | due   | status   | category       | updated (local)  |
//! |-------------|---------|----------|-------|----------|----------------|------------------|
//! | NP-2026-001 | B       | 10-08    | 10-29 | RESOLVED | INFRASTRUCTURE | 10-20 15:30:45   |
//! | NP-2026-002 | B       | 10-20    | 11-10 | ACCEPTED | ENVIRONMENT    | 10-21 09:05:00   |
//! | NP-2026-003 | B       | 09-15    | 10-10 | REJECTED | DISPUTE        | 09-16 10:00:00   |
//! | SK-2026-001 | C       | 10-25    | 11-14 | RECEIVED | LEGAL          | 10-25 08:00:00   |

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use entities::enums::{AppealCategory, AppealStatus, Satisfaction};
use lianjian_api::{authz::Role, services::accounts::GrantScope};
use serde_json::{Value, json};

use crate::appeal_statistics::{
    Appeal, RESIDENT_ADDRESS, RESIDENT_NAME, RESIDENT_PHONE, create_org, insert, instant, uuid_of,
};
use crate::helpers::TestApp;

struct World {
    app: TestApp,
    b: String,
    c: String,
}

async fn world() -> World {
    let app = TestApp::spawn_at(instant("2026-11-10T10:00:00+08:00")).await;
    let area = app.create_area("温泉镇").await;
    let b = create_org(&app, &area, "南平村党支部", None).await;
    let c = create_org(&app, &area, "石坑村党支部", None).await;
    let (vb, vc) = (uuid_of(&b), uuid_of(&c));
    insert(
        &app,
        Appeal {
            village: vb,
            seq: 1,
            code: "NP-2026-001",
            content: "村口路灯不亮",
            category: AppealCategory::Infrastructure,
            status: AppealStatus::Resolved,
            received_on: "2026-10-08",
            due_on: "2026-10-29",
            resolution: Some("已更换路灯"),
            feedback: Some(Satisfaction::Satisfied),
            updated_at: "2026-10-20T15:30:45+08:00",
            ..Appeal::default()
        },
    )
    .await;
    insert(
        &app,
        Appeal {
            village: vb,
            seq: 2,
            code: "NP-2026-002",
            content: "垃圾清运不及时",
            category: AppealCategory::Environment,
            status: AppealStatus::Accepted,
            received_on: "2026-10-20",
            due_on: "2026-11-10",
            updated_at: "2026-10-21T09:05:00+08:00",
            ..Appeal::default()
        },
    )
    .await;
    insert(
        &app,
        Appeal {
            village: vb,
            seq: 3,
            code: "NP-2026-003",
            content: "邻居占用宅基地",
            category: AppealCategory::Dispute,
            status: AppealStatus::Rejected,
            received_on: "2026-09-15",
            due_on: "2026-10-10",
            rejection_reason: Some("已进入诉讼程序"),
            updated_at: "2026-09-16T10:00:00+08:00",
            ..Appeal::default()
        },
    )
    .await;
    insert(
        &app,
        Appeal {
            village: vc,
            seq: 1,
            code: "SK-2026-001",
            content: "咨询土地承包合同",
            category: AppealCategory::Legal,
            status: AppealStatus::Received,
            received_on: "2026-10-25",
            due_on: "2026-11-14",
            updated_at: "2026-10-25T08:00:00+08:00",
            ..Appeal::default()
        },
    )
    .await;
    World { app, b, c }
}

async fn get_as(app: &TestApp, token: Option<&str>, uri: &str) -> (StatusCode, String, Value) {
    let mut request = Request::get(uri);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let (status, headers, body) = app.request(request.body(Body::empty()).unwrap()).await;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = String::from_utf8(body).unwrap();
    for personal in [RESIDENT_NAME, RESIDENT_PHONE, RESIDENT_ADDRESS] {
        assert!(!text.contains(personal), "{personal} leaked in {text}");
    }
    let json = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    (status, content_type, json)
}

/// The service request ids of an answer, in order.
fn codes(body: &Value) -> Vec<&str> {
    body.as_array()
        .unwrap()
        .iter()
        .map(|r| r["service_request_id"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn services_are_the_appeal_categories() {
    let w = world().await;
    let (status, content_type, body) = get_as(&w.app, None, "/open311/v2/services.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "application/json");
    let services = body.as_array().unwrap();
    assert_eq!(
        services
            .iter()
            .map(|s| s["service_code"].as_str().unwrap())
            .collect::<Vec<_>>(),
        [
            "INFRASTRUCTURE",
            "ENVIRONMENT",
            "PUBLIC_SAFETY",
            "DISPUTE",
            "SOCIAL_SECURITY",
            "TOURISM",
            "LEGAL",
            "OTHER"
        ]
    );
    assert_eq!(
        services[0],
        json!({
            "service_code": "INFRASTRUCTURE",
            "service_name": "基础设施",
            "description": "道路、桥梁、水电、路灯等村内基础设施问题",
            "metadata": false,
            "type": "realtime",
            "keywords": "道路,桥梁,供水,供电,路灯",
            "group": "民生服务",
        })
    );
}

#[tokio::test]
async fn requests_field_by_field_newest_first() {
    let w = world().await;
    let (status, content_type, body) = get_as(
        &w.app,
        Some(&w.app.admin_token),
        "/open311/v2/requests.json",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "application/json");
    assert_eq!(
        codes(&body),
        ["SK-2026-001", "NP-2026-002", "NP-2026-001", "NP-2026-003"]
    );
    assert_eq!(
        body[1],
        json!({
            "service_request_id": "NP-2026-002",
            "status": "open",
            "status_notes": null,
            "service_name": "人居环境",
            "service_code": "ENVIRONMENT",
            "description": "垃圾清运不及时",
            "agency_responsible": "南平村党支部",
            "service_notice": "",
            "requested_datetime": "2026-10-20T00:00:00+08:00",
            "updated_datetime": "2026-10-21T09:05:00+08:00",
            "expected_datetime": "2026-11-10T00:00:00+08:00",
            "address": "",
            "address_id": null,
            "zipcode": null,
            "lat": null,
            "long": null,
            "media_url": null,
        })
    );
    assert_eq!(
        body[2],
        json!({
            "service_request_id": "NP-2026-001",
            "status": "closed",
            "status_notes": "已更换路灯",
            "service_name": "基础设施",
            "service_code": "INFRASTRUCTURE",
            "description": "村口路灯不亮",
            "agency_responsible": "南平村党支部",
            "service_notice": "",
            "requested_datetime": "2026-10-08T00:00:00+08:00",
            "updated_datetime": "2026-10-20T15:30:45+08:00",
            "expected_datetime": "2026-10-29T00:00:00+08:00",
            "address": "",
            "address_id": null,
            "zipcode": null,
            "lat": null,
            "long": null,
            "media_url": null,
        })
    );
    // A rejected appeal is closed with its reason as the notes.
    assert_eq!(body[3]["status"], "closed");
    assert_eq!(body[3]["status_notes"], "已进入诉讼程序");
}

#[tokio::test]
async fn requests_filter_by_status_service_and_dates() {
    let w = world().await;
    let token = w.app.admin_token.clone();
    for (query, expected) in [
        ("status=open", vec!["SK-2026-001", "NP-2026-002"]),
        ("status=closed", vec!["NP-2026-001", "NP-2026-003"]),
        (
            "status=open,closed",
            vec!["SK-2026-001", "NP-2026-002", "NP-2026-001", "NP-2026-003"],
        ),
        (
            "service_code=INFRASTRUCTURE,DISPUTE",
            vec!["NP-2026-001", "NP-2026-003"],
        ),
        ("service_code=LEGAL&status=closed", vec![]),
        (
            "start_date=2026-10-08T00:00:00%2B08:00&end_date=2026-10-20T00:00:00%2B08:00",
            vec!["NP-2026-002", "NP-2026-001"],
        ),
        // One second after midnight of 10-08: the appeal received that day is out.
        (
            "start_date=2026-10-08T00:00:01%2B08:00",
            vec!["SK-2026-001", "NP-2026-002"],
        ),
        // 16:00 UTC on 10-19 is midnight of 10-20 in Shanghai.
        (
            "end_date=2026-10-19T16:00:00Z",
            vec!["NP-2026-002", "NP-2026-001", "NP-2026-003"],
        ),
        (
            "end_date=2026-10-19T15:59:59Z",
            vec!["NP-2026-001", "NP-2026-003"],
        ),
        (
            "jurisdiction_id=wenquan&status=open",
            vec!["SK-2026-001", "NP-2026-002"],
        ),
    ] {
        let (status, _, body) = get_as(
            &w.app,
            Some(&token),
            &format!("/open311/v2/requests.json?{query}"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{query}: {body}");
        assert_eq!(codes(&body), expected, "{query}");
    }
}

#[tokio::test]
async fn bad_parameters_are_400_naming_the_parameter() {
    let w = world().await;
    let token = w.app.admin_token.clone();
    for (query, description) in [
        ("status=pending", "status: status must be open or closed"),
        (
            "service_code=POTHOLE",
            "service_code: service_code must be one of the codes of services.json",
        ),
        (
            "start_date=yesterday",
            "start_date: start_date must be an ISO 8601 date-time such as 2026-10-01T00:00:00+08:00",
        ),
        (
            "start_date=2026-10-20T00:00:00Z&end_date=2026-10-01T00:00:00Z",
            "end_date: end_date must not be before start_date",
        ),
    ] {
        let (status, _, body) = get_as(
            &w.app,
            Some(&token),
            &format!("/open311/v2/requests.json?{query}"),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(
            body,
            json!([{ "code": 400, "description": description }]),
            "{query}"
        );
    }
}

#[tokio::test]
async fn requests_need_a_valid_token() {
    let w = world().await;
    let expected = json!([{ "code": 401,
        "description": "send a valid token: Authorization: Bearer <token>" }]);
    for token in [None, Some("not-a-token")] {
        let (status, _, body) = get_as(&w.app, token, "/open311/v2/requests.json").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body, expected);
    }
}

#[tokio::test]
async fn viewers_see_only_the_appeals_they_may_read() {
    let w = world().await;
    let secretary_b = w
        .app
        .user_with(
            "secretary_b",
            &[(Role::OrgSecretary, GrantScope::Organization(uuid_of(&w.b)))],
        )
        .await;
    let first_secretary_c = w
        .app
        .user_with(
            "first_secretary_c",
            &[(
                Role::FirstSecretary,
                GrantScope::Organization(uuid_of(&w.c)),
            )],
        )
        .await;
    let member_c = w
        .app
        .user_with(
            "member_c",
            &[(Role::Member, GrantScope::Organization(uuid_of(&w.c)))],
        )
        .await;
    for (token, expected) in [
        (
            &secretary_b,
            vec!["NP-2026-002", "NP-2026-001", "NP-2026-003"],
        ),
        (&first_secretary_c, vec!["SK-2026-001"]),
        // Members read no appeals at all, those of another village least of all.
        (&member_c, vec![]),
    ] {
        let (status, _, body) = get_as(&w.app, Some(token), "/open311/v2/requests.json").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(codes(&body), expected);
    }
}
