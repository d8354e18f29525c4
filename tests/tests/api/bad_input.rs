//! Bad input on every route gets its 4xx with a stable code — and changes nothing.

use reqwest::Method;
use serde_json::{Value, json};
use triage_tests::{Client, TestServer};

struct Case {
    method: Method,
    path: String,
    body: Option<Body>,
    status: u16,
    code: &'static str,
}

enum Body {
    Json(Value),
    Raw(&'static str, Vec<u8>),
}

fn case(
    method: Method,
    path: impl Into<String>,
    body: Option<Body>,
    status: u16,
    code: &'static str,
) -> Case {
    Case {
        method,
        path: path.into(),
        body,
        status,
        code,
    }
}

async fn snapshot(client: &Client, ticket: i64) -> anyhow::Result<(Value, Value, Value)> {
    let t = client
        .get(&format!("/api/v1/tickets/{ticket}"))
        .await?
        .expect(200)?
        .body;
    let m = client
        .get(&format!("/api/v1/tickets/{ticket}/messages"))
        .await?
        .expect(200)?
        .body;
    let all = client
        .get("/api/v1/tickets?limit=200")
        .await?
        .expect(200)?
        .body;
    Ok((t, m, all))
}

#[tokio::test]
async fn every_route_answers_bad_input_with_a_clear_4xx_and_writes_nothing() -> anyhow::Result<()> {
    let server = TestServer::start_with(|c| c.max_attachment_mb = 1).await?;
    let admin = server.user("admin", "ada@helpdesk.example").await?;
    let agent = server.user("agent", "bo@helpdesk.example").await?;
    let group = server.group("Support", &[agent.user_id]).await?;
    admin
        .post(
            "/api/v1/custom-fields",
            json!({"key": "plan", "label": "Plan", "kind": "dropdown", "options": ["free", "pro"]}),
        )
        .await?
        .expect(201)?;
    let id = admin
        .ticket_for("cy@customer.example", group, "Baseline")
        .await?;
    admin
        .patch(&format!("/api/v1/tickets/{id}"), json!({"status": "open"}))
        .await?
        .expect(200)?;
    let before = snapshot(&admin, id).await?;
    let t = |p: &str| format!("/api/v1/tickets/{id}{p}");
    use Body::*;
    let cases = vec![
        case(Method::POST, "/api/v1/tickets", Some(Raw("application/json", b"{\"subject\": ".to_vec())), 400, "malformed_json"),
        case(Method::POST, "/api/v1/tickets", Some(Raw("application/json", vec![b'{', b'"', 0xff, 0xfe, b'"', b'}'])), 400, "malformed_json"),
        case(Method::POST, "/api/v1/tickets", Some(Raw("text/plain", b"subject=hi".to_vec())), 415, "unsupported_media_type"),
        case(Method::POST, "/api/v1/tickets", Some(Json(json!({"subject": 42, "body": "x", "requester": {"email": "a@b.example"}}))), 422, "validation_failed"),
        case(Method::POST, "/api/v1/tickets", Some(Json(json!({"subject": "x", "body": "y", "requester": {"email": "a@b.example"}, "colour": "red"}))), 422, "validation_failed"),
        case(Method::POST, "/api/v1/tickets", Some(Json(json!({"subject": "   ", "body": "y", "requester": {"email": "a@b.example"}}))), 422, "validation_failed"),
        case(Method::POST, "/api/v1/tickets", Some(Json(json!({"subject": "x", "requester": {"email": "a@b.example"}}))), 422, "validation_failed"),
        case(Method::POST, "/api/v1/tickets", Some(Json(json!({"subject": "x", "body": "y", "requester": {"email": "not-an-email"}}))), 422, "validation_failed"),
        case(Method::POST, "/api/v1/tickets", Some(Json(json!({"subject": "x", "body": "y", "requester": {"id": 999999}}))), 422, "validation_failed"),
        case(Method::POST, "/api/v1/tickets", Some(Json(json!({"subject": "x", "body": "y", "requester": {"email": "a@b.example"}, "priority": "critical"}))), 422, "validation_failed"),
        case(Method::POST, "/api/v1/tickets", Some(Json(json!({"subject": "x", "body": "y", "requester": {"email": "a@b.example"}, "group_id": 999}))), 422, "validation_failed"),
        case(Method::POST, "/api/v1/tickets", Some(Json(json!({"subject": "x", "body": "y", "requester": {"email": "a@b.example"}, "status": "closed"}))), 422, "invalid_transition"),
        case(Method::POST, "/api/v1/tickets", Some(Json(json!({"subject": "x", "body": "y", "requester": {"email": "a@b.example"}, "custom_fields": {"plan": "gold"}}))), 422, "validation_failed"),
        case(Method::POST, "/api/v1/tickets", Some(Json(json!({"subject": "x", "body": "y", "requester": {"email": "a@b.example"}, "tags": ["<script>"]}))), 422, "validation_failed"),
        case(Method::POST, "/api/v1/tickets", Some(Json(json!({"subject": "x", "body": "y".repeat(3 * 1024 * 1024), "requester": {"email": "a@b.example"}}))), 413, "payload_too_large"),
        case(Method::GET, "/api/v1/tickets/abc", None, 400, "bad_request"),
        case(Method::GET, "/api/v1/tickets/99999", None, 404, "not_found"),
        case(Method::GET, "/api/v1/tickets?sort=colour", None, 422, "validation_failed"),
        case(Method::GET, "/api/v1/tickets?limit=0", None, 422, "validation_failed"),
        case(Method::GET, "/api/v1/tickets?limit=many", None, 400, "bad_request"),
        case(Method::GET, "/api/v1/tickets?cursor=zzz", None, 400, "bad_request"),
        case(Method::GET, "/api/v1/tickets?created_from=yesterday", None, 422, "validation_failed"),
        case(Method::GET, "/api/v1/tickets?status=Nope", None, 422, "validation_failed"),
        case(Method::GET, "/api/v1/tickets?wat=1", None, 400, "bad_request"),
        case(Method::PATCH, t(""), Some(Json(json!({"status": "new"}))), 422, "invalid_transition"),
        case(Method::PATCH, t(""), Some(Json(json!({"status": "closed"}))), 422, "invalid_transition"),
        case(Method::PATCH, t(""), Some(Json(json!({"status": "Nope"}))), 422, "validation_failed"),
        case(Method::PATCH, t(""), Some(Json(json!({"assignee_id": 424242}))), 422, "validation_failed"),
        case(Method::PATCH, t(""), Some(Json(json!({"priority": "low", "custom_fields": {"plan": 3}}))), 422, "validation_failed"),
        case(Method::PATCH, t(""), Some(Json(json!({"priority": "low", "custom_fields": {"unknown": 3}}))), 422, "validation_failed"),
        case(Method::PATCH, t(""), Some(Json(json!({"priority": "low", "due_at": "soon"}))), 422, "validation_failed"),
        case(Method::PATCH, t(""), Some(Json(json!({"priority": "low", "version": 0}))), 409, "stale_version"),
        case(Method::PATCH, t(""), Some(Json(json!({"subjet": "typo"}))), 422, "validation_failed"),
        case(Method::PATCH, "/api/v1/tickets/99999", Some(Json(json!({"priority": "low"}))), 404, "not_found"),
        case(Method::POST, t("/messages"), Some(Json(json!({"body": ""}))), 422, "validation_failed"),
        case(Method::POST, t("/messages"), Some(Json(json!({"body": "x", "status": "new"}))), 422, "invalid_transition"),
        case(Method::POST, t("/messages"), Some(Raw("multipart/form-data; boundary=zz", b"--zz\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.txt\"\r\n\r\nhello\r\n--zz--\r\n".to_vec())), 400, "bad_request"),
        case(Method::POST, t("/messages"), Some(Raw("multipart/form-data; boundary=zz", [b"--zz\r\nContent-Disposition: form-data; name=\"message\"\r\n\r\n{\"body\":\"big\"}\r\n--zz\r\nContent-Disposition: form-data; name=\"files\"; filename=\"big.bin\"\r\n\r\n".to_vec(), vec![7u8; 1024 * 1024 + 10], b"\r\n--zz--\r\n".to_vec()].concat())), 413, "payload_too_large"),
        case(Method::POST, t("/merge"), Some(Json(json!({"target": id}))), 422, "validation_failed"),
        case(Method::POST, t("/merge"), Some(Json(json!({"target": 99999}))), 404, "not_found"),
        case(Method::POST, t("/links"), Some(Json(json!({"other": id, "kind": "related"}))), 422, "validation_failed"),
        case(Method::POST, t("/links"), Some(Json(json!({"other": 99999, "kind": "related"}))), 404, "not_found"),
        case(Method::POST, t("/links"), Some(Json(json!({"other": id, "kind": "cousin"}))), 422, "validation_failed"),
        case(Method::POST, t("/macros/77"), None, 404, "not_found"),
        case(Method::POST, "/api/v1/tickets/bulk", Some(Json(json!({"ids": [], "changes": {"priority": "low"}}))), 422, "validation_failed"),
        case(Method::POST, "/api/v1/tickets/bulk", Some(Json(json!({"ids": [id], "changes": {"priority": "low", "version": 1}}))), 422, "validation_failed"),
        case(Method::GET, t("/history?limit=100000"), None, 422, "validation_failed"),
        case(Method::GET, "/api/v1/attachments/5", None, 404, "not_found"),
        case(Method::POST, "/api/v1/users", Some(Json(json!({"email": "a@b", "name": "A", "role": "agent", "password": "long enough pass"}))), 422, "validation_failed"),
        case(Method::POST, "/api/v1/users", Some(Json(json!({"email": "z@z.example", "name": "Z", "role": "wizard"}))), 422, "validation_failed"),
        case(Method::POST, "/api/v1/users", Some(Json(json!({"email": "z@z.example", "name": "Z", "role": "agent", "password": "short"}))), 422, "validation_failed"),
        case(Method::POST, "/api/v1/users", Some(Json(json!({"email": "bo@helpdesk.example", "name": "Dup", "role": "customer"}))), 409, "conflict"),
        case(Method::GET, "/api/v1/users/31337", None, 404, "not_found"),
        case(Method::PATCH, "/api/v1/users/31337", Some(Json(json!({"name": "X"}))), 404, "not_found"),
        case(Method::POST, "/api/v1/organizations", Some(Json(json!({"name": "Acme", "domains": ["not a domain"]}))), 422, "validation_failed"),
        case(Method::PATCH, "/api/v1/organizations/404", Some(Json(json!({"name": "X"}))), 404, "not_found"),
        case(Method::POST, "/api/v1/groups", Some(Json(json!({"name": "Support"}))), 409, "conflict"),
        case(Method::POST, "/api/v1/groups", Some(Json(json!({"name": "New", "member_ids": [999]}))), 422, "validation_failed"),
        case(Method::PATCH, "/api/v1/groups/404", Some(Json(json!({"name": "X"}))), 404, "not_found"),
        case(Method::POST, "/api/v1/statuses", Some(Json(json!({"name": "Later", "category": "someday"}))), 422, "validation_failed"),
        case(Method::POST, "/api/v1/statuses", Some(Json(json!({"name": "open", "category": "open"}))), 409, "conflict"),
        case(Method::PATCH, "/api/v1/statuses/1", Some(Json(json!({"category": "closed"}))), 422, "validation_failed"),
        case(Method::POST, "/api/v1/custom-fields", Some(Json(json!({"key": "Bad Key", "label": "X", "kind": "text"}))), 422, "validation_failed"),
        case(Method::POST, "/api/v1/custom-fields", Some(Json(json!({"key": "size", "label": "Size", "kind": "dropdown"}))), 422, "validation_failed"),
        case(Method::POST, "/api/v1/custom-fields", Some(Json(json!({"key": "plan", "label": "Plan", "kind": "text"}))), 409, "conflict"),
        case(Method::POST, "/api/v1/macros", Some(Json(json!({"name": "Hi", "body": "Hi {{requester.password}}"}))), 422, "validation_failed"),
        case(Method::POST, "/api/v1/macros", Some(Json(json!({"name": "Hi", "body": "Hi", "actions": {"status": "Nope"}}))), 422, "validation_failed"),
        case(Method::DELETE, "/api/v1/macros/404", None, 404, "not_found"),
        case(Method::POST, "/api/v1/tokens", Some(Json(json!({"name": ""}))), 422, "validation_failed"),
        case(Method::DELETE, "/api/v1/tokens/404", None, 404, "not_found"),
        case(Method::POST, "/api/v1/setup", Some(Json(json!({"token": "guess", "email": "x@y.example", "name": "X", "password": "long enough pass"}))), 401, "unauthenticated"),
        case(Method::POST, "/api/v1/auth/sign-in", Some(Json(json!({"email": "ada@helpdesk.example", "password": "wrong password"}))), 401, "unauthenticated"),
        case(Method::GET, "/api/v1/nowhere", None, 404, "not_found"),
        case(Method::PUT, "/api/v1/tickets", None, 405, "method_not_allowed"),
    ];
    for c in cases {
        let mut r = admin.request(c.method.clone(), &c.path);
        r = match c.body {
            Some(Json(v)) => r.json(&v),
            Some(Raw(content_type, bytes)) => r.header("content-type", content_type).body(bytes),
            None => r,
        };
        let reply = admin.send(r).await?;
        assert_eq!(
            (reply.status.as_u16(), reply.code()),
            (c.status, c.code),
            "{} {}: {}",
            c.method,
            c.path,
            reply.text.chars().take(300).collect::<String>()
        );
        assert_eq!(
            reply
                .headers
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/problem+json"),
            "{} {}",
            c.method,
            c.path
        );
        assert!(reply.body["detail"].as_str().is_some_and(|d| !d.is_empty()));
    }
    assert_eq!(
        snapshot(&admin, id).await?,
        before,
        "a refused request changed something"
    );
    Ok(())
}

/// Issue #21 (2): a NUL character (U+0000), which PostgreSQL cannot store, is refused in
/// every text field with the field named, by the same rule on both databases; nothing is
/// written.
#[tokio::test]
async fn a_nul_in_any_text_field_is_refused_with_the_field_named() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let admin = server.user("admin", "ada@helpdesk.example").await?;
    let customer = server.user("customer", "cy@customer.example").await?;
    let group = server.group("Support", &[]).await?;
    let id = admin
        .ticket_for("cy@customer.example", group, "Baseline")
        .await?;
    let before = snapshot(&admin, id).await?;
    let nul = "a\u{0}b";
    let ticket = |extra: Value| {
        let mut t =
            json!({"subject": "Hi", "body": "Hello", "requester": {"email": "n@nul.example"}});
        if let (Some(t), Some(e)) = (t.as_object_mut(), extra.as_object()) {
            t.extend(e.clone());
        }
        t
    };
    let m = format!("/api/v1/tickets/{id}/messages");
    let cases: Vec<(&Client, Method, String, Option<Value>, &str)> = vec![
        (
            &admin,
            Method::POST,
            "/api/v1/tickets".into(),
            Some(ticket(json!({"subject": nul}))),
            "subject",
        ),
        (
            &admin,
            Method::POST,
            "/api/v1/tickets".into(),
            Some(ticket(json!({"body": nul}))),
            "body",
        ),
        (
            &admin,
            Method::POST,
            "/api/v1/tickets".into(),
            Some(ticket(json!({"external_id": nul}))),
            "external_id",
        ),
        (
            &admin,
            Method::POST,
            "/api/v1/tickets".into(),
            Some(ticket(json!({"metadata": {"source": nul}}))),
            "metadata.source",
        ),
        (
            &admin,
            Method::POST,
            "/api/v1/tickets".into(),
            Some(ticket(json!({"tags": ["ok", nul]}))),
            "tags[1]",
        ),
        (
            &admin,
            Method::POST,
            "/api/v1/tickets".into(),
            Some(ticket(
                json!({"requester": {"email": "n@nul.example", "name": nul}}),
            )),
            "requester.name",
        ),
        (
            &customer,
            Method::POST,
            "/api/v1/tickets".into(),
            Some(json!({"subject": "Hi", "body": nul})),
            "body",
        ),
        (
            &admin,
            Method::POST,
            m.clone(),
            Some(json!({"body": nul})),
            "body",
        ),
        (
            &admin,
            Method::POST,
            m.clone(),
            Some(json!({"body": "x", "channel": nul})),
            "channel",
        ),
        (
            &customer,
            Method::POST,
            m.clone(),
            Some(json!({"body": nul})),
            "body",
        ),
        (
            &admin,
            Method::PATCH,
            format!("/api/v1/tickets/{id}"),
            Some(json!({"subject": nul})),
            "subject",
        ),
        (
            &admin,
            Method::POST,
            "/api/v1/groups".into(),
            Some(json!({"name": "G", "description": nul})),
            "description",
        ),
        (
            &admin,
            Method::POST,
            "/api/v1/macros".into(),
            Some(json!({"name": "M", "body": nul})),
            "body",
        ),
        (
            &admin,
            Method::POST,
            "/api/v1/rules".into(),
            Some(json!({"name": nul, "script": "add_tag(\"x\");", "triggers": ["ticket.created"]})),
            "name",
        ),
        (
            &admin,
            Method::POST,
            "/api/v1/rules".into(),
            Some(
                json!({"name": "R", "description": nul, "script": "add_tag(\"x\");", "triggers": ["ticket.created"]}),
            ),
            "description",
        ),
        (
            &admin,
            Method::POST,
            "/api/v1/rules".into(),
            Some(json!({"name": "R", "script": nul, "triggers": ["ticket.created"]})),
            "script",
        ),
        (
            &admin,
            Method::POST,
            "/api/v1/organizations".into(),
            Some(json!({"name": nul})),
            "name",
        ),
        (
            &admin,
            Method::POST,
            "/api/v1/users".into(),
            Some(json!({"email": "u@nul.example", "name": nul, "role": "customer"})),
            "name",
        ),
        (
            &admin,
            Method::GET,
            "/api/v1/search?q=requester:a%00b".into(),
            None,
            "q",
        ),
        (
            &customer,
            Method::GET,
            "/api/v1/search?q=printer%00".into(),
            None,
            "q",
        ),
        (
            &admin,
            Method::GET,
            "/api/v1/tickets?tag=a%00".into(),
            None,
            "tag",
        ),
        (
            &admin,
            Method::GET,
            "/api/v1/plugins/a%00b".into(),
            None,
            "path",
        ),
    ];
    for (client, method, path, body, field) in cases {
        let mut r = client.request(method.clone(), &path);
        if let Some(body) = &body {
            r = r.json(body);
        }
        let reply = client.send(r).await?;
        assert_eq!(
            (
                reply.status.as_u16(),
                reply.code(),
                reply.body["field"].as_str()
            ),
            (422, "validation_failed", Some(field)),
            "{method} {path} {body:?}: {}",
            reply.text
        );
    }
    // A file name with a NUL, in a multipart upload.
    let form = reqwest::multipart::Form::new()
        .text("message", json!({"body": "see file"}).to_string())
        .part(
            "files",
            reqwest::multipart::Part::bytes(b"x".to_vec()).file_name("a\u{0}.txt"),
        );
    let reply = admin
        .send(admin.request(Method::POST, &m).multipart(form))
        .await?;
    // The multipart reader refuses the raw NUL in the part's headers itself.
    assert_eq!(
        (reply.status.as_u16(), reply.code()),
        (400, "bad_request"),
        "{}",
        reply.text
    );
    assert_eq!(
        snapshot(&admin, id).await?,
        before,
        "a refused request changed something"
    );
    Ok(())
}
