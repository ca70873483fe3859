//! The signed-in viewer and what it may reach. A `Scope` is the set of grant domains under which
//! Casbin allows one (object type, action) for the viewer; it turns into a SQL condition that
//! every list, count, DataLoader and single read of that type adds to its WHERE clause.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use entities::{linkage_group, linkage_group_member, organization, user_account};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, QueryFilter, QuerySelect, QueryTrait,
    sea_query::{Expr, ExprTrait, Query},
};
use uuid::Uuid;

use super::{Authz, Role};

/// Organizations whose path starts with `path` (which ends in `/`): a range on the path index.
/// Path characters are hex digits and `/`, and `0` is the character right after `/`.
///
/// The bounds are written into the SQL as literals, not bound as parameters, so that the planner
/// always sees how big the subtree is. With parameters, PostgreSQL switches a prepared statement
/// to a generic plan after five executions, planned for a subtree of a few organizations: for a
/// town's 517 organizations that plan counted its calendar in 800 ms instead of 25 ms. A path is
/// made of hex digits and `/` only; anything else (never stored) is bound as a parameter.
pub fn subtree_condition(path: &str) -> Condition {
    use sea_orm::sea_query::{Expr, ExprTrait};
    let upper = format!("{}0", path.trim_end_matches('/'));
    let plain = |p: &str| p.bytes().all(|b| b == b'/' || b.is_ascii_hexdigit());
    if !(plain(path) && plain(&upper)) {
        return Condition::all()
            .add(organization::Column::Path.gte(path))
            .add(organization::Column::Path.lt(upper));
    }
    let column = || Expr::col(organization::Column::Path.as_column_ref());
    Condition::all()
        .add(column().gte(Expr::cust(format!("'{path}'"))))
        .add(column().lt(Expr::cust(format!("'{upper}'"))))
}

/// Rows of an outer table that a link table (an activity's participants, an item's responsible
/// organizations) ties to an organization under one of `paths`: `EXISTS (SELECT 1 FROM link JOIN
/// organization ON organization.id = link.organization WHERE link.key = outer AND organization.path
/// in a subtree)`.
///
/// Both engines test each outer row they meet through the link's key index and the
/// organization's primary key, so a page read in the outer table's order stops at the page and a
/// bounded count at its bound. With `outer IN (SELECT key FROM link WHERE organization IN
/// (subtree))` SQLite first read every link row of the subtree's organizations (every activity
/// of a town's 517 organizations, past ones too) and sorted them by start before it had a page.
pub fn linked_to_subtrees<L: ColumnTrait, O: ColumnTrait>(
    link_key: L,
    link_organization: L,
    outer: O,
    paths: &[String],
) -> Condition {
    if paths.is_empty() {
        return never();
    }
    let mut subtrees = Condition::any();
    for path in paths {
        subtrees = subtrees.add(subtree_condition(path));
    }
    let linked = Query::select()
        .expr(Expr::cust("1"))
        .from(link_organization.entity_name())
        .inner_join(
            organization::Entity,
            Expr::col(organization::Column::Id.as_column_ref())
                .equals(link_organization.as_column_ref()),
        )
        .and_where(Expr::col(link_key.as_column_ref()).equals(outer.as_column_ref()))
        .cond_where(subtrees)
        .to_owned();
    Condition::all().add(Expr::exists(linked))
}

/// A grant of the viewer, with the domain pattern Casbin sees.
#[derive(Debug, Clone)]
pub struct GrantInfo {
    pub role: Role,
    /// The organization and its current path, for organization grants.
    pub organization: Option<(Uuid, String)>,
    pub linkage_group: Option<Uuid>,
    pub pattern: String,
}

/// The domains under which one action on one object type is allowed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    pub all: bool,
    /// Organization subtrees, as materialized paths.
    pub subtree_paths: Vec<String>,
    pub group_ids: Vec<Uuid>,
}

fn never() -> Condition {
    Condition::all().add(Expr::val(1).eq(0))
}

impl Scope {
    pub fn everything() -> Self {
        Self {
            all: true,
            ..Self::default()
        }
    }

    pub fn is_empty(&self) -> bool {
        !self.all && self.subtree_paths.is_empty() && self.group_ids.is_empty()
    }

    /// Whether an organization with this path, currently in these groups, is in scope.
    pub fn covers_organization(&self, path: &str, groups: &[Uuid]) -> bool {
        self.all
            || self
                .subtree_paths
                .iter()
                .any(|p| path.starts_with(p.as_str()))
            || groups.iter().any(|g| self.group_ids.contains(g))
    }

    /// `column IN (organizations in scope)`, for tables that belong to an organization.
    pub fn organization_condition<C: ColumnTrait>(&self, column: C) -> Condition {
        if self.all {
            return Condition::all();
        }
        if self.is_empty() {
            return never();
        }
        let mut any = Condition::any();
        for path in &self.subtree_paths {
            let subtree = organization::Entity::find()
                .select_only()
                .column(organization::Column::Id)
                .filter(subtree_condition(path))
                .into_query();
            any = any.add(column.in_subquery(subtree));
        }
        if !self.group_ids.is_empty() {
            let members = linkage_group_member::Entity::find()
                .select_only()
                .column(linkage_group_member::Column::OrganizationId)
                .filter(linkage_group_member::Column::LinkageGroupId.is_in(self.group_ids.clone()))
                .filter(linkage_group_member::Column::LeftOn.is_null())
                .into_query();
            any = any.add(column.in_subquery(members));
        }
        any
    }

    /// Rows of an outer table that a link table ties to an organization in scope (see
    /// `linked_to_subtrees`), or to a member of a linkage group in scope.
    pub fn linked_condition<L: ColumnTrait, O: ColumnTrait>(
        &self,
        link_key: L,
        link_organization: L,
        outer: O,
    ) -> Condition {
        if self.all {
            return Condition::all();
        }
        if self.is_empty() {
            return never();
        }
        let mut any = Condition::any();
        if !self.subtree_paths.is_empty() {
            any = any.add(linked_to_subtrees(
                link_key,
                link_organization,
                outer,
                &self.subtree_paths,
            ));
        }
        if !self.group_ids.is_empty() {
            let members = Self {
                all: false,
                subtree_paths: Vec::new(),
                group_ids: self.group_ids.clone(),
            };
            let linked = Query::select()
                .column(link_key.as_column_ref())
                .from(link_key.entity_name())
                .cond_where(members.organization_condition(link_organization))
                .to_owned();
            any = any.add(Expr::col(outer.as_column_ref()).in_subquery(linked));
        }
        any
    }

    /// Linkage groups in scope: granted ones, and those a covered organization belongs to.
    pub fn linkage_group_condition(&self) -> Condition {
        if self.all {
            return Condition::all();
        }
        if self.is_empty() {
            return never();
        }
        let mut any = Condition::any();
        if !self.group_ids.is_empty() {
            any = any.add(linkage_group::Column::Id.is_in(self.group_ids.clone()));
        }
        if !self.subtree_paths.is_empty() {
            let by_member = Self {
                all: false,
                subtree_paths: self.subtree_paths.clone(),
                group_ids: Vec::new(),
            };
            let groups = linkage_group_member::Entity::find()
                .select_only()
                .column(linkage_group_member::Column::LinkageGroupId)
                .filter(linkage_group_member::Column::LeftOn.is_null())
                .filter(
                    by_member.organization_condition(linkage_group_member::Column::OrganizationId),
                )
                .into_query();
            any = any.add(linkage_group::Column::Id.in_subquery(groups));
        }
        any
    }
}

/// The signed-in user of a request, with the grants read from the database with it.
pub struct Viewer {
    pub user: user_account::Model,
    pub grants: Vec<GrantInfo>,
    authz: Arc<Authz>,
    /// Scopes computed during this request; the viewer lives for one request (or one socket
    /// operation), so they cannot outlive the grants they come from.
    scopes: Mutex<HashMap<(&'static str, &'static str), Scope>>,
}

impl std::fmt::Debug for Viewer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Viewer")
            .field("user", &self.user.id)
            .field("grants", &self.grants)
            .finish_non_exhaustive()
    }
}

impl Viewer {
    pub fn new(user: user_account::Model, grants: Vec<GrantInfo>, authz: Arc<Authz>) -> Self {
        Self {
            user,
            grants,
            authz,
            scopes: Mutex::new(HashMap::new()),
        }
    }

    pub fn id(&self) -> Uuid {
        self.user.id
    }

    pub fn is_admin(&self) -> bool {
        self.grants.iter().any(|g| g.role == Role::Admin)
    }

    /// Casbin's answer for one object that lives in `domains` (an organization's domain and the
    /// domains of the groups it belongs to): does any grant allow it?
    pub fn allows(&self, object: &str, action: &str, domains: &[String]) -> bool {
        self.grants.iter().any(|grant| {
            domains.iter().any(|domain| {
                self.authz
                    .enforce(grant.role, &grant.pattern, domain, object, action, false)
            })
        })
    }

    /// Whether one of the viewer's grants lets it do `action` on `object`s that belong to it
    /// (Casbin's `own` rules, e.g. a mentor's pairings), asked in each grant's own domain.
    pub fn owns(&self, object: &str, action: &str) -> bool {
        self.grants
            .iter()
            .any(|grant| self.authz.role_may(grant.role, object, action, true))
    }

    /// Where the viewer's `own` rules for `action` on `object` hold: the domains of the grants
    /// whose role Casbin allows it on objects that belong to the viewer (a first secretary's
    /// village, for the pairings they mentor there).
    pub fn own_scope(&self, object: &str, action: &str) -> Scope {
        let mut scope = Scope::default();
        for grant in &self.grants {
            if !self.authz.role_may(grant.role, object, action, true) {
                continue;
            }
            match (&grant.organization, grant.linkage_group) {
                (Some((_, path)), _) => scope.subtree_paths.push(path.clone()),
                (None, Some(group)) => scope.group_ids.push(group),
                (None, None) => scope.all = true,
            }
        }
        scope
    }

    /// The person behind the account, if any: what "their own" pairings and sessions refer to.
    pub fn person_id(&self) -> Option<Uuid> {
        self.user.person_id
    }

    /// Where the viewer may do `action` on objects of type `object`: the grants whose role Casbin
    /// allows it, asked in the grant's own domain.
    pub fn scope(&self, object: &'static str, action: &'static str) -> Scope {
        if let Some(scope) = self
            .scopes
            .lock()
            .ok()
            .and_then(|s| s.get(&(object, action)).cloned())
        {
            return scope;
        }
        let mut scope = Scope::default();
        for grant in &self.grants {
            if !self.authz.role_may(grant.role, object, action, false) {
                continue;
            }
            match (&grant.organization, grant.linkage_group) {
                (Some((_, path)), _) => scope.subtree_paths.push(path.clone()),
                (None, Some(group)) => scope.group_ids.push(group),
                (None, None) => scope.all = true,
            }
        }
        if let Ok(mut scopes) = self.scopes.lock() {
            scopes.insert((object, action), scope.clone());
        }
        scope
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::{DatabaseBackend, EntityTrait, QueryFilter, QueryTrait};

    use super::*;

    fn sql(path: &str) -> sea_orm::Statement {
        organization::Entity::find()
            .filter(subtree_condition(path))
            .build(DatabaseBackend::Postgres)
    }

    #[test]
    fn a_subtree_is_a_range_written_into_the_statement() {
        let built = sql("/0a1b/2c3d/");
        assert!(
            built.sql.ends_with(
                r#"WHERE "organization"."path" >= ('/0a1b/2c3d/') AND "organization"."path" < ('/0a1b/2c3d0')"#
            ),
            "{}",
            built.sql
        );
        assert_eq!(built.values.map(|v| v.0.len()).unwrap_or_default(), 0);
    }

    #[test]
    fn a_path_with_other_characters_is_bound_as_parameters() {
        let built = sql("/x'; DROP TABLE organization; --/");
        assert!(
            built
                .sql
                .ends_with(r#"WHERE "organization"."path" >= $1 AND "organization"."path" < $2"#),
            "{}",
            built.sql
        );
        assert_eq!(built.values.map(|v| v.0.len()), Some(2));
    }
}
