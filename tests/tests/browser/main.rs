//! The web UI in a real browser: headless Chromium driven over WebDriver against a real
//! server (SQLite, or PostgreSQL with `TRIAGE_TEST_DATABASE_URL`).

mod access;
mod agent;
mod live;
mod plugins;
mod portal;
mod rules;
mod security;
mod showcase;
mod sla;

use anyhow::Context;
use serde_json::{Value, json};
use triage_tests::browser::{Browser, Driver};
use triage_tests::{Client, TestServer};

/// A small help desk: an admin, two agents in one group, a customer, a macro and a few
/// tickets, one of them about a jammed printer.
#[derive(Debug)]
pub struct Desk {
    pub server: TestServer,
    pub driver: Driver,
    pub admin: Client,
    pub ada: Client,
    pub bob: Client,
    pub carol: Client,
    pub group: i64,
    pub printer: i64,
    pub macro_id: i64,
}

impl Desk {
    pub async fn open() -> anyhow::Result<Desk> {
        let server = TestServer::start().await?;
        let admin = server.user("admin", "admin@desk.example").await?;
        let ada = server.user("agent", "ada.lovelace@desk.example").await?;
        let bob = server.user("agent", "bob.kahn@desk.example").await?;
        let carol = server
            .user("customer", "carol.shaw@customer.example")
            .await?;
        let group = admin
            .post(
                "/api/v1/groups",
                json!({"name": "Support", "member_ids": [ada.user_id, bob.user_id]}),
            )
            .await?
            .expect(201)?
            .body["id"]
            .as_i64()
            .context("group id")?;
        let macro_id = admin
            .post(
                "/api/v1/macros",
                json!({
                    "name": "Printer reset",
                    "body": "Hello {{requester.first_name}}, please switch the printer off and on again. {{agent.first_name}}",
                    "public": true,
                    "actions": {"status": "Pending", "add_tags": ["printer"]},
                }),
            )
            .await?
            .expect(201)?
            .body["id"]
            .as_i64()
            .context("macro id")?;
        let printer = carol
            .ticket(json!({"subject": "Printer jams on tray 2", "body": "The office printer jams every morning on tray 2."}))
            .await?["id"]
            .as_i64()
            .context("ticket id")?;
        admin
            .patch(
                &format!("/api/v1/tickets/{printer}"),
                json!({"group_id": group, "priority": "high"}),
            )
            .await?
            .expect(200)?;
        for (subject, priority) in [
            ("Printer toner is low", "normal"),
            ("Cannot reset my password", "high"),
            ("Invoice shows the wrong address", "low"),
        ] {
            let t = carol
                .ticket(json!({"subject": subject, "body": format!("{subject}. Please help.")}))
                .await?;
            let id = t["id"].as_i64().context("ticket id")?;
            admin
                .patch(
                    &format!("/api/v1/tickets/{id}"),
                    json!({"group_id": group, "priority": priority}),
                )
                .await?
                .expect(200)?;
        }
        server.indexed().await?;
        let driver = Driver::start().await?;
        Ok(Desk {
            server,
            driver,
            admin,
            ada,
            bob,
            carol,
            group,
            printer,
            macro_id,
        })
    }

    /// A browser window signed in as `who`.
    pub async fn signed_in(&self, who: &Client) -> anyhow::Result<Browser> {
        let browser = self.driver.browser(&self.server.base).await?;
        browser.sign_in(&who.email, &who.password).await?;
        Ok(browser)
    }

    /// The ticket as the API shows it.
    pub async fn ticket(&self, id: i64) -> anyhow::Result<Value> {
        Ok(self
            .admin
            .get(&format!("/api/v1/tickets/{id}"))
            .await?
            .expect(200)?
            .body)
    }
}
