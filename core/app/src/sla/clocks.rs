//! Each ticket's clocks from its history: the `sla` consumer follows the event log and
//! recomputes the tickets a batch touched, under the policy that covers them now.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use serde_json::{Value, json};
use triage_domain::calendar::Calendar;
use triage_domain::sla::policy::TicketFacts;
use triage_domain::sla::{self, Clock, Happening, State, Target};
use triage_domain::{Priority, StatusCategory, TicketType};
use triage_store::{EventRow, TicketRow, TicketSlaRow};

use super::SlaConfig;
use crate::consumer::{Consumer, ConsumerHandle};
use crate::{App, AppError, AppResult};

/// The consumer's checkpoint name.
pub const CONSUMER: &str = "sla";

/// A clock as stored, with what the sweeper has already raised for its run.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StoredClock {
    pub clock: Clock,
    /// `sla.warning` was raised for this run (or will not be: no lead, or too late).
    pub warned: bool,
    /// `sla.breached` was raised for this run.
    pub breach_sent: bool,
}

/// Reads stored clocks; entries that no longer read are skipped.
pub(crate) fn stored(v: &Value) -> Vec<StoredClock> {
    let Some(items) = v.as_array() else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|c| {
            Some(StoredClock {
                clock: Clock {
                    target: Target::parse(c["target"].as_str()?)?,
                    state: State::parse(c["state"].as_str()?)?,
                    started_at: c["started_at"].as_i64()?,
                    due_at: c["due_at"].as_i64(),
                    warn_at: c["warn_at"].as_i64(),
                    met_at: c["met_at"].as_i64(),
                    paused: c["paused"].as_bool().unwrap_or(false),
                    elapsed: c["elapsed"].as_i64().unwrap_or(0),
                },
                warned: c["warned"].as_bool().unwrap_or(false),
                breach_sent: c["breach_sent"].as_bool().unwrap_or(false),
            })
        })
        .collect()
}

fn clock_json(c: &StoredClock) -> Value {
    json!({
        "target": c.clock.target.as_str(),
        "state": c.clock.state.as_str(),
        "started_at": c.clock.started_at,
        "due_at": c.clock.due_at,
        "warn_at": c.clock.warn_at,
        "met_at": c.clock.met_at,
        "paused": c.clock.paused,
        "elapsed": c.clock.elapsed,
        "warned": c.warned,
        "breach_sent": c.breach_sent,
    })
}

/// When the sweeper must look at a clock next: when it warns, when it is due, or at
/// once for a breach nobody has been told of yet.
fn check_at(c: &StoredClock, now: i64) -> Option<i64> {
    if c.clock.state == State::Breached && !c.breach_sent {
        return Some(now);
    }
    if c.clock.met_at.is_some() || c.clock.paused {
        return None;
    }
    if !c.warned {
        return c.clock.warn_at.or(c.clock.due_at);
    }
    if !c.breach_sent {
        return c.clock.due_at;
    }
    None
}

/// Fills the row's summary columns from its clocks.
pub(crate) fn fill(row: &mut TicketSlaRow, clocks: &[StoredClock], now: i64) {
    let plain: Vec<Clock> = clocks.iter().map(|c| c.clock.clone()).collect();
    row.state = sla::overall(&plain).map(|s| s.as_str().to_string());
    row.due_at = sla::next_due(&plain);
    row.check_at = clocks.iter().filter_map(|c| check_at(c, now)).min();
    row.clocks = Value::Array(clocks.iter().map(clock_json).collect());
    row.updated_at = now;
}

/// What the clocks need of a ticket's events, in order. Replies by rules and plugins are
/// automatic answers and do not count as responses.
pub(crate) fn history(events: &[EventRow]) -> Vec<Happening> {
    let category = |v: &Value| {
        v["category"]
            .as_str()
            .and_then(|c| StatusCategory::parse(c).ok())
    };
    let mut out = Vec::new();
    for e in events {
        let at = e.created_at;
        match e.kind.as_str() {
            "ticket.created" => {
                if let Some(category) = category(&e.data["status"]) {
                    out.push(Happening::Created { at, category });
                }
            }
            "status.changed" => {
                if let Some(category) = category(&e.data["to"]) {
                    out.push(Happening::StatusChanged { at, category });
                }
            }
            "message.added" => {
                let role = e.data["author_role"].as_str().unwrap_or("");
                if role == "customer" {
                    out.push(Happening::CustomerMessage { at });
                } else if e.data["public"].as_bool() == Some(true)
                    && (role == "agent" || role == "admin")
                    && e.via != "rule"
                    && e.via != "plugin"
                {
                    out.push(Happening::AgentReply { at });
                }
            }
            _ => {}
        }
    }
    out
}

/// What a policy looks at on a ticket, as it is now.
pub(crate) fn facts(ticket: &TicketRow) -> TicketFacts {
    TicketFacts {
        priority: Priority::parse(&ticket.priority).ok(),
        group_id: ticket.group_id,
        organization_id: ticket.organization_id,
        kind: TicketType::parse(&ticket.kind).ok(),
        tags: triage_store::repo::json_strings(&ticket.tags),
        custom_fields: crate::directory::json_map(&ticket.custom_fields),
    }
}

/// A ticket's clocks at `now`, keeping what the sweeper already raised for the same runs;
/// `None` when no policy covers it (or it is deleted or merged away).
pub(crate) fn compute(
    config: &SlaConfig,
    ticket: &TicketRow,
    events: &[EventRow],
    previous: Option<&TicketSlaRow>,
    now: i64,
) -> Option<TicketSlaRow> {
    if ticket.deleted_at.is_some() {
        return None;
    }
    let facts = facts(ticket);
    let active = config.pick(&facts)?;
    let always = Calendar::always_open();
    let calendar = active.calendar.as_ref().unwrap_or(&always);
    let sent: Vec<StoredClock> = previous.map(|p| stored(&p.clocks)).unwrap_or_default();
    let clocks: Vec<StoredClock> = match facts.priority.and_then(|p| active.policy.targets_for(p)) {
        None => Vec::new(),
        Some(targets) => sla::clocks(calendar, &targets, &history(events), now)
            .into_iter()
            .map(|clock| {
                let before = sent.iter().find(|s| {
                    s.clock.target == clock.target && s.clock.started_at == clock.started_at
                });
                let breach_sent = before.is_some_and(|b| b.breach_sent);
                let mut clock = clock;
                // A breach that was announced stays a breach, even if the targets moved.
                if breach_sent {
                    clock.state = State::Breached;
                }
                StoredClock {
                    warned: targets.warning_lead == 0 || before.is_some_and(|b| b.warned),
                    breach_sent,
                    clock,
                }
            })
            .collect(),
    };
    let mut row = TicketSlaRow {
        ticket_id: ticket.id,
        policy_id: Some(active.id),
        state: None,
        due_at: None,
        check_at: None,
        clocks: Value::Null,
        updated_at: now,
    };
    fill(&mut row, &clocks, now);
    Some(row)
}

struct SlaConsumer {
    app: App,
}

impl Consumer for SlaConsumer {
    fn name(&self) -> &str {
        CONSUMER
    }

    fn handle<'a>(&'a self, events: &'a [EventRow]) -> BoxFuture<'a, AppResult<()>> {
        Box::pin(self.app.recompute_slas_of(events))
    }
}

/// The running SLA consumer and sweeper; [`SlaHandle::stop`] stops both.
#[derive(Debug)]
pub struct SlaHandle {
    consumer: ConsumerHandle,
    sweeper: tokio::task::JoinHandle<()>,
}

impl SlaHandle {
    /// Stops both; they resume where they were when started again.
    pub fn stop(self) {
        self.consumer.stop();
        self.sweeper.abort();
    }
}

impl App {
    /// Starts the SLA consumer and the sweeper. On a database whose log was never
    /// followed, the consumer starts at its beginning, so every ticket gets its clocks.
    pub async fn start_slas(&self) -> AppResult<SlaHandle> {
        let consumer = self.spawn_consumer(Arc::new(SlaConsumer { app: self.clone() }));
        let sweeper = self.spawn_sla_sweeper();
        Ok(SlaHandle { consumer, sweeper })
    }

    /// Recomputes the clocks of the tickets a batch of events touched.
    async fn recompute_slas_of(&self, events: &[EventRow]) -> AppResult<()> {
        let ids: BTreeSet<i64> = events
            .iter()
            .filter(|e| !e.kind.starts_with("sla."))
            .filter_map(|e| e.ticket_id)
            .collect();
        if ids.is_empty() {
            return Ok(());
        }
        let ids: Vec<i64> = ids.into_iter().collect();
        self.recompute_slas(&ids).await
    }

    /// Recomputes the clocks of some tickets from their history, now.
    pub async fn recompute_slas(&self, ids: &[i64]) -> AppResult<()> {
        let config = self.config_snapshot().await?;
        let read = self.store.read();
        let tickets = read.tickets_by_ids(ids).await?;
        let mut history: BTreeMap<i64, Vec<EventRow>> = BTreeMap::new();
        for e in read.events_of_tickets(ids).await? {
            if let Some(id) = e.ticket_id {
                history.entry(id).or_default().push(e);
            }
        }
        let previous: BTreeMap<i64, TicketSlaRow> = read
            .ticket_slas(ids)
            .await?
            .into_iter()
            .map(|r| (r.ticket_id, r))
            .collect();
        let now = crate::now_millis();
        let mut puts = Vec::new();
        let mut deletes = Vec::new();
        for t in &tickets {
            let events = history.get(&t.id).map(Vec::as_slice).unwrap_or_default();
            let before = previous.get(&t.id);
            match compute(&config.sla, t, events, before, now) {
                Some(row) => {
                    let same = before.is_some_and(|b| {
                        b.policy_id == row.policy_id
                            && b.state == row.state
                            && b.due_at == row.due_at
                            && b.check_at == row.check_at
                            && b.clocks == row.clocks
                    });
                    if !same {
                        puts.push(row);
                    }
                }
                None if before.is_some() => deletes.push(t.id),
                None => {}
            }
        }
        // Tickets gone from the table (purged) lose their clocks too.
        for id in ids {
            if previous.contains_key(id) && !tickets.iter().any(|t| t.id == *id) {
                deletes.push(*id);
            }
        }
        if puts.is_empty() && deletes.is_empty() {
            return Ok(());
        }
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let repos = tx.repos();
                    for row in puts {
                        repos.put_ticket_sla(row).await?;
                    }
                    for id in deletes {
                        repos.delete_ticket_sla(id).await?;
                    }
                    Ok::<_, AppError>(())
                })
            })
            .await
    }

    /// Waits until the SLA consumer has handled every committed event. False if that took
    /// longer than `timeout`.
    pub async fn slas_caught_up(&self, timeout: Duration) -> AppResult<bool> {
        self.consumer_caught_up(CONSUMER, timeout).await
    }
}
