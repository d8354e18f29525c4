//! `call_plugin` in rules: the plugin's action runs before the rule's write, and what it
//! answers joins the rule's other actions.

use triage_automation::Intent;
use triage_plugin_host::Role;
use triage_plugin_host::types::{Action, ActionCall, Field};

use super::services::{field_value, json_of, ticket_of};
use crate::{App, AppError, AppResult};

fn intent_of(action: Action) -> Intent {
    match action {
        Action::AddNote(text) => Intent::AddNote { text },
        Action::Reply(text) => Intent::Reply { text },
        Action::SetField(f) => Intent::SetField {
            value: json_of(&f.value),
            key: f.key,
        },
        Action::AddTag(tag) => Intent::AddTag { tag },
        Action::RemoveTag(tag) => Intent::RemoveTag { tag },
        Action::SetStatus(status) => Intent::SetStatus { status },
        Action::SetPriority(priority) => Intent::SetPriority { priority },
    }
}

impl App {
    /// Replaces each `call_plugin` intent with what the plugin's action answers.
    pub(crate) async fn expand_plugin_calls(
        &self,
        ticket_id: i64,
        intents: Vec<Intent>,
    ) -> AppResult<Vec<Intent>> {
        if !intents
            .iter()
            .any(|i| matches!(i, Intent::CallPlugin { .. }))
        {
            return Ok(intents);
        }
        let config = self.config_snapshot().await?;
        let row = self
            .store
            .read()
            .ticket(ticket_id)
            .await?
            .ok_or_else(|| AppError::ticket_not_found(ticket_id))?;
        let ticket = ticket_of(
            &self.store.read(),
            &config.statuses,
            &self.config.public_url,
            &row,
        )
        .await?;
        let mut out = Vec::with_capacity(intents.len());
        for intent in intents {
            let Intent::CallPlugin {
                plugin,
                name: action,
                arguments,
            } = intent
            else {
                out.push(intent);
                continue;
            };
            let running = self
                .running_plugin(&plugin)
                .filter(|p| p.manifest().provides(Role::Integration))
                .ok_or_else(|| {
                    AppError::invalid(
                        "plugin",
                        format!("no integration plugin {plugin:?} is running"),
                    )
                })?;
            let call = ActionCall {
                name: action.clone(),
                ticket: ticket.clone(),
                arguments: arguments
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter_map(|(k, v)| {
                        field_value(v).map(|value| Field {
                            key: k.clone(),
                            value,
                        })
                    })
                    .collect(),
            };
            match running.call_action(&call).await {
                Ok(actions) => {
                    self.count_plugin_call(&plugin, None).await?;
                    out.extend(actions.into_iter().map(intent_of));
                }
                Err(e) => {
                    self.count_plugin_call(&plugin, Some(&e)).await?;
                    return Err(AppError::invalid(
                        "plugin",
                        format!("{plugin}'s action {action:?} failed: {e}"),
                    ));
                }
            }
        }
        Ok(out)
    }
}
