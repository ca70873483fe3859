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

    /// Rebuilds the policy whenever another replica announces a change. Listening has begun
    /// when this returns, so no announcement made afterwards is missed; the loop then runs until
    /// the process ends, and a lost connection is retried every second.
    pub async fn start_listener(&self, db: DatabaseConnection, authz: Arc<Authz>) -> AppResult<()> {
        if db.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let listener = self
            .connect(&db)
            .await
            .map_err(crate::error::AppError::internal)?;
        let sync = self.clone();
        tokio::spawn(async move {
            let mut listener = Some(listener);
            loop {
                let current = match listener.take() {
                    Some(current) => current,
                    None => {
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        match sync.connect(&db).await {
                            Ok(current) => {
                                // Announcements made while the listener was down are caught
                                // up on by reloading once listening again.
                                if let Err(e) = authz.reload(&db).await {
                                    tracing::warn!(error = %e, "policy reload failed");
                                }
                                current
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, "policy listener cannot connect; retrying");
                                continue;
                            }
                        }
                    }
                };
                if let Err(e) = sync.follow(current, &db, &authz).await {
                    tracing::warn!(error = %e, "policy listener stopped; retrying");
                }
            }
        });
        Ok(())
    }

    async fn connect(
        &self,
        db: &DatabaseConnection,
    ) -> Result<sea_orm::sqlx::postgres::PgListener, sea_orm::sqlx::Error> {
        let mut listener =
            sea_orm::sqlx::postgres::PgListener::connect_with(db.get_postgres_connection_pool())
                .await?;
        listener.listen(&self.channel).await?;
        Ok(listener)
    }

    async fn follow(
        &self,
        mut listener: sea_orm::sqlx::postgres::PgListener,
        db: &DatabaseConnection,
        authz: &Authz,
    ) -> Result<(), sea_orm::sqlx::Error> {
        let me = self.replica.to_string();
        loop {
            let notification = listener.recv().await?;
            if notification.payload() == me {
                continue;
            }
            if let Err(e) = authz.reload(db).await {
                tracing::warn!(error = %e, "policy reload failed");
            }
        }
    }
}
