//! The one mapping from errors to HTTP: a status, a stable code and an
//! `application/problem+json` body. Internal details go to the log, never to the client.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use triage_app::AppError;
use triage_app::domain::DomainError;

/// An error as the API reports it.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    /// Stable snake_case name clients can match on.
    pub code: &'static str,
    /// What happened and what to do, for a person.
    pub detail: String,
    /// Extra members of the problem body (`field`, `current` …).
    pub extra: Option<Value>,
}

impl ApiError {
    /// An error with no extra members.
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            detail: detail.into(),
            extra: None,
        }
    }

    pub fn bad_request(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", detail)
    }

    pub fn unauthenticated(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", detail)
    }

    pub fn not_found(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", detail)
    }

    pub fn validation(field: &str, detail: impl Into<String>) -> ApiError {
        let mut e = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            detail,
        );
        e.extra = Some(json!({ "field": field }));
        e
    }

    fn internal(detail: &str) -> ApiError {
        tracing::error!(error = detail, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "something went wrong on the server; it has been logged",
        )
    }
}

impl From<AppError> for ApiError {
    fn from(err: AppError) -> Self {
        match err {
            AppError::Domain(DomainError::Invalid { field, message }) => {
                ApiError::validation(&field, format!("{field}: {message}"))
            }
            AppError::Domain(e @ DomainError::Transition { .. }) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_transition",
                e.to_string(),
            ),
            AppError::Domain(e @ DomainError::Closed(_)) => {
                ApiError::new(StatusCode::CONFLICT, "ticket_closed", e.to_string())
            }
            AppError::Domain(DomainError::Forbidden(m)) => {
                ApiError::new(StatusCode::FORBIDDEN, "forbidden", m)
            }
            AppError::NotFound(what) => ApiError::not_found(format!("{what} not found")),
            AppError::StaleVersion { current } => {
                let detail = format!(
                    "ticket #{} was changed by someone else (now at version {}); reload and try again",
                    current.ticket.id, current.ticket.version
                );
                let mut e = ApiError::new(StatusCode::CONFLICT, "stale_version", detail);
                e.extra =
                    Some(json!({ "current": crate::routes::tickets::TicketOut::from(*current) }));
                e
            }
            AppError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, "conflict", m),
            AppError::Unauthenticated(m) => ApiError::unauthenticated(m),
            AppError::TooLarge(m) => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", m)
            }
            AppError::BadRequest(m) => ApiError::bad_request(m),
            AppError::InvalidQuery { message, column } => {
                let mut e = ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_query",
                    format!("{message} (at column {column})"),
                );
                e.extra = Some(json!({ "column": column }));
                e
            }
            AppError::Script {
                message,
                line,
                column,
            } => {
                let mut e = ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_script",
                    format!(
                        "the script does not compile: {message} (line {line}, column {column})"
                    ),
                );
                e.extra = Some(json!({ "field": "script", "line": line, "column": column }));
                e
            }
            AppError::Unavailable(m) => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", m)
            }
            AppError::Store(e) => ApiError::internal(&e.to_string()),
            AppError::Internal(m) => ApiError::internal(&m),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({
            "type": format!("urn:triage:error:{}", self.code),
            "title": self.status.canonical_reason().unwrap_or("Error"),
            "status": self.status.as_u16(),
            "code": self.code,
            "detail": self.detail,
        });
        if let (Some(Value::Object(extra)), Some(obj)) = (self.extra, body.as_object_mut()) {
            obj.extend(extra);
        }
        let mut response = (self.status, axum::Json(body)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"triage\""),
            );
        }
        response
    }
}

/// The result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;
