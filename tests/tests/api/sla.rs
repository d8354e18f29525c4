//! SLAs through the API: calendars and policies, each ticket's clocks and state, list
//! filters and order, and the sweeper's warnings and breaches, once even with two
//! processes on one database.

use anyhow::Context;
use chrono::DateTime;
use serde_json::{Value, json};
use triage_app::App;
use triage_tests::{Client, TestServer};

const MINUTE: i64 = 60_000;

fn ms(v: &Value) -> anyhow::Result<i64> {
    let s = v.as_str().with_context(|| format!("not a time: {v}"))?;
    Ok(DateTime::parse_from_rfc3339(s)?.timestamp_millis())
}

fn clock<'a>(ticket: &'a Value, target: &str) -> anyhow::Result<&'a Value> {
    ticket["sla"]["clocks"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["target"] == target)
        .with_context(|| format!("no {target} clock on {ticket}"))
}

async fn policies(admin: &Client) -> anyhow::Result<()> {
    admin
        .post(
            "/api/v1/sla-policies",
            json!({
                "name": "Urgent",
                "conditions": {"priorities": ["urgent"]},
                "targets": {"urgent": {"first_response": 60, "next_response": 30, "resolution": 480}},
                "warning_minutes": 15,
            }),
        )
        .await?
        .expect(201)?;
    admin
        .post(
            "/api/v1/sla-policies",
            json!({
                "name": "Everyone else",
                "targets": {"normal": {"first_response": 240, "resolution": 2880},
                            "low": {"resolution": 10080}},
                "warning_minutes": 60,
            }),
        )
        .await?
        .expect(201)?;
    Ok(())
}

async fn get(agent: &Client, id: i64) -> anyhow::Result<Value> {
    Ok(agent
        .get(&format!("/api/v1/tickets/{id}"))
        .await?
        .expect(200)?
        .body)
}

async fn history_kinds(agent: &Client, id: i64, kind: &str) -> anyhow::Result<Vec<Value>> {
    let r = agent
        .get(&format!("/api/v1/tickets/{id}/history"))
        .await?
        .expect(200)?;
    Ok(r.body["items"]
        .as_array()
        .or(r.body.as_array())
        .into_iter()
        .flatten()
        .filter(|e| e["kind"] == kind)
        .cloned()
        .collect())
}

#[tokio::test]
async fn calendars_and_policies_refuse_what_cannot_work_with_the_field_named() -> anyhow::Result<()>
{
    let server = TestServer::start().await?;
    let admin = server.user("admin", "ada@helpdesk.example").await?;
    let agent = server.user("agent", "bo@helpdesk.example").await?;
    let week = json!({"mon": [["09:00", "12:00"], ["13:00", "17:00"]], "tue": [["09:00", "17:00"]],
                      "wed": [["09:00", "17:00"]], "thu": [["09:00", "17:00"]], "fri": [["09:00", "15:00"]]});
    let bad = [
        (
            json!({"name": "X", "time_zone": "Mars/Olympus", "hours": week}),
            "time_zone",
        ),
        (
            json!({"name": "X", "time_zone": "Europe/Stockholm", "hours": {"mon": [["09:00", "12:00"], ["11:00", "17:00"]]}}),
            "hours",
        ),
        (
            json!({"name": "X", "time_zone": "Europe/Stockholm", "hours": {"mon": [["17:00", "09:00"]]}}),
            "hours",
        ),
        (
            json!({"name": "X", "time_zone": "Europe/Stockholm", "hours": {"funday": [["09:00", "17:00"]]}}),
            "hours",
        ),
        (
            json!({"name": "X", "time_zone": "Europe/Stockholm", "hours": {"mon": [["9am", "17:00"]]}}),
            "hours",
        ),
        (
            json!({"name": "X", "time_zone": "Europe/Stockholm", "hours": {}}),
            "hours",
        ),
        (
            json!({"name": "X", "time_zone": "Europe/Stockholm", "hours": week, "holidays": ["24/12/2026"]}),
            "holidays",
        ),
    ];
    for (body, field) in bad {
        let r = admin
            .post("/api/v1/calendars", body.clone())
            .await?
            .expect(422)?;
        assert_eq!(r.body["field"], field, "{body} gave {}", r.body);
    }
    agent
        .post(
            "/api/v1/calendars",
            json!({"name": "X", "time_zone": "UTC", "hours": week}),
        )
        .await?
        .expect(403)?;
    let cal = admin
        .post(
            "/api/v1/calendars",
            json!({"name": "Stockholm office", "time_zone": "Europe/Stockholm", "hours": week,
                   "holidays": ["2026-12-24", "2026-12-25"],
                   "closures": [{"from": "2026-12-30T12:00:00Z", "to": "2026-12-31T00:00:00Z"}]}),
        )
        .await?
        .expect(201)?
        .body;
    assert_eq!(
        cal["hours"]["mon"],
        json!([["09:00", "12:00"], ["13:00", "17:00"]])
    );
    assert_eq!(cal["holidays"], json!(["2026-12-24", "2026-12-25"]));
    assert_eq!(cal["closures"][0]["from"], "2026-12-30T12:00:00.000Z");
    let cal_id = cal["id"].as_i64().context("id")?;
    let listed = agent.get("/api/v1/calendars").await?.expect(200)?;
    assert_eq!(listed.body.as_array().map(Vec::len), Some(1));

    let bad = [
        (
            json!({"name": "P", "targets": {"critical": {"first_response": 10}}}),
            "priority",
        ),
        (
            json!({"name": "P", "targets": {"high": {"first_response": 0}}}),
            "targets",
        ),
        (
            json!({"name": "P", "targets": {"high": {"first_reply": 10}}}),
            "targets",
        ),
        (json!({"name": "P", "targets": {}}), "targets"),
        (
            json!({"name": "P", "targets": {"high": {"resolution": 10}}, "calendar_id": 999}),
            "calendar_id",
        ),
        (
            json!({"name": "P", "targets": {"high": {"resolution": 10}}, "conditions": {"colour": ["red"]}}),
            "conditions",
        ),
        (
            json!({"name": "", "targets": {"high": {"resolution": 10}}}),
            "name",
        ),
    ];
    for (body, field) in bad {
        let r = admin
            .post("/api/v1/sla-policies", body.clone())
            .await?
            .expect(422)?;
        assert_eq!(r.body["field"], field, "{body} gave {}", r.body);
    }
    let p = admin
        .post(
            "/api/v1/sla-policies",
            json!({"name": "Business", "targets": {"high": {"first_response": 120}}, "calendar_id": cal_id,
                   "conditions": {"tags_any": ["vip"], "custom_fields": {"plan": "enterprise"}}}),
        )
        .await?
        .expect(201)?
        .body;
    assert_eq!(p["calendar_id"], cal_id);
    assert_eq!(p["conditions"]["tags_any"], json!(["vip"]));
    // A calendar in use cannot go; once the policy counts calendar hours it can.
    let r = admin
        .delete(&format!("/api/v1/calendars/{cal_id}"))
        .await?
        .expect(409)?;
    assert!(r.body["detail"].as_str().unwrap_or("").contains("policy"));
    let pid = p["id"].as_i64().context("id")?;
    let p = admin
        .patch(
            &format!("/api/v1/sla-policies/{pid}"),
            json!({"calendar_id": null}),
        )
        .await?
        .expect(200)?
        .body;
    assert_eq!(p["calendar_id"], Value::Null);
    admin
        .delete(&format!("/api/v1/calendars/{cal_id}"))
        .await?
        .expect(204)?;
    admin
        .delete(&format!("/api/v1/sla-policies/{pid}"))
        .await?
        .expect(204)?;
    admin
        .get(&format!("/api/v1/sla-policies/{pid}"))
        .await?
        .expect(404)?;
    server.stop().await;
    Ok(())
}

#[tokio::test]
async fn a_ticket_shows_its_clocks_and_lists_sort_and_filter_by_them() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let admin = server.user("admin", "ada@helpdesk.example").await?;
    let agent = server.user("agent", "bo@helpdesk.example").await?;
    let customer = server.user("customer", "cy@customer.example").await?;
    policies(&admin).await?;
    let requester = json!({"id": customer.user_id});
    let normal = agent
        .ticket(json!({"subject": "Invoice question", "body": "Where is my invoice?", "requester": requester, "assignee_id": agent.user_id}))
        .await?;
    let urgent = agent
        .ticket(json!({"subject": "Site down", "body": "Nothing loads.", "requester": requester, "priority": "urgent", "assignee_id": agent.user_id}))
        .await?;
    let high = agent
        .ticket(json!({"subject": "Slow pages", "body": "Pages are slow.", "requester": requester, "priority": "high", "assignee_id": agent.user_id}))
        .await?;
    // Issue #29: the creator gets the clocks in the answer, before the consumer stores them.
    assert_eq!(urgent["sla"]["policy"], "Urgent", "{urgent}");
    assert_eq!(urgent["sla"]["state"], "on_track", "{urgent}");
    assert_eq!(
        ms(&urgent["sla"]["due_at"])?,
        ms(&urgent["created_at"])? + 60 * MINUTE
    );
    server.slas_computed().await?;
    let (n, u, h) = (
        normal["id"].as_i64().context("id")?,
        urgent["id"].as_i64().context("id")?,
        high["id"].as_i64().context("id")?,
    );

    let t = get(&admin, u).await?;
    let created = ms(&t["created_at"])?;
    assert_eq!(t["sla"]["policy"], "Urgent");
    assert_eq!(t["sla"]["state"], "on_track");
    let first = clock(&t, "first_response")?;
    assert_eq!(ms(&first["due_at"])?, created + 60 * MINUTE);
    assert_eq!(ms(&t["sla"]["due_at"])?, created + 60 * MINUTE);
    assert_eq!(
        ms(&clock(&t, "resolution")?["due_at"])?,
        created + 480 * MINUTE
    );
    // No next response clock until an agent has answered and the customer writes again.
    assert!(clock(&t, "next_response").is_err());
    let t = get(&admin, n).await?;
    assert_eq!(t["sla"]["policy"], "Everyone else");
    // The first policy that matches wins, even when it sets no target for the priority:
    // "Everyone else" covers high tickets without targets for them.
    let t = get(&admin, h).await?;
    assert_eq!(t["sla"]["policy"], "Everyone else");
    assert_eq!(t["sla"]["clocks"], json!([]));

    // Soonest due first, tickets without a due time last; a cursor continues the order.
    let page = admin
        .get("/api/v1/tickets?sort=sla_due&limit=1")
        .await?
        .expect(200)?
        .body;
    assert_eq!(page["items"][0]["id"], u);
    let cursor = page["next_cursor"].as_str().context("cursor")?;
    let page = admin
        .get(&format!(
            "/api/v1/tickets?sort=sla_due&limit=5&cursor={cursor}"
        ))
        .await?
        .expect(200)?
        .body;
    let ids: Vec<i64> = page["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["id"].as_i64())
        .collect();
    assert_eq!(ids, vec![n, h]);
    let r = admin
        .get("/api/v1/tickets?sla=breached")
        .await?
        .expect(200)?;
    assert_eq!(r.body["items"], json!([]));
    admin.get("/api/v1/tickets?sla=late").await?.expect(422)?;

    // An internal note is not a response; a public reply is.
    agent
        .post(
            &format!("/api/v1/tickets/{u}/messages"),
            json!({"body": "Checking the logs", "public": false}),
        )
        .await?
        .expect(201)?;
    server.slas_computed().await?;
    let t = get(&admin, u).await?;
    assert_eq!(clock(&t, "first_response")?["met_at"], Value::Null);
    agent
        .post(
            &format!("/api/v1/tickets/{u}/messages"),
            json!({"body": "We are on it."}),
        )
        .await?
        .expect(201)?;
    server.slas_computed().await?;
    let t = get(&admin, u).await?;
    assert_eq!(clock(&t, "first_response")?["state"], "met");
    assert_eq!(t["sla"]["state"], "on_track", "resolution still runs");

    // The customer writes again: next response runs from that message.
    customer
        .post(
            &format!("/api/v1/tickets/{u}/messages"),
            json!({"body": "Still down for us."}),
        )
        .await?
        .expect(201)?;
    server.slas_computed().await?;
    let t = get(&admin, u).await?;
    let next = clock(&t, "next_response")?;
    let asked = ms(&next["started_at"])?;
    assert_eq!(ms(&next["due_at"])?, asked + 30 * MINUTE);
    assert_eq!(next["state"], "on_track");

    // Pending pauses every running clock: no due time while it waits.
    agent
        .patch(
            &format!("/api/v1/tickets/{u}"),
            json!({"status": "Pending"}),
        )
        .await?
        .expect(200)?;
    server.slas_computed().await?;
    let t = get(&admin, u).await?;
    let res = clock(&t, "resolution")?;
    assert_eq!(res["paused"], true);
    assert_eq!(res["due_at"], Value::Null);
    let seen = customer
        .get(&format!("/api/v1/tickets/{u}"))
        .await?
        .expect(200)?
        .body;
    assert_eq!(seen["sla"], Value::Null, "customers never see the clocks");
    // Solved meets resolution.
    agent
        .patch(&format!("/api/v1/tickets/{u}"), json!({"status": "Solved"}))
        .await?
        .expect(200)?;
    server.slas_computed().await?;
    let t = get(&admin, u).await?;
    assert_eq!(clock(&t, "resolution")?["state"], "met");
    let r = admin.get("/api/v1/tickets?sla=met").await?.expect(200)?;
    let met: Vec<&Value> = r.body["items"].as_array().into_iter().flatten().collect();
    assert!(
        met.is_empty(),
        "the next response clock still runs: {met:?}"
    );
    server.stop().await;
    Ok(())
}

#[tokio::test]
async fn the_sweeper_warns_then_breaches_once_and_rules_escalate() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let admin = server.user("admin", "ada@helpdesk.example").await?;
    let agent = server.user("agent", "bo@helpdesk.example").await?;
    policies(&admin).await?;
    admin
        .post(
            "/api/v1/rules",
            json!({
                "name": "Escalate breaches",
                "triggers": ["sla.breached", "sla.warning"],
                "script": r#"
                    if event.kind == "sla.breached" && event.sla.target == "first_response" {
                        add_tag("escalated");
                        set_priority("urgent");
                    }
                    if event.kind == "sla.warning" {
                        notify("bo@helpdesk.example", "SLA warning: " + event.sla.target + " on #" + ticket.number);
                    }
                "#,
            }),
        )
        .await?
        .expect(201)?;
    let t = agent
        .ticket(json!({"subject": "Site down", "body": "Nothing loads.", "requester": {"email": "cy@customer.example"}, "priority": "urgent", "assignee_id": agent.user_id}))
        .await?;
    let id = t["id"].as_i64().context("id")?;
    let created = ms(&t["created_at"])?;
    server.slas_computed().await?;

    // Nothing to do yet.
    let s = server.app.sweep_slas(created + 10 * MINUTE).await?;
    assert_eq!((s.warnings, s.breaches), (0, 0));
    // 15 minutes before first response is due: one warning, and only one.
    let s = server.app.sweep_slas(created + 46 * MINUTE).await?;
    assert_eq!((s.warnings, s.breaches), (1, 0));
    let s = server.app.sweep_slas(created + 47 * MINUTE).await?;
    assert_eq!((s.warnings, s.breaches), (0, 0));
    server.automated().await?;
    let seen = get(&admin, id).await?;
    assert_eq!(seen["sla"]["state"], "warning");
    let notes = agent.get("/api/v1/notifications").await?.expect(200)?.body;
    let texts: Vec<&str> = notes
        .as_array()
        .into_iter()
        .flatten()
        .filter(|n| n["kind"] == "rule")
        .filter_map(|n| n["text"].as_str())
        .collect();
    assert_eq!(texts, vec![format!("SLA warning: first_response on #{id}")]);
    let warnings = history_kinds(&admin, id, "sla.warning").await?;
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0]["data"]["target"], "first_response");
    assert_eq!(warnings[0]["data"]["policy"], "Urgent");

    // Past due: breached, once; the rule escalates.
    let s = server.app.sweep_slas(created + 61 * MINUTE).await?;
    assert_eq!((s.warnings, s.breaches), (0, 1));
    let s = server.app.sweep_slas(created + 62 * MINUTE).await?;
    assert_eq!((s.warnings, s.breaches), (0, 0));
    server.automated().await?;
    server.slas_computed().await?;
    let seen = get(&admin, id).await?;
    assert_eq!(seen["tags"], json!(["escalated"]));
    let r = admin
        .get("/api/v1/tickets?sla=breached")
        .await?
        .expect(200)?;
    assert_eq!(r.body["items"][0]["id"], id);
    let breaches = history_kinds(&admin, id, "sla.breached").await?;
    assert_eq!(breaches.len(), 1);
    assert_eq!(ms(&breaches[0]["data"]["due_at"])?, created + 60 * MINUTE);

    // The rule's change (tags, priority) recomputed the clocks without raising again;
    // a late reply leaves first response breached.
    agent
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            json!({"body": "Sorry for the wait."}),
        )
        .await?
        .expect(201)?;
    server.slas_computed().await?;
    let seen = get(&admin, id).await?;
    assert!(clock(&seen, "first_response")?["met_at"].is_string());
    let s = server.app.sweep_slas(created + 63 * MINUTE).await?;
    assert_eq!(s.breaches, 0);
    assert_eq!(history_kinds(&admin, id, "sla.breached").await?.len(), 1);
    server.stop().await;
    Ok(())
}

#[tokio::test]
async fn two_processes_sweeping_together_raise_each_alert_once() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let admin = server.user("admin", "ada@helpdesk.example").await?;
    let agent = server.user("agent", "bo@helpdesk.example").await?;
    policies(&admin).await?;
    let mut ids = Vec::new();
    let mut created = 0;
    for i in 0..40 {
        let t = agent
            .ticket(json!({"subject": format!("Outage {i}"), "body": "Down.", "requester": {"email": "cy@customer.example"}, "priority": "urgent"}))
            .await?;
        ids.push(t["id"].as_i64().context("id")?);
        created = created.max(ms(&t["created_at"])?);
    }
    server.slas_computed().await?;
    let other = App::open(server.app_config()).await?;
    let at = created + 61 * MINUTE;
    let mut total = (0, 0);
    for _ in 0..3 {
        let (a, b) = tokio::join!(server.app.sweep_slas(at), other.sweep_slas(at));
        let (a, b) = (a?, b?);
        total.0 += a.warnings + b.warnings;
        total.1 += a.breaches + b.breaches;
    }
    // Past due when first seen: breached only, once per ticket, across both processes.
    assert_eq!(total, (0, 40));
    for id in &ids {
        assert_eq!(
            history_kinds(&admin, *id, "sla.breached").await?.len(),
            1,
            "ticket {id}"
        );
        assert_eq!(
            history_kinds(&admin, *id, "sla.warning").await?.len(),
            0,
            "ticket {id}"
        );
    }
    // Later, resolution breaches too, once.
    let at = created + 481 * MINUTE;
    let (a, b) = tokio::join!(server.app.sweep_slas(at), other.sweep_slas(at));
    assert_eq!(a?.breaches + b?.breaches, 40);
    other.close().await;
    server.stop().await;
    Ok(())
}
