//! Automation rules through the API: actions, ordering, loops, runaway scripts, dry runs,
//! automatic assignment and scheduled rules across two processes.

use std::collections::BTreeMap;

use anyhow::Context;
use serde_json::{Value, json};
use triage_app::App;
use triage_tests::{Client, TestServer};

async fn rule(admin: &Client, body: Value) -> anyhow::Result<i64> {
    let r = admin.post("/api/v1/rules", body).await?.expect(201)?;
    r.body["id"].as_i64().context("rule id")
}

async fn ticket(server: &TestServer, id: i64) -> anyhow::Result<Value> {
    let admin = server.app.clone();
    let t = admin.get_ticket(&App::system_actor(), id).await?;
    Ok(json!({
        "priority": t.ticket.priority,
        "tags": t.tags,
        "group_id": t.ticket.group_id,
        "assignee_id": t.ticket.assignee_id,
        "status": t.status.name,
    }))
}

async fn runs(admin: &Client, rule: i64) -> anyhow::Result<Vec<Value>> {
    let r = admin
        .get(&format!("/api/v1/rules/{rule}/runs"))
        .await?
        .expect(200)?;
    Ok(r.body.as_array().cloned().unwrap_or_default())
}

#[tokio::test]
async fn a_rule_acts_on_a_new_ticket_in_its_own_name() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let admin = server.user("admin", "ada@helpdesk.example").await?;
    let lead = server.user("agent", "lead@helpdesk.example").await?;
    let l2 = server.group("L2", &[lead.user_id]).await?;
    let id = rule(
        &admin,
        json!({
            "name": "Outage routing",
            "triggers": ["ticket.created"],
            "script": r#"
                if ticket.subject.contains("outage") {
                    set_priority("urgent");
                    set_type("incident");
                    add_tag("outage");
                    assign_group("L2");
                    assign("lead@helpdesk.example");
                    set_status("open");
                    add_note("Routed to L2 for ticket #{{ticket.number}}");
                    notify("lead@helpdesk.example", "Outage reported: " + ticket.subject);
                }
            "#,
        }),
    )
    .await?;
    let t = admin
        .ticket(json!({"subject": "Total outage in Berlin", "body": "Nothing works.", "requester": {"email": "cy@customer.example"}}))
        .await?;
    let number = t["id"].as_i64().context("id")?;
    let other = admin
        .ticket(json!({"subject": "Printer question", "body": "Where is it?", "requester": {"email": "cy@customer.example"}}))
        .await?;
    server.automated().await?;

    let t = ticket(&server, number).await?;
    assert_eq!(t["priority"], "urgent");
    assert_eq!(t["tags"], json!(["outage"]));
    assert_eq!(t["group_id"], l2);
    assert_eq!(t["assignee_id"], lead.user_id);
    assert_eq!(t["status"], "Open");
    let untouched = ticket(&server, other["id"].as_i64().context("id")?).await?;
    assert_eq!(untouched["priority"], "normal");

    // The note is there, written by the automation user, and the history names the rule.
    let messages = admin
        .get(&format!("/api/v1/tickets/{number}/messages"))
        .await?
        .expect(200)?;
    let note = messages
        .body
        .as_array()
        .and_then(|m| m.last())
        .cloned()
        .unwrap_or_default();
    assert_eq!(note["body"], format!("Routed to L2 for ticket #{number}"));
    assert_eq!(note["public"], false);
    let history = admin
        .get(&format!("/api/v1/tickets/{number}/history"))
        .await?
        .expect(200)?;
    let by_rule: Vec<&Value> = history.body["items"]
        .as_array()
        .or(history.body.as_array())
        .into_iter()
        .flatten()
        .filter(|e| e["via"] == "rule")
        .collect();
    assert!(!by_rule.is_empty(), "{}", history.text);
    assert!(
        by_rule.iter().all(|e| e["via_name"] == "Outage routing"),
        "{}",
        history.text
    );

    // The lead got the rule's notification (beside the one saying they were assigned);
    // the run log shows one firing with what changed.
    server.notified().await?;
    let notes = lead
        .get("/api/v1/notifications?unread=true")
        .await?
        .expect(200)?;
    let mut kinds: Vec<&str> = notes
        .body
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n["kind"].as_str())
        .collect();
    kinds.sort_unstable();
    assert_eq!(kinds, vec!["assigned", "rule"], "{}", notes.text);
    let note = notes
        .body
        .as_array()
        .into_iter()
        .flatten()
        .find(|n| n["kind"] == "rule")
        .context("the rule's notification")?;
    assert_eq!(note["text"], "Outage reported: Total outage in Berlin");
    assert_eq!(note["ticket_id"], number);
    assert_eq!(note["source"], "Outage routing");
    let log = runs(&admin, id).await?;
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0]["fired"], true);
    assert_eq!(log[0]["ticket_id"], number);
    let fields: Vec<&str> = log[0]["changes"]["fields"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["field"].as_str())
        .collect();
    assert!(
        fields.contains(&"priority") && fields.contains(&"group_id"),
        "{log:?}"
    );
    let marked = lead
        .post(
            "/api/v1/notifications/read",
            json!({"up_to": notes.body[0]["id"]}),
        )
        .await?
        .expect(200)?;
    assert_eq!(marked.body["marked"], 2);
    Ok(())
}

#[tokio::test]
async fn scripts_are_checked_when_saved_and_versions_are_kept() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let admin = server.user("admin", "ada@helpdesk.example").await?;
    let agent = server.user("agent", "bo@helpdesk.example").await?;
    let bad = admin
        .post(
            "/api/v1/rules",
            json!({"name": "Broken", "triggers": ["ticket.created"], "script": "add_tag(\"a\");\nif ticket.id > { }"}),
        )
        .await?
        .expect(422)?;
    assert_eq!(bad.code(), "invalid_script");
    assert_eq!(bad.body["line"], 2, "{}", bad.text);
    assert!(bad.body["column"].as_u64().unwrap_or(0) > 0);
    let unknown = admin
        .post(
            "/api/v1/rules",
            json!({"name": "X", "triggers": ["ticket.exploded"], "script": "1"}),
        )
        .await?
        .expect(422)?;
    assert!(unknown.text.contains("ticket.created"), "{}", unknown.text);
    admin
        .post("/api/v1/rules", json!({"name": "X", "script": "1"}))
        .await?
        .expect(422)?;
    agent
        .post(
            "/api/v1/rules",
            json!({"name": "X", "triggers": ["ticket.created"], "script": "1"}),
        )
        .await?
        .expect(403)?;

    let id = rule(
        &admin,
        json!({"name": "Tagger", "triggers": ["ticket.created"], "script": "add_tag(\"one\");"}),
    )
    .await?;
    admin
        .post(
            "/api/v1/rules",
            json!({"name": "Tagger", "triggers": ["ticket.created"], "script": "1"}),
        )
        .await?
        .expect(409)?;
    let changed = admin
        .patch(
            &format!("/api/v1/rules/{id}"),
            json!({"script": "add_tag(\"two\");", "position": 5}),
        )
        .await?
        .expect(200)?;
    assert_eq!(changed.body["version"], 2);
    let still_bad = admin
        .patch(
            &format!("/api/v1/rules/{id}"),
            json!({"script": "add_tag(("}),
        )
        .await?
        .expect(422)?;
    assert_eq!(still_bad.code(), "invalid_script");
    let versions = admin
        .get(&format!("/api/v1/rules/{id}/versions"))
        .await?
        .expect(200)?;
    let scripts: Vec<&str> = versions
        .body
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["script"].as_str())
        .collect();
    assert_eq!(scripts, ["add_tag(\"two\");", "add_tag(\"one\");"]);
    assert_eq!(versions.body[0]["author_id"], admin.user_id);
    admin
        .delete(&format!("/api/v1/rules/{id}"))
        .await?
        .expect(204)?;
    admin
        .get(&format!("/api/v1/rules/{id}"))
        .await?
        .expect(404)?;
    Ok(())
}

#[tokio::test]
async fn rules_run_in_order_and_rule_changes_trigger_only_rules_that_allow_it() -> anyhow::Result<()>
{
    let server = TestServer::start().await?;
    let admin = server.user("admin", "ada@helpdesk.example").await?;
    rule(
        &admin,
        json!({"name": "Second", "position": 20, "triggers": ["ticket.created"],
        "script": "if ticket.priority == \"high\" { add_tag(\"saw-high\"); }"}),
    )
    .await?;
    rule(
        &admin,
        json!({"name": "First", "position": 10, "triggers": ["ticket.created"],
        "script": "set_priority(\"high\");"}),
    )
    .await?;
    // Reacts to priority changes, but only those people make.
    rule(
        &admin,
        json!({"name": "People only", "triggers": ["ticket.updated"],
        "script": "if changed(\"priority\") { add_tag(\"person-changed-priority\"); }"}),
    )
    .await?;
    // Reacts to rule changes as well.
    rule(&admin, json!({"name": "Anyone", "triggers": ["ticket.updated"], "on_rule_changes": true,
        "script": "if changed(\"priority\") && event.rule == \"First\" { add_tag(\"first-changed-priority\"); }"})).await?;
    let t = admin
        .ticket(
            json!({"subject": "Order", "body": "b", "requester": {"email": "cy@customer.example"}}),
        )
        .await?;
    let id = t["id"].as_i64().context("id")?;
    server.automated().await?;
    let tags = ticket(&server, id).await?["tags"].clone();
    assert_eq!(tags, json!(["first-changed-priority", "saw-high"]));

    // A person's change triggers the rule that ignores rule changes.
    admin
        .patch(&format!("/api/v1/tickets/{id}"), json!({"priority": "low"}))
        .await?
        .expect(200)?;
    server.automated().await?;
    let tags = ticket(&server, id).await?["tags"].clone();
    assert_eq!(
        tags,
        json!([
            "first-changed-priority",
            "person-changed-priority",
            "saw-high"
        ])
    );
    Ok(())
}

#[tokio::test]
async fn rules_that_undo_each_other_fire_once_per_change() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let admin = server.user("admin", "ada@helpdesk.example").await?;
    let ping = rule(&admin, json!({"name": "Ping", "triggers": ["ticket.created", "ticket.updated"], "on_rule_changes": true,
        "script": "if has_tag(\"pong\") || !has_tag(\"ping\") { remove_tag(\"pong\"); add_tag(\"ping\"); }"})).await?;
    let pong = rule(
        &admin,
        json!({"name": "Pong", "triggers": ["ticket.updated"], "on_rule_changes": true,
        "script": "if has_tag(\"ping\") { remove_tag(\"ping\"); add_tag(\"pong\"); }"}),
    )
    .await?;
    let t = admin
        .ticket(
            json!({"subject": "Loop", "body": "b", "requester": {"email": "cy@customer.example"}}),
        )
        .await?;
    let id = t["id"].as_i64().context("id")?;
    server.automated().await?;
    let (ping_log, pong_log) = (runs(&admin, ping).await?, runs(&admin, pong).await?);
    assert_eq!(ping_log.len(), 1, "{ping_log:?}");
    assert_eq!(pong_log.len(), 1, "{pong_log:?}");
    assert_eq!(ticket(&server, id).await?["tags"], json!(["pong"]));
    // The next change a person makes is a new original change: each fires once more.
    admin
        .patch(
            &format!("/api/v1/tickets/{id}"),
            json!({"priority": "high"}),
        )
        .await?
        .expect(200)?;
    server.automated().await?;
    assert_eq!(runs(&admin, ping).await?.len(), 2);
    assert_eq!(runs(&admin, pong).await?.len(), 2);
    Ok(())
}

#[tokio::test]
async fn a_chain_of_rule_changes_deeper_than_ten_is_cut() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let admin = server.user("admin", "ada@helpdesk.example").await?;
    // Twelve rules, each needing the step before it, in reverse order so each waits for
    // the change the one before it makes: a chain twelve rule steps deep.
    let mut chain = Vec::new();
    for k in 1..=12 {
        let script = if k == 1 {
            "if !has_tag(\"step-1\") { add_tag(\"step-1\"); }".to_string()
        } else {
            format!(
                "if has_tag(\"step-{}\") && !has_tag(\"step-{k}\") {{ add_tag(\"step-{k}\"); }}",
                k - 1
            )
        };
        chain.push(
            rule(
                &admin,
                json!({"name": format!("Step {k}"), "position": 100 - k, "on_rule_changes": true,
                "triggers": ["ticket.created", "ticket.updated"], "script": script}),
            )
            .await?,
        );
    }
    let t = admin
        .ticket(
            json!({"subject": "Chain", "body": "b", "requester": {"email": "cy@customer.example"}}),
        )
        .await?;
    let id = t["id"].as_i64().context("id")?;
    server.automated().await?;
    let tags: Vec<String> = serde_json::from_value(ticket(&server, id).await?["tags"].clone())?;
    for k in 1..=10 {
        assert!(
            tags.contains(&format!("step-{k}")),
            "step-{k} missing: {tags:?}"
        );
    }
    assert!(!tags.contains(&"step-11".to_string()), "{tags:?}");
    let cut = runs(&admin, chain[10]).await?;
    assert!(
        cut.iter().any(|r| r["error"]
            .as_str()
            .is_some_and(|e| e.contains("deeper than 10"))),
        "{cut:?}"
    );
    // The stop is not the rule's fault: it stays active.
    let step11 = admin
        .get(&format!("/api/v1/rules/{}", chain[10]))
        .await?
        .expect(200)?;
    assert_eq!(step11.body["active"], true);
    Ok(())
}

#[tokio::test]
async fn runaway_rules_are_stopped_while_the_server_serves_and_the_change_stands()
-> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let admin = server.user("admin", "ada@helpdesk.example").await?;
    let scripts = [
        ("Infinite loop", "loop { }"),
        ("Deep recursion", "fn f(n) { f(n + 1) } f(0);"),
        ("String doubling", "let s = \"abc\"; loop { s += s; }"),
        ("Huge array", "let a = []; loop { a.push(ticket); }"),
        ("Throws", "throw \"no such customer\";"),
        ("Bad action", "set_status(\"Nonexistent\");"),
    ];
    let mut ids = BTreeMap::new();
    for (name, script) in scripts {
        ids.insert(
            name,
            rule(
                &admin,
                json!({"name": name, "triggers": ["ticket.created"], "script": script}),
            )
            .await?,
        );
    }
    let good = rule(&admin, json!({"name": "Good", "position": 99, "triggers": ["ticket.created"], "script": "add_tag(\"handled\");"})).await?;
    let mut numbers = Vec::new();
    for n in 0..5 {
        let t = admin
            .ticket(json!({"subject": format!("Ticket {n}"), "body": "b", "requester": {"email": "cy@customer.example"}}))
            .await?;
        numbers.push(t["id"].as_i64().context("id")?);
        // The server answers while the rules run.
        admin.get("/healthz").await?.expect(200)?;
        admin
            .get(&format!("/api/v1/tickets/{}", numbers[n]))
            .await?
            .expect(200)?;
    }
    server.automated().await?;
    for id in &numbers {
        // Every ticket stands, and the good rule after the failing ones still acted.
        assert_eq!(ticket(&server, *id).await?["tags"], json!(["handled"]));
    }
    assert_eq!(runs(&admin, good).await?.len(), 5);
    for (name, id) in &ids {
        let log = runs(&admin, *id).await?;
        assert_eq!(log.len(), 5, "{name}: {log:?}");
        assert!(
            log.iter()
                .all(|r| r["fired"] == false && r["error"].is_string()),
            "{name}: {log:?}"
        );
        let r = admin
            .get(&format!("/api/v1/rules/{id}"))
            .await?
            .expect(200)?;
        assert_eq!(r.body["active"], false, "{name}: {}", r.text);
        let reason = r.body["disabled_reason"].as_str().unwrap_or("");
        assert!(reason.contains("5 failed runs"), "{name}: {reason}");
    }
    let limits = [
        ("Infinite loop", "too many operations"),
        ("Deep recursion", "nested too deeply"),
        ("String doubling", "too large"),
        ("Huge array", "too large"),
        ("Throws", "no such customer"),
        ("Bad action", "Nonexistent"),
    ];
    for (name, what) in limits {
        let log = runs(&admin, ids[name]).await?;
        let error = log[0]["error"].as_str().unwrap_or("");
        assert!(error.contains(what), "{name}: {error}");
    }
    // Turning a deactivated rule back on starts its count over.
    let back = admin
        .patch(
            &format!("/api/v1/rules/{}", ids["Throws"]),
            json!({"active": true}),
        )
        .await?
        .expect(200)?;
    assert_eq!(back.body["failures"], 0);
    assert!(back.body["disabled_reason"].is_null());
    Ok(())
}

#[tokio::test]
async fn a_dry_run_shows_what_would_change_and_writes_nothing() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let admin = server.user("admin", "ada@helpdesk.example").await?;
    let lead = server.user("agent", "lead@helpdesk.example").await?;
    server.group("Billing", &[lead.user_id]).await?;
    let mut numbers = Vec::new();
    for subject in ["Refund please", "Printer jam", "Refund for order 7"] {
        let t = admin
            .ticket(json!({"subject": subject, "body": "b", "requester": {"email": "cy@customer.example"}}))
            .await?;
        numbers.push(t["id"].as_i64().context("id")?);
    }
    server.automated().await?;
    let before: Vec<Value> = {
        let mut v = Vec::new();
        for id in &numbers {
            v.push(
                admin
                    .get(&format!("/api/v1/tickets/{id}/history"))
                    .await?
                    .expect(200)?
                    .body,
            );
        }
        v
    };
    let script = r#"
        if ticket.subject.contains("Refund") {
            set_priority("high");
            assign_round_robin("Billing");
            add_tag("refund");
            reply("Hi {{requester.first_name}}, we are on it.");
            notify("group", "refund asked");
            print("refund on " + ticket.id);
        }
    "#;
    let report = admin
        .post(
            "/api/v1/rules/test",
            json!({"script": script, "triggers": ["ticket.created"], "last": 50}),
        )
        .await?
        .expect(200)?;
    assert_eq!(report.body["ran"], 3, "{}", report.text);
    assert_eq!(report.body["fired"], 2);
    let results = report.body["results"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let first = results
        .iter()
        .find(|r| r["ticket_id"] == numbers[0])
        .context("result of the first ticket")?;
    let changes: BTreeMap<String, (Value, Value)> = first["changes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            (
                c["field"].as_str().unwrap_or("").to_string(),
                (c["from"].clone(), c["to"].clone()),
            )
        })
        .collect();
    assert_eq!(changes["priority"], (json!("normal"), json!("high")));
    assert_eq!(changes["assignee_id"], (Value::Null, json!(lead.user_id)));
    assert_eq!(changes["tags"], (json!([]), json!(["refund"])));
    assert_eq!(first["messages"], json!(["reply: Hi cy, we are on it."]));
    assert_eq!(first["log"], json!([format!("refund on {}", numbers[0])]));
    let printer = results
        .iter()
        .find(|r| r["ticket_id"] == numbers[1])
        .context("printer")?;
    assert_eq!(printer["fired"], false);
    // One ticket only, and a script error is reported per ticket.
    let one = admin
        .post(
            "/api/v1/rules/test",
            json!({"script": "if ticket.id > 0 { throw \"boom\" }", "ticket_id": numbers[2]}),
        )
        .await?
        .expect(200)?;
    assert_eq!(one.body["ran"], 1);
    assert!(
        one.body["results"][0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("boom"))
    );
    // Nothing was written.
    for (id, history) in numbers.iter().zip(before) {
        let now = admin
            .get(&format!("/api/v1/tickets/{id}/history"))
            .await?
            .expect(200)?;
        assert_eq!(now.body, history);
        assert_eq!(ticket(&server, *id).await?["priority"], "normal");
    }
    assert!(lead.get("/api/v1/notifications").await?.expect(200)?.body == json!([]));
    let bad = admin
        .post("/api/v1/rules/test", json!({"script": "if {", "last": 5}))
        .await?
        .expect(422)?;
    assert_eq!(bad.code(), "invalid_script");
    Ok(())
}

#[tokio::test]
async fn round_robin_and_least_loaded_spread_tickets_as_promised() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let admin = server.user("admin", "ada@helpdesk.example").await?;
    let a = server.user("agent", "a@helpdesk.example").await?;
    let b = server.user("agent", "b@helpdesk.example").await?;
    let c = server.user("agent", "c@helpdesk.example").await?;
    let d = server.user("agent", "d@helpdesk.example").await?;
    server
        .group("Support", &[a.user_id, b.user_id, c.user_id])
        .await?;
    server
        .group("Sales", &[a.user_id, b.user_id, c.user_id, d.user_id])
        .await?;
    rule(&admin, json!({"name": "Support in turn", "triggers": ["ticket.created"],
        "script": "if ticket.subject.starts_with(\"support\") { assign_round_robin(\"Support\"); }"})).await?;
    rule(
        &admin,
        json!({"name": "Sales by load", "triggers": ["ticket.created"],
        "script": "if ticket.subject.starts_with(\"sales\") { assign_least_loaded(\"Sales\"); }"}),
    )
    .await?;

    let mut assignees = Vec::new();
    for n in 0..6 {
        let t = admin
            .ticket(json!({"subject": format!("support {n}"), "body": "b", "requester": {"email": "cy@customer.example"}}))
            .await?;
        server.automated().await?;
        assignees.push(
            ticket(&server, t["id"].as_i64().context("id")?).await?["assignee_id"]
                .as_i64()
                .unwrap_or(0),
        );
    }
    let turn = [a.user_id, b.user_id, c.user_id];
    assert_eq!(
        assignees,
        [turn, turn].concat(),
        "round-robin goes around the group in turn"
    );

    // Least loaded: a and b hold two open tickets each (from round-robin), c holds two,
    // d none; d is away, c may hold at most two.
    admin
        .send(
            admin
                .request(
                    reqwest::Method::PUT,
                    &format!("/api/v1/users/{}/availability", d.user_id),
                )
                .json(&json!({"available": false, "capacity": null})),
        )
        .await?
        .expect(200)?;
    admin
        .send(
            admin
                .request(
                    reqwest::Method::PUT,
                    &format!("/api/v1/users/{}/availability", c.user_id),
                )
                .json(&json!({"available": true, "capacity": 2})),
        )
        .await?
        .expect(200)?;
    // An agent may set their own availability, not someone else's.
    a.send(
        a.request(
            reqwest::Method::PUT,
            &format!("/api/v1/users/{}/availability", b.user_id),
        )
        .json(&json!({"available": false, "capacity": null})),
    )
    .await?
    .expect(403)?;
    // Solve one of a's tickets: a now holds the fewest.
    let a_tickets: Vec<i64> = {
        let list = admin
            .get(&format!("/api/v1/tickets?assignee={}", a.user_id))
            .await?
            .expect(200)?;
        list.body["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t["id"].as_i64())
            .collect()
    };
    admin
        .patch(
            &format!("/api/v1/tickets/{}", a_tickets[0]),
            json!({"status": "solved"}),
        )
        .await?
        .expect(200)?;
    let mut sales = Vec::new();
    for n in 0..3 {
        let t = admin
            .ticket(json!({"subject": format!("sales {n}"), "body": "b", "requester": {"email": "cy@customer.example"}}))
            .await?;
        server.automated().await?;
        sales.push(
            ticket(&server, t["id"].as_i64().context("id")?).await?["assignee_id"]
                .as_i64()
                .unwrap_or(0),
        );
    }
    // a (1 open) first, then a and b tie at 2 and the lower id wins, then b; never c
    // (at capacity) or d (away).
    assert_eq!(sales, [a.user_id, a.user_id, b.user_id]);
    Ok(())
}

#[tokio::test]
async fn a_scheduled_rule_runs_once_with_two_processes() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let admin = server.user("admin", "ada@helpdesk.example").await?;
    let mut pending = Vec::new();
    for n in 0..5 {
        let t = admin
            .ticket(json!({"subject": format!("Waiting {n}"), "body": "b", "requester": {"email": "cy@customer.example"}, "status": "pending"}))
            .await?;
        pending.push(t["id"].as_i64().context("id")?);
    }
    let open = admin
        .ticket(json!({"subject": "Open one", "body": "b", "requester": {"email": "cy@customer.example"}}))
        .await?;
    let id = rule(&admin, json!({"name": "Remind pending", "schedule": "every 60 minutes", "query": "category:pending",
        "script": "if ticket.status_category == \"pending\" { add_note(\"Reminder sent\"); add_tag(\"reminded\"); }"})).await?;
    let r = admin
        .get(&format!("/api/v1/rules/{id}"))
        .await?
        .expect(200)?;
    assert!(r.body["next_run_at"].is_string(), "{}", r.text);
    server.indexed().await?;

    // A second process on the same database, with its own search index.
    let dir = tempfile::tempdir()?;
    let mut config = server.app_config();
    config.data_dir = dir.path().to_path_buf();
    let second = App::open(config).await?;
    let search = second.start_search().await?;
    anyhow::ensure!(
        second
            .search_caught_up(std::time::Duration::from_secs(30))
            .await?
    );

    // Not due yet: nothing runs.
    let now = triage_app::now_millis();
    assert!(server.app.run_due_schedules(now).await?.is_empty());
    let due = now + 61 * 60 * 1000;
    let (one, two) = tokio::join!(
        server.app.run_due_schedules(due),
        second.run_due_schedules(due)
    );
    let (one, two) = (one?, two?);
    assert_eq!(
        one.len() + two.len(),
        1,
        "exactly one process claims the slot: {one:?} {two:?}"
    );
    let run = one.first().or(two.first()).context("a run")?;
    assert_eq!(run.fired, 5);
    // The same slot again: claimed already.
    let (one, two) = tokio::join!(
        server.app.run_due_schedules(due),
        second.run_due_schedules(due)
    );
    assert!(one?.is_empty() && two?.is_empty());
    for id in &pending {
        let notes = admin.message_bodies(*id).await?;
        assert_eq!(
            notes.iter().filter(|b| *b == "Reminder sent").count(),
            1,
            "#{id}: {notes:?}"
        );
        assert_eq!(ticket(&server, *id).await?["tags"], json!(["reminded"]));
    }
    assert_eq!(
        ticket(&server, open["id"].as_i64().context("id")?).await?["tags"],
        json!([])
    );
    assert_eq!(runs(&admin, id).await?.len(), 5);
    search.stop();
    second.close().await;
    Ok(())
}

#[tokio::test]
async fn fields_macros_escalation_and_unassigning_apply_as_written() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let admin = server.user("admin", "ada@helpdesk.example").await?;
    let agent = server.user("agent", "bo@helpdesk.example").await?;
    let l2 = server.group("L2", &[agent.user_id]).await?;
    admin
        .post(
            "/api/v1/custom-fields",
            json!({"key": "plan", "label": "Plan", "kind": "text"}),
        )
        .await?
        .expect(201)?;
    admin
        .post(
            "/api/v1/macros",
            json!({"name": "Password reset", "public": true,
            "body": "Hi {{requester.first_name}}, use the reset link on the sign-in page.",
            "actions": {"status": "pending", "add_tags": ["password"]}}),
        )
        .await?
        .expect(201)?;
    rule(
        &admin,
        json!({"name": "Everything", "triggers": ["ticket.created"], "script": r#"
        if ticket.subject == "Locked out" {
            set_field("plan", "enterprise");
            reply_macro("Password reset");
            escalate("L2");
            unassign();
            remove_tag("new");
        }
    "#}),
    )
    .await?;
    rule(
        &admin,
        json!({"name": "Bad field", "triggers": ["ticket.created"], "script": r#"
        if ticket.subject == "Bad" { set_field("no_such_field", 1); add_tag("never"); }
    "#}),
    )
    .await?;
    let t = admin
        .ticket(json!({"subject": "Locked out", "body": "Cannot sign in.", "requester": {"email": "cy@customer.example"},
            "assignee_id": agent.user_id, "tags": ["new"], "priority": "high"}))
        .await?;
    let id = t["id"].as_i64().context("id")?;
    let bad = admin
        .ticket(
            json!({"subject": "Bad", "body": "b", "requester": {"email": "cy@customer.example"}}),
        )
        .await?;
    server.automated().await?;
    let view = server.app.get_ticket(&App::system_actor(), id).await?;
    assert_eq!(view.custom_fields.get("plan"), Some(&json!("enterprise")));
    assert_eq!(view.ticket.priority, "urgent", "escalate raises one step");
    assert_eq!(view.tags, ["escalated", "password"]);
    assert_eq!(view.ticket.group_id, Some(l2));
    assert_eq!(view.ticket.assignee_id, None);
    assert_eq!(view.status.category, "pending", "the macro's status");
    let bodies = admin.message_bodies(id).await?;
    assert_eq!(
        bodies.last().map(String::as_str),
        Some("Hi cy, use the reset link on the sign-in page.")
    );
    // A rule whose action cannot apply changes nothing and says why.
    let bad = server
        .app
        .get_ticket(&App::system_actor(), bad["id"].as_i64().context("id")?)
        .await?;
    assert!(bad.tags.is_empty());
    let rules = admin.get("/api/v1/rules").await?.expect(200)?;
    let failing = rules
        .body
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["name"] == "Bad field")
        .cloned()
        .unwrap_or_default();
    assert!(
        failing["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("no_such_field")),
        "{failing}"
    );
    assert_eq!(failing["failures"], 1);
    Ok(())
}

#[tokio::test]
async fn a_scheduled_rule_query_is_checked_when_saved_and_when_it_runs() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let admin = server.user("admin", "ada@helpdesk.example").await?;
    let bad = admin
        .post(
            "/api/v1/rules",
            json!({"name": "Broken query", "schedule": "every 1 hour",
            "query": "status:open (", "script": "add_tag(\"x\");"}),
        )
        .await?
        .expect(400)?;
    assert_eq!(bad.code(), "invalid_query");
    // Reads, but names a status that does not exist: it fails when it runs, and says so.
    let id = rule(
        &admin,
        json!({"name": "Unknown status", "schedule": "every 1 hour",
        "query": "status:\"no such status\"", "script": "add_tag(\"x\");"}),
    )
    .await?;
    admin
        .ticket(
            json!({"subject": "One", "body": "b", "requester": {"email": "cy@customer.example"}}),
        )
        .await?;
    server.indexed().await?;
    let runs_done = server
        .app
        .run_due_schedules(triage_app::now_millis() + 2 * 3_600_000)
        .await?;
    assert_eq!(runs_done.len(), 1);
    assert_eq!(runs_done[0].failed, 1);
    let log = runs(&admin, id).await?;
    assert!(
        log[0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("no such status")),
        "{log:?}"
    );
    let r = admin
        .get(&format!("/api/v1/rules/{id}"))
        .await?
        .expect(200)?;
    assert_eq!(r.body["failures"], 1);
    Ok(())
}

#[tokio::test]
async fn rules_start_at_the_end_of_a_log_they_never_followed() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mut config = triage_app::AppConfig::for_data_dir(dir.path());
    config.database_url = triage_app::testing::test_database_url(dir.path()).await?;
    let app = App::open(config).await?;
    let system = App::system_actor();
    let ctx = triage_app::Ctx::api(system.clone());
    let new = |subject: &str| triage_app::tickets::NewTicket {
        subject: subject.into(),
        body_text: Some("b".into()),
        requester: Some(triage_app::tickets::RequesterRef::Email {
            email: "cy@customer.example".into(),
            name: None,
        }),
        ..Default::default()
    };
    let (old, _) = app.create_ticket(&ctx, new("Before"), None).await?;
    app.create_rule(
        &system,
        triage_app::automation::RuleInput {
            name: Some("Tag".into()),
            triggers: Some(vec!["ticket.created".into()]),
            script: Some("add_tag(\"seen\");".into()),
            ..Default::default()
        },
    )
    .await?;
    // A scheduled rule runs in a process that never started the rule consumer.
    app.create_rule(
        &system,
        triage_app::automation::RuleInput {
            name: Some("Nightly".into()),
            schedule: Some(Some("every 1 day".into())),
            script: Some("add_tag(\"nightly\");".into()),
            ..Default::default()
        },
    )
    .await?;
    let search = app.start_search().await?;
    anyhow::ensure!(
        app.search_caught_up(std::time::Duration::from_secs(30))
            .await?
    );
    let runs = app
        .run_due_schedules(triage_app::now_millis() + 2 * 86_400_000)
        .await?;
    assert_eq!(
        runs.first().map(|r| (r.fired, r.failed)),
        Some((1, 0)),
        "{runs:?}"
    );

    let automation = app.start_automation().await?;
    let (fresh, _) = app.create_ticket(&ctx, new("After"), None).await?;
    anyhow::ensure!(
        app.automation_caught_up(std::time::Duration::from_secs(30))
            .await?
    );
    let tags = |id| {
        let app = app.clone();
        let system = system.clone();
        async move { anyhow::Ok(app.get_ticket(&system, id).await?.tags) }
    };
    assert_eq!(
        tags(old.ticket.id).await?,
        ["nightly"],
        "history before the rules is left alone"
    );
    assert_eq!(tags(fresh.ticket.id).await?, ["seen"]);
    automation.stop();
    search.stop();
    app.close().await;
    Ok(())
}

/// Issue #21 (7): a rule failing on a burst of changes that arrive together stops after
/// five failed runs, not after the whole burst.
#[tokio::test]
async fn a_failing_rule_stops_after_five_runs_even_in_a_burst() -> anyhow::Result<()> {
    let mut server = TestServer::start().await?;
    let admin = server.user("admin", "ada@helpdesk.example").await?;
    let failing = rule(
        &admin,
        json!({"name": "Always throws", "triggers": ["ticket.created"], "script": "throw \"no such customer\";"}),
    )
    .await?;
    // One change before the burst, so the consumer has a place in the log to resume from.
    admin
        .ticket(json!({"subject": "Before", "body": "b", "requester": {"email": "cy@customer.example"}}))
        .await?;
    server.automated().await?;
    assert_eq!(runs(&admin, failing).await?.len(), 1);
    server.pause_rules();
    for n in 0..20 {
        admin
            .ticket(json!({"subject": format!("Burst {n}"), "body": "b", "requester": {"email": "cy@customer.example"}}))
            .await?;
    }
    server.resume_rules().await?;
    server.automated().await?;
    let log = runs(&admin, failing).await?;
    assert_eq!(log.len(), 5, "{log:?}");
    let r = admin
        .get(&format!("/api/v1/rules/{failing}"))
        .await?
        .expect(200)?;
    assert_eq!(r.body["active"], false, "{}", r.text);
    Ok(())
}
