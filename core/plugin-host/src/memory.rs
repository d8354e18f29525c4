//! Services kept in memory: for the host's own tests and its benchmark, where the
//! application's database is not the thing measured.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::services::{ServiceError, Services};
use crate::types::{LogLevel, Message, OutgoingMail, Person, StatusCategory, Ticket};

/// A ticket to hand to hooks in tests and benchmarks: #1007, "Printer on fire", id 7.
pub fn sample_ticket() -> Ticket {
    Ticket {
        id: 7,
        number: 1007,
        subject: "Printer on fire".into(),
        status: "Open".into(),
        category: StatusCategory::Open,
        priority: "high".into(),
        kind: None,
        channel: "web".into(),
        requester: Person {
            id: 3,
            email: "ada@example.com".into(),
            name: "Ada".into(),
        },
        assignee: None,
        group_id: None,
        organization_id: None,
        tags: vec![],
        fields: vec![],
        created_at: 0,
        updated_at: 0,
        first_response_at: None,
        solved_at: None,
        url: "http://localhost/tickets/1007".into(),
    }
}

/// Key-value storage and a log in memory, tickets from a fixed list, no mail.
#[derive(Debug, Default)]
pub struct MemoryServices {
    kv: Mutex<BTreeMap<(String, String), Vec<u8>>>,
    log: Mutex<Vec<(String, LogLevel, String)>>,
    tickets: Vec<Ticket>,
}

impl MemoryServices {
    /// Services that know these tickets.
    pub fn with_tickets(tickets: Vec<Ticket>) -> MemoryServices {
        MemoryServices {
            tickets,
            ..Default::default()
        }
    }

    /// The log lines written so far: plugin, level, text.
    pub fn log_lines(&self) -> Vec<(String, LogLevel, String)> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// The value a plugin stored under a key.
    pub fn stored(&self, plugin: &str, key: &str) -> Option<Vec<u8>> {
        let kv = self.kv.lock().ok()?;
        kv.get(&(plugin.to_string(), key.to_string())).cloned()
    }
}

fn poisoned<T>(_: T) -> ServiceError {
    ServiceError::Unavailable("the store is poisoned".into())
}

#[async_trait]
impl Services for MemoryServices {
    async fn kv_get(&self, plugin: &str, key: &str) -> Result<Option<Vec<u8>>, ServiceError> {
        let kv = self.kv.lock().map_err(poisoned)?;
        Ok(kv.get(&(plugin.to_string(), key.to_string())).cloned())
    }

    async fn kv_set(
        &self,
        plugin: &str,
        key: &str,
        value: Vec<u8>,
        quota: u64,
    ) -> Result<(), ServiceError> {
        let mut kv = self.kv.lock().map_err(poisoned)?;
        let used: usize = kv
            .iter()
            .filter(|((p, k), _)| p == plugin && k != key)
            .map(|((_, k), v)| k.len() + v.len())
            .sum();
        if (used + key.len() + value.len()) as u64 > quota {
            return Err(ServiceError::QuotaExceeded(format!(
                "{quota} bytes granted"
            )));
        }
        kv.insert((plugin.to_string(), key.to_string()), value);
        Ok(())
    }

    async fn kv_delete(&self, plugin: &str, key: &str) -> Result<bool, ServiceError> {
        let mut kv = self.kv.lock().map_err(poisoned)?;
        Ok(kv.remove(&(plugin.to_string(), key.to_string())).is_some())
    }

    async fn kv_keys(
        &self,
        plugin: &str,
        prefix: &str,
        limit: u32,
    ) -> Result<Vec<String>, ServiceError> {
        let kv = self.kv.lock().map_err(poisoned)?;
        Ok(kv
            .keys()
            .filter(|(p, k)| p == plugin && k.starts_with(prefix))
            .map(|(_, k)| k.clone())
            .take(limit as usize)
            .collect())
    }

    async fn ticket(&self, id: u64) -> Result<Option<Ticket>, ServiceError> {
        Ok(self.tickets.iter().find(|t| t.id == id).cloned())
    }

    async fn messages(&self, _ticket_id: u64, _limit: u32) -> Result<Vec<Message>, ServiceError> {
        Ok(Vec::new())
    }

    async fn search(&self, _query: &str, limit: u32) -> Result<Vec<Ticket>, ServiceError> {
        Ok(self.tickets.iter().take(limit as usize).cloned().collect())
    }

    async fn count(&self, _query: &str) -> Result<u64, ServiceError> {
        Ok(self.tickets.len() as u64)
    }

    async fn send_mail(&self, _plugin: &str, _mail: OutgoingMail) -> Result<String, ServiceError> {
        Err(ServiceError::Unavailable("no mail transport".into()))
    }

    fn log(&self, plugin: &str, level: LogLevel, message: &str) {
        if let Ok(mut log) = self.log.lock() {
            log.push((plugin.to_string(), level, message.to_string()));
        }
    }
}
