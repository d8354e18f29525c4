//! Time-based rules: each due slot is claimed through the database by exactly one
//! process, then the rule runs over the tickets its query finds, in capped pages.

use triage_automation::{RunInput, Schedule};
use triage_store::RuleRow;

use super::apply::{Applied, Failure, Firing};
use super::context;
use crate::search::SearchParams;
use crate::{App, AppError, AppResult};

/// Tickets a scheduled rule reads per page.
pub const PAGE: usize = 100;
/// The most tickets one scheduled run goes over; the rest wait for the next slot.
pub const MAX_TICKETS_PER_RUN: usize = 100_000;
/// The query of a scheduled rule that names none.
pub const DEFAULT_QUERY: &str = "-category:closed";

/// What one scheduled run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScheduledRun {
    pub rule_id: i64,
    pub tickets_seen: usize,
    pub fired: usize,
    pub failed: usize,
}

impl App {
    /// Runs every scheduled rule whose slot is due at `now` and that this process claims
    /// first. Returns what each claimed run did.
    pub async fn run_due_schedules(&self, now: i64) -> AppResult<Vec<ScheduledRun>> {
        let due: Vec<RuleRow> = self
            .store
            .read()
            .list_rules()
            .await?
            .into_iter()
            .filter(|r| r.active && r.next_run_at.is_some_and(|at| at <= now))
            .collect();
        let mut runs = Vec::new();
        if !due.is_empty() {
            self.ensure_service_user().await?;
        }
        for rule in due {
            let Some(schedule) = rule
                .schedule
                .as_deref()
                .and_then(|s| s.parse::<Schedule>().ok())
            else {
                continue;
            };
            let slot = rule.next_run_at;
            let next = schedule
                .next_after(now)
                .map_err(|e| AppError::Internal(format!("rule {}: {e}", rule.name)))?;
            let id = rule.id;
            let claimed = self
                .store
                .write(move |tx| {
                    Box::pin(async move {
                        Ok::<_, AppError>(tx.repos().claim_rule_slot(id, slot, next).await?)
                    })
                })
                .await?;
            if claimed {
                runs.push(self.run_scheduled(&rule, slot.unwrap_or(now), now).await?);
            }
        }
        Ok(runs)
    }

    /// Runs a scheduled rule over the tickets of its query, as of the slot `slot`.
    pub(crate) async fn run_scheduled(
        &self,
        rule: &RuleRow,
        slot: i64,
        now: i64,
    ) -> AppResult<ScheduledRun> {
        let mut run = ScheduledRun {
            rule_id: rule.id,
            ..ScheduledRun::default()
        };
        let script = match self.automation.compile(&rule.script) {
            Ok(s) => s,
            Err(e) => {
                self.record_failure(rule, Failure::new(None, None, e.to_string()))
                    .await?;
                run.failed += 1;
                return Ok(run);
            }
        };
        let query = rule.query.clone().unwrap_or_else(|| DEFAULT_QUERY.into());
        let system = App::system_actor();
        let event = context::schedule_event(&rule.name, now);
        let mut cursor = None;
        while run.tickets_seen < MAX_TICKETS_PER_RUN {
            let page = self
                .search(
                    &system,
                    SearchParams {
                        q: query.clone(),
                        sort: Some("created".into()),
                        cursor: cursor.take(),
                        limit: Some(PAGE),
                        facets: false,
                    },
                )
                .await;
            let page = match page {
                Ok(page) => page,
                // A query that names what no longer exists (a deleted group …) is the
                // rule's to fix: logged against it, counted, shown to admins.
                Err(e @ (AppError::InvalidQuery { .. } | AppError::Domain(_))) => {
                    run.failed += 1;
                    let error = format!("the query {query:?} cannot run: {e}");
                    self.record_failure(rule, Failure::new(None, None, error))
                        .await?;
                    return Ok(run);
                }
                Err(e) => return Err(e),
            };
            let ids: Vec<i64> = page
                .results
                .hits
                .iter()
                .filter_map(|h| i64::try_from(h.id).ok())
                .collect();
            run.tickets_seen += ids.len();
            let config = self.config_snapshot().await?;
            let tickets: Vec<_> = self
                .store
                .read()
                .tickets_by_ids(&ids)
                .await?
                .into_iter()
                .filter(|t| t.deleted_at.is_none())
                .collect();
            let objects =
                context::ticket_jsons(&self.store.read(), &config.statuses, &tickets).await?;
            let inputs: Vec<(i64, RunInput)> = tickets
                .iter()
                .zip(objects)
                .map(|(t, ticket)| {
                    (
                        t.id,
                        RunInput {
                            ticket,
                            event: event.clone(),
                            now,
                        },
                    )
                })
                .collect();
            let engine = self.automation.clone();
            let script = script.clone();
            let outcomes = tokio::task::spawn_blocking(move || {
                inputs
                    .into_iter()
                    .map(|(id, input)| {
                        let out = match engine.prepare(input) {
                            Ok(p) => engine.run(&script, &p),
                            Err(e) => triage_automation::RunOutcome {
                                error: Some(e),
                                ..Default::default()
                            },
                        };
                        (id, out)
                    })
                    .collect::<Vec<_>>()
            })
            .await
            .map_err(|e| AppError::Internal(format!("rule task: {e}")))?;
            for (ticket_id, outcome) in outcomes {
                let duration_us = i64::try_from(outcome.duration.as_micros()).unwrap_or(i64::MAX);
                let failure = if let Some(error) = outcome.error {
                    Some(error.to_string())
                } else if outcome.intents.is_empty() {
                    None
                } else {
                    let firing = Firing {
                        rule,
                        ticket_id,
                        event_id: None,
                        dedup: format!("schedule:{}:{slot}:{ticket_id}", rule.id),
                        depth: 1,
                        origin: None,
                        intents: outcome.intents,
                        duration_us,
                    };
                    match self.apply_firing(firing).await {
                        Ok(Applied::Done(_)) => {
                            run.fired += 1;
                            None
                        }
                        Ok(Applied::AlreadyFired) => None,
                        Err(AppError::Store(e)) => return Err(AppError::Store(e)),
                        Err(e) => Some(e.to_string()),
                    }
                };
                if let Some(error) = failure {
                    run.failed += 1;
                    let deactivated = self
                        .record_failure(
                            rule,
                            Failure::new(Some(ticket_id), None, error).took(duration_us),
                        )
                        .await?;
                    if deactivated {
                        return Ok(run);
                    }
                }
            }
            match page.results.next_cursor {
                Some(c) if !ids.is_empty() => cursor = Some(c),
                _ => break,
            }
        }
        Ok(run)
    }
}
