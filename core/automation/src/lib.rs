//! Triage automation: rules that admins write in rhai, run in a sandboxed engine.
//!
//! A rule is a script plus metadata ([`rule::RuleSpec`]): when it runs ([`rule::Trigger`],
//! [`rule::Schedule`]), in which order, and whether changes made by other rules may
//! trigger it. A script sees a read-only `ticket` and `event` and calls actions; actions
//! are *intents* ([`intent::Intent`]) that the engine collects and hands back. The
//! application applies them through its one change path, in the rule's name. This crate
//! does no IO: it compiles, caches and runs scripts within [`limits::Limits`].

pub mod engine;
mod helpers;
pub mod intent;
pub mod limits;
pub mod references;
pub mod rule;

pub use engine::{CompileError, Engine, Prepared, RunError, RunInput, RunOutcome, Script};
pub use intent::{Intent, Target};
pub use limits::Limits;
pub use references::{Reference, ReferenceKind};
pub use rule::{RuleSpec, Schedule, Trigger};
