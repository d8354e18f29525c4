//! The rules in `examples/rules`, imported as an admin would and exercised on tickets.
//! (The SLA-breach and office-hours rules depend on events and a clock a test cannot
//! produce; they are run on hand-built tickets in `core/automation/tests/examples.rs`.)

use std::path::PathBuf;

use anyhow::Context;
use serde_json::{Value, json};
use triage_app::tickets::{NewTicket, RequesterRef};
use triage_app::{App, Ctx};
use triage_tests::{Client, TestServer};

const DAY: i64 = 86_400_000;

fn files() -> anyhow::Result<Vec<Value>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/rules");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "rhai") {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            out.push(json!({"name": name, "text": std::fs::read_to_string(&path)?}));
        }
    }
    Ok(out)
}

async fn tags(server: &TestServer, id: i64) -> anyhow::Result<Vec<String>> {
    Ok(server.app.get_ticket(&App::system_actor(), id).await?.tags)
}

async fn field(server: &TestServer, id: i64) -> anyhow::Result<triage_app::tickets::TicketView> {
    Ok(server.app.get_ticket(&App::system_actor(), id).await?)
}

async fn open(
    admin: &Client,
    requester: &str,
    subject: &str,
    body: &str,
    extra: Value,
) -> anyhow::Result<i64> {
    let mut req = json!({"subject": subject, "body": body, "requester": {"email": requester}});
    if let (Some(r), Some(e)) = (req.as_object_mut(), extra.as_object()) {
        r.extend(e.clone());
    }
    admin.ticket(req).await?["id"].as_i64().context("ticket id")
}

/// Opens a ticket as if it had been opened `days_ago` days ago.
async fn open_in_past(
    server: &TestServer,
    days_ago: i64,
    status: &str,
    tags: &[&str],
) -> anyhow::Result<i64> {
    let mut ctx = Ctx::api(App::system_actor());
    ctx.at = Some(triage_app::now_millis() - days_ago * DAY);
    let (t, _) = server
        .app
        .create_ticket(
            &ctx,
            NewTicket {
                subject: format!("Waiting since {days_ago} days"),
                body_text: Some("Please check my order.".into()),
                requester: Some(RequesterRef::Email {
                    email: "old@customer.example".into(),
                    name: Some("Olga Old".into()),
                }),
                status: Some(status.into()),
                tags: tags.iter().map(|t| t.to_string()).collect(),
                ..NewTicket::default()
            },
            None,
        )
        .await?;
    Ok(t.ticket.id)
}

#[tokio::test]
async fn the_example_rules_do_what_they_say() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let admin = server.user("admin", "ada@helpdesk.example").await?;
    let lead = server.user("agent", "lead@helpdesk.example").await?;
    let de1 = server.user("agent", "jana@helpdesk.example").await?;
    let de2 = server.user("agent", "jonas@helpdesk.example").await?;
    let en = server.user("agent", "sam@helpdesk.example").await?;
    let l2 = server.group("L2", &[lead.user_id]).await?;
    server.group("German", &[de1.user_id, de2.user_id]).await?;
    server.group("French", &[lead.user_id]).await?;
    let support = server.group("Support", &[en.user_id]).await?;
    admin
        .post(
            "/api/v1/organizations",
            json!({"name": "Globex", "domains": ["globex.example"]}),
        )
        .await?
        .expect(201)?;

    let imported = admin
        .post("/api/v1/rules/import", json!({"files": files()?}))
        .await?
        .expect(200)?;
    let rules = imported.body.as_array().cloned().unwrap_or_default();
    assert!(rules.len() >= 10, "{}", imported.text);
    assert!(rules.iter().all(|r| r["action"] == "created"));
    assert!(
        rules.iter().all(|r| r["missing"] == json!([])),
        "{}",
        imported.text
    );
    // Importing again changes nothing.
    let again = admin
        .post("/api/v1/rules/import", json!({"files": files()?}))
        .await?
        .expect(200)?;
    assert!(
        again
            .body
            .as_array()
            .into_iter()
            .flatten()
            .all(|r| r["action"] == "unchanged"),
        "{}",
        again.text
    );
    // The office-hours reply depends on the clock; keep it out of this run.
    let id_of = |name: &str| {
        rules
            .iter()
            .find(|r| r["name"] == name)
            .and_then(|r| r["rule_id"].as_i64())
    };
    let hours = id_of("Out-of-hours auto-reply").context("office-hours rule")?;
    admin
        .patch(&format!("/api/v1/rules/{hours}"), json!({"active": false}))
        .await?
        .expect(200)?;

    // VIP routing: urgent from Globex goes to L2 and pings its members.
    let vip = open(
        &admin,
        "hank@globex.example",
        "Checkout is down",
        "All orders fail.",
        json!({"priority": "urgent"}),
    )
    .await?;
    let normal_globex = open(
        &admin,
        "hank@globex.example",
        "Question on plans",
        "Which plan?",
        json!({}),
    )
    .await?;
    // Round-robin by language.
    let german = [
        open(
            &admin,
            "anna@kunde.example",
            "Drucker",
            "Der Drucker druckt seit dem Update nur noch leere Seiten, bitte helfen Sie mir.",
            json!({}),
        )
        .await?,
        open(
            &admin,
            "ben@kunde.example",
            "Rechnung",
            "Ich habe meine Rechnung für den letzten Monat noch nicht bekommen, bitte schicken.",
            json!({}),
        )
        .await?,
        open(
            &admin,
            "carl@kunde.example",
            "Anmeldung",
            "Ich kann mich seit gestern nicht mehr anmelden, das Passwort wird abgelehnt.",
            json!({}),
        )
        .await?,
    ];
    let english = open(
        &admin,
        "dora@customer.example",
        "Cannot log in",
        "I am locked out of my account since the password reset.",
        json!({}),
    )
    .await?;
    // Keyword tagging.
    let refund = open(
        &admin,
        "erin@customer.example",
        "Refund",
        "I was charged twice, please refund the second payment.",
        json!({}),
    )
    .await?;
    // Spam.
    let spam = open(
        &admin,
        "spam@spam.example",
        "You have won!",
        "Claim your prize now: crypto giveaway at http://a.example",
        json!({}),
    )
    .await?;
    server.automated().await?;

    let t = field(&server, vip).await?;
    assert!(t.tags.contains(&"vip".to_string()), "{:?}", t.tags);
    assert_eq!(t.ticket.group_id, Some(l2));
    let notes = lead.get("/api/v1/notifications").await?.expect(200)?;
    assert!(
        notes
            .text
            .contains("Urgent ticket from Globex: Checkout is down"),
        "{}",
        notes.text
    );
    assert!(
        !tags(&server, normal_globex)
            .await?
            .contains(&"vip".to_string())
    );
    let mut german_assignees = Vec::new();
    for id in german {
        german_assignees.push(field(&server, id).await?.ticket.assignee_id.unwrap_or(0));
    }
    assert_eq!(german_assignees, [de1.user_id, de2.user_id, de1.user_id]);
    let t = field(&server, english).await?;
    assert_eq!(
        (t.ticket.group_id, t.ticket.assignee_id),
        (Some(support), Some(en.user_id))
    );
    assert!(t.tags.contains(&"account".to_string()), "{:?}", t.tags);
    assert!(
        tags(&server, refund)
            .await?
            .contains(&"billing".to_string())
    );
    assert!(
        tags(&server, german[1])
            .await?
            .contains(&"billing".to_string()),
        "Rechnung is billing"
    );
    let s = field(&server, spam).await?;
    assert_eq!(s.tags, ["spam"]);
    assert_eq!(
        (s.ticket.priority.as_str(), s.status.name.as_str()),
        ("low", "Solved")
    );
    assert_eq!(s.ticket.assignee_id, None, "spam is not handed to anyone");

    // Notify on negative rating.
    let rated = open(
        &admin,
        "fred@customer.example",
        "Slow app",
        "The app is slow.",
        json!({"group_id": support, "assignee_id": en.user_id}),
    )
    .await?;
    admin
        .patch(
            &format!("/api/v1/tickets/{rated}"),
            json!({"status": "solved"}),
        )
        .await?
        .expect(200)?;
    let fred = server
        .app
        .user_by_email(&App::system_actor(), "fred@customer.example")
        .await?;
    let fred_actor = server.app.actor_for(&fred).await?;
    server
        .app
        .rate_ticket(
            &Ctx::api(fred_actor),
            rated,
            triage_app::views::Score::Bad,
            "Took a week.",
        )
        .await?;
    server.automated().await?;
    assert!(
        tags(&server, rated)
            .await?
            .contains(&"csat-bad".to_string())
    );
    let notes = admin.message_bodies(rated).await?;
    assert!(
        notes
            .iter()
            .any(|n| n.contains("Bad rating from") && n.contains("Took a week.")),
        "{notes:?}"
    );
    let told = en.get("/api/v1/notifications").await?.expect(200)?;
    assert!(
        told.text
            .contains(&format!("Bad rating on #{rated}: Took a week.")),
        "{}",
        told.text
    );

    // Reopen loop guard: the third reopening raises the ticket to L2.
    let customer = server.user("customer", "gina@customer.example").await?;
    let looping = open(
        &admin,
        "gina@customer.example",
        "Sync fails",
        "Sync fails again.",
        json!({"group_id": support}),
    )
    .await?;
    let mut seen = Vec::new();
    for n in 0..3 {
        admin
            .patch(
                &format!("/api/v1/tickets/{looping}"),
                json!({"status": "solved"}),
            )
            .await?
            .expect(200)?;
        customer
            .post(
                &format!("/api/v1/tickets/{looping}/messages"),
                json!({"body": format!("Still broken ({n})")}),
            )
            .await?
            .expect(201)?;
        server.automated().await?;
        seen.push(tags(&server, looping).await?);
    }
    assert!(seen[0].contains(&"reopened".to_string()), "{seen:?}");
    assert!(seen[1].contains(&"reopened-twice".to_string()), "{seen:?}");
    let t = field(&server, looping).await?;
    assert!(t.tags.contains(&"reopen-loop".to_string()), "{:?}", t.tags);
    assert_eq!(
        (t.ticket.priority.as_str(), t.ticket.group_id),
        ("high", Some(l2))
    );

    // Remind before auto-close, then auto-close.
    let stale = open_in_past(&server, 6, "pending", &[]).await?;
    let reminded_long_ago = open_in_past(&server, 11, "pending", &["reminded"]).await?;
    let fresh = open_in_past(&server, 1, "pending", &[]).await?;
    server.indexed().await?;
    let runs = server
        .app
        .run_due_schedules(triage_app::now_millis() + 2 * 3_600_000)
        .await?;
    assert_eq!(runs.len(), 2, "{runs:?}");
    server.automated().await?;
    let bodies = admin.message_bodies(stale).await?;
    assert!(
        bodies
            .iter()
            .any(|b| b.starts_with("Hello Olga,") && b.contains("within 5 days")),
        "{bodies:?}"
    );
    assert!(
        tags(&server, stale)
            .await?
            .contains(&"reminded".to_string())
    );
    assert_eq!(field(&server, stale).await?.status.name, "Pending");
    let closed = field(&server, reminded_long_ago).await?;
    let auto_close = id_of("Auto-close stale pending").context("auto-close rule")?;
    let log = admin
        .get(&format!("/api/v1/rules/{auto_close}/runs"))
        .await?;
    assert_eq!(closed.status.name, "Solved", "{runs:?} {}", log.text);
    assert_eq!(closed.tags, ["auto-closed"]);
    assert!(tags(&server, fresh).await?.is_empty());
    // The customer answers: the reminder mark goes.
    let olga = server
        .app
        .user_by_email(&App::system_actor(), "old@customer.example")
        .await?;
    let olga_actor = server.app.actor_for(&olga).await?;
    server
        .app
        .add_message(
            &Ctx::api(olga_actor),
            stale,
            triage_app::tickets::NewMessage {
                body_text: Some("Here is the order number.".into()),
                public: true,
                ..Default::default()
            },
        )
        .await?;
    server.automated().await?;
    assert!(
        !tags(&server, stale)
            .await?
            .contains(&"reminded".to_string())
    );
    Ok(())
}

/// Issue #29: every example imports into a help desk that has none of the demo's groups;
/// the rules naming what is missing are saved turned off with what they need, the rest run
/// on new tickets without a single failed run, and importing again once the groups exist
/// turns them on.
#[tokio::test]
async fn the_example_rules_import_into_a_fresh_install_without_failing() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let admin = server.user("admin", "ada@helpdesk.example").await?;
    let imported = admin
        .post("/api/v1/rules/import", json!({"files": files()?}))
        .await?
        .expect(200)?;
    let rules = imported.body.as_array().cloned().unwrap_or_default();
    assert!(rules.len() >= 10, "{}", imported.text);
    let missing = |name: &str| {
        rules
            .iter()
            .find(|r| r["name"] == name)
            .map(|r| r["missing"].clone())
            .unwrap_or_default()
    };
    assert_eq!(
        missing("Round-robin by language"),
        json!([
            r#"group "French""#,
            r#"group "German""#,
            r#"group "Support""#
        ])
    );
    assert_eq!(missing("VIP routing"), json!([r#"group "L2""#]));
    assert_eq!(missing("Keyword tagging"), json!([]));
    let listed = admin.get("/api/v1/rules").await?.expect(200)?;
    let listed = listed.body.as_array().cloned().unwrap_or_default();
    let active = |name: &str| {
        listed
            .iter()
            .find(|r| r["name"] == name)
            .and_then(|r| r["active"].as_bool())
    };
    assert_eq!(active("Round-robin by language"), Some(false));
    assert_eq!(active("VIP routing"), Some(false));
    assert_eq!(active("Keyword tagging"), Some(true));
    assert_eq!(active("Spam tag"), Some(true));

    for (requester, subject, body) in [
        (
            "kim@customer.example",
            "Refund",
            "I was charged twice, please refund me.",
        ),
        (
            "jan@kunde.example",
            "Drucker",
            "Mein Drucker druckt nicht mehr, bitte helfen Sie mir.",
        ),
        (
            "win@prize.example",
            "You won",
            "Claim your free prize now, click here, winner!",
        ),
    ] {
        open(&admin, requester, subject, body, json!({})).await?;
    }
    server.automated().await?;
    for r in &listed {
        let id = r["id"].as_i64().context("rule id")?;
        let runs = admin
            .get(&format!("/api/v1/rules/{id}/runs"))
            .await?
            .expect(200)?;
        let failed: Vec<&Value> = runs
            .body
            .as_array()
            .into_iter()
            .flatten()
            .filter(|run| !run["error"].is_null())
            .collect();
        assert!(failed.is_empty(), "{}: {failed:?}", r["name"]);
    }

    for name in ["L2", "German", "French", "Support"] {
        server.group(name, &[]).await?;
    }
    let again = admin
        .post("/api/v1/rules/import", json!({"files": files()?}))
        .await?
        .expect(200)?;
    let again = again.body.as_array().cloned().unwrap_or_default();
    assert!(again.iter().all(|r| r["missing"] == json!([])));
    let listed = admin.get("/api/v1/rules").await?.expect(200)?;
    let off: Vec<&Value> = listed
        .body
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["active"] == false)
        .collect();
    assert!(off.is_empty(), "{off:?}");
    Ok(())
}
