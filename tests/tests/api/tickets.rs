//! Ticket features: lists and cursors, merges, macros, bulk updates, attachments, HTML.

use reqwest::Method;
use serde_json::json;
use triage_tests::TestServer;

#[tokio::test]
async fn lists_filter_sort_and_page_with_cursors() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let admin = server.user("admin", "ada@helpdesk.example").await?;
    let agent = server.user("agent", "bo@helpdesk.example").await?;
    let group = server.group("Support", &[agent.user_id]).await?;
    let mut ids = Vec::new();
    for i in 0..25 {
        let priority = if i % 5 == 0 { "urgent" } else { "normal" };
        let tags = if i % 2 == 0 {
            json!(["vip", "billing"])
        } else {
            json!(["billing"])
        };
        let t = admin
            .ticket(json!({"subject": format!("Ticket {i}"), "body": "x", "requester": {"email": format!("c{}@c.example", i % 3)}, "group_id": group, "priority": priority, "tags": tags}))
            .await?;
        ids.push(t["id"].as_i64().unwrap_or_default());
    }
    admin
        .patch(
            &format!("/api/v1/tickets/{}", ids[3]),
            json!({"assignee_id": agent.user_id}),
        )
        .await?
        .expect(200)?;

    // Pages of 10 in number order, no duplicates, no gaps.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/tickets?sort=number&limit=10&cursor={c}"),
            None => "/api/v1/tickets?sort=number&limit=10".to_string(),
        };
        let page = agent.get(&path).await?.expect(200)?;
        seen.extend(
            page.body["items"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|t| t["id"].as_i64()),
        );
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, ids);

    // Newest update first by default: the assigned ticket leads.
    let latest = agent.get("/api/v1/tickets?limit=1").await?.expect(200)?;
    assert_eq!(latest.body["items"][0]["id"], ids[3]);

    let count = |r: &triage_tests::Reply| r.body["items"].as_array().map(Vec::len).unwrap_or(0);
    assert_eq!(
        count(
            &agent
                .get("/api/v1/tickets?priority=urgent")
                .await?
                .expect(200)?
        ),
        5
    );
    assert_eq!(
        count(
            &agent
                .get("/api/v1/tickets?tag=vip,billing&limit=200")
                .await?
                .expect(200)?
        ),
        13
    );
    assert_eq!(
        count(
            &agent
                .get("/api/v1/tickets?assignee=me")
                .await?
                .expect(200)?
        ),
        1
    );
    assert_eq!(
        count(
            &agent
                .get("/api/v1/tickets?assignee=none&limit=200")
                .await?
                .expect(200)?
        ),
        24
    );
    assert_eq!(
        count(
            &agent
                .get("/api/v1/tickets?category=new,open&limit=200")
                .await?
                .expect(200)?
        ),
        25
    );
    assert_eq!(
        count(
            &agent
                .get("/api/v1/tickets?category=solved")
                .await?
                .expect(200)?
        ),
        0
    );
    assert_eq!(
        count(
            &agent
                .get("/api/v1/tickets?created_from=2000-01-01&created_to=2999-01-01&limit=200")
                .await?
                .expect(200)?
        ),
        25
    );
    assert_eq!(
        count(
            &agent
                .get("/api/v1/tickets?created_to=2000-01-01")
                .await?
                .expect(200)?
        ),
        0
    );
    Ok(())
}

#[tokio::test]
async fn merging_moves_the_conversation_and_redirects() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let admin = server.user("admin", "ada@helpdesk.example").await?;
    let a = admin.ticket(json!({"subject": "VPN down", "body": "first report", "requester": {"email": "c@c.example"}})).await?["id"].as_i64().unwrap_or_default();
    let b = admin.ticket(json!({"subject": "VPN broken", "body": "duplicate report", "requester": {"email": "c@c.example"}})).await?["id"].as_i64().unwrap_or_default();
    let target = admin
        .post(&format!("/api/v1/tickets/{b}/merge"), json!({"target": a}))
        .await?
        .expect(200)?;
    assert_eq!(target.body["id"], a);
    let redirect = admin
        .get(&format!("/api/v1/tickets/{b}"))
        .await?
        .expect(308)?;
    assert_eq!(
        redirect
            .headers
            .get("location")
            .and_then(|v| v.to_str().ok()),
        Some(format!("/api/v1/tickets/{a}").as_str())
    );
    assert_eq!(redirect.body["merged_into"], a);
    assert_eq!(redirect.body["status"]["category"], "closed");
    let bodies = admin.message_bodies(a).await?;
    assert!(
        bodies.iter().any(|b| b == "first report")
            && bodies.iter().any(|b| b == "duplicate report"),
        "{bodies:?}"
    );
    assert!(
        bodies.iter().any(|b2| b2.contains(&format!("#{b}"))),
        "{bodies:?}"
    );
    let source = admin
        .get(&format!("/api/v1/tickets/{b}/messages"))
        .await?
        .expect(200)?;
    assert!(
        source.body[0]["body"]
            .as_str()
            .is_some_and(|t| t.contains(&format!("#{a}")))
    );
    let links = admin
        .get(&format!("/api/v1/tickets/{a}/links"))
        .await?
        .expect(200)?;
    assert_eq!(links.body[0]["kind"], "duplicated_by");
    admin
        .post(&format!("/api/v1/tickets/{b}/merge"), json!({"target": a}))
        .await?
        .expect(409)?;
    Ok(())
}

#[tokio::test]
async fn a_macro_replies_with_placeholders_and_changes_fields_in_one_step() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let admin = server
        .user("admin", "ada.lovelace@helpdesk.example")
        .await?;
    let m = admin
        .post(
            "/api/v1/macros",
            json!({"name": "Solved: reset link", "body": "Hi {{requester.first_name}}, ticket #{{ticket.number}} is done.\n— {{agent.first_name}}", "actions": {"status": "solved", "priority": "low", "add_tags": ["password-reset"]}}),
        )
        .await?
        .expect(201)?;
    let macro_id = m.body["id"].as_i64().unwrap_or_default();
    let t = admin.ticket(json!({"subject": "Reset", "body": "I forgot it", "requester": {"email": "ella.fitz@c.example", "name": "Ella Fitzgerald"}})).await?;
    let id = t["id"].as_i64().unwrap_or_default();
    let applied = admin
        .post(
            &format!("/api/v1/tickets/{id}/macros/{macro_id}"),
            json!({}),
        )
        .await?
        .expect(200)?;
    assert_eq!(
        applied.body["message"]["body"],
        format!("Hi Ella, ticket #{id} is done.\n— ada")
    );
    assert_eq!(applied.body["message"]["public"], true);
    assert_eq!(applied.body["ticket"]["status"]["category"], "solved");
    assert_eq!(applied.body["ticket"]["priority"], "low");
    assert_eq!(applied.body["ticket"]["tags"], json!(["password-reset"]));
    let history = admin
        .get(&format!("/api/v1/tickets/{id}/history"))
        .await?
        .expect(200)?;
    assert!(
        history
            .body
            .as_array()
            .into_iter()
            .flatten()
            .any(|e| e["kind"] == "macro.applied" && e["data"]["name"] == "Solved: reset link")
    );
    Ok(())
}

#[tokio::test]
async fn bulk_updates_succeed_or_fail_per_ticket() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let admin = server.user("admin", "ada@helpdesk.example").await?;
    let a = admin
        .ticket(json!({"subject": "A", "body": "x", "requester": {"email": "c@c.example"}}))
        .await?["id"]
        .as_i64()
        .unwrap_or_default();
    let b = admin
        .ticket(json!({"subject": "B", "body": "x", "requester": {"email": "c@c.example"}}))
        .await?["id"]
        .as_i64()
        .unwrap_or_default();
    let r = admin
        .post(
            "/api/v1/tickets/bulk",
            json!({"ids": [a, b, 99999], "changes": {"priority": "high", "add_tags": ["outage"]}}),
        )
        .await?
        .expect(200)?;
    assert_eq!(r.body[0]["ok"], true);
    assert_eq!(r.body[1]["ticket"]["tags"], json!(["outage"]));
    assert_eq!(r.body[2]["ok"], false);
    assert_eq!(r.body[2]["error"]["status"], 404);
    assert_eq!(
        admin.get(&format!("/api/v1/tickets/{b}")).await?.body["priority"],
        "high"
    );
    // The tag filter sees the change made through the batch's tag rows, and a later
    // replacement leaves no stale row behind.
    let tagged = admin.get("/api/v1/tickets?tag=outage").await?.expect(200)?;
    assert_eq!(tagged.body["items"].as_array().map(Vec::len), Some(2));
    admin
        .patch(
            &format!("/api/v1/tickets/{a}"),
            json!({"tags": ["resolved-outage"]}),
        )
        .await?
        .expect(200)?;
    let tagged = admin.get("/api/v1/tickets?tag=outage").await?.expect(200)?;
    let ids: Vec<i64> = tagged.body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["id"].as_i64())
        .collect();
    assert_eq!(ids, vec![b]);
    Ok(())
}

#[tokio::test]
async fn attachments_are_stored_once_sniffed_and_served_to_those_who_may_see() -> anyhow::Result<()>
{
    let server = TestServer::start().await?;
    let admin = server.user("admin", "ada@helpdesk.example").await?;
    let customer = server.user("customer", "cy@c.example").await?;
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDRrest-of-image".to_vec();
    let form = reqwest::multipart::Form::new()
        .text(
            "ticket",
            json!({"subject": "Screenshot", "body": "see attached"}).to_string(),
        )
        .part(
            "files",
            reqwest::multipart::Part::bytes(png.clone())
                .file_name("../../screen.txt")
                .mime_str("text/plain")?,
        )
        .part(
            "files",
            reqwest::multipart::Part::bytes(png.clone()).file_name("copy.png"),
        );
    let created = customer
        .send(
            customer
                .request(Method::POST, "/api/v1/tickets")
                .multipart(form),
        )
        .await?
        .expect(201)?;
    let id = created.body["id"].as_i64().unwrap_or_default();
    let messages = customer
        .get(&format!("/api/v1/tickets/{id}/messages"))
        .await?
        .expect(200)?;
    let files = messages.body[0]["attachments"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["filename"], "screen.txt");
    assert_eq!(files[0]["content_type"], "image/png");
    let url = files[0]["url"].as_str().unwrap_or_default();
    let download = customer
        .send(customer.request(Method::GET, url))
        .await?
        .expect(200)?;
    assert_eq!(
        download
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("image/png")
    );
    assert!(
        download
            .headers
            .get("content-disposition")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("attachment"))
    );
    let bytes = customer
        .request(Method::GET, url)
        .send()
        .await?
        .bytes()
        .await?;
    assert_eq!(bytes.to_vec(), png);
    // One file on disk for both.
    let stored: Vec<_> = walk(&server.dir.path().join("attachments"));
    assert_eq!(stored.len(), 1, "{stored:?}");
    // An internal note's file is not the customer's to download.
    let form = reqwest::multipart::Form::new()
        .text(
            "message",
            json!({"public": false, "body": "internal log"}).to_string(),
        )
        .part(
            "files",
            reqwest::multipart::Part::bytes(b"private".to_vec()).file_name("private.log"),
        );
    let note = admin
        .send(
            admin
                .request(Method::POST, &format!("/api/v1/tickets/{id}/messages"))
                .multipart(form),
        )
        .await?
        .expect(201)?;
    let private = note.body["message"]["attachments"][0]["url"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    customer.get(&private).await?.expect(404)?;
    admin.get(&private).await?.expect(200)?;
    Ok(())
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[tokio::test]
async fn hostile_html_is_sanitized_and_text_is_escaped() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let admin = server.user("admin", "ada@helpdesk.example").await?;
    let t = admin
        .ticket(json!({"subject": "<script>alert(1)</script>", "body_html": "<p onmouseover=\"x()\">Hi<script>alert(1)</script><a href=\"javascript:alert(2)\">link</a></p>", "requester": {"email": "c@c.example"}}))
        .await?;
    let id = t["id"].as_i64().unwrap_or_default();
    let m = admin
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            json!({"body": "<img src=x onerror=alert(3)>"}),
        )
        .await?
        .expect(201)?;
    assert_eq!(
        m.body["message"]["body_html"],
        "<p>&lt;img src=x onerror=alert(3)&gt;</p>"
    );
    let messages = admin
        .get(&format!("/api/v1/tickets/{id}/messages"))
        .await?
        .expect(200)?;
    let html = messages.body[0]["body_html"].as_str().unwrap_or_default();
    for bad in ["script", "onmouseover", "javascript:"] {
        assert!(!html.contains(bad), "{html}");
    }
    assert_eq!(messages.body[0]["body"], "Hilink");
    Ok(())
}

/// Issue #21 (3): files are received onto disk as they arrive; a stored file comes back
/// byte for byte with a content type from its bytes, one over the limit is refused, and
/// no temporary file is left behind either way.
#[tokio::test]
async fn uploads_are_received_onto_disk_and_leave_nothing_behind() -> anyhow::Result<()> {
    let server = TestServer::start_with(|c| c.max_attachment_mb = 4).await?;
    let admin = server.user("admin", "ada@helpdesk.example").await?;
    // Text whose multi-byte characters straddle the chunks it arrives in.
    let text: Vec<u8> = "Grüße aus Köln — 你好 — ok\n".repeat(100_000).into_bytes();
    let png = {
        let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        b.resize(3 << 20, 7);
        b
    };
    let form = reqwest::multipart::Form::new()
        .text(
            "ticket",
            json!({"subject": "Logs", "body": "both attached", "requester": {"email": "c@c.example"}})
                .to_string(),
        )
        .part("files", reqwest::multipart::Part::bytes(text.clone()).file_name("köln.log"))
        .part("files", reqwest::multipart::Part::bytes(png.clone()).file_name("shot.png"));
    let made = admin
        .send(
            admin
                .request(Method::POST, "/api/v1/tickets")
                .multipart(form),
        )
        .await?
        .expect(201)?;
    let id = made.body["id"].as_i64().unwrap_or_default();
    let messages = admin
        .get(&format!("/api/v1/tickets/{id}/messages"))
        .await?
        .expect(200)?;
    let files = messages.body[0]["attachments"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(files.len(), 2, "{}", messages.text);
    for (file, bytes, kind) in [
        (&files[0], &text, "text/plain; charset=utf-8"),
        (&files[1], &png, "image/png"),
    ] {
        assert_eq!(file["content_type"], kind, "{file}");
        assert_eq!(file["size"], bytes.len(), "{file}");
        let url = file["url"].as_str().unwrap_or_default();
        let got = admin.request(Method::GET, url).send().await?;
        assert_eq!(got.status().as_u16(), 200);
        let body = got.bytes().await?;
        assert!(
            body.as_ref() == bytes.as_slice(),
            "{} differs",
            file["filename"]
        );
    }
    // Over the limit: refused, nothing written.
    let form = reqwest::multipart::Form::new()
        .text("message", json!({"body": "too big"}).to_string())
        .part(
            "files",
            reqwest::multipart::Part::bytes(vec![1u8; (4 << 20) + 1]).file_name("big.bin"),
        );
    let refused = admin
        .send(
            admin
                .request(Method::POST, &format!("/api/v1/tickets/{id}/messages"))
                .multipart(form),
        )
        .await?;
    assert_eq!(refused.status.as_u16(), 413, "{}", refused.text);
    let incoming = server.app.config().data_dir.join("attachments/incoming");
    let left: Vec<_> = std::fs::read_dir(&incoming)?.collect();
    assert!(left.is_empty(), "{left:?}");
    Ok(())
}
