//! How a failed host call becomes a hook error.

use crate::{Error, HostError};

/// A failed host call becomes a hook error: worth retrying when the outside was
/// unavailable or slow, a plain failure otherwise. This makes `?` work in hooks.
impl From<HostError> for Error {
    fn from(e: HostError) -> Self {
        match e {
            HostError::Unavailable(m) => Error::Unavailable(m),
            HostError::Timeout => Error::Unavailable("a host call timed out".into()),
            HostError::Denied(m) => Error::Failed(format!("denied: {m}")),
            HostError::QuotaExceeded(m) => Error::Failed(format!("quota exceeded: {m}")),
            HostError::Invalid(m) => Error::Failed(format!("invalid: {m}")),
            HostError::TooLarge => Error::Failed("a host answer was too large".into()),
        }
    }
}
