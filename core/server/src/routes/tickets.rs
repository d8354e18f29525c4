//! `/api/v1/tickets`: create, read, list, update, bulk update, delete, merge, links,
//! history, macros.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use triage_app::Ctx;
use triage_app::tickets::{
    HistoryEntry, LinkView, ListQuery, NewTicket, RequesterRef, TicketChanges, TicketView,
};
use utoipa::{IntoParams, ToSchema};

use super::messages::{MessageOut, read_message_request};
use super::{double_option, list, opt_time, parse_time, time};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Auth, JsonBody, Path, Query};
use crate::state::AppState;

/// A ticket's status.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusRef {
    pub id: i64,
    pub name: String,
    /// new, open, pending, on_hold, solved or closed.
    pub category: String,
}

/// A ticket.
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketOut {
    /// The ticket number (#1001 …).
    pub id: i64,
    pub subject: String,
    pub status: StatusRef,
    pub priority: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub requester_id: i64,
    pub assignee_id: Option<i64>,
    pub group_id: Option<i64>,
    pub organization_id: Option<i64>,
    pub tags: Vec<String>,
    #[schema(value_type = Object)]
    pub custom_fields: BTreeMap<String, Value>,
    pub channel: String,
    pub external_id: Option<String>,
    pub due_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub first_response_at: Option<String>,
    pub solved_at: Option<String>,
    pub closed_at: Option<String>,
    /// The ticket this one was merged into.
    pub merged_into: Option<i64>,
    /// Send it back with an update to refuse changes made meanwhile.
    pub version: i64,
    /// Its SLA, where a policy covers it (shown to staff).
    pub sla: Option<super::sla::TicketSlaOut>,
}

impl From<TicketView> for TicketOut {
    fn from(v: TicketView) -> Self {
        let t = v.ticket;
        TicketOut {
            id: t.id,
            subject: t.subject,
            status: StatusRef {
                id: v.status.id,
                name: v.status.name,
                category: v.status.category,
            },
            priority: t.priority,
            kind: t.kind,
            requester_id: t.requester_id,
            assignee_id: t.assignee_id,
            group_id: t.group_id,
            organization_id: t.organization_id,
            tags: v.tags,
            custom_fields: v.custom_fields,
            channel: t.channel,
            external_id: t.external_id,
            due_at: opt_time(t.due_at),
            created_at: time(t.created_at),
            updated_at: time(t.updated_at),
            first_response_at: opt_time(t.first_response_at),
            solved_at: opt_time(t.solved_at),
            closed_at: opt_time(t.closed_at),
            merged_into: t.merged_into,
            version: t.version,
            sla: v.sla.map(Into::into),
        }
    }
}

/// Whom a new ticket is for.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequesterIn {
    /// An existing user…
    pub id: Option<i64>,
    /// …or a customer by email, created if new.
    pub email: Option<String>,
    pub name: Option<String>,
}

/// A ticket to open, with its first message.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTicket {
    pub subject: String,
    /// The first message as plain text.
    pub body: Option<String>,
    /// The first message as HTML (sanitized).
    pub body_html: Option<String>,
    /// Staff only: whom the ticket is for.
    pub requester: Option<RequesterIn>,
    pub status: Option<String>,
    pub priority: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub assignee_id: Option<i64>,
    pub group_id: Option<i64>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub custom_fields: BTreeMap<String, Value>,
    pub channel: Option<String>,
    pub external_id: Option<String>,
    pub due_at: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Value>,
}

/// Changes to a ticket. Absent fields stay; `null` clears a clearable one.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTicket {
    /// The version the change is based on; a ticket changed since gets 409.
    pub version: Option<i64>,
    pub subject: Option<String>,
    pub status: Option<String>,
    pub priority: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub requester_id: Option<i64>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub assignee_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub group_id: Option<Option<i64>>,
    /// Replaces every tag.
    pub tags: Option<Vec<String>>,
    #[serde(default)]
    pub add_tags: Vec<String>,
    #[serde(default)]
    pub remove_tags: Vec<String>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub custom_fields: BTreeMap<String, Value>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub due_at: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub external_id: Option<Option<String>>,
}

impl UpdateTicket {
    fn into_changes(self) -> ApiResult<(TicketChanges, Option<i64>)> {
        let due_at = match self.due_at {
            Some(Some(t)) => Some(Some(parse_time("due_at", &t)?)),
            Some(None) => Some(None),
            None => None,
        };
        Ok((
            TicketChanges {
                subject: self.subject,
                status: self.status,
                priority: self.priority,
                kind: self.kind,
                requester_id: self.requester_id,
                assignee_id: self.assignee_id,
                group_id: self.group_id,
                tags: self.tags,
                add_tags: self.add_tags,
                remove_tags: self.remove_tags,
                custom_fields: self.custom_fields,
                due_at,
                external_id: self.external_id,
            },
            self.version,
        ))
    }
}

/// The same change to many tickets.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkUpdate {
    /// 1 to 100 ticket numbers.
    pub ids: Vec<i64>,
    pub changes: UpdateTicket,
}

/// One ticket's outcome in a bulk update.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkResult {
    pub id: i64,
    pub ok: bool,
    pub ticket: Option<TicketOut>,
    /// The problem, when not ok.
    #[schema(value_type = Option<Object>)]
    pub error: Option<Value>,
}

/// A page of tickets.
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketPage {
    pub items: Vec<TicketOut>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// Filters, order and page of a ticket list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TicketListParams {
    /// Status names, comma-separated.
    pub status: Option<String>,
    /// Status categories, comma-separated (new, open, pending, on_hold, solved, closed).
    pub category: Option<String>,
    /// Priorities, comma-separated.
    pub priority: Option<String>,
    /// Types, comma-separated.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub kind: Option<String>,
    /// `me`, `none` or a user id.
    pub assignee: Option<String>,
    pub group_id: Option<i64>,
    pub requester_id: Option<i64>,
    pub organization_id: Option<i64>,
    /// Tags, comma-separated; tickets carrying all of them.
    pub tag: Option<String>,
    /// Created at or after (RFC 3339 or YYYY-MM-DD).
    pub created_from: Option<String>,
    /// Created before.
    pub created_to: Option<String>,
    pub updated_from: Option<String>,
    pub updated_to: Option<String>,
    /// SLA states, comma-separated (on_track, warning, breached, met).
    pub sla: Option<String>,
    /// created, updated, number or sla_due (soonest due first, tickets without an SLA
    /// last); prefix - for descending. Default -updated.
    pub sort: Option<String>,
    pub cursor: Option<String>,
    /// 1 to 200, default 50.
    pub limit: Option<u64>,
}

/// Merge this ticket into another.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// The ticket that stays.
    pub target: i64,
}

/// A link to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkRequest {
    pub other: i64,
    /// related, duplicate_of, parent_of, child_of or follow_up_of.
    pub kind: String,
}

/// A link as seen from a ticket.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkOut {
    pub kind: String,
    pub ticket_id: i64,
    pub created_at: String,
}

impl From<LinkView> for LinkOut {
    fn from(l: LinkView) -> Self {
        LinkOut {
            kind: l.kind,
            ticket_id: l.ticket_id,
            created_at: time(l.created_at),
        }
    }
}

/// One entry of the audit history.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryOut {
    pub id: i64,
    /// ticket.created, ticket.updated, status.changed, message.added …
    pub kind: String,
    pub actor_id: Option<i64>,
    pub actor_name: Option<String>,
    /// api, rule, plugin, channel or system.
    pub via: String,
    pub via_name: Option<String>,
    #[schema(value_type = Object)]
    pub data: Value,
    pub created_at: String,
}

impl From<HistoryEntry> for HistoryOut {
    fn from(e: HistoryEntry) -> Self {
        HistoryOut {
            id: e.id,
            kind: e.kind,
            actor_id: e.actor_id,
            actor_name: e.actor_name,
            via: e.via,
            via_name: e.via_name,
            data: e.data,
            created_at: time(e.created_at),
        }
    }
}

/// Paging through a history or conversation.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AfterParams {
    /// Entries after this id.
    pub after: Option<i64>,
    /// 1 to 500, default 200.
    pub limit: Option<u64>,
}

impl AfterParams {
    pub(crate) fn resolve(&self) -> ApiResult<(i64, u64)> {
        let limit = self.limit.unwrap_or(200);
        if !(1..=500).contains(&limit) {
            return Err(ApiError::validation(
                "limit",
                "limit: must be between 1 and 500",
            ));
        }
        Ok((self.after.unwrap_or(0), limit))
    }
}

/// A ticket's message thread result of applying a macro.
#[derive(Debug, Serialize, ToSchema)]
pub struct MacroApplied {
    pub ticket: TicketOut,
    pub message: MessageOut,
}

#[utoipa::path(get, path = "/api/v1/tickets", tag = "tickets", params(TicketListParams),
    responses((status = 200, body = TicketPage), (status = 400), (status = 401), (status = 422)))]
/// Lists the tickets the caller may see.
pub async fn list_tickets(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Query(p): Query<TicketListParams>,
) -> ApiResult<Json<TicketPage>> {
    let opt_time =
        |field: &str, v: &Option<String>| v.as_deref().map(|v| parse_time(field, v)).transpose();
    let query = ListQuery {
        status: list(&p.status),
        category: list(&p.category),
        priority: list(&p.priority),
        kind: list(&p.kind),
        assignee: p.assignee.clone(),
        group_id: p.group_id,
        requester_id: p.requester_id,
        organization_id: p.organization_id,
        tags: list(&p.tag),
        created_from: opt_time("created_from", &p.created_from)?,
        created_to: opt_time("created_to", &p.created_to)?,
        updated_from: opt_time("updated_from", &p.updated_from)?,
        updated_to: opt_time("updated_to", &p.updated_to)?,
        sla: list(&p.sla),
        sort: p.sort.clone(),
        cursor: p.cursor.clone(),
        limit: p.limit,
    };
    let page = state.app.list_tickets(&auth.actor, query).await?;
    Ok(Json(TicketPage {
        items: page.items.into_iter().map(TicketOut::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

#[utoipa::path(post, path = "/api/v1/tickets", tag = "tickets", request_body(content = CreateTicket, description = "JSON, or multipart/form-data with a `ticket` JSON part and `files` parts"),
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key return the first ticket")),
    responses((status = 201, body = TicketOut), (status = 200, description = "Replayed: the ticket an earlier request with this Idempotency-Key made", body = TicketOut),
        (status = 400), (status = 401), (status = 403), (status = 413), (status = 415), (status = 422)))]
/// Opens a ticket with its first message.
pub async fn create_ticket(
    State(state): State<AppState>,
    Auth(auth): Auth,
    request: Request,
) -> ApiResult<Response> {
    let key = idempotency_key(request.headers())?;
    let (body, files, sha256): (CreateTicket, _, _) =
        read_message_request(&state, request, "ticket").await?;
    let requester = match body.requester {
        None => None,
        Some(RequesterIn {
            id: Some(id),
            email: None,
            name: None,
        }) => Some(RequesterRef::Id(id)),
        Some(RequesterIn {
            id: None,
            email: Some(email),
            name,
        }) => Some(RequesterRef::Email { email, name }),
        Some(_) => {
            return Err(ApiError::validation(
                "requester",
                "requester: give either id, or email (and name)",
            ));
        }
    };
    let due_at = body
        .due_at
        .as_deref()
        .map(|t| parse_time("due_at", t))
        .transpose()?;
    let new = NewTicket {
        subject: body.subject,
        body_text: body.body,
        body_html: body.body_html,
        requester,
        status: body.status,
        priority: body.priority,
        kind: body.kind,
        assignee_id: body.assignee_id,
        group_id: body.group_id,
        tags: body.tags,
        custom_fields: body.custom_fields,
        channel: body.channel,
        external_id: body.external_id,
        due_at,
        metadata: body.metadata,
        attachments: files,
    };
    let idempotency = key.map(|key| triage_app::tickets::Idempotency {
        key,
        fingerprint: sha256,
    });
    let (view, replayed) = state
        .app
        .create_ticket(&Ctx::api(auth.actor), new, idempotency)
        .await?;
    let location = format!("/api/v1/tickets/{}", view.ticket.id);
    let status = if replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let mut response = (
        status,
        [(header::LOCATION, location)],
        Json(TicketOut::from(view)),
    )
        .into_response();
    if replayed {
        response.headers_mut().insert(
            "idempotent-replayed",
            axum::http::HeaderValue::from_static("true"),
        );
    }
    Ok(response)
}

fn idempotency_key(headers: &HeaderMap) -> ApiResult<Option<String>> {
    match headers.get("idempotency-key") {
        None => Ok(None),
        Some(v) => {
            let key = v
                .to_str()
                .map_err(|_| ApiError::bad_request("Idempotency-Key must be visible ASCII"))?
                .trim();
            if key.is_empty() || key.len() > 255 {
                return Err(ApiError::bad_request(
                    "Idempotency-Key must be 1 to 255 characters",
                ));
            }
            Ok(Some(key.to_string()))
        }
    }
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}", tag = "tickets", params(("id" = i64, Path, description = "Ticket number")),
    responses((status = 200, body = TicketOut), (status = 308, description = "Merged: Location names the ticket it was merged into"), (status = 401), (status = 404)))]
/// One ticket. A merged ticket redirects to the ticket it was merged into.
pub async fn get_ticket(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    let view = state.app.get_ticket(&auth.actor, id).await?;
    if let Some(target) = view.ticket.merged_into {
        let location = format!("/api/v1/tickets/{target}");
        return Ok((
            StatusCode::PERMANENT_REDIRECT,
            [(header::LOCATION, location)],
            Json(TicketOut::from(view)),
        )
            .into_response());
    }
    Ok(Json(TicketOut::from(view)).into_response())
}

#[utoipa::path(patch, path = "/api/v1/tickets/{id}", tag = "tickets", params(("id" = i64, Path, description = "Ticket number")), request_body = UpdateTicket,
    responses((status = 200, body = TicketOut), (status = 401), (status = 403), (status = 404), (status = 409, description = "Stale version (body has `current`) or closed ticket"), (status = 415), (status = 422)))]
/// Changes a ticket's fields.
pub async fn update_ticket(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Path(id): Path<i64>,
    body: JsonBody<UpdateTicket>,
) -> ApiResult<Json<TicketOut>> {
    let (changes, version) = body.value.into_changes()?;
    let view = state
        .app
        .update_ticket(&Ctx::api(auth.actor), id, changes, version)
        .await?;
    Ok(Json(view.into()))
}

#[utoipa::path(post, path = "/api/v1/tickets/bulk", tag = "tickets", request_body = BulkUpdate,
    responses((status = 200, body = [BulkResult]), (status = 401), (status = 403), (status = 422)))]
/// Applies the same change to up to 100 tickets; each succeeds or fails on its own.
pub async fn bulk_update(
    State(state): State<AppState>,
    Auth(auth): Auth,
    body: JsonBody<BulkUpdate>,
) -> ApiResult<Json<Vec<BulkResult>>> {
    let BulkUpdate { ids, changes } = body.value;
    let (changes, version) = changes.into_changes()?;
    if version.is_some() {
        return Err(ApiError::validation(
            "changes.version",
            "changes.version: a bulk update cannot carry one version",
        ));
    }
    let outcomes = state
        .app
        .bulk_update(&Ctx::api(auth.actor), ids, changes)
        .await?;
    Ok(Json(
        outcomes
            .into_iter()
            .map(|o| match o.result {
                Ok(view) => BulkResult { id: o.ticket_id, ok: true, ticket: Some(view.into()), error: None },
                Err(e) => {
                    let e = ApiError::from(e);
                    BulkResult {
                        id: o.ticket_id,
                        ok: false,
                        ticket: None,
                        error: Some(serde_json::json!({"status": e.status.as_u16(), "code": e.code, "detail": e.detail})),
                    }
                }
            })
            .collect(),
    ))
}

#[utoipa::path(delete, path = "/api/v1/tickets/{id}", tag = "tickets", params(("id" = i64, Path, description = "Ticket number")),
    responses((status = 204), (status = 401), (status = 403), (status = 404)))]
/// Deletes a ticket (admins; a soft delete kept in the audit log).
pub async fn delete_ticket(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    state.app.delete_ticket(&Ctx::api(auth.actor), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}/history", tag = "tickets", params(("id" = i64, Path, description = "Ticket number"), AfterParams),
    responses((status = 200, body = [HistoryOut]), (status = 401), (status = 403), (status = 404)))]
/// The audit history of a ticket (staff).
pub async fn history(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Path(id): Path<i64>,
    Query(p): Query<AfterParams>,
) -> ApiResult<Json<Vec<HistoryOut>>> {
    let (after, limit) = p.resolve()?;
    let entries = state
        .app
        .ticket_history(&auth.actor, id, after, limit)
        .await?;
    Ok(Json(entries.into_iter().map(HistoryOut::from).collect()))
}

#[utoipa::path(post, path = "/api/v1/tickets/{id}/merge", tag = "tickets", params(("id" = i64, Path, description = "The duplicate ticket")), request_body = MergeRequest,
    responses((status = 200, description = "The target ticket", body = TicketOut), (status = 401), (status = 403), (status = 404), (status = 409), (status = 422)))]
/// Merges this ticket into `target`.
pub async fn merge(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Path(id): Path<i64>,
    body: JsonBody<MergeRequest>,
) -> ApiResult<Json<TicketOut>> {
    let view = state
        .app
        .merge_tickets(&Ctx::api(auth.actor), id, body.value.target)
        .await?;
    Ok(Json(view.into()))
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}/links", tag = "tickets", params(("id" = i64, Path, description = "Ticket number")),
    responses((status = 200, body = [LinkOut]), (status = 401), (status = 404)))]
/// The links of a ticket.
pub async fn links(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<LinkOut>>> {
    let links = state.app.ticket_links(&auth.actor, id).await?;
    Ok(Json(links.into_iter().map(LinkOut::from).collect()))
}

#[utoipa::path(post, path = "/api/v1/tickets/{id}/links", tag = "tickets", params(("id" = i64, Path, description = "Ticket number")), request_body = LinkRequest,
    responses((status = 204), (status = 401), (status = 403), (status = 404), (status = 422)))]
/// Links this ticket to another.
pub async fn add_link(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Path(id): Path<i64>,
    body: JsonBody<LinkRequest>,
) -> ApiResult<StatusCode> {
    state
        .app
        .link_tickets(
            &Ctx::api(auth.actor),
            id,
            body.value.other,
            &body.value.kind,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/v1/tickets/{id}/links/{kind}/{other}", tag = "tickets",
    params(("id" = i64, Path, description = "Ticket number"), ("kind" = String, Path, description = "Link kind"), ("other" = i64, Path, description = "Linked ticket")),
    responses((status = 204), (status = 401), (status = 403), (status = 404)))]
/// Removes a link.
pub async fn remove_link(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Path((id, kind, other)): Path<(i64, String, i64)>,
) -> ApiResult<StatusCode> {
    state
        .app
        .unlink_tickets(&Ctx::api(auth.actor), id, other, &kind)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/tickets/{id}/macros/{macro_id}", tag = "tickets",
    params(("id" = i64, Path, description = "Ticket number"), ("macro_id" = i64, Path, description = "Macro")),
    responses((status = 200, body = MacroApplied), (status = 401), (status = 403), (status = 404), (status = 409), (status = 422)))]
/// Applies a macro: its text and its field changes in one step.
pub async fn apply_macro(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Path((id, macro_id)): Path<(i64, i64)>,
) -> ApiResult<Json<MacroApplied>> {
    let (ticket, message) = state
        .app
        .apply_macro(&Ctx::api(auth.actor), id, macro_id)
        .await?;
    Ok(Json(MacroApplied {
        ticket: ticket.into(),
        message: message.into(),
    }))
}
