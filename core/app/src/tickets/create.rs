//! Opening a ticket with its first message.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use triage_domain::{EventKind, Priority, Role, StatusCategory, TicketType, text, ticket};
use triage_store::repo::auth::IdempotentResponse;
use triage_store::{Conn, Repos, StatusRow, TicketRow, UserRow};

use super::changes::{TicketChanges, apply_changes};
use super::messages::{MessageParts, insert_message};
use super::{TicketView, builtin_status, emit};
use crate::attachments::StoredFile;
use crate::directory::{apply_values, organization_for_email};
use crate::{App, AppError, AppResult, Ctx};

/// Who a ticket is for.
#[derive(Debug, Clone, PartialEq)]
pub enum RequesterRef {
    /// An existing user.
    Id(i64),
    /// A customer by email, created (with this name) if new.
    Email { email: String, name: Option<String> },
}

/// A ticket to open.
#[derive(Debug, Clone, Default)]
pub struct NewTicket {
    pub subject: String,
    /// The first message as plain text (or derived from `body_html`).
    pub body_text: Option<String>,
    /// The first message as HTML; sanitized.
    pub body_html: Option<String>,
    /// Whom the ticket is for; a customer always opens for themself.
    pub requester: Option<RequesterRef>,
    pub status: Option<String>,
    pub priority: Option<String>,
    pub kind: Option<String>,
    pub assignee_id: Option<i64>,
    pub group_id: Option<i64>,
    pub tags: Vec<String>,
    pub custom_fields: BTreeMap<String, Value>,
    /// The channel it came in by (`api`, `web`, `email` …).
    pub channel: Option<String>,
    pub external_id: Option<String>,
    pub due_at: Option<i64>,
    /// Channel metadata of the first message.
    pub metadata: Option<Value>,
    pub attachments: Vec<StoredFile>,
}

/// A retried create carrying an `Idempotency-Key`.
#[derive(Debug, Clone)]
pub struct Idempotency {
    pub key: String,
    /// A hash of the request, so the same key with another request is refused.
    pub fingerprint: String,
}

fn check_channel(channel: &str) -> AppResult<String> {
    let ok = !channel.is_empty()
        && channel.len() <= 32
        && channel
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if ok {
        Ok(channel.to_string())
    } else {
        Err(AppError::invalid(
            "channel",
            "use 1 to 32 of a-z, 0-9, - and _",
        ))
    }
}

/// Finds the requester, creating a customer for an unknown email.
pub(crate) async fn resolve_requester<C: Conn>(
    repos: &Repos<'_, C>,
    requester: &RequesterRef,
    now: i64,
) -> AppResult<UserRow> {
    match requester {
        RequesterRef::Id(id) => {
            repos.user(*id).await?.filter(|u| u.active).ok_or_else(|| {
                AppError::invalid("requester", format!("there is no active user {id}"))
            })
        }
        RequesterRef::Email { email, name } => {
            let email = text::normalize_email(email)?;
            if let Some(user) = repos.user_by_email(&email).await? {
                return Ok(user);
            }
            let name = match name {
                Some(n) => text::validate_name("requester.name", n)?,
                None => email.split('@').next().unwrap_or("customer").to_string(),
            };
            let organization_id =
                organization_for_email(&repos.list_organizations().await?, &email);
            Ok(repos
                .insert_user(UserRow {
                    id: 0,
                    email,
                    name,
                    role: Role::Customer.as_str().to_string(),
                    password_hash: None,
                    organization_id,
                    active: true,
                    created_at: now,
                    updated_at: now,
                })
                .await?)
        }
    }
}

/// Inserts a ticket row with the next number and its `ticket.created` event.
pub(crate) async fn insert_ticket_row<C: Conn>(
    repos: &Repos<'_, C>,
    ctx: &Ctx,
    mut row: TicketRow,
    status: &StatusRow,
) -> AppResult<TicketRow> {
    row.id = repos.next_ticket_number().await?;
    repos.insert_ticket(row.clone()).await?;
    let tags = triage_store::repo::json_strings(&row.tags);
    if !tags.is_empty() {
        repos.set_ticket_tags(row.id, &tags).await?;
    }
    emit(
        repos,
        ctx,
        Some(row.id),
        EventKind::TicketCreated,
        json!({
            "subject": row.subject,
            "status": super::status_json(status),
            "priority": row.priority,
            "type": row.kind,
            "requester_id": row.requester_id,
            "assignee_id": row.assignee_id,
            "group_id": row.group_id,
            "organization_id": row.organization_id,
            "tags": tags,
            "custom_fields": row.custom_fields,
            "channel": row.channel,
        }),
        row.created_at,
    )
    .await?;
    Ok(row)
}

impl App {
    /// Opens a ticket with its first message. Customers open for themselves and may set
    /// only the subject, text, custom fields and attachments; staff open on behalf of any
    /// requester. With an idempotency key, a retry returns the ticket the first call made.
    /// Returns the ticket and whether it was made by an earlier call with the same key.
    pub async fn create_ticket(
        &self,
        ctx: &Ctx,
        new: NewTicket,
        idempotency: Option<Idempotency>,
    ) -> AppResult<(TicketView, bool)> {
        let actor = &ctx.actor;
        if actor.role == Role::Customer {
            let staff_only = [
                (new.requester.is_some(), "requester"),
                (new.status.is_some(), "status"),
                (new.priority.is_some(), "priority"),
                (new.kind.is_some(), "type"),
                (new.assignee_id.is_some(), "assignee_id"),
                (new.group_id.is_some(), "group_id"),
                (!new.tags.is_empty(), "tags"),
                (new.external_id.is_some(), "external_id"),
                (new.due_at.is_some(), "due_at"),
            ];
            if let Some((_, field)) = staff_only.iter().find(|(set, _)| *set) {
                return Err(AppError::forbidden(format!("customers cannot set {field}")));
            }
        }
        let subject = ticket::validate_subject(&new.subject)?;
        let priority = Priority::parse(new.priority.as_deref().unwrap_or("normal"))?;
        let kind = TicketType::parse(new.kind.as_deref().unwrap_or("question"))?;
        let channel = check_channel(new.channel.as_deref().unwrap_or("api"))?;
        let tags = text::normalize_tags(&new.tags)?;
        let parts = MessageParts::from_bodies(
            new.body_text.clone(),
            new.body_html.clone(),
            &channel,
            new.metadata.clone(),
        )?;
        let requester = match (&new.requester, actor.role) {
            (_, Role::Customer) => RequesterRef::Id(actor.user_id),
            (Some(r), _) => r.clone(),
            (None, _) => return Err(AppError::invalid("requester", "say whom the ticket is for")),
        };
        // Reads that do not need the write transaction happen here, in parallel with other
        // requests, so the single writer only writes. Statuses and fields are never deleted,
        // so what is read here is still valid inside the transaction.
        let reader = self.store.read();
        let config = self.config_snapshot().await?;
        let statuses = config.statuses.clone();
        let defs = config.active_defs.clone();
        let known_requester = match &requester {
            RequesterRef::Id(id) => Some(reader.user(*id).await?.filter(|u| u.active).ok_or_else(
                || AppError::invalid("requester", format!("there is no active user {id}")),
            )?),
            RequesterRef::Email { email, .. } => {
                reader.user_by_email(&text::normalize_email(email)?).await?
            }
        };
        let ctx = ctx.clone();
        let result = self
            .command_creating(1, move |tx| {
                Box::pin(async move {
                    let repos = tx.repos();
                    if let Some(idem) = &idempotency
                        && let Some(previous) = repos
                            .idempotent_response(ctx.actor.user_id, &idem.key)
                            .await?
                    {
                        if previous.fingerprint != idem.fingerprint {
                            return Err(AppError::invalid(
                                "Idempotency-Key",
                                "this key was already used for a different request",
                            ));
                        }
                        let id: i64 = previous
                            .body
                            .parse()
                            .map_err(|_| AppError::Internal("bad idempotency record".into()))?;
                        let statuses = repos.list_statuses().await?;
                        let ticket = repos
                            .ticket(id)
                            .await?
                            .ok_or_else(|| AppError::ticket_not_found(id))?;
                        return Ok((TicketView::new(ticket, &statuses)?, true));
                    }
                    let now = ctx.now();
                    let requester = match known_requester {
                        Some(user) => user,
                        None => resolve_requester(&repos, &requester, now).await?,
                    };
                    let custom_fields = apply_values(&defs, &BTreeMap::new(), &new.custom_fields)?;
                    let new_status = builtin_status(&statuses, StatusCategory::New)?.clone();
                    let row = TicketRow {
                        id: 0,
                        subject,
                        status_id: new_status.id,
                        priority: priority.as_str().to_string(),
                        kind: kind.as_str().to_string(),
                        requester_id: requester.id,
                        assignee_id: None,
                        group_id: None,
                        organization_id: requester.organization_id,
                        tags: json!(tags),
                        custom_fields: json!(custom_fields),
                        channel,
                        external_id: new.external_id.clone(),
                        due_at: new.due_at,
                        created_at: now,
                        updated_at: now,
                        first_response_at: None,
                        solved_at: None,
                        closed_at: None,
                        merged_into: None,
                        deleted_at: None,
                        version: 1,
                    };
                    let mut ticket = insert_ticket_row(&repos, &ctx, row, &new_status).await?;
                    // The first message is the requester's words, whoever typed them in.
                    let (_, saved) = insert_message(
                        &repos,
                        &ctx,
                        &statuses,
                        ticket,
                        &requester,
                        parts,
                        new.attachments,
                        now,
                        true,
                    )
                    .await?;
                    ticket = saved;
                    // Assignment, group and status go through the same checks as an update.
                    let changes = TicketChanges {
                        status: new.status,
                        assignee_id: new.assignee_id.map(Some),
                        group_id: new.group_id.map(Some),
                        ..TicketChanges::default()
                    };
                    if !changes.is_empty() {
                        let (moved, status_change) =
                            apply_changes(&repos, &statuses, &mut ticket, &changes, now).await?;
                        ticket = super::changes::save_with_events(
                            &repos,
                            &ctx,
                            ticket,
                            &moved,
                            status_change,
                            now,
                        )
                        .await?;
                    }
                    if let Some(idem) = idempotency {
                        repos
                            .insert_idempotent_response(
                                ctx.actor.user_id,
                                &idem.key,
                                IdempotentResponse {
                                    fingerprint: idem.fingerprint,
                                    status: 201,
                                    body: ticket.id.to_string(),
                                },
                                now,
                            )
                            .await?;
                    }
                    Ok((TicketView::new(ticket, &statuses)?, false))
                })
            })
            .await?;
        let (mut view, replayed) = result;
        // The `sla` consumer stores the clocks a moment later; the creator sees them now.
        // The ticket is written: a failed read here must not turn that into an error.
        if actor.role.is_staff() {
            match self.current_sla(&view.ticket).await {
                Ok(sla) => view.sla = sla,
                Err(err) => {
                    tracing::warn!(ticket = view.ticket.id, error = %err, "sla of a new ticket")
                }
            }
        }
        Ok((view, replayed))
    }
}
