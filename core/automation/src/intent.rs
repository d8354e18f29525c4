//! The actions a rule asks for. The engine only collects them; the application checks
//! and applies them through its one change path.

use serde::Serialize;
use serde_json::Value;

/// A person or group named in a script: by id, or by email / name.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Target {
    Id(i64),
    Name(String),
}

/// One action of a rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Intent {
    SetStatus {
        status: String,
    },
    SetPriority {
        priority: String,
    },
    SetType {
        kind: String,
    },
    /// Assign to an agent; `None` unassigns.
    Assign {
        agent: Option<Target>,
    },
    AssignGroup {
        group: Option<Target>,
    },
    /// The next available member of the group, in turn.
    AssignRoundRobin {
        group: Target,
    },
    /// The available member of the group with the fewest open tickets, below capacity.
    AssignLeastLoaded {
        group: Target,
    },
    AddTag {
        tag: String,
    },
    RemoveTag {
        tag: String,
    },
    SetField {
        key: String,
        value: Value,
    },
    /// An internal note; placeholders such as `{{ticket.number}}` are filled in.
    AddNote {
        text: String,
    },
    /// A public reply; placeholders are filled in.
    Reply {
        text: String,
    },
    /// A public reply with a macro's text, and the macro's changes.
    ReplyMacro {
        name: String,
    },
    /// An in-app notification to an agent, the members of a group, or the assignee.
    Notify {
        target: Target,
        text: String,
    },
    /// An action a plugin offers; the plugin's answer (notes, tags, fields …) is applied
    /// with the rule's other actions.
    CallPlugin {
        plugin: String,
        name: String,
        arguments: Value,
    },
    /// Raise the priority one step and tag `escalated`; optionally move to a group.
    Escalate {
        group: Option<Target>,
    },
}

impl Intent {
    /// A one-line description for logs and the dry run.
    pub fn describe(&self) -> String {
        let t = |t: &Target| match t {
            Target::Id(id) => format!("#{id}"),
            Target::Name(n) => format!("{n:?}"),
        };
        match self {
            Intent::SetStatus { status } => format!("set status {status:?}"),
            Intent::SetPriority { priority } => format!("set priority {priority:?}"),
            Intent::SetType { kind } => format!("set type {kind:?}"),
            Intent::Assign { agent: Some(a) } => format!("assign to {}", t(a)),
            Intent::Assign { agent: None } => "unassign".into(),
            Intent::AssignGroup { group: Some(g) } => format!("move to group {}", t(g)),
            Intent::AssignGroup { group: None } => "remove the group".into(),
            Intent::AssignRoundRobin { group } => format!("assign round-robin in {}", t(group)),
            Intent::AssignLeastLoaded { group } => {
                format!("assign to the least loaded agent of {}", t(group))
            }
            Intent::AddTag { tag } => format!("add tag {tag:?}"),
            Intent::RemoveTag { tag } => format!("remove tag {tag:?}"),
            Intent::SetField { key, value } => format!("set field {key} to {value}"),
            Intent::AddNote { text } => format!("add note {text:?}"),
            Intent::Reply { text } => format!("reply {text:?}"),
            Intent::ReplyMacro { name } => format!("reply with macro {name:?}"),
            Intent::Notify { target, text } => format!("notify {} {text:?}", t(target)),
            Intent::CallPlugin { plugin, name, .. } => {
                format!("call {name:?} of plugin {plugin:?}")
            }
            Intent::Escalate { group: Some(g) } => format!("escalate to {}", t(g)),
            Intent::Escalate { group: None } => "escalate".into(),
        }
    }
}
