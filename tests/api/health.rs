use axum::http::StatusCode;
use migration::{Migrator, MigratorTrait};
use serde_json::Value;

use crate::helpers::TestApp;

#[tokio::test]
async fn healthz_answers_ok() {
    let app = TestApp::spawn().await;
    let (status, _, body) = app.get("/healthz").await;
    assert_eq!(status, StatusCode::OK);
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn readyz_is_ready_when_migrated() {
    let app = TestApp::spawn().await;
    let (status, _, body) = app.get("/readyz").await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["status"], "ready");
}

#[tokio::test]
async fn readyz_is_unavailable_while_a_migration_is_pending() {
    let app = TestApp::spawn().await;
    Migrator::down(&app.state.db.write, Some(1)).await.unwrap();
    let (status, _, body) = app.get("/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["reason"], "migrations pending");
    let pending = body["pending"].as_array().unwrap();
    assert_eq!(pending.len(), 1);
    let last = Migrator::migrations().last().unwrap().name().to_owned();
    assert_eq!(pending[0], last.as_str());
}

#[tokio::test]
async fn metrics_count_sql_statements_and_operations() {
    let app = TestApp::spawn().await;
    let before = app.sql_statements().await;
    let response = app
        .post_json(&serde_json::json!({ "query": "query Areas { areas { totalCount } }", "operationName": "Areas" }))
        .await;
    assert_eq!(response.ok()["areas"]["totalCount"], 0);
    let after = app.sql_statements().await;
    // One to authenticate (the account with its grants), one COUNT and one page query.
    assert_eq!(after - before, 3);
    let (status, headers, body) = app.get("/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = String::from_utf8(body).unwrap();
    assert!(
        text.contains(r#"lianjian_graphql_requests_total{operation="areas",outcome="ok"} 1"#),
        "{text}"
    );
    assert!(text.contains("lianjian_graphql_request_duration_seconds_bucket{operation=\"areas\""));
}
