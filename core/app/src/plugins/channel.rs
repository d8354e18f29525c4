//! Inbound calls to channel plugins (`/api/v1/channels/{plugin}/…`): the plugin verifies
//! and parses the request into ticket operations, which are carried out as the sender
//! (found by email, or created as a customer) through the usual commands. A request the
//! plugin refuses or fails on is kept in quarantine.

use std::collections::BTreeMap;

use serde_json::json;
use triage_domain::{Role as UserRole, Via, text};
use triage_plugin_host::types::{
    Attachment, Header, InboundRequest, NewMessage as PluginMessage, NewTicket as PluginTicket,
    Operation, Sender,
};
use triage_plugin_host::{CallError, Plugin, Role};
use triage_store::{PluginCallRow, QuarantineRow, UserRow};

use super::actions::{plugin_actor, plugin_user};
use super::services::json_of;
use crate::attachments::{StoredFile, Upload};
use crate::tickets::{NewMessage, NewTicket, RequesterRef};
use crate::{App, AppError, AppResult, Ctx};

/// An inbound HTTP call, as the server received it.
#[derive(Debug, Clone)]
pub struct InboundCall {
    pub method: String,
    /// After `/api/v1/channels/{plugin}`, starting with `/`.
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// The answer a channel plugin asked to give its caller.
#[derive(Debug, Clone)]
pub struct ChannelReply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// What an inbound call came to.
#[derive(Debug, Clone)]
pub enum InboundOutcome {
    /// The operations were carried out; the tickets they touched, in order.
    Done {
        tickets: Vec<i64>,
        /// The answer the plugin asked for, if any.
        reply: Option<ChannelReply>,
    },
    /// The plugin refused the call (kept in quarantine under this id).
    Refused { message: String, quarantine_id: i64 },
    /// The plugin failed (kept in quarantine under this id).
    Failed { message: String, quarantine_id: i64 },
}

impl App {
    /// Hands an inbound call to a running channel plugin and carries out what it asks.
    pub async fn channel_inbound(
        &self,
        plugin_id: &str,
        call: InboundCall,
    ) -> AppResult<InboundOutcome> {
        let plugin = self
            .running_plugin(plugin_id)
            .filter(|p| p.manifest().provides(Role::Channel))
            .ok_or_else(|| AppError::NotFound(format!("channel {plugin_id:?}")))?;
        let request = InboundRequest {
            method: call.method.clone(),
            path: call.path.clone(),
            query: call.query.clone(),
            headers: call
                .headers
                .iter()
                .map(|(name, value)| Header {
                    name: name.clone(),
                    value: value.clone(),
                })
                .collect(),
            body: call.body.clone(),
        };
        let started = std::time::Instant::now();
        let result = plugin.receive(&request).await;
        let duration_us = started.elapsed().as_micros() as i64;
        let inbound = match result {
            Ok(inbound) => inbound,
            Err(e) => {
                let quarantine_id = self.quarantine(plugin_id, &call, &e.to_string()).await?;
                self.record_plugin_call(PluginCallRow {
                    id: 0,
                    plugin_id: plugin_id.to_string(),
                    hook: "receive".into(),
                    event_id: None,
                    ticket_id: None,
                    dedup: None,
                    ok: false,
                    error: Some(e.to_string()),
                    duration_us,
                    created_at: crate::now_millis(),
                })
                .await?;
                self.count_plugin_call(plugin_id, Some(&e)).await?;
                let message = e.to_string();
                return Ok(match e {
                    CallError::InvalidInput(_) | CallError::Input(_) => InboundOutcome::Refused {
                        message,
                        quarantine_id,
                    },
                    _ => InboundOutcome::Failed {
                        message,
                        quarantine_id,
                    },
                });
            }
        };
        let mut tickets = Vec::new();
        for op in inbound.operations {
            let done = match op {
                Operation::OpenTicket(t) => self.inbound_ticket(&plugin, t).await,
                Operation::AddMessage(m) => self.inbound_message(&plugin, m).await,
            };
            match done {
                Ok(id) => tickets.push(id),
                Err(e) => {
                    let quarantine_id = self
                        .quarantine(plugin_id, &call, &format!("an operation was refused: {e}"))
                        .await?;
                    return Ok(InboundOutcome::Refused {
                        message: e.to_string(),
                        quarantine_id,
                    });
                }
            }
        }
        self.record_plugin_call(PluginCallRow {
            id: 0,
            plugin_id: plugin_id.to_string(),
            hook: "receive".into(),
            event_id: None,
            ticket_id: tickets.first().copied(),
            dedup: None,
            ok: true,
            error: None,
            duration_us,
            created_at: crate::now_millis(),
        })
        .await?;
        self.count_plugin_call(plugin_id, None).await?;
        let reply = inbound.reply.map(|r| ChannelReply {
            status: r.status,
            headers: r.headers.into_iter().map(|h| (h.name, h.value)).collect(),
            body: r.body,
        });
        Ok(InboundOutcome::Done { tickets, reply })
    }

    async fn quarantine(&self, plugin_id: &str, call: &InboundCall, error: &str) -> AppResult<i64> {
        let row = QuarantineRow {
            id: 0,
            plugin_id: plugin_id.to_string(),
            method: call.method.clone(),
            path: if call.query.is_empty() {
                call.path.clone()
            } else {
                format!("{}?{}", call.path, call.query)
            },
            headers: json!(call.headers),
            body: call.body.clone(),
            error: error.to_string(),
            created_at: crate::now_millis(),
        };
        let saved = self
            .store
            .write(move |tx| {
                Box::pin(async move { Ok::<_, AppError>(tx.repos().insert_quarantine(row).await?) })
            })
            .await?;
        Ok(saved.id)
    }

    /// The context of a plugin's own service user, for opening tickets.
    async fn channel_ctx(&self, plugin: &Plugin) -> AppResult<Ctx> {
        let id = plugin.id().to_string();
        let name = plugin.manifest().name.clone();
        let user = self
            .store
            .write(move |tx| Box::pin(async move { plugin_user(&tx.repos(), &id, &name).await }))
            .await?;
        Ok(Ctx {
            actor: plugin_actor(&user),
            via: Via::Channel,
            via_name: Some(plugin.id().to_string()),
            depth: 0,
            origin: None,
            at: None,
        })
    }

    async fn files(&self, attachments: Vec<Attachment>) -> AppResult<Vec<StoredFile>> {
        let mut out = Vec::new();
        for a in attachments {
            out.push(
                self.store_upload(Upload {
                    filename: a.filename,
                    bytes: a.content,
                })
                .await?,
            );
        }
        Ok(out)
    }

    async fn inbound_ticket(&self, plugin: &Plugin, t: PluginTicket) -> AppResult<i64> {
        let ctx = self.channel_ctx(plugin).await?;
        let thread_key = t.thread_key.trim().to_string();
        let fields: BTreeMap<String, serde_json::Value> = t
            .fields
            .iter()
            .map(|f| (f.key.clone(), json_of(&f.value)))
            .collect();
        let new = NewTicket {
            subject: t.subject,
            body_text: Some(t.text),
            requester: Some(RequesterRef::Email {
                email: t.requester.email,
                name: t.requester.name,
            }),
            priority: t.priority,
            tags: t.tags,
            custom_fields: fields,
            channel: Some(plugin.id().to_string()),
            external_id: Some(thread_key).filter(|k| !k.is_empty()),
            metadata: Some(json!({"plugin": plugin.id()})),
            attachments: self.files(t.attachments).await?,
            ..NewTicket::default()
        };
        let (view, _) = self.create_ticket(&ctx, new, None).await?;
        Ok(view.ticket.id)
    }

    async fn sender(&self, sender: &Sender) -> AppResult<UserRow> {
        let email = text::normalize_email(&sender.email)?;
        if let Some(u) = self.store.read().user_by_email(&email).await? {
            return Ok(u);
        }
        let name = sender
            .name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| email.split('@').next().unwrap_or_default().to_string());
        let now = crate::now_millis();
        let row = UserRow {
            id: 0,
            email: email.clone(),
            name,
            role: UserRole::Customer.as_str().into(),
            password_hash: None,
            organization_id: None,
            active: true,
            created_at: now,
            updated_at: now,
        };
        let created = self
            .store
            .write(move |tx| {
                Box::pin(async move { Ok::<_, AppError>(tx.repos().insert_user(row).await?) })
            })
            .await;
        match created {
            Ok(u) => Ok(u),
            Err(AppError::Conflict(_)) => self
                .store
                .read()
                .user_by_email(&email)
                .await?
                .ok_or_else(|| AppError::Internal("the sender vanished".into())),
            Err(e) => Err(e),
        }
    }

    async fn inbound_message(&self, plugin: &Plugin, m: PluginMessage) -> AppResult<i64> {
        let thread_key = m.thread_key.trim().to_string();
        let existing = if thread_key.is_empty() {
            None
        } else {
            self.store
                .read()
                .ticket_by_thread(plugin.id(), &thread_key)
                .await?
        };
        let Some(ticket) = existing else {
            return self
                .inbound_ticket(
                    plugin,
                    PluginTicket {
                        thread_key,
                        subject: m.subject,
                        text: m.text,
                        requester: m.author,
                        priority: None,
                        tags: Vec::new(),
                        fields: Vec::new(),
                        attachments: m.attachments,
                    },
                )
                .await;
        };
        let author = self.sender(&m.author).await?;
        let actor = self.actor_for(&author).await?;
        let ctx = Ctx {
            actor,
            via: Via::Channel,
            via_name: Some(plugin.id().to_string()),
            depth: 0,
            origin: None,
            at: None,
        };
        let new = NewMessage {
            public: true,
            body_text: Some(m.text),
            body_html: None,
            attachments: self.files(m.attachments).await?,
            status: None,
            changes: None,
            channel: Some(plugin.id().to_string()),
            metadata: Some(json!({"plugin": plugin.id(), "thread_key": thread_key})),
        };
        let (_, view) = self.add_message(&ctx, ticket.id, new).await?;
        Ok(view.ticket.id)
    }
}
