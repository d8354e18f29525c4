//! What the event log records about each change.

use serde_json::Value;

/// The kinds of event in the log. The names are a stable contract: consumers, rules and
/// plugins match on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    TicketCreated,
    TicketUpdated,
    StatusChanged,
    MessageAdded,
    TicketMerged,
    TicketLinked,
    TicketUnlinked,
    TicketDeleted,
    MacroApplied,
    RatingReceived,
    SlaWarning,
    SlaBreached,
}

impl EventKind {
    /// The stable dotted name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::TicketCreated => "ticket.created",
            EventKind::TicketUpdated => "ticket.updated",
            EventKind::StatusChanged => "status.changed",
            EventKind::MessageAdded => "message.added",
            EventKind::TicketMerged => "ticket.merged",
            EventKind::TicketLinked => "ticket.linked",
            EventKind::TicketUnlinked => "ticket.unlinked",
            EventKind::TicketDeleted => "ticket.deleted",
            EventKind::MacroApplied => "macro.applied",
            EventKind::RatingReceived => "rating.received",
            EventKind::SlaWarning => "sla.warning",
            EventKind::SlaBreached => "sla.breached",
        }
    }
}

/// The way a change reached the system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Via {
    /// The REST API or the web UI.
    Api,
    /// An automation rule.
    Rule,
    /// A plugin.
    Plugin,
    /// An inbound channel (email, chat, web form).
    Channel,
    /// The server itself (CLI, demo data, scheduled work).
    System,
}

impl Via {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Api => "api",
            Via::Rule => "rule",
            Via::Plugin => "plugin",
            Via::Channel => "channel",
            Via::System => "system",
        }
    }
}

/// One field that a change moved from one value to another.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldChange {
    /// The field's name (`priority`, `tags`, `custom_fields.plan` …).
    pub field: String,
    /// The value before.
    pub from: Value,
    /// The value after.
    pub to: Value,
}

impl FieldChange {
    /// A change, or `None` when the value did not move.
    pub fn between(field: &str, from: Value, to: Value) -> Option<FieldChange> {
        (from != to).then(|| FieldChange {
            field: field.to_string(),
            from,
            to,
        })
    }
}
