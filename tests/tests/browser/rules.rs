//! Automation rules in the browser: an admin writes a rule, sees a syntax error at its
//! line with nothing typed lost, tries the rule in a dry run, watches it act on a new
//! ticket in the run log, edits it and reads the version diff; a rule that keeps failing
//! shows that the server turned it off.

use anyhow::Context;
use reqwest::header;
use serde_json::{Value, json};
use triage_app::AppError;

use crate::Desk;
use crate::access::audit;

/// A closing parenthesis is missing on the third line.
const BROKEN: &str = "if lower(ticket.subject).contains(\"printer\") {\n    set_priority(\"urgent\");\n    add_tag(\"printer\"\n}\n";

const WORKING: &str = "if lower(ticket.subject).contains(\"printer\") {\n    set_priority(\"urgent\");\n    add_tag(\"printer\");\n    log(\"printer ticket \" + ticket.number);\n}\n";

const EDITED: &str = "if lower(ticket.subject).contains(\"printer\") {\n    set_priority(\"urgent\");\n    add_tag(\"printer\");\n    add_tag(\"hardware\");\n    log(\"printer ticket \" + ticket.number);\n}\n";

fn js_string(s: &str) -> String {
    json!(s).to_string()
}

#[tokio::test]
async fn admins_write_try_and_follow_a_rule_in_the_browser() -> anyhow::Result<()> {
    let desk = Desk::open().await?;
    let b = desk.signed_in(&desk.admin).await?;
    b.goto("/admin").await?;
    b.click(".admin-nav a[href='/admin/rules']").await?;
    b.wait_text("main", "None yet.").await?;

    // "New rule" opens the editor with the name given.
    b.fill("#new-rule-name", "Printer triage").await?;
    b.click("#new-rule button[type=submit]").await?;
    b.wait_js(
        "return location.pathname === '/admin/rules/new'",
        "the new rule's editor",
    )
    .await?;
    assert_eq!(
        b.js("return document.querySelector('#rule-name').value")
            .await?,
        json!("Printer triage")
    );

    // A script that does not compile comes back with the message at its line, marked in
    // the gutter, and the script exactly as typed.
    let Err(AppError::Script { line, column, .. }) = desk.server.app.check_script(BROKEN) else {
        anyhow::bail!("the broken script compiles");
    };
    assert!(line > 1, "the error is past the first line: {line}");
    b.fill("#rule-script", BROKEN).await?;
    b.click("#rule-save").await?;
    b.wait_text("#rule-error", &format!("Line {line}, column {column}"))
        .await?;
    assert_eq!(
        b.text("#script-gutter span.bad").await?,
        line.to_string(),
        "the gutter marks the line"
    );
    assert_eq!(
        b.js("return document.querySelector('#rule-script').value")
            .await?,
        json!(BROKEN),
        "the script is kept"
    );
    assert_eq!(
        b.js("return document.querySelector('#rule-name').value")
            .await?,
        json!("Printer triage"),
        "so are the other fields"
    );
    let rules = desk.admin.get("/api/v1/rules").await?.expect(200)?;
    assert_eq!(rules.body, json!([]), "nothing was saved");

    // The working script is saved.
    b.fill("#rule-script", WORKING).await?;
    b.click("#rule-save").await?;
    b.wait_js(
        "return /^\\/admin\\/rules\\/\\d+$/.test(location.pathname) && location.search.includes('done=created')",
        "the rule to be created",
    )
    .await?;
    let rule: i64 = b
        .js("return Number(location.pathname.split('/').pop())")
        .await?
        .as_i64()
        .context("rule id")?;
    b.wait_text("#rule-title", "Printer triage").await?;
    assert_eq!(
        b.js("return document.querySelector('#rule-script').value")
            .await?,
        json!(WORKING)
    );
    assert_eq!(
        b.js("return document.querySelectorAll('#script-gutter span').length")
            .await?,
        json!(WORKING.split('\n').count()),
        "a number for each line"
    );

    // The dry run shows per ticket whether it fires and what would change; nothing is
    // written.
    b.fill("#dry-last", "10").await?;
    b.click("#dry-run-start").await?;
    b.wait_text("#dry-run-summary", "Ran on 4 tickets: fires on 2")
        .await?;
    let printer = format!("#dry-run-results article[data-ticket='{}']", desk.printer);
    let found = b.text(&printer).await?;
    for expected in [
        "fires",
        "priority: high → urgent",
        "tags: (none) → printer",
        &format!("printer ticket {}", desk.printer),
    ] {
        assert!(found.contains(expected), "{expected:?} in {found:?}");
    }
    b.wait_text("#dry-run-quiet", "Does not fire on").await?;
    let untouched = desk.ticket(desk.printer).await?;
    assert_eq!(untouched["priority"], json!("high"));
    assert_eq!(untouched["tags"], json!([]));

    // A ticket created through the API gets changed by the rule, and the run log says so.
    let ticket = desk
        .carol
        .ticket(json!({"subject": "Printer on floor 3 is offline", "body": "It shows no network."}))
        .await?["id"]
        .as_i64()
        .context("ticket id")?;
    desk.server.automated().await?;
    let changed = desk.ticket(ticket).await?;
    assert_eq!(changed["priority"], json!("urgent"));
    assert_eq!(changed["tags"], json!(["printer"]));
    b.goto(&format!("/admin/rules/{rule}")).await?;
    b.wait_text("#run-log", &format!("#{ticket}")).await?;
    let log = b.text("#run-log tbody tr:first-child").await?;
    for expected in [
        "fired",
        "priority: normal → urgent",
        "tags: (none) → printer",
    ] {
        assert!(log.contains(expected), "{expected:?} in {log:?}");
    }
    b.wait_text("#rule-state", "last run").await?;

    // An edit is a new version; the diff shows what changed against the one before.
    b.fill("#rule-script", EDITED).await?;
    b.click("#rule-form input[name=triggers][value='ticket.updated']")
        .await?;
    b.click("#rule-save").await?;
    b.wait_js(
        "return location.search.includes('done=saved')",
        "the rule to be saved",
    )
    .await?;
    b.wait_text("#version-diff-title", "Version 1 → 2").await?;
    assert_eq!(
        b.js("return document.querySelectorAll('#version-list tbody tr').length")
            .await?,
        json!(2)
    );
    assert!(b.text("#version-list").await?.contains("admin"));
    let added = b
        .js("return [...document.querySelectorAll('#version-diff tr.d-added')].map(r => r.textContent)")
        .await?;
    assert_eq!(added.as_array().map(Vec::len), Some(1), "{added}");
    assert!(
        added[0]
            .as_str()
            .unwrap_or("")
            .contains("add_tag(\"hardware\");")
    );
    assert_eq!(
        b.js("return document.querySelectorAll('#version-diff tr.d-removed').length")
            .await?,
        json!(0)
    );
    b.wait_text("#version-settings", "ticket.created, ticket.updated")
        .await?;
    b.click("#version-list a[href*='version=1']").await?;
    b.wait_text("#version-diff-title", "Version 1, the first")
        .await?;

    // A rule that keeps failing is turned off, and the list and its page say why.
    let flaky = desk
        .admin
        .post(
            "/api/v1/rules",
            json!({"name": "Flaky webhook", "triggers": ["ticket.created"], "script": "throw \"the webhook is unreachable\";"}),
        )
        .await?
        .expect(201)?
        .body["id"]
        .as_i64()
        .context("rule id")?;
    for n in 1..=5 {
        desk.carol
            .ticket(json!({"subject": format!("Question {n}"), "body": "Hello?"}))
            .await?;
    }
    desk.server.automated().await?;
    b.goto("/admin/rules").await?;
    let row = |name: &str| {
        format!(
            "return [...document.querySelectorAll('#admin-table tbody tr')].filter(r => r.textContent.includes({})).map(r => r.textContent).join('')",
            js_string(name)
        )
    };
    let flaky_row = b.js(&row("Flaky webhook")).await?;
    let flaky_row = flaky_row.as_str().unwrap_or("");
    assert!(
        flaky_row.contains("deactivated") && flaky_row.contains("webhook is unreachable"),
        "{flaky_row:?}"
    );
    assert!(flaky_row.contains("off"), "{flaky_row:?}");
    let printer_row = b.js(&row("Printer triage")).await?;
    let printer_row = printer_row.as_str().unwrap_or("");
    assert!(
        printer_row.contains("on") && printer_row.contains("ticket.created, ticket.updated"),
        "{printer_row:?}"
    );
    assert!(!printer_row.contains("never"), "{printer_row:?}");
    b.click(&format!("#admin-table a[href='/admin/rules/{flaky}']"))
        .await?;
    b.wait_text("#rule-disabled", "deactivated").await?;
    b.wait_text("#run-log", "error").await?;

    audit(&b, "/admin/rules").await?;
    audit(&b, &format!("/admin/rules/{rule}")).await?;

    // Deleting a rule takes it away with its log.
    b.goto(&format!("/admin/rules/{flaky}")).await?;
    b.click("#delete-rule button[type=submit]").await?;
    b.wait_js(
        "return location.pathname === '/admin/rules' && location.search.includes('done=deleted')",
        "the rule to be deleted",
    )
    .await?;
    desk.admin
        .get(&format!("/api/v1/rules/{flaky}"))
        .await?
        .expect(404)?;
    let remaining: Vec<Value> = desk
        .admin
        .get("/api/v1/rules")
        .await?
        .expect(200)?
        .body
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(remaining.len(), 1);
    b.close().await?;
    Ok(())
}

#[tokio::test]
async fn the_rule_page_is_plain_forms_guarded_by_the_csrf_token() -> anyhow::Result<()> {
    let desk = Desk::open().await?;
    let rule = desk
        .admin
        .post(
            "/api/v1/rules",
            json!({"name": "Tagger", "triggers": ["ticket.created"], "script": "add_tag(\"seen\");"}),
        )
        .await?
        .expect(201)?
        .body["id"]
        .as_i64()
        .context("rule id")?;

    // In the browser: a dry run on one ticket, numbered as people write it, and a ticket
    // that does not exist is said so.
    let b = desk.signed_in(&desk.admin).await?;
    b.goto(&format!("/admin/rules/{rule}")).await?;
    b.fill("#dry-ticket", &format!("#{}", desk.printer)).await?;
    b.click("#dry-run-start").await?;
    b.wait_text("#dry-run-summary", "Ran on 1 ticket: fires on 1")
        .await?;
    b.wait_text("#dry-run-results", "tags: (none) → seen")
        .await?;
    b.fill("#dry-ticket", "999999").await?;
    b.click("#dry-run-start").await?;
    b.wait_text("#dry-run-error", "not found").await?;
    b.close().await?;

    // Without a script in the page: the server draws the line numbers, and the dry run
    // is the editor's form sent to another address.
    let (base, http) = (&desk.server.base, &desk.server.http);
    let signed = http
        .post(format!("{base}/sign-in"))
        .form(&[
            ("email", desk.admin.email.as_str()),
            ("password", desk.admin.password.as_str()),
        ])
        .send()
        .await?;
    assert_eq!(signed.status(), 303);
    let session = signed
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or("")
        .to_string();
    let page = http
        .get(format!("{base}/admin/rules/{rule}"))
        .header(header::COOKIE, &session)
        .send()
        .await?
        .text()
        .await?;
    assert!(
        page.contains(
            r#"id="script-gutter" aria-hidden="true" data-error-line=""><span>1</span></pre>"#
        ),
        "{page}"
    );
    assert!(page.contains(&format!(
        r#"form="rule-form" formaction="/admin/rules/{rule}/dry-run#dry-run""#
    )));
    let odd = http
        .get(format!("{base}/admin/rules/{rule}?version=latest"))
        .header(header::COOKIE, &session)
        .send()
        .await?;
    assert_eq!(
        odd.status(),
        200,
        "a version that is not a number shows the newest"
    );
    let token = page
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or("")
        .to_string();
    assert!(!token.is_empty());
    let fields = |csrf: &str| {
        vec![
            ("_csrf", csrf.to_string()),
            ("name", "Tagger".to_string()),
            ("triggers", "ticket.created".to_string()),
            ("script", "add_tag(\"other\");\r\n".to_string()),
            ("ticket", desk.printer.to_string()),
        ]
    };
    let tried = http
        .post(format!("{base}/admin/rules/{rule}/dry-run"))
        .header(header::COOKIE, &session)
        .form(&fields(&token))
        .send()
        .await?;
    assert_eq!(tried.status(), 200);
    assert!(tried.text().await?.contains("<ins>other</ins>"));

    // Without the token, or from another site's page, nothing is saved or tried.
    for path in [
        format!("/admin/rules/{rule}"),
        format!("/admin/rules/{rule}/dry-run"),
        "/admin/rules/dry-run".to_string(),
        "/admin/rules".to_string(),
    ] {
        let forged = http
            .post(format!("{base}{path}"))
            .header(header::COOKIE, &session)
            .form(&fields(""))
            .send()
            .await?;
        assert_eq!(forged.status(), 403, "{path} without the token");
        let cross = http
            .post(format!("{base}{path}"))
            .header(header::COOKIE, &session)
            .header(header::ORIGIN, "https://evil.example")
            .form(&fields(&token))
            .send()
            .await?;
        assert_eq!(cross.status(), 403, "{path} from another site");
    }
    let saved = desk
        .admin
        .get(&format!("/api/v1/rules/{rule}"))
        .await?
        .expect(200)?;
    assert_eq!(saved.body["script"], json!("add_tag(\"seen\");"));
    assert_eq!(saved.body["version"], json!(1));
    assert_eq!(
        desk.admin
            .get("/api/v1/rules")
            .await?
            .expect(200)?
            .body
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    // Agents may not open the rule pages.
    let agent = desk.signed_in(&desk.ada).await?;
    agent.goto(&format!("/admin/rules/{rule}")).await?;
    agent.wait_text("h1", "Not allowed").await?;
    agent.goto("/admin/rules/new").await?;
    agent.wait_text("h1", "Not allowed").await?;
    agent.close().await?;
    Ok(())
}
