//! Plugins through a real server, built from `plugins/`: the webhook channel's round trip,
//! custom statuses and their guard, Slack posts reaching a local listener, hostile
//! plugins contained and disabled, and upgrade and rollback while tickets keep coming.

use std::time::Duration;

use anyhow::Context;
use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::Sha256;
use triage_tests::{Client, Listener, TestServer, plugin_package, repack};

async fn install(admin: &Client, package: Vec<u8>) -> anyhow::Result<Value> {
    let r = admin
        .send(
            admin
                .request(Method::POST, "/api/v1/plugins")
                .header("content-type", "application/x-tar")
                .body(package),
        )
        .await?;
    Ok(r.expect(201)?.body)
}

fn sign(secret: &str, body: &[u8]) -> anyhow::Result<String> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())?;
    mac.update(body);
    Ok(format!(
        "sha256={}",
        hex::encode(mac.finalize().into_bytes())
    ))
}

/// Waits until `check` holds, for up to 20 seconds.
async fn eventually<F, Fut>(what: &str, mut check: F) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<bool>>,
{
    for _ in 0..200 {
        if check().await? {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("{what} did not happen")
}

#[tokio::test]
async fn the_statuses_plugin_adds_statuses_and_refuses_solving_without_a_reply()
-> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let admin = server.user("admin", "ada@helpdesk.example").await?;
    let agent = admin.clone();
    let p = install(&admin, plugin_package("statuses")?).await?;
    assert_eq!(p["enabled"], false, "a new plugin starts disabled");
    assert_eq!(p["provides"], json!(["statuses"]));
    admin
        .patch("/api/v1/plugins/statuses", json!({"enabled": true}))
        .await?
        .expect(200)?;

    let statuses = admin.get("/api/v1/statuses").await?.expect(200)?.body;
    let category = |name: &str| {
        statuses
            .as_array()
            .into_iter()
            .flatten()
            .find(|s| s["name"] == name)
            .map(|s| s["category"].clone())
    };
    assert_eq!(category("In progress"), Some(json!("open")));
    assert_eq!(category("Waiting on vendor"), Some(json!("on_hold")));
    assert_eq!(category("Waiting on customer"), Some(json!("pending")));

    let t = agent
        .ticket(json!({"subject": "VPN drops", "body": "Every hour", "requester": {"email": "cy@customer.example"}}))
        .await?;
    let id = t["id"].as_i64().context("id")?;
    agent
        .patch(
            &format!("/api/v1/tickets/{id}"),
            json!({"status": "In progress"}),
        )
        .await?
        .expect(200)?;
    let refused = agent
        .patch(
            &format!("/api/v1/tickets/{id}"),
            json!({"status": "Solved"}),
        )
        .await?;
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert!(
        refused
            .text
            .contains("cannot be solved before the customer has had a public reply"),
        "{}",
        refused.text
    );
    // An internal note is not a reply either.
    let note = agent
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            json!({"body": "Checked the logs", "public": false, "status": "Solved"}),
        )
        .await?;
    assert_eq!(note.status, 422, "{}", note.text);
    // Replying and solving in one step is allowed, and the ticket is solved.
    agent
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            json!({"body": "Fixed: the lease time was too short.", "public": true, "status": "Solved"}),
        )
        .await?
        .expect(201)?;
    let t = agent
        .get(&format!("/api/v1/tickets/{id}"))
        .await?
        .expect(200)?;
    assert_eq!(t.body["status"]["name"], "Solved");

    // A rule's status change is checked the same way: its run fails with the message.
    admin
        .post(
            "/api/v1/rules",
            json!({"name": "Close spam", "triggers": ["ticket.created"], "script": "if ticket.subject.contains(\"SPAM\") { set_status(\"Solved\"); }"}),
        )
        .await?
        .expect(201)?;
    let spam = agent
        .ticket(json!({"subject": "SPAM offer", "body": "Buy", "requester": {"email": "cy@customer.example"}}))
        .await?;
    server.automated().await?;
    let spam_id = spam["id"].as_i64().context("id")?;
    let s = agent
        .get(&format!("/api/v1/tickets/{spam_id}"))
        .await?
        .expect(200)?;
    assert_ne!(s.body["status"]["name"], "Solved");
    let rules = admin.get("/api/v1/rules").await?.expect(200)?.body;
    let rule_id = rules[0]["id"].as_i64().context("rule")?;
    let runs = admin
        .get(&format!("/api/v1/rules/{rule_id}/runs"))
        .await?
        .expect(200)?
        .body;
    assert!(
        runs[0]["error"].as_str().is_some_and(
            |e| e.contains("cannot be solved before the customer has had a public reply")
        ),
        "{runs}"
    );

    // Disabled, the guard is gone but the statuses stay on tickets that have them.
    admin
        .patch("/api/v1/plugins/statuses", json!({"enabled": false}))
        .await?
        .expect(200)?;
    let t2 = agent
        .ticket(json!({"subject": "Spam", "body": "Buy now", "requester": {"email": "cy@customer.example"}}))
        .await?;
    let id2 = t2["id"].as_i64().context("id")?;
    agent
        .patch(
            &format!("/api/v1/tickets/{id2}"),
            json!({"status": "Solved"}),
        )
        .await?
        .expect(200)?;
    server.stop().await;
    Ok(())
}

#[tokio::test]
async fn the_webhook_channel_threads_inbound_calls_and_posts_replies_back() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let admin = server.user("admin", "ada@helpdesk.example").await?;
    let agent = admin.clone();
    let outside = Listener::start().await?;
    let p = install(&admin, plugin_package("webhook")?).await?;
    assert_eq!(p["asks"]["http"], json!(["*"]));
    let secret = "whsec-9f2c";
    // Enabling without the required secret is refused, and nothing changes.
    let early = admin
        .patch("/api/v1/plugins/webhook", json!({"enabled": true}))
        .await?;
    assert_eq!(early.status, 422, "{}", early.text);
    assert!(early.text.contains("Signing secret"), "{}", early.text);
    // Bad grants and settings are refused with the field named, and nothing is kept.
    for (body, needle) in [
        (
            json!({"grants": {"http": ["ftp://files.example"]}}),
            "only http and https",
        ),
        (
            json!({"grants": {"tickets": true}}),
            "does not ask to read tickets",
        ),
        (
            json!({"settings": {"colour": "red"}}),
            "not a setting of this plugin",
        ),
        (json!({"settings": {"reply_url": 5}}), "must be url"),
        (
            json!({"settings": {"signing_secret": "x"}}),
            "set it under secrets",
        ),
        (
            json!({"secrets": {"reply_url": "x"}}),
            "not a secret setting",
        ),
    ] {
        let r = admin.patch("/api/v1/plugins/webhook", body.clone()).await?;
        assert_eq!(r.status, 422, "{body}: {}", r.text);
        assert!(r.text.contains(needle), "{body}: {}", r.text);
    }
    let kept = admin
        .get("/api/v1/plugins/webhook")
        .await?
        .expect(200)?
        .body;
    assert_eq!(kept["grants"]["http"], json!([]), "{kept}");
    assert_eq!(kept["grants"]["tickets"], false, "{kept}");
    let p = admin
        .patch(
            "/api/v1/plugins/webhook",
            json!({
                "grants": {"http": [outside.base], "private_network": true, "secrets": ["signing_secret"]},
                "secrets": {"signing_secret": secret},
                "settings": {"reply_url": format!("{}/replies", outside.base)},
                "enabled": true,
            }),
        )
        .await?
        .expect(200)?
        .body;
    assert_eq!(p["running"], true);
    let setting = |key: &str| {
        p["settings"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|s| s["key"] == key)
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(setting("signing_secret")["set"], true);
    assert_eq!(
        setting("signing_secret")["value"],
        Value::Null,
        "a secret is never shown back"
    );

    let inbound = |body: Value, signature: Option<String>| {
        let bytes = serde_json::to_vec(&body).unwrap_or_default();
        let mut r = server
            .http
            .post(format!("{}/api/v1/channels/webhook", server.base))
            .header("content-type", "application/json")
            .body(bytes.clone());
        if let Some(s) = signature.or_else(|| sign(secret, &bytes).ok()) {
            r = r.header("x-triage-signature", s);
        }
        r
    };
    let first = json!({"external_id": "ORDER-881", "subject": "Parcel never arrived", "text": "Tracking says delivered.", "from": {"email": "dee@customer.example", "name": "Dee"}});
    let r = inbound(first, None).send().await?;
    assert_eq!(r.status(), 202);
    let id = r.json::<Value>().await?["tickets"][0]
        .as_i64()
        .context("ticket")?;
    let t = agent
        .get(&format!("/api/v1/tickets/{id}"))
        .await?
        .expect(200)?
        .body;
    assert_eq!(t["channel"], "webhook");
    assert_eq!(t["external_id"], "ORDER-881");
    assert_eq!(t["subject"], "Parcel never arrived");

    let again = json!({"external_id": "ORDER-881", "text": "Any news?", "from": {"email": "dee@customer.example"}});
    let r = inbound(again, None).send().await?;
    assert_eq!(r.status(), 202);
    assert_eq!(
        r.json::<Value>().await?["tickets"][0],
        id,
        "threaded by external id"
    );
    assert_eq!(
        agent.message_bodies(id).await?,
        vec!["Tracking says delivered.", "Any news?"]
    );

    // A forged call is refused and kept for the admin; no ticket is touched.
    let forged = inbound(
        json!({"external_id": "ORDER-881", "text": "Refund me", "from": {"email": "dee@customer.example"}}),
        Some("sha256=00".into()),
    )
    .send()
    .await?;
    assert_eq!(forged.status(), 400);
    let q = admin
        .get("/api/v1/plugins/webhook/quarantine")
        .await?
        .expect(200)?
        .body;
    assert_eq!(
        q[0]["error"].as_str().map(|e| e.contains("signature")),
        Some(true),
        "{q}"
    );
    assert!(q[0]["body"].as_str().unwrap_or("").contains("Refund me"));
    assert_eq!(agent.message_bodies(id).await?.len(), 2);

    // A public agent reply goes back out, signed; a note does not.
    agent
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            json!({"body": "Checking with the courier.", "public": false}),
        )
        .await?
        .expect(201)?;
    agent
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            json!({"body": "A new parcel is on its way.", "public": true}),
        )
        .await?
        .expect(201)?;
    let out = outside.next().await?;
    assert_eq!(out.method, "POST");
    assert_eq!(out.path, "/replies");
    let expected = sign(secret, &out.body)?;
    assert_eq!(out.header("x-triage-signature"), Some(expected.as_str()));
    let body = out.json();
    assert_eq!(body["external_id"], "ORDER-881");
    assert_eq!(body["ticket"], id);
    assert_eq!(body["message"]["text"], "A new parcel is on its way.");
    assert!(
        outside.quiet_for(Duration::from_millis(500)).await,
        "the note must not be delivered"
    );

    // Uninstalled, its route is gone.
    admin.delete("/api/v1/plugins/webhook").await?.expect(204)?;
    let gone = inbound(
        json!({"external_id": "X", "text": "hi", "from": {"email": "a@b.example"}}),
        None,
    )
    .send()
    .await?;
    assert_eq!(gone.status(), 404);
    server.stop().await;
    Ok(())
}

#[tokio::test]
async fn slack_posts_chosen_events_and_rules_can_notify() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let admin = server.user("admin", "ada@helpdesk.example").await?;
    let agent = admin.clone();
    let slack = Listener::start().await?;
    // The shipped manifest may call hooks.slack.com only; this variant may also call the
    // local listener standing in for it.
    let package = repack(&plugin_package("slack")?, |m| {
        m.replace(
            "http = [\"https://hooks.slack.com\"]",
            &format!("http = [\"https://hooks.slack.com\", \"{}\"]", slack.base),
        )
    })?;
    install(&admin, package).await?;
    admin
        .patch(
            "/api/v1/plugins/slack",
            json!({
                "grants": {"http": [slack.base], "private_network": true, "secrets": ["webhook_url"]},
                "secrets": {"webhook_url": format!("{}/services/T0/B0/XYZ", slack.base)},
                "settings": {"notify_on": ["ticket.created", "message.added"]},
                "enabled": true,
            }),
        )
        .await?
        .expect(200)?;
    let t = agent
        .ticket(json!({"subject": "Invoice <wrong>", "body": "Charged twice", "requester": {"email": "eve@customer.example", "name": "Eve"}}))
        .await?;
    let id = t["id"].as_i64().context("id")?;
    let post = slack.next().await?;
    assert_eq!(post.path, "/services/T0/B0/XYZ");
    let text = post.json()["text"].as_str().unwrap_or("").to_string();
    assert!(
        text.contains(&format!("/tickets/{id}|#{id} Invoice &lt;wrong&gt;>")),
        "{text}"
    );
    assert!(text.contains("from Eve"), "{text}");

    // An agent's reply is not posted (customer replies only).
    agent
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            json!({"body": "Refunded.", "public": true}),
        )
        .await?
        .expect(201)?;
    assert!(slack.quiet_for(Duration::from_millis(800)).await);

    // A rule posts through the plugin's action.
    admin
        .post(
            "/api/v1/rules",
            json!({
                "name": "Urgent to Slack",
                "triggers": ["ticket.updated"],
                "script": "if changed(\"priority\") && ticket.priority == \"urgent\" { call_plugin(\"slack\", \"notify\", #{ text: \"Urgent now\" }); }",
            }),
        )
        .await?
        .expect(201)?;
    agent
        .patch(
            &format!("/api/v1/tickets/{id}"),
            json!({"priority": "urgent"}),
        )
        .await?
        .expect(200)?;
    let post = slack.next().await?;
    let text = post.json()["text"].as_str().unwrap_or("").to_string();
    assert!(text.starts_with("Urgent now — <"), "{text}");

    // Slack failing is retried, then logged against the plugin; the ticket is untouched.
    slack.answer(500);
    let t2 = agent
        .ticket(json!({"subject": "Second", "body": "x", "requester": {"email": "eve@customer.example"}}))
        .await?;
    for _ in 0..4 {
        slack.next().await?;
    }
    eventually("the failure to reach the plugin's log", || async {
        let log = admin
            .get("/api/v1/plugins/slack/log")
            .await?
            .expect(200)?
            .body;
        Ok(log.as_array().into_iter().flatten().any(|l| {
            l["message"]
                .as_str()
                .is_some_and(|m| m.contains("after retries"))
        }))
    })
    .await?;
    assert_eq!(t2["subject"], "Second");
    server.stop().await;
    Ok(())
}

#[tokio::test]
async fn hostile_plugins_are_refused_contained_and_disabled() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let admin = server.user("admin", "ada@helpdesk.example").await?;
    let agent = admin.clone();

    let r = admin
        .send(
            admin
                .request(Method::POST, "/api/v1/plugins")
                .body(plugin_package("fixtures/outsider")?),
        )
        .await?;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(r.text.contains("wasi:filesystem"), "{}", r.text);
    assert!(r.text.contains("no filesystem"), "{}", r.text);
    let garbage = admin
        .send(
            admin
                .request(Method::POST, "/api/v1/plugins")
                .body(b"not a tar".to_vec()),
        )
        .await?;
    assert_eq!(garbage.status, 422, "{}", garbage.text);

    install(&admin, plugin_package("fixtures/hostile")?).await?;
    admin
        .patch(
            "/api/v1/plugins/hostile",
            json!({"grants": {"http": ["https://api.example.com"], "kv": 4096, "tickets": true}, "enabled": true}),
        )
        .await?
        .expect(200)?;
    admin
        .post(
            "/api/v1/rules",
            json!({
                "name": "Ask the hostile plugin",
                "triggers": ["ticket.created"],
                "script": "call_plugin(\"hostile\", ticket.subject);",
            }),
        )
        .await?
        .expect(201)?;
    // Each misbehaviour fails its rule run; the tickets stand and the server answers.
    let mut ids = Vec::new();
    for behaviour in ["bomb", "spin", "trap", "flood", "nosy"] {
        let t = agent
            .ticket(json!({"subject": behaviour, "body": "x", "requester": {"email": "fay@customer.example"}}))
            .await?;
        ids.push(t["id"].as_i64().context("id")?);
        agent.get("/api/v1/tickets").await?.expect(200)?;
    }
    server.automated().await?;
    for id in &ids {
        agent
            .get(&format!("/api/v1/tickets/{id}"))
            .await?
            .expect(200)?;
    }
    let runs = admin.get("/api/v1/rules").await?.expect(200)?.body;
    let rule_id = runs[0]["id"].as_i64().context("rule")?;
    let runs = admin
        .get(&format!("/api/v1/rules/{rule_id}/runs"))
        .await?
        .expect(200)?
        .body;
    let errors: Vec<String> = runs
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["error"].as_str().map(str::to_string))
        .collect();
    for expected in [
        "ran out of its 32 MiB",
        "ran longer than its 1000 ms",
        "crashed",
        "200000 actions",
        "not a granted host",
    ] {
        assert!(
            errors.iter().any(|e| e.contains(expected)),
            "no run failed with {expected:?}: {errors:?}"
        );
    }
    let p = admin
        .get("/api/v1/plugins/hostile")
        .await?
        .expect(200)?
        .body;
    assert_eq!(
        p["enabled"], false,
        "five failures in a row disable it: {p}"
    );
    assert!(
        p["disabled_reason"]
            .as_str()
            .is_some_and(|r| r.contains("5 failed calls in a row")),
        "{p}"
    );
    let log = admin
        .get("/api/v1/plugins/hostile/log")
        .await?
        .expect(200)?
        .body;
    assert!(
        log.as_array().into_iter().flatten().any(|l| l["message"]
            .as_str()
            .is_some_and(|m| m.contains("disabled"))),
        "{log}"
    );
    server.stop().await;
    Ok(())
}

#[tokio::test]
async fn upgrade_and_rollback_swap_versions_while_tickets_keep_coming() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let admin = server.user("admin", "ada@helpdesk.example").await?;
    let agent = admin.clone();
    install(&admin, plugin_package("fixtures/hostile")?).await?;
    admin
        .patch("/api/v1/plugins/hostile", json!({"enabled": true}))
        .await?
        .expect(200)?;
    admin
        .post(
            "/api/v1/rules",
            json!({"name": "Stamp the version", "triggers": ["ticket.created"], "script": "call_plugin(\"hostile\", \"version\");"}),
        )
        .await?
        .expect(201)?;

    let load = {
        let agent = agent.clone();
        tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in 0..30 {
                let t = agent
                    .ticket(json!({"subject": format!("load {i}"), "body": "x", "requester": {"email": "gus@customer.example"}}))
                    .await?;
                ids.push(t["id"].as_i64().context("id")?);
            }
            anyhow::Ok(ids)
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let up = admin
        .send(
            admin
                .request(Method::POST, "/api/v1/plugins")
                .body(plugin_package("fixtures/hostile-next")?),
        )
        .await?
        .expect(200)?
        .body;
    assert_eq!(up["version"], "0.2.0");
    assert_eq!(up["previous_version"], "0.1.0");
    let ids = load.await??;
    server.automated().await?;
    for id in &ids {
        let notes = agent.message_bodies(*id).await?;
        assert!(
            notes
                .iter()
                .any(|n| n == "hostile 0.1.0" || n == "hostile 0.2.0"),
            "ticket {id} got no stamp during the upgrade: {notes:?}"
        );
    }
    let after = agent
        .ticket(json!({"subject": "after", "body": "x", "requester": {"email": "gus@customer.example"}}))
        .await?;
    server.automated().await?;
    let id = after["id"].as_i64().context("id")?;
    assert!(
        agent
            .message_bodies(id)
            .await?
            .contains(&"hostile 0.2.0".to_string())
    );

    let back = admin
        .post("/api/v1/plugins/hostile/rollback", json!({}))
        .await?
        .expect(200)?
        .body;
    assert_eq!(back["version"], "0.1.0");
    let rolled = agent
        .ticket(json!({"subject": "rolled back", "body": "x", "requester": {"email": "gus@customer.example"}}))
        .await?;
    server.automated().await?;
    let id = rolled["id"].as_i64().context("id")?;
    assert!(
        agent
            .message_bodies(id)
            .await?
            .contains(&"hostile 0.1.0".to_string())
    );
    server.stop().await;
    Ok(())
}

#[tokio::test]
async fn a_third_party_plugin_enriches_new_tickets_from_a_crm() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let admin = server.user("admin", "ada@helpdesk.example").await?;
    let crm = Listener::start().await?;
    crm.answer_with(200, br#"{"plan": "Enterprise", "company": "Initech"}"#);
    install(&admin, plugin_package("../examples/plugins/crm-enrich")?).await?;
    admin
        .patch(
            "/api/v1/plugins/crm-enrich",
            json!({
                "grants": {"http": [crm.base], "private_network": true, "kv": 262144, "secrets": ["api_key"]},
                "settings": {"crm_url": format!("{}/api", crm.base), "vip_plans": ["enterprise"]},
                "secrets": {"api_key": "crm-key-1"},
                "enabled": true,
            }),
        )
        .await?
        .expect(200)?;
    let t = admin
        .ticket(json!({"subject": "Login fails", "body": "Since today", "requester": {"email": "hal+vip@initech.example", "name": "Hal"}}))
        .await?;
    let id = t["id"].as_i64().context("id")?;
    let asked = crm.next().await?;
    assert_eq!(asked.path, "/api/contacts");
    assert_eq!(asked.header("authorization"), Some("Bearer crm-key-1"));
    eventually("the CRM note", || async {
        Ok(admin
            .message_bodies(id)
            .await?
            .contains(&"CRM: Enterprise plan, Initech".to_string()))
    })
    .await?;
    let t = admin
        .get(&format!("/api/v1/tickets/{id}"))
        .await?
        .expect(200)?;
    assert_eq!(t.body["tags"], json!(["vip"]));
    // The second ticket of the same requester is answered from the plugin's store.
    let t2 = admin
        .ticket(json!({"subject": "Again", "body": "x", "requester": {"email": "hal+vip@initech.example"}}))
        .await?;
    let id2 = t2["id"].as_i64().context("id")?;
    eventually("the cached note", || async {
        Ok(admin
            .message_bodies(id2)
            .await?
            .contains(&"CRM: Enterprise plan, Initech".to_string()))
    })
    .await?;
    assert!(
        crm.quiet_for(Duration::from_millis(300)).await,
        "the CRM was asked twice"
    );
    let p = admin
        .get("/api/v1/plugins/crm-enrich")
        .await?
        .expect(200)?
        .body;
    assert_eq!(p["kv_keys"], 1);
    server.stop().await;
    Ok(())
}

#[tokio::test]
async fn another_process_follows_installs_and_disables_without_a_restart() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let admin = server.user("admin", "ada@helpdesk.example").await?;
    // A second process on the same database.
    let other = triage_app::App::open(server.app_config()).await?;
    let ctx = triage_app::Ctx::api(triage_app::App::system_actor());
    let solve = || triage_app::tickets::TicketChanges {
        status: Some("Solved".into()),
        ..Default::default()
    };
    install(&admin, plugin_package("statuses")?).await?;
    admin
        .patch("/api/v1/plugins/statuses", json!({"enabled": true}))
        .await?
        .expect(200)?;
    let t = admin
        .ticket(json!({"subject": "Slow VPN", "body": "x", "requester": {"email": "ivy@customer.example"}}))
        .await?;
    let id = t["id"].as_i64().context("id")?;
    other.sync_plugins().await?;
    let refused = other.update_ticket(&ctx, id, solve(), None).await;
    assert!(
        matches!(&refused, Err(e) if e.to_string().contains("public reply")),
        "the other process does not guard yet: {refused:?}"
    );
    admin
        .patch("/api/v1/plugins/statuses", json!({"enabled": false}))
        .await?
        .expect(200)?;
    other.sync_plugins().await?;
    other.update_ticket(&ctx, id, solve(), None).await?;
    server.stop().await;
    Ok(())
}
