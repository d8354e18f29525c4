//! The agent web UI and the customer portal: server-rendered pages, a stylesheet and one
//! script, all compiled into the binary.
//!
//! The key decision is *HTML from the server, enhanced by a small script*: every page
//! works as plain HTML forms and links (so it needs no Node toolchain to build and stays
//! usable keyboard-only); `app.js` adds search as you type, keyboard shortcuts, live
//! updates over server-sent events, presence and drag-and-drop uploads by fetching the
//! same pages' fragments. Handlers call `triage-app` only. User content reaches the page
//! only through the templates' escaping or as HTML sanitized when it was stored, under a
//! Content-Security-Policy that allows no inline script or style.

mod assets;
mod diff;
mod error;
mod forms;
mod pages;
mod session;
mod view;

use std::num::NonZeroU32;
use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tower_http::set_header::SetResponseHeaderLayer;
use triage_app::App;

pub use error::not_found_page;
pub use session::{SESSION_COOKIE, cookie, session_set_cookie};

/// What the web UI needs beyond the application.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Mark session cookies `Secure` (serve behind HTTPS).
    pub secure_cookies: bool,
    /// Sign-in attempts allowed per minute, per client address and per email.
    pub sign_in_per_minute: u32,
}

/// Shared state of the web handlers.
#[derive(Debug, Clone)]
pub(crate) struct Web {
    pub app: App,
    pub config: Arc<WebConfig>,
    pub sign_in_limiter: Arc<DefaultKeyedRateLimiter<String>>,
}

/// The Content-Security-Policy of every page: scripts, styles and connections from this
/// server only; nothing inline, no frames, no plugins.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The pages, their fragments, the live-update stream and the assets, ready to merge into
/// a router of any state.
pub fn router<S: Clone + Send + Sync + 'static>(app: App, config: WebConfig) -> Router<S> {
    let per_minute = NonZeroU32::new(config.sign_in_per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
    let web = Web {
        app,
        config: Arc::new(config),
        sign_in_limiter: Arc::new(RateLimiter::keyed(Quota::per_minute(per_minute))),
    };
    pages::routes()
        .layer(axum::middleware::from_fn(session::same_origin))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .with_state(web)
}

/// Whether a path belongs to the web UI (so unknown paths there get an HTML page).
pub fn is_page_path(path: &str) -> bool {
    !path.starts_with("/api/")
}

/// The HTML response for an unknown page.
pub fn not_found() -> Response {
    not_found_page()
}
