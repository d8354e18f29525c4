//! The rule consumer: follows the event log and runs the rules each change triggers.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use triage_automation::{Engine, Prepared, RunInput, RunOutcome, Script, Trigger};
use triage_store::{EventRow, RuleRow};

use super::apply::{Applied, Failure, Firing};
use super::{CONSUMER, MAX_DEPTH, context};
use crate::consumer::{Consumer, ConsumerHandle};
use crate::{App, AppError, AppResult};

/// The running rule consumer and scheduler; [`AutomationHandle::stop`] stops both.
#[derive(Debug)]
pub struct AutomationHandle {
    consumer: ConsumerHandle,
    scheduler: tokio::task::JoinHandle<()>,
}

impl AutomationHandle {
    /// Stops following the log and running schedules; both resume where they were.
    pub fn stop(self) {
        self.consumer.stop();
        self.scheduler.abort();
    }
}

/// How often the scheduler looks for due rules.
const SCHEDULER_TICK: Duration = Duration::from_secs(15);

struct RuleConsumer {
    app: App,
}

impl Consumer for RuleConsumer {
    fn name(&self) -> &str {
        CONSUMER
    }

    fn handle<'a>(&'a self, events: &'a [EventRow]) -> BoxFuture<'a, AppResult<()>> {
        Box::pin(self.app.handle_rule_events(events))
    }
}

/// Splits a batch into changes: the consecutive events one command appended for one
/// ticket (same ticket, time, actor, way and depth).
pub(crate) fn changes(events: &[EventRow]) -> Vec<&[EventRow]> {
    let same = |a: &EventRow, b: &EventRow| {
        a.ticket_id == b.ticket_id
            && a.created_at == b.created_at
            && a.actor_id == b.actor_id
            && a.via == b.via
            && a.via_name == b.via_name
            && a.depth == b.depth
    };
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=events.len() {
        if i == events.len() || !same(&events[start], &events[i]) {
            if start < i {
                out.push(&events[start..i]);
            }
            start = i;
        }
    }
    out
}

/// Whether a rule runs on a change.
pub(crate) fn triggered_by(rule: &RuleRow, change: &[EventRow]) -> bool {
    let Some(first) = change.first() else {
        return false;
    };
    if !rule.active || (first.depth > 0 && !rule.on_rule_changes) {
        return false;
    }
    if first.via == "rule" && first.via_name.as_deref() == Some(rule.name.as_str()) {
        return false;
    }
    let triggers = triage_store::repo::json_strings(&rule.triggers);
    change.iter().any(|e| {
        Trigger::for_event(&e.kind).is_some_and(|t| triggers.iter().any(|s| s == t.as_str()))
    })
}

/// Runs scripts in order on a blocking thread, stopping at the first that fires or
/// fails; returns its index and outcome.
pub(crate) async fn first_firing(
    engine: Arc<Engine>,
    scripts: Vec<Arc<Script>>,
    prepared: Prepared,
) -> AppResult<Option<(usize, RunOutcome)>> {
    tokio::task::spawn_blocking(move || {
        scripts.iter().enumerate().find_map(|(i, script)| {
            let out = engine.run(script, &prepared);
            (out.fired() || out.error.is_some()).then_some((i, out))
        })
    })
    .await
    .map_err(|e| AppError::Internal(format!("rule task: {e}")))
}

impl App {
    /// Starts the rule consumer and the scheduler. On a database whose log the rules
    /// never followed, they start at its end: rules act on changes from now on.
    pub async fn start_automation(&self) -> AppResult<AutomationHandle> {
        self.ensure_service_user().await?;
        self.start_at_end_if_new(CONSUMER).await?;
        let consumer = self.spawn_consumer(Arc::new(RuleConsumer { app: self.clone() }));
        let app = self.clone();
        let scheduler = tokio::spawn(async move {
            loop {
                if let Err(err) = app.run_due_schedules(crate::now_millis()).await {
                    tracing::warn!(error = %err, "scheduled rules failed; retrying");
                }
                tokio::time::sleep(SCHEDULER_TICK).await;
            }
        });
        Ok(AutomationHandle {
            consumer,
            scheduler,
        })
    }

    /// Waits until the rules have handled every committed event, including the events
    /// their own changes caused. False if that took longer than `timeout`.
    pub async fn automation_caught_up(&self, timeout: Duration) -> AppResult<bool> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let read = self.store.read();
            let last = read.last_event_id().await?;
            if read.checkpoint(CONSUMER).await? >= last {
                return Ok(true);
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(false);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn handle_rule_events(&self, events: &[EventRow]) -> AppResult<()> {
        let rules: Vec<RuleRow> = self
            .store
            .read()
            .list_rules()
            .await?
            .into_iter()
            .filter(|r| r.active)
            .collect();
        if rules.is_empty() {
            return Ok(());
        }
        // Rules turned off by their failures in this batch run on none of its later
        // changes: the count of failures in a row is kept per run, not per batch.
        let mut turned_off = HashSet::new();
        for change in changes(events) {
            let candidates: Vec<&RuleRow> = rules
                .iter()
                .filter(|r| !turned_off.contains(&r.id) && triggered_by(r, change))
                .collect();
            if !candidates.is_empty() {
                self.run_rules_on_change(&candidates, change, &mut turned_off)
                    .await?;
            }
        }
        Ok(())
    }

    /// Runs the triggered rules on one change; adds those its failures turned off to
    /// `turned_off`.
    async fn run_rules_on_change(
        &self,
        rules: &[&RuleRow],
        change: &[EventRow],
        turned_off: &mut HashSet<i64>,
    ) -> AppResult<()> {
        let Some(first) = change.first() else {
            return Ok(());
        };
        let Some(ticket_id) = first.ticket_id else {
            return Ok(());
        };
        let origin = first.origin_id.unwrap_or(first.id);
        if first.depth >= MAX_DEPTH {
            for rule in rules {
                let message = format!(
                    "stopped: this change is {} rule steps from a person's change; chains deeper than {MAX_DEPTH} do not run",
                    first.depth
                );
                self.record_stop(
                    rule,
                    Failure::new(Some(ticket_id), Some(first.id), message),
                    format!("depth:{}:{origin}", rule.id),
                )
                .await?;
            }
            return Ok(());
        }
        let event = context::event_json(&self.store.read(), change).await?;
        let mut compiled = Vec::with_capacity(rules.len());
        for rule in rules {
            match self.automation.compile(&rule.script) {
                Ok(script) => compiled.push((*rule, script)),
                Err(e) => {
                    let failure = Failure::new(Some(ticket_id), Some(first.id), e.to_string());
                    if self.record_failure(rule, failure).await? {
                        turned_off.insert(rule.id);
                    }
                }
            }
        }
        let mut next = 0;
        while next < compiled.len() {
            let config = self.config_snapshot().await?;
            let read = self.store.read();
            let ticket = match read.ticket(ticket_id).await? {
                Some(t) if t.deleted_at.is_none() && t.merged_into.is_none() => t,
                _ => return Ok(()),
            };
            let ticket = context::ticket_json(&read, &config.statuses, &ticket).await?;
            let prepared = match self.automation.prepare(RunInput {
                ticket,
                event: event.clone(),
                now: crate::now_millis(),
            }) {
                Ok(p) => p,
                Err(e) => return Err(AppError::Internal(e.to_string())),
            };
            let scripts = compiled[next..].iter().map(|(_, s)| s.clone()).collect();
            let Some((offset, outcome)) =
                first_firing(self.automation.clone(), scripts, prepared).await?
            else {
                return Ok(());
            };
            let index = next + offset;
            next = index + 1;
            let rule = compiled[index].0;
            let duration_us = i64::try_from(outcome.duration.as_micros()).unwrap_or(i64::MAX);
            if let Some(error) = outcome.error {
                let failure = Failure::new(Some(ticket_id), Some(first.id), error.to_string());
                if self.record_failure(rule, failure.took(duration_us)).await? {
                    turned_off.insert(rule.id);
                }
                continue;
            }
            let firing = Firing {
                rule,
                ticket_id,
                event_id: Some(first.id),
                dedup: format!("{}:{origin}", rule.id),
                depth: first.depth + 1,
                origin: Some(origin),
                intents: outcome.intents,
                duration_us,
            };
            match self.apply_firing(firing).await {
                Ok(Applied::Done(_) | Applied::AlreadyFired) => {}
                Err(AppError::Store(e)) => return Err(AppError::Store(e)),
                Err(e) => {
                    let failure = Failure::new(Some(ticket_id), Some(first.id), e.to_string());
                    if self.record_failure(rule, failure.took(duration_us)).await? {
                        turned_off.insert(rule.id);
                    }
                }
            }
        }
        Ok(())
    }
}
