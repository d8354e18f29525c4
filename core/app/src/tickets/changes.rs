//! Changing a ticket's fields: update, bulk update, macros, soft delete.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use triage_domain::template;
use triage_domain::{
    EventKind, FieldChange, Priority, Role, StatusCategory, TicketType, check_transition, text,
    ticket,
};
use triage_store::{Conn, Repos, StatusRow, TicketRow};

use super::{TicketView, category_of, emit, find_status, load_visible, status_json};
use crate::directory::{MacroActions, apply_values};
use crate::{App, AppError, AppResult, Ctx};

/// A macro filled in for one ticket.
#[derive(Debug, Clone, PartialEq)]
pub struct MacroPreview {
    /// The text with placeholders filled in.
    pub body: String,
    /// Whether it is meant as a public reply (or an internal note).
    pub public: bool,
    /// The field changes it makes.
    pub changes: TicketChanges,
}

/// The field changes a macro makes.
fn macro_changes(actions: MacroActions) -> TicketChanges {
    TicketChanges {
        status: actions.status,
        priority: actions.priority,
        kind: actions.kind,
        add_tags: actions.add_tags,
        remove_tags: actions.remove_tags,
        ..TicketChanges::default()
    }
}

/// Changes to a ticket; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TicketChanges {
    pub subject: Option<String>,
    /// A status name (or id).
    pub status: Option<String>,
    pub priority: Option<String>,
    pub kind: Option<String>,
    pub requester_id: Option<i64>,
    pub assignee_id: Option<Option<i64>>,
    pub group_id: Option<Option<i64>>,
    /// Replaces all tags.
    pub tags: Option<Vec<String>>,
    pub add_tags: Vec<String>,
    pub remove_tags: Vec<String>,
    /// Values to set (`null` clears one); other fields keep their values.
    pub custom_fields: BTreeMap<String, Value>,
    pub due_at: Option<Option<i64>>,
    pub external_id: Option<Option<String>>,
}

impl TicketChanges {
    /// Whether nothing would change.
    pub fn is_empty(&self) -> bool {
        *self == TicketChanges::default()
    }
}

/// The result of one ticket in a bulk update.
#[derive(Debug)]
pub struct BulkOutcome {
    pub ticket_id: i64,
    pub result: AppResult<TicketView>,
}

/// Applies `changes` to `ticket` in memory and returns what moved. Checks every value,
/// the status transition and that people and groups exist.
pub(crate) async fn apply_changes<C: Conn>(
    repos: &Repos<'_, C>,
    statuses: &[StatusRow],
    ticket: &mut TicketRow,
    changes: &TicketChanges,
    now: i64,
) -> AppResult<(Vec<FieldChange>, Option<(StatusRow, StatusRow)>)> {
    let mut moved = Vec::new();
    let mut push = |field: &str, from: Value, to: Value| {
        if let Some(c) = FieldChange::between(field, from, to) {
            moved.push(c);
        }
    };
    if let Some(subject) = &changes.subject {
        let subject = ticket::validate_subject(subject)?;
        push("subject", json!(ticket.subject), json!(subject));
        ticket.subject = subject;
    }
    if let Some(p) = &changes.priority {
        let p = Priority::parse(p)?.as_str().to_string();
        push("priority", json!(ticket.priority), json!(p));
        ticket.priority = p;
    }
    if let Some(k) = &changes.kind {
        let k = TicketType::parse(k)?.as_str().to_string();
        push("type", json!(ticket.kind), json!(k));
        ticket.kind = k;
    }
    if let Some(requester_id) = changes.requester_id {
        let user = repos.user(requester_id).await?.ok_or_else(|| {
            AppError::invalid("requester_id", format!("there is no user {requester_id}"))
        })?;
        push("requester_id", json!(ticket.requester_id), json!(user.id));
        push(
            "organization_id",
            json!(ticket.organization_id),
            json!(user.organization_id),
        );
        ticket.requester_id = user.id;
        ticket.organization_id = user.organization_id;
    }
    if let Some(assignee) = changes.assignee_id {
        if let Some(id) = assignee {
            match repos.user(id).await? {
                Some(u) if u.active && u.role != Role::Customer.as_str() => {}
                Some(_) => {
                    return Err(AppError::invalid(
                        "assignee_id",
                        format!("user {id} is not an active agent"),
                    ));
                }
                None => {
                    return Err(AppError::invalid(
                        "assignee_id",
                        format!("there is no user {id}"),
                    ));
                }
            }
        }
        push("assignee_id", json!(ticket.assignee_id), json!(assignee));
        ticket.assignee_id = assignee;
    }
    if let Some(group) = changes.group_id {
        if let Some(id) = group {
            repos
                .group(id)
                .await?
                .ok_or_else(|| AppError::invalid("group_id", format!("there is no group {id}")))?;
        }
        push("group_id", json!(ticket.group_id), json!(group));
        ticket.group_id = group;
    }
    if changes.tags.is_some() || !changes.add_tags.is_empty() || !changes.remove_tags.is_empty() {
        let current = triage_store::repo::json_strings(&ticket.tags);
        let mut tags = match &changes.tags {
            Some(t) => text::normalize_tags(t)?,
            None => current.clone(),
        };
        tags.extend(text::normalize_tags(&changes.add_tags)?);
        let remove = text::normalize_tags(&changes.remove_tags)?;
        tags.retain(|t| !remove.contains(t));
        let tags = text::normalize_tags(&tags)?;
        if tags != current {
            push("tags", json!(current), json!(tags));
            ticket.tags = json!(tags);
        }
    }
    if !changes.custom_fields.is_empty() {
        let defs = App::active_field_defs(repos).await?;
        let current = crate::directory::json_map(&ticket.custom_fields);
        let next = apply_values(&defs, &current, &changes.custom_fields)?;
        for key in current
            .keys()
            .chain(next.keys())
            .collect::<std::collections::BTreeSet<_>>()
        {
            push(
                &format!("custom_fields.{key}"),
                current.get(key).cloned().unwrap_or(Value::Null),
                next.get(key).cloned().unwrap_or(Value::Null),
            );
        }
        ticket.custom_fields = json!(next);
    }
    if let Some(due) = changes.due_at {
        push("due_at", json!(ticket.due_at), json!(due));
        ticket.due_at = due;
    }
    if let Some(external) = &changes.external_id {
        push("external_id", json!(ticket.external_id), json!(external));
        ticket.external_id = external.clone();
    }
    let mut status_change = None;
    if let Some(name) = &changes.status {
        let to = find_status(statuses, name)?.clone();
        if to.id != ticket.status_id {
            let from = statuses
                .iter()
                .find(|s| s.id == ticket.status_id)
                .cloned()
                .ok_or_else(|| AppError::Internal("ticket has an unknown status".into()))?;
            set_status(ticket, &from, &to, now)?;
            push("status", json!(from.name), json!(to.name));
            status_change = Some((from, to));
        }
    }
    Ok((moved, status_change))
}

/// Moves a ticket to status `to`, checking the transition and keeping the lifecycle
/// timestamps right.
pub(crate) fn set_status(
    ticket: &mut TicketRow,
    from: &StatusRow,
    to: &StatusRow,
    now: i64,
) -> AppResult<()> {
    let from_cat = StatusCategory::parse(&from.category)?;
    let to_cat = StatusCategory::parse(&to.category)?;
    check_transition(from_cat, to_cat)?;
    ticket.status_id = to.id;
    match to_cat {
        StatusCategory::Solved => ticket.solved_at = Some(now),
        StatusCategory::Closed => {
            ticket.closed_at = Some(now);
            ticket.solved_at.get_or_insert(now);
        }
        _ if from_cat.is_done() => ticket.solved_at = None,
        _ => {}
    }
    Ok(())
}

/// Writes a changed ticket (version-checked) with its events. Returns false when nothing
/// changed, in which case nothing is written.
pub(crate) async fn save_with_events<C: Conn>(
    repos: &Repos<'_, C>,
    ctx: &Ctx,
    mut ticket: TicketRow,
    moved: &[FieldChange],
    status_change: Option<(StatusRow, StatusRow)>,
    now: i64,
) -> AppResult<TicketRow> {
    if moved.is_empty() {
        return Ok(ticket);
    }
    let base_version = ticket.version;
    ticket.version += 1;
    ticket.updated_at = now;
    let tags_moved = moved.iter().any(|c| c.field == "tags");
    if !repos.save_ticket(ticket.clone(), base_version).await? {
        return Err(AppError::Conflict(format!(
            "ticket #{} changed while this change was being made; try again",
            ticket.id
        )));
    }
    if tags_moved {
        repos
            .set_ticket_tags(ticket.id, &triage_store::repo::json_strings(&ticket.tags))
            .await?;
    }
    let changes: Vec<Value> = moved
        .iter()
        .map(|c| json!({"field": c.field, "from": c.from, "to": c.to}))
        .collect();
    emit(
        repos,
        ctx,
        Some(ticket.id),
        EventKind::TicketUpdated,
        json!({"changes": changes}),
        now,
    )
    .await?;
    if let Some((from, to)) = status_change {
        emit(
            repos,
            ctx,
            Some(ticket.id),
            EventKind::StatusChanged,
            json!({"from": status_json(&from), "to": status_json(&to)}),
            now,
        )
        .await?;
    }
    Ok(ticket)
}

impl App {
    /// Changes a ticket's fields. With `expected_version`, a ticket that changed since
    /// gets [`AppError::StaleVersion`] carrying its current state.
    pub async fn update_ticket(
        &self,
        ctx: &Ctx,
        id: i64,
        changes: TicketChanges,
        expected_version: Option<i64>,
    ) -> AppResult<TicketView> {
        ctx.actor.require_staff()?;
        if let Some(status) = &changes.status {
            self.check_transition(id, status, false).await?;
        }
        let config = self.config_snapshot().await?;
        let ctx = ctx.clone();
        let view = self
            .command(move |tx| {
                Box::pin(async move {
                    let repos = tx.repos();
                    let statuses = config.statuses.clone();
                    let mut ticket = load_visible(&repos, &ctx.actor, id).await?;
                    if let Some(expected) = expected_version
                        && expected != ticket.version
                    {
                        return Err(AppError::StaleVersion {
                            current: Box::new(TicketView::new(ticket, &statuses)?),
                        });
                    }
                    if category_of(&statuses, ticket.status_id)? == StatusCategory::Closed {
                        return Err(AppError::Domain(triage_domain::DomainError::Closed(id)));
                    }
                    let now = ctx.now();
                    let (moved, status_change) =
                        apply_changes(&repos, &statuses, &mut ticket, &changes, now).await?;
                    let ticket =
                        save_with_events(&repos, &ctx, ticket, &moved, status_change, now).await?;
                    TicketView::new(ticket, &statuses)
                })
            })
            .await?;
        Ok(view)
    }

    /// Applies the same changes to many tickets, each on its own: one ticket failing does
    /// not stop the others. At most 100 tickets.
    pub async fn bulk_update(
        &self,
        ctx: &Ctx,
        ids: Vec<i64>,
        changes: TicketChanges,
    ) -> AppResult<Vec<BulkOutcome>> {
        ctx.actor.require_staff()?;
        if ids.is_empty() || ids.len() > 100 {
            return Err(AppError::invalid("ids", "give 1 to 100 ticket numbers"));
        }
        let mut pending = Vec::with_capacity(ids.len());
        for id in ids {
            let app = self.clone();
            let ctx = ctx.clone();
            let changes = changes.clone();
            pending.push((
                id,
                tokio::spawn(async move { app.update_ticket(&ctx, id, changes, None).await }),
            ));
        }
        let mut out = Vec::with_capacity(pending.len());
        for (ticket_id, handle) in pending {
            let result = handle.await.unwrap_or_else(|e| {
                Err(AppError::Internal(format!("bulk update task failed: {e}")))
            });
            out.push(BulkOutcome { ticket_id, result });
        }
        Ok(out)
    }

    /// Soft-deletes a ticket (admins): it disappears from every list and read.
    pub async fn delete_ticket(&self, ctx: &Ctx, id: i64) -> AppResult<()> {
        ctx.actor.require_admin()?;
        let ctx = ctx.clone();
        self.command(move |tx| {
            Box::pin(async move {
                let repos = tx.repos();
                let mut ticket = load_visible(&repos, &ctx.actor, id).await?;
                let now = ctx.now();
                let base = ticket.version;
                ticket.deleted_at = Some(now);
                ticket.version += 1;
                ticket.updated_at = now;
                if !repos.save_ticket(ticket, base).await? {
                    return Err(AppError::Conflict(format!(
                        "ticket #{id} changed meanwhile; try again"
                    )));
                }
                emit(
                    &repos,
                    &ctx,
                    Some(id),
                    EventKind::TicketDeleted,
                    json!({}),
                    now,
                )
                .await?;
                Ok(())
            })
        })
        .await?;
        Ok(())
    }

    /// What a macro would write on a ticket, with its placeholders filled in, and the
    /// changes it would make; nothing is written. The web UI puts it in the reply box.
    pub async fn preview_macro(
        &self,
        actor: &triage_domain::Actor,
        id: i64,
        macro_id: i64,
    ) -> AppResult<MacroPreview> {
        actor.require_staff()?;
        let config = self.config_snapshot().await?;
        let repos = self.store.read();
        let canned = repos
            .macro_by_id(macro_id)
            .await?
            .filter(|m| m.active)
            .ok_or_else(|| AppError::NotFound(format!("macro {macro_id}")))?;
        let ticket = load_visible(&repos, actor, id).await?;
        let values = placeholder_values(&repos, &ticket, &config.statuses, actor.user_id).await?;
        let actions = MacroActions::from_json(&canned.actions);
        Ok(MacroPreview {
            body: template::render(&canned.body, &values),
            public: canned.public,
            changes: macro_changes(actions),
        })
    }

    /// Applies a macro: its text as a reply or note (placeholders filled) and its field
    /// changes, together in one step.
    pub async fn apply_macro(
        &self,
        ctx: &Ctx,
        id: i64,
        macro_id: i64,
    ) -> AppResult<(TicketView, super::MessageView)> {
        ctx.actor.require_staff()?;
        let config = self.config_snapshot().await?;
        let ctx = ctx.clone();
        let result = self
            .command(move |tx| {
                Box::pin(async move {
                    let repos = tx.repos();
                    let statuses = config.statuses.clone();
                    let canned = repos
                        .macro_by_id(macro_id)
                        .await?
                        .filter(|m| m.active)
                        .ok_or_else(|| AppError::NotFound(format!("macro {macro_id}")))?;
                    let mut ticket = load_visible(&repos, &ctx.actor, id).await?;
                    if category_of(&statuses, ticket.status_id)? == StatusCategory::Closed {
                        return Err(AppError::Domain(triage_domain::DomainError::Closed(id)));
                    }
                    let now = ctx.now();
                    let values =
                        placeholder_values(&repos, &ticket, &statuses, ctx.actor.user_id).await?;
                    let body = template::render(&canned.body, &values);
                    let actions = MacroActions::from_json(&canned.actions);
                    let changes = macro_changes(actions);
                    emit(
                        &repos,
                        &ctx,
                        Some(id),
                        EventKind::MacroApplied,
                        json!({"macro_id": canned.id, "name": canned.name}),
                        now,
                    )
                    .await?;
                    let message = if body.trim().is_empty() {
                        None
                    } else {
                        let author = repos
                            .user(ctx.actor.user_id)
                            .await?
                            .ok_or_else(|| AppError::Internal("acting user is missing".into()))?;
                        let (m, t) = super::messages::insert_message(
                            &repos,
                            &ctx,
                            &statuses,
                            ticket,
                            &author,
                            super::messages::MessageParts {
                                public: canned.public,
                                text: body,
                                html: None,
                                channel: "api".into(),
                                metadata: json!({}),
                            },
                            Vec::new(),
                            now,
                            false,
                        )
                        .await?;
                        ticket = t;
                        Some(m)
                    };
                    let (moved, status_change) =
                        apply_changes(&repos, &statuses, &mut ticket, &changes, now).await?;
                    let ticket =
                        save_with_events(&repos, &ctx, ticket, &moved, status_change, now).await?;
                    let message = message
                        .ok_or_else(|| AppError::invalid("body", "the macro has no text"))?;
                    Ok((TicketView::new(ticket, &statuses)?, message))
                })
            })
            .await?;
        Ok(result)
    }
}

/// The values macro placeholders are filled with for a ticket and an acting agent.
pub(crate) async fn placeholder_values<C: Conn>(
    repos: &Repos<'_, C>,
    ticket: &TicketRow,
    statuses: &[StatusRow],
    agent_id: i64,
) -> AppResult<template::Values> {
    let mut v = template::Values::new();
    v.insert("ticket.number", ticket.id.to_string());
    v.insert("ticket.subject", ticket.subject.clone());
    v.insert("ticket.priority", ticket.priority.clone());
    v.insert("ticket.type", ticket.kind.clone());
    if let Some(s) = statuses.iter().find(|s| s.id == ticket.status_id) {
        v.insert("ticket.status", s.name.clone());
    }
    if let Some(g) = ticket.group_id
        && let Some(g) = repos.group(g).await?
    {
        v.insert("ticket.group", g.name);
    }
    let first = |name: &str| name.split_whitespace().next().unwrap_or("").to_string();
    if let Some(r) = repos.user(ticket.requester_id).await? {
        v.insert("requester.first_name", first(&r.name));
        v.insert("requester.name", r.name);
        v.insert("requester.email", r.email);
    }
    if let Some(a) = repos.user(agent_id).await? {
        v.insert("agent.first_name", first(&a.name));
        v.insert("agent.name", a.name);
        v.insert("agent.email", a.email);
    }
    if let Some(o) = ticket.organization_id
        && let Some(o) = repos.organization(o).await?
    {
        v.insert("organization.name", o.name);
    }
    Ok(v)
}

/// A ticket that an automated change (a rule, a plugin) may act on: it exists, is not
/// deleted or merged away, and is not closed.
pub(crate) async fn load_open<C: Conn>(
    repos: &Repos<'_, C>,
    statuses: &[StatusRow],
    id: i64,
) -> AppResult<TicketRow> {
    let ticket = match repos.ticket(id).await? {
        Some(t) if t.deleted_at.is_none() && t.merged_into.is_none() => t,
        _ => return Err(AppError::ticket_not_found(id)),
    };
    if category_of(statuses, ticket.status_id)? == StatusCategory::Closed {
        return Err(AppError::Domain(triage_domain::DomainError::Closed(id)));
    }
    Ok(ticket)
}

/// Adds messages to a ticket as `author`, then applies `changes`, and saves it with the
/// events of both: one automated change. Returns the fields that moved.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn write_automated<C: Conn>(
    repos: &Repos<'_, C>,
    ctx: &Ctx,
    statuses: &[StatusRow],
    mut ticket: TicketRow,
    author: &triage_store::UserRow,
    messages: Vec<super::messages::MessageParts>,
    changes: &TicketChanges,
    now: i64,
) -> AppResult<Vec<FieldChange>> {
    for parts in messages {
        let (_, t) = super::messages::insert_message(
            repos,
            ctx,
            statuses,
            ticket,
            author,
            parts,
            Vec::new(),
            now,
            false,
        )
        .await?;
        ticket = t;
    }
    let (moved, status_change) = apply_changes(repos, statuses, &mut ticket, changes, now).await?;
    save_with_events(repos, ctx, ticket, &moved, status_change, now).await?;
    Ok(moved)
}
