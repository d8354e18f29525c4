//! The application's side of the host imports: each plugin's key-value store, tickets as
//! plugins see them, search, mail and the plugin log.

use async_trait::async_trait;
use triage_domain::{Role, StatusCategory};
use triage_plugin_host::types::{
    Field, LogLevel, Message, OutgoingMail, Person, StatusCategory as Category, Ticket, Value,
};
use triage_plugin_host::{ServiceError, Services};
use triage_store::{Conn, MessageRow, PluginLogRow, Repos, StatusRow, TicketRow, UserRow};

use crate::App;

/// What plugins reach of the application.
#[derive(Debug, Clone)]
pub(crate) struct AppServices {
    pub app: App,
    pub log: tokio::sync::mpsc::UnboundedSender<PluginLogRow>,
}

pub(crate) fn category(c: StatusCategory) -> Category {
    match c {
        StatusCategory::New => Category::New,
        StatusCategory::Open => Category::Open,
        StatusCategory::Pending => Category::Pending,
        StatusCategory::OnHold => Category::OnHold,
        StatusCategory::Solved => Category::Solved,
        StatusCategory::Closed => Category::Closed,
    }
}

pub(crate) fn level_name(level: LogLevel) -> &'static str {
    match level {
        LogLevel::Debug => "debug",
        LogLevel::Info => "info",
        LogLevel::Warn => "warn",
        LogLevel::Error => "error",
    }
}

fn person(user: Option<&UserRow>, id: i64) -> Person {
    match user {
        Some(u) => Person {
            id: u.id as u64,
            email: u.email.clone(),
            name: u.name.clone(),
        },
        None => Person {
            id: id as u64,
            email: String::new(),
            name: String::new(),
        },
    }
}

/// A custom field's JSON value as a contract value.
pub(crate) fn field_value(v: &serde_json::Value) -> Option<Value> {
    match v {
        serde_json::Value::String(s) => Some(Value::Text(s.clone())),
        serde_json::Value::Number(n) => n.as_f64().map(Value::Number),
        serde_json::Value::Bool(b) => Some(Value::Flag(*b)),
        serde_json::Value::Array(a) => Some(Value::Items(
            a.iter()
                .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
                .collect(),
        )),
        _ => None,
    }
}

/// A contract value as the JSON a custom field stores.
pub(crate) fn json_of(v: &Value) -> serde_json::Value {
    match v {
        Value::Text(s) => serde_json::Value::String(s.clone()),
        Value::Number(n) => serde_json::json!(n),
        Value::Flag(b) => serde_json::Value::Bool(*b),
        Value::Items(items) => serde_json::json!(items),
    }
}

/// A ticket as plugins see it.
pub(crate) async fn ticket_of<C: Conn>(
    repos: &Repos<'_, C>,
    statuses: &[StatusRow],
    public_url: &str,
    t: &TicketRow,
) -> Result<Ticket, crate::AppError> {
    let status = statuses.iter().find(|s| s.id == t.status_id);
    let cat = match status {
        Some(s) => StatusCategory::parse(&s.category)?,
        None => StatusCategory::Open,
    };
    let requester = repos.user(t.requester_id).await?;
    let assignee = match t.assignee_id {
        Some(a) => Some(person(repos.user(a).await?.as_ref(), a)),
        None => None,
    };
    let fields = crate::directory::json_map(&t.custom_fields)
        .iter()
        .filter_map(|(k, v)| {
            field_value(v).map(|value| Field {
                key: k.clone(),
                value,
            })
        })
        .collect();
    Ok(Ticket {
        id: t.id as u64,
        number: t.id as u64,
        subject: t.subject.clone(),
        status: status.map(|s| s.name.clone()).unwrap_or_default(),
        category: category(cat),
        priority: t.priority.clone(),
        kind: Some(t.kind.clone()).filter(|k| !k.is_empty()),
        channel: t.channel.clone(),
        requester: person(requester.as_ref(), t.requester_id),
        assignee,
        group_id: t.group_id.map(|g| g as u64),
        organization_id: t.organization_id.map(|o| o as u64),
        tags: triage_store::repo::json_strings(&t.tags),
        fields,
        created_at: t.created_at,
        updated_at: t.updated_at,
        first_response_at: t.first_response_at,
        solved_at: t.solved_at,
        url: format!("{}/tickets/{}", public_url.trim_end_matches('/'), t.id),
    })
}

/// A message as plugins see it.
pub(crate) async fn message_of<C: Conn>(
    repos: &Repos<'_, C>,
    m: &MessageRow,
) -> Result<Message, crate::AppError> {
    let author = repos.user(m.author_id).await?;
    let by_staff = author
        .as_ref()
        .and_then(|u| Role::parse(&u.role).ok())
        .is_some_and(Role::is_staff);
    Ok(Message {
        id: m.id as u64,
        ticket_id: m.ticket_id as u64,
        author: person(author.as_ref(), m.author_id),
        by_staff,
        public: m.public,
        text: m.body_text.clone(),
        channel: m.channel.clone(),
        created_at: m.created_at,
    })
}

fn unavailable(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Unavailable(e.to_string())
}

impl AppServices {
    /// A page of a search over every ticket.
    async fn search_page(
        &self,
        query: &str,
        limit: usize,
    ) -> Result<crate::search::SearchPage, ServiceError> {
        self.app
            .search(
                &App::system_actor(),
                crate::search::SearchParams {
                    q: query.to_string(),
                    sort: None,
                    cursor: None,
                    limit: Some(limit.clamp(1, crate::search::MAX_LIMIT)),
                    facets: false,
                },
            )
            .await
            .map_err(|e| match e {
                crate::AppError::InvalidQuery { .. } | crate::AppError::Domain(_) => {
                    ServiceError::Invalid(e.to_string())
                }
                other => unavailable(other),
            })
    }

    async fn live_ticket(&self, id: u64) -> Result<Option<TicketRow>, ServiceError> {
        let Ok(id) = i64::try_from(id) else {
            return Ok(None);
        };
        let t = self
            .app
            .store
            .read()
            .ticket(id)
            .await
            .map_err(unavailable)?;
        Ok(t.filter(|t| t.deleted_at.is_none()))
    }
}

#[async_trait]
impl Services for AppServices {
    async fn kv_get(&self, plugin: &str, key: &str) -> Result<Option<Vec<u8>>, ServiceError> {
        self.app
            .store
            .read()
            .kv_get(plugin, key)
            .await
            .map_err(unavailable)
    }

    async fn kv_set(
        &self,
        plugin: &str,
        key: &str,
        value: Vec<u8>,
        quota: u64,
    ) -> Result<(), ServiceError> {
        let (plugin, key) = (plugin.to_string(), key.to_string());
        let outcome = self
            .app
            .store
            .write(move |tx| {
                Box::pin(async move {
                    Ok::<_, crate::AppError>(tx.repos().kv_put(&plugin, &key, value, quota).await?)
                })
            })
            .await
            .map_err(unavailable)?;
        outcome.map_err(|q| {
            ServiceError::QuotaExceeded(format!("{} of {} bytes are used", q.used, q.quota))
        })
    }

    async fn kv_delete(&self, plugin: &str, key: &str) -> Result<bool, ServiceError> {
        let (plugin, key) = (plugin.to_string(), key.to_string());
        self.app
            .store
            .write(move |tx| {
                Box::pin(async move {
                    Ok::<_, crate::AppError>(tx.repos().kv_delete(&plugin, &key).await?)
                })
            })
            .await
            .map_err(unavailable)
    }

    async fn kv_keys(
        &self,
        plugin: &str,
        prefix: &str,
        limit: u32,
    ) -> Result<Vec<String>, ServiceError> {
        self.app
            .store
            .read()
            .kv_keys(plugin, prefix, u64::from(limit))
            .await
            .map_err(unavailable)
    }

    async fn ticket(&self, id: u64) -> Result<Option<Ticket>, ServiceError> {
        let Some(t) = self.live_ticket(id).await? else {
            return Ok(None);
        };
        let config = self.app.config_snapshot().await.map_err(unavailable)?;
        let repos = self.app.store.read();
        ticket_of(&repos, &config.statuses, &self.app.config.public_url, &t)
            .await
            .map(Some)
            .map_err(unavailable)
    }

    async fn messages(&self, ticket_id: u64, limit: u32) -> Result<Vec<Message>, ServiceError> {
        let Some(t) = self.live_ticket(ticket_id).await? else {
            return Ok(Vec::new());
        };
        let repos = self.app.store.read();
        let rows = repos
            .ticket_messages(t.id, true, 0, u64::from(limit))
            .await
            .map_err(unavailable)?;
        let mut out = Vec::new();
        for m in &rows {
            out.push(message_of(&repos, m).await.map_err(unavailable)?);
        }
        Ok(out)
    }

    async fn search(&self, query: &str, limit: u32) -> Result<Vec<Ticket>, ServiceError> {
        let page = self.search_page(query, limit as usize).await?;
        let mut out = Vec::new();
        for hit in &page.results.hits {
            if let Some(t) = self.ticket(hit.id).await? {
                out.push(t);
            }
        }
        Ok(out)
    }

    async fn count(&self, query: &str) -> Result<u64, ServiceError> {
        Ok(self.search_page(query, 1).await?.results.total)
    }

    async fn send_mail(&self, _plugin: &str, _mail: OutgoingMail) -> Result<String, ServiceError> {
        Err(ServiceError::Unavailable(
            "this server has no mail transport configured".into(),
        ))
    }

    fn log(&self, plugin: &str, level: LogLevel, message: &str) {
        let _ = self.log.send(PluginLogRow {
            id: 0,
            plugin_id: plugin.to_string(),
            level: level_name(level).to_string(),
            message: message.to_string(),
            created_at: crate::now_millis(),
        });
    }
}
