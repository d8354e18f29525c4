//! `/api/v1/tickets/{id}/messages` and `/api/v1/attachments/{id}`.

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use triage_app::Ctx;
use triage_app::attachments::StoredFile;
use triage_app::tickets::{MessageView, NewMessage};
use utoipa::ToSchema;

use super::tickets::{AfterParams, TicketOut};
use super::time;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Auth, Path, Query, is_json, parse_json};
use crate::state::AppState;

/// An attachment's description.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentOut {
    pub id: i64,
    pub filename: String,
    /// Sniffed from the content.
    pub content_type: String,
    pub size: i64,
    /// Where to download it.
    pub url: String,
}

/// A reply or internal note.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageOut {
    pub id: i64,
    pub ticket_id: i64,
    pub author_id: i64,
    pub author_name: String,
    pub author_role: String,
    /// A public reply (true) or an internal note.
    pub public: bool,
    pub body: String,
    /// Sanitized HTML.
    pub body_html: String,
    pub channel: String,
    #[schema(value_type = Object)]
    pub metadata: Value,
    pub attachments: Vec<AttachmentOut>,
    pub created_at: String,
}

impl From<MessageView> for MessageOut {
    fn from(v: MessageView) -> Self {
        let m = v.message;
        MessageOut {
            id: m.id,
            ticket_id: m.ticket_id,
            author_id: m.author_id,
            author_name: v.author_name,
            author_role: v.author_role,
            public: m.public,
            body: m.body_text,
            body_html: m.body_html,
            channel: m.channel,
            metadata: m.metadata,
            attachments: v
                .attachments
                .into_iter()
                .map(|a| AttachmentOut {
                    url: format!("/api/v1/attachments/{}", a.id),
                    id: a.id,
                    filename: a.filename,
                    content_type: a.content_type,
                    size: a.size,
                })
                .collect(),
            created_at: time(m.created_at),
        }
    }
}

/// A reply or note to add.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMessage {
    /// true for a public reply, false for an internal note (staff only). Default true.
    pub public: Option<bool>,
    pub body: Option<String>,
    pub body_html: Option<String>,
    /// A status to set in the same step (staff).
    pub status: Option<String>,
    pub channel: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Value>,
}

/// The message added and the ticket it landed on (a follow-up, if the ticket was closed).
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageCreated {
    pub message: MessageOut,
    pub ticket: TicketOut,
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "the upload is too large",
        )
    } else {
        ApiError::bad_request(format!("bad multipart body: {}", e.body_text()))
    }
}

/// Reads a JSON body, or a multipart form with the JSON in part `json_part` and files in
/// `files` parts, which go to disk as they arrive and are stored once the JSON reads.
/// Returns the body, the stored files and the SHA-256 of the JSON.
pub(crate) async fn read_message_request<T: DeserializeOwned>(
    state: &AppState,
    request: Request,
    json_part: &str,
) -> ApiResult<(T, Vec<StoredFile>, String)> {
    if is_json(request.headers()) {
        let bytes = Bytes::from_request(request, &())
            .await
            .map_err(crate::extract::body_rejection)?;
        let value = parse_json(&bytes)?;
        return Ok((value, Vec::new(), hex::encode(Sha256::digest(&bytes))));
    }
    if !crate::extract::is_multipart(request.headers()) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send application/json, or multipart/form-data for attachments",
        ));
    }
    let mut multipart = Multipart::from_request(request, &())
        .await
        .map_err(|e| ApiError::bad_request(format!("bad multipart body: {}", e.body_text())))?;
    let max_file = state.config.max_attachment_mb.saturating_mul(1024 * 1024);
    let mut json = None;
    let mut files = Vec::new();
    loop {
        let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? else {
            break;
        };
        let name = field.name().unwrap_or("").to_string();
        let filename = field.file_name().map(str::to_string);
        if name == json_part {
            let mut part = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                if part.len() + chunk.len() > crate::MAX_JSON_BODY {
                    return Err(ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "payload_too_large",
                        format!(
                            "the `{json_part}` part is too large; it may be at most {} bytes",
                            crate::MAX_JSON_BODY
                        ),
                    ));
                }
                part.extend_from_slice(&chunk);
            }
            json = Some(part);
        } else if name == "files" || filename.is_some() {
            // Files go to disk chunk by chunk as they arrive.
            let filename = filename.unwrap_or_else(|| "attachment".into());
            let mut incoming = state.app.receive_upload(&filename, max_file).await?;
            while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                incoming.write(&chunk).await?;
            }
            files.push(incoming);
        } else {
            return Err(ApiError::bad_request(format!(
                "unknown form part {name:?}; send `{json_part}` (JSON) and `files`"
            )));
        }
    }
    let json =
        json.ok_or_else(|| ApiError::bad_request(format!("the form has no `{json_part}` part")))?;
    let value = parse_json(&json)?;
    let mut stored = Vec::with_capacity(files.len());
    for incoming in files {
        stored.push(state.app.keep_upload(incoming).await?);
    }
    let mut hasher = Sha256::new();
    hasher.update(&json);
    for f in &stored {
        hasher.update(f.sha256.as_bytes());
    }
    Ok((value, stored, hex::encode(hasher.finalize())))
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}/messages", tag = "messages", params(("id" = i64, Path, description = "Ticket number"), AfterParams),
    responses((status = 200, body = [MessageOut]), (status = 401), (status = 404)))]
/// A ticket's conversation: staff see internal notes, customers public replies only.
pub async fn list_messages(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Path(id): Path<i64>,
    Query(p): Query<AfterParams>,
) -> ApiResult<Json<Vec<MessageOut>>> {
    let (after, limit) = p.resolve()?;
    let messages = state
        .app
        .list_messages(&auth.actor, id, after, limit)
        .await?;
    Ok(Json(messages.into_iter().map(MessageOut::from).collect()))
}

#[utoipa::path(post, path = "/api/v1/tickets/{id}/messages", tag = "messages", params(("id" = i64, Path, description = "Ticket number")),
    request_body(content = CreateMessage, description = "JSON, or multipart/form-data with a `message` JSON part and `files` parts"),
    responses((status = 201, body = MessageCreated), (status = 400), (status = 401), (status = 403), (status = 404), (status = 409), (status = 413), (status = 415), (status = 422)))]
/// Adds a public reply or an internal note, with attachments.
pub async fn add_message(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Path(id): Path<i64>,
    request: Request,
) -> ApiResult<(StatusCode, Json<MessageCreated>)> {
    let (body, files, _): (CreateMessage, _, _) =
        read_message_request(&state, request, "message").await?;
    if body.public == Some(false) && !auth.actor.is_staff() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "customers cannot write internal notes",
        ));
    }
    let new = NewMessage {
        public: body.public.unwrap_or(true),
        body_text: body.body,
        body_html: body.body_html,
        attachments: files,
        status: body.status,
        channel: body.channel,
        metadata: body.metadata,
        changes: None,
    };
    let (message, ticket) = state
        .app
        .add_message(&Ctx::api(auth.actor), id, new)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(MessageCreated {
            message: message.into(),
            ticket: ticket.into(),
        }),
    ))
}

#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "messages", params(("id" = i64, Path, description = "Attachment id")),
    responses((status = 200, description = "The file", content_type = "application/octet-stream"), (status = 401), (status = 404)))]
/// Downloads an attachment the caller may see.
pub async fn download(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    let (row, path) = state.app.attachment(&auth.actor, id).await?;
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|_| ApiError::not_found(format!("the content of attachment {id} is missing")))?;
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(file));
    let disposition = format!(
        "attachment; filename=\"{}\"; filename*=UTF-8''{}",
        row.filename
            .replace(['"', '\\'], "_")
            .chars()
            .filter(char::is_ascii)
            .collect::<String>(),
        percent_encode(&row.filename)
    );
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&row.content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(row.size as u64));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    Ok(response)
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
