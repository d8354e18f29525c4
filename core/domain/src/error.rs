//! Why a command breaks a domain rule.

/// A rule of the model that a command would break. Every variant is the caller's fault
/// and carries a message a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// A value is not one of those the field accepts.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// The status change is not one of the allowed transitions.
    #[error("a ticket cannot go from {from} to {to}")]
    Transition { from: String, to: String },
    /// The ticket is closed and cannot change any more.
    #[error("ticket #{0} is closed and read-only; a reply opens a follow-up ticket")]
    Closed(i64),
    /// The actor may not do this.
    #[error("{0}")]
    Forbidden(String),
}

impl DomainError {
    /// Shorthand for [`DomainError::Invalid`].
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        DomainError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}
