use serde_json::json;

use super::*;

fn input() -> RunInput {
    RunInput {
        ticket: json!({
            "id": 1001, "subject": "Refund for order 5521", "priority": "normal",
            "tags": ["billing"], "organization": {"id": 3, "name": "Acme"},
            "assignee": null, "updated_at": 0,
        }),
        event: json!({"kind": "ticket.updated", "changes": [{"field": "priority", "from": "low", "to": "normal"}]}),
        now: 5 * 86_400_000,
    }
}

fn run(source: &str) -> RunOutcome {
    Engine::new(Limits::default())
        .run_source(source, input())
        .unwrap_or_else(|e| panic!("{source}: {e}"))
}

#[test]
fn actions_are_collected_in_order() {
    let out = run(r#"
        if ticket.organization.name == "Acme" && ticket.subject.contains("Refund") {
            set_priority("high");
            assign_group("Billing");
            add_tag("refund");
            notify("lead@helpdesk.example", "refund for #" + ticket.id);
        }
    "#);
    assert_eq!(out.error, None);
    assert_eq!(
        out.intents,
        vec![
            Intent::SetPriority {
                priority: "high".into()
            },
            Intent::AssignGroup {
                group: Some(Target::Name("Billing".into()))
            },
            Intent::AddTag {
                tag: "refund".into()
            },
            Intent::Notify {
                target: Target::Name("lead@helpdesk.example".into()),
                text: "refund for #1001".into()
            },
        ]
    );
    assert!(out.fired());
}

#[test]
fn the_event_tells_what_changed_and_time_helpers_use_the_run_time() {
    let out = run(r#"
        if changed("priority") && old_value("priority") == "low" && new_value("priority") == "normal"
            && !changed("status") && has_tag("billing") && !has_tag("vip") && days_since(ticket.updated_at) == 5 {
            add_tag("seen");
        }
    "#);
    assert_eq!(out.error, None);
    assert_eq!(out.intents, vec![Intent::AddTag { tag: "seen".into() }]);
}

#[test]
fn the_ticket_is_read_only() {
    let out = run(r#"ticket.priority = "urgent";"#);
    assert!(out.error.is_some(), "{out:?}");
}

#[test]
fn syntax_errors_name_line_and_column() {
    let engine = Engine::new(Limits::default());
    let err = engine
        .compile("add_tag(\"a\");\nif ticket.id > { add_tag(\"b\"); }")
        .err()
        .unwrap_or_else(|| panic!("compiled"));
    assert_eq!(err.line, 2, "{err}");
    assert!(err.column > 0, "{err}");
}

#[test]
fn eval_and_modules_are_refused() {
    let engine = Engine::new(Limits::default());
    assert!(engine.compile("eval(\"add_tag(1)\")").is_err());
    assert!(engine.compile("import \"fs\" as fs;").is_err());
}

#[test]
fn runaway_scripts_stop_within_their_bounds() {
    let cases = [
        ("loop { }", "operations"),
        ("fn f(n) { f(n + 1) } f(0);", "nested"),
        ("let s = \"xx\"; loop { s += s; }", "too large"),
        ("let a = []; loop { a.push(1); }", "too large"),
        ("let a = [1]; loop { a += a; }", "too large"),
    ];
    for (source, what) in cases {
        let started = Instant::now();
        let out = run(source);
        let err = out.error.clone().unwrap_or_else(|| panic!("{source} ran"));
        assert!(err.is_limit(), "{source}: {err}");
        assert!(err.to_string().contains(what), "{source}: {err}");
        assert!(out.intents.is_empty());
        assert!(started.elapsed() < Duration::from_secs(5), "{source}");
    }
}

#[test]
fn a_slow_script_is_stopped_at_its_deadline() {
    let engine = Engine::new(Limits {
        max_operations: u64::MAX,
        deadline: Duration::from_millis(20),
        ..Limits::default()
    });
    let out = engine
        .run_source("let n = 0; loop { n += 1; }", input())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        out.error,
        Some(RunError::Timeout(Duration::from_millis(20)))
    );
}

#[test]
fn a_failing_script_asks_for_nothing() {
    let out = run(r#"add_tag("first"); throw "no customer";"#);
    assert!(
        matches!(&out.error, Some(RunError::Runtime { message, line: 1, .. }) if message == "no customer"),
        "{out:?}"
    );
    assert!(out.intents.is_empty());
    let out = run("set_priorty(\"high\");");
    assert!(
        out.error
            .as_ref()
            .is_some_and(|e| e.to_string().contains("set_priorty")),
        "{out:?}"
    );
}

#[test]
fn text_helpers() {
    let out = run(r#"
        if matches(ticket.subject, "(?i)order \\d{4}") { add_tag("order"); }
        if contains_any(ticket.subject, ["REFUND", "chargeback"]) { add_tag("money"); }
        if language("Der Drucker druckt seit dem Update nur noch leere Seiten") == "de" { add_tag("de"); }
        if lower("ÄBC") == "äbc" { add_tag("lower"); }
        if matches(ticket.assignee, "x") { add_tag("never"); }
    "#);
    assert_eq!(out.error, None);
    let tags: Vec<_> = out.intents.iter().map(Intent::describe).collect();
    assert_eq!(
        tags,
        [
            "add tag \"order\"",
            "add tag \"money\"",
            "add tag \"de\"",
            "add tag \"lower\""
        ]
    );
    assert!(run("matches(\"a\", \"(\")").error.is_some());
}

#[test]
fn compiled_scripts_are_cached() {
    let engine = Engine::new(Limits::default());
    let a = engine
        .compile("add_tag(\"x\");")
        .unwrap_or_else(|e| panic!("{e}"));
    let b = engine
        .compile("add_tag(\"x\");")
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(Arc::ptr_eq(&a, &b));
}

/// Issue #21 (2): a script cannot ask to store a NUL character, which PostgreSQL refuses;
/// the run fails with the same message on every database.
#[test]
fn text_with_a_nul_fails_the_run() {
    for source in [
        r#"add_note("a\x00b");"#,
        r#"add_tag("\u0000");"#,
        r#"set_field("plan", #{name: "x\x00"});"#,
        r#"call_plugin("crm", "lookup", #{q: "\x00"});"#,
    ] {
        let out = run(source);
        assert!(
            out.error
                .as_ref()
                .is_some_and(|e| e.to_string().contains("NUL character")),
            "{source}: {out:?}"
        );
        assert!(out.intents.is_empty(), "{source}");
    }
}
