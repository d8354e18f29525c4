//! Two agents never silently overwrite each other; retried creates never duplicate.

use serde_json::json;
use triage_tests::TestServer;

#[tokio::test]
async fn a_stale_update_gets_409_with_the_current_ticket() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let admin = server.user("admin", "ada@helpdesk.example").await?;
    let t = admin
        .ticket(
            json!({"subject": "Two agents", "body": "race", "requester": {"email": "c@c.example"}}),
        )
        .await?;
    let id = t["id"].as_i64().unwrap_or_default();
    let version = t["version"].as_i64().unwrap_or_default();
    let first = admin
        .patch(
            &format!("/api/v1/tickets/{id}"),
            json!({"version": version, "priority": "high"}),
        )
        .await?
        .expect(200)?;
    assert_eq!(first.body["version"], version + 1);
    let second = admin
        .patch(
            &format!("/api/v1/tickets/{id}"),
            json!({"version": version, "priority": "low"}),
        )
        .await?
        .expect(409)?;
    assert_eq!(second.code(), "stale_version");
    assert_eq!(second.body["current"]["priority"], "high");
    assert_eq!(second.body["current"]["version"], version + 1);
    let now = admin
        .get(&format!("/api/v1/tickets/{id}"))
        .await?
        .expect(200)?;
    assert_eq!(now.body["priority"], "high");
    Ok(())
}

#[tokio::test]
async fn a_retried_create_with_the_same_idempotency_key_makes_one_ticket() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let admin = server.user("admin", "ada@helpdesk.example").await?;
    let body =
        json!({"subject": "Retry me", "body": "once", "requester": {"email": "c@c.example"}});
    let send = || {
        admin.send(
            admin
                .request(reqwest::Method::POST, "/api/v1/tickets")
                .header("Idempotency-Key", "abc-123")
                .json(&body),
        )
    };
    let (a, b) = tokio::join!(send(), send());
    let (a, b) = (a?, b?);
    let mut statuses = [a.status.as_u16(), b.status.as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 201], "{} / {}", a.text, b.text);
    assert_eq!(a.body["id"], b.body["id"]);
    let replay = send().await?.expect(200)?;
    assert_eq!(
        replay
            .headers
            .get("idempotent-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    let other = admin
        .send(admin.request(reqwest::Method::POST, "/api/v1/tickets").header("Idempotency-Key", "abc-123").json(&json!({"subject": "Different", "body": "x", "requester": {"email": "c@c.example"}})))
        .await?
        .expect(422)?;
    assert_eq!(other.body["field"], "Idempotency-Key");
    let all = admin.get("/api/v1/tickets").await?.expect(200)?;
    assert_eq!(all.body["items"].as_array().map(Vec::len), Some(1));
    // Replays and refusals reserved a number each and used none: they were handed back,
    // so the next ticket follows the first without a gap.
    let next = admin
        .ticket(json!({"subject": "Next", "body": "x", "requester": {"email": "c@c.example"}}))
        .await?;
    assert_eq!(next["id"].as_i64(), a.body["id"].as_i64().map(|id| id + 1));
    Ok(())
}

#[tokio::test]
async fn concurrent_creates_all_succeed_with_distinct_numbers_and_one_failure_fails_alone()
-> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let admin = server.user("admin", "ada@helpdesk.example").await?;
    let mut tasks = Vec::new();
    for i in 0..64 {
        let admin = admin.clone();
        tasks.push(tokio::spawn(async move {
            // Every eighth request breaks a rule inside its transaction.
            let status = if i % 8 == 0 { "closed" } else { "open" };
            admin
                .post("/api/v1/tickets", json!({"subject": format!("Load {i}"), "body": "x", "requester": {"email": format!("c{i}@c.example")}, "status": status}))
                .await
        }));
    }
    let mut numbers = Vec::new();
    let mut refused = 0;
    for t in tasks {
        let reply = t.await??;
        match reply.status.as_u16() {
            201 => numbers.push(reply.body["id"].as_i64().unwrap_or_default()),
            422 => refused += 1,
            other => anyhow::bail!("unexpected {other}: {}", reply.text),
        }
    }
    assert_eq!(refused, 8);
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), 56);
    let listed = admin.get("/api/v1/tickets?limit=200").await?.expect(200)?;
    assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(56));
    // Numbers are never given twice, and no more are used up than creates were tried.
    let next = admin.ticket(json!({"subject": "After the rush", "body": "x", "requester": {"email": "late@c.example"}})).await?;
    let next = next["id"].as_i64().unwrap_or_default();
    assert!(numbers.iter().all(|n| *n < next), "{next} {numbers:?}");
    assert!(next <= 1001 + 64, "{next}");
    // The failed creates left nothing behind: no customer rows for them either.
    let customers = admin
        .get("/api/v1/users?role=customer&limit=500")
        .await?
        .expect(200)?;
    let emails: Vec<&str> = customers
        .body
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|u| u["email"].as_str())
        .collect();
    assert!(
        !emails.contains(&"c0@c.example") && !emails.contains(&"c8@c.example"),
        "{emails:?}"
    );
    assert!(emails.contains(&"c1@c.example"));
    Ok(())
}
