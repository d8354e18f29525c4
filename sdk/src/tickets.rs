//! Reading tickets (capability `tickets`).
//!
//! ```no_run
//! use triage_plugin_sdk::tickets;
//!
//! # fn main() -> Result<(), triage_plugin_sdk::HostError> {
//! if let Some(ticket) = tickets::get(42)? {
//!     let others = tickets::search(&format!("requester:{}", ticket.requester.email), 10)?;
//!     # let _ = others;
//! }
//! # Ok(()) }
//! ```

use crate::bindings::triage::plugin::tickets as host;
use crate::{HostError, Message, Ticket};

/// The ticket with this id, if it exists.
///
/// ```no_run
/// let ticket = triage_plugin_sdk::tickets::get(7);
/// ```
pub fn get(id: u64) -> Result<Option<Ticket>, HostError> {
    host::get(id)
}

/// The ticket's messages, oldest first, at most `limit`.
///
/// ```no_run
/// let messages = triage_plugin_sdk::tickets::messages(7, 50);
/// ```
pub fn messages(id: u64, limit: u32) -> Result<Vec<Message>, HostError> {
    host::messages(id, limit)
}

/// Tickets matching a query in the search language, best first, at most `limit`.
///
/// ```no_run
/// let urgent = triage_plugin_sdk::tickets::search("priority:urgent status:open", 20);
/// ```
pub fn search(query: &str, limit: u32) -> Result<Vec<Ticket>, HostError> {
    host::search(query, limit)
}

/// How many tickets match a query in the search language (contract 0.1.1).
///
/// ```no_run
/// let open = triage_plugin_sdk::tickets::count("requester:ada@example.com -category:closed");
/// ```
pub fn count(query: &str) -> Result<u64, HostError> {
    host::count(query)
}
