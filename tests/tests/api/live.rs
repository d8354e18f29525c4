//! The `/live` event stream ends with the session it was opened in.

use std::time::Duration;

use futures::StreamExt;
use reqwest::Method;
use serde_json::json;
use triage_tests::{Client, TestServer};

/// Signs in through the API; returns the session cookie and its CSRF token.
async fn session(client: &Client) -> anyhow::Result<(String, String)> {
    let signed = client
        .post(
            "/api/v1/auth/sign-in",
            json!({"email": client.email, "password": client.password}),
        )
        .await?
        .expect(200)?;
    let cookie = signed
        .headers
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|c| c.split(';').next())
        .unwrap_or_default()
        .to_string();
    let csrf = signed.body["csrf_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    Ok((cookie, csrf))
}

/// What a stream says until it ends, or `None` if it is still open after `wait`.
async fn until_end(
    stream: &mut (impl futures::Stream<Item = reqwest::Result<axum::body::Bytes>> + Unpin),
    wait: Duration,
) -> Option<String> {
    let mut said = String::new();
    let read = async {
        while let Some(Ok(chunk)) = stream.next().await {
            said.push_str(&String::from_utf8_lossy(&chunk));
        }
    };
    tokio::time::timeout(wait, read).await.ok()?;
    Some(said)
}

/// Issue #21 (6): after sign-out, and after the user is turned off, an open stream
/// delivers nothing more and ends.
#[tokio::test]
async fn a_live_stream_ends_with_its_session() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let admin = server.user("admin", "ada@helpdesk.example").await?;
    let agent = server.user("agent", "bo@helpdesk.example").await?;
    let group = server.group("Support", &[agent.user_id]).await?;
    let anonymous = server.anonymous();

    let open = |cookie: String| {
        let request = anonymous
            .request(Method::GET, "/live")
            .header("cookie", cookie);
        async move {
            let reply = request.send().await?;
            anyhow::ensure!(reply.status() == 200, "{}", reply.status());
            let mut stream = reply.bytes_stream();
            let first = stream.next().await.transpose()?.unwrap_or_default();
            anyhow::ensure!(String::from_utf8_lossy(&first).contains("hello"));
            Ok(stream)
        }
    };

    // Signed out: the stream ends before the next change reaches it.
    let (cookie, csrf) = session(&agent).await?;
    let mut stream = open(cookie.clone()).await?;
    anonymous
        .send(
            anonymous
                .request(Method::POST, "/api/v1/auth/sign-out")
                .header("cookie", cookie)
                .header("x-csrf-token", csrf),
        )
        .await?
        .expect(204)?;
    admin
        .ticket_for("cy@customer.example", group, "After sign-out")
        .await?;
    let said = until_end(&mut stream, Duration::from_secs(20)).await;
    let said = said.ok_or_else(|| anyhow::anyhow!("the stream is still open after sign-out"))?;
    assert!(!said.contains("event: change"), "{said}");

    // Turned off by an admin: the same.
    let (cookie, _) = session(&agent).await?;
    let mut stream = open(cookie).await?;
    admin
        .patch(
            &format!("/api/v1/users/{}", agent.user_id),
            json!({"active": false}),
        )
        .await?
        .expect(200)?;
    admin
        .ticket_for("cy@customer.example", group, "After deactivation")
        .await?;
    let said = until_end(&mut stream, Duration::from_secs(20)).await;
    let said =
        said.ok_or_else(|| anyhow::anyhow!("the stream is still open after deactivation"))?;
    assert!(!said.contains("event: change"), "{said}");

    // A stream whose session goes on keeps delivering.
    let (cookie, _) = session(&admin).await?;
    let mut stream = open(cookie).await?;
    admin
        .ticket_for("cy@customer.example", group, "Still here")
        .await?;
    let next = tokio::time::timeout(Duration::from_secs(20), stream.next()).await?;
    let next = next.transpose()?.unwrap_or_default();
    assert!(String::from_utf8_lossy(&next).contains("event: change"));
    Ok(())
}
