//! Automation: rules admins write in rhai, run on the events of the log and on schedules.
//!
//! The engine (`triage-automation`) only runs scripts and returns intents; this module
//! decides when rules run, builds what a script sees ([`context`]), turns intents into
//! one command per rule ([`apply`]) in the rule's name, and keeps the run log. Changes a
//! rule makes are events like any other, one step deeper (`depth`) and carrying the
//! event that started the chain (`origin`): a rule fires at most once per original
//! change (a unique run-log key, so also across processes), triggers other rules only
//! where they allow it, and a chain deeper than [`MAX_DEPTH`] stops.

mod apply;
mod assign;
mod context;
mod dry_run;
mod events;
mod notifications;
mod rules;
mod schedule;

use std::sync::Arc;

pub use dry_run::{DryRun, DryRunResult};
pub use events::AutomationHandle;
pub use notifications::Availability;
pub use rules::{ImportOutcome, RuleInput};
pub use triage_automation::{Intent, Limits, RuleSpec, Target};

/// Reads a `.rhai` rule file: `//! key: value` metadata lines, then the script.
pub fn parse_rule_file(default_name: &str, text: &str) -> Result<RuleSpec, String> {
    RuleSpec::parse_file(default_name, text)
}

/// A chain of rule changes deeper than this stops, with an entry in the rule log.
pub const MAX_DEPTH: i32 = 10;
/// Failed runs in a row after which a rule is deactivated.
pub const MAX_FAILURES: i32 = 5;
/// The checkpoint name of the rule consumer.
pub const CONSUMER: &str = "automation";
/// The service user rules act as; its messages and changes show it, with the rule's name.
pub const SERVICE_EMAIL: &str = "automation@triage.invalid";

/// The engine every rule of this process runs in.
pub(crate) fn engine() -> Arc<triage_automation::Engine> {
    Arc::new(triage_automation::Engine::new(Limits::default()))
}
