//! The sweeper: moves clocks to warning and breached as time passes and raises
//! `sla.warning` and `sla.breached`, each once per target run.
//!
//! Once holds across processes sharing a database: an alert is recorded under a unique
//! key (ticket, target, run, kind) in the same transaction as its event, and only the
//! transaction that recorded it appends the event. A target already past due when the
//! sweeper first sees it raises only `sla.breached`.

use std::time::Duration;

use serde_json::json;
use triage_domain::sla::State;
use triage_domain::{EventKind, Via};
use triage_store::SlaAlertRow;

use super::clocks::{fill, stored};
use super::rfc3339;
use crate::{App, AppError, AppResult, Ctx};

/// How often the sweeper looks for clocks that turn.
pub const SWEEP_EVERY: Duration = Duration::from_secs(1);
/// How many tickets one sweep transaction handles.
const BATCH: u64 = 500;

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SlaSweep {
    /// Tickets looked at.
    pub checked: usize,
    /// `sla.warning` events raised.
    pub warnings: usize,
    /// `sla.breached` events raised.
    pub breaches: usize,
}

impl App {
    /// Handles every clock due for a look at `now`.
    pub async fn sweep_slas(&self, now: i64) -> AppResult<SlaSweep> {
        let mut total = SlaSweep::default();
        loop {
            let config = self.config_snapshot().await?;
            let batch = self
                .store
                .write(move |tx| {
                    Box::pin(async move {
                        let repos = tx.repos();
                        let rows = repos.slas_to_check(now, BATCH).await?;
                        let mut done = SlaSweep {
                            checked: rows.len(),
                            ..SlaSweep::default()
                        };
                        let ctx = Ctx {
                            actor: App::system_actor(),
                            via: Via::System,
                            via_name: Some("sla".into()),
                            depth: 0,
                            origin: None,
                            at: Some(now),
                        };
                        for mut row in rows {
                            let mut clocks = stored(&row.clocks);
                            let policy = row
                                .policy_id
                                .and_then(|id| config.sla.name_of(id))
                                .unwrap_or_default();
                            for c in clocks.iter_mut() {
                                let running = c.clock.met_at.is_none() && !c.clock.paused;
                                if running && c.clock.due_at.is_some_and(|d| d <= now) {
                                    c.clock.state = State::Breached;
                                } else if running
                                    && !c.warned
                                    && c.clock.state == State::OnTrack
                                    && c.clock.warn_at.is_some_and(|w| w <= now)
                                {
                                    c.clock.state = State::Warning;
                                }
                                let kind = if c.clock.state == State::Breached && !c.breach_sent {
                                    c.breach_sent = true;
                                    c.warned = true;
                                    EventKind::SlaBreached
                                } else if c.clock.state == State::Warning && !c.warned {
                                    c.warned = true;
                                    EventKind::SlaWarning
                                } else {
                                    continue;
                                };
                                let due_at = c.clock.due_at.unwrap_or(now);
                                let recorded = repos
                                    .record_sla_alert(SlaAlertRow {
                                        id: 0,
                                        ticket_id: row.ticket_id,
                                        target: c.clock.target.as_str().to_string(),
                                        kind: kind.as_str().to_string(),
                                        started_at: c.clock.started_at,
                                        due_at,
                                        created_at: now,
                                    })
                                    .await?;
                                if !recorded {
                                    continue;
                                }
                                if kind == EventKind::SlaBreached {
                                    done.breaches += 1;
                                } else {
                                    done.warnings += 1;
                                }
                                crate::tickets::emit(
                                    &repos,
                                    &ctx,
                                    Some(row.ticket_id),
                                    kind,
                                    json!({
                                        "target": c.clock.target.as_str(),
                                        "due_at": rfc3339(due_at),
                                        "policy": policy,
                                        "policy_id": row.policy_id,
                                        "started_at": rfc3339(c.clock.started_at),
                                    }),
                                    now,
                                )
                                .await?;
                            }
                            fill(&mut row, &clocks, now);
                            repos.put_ticket_sla(row).await?;
                        }
                        Ok::<_, AppError>(done)
                    })
                })
                .await?;
            if batch.warnings + batch.breaches > 0 {
                self.events_committed();
            }
            total.checked += batch.checked;
            total.warnings += batch.warnings;
            total.breaches += batch.breaches;
            if (batch.checked as u64) < BATCH {
                return Ok(total);
            }
        }
    }

    /// Runs [`App::sweep_slas`] every [`SWEEP_EVERY`] in the background.
    pub(crate) fn spawn_sla_sweeper(&self) -> tokio::task::JoinHandle<()> {
        let app = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(SWEEP_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(err) = app.sweep_slas(crate::now_millis()).await {
                    tracing::warn!(error = %err, "SLA sweep failed; retrying");
                }
            }
        })
    }
}
