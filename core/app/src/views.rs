//! Saved views (searches shown in the agents' left rail) and satisfaction ratings.

use serde_json::json;
use triage_domain::{Actor, EventKind, StatusCategory};
use triage_store::{RatingRow, ViewRow};

use crate::tickets::{category_of, emit, load_visible};
use crate::{App, AppError, AppResult, Ctx};

/// The longest view name accepted, in characters.
pub const MAX_VIEW_NAME: usize = 80;
/// The longest rating comment accepted, in characters.
pub const MAX_RATING_COMMENT: usize = 2000;

/// A view to save.
#[derive(Debug, Clone, Default)]
pub struct ViewInput {
    pub name: String,
    /// A query in the search language.
    pub query: String,
    /// `relevance`, `updated`, `-updated`, `created` or `-created`.
    pub sort: String,
    /// A view every agent sees (admins only) rather than one's own.
    pub shared: bool,
    pub position: i32,
}

/// A satisfaction score.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Score {
    Good,
    Bad,
}

impl Score {
    /// `good` or `bad`.
    pub fn parse(text: &str) -> AppResult<Score> {
        match text {
            "good" => Ok(Score::Good),
            "bad" => Ok(Score::Bad),
            _ => Err(AppError::invalid("score", "must be good or bad")),
        }
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Score::Good => "good",
            Score::Bad => "bad",
        }
    }
}

fn check_view(input: &ViewInput) -> AppResult<(String, String)> {
    let name = input.name.trim().to_string();
    if name.is_empty() || name.chars().count() > MAX_VIEW_NAME {
        return Err(AppError::invalid(
            "name",
            format!("give a name of 1 to {MAX_VIEW_NAME} characters"),
        ));
    }
    crate::search::check_query(&input.query)?;
    let sort = if input.sort.is_empty() {
        "-updated".to_string()
    } else {
        input.sort.clone()
    };
    if !["relevance", "updated", "-updated", "created", "-created"].contains(&sort.as_str()) {
        return Err(AppError::invalid(
            "sort",
            "use relevance, updated, -updated, created or -created",
        ));
    }
    Ok((name, sort))
}

impl App {
    /// The shared views and the actor's own (staff).
    pub async fn list_views(&self, actor: &Actor) -> AppResult<Vec<ViewRow>> {
        actor.require_staff()?;
        Ok(self.store.read().views_for(actor.user_id).await?)
    }

    /// A view the actor sees.
    pub async fn get_view(&self, actor: &Actor, id: i64) -> AppResult<ViewRow> {
        actor.require_staff()?;
        match self.store.read().view(id).await? {
            Some(v) if v.owner_id.is_none() || v.owner_id == Some(actor.user_id) => Ok(v),
            _ => Err(AppError::NotFound(format!("view {id}"))),
        }
    }

    /// Saves a new view: the actor's own, or a shared one (admins).
    pub async fn create_view(&self, actor: &Actor, input: ViewInput) -> AppResult<ViewRow> {
        actor.require_staff()?;
        if input.shared {
            actor.require_admin()?;
        }
        let (name, sort) = check_view(&input)?;
        let owner_id = (!input.shared).then_some(actor.user_id);
        let now = crate::now_millis();
        self.command(move |tx| {
            Box::pin(async move {
                Ok(tx
                    .repos()
                    .insert_view(ViewRow {
                        id: 0,
                        name,
                        query: input.query,
                        sort,
                        owner_id,
                        position: input.position,
                        created_at: now,
                        updated_at: now,
                    })
                    .await?)
            })
        })
        .await
    }

    /// Changes a view: one's own, or a shared one (admins).
    pub async fn update_view(
        &self,
        actor: &Actor,
        id: i64,
        input: ViewInput,
    ) -> AppResult<ViewRow> {
        let current = self.get_view(actor, id).await?;
        if current.owner_id.is_none() || input.shared {
            actor.require_admin()?;
        }
        let (name, sort) = check_view(&input)?;
        let owner_id = (!input.shared).then_some(current.owner_id.unwrap_or(actor.user_id));
        self.command(move |tx| {
            Box::pin(async move {
                Ok(tx
                    .repos()
                    .update_view(ViewRow {
                        name,
                        query: input.query,
                        sort,
                        owner_id,
                        position: input.position,
                        updated_at: crate::now_millis(),
                        ..current
                    })
                    .await?)
            })
        })
        .await
    }

    /// Deletes a view: one's own, or a shared one (admins).
    pub async fn delete_view(&self, actor: &Actor, id: i64) -> AppResult<()> {
        let current = self.get_view(actor, id).await?;
        if current.owner_id.is_none() {
            actor.require_admin()?;
        }
        self.command(move |tx| {
            Box::pin(async move {
                tx.repos().delete_view(id).await?;
                Ok(())
            })
        })
        .await
    }

    /// Rates the current solve of a ticket (its requester, while it is solved or closed).
    /// Rating the same solve again replaces the rating.
    pub async fn rate_ticket(
        &self,
        ctx: &Ctx,
        id: i64,
        score: Score,
        comment: &str,
    ) -> AppResult<RatingRow> {
        self.save_rating(ctx, id, score, comment, None).await
    }

    /// Saves a rating of a ticket's current solve; with `link`, only if that link (or
    /// another for the same solve) was not used before.
    pub(crate) async fn save_rating(
        &self,
        ctx: &Ctx,
        id: i64,
        score: Score,
        comment: &str,
        link: Option<triage_store::RatingLinkRow>,
    ) -> AppResult<RatingRow> {
        let comment = comment.trim().to_string();
        if comment.chars().count() > MAX_RATING_COMMENT {
            return Err(AppError::invalid(
                "comment",
                format!("at most {MAX_RATING_COMMENT} characters"),
            ));
        }
        let config = self.config_snapshot().await?;
        let ctx = ctx.clone();
        self.command(move |tx| {
            Box::pin(async move {
                let repos = tx.repos();
                let ticket = load_visible(&repos, &ctx.actor, id).await?;
                if ticket.requester_id != ctx.actor.user_id {
                    return Err(AppError::forbidden("only the requester rates a ticket"));
                }
                let category = category_of(&config.statuses, ticket.status_id)?;
                let solved_at = match ticket.solved_at {
                    Some(at)
                        if matches!(category, StatusCategory::Solved | StatusCategory::Closed) =>
                    {
                        at
                    }
                    _ => {
                        return Err(AppError::Conflict(format!(
                            "ticket #{id} is not solved; rate it once it is"
                        )));
                    }
                };
                if let Some(link) = link {
                    if link.solved_at != solved_at {
                        return Err(AppError::Conflict(format!(
                            "ticket #{id} was reopened since this link was sent"
                        )));
                    }
                    if !repos.use_rating_link(link).await? {
                        return Err(crate::csat::already_used(id));
                    }
                }
                let now = ctx.now();
                let rating = repos
                    .save_rating(RatingRow {
                        id: 0,
                        ticket_id: id,
                        solved_at,
                        author_id: ctx.actor.user_id,
                        score: score.as_str().to_string(),
                        comment: comment.clone(),
                        created_at: now,
                        updated_at: now,
                    })
                    .await?;
                emit(
                    &repos,
                    &ctx,
                    Some(id),
                    EventKind::RatingReceived,
                    json!({"score": score.as_str(), "comment": comment, "solved_at": solved_at}),
                    now,
                )
                .await?;
                Ok(rating)
            })
        })
        .await
    }

    /// The ratings of a ticket the actor may see, oldest first.
    pub async fn ticket_ratings(&self, actor: &Actor, id: i64) -> AppResult<Vec<RatingRow>> {
        let repos = self.store.read();
        load_visible(&repos, actor, id).await?;
        Ok(repos.ratings_of_ticket(id).await?)
    }
}
