//! Errors as pages: the one place that maps application errors to an HTTP status and a
//! message a person can act on. Internal details go to the log, never to the page.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use triage_app::AppError;
use triage_app::domain::DomainError;

/// What went wrong while serving a page.
#[derive(Debug)]
pub(crate) enum WebError {
    /// The application refused or failed.
    App(AppError),
    /// Not signed in: go to the sign-in page, then come back.
    SignIn { next: String },
    /// A form without the right CSRF token, or from another site.
    Csrf,
    /// A malformed request.
    BadRequest(String),
}

pub(crate) type WebResult<T> = Result<T, WebError>;

impl From<AppError> for WebError {
    fn from(e: AppError) -> Self {
        WebError::App(e)
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    css: &'a str,
    title: &'a str,
    message: &'a str,
}

pub(crate) fn render_error(status: StatusCode, title: &str, message: &str) -> Response {
    let page = ErrorPage {
        css: &crate::assets::urls().css,
        title,
        message,
    };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => (status, message.to_string()).into_response(),
    }
}

/// The page for an unknown address.
pub fn not_found_page() -> Response {
    render_error(
        StatusCode::NOT_FOUND,
        "Not found",
        "There is nothing at this address, or you may not see it.",
    )
}

/// The status and message a person sees for an application error.
pub(crate) fn describe(e: &AppError) -> (StatusCode, String) {
    match e {
        AppError::Domain(DomainError::Forbidden(m)) => (StatusCode::FORBIDDEN, m.clone()),
        AppError::Domain(d) => (StatusCode::UNPROCESSABLE_ENTITY, d.to_string()),
        AppError::NotFound(what) => (StatusCode::NOT_FOUND, format!("{what} not found")),
        AppError::StaleVersion { .. } => (StatusCode::CONFLICT, e.to_string()),
        AppError::Conflict(m) => (StatusCode::CONFLICT, m.clone()),
        AppError::Unauthenticated(m) => (StatusCode::UNAUTHORIZED, m.clone()),
        AppError::TooLarge(m) => (StatusCode::PAYLOAD_TOO_LARGE, m.clone()),
        AppError::BadRequest(m) => (StatusCode::BAD_REQUEST, m.clone()),
        AppError::InvalidQuery { .. } => (StatusCode::BAD_REQUEST, e.to_string()),
        AppError::Script { .. } => (StatusCode::UNPROCESSABLE_ENTITY, e.to_string()),
        AppError::Unavailable(m) => (StatusCode::SERVICE_UNAVAILABLE, m.clone()),
        AppError::Store(_) | AppError::Internal(_) => {
            tracing::error!(error = %e, "page failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong on the server; it has been logged. Try again.".into(),
            )
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            WebError::SignIn { next } => {
                let to = format!(
                    "/sign-in?{}",
                    form_urlencoded::Serializer::new(String::new())
                        .append_pair("next", &next)
                        .finish()
                );
                Redirect::to(&to).into_response()
            }
            WebError::Csrf => render_error(
                StatusCode::FORBIDDEN,
                "Form expired",
                "This form was not sent from a page of this help desk, or the page is too old. Go back, reload and send it again.",
            ),
            WebError::BadRequest(m) => render_error(StatusCode::BAD_REQUEST, "Bad request", &m),
            WebError::App(e) => {
                let (status, message) = describe(&e);
                let title = match status {
                    StatusCode::NOT_FOUND => "Not found",
                    StatusCode::FORBIDDEN => "Not allowed",
                    StatusCode::CONFLICT => "Changed meanwhile",
                    s if s.is_server_error() => "Server error",
                    _ => "Cannot do that",
                };
                render_error(status, title, &message)
            }
        }
    }
}
