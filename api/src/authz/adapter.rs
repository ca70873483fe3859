//! A Casbin adapter over SeaORM (the published sea-orm-adapter targets SeaORM 1). Policy lines
//! come from `casbin_rule`; grant lines are built from `role_grant` with the scope's current
//! domain, so a grant follows its organization when the tree changes.

use std::collections::HashMap;

use async_trait::async_trait;
use casbin::{Adapter, Filter, Model, Result};
use entities::{casbin_rule, organization, role_grant};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::{group_domain, organization_domain};

pub struct SeaOrmAdapter {
    db: DatabaseConnection,
}

impl SeaOrmAdapter {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

fn adapter_error(e: impl std::fmt::Display) -> casbin::Error {
    casbin::Error::from(casbin::error::AdapterError(Box::new(
        std::io::Error::other(e.to_string()),
    )))
}

/// The Casbin `g` line values of every grant: user id, role, domain pattern.
pub async fn grant_lines(
    db: &DatabaseConnection,
) -> std::result::Result<Vec<Vec<String>>, sea_orm::DbErr> {
    let grants = role_grant::Entity::find().all(db).await?;
    let org_ids: Vec<_> = grants.iter().filter_map(|g| g.organization_id).collect();
    let paths: HashMap<_, _> = organization::Entity::find()
        .filter(organization::Column::Id.is_in(org_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.path))
        .collect();
    Ok(grants
        .into_iter()
        .filter_map(|g| {
            let domain = match (g.organization_id, g.linkage_group_id) {
                (Some(org), _) => format!("{}*", organization_domain(paths.get(&org)?)),
                (None, Some(group)) => format!("{}*", group_domain(group)),
                (None, None) => "/*".to_owned(),
            };
            Some(vec![g.user_id.simple().to_string(), g.role, domain])
        })
        .collect())
}

#[async_trait]
impl Adapter for SeaOrmAdapter {
    async fn load_policy(&mut self, m: &mut dyn Model) -> Result<()> {
        let rules = casbin_rule::Entity::find()
            .all(&self.db)
            .await
            .map_err(adapter_error)?;
        for rule in rules {
            let values: Vec<String> = [rule.v0, rule.v1, rule.v2, rule.v3, rule.v4, rule.v5]
                .into_iter()
                .filter(|v| !v.is_empty())
                .collect();
            let sec = if rule.ptype.starts_with('g') {
                "g"
            } else {
                "p"
            };
            m.add_policy(sec, &rule.ptype, values);
        }
        for line in grant_lines(&self.db).await.map_err(adapter_error)? {
            m.add_policy("g", "g", line);
        }
        Ok(())
    }

    async fn load_filtered_policy<'a>(&mut self, m: &mut dyn Model, _f: Filter<'a>) -> Result<()> {
        self.load_policy(m).await
    }

    // Grants are written through the role_grant table (with their audit entry, in the
    // mutation's transaction), never through the enforcer: the write half is a no-op.
    async fn save_policy(&mut self, _m: &mut dyn Model) -> Result<()> {
        Ok(())
    }

    async fn clear_policy(&mut self) -> Result<()> {
        Ok(())
    }

    fn is_filtered(&self) -> bool {
        false
    }

    async fn add_policy(&mut self, _sec: &str, _ptype: &str, _rule: Vec<String>) -> Result<bool> {
        Ok(false)
    }

    async fn add_policies(
        &mut self,
        _sec: &str,
        _ptype: &str,
        _rules: Vec<Vec<String>>,
    ) -> Result<bool> {
        Ok(false)
    }

    async fn remove_policy(
        &mut self,
        _sec: &str,
        _ptype: &str,
        _rule: Vec<String>,
    ) -> Result<bool> {
        Ok(false)
    }

    async fn remove_policies(
        &mut self,
        _sec: &str,
        _ptype: &str,
        _rules: Vec<Vec<String>>,
    ) -> Result<bool> {
        Ok(false)
    }

    async fn remove_filtered_policy(
        &mut self,
        _sec: &str,
        _ptype: &str,
        _field_index: usize,
        _field_values: Vec<String>,
    ) -> Result<bool> {
        Ok(false)
    }
}
