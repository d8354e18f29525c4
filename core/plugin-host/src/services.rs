//! What the host needs from the application: storage, tickets, mail and the log. The
//! application implements [`Services`]; the host checks grants before calling it.

use async_trait::async_trait;
use thiserror::Error;

use crate::types::{LogLevel, Message, OutgoingMail, Ticket};

/// A failure of a service, handed to the plugin as a host error.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ServiceError {
    #[error("quota exceeded: {0}")]
    QuotaExceeded(String),
    #[error("invalid: {0}")]
    Invalid(String),
    #[error("unavailable: {0}")]
    Unavailable(String),
}

/// The application's side of the host imports.
#[async_trait]
pub trait Services: Send + Sync + 'static {
    /// The value under `key` in the plugin's store.
    async fn kv_get(&self, plugin: &str, key: &str) -> Result<Option<Vec<u8>>, ServiceError>;
    /// Stores a value, refusing with `QuotaExceeded` when the plugin's keys and values
    /// would come to more than `quota` bytes.
    async fn kv_set(
        &self,
        plugin: &str,
        key: &str,
        value: Vec<u8>,
        quota: u64,
    ) -> Result<(), ServiceError>;
    /// Removes a key; true if it was there.
    async fn kv_delete(&self, plugin: &str, key: &str) -> Result<bool, ServiceError>;
    /// Keys with a prefix, in order.
    async fn kv_keys(
        &self,
        plugin: &str,
        prefix: &str,
        limit: u32,
    ) -> Result<Vec<String>, ServiceError>;
    /// A ticket, as plugins see it.
    async fn ticket(&self, id: u64) -> Result<Option<Ticket>, ServiceError>;
    /// A ticket's messages, oldest first.
    async fn messages(&self, ticket_id: u64, limit: u32) -> Result<Vec<Message>, ServiceError>;
    /// A search in the query language, over every ticket.
    async fn search(&self, query: &str, limit: u32) -> Result<Vec<Ticket>, ServiceError>;
    /// How many tickets a search in the query language matches.
    async fn count(&self, query: &str) -> Result<u64, ServiceError>;
    /// Hands a mail to the transport; returns its `Message-ID`.
    async fn send_mail(&self, plugin: &str, mail: OutgoingMail) -> Result<String, ServiceError>;
    /// Writes a line to the plugin's log.
    fn log(&self, plugin: &str, level: LogLevel, message: &str);
}
