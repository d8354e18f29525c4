//! The ticket page: the conversation, the reply box, the side panel, the requester's card,
//! history, links and similar solved tickets; and the forms it sends.

use askama::Template;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::Digest;
use triage_app::search::SearchParams;
use triage_app::tickets::{MessageView, NewMessage, TicketChanges, TicketView};
use triage_app::{AppError, Ctx, now_millis};

use super::render;
use super::tickets::pickers;
use crate::Web;
use crate::error::{WebError, WebResult, describe};
use crate::forms::FormData;
use crate::session::Staff;
use crate::view::{Layout, ago, datetime, rail, status_name, views};

/// A message as the conversation shows it.
#[derive(Debug, Clone)]
pub(crate) struct MessageItem {
    pub id: i64,
    pub public: bool,
    pub author: String,
    pub from_customer: bool,
    /// Sanitized when it was stored.
    pub body_html: String,
    pub when: String,
    pub when_title: String,
    pub channel: String,
    pub attachments: Vec<(i64, String, String)>,
}

pub(crate) fn message_items(messages: &[MessageView], now: i64) -> Vec<MessageItem> {
    messages
        .iter()
        .map(|m| MessageItem {
            id: m.message.id,
            public: m.message.public,
            author: m.author_name.clone(),
            from_customer: m.author_role == "customer",
            body_html: m.message.body_html.clone(),
            when: ago(m.message.created_at, now),
            when_title: datetime(m.message.created_at),
            channel: m.message.channel.clone(),
            attachments: m
                .attachments
                .iter()
                .map(|a| (a.id, a.filename.clone(), human_size(a.size)))
                .collect(),
        })
        .collect()
}

fn human_size(bytes: i64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1024 * 1024 => format!("{:.0} KB", b as f64 / 1024.0),
        b => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
    }
}

/// A custom field in the side panel.
#[derive(Debug, Clone)]
pub(crate) struct FieldInput {
    pub key: String,
    pub label: String,
    pub kind: String,
    pub value: String,
    pub checked: bool,
    pub options: Vec<(String, bool)>,
}

#[derive(Debug, Clone)]
pub(crate) struct HistoryItem {
    pub what: String,
    pub who: String,
    pub when: String,
    pub when_title: String,
}

#[derive(Debug, Clone)]
pub(crate) struct TicketLink {
    pub kind: String,
    pub id: i64,
}

#[derive(Debug, Clone)]
pub(crate) struct OtherTicket {
    pub id: u64,
    pub subject: String,
    pub status: String,
    pub category: String,
}

/// Everything the panel shows about the ticket.
impl OtherTicket {
    fn of(page: &triage_app::search::SearchPage, hit: &triage_app::search::Hit) -> OtherTicket {
        OtherTicket {
            id: hit.id,
            subject: hit.subject.clone(),
            status: status_name(page, hit.status_id),
            category: hit.category.clone(),
        }
    }
}

#[derive(Debug)]
pub(crate) struct Panel {
    pub id: i64,
    pub version: i64,
    pub statuses: Vec<(String, bool)>,
    pub priorities: Vec<(&'static str, bool)>,
    pub kinds: Vec<(&'static str, bool)>,
    pub agents: Vec<(i64, String, bool)>,
    pub groups: Vec<(i64, String, bool)>,
    pub tags: String,
    pub fields: Vec<FieldInput>,
    pub csrf: String,
    pub closed: bool,
}

#[derive(Template)]
#[template(path = "ticket.html")]
struct TicketPage {
    layout: Layout,
    t: TicketHead,
    messages: Vec<MessageItem>,
    panel: Panel,
    seen: i64,
    macros: Vec<(i64, String)>,
    statuses: Vec<String>,
    requester: RequesterCard,
    history: Vec<HistoryItem>,
    links: Vec<TicketLink>,
    similar: Vec<OtherTicket>,
    viewers: Vec<(String, bool)>,
    /// Messages others wrote since the reply was started (the collision warning).
    meanwhile: Vec<MessageItem>,
    draft: String,
    draft_public: bool,
    draft_status: String,
    ratings: Vec<(String, String, String)>,
    /// The link that lets the requester rate the current solve; empty while unsolved.
    rating_link: String,
    sla: Option<SlaCard>,
}

/// A ticket's SLA on its page.
#[derive(Debug)]
struct SlaCard {
    policy: String,
    state: String,
    label: &'static str,
    /// (target, state, label, when, exact time)
    clocks: Vec<(String, String, &'static str, String, String)>,
}

fn sla_card(sla: &triage_app::sla::TicketSla, now: i64) -> SlaCard {
    let clocks = sla
        .clocks
        .iter()
        .map(|c| {
            let target = match c.target.as_str() {
                "first_response" => "First response",
                "next_response" => "Next response",
                _ => "Resolution",
            };
            let (when, exact) = if let Some(met) = c.met_at {
                (format!("answered {}", ago(met, now)), datetime(met))
            } else if c.paused {
                ("paused while waiting".to_string(), String::new())
            } else if let Some(due) = c.due_at {
                (
                    format!("due {}", crate::view::due_in(due, now)),
                    datetime(due),
                )
            } else {
                (String::new(), String::new())
            };
            let when = if c.target == "resolution" && c.met_at.is_some() {
                when.replacen("answered", "solved", 1)
            } else {
                when
            };
            (
                target.to_string(),
                c.state.clone(),
                crate::view::sla_label(&c.state),
                when,
                exact,
            )
        })
        .collect();
    SlaCard {
        policy: sla.policy.clone(),
        state: sla.state.clone(),
        label: crate::view::sla_label(&sla.state),
        clocks,
    }
}

#[derive(Debug)]
pub(crate) struct TicketHead {
    pub id: i64,
    pub subject: String,
    pub status: String,
    pub category: String,
    pub priority: String,
    pub channel: String,
    pub created: String,
    pub created_title: String,
    pub merged_into: Option<i64>,
}

#[derive(Debug)]
pub(crate) struct RequesterCard {
    pub name: String,
    pub email: String,
    pub organization: String,
    pub others: Vec<OtherTicket>,
}

#[derive(Template)]
#[template(path = "conversation.html")]
struct ConversationFragment {
    messages: Vec<MessageItem>,
}

#[derive(Template)]
#[template(path = "panel.html")]
struct PanelFragment {
    panel: Panel,
}

#[derive(Debug, Deserialize, Default)]
pub(crate) struct TicketQuery {
    fragment: Option<String>,
    done: Option<String>,
}

async fn build_panel(web: &Web, staff: &Staff, view: &TicketView) -> WebResult<Panel> {
    let pickers = pickers(web, staff).await?;
    let t = &view.ticket;
    let fields = web
        .app
        .list_custom_fields()
        .await?
        .into_iter()
        .filter(|f| f.active)
        .map(|f| {
            let value = view
                .custom_fields
                .get(&f.key)
                .cloned()
                .unwrap_or(Value::Null);
            let text = match &value {
                Value::Null => String::new(),
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let options = f
                .options
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|o| o.as_str())
                        .map(|o| (o.to_string(), o == text))
                        .collect()
                })
                .unwrap_or_default();
            FieldInput {
                checked: value == Value::Bool(true),
                key: f.key,
                label: f.label,
                kind: f.kind,
                value: text,
                options,
            }
        })
        .collect();
    Ok(Panel {
        id: t.id,
        version: t.version,
        statuses: pickers
            .statuses
            .into_iter()
            .map(|s| {
                let current = s == view.status.name;
                (s, current)
            })
            .collect(),
        priorities: ["low", "normal", "high", "urgent"]
            .into_iter()
            .map(|p| (p, p == t.priority))
            .collect(),
        kinds: ["question", "incident", "problem", "task"]
            .into_iter()
            .map(|k| (k, k == t.kind))
            .collect(),
        agents: pickers
            .agents
            .into_iter()
            .map(|(id, name)| (id, name, Some(id) == t.assignee_id))
            .collect(),
        groups: pickers
            .groups
            .into_iter()
            .map(|(id, name)| (id, name, Some(id) == t.group_id))
            .collect(),
        tags: view.tags.join(", "),
        fields,
        csrf: staff.0.csrf().to_string(),
        closed: view.category() == triage_app::domain::StatusCategory::Closed,
    })
}

fn describe_event(kind: &str, data: &Value) -> String {
    let s = |k: &str| {
        data.get(k)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    match kind {
        "ticket.created" => "created the ticket".into(),
        "status.changed" => format!(
            "changed the status from {} to {}",
            data.pointer("/from/name")
                .and_then(Value::as_str)
                .unwrap_or("?"),
            data.pointer("/to/name")
                .and_then(Value::as_str)
                .unwrap_or("?")
        ),
        "message.added" => {
            if data.get("public").and_then(Value::as_bool).unwrap_or(false) {
                "replied".into()
            } else {
                "added an internal note".into()
            }
        }
        "ticket.updated" => {
            let fields: Vec<String> = data
                .get("changes")
                .and_then(Value::as_array)
                .map(|changes| {
                    changes
                        .iter()
                        .filter_map(|c| c.get("field").and_then(Value::as_str))
                        .map(str::to_string)
                        .collect()
                })
                .or_else(|| {
                    data.get("changes")
                        .and_then(Value::as_object)
                        .map(|o| o.keys().cloned().collect())
                })
                .unwrap_or_default();
            if fields.is_empty() {
                "updated the ticket".into()
            } else {
                format!("changed {}", fields.join(", "))
            }
        }
        "ticket.merged" => "merged tickets".into(),
        "ticket.linked" => format!(
            "linked #{}",
            data.get("other").map(Value::to_string).unwrap_or_default()
        ),
        "ticket.unlinked" => "removed a link".into(),
        "macro.applied" => format!("applied the macro {}", s("name")),
        "rating.received" => format!("rated it {}", s("score")),
        other => other.to_string(),
    }
}

#[allow(clippy::too_many_arguments)]
async fn ticket_page(
    web: &Web,
    staff: &Staff,
    id: i64,
    notice: Option<&str>,
    meanwhile: Vec<MessageItem>,
    draft: (String, bool, String),
    status: StatusCode,
) -> WebResult<Response> {
    let actor = staff.0.actor();
    let now = now_millis();
    let view = web.app.get_ticket(actor, id).await?;
    let messages = web.app.list_messages(actor, id, 0, 1000).await?;
    let seen = messages.iter().map(|m| m.message.id).max().unwrap_or(0);
    let panel = build_panel(web, staff, &view).await?;
    let requester = web.app.get_user(actor, view.ticket.requester_id).await?;
    let organization = match view.ticket.organization_id {
        Some(o) => web
            .app
            .get_organization(actor, o)
            .await
            .map(|o| o.name)
            .unwrap_or_default(),
        None => String::new(),
    };
    let others = match web
        .app
        .search(
            actor,
            SearchParams {
                q: format!("requester:\"{}\"", requester.email.replace('"', "")),
                sort: Some("-updated".into()),
                limit: Some(6),
                ..SearchParams::default()
            },
        )
        .await
    {
        Ok(page) => page
            .results
            .hits
            .iter()
            .filter(|h| h.id as i64 != id)
            .take(5)
            .map(|h| OtherTicket::of(&page, h))
            .collect(),
        Err(_) => Vec::new(),
    };
    let history = web
        .app
        .ticket_history(actor, id, 0, 500)
        .await?
        .into_iter()
        .rev()
        .map(|h| HistoryItem {
            what: describe_event(&h.kind, &h.data),
            who: h
                .actor_name
                .clone()
                .or_else(|| h.via_name.clone())
                .unwrap_or_else(|| "Triage".into()),
            when: ago(h.created_at, now),
            when_title: datetime(h.created_at),
        })
        .collect();
    let links = web
        .app
        .ticket_links(actor, id)
        .await?
        .into_iter()
        .map(|l| TicketLink {
            kind: l.kind.replace('_', " "),
            id: l.ticket_id,
        })
        .collect();
    let similar = match web.app.similar_tickets(actor, id, Some(5)).await {
        Ok(page) => page
            .results
            .hits
            .iter()
            .map(|h| OtherTicket::of(&page, h))
            .collect(),
        Err(_) => Vec::new(),
    };
    let macros = web
        .app
        .list_macros(actor)
        .await?
        .into_iter()
        .filter(|m| m.active)
        .map(|m| (m.id, m.name))
        .collect();
    let ratings = web
        .app
        .ticket_ratings(actor, id)
        .await?
        .into_iter()
        .map(|r| (r.score, r.comment, datetime(r.updated_at)))
        .collect();
    let viewers = web
        .app
        .viewers(id)
        .into_iter()
        .filter(|v| v.user_id != actor.user_id)
        .map(|v| (v.name, v.typing))
        .collect();
    let mut layout = Layout::new(
        Some(&staff.0),
        format!("#{id} {}", view.ticket.subject),
        "tickets",
    )
    .with_notice(notice);
    let defs = views(&web.app, &staff.0).await?;
    layout.rail = rail(&web.app, &staff.0, &defs, "").await?;
    let statuses = panel.statuses.iter().map(|(s, _)| s.clone()).collect();
    let page = TicketPage {
        layout,
        t: TicketHead {
            id,
            subject: view.ticket.subject.clone(),
            status: view.status.name.clone(),
            category: view.status.category.clone(),
            priority: view.ticket.priority.clone(),
            channel: view.ticket.channel.clone(),
            created: ago(view.ticket.created_at, now),
            created_title: datetime(view.ticket.created_at),
            merged_into: view.ticket.merged_into,
        },
        messages: message_items(&messages, now),
        panel,
        seen,
        macros,
        statuses,
        requester: RequesterCard {
            name: requester.name,
            email: requester.email,
            organization,
            others,
        },
        history,
        links,
        similar,
        viewers,
        meanwhile,
        draft: draft.0,
        draft_public: draft.1,
        draft_status: draft.2,
        ratings,
        rating_link: web.app.rating_link(&view.ticket).await?.unwrap_or_default(),
        sla: view.sla.as_ref().map(|s| sla_card(s, now)),
    };
    let mut response = render(page)?;
    *response.status_mut() = status;
    Ok(response)
}

/// `GET /tickets/{id}`, or one of its fragments for live refresh.
pub(crate) async fn show(
    State(web): State<Web>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(query): Query<TicketQuery>,
) -> WebResult<Response> {
    match query.fragment.as_deref() {
        Some("conversation") => {
            let messages = web.app.list_messages(staff.0.actor(), id, 0, 1000).await?;
            render(ConversationFragment {
                messages: message_items(&messages, now_millis()),
            })
        }
        Some("panel") => {
            let view = web.app.get_ticket(staff.0.actor(), id).await?;
            render(PanelFragment {
                panel: build_panel(&web, &staff, &view).await?,
            })
        }
        _ => {
            ticket_page(
                &web,
                &staff,
                id,
                query.done.as_deref(),
                Vec::new(),
                (String::new(), true, String::new()),
                StatusCode::OK,
            )
            .await
        }
    }
}

/// Saves the side panel.
pub(crate) async fn update(
    State(web): State<Web>,
    staff: Staff,
    Path(id): Path<i64>,
    form: FormData,
) -> WebResult<Response> {
    staff.0.check_csrf(form.csrf())?;
    let version = form.id("version")?;
    let mut changes = TicketChanges {
        status: form.opt("status"),
        priority: form.opt("priority"),
        kind: form.opt("type"),
        assignee_id: Some(form.id("assignee")?),
        group_id: Some(form.id("group")?),
        tags: Some(
            form.get("tags")
                .split([',', ' '])
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect(),
        ),
        ..TicketChanges::default()
    };
    for field in web
        .app
        .list_custom_fields()
        .await?
        .into_iter()
        .filter(|f| f.active)
    {
        let name = format!("cf_{}", field.key);
        let value = match field.kind.as_str() {
            "checkbox" => Value::Bool(form.flag(&name)),
            "number" => match form.get(&name) {
                "" => Value::Null,
                v => v
                    .parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number)
                    .ok_or_else(|| {
                        WebError::BadRequest(format!("{}: {v:?} is not a number", field.label))
                    })?,
            },
            _ => match form.get(&name) {
                "" => Value::Null,
                v => Value::String(v.to_string()),
            },
        };
        changes.custom_fields.insert(field.key, value);
    }
    let ctx = Ctx::api(staff.0.actor().clone());
    match web.app.update_ticket(&ctx, id, changes, version).await {
        Ok(_) => Ok(Redirect::to(&format!("/tickets/{id}?done=saved")).into_response()),
        Err(e @ AppError::StaleVersion { .. }) => Err(WebError::BadRequest(format!(
            "{} Your changes were not saved.",
            describe(&e).1
        ))),
        Err(e) => Err(e.into()),
    }
}

/// Sends a reply or note. If someone else wrote on the ticket since the page was loaded,
/// the page comes back with their message and the draft, to send anyway or rework.
pub(crate) async fn reply(
    State(web): State<Web>,
    staff: Staff,
    Path(id): Path<i64>,
    mut form: FormData,
) -> WebResult<Response> {
    staff.0.check_csrf(form.csrf())?;
    let actor = staff.0.actor().clone();
    let public = form.get("kind") != "note";
    let body = form.get("body").to_string();
    let status = form.opt("status");
    let seen = form.id("seen")?.unwrap_or(0);
    if !form.flag("force") {
        let newer: Vec<MessageView> = web
            .app
            .list_messages(&actor, id, seen, 100)
            .await?
            .into_iter()
            .filter(|m| m.message.author_id != actor.user_id)
            .collect();
        if !newer.is_empty() {
            let meanwhile = message_items(&newer, now_millis());
            return ticket_page(
                &web,
                &staff,
                id,
                None,
                meanwhile,
                (body, public, status.unwrap_or_default()),
                StatusCode::CONFLICT,
            )
            .await;
        }
    }
    let changes = match form.id("macro_id")? {
        Some(macro_id) => Some(web.app.preview_macro(&actor, id, macro_id).await?.changes),
        None => None,
    };
    let attachments = form.store_files(&web.app).await?;
    let new = NewMessage {
        public,
        body_text: Some(body),
        body_html: None,
        attachments,
        status,
        channel: Some("web".into()),
        metadata: None,
        changes,
    };
    let (_, ticket) = web.app.add_message(&Ctx::api(actor), id, new).await?;
    let done = if public { "sent" } else { "noted" };
    Ok(Redirect::to(&format!("/tickets/{}?done={done}", ticket.ticket.id)).into_response())
}

/// A macro filled in for this ticket, for the reply box.
pub(crate) async fn macro_preview(
    State(web): State<Web>,
    staff: Staff,
    Path((id, macro_id)): Path<(i64, i64)>,
) -> WebResult<Json<Value>> {
    let preview = web.app.preview_macro(staff.0.actor(), id, macro_id).await?;
    Ok(Json(json!({
        "body": preview.body,
        "public": preview.public,
        "status": preview.changes.status,
    })))
}

/// Merges this ticket into another.
pub(crate) async fn merge(
    State(web): State<Web>,
    staff: Staff,
    Path(id): Path<i64>,
    form: FormData,
) -> WebResult<Response> {
    staff.0.check_csrf(form.csrf())?;
    let target = form.required_id("into", "give the ticket number to merge into")?;
    web.app
        .merge_tickets(&Ctx::api(staff.0.actor().clone()), id, target)
        .await?;
    Ok(Redirect::to(&format!("/tickets/{target}?done=merged")).into_response())
}

/// Links this ticket to another.
pub(crate) async fn link(
    State(web): State<Web>,
    staff: Staff,
    Path(id): Path<i64>,
    form: FormData,
) -> WebResult<Response> {
    staff.0.check_csrf(form.csrf())?;
    let other = form.required_id("other", "give the ticket number to link")?;
    let kind = match form.get("kind") {
        "" => "related",
        k => k,
    };
    web.app
        .link_tickets(&Ctx::api(staff.0.actor().clone()), id, other, kind)
        .await?;
    Ok(Redirect::to(&format!("/tickets/{id}?done=linked")).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct Typing {
    key: String,
    typing: bool,
}

/// Whether this tab is typing on the ticket (presence).
pub(crate) async fn typing(
    State(web): State<Web>,
    staff: Staff,
    Path(id): Path<i64>,
    headers: HeaderMap,
    Json(body): Json<Typing>,
) -> WebResult<StatusCode> {
    let sent = headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    staff.0.check_csrf(sent)?;
    if body.key.is_empty() || body.key.len() > 64 {
        return Err(WebError::BadRequest("bad tab key".into()));
    }
    web.app.get_ticket(staff.0.actor(), id).await?;
    web.app.presence_beat(
        id,
        &body.key,
        staff.0.actor().user_id,
        &staff.0.auth.user.name,
        body.typing,
    );
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Template)]
#[template(path = "new_ticket.html")]
struct NewTicketPage {
    layout: Layout,
    agents: Vec<(i64, String)>,
    groups: Vec<(i64, String)>,
    form_key: String,
}

/// The form an agent opens a ticket with, on behalf of a customer (a phone call …).
pub(crate) async fn new_form(State(web): State<Web>, staff: Staff) -> WebResult<Response> {
    let pickers = pickers(&web, &staff).await?;
    let mut layout = Layout::new(Some(&staff.0), "New ticket", "tickets");
    let defs = views(&web.app, &staff.0).await?;
    layout.rail = rail(&web.app, &staff.0, &defs, "").await?;
    render(NewTicketPage {
        layout,
        agents: pickers.agents,
        groups: pickers.groups,
        form_key: format!("{:x}", now_millis()),
    })
}

/// Opens a ticket for a customer, found or created by email; sending the same form twice
/// opens it once.
pub(crate) async fn create(
    State(web): State<Web>,
    staff: Staff,
    mut form: FormData,
) -> WebResult<Response> {
    staff.0.check_csrf(form.csrf())?;
    let subject = form.get("subject").to_string();
    let body = form.get("body").to_string();
    let idempotency = form
        .opt("form_key")
        .map(|key| triage_app::tickets::Idempotency {
            key: format!("web:{}:{key}", staff.0.actor().user_id),
            fingerprint: hex::encode(sha2::Sha256::digest(
                format!("{subject}\u{0}{body}\u{0}{}", form.get("requester_email")).as_bytes(),
            )),
        });
    let requester =
        form.opt("requester_email")
            .map(|email| triage_app::tickets::RequesterRef::Email {
                email,
                name: form.opt("requester_name"),
            });
    let new = triage_app::tickets::NewTicket {
        subject,
        body_text: Some(body),
        requester,
        priority: form.opt("priority"),
        kind: form.opt("type"),
        assignee_id: match form.get("assignee") {
            "me" => Some(staff.0.actor().user_id),
            _ => form.id("assignee")?,
        },
        group_id: form.id("group")?,
        channel: Some("web".into()),
        attachments: form.store_files(&web.app).await?,
        ..triage_app::tickets::NewTicket::default()
    };
    let (ticket, _) = web
        .app
        .create_ticket(&Ctx::api(staff.0.actor().clone()), new, idempotency)
        .await?;
    Ok(Redirect::to(&format!("/tickets/{}?done=created", ticket.ticket.id)).into_response())
}
