//! The example rules in `examples/rules` whose triggers or clock a test server cannot
//! produce at will, run on hand-built tickets at fixed times. The others are exercised
//! end to end in `tests/tests/api/example_rules.rs`.

use std::path::PathBuf;

use serde_json::{Value, json};
use triage_automation::{Engine, Intent, Limits, RuleSpec, RunInput, Target, Trigger};

fn example(file: &str) -> RuleSpec {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/rules")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    RuleSpec::parse_file(file.trim_end_matches(".rhai"), &text)
        .unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn run(spec: &RuleSpec, ticket: Value, event: Value, now: i64) -> Vec<Intent> {
    let out = Engine::new(Limits::default())
        .run_source(&spec.script, RunInput { ticket, event, now })
        .unwrap_or_else(|e| panic!("{}: {e}", spec.name));
    assert_eq!(out.error, None, "{}", spec.name);
    out.intents
}

fn ticket(assignee: Value) -> Value {
    json!({"id": 1042, "number": 1042, "subject": "Checkout down", "priority": "high", "tags": [],
           "assignee": assignee, "group": {"id": 1, "name": "Support"}, "requester": {"name": "Cy"}})
}

#[test]
fn escalate_on_sla_breach_raises_moves_and_tells_the_assignee() {
    let spec = example("escalate-on-sla-breach.rhai");
    assert_eq!(spec.triggers, vec![Trigger::SlaBreached]);
    let event = json!({"kind": "sla.breached", "sla": {"target": "first_response"}, "changes": []});
    let intents = run(
        &spec,
        ticket(json!({"id": 7, "name": "Bo"})),
        event.clone(),
        0,
    );
    assert_eq!(
        intents,
        vec![
            Intent::Escalate {
                group: Some(Target::Name("L2".into()))
            },
            Intent::Notify {
                target: Target::Name("assignee".into()),
                text: "SLA breached on #1042: Checkout down".into()
            },
            Intent::AddNote {
                text: "SLA breached; escalated to L2.".into()
            },
        ]
    );
    // Without an assignee there is nobody to tell.
    let intents = run(&spec, ticket(Value::Null), event, 0);
    assert_eq!(intents.len(), 2);
}

#[test]
fn out_of_hours_auto_reply_answers_only_when_the_office_is_closed() {
    let spec = example("out-of-hours-auto-reply.rhai");
    let event =
        json!({"kind": "ticket.created", "actor": {"id": 3, "role": "customer"}, "changes": []});
    // Thursday 2026-12-03: 09:30 in Berlin is 08:30 UTC; 19:00 in Berlin is 18:00 UTC.
    let open = 1_796_286_600_000;
    let evening = 1_796_320_800_000;
    // Saturday 2026-12-05, 11:00 in Berlin.
    let saturday = 1_796_464_800_000;
    assert_eq!(run(&spec, ticket(Value::Null), event.clone(), open), vec![]);
    for closed in [evening, saturday] {
        let intents = run(&spec, ticket(Value::Null), event.clone(), closed);
        assert!(
            matches!(&intents[0], Intent::Reply { text } if text.contains("8:00 to 18:00")),
            "{intents:?}"
        );
        assert_eq!(
            intents[1],
            Intent::AddTag {
                tag: "after-hours".into()
            }
        );
    }
    // An agent opening a ticket for a caller gets no auto-reply.
    let by_agent =
        json!({"kind": "ticket.created", "actor": {"id": 2, "role": "agent"}, "changes": []});
    assert_eq!(run(&spec, ticket(Value::Null), by_agent, evening), vec![]);
}

#[test]
fn every_example_rule_reads_and_compiles() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/rules");
    let engine = Engine::new(Limits::default());
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{e}")) {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        if !name.ends_with(".rhai") {
            continue;
        }
        let spec = example(&name);
        assert!(!spec.description.is_empty(), "{name} has no description");
        engine
            .compile(&spec.script)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        count += 1;
    }
    assert!(count >= 10, "only {count} example rules");
}
