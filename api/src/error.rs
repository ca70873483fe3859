//! One error type for the whole server. Each variant maps to a stable `extensions.code` of the API
//! (DESIGN 3); database errors are classified here so that services can simply use `?`. How an
//! error is shown to GraphQL clients is decided in `graphql::errors`: nothing here knows GraphQL.

use chrono::{DateTime, Utc};
use sea_orm::{DbErr, SqlErr};
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("sign in first")]
    Unauthenticated,
    #[error("not allowed")]
    Forbidden,
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{message}")]
    BadUserInput { field: String, message: String },
    #[error("{message}")]
    Conflict {
        message: String,
        details: ConflictDetails,
    },
    #[error("cannot go from {from} to {to}")]
    InvalidTransition { from: String, to: String },
    #[error("too many attempts; try again in {retry_after_secs} seconds")]
    RateLimited { retry_after_secs: u64 },
    /// Anything unexpected. The text is logged once and never shown to clients.
    #[error("internal error")]
    Internal(String),
}

/// What a CONFLICT tells the caller besides its message. Fields are named as the domain names
/// them (the same camelCase names the API uses); ids are the records' own UUIDs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ConflictDetails {
    /// Nothing more: the message says it all, or must not say more.
    #[default]
    None,
    /// A value that must be unique is taken (or a membership that must be single exists).
    Taken { field: String },
    /// The record changed since the version the caller read.
    StaleVersion { field: String, current_version: i32 },
    /// No room is left: `capacity` is the most the record holds.
    Full { field: String, capacity: i32 },
    /// The bookings a schedule clashes with, each as far as the caller may see it.
    Clashes(Vec<ScheduleClash>),
    /// Another first-secretary posting of the same person (`field` = `personId`) or to the same
    /// organization (`organizationId`) meets the dates; its id only when the caller may read it.
    Posting {
        field: String,
        assignment_id: Option<Uuid>,
    },
}

/// One clash of a booking with a joint activity: the other activity (when the caller may read
/// it), the caller's organization or venue they share, and the other activity's time range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleClash {
    /// A joint activity's id; `None` when the caller may not read it (busy time only).
    pub activity_id: Option<Uuid>,
    /// An organization's id: one of the caller's own organizations.
    pub organization_id: Option<Uuid>,
    pub venue: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::BadUserInput {
            field: field.into(),
            message: message.into(),
        }
    }

    /// CONFLICT without details.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::Conflict {
            message: message.into(),
            details: ConflictDetails::None,
        }
    }

    /// CONFLICT: the value of `field` is taken.
    pub fn taken(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Conflict {
            message: message.into(),
            details: ConflictDetails::Taken {
                field: field.into(),
            },
        }
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        Self::Internal(e.to_string())
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::NotFound(_) => "NOT_FOUND",
            Self::BadUserInput { .. } => "BAD_USER_INPUT",
            Self::Conflict { .. } => "CONFLICT",
            Self::InvalidTransition { .. } => "INVALID_TRANSITION",
            Self::RateLimited { .. } => "RATE_LIMITED",
            Self::Internal(_) => "INTERNAL",
        }
    }
}

impl From<DbErr> for AppError {
    fn from(e: DbErr) -> Self {
        match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => {
                return Self::conflict("a record with the same unique value already exists");
            }
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => {
                return Self::bad_input("id", "a referenced record does not exist");
            }
            _ => {}
        }
        match e {
            DbErr::RecordNotFound(_) => Self::NotFound("record"),
            other => Self::Internal(other.to_string()),
        }
    }
}
