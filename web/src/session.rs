//! Who is signed in, as extractors, and the checks every unsafe request passes: the form's
//! CSRF token and the browser's `Origin`.

use axum::extract::{FromRequestParts, OptionalFromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use triage_app::AppError;
use triage_app::auth::Authenticated;
use triage_app::domain::Actor;

use crate::Web;
use crate::error::{WebError, render_error};

/// The name of the session cookie (shared with the JSON API).
pub const SESSION_COOKIE: &str = "triage_session";

/// The value of a cookie in the request.
pub fn cookie(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// A signed-in person (any role).
#[derive(Debug, Clone)]
pub(crate) struct Signed {
    pub auth: Authenticated,
    pub cookie: String,
}

impl Signed {
    pub fn actor(&self) -> &Actor {
        &self.auth.actor
    }

    /// The token forms must carry.
    pub fn csrf(&self) -> &str {
        self.auth.csrf_token.as_deref().unwrap_or("")
    }

    /// Checks a form's CSRF token.
    pub fn check_csrf(&self, sent: &str) -> Result<(), WebError> {
        let expected = self.csrf();
        if !expected.is_empty() && constant_time_eq(expected.as_bytes(), sent.as_bytes()) {
            Ok(())
        } else {
            Err(WebError::Csrf)
        }
    }

    pub fn is_staff(&self) -> bool {
        self.auth.actor.is_staff()
    }

    pub fn is_admin(&self) -> bool {
        self.auth.actor.require_admin().is_ok()
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn next_of(parts: &Parts) -> String {
    parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into())
}

impl FromRequestParts<Web> for Signed {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, web: &Web) -> Result<Self, Self::Rejection> {
        let Some(cookie) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(WebError::SignIn {
                next: next_of(parts),
            });
        };
        match web.app.authenticate_session(&cookie).await {
            Ok(auth) => Ok(Signed { auth, cookie }),
            Err(AppError::Unauthenticated(_)) => Err(WebError::SignIn {
                next: next_of(parts),
            }),
            Err(e) => Err(e.into()),
        }
    }
}

impl OptionalFromRequestParts<Web> for Signed {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        web: &Web,
    ) -> Result<Option<Self>, Self::Rejection> {
        match <Signed as FromRequestParts<Web>>::from_request_parts(parts, web).await {
            Ok(s) => Ok(Some(s)),
            Err(WebError::SignIn { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// A signed-in agent or admin; customers are sent to the portal.
#[derive(Debug, Clone)]
pub(crate) struct Staff(pub Signed);

impl FromRequestParts<Web> for Staff {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, web: &Web) -> Result<Self, Self::Rejection> {
        let signed = <Signed as FromRequestParts<Web>>::from_request_parts(parts, web).await?;
        if signed.is_staff() {
            Ok(Staff(signed))
        } else {
            Err(WebError::App(AppError::forbidden(
                "this page is for agents; customers use the portal at /portal",
            )))
        }
    }
}

/// A signed-in admin.
#[derive(Debug, Clone)]
pub(crate) struct Admin(pub Signed);

impl FromRequestParts<Web> for Admin {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, web: &Web) -> Result<Self, Self::Rejection> {
        let signed = <Signed as FromRequestParts<Web>>::from_request_parts(parts, web).await?;
        if signed.is_admin() {
            Ok(Admin(signed))
        } else {
            Err(WebError::App(AppError::forbidden(
                "this page is for admins",
            )))
        }
    }
}

/// Refuses unsafe requests whose `Origin` (or, lacking it, `Referer`) is another site.
pub(crate) async fn same_origin(request: Request, next: Next) -> Response {
    let unsafe_method = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if unsafe_method {
        let host = request
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        let origin = request
            .headers()
            .get(header::ORIGIN)
            .or_else(|| request.headers().get(header::REFERER))
            .and_then(|h| h.to_str().ok());
        // `null` says nothing about where the request came from (privacy settings send
        // it); the form's token and the SameSite cookie still guard those requests.
        if let Some(origin) = origin.filter(|o| *o != "null") {
            let origin_host = origin
                .split_once("://")
                .map(|(_, rest)| rest.split('/').next().unwrap_or(""))
                .unwrap_or("");
            if origin_host != host {
                return render_error(
                    StatusCode::FORBIDDEN,
                    "Form from another site",
                    "This request came from another site and was refused.",
                );
            }
        }
    }
    next.run(request).await
}

/// The `Set-Cookie` value of a session (an empty value and age 0 remove it).
pub fn session_set_cookie(secure: bool, value: &str, max_age: i64) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    )
}
