//! Signing in and out.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, FromRequest, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use triage_app::AppError;

use crate::Web;
use crate::error::{WebResult, describe};
use crate::forms::FormData;
use crate::session::{Signed, session_set_cookie};
use crate::view::Layout;

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    layout: Layout,
    next: String,
    email: String,
    error: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct NextQuery {
    next: Option<String>,
}

/// Only paths of this site are followed after signing in.
fn safe_next(next: &str) -> String {
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") {
        next.to_string()
    } else {
        String::new()
    }
}

fn page(status: StatusCode, next: &str, email: &str, error: &str) -> WebResult<Response> {
    let html = SignInPage {
        layout: Layout::new(None, "Sign in", "sign-in"),
        next: safe_next(next),
        email: email.to_string(),
        error: error.to_string(),
    }
    .render()
    .map_err(|e| AppError::Internal(format!("template: {e}")))?;
    Ok((status, Html(html)).into_response())
}

/// The sign-in form; a signed-in visitor goes straight on.
pub(crate) async fn sign_in_form(
    signed: Option<Signed>,
    Query(q): Query<NextQuery>,
) -> WebResult<Response> {
    let next = q.next.as_deref().map(safe_next).unwrap_or_default();
    if let Some(signed) = signed {
        return Ok(Redirect::to(&landing(&signed, &next)).into_response());
    }
    page(StatusCode::OK, &next, "", "")
}

fn landing(signed: &Signed, next: &str) -> String {
    if !next.is_empty() {
        next.to_string()
    } else if signed.is_staff() {
        "/tickets".into()
    } else {
        "/portal".into()
    }
}

/// Checks the password, sets the session cookie and goes on.
pub(crate) async fn sign_in(
    State(web): State<Web>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> WebResult<Response> {
    let too_many = |next: &str, email: &str| {
        page(
            StatusCode::TOO_MANY_REQUESTS,
            next,
            email,
            "Too many sign-in attempts. Wait a minute and try again.",
        )
    };
    // The caller's address is limited before the form is read.
    if web
        .sign_in_limiter
        .check_key(&format!("ip:{}", peer.ip()))
        .is_err()
    {
        return too_many("", "");
    }
    let form = FormData::from_request(request, &web).await?;
    let email = form.get("email").to_string();
    let next = safe_next(form.get("next"));
    if web
        .sign_in_limiter
        .check_key(&format!("email:{}", email.to_lowercase()))
        .is_err()
    {
        return too_many(&next, &email);
    }
    let session = match web.app.sign_in(&email, form.get("password")).await {
        Ok(s) => s,
        Err(AppError::Unauthenticated(_)) => {
            return page(
                StatusCode::UNAUTHORIZED,
                &next,
                &email,
                "Wrong email or password.",
            );
        }
        Err(e) => {
            let (status, message) = describe(&e);
            return page(status, &next, &email, &message);
        }
    };
    let staff = triage_app::domain::Role::parse(&session.user.role).is_ok_and(|r| r.is_staff());
    let to = if !next.is_empty() {
        next
    } else if staff {
        "/tickets".into()
    } else {
        "/portal".into()
    };
    let max_age = (session.expires_at - triage_app::now_millis()) / 1000;
    Ok((
        [(
            header::SET_COOKIE,
            session_set_cookie(web.config.secure_cookies, &session.cookie, max_age),
        )],
        Redirect::to(&to),
    )
        .into_response())
}

/// Ends the session.
pub(crate) async fn sign_out(
    State(web): State<Web>,
    signed: Signed,
    form: FormData,
) -> WebResult<Response> {
    signed.check_csrf(form.csrf())?;
    web.app.sign_out(&signed.cookie).await?;
    Ok((
        [(
            header::SET_COOKIE,
            session_set_cookie(web.config.secure_cookies, "", 0),
        )],
        Redirect::to("/sign-in"),
    )
        .into_response())
}

/// `/`: the agent's queue, the customer's portal, or the sign-in page.
pub(crate) async fn home(signed: Option<Signed>) -> Redirect {
    match signed {
        Some(s) if s.is_staff() => Redirect::to("/tickets"),
        Some(_) => Redirect::to("/portal"),
        None => Redirect::to("/sign-in"),
    }
}
