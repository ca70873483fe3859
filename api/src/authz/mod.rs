//! Authorization with Casbin. The model and the role permissions live in `policies/`; grants
//! (user, role, scope) live in the `role_grant` table and reach Casbin through a SeaORM adapter.
//! The enforcer is rebuilt aside and swapped in whenever grants or the organization tree change,
//! so checks never wait on a reload.

pub mod adapter;
pub mod scope;
pub mod sync;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, RwLock},
};

use casbin::{CoreApi, DefaultModel, Enforcer};
use entities::casbin_rule;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};

use uuid::Uuid;

use crate::error::{AppError, AppResult};

pub use scope::{Scope, Viewer};

pub const MODEL: &str = include_str!("../../../policies/model.conf");
pub const POLICY: &str = include_str!("../../../policies/policy.csv");

/// The roles of DESIGN 4.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Admin,
    CommitteeStaff,
    Supervisor,
    OrgSecretary,
    FirstSecretary,
    Member,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::CommitteeStaff,
        Role::Supervisor,
        Role::OrgSecretary,
        Role::FirstSecretary,
        Role::Member,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::CommitteeStaff => "committee_staff",
            Self::Supervisor => "supervisor",
            Self::OrgSecretary => "org_secretary",
            Self::FirstSecretary => "first_secretary",
            Self::Member => "member",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// Casbin domain of an organization, from its materialized path (`/<id>/<id>/`).
pub fn organization_domain(path: &str) -> String {
    format!("/o{path}")
}

/// Casbin domain of a linkage group.
pub fn group_domain(id: uuid::Uuid) -> String {
    format!("/g/{}/", id.simple())
}

/// Matches a request domain against a grant's domain pattern. Patterns end in `*` (a subtree or
/// everything); this is Casbin's keyMatch without the regular-expression machinery, because the
/// role manager runs it against every known domain on every check.
pub fn domain_matches(domain: &str, pattern: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => domain.starts_with(prefix),
        None => domain == pattern,
    }
}

/// One generation of the policy: the enforcer, and the scopes computed with it. A scope depends
/// only on the user's grants and the organization tree, and any change to either builds a new
/// generation, so scopes are computed once per user and generation instead of once per request
/// (a Casbin check walks every grant domain: up to 0.3 ms with 2,000 of them).
pub struct Policy {
    pub enforcer: Enforcer,
    scopes: Mutex<HashMap<(Uuid, &'static str, &'static str), Scope>>,
}

impl Policy {
    fn new(enforcer: Enforcer) -> Self {
        Self {
            enforcer,
            scopes: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn cached_scope(&self, key: (Uuid, &'static str, &'static str)) -> Option<Scope> {
        self.scopes.lock().ok()?.get(&key).cloned()
    }

    pub(crate) fn remember_scope(&self, key: (Uuid, &'static str, &'static str), scope: &Scope) {
        if let Ok(mut scopes) = self.scopes.lock() {
            scopes.insert(key, scope.clone());
        }
    }
}

/// Holds the current policy generation; readers take a cheap clone of the `Arc`.
pub struct Authz {
    current: RwLock<Arc<Policy>>,
}

impl std::fmt::Debug for Authz {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authz").finish_non_exhaustive()
    }
}

impl Authz {
    /// Seeds the role permissions on first start and builds the first enforcer.
    pub async fn load(db: &sea_orm::DatabaseConnection) -> AppResult<Self> {
        seed_policies(db).await?;
        let enforcer = build(db).await?;
        Ok(Self {
            current: RwLock::new(Arc::new(Policy::new(enforcer))),
        })
    }

    pub fn policy(&self) -> Arc<Policy> {
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Builds a new enforcer from the database and swaps it in.
    pub async fn reload(&self, db: &sea_orm::DatabaseConnection) -> AppResult<()> {
        // Building links every grant into every domain below it: half a second of CPU with
        // 10,000 grants, which must not stall a worker that serves requests.
        let handle = tokio::runtime::Handle::current();
        let db = db.clone();
        let built = tokio::task::spawn_blocking(move || handle.block_on(build(&db)))
            .await
            .map_err(AppError::internal)??;
        let enforcer = Arc::new(Policy::new(built));
        match self.current.write() {
            Ok(mut guard) => *guard = enforcer,
            Err(poisoned) => *poisoned.into_inner() = enforcer,
        }
        Ok(())
    }
}

async fn build(db: &sea_orm::DatabaseConnection) -> AppResult<Enforcer> {
    let model = DefaultModel::from_str(MODEL)
        .await
        .map_err(|e| AppError::internal(format!("casbin model: {e}")))?;
    let adapter = adapter::SeaOrmAdapter::new(db.clone());
    let mut enforcer = Enforcer::new(model, adapter)
        .await
        .map_err(|e| AppError::internal(format!("casbin enforcer: {e}")))?;
    enforcer
        .get_role_manager()
        .write()
        .matching_fn(None, Some(domain_matches));
    // The role manager links grants to domains as it loads; a matching function set afterwards
    // takes effect on the next load.
    enforcer
        .load_policy()
        .await
        .map_err(|e| AppError::internal(format!("casbin policy: {e}")))?;
    Ok(enforcer)
}

/// Writes the lines of `policies/policy.csv` that `casbin_rule` does not hold yet, so a new
/// release's permissions reach an existing database; lines added by hand stay.
pub async fn seed_policies(db: &impl ConnectionTrait) -> AppResult<()> {
    let existing: Vec<Vec<String>> = casbin_rule::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|r| vec![r.ptype, r.v0, r.v1, r.v2, r.v3, r.v4, r.v5])
        .collect();
    for line in POLICY
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let mut fields: Vec<String> = line.split(',').map(|f| f.trim().to_owned()).collect();
        fields.resize(7, String::new());
        if existing.contains(&fields) {
            continue;
        }
        casbin_rule::ActiveModel {
            id: Set(crate::services::new_id()),
            ptype: Set(fields[0].clone()),
            v0: Set(fields[1].clone()),
            v1: Set(fields[2].clone()),
            v2: Set(fields[3].clone()),
            v3: Set(fields[4].clone()),
            v4: Set(fields[5].clone()),
            v5: Set(fields[6].clone()),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_match_subtrees_not_prefixes_of_ids() {
        assert!(domain_matches("/o/7/8/", "/o/7/*"));
        assert!(domain_matches("/o/7/", "/o/7/*"));
        assert!(!domain_matches("/o/77/", "/o/7/*"));
        assert!(domain_matches("/g/1/", "/*"));
        assert!(!domain_matches("/g/1/", "/g/12/*"));
    }

    #[test]
    fn roles_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
