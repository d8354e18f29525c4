//! Repositories: typed reads and writes over one connection or transaction.
//!
//! [`Repos`] borrows either the read pool (from [`crate::Store::read`]) or a write job's
//! transaction (from [`crate::Tx::repos`]); the methods are the same, so a command reads
//! what it is about to change inside its own transaction.

use sea_orm::ConnectionTrait;

use crate::Backend;

pub mod auth;
mod directory;
pub mod events;
pub mod messages;
pub mod plugins;
mod rules;
mod search;
mod settings;
mod sla;
pub(crate) mod tickets;
mod views;

pub use tickets::{AssigneeFilter, Cursor, SortField, TicketFilter, TicketSort};

/// Repository methods over one connection.
#[derive(Debug, Clone, Copy)]
pub struct Repos<'a, C> {
    pub(crate) conn: &'a C,
    pub(crate) backend: Backend,
    /// In a write job: where appended events wait for the batch to write them together.
    pub(crate) events: Option<&'a std::sync::Mutex<Vec<events::NewEvent>>>,
    /// In a write job: the ticket numbers its batch reserved.
    pub(crate) numbers: Option<&'a std::sync::Mutex<crate::writer::NumberBlock>>,
    /// In a write job: the final tag set of each ticket it changed.
    pub(crate) tags: Option<&'a std::sync::Mutex<std::collections::BTreeMap<i64, Vec<String>>>>,
}

impl<'a, C: ConnectionTrait> Repos<'a, C> {
    pub(crate) fn new(conn: &'a C, backend: Backend) -> Self {
        Repos {
            conn,
            backend,
            events: None,
            numbers: None,
            tags: None,
        }
    }

    /// Which database these repositories talk to.
    pub fn backend(&self) -> Backend {
        self.backend
    }
}

/// Reads a JSON array of strings, tolerating anything else as empty.
pub fn json_strings(value: &serde_json::Value) -> Vec<String> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}
