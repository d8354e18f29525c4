//! Hostile content is shown as text; forms need the session's CSRF token and this site's
//! origin; cookies and headers are strict.

use reqwest::header;
use serde_json::json;

use crate::Desk;

const SUBJECT: &str =
    "<img src=x onerror=\"window.__pwned=1\">Refund <script>window.__pwned=2</script>";
const BODY_HTML: &str = "<p>Click <a href=\"javascript:window.__pwned=3\">here</a> or <a href=\"https://example.com/ok\">there</a></p>\
<p style=\"position:fixed;top:0;left:0;width:100%;height:100%;background:red\" onmouseover=\"window.__pwned=4\">cover</p>\
<script>window.__pwned=5</script><iframe src=\"https://evil.example\"></iframe><svg onload=\"window.__pwned=6\"></svg>";

#[tokio::test]
async fn hostile_content_is_shown_as_text() -> anyhow::Result<()> {
    let desk = Desk::open().await?;
    let id = desk
        .ada
        .ticket(json!({
            "subject": SUBJECT,
            "body_html": BODY_HTML,
            "requester": {"email": "mallory@evil.example", "name": "<script>window.__pwned=7</script>Mallory"},
            "group_id": desk.group,
        }))
        .await?["id"]
        .as_i64()
        .unwrap_or_default();
    desk.server.indexed().await?;
    let b = desk.signed_in(&desk.ada).await?;
    for path in [
        "/tickets?view=open".to_string(),
        "/search?q=refund".to_string(),
        format!("/tickets/{id}"),
    ] {
        b.goto(&path).await?;
        b.wait_text("main", "Refund").await?;
        b.js("document.querySelectorAll('[onmouseover]').forEach(e => e.dispatchEvent(new MouseEvent('mouseover'))); return true;").await?;
        assert_eq!(
            b.js("return typeof window.__pwned").await?,
            json!("undefined"),
            "{path}: no hostile script ran"
        );
        let counts = b
            .js("return [document.querySelectorAll('a[href^=\"javascript:\"]').length, document.querySelectorAll('[onerror],[onload],[onmouseover]').length, document.querySelectorAll('iframe').length, document.querySelectorAll('script:not([src])').length, document.querySelectorAll('main [style]').length]")
            .await?;
        assert_eq!(
            counts,
            json!([0, 0, 0, 0, 0]),
            "{path}: nothing hostile in the DOM"
        );
    }
    assert!(
        b.text("#ticket-subject")
            .await?
            .contains("<script>window.__pwned=2</script>")
    );
    assert!(
        b.text(".requester")
            .await?
            .contains("<script>window.__pwned=7</script>Mallory")
    );
    assert!(
        b.text("#conversation")
            .await?
            .contains("Click here or there")
    );
    b.close().await?;
    Ok(())
}

#[tokio::test]
async fn forms_need_the_csrf_token_and_this_origin() -> anyhow::Result<()> {
    let desk = Desk::open().await?;
    let base = &desk.server.base;
    let http = &desk.server.http;

    // The sign-in page and every page carry a strict policy.
    let page = http.get(format!("{base}/sign-in")).send().await?;
    let csp = page
        .headers()
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert!(!csp.contains("unsafe-inline"));

    // Signing in sets an HttpOnly, SameSite cookie.
    let signed = http
        .post(format!("{base}/sign-in"))
        .form(&[
            ("email", desk.ada.email.as_str()),
            ("password", desk.ada.password.as_str()),
        ])
        .send()
        .await?;
    assert_eq!(signed.status(), 303);
    let cookie = signed
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let session = cookie.split(';').next().unwrap_or("").to_string();

    // A change without the form's token is refused, and nothing changes.
    let path = format!("{base}/tickets/{}", desk.printer);
    let before = desk.ticket(desk.printer).await?;
    let forged = http
        .post(&path)
        .header(header::COOKIE, &session)
        .form(&[("priority", "low"), ("version", "1")])
        .send()
        .await?;
    assert_eq!(forged.status(), 403);
    let page = http
        .get(&path)
        .header(header::COOKIE, &session)
        .send()
        .await?
        .text()
        .await?;
    let token = page
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or("")
        .to_string();
    assert!(!token.is_empty());

    // With the token but from another site's page: refused.
    let cross = http
        .post(format!("{base}/tickets/{}/reply", desk.printer))
        .header(header::COOKIE, &session)
        .header(header::ORIGIN, "https://evil.example")
        .form(&[("_csrf", token.as_str()), ("body", "forged")])
        .send()
        .await?;
    assert_eq!(cross.status(), 403);
    assert_eq!(
        desk.ticket(desk.printer).await?["version"],
        before["version"]
    );

    // Not signed in: pages send to the sign-in page and come back after.
    let anonymous = http.get(&path).send().await?;
    assert_eq!(anonymous.status(), 303);
    let to = anonymous
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert_eq!(to, format!("/sign-in?next=%2Ftickets%2F{}", desk.printer));

    // An address outside the site is never followed after signing in.
    let offsite = http
        .post(format!("{base}/sign-in"))
        .form(&[
            ("email", desk.ada.email.as_str()),
            ("password", desk.ada.password.as_str()),
            ("next", "//evil.example/"),
        ])
        .send()
        .await?;
    assert_eq!(
        offsite
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok()),
        Some("/tickets")
    );

    // An unknown page is an HTML page; an unknown API path stays problem+json.
    let page = http.get(format!("{base}/no-such-page")).send().await?;
    assert_eq!(page.status(), 404);
    assert!(page.text().await?.contains("<h1>Not found</h1>"));
    let api = http
        .get(format!("{base}/api/v1/no-such-route"))
        .send()
        .await?;
    assert_eq!(api.status(), 404);
    assert_eq!(
        api.headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );

    // A wrong password shows the form again with a message.
    let wrong = http
        .post(format!("{base}/sign-in"))
        .form(&[
            ("email", desk.ada.email.as_str()),
            ("password", "not the password"),
        ])
        .send()
        .await?;
    assert_eq!(wrong.status(), 401);
    assert!(wrong.text().await?.contains("Wrong email or password"));
    Ok(())
}
