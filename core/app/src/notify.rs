//! Agents' in-app notifications from what happens on their tickets: assigned to them, a
//! customer replied on their ticket, mentioned in a note with `@name`, an SLA warning on
//! their ticket. Each agent chooses which kinds they get.
//!
//! The `notifications` consumer follows the event log; a notification is stored under a
//! unique key (user, kind, event), so several processes following the log send each once.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use futures::future::BoxFuture;
use serde_json::{Value, json};
use triage_domain::Actor;
use triage_store::{EventRow, NotificationPrefRow, NotificationRow, TicketRow, UserRow};

use crate::consumer::{Consumer, ConsumerHandle};
use crate::{App, AppError, AppResult};

/// The consumer's checkpoint name.
pub const CONSUMER: &str = "notifications";

/// The kinds of notification an agent can turn on or off.
pub const KINDS: [&str; 4] = ["assigned", "customer_replied", "mentioned", "sla_warning"];

/// The `@name`s in a note: letters, digits, `.`, `_` and `-` after an `@` that does not
/// follow a word character (so addresses like `a@b.c` are not mentions).
pub fn mentions(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let chars: Vec<char> = text.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if *c != '@' || (i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '.')) {
            continue;
        }
        let name: String = chars[i + 1..]
            .iter()
            .take_while(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'))
            .collect();
        let name = name.trim_end_matches(['.', '-', '_']).to_lowercase();
        if !name.is_empty() {
            out.insert(name);
        }
    }
    out
}

/// The staff a mention names: the local part of their email, or their first name when
/// only one agent has it.
fn mentioned<'u>(names: &BTreeSet<String>, staff: &'u [UserRow]) -> Vec<&'u UserRow> {
    let first = |u: &UserRow| {
        u.name
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_lowercase()
    };
    let mut out = Vec::new();
    for name in names {
        let by_email: Vec<&UserRow> = staff
            .iter()
            .filter(|u| u.email.split('@').next().unwrap_or("").to_lowercase() == *name)
            .collect();
        let found = if by_email.is_empty() {
            let by_first: Vec<&UserRow> = staff.iter().filter(|u| first(u) == *name).collect();
            if by_first.len() == 1 {
                by_first
            } else {
                Vec::new()
            }
        } else {
            by_email
        };
        for u in found {
            if !out.iter().any(|o: &&UserRow| o.id == u.id) {
                out.push(u);
            }
        }
    }
    out
}

/// Which kinds a user gets, from their stored preferences (a kind not named is on).
pub fn enabled(pref: Option<&NotificationPrefRow>, kind: &str) -> bool {
    pref.and_then(|p| p.kinds.get(kind))
        .and_then(Value::as_bool)
        .unwrap_or(true)
}

struct NotifyConsumer {
    app: App,
}

impl Consumer for NotifyConsumer {
    fn name(&self) -> &str {
        CONSUMER
    }

    fn handle<'a>(&'a self, events: &'a [EventRow]) -> BoxFuture<'a, AppResult<()>> {
        Box::pin(self.app.notify_from(events))
    }
}

/// One notification to send.
struct Pending {
    user_id: i64,
    ticket_id: i64,
    kind: &'static str,
    text: String,
    event_id: i64,
}

impl App {
    /// Starts the notifications consumer; on a log it never followed it starts at the end,
    /// so agents hear of what happens from now on.
    pub async fn start_notifications(&self) -> AppResult<ConsumerHandle> {
        self.start_at_end_if_new(CONSUMER).await?;
        Ok(self.spawn_consumer(Arc::new(NotifyConsumer { app: self.clone() })))
    }

    async fn notify_from(&self, events: &[EventRow]) -> AppResult<()> {
        let read = self.store.read();
        let ticket_ids: Vec<i64> = events
            .iter()
            .filter(|e| {
                matches!(
                    e.kind.as_str(),
                    "ticket.created" | "ticket.updated" | "message.added" | "sla.warning"
                )
            })
            .filter_map(|e| e.ticket_id)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if ticket_ids.is_empty() {
            return Ok(());
        }
        let tickets: BTreeMap<i64, TicketRow> = read
            .tickets_by_ids(&ticket_ids)
            .await?
            .into_iter()
            .map(|t| (t.id, t))
            .collect();
        let mut staff: Option<Vec<UserRow>> = None;
        let mut pending = Vec::new();
        for e in events {
            let Some(t) = e.ticket_id.and_then(|id| tickets.get(&id)) else {
                continue;
            };
            if t.deleted_at.is_some() {
                continue;
            }
            let subject = &t.subject;
            let actor = e.actor_id;
            let mut push = |user_id: i64, kind: &'static str, text: String| {
                if Some(user_id) != actor {
                    pending.push(Pending {
                        user_id,
                        ticket_id: t.id,
                        kind,
                        text,
                        event_id: e.id,
                    });
                }
            };
            match e.kind.as_str() {
                "ticket.created" => {
                    if let Some(a) = e.data["assignee_id"].as_i64() {
                        push(
                            a,
                            "assigned",
                            format!("You were assigned #{}: {subject}", t.id),
                        );
                    }
                }
                "ticket.updated" => {
                    let assigned = e.data["changes"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter(|c| c["field"] == "assignee_id")
                        .find_map(|c| c["to"].as_i64());
                    if let Some(a) = assigned {
                        push(
                            a,
                            "assigned",
                            format!("You were assigned #{}: {subject}", t.id),
                        );
                    }
                }
                "message.added" => {
                    let role = e.data["author_role"].as_str().unwrap_or("");
                    // The message that opened the ticket is no reply.
                    let opening = e.data["opening"].as_bool() == Some(true);
                    if role == "customer" && !opening {
                        if let Some(a) = t.assignee_id {
                            push(
                                a,
                                "customer_replied",
                                format!("The customer replied on #{}: {subject}", t.id),
                            );
                        }
                    } else if e.data["public"] == json!(false)
                        && let Some(mid) = e.data["message_id"].as_i64()
                        && let Some(m) = read.message(mid).await?
                    {
                        let names = mentions(&m.body_text);
                        if !names.is_empty() {
                            if staff.is_none() {
                                let mut all = read.list_users(Some("agent"), 0, 10_000).await?;
                                all.extend(read.list_users(Some("admin"), 0, 10_000).await?);
                                staff = Some(all);
                            }
                            for u in mentioned(&names, staff.as_deref().unwrap_or_default()) {
                                push(
                                    u.id,
                                    "mentioned",
                                    format!("You were mentioned in a note on #{}: {subject}", t.id),
                                );
                            }
                        }
                    }
                }
                "sla.warning" => {
                    if let Some(a) = t.assignee_id {
                        let target = e.data["target"].as_str().unwrap_or("").replace('_', " ");
                        push(
                            a,
                            "sla_warning",
                            format!("SLA warning: {target} on #{} is due soon: {subject}", t.id),
                        );
                    }
                }
                _ => {}
            }
        }
        if pending.is_empty() {
            return Ok(());
        }
        let users: Vec<i64> = pending
            .iter()
            .map(|p| p.user_id)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let prefs: BTreeMap<i64, NotificationPrefRow> = read
            .notification_prefs(&users)
            .await?
            .into_iter()
            .map(|p| (p.user_id, p))
            .collect();
        let mut rows = Vec::new();
        for p in pending {
            if !enabled(prefs.get(&p.user_id), p.kind) {
                continue;
            }
            // Only staff who may see the ticket hear of it.
            let Some((user, recipient)) = self.cached_actor(p.user_id).await? else {
                continue;
            };
            let Some(t) = tickets.get(&p.ticket_id) else {
                continue;
            };
            if user.role == "customer" || !recipient.can_see(&crate::tickets::access(t)) {
                continue;
            }
            rows.push(NotificationRow {
                id: 0,
                user_id: p.user_id,
                ticket_id: Some(p.ticket_id),
                kind: p.kind.to_string(),
                text: p.text,
                source: None,
                event_id: Some(p.event_id),
                created_at: crate::now_millis(),
                read_at: None,
            });
        }
        if rows.is_empty() {
            return Ok(());
        }
        let users: BTreeSet<i64> = rows.iter().map(|r| r.user_id).collect();
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let repos = tx.repos();
                    for row in rows {
                        repos.insert_notification_once(row).await?;
                    }
                    Ok::<_, AppError>(())
                })
            })
            .await?;
        self.live_notified_users(users);
        Ok(())
    }

    /// Which kinds of notification an agent gets.
    pub async fn notification_preferences(
        &self,
        actor: &Actor,
    ) -> AppResult<BTreeMap<String, bool>> {
        actor.require_staff()?;
        let prefs = self
            .store
            .read()
            .notification_prefs(&[actor.user_id])
            .await?;
        Ok(KINDS
            .iter()
            .map(|k| (k.to_string(), enabled(prefs.first(), k)))
            .collect())
    }

    /// Turns kinds of notification on or off for the acting agent; kinds not given keep
    /// their setting.
    pub async fn set_notification_preferences(
        &self,
        actor: &Actor,
        changes: BTreeMap<String, bool>,
    ) -> AppResult<BTreeMap<String, bool>> {
        actor.require_staff()?;
        if let Some(k) = changes.keys().find(|k| !KINDS.contains(&k.as_str())) {
            return Err(AppError::invalid(
                k.as_str(),
                format!("unknown notification kind {k:?}; use {}", KINDS.join(", ")),
            ));
        }
        let mut current = self.notification_preferences(actor).await?;
        current.extend(changes);
        let row = NotificationPrefRow {
            user_id: actor.user_id,
            kinds: json!(current),
            updated_at: crate::now_millis(),
        };
        self.store
            .write(move |tx| {
                Box::pin(
                    async move { Ok::<_, AppError>(tx.repos().put_notification_pref(row).await?) },
                )
            })
            .await?;
        Ok(current)
    }

    /// How many unread notifications the acting user has.
    pub async fn unread_notifications(&self, actor: &Actor) -> AppResult<u64> {
        Ok(self
            .store
            .read()
            .unread_notifications(actor.user_id)
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_are_names_after_an_at_not_addresses() {
        let found = mentions("Thanks @Ada.Lovelace, can @bob look? Mail ops@example.com. @carol-");
        let found: Vec<&str> = found.iter().map(String::as_str).collect();
        assert_eq!(found, vec!["ada.lovelace", "bob", "carol"]);
        assert!(mentions("no one here, just a@b").is_empty());
    }
}
