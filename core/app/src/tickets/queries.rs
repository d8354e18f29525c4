//! Reading tickets: one, a filtered page, the audit history, the links.

use serde_json::Value;
use triage_domain::{Actor, Priority, StatusCategory, TicketType};
use triage_store::repo::{AssigneeFilter, SortField, TicketFilter, TicketSort};

use super::{TicketView, decode_cursor, encode_cursor, load_visible};
use crate::{App, AppError, AppResult, Page};

/// What to list, as a client asks for it.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// Status names (or ids).
    pub status: Vec<String>,
    /// Status categories.
    pub category: Vec<String>,
    pub priority: Vec<String>,
    pub kind: Vec<String>,
    /// `me`, `none` or a user id.
    pub assignee: Option<String>,
    pub group_id: Option<i64>,
    pub requester_id: Option<i64>,
    pub organization_id: Option<i64>,
    pub tags: Vec<String>,
    pub created_from: Option<i64>,
    pub created_to: Option<i64>,
    pub updated_from: Option<i64>,
    pub updated_to: Option<i64>,
    /// SLA states: `on_track`, `warning`, `breached`, `met`.
    pub sla: Vec<String>,
    /// `created`, `updated`, `number` or `sla_due`, with a leading `-` for descending.
    pub sort: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<u64>,
}

/// One entry of a ticket's audit history.
#[derive(Debug, Clone)]
pub struct HistoryEntry {
    pub id: i64,
    pub kind: String,
    pub actor_id: Option<i64>,
    pub actor_name: Option<String>,
    pub via: String,
    pub via_name: Option<String>,
    pub data: Value,
    pub created_at: i64,
}

/// A link as seen from one ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkView {
    pub kind: String,
    pub ticket_id: i64,
    pub created_at: i64,
}

impl App {
    /// A ticket the actor may see.
    pub async fn get_ticket(&self, actor: &Actor, id: i64) -> AppResult<TicketView> {
        let repos = self.store.read();
        let ticket = load_visible(&repos, actor, id).await?;
        let mut view = TicketView::new(ticket, &self.config_snapshot().await?.statuses)?;
        if actor.role.is_staff() {
            view.sla = self.ticket_slas(&[id]).await?.remove(&id);
        }
        Ok(view)
    }

    /// A page of the tickets the actor may see that match the query.
    pub async fn list_tickets(
        &self,
        actor: &Actor,
        query: ListQuery,
    ) -> AppResult<Page<TicketView>> {
        let repos = self.store.read();
        let config = self.config_snapshot().await?;
        let statuses = &config.statuses;
        let mut filter = TicketFilter::default();
        for name in &query.status {
            filter
                .status_ids
                .push(super::find_status(statuses, name)?.id);
        }
        for c in &query.category {
            let c = StatusCategory::parse(c)?;
            filter.status_ids.extend(
                statuses
                    .iter()
                    .filter(|s| s.category == c.as_str())
                    .map(|s| s.id),
            );
        }
        for p in &query.priority {
            filter
                .priorities
                .push(Priority::parse(p)?.as_str().to_string());
        }
        for k in &query.kind {
            filter
                .kinds
                .push(TicketType::parse(k)?.as_str().to_string());
        }
        filter.assignee = match query.assignee.as_deref() {
            None => None,
            Some("me") => Some(AssigneeFilter::User(actor.user_id)),
            Some("none") => Some(AssigneeFilter::Unassigned),
            Some(id) => Some(AssigneeFilter::User(id.parse().map_err(|_| {
                AppError::invalid("assignee", "use me, none or a user id")
            })?)),
        };
        filter.group_id = query.group_id;
        filter.requester_id = query.requester_id;
        filter.organization_id = query.organization_id;
        filter.tags = triage_domain::text::normalize_tags(&query.tags)?;
        filter.created_from = query.created_from;
        filter.created_to = query.created_to;
        filter.updated_from = query.updated_from;
        filter.updated_to = query.updated_to;
        for state in &query.sla {
            let state = triage_domain::sla::State::parse(state.trim()).ok_or_else(|| {
                AppError::invalid(
                    "sla",
                    format!(
                        "{state:?} is not an SLA state; use on_track, warning, breached or met"
                    ),
                )
            })?;
            filter.sla_states.push(state.as_str().to_string());
        }
        let sort_text = query.sort.as_deref().unwrap_or("-updated");
        let (descending, field) = match sort_text.strip_prefix('-') {
            Some(f) => (true, f),
            None => (false, sort_text),
        };
        let field = match field {
            "created" => SortField::Created,
            "updated" => SortField::Updated,
            "number" => SortField::Number,
            "sla_due" => SortField::SlaDue,
            other => {
                return Err(AppError::invalid(
                    "sort",
                    format!(
                        "cannot sort by {other:?}; use created, updated, number or sla_due, with - for descending"
                    ),
                ));
            }
        };
        let sort = TicketSort { field, descending };
        let after = query.cursor.as_deref().map(decode_cursor).transpose()?;
        let limit = query.limit.unwrap_or(50);
        if !(1..=200).contains(&limit) {
            return Err(AppError::invalid("limit", "must be between 1 and 200"));
        }
        let mut rows = repos
            .list_tickets(&actor.visibility(), &filter, sort, after, limit + 1)
            .await?;
        let more = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let mut slas = if actor.role.is_staff() {
            self.ticket_slas(&ids).await?
        } else {
            Default::default()
        };
        let next_cursor = if more {
            rows.last().map(|r| {
                let due = slas.get(&r.id).and_then(|s| s.due_at);
                encode_cursor(sort.cursor_after(r, due))
            })
        } else {
            None
        };
        let items = rows
            .into_iter()
            .map(|t| {
                let id = t.id;
                let mut view = TicketView::new(t, statuses)?;
                view.sla = slas.remove(&id);
                Ok(view)
            })
            .collect::<AppResult<Vec<_>>>()?;
        Ok(Page { items, next_cursor })
    }

    /// How many tickets the actor may see in each status.
    pub async fn count_by_status(&self, actor: &Actor) -> AppResult<Vec<(i64, i64)>> {
        Ok(self
            .store
            .read()
            .count_tickets_by_status(&actor.visibility())
            .await?)
    }

    /// A ticket's audit history, oldest first (staff).
    pub async fn ticket_history(
        &self,
        actor: &Actor,
        id: i64,
        after: i64,
        limit: u64,
    ) -> AppResult<Vec<HistoryEntry>> {
        actor.require_staff()?;
        let repos = self.store.read();
        load_visible(&repos, actor, id).await?;
        let events = repos.ticket_events(id, after, limit).await?;
        let mut actor_ids: Vec<i64> = events.iter().filter_map(|e| e.actor_id).collect();
        actor_ids.sort();
        actor_ids.dedup();
        let users = repos.users_by_ids(&actor_ids).await?;
        Ok(events
            .into_iter()
            .map(|e| HistoryEntry {
                actor_name: e
                    .actor_id
                    .and_then(|a| users.iter().find(|u| u.id == a).map(|u| u.name.clone())),
                id: e.id,
                kind: e.kind,
                actor_id: e.actor_id,
                via: e.via,
                via_name: e.via_name,
                data: e.data,
                created_at: e.created_at,
            })
            .collect())
    }

    /// The links of a ticket, seen from it.
    pub async fn ticket_links(&self, actor: &Actor, id: i64) -> AppResult<Vec<LinkView>> {
        let repos = self.store.read();
        load_visible(&repos, actor, id).await?;
        let links = repos.ticket_links(id).await?;
        Ok(links
            .into_iter()
            .map(|l| {
                if l.ticket_id == id {
                    LinkView {
                        kind: l.kind,
                        ticket_id: l.other_id,
                        created_at: l.created_at,
                    }
                } else {
                    let kind = triage_domain::LinkKind::parse(&l.kind)
                        .map(|k| k.inverse().to_string())
                        .unwrap_or(l.kind);
                    LinkView {
                        kind,
                        ticket_id: l.ticket_id,
                        created_at: l.created_at,
                    }
                }
            })
            .collect())
    }
}
