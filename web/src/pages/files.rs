//! Attachment downloads, for agents and for the customers who may see the ticket.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use triage_app::AppError;

use crate::Web;
use crate::error::WebResult;
use crate::session::Signed;

/// Sends an attachment as a download, never rendered in the page's origin.
pub(crate) async fn download(
    State(web): State<Web>,
    signed: Signed,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    let (row, path) = web.app.attachment(signed.actor(), id).await?;
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|e| AppError::Internal(format!("attachment {id} file: {e}")))?;
    let stream = tokio_util::io::ReaderStream::new(file);
    let name: String = row
        .filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_ ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
        .unwrap_or(HeaderValue::from_static("attachment"));
    let content_type = HeaderValue::from_str(&row.content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_DISPOSITION, disposition),
            (
                header::CONTENT_LENGTH,
                HeaderValue::from(row.size.max(0) as u64),
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}
