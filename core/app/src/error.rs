//! The application's errors, each one the HTTP layer maps to a status and a stable code.

use triage_domain::DomainError;
use triage_store::StoreError;

use crate::tickets::TicketView;

/// Why a command or query did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A domain rule refused the command.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The thing named does not exist, or the actor may not know it exists.
    #[error("{0} not found")]
    NotFound(String),
    /// The ticket changed since the version the change was based on.
    #[error("ticket #{} was changed by someone else (now at version {}); reload and try again", .current.ticket.id, .current.ticket.version)]
    StaleVersion { current: Box<TicketView> },
    /// Something with the same unique name already exists, or the request conflicts.
    #[error("{0}")]
    Conflict(String),
    /// No valid credentials.
    #[error("{0}")]
    Unauthenticated(String),
    /// Too large an upload.
    #[error("{0}")]
    TooLarge(String),
    /// A malformed request that no field rule covers.
    #[error("{0}")]
    BadRequest(String),
    /// A search query that cannot be read.
    #[error("{message} (at column {column})")]
    InvalidQuery { message: String, column: usize },
    /// A rule script that does not compile.
    #[error("{message} (line {line}, column {column})")]
    Script {
        message: String,
        line: usize,
        column: usize,
    },
    /// A part of the service is not running or not ready.
    #[error("{0}")]
    Unavailable(String),
    /// Storage failed.
    #[error(transparent)]
    Store(StoreError),
    /// Anything else that is not the caller's fault.
    #[error("{0}")]
    Internal(String),
}

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict(what) => AppError::Conflict(format!("{what} already exists")),
            other => AppError::Store(other),
        }
    }
}

impl AppError {
    /// Shorthand for a 422 on one field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> AppError {
        AppError::Domain(DomainError::invalid(field, message))
    }

    /// Shorthand for a 403.
    pub fn forbidden(message: impl Into<String>) -> AppError {
        AppError::Domain(DomainError::Forbidden(message.into()))
    }

    /// Shorthand for a 404 of a ticket.
    pub fn ticket_not_found(id: i64) -> AppError {
        AppError::NotFound(format!("ticket #{id}"))
    }
}

/// The result of an application call.
pub type AppResult<T> = Result<T, AppError>;
