//! Keeps replicas' policies in step: a replica that changes grants or the organization tree
//! rebuilds its own policy and announces it with PostgreSQL NOTIFY; every replica LISTENs and
//! rebuilds too, within a second. SQLite deployments are a single node and need none of this.

use std::{sync::Arc, time::Duration};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use uuid::Uuid;

use super::Authz;
use crate::error::AppResult;

/// The channel of one deployment (one schema), and this replica's name on it.
#[derive(Debug, Clone)]
pub struct PolicySync {
    channel: String,
    replica: Uuid,
}

impl PolicySync {
    pub fn new(schema: Option<&str>) -> Self {
        let schema: String = schema
            .unwrap_or("public")
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(40)
            .collect();
        Self {
            channel: format!("lianjian_policy_{schema}"),
            replica: Uuid::now_v7(),
        }
    }

    /// Tells the other replicas that the policy changed.
    pub async fn announce(&self, db: &DatabaseConnection) -> AppResult<()> {
        if db.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        db.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [self.channel.clone().into(), self.replica.to_string().into()],
        ))
        .await?;
        Ok(())
    }

    /// Rebuilds the policy whenever another replica announces a change. Runs until the process
    /// ends; a lost connection is retried every second.
    pub fn spawn_listener(&self, db: DatabaseConnection, authz: Arc<Authz>) {
        if db.get_database_backend() != DbBackend::Postgres {
            return;
        }
        let sync = self.clone();
        tokio::spawn(async move {
            let mut reconnect = false;
            loop {
                if let Err(e) = sync.listen(&db, &authz, reconnect).await {
                    tracing::warn!(error = %e, "policy listener stopped; retrying");
                }
                reconnect = true;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }

    async fn listen(
        &self,
        db: &DatabaseConnection,
        authz: &Authz,
        reconnect: bool,
    ) -> Result<(), sea_orm::sqlx::Error> {
        let mut listener =
            sea_orm::sqlx::postgres::PgListener::connect_with(db.get_postgres_connection_pool())
                .await?;
        listener.listen(&self.channel).await?;
        // Changes announced while the listener was down are picked up now.
        if reconnect && let Err(e) = authz.reload(db).await {
            tracing::warn!(error = %e, "policy reload failed");
        }
        loop {
            let notification = listener.recv().await?;
            if notification.payload() == self.replica.to_string() {
                continue;
            }
            if let Err(e) = authz.reload(db).await {
                tracing::warn!(error = %e, "policy reload failed");
            }
        }
    }
}
