//! Tickets: the commands that change them and the queries that read them.

pub(crate) mod changes;
mod create;
pub(crate) mod messages;
mod queries;
mod relations;

use std::collections::BTreeMap;

use serde_json::{Value, json};
use triage_domain::permission::TicketAccess;
use triage_domain::{Actor, EventKind, StatusCategory};
use triage_store::repo::events::NewEvent;
use triage_store::{Conn, Repos, StatusRow, TicketRow};

pub use changes::{BulkOutcome, MacroPreview, TicketChanges};
pub use create::{Idempotency, NewTicket, RequesterRef};
pub use messages::{MessageView, NewMessage, Upload};
pub use queries::{HistoryEntry, LinkView, ListQuery};

use crate::{AppError, AppResult, Ctx};

/// A ticket as the API shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketView {
    /// The stored row (its `id` is the ticket number).
    pub ticket: TicketRow,
    /// Its status.
    pub status: StatusRow,
    /// Its tags, sorted.
    pub tags: Vec<String>,
    /// Its custom field values.
    pub custom_fields: BTreeMap<String, Value>,
    /// Its SLA, where a policy covers it (filled for staff by the queries that show it).
    pub sla: Option<crate::sla::TicketSla>,
}

impl TicketView {
    pub(crate) fn new(ticket: TicketRow, statuses: &[StatusRow]) -> AppResult<TicketView> {
        let status = statuses
            .iter()
            .find(|s| s.id == ticket.status_id)
            .cloned()
            .ok_or_else(|| {
                AppError::Internal(format!(
                    "ticket #{} has unknown status {}",
                    ticket.id, ticket.status_id
                ))
            })?;
        Ok(TicketView {
            tags: triage_store::repo::json_strings(&ticket.tags),
            custom_fields: crate::directory::json_map(&ticket.custom_fields),
            status,
            ticket,
            sla: None,
        })
    }

    /// The category of its status.
    pub fn category(&self) -> StatusCategory {
        StatusCategory::parse(&self.status.category).unwrap_or(StatusCategory::Open)
    }
}

pub(crate) fn access(t: &TicketRow) -> TicketAccess {
    TicketAccess {
        requester_id: t.requester_id,
        assignee_id: t.assignee_id,
        group_id: t.group_id,
        organization_id: t.organization_id,
    }
}

/// Loads a ticket the actor may see; deleted and invisible tickets are "not found", so
/// nobody learns that a ticket they may not see exists.
pub(crate) async fn load_visible<C: Conn>(
    repos: &Repos<'_, C>,
    actor: &Actor,
    id: i64,
) -> AppResult<TicketRow> {
    match repos.ticket(id).await? {
        Some(t) if t.deleted_at.is_none() && actor.can_see(&access(&t)) => Ok(t),
        _ => Err(AppError::ticket_not_found(id)),
    }
}

pub(crate) fn category_of(statuses: &[StatusRow], status_id: i64) -> AppResult<StatusCategory> {
    let status = statuses
        .iter()
        .find(|s| s.id == status_id)
        .ok_or_else(|| AppError::Internal(format!("unknown status id {status_id}")))?;
    Ok(StatusCategory::parse(&status.category)?)
}

pub(crate) fn builtin_status(
    statuses: &[StatusRow],
    category: StatusCategory,
) -> AppResult<&StatusRow> {
    statuses
        .iter()
        .find(|s| s.builtin && s.category == category.as_str())
        .ok_or_else(|| AppError::Internal(format!("built-in status {} missing", category.as_str())))
}

/// Finds an active status by name (case-insensitive) or by id written as digits.
pub(crate) fn find_status<'s>(statuses: &'s [StatusRow], name: &str) -> AppResult<&'s StatusRow> {
    let name = name.trim();
    statuses
        .iter()
        .find(|s| s.active && (s.name.eq_ignore_ascii_case(name) || s.id.to_string() == name))
        .ok_or_else(|| {
            let known: Vec<&str> = statuses
                .iter()
                .filter(|s| s.active)
                .map(|s| s.name.as_str())
                .collect();
            AppError::invalid(
                "status",
                format!("there is no status {name:?}; known: {}", known.join(", ")),
            )
        })
}

/// Appends one event for a command.
pub(crate) async fn emit<C: Conn>(
    repos: &Repos<'_, C>,
    ctx: &Ctx,
    ticket_id: Option<i64>,
    kind: EventKind,
    data: Value,
    now: i64,
) -> AppResult<()> {
    Ok(repos
        .append_event(NewEvent {
            ticket_id,
            kind: kind.as_str().to_string(),
            actor_id: (ctx.actor.user_id != 0).then_some(ctx.actor.user_id),
            via: ctx.via.as_str().to_string(),
            via_name: ctx.via_name.clone(),
            data,
            depth: ctx.depth,
            origin_id: ctx.origin,
            created_at: now,
        })
        .await?)
}

/// The event data describing a status.
pub(crate) fn status_json(s: &StatusRow) -> Value {
    json!({"id": s.id, "name": s.name, "category": s.category})
}

/// Opaque cursors: `<value>.<id>` in a URL-safe form.
pub(crate) fn encode_cursor(c: triage_store::repo::Cursor) -> String {
    format!("{}.{}", c.value, c.id)
}

pub(crate) fn decode_cursor(s: &str) -> AppResult<triage_store::repo::Cursor> {
    let bad = || AppError::BadRequest(format!("cursor {s:?} is not one this server gave out"));
    let (value, id) = s.split_once('.').ok_or_else(bad)?;
    Ok(triage_store::repo::Cursor {
        value: value.parse().map_err(|_| bad())?,
        id: id.parse().map_err(|_| bad())?,
    })
}
