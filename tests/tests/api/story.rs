//! A ticket's whole life, and the audit history that shows it.

use serde_json::json;
use triage_tests::TestServer;

#[tokio::test]
async fn a_ticket_lives_from_open_to_closed_and_its_history_shows_every_step() -> anyhow::Result<()>
{
    let server = TestServer::start().await?;
    let admin = server.user("admin", "ada@helpdesk.example").await?;
    let agent = server.user("agent", "bo@helpdesk.example").await?;
    let customer = server.user("customer", "cy@customer.example").await?;
    let group = server.group("Support", &[agent.user_id]).await?;

    // The customer opens a ticket for themself.
    let t = customer
        .ticket(json!({"subject": "Printer prints blank pages", "body": "Since the update every page is blank."}))
        .await?;
    let id = t["id"].as_i64().unwrap_or_default();
    assert!(id >= 1001, "{t}");
    assert_eq!(t["status"]["category"], "new");
    assert_eq!(t["requester_id"], customer.user_id);

    // Nobody in a group sees it yet; the admin routes it.
    agent
        .get(&format!("/api/v1/tickets/{id}"))
        .await?
        .expect(404)?;
    admin
        .patch(&format!("/api/v1/tickets/{id}"), json!({"group_id": group, "assignee_id": agent.user_id, "priority": "high", "status": "open"}))
        .await?
        .expect(200)?;

    // The agent writes a note and a reply, then waits on the customer.
    let note = agent
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            json!({"public": false, "body": "Known driver bug, see KB-12."}),
        )
        .await?
        .expect(201)?;
    assert_eq!(note.body["message"]["public"], false);
    let reply = agent
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            json!({"body": "Please install driver 4.2 and tell us.", "status": "pending"}),
        )
        .await?
        .expect(201)?;
    assert_eq!(reply.body["ticket"]["status"]["category"], "pending");
    assert!(reply.body["ticket"]["first_response_at"].is_string());

    // The customer sees the reply but not the note.
    let bodies = customer.message_bodies(id).await?;
    assert_eq!(
        bodies,
        vec![
            "Since the update every page is blank.",
            "Please install driver 4.2 and tell us."
        ]
    );

    // Solved; the customer writes back and it reopens.
    agent
        .patch(
            &format!("/api/v1/tickets/{id}"),
            json!({"status": "solved"}),
        )
        .await?
        .expect(200)?;
    let back = customer
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            json!({"body": "Still blank on tray 2."}),
        )
        .await?
        .expect(201)?;
    assert_eq!(back.body["ticket"]["id"], id);
    assert_eq!(back.body["ticket"]["status"]["category"], "open");
    assert!(back.body["ticket"]["solved_at"].is_null());

    // Solved again and closed: now it is read-only.
    agent
        .patch(
            &format!("/api/v1/tickets/{id}"),
            json!({"status": "solved"}),
        )
        .await?
        .expect(200)?;
    agent
        .patch(
            &format!("/api/v1/tickets/{id}"),
            json!({"status": "closed"}),
        )
        .await?
        .expect(200)?;
    let closed = agent
        .patch(&format!("/api/v1/tickets/{id}"), json!({"priority": "low"}))
        .await?
        .expect(409)?;
    assert_eq!(closed.code(), "ticket_closed");

    // A reply to a closed ticket opens a linked follow-up.
    let follow = customer
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            json!({"body": "It happened again today."}),
        )
        .await?
        .expect(201)?;
    let follow_id = follow.body["ticket"]["id"].as_i64().unwrap_or_default();
    assert_ne!(follow_id, id);
    assert_eq!(follow.body["ticket"]["status"]["category"], "open");
    let links = agent
        .get(&format!("/api/v1/tickets/{follow_id}/links"))
        .await?
        .expect(200)?;
    assert_eq!(
        links.body,
        json!([{"kind": "follow_up_of", "ticket_id": id, "created_at": links.body[0]["created_at"]}])
    );

    // The history tells the whole story, in order.
    let history = agent
        .get(&format!("/api/v1/tickets/{id}/history"))
        .await?
        .expect(200)?;
    let kinds: Vec<String> = history
        .body
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            let kind = e["kind"].as_str().unwrap_or("");
            if kind == "status.changed" {
                format!(
                    "{kind}:{}",
                    e["data"]["to"]["category"].as_str().unwrap_or("")
                )
            } else {
                kind.to_string()
            }
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            "ticket.created",
            "message.added",
            "ticket.updated",
            "status.changed:open",
            "message.added",
            "message.added",
            "ticket.updated",
            "ticket.updated",
            "status.changed:pending",
            "ticket.updated",
            "status.changed:solved",
            "message.added",
            "ticket.updated",
            "status.changed:open",
            "ticket.updated",
            "status.changed:solved",
            "ticket.updated",
            "status.changed:closed",
            "ticket.linked",
        ],
        "{}",
        history.text
    );
    let first = &history.body[0];
    assert_eq!(first["actor_id"], customer.user_id);
    assert_eq!(first["via"], "api");
    let routed = &history.body[2]["data"]["changes"];
    assert!(
        routed.as_array().is_some_and(|c| c
            .iter()
            .any(|c| c["field"] == "priority" && c["from"] == "normal" && c["to"] == "high")),
        "{routed}"
    );
    Ok(())
}
