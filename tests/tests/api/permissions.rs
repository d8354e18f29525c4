//! Who may see and change what: a matrix over routes and roles.

use reqwest::Method;
use serde_json::json;
use triage_tests::TestServer;

#[tokio::test]
async fn agents_customers_and_strangers_only_reach_what_they_may() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let admin = server.user("admin", "root@helpdesk.example").await?;
    let agent_a = server.user("agent", "ann@helpdesk.example").await?;
    let agent_b = server.user("agent", "ben@helpdesk.example").await?;
    let group_a = server.group("Group A", &[agent_a.user_id]).await?;
    let group_b = server.group("Group B", &[agent_b.user_id]).await?;
    let customer = server.user("customer", "carl@one.example").await?;
    let other_customer = server.user("customer", "dora@two.example").await?;

    // One ticket in each group; B's has an attachment on an internal note.
    let in_a = admin
        .ticket_for("carl@one.example", group_a, "Group A ticket")
        .await?;
    let in_b = admin
        .ticket_for("dora@two.example", group_b, "Group B ticket")
        .await?;
    let form = reqwest::multipart::Form::new()
        .text(
            "message",
            json!({"public": true, "body": "log attached"}).to_string(),
        )
        .part(
            "files",
            reqwest::multipart::Part::bytes(b"secret log".to_vec()).file_name("b.log"),
        );
    let with_file = admin
        .send(
            admin
                .request(Method::POST, &format!("/api/v1/tickets/{in_b}/messages"))
                .multipart(form),
        )
        .await?
        .expect(201)?;
    let file_url = with_file.body["message"]["attachments"][0]["url"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        file_url.starts_with("/api/v1/attachments/"),
        "{}",
        with_file.text
    );

    // Agent A: group A yes, group B no — get, messages, update, attachment, list.
    agent_a
        .get(&format!("/api/v1/tickets/{in_a}"))
        .await?
        .expect(200)?;
    for path in [
        format!("/api/v1/tickets/{in_b}"),
        format!("/api/v1/tickets/{in_b}/messages"),
        format!("/api/v1/tickets/{in_b}/history"),
        file_url.clone(),
    ] {
        agent_a.get(&path).await?.expect(404)?;
    }
    agent_a
        .patch(
            &format!("/api/v1/tickets/{in_b}"),
            json!({"priority": "urgent"}),
        )
        .await?
        .expect(404)?;
    agent_a
        .post(
            &format!("/api/v1/tickets/{in_b}/messages"),
            json!({"body": "hi"}),
        )
        .await?
        .expect(404)?;
    let listed = agent_a.get("/api/v1/tickets").await?.expect(200)?;
    let ids: Vec<i64> = listed.body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["id"].as_i64())
        .collect();
    assert_eq!(ids, vec![in_a]);
    agent_b.get(&file_url).await?.expect(200)?;

    // Assigned to agent A, the B ticket becomes visible to A.
    admin
        .patch(
            &format!("/api/v1/tickets/{in_b}"),
            json!({"assignee_id": agent_a.user_id}),
        )
        .await?
        .expect(200)?;
    agent_a
        .get(&format!("/api/v1/tickets/{in_b}"))
        .await?
        .expect(200)?;

    // Customers see their own only, and never notes.
    customer
        .get(&format!("/api/v1/tickets/{in_a}"))
        .await?
        .expect(200)?;
    customer
        .get(&format!("/api/v1/tickets/{in_b}"))
        .await?
        .expect(404)?;
    other_customer
        .get(&format!("/api/v1/tickets/{in_a}"))
        .await?
        .expect(404)?;
    let mine = customer.get("/api/v1/tickets").await?.expect(200)?;
    assert_eq!(mine.body["items"].as_array().map(Vec::len), Some(1));
    customer
        .patch(
            &format!("/api/v1/tickets/{in_a}"),
            json!({"priority": "urgent"}),
        )
        .await?
        .expect(403)?;
    customer
        .post(
            &format!("/api/v1/tickets/{in_a}/messages"),
            json!({"public": false, "body": "sneaky"}),
        )
        .await?
        .expect(403)?;
    customer
        .get(&format!("/api/v1/tickets/{in_a}/history"))
        .await?
        .expect(403)?;
    customer.get("/api/v1/users").await?.expect(403)?;
    let forged = customer
        .post(
            "/api/v1/tickets",
            json!({"subject": "x", "body": "y", "requester": {"email": "dora@two.example"}}),
        )
        .await?
        .expect(403)?;
    assert_eq!(forged.code(), "forbidden");

    // Admin-only routes refuse agents.
    agent_a
        .post("/api/v1/groups", json!({"name": "Mine"}))
        .await?
        .expect(403)?;
    agent_a.post("/api/v1/users", json!({"email": "x@helpdesk.example", "name": "X", "role": "admin", "password": "long enough pass"})).await?.expect(403)?;
    agent_a
        .delete(&format!("/api/v1/tickets/{in_a}"))
        .await?
        .expect(403)?;
    agent_a
        .post(
            "/api/v1/statuses",
            json!({"name": "Escalated", "category": "open"}),
        )
        .await?
        .expect(403)?;

    // No credentials: 401 everywhere that needs them.
    let anonymous = server.anonymous();
    for path in [
        "/api/v1/tickets",
        "/api/v1/me",
        "/api/v1/users",
        "/api/v1/statuses",
        file_url.as_str(),
    ] {
        let r = anonymous.get(path).await?.expect(401)?;
        assert_eq!(r.code(), "unauthenticated");
    }
    anonymous
        .post("/api/v1/tickets", json!({"subject": "x", "body": "y"}))
        .await?
        .expect(401)?;

    // A revoked token stops working at once.
    let tokens = agent_b.get("/api/v1/tokens").await?.expect(200)?;
    let token_id = tokens.body[0]["id"].as_i64().unwrap_or_default();
    agent_b
        .delete(&format!("/api/v1/tokens/{token_id}"))
        .await?
        .expect(200)?;
    agent_b.get("/api/v1/me").await?.expect(401)?;
    Ok(())
}

#[tokio::test]
async fn customers_see_their_organizations_tickets_only_where_it_shares() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let admin = server.user("admin", "root@helpdesk.example").await?;
    let org = admin
        .post(
            "/api/v1/organizations",
            json!({"name": "Acme", "domains": ["acme.example"], "shared_tickets": false}),
        )
        .await?
        .expect(201)?;
    let org_id = org.body["id"].as_i64().unwrap_or_default();
    // New customers with the domain join the organization.
    let alice = server.user("customer", "alice@acme.example").await?;
    let bob = server.user("customer", "bob@acme.example").await?;
    let me = alice.get("/api/v1/me").await?.expect(200)?;
    assert_eq!(me.body["user"]["organization_id"], org_id);
    let t = alice
        .ticket(json!({"subject": "Alice's ticket", "body": "x"}))
        .await?;
    assert_eq!(t["organization_id"], org_id);
    let id = t["id"].as_i64().unwrap_or_default();

    bob.get(&format!("/api/v1/tickets/{id}"))
        .await?
        .expect(404)?;
    admin
        .patch(
            &format!("/api/v1/organizations/{org_id}"),
            json!({"shared_tickets": true}),
        )
        .await?
        .expect(200)?;
    bob.get(&format!("/api/v1/tickets/{id}"))
        .await?
        .expect(200)?;
    let listed = bob.get("/api/v1/tickets").await?.expect(200)?;
    assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(1));
    // Sharing shows tickets, never internal notes.
    admin
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            json!({"public": false, "body": "internal"}),
        )
        .await?
        .expect(201)?;
    let messages = bob
        .get(&format!("/api/v1/tickets/{id}/messages"))
        .await?
        .expect(200)?;
    assert!(
        messages
            .body
            .as_array()
            .into_iter()
            .flatten()
            .all(|m| m["public"] == true)
    );
    // A customer elsewhere still sees nothing.
    let other = server.user("customer", "eve@other.example").await?;
    other
        .get(&format!("/api/v1/tickets/{id}"))
        .await?
        .expect(404)?;
    Ok(())
}

#[tokio::test]
async fn a_deactivated_user_is_refused_at_once() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let admin = server.user("admin", "root@helpdesk.example").await?;
    let agent = server.user("agent", "gone@helpdesk.example").await?;
    agent.get("/api/v1/me").await?.expect(200)?;
    admin
        .patch(
            &format!("/api/v1/users/{}", agent.user_id),
            json!({"active": false}),
        )
        .await?
        .expect(200)?;
    let refused = agent.get("/api/v1/me").await?.expect(401)?;
    assert_eq!(refused.code(), "unauthenticated");
    let signin = server
        .anonymous()
        .post(
            "/api/v1/auth/sign-in",
            json!({"email": agent.email, "password": agent.password}),
        )
        .await?
        .expect(401)?;
    assert_eq!(signin.code(), "unauthenticated");
    Ok(())
}

/// Issue #21 (1): an agent cannot make a customer they can sign in as, nor place anyone
/// in an organization that shares its tickets, so they cannot read other groups' tickets
/// through one.
#[tokio::test]
async fn agents_cannot_make_customers_to_read_other_groups_tickets() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let admin = server.user("admin", "root@helpdesk.example").await?;
    let agent = server.user("agent", "ann@helpdesk.example").await?;
    let other = server.user("agent", "ben@helpdesk.example").await?;
    server.group("Group A", &[agent.user_id]).await?;
    let group_b = server.group("Group B", &[other.user_id]).await?;
    let shares = admin
        .post(
            "/api/v1/organizations",
            json!({"name": "Globex", "domains": ["globex.example"], "shared_tickets": true}),
        )
        .await?
        .expect(201)?;
    let shares = shares.body["id"].as_i64().unwrap_or_default();
    let private = admin
        .post(
            "/api/v1/organizations",
            json!({"name": "Initech", "shared_tickets": false}),
        )
        .await?
        .expect(201)?;
    let private = private.body["id"].as_i64().unwrap_or_default();
    server.user("customer", "gina@globex.example").await?;
    let secret = admin
        .ticket_for("gina@globex.example", group_b, "Group B's merger plans")
        .await?;
    agent
        .get(&format!("/api/v1/tickets/{secret}"))
        .await?
        .expect(404)?;

    // With a password of the agent's choosing: refused, whichever organization.
    for org in [Some(shares), Some(private), None] {
        let reply = agent
            .post(
                "/api/v1/users",
                json!({"email": "spy@y.test", "name": "Spy", "role": "customer",
                       "password": "a password I know", "organization_id": org}),
            )
            .await?;
        assert_eq!(reply.status, 403, "{org:?}: {}", reply.text);
    }
    // Into the sharing organization: refused even without a password.
    let reply = agent
        .post(
            "/api/v1/users",
            json!({"email": "spy@y.test", "name": "Spy", "role": "customer",
                   "organization_id": shares}),
        )
        .await?;
    assert_eq!(reply.status, 403, "{}", reply.text);
    assert!(reply.text.contains("Globex"), "{}", reply.text);
    // Without a password, elsewhere: allowed, and nobody can sign in as them.
    let made = agent
        .post(
            "/api/v1/users",
            json!({"email": "spy@y.test", "name": "Spy", "role": "customer",
                   "organization_id": private}),
        )
        .await?
        .expect(201)?;
    assert_eq!(made.body["organization_id"], private);
    let sign_in = server
        .anonymous()
        .post(
            "/api/v1/auth/sign-in",
            json!({"email": "spy@y.test", "password": "a password I know"}),
        )
        .await?;
    assert_eq!(sign_in.status, 401, "{}", sign_in.text);
    // The agent cannot give them a password or move them afterwards either.
    let id = made.body["id"].as_i64().unwrap_or_default();
    for change in [
        json!({"password": "a password I know"}),
        json!({"organization_id": shares}),
    ] {
        let reply = agent.patch(&format!("/api/v1/users/{id}"), change).await?;
        assert_eq!(reply.status, 403, "{}", reply.text);
    }
    // Admins may do both.
    admin
        .post(
            "/api/v1/users",
            json!({"email": "hal@globex.example", "name": "Hal", "role": "customer",
                   "password": "a long password", "organization_id": shares}),
        )
        .await?
        .expect(201)?;
    Ok(())
}

/// Issue #21 (8): the last active admin can neither deactivate themself nor lose the
/// role, so the help desk always keeps someone who can administer it.
#[tokio::test]
async fn the_last_active_admin_cannot_be_deactivated_or_demoted() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let admin = server.user("admin", "root@helpdesk.example").await?;
    let me = format!("/api/v1/users/{}", admin.user_id);
    for (change, field) in [
        (json!({"active": false}), "active"),
        (json!({"role": "agent"}), "role"),
        (json!({"role": "customer", "active": false}), "active"),
    ] {
        let reply = admin.patch(&me, change.clone()).await?;
        assert_eq!(reply.status, 422, "{change}: {}", reply.text);
        assert_eq!(reply.body["field"], field, "{}", reply.text);
    }
    admin.get("/api/v1/me").await?.expect(200)?;
    // With a second admin, either may step down, but not both.
    let second = server.user("admin", "two@helpdesk.example").await?;
    admin
        .patch(&me, json!({"role": "agent"}))
        .await?
        .expect(200)?;
    let reply = second
        .patch(
            &format!("/api/v1/users/{}", second.user_id),
            json!({"active": false}),
        )
        .await?;
    assert_eq!(reply.status, 422, "{}", reply.text);
    Ok(())
}
