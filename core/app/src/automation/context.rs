//! What a rule script sees: the ticket and the event, as JSON the engine converts.

use serde_json::{Value, json};
use triage_store::{Conn, EventRow, Repos, StatusRow, TicketRow};

use crate::AppResult;

fn person(u: &triage_store::UserRow) -> Value {
    json!({"id": u.id, "name": u.name, "email": u.email, "role": u.role})
}

/// The `ticket` object of a script (see `docs/automation.md`).
pub(crate) async fn ticket_json<C: Conn>(
    repos: &Repos<'_, C>,
    statuses: &[StatusRow],
    t: &TicketRow,
) -> AppResult<Value> {
    let status = statuses.iter().find(|s| s.id == t.status_id);
    let requester = repos.user(t.requester_id).await?;
    let organization = match t.organization_id {
        Some(id) => repos.organization(id).await?,
        None => None,
    };
    let assignee = match t.assignee_id {
        Some(id) => repos.user(id).await?,
        None => None,
    };
    let group = match t.group_id {
        Some(id) => repos.group(id).await?,
        None => None,
    };
    let latest = repos.last_message(t.id).await?;
    let latest = match latest {
        Some(m) => {
            let author = repos.user(m.author_id).await?;
            json!({
                "id": m.id,
                "body": m.body_text,
                "public": m.public,
                "channel": m.channel,
                "author": author.as_ref().map(person),
                "author_role": author.map(|a| a.role),
                "created_at": m.created_at,
            })
        }
        None => Value::Null,
    };
    let org_json = organization
        .as_ref()
        .map(|o| json!({"id": o.id, "name": o.name}));
    let mut requester_json = requester.as_ref().map(person).unwrap_or(Value::Null);
    if let Some(r) = requester_json.as_object_mut() {
        r.insert(
            "organization".into(),
            org_json.clone().unwrap_or(Value::Null),
        );
    }
    Ok(json!({
        "id": t.id,
        "number": t.id,
        "subject": t.subject,
        "status": status.map(|s| s.name.clone()),
        "status_category": status.map(|s| s.category.clone()),
        "priority": t.priority,
        "type": t.kind,
        "tags": t.tags,
        "custom_fields": t.custom_fields,
        "channel": t.channel,
        "external_id": t.external_id,
        "requester": requester_json,
        "organization": org_json,
        "assignee": assignee.as_ref().map(person),
        "group": group.map(|g| json!({"id": g.id, "name": g.name})),
        "latest_message": latest,
        "created_at": t.created_at,
        "updated_at": t.updated_at,
        "first_response_at": t.first_response_at,
        "solved_at": t.solved_at,
        "due_at": t.due_at,
    }))
}

/// The `event` object of a script for one change: the events one command appended for
/// a ticket, merged (a reply that also set a status is one change).
pub(crate) async fn event_json<C: Conn>(
    repos: &Repos<'_, C>,
    change: &[EventRow],
) -> AppResult<Value> {
    let Some(first) = change.first() else {
        return Ok(Value::Null);
    };
    let actor = match first.actor_id {
        Some(id) => repos.user(id).await?.as_ref().map(person),
        None => None,
    };
    let mut changes = Vec::new();
    let mut event = json!({
        "id": first.id,
        "kind": first.kind,
        "kinds": change.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(),
        "via": first.via,
        "rule": if first.via == "rule" { first.via_name.clone() } else { None },
        "depth": first.depth,
        "actor": actor,
        "at": first.created_at,
    });
    for e in change {
        match e.kind.as_str() {
            "ticket.updated" => {
                if let Some(list) = e.data["changes"].as_array() {
                    changes.extend(list.iter().cloned());
                }
            }
            "status.changed" => {
                event["status"] = json!({
                    "from": e.data["from"]["name"],
                    "to": e.data["to"]["name"],
                    "from_category": e.data["from"]["category"],
                    "to_category": e.data["to"]["category"],
                });
            }
            "message.added" => {
                let body = match e.data["message_id"].as_i64() {
                    Some(id) => repos.message(id).await?.map(|m| m.body_text),
                    None => None,
                };
                event["message"] = json!({
                    "id": e.data["message_id"],
                    "public": e.data["public"],
                    "author_id": e.data["author_id"],
                    "author_role": e.data["author_role"],
                    "channel": e.data["channel"],
                    "attachments": e.data["attachments"],
                    "body": body,
                });
            }
            "rating.received" => {
                event["rating"] = json!({"score": e.data["score"], "comment": e.data["comment"]});
            }
            "sla.warning" | "sla.breached" => {
                event["sla"] = e.data.clone();
            }
            _ => {}
        }
    }
    event["changes"] = Value::Array(changes);
    Ok(event)
}

/// The `event` of a scheduled run.
pub(crate) fn schedule_event(rule: &str, at: i64) -> Value {
    json!({"kind": "schedule", "kinds": ["schedule"], "via": "rule", "rule": rule, "depth": 0,
           "actor": null, "at": at, "changes": []})
}
