//! The demo help desk in the browser: screenshots of the main pages and how fast the ticket
//! page and a search become usable. Timings are printed, never asserted; BENCHMARKS.md
//! records them.
//!
//! `TRIAGE_DEMO_TICKETS` sets the size of the demo (300 by default; `triage demo` makes
//! 3000) and `TRIAGE_SCREENSHOTS` the folder the pictures go to (docs/screenshots for the
//! README).

use std::path::PathBuf;

use anyhow::Context;
use triage_app::App;
use triage_app::demo::{DemoOptions, generate};
use triage_app::directory::UserChanges;
use triage_tests::TestServer;
use triage_tests::browser::Driver;

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

#[tokio::test]
async fn screenshots_and_timings_on_the_demo_help_desk() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let tickets = std::env::var("TRIAGE_DEMO_TICKETS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let demo = generate(
        &server.app,
        DemoOptions {
            tickets,
            ..DemoOptions::default()
        },
    )
    .await?;
    server.indexed().await?;
    let shots = std::env::var("TRIAGE_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| server.dir.path().join("screenshots"));
    let driver = Driver::start().await?;

    let b = driver.browser(&server.base).await?;
    b.goto("/sign-in").await?;
    b.find("#email").await?;
    b.screenshot(&shots.join("sign-in.png")).await?;
    b.sign_in(&demo.admin_email, &demo.agent_password).await?;
    b.goto("/tickets?view=open").await?;
    b.wait_js(
        "return document.querySelectorAll('.ticket-row').length > 10",
        "the open tickets",
    )
    .await?;
    b.screenshot(&shots.join("tickets.png")).await?;

    // Search: type, wait for the results, note how long fetching and drawing took.
    b.goto("/search").await?;
    let mut search_ms = Vec::new();
    for q in [
        "printer",
        "invoice refund",
        "password reset category:open",
        "vpn -category:solved",
        "crash priority:high",
    ] {
        b.fill("#q", q).await?;
        b.wait_js(
            &format!(
                "return document.querySelector('#results').dataset.renderedQuery === {}",
                serde_json::json!(q)
            ),
            "the results of the query",
        )
        .await?;
        let ms = b
            .js("return Number(document.querySelector('#results').dataset.renderedMs)")
            .await?
            .as_f64()
            .context("rendered time")?;
        search_ms.push(ms);
    }
    b.fill("#q", "printer").await?;
    b.wait_js(
        "return document.querySelector('#results').dataset.renderedQuery === 'printer'",
        "the printer results",
    )
    .await?;
    b.screenshot(&shots.join("search.png")).await?;

    // The ticket page: from navigation to usable, over the busiest tickets found.
    let ids: Vec<i64> = b
        .js("return [...document.querySelectorAll('.ticket-row')].slice(0, 8).map(r => Number(r.dataset.id))")
        .await?
        .as_array()
        .map(|a| a.iter().filter_map(serde_json::Value::as_i64).collect())
        .unwrap_or_default();
    anyhow::ensure!(!ids.is_empty(), "the search found no tickets");
    let mut ticket_ms = Vec::new();
    for id in &ids {
        b.goto(&format!("/tickets/{id}")).await?;
        b.wait_js(
            "return document.documentElement.dataset.interactiveMs !== undefined",
            "the ticket page to be usable",
        )
        .await?;
        let ms = b
            .js("return Number(document.documentElement.dataset.interactiveMs)")
            .await?
            .as_f64()
            .context("interactive time")?;
        ticket_ms.push(ms);
    }
    b.goto(&format!("/tickets/{}", ids[0])).await?;
    b.find("#reply-body").await?;
    b.screenshot(&shots.join("ticket.png")).await?;
    b.goto("/admin/macros").await?;
    b.find("#admin-table").await?;
    b.screenshot(&shots.join("admin.png")).await?;
    // A rule from examples/rules, tried on the demo's tickets.
    let rule = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../examples/rules/keyword-tagging.rhai"),
    )?;
    let imported = server
        .app
        .import_rules(
            &triage_app::App::system_actor(),
            vec![("keyword-tagging.rhai".into(), rule)],
        )
        .await?;
    let rule_id = imported.first().context("imported rule")?.rule_id;
    b.goto(&format!("/admin/rules/{rule_id}")).await?;
    b.fill("#dry-last", "500").await?;
    b.click("#dry-run-start").await?;
    b.find("#dry-run-summary").await?;
    b.screenshot(&shots.join("rule.png")).await?;
    b.close().await?;

    // The portal, as the requester of that ticket.
    let ticket = server.app.get_ticket(&App::system_actor(), ids[0]).await?;
    let customer = server
        .app
        .update_user(
            &App::system_actor(),
            ticket.ticket.requester_id,
            UserChanges {
                password: Some("customer-password-1".into()),
                ..UserChanges::default()
            },
        )
        .await?;
    let c = driver.browser(&server.base).await?;
    c.sign_in(&customer.email, "customer-password-1").await?;
    c.find("#portal-tickets").await?;
    c.screenshot(&shots.join("portal.png")).await?;
    c.goto(&format!("/portal/tickets/{}", ids[0])).await?;
    c.find("#conversation").await?;
    c.screenshot(&shots.join("portal-ticket.png")).await?;
    c.close().await?;

    println!(
        "timing: demo of {tickets} tickets; ticket page usable after {:.0} ms (median of {}), search results drawn {:.0} ms after the query was sent (median of {}, plus the 180 ms typing pause); screenshots in {}",
        median(ticket_ms.clone()),
        ticket_ms.len(),
        median(search_ms.clone()),
        search_ms.len(),
        shots.display()
    );
    println!("timing: ticket page ms {ticket_ms:?}; search ms {search_ms:?}");
    Ok(())
}
