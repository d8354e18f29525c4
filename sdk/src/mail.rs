//! Sending mail through the server's mail transport (capability `mail`).
//!
//! ```no_run
//! use triage_plugin_sdk::mail::{send, Outgoing};
//!
//! let id = send(&Outgoing {
//!     to: vec!["oncall@example.com".into()],
//!     subject: "Ticket #42 breached its SLA".into(),
//!     text: "See the ticket.".into(),
//!     html: None,
//!     headers: Vec::new(),
//! });
//! ```

use crate::HostError;
use crate::bindings::triage::plugin::mail as host;

pub use host::Outgoing;

/// Hands the mail to the transport; returns its `Message-ID`.
///
/// ```no_run
/// # use triage_plugin_sdk::mail::{send, Outgoing};
/// let sent = send(&Outgoing {
///     to: vec!["a@example.com".into()],
///     subject: "Hi".into(),
///     text: "Hello".into(),
///     html: None,
///     headers: Vec::new(),
/// });
/// ```
pub fn send(mail: &Outgoing) -> Result<String, HostError> {
    host::send(mail)
}
