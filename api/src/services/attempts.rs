//! Attempt counters for guesses at secrets (sign-in, the current password). An attempt is counted
//! before the secret is checked, by one upsert that either takes a place in the window or refuses,
//! so parallel attempts on any number of connections or replicas never get past the limit.

use chrono::{DateTime, Duration, Utc};
use entities::attempt_counter::{self, Column};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    sea_query::{Expr, ExprTrait, OnConflict, Query},
};

use crate::error::{AppError, AppResult};

/// What is counted, how many attempts a window allows, and how long a window lasts.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub kind: &'static str,
    pub max: i32,
    pub window_minutes: i64,
}

impl Limit {
    fn window(&self) -> Duration {
        Duration::minutes(self.window_minutes)
    }
}

/// A counted attempt: its number within the window, and the window it was counted in.
#[derive(Debug, Clone, Copy)]
pub struct Attempt {
    pub number: i32,
    pub window_started_at: DateTime<Utc>,
}

/// Counts one attempt on `subject`, or refuses with RATE_LIMITED (and the seconds until the
/// window ends) when the window already holds `limit.max` attempts. A refused attempt is not
/// counted, so hammering a closed window does not keep it closed.
pub async fn count(
    db: &impl ConnectionTrait,
    limit: &Limit,
    subject: &str,
    now: DateTime<Utc>,
) -> AppResult<Attempt> {
    let ended =
        Expr::col((attempt_counter::Entity, Column::WindowStartedAt)).lte(now - limit.window());
    let attempts = Expr::col((attempt_counter::Entity, Column::Attempts));
    let mut upsert = Query::insert();
    upsert
        .into_table(attempt_counter::Entity)
        .columns([
            Column::Kind,
            Column::Subject,
            Column::WindowStartedAt,
            Column::Attempts,
        ])
        .values([limit.kind.into(), subject.into(), now.into(), 1i32.into()])
        .map_err(AppError::internal)?
        .on_conflict(
            OnConflict::columns([Column::Kind, Column::Subject])
                .value(
                    Column::Attempts,
                    Expr::case(ended.clone(), 1i32).finally(attempts.clone().add(1i32)),
                )
                .value(
                    Column::WindowStartedAt,
                    Expr::case(ended.clone(), now).finally(Expr::col((
                        attempt_counter::Entity,
                        Column::WindowStartedAt,
                    ))),
                )
                // A full window is left as it is: the upsert then returns no row.
                .action_and_where(ended.or(attempts.lt(limit.max)))
                .to_owned(),
        )
        .returning(Query::returning().columns([Column::Attempts, Column::WindowStartedAt]));
    if let Some(row) = db.query_one(&upsert).await? {
        return Ok(Attempt {
            number: row.try_get("", "attempts")?,
            window_started_at: row.try_get("", "window_started_at")?,
        });
    }
    let started = attempt_counter::Entity::find_by_id((limit.kind.to_owned(), subject.to_owned()))
        .one(db)
        .await?
        .map(|c| c.window_started_at)
        .unwrap_or(now);
    Err(rate_limited(limit, started, now))
}

/// RATE_LIMITED (with the seconds until the window ends) when `subject`'s window already holds
/// `limit.max` attempts; counts nothing.
pub async fn check(
    db: &impl ConnectionTrait,
    limit: &Limit,
    subject: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let counter = attempt_counter::Entity::find_by_id((limit.kind.to_owned(), subject.to_owned()))
        .one(db)
        .await?;
    match counter {
        Some(c) if c.window_started_at > now - limit.window() && c.attempts >= limit.max => {
            Err(rate_limited(limit, c.window_started_at, now))
        }
        _ => Ok(()),
    }
}

/// The condition under which [`check`] refuses, as SQL: `subject`'s counter for `limit` is full
/// within its window. For a statement that must do nothing once the limit is reached.
pub fn reached(limit: &Limit, subject: &str, now: DateTime<Utc>) -> Expr {
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(attempt_counter::Entity)
            .and_where(Column::Kind.eq(limit.kind))
            .and_where(Column::Subject.eq(subject))
            .and_where(Column::WindowStartedAt.gt(now - limit.window()))
            .and_where(Column::Attempts.gte(limit.max))
            .to_owned(),
    )
}

fn rate_limited(limit: &Limit, window_started_at: DateTime<Utc>, now: DateTime<Utc>) -> AppError {
    let retry_after_secs =
        std::cmp::max((window_started_at + limit.window() - now).num_seconds(), 1) as u64;
    AppError::RateLimited { retry_after_secs }
}

/// Takes back `attempts` attempts of the window `attempt` was counted in: a success forgives
/// the attempts up to its own (as a success always cleared earlier failures), while attempts
/// counted after it, possibly still being checked, keep their places.
pub async fn forgive(
    db: &impl ConnectionTrait,
    limit: &Limit,
    subject: &str,
    attempt: Attempt,
    attempts: i32,
) -> AppResult<()> {
    let current = Expr::col(Column::Attempts);
    attempt_counter::Entity::update_many()
        .col_expr(
            Column::Attempts,
            Expr::case(current.clone().gt(attempts), current.sub(attempts))
                .finally(0i32)
                .into(),
        )
        .filter(Column::Kind.eq(limit.kind))
        .filter(Column::Subject.eq(subject))
        .filter(Column::WindowStartedAt.eq(attempt.window_started_at))
        .exec(db)
        .await?;
    Ok(())
}
