//! The customer portal: submit a ticket, follow one's tickets (public messages only),
//! reply, and rate a solved ticket.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use triage_app::domain::StatusCategory;
use triage_app::tickets::{Idempotency, ListQuery, NewMessage, NewTicket};
use triage_app::views::Score;
use triage_app::{Ctx, now_millis};

use super::render;
use super::ticket::{MessageItem, message_items};
use crate::Web;
use crate::error::{WebError, WebResult};
use crate::forms::FormData;
use crate::session::Signed;
use crate::view::{Layout, ago, datetime};

#[derive(Debug, Deserialize, Default)]
pub(crate) struct PortalQuery {
    done: Option<String>,
    cursor: Option<String>,
}

#[derive(Debug)]
struct PortalRow {
    id: i64,
    subject: String,
    status: String,
    category: String,
    updated: String,
    updated_title: String,
}

#[derive(Template)]
#[template(path = "portal/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<PortalRow>,
    next_href: String,
}

#[derive(Template)]
#[template(path = "portal/new.html")]
struct NewPage {
    layout: Layout,
    form_key: String,
}

#[derive(Template)]
#[template(path = "portal/ticket.html")]
struct TicketPage {
    layout: Layout,
    id: i64,
    subject: String,
    status: String,
    category: String,
    created_title: String,
    messages: Vec<MessageItem>,
    can_reply: bool,
    can_rate: bool,
    rating: String,
    rating_comment: String,
}

/// The customer's tickets, most recently updated first.
pub(crate) async fn list(
    State(web): State<Web>,
    signed: Signed,
    Query(q): Query<PortalQuery>,
) -> WebResult<Response> {
    let now = now_millis();
    let page = web
        .app
        .list_tickets(
            signed.actor(),
            ListQuery {
                sort: Some("-updated".into()),
                limit: Some(50),
                cursor: q.cursor.clone(),
                ..ListQuery::default()
            },
        )
        .await?;
    let rows = page
        .items
        .iter()
        .map(|t| PortalRow {
            id: t.ticket.id,
            subject: t.ticket.subject.clone(),
            status: customer_status(t.category()),
            category: t.status.category.clone(),
            updated: ago(t.ticket.updated_at, now),
            updated_title: datetime(t.ticket.updated_at),
        })
        .collect();
    render(ListPage {
        layout: Layout::new(Some(&signed), "My tickets", "portal").with_notice(q.done.as_deref()),
        rows,
        next_href: page
            .next_cursor
            .map(|c| format!("/portal?{}", crate::view::query_string(&[("cursor", &c)])))
            .unwrap_or_default(),
    })
}

/// What a customer sees of a status: its category in plain words, not internal names.
fn customer_status(category: StatusCategory) -> String {
    match category {
        StatusCategory::New | StatusCategory::Open | StatusCategory::OnHold => "Open",
        StatusCategory::Pending => "Awaiting your reply",
        StatusCategory::Solved => "Solved",
        StatusCategory::Closed => "Closed",
    }
    .to_string()
}

fn form_key(signed: &Signed) -> String {
    let mut hash = Sha256::new();
    hash.update(signed.csrf().as_bytes());
    hash.update(now_millis().to_le_bytes());
    hash.update(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
            .to_le_bytes(),
    );
    hex::encode(&hash.finalize()[..16])
}

/// The form to open a ticket.
pub(crate) async fn new_form(signed: Signed) -> WebResult<Response> {
    render(NewPage {
        form_key: form_key(&signed),
        layout: Layout::new(Some(&signed), "New request", "portal"),
    })
}

/// Opens a ticket; sending the same form twice opens it once.
pub(crate) async fn create(
    State(web): State<Web>,
    signed: Signed,
    mut form: FormData,
) -> WebResult<Response> {
    signed.check_csrf(form.csrf())?;
    let subject = form.get("subject").to_string();
    let body = form.get("body").to_string();
    let idempotency = form.opt("form_key").map(|key| Idempotency {
        key: format!("portal:{}:{key}", signed.actor().user_id),
        fingerprint: hex::encode(Sha256::digest(format!("{subject}\u{0}{body}").as_bytes())),
    });
    let attachments = form.store_files(&web.app).await?;
    let (ticket, _) = web
        .app
        .create_ticket(
            &Ctx::api(signed.actor().clone()),
            NewTicket {
                subject,
                body_text: Some(body),
                channel: Some("web".into()),
                attachments,
                ..NewTicket::default()
            },
            idempotency,
        )
        .await?;
    Ok(Redirect::to(&format!(
        "/portal/tickets/{}?done=created",
        ticket.ticket.id
    ))
    .into_response())
}

/// One of the customer's tickets.
pub(crate) async fn show(
    State(web): State<Web>,
    signed: Signed,
    Path(id): Path<i64>,
    Query(q): Query<PortalQuery>,
) -> WebResult<Response> {
    let actor = signed.actor();
    let view = web.app.get_ticket(actor, id).await?;
    let messages = web.app.list_messages(actor, id, 0, 1000).await?;
    let category = view.category();
    let solved = matches!(category, StatusCategory::Solved | StatusCategory::Closed);
    let current = web
        .app
        .ticket_ratings(actor, id)
        .await?
        .into_iter()
        .find(|r| Some(r.solved_at) == view.ticket.solved_at);
    render(TicketPage {
        layout: Layout::new(
            Some(&signed),
            format!("#{id} {}", view.ticket.subject),
            "portal",
        )
        .with_notice(q.done.as_deref()),
        id,
        subject: view.ticket.subject.clone(),
        status: customer_status(category),
        category: view.status.category.clone(),
        created_title: datetime(view.ticket.created_at),
        messages: message_items(&messages, now_millis()),
        can_reply: view.ticket.merged_into.is_none(),
        can_rate: solved && view.ticket.requester_id == actor.user_id,
        rating: current
            .as_ref()
            .map(|r| r.score.clone())
            .unwrap_or_default(),
        rating_comment: current.map(|r| r.comment).unwrap_or_default(),
    })
}

/// The customer's reply (a closed ticket gets a follow-up ticket).
pub(crate) async fn reply(
    State(web): State<Web>,
    signed: Signed,
    Path(id): Path<i64>,
    mut form: FormData,
) -> WebResult<Response> {
    signed.check_csrf(form.csrf())?;
    let body = form.get("body").to_string();
    let attachments = form.store_files(&web.app).await?;
    let (_, ticket) = web
        .app
        .add_message(
            &Ctx::api(signed.actor().clone()),
            id,
            NewMessage {
                public: true,
                body_text: Some(body),
                attachments,
                channel: Some("web".into()),
                ..NewMessage::default()
            },
        )
        .await?;
    Ok(Redirect::to(&format!("/portal/tickets/{}?done=sent", ticket.ticket.id)).into_response())
}

/// Rates the solved ticket.
pub(crate) async fn rate(
    State(web): State<Web>,
    signed: Signed,
    Path(id): Path<i64>,
    form: FormData,
) -> WebResult<Response> {
    signed.check_csrf(form.csrf())?;
    let score = Score::parse(form.get("score"))
        .map_err(|_| WebError::BadRequest("choose good or bad".into()))?;
    web.app
        .rate_ticket(
            &Ctx::api(signed.actor().clone()),
            id,
            score,
            form.get("comment"),
        )
        .await?;
    Ok(Redirect::to(&format!("/portal/tickets/{id}?done=rated")).into_response())
}

#[derive(Template)]
#[template(path = "rate.html")]
struct RatePage {
    layout: Layout,
    token: String,
    ticket_id: i64,
    subject: String,
    used: bool,
    done: bool,
    error: String,
}

fn rate_page(
    token: &str,
    invite: triage_app::csat::RatingInvite,
    done: bool,
    error: &str,
) -> RatePage {
    RatePage {
        layout: Layout::new(None, "Rate your ticket", "portal"),
        token: token.to_string(),
        ticket_id: invite.ticket_id,
        subject: invite.subject,
        used: invite.used,
        done,
        error: error.to_string(),
    }
}

/// The rating link's page: no sign-in, the token is the credential.
pub(crate) async fn rate_link_form(
    State(web): State<Web>,
    Path(token): Path<String>,
) -> WebResult<Response> {
    let invite = web.app.rating_invite(&token).await?;
    render(rate_page(&token, invite, false, ""))
}

/// Rates through the link, once.
pub(crate) async fn rate_link(
    State(web): State<Web>,
    Path(token): Path<String>,
    form: FormData,
) -> WebResult<Response> {
    let invite = web.app.rating_invite(&token).await?;
    let Ok(score) = Score::parse(form.get("score")) else {
        return render(rate_page(&token, invite, false, "Choose good or bad."));
    };
    web.app
        .rate_by_link(&token, score, form.get("comment"))
        .await?;
    render(rate_page(&token, invite, true, ""))
}
