//! The names a script refers to: the groups, agents, statuses, custom fields, macros and
//! plugins written as literal strings in its action calls. The application checks them
//! against the help desk when a rule is imported, so an admin hears which one is missing
//! before the rule runs rather than from its failing runs.

use rhai::{ASTNode, Expr, FnCallExpr, Stmt};

use crate::engine::Script;

/// What kind of thing a name stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReferenceKind {
    Group,
    /// An agent, by email.
    Agent,
    Status,
    /// A custom field, by key.
    Field,
    Macro,
    /// An installed plugin, by id.
    Plugin,
}

impl ReferenceKind {
    /// The word for it, as an admin reads it.
    pub fn as_str(self) -> &'static str {
        match self {
            ReferenceKind::Group => "group",
            ReferenceKind::Agent => "agent",
            ReferenceKind::Status => "status",
            ReferenceKind::Field => "custom field",
            ReferenceKind::Macro => "macro",
            ReferenceKind::Plugin => "plugin",
        }
    }
}

/// One name a script refers to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Reference {
    pub kind: ReferenceKind,
    pub name: String,
}

impl std::fmt::Display for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {:?}", self.kind.as_str(), self.name)
    }
}

/// What the first argument of a call names, when it is a literal string; `notify` takes
/// an agent's email, a group's name, or the words `assignee` and `group`.
fn classify(function: &str, first: &str) -> Option<ReferenceKind> {
    use ReferenceKind::*;
    Some(match function {
        "assign_group" | "assign_round_robin" | "assign_least_loaded" | "escalate" => Group,
        "assign" => Agent,
        "set_status" => Status,
        "set_field" => Field,
        "reply_macro" => Macro,
        "call_plugin" => Plugin,
        "notify"
            if first.eq_ignore_ascii_case("assignee") || first.eq_ignore_ascii_case("group") =>
        {
            return None;
        }
        "notify" if first.contains('@') => Agent,
        "notify" => Group,
        _ => return None,
    })
}

fn reference(call: &FnCallExpr) -> Option<Reference> {
    let Some(Expr::StringConstant(first, _)) = call.args.first() else {
        return None;
    };
    let name = first.trim();
    if name.is_empty() {
        return None;
    }
    Some(Reference {
        kind: classify(call.name.as_str(), name)?,
        name: name.to_string(),
    })
}

impl Script {
    /// The names its action calls spell out, each once, sorted by kind and name. Names
    /// computed while it runs (from the ticket, say) are not known here.
    pub fn references(&self) -> Vec<Reference> {
        let mut found = Vec::new();
        self.ast().walk(&mut |path: &[ASTNode]| {
            let call = match path.last() {
                Some(ASTNode::Stmt(Stmt::FnCall(call, _))) => Some(&**call),
                Some(ASTNode::Expr(Expr::FnCall(call, _))) => Some(&**call),
                _ => None,
            };
            if let Some(r) = call.and_then(reference) {
                found.push(r);
            }
            true
        });
        found.sort();
        found.dedup();
        found
    }
}

#[cfg(test)]
mod tests {
    use crate::{Engine, Limits};

    fn refs(source: &str) -> Vec<String> {
        let engine = Engine::new(Limits::default());
        let script = engine.compile(source).expect("compiles");
        script
            .references()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn literal_names_in_action_calls_are_found_wherever_they_are() {
        let found = refs(
            r#"
            if ticket.priority == "urgent" {
                assign_round_robin("German");
            } else {
                let g = if true { assign_group("L2"); "x" } else { "y" };
            }
            fn later() { escalate("Tier 3") }
            set_status("Solved");
            set_field("order_id", 5);
            reply_macro("Thanks");
            call_plugin("crm", "lookup");
            assign("ada@example.com");
            notify("assignee", "hi");
            notify("group", "hi");
            notify("L2", "hi");
            notify("bo@example.com", "hi");
            add_tag("vip");
            "#,
        );
        assert_eq!(
            found,
            vec![
                r#"group "German""#,
                r#"group "L2""#,
                r#"group "Tier 3""#,
                r#"agent "ada@example.com""#,
                r#"agent "bo@example.com""#,
                r#"status "Solved""#,
                r#"custom field "order_id""#,
                r#"macro "Thanks""#,
                r#"plugin "crm""#,
            ]
        );
    }

    #[test]
    fn computed_names_are_not_guessed() {
        assert!(refs(r#"assign_group(ticket.subject); set_status(ticket.status);"#).is_empty());
    }
}
