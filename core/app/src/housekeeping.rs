//! Periodic clean-up of what expires: browser sessions and idempotency records.

use std::time::Duration;

use tokio::task::JoinHandle;
use triage_store::now_millis;

use crate::{App, AppError, AppResult};

/// How long a retried request with the same `Idempotency-Key` gets the first answer.
pub const IDEMPOTENCY_WINDOW: Duration = Duration::from_secs(24 * 3600);
/// How often the clean-up runs.
pub const SWEEP_EVERY: Duration = Duration::from_secs(3600);

/// What one sweep removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub sessions: u64,
    pub idempotency_keys: u64,
}

impl App {
    /// Deletes expired sessions and idempotency records older than `window`.
    pub async fn sweep(&self, window: Duration) -> AppResult<Swept> {
        let now = now_millis();
        let before = now - i64::try_from(window.as_millis()).unwrap_or(i64::MAX);
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let repos = tx.repos();
                    Ok::<_, AppError>(Swept {
                        sessions: repos.delete_expired_sessions(now).await?,
                        idempotency_keys: repos.delete_old_idempotency(before).await?,
                    })
                })
            })
            .await
    }

    /// Runs [`App::sweep`] every [`SWEEP_EVERY`] in the background.
    pub fn spawn_housekeeping(&self) -> JoinHandle<()> {
        let app = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(SWEEP_EVERY);
            loop {
                tick.tick().await;
                match app.sweep(IDEMPOTENCY_WINDOW).await {
                    Ok(swept) => tracing::debug!(
                        sessions = swept.sessions,
                        idempotency_keys = swept.idempotency_keys,
                        "swept"
                    ),
                    Err(err) => tracing::warn!(error = %err, "housekeeping failed"),
                }
            }
        })
    }
}
