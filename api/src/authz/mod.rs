//! Authorization with Casbin. Casbin holds the rules only: the model and the role permissions of
//! `policies/`, compiled into the binary and loaded at start-up. Grants (user, role, scope) live in
//! the `role_grant` table and are read with the viewer on every request, so a grant, a revocation or
//! a move in the organization tree made by any process holds on the next request of every process,
//! and a check costs the same with ten users or a hundred thousand.

pub mod scope;

use casbin::{CoreApi, DefaultModel, Enforcer, StringAdapter};

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

/// Matches a request domain against a grant's domain pattern, as the model's keyMatch does: a
/// pattern ending in `*` covers every domain it prefixes (a subtree, or everything).
pub fn domain_matches(domain: &str, pattern: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => domain.starts_with(prefix),
        None => domain == pattern,
    }
}

/// The rules: Casbin's enforcer over `policies/model.conf` and `policies/policy.csv`. They are
/// part of the release and never change while the process runs, so one enforcer serves every
/// request; nothing about users is in it.
pub struct Authz {
    enforcer: Enforcer,
}

impl std::fmt::Debug for Authz {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authz").finish_non_exhaustive()
    }
}

impl Authz {
    /// Compiles the model and loads the role permissions.
    pub async fn load() -> AppResult<Self> {
        let model = DefaultModel::from_str(MODEL)
            .await
            .map_err(|e| AppError::internal(format!("casbin model: {e}")))?;
        let policy: String = POLICY
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n");
        let enforcer = Enforcer::new(model, StringAdapter::new(policy))
            .await
            .map_err(|e| AppError::internal(format!("casbin policy: {e}")))?;
        Ok(Self { enforcer })
    }

    /// May `role`, granted in the domain pattern `grant`, do `action` on an `object` that lives in
    /// `domain`? `own` says whether the object belongs to the viewer.
    pub fn enforce(
        &self,
        role: Role,
        grant: &str,
        domain: &str,
        object: &str,
        action: &str,
        own: bool,
    ) -> bool {
        let own = if own { "own" } else { "" };
        self.enforcer
            .enforce((role.as_str(), grant, domain, object, action, own))
            .unwrap_or(false)
    }
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

    /// Written from DESIGN 4.1 and `policies/policy.csv`, not from the enforcer.
    #[tokio::test]
    async fn rules_decide_by_role_grant_domain_and_object() {
        let authz = Authz::load().await.unwrap();
        let cases = [
            (
                Role::OrgSecretary,
                "/o/7/*",
                "/o/7/8/",
                "person",
                "manage",
                true,
            ),
            (
                Role::OrgSecretary,
                "/o/7/*",
                "/o/7/",
                "person",
                "read_personal",
                true,
            ),
            (
                Role::OrgSecretary,
                "/o/7/*",
                "/o/77/",
                "person",
                "read",
                false,
            ),
            (
                Role::OrgSecretary,
                "/o/7/8/*",
                "/o/7/",
                "organization",
                "read",
                false,
            ),
            (Role::Member, "/o/7/*", "/o/7/", "person", "read", true),
            (Role::Member, "/o/7/*", "/o/7/", "person", "manage", false),
            (
                Role::Member,
                "/o/7/*",
                "/o/7/",
                "person",
                "read_personal",
                false,
            ),
            (
                Role::CommitteeStaff,
                "/g/1/*",
                "/g/1/",
                "joint_activity",
                "manage",
                true,
            ),
            (
                Role::CommitteeStaff,
                "/g/1/*",
                "/g/12/",
                "joint_activity",
                "read",
                false,
            ),
            (
                Role::Supervisor,
                "/g/1/*",
                "/g/1/",
                "joint_activity",
                "manage",
                false,
            ),
            (Role::Supervisor, "/g/1/*", "/g/1/", "person", "read", false),
            (Role::Admin, "/*", "/o/7/8/", "area", "manage", true),
            (Role::Admin, "/*", "/g/1/", "anything", "at_all", true),
            (
                Role::FirstSecretary,
                "/o/7/*",
                "/o/7/",
                "organization",
                "manage",
                false,
            ),
        ];
        for (role, grant, domain, object, action, expected) in cases {
            assert_eq!(
                authz.enforce(role, grant, domain, object, action, false),
                expected,
                "{role:?} in {grant} on {object} {action} in {domain}"
            );
        }
    }

    #[test]
    fn roles_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
