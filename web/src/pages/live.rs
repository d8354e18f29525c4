//! Server-sent events: what changed among the tickets the reader may see, and, on a
//! ticket page, who else is there. An open stream with `ticket=` counts as viewing it.
//! A stream ends when its session does: at once when the sign-out or deactivation
//! happened in this process, within [`HEARTBEAT`] when on another.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;
use triage_app::App;
use triage_app::live::LiveUpdate;

use crate::Web;
use crate::error::{WebError, WebResult};
use crate::session::Signed;

/// How often an open ticket page counts as still there.
const HEARTBEAT: Duration = Duration::from_secs(10);

#[derive(Debug, Deserialize)]
pub(crate) struct LiveQuery {
    ticket: Option<i64>,
    key: Option<String>,
}

/// Leaves the ticket when the stream ends (the tab closed or navigated away).
struct Presence {
    app: App,
    ticket_id: i64,
    key: String,
}

impl Drop for Presence {
    fn drop(&mut self) {
        self.app.presence_leave(self.ticket_id, &self.key);
    }
}

struct StreamState {
    web: Web,
    signed: Signed,
    receiver: tokio::sync::broadcast::Receiver<LiveUpdate>,
    presence: Option<Presence>,
    ticker: tokio::time::Interval,
    first: bool,
}

impl StreamState {
    /// Checks the session again, taking the user's current permissions; false when it
    /// ended or its user was turned off, which ends the stream. A database that cannot be
    /// read keeps the stream open.
    async fn still_signed_in(&mut self) -> bool {
        match self.web.app.authenticate_session(&self.signed.cookie).await {
            Ok(auth) => {
                self.signed.auth = auth;
                true
            }
            Err(triage_app::AppError::Unauthenticated(_)) => false,
            Err(err) => {
                tracing::warn!(error = %err, "live stream could not check its session");
                true
            }
        }
    }
}

fn presence_event(app: &App, ticket_id: i64, me: i64) -> Event {
    let viewers: Vec<_> = app
        .viewers(ticket_id)
        .into_iter()
        .filter(|v| v.user_id != me)
        .map(|v| json!({"name": v.name, "typing": v.typing}))
        .collect();
    Event::default()
        .event("presence")
        .data(json!({"ticket": ticket_id, "viewers": viewers}).to_string())
}

/// `GET /live`: the event stream.
pub(crate) async fn stream(
    State(web): State<Web>,
    signed: Signed,
    Query(query): Query<LiveQuery>,
) -> WebResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let presence = match (query.ticket, query.key) {
        (Some(ticket_id), Some(key)) if signed.is_staff() => {
            if key.is_empty() || key.len() > 64 {
                return Err(WebError::BadRequest("bad tab key".into()));
            }
            web.app.get_ticket(signed.actor(), ticket_id).await?;
            web.app.presence_beat(
                ticket_id,
                &key,
                signed.actor().user_id,
                &signed.auth.user.name,
                false,
            );
            Some(Presence {
                app: web.app.clone(),
                ticket_id,
                key,
            })
        }
        _ => None,
    };
    let mut ticker = tokio::time::interval(HEARTBEAT);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let state = StreamState {
        receiver: web.app.subscribe_live(),
        web,
        signed,
        presence,
        ticker,
        first: true,
    };
    let events = futures::stream::unfold(state, |mut s| async move {
        if s.first {
            s.first = false;
            let event = match &s.presence {
                Some(p) => presence_event(&s.web.app, p.ticket_id, s.signed.actor().user_id),
                None => Event::default().event("hello").data("{}"),
            };
            return Some((Ok(event), s));
        }
        loop {
            tokio::select! {
                _ = s.ticker.tick() => {
                    // Sign-outs and deactivations on other processes reach this one here.
                    if !s.still_signed_in().await {
                        return None;
                    }
                    if let Some(p) = &s.presence {
                        let typing = s.web.app.viewers(p.ticket_id).iter().any(|v| v.user_id == s.signed.actor().user_id && v.typing);
                        s.web.app.presence_beat(p.ticket_id, &p.key, s.signed.actor().user_id, &s.signed.auth.user.name, typing);
                    }
                }
                update = s.receiver.recv() => {
                    let event = match update {
                        Ok(LiveUpdate::Changed(change)) => {
                            if !s.signed.actor().can_see(&change.access) {
                                continue;
                            }
                            if !s.signed.is_staff() && change.kind == "message.added" && !change.public {
                                continue;
                            }
                            Event::default().event("change").data(
                                json!({
                                    "ticket": change.ticket_id,
                                    "kind": change.kind,
                                    "mine": change.actor_id == Some(s.signed.actor().user_id),
                                    "public": change.public,
                                })
                                .to_string(),
                            )
                        }
                        Ok(LiveUpdate::Presence { ticket_id }) => {
                            match &s.presence {
                                Some(p) if p.ticket_id == ticket_id => presence_event(&s.web.app, ticket_id, s.signed.actor().user_id),
                                _ => continue,
                            }
                        }
                        Ok(LiveUpdate::Reauthenticate { user_id }) => {
                            let mine = user_id.is_none_or(|u| u == s.signed.actor().user_id);
                            if mine && !s.still_signed_in().await {
                                return None;
                            }
                            continue;
                        }
                        Ok(LiveUpdate::Notified { user_id }) => {
                            if user_id != s.signed.actor().user_id {
                                continue;
                            }
                            Event::default().event("notified").data("{}")
                        }
                        Err(RecvError::Lagged(_)) => Event::default().event("reload").data("{}"),
                        Err(RecvError::Closed) => return None,
                    };
                    return Some((Ok(event), s));
                }
            }
        }
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}
