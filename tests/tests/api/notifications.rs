//! Agents' notifications: assigned, a customer replied, mentioned in a note, an SLA
//! warning; each kind can be turned off; the unread count.

use anyhow::Context;
use serde_json::{Value, json};
use triage_tests::{Client, TestServer};

async fn texts(agent: &Client) -> anyhow::Result<Vec<(String, String)>> {
    let r = agent.get("/api/v1/notifications").await?.expect(200)?;
    Ok(r.body
        .as_array()
        .into_iter()
        .flatten()
        .rev()
        .map(|n| {
            (
                n["kind"].as_str().unwrap_or("").to_string(),
                n["text"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect())
}

fn kinds(list: &[(String, String)]) -> Vec<&str> {
    list.iter().map(|(k, _)| k.as_str()).collect()
}

#[tokio::test]
async fn agents_hear_of_what_happens_on_their_tickets_as_they_choose() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let admin = server.user("admin", "admin@desk.example").await?;
    let ada = server.user("agent", "ada.lovelace@desk.example").await?;
    let bob = server.user("agent", "bob.kahn@desk.example").await?;
    let carol = server.user("customer", "carol@customer.example").await?;
    let group = server.group("Support", &[ada.user_id, bob.user_id]).await?;
    admin
        .post(
            "/api/v1/sla-policies",
            json!({"name": "Standard", "targets": {"normal": {"first_response": 60}}, "warning_minutes": 20}),
        )
        .await?
        .expect(201)?;

    let t = admin
        .ticket(json!({"subject": "Printer jams", "body": "Tray 2 jams.", "requester": {"id": carol.user_id},
                       "group_id": group, "assignee_id": ada.user_id}))
        .await?;
    let id = t["id"].as_i64().context("id")?;
    let created =
        chrono::DateTime::parse_from_rfc3339(t["created_at"].as_str().context("created")?)?
            .timestamp_millis();
    let other = admin
        .ticket(json!({"subject": "VPN drops", "body": "Every hour.", "requester": {"id": carol.user_id}, "group_id": group}))
        .await?["id"]
        .as_i64()
        .context("id")?;
    admin
        .patch(
            &format!("/api/v1/tickets/{other}"),
            json!({"assignee_id": bob.user_id}),
        )
        .await?
        .expect(200)?;
    // Assigning yourself is no news.
    bob.patch(
        &format!("/api/v1/tickets/{other}"),
        json!({"assignee_id": bob.user_id}),
    )
    .await?
    .expect(200)?;
    carol
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            json!({"body": "Still jamming."}),
        )
        .await?
        .expect(201)?;
    bob.post(
        &format!("/api/v1/tickets/{id}/messages"),
        json!({"body": "@ada can you look? Also cc carol@customer.example and @nobody", "public": false}),
    )
    .await?
    .expect(201)?;
    server.notified().await?;
    let got = texts(&ada).await?;
    assert_eq!(
        kinds(&got),
        vec!["assigned", "customer_replied", "mentioned"],
        "{got:?}"
    );
    assert_eq!(got[0].1, format!("You were assigned #{id}: Printer jams"));
    assert!(got[2].1.contains("mentioned in a note"));
    assert_eq!(kinds(&texts(&bob).await?), vec!["assigned"]);
    assert!(
        texts(&admin).await?.is_empty(),
        "the actor hears nothing of their own change"
    );
    let unread = ada.get("/api/v1/notifications/unread").await?.expect(200)?;
    assert_eq!(unread.body["unread"], 3);

    // Ada turns customer replies off; the next reply is silent, other kinds still come.
    let prefs = ada
        .send(
            ada.request(reqwest::Method::PUT, "/api/v1/notifications/preferences")
                .json(&json!({"customer_replied": false})),
        )
        .await?
        .expect(200)?;
    assert_eq!(
        prefs.body,
        json!({"assigned": true, "customer_replied": false, "mentioned": true, "sla_warning": true})
    );
    let bad = ada
        .send(
            ada.request(reqwest::Method::PUT, "/api/v1/notifications/preferences")
                .json(&json!({"everything": true})),
        )
        .await?
        .expect(422)?;
    assert_eq!(bad.body["field"], "everything");
    carol
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            json!({"body": "Any news?"}),
        )
        .await?
        .expect(201)?;
    server.slas_computed().await?;
    let swept = server.app.sweep_slas(created + 41 * 60_000).await?;
    assert_eq!(
        swept.warnings, 2,
        "both tickets are 20 minutes from their first response"
    );
    server.notified().await?;
    let got = texts(&ada).await?;
    assert_eq!(
        kinds(&got),
        vec!["assigned", "customer_replied", "mentioned", "sla_warning"],
        "{got:?}"
    );
    assert!(got[3].1.contains("first response"), "{got:?}");
    assert_eq!(kinds(&texts(&bob).await?), vec!["assigned", "sla_warning"]);
    let stored = ada
        .get("/api/v1/notifications/preferences")
        .await?
        .expect(200)?;
    assert_eq!(stored.body["customer_replied"], Value::Bool(false));

    // Read: the count drops to zero.
    let newest = ada.get("/api/v1/notifications").await?.expect(200)?.body[0]["id"].clone();
    ada.post("/api/v1/notifications/read", json!({"up_to": newest}))
        .await?
        .expect(200)?;
    let unread = ada.get("/api/v1/notifications/unread").await?.expect(200)?;
    assert_eq!(unread.body["unread"], 0);
    carol
        .get("/api/v1/notifications/unread")
        .await?
        .expect(403)?;
    server.stop().await;
    Ok(())
}
