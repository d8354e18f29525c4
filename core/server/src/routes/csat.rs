//! Satisfaction ratings: a ticket's ratings, rating as the signed-in requester, and the
//! rating link a customer uses without signing in (`/api/v1/ratings/{token}`).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use triage_app::Ctx;
use triage_app::csat::RatingInvite;
use triage_app::rows::RatingRow;
use triage_app::views::Score;
use utoipa::ToSchema;

use super::time;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Auth, JsonBody, Path};
use crate::state::AppState;

/// A rating to give.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingIn {
    /// good or bad.
    pub score: String,
    /// Optional, up to 2,000 characters.
    pub comment: Option<String>,
}

/// A satisfaction rating of one solve of a ticket.
#[derive(Debug, Serialize, ToSchema)]
pub struct RatingOut {
    pub id: i64,
    pub ticket_id: i64,
    /// The solve it rates.
    pub solved_at: String,
    pub author_id: i64,
    /// good or bad.
    pub score: String,
    pub comment: String,
    pub created_at: String,
    pub updated_at: String,
}

impl From<RatingRow> for RatingOut {
    fn from(r: RatingRow) -> Self {
        RatingOut {
            id: r.id,
            ticket_id: r.ticket_id,
            solved_at: time(r.solved_at),
            author_id: r.author_id,
            score: r.score,
            comment: r.comment,
            created_at: time(r.created_at),
            updated_at: time(r.updated_at),
        }
    }
}

/// What a rating link is for.
#[derive(Debug, Serialize, ToSchema)]
pub struct InviteOut {
    pub ticket_id: i64,
    pub subject: String,
    pub solved_at: String,
    /// The link was used already: it rates once.
    pub used: bool,
}

impl From<RatingInvite> for InviteOut {
    fn from(i: RatingInvite) -> Self {
        InviteOut {
            ticket_id: i.ticket_id,
            subject: i.subject,
            solved_at: time(i.solved_at),
            used: i.used,
        }
    }
}

/// A solved ticket's rating link.
#[derive(Debug, Serialize, ToSchema)]
pub struct RatingLinkOut {
    pub url: String,
}

fn score(s: &str) -> Result<Score, ApiError> {
    Score::parse(s.trim()).map_err(|_| ApiError::validation("score", "score: use good or bad"))
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}/ratings", tag = "tickets", params(("id" = i64, Path, description = "Ticket number")),
    responses((status = 200, body = [RatingOut]), (status = 401), (status = 404)))]
/// The satisfaction ratings of a ticket, one per solve, oldest first.
pub async fn list_ratings(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<RatingOut>>> {
    let rows = state.app.ticket_ratings(&auth.actor, id).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

#[utoipa::path(post, path = "/api/v1/tickets/{id}/ratings", tag = "tickets", params(("id" = i64, Path, description = "Ticket number")), request_body = RatingIn,
    responses((status = 201, body = RatingOut), (status = 401), (status = 403), (status = 404), (status = 409), (status = 422)))]
/// Rates the ticket's current solve (its requester); rating it again replaces the rating.
pub async fn rate(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Path(id): Path<i64>,
    body: JsonBody<RatingIn>,
) -> ApiResult<(StatusCode, Json<RatingOut>)> {
    let score = score(&body.value.score)?;
    let row = state
        .app
        .rate_ticket(
            &Ctx::api(auth.actor),
            id,
            score,
            body.value.comment.as_deref().unwrap_or(""),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}/rating-link", tag = "tickets", params(("id" = i64, Path, description = "Ticket number")),
    responses((status = 200, body = RatingLinkOut), (status = 401), (status = 403), (status = 404), (status = 409)))]
/// The link that lets the requester rate the current solve without signing in (staff).
pub async fn rating_link(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Path(id): Path<i64>,
) -> ApiResult<Json<RatingLinkOut>> {
    auth.actor
        .require_staff()
        .map_err(triage_app::AppError::from)?;
    let view = state.app.get_ticket(&auth.actor, id).await?;
    match state.app.rating_link(&view.ticket).await? {
        Some(url) => Ok(Json(RatingLinkOut { url })),
        None => Err(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            format!("ticket #{id} is not solved; its rating link comes with the solve"),
        )),
    }
}

#[utoipa::path(get, path = "/api/v1/ratings/{token}", tag = "tickets", params(("token" = String, Path, description = "The token of a rating link")),
    responses((status = 200, body = InviteOut), (status = 404)))]
/// What a rating link rates (no sign-in: the token is the credential).
pub async fn invite(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> ApiResult<Json<InviteOut>> {
    Ok(Json(state.app.rating_invite(&token).await?.into()))
}

#[utoipa::path(post, path = "/api/v1/ratings/{token}", tag = "tickets", params(("token" = String, Path, description = "The token of a rating link")), request_body = RatingIn,
    responses((status = 201, body = RatingOut), (status = 404), (status = 409), (status = 422)))]
/// Rates a solve through its link, once (no sign-in).
pub async fn rate_by_link(
    State(state): State<AppState>,
    Path(token): Path<String>,
    body: JsonBody<RatingIn>,
) -> ApiResult<(StatusCode, Json<RatingOut>)> {
    let score = score(&body.value.score)?;
    let row = state
        .app
        .rate_by_link(&token, score, body.value.comment.as_deref().unwrap_or(""))
        .await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}
