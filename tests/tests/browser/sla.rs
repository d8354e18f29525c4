//! SLAs and satisfaction in the browser: the SLA badge and due time in the ticket list
//! and on the ticket page, and the rating link a customer opens without signing in.

use anyhow::Context;
use serde_json::json;

use crate::Desk;

#[tokio::test]
async fn agents_see_sla_due_times_and_customers_rate_through_the_link() -> anyhow::Result<()> {
    let desk = Desk::open().await?;
    desk.admin
        .post(
            "/api/v1/sla-policies",
            json!({"name": "Standard", "targets": {"urgent": {"first_response": 30, "resolution": 240}},
                   "warning_minutes": 10}),
        )
        .await?
        .expect(201)?;
    let id = desk
        .carol
        .ticket(json!({"subject": "Checkout fails with error 500", "body": "Every order fails at the last step."}))
        .await?["id"]
        .as_i64()
        .context("ticket id")?;
    desk.admin
        .patch(
            &format!("/api/v1/tickets/{id}"),
            json!({"group_id": desk.group, "priority": "urgent"}),
        )
        .await?
        .expect(200)?;
    desk.server.slas_computed().await?;
    desk.server.indexed().await?;

    let b = desk.signed_in(&desk.ada).await?;
    b.goto("/search?q=checkout").await?;
    b.wait_text(&format!("tr[data-id='{id}'] td.sla"), "On track")
        .await?;
    let due = b.text(&format!("tr[data-id='{id}'] td.sla")).await?;
    assert!(
        due.contains("in 29 min") || due.contains("in 30 min"),
        "{due}"
    );
    b.goto(&format!("/tickets/{id}")).await?;
    b.wait_text("#sla-state", "On track").await?;
    b.wait_text("#sla", "Standard").await?;
    b.wait_text("#sla-clocks", "First response").await?;
    b.wait_text("#sla-clocks", "Resolution").await?;

    // Solved: the page offers the requester's rating link; the customer uses it.
    desk.admin
        .patch(
            &format!("/api/v1/tickets/{id}"),
            json!({"status": "Solved"}),
        )
        .await?
        .expect(200)?;
    b.goto(&format!("/tickets/{id}")).await?;
    let link = b
        .js("return document.querySelector('#rating-link').value")
        .await?;
    let link = link.as_str().context("rating link")?.to_string();
    let path = link
        .split_once("/rate/")
        .map(|(_, t)| format!("/rate/{t}"))
        .context("a /rate/ link")?;
    let customer = desk.driver.browser(&desk.server.base).await?;
    customer.goto(&path).await?;
    customer.wait_text("#rate-ticket", "Checkout fails").await?;
    customer
        .click("#rate-form input[name=score][value=good]")
        .await?;
    customer
        .fill("#rate-comment", "Sorted within the hour")
        .await?;
    customer.click("#rate-form button[type=submit]").await?;
    customer.wait_text("#rate-thanks", "Thank you").await?;
    customer.goto(&path).await?;
    customer.wait_text("#rate-used", "already rated").await?;
    b.goto(&format!("/tickets/{id}")).await?;
    b.wait_text("#ratings-title", "Satisfaction").await?;
    b.wait_text("main", "Sorted within the hour").await?;
    customer.close().await?;
    b.close().await?;
    Ok(())
}
