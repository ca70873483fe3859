//! Accounts, sign-in, passwords and grants. Sign-in attempts are counted per account and per
//! client address before the password is checked, and audited (without the password).

use chrono::{DateTime, NaiveDate, Utc};
use entities::{app_setting, linkage_group, organization, person, role_grant, user_account};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    FromQueryResult, QueryFilter, QueryOrder, QuerySelect, Set, TransactionSession,
    TransactionTrait,
};
use serde_json::json;
use std::sync::Arc;
use uuid::Uuid;

use super::{
    Actor, Change, Write,
    attempts::{self, Attempt, Limit},
    audit, scoped,
};
use crate::{
    auth::{self, TokenKeys},
    authz::{Authz, Role, Viewer, group_domain, organization_domain, scope::GrantInfo},
    error::{AppError, AppResult},
};

/// Sign-in attempts per account (the username as typed, lower-cased) within the window. Each is
/// counted before the password is checked; a success takes back the attempts up to its own.
pub const SIGN_IN_PER_ACCOUNT: Limit = Limit {
    kind: "login-account",
    max: 5,
    window_minutes: 15,
};
/// Sign-in attempts per client address within the window; a success takes back its own.
pub const SIGN_IN_PER_ADDRESS: Limit = Limit {
    kind: "login-address",
    max: 20,
    window_minutes: 15,
};
/// Guesses at the current password in `changePassword`, per user: a stolen token must not
/// become an unlimited password oracle.
pub const CHANGE_PASSWORD_PER_USER: Limit = Limit {
    kind: "change-password",
    max: 5,
    window_minutes: 15,
};

/// The longest username or address kept as a counter's subject; longer input is cut, so it
/// cannot grow the table's keys.
const SUBJECT_MAX_CHARS: usize = 64;

/// Where a role is granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantScope {
    System,
    Organization(Uuid),
    LinkageGroup(Uuid),
}

impl GrantScope {
    /// The `role_grant.scope` value: one key for "the same grant", unique with user and role.
    pub fn key(self) -> String {
        match self {
            Self::System => "*".to_owned(),
            Self::Organization(id) => format!("o:{id}"),
            Self::LinkageGroup(id) => format!("g:{id}"),
        }
    }
}

fn normalize_username(field: &str, raw: &str) -> AppResult<String> {
    let name = raw.trim().to_lowercase();
    let ok = (3..=64).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if !ok {
        return Err(AppError::bad_input(
            field,
            format!("{field} must be 3 to 64 letters, digits, '_', '.' or '-'"),
        ));
    }
    Ok(name)
}

async fn hash(password: String) -> AppResult<String> {
    auth::hashing::pool()
        .run(move || auth::hash_password(&password))
        .await?
}

async fn verify(password: String, hash: String) -> AppResult<bool> {
    auth::hashing::pool()
        .run(move || auth::verify_password(&password, &hash))
        .await
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub password: String,
    pub person_id: Option<Uuid>,
}

pub async fn create_user<C>(db: &C, actor: &Actor, input: NewUser) -> AppResult<user_account::Model>
where
    C: TransactionTrait,
{
    actor.require_admin()?;
    let username = normalize_username("username", &input.username)?;
    auth::check_new_password("password", &input.password)?;
    let password_hash = hash(input.password).await?;
    let w = Write::begin(db, actor).await?;
    if let Some(person_id) = input.person_id
        && person::Entity::find_by_id(person_id)
            .one(&w)
            .await?
            .is_none()
    {
        return Err(AppError::bad_input("personId", "personId names no person"));
    }
    w.require_unique(
        user_account::Entity::find().filter(user_account::Column::Username.eq(username.as_str())),
        "username",
        || format!("the username {username} is taken"),
    )
    .await?;
    let now = super::now();
    let user = user_account::ActiveModel {
        id: Set(super::new_id()),
        username: Set(username),
        password_hash: Set(password_hash),
        person_id: Set(input.person_id),
        disabled: Set(false),
        token_version: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&w)
    .await?;
    w.audit(
        Change::of("createUser", "User", user.id)
            .after(json!({ "username": user.username, "personId": user.person_id })),
    )
    .await?;
    w.commit().await?;
    Ok(user)
}

pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> AppResult<Option<user_account::Model>> {
    Ok(user_account::Entity::find_by_id(id).one(db).await?)
}

/// A successful sign-in.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user: user_account::Model,
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// Counts the sign-in attempt on the account and on the address in one transaction: if either
/// refuses, neither is counted.
async fn count_sign_in(
    db: &DatabaseConnection,
    actor: &Actor,
    account: &str,
    address: &str,
    now: DateTime<Utc>,
) -> AppResult<(Attempt, Attempt)> {
    let w = Write::begin(db, actor).await?;
    let counted = async {
        let on_account = attempts::count(&w, &SIGN_IN_PER_ACCOUNT, account, now).await?;
        let on_address = attempts::count(&w, &SIGN_IN_PER_ADDRESS, address, now).await?;
        Ok::<_, AppError>((on_account, on_address))
    }
    .await;
    match counted {
        Ok(counted) => {
            w.commit().await?;
            Ok(counted)
        }
        // Rolled back before the refusal answers, not later on drop: the writer is free again
        // by the time the client hears it.
        Err(refused) => {
            w.rollback().await?;
            Err(refused)
        }
    }
}

pub async fn login(
    db: &DatabaseConnection,
    keys: &TokenKeys,
    actor: &Actor,
    username: &str,
    password: &str,
    address: &str,
) -> AppResult<SignedIn> {
    let now = super::now();
    let username = username.trim().to_lowercase();
    let account: String = username.chars().take(SUBJECT_MAX_CHARS).collect();
    let address: String = address.chars().take(SUBJECT_MAX_CHARS).collect();
    let (on_account, on_address) = count_sign_in(db, actor, &account, &address, now).await?;
    let user = user_account::Entity::find()
        .filter(user_account::Column::Username.eq(username.as_str()))
        .one(db)
        .await?;
    // Verify against a real hash even for unknown users, so timing does not tell which exist.
    let stored = match &user {
        Some(user) => user.password_hash.clone(),
        None => dummy_hash().await?,
    };
    let matches = verify(password.to_owned(), stored).await?;
    let user = match user {
        Some(user) if matches && !user.disabled => user,
        other => {
            // The attempt stays counted: that is the failure.
            audit::record(
                db,
                actor,
                Change {
                    action: "login",
                    target_type: "User",
                    target_id: other.as_ref().map(|u| u.id),
                    before: None,
                    after: Some(json!({ "success": false, "address": address })),
                },
            )
            .await?;
            return Err(AppError::Unauthenticated);
        }
    };
    let signed_in = Actor {
        user_id: Some(user.id),
        ..actor.clone()
    };
    let w = Write::begin(db, &signed_in).await?;
    attempts::forgive(
        &w,
        &SIGN_IN_PER_ACCOUNT,
        &account,
        on_account,
        on_account.number,
    )
    .await?;
    attempts::forgive(&w, &SIGN_IN_PER_ADDRESS, &address, on_address, 1).await?;
    w.audit(
        Change::of("login", "User", user.id).after(json!({ "success": true, "address": address })),
    )
    .await?;
    w.commit().await?;
    let (token, expires_at) = keys.issue(user.id, user.token_version)?;
    Ok(SignedIn {
        user,
        token,
        expires_at,
    })
}

/// A hash to verify against when the username is unknown, made once (in the hashing pool, like
/// every other hash).
async fn dummy_hash() -> AppResult<String> {
    static HASH: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    HASH.get_or_try_init(|| hash("unknown-user-password".to_owned()))
        .await
        .cloned()
}

/// Writes a new password hash inside `w`; every earlier token of the account stops working.
async fn set_password<T>(
    w: &Write<'_, T>,
    user: user_account::Model,
    password_hash: String,
    action: &str,
) -> AppResult<user_account::Model>
where
    T: ConnectionTrait + TransactionSession + Send,
{
    let version = user.token_version + 1;
    let mut model: user_account::ActiveModel = user.into();
    model.password_hash = Set(password_hash);
    model.token_version = Set(version);
    model.updated_at = Set(super::now());
    let updated = model.update(w).await?;
    w.audit(Change::of(action, "User", updated.id).after(json!({ "tokensBefore": "revoked" })))
        .await?;
    Ok(updated)
}

/// The viewer's own password; every earlier token of the account stops working. Each guess at
/// the current password is counted before it is checked (CHANGE_PASSWORD_PER_USER).
pub async fn change_password(
    db: &DatabaseConnection,
    actor: &Actor,
    user_id: Uuid,
    current: &str,
    new_password: String,
) -> AppResult<user_account::Model> {
    auth::check_new_password("newPassword", &new_password)?;
    let user = get(db, user_id).await?.ok_or(AppError::Unauthenticated)?;
    let subject = user_id.to_string();
    let attempt = attempts::count(db, &CHANGE_PASSWORD_PER_USER, &subject, super::now()).await?;
    if !verify(current.to_owned(), user.password_hash.clone()).await? {
        return Err(AppError::bad_input(
            "currentPassword",
            "currentPassword is wrong",
        ));
    }
    let password_hash = hash(new_password).await?;
    let w = Write::begin(db, actor).await?;
    attempts::forgive(
        &w,
        &CHANGE_PASSWORD_PER_USER,
        &subject,
        attempt,
        attempt.number,
    )
    .await?;
    let updated = set_password(&w, user, password_hash, "changePassword").await?;
    w.commit().await?;
    Ok(updated)
}

/// An administrator sets a new password; every earlier token of the account stops working.
pub async fn reset_password(
    db: &DatabaseConnection,
    actor: &Actor,
    user_id: Uuid,
    new_password: String,
) -> AppResult<user_account::Model> {
    actor.require_admin()?;
    auth::check_new_password("newPassword", &new_password)?;
    let user = scoped::fetch::<user_account::Entity>(db, user_id, "user").await?;
    let password_hash = hash(new_password).await?;
    let w = Write::begin(db, actor).await?;
    let updated = set_password(&w, user, password_hash, "resetPassword").await?;
    w.commit().await?;
    Ok(updated)
}

fn check_scope(role: Role, scope: GrantScope) -> AppResult<()> {
    let ok = match role {
        Role::Admin => scope == GrantScope::System,
        Role::CommitteeStaff => matches!(scope, GrantScope::LinkageGroup(_)),
        Role::Supervisor => !matches!(scope, GrantScope::System),
        Role::OrgSecretary | Role::FirstSecretary | Role::Member => {
            matches!(scope, GrantScope::Organization(_))
        }
    };
    if ok {
        Ok(())
    } else {
        Err(AppError::bad_input(
            "scopeId",
            format!(
                "{} cannot be granted in this scope (see the roles table)",
                role.as_str()
            ),
        ))
    }
}

pub async fn grant_role<C>(
    db: &C,
    actor: &Actor,
    user_id: Uuid,
    role: Role,
    scope: GrantScope,
) -> AppResult<user_account::Model>
where
    C: TransactionTrait,
{
    actor.require_admin()?;
    check_scope(role, scope)?;
    let w = Write::begin(db, actor).await?;
    let user = scoped::fetch::<user_account::Entity>(&w, user_id, "user").await?;
    match scope {
        GrantScope::Organization(id) => {
            if organization::Entity::find_by_id(id)
                .one(&w)
                .await?
                .is_none()
            {
                return Err(AppError::bad_input(
                    "scopeId",
                    "scopeId names no organization",
                ));
            }
        }
        GrantScope::LinkageGroup(id) => {
            if linkage_group::Entity::find_by_id(id)
                .one(&w)
                .await?
                .is_none()
            {
                return Err(AppError::bad_input(
                    "scopeId",
                    "scopeId names no linkage group",
                ));
            }
        }
        GrantScope::System => {}
    }
    let existing = role_grant::Entity::find()
        .filter(role_grant::Column::UserId.eq(user_id))
        .filter(role_grant::Column::Role.eq(role.as_str()))
        .filter(role_grant::Column::Scope.eq(scope.key()))
        .one(&w)
        .await?;
    if existing.is_some() {
        return Err(AppError::conflict(
            "the user already holds this role in this scope",
        ));
    }
    role_grant::ActiveModel {
        id: Set(super::new_id()),
        user_id: Set(user_id),
        role: Set(role.as_str().to_owned()),
        organization_id: Set(match scope {
            GrantScope::Organization(id) => Some(id),
            _ => None,
        }),
        linkage_group_id: Set(match scope {
            GrantScope::LinkageGroup(id) => Some(id),
            _ => None,
        }),
        scope: Set(scope.key()),
        created_at: Set(super::now()),
    }
    .insert(&w)
    .await?;
    w.audit(
        Change::of("grantRole", "User", user_id)
            .after(json!({ "role": role.as_str(), "scope": scope.key() })),
    )
    .await?;
    w.commit().await?;
    Ok(user)
}

pub async fn revoke_role<C>(
    db: &C,
    actor: &Actor,
    user_id: Uuid,
    role: Role,
    scope: GrantScope,
) -> AppResult<user_account::Model>
where
    C: TransactionTrait,
{
    actor.require_admin()?;
    let w = Write::begin(db, actor).await?;
    let user = scoped::fetch::<user_account::Entity>(&w, user_id, "user").await?;
    let removed = role_grant::Entity::delete_many()
        .filter(role_grant::Column::UserId.eq(user_id))
        .filter(role_grant::Column::Role.eq(role.as_str()))
        .filter(role_grant::Column::Scope.eq(scope.key()))
        .exec(&w)
        .await?;
    if removed.rows_affected == 0 {
        return Err(AppError::NotFound("grant"));
    }
    w.audit(
        Change::of("revokeRole", "User", user_id)
            .before(json!({ "role": role.as_str(), "scope": scope.key() })),
    )
    .await?;
    w.commit().await?;
    Ok(user)
}

/// The grants of a user on `today`, with the current path of each organization scope (see
/// `grants_of_many`).
pub async fn grants_of(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    today: NaiveDate,
) -> AppResult<Vec<(role_grant::Model, GrantInfo)>> {
    Ok(grants_of_many(db, &[user_id], today)
        .await?
        .remove(&user_id)
        .unwrap_or_default())
}

/// The FIRST_SECRETARY grants that postings give on `today`: one on the village of each posting
/// of the account's person that has started and not ended. They are read with the other grants,
/// never stored as grants, so a posting's role begins and ends with its dates, on the next
/// request of every process. Each is shown as a grant row with the posting's id.
async fn posted_grants(
    db: &impl ConnectionTrait,
    user_ids: &[Uuid],
    today: NaiveDate,
) -> AppResult<Vec<role_grant::Model>> {
    use entities::first_secretary_assignment as posting;
    use sea_orm::JoinType;
    let to_account: sea_orm::RelationDef = posting::Entity::belongs_to(user_account::Entity)
        .from(posting::Column::PersonId)
        .to(user_account::Column::PersonId)
        .into();
    let rows: Vec<(Uuid, Uuid, Uuid, chrono::DateTime<chrono::Utc>)> = posting::Entity::find()
        .select_only()
        .column(posting::Column::Id)
        .column(posting::Column::OrganizationId)
        .column_as(user_account::Column::Id, "user_id")
        .column(posting::Column::CreatedAt)
        .join(JoinType::InnerJoin, to_account)
        .filter(crate::services::one_of(
            db,
            user_account::Column::Id,
            user_ids.iter().copied(),
        ))
        .filter(posting::Column::StartsOn.lte(today))
        .filter(
            sea_orm::Condition::any()
                .add(posting::Column::EndsOn.is_null())
                .add(posting::Column::EndsOn.gte(today)),
        )
        .order_by_asc(posting::Column::StartsOn)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, organization, user, created_at)| role_grant::Model {
            id,
            user_id: user,
            role: Role::FirstSecretary.as_str().to_owned(),
            organization_id: Some(organization),
            linkage_group_id: None,
            scope: format!("o:{organization}"),
            created_at,
        })
        .collect())
}

/// The grants of many users on `today` in three statements (the grants, the postings' grants,
/// then the organizations they name), each user's oldest first, those whose role or
/// organization is gone left out. Users without grants have no entry.
pub async fn grants_of_many(
    db: &impl ConnectionTrait,
    user_ids: &[Uuid],
    today: NaiveDate,
) -> AppResult<std::collections::HashMap<Uuid, Vec<(role_grant::Model, GrantInfo)>>> {
    grants_with(db, user_ids, Some(today)).await
}

/// The grants of `user_ids`, with those of their postings on `postings_on` when given.
async fn grants_with(
    db: &impl ConnectionTrait,
    user_ids: &[Uuid],
    postings_on: Option<NaiveDate>,
) -> AppResult<std::collections::HashMap<Uuid, Vec<(role_grant::Model, GrantInfo)>>> {
    let mut out: std::collections::HashMap<Uuid, Vec<(role_grant::Model, GrantInfo)>> =
        std::collections::HashMap::new();
    if user_ids.is_empty() {
        return Ok(out);
    }
    let mut grants = role_grant::Entity::find()
        .filter(crate::services::one_of(
            db,
            role_grant::Column::UserId,
            user_ids.iter().copied(),
        ))
        .order_by_asc(role_grant::Column::CreatedAt)
        .order_by_asc(role_grant::Column::Id)
        .all(db)
        .await?;
    let posted = match postings_on {
        Some(today) => posted_grants(db, user_ids, today).await?,
        None => Vec::new(),
    };
    for posted in posted {
        // A posting adds nothing where the same grant is held anyway.
        let held = grants.iter().any(|g| {
            g.user_id == posted.user_id && g.role == posted.role && g.scope == posted.scope
        });
        if !held {
            grants.push(posted);
        }
    }
    let org_ids: Vec<Uuid> = grants.iter().filter_map(|g| g.organization_id).collect();
    let orgs = if org_ids.is_empty() {
        Vec::new()
    } else {
        super::organizations::get_many(db, &org_ids).await?
    };
    for g in grants {
        let Some(role) = Role::parse(&g.role) else {
            continue;
        };
        let (organization, pattern) = match (g.organization_id, g.linkage_group_id) {
            (Some(id), _) => {
                let Some(org) = orgs.iter().find(|o| o.id == id) else {
                    continue;
                };
                (
                    Some((id, org.path.clone())),
                    format!("{}*", organization_domain(&org.path)),
                )
            }
            (None, Some(group)) => (None, format!("{}*", group_domain(group))),
            (None, None) => (None, "/*".to_owned()),
        };
        let info = GrantInfo {
            role,
            organization,
            linkage_group: g.linkage_group_id,
            pattern,
        };
        out.entry(g.user_id).or_default().push((g, info));
    }
    Ok(out)
}

/// The viewer behind a bearer token: valid signature, not expired, an existing account that is
/// not disabled, and no password change since the token was issued. The account, its grants,
/// the grants its postings give on `today` and the paths of the organizations they name are
/// read in one statement ([`VIEWER_SQL`]), on every request: grants are never copied between
/// requests, so a change made by any process counts from the next request on.
pub async fn viewer_from_token(
    db: &impl ConnectionTrait,
    keys: &TokenKeys,
    authz: &Arc<Authz>,
    token: &str,
    today: NaiveDate,
) -> AppResult<Viewer> {
    let subject = keys.verify(token)?;
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => VIEWER_SQL.to_owned(),
        // SQLite numbers `$N` parameters by first appearance, which is their order here; `?`
        // says the same without relying on it.
        _ => VIEWER_SQL
            .replace("$1", "?")
            .replace("$2", "?")
            .replace("$3", "?")
            .replace("$4", "?")
            .replace("$5", "?"),
    };
    let rows = db
        .query_all_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            sql,
            [
                subject.user_id.into(),
                subject.user_id.into(),
                today.into(),
                today.into(),
                subject.user_id.into(),
            ],
        ))
        .await?;
    let Some(first) = rows.first() else {
        return Err(AppError::Unauthenticated);
    };
    let user = user_account::Model::from_query_result(first, "")?;
    if user.disabled || user.token_version != subject.version {
        return Err(AppError::Unauthenticated);
    }
    let mut grants: Vec<GrantInfo> = Vec::new();
    for row in &rows {
        // A posting adds nothing where the same grant is held anyway.
        let Some(kind) = row.try_get::<Option<i32>>("", "g_kind")? else {
            continue;
        };
        let role = if kind == 0 {
            let role: Option<String> = row.try_get("", "g_role")?;
            match role.as_deref().and_then(Role::parse) {
                Some(role) => role,
                None => continue,
            }
        } else {
            Role::FirstSecretary
        };
        let organization: Option<Uuid> = row.try_get("", "g_organization_id")?;
        let group: Option<Uuid> = row.try_get("", "g_linkage_group_id")?;
        let path: Option<String> = row.try_get("", "g_path")?;
        let (organization, pattern) = match (organization, group) {
            (Some(id), _) => {
                // A grant on an organization that is gone grants nothing.
                let Some(path) = path else { continue };
                let pattern = format!("{}*", organization_domain(&path));
                (Some((id, path)), pattern)
            }
            (None, Some(group)) => (None, format!("{}*", group_domain(group))),
            (None, None) => (None, "/*".to_owned()),
        };
        let info = GrantInfo {
            role,
            organization,
            linkage_group: group,
            pattern,
        };
        let held = kind != 0
            && grants.iter().any(|g| {
                g.role == info.role
                    && g.linkage_group.is_none()
                    && g.organization.as_ref().map(|o| o.0)
                        == info.organization.as_ref().map(|o| o.0)
            });
        if !held {
            grants.push(info);
        }
    }
    Ok(Viewer::new(user, grants, authz.clone()))
}

/// The account `$1` (= `$2` = `$5`) with one row per grant: its stored grants (kind 0, oldest first), then
/// the FIRST_SECRETARY grants of its person's postings running on `$3`/`$4` (kind 1, by start),
/// each with the current path of the organization it names. An account without grants is one
/// row whose grant columns are NULL; an unknown account, no row.
const VIEWER_SQL: &str = "\
SELECT u.id, u.username, u.password_hash, u.person_id, u.disabled, u.token_version, \
       u.created_at, u.updated_at, \
       g.kind AS g_kind, g.role AS g_role, g.organization_id AS g_organization_id, \
       g.linkage_group_id AS g_linkage_group_id, o.path AS g_path \
FROM user_account u \
LEFT JOIN ( \
    SELECT 0 AS kind, r.user_id, r.role, r.organization_id, r.linkage_group_id, \
           r.created_at AS sort_at, NULL AS starts_on, r.id \
    FROM role_grant r WHERE r.user_id = $1 \
    UNION ALL \
    SELECT 1, a.id, NULL, p.organization_id, NULL, NULL, p.starts_on, p.id \
    FROM first_secretary_assignment p JOIN user_account a ON a.person_id = p.person_id \
    WHERE a.id = $2 AND p.starts_on <= $3 AND (p.ends_on IS NULL OR p.ends_on >= $4) \
) g ON g.user_id = u.id \
LEFT JOIN organization o ON o.id = g.organization_id \
WHERE u.id = $5 \
ORDER BY g.kind, g.sort_at, g.starts_on, g.id";

/// The key that signs tokens: the configured one, or on SQLite one generated once and kept in
/// the database. PostgreSQL deployments run several replicas, which must share a configured key.
pub async fn token_secret(
    db: &impl ConnectionTrait,
    configured: Option<&str>,
) -> AppResult<Vec<u8>> {
    if let Some(secret) = configured.filter(|s| !s.is_empty()) {
        if secret.len() < 32 {
            return Err(AppError::bad_input(
                "jwt-secret",
                "the token key must be at least 32 characters",
            ));
        }
        return Ok(secret.as_bytes().to_vec());
    }
    if db.get_database_backend() != sea_orm::DbBackend::Sqlite {
        return Err(AppError::bad_input(
            "jwt-secret",
            "set --jwt-secret (LIANJIAN_JWT_SECRET): every replica on PostgreSQL must share one key",
        ));
    }
    const KEY: &str = "jwt_secret";
    if let Some(setting) = app_setting::Entity::find_by_id(KEY).one(db).await? {
        return Ok(setting.value.into_bytes());
    }
    use rand::Rng;
    let secret: String = rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(64)
        .map(char::from)
        .collect();
    app_setting::ActiveModel {
        key: Set(KEY.to_owned()),
        value: Set(secret.clone()),
    }
    .insert(db)
    .await?;
    Ok(secret.into_bytes())
}
