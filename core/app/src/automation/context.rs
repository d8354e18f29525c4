//! What a rule script sees: the ticket and the event, as JSON the engine converts.

use std::collections::HashMap;

use serde_json::{Value, json};
use triage_store::{Conn, EventRow, MessageRow, Repos, StatusRow, TicketRow, UserRow};

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
    let mut out = ticket_jsons(repos, statuses, std::slice::from_ref(t)).await?;
    Ok(out.pop().unwrap_or(Value::Null))
}

/// The `ticket` objects of many tickets, reading the people, organizations, groups and
/// latest messages they refer to in one query each.
pub(crate) async fn ticket_jsons<C: Conn>(
    repos: &Repos<'_, C>,
    statuses: &[StatusRow],
    tickets: &[TicketRow],
) -> AppResult<Vec<Value>> {
    let ids: Vec<i64> = tickets.iter().map(|t| t.id).collect();
    let latest: HashMap<i64, MessageRow> = repos
        .last_messages_of(&ids)
        .await?
        .into_iter()
        .map(|m| (m.ticket_id, m))
        .collect();
    let mut people: Vec<i64> = tickets
        .iter()
        .flat_map(|t| std::iter::once(t.requester_id).chain(t.assignee_id))
        .chain(latest.values().map(|m| m.author_id))
        .collect();
    people.sort_unstable();
    people.dedup();
    let people: HashMap<i64, UserRow> = repos
        .users_by_ids(&people)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let mut orgs: Vec<i64> = tickets.iter().filter_map(|t| t.organization_id).collect();
    orgs.sort_unstable();
    orgs.dedup();
    let orgs: HashMap<i64, Value> = repos
        .organizations_by_ids(&orgs)
        .await?
        .into_iter()
        .map(|o| (o.id, json!({"id": o.id, "name": o.name})))
        .collect();
    let mut groups: Vec<i64> = tickets.iter().filter_map(|t| t.group_id).collect();
    groups.sort_unstable();
    groups.dedup();
    let mut group_json = HashMap::new();
    for id in groups {
        if let Some(g) = repos.group(id).await? {
            group_json.insert(id, json!({"id": g.id, "name": g.name}));
        }
    }
    let person_of = |id: i64| people.get(&id).map(person).unwrap_or(Value::Null);
    Ok(tickets
        .iter()
        .map(|t| {
            let status = statuses.iter().find(|s| s.id == t.status_id);
            let org = t
                .organization_id
                .and_then(|id| orgs.get(&id).cloned())
                .unwrap_or(Value::Null);
            let mut requester = person_of(t.requester_id);
            if let Some(r) = requester.as_object_mut() {
                r.insert("organization".into(), org.clone());
            }
            let latest = latest.get(&t.id).map_or(Value::Null, |m| {
                json!({
                    "id": m.id,
                    "body": m.body_text,
                    "public": m.public,
                    "channel": m.channel,
                    "author": person_of(m.author_id),
                    "author_role": people.get(&m.author_id).map(|a| a.role.clone()),
                    "created_at": m.created_at,
                })
            });
            json!({
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
                "requester": requester,
                "organization": org,
                "assignee": t.assignee_id.map_or(Value::Null, person_of),
                "group": t.group_id.and_then(|id| group_json.get(&id).cloned()),
                "latest_message": latest,
                "created_at": t.created_at,
                "updated_at": t.updated_at,
                "first_response_at": t.first_response_at,
                "solved_at": t.solved_at,
                "due_at": t.due_at,
            })
        })
        .collect())
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
