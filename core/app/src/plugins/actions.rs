//! Applying what a plugin's hook returned: its actions on one ticket, in one command in
//! the plugin's name, recorded in its call log under a key that makes an event's actions
//! apply once however often the hook is retried or however many processes follow the log.

use serde_json::json;
use triage_domain::{Actor, Role, Via};
use triage_plugin_host::types::Action;
use triage_store::{Conn, PluginCallRow, Repos, UserRow};

use super::services::json_of;
use crate::tickets::TicketChanges;
use crate::tickets::changes::{load_open, write_automated};
use crate::tickets::messages::MessageParts;
use crate::{App, AppError, AppResult, Ctx};

/// The address of the service user a plugin acts as.
pub(crate) fn service_email(plugin_id: &str) -> String {
    format!("plugin-{plugin_id}@triage.invalid")
}

/// The actor a plugin's changes are made as.
pub(crate) fn plugin_actor(user: &UserRow) -> Actor {
    Actor {
        user_id: user.id,
        role: Role::Admin,
        group_ids: Vec::new(),
        organization_id: None,
        sees_organization_tickets: false,
    }
}

/// The service user of a plugin, created inactive (it cannot sign in and is not offered
/// as an assignee) on first use.
pub(crate) async fn plugin_user<C: Conn>(
    repos: &Repos<'_, C>,
    plugin_id: &str,
    name: &str,
) -> AppResult<UserRow> {
    let email = service_email(plugin_id);
    if let Some(u) = repos.user_by_email(&email).await? {
        return Ok(u);
    }
    let now = crate::now_millis();
    Ok(repos
        .insert_user(UserRow {
            id: 0,
            email,
            name: name.to_string(),
            role: Role::Agent.as_str().into(),
            password_hash: None,
            organization_id: None,
            active: false,
            created_at: now,
            updated_at: now,
        })
        .await?)
}

/// Where a plugin's actions come from.
#[derive(Debug, Clone)]
pub(crate) struct ActionSource {
    pub plugin_id: String,
    pub plugin_name: String,
    pub hook: &'static str,
    pub event_id: Option<i64>,
    /// Unique per plugin and event; `None` for calls that are not retried.
    pub dedup: Option<String>,
    pub depth: i32,
    pub origin: Option<i64>,
    pub duration_us: i64,
}

impl App {
    /// Applies a hook's actions to a ticket as one change. Returns `false` when the
    /// event's actions were already applied (the dedup key was taken).
    pub(crate) async fn apply_plugin_actions(
        &self,
        source: ActionSource,
        ticket_id: i64,
        actions: Vec<Action>,
    ) -> AppResult<bool> {
        let config = self.config_snapshot().await?;
        let result = self
            .store
            .write(move |tx| {
                Box::pin(async move {
                    let repos = tx.repos();
                    let statuses = config.statuses.clone();
                    let now = crate::now_millis();
                    let user = plugin_user(&repos, &source.plugin_id, &source.plugin_name).await?;
                    let ctx = Ctx {
                        actor: plugin_actor(&user),
                        via: Via::Plugin,
                        via_name: Some(source.plugin_id.clone()),
                        depth: source.depth,
                        origin: source.origin,
                        at: None,
                    };
                    let call = repos
                        .insert_plugin_call(PluginCallRow {
                            id: 0,
                            plugin_id: source.plugin_id.clone(),
                            hook: source.hook.to_string(),
                            event_id: source.event_id,
                            ticket_id: Some(ticket_id),
                            dedup: source.dedup.clone(),
                            ok: true,
                            error: None,
                            duration_us: source.duration_us,
                            created_at: now,
                        })
                        .await;
                    if let Err(triage_store::StoreError::Conflict(_)) = call {
                        return Ok(false);
                    }
                    call?;
                    if actions.is_empty() {
                        return Ok(true);
                    }
                    let ticket = load_open(&repos, &statuses, ticket_id).await?;
                    let mut changes = TicketChanges::default();
                    let mut messages = Vec::new();
                    for action in &actions {
                        match action {
                            Action::AddNote(t) => messages.push((false, t.clone())),
                            Action::Reply(t) => messages.push((true, t.clone())),
                            Action::SetField(f) => {
                                changes
                                    .custom_fields
                                    .insert(f.key.clone(), json_of(&f.value));
                            }
                            Action::AddTag(t) => {
                                changes.remove_tags.retain(|r| r != t);
                                changes.add_tags.push(t.clone());
                            }
                            Action::RemoveTag(t) => {
                                changes.add_tags.retain(|a| a != t);
                                changes.remove_tags.push(t.clone());
                            }
                            Action::SetStatus(s) => changes.status = Some(s.clone()),
                            Action::SetPriority(p) => changes.priority = Some(p.clone()),
                        }
                    }
                    let mut parts = Vec::with_capacity(messages.len());
                    for (public, text) in messages {
                        parts.push(MessageParts {
                            public,
                            ..MessageParts::from_bodies(
                                Some(text),
                                None,
                                &source.plugin_id,
                                Some(json!({"plugin": source.plugin_id})),
                            )?
                        });
                    }
                    write_automated(&repos, &ctx, &statuses, ticket, &user, parts, &changes, now)
                        .await?;
                    Ok::<_, AppError>(true)
                })
            })
            .await?;
        if result {
            self.events_committed();
        }
        Ok(result)
    }
}
