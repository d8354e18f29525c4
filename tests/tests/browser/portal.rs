//! The customer portal: submit with an attachment, follow the agent's reply live, never
//! see internal notes, rate the solved ticket.

use serde_json::json;

use crate::Desk;

#[tokio::test]
async fn a_customer_submits_through_the_portal_and_sees_the_agents_reply() -> anyhow::Result<()> {
    let desk = Desk::open().await?;
    let c = desk.signed_in(&desk.carol).await?;
    assert_eq!(c.path().await?, "/portal", "customers land in the portal");
    c.wait_text("#portal-tickets", "Printer jams on tray 2")
        .await?;

    let upload = desk.server.dir.path().join("error-log.txt");
    std::fs::write(&upload, "E-204 paper path blocked at 07:58\n")?;
    c.click("#new-request").await?;
    c.fill("#subject", "Scanner sends blank pages").await?;
    c.fill(
        "#body",
        "Every scan to email arrives as a blank PDF since Monday.",
    )
    .await?;
    c.type_keys("#files", &upload.display().to_string()).await?;
    c.click("#portal-new button[type=submit]").await?;
    c.wait_js(
        "return location.search.includes('done=created')",
        "the new ticket",
    )
    .await?;
    c.wait_text("#conversation", "arrives as a blank PDF")
        .await?;
    c.wait_text("#conversation .attachments", "error-log.txt")
        .await?;
    let id: i64 = c
        .js("return Number(location.pathname.split('/').pop())")
        .await?
        .as_i64()
        .unwrap_or_default();
    let ticket = desk.ticket(id).await?;
    assert_eq!(ticket["channel"], json!("web"));
    desk.admin
        .patch(
            &format!("/api/v1/tickets/{id}"),
            json!({"group_id": desk.group}),
        )
        .await?
        .expect(200)?;

    // The agent answers and notes; the customer sees the reply arrive, never the note.
    c.js("window.__stayed = true; return true;").await?;
    desk.ada
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            json!({"public": false, "body": "Internal: firmware 2.1 broke scan-to-email."}),
        )
        .await?
        .expect(201)?;
    desk.ada
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            json!({"body": "We are updating the scanner firmware today."}),
        )
        .await?
        .expect(201)?;
    c.wait_text("#conversation", "updating the scanner firmware")
        .await?;
    assert_eq!(c.js("return window.__stayed === true").await?, json!(true));
    c.goto(&format!("/portal/tickets/{id}")).await?;
    c.wait_text("#conversation", "updating the scanner firmware")
        .await?;
    assert!(
        !c.text("#conversation")
            .await?
            .contains("firmware 2.1 broke")
    );

    // The customer replies.
    c.fill("#reply-body", "Thanks, I will try again tomorrow.")
        .await?;
    c.click("#portal-reply button[type=submit]").await?;
    c.wait_js(
        "return location.search.includes('done=sent')",
        "the customer's reply",
    )
    .await?;
    c.wait_text("#conversation", "try again tomorrow").await?;

    // Solved: the customer rates it, and the agent sees the rating.
    desk.ada
        .patch(
            &format!("/api/v1/tickets/{id}"),
            json!({"status": "Solved"}),
        )
        .await?
        .expect(200)?;
    c.goto(&format!("/portal/tickets/{id}")).await?;
    c.wait_text("#ticket-status", "Solved").await?;
    c.click("input[name=score][value=good]").await?;
    c.fill("#rate-comment", "Quick and clear, thank you!")
        .await?;
    c.click("#rate-form button[type=submit]").await?;
    c.wait_text(".notice", "Thank you for your rating").await?;
    c.wait_text("#current-rating", "good").await?;
    c.close().await?;

    let agent = desk.signed_in(&desk.ada).await?;
    agent.goto(&format!("/tickets/{id}")).await?;
    agent.wait_text("#ratings-title", "Satisfaction").await?;
    assert!(
        agent
            .text(".ticket-side")
            .await?
            .contains("Quick and clear")
    );
    agent.close().await?;

    // Another customer's ticket is not there for Carol.
    let other = desk
        .server
        .user("customer", "dave@elsewhere.example")
        .await?
        .ticket(json!({"subject": "Dave's secret", "body": "private"}))
        .await?["id"]
        .as_i64()
        .unwrap_or_default();
    let c = desk.signed_in(&desk.carol).await?;
    c.goto(&format!("/portal/tickets/{other}")).await?;
    c.wait_text("h1", "Not found").await?;
    c.close().await?;
    Ok(())
}
