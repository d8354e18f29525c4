//! Signing in and out, the first-admin setup, `me`, and API tokens.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, FromRequest, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use triage_app::rows::ApiTokenRow;
use utoipa::ToSchema;

use super::time;
use super::users::UserOut;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Auth, JsonBody, Path, SESSION_COOKIE, cookie};
use crate::state::AppState;

/// Email and password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    pub email: String,
    pub password: String,
}

/// A signed-in session. The cookie is set HttpOnly; send `csrf_token` back as
/// `X-CSRF-Token` on every unsafe request.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionOut {
    pub user: UserOut,
    pub csrf_token: String,
    pub expires_at: String,
}

/// The first admin, created with the setup token `serve` printed.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Setup {
    pub token: String,
    pub email: String,
    pub name: String,
    pub password: String,
}

/// The caller, with their groups.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeOut {
    pub user: UserOut,
    pub group_ids: Vec<i64>,
}

/// A token to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    pub name: String,
    /// Admins may create tokens for another user.
    pub user_id: Option<i64>,
}

/// An API token's record; the token itself is only in [`TokenCreated`].
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenOut {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    /// The first characters, to recognise it.
    pub prefix: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

impl From<ApiTokenRow> for TokenOut {
    fn from(t: ApiTokenRow) -> Self {
        TokenOut {
            id: t.id,
            user_id: t.user_id,
            name: t.name,
            prefix: t.prefix,
            created_at: time(t.created_at),
            last_used_at: t.last_used_at.map(time),
            revoked_at: t.revoked_at.map(time),
        }
    }
}

/// A new token: shown this once, never again.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenCreated {
    pub token: String,
    pub record: TokenOut,
}

fn session_cookie(state: &AppState, value: &str, max_age: i64) -> HeaderValue {
    let cookie = triage_web::session_set_cookie(state.config.secure_cookies, value, max_age);
    HeaderValue::from_str(&cookie).unwrap_or(HeaderValue::from_static("triage_session=; Path=/"))
}

#[utoipa::path(post, path = "/api/v1/auth/sign-in", tag = "auth", request_body = SignIn,
    responses((status = 200, body = SessionOut), (status = 401), (status = 429)))]
/// Signs in with email and password; sets the session cookie.
pub async fn sign_in(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> ApiResult<Response> {
    let limited = |key: String| {
        if state.sign_in_limiter.check_key(&key).is_err() {
            Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "too many sign-in attempts; wait a minute and try again",
            ))
        } else {
            Ok(())
        }
    };
    // The caller's address is limited before the body is read.
    limited(format!("ip:{}", peer.ip()))?;
    let body = JsonBody::<SignIn>::from_request(request, &state).await?;
    let SignIn { email, password } = body.value;
    limited(format!("email:{}", email.trim().to_lowercase()))?;
    let session = state.app.sign_in(&email, &password).await?;
    let max_age = (session.expires_at - triage_app::now_millis()) / 1000;
    let cookie = session_cookie(&state, &session.cookie, max_age);
    let body = SessionOut {
        user: session.user.into(),
        csrf_token: session.csrf_token,
        expires_at: time(session.expires_at),
    };
    Ok(([(header::SET_COOKIE, cookie)], Json(body)).into_response())
}

#[utoipa::path(post, path = "/api/v1/auth/sign-out", tag = "auth", responses((status = 204), (status = 401), (status = 403)))]
/// Ends the session.
pub async fn sign_out(
    State(state): State<AppState>,
    Auth(_auth): Auth,
    headers: HeaderMap,
) -> ApiResult<Response> {
    if let Some(value) = cookie(&headers, SESSION_COOKIE) {
        state.app.sign_out(&value).await?;
    }
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, session_cookie(&state, "", 0))],
    )
        .into_response())
}

#[utoipa::path(post, path = "/api/v1/setup", tag = "auth", request_body = Setup,
    responses((status = 201, body = UserOut), (status = 401), (status = 422)))]
/// Creates the first admin with the one-time setup token `triage serve` printed.
pub async fn setup(
    State(state): State<AppState>,
    body: JsonBody<Setup>,
) -> ApiResult<(StatusCode, Json<UserOut>)> {
    let s = body.value;
    let user = state
        .app
        .complete_setup(&s.token, &s.email, &s.name, &s.password)
        .await?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

#[utoipa::path(get, path = "/api/v1/me", tag = "auth", responses((status = 200, body = MeOut), (status = 401)))]
/// The caller.
pub async fn me(Auth(auth): Auth) -> Json<MeOut> {
    Json(MeOut {
        group_ids: auth.actor.group_ids.clone(),
        user: auth.user.into(),
    })
}

#[utoipa::path(get, path = "/api/v1/tokens", tag = "auth", responses((status = 200, body = [TokenOut]), (status = 401)))]
/// The caller's API tokens.
pub async fn list_tokens(
    State(state): State<AppState>,
    Auth(auth): Auth,
) -> ApiResult<Json<Vec<TokenOut>>> {
    let tokens = state
        .app
        .list_tokens(&auth.actor, auth.actor.user_id)
        .await?;
    Ok(Json(tokens.into_iter().map(TokenOut::from).collect()))
}

#[utoipa::path(post, path = "/api/v1/tokens", tag = "auth", request_body = CreateToken,
    responses((status = 201, body = TokenCreated), (status = 401), (status = 403), (status = 422)))]
/// Creates an API token; the response is the only time it is shown.
pub async fn create_token(
    State(state): State<AppState>,
    Auth(auth): Auth,
    body: JsonBody<CreateToken>,
) -> ApiResult<(StatusCode, Json<TokenCreated>)> {
    let user_id = body.value.user_id.unwrap_or(auth.actor.user_id);
    let (record, token) = state
        .app
        .create_token(&auth.actor, user_id, &body.value.name)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(TokenCreated {
            token,
            record: record.into(),
        }),
    ))
}

#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "auth", params(("id" = i64, Path, description = "Token id")),
    responses((status = 200, body = TokenOut), (status = 401), (status = 404)))]
/// Revokes an API token at once.
pub async fn revoke_token(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Path(id): Path<i64>,
) -> ApiResult<Json<TokenOut>> {
    Ok(Json(state.app.revoke_token(&auth.actor, id).await?.into()))
}
