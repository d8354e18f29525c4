//! Dry runs: a draft rule against one ticket or recent tickets or events, showing what
//! it would change. Nothing is written.

use triage_automation::{Intent, RunInput, Trigger};
use triage_domain::{Actor, FieldChange};
use triage_store::{EventRow, TicketRow};

use super::apply::{resolve, service_user};
use super::context;
use super::events::changes;
use crate::tickets::changes::apply_changes;
use crate::{App, AppError, AppResult};

/// The most tickets or events one dry run goes over.
pub const MAX_DRY_RUN: u32 = 5000;

/// A draft rule and what to run it on.
#[derive(Debug, Clone, Default)]
pub struct DryRun {
    pub script: String,
    /// With triggers, the rule runs on past events of those kinds; without, as a
    /// scheduled rule on tickets.
    pub triggers: Vec<String>,
    /// One ticket (its latest matching change, or the ticket as a scheduled rule sees it).
    pub ticket_id: Option<i64>,
    /// The last N matching events (or tickets, for a scheduled rule); default 100.
    pub last: Option<u32>,
}

/// What the rule would do on one ticket.
#[derive(Debug, Clone)]
pub struct DryRunResult {
    pub ticket_id: i64,
    pub event_id: Option<i64>,
    pub event_kind: String,
    pub fired: bool,
    pub actions: Vec<Intent>,
    /// The field changes it would make, exactly as the ticket would record them.
    pub changes: Vec<FieldChange>,
    /// Messages it would write: `reply: …` or `note: …`.
    pub messages: Vec<String>,
    /// Notifications it would send: who, and the text.
    pub notifications: Vec<String>,
    pub error: Option<String>,
    pub log: Vec<String>,
    pub duration_us: i64,
}

impl App {
    /// Runs a draft rule without writing anything (admins).
    pub async fn test_rule(&self, actor: &Actor, dry: DryRun) -> AppResult<Vec<DryRunResult>> {
        actor.require_admin()?;
        self.check_script(&dry.script)?;
        let script = self
            .automation
            .compile(&dry.script)
            .map_err(|e| AppError::invalid("script", e.to_string()))?;
        let mut triggers = Vec::new();
        for t in &dry.triggers {
            let t: Trigger = t
                .parse()
                .map_err(|e: String| AppError::invalid("triggers", e))?;
            triggers.push(t.as_str());
        }
        let last = dry.last.unwrap_or(100);
        if last == 0 || last > MAX_DRY_RUN {
            return Err(AppError::invalid(
                "last",
                format!("run on 1 to {MAX_DRY_RUN} tickets or events"),
            ));
        }
        let read = self.store.read();
        // What to run on: (ticket, the change it saw, if any).
        let mut targets: Vec<(TicketRow, Vec<EventRow>)> = Vec::new();
        if let Some(id) = dry.ticket_id {
            let ticket = crate::tickets::load_visible(&read, actor, id).await?;
            let mut change = Vec::new();
            if !triggers.is_empty() {
                let events = read.ticket_events(id, 0, 10_000).await?;
                if let Some(group) = changes(&events)
                    .into_iter()
                    .rev()
                    .find(|c| c.iter().any(|e| triggers.contains(&e.kind.as_str())))
                {
                    change = group.to_vec();
                }
            }
            targets.push((ticket, change));
        } else if triggers.is_empty() {
            let tickets = read
                .list_tickets(
                    &triage_domain::permission::Visibility::All,
                    &triage_store::repo::TicketFilter::default(),
                    triage_store::repo::TicketSort {
                        field: triage_store::repo::SortField::Number,
                        descending: true,
                    },
                    None,
                    u64::from(last),
                )
                .await?;
            targets.extend(tickets.into_iter().map(|t| (t, Vec::new())));
        } else {
            let mut events = read.recent_events(&triggers, u64::from(last)).await?;
            events.reverse();
            let ids: Vec<i64> = events.iter().filter_map(|e| e.ticket_id).collect();
            let tickets = read.tickets_by_ids(&ids).await?;
            for group in changes(&events) {
                let Some(t) = group
                    .first()
                    .and_then(|e| e.ticket_id)
                    .and_then(|id| tickets.iter().find(|t| t.id == id))
                else {
                    continue;
                };
                if t.deleted_at.is_none() {
                    targets.push((t.clone(), group.to_vec()));
                }
            }
            targets.reverse();
        }
        let config = self.config_snapshot().await?;
        let agent_id = service_user(&read).await?.map_or(0, |u| u.id);
        let now = crate::now_millis();
        let mut out = Vec::with_capacity(targets.len());
        for (ticket, change) in targets {
            let event = if change.is_empty() {
                context::schedule_event("dry run", now)
            } else {
                context::event_json(&read, &change).await?
            };
            let input = RunInput {
                ticket: context::ticket_json(&read, &config.statuses, &ticket).await?,
                event,
                now,
            };
            let engine = self.automation.clone();
            let script = script.clone();
            let outcome = tokio::task::spawn_blocking(move || match engine.prepare(input) {
                Ok(p) => engine.run(&script, &p),
                Err(e) => triage_automation::RunOutcome {
                    error: Some(e),
                    ..Default::default()
                },
            })
            .await
            .map_err(|e| AppError::Internal(format!("rule task: {e}")))?;
            let mut result = DryRunResult {
                ticket_id: ticket.id,
                event_id: change.first().map(|e| e.id),
                event_kind: change
                    .first()
                    .map_or("schedule".to_string(), |e| e.kind.clone()),
                fired: outcome.fired(),
                actions: outcome.intents.clone(),
                changes: Vec::new(),
                messages: Vec::new(),
                notifications: Vec::new(),
                error: outcome.error.map(|e| e.to_string()),
                log: outcome.log,
                duration_us: i64::try_from(outcome.duration.as_micros()).unwrap_or(i64::MAX),
            };
            if result.fired {
                match resolve(
                    &read,
                    &config.statuses,
                    &ticket,
                    &outcome.intents,
                    agent_id,
                    true,
                )
                .await
                {
                    Ok(resolved) => {
                        let mut copy = ticket.clone();
                        match apply_changes(
                            &read,
                            &config.statuses,
                            &mut copy,
                            &resolved.changes,
                            now,
                        )
                        .await
                        {
                            Ok((moved, _)) => result.changes = moved,
                            Err(e) => result.error = Some(format!("would fail: {e}")),
                        }
                        result.messages = resolved
                            .messages
                            .into_iter()
                            .map(|(public, text)| {
                                format!("{}: {text}", if public { "reply" } else { "note" })
                            })
                            .collect();
                        let people = read
                            .users_by_ids(
                                &resolved
                                    .notify
                                    .iter()
                                    .flat_map(|(ids, _)| ids.iter().copied())
                                    .collect::<Vec<_>>(),
                            )
                            .await?;
                        for (ids, text) in resolved.notify {
                            for id in ids {
                                let who = people
                                    .iter()
                                    .find(|u| u.id == id)
                                    .map_or(id.to_string(), |u| u.email.clone());
                                result.notifications.push(format!("{who}: {text}"));
                            }
                        }
                    }
                    Err(e) => result.error = Some(format!("would fail: {e}")),
                }
            }
            out.push(result);
        }
        Ok(out)
    }
}
