//! Authorization with Casbin. Casbin holds the rules only: the model and the role permissions of
//! `policies/`, compiled into the binary and loaded at start-up. Grants (user, role, scope) live in
//! the `role_grant` table and are read with the viewer on every request, so a grant, a revocation or
//! a move in the organization tree made by any process holds on the next request of every process,
//! and a check costs the same with ten users or a hundred thousand.

pub mod scope;

use casbin::{CoreApi, DefaultModel, Enforcer, StringAdapter};

use crate::error::{AppError, AppResult};

pub use scope::{Scope, Viewer, linked_to_subtrees};

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
    /// [`Authz::role_may`]'s answers: they depend on the rules alone, which are fixed for the
    /// life of the process, so an answer never goes stale.
    decided: std::sync::RwLock<std::collections::HashMap<(Role, String, String, bool), bool>>,
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
        Ok(Self {
            enforcer,
            decided: std::sync::RwLock::default(),
        })
    }

    /// May `role` do `action` on `object`s inside the domain it was granted in (`own`: objects
    /// that belong to the viewer)? This is `enforce` with a domain its grant covers, whichever
    /// grant: the answer depends on the rules alone and is worked out once per process.
    pub fn role_may(&self, role: Role, object: &str, action: &str, own: bool) -> bool {
        let key = (role, object.to_owned(), action.to_owned(), own);
        if let Some(answer) = self.decided.read().ok().and_then(|d| d.get(&key).copied()) {
            return answer;
        }
        let answer = self.enforce(role, "/*", "/", object, action, own);
        if let Ok(mut decided) = self.decided.write() {
            decided.insert(key, answer);
        }
        answer
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

    /// `role_may` remembers what the enforcer answers inside a grant's own domain; it must be the
    /// enforcer's answer for every kind of grant pattern, role, object, action and ownership.
    #[tokio::test]
    async fn role_may_is_the_enforcer_inside_any_grant_s_domain() {
        let authz = Authz::load().await.unwrap();
        let mut objects: Vec<(String, String)> = POLICY
            .lines()
            .filter_map(|l| {
                let parts: Vec<&str> = l.split(',').map(str::trim).collect();
                (parts.len() == 5 && parts[0] == "p")
                    .then(|| (parts[2].to_owned(), parts[3].to_owned()))
            })
            .filter(|(o, a)| o != "*" && a != "*")
            .collect();
        objects.push(("audit_entry".into(), "read".into()));
        let mut allowed = 0;
        for role in Role::ALL {
            for (object, action) in &objects {
                for own in [false, true] {
                    for (grant, domain) in
                        [("/*", "/"), ("/o/7/8/*", "/o/7/8/"), ("/g/5/*", "/g/5/")]
                    {
                        let expected = authz.enforce(role, grant, domain, object, action, own);
                        // Asked twice: the remembered answer is the same.
                        for _ in 0..2 {
                            assert_eq!(
                                authz.role_may(role, object, action, own),
                                expected,
                                "{role:?} {object} {action} own={own} in {grant}"
                            );
                        }
                        allowed += usize::from(expected);
                    }
                }
            }
        }
        assert!(allowed > 0);
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
