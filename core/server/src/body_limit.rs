//! How large a request body may be, per route. A body is read only as far as its route's
//! limit, and one whose `Content-Length` is over it is refused before a byte is read: a
//! sign-in needs a few kilobytes, other JSON at most [`MAX_JSON_BODY`], and only the
//! routes that take files or plugin packages accept large bodies.

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower::{Layer, ServiceExt};

use crate::error::ApiError;

/// The most a JSON body (or a form without files) may be.
pub const MAX_JSON_BODY: usize = 2 * 1024 * 1024;
/// The most a sign-in or the first-admin setup may send.
pub const MAX_SIGN_IN_BODY: usize = 16 * 1024;

/// The limits of one server.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    /// Routes that take attachments: every file of a message, plus its JSON.
    pub upload: usize,
    /// Plugin installs: one package.
    pub package: usize,
}

impl BodyLimits {
    /// The limit for a request to `path` with `method`; `multipart` when the body is a
    /// multipart form, the only kind that carries files to the routes taking them.
    pub fn for_route(&self, method: &Method, path: &str, multipart: bool) -> usize {
        if method == Method::GET || method == Method::HEAD || method == Method::OPTIONS {
            return MAX_SIGN_IN_BODY;
        }
        let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
        match segments.as_slice() {
            ["", "api", "v1", "auth", ..] | ["", "api", "v1", "setup"] => MAX_SIGN_IN_BODY,
            ["", "sign-in"] | ["", "setup"] => MAX_SIGN_IN_BODY,
            ["", "api", "v1", "plugins"] | ["", "admin", "plugins"] => self.package,
            ["", "api", "v1", "channels", ..] => self.upload,
            ["", "api", "v1", "tickets"]
            | ["", "api", "v1", "tickets", _, "messages"]
            | ["", "tickets", "new"]
            | ["", "tickets", _, "reply"]
            | ["", "portal", "new"]
            | ["", "portal", "tickets", _, "reply"]
                if multipart =>
            {
                self.upload
            }
            _ => MAX_JSON_BODY,
        }
    }
}

fn too_large(limit: usize) -> Response {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("the request body is too large; this route takes at most {limit} bytes"),
    )
    .into_response()
}

/// Middleware: applies the route's limit to the body, and refuses at once a body that
/// says it is larger.
pub async fn limit(limits: BodyLimits, request: Request, next: Next) -> Response {
    let multipart = crate::extract::is_multipart(request.headers());
    let limit = limits.for_route(request.method(), request.uri().path(), multipart);
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return too_large(limit);
    }
    match DefaultBodyLimit::max(limit)
        .layer(next)
        .oneshot(request)
        .await
    {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_routes_taking_files_accept_large_bodies() {
        let limits = BodyLimits {
            upload: 100 << 20,
            package: 64 << 20,
        };
        let post = |p: &str| limits.for_route(&Method::POST, p, false);
        let upload = |p: &str| limits.for_route(&Method::POST, p, true);
        assert_eq!(post("/api/v1/auth/sign-in"), MAX_SIGN_IN_BODY);
        assert_eq!(upload("/api/v1/auth/sign-in"), MAX_SIGN_IN_BODY);
        assert_eq!(post("/api/v1/setup"), MAX_SIGN_IN_BODY);
        assert_eq!(post("/sign-in"), MAX_SIGN_IN_BODY);
        assert_eq!(upload("/api/v1/tickets"), 100 << 20);
        assert_eq!(post("/api/v1/tickets"), MAX_JSON_BODY);
        assert_eq!(upload("/api/v1/tickets/1001/messages"), 100 << 20);
        assert_eq!(upload("/portal/tickets/7/reply"), 100 << 20);
        assert_eq!(post("/api/v1/plugins"), 64 << 20);
        assert_eq!(post("/api/v1/channels/sms/inbound"), 100 << 20);
        assert_eq!(upload("/api/v1/tickets/bulk"), MAX_JSON_BODY);
        assert_eq!(post("/api/v1/rules"), MAX_JSON_BODY);
        assert_eq!(
            limits.for_route(&Method::PATCH, "/api/v1/tickets/1001", false),
            MAX_JSON_BODY
        );
        assert_eq!(
            limits.for_route(&Method::GET, "/api/v1/tickets", false),
            MAX_SIGN_IN_BODY
        );
    }
}
