//! Sessions with CSRF protection, the first-admin setup and sign-in limits.

use reqwest::Method;
use serde_json::json;
use triage_tests::TestServer;

#[tokio::test]
async fn a_browser_session_needs_its_csrf_token_on_unsafe_requests() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let admin = server.user("admin", "ada@helpdesk.example").await?;
    let anonymous = server.anonymous();
    let signed = anonymous
        .post(
            "/api/v1/auth/sign-in",
            json!({"email": "ADA@helpdesk.example", "password": admin.password}),
        )
        .await?
        .expect(200)?;
    let cookie = signed
        .headers
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let session = cookie.split(';').next().unwrap_or_default().to_string();
    let csrf = signed.body["csrf_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let with_cookie =
        |m: Method, p: &str| anonymous.request(m, p).header("cookie", session.clone());

    let me = anonymous
        .send(with_cookie(Method::GET, "/api/v1/me"))
        .await?
        .expect(200)?;
    assert_eq!(me.body["user"]["email"], "ada@helpdesk.example");
    let body =
        json!({"subject": "From the browser", "body": "x", "requester": {"email": "c@c.example"}});
    let refused = anonymous
        .send(with_cookie(Method::POST, "/api/v1/tickets").json(&body))
        .await?
        .expect(403)?;
    assert_eq!(refused.code(), "csrf_failed");
    let wrong = anonymous
        .send(
            with_cookie(Method::POST, "/api/v1/tickets")
                .header("x-csrf-token", "0000")
                .json(&body),
        )
        .await?
        .expect(403)?;
    assert_eq!(wrong.code(), "csrf_failed");
    anonymous
        .send(
            with_cookie(Method::POST, "/api/v1/tickets")
                .header("x-csrf-token", &csrf)
                .json(&body),
        )
        .await?
        .expect(201)?;

    anonymous
        .send(with_cookie(Method::POST, "/api/v1/auth/sign-out").header("x-csrf-token", &csrf))
        .await?
        .expect(204)?;
    anonymous
        .send(with_cookie(Method::GET, "/api/v1/me"))
        .await?
        .expect(401)?;
    Ok(())
}

#[tokio::test]
async fn the_first_admin_comes_from_the_one_time_setup_token() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let token = server
        .app
        .setup_token_if_needed()
        .await?
        .unwrap_or_default();
    assert!(!token.is_empty());
    let anonymous = server.anonymous();
    let body = json!({"token": token, "email": "first@helpdesk.example", "name": "First Admin", "password": "correct horse battery"});
    let created = anonymous
        .post("/api/v1/setup", body.clone())
        .await?
        .expect(201)?;
    assert_eq!(created.body["role"], "admin");
    anonymous.post("/api/v1/setup", body).await?.expect(401)?;
    assert!(server.app.setup_token_if_needed().await?.is_none());
    anonymous
        .post(
            "/api/v1/auth/sign-in",
            json!({"email": "first@helpdesk.example", "password": "correct horse battery"}),
        )
        .await?
        .expect(200)?;
    Ok(())
}

#[tokio::test]
async fn sign_in_is_rate_limited() -> anyhow::Result<()> {
    let server = TestServer::start_with(|c| c.sign_in_per_minute = 3).await?;
    let admin = server.user("admin", "ada@helpdesk.example").await?;
    let anonymous = server.anonymous();
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(
            anonymous
                .post(
                    "/api/v1/auth/sign-in",
                    json!({"email": "ada@helpdesk.example", "password": "nope nope nope"}),
                )
                .await?
                .status
                .as_u16(),
        );
    }
    assert_eq!(statuses, vec![401, 401, 401, 429, 429]);
    let limited = anonymous
        .post(
            "/api/v1/auth/sign-in",
            json!({"email": "ada@helpdesk.example", "password": admin.password}),
        )
        .await?
        .expect(429)?;
    assert_eq!(limited.code(), "rate_limited");
    Ok(())
}

/// Issue #21 (3): a sign-in takes a few kilobytes, whether the body says how large it is
/// or not, and the caller's address is limited before its body is read; other JSON is
/// held to 2 MB even on routes that take files in multipart forms.
#[tokio::test]
async fn bodies_are_limited_per_route_and_sign_in_limits_come_first() -> anyhow::Result<()> {
    let server = TestServer::start_with(|c| c.sign_in_per_minute = 3).await?;
    let admin = server.user("admin", "ada@helpdesk.example").await?;
    let anonymous = server.anonymous();
    let big = json!({"email": "ada@helpdesk.example", "password": "x".repeat(1 << 20)});
    let declared = anonymous.post("/api/v1/auth/sign-in", big.clone()).await?;
    assert_eq!(
        (declared.status.as_u16(), declared.code()),
        (413, "payload_too_large"),
        "{}",
        declared.text
    );
    // Streamed without a length, it is cut off at the limit just the same.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = big
        .to_string()
        .into_bytes()
        .chunks(64 * 1024)
        .map(|c| Ok(c.to_vec()))
        .collect();
    let streamed = anonymous
        .send(
            anonymous
                .request(Method::POST, "/api/v1/auth/sign-in")
                .header("content-type", "application/json")
                .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks))),
        )
        .await?;
    assert_eq!(streamed.status.as_u16(), 413, "{}", streamed.text);
    // A 3 MB JSON ticket is refused; the same bytes as a file in a multipart form are not.
    let text = "y".repeat(3 << 20);
    let json_body = json!({"subject": "Big", "body": text, "requester": {"email": "c@c.example"}});
    let refused = admin.post("/api/v1/tickets", json_body).await?;
    assert_eq!(refused.status.as_u16(), 413, "{}", refused.text);
    let form = reqwest::multipart::Form::new()
        .text(
            "ticket",
            json!({"subject": "Big file", "body": "see the log", "requester": {"email": "c@c.example"}})
                .to_string(),
        )
        .part(
            "files",
            reqwest::multipart::Part::bytes(text.into_bytes()).file_name("big.log"),
        );
    admin
        .send(
            admin
                .request(Method::POST, "/api/v1/tickets")
                .multipart(form),
        )
        .await?
        .expect(201)?;

    // Spend the address's sign-ins; the next one is refused before its body is read,
    // even a body that is not JSON at all.
    for _ in 0..3 {
        anonymous
            .post(
                "/api/v1/auth/sign-in",
                json!({"email": "nobody@helpdesk.example", "password": "wrong"}),
            )
            .await?;
    }
    let refused = anonymous
        .send(
            anonymous
                .request(Method::POST, "/api/v1/auth/sign-in")
                .header("content-type", "application/json")
                .body("{not json"),
        )
        .await?;
    assert_eq!(
        (refused.status.as_u16(), refused.code()),
        (429, "rate_limited"),
        "{}",
        refused.text
    );
    Ok(())
}
