//! An agent's day: search, open, reply with a macro, note, change status; bulk actions and
//! saved views; admin pages.

use fantoccini::Locator;
use fantoccini::key::Key;
use serde_json::json;

use crate::Desk;

#[tokio::test]
async fn agent_searches_opens_replies_with_a_macro_notes_and_solves() -> anyhow::Result<()> {
    let desk = Desk::open().await?;
    let b = desk.signed_in(&desk.ada).await?;
    assert_eq!(b.path().await?, "/tickets", "agents land on their queue");
    b.wait_text("#rail", "All open").await?;
    b.wait_js(
        "return [...document.querySelectorAll('#rail a')].some(a => a.textContent.includes('All open') && a.querySelector('.count').textContent.trim() === '4')",
        "the All open count",
    )
    .await?;

    // `/` focuses search from any page.
    b.blur().await?;
    b.press("/").await?;
    b.wait_js(
        "return document.activeElement && document.activeElement.id === 'global-search'",
        "the search box to have the focus",
    )
    .await?;

    // Search as you type, with a filter, then a facet refines the query in place.
    b.goto("/search").await?;
    b.fill("#q", "printer group:Support").await?;
    b.wait_text("#result-count", "2 tickets").await?;
    b.wait_text("#results", "Printer toner is low").await?;
    b.click("#results a.facet[data-filter='priority:high']")
        .await?;
    b.wait_text("#result-count", "1 ticket").await?;
    let q = b.js("return document.querySelector('#q').value").await?;
    assert_eq!(q, json!("printer group:Support priority:high"));
    let path = b.path().await?;
    assert!(
        path.contains("priority%3Ahigh"),
        "the URL holds the query: {path}"
    );
    assert!(
        b.js("return document.querySelector('#results mark') !== null")
            .await?
            .as_bool()
            .unwrap_or(false),
        "matches are highlighted"
    );

    // The filters help lists every filter.
    b.click("#help-toggle").await?;
    b.wait_text("#search-help", "assignee:").await?;
    b.press(&Key::Escape.to_string()).await?;

    // Keyboard: j selects the first row, Enter opens it.
    b.blur().await?;
    b.press("j").await?;
    b.press(&Key::Enter.to_string()).await?;
    b.wait_js(
        &format!("return location.pathname === '/tickets/{}'", desk.printer),
        "the ticket page",
    )
    .await?;
    b.wait_text("#ticket-subject", "Printer jams on tray 2")
        .await?;
    b.wait_text("#conversation", "jams every morning").await?;

    // Reply with a macro: its text, placeholders filled, lands in the reply box.
    b.choose("#reply-macro-pick", "Printer reset").await?;
    b.wait_js(
        "return document.querySelector('#reply-body').value.startsWith('Hello carol, please switch the printer off')",
        "the macro's text in the reply box",
    )
    .await?;
    assert_eq!(
        b.js("return document.querySelector('#reply-status').value")
            .await?,
        json!("Pending")
    );
    b.click("#reply-send").await?;
    b.wait_js(
        "return location.search.includes('done=sent')",
        "the reply to be sent",
    )
    .await?;
    b.wait_text(
        "#conversation .message.public:last-of-type",
        "switch the printer off",
    )
    .await?;
    b.wait_text("#ticket-status", "Pending").await?;
    let t = desk.ticket(desk.printer).await?;
    assert_eq!(t["status"]["name"], json!("Pending"));
    assert!(
        t["tags"]
            .as_array()
            .is_some_and(|tags| tags.contains(&json!("printer")))
    );

    // An internal note, told apart from replies.
    b.click("input[name=kind][value=note]").await?;
    b.fill(
        "#reply-body",
        "Checked the logs: the tray 2 sensor is dirty.",
    )
    .await?;
    b.click("#reply-send").await?;
    b.wait_js(
        "return location.search.includes('done=noted')",
        "the note to be added",
    )
    .await?;
    b.wait_text("#conversation .message.note", "tray 2 sensor is dirty")
        .await?;
    assert!(
        b.text("#conversation .message.note .badge")
            .await?
            .contains("internal note")
    );

    // The side panel changes the status.
    b.choose("#f-status", "Solved").await?;
    b.click("#panel-save").await?;
    b.wait_js(
        "return location.search.includes('done=saved')",
        "the panel to save",
    )
    .await?;
    b.wait_text("#ticket-status", "Solved").await?;
    assert_eq!(
        desk.ticket(desk.printer).await?["status"]["name"],
        json!("Solved")
    );
    b.wait_text("#history", "changed the status").await?;
    b.close().await?;
    Ok(())
}

#[tokio::test]
async fn bulk_actions_and_saved_views() -> anyhow::Result<()> {
    let desk = Desk::open().await?;
    let b = desk.signed_in(&desk.ada).await?;
    b.goto("/search?q=printer").await?;
    b.wait_text("#result-count", "2 tickets").await?;
    // x selects the focused row.
    b.blur().await?;
    b.press("jxjx").await?;
    b.wait_text("#selected-count", "2 selected").await?;
    b.choose("#bulk-action", "Set priority").await?;
    b.choose("#bulk-priority", "urgent").await?;
    b.click("#bulk-apply").await?;
    b.wait_js(
        "return location.search.includes('done=bulk')",
        "the bulk change",
    )
    .await?;
    let page = desk
        .admin
        .get("/api/v1/tickets?priority=urgent")
        .await?
        .expect(200)?;
    assert_eq!(page.body["items"].as_array().map(Vec::len), Some(2));

    // Save the search as a view: it appears in the rail with its count.
    desk.server.indexed().await?;
    b.goto("/search?q=printer").await?;
    b.click(".save-view summary").await?;
    b.fill("#view-name", "Printers").await?;
    b.click(".save-view button[type=submit]").await?;
    b.wait_js(
        "return location.search.includes('done=view')",
        "the view to be saved",
    )
    .await?;
    b.wait_js(
        "return [...document.querySelectorAll('#rail a')].some(a => a.textContent.includes('Printers') && a.querySelector('.count').textContent.trim() === '2')",
        "the saved view in the rail",
    )
    .await?;
    b.wait_text("#list-title", "Printers").await?;
    assert_eq!(
        b.js("return document.querySelectorAll('.ticket-row').length")
            .await?,
        json!(2)
    );
    // Another agent does not see it.
    let other = desk.signed_in(&desk.bob).await?;
    other.wait_text("#rail", "All open").await?;
    assert!(!other.text("#rail").await?.contains("Printers"));
    other.close().await?;
    b.close().await?;
    Ok(())
}

#[tokio::test]
async fn admins_manage_people_and_configuration_in_the_browser() -> anyhow::Result<()> {
    let desk = Desk::open().await?;
    let b = desk.signed_in(&desk.admin).await?;
    b.goto("/admin").await?;
    b.wait_text("#admin-table", "ada lovelace").await?;

    // A new agent, added to a new group, who can then sign in.
    b.fill("#create-users-name", "Grace Hopper").await?;
    b.fill("#create-users-email", "grace@desk.example").await?;
    b.fill("#create-users-password", "a long enough password")
        .await?;
    b.click("#create-users button[type=submit]").await?;
    b.wait_js(
        "return location.search.includes('done=created')",
        "the user to be created",
    )
    .await?;
    b.goto("/admin/groups").await?;
    b.fill("#create-groups-name", "Printers").await?;
    b.client
        .find(Locator::XPath(
            "//form[@id='create-groups']//label[contains(., 'Grace Hopper')]/input",
        ))
        .await?
        .click()
        .await?;
    b.click("#create-groups button[type=submit]").await?;
    b.wait_js(
        "return location.search.includes('done=created')",
        "the group to be created",
    )
    .await?;
    b.wait_js(
        "return [...document.querySelectorAll('input[name=members]')].some(c => c.checked && c.parentElement.textContent.includes('Grace Hopper'))",
        "Grace in the group",
    )
    .await?;

    // A macro with field changes.
    b.goto("/admin/macros").await?;
    b.fill("#create-macros-name", "Need more info").await?;
    b.fill(
        "#create-macros-body",
        "Could you send us a photo, {{requester.first_name}}?",
    )
    .await?;
    b.choose("#create-macros-status", "Pending").await?;
    b.click("#create-macros button[type=submit]").await?;
    b.wait_js(
        "return location.search.includes('done=created')",
        "the macro to be created",
    )
    .await?;
    let macros = desk.admin.get("/api/v1/macros").await?.expect(200)?;
    assert!(macros.text.contains("Need more info"));

    // An API token is shown once.
    b.goto("/admin/tokens").await?;
    b.fill("#create-tokens-name", "reporting").await?;
    b.click("#create-tokens button[type=submit]").await?;
    let token = b.text("#new-token").await?;
    assert!(token.starts_with("trg_"));
    let me = desk
        .server
        .http
        .get(format!("{}/api/v1/me", desk.server.base))
        .bearer_auth(&token)
        .send()
        .await?;
    assert_eq!(me.status(), 200);
    b.close().await?;

    let grace = desk.driver.browser(&desk.server.base).await?;
    grace
        .sign_in("grace@desk.example", "a long enough password")
        .await?;
    assert_eq!(grace.path().await?, "/tickets");
    grace.close().await?;

    // Agents may not open admin pages.
    let agent = desk.signed_in(&desk.ada).await?;
    agent.goto("/admin/users").await?;
    agent.wait_text("h1", "Not allowed").await?;
    agent.close().await?;
    Ok(())
}

#[tokio::test]
async fn agents_open_tickets_for_customers() -> anyhow::Result<()> {
    let desk = Desk::open().await?;
    let b = desk.signed_in(&desk.ada).await?;
    b.click("a[href='/tickets/new']").await?;
    b.fill("#requester-email", "erin@newcustomer.example")
        .await?;
    b.fill("#requester-name", "Erin Example").await?;
    b.fill("#subject", "Phone: cannot log in to the portal")
        .await?;
    b.fill(
        "#body",
        "Erin called: the portal says her account is locked.",
    )
    .await?;
    b.choose("#priority", "high").await?;
    b.choose("#group", "Support").await?;
    b.click("#new-ticket button[type=submit]").await?;
    b.wait_js(
        "return location.search.includes('done=created')",
        "the new ticket",
    )
    .await?;
    b.wait_text("#ticket-subject", "Phone: cannot log in to the portal")
        .await?;
    b.wait_text(".requester", "Erin Example").await?;
    let id: i64 = b
        .js("return Number(location.pathname.split('/').pop())")
        .await?
        .as_i64()
        .unwrap_or_default();
    let t = desk.ticket(id).await?;
    assert_eq!(t["priority"], json!("high"));
    assert_eq!(t["group_id"], json!(desk.group));
    assert_eq!(t["assignee_id"], json!(desk.ada.user_id));
    assert_eq!(t["channel"], json!("web"));
    b.close().await?;
    Ok(())
}
