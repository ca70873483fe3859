//! One error type for the whole server. Each variant maps to a stable `extensions.code` of the API
//! (DESIGN 3); database errors are classified here so that services can simply use `?`.

use async_graphql::ErrorExtensionValues;
use sea_orm::{DbErr, SqlErr};
use serde_json::Value as Json;

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
        details: Option<Json>,
    },
    #[error("cannot go from {from} to {to}")]
    InvalidTransition { from: String, to: String },
    #[error("too many attempts; try again in {retry_after_secs} seconds")]
    RateLimited { retry_after_secs: u64 },
    /// Anything unexpected. The text is logged once and never shown to clients.
    #[error("internal error")]
    Internal(String),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::BadUserInput {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::Conflict {
            message: message.into(),
            details: None,
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

    /// Writes this error's code and details into GraphQL error extensions.
    pub fn write_extensions(&self, ext: &mut ErrorExtensionValues) {
        ext.set("code", self.code());
        match self {
            Self::BadUserInput { field, .. } => ext.set("field", field.as_str()),
            Self::Conflict {
                details: Some(details),
                ..
            } => {
                if let Ok(value) = async_graphql::Value::from_json(details.clone()) {
                    if let async_graphql::Value::Object(map) = value {
                        for (key, value) in map {
                            ext.set(key.as_str(), value);
                        }
                    } else {
                        ext.set("details", value);
                    }
                }
            }
            Self::InvalidTransition { from, to } => {
                ext.set("from", from.as_str());
                ext.set("to", to.as_str());
            }
            Self::RateLimited { retry_after_secs } => ext.set("retryAfter", *retry_after_secs),
            _ => {}
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
