//! Satisfaction links: when a ticket is solved its requester gets a link to rate that
//! solve good or bad, without signing in.
//!
//! A link's token names the ticket and the solve and carries an HMAC-SHA256 of both and
//! the requester under a server secret: it cannot be guessed, and it does not rate another
//! ticket or a later solve of the same one. It rates once; a reopened ticket's old link no
//! longer works, and the next solve brings a new one. Nothing about a token is stored
//! until it is used, and then only its SHA-256.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use triage_domain::{Actor, StatusCategory, Via};
use triage_store::{RatingLinkRow, RatingRow, TicketRow};

use crate::tickets::category_of;
use crate::views::Score;
use crate::{App, AppError, AppResult, Ctx};

/// The settings key of the server secret links are signed with.
pub(crate) const SECRET_KEY: &str = "rating_link_secret";
/// Bytes of the MAC a token carries (128 bits).
const MAC_BYTES: usize = 16;

/// What a rating link shows before it is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RatingInvite {
    pub ticket_id: i64,
    pub subject: String,
    pub solved_at: i64,
    /// Whether the link (or another for the same solve) was used already.
    pub used: bool,
}

fn mac(secret: &str, ticket_id: i64, solved_at: i64, requester_id: i64) -> AppResult<Hmac<Sha256>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .map_err(|e| AppError::Internal(format!("rating link key: {e}")))?;
    mac.update(format!("csat:{ticket_id}:{solved_at}:{requester_id}").as_bytes());
    Ok(mac)
}

/// Splits a token into ticket, solve and MAC; `None` for anything that is not one.
fn parse(token: &str) -> Option<(i64, i64, Vec<u8>)> {
    let mut parts = token.split('-');
    let ticket_id = parts.next()?.parse().ok()?;
    let solved_at = parts.next()?.parse().ok()?;
    let mac = hex::decode(parts.next()?).ok()?;
    (parts.next().is_none() && mac.len() == MAC_BYTES).then_some((ticket_id, solved_at, mac))
}

fn invalid_link() -> AppError {
    AppError::NotFound("rating link (it may be mistyped or for a ticket that was reopened)".into())
}

impl App {
    async fn rating_secret(&self) -> AppResult<String> {
        self.store
            .read()
            .setting(SECRET_KEY)
            .await?
            .ok_or_else(|| AppError::Internal("the rating link secret is missing".into()))
    }

    /// The rating link of a solved ticket's current solve; `None` while it is not solved.
    pub async fn rating_link(&self, ticket: &TicketRow) -> AppResult<Option<String>> {
        let Some(solved_at) = ticket.solved_at else {
            return Ok(None);
        };
        let config = self.config_snapshot().await?;
        let category = category_of(&config.statuses, ticket.status_id)?;
        if !matches!(category, StatusCategory::Solved | StatusCategory::Closed) {
            return Ok(None);
        }
        let secret = self.rating_secret().await?;
        let tag = mac(&secret, ticket.id, solved_at, ticket.requester_id)?
            .finalize()
            .into_bytes();
        let token = format!(
            "{}-{solved_at}-{}",
            ticket.id,
            hex::encode(&tag[..MAC_BYTES])
        );
        Ok(Some(format!(
            "{}/rate/{token}",
            self.config.public_url.trim_end_matches('/')
        )))
    }

    /// Checks a token: the ticket it names, still solved by the solve it names.
    async fn check_rating_token(&self, token: &str) -> AppResult<TicketRow> {
        let (ticket_id, solved_at, tag) = parse(token.trim()).ok_or_else(invalid_link)?;
        let ticket = self
            .store
            .read()
            .ticket(ticket_id)
            .await?
            .filter(|t| t.deleted_at.is_none())
            .ok_or_else(invalid_link)?;
        let secret = self.rating_secret().await?;
        mac(&secret, ticket_id, solved_at, ticket.requester_id)?
            .verify_truncated_left(&tag)
            .map_err(|_| invalid_link())?;
        let config = self.config_snapshot().await?;
        let category = category_of(&config.statuses, ticket.status_id)?;
        if ticket.solved_at != Some(solved_at)
            || !matches!(category, StatusCategory::Solved | StatusCategory::Closed)
        {
            return Err(invalid_link());
        }
        Ok(ticket)
    }

    /// What a rating link is for.
    pub async fn rating_invite(&self, token: &str) -> AppResult<RatingInvite> {
        let ticket = self.check_rating_token(token).await?;
        let solved_at = ticket.solved_at.unwrap_or_default();
        let used = self
            .store
            .read()
            .rating_link_used(ticket.id, solved_at)
            .await?;
        Ok(RatingInvite {
            ticket_id: ticket.id,
            subject: ticket.subject,
            solved_at,
            used,
        })
    }

    /// Rates a solve through its link, as the requester; a link rates once.
    pub async fn rate_by_link(
        &self,
        token: &str,
        score: Score,
        comment: &str,
    ) -> AppResult<RatingRow> {
        let ticket = self.check_rating_token(token).await?;
        let solved_at = ticket.solved_at.unwrap_or_default();
        let requester = self
            .store
            .read()
            .user(ticket.requester_id)
            .await?
            .ok_or_else(invalid_link)?;
        let actor: Actor = self.actor_for(&requester).await?;
        let ctx = Ctx {
            via: Via::Channel,
            via_name: Some("rating link".into()),
            ..Ctx::api(actor)
        };
        let row = RatingLinkRow {
            id: 0,
            token_sha256: crate::auth::digest(token.trim()),
            ticket_id: ticket.id,
            solved_at,
            requester_id: ticket.requester_id,
            used_at: Some(ctx.now()),
            created_at: ctx.now(),
        };
        self.save_rating(&ctx, ticket.id, score, comment, Some(row))
            .await
    }
}

/// Why a used link cannot rate again.
pub(crate) fn already_used(ticket_id: i64) -> AppError {
    AppError::Conflict(format!(
        "ticket #{ticket_id} was already rated through its link; thank you"
    ))
}
