//! Live updates for browsers: what was committed, as it is committed, and who is looking
//! at (or typing on) which ticket.
//!
//! A follower task reads the event log from where it was when the process started and
//! publishes each event, with who may see its ticket, on a broadcast channel; it wakes when
//! this process commits and polls for what other processes wrote. Presence is kept in this
//! process's memory: a viewer that stops sending heartbeats is gone after
//! [`PRESENCE_TTL_MS`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use triage_domain::permission::TicketAccess;

use crate::consumer::{BATCH, POLL};
use crate::{App, AppResult};

/// How long a viewer counts as present after its last heartbeat.
pub const PRESENCE_TTL_MS: i64 = 30_000;
/// How many updates a slow browser may fall behind before it is told to reload.
const CHANNEL_CAPACITY: usize = 1024;

/// Something browsers may want to show.
#[derive(Debug, Clone)]
pub enum LiveUpdate {
    /// An event was committed.
    Changed(Change),
    /// Who views a ticket changed.
    Presence { ticket_id: i64 },
    /// A user got notifications (written by this process).
    Notified { user_id: i64 },
    /// A session of `user_id` ended, or (`None`) users, groups or organizations changed in
    /// this process: the open streams concerned check their session again (and end when
    /// it is gone or its user is off).
    Reauthenticate { user_id: Option<i64> },
}

/// A committed event, with what decides who may see it.
#[derive(Debug, Clone)]
pub struct Change {
    pub event_id: i64,
    pub ticket_id: i64,
    /// The event kind (`message.added` …).
    pub kind: String,
    pub actor_id: Option<i64>,
    /// For `message.added`: whether it was a public reply.
    pub public: bool,
    /// Who may see the ticket, as it is now.
    pub access: TicketAccess,
}

/// Someone looking at a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    pub user_id: i64,
    pub name: String,
    /// Whether they are writing a reply or note.
    pub typing: bool,
    /// When their last heartbeat came, in epoch milliseconds.
    pub seen_at: i64,
}

#[derive(Debug)]
pub(crate) struct Live {
    sender: broadcast::Sender<LiveUpdate>,
    /// Ticket → browser tab key → viewer.
    presence: Mutex<HashMap<i64, HashMap<String, Viewer>>>,
}

impl Default for Live {
    fn default() -> Self {
        Live {
            sender: broadcast::channel(CHANNEL_CAPACITY).0,
            presence: Mutex::default(),
        }
    }
}

/// The running follower; [`LiveHandle::stop`] stops it.
#[derive(Debug)]
pub struct LiveHandle {
    follower: JoinHandle<()>,
    sweeper: JoinHandle<()>,
}

impl LiveHandle {
    /// Stops publishing.
    pub fn stop(self) {
        self.follower.abort();
        self.sweeper.abort();
    }
}

impl App {
    /// Tells browsers that notifications were stored (their bells refresh the count).
    pub(crate) fn live_notified_users(&self, users: impl IntoIterator<Item = i64>) {
        for user_id in users {
            let _ = self.live.sender.send(LiveUpdate::Notified { user_id });
        }
    }

    /// Tells the open streams of `user_id` (`None`: every stream) to check their sessions
    /// again.
    pub(crate) fn live_reauthenticate(&self, user_id: Option<i64>) {
        let _ = self
            .live
            .sender
            .send(LiveUpdate::Reauthenticate { user_id });
    }

    /// Updates from now on.
    pub fn subscribe_live(&self) -> broadcast::Receiver<LiveUpdate> {
        self.live.sender.subscribe()
    }

    /// Starts publishing committed events from the end of the log.
    pub async fn start_live(&self) -> AppResult<LiveHandle> {
        let mut position = self.store.read().last_event_id().await?;
        let app = self.clone();
        let follower = tokio::spawn(async move {
            loop {
                let woken = app.events.notified();
                match app.publish_after(position).await {
                    Ok(Some(last)) => {
                        position = last;
                        continue;
                    }
                    Ok(None) => {}
                    Err(err) => tracing::warn!(error = %err, "live updates failed; retrying"),
                }
                let _ = tokio::time::timeout(POLL, woken).await;
            }
        });
        let app = self.clone();
        let sweeper = tokio::spawn(async move {
            let mut tick = tokio::time::interval(PRESENCE_SWEEP);
            loop {
                tick.tick().await;
                app.sweep_presence();
            }
        });
        Ok(LiveHandle { follower, sweeper })
    }

    /// Publishes one batch after `position`; returns the new position if there was one.
    async fn publish_after(&self, position: i64) -> AppResult<Option<i64>> {
        let repos = self.store.read();
        let events = repos.events_after(position, BATCH).await?;
        let Some(last) = events.last().map(|e| e.id) else {
            return Ok(None);
        };
        let mut ids: Vec<i64> = events.iter().filter_map(|e| e.ticket_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let tickets = repos.tickets_by_ids(&ids).await?;
        for event in events {
            let Some(ticket) = event
                .ticket_id
                .and_then(|id| tickets.iter().find(|t| t.id == id))
            else {
                continue;
            };
            let public = event
                .data
                .get("public")
                .and_then(|p| p.as_bool())
                .unwrap_or(false);
            // Nobody listening is not an error.
            let _ = self.live.sender.send(LiveUpdate::Changed(Change {
                event_id: event.id,
                ticket_id: ticket.id,
                kind: event.kind,
                actor_id: event.actor_id,
                public,
                access: crate::tickets::access(ticket),
            }));
        }
        Ok(Some(last))
    }

    /// Records that `key` (one browser tab of `user_id`) is viewing a ticket, and whether it
    /// is typing. Tells subscribers when that changes who is there.
    pub fn presence_beat(&self, ticket_id: i64, key: &str, user_id: i64, name: &str, typing: bool) {
        let now = crate::now_millis();
        let changed = match self.live.presence.lock() {
            Ok(mut all) => {
                let viewers = all.entry(ticket_id).or_default();
                let expired = expire(viewers, now);
                let previous = viewers.insert(
                    key.to_string(),
                    Viewer {
                        user_id,
                        name: name.to_string(),
                        typing,
                        seen_at: now,
                    },
                );
                expired || previous.is_none_or(|p| p.typing != typing)
            }
            Err(_) => false,
        };
        if changed {
            let _ = self.live.sender.send(LiveUpdate::Presence { ticket_id });
        }
    }

    /// Records that a browser tab left a ticket.
    pub fn presence_leave(&self, ticket_id: i64, key: &str) {
        let removed = match self.live.presence.lock() {
            Ok(mut all) => {
                let removed = all
                    .get_mut(&ticket_id)
                    .and_then(|viewers| viewers.remove(key))
                    .is_some();
                if all.get(&ticket_id).is_some_and(HashMap::is_empty) {
                    all.remove(&ticket_id);
                }
                removed
            }
            Err(_) => false,
        };
        if removed {
            let _ = self.live.sender.send(LiveUpdate::Presence { ticket_id });
        }
    }

    /// Who is viewing a ticket now, one entry per person (typing if any of their tabs is).
    pub fn viewers(&self, ticket_id: i64) -> Vec<Viewer> {
        let now = crate::now_millis();
        let Ok(mut all) = self.live.presence.lock() else {
            return Vec::new();
        };
        let Some(viewers) = all.get_mut(&ticket_id) else {
            return Vec::new();
        };
        expire(viewers, now);
        let mut people: Vec<Viewer> = Vec::new();
        for v in viewers.values() {
            match people.iter_mut().find(|p| p.user_id == v.user_id) {
                Some(p) => {
                    p.typing |= v.typing;
                    p.seen_at = p.seen_at.max(v.seen_at);
                }
                None => people.push(v.clone()),
            }
        }
        people.sort_by(|a, b| a.name.cmp(&b.name));
        people
    }

    /// Drops the viewers of every ticket that stopped sending heartbeats.
    pub fn sweep_presence(&self) {
        let now = crate::now_millis();
        let mut gone = Vec::new();
        if let Ok(mut all) = self.live.presence.lock() {
            all.retain(|ticket_id, viewers| {
                if expire(viewers, now) {
                    gone.push(*ticket_id);
                }
                !viewers.is_empty()
            });
        }
        for ticket_id in gone {
            let _ = self.live.sender.send(LiveUpdate::Presence { ticket_id });
        }
    }
}

/// Removes viewers past their time; returns whether any was removed.
fn expire(viewers: &mut HashMap<String, Viewer>, now: i64) -> bool {
    let before = viewers.len();
    viewers.retain(|_, v| now - v.seen_at < PRESENCE_TTL_MS);
    viewers.len() != before
}

/// How often [`App::sweep_presence`] should run.
pub const PRESENCE_SWEEP: Duration = Duration::from_secs(5);
