//! Replies and internal notes, with their attachments.

use serde_json::{Value, json};
use triage_domain::{EventKind, LinkKind, Role, StatusCategory, ticket};
use triage_store::repo::messages::LinkRow;
use triage_store::{AttachmentRow, Conn, MessageRow, Repos, StatusRow, TicketRow, UserRow};

use super::changes::{TicketChanges, save_with_events, set_status};
use super::create::insert_ticket_row;
use super::{TicketView, builtin_status, category_of, emit, load_visible};
use crate::attachments::StoredFile;
use crate::html::{MAX_BODY_BYTES, html_to_text, sanitize_html, text_to_html};
use crate::{App, AppError, AppResult, Ctx};

pub use crate::attachments::Upload;

/// A message to add to a ticket.
#[derive(Debug, Clone, Default)]
pub struct NewMessage {
    /// A public reply (true) or an internal note. Customers always write public replies.
    pub public: bool,
    pub body_text: Option<String>,
    pub body_html: Option<String>,
    /// Files stored with [`App::store_upload`].
    pub attachments: Vec<StoredFile>,
    /// A status to set in the same step ("reply and set pending").
    pub status: Option<String>,
    /// Other field changes made in the same step (a macro's actions); `status` wins
    /// over `changes.status`.
    pub changes: Option<TicketChanges>,
    /// The channel it came in by; `api` by default.
    pub channel: Option<String>,
    /// Channel metadata (an email's Message-ID …).
    pub metadata: Option<Value>,
}

/// A message with its attachments and author.
#[derive(Debug, Clone)]
pub struct MessageView {
    pub message: MessageRow,
    pub attachments: Vec<AttachmentRow>,
    pub author_name: String,
    pub author_role: String,
}

/// The checked body of a message.
#[derive(Debug, Clone)]
pub(crate) struct MessageParts {
    pub public: bool,
    pub text: String,
    pub html: Option<String>,
    pub channel: String,
    pub metadata: Value,
}

impl MessageParts {
    /// Checks the bodies: at least one, not too large; HTML is sanitized, text derived.
    pub(crate) fn from_bodies(
        text: Option<String>,
        html: Option<String>,
        channel: &str,
        metadata: Option<Value>,
    ) -> AppResult<MessageParts> {
        let size = text.as_ref().map_or(0, String::len) + html.as_ref().map_or(0, String::len);
        if size > MAX_BODY_BYTES {
            return Err(AppError::TooLarge(format!(
                "the message body is {size} bytes; at most {MAX_BODY_BYTES} are accepted"
            )));
        }
        let html = html
            .filter(|h| !h.trim().is_empty())
            .map(|h| sanitize_html(&h));
        let text = match (text.filter(|t| !t.trim().is_empty()), &html) {
            (Some(t), _) => t,
            (None, Some(h)) => html_to_text(h),
            (None, None) => return Err(AppError::invalid("body_text", "the message is empty")),
        };
        if text.trim().is_empty() {
            return Err(AppError::invalid("body_text", "the message is empty"));
        }
        let metadata = metadata.unwrap_or_else(|| json!({}));
        if !metadata.is_object() {
            return Err(AppError::invalid("metadata", "must be an object"));
        }
        Ok(MessageParts {
            public: true,
            text,
            html,
            channel: channel.to_string(),
            metadata,
        })
    }
}

/// Writes a message on `ticket` and what it does to the ticket: a customer's reply reopens
/// a waiting or solved ticket, an agent's first public reply marks the first response, and
/// any message on a closed ticket opens a follow-up ticket linked to it, where the message
/// goes instead. Returns the message and the ticket it landed on, saved.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn insert_message<C: Conn>(
    repos: &Repos<'_, C>,
    ctx: &Ctx,
    statuses: &[StatusRow],
    mut ticket: TicketRow,
    author: &UserRow,
    parts: MessageParts,
    files: Vec<StoredFile>,
    now: i64,
    ticket_is_new: bool,
) -> AppResult<(MessageView, TicketRow)> {
    let author_role = Role::parse(&author.role)?;
    let public = parts.public || author_role == Role::Customer;
    let mut ticket_is_new = ticket_is_new;
    if category_of(statuses, ticket.status_id)? == StatusCategory::Closed {
        ticket = open_follow_up(repos, ctx, statuses, &ticket, now).await?;
        ticket_is_new = true;
    }
    let html = parts.html.unwrap_or_else(|| text_to_html(&parts.text));
    let message = repos
        .insert_message(MessageRow {
            id: 0,
            ticket_id: ticket.id,
            author_id: author.id,
            public,
            body_text: parts.text,
            body_html: html,
            channel: parts.channel,
            metadata: parts.metadata,
            created_at: now,
        })
        .await?;
    let mut attachments = Vec::with_capacity(files.len());
    for f in files {
        attachments.push(
            repos
                .insert_attachment(AttachmentRow {
                    id: 0,
                    ticket_id: ticket.id,
                    message_id: Some(message.id),
                    filename: f.filename,
                    content_type: f.content_type,
                    size: f.size,
                    sha256: f.sha256,
                    uploaded_by: author.id,
                    created_at: now,
                })
                .await?,
        );
    }
    emit(
        repos,
        ctx,
        Some(ticket.id),
        EventKind::MessageAdded,
        json!({
            "message_id": message.id,
            "public": public,
            "author_id": author.id,
            "author_role": author_role.as_str(),
            "channel": message.channel,
            "attachments": attachments.len(),
            "opening": ticket_is_new,
        }),
        now,
    )
    .await?;
    // What the message does to the ticket.
    let mut moved = Vec::new();
    let mut status_change = None;
    let category = category_of(statuses, ticket.status_id)?;
    if author_role == Role::Customer {
        let next = category.after_customer_reply();
        if next != category {
            let from = statuses
                .iter()
                .find(|s| s.id == ticket.status_id)
                .cloned()
                .ok_or_else(|| AppError::Internal("unknown status".into()))?;
            let to = builtin_status(statuses, next)?.clone();
            set_status(&mut ticket, &from, &to, now)?;
            moved.push(triage_domain::FieldChange {
                field: "status".into(),
                from: json!(from.name),
                to: json!(to.name),
            });
            status_change = Some((from, to));
        }
    } else if public && ticket.first_response_at.is_none() && author.id != ticket.requester_id {
        moved.push(triage_domain::FieldChange {
            field: "first_response_at".into(),
            from: Value::Null,
            to: json!(now),
        });
        ticket.first_response_at = Some(now);
    }
    let ticket = if moved.is_empty() && ticket_is_new {
        // Written in this same command: nothing to bump.
        ticket
    } else if moved.is_empty() {
        // The ticket was still touched: bump its version and time without a field event.
        let base = ticket.version;
        ticket.version += 1;
        ticket.updated_at = now;
        if !repos.save_ticket(ticket.clone(), base).await? {
            return Err(AppError::Conflict(format!(
                "ticket #{} changed meanwhile; try again",
                ticket.id
            )));
        }
        ticket
    } else {
        save_with_events(repos, ctx, ticket, &moved, status_change, now).await?
    };
    let view = MessageView {
        message,
        attachments,
        author_name: author.name.clone(),
        author_role: author_role.as_str().to_string(),
    };
    Ok((view, ticket))
}

/// Opens a follow-up of a closed ticket: same requester, group, priority, type and tags,
/// linked back to it.
async fn open_follow_up<C: Conn>(
    repos: &Repos<'_, C>,
    ctx: &Ctx,
    statuses: &[StatusRow],
    closed: &TicketRow,
    now: i64,
) -> AppResult<TicketRow> {
    let status = builtin_status(statuses, StatusCategory::Open)?.clone();
    let subject = ticket::validate_subject(&format!("Follow-up: {}", closed.subject))
        .or_else(|_| ticket::validate_subject(&closed.subject))?;
    let row = TicketRow {
        id: 0,
        subject,
        status_id: status.id,
        priority: closed.priority.clone(),
        kind: closed.kind.clone(),
        requester_id: closed.requester_id,
        assignee_id: closed.assignee_id,
        group_id: closed.group_id,
        organization_id: closed.organization_id,
        tags: closed.tags.clone(),
        custom_fields: closed.custom_fields.clone(),
        channel: closed.channel.clone(),
        external_id: None,
        due_at: None,
        created_at: now,
        updated_at: now,
        first_response_at: None,
        solved_at: None,
        closed_at: None,
        merged_into: None,
        deleted_at: None,
        version: 1,
    };
    let follow_up = insert_ticket_row(repos, ctx, row, &status).await?;
    link(
        repos,
        ctx,
        follow_up.id,
        closed.id,
        LinkKind::FollowUpOf,
        now,
    )
    .await?;
    Ok(follow_up)
}

/// Records a link and its event on both tickets.
pub(crate) async fn link<C: Conn>(
    repos: &Repos<'_, C>,
    ctx: &Ctx,
    from: i64,
    to: i64,
    kind: LinkKind,
    now: i64,
) -> AppResult<bool> {
    let new = repos
        .insert_link(LinkRow {
            ticket_id: from,
            other_id: to,
            kind: kind.as_str().to_string(),
            created_at: now,
        })
        .await?;
    if new {
        emit(
            repos,
            ctx,
            Some(from),
            EventKind::TicketLinked,
            json!({"kind": kind.as_str(), "other": to}),
            now,
        )
        .await?;
        emit(
            repos,
            ctx,
            Some(to),
            EventKind::TicketLinked,
            json!({"kind": kind.inverse(), "other": from}),
            now,
        )
        .await?;
    }
    Ok(new)
}

impl App {
    /// Adds a reply or note to a ticket, optionally setting its status in the same step.
    /// Returns the message and the ticket it landed on (a follow-up, for a closed ticket).
    pub async fn add_message(
        &self,
        ctx: &Ctx,
        id: i64,
        new: NewMessage,
    ) -> AppResult<(MessageView, TicketView)> {
        let mut changes = new.changes.clone().unwrap_or_default();
        if new.status.is_some() {
            changes.status = new.status.clone();
        }
        if !changes.is_empty() {
            ctx.actor.require_staff()?;
        }
        let channel = new.channel.clone().unwrap_or_else(|| "api".into());
        let mut parts =
            MessageParts::from_bodies(new.body_text, new.body_html, &channel, new.metadata)?;
        parts.public = new.public || !ctx.actor.is_staff();
        if let Some(status) = &changes.status {
            self.check_transition(id, status, parts.public && ctx.actor.is_staff())
                .await?;
        }
        let config = self.config_snapshot().await?;
        let ctx = ctx.clone();
        let result = self
            .command(move |tx| {
                Box::pin(async move {
                    let repos = tx.repos();
                    let statuses = config.statuses.clone();
                    let ticket = load_visible(&repos, &ctx.actor, id).await?;
                    if ticket.merged_into.is_some() {
                        return Err(AppError::Conflict(format!(
                            "ticket #{id} was merged into #{}; write there",
                            ticket.merged_into.unwrap_or_default()
                        )));
                    }
                    let author = repos
                        .user(ctx.actor.user_id)
                        .await?
                        .ok_or_else(|| AppError::Internal("acting user is missing".into()))?;
                    let now = ctx.now();
                    let (message, mut ticket) = insert_message(
                        &repos,
                        &ctx,
                        &statuses,
                        ticket,
                        &author,
                        parts,
                        new.attachments,
                        now,
                        false,
                    )
                    .await?;
                    if !changes.is_empty() {
                        let (moved, change) = super::changes::apply_changes(
                            &repos,
                            &statuses,
                            &mut ticket,
                            &changes,
                            now,
                        )
                        .await?;
                        ticket =
                            save_with_events(&repos, &ctx, ticket, &moved, change, now).await?;
                    }
                    Ok((message, TicketView::new(ticket, &statuses)?))
                })
            })
            .await?;
        Ok(result)
    }

    /// A ticket's messages in order: staff see notes too, customers public replies only.
    pub async fn list_messages(
        &self,
        actor: &triage_domain::Actor,
        id: i64,
        after: i64,
        limit: u64,
    ) -> AppResult<Vec<MessageView>> {
        let repos = self.store.read();
        load_visible(&repos, actor, id).await?;
        let messages = repos
            .ticket_messages(id, actor.is_staff(), after, limit)
            .await?;
        let ids: Vec<i64> = messages.iter().map(|m| m.id).collect();
        let attachments = repos.message_attachments(&ids).await?;
        let mut author_ids: Vec<i64> = messages.iter().map(|m| m.author_id).collect();
        author_ids.sort();
        author_ids.dedup();
        let authors = repos.users_by_ids(&author_ids).await?;
        Ok(messages
            .into_iter()
            .map(|m| {
                let author = authors.iter().find(|u| u.id == m.author_id);
                MessageView {
                    attachments: attachments
                        .iter()
                        .filter(|a| a.message_id == Some(m.id))
                        .cloned()
                        .collect(),
                    author_name: author.map(|u| u.name.clone()).unwrap_or_default(),
                    author_role: author.map(|u| u.role.clone()).unwrap_or_default(),
                    message: m,
                }
            })
            .collect())
    }
}
