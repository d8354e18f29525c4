//! Custom statuses from plugins, and their say over transitions.

use triage_domain::StatusCategory;
use triage_plugin_host::types::Transition;
use triage_plugin_host::{Plugin, Role};
use triage_store::StatusRow;

use super::services::{category, ticket_of};
use crate::{App, AppError, AppResult};

fn category_of(c: triage_plugin_host::types::StatusCategory) -> StatusCategory {
    use triage_plugin_host::types::StatusCategory as C;
    match c {
        C::New => StatusCategory::New,
        C::Open => StatusCategory::Open,
        C::Pending => StatusCategory::Pending,
        C::OnHold => StatusCategory::OnHold,
        C::Solved => StatusCategory::Solved,
        C::Closed => StatusCategory::Closed,
    }
}

impl App {
    /// Creates (or reactivates) the statuses a plugin declares; a name another status
    /// already has is refused.
    pub(crate) async fn declare_plugin_statuses(&self, plugin: &Plugin) -> AppResult<()> {
        let declared = plugin
            .declare_statuses()
            .await
            .map_err(|e| AppError::invalid("package", format!("declaring statuses failed: {e}")))?;
        let id = plugin.id().to_string();
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let repos = tx.repos();
                    let existing = repos.list_statuses().await?;
                    for (i, s) in declared.iter().enumerate() {
                        let cat = category_of(s.category);
                        let name = s.name.trim().to_string();
                        match existing.iter().find(|e| e.name.eq_ignore_ascii_case(&name)) {
                            Some(e) if e.plugin_id.as_deref() == Some(id.as_str()) => {
                                let row = StatusRow {
                                    category: cat.as_str().to_string(),
                                    active: true,
                                    ..e.clone()
                                };
                                repos.update_status(row).await?;
                            }
                            Some(_) => {
                                return Err(AppError::Conflict(format!(
                                    "a status named {name:?} already exists"
                                )));
                            }
                            None => {
                                let position = (StatusCategory::ALL
                                    .iter()
                                    .position(|c| *c == cat)
                                    .unwrap_or(0)
                                    as i32)
                                    * 100
                                    + 50
                                    + i as i32;
                                repos
                                    .insert_status(StatusRow {
                                        id: 0,
                                        name,
                                        category: cat.as_str().to_string(),
                                        builtin: false,
                                        position,
                                        active: true,
                                        plugin_id: Some(id.clone()),
                                    })
                                    .await?;
                            }
                        }
                    }
                    Ok::<_, AppError>(())
                })
            })
            .await?;
        self.forget_config();
        Ok(())
    }

    /// Asks every running statuses plugin whether a ticket may move to `to_status`; the
    /// first refusal (or failure) is the error the agent sees. Runs before the write, so
    /// a slow plugin never holds up the writer.
    pub(crate) async fn check_transition(
        &self,
        ticket_id: i64,
        to_status: &str,
        with_public_reply: bool,
    ) -> AppResult<()> {
        let guards = self.running_with(Role::Statuses);
        if guards.is_empty() {
            return Ok(());
        }
        let config = self.config_snapshot().await?;
        let repos = self.store.read();
        let Some(row) = repos.ticket(ticket_id).await? else {
            return Ok(());
        };
        let Ok(to) = crate::tickets::find_status(&config.statuses, to_status) else {
            return Ok(());
        };
        if to.id == row.status_id {
            return Ok(());
        }
        let Some(from) = config.statuses.iter().find(|s| s.id == row.status_id) else {
            return Ok(());
        };
        let ticket = ticket_of(&repos, &config.statuses, &self.config.public_url, &row).await?;
        let transition = Transition {
            ticket,
            from_status: from.name.clone(),
            from_category: category(StatusCategory::parse(&from.category)?),
            to_status: to.name.clone(),
            to_category: category(StatusCategory::parse(&to.category)?),
            with_public_reply,
        };
        for plugin in guards {
            match plugin.validate_transition(&transition).await {
                Ok(Ok(())) => {}
                Ok(Err(message)) => return Err(AppError::invalid("status", message)),
                Err(e) => {
                    self.count_plugin_call(plugin.id(), Some(&e)).await?;
                    return Err(AppError::invalid(
                        "status",
                        format!(
                            "the {} plugin could not check this change: {e}",
                            plugin.id()
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}
