//! The policies and calendars as the clocks use them, read once per configuration copy.

use std::collections::HashMap;

use triage_domain::calendar::Calendar;
use triage_domain::sla::policy::{Policy, TicketFacts};
use triage_store::{CalendarRow, SlaPolicyRow};

use super::{calendar_of, policy_of};

/// One enabled policy, ready to match.
#[derive(Debug)]
pub(crate) struct ActivePolicy {
    pub id: i64,
    pub policy: Policy,
    /// `None`: calendar hours.
    pub calendar: Option<Calendar>,
}

/// The enabled policies in the order they are tried, and every policy's name.
#[derive(Debug, Default)]
pub(crate) struct SlaConfig {
    pub policies: Vec<ActivePolicy>,
    names: HashMap<i64, String>,
}

impl SlaConfig {
    /// Reads the stored rows; a policy or calendar that no longer reads is left out with
    /// a warning rather than stopping every ticket's clocks.
    pub fn new(policies: &[SlaPolicyRow], calendars: &[CalendarRow]) -> SlaConfig {
        let mut cals = HashMap::new();
        for row in calendars {
            match calendar_of(row) {
                Ok(c) => {
                    cals.insert(row.id, c);
                }
                Err(err) => tracing::warn!(calendar = row.id, error = %err, "calendar skipped"),
            }
        }
        let mut rows: Vec<&SlaPolicyRow> = policies.iter().collect();
        rows.sort_by(|a, b| (a.position, &a.name).cmp(&(b.position, &b.name)));
        let mut active = Vec::new();
        for row in rows.into_iter().filter(|p| p.enabled) {
            let calendar = match row.calendar_id {
                None => None,
                Some(id) => match cals.get(&id) {
                    Some(c) => Some(c.clone()),
                    None => {
                        tracing::warn!(policy = row.id, calendar = id, "policy's calendar missing");
                        continue;
                    }
                },
            };
            match policy_of(row) {
                Ok(policy) => active.push(ActivePolicy {
                    id: row.id,
                    policy,
                    calendar,
                }),
                Err(err) => tracing::warn!(policy = row.id, error = %err, "policy skipped"),
            }
        }
        SlaConfig {
            policies: active,
            names: policies.iter().map(|p| (p.id, p.name.clone())).collect(),
        }
    }

    /// The first enabled policy that covers a ticket.
    pub fn pick(&self, facts: &TicketFacts) -> Option<&ActivePolicy> {
        self.policies
            .iter()
            .find(|p| p.policy.conditions.matches(facts))
    }

    /// A policy's name, enabled or not.
    pub fn name_of(&self, id: i64) -> Option<String> {
        self.names.get(&id).cloned()
    }
}
