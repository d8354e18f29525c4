//! Live updates between browser sessions, presence and the collision warning.

use serde_json::json;

use crate::Desk;

#[tokio::test]
async fn a_second_session_sees_changes_live() -> anyhow::Result<()> {
    let desk = Desk::open().await?;
    let ada = desk.signed_in(&desk.ada).await?;
    let bob = desk.signed_in(&desk.bob).await?;
    ada.goto("/tickets?view=open").await?;
    ada.wait_text("#results", "Printer jams on tray 2").await?;
    ada.js("window.__stayed = true; return true;").await?;

    // Bob solves the printer ticket in his browser; Ada's list and counts follow.
    bob.goto(&format!("/tickets/{}", desk.printer)).await?;
    bob.choose("#f-status", "Solved").await?;
    bob.click("#panel-save").await?;
    bob.wait_text("#ticket-status", "Solved").await?;
    ada.wait_js(
        "return !document.querySelector('#results').textContent.includes('Printer jams on tray 2')",
        "the solved ticket to leave Ada's open list",
    )
    .await?;
    ada.wait_js(
        "return [...document.querySelectorAll('#rail a')].some(a => a.textContent.includes('All open') && a.querySelector('.count').textContent.trim() === '3')",
        "the All open count to drop",
    )
    .await?;

    // A reply on the ticket Ada has open appears in her conversation.
    let toner = desk
        .admin
        .get("/api/v1/search?q=toner")
        .await?
        .expect(200)?
        .body["items"][0]["ticket"]["id"]
        .as_i64()
        .unwrap_or_default();
    ada.goto(&format!("/tickets/{toner}")).await?;
    ada.wait_text("#conversation", "Printer toner is low")
        .await?;
    ada.js("window.__stayed = true; return true;").await?;
    bob.goto(&format!("/tickets/{toner}")).await?;
    bob.fill("#reply-body", "A new cartridge is on its way.")
        .await?;
    bob.click("#reply-send").await?;
    ada.wait_text("#conversation", "A new cartridge is on its way.")
        .await?;
    ada.wait_text("#live-status", "updated by someone else")
        .await?;
    assert_eq!(
        ada.js("return window.__stayed === true").await?,
        json!(true),
        "the page updated in place, without a reload"
    );
    ada.close().await?;
    bob.close().await?;
    Ok(())
}

#[tokio::test]
async fn two_agents_on_one_ticket_see_each_other_and_get_the_collision_warning()
-> anyhow::Result<()> {
    let desk = Desk::open().await?;
    let ada = desk.signed_in(&desk.ada).await?;
    let bob = desk.signed_in(&desk.bob).await?;
    let page = format!("/tickets/{}", desk.printer);
    ada.goto(&page).await?;
    bob.goto(&page).await?;

    // Presence: who is viewing, who is typing.
    ada.wait_text("#presence", "bob kahn is viewing").await?;
    bob.wait_text("#presence", "ada lovelace is viewing")
        .await?;
    bob.type_keys("#reply-body", "Replaced the tray roller")
        .await?;
    ada.wait_text("#presence", "bob kahn is typing").await?;

    // Ada drafts a reply; Bob sends his first: Ada is warned, with his reply shown.
    ada.type_keys("#reply-body", "I think it is the toner.")
        .await?;
    bob.type_keys("#reply-body", ", it works again.").await?;
    bob.click("#reply-send").await?;
    bob.wait_js(
        "return location.search.includes('done=sent')",
        "Bob's reply",
    )
    .await?;
    ada.wait_js(
        "return !document.querySelector('#meanwhile-live').hidden",
        "the live collision warning",
    )
    .await?;
    ada.wait_text(
        "#meanwhile-live",
        "Replaced the tray roller, it works again.",
    )
    .await?;
    ada.wait_text("#reply-send", "Send anyway").await?;
    assert_eq!(
        ada.js("return document.querySelector('#reply-body').value")
            .await?,
        json!("I think it is the toner."),
        "the draft is kept"
    );
    ada.click("#reply-send").await?;
    ada.wait_js(
        "return location.search.includes('done=sent')",
        "Ada's reply",
    )
    .await?;
    let bodies = desk.ada.message_bodies(desk.printer).await?;
    assert_eq!(
        bodies.last().map(String::as_str),
        Some("I think it is the toner.")
    );

    // Had the live warning been missed, the server refuses the stale send and shows the
    // other reply, keeping the draft.
    ada.goto(&page).await?;
    ada.wait_text("#conversation", "I think it is the toner.")
        .await?;
    let seen = ada
        .js("return document.querySelector('#reply-seen').value")
        .await?;
    desk.bob
        .post(
            &format!("/api/v1/tickets/{}/messages", desk.printer),
            json!({"body": "Customer called: it jams again."}),
        )
        .await?
        .expect(201)?;
    ada.wait_text("#conversation", "it jams again").await?;
    ada.js(&format!(
        "document.querySelector('#reply-seen').value = {seen}; return true;"
    ))
    .await?;
    ada.fill("#reply-body", "Let us replace the whole tray.")
        .await?;
    ada.click("#reply-send").await?;
    ada.wait_text("#collision", "not sent").await?;
    ada.wait_text("#collision", "Customer called: it jams again.")
        .await?;
    assert_eq!(
        ada.js("return document.querySelector('#reply-body').value")
            .await?,
        json!("Let us replace the whole tray.")
    );
    let before = desk.ada.message_bodies(desk.printer).await?.len();
    ada.click("#reply-send").await?;
    ada.wait_js(
        "return location.search.includes('done=sent')",
        "the forced send",
    )
    .await?;
    assert_eq!(
        desk.ada.message_bodies(desk.printer).await?.len(),
        before + 1
    );

    // Leaving the page ends the presence.
    bob.goto("/tickets").await?;
    ada.goto(&page).await?;
    ada.wait_js(
        "return !document.querySelector('#presence').textContent.includes('bob kahn')",
        "Bob to be gone from the ticket",
    )
    .await?;
    ada.close().await?;
    bob.close().await?;
    Ok(())
}
