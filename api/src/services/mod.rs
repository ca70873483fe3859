//! Domain logic, one module per domain. Functions take `&impl ConnectionTrait` so that the same
//! code runs on a pool or inside a transaction; nothing here knows about GraphQL.

pub mod accounts;
pub mod activities;
pub mod areas;
pub mod attempts;
pub mod audit;
pub mod calendar;
pub mod demo;
pub mod demo_data;
pub mod linkage_groups;
pub mod organizations;
pub mod pagination;
pub mod people;
pub mod values;

use uuid::Uuid;

/// Who is acting, for the audit trail.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    /// The signed-in user, `None` for anonymous callers and the system.
    pub user_id: Option<Uuid>,
    /// The HTTP request id, so an audit entry can be matched with the logs.
    pub request_id: Option<String>,
}

/// A new id: UUID v7, so ids sort by creation time.
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}

/// The current time, truncated to microseconds (what PostgreSQL keeps), so that values read back
/// compare equal to the values written.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    chrono::Utc::now().trunc_subsecs(6)
}

/// `LOWER(column) LIKE '%needle%'`, with the needle's own `%` and `_` taken literally. Works for
/// Chinese text on SQLite and PostgreSQL alike (a substring match, not a word match).
pub fn text_contains<C: sea_orm::ColumnTrait>(column: C, needle: &str) -> sea_orm::sea_query::Expr {
    use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
    let escaped = needle
        .trim()
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    Expr::expr(Func::lower(Expr::col(column.as_column_ref())))
        .like(LikeExpr::new(format!("%{escaped}%")).escape('\\'))
}
