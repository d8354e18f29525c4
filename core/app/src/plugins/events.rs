//! Each running plugin's consumer of the event log (checkpoint `plugin:{id}`): the events
//! its integration subscribes to, and the public agent replies its channel delivers. A
//! hook that fails for a reason worth retrying is retried with backoff; its actions are
//! applied once per event. Nothing here can roll back or hold up a ticket write.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use triage_plugin_host::types::{Change, Delivery, Event, EventKind};
use triage_plugin_host::{CallError, Plugin, Role};
use triage_store::{EventRow, PluginCallRow};

use super::actions::ActionSource;
use super::services::{message_of, ticket_of};
use crate::consumer::Consumer;
use crate::{App, AppError, AppResult};

/// Tries per event before the host gives up on it (and logs that it did).
pub const ATTEMPTS: u32 = 4;
/// The first wait before a retry; it doubles each time.
const BACKOFF: Duration = Duration::from_millis(250);

struct PluginConsumer {
    app: App,
    id: String,
    checkpoint: String,
}

impl Consumer for PluginConsumer {
    fn name(&self) -> &str {
        &self.checkpoint
    }

    fn handle<'a>(&'a self, events: &'a [EventRow]) -> BoxFuture<'a, AppResult<()>> {
        Box::pin(self.app.handle_plugin_events(&self.id, events))
    }
}

fn kind_of(name: &str) -> Option<EventKind> {
    Some(match name {
        "ticket.created" => EventKind::TicketCreated,
        "ticket.updated" => EventKind::TicketUpdated,
        "status.changed" => EventKind::StatusChanged,
        "message.added" => EventKind::MessageAdded,
        "sla.warning" => EventKind::SlaWarning,
        "sla.breached" => EventKind::SlaBreached,
        "rating.received" => EventKind::RatingReceived,
        _ => return None,
    })
}

fn text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        serde_json::Value::Object(o) => o
            .get("name")
            .and_then(|n| n.as_str())
            .map_or_else(|| v.to_string(), str::to_string),
        other => other.to_string(),
    }
}

fn changes_of(event: &EventRow) -> Vec<Change> {
    if event.kind == "status.changed" {
        return vec![Change {
            field: "status".into(),
            from: text(&event.data["from"]),
            to: text(&event.data["to"]),
        }];
    }
    event.data["changes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| Change {
            field: c["field"].as_str().unwrap_or_default().to_string(),
            from: text(&c["from"]),
            to: text(&c["to"]),
        })
        .collect()
}

impl App {
    /// Starts the consumer of a running plugin that has events to follow: from the end
    /// of the log the first time, from its checkpoint after that.
    pub(crate) async fn start_plugin_consumer(&self, plugin: &Plugin) -> AppResult<()> {
        let m = plugin.manifest();
        let follows =
            (m.provides(Role::Integration) && !m.events.is_empty()) || m.provides(Role::Channel);
        let id = plugin.id().to_string();
        let running = {
            let consumers = self
                .plugins
                .consumers
                .lock()
                .map_err(|_| AppError::Internal("the plugin registry is poisoned".into()))?;
            consumers.contains_key(&id)
        };
        if !follows || running {
            return Ok(());
        }
        let checkpoint = format!("plugin:{id}");
        self.start_at_end_if_new(&checkpoint).await?;
        let handle = self.spawn_consumer(Arc::new(PluginConsumer {
            app: self.clone(),
            id: id.clone(),
            checkpoint,
        }));
        let mut consumers = self
            .plugins
            .consumers
            .lock()
            .map_err(|_| AppError::Internal("the plugin registry is poisoned".into()))?;
        if let Some(old) = consumers.insert(id, handle) {
            old.stop();
        }
        Ok(())
    }

    async fn handle_plugin_events(&self, id: &str, events: &[EventRow]) -> AppResult<()> {
        for event in events {
            // The plugin that is running now: an upgrade between events takes effect at
            // the next one.
            let Some(plugin) = self.running_plugin(id) else {
                return Ok(());
            };
            if event.via == "plugin" && event.via_name.as_deref() == Some(id) {
                continue;
            }
            let Some(ticket_id) = event.ticket_id else {
                continue;
            };
            let m = plugin.manifest();
            if m.provides(Role::Channel) && event.kind == "message.added" {
                self.deliver(&plugin, event, ticket_id).await?;
            }
            if m.provides(Role::Integration) && m.events.iter().any(|e| e == &event.kind) {
                self.integrate(&plugin, event, ticket_id).await?;
            }
        }
        Ok(())
    }

    /// Calls a hook up to [`ATTEMPTS`] times while it fails in a way worth retrying.
    async fn with_retries<T, F, Fut>(
        &self,
        plugin: &Plugin,
        mut call: F,
    ) -> (Result<T, CallError>, i64)
    where
        F: FnMut(u32) -> Fut,
        Fut: std::future::Future<Output = Result<T, CallError>>,
    {
        let started = Instant::now();
        let mut attempt = 1;
        loop {
            let result = call(attempt).await;
            match &result {
                Err(e)
                    if e.is_retryable()
                        && attempt < ATTEMPTS
                        && self.running_plugin(plugin.id()).is_some() =>
                {
                    tokio::time::sleep(BACKOFF * 2u32.pow(attempt - 1)).await;
                    attempt += 1;
                }
                _ => return (result, started.elapsed().as_micros() as i64),
            }
        }
    }

    async fn failed_call(
        &self,
        plugin: &Plugin,
        hook: &'static str,
        event: &EventRow,
        error: &CallError,
        duration_us: i64,
    ) -> AppResult<()> {
        let dedup = format!("{}:{hook}:{}", plugin.id(), event.id);
        self.record_plugin_call(PluginCallRow {
            id: 0,
            plugin_id: plugin.id().to_string(),
            hook: hook.to_string(),
            event_id: Some(event.id),
            ticket_id: event.ticket_id,
            dedup: Some(dedup),
            ok: false,
            error: Some(error.to_string()),
            duration_us,
            created_at: crate::now_millis(),
        })
        .await?;
        self.plugin_note(
            plugin.id(),
            "error",
            format!("{hook} failed on event {} after retries: {error}", event.id),
        )
        .await;
        self.count_plugin_call(plugin.id(), Some(error)).await
    }

    async fn integrate(&self, plugin: &Plugin, event: &EventRow, ticket_id: i64) -> AppResult<()> {
        let Some(kind) = kind_of(&event.kind) else {
            return Ok(());
        };
        let config = self.config_snapshot().await?;
        let repos = self.store.read();
        let Some(row) = repos
            .ticket(ticket_id)
            .await?
            .filter(|t| t.deleted_at.is_none())
        else {
            return Ok(());
        };
        let ticket = ticket_of(&repos, &config.statuses, &self.config.public_url, &row).await?;
        let message = match event.data["message_id"].as_i64() {
            Some(mid) if event.kind == "message.added" => match repos.message(mid).await? {
                Some(m) => Some(message_of(&repos, &m).await?),
                None => None,
            },
            _ => None,
        };
        let base = Event {
            id: event.id as u64,
            kind,
            ticket,
            message,
            changes: changes_of(event),
            occurred_at: event.created_at,
            attempt: 1,
        };
        let (result, duration_us) = self
            .with_retries(plugin, |attempt| {
                let e = Event {
                    attempt,
                    ..base.clone()
                };
                let p = plugin.clone();
                async move { p.on_event(&e).await }
            })
            .await;
        match result {
            Ok(actions) => {
                let source = ActionSource {
                    plugin_id: plugin.id().to_string(),
                    plugin_name: plugin.manifest().name.clone(),
                    hook: "on-event",
                    event_id: Some(event.id),
                    dedup: Some(format!("{}:on-event:{}", plugin.id(), event.id)),
                    depth: event.depth + 1,
                    origin: event.origin_id.or(Some(event.id)),
                    duration_us,
                };
                if let Err(e) = self.apply_plugin_actions(source, ticket_id, actions).await {
                    self.plugin_note(
                        plugin.id(),
                        "error",
                        format!(
                            "the actions for event {} could not be applied: {e}",
                            event.id
                        ),
                    )
                    .await;
                }
                self.count_plugin_call(plugin.id(), None).await
            }
            Err(e) => {
                self.failed_call(plugin, "on-event", event, &e, duration_us)
                    .await
            }
        }
    }

    async fn deliver(&self, plugin: &Plugin, event: &EventRow, ticket_id: i64) -> AppResult<()> {
        let public = event.data["public"].as_bool().unwrap_or(false);
        let by_staff = matches!(event.data["author_role"].as_str(), Some("agent" | "admin"));
        let inbound = event.data["channel"].as_str() == Some(plugin.id());
        if !public || !by_staff || inbound {
            return Ok(());
        }
        let config = self.config_snapshot().await?;
        let repos = self.store.read();
        let Some(row) = repos.ticket(ticket_id).await? else {
            return Ok(());
        };
        if row.channel != plugin.id() {
            return Ok(());
        }
        let Some(mid) = event.data["message_id"].as_i64() else {
            return Ok(());
        };
        let Some(message) = repos.message(mid).await? else {
            return Ok(());
        };
        let delivery = Delivery {
            thread_key: row.external_id.clone().unwrap_or_default(),
            ticket: ticket_of(&repos, &config.statuses, &self.config.public_url, &row).await?,
            message: message_of(&repos, &message).await?,
        };
        let (result, duration_us) = self
            .with_retries(plugin, |_| {
                let p = plugin.clone();
                let d = delivery.clone();
                async move { p.deliver(&d).await }
            })
            .await;
        match result {
            Ok(_) => {
                self.record_plugin_call(PluginCallRow {
                    id: 0,
                    plugin_id: plugin.id().to_string(),
                    hook: "deliver".into(),
                    event_id: Some(event.id),
                    ticket_id: Some(ticket_id),
                    dedup: Some(format!("{}:deliver:{}", plugin.id(), event.id)),
                    ok: true,
                    error: None,
                    duration_us,
                    created_at: crate::now_millis(),
                })
                .await?;
                self.count_plugin_call(plugin.id(), None).await
            }
            Err(e) => {
                self.failed_call(plugin, "deliver", event, &e, duration_us)
                    .await
            }
        }
    }
}
