use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use lianjian_api::{auth::TokenKeys, authz::Role, services::accounts::GrantScope};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

use crate::helpers::TestApp;

const VIEWER: &str = "{ viewer { user { username } grants { role scope { __typename } } } }";

async fn user_id(app: &TestApp, username: &str) -> uuid::Uuid {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    entities::user_account::Entity::find()
        .filter(entities::user_account::Column::Username.eq(username))
        .one(&app.state.db.read)
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn create_user(app: &TestApp, username: &str, password: &str) -> String {
    let response = app
        .graphql(
            "mutation($input: CreateUserInput!) { createUser(input: $input) { user { id username } } }",
            json!({ "input": { "username": username, "password": password } }),
        )
        .await;
    response.ok()["createUser"]["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn login_returns_a_token_that_identifies_the_viewer() {
    let app = TestApp::spawn().await;
    create_user(&app, "Chen.Jing", "chen-password").await;
    let response = app
        .login_from("10.0.0.1", "chen.jing", "chen-password")
        .await;
    let login = &response.ok()["login"];
    assert_eq!(login["viewer"]["user"]["username"], "chen.jing");
    assert!(login["expiresAt"].as_str().unwrap().ends_with("+08:00"));
    let token = login["token"].as_str().unwrap();
    let response = app.graphql_as(Some(token), VIEWER, json!({})).await;
    assert_eq!(response.ok()["viewer"]["user"]["username"], "chen.jing");
    assert_eq!(response.ok()["viewer"]["grants"], json!([]));

    let response = app
        .login_from("10.0.0.1", "chen.jing", "wrong-password")
        .await;
    assert_eq!(
        response.error("BAD_USER_INPUT")["extensions"]["field"],
        "password"
    );
    assert!(response.data().is_null());
}

#[tokio::test]
async fn sign_ins_are_audited_without_the_password() {
    let app = TestApp::spawn().await;
    create_user(&app, "auditee", "secret-password-1").await;
    app.login_from("10.0.0.2", "auditee", "secret-password-1")
        .await
        .ok();
    app.login_from("10.0.0.2", "auditee", "guess-password-2")
        .await;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let entries = entities::audit_entry::Entity::find()
        .filter(entities::audit_entry::Column::Action.eq("login"))
        .all(&app.state.db.read)
        .await
        .unwrap();
    let outcomes: Vec<bool> = entries
        .iter()
        .map(|e| e.after.as_ref().unwrap()["success"].as_bool().unwrap())
        .collect();
    assert_eq!(outcomes, [true, false]);
    let text =
        serde_json::to_string(&entries.iter().map(|e| &e.after).collect::<Vec<_>>()).unwrap();
    assert!(
        !text.contains("secret-password-1") && !text.contains("guess-password-2"),
        "{text}"
    );
}

#[tokio::test]
async fn bad_tokens_are_unauthenticated() {
    let app = TestApp::spawn().await;
    create_user(&app, "liu", "liu-password").await;
    let id = user_id(&app, "liu").await;
    let keys = &app.state.tokens;
    let (good, _) = keys.issue(id, 0).unwrap();
    assert_eq!(
        app.graphql_as(Some(&good), VIEWER, json!({})).await.ok()["viewer"]["user"]["username"],
        "liu"
    );

    let other_key = TokenKeys::new(
        b"another-key-another-key-another-key!",
        chrono::Duration::hours(1),
    );
    let (wrong_signature, _) = other_key.issue(id, 0).unwrap();
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let claims = URL_SAFE_NO_PAD.encode(format!(
        r#"{{"sub":"{id}","iat":0,"exp":9999999999,"ver":0}}"#
    ));
    let unsigned = format!("{header}.{claims}.");
    for token in [wrong_signature, unsigned, "garbage".to_owned()] {
        let response = app.graphql_as(Some(&token), VIEWER, json!({})).await;
        assert_eq!(response.code(), "UNAUTHENTICATED", "{token}");
    }
    // Expired: signed with this app's key (configured, or generated and kept by SQLite apps)
    // but with a lifetime in the past.
    let secret = lianjian_api::services::accounts::token_secret(
        &app.state.db.write,
        app.state
            .config
            .server
            .jwt_secret
            .as_ref()
            .map(|s| s.0.as_str()),
    )
    .await
    .unwrap();
    let (expired, _) = TokenKeys::new(&secret, chrono::Duration::seconds(-60))
        .issue(id, 0)
        .unwrap();
    assert_eq!(
        app.graphql_as(Some(&expired), VIEWER, json!({}))
            .await
            .code(),
        "UNAUTHENTICATED"
    );
    let (fresh, _) = TokenKeys::new(&secret, chrono::Duration::hours(1))
        .issue(id, 0)
        .unwrap();
    assert_eq!(
        app.graphql_as(Some(&fresh), VIEWER, json!({})).await.ok()["viewer"]["user"]["username"],
        "liu"
    );

    // Disabled, then deleted.
    let backend = app.state.db.backend();
    let set_disabled = format!(
        "UPDATE user_account SET disabled = {} WHERE username = 'liu'",
        if backend == sea_orm::DbBackend::Sqlite {
            "1"
        } else {
            "true"
        }
    );
    app.state
        .db
        .write
        .execute_raw(Statement::from_string(backend, set_disabled))
        .await
        .unwrap();
    assert_eq!(
        app.graphql_as(Some(&good), VIEWER, json!({})).await.code(),
        "UNAUTHENTICATED"
    );
    let response = app.login_from("10.0.0.3", "liu", "liu-password").await;
    response.error("BAD_USER_INPUT");
    app.state
        .db
        .write
        .execute_raw(Statement::from_string(
            backend,
            "DELETE FROM user_account WHERE username = 'liu'".to_owned(),
        ))
        .await
        .unwrap();
    assert_eq!(
        app.graphql_as(Some(&good), VIEWER, json!({})).await.code(),
        "UNAUTHENTICATED"
    );
}

#[tokio::test]
async fn a_password_change_or_reset_ends_every_earlier_token() {
    let app = TestApp::spawn().await;
    let id = create_user(&app, "wang", "first-password").await;
    let first = app
        .login_from("10.0.0.4", "wang", "first-password")
        .await
        .ok()["login"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let change = "mutation($input: ChangePasswordInput!) { changePassword(input: $input) { token user { username } } }";
    let response = app
        .graphql_as(Some(&first), change, json!({ "input": { "currentPassword": "nope-nope", "newPassword": "second-password" } }))
        .await;
    assert_eq!(
        response.error("BAD_USER_INPUT")["extensions"]["field"],
        "currentPassword"
    );
    let response = app
        .graphql_as(
            Some(&first),
            change,
            json!({ "input": { "currentPassword": "first-password", "newPassword": "short" } }),
        )
        .await;
    assert_eq!(
        response.error("BAD_USER_INPUT")["extensions"]["field"],
        "newPassword"
    );
    let response = app
        .graphql_as(Some(&first), change, json!({ "input": { "currentPassword": "first-password", "newPassword": "second-password" } }))
        .await;
    let second = response.ok()["changePassword"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        app.graphql_as(Some(&first), VIEWER, json!({})).await.code(),
        "UNAUTHENTICATED"
    );
    assert!(
        app.graphql_as(Some(&second), VIEWER, json!({}))
            .await
            .errors()
            .is_empty()
    );

    // Only administrators reset passwords.
    let reset = "mutation($input: ResetPasswordInput!) { resetPassword(input: $input) { user { username } } }";
    let response = app
        .graphql_as(
            Some(&second),
            reset,
            json!({ "input": { "userId": id, "newPassword": "third-password" } }),
        )
        .await;
    response.error("FORBIDDEN");
    let response = app
        .graphql(
            reset,
            json!({ "input": { "userId": id, "newPassword": "third-password" } }),
        )
        .await;
    assert_eq!(response.ok()["resetPassword"]["user"]["username"], "wang");
    assert_eq!(
        app.graphql_as(Some(&second), VIEWER, json!({}))
            .await
            .code(),
        "UNAUTHENTICATED"
    );
    app.login_from("10.0.0.4", "wang", "third-password")
        .await
        .ok();
}

#[tokio::test]
async fn failed_sign_ins_are_throttled_per_account_and_per_address_and_expire() {
    let app = TestApp::spawn().await;
    create_user(&app, "zhao", "zhao-password").await;
    for _ in 0..5 {
        app.login_from("10.1.0.1", "zhao", "wrong-password")
            .await
            .error("BAD_USER_INPUT");
    }
    // Even the right password waits now, from any address.
    let response = app.login_from("10.1.0.2", "zhao", "zhao-password").await;
    let error = response.error("RATE_LIMITED");
    let retry = error["extensions"]["retryAfter"].as_u64().unwrap();
    assert!(retry > 0 && retry <= 15 * 60, "{error}");

    // Per address: twenty failures over different accounts block a 21st account there only.
    create_user(&app, "qian", "qian-password").await;
    for i in 0..20 {
        app.login_from("10.2.0.1", &format!("nobody{i}"), "wrong-password")
            .await
            .error("BAD_USER_INPUT");
    }
    app.login_from("10.2.0.1", "qian", "qian-password")
        .await
        .error("RATE_LIMITED");
    app.login_from("10.2.0.9", "qian", "qian-password")
        .await
        .ok();

    // Fifteen minutes later the account may try again.
    let backend = app.state.db.backend();
    let past = (chrono::Utc::now() - chrono::Duration::minutes(16)).to_rfc3339();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => {
            format!("UPDATE attempt_counter SET window_started_at = '{past}'::timestamptz")
        }
        _ => {
            let past = (chrono::Utc::now() - chrono::Duration::minutes(16))
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, false);
            format!("UPDATE attempt_counter SET window_started_at = '{past}'")
        }
    };
    app.state
        .db
        .write
        .execute_raw(Statement::from_string(backend, sql))
        .await
        .unwrap();
    app.login_from("10.1.0.2", "zhao", "zhao-password")
        .await
        .ok();
}

#[tokio::test]
async fn only_administrators_create_users_and_usernames_are_checked() {
    let app = TestApp::spawn().await;
    create_user(&app, "sun", "sun-password").await;
    let create = "mutation($input: CreateUserInput!) { createUser(input: $input) { user { id } } }";
    let response = app
        .graphql(
            create,
            json!({ "input": { "username": "SUN", "password": "another-one" } }),
        )
        .await;
    assert_eq!(
        response.error("CONFLICT")["extensions"]["field"],
        "username"
    );
    let response = app
        .graphql(
            create,
            json!({ "input": { "username": "a b", "password": "another-one" } }),
        )
        .await;
    assert_eq!(
        response.error("BAD_USER_INPUT")["extensions"]["field"],
        "username"
    );
    let response = app
        .graphql(
            create,
            json!({ "input": { "username": "zhou", "password": "short" } }),
        )
        .await;
    assert_eq!(
        response.error("BAD_USER_INPUT")["extensions"]["field"],
        "password"
    );
    let token = app.user_with("nobody", &[]).await;
    let response = app
        .graphql_as(
            Some(&token),
            create,
            json!({ "input": { "username": "zhou", "password": "zhou-password" } }),
        )
        .await;
    response.error("FORBIDDEN");
    assert_eq!(app.count_rows("user_account").await, 3);
}

#[tokio::test]
async fn a_granted_role_works_on_the_next_request_and_a_revoked_one_stops() {
    let app = TestApp::spawn().await;
    let area = app.create_area("温泉镇").await;
    let org = app
        .graphql(
            "mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id } } }",
            json!({ "input": { "name": "南平村党支部", "level": "BRANCH", "unitType": "VILLAGE", "areaId": area } }),
        )
        .await
        .ok()["createOrganization"]["organization"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.graphql(
        "mutation($input: CreatePersonInput!) { createPerson(input: $input) { person { id } } }",
        json!({ "input": { "name": "陈静", "politicalStatus": "FULL_MEMBER", "organizationId": org } }),
    )
    .await
    .ok();
    let user = create_user(&app, "lixin", "li-password-1").await;
    let token = app
        .login_from("10.3.0.1", "lixin", "li-password-1")
        .await
        .ok()["login"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let people = "{ people { totalCount edges { node { name } } } }";
    assert_eq!(
        app.graphql_as(Some(&token), people, json!({})).await.ok()["people"]["totalCount"],
        0
    );

    let grant = "mutation($input: GrantRoleInput!) { grantRole(input: $input) { user { grants { role scope { ... on Organization { name } } } } } }";
    let response = app
        .graphql(
            grant,
            json!({ "input": { "userId": user, "role": "MEMBER", "scopeId": org } }),
        )
        .await;
    assert_eq!(
        response.ok()["grantRole"]["user"]["grants"][0]["scope"]["name"],
        "南平村党支部"
    );
    assert_eq!(
        app.graphql_as(Some(&token), people, json!({})).await.ok()["people"]["totalCount"],
        1
    );
    let response = app
        .graphql(
            grant,
            json!({ "input": { "userId": user, "role": "MEMBER", "scopeId": org } }),
        )
        .await;
    response.error("CONFLICT");
    let response = app
        .graphql(
            grant,
            json!({ "input": { "userId": user, "role": "ADMIN", "scopeId": org } }),
        )
        .await;
    assert_eq!(
        response.error("BAD_USER_INPUT")["extensions"]["field"],
        "scopeId"
    );

    let revoke = "mutation($input: RevokeRoleInput!) { revokeRole(input: $input) { user { grants { role } } } }";
    let response = app
        .graphql(
            revoke,
            json!({ "input": { "userId": user, "role": "MEMBER", "scopeId": org } }),
        )
        .await;
    assert_eq!(response.ok()["revokeRole"]["user"]["grants"], json!([]));
    assert_eq!(
        app.graphql_as(Some(&token), people, json!({})).await.ok()["people"]["totalCount"],
        0
    );
    // Non-administrators cannot grant.
    let response = app
        .graphql_as(
            Some(&token),
            grant,
            json!({ "input": { "userId": user, "role": "ADMIN" } }),
        )
        .await;
    response.error("FORBIDDEN");
}

#[tokio::test]
async fn the_audit_log_is_for_administrators() {
    let app = TestApp::spawn().await;
    app.create_area("甲").await;
    app.create_area("乙").await;
    let query = "query($filter: AuditLogFilter) { auditLog(filter: $filter, first: 10) { totalCount edges { node { action targetType targetId actor { username } after } } } }";
    let response = app
        .graphql(query, json!({ "filter": { "targetType": "Area" } }))
        .await;
    let log = &response.ok()["auditLog"];
    assert_eq!(log["totalCount"], 2);
    // Newest first.
    assert_eq!(log["edges"][0]["node"]["after"]["name"], "乙");
    assert_eq!(log["edges"][0]["node"]["actor"]["username"], "root");
    let token = app.user_with("plain", &[]).await;
    app.graphql_as(Some(&token), query, json!({}))
        .await
        .error("FORBIDDEN");
}

/// A grant given through one server holds on the next request of another server over the same
/// database (a second replica on PostgreSQL, a second server on the same SQLite file), and so
/// does its revocation.
#[tokio::test]
async fn grants_and_revocations_hold_on_the_next_request_of_every_server() {
    let app = TestApp::spawn().await;
    let area = app.create_area("温泉镇").await;
    let org = app
        .graphql(
            "mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id } } }",
            json!({ "input": { "name": "南平村党支部", "level": "BRANCH", "unitType": "VILLAGE", "areaId": area } }),
        )
        .await
        .ok()["createOrganization"]["organization"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.graphql(
        "mutation($input: CreatePersonInput!) { createPerson(input: $input) { person { id } } }",
        json!({ "input": { "name": "陈静", "politicalStatus": "FULL_MEMBER", "organizationId": org } }),
    )
    .await
    .ok();
    let user = create_user(&app, "replica-user", "replica-password").await;
    let token = app
        .login_from("10.4.0.1", "replica-user", "replica-password")
        .await
        .ok()["login"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let replica = app.replica().await;
    let people = "{ people { totalCount } }";
    let count = |r: crate::helpers::Gql| r.ok()["people"]["totalCount"].as_u64().unwrap();
    assert_eq!(
        count(replica.graphql_as(Some(&token), people, json!({})).await),
        0
    );
    let grant = json!({ "input": { "userId": user, "role": "MEMBER", "scopeId": org } });
    app.graphql(
        "mutation($input: GrantRoleInput!) { grantRole(input: $input) { user { id } } }",
        grant.clone(),
    )
    .await
    .ok();
    // The very next request of either server sees the grant: nothing to announce or rebuild.
    assert_eq!(
        count(replica.graphql_as(Some(&token), people, json!({})).await),
        1
    );
    assert_eq!(
        count(app.graphql_as(Some(&token), people, json!({})).await),
        1
    );
    replica
        .graphql(
            "mutation($input: RevokeRoleInput!) { revokeRole(input: $input) { user { id } } }",
            grant,
        )
        .await
        .ok();
    assert_eq!(
        count(app.graphql_as(Some(&token), people, json!({})).await),
        0
    );
    assert_eq!(
        count(replica.graphql_as(Some(&token), people, json!({})).await),
        0
    );
}

/// A grant on an organization covers its subtree as it is now: moving an organization out from
/// under a secretary's organization through one server takes it out of the secretary's reach on
/// the next request of another server, and moving it back brings it in again.
#[tokio::test]
async fn a_move_in_the_tree_holds_on_the_next_request_of_every_server() {
    let app = TestApp::spawn().await;
    let area = app.create_area("温泉镇").await;
    let create = "mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id } } }";
    let org = |name: &str, parent: Option<&str>| json!({ "input": { "name": name, "level": "BRANCH", "unitType": "VILLAGE", "areaId": area, "parentId": parent } });
    let id = |r: crate::helpers::Gql| {
        r.ok()["createOrganization"]["organization"]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let town = id(app.graphql(create, org("镇党委", None)).await);
    let village = id(app.graphql(create, org("南平村党支部", Some(&town))).await);
    app.graphql(
        "mutation($input: CreatePersonInput!) { createPerson(input: $input) { person { id } } }",
        json!({ "input": { "name": "陈静", "politicalStatus": "FULL_MEMBER", "organizationId": village } }),
    )
    .await
    .ok();
    let town_global = lianjian_api::graphql::ids::decode("id", &async_graphql::ID(town.clone()))
        .unwrap()
        .id;
    let token = app
        .user_with(
            "town-secretary",
            &[(Role::OrgSecretary, GrantScope::Organization(town_global))],
        )
        .await;
    let replica = app.replica().await;
    let people = "{ people { totalCount } }";
    let count = |r: crate::helpers::Gql| r.ok()["people"]["totalCount"].as_u64().unwrap();
    assert_eq!(
        count(replica.graphql_as(Some(&token), people, json!({})).await),
        1
    );

    let move_to = |parent: Option<&str>| json!({ "input": { "id": village, "parentId": parent } });
    let update = "mutation($input: UpdateOrganizationInput!) { updateOrganization(input: $input) { organization { id } } }";
    app.graphql(update, move_to(None)).await.ok();
    assert_eq!(
        count(replica.graphql_as(Some(&token), people, json!({})).await),
        0
    );
    replica.graphql(update, move_to(Some(&town))).await.ok();
    assert_eq!(
        count(app.graphql_as(Some(&token), people, json!({})).await),
        1
    );
}
