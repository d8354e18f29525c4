//! Periodic clean-up of what expires: browser sessions, idempotency records, and uploads
//! a crash or a kill left half-received.

use std::time::Duration;

use tokio::task::JoinHandle;
use triage_store::now_millis;

use crate::{App, AppError, AppResult};

/// How long a retried request with the same `Idempotency-Key` gets the first answer.
pub const IDEMPOTENCY_WINDOW: Duration = Duration::from_secs(24 * 3600);
/// How old a half-received upload must be to be deleted (uploads in progress are newer).
pub const INCOMING_TTL: Duration = Duration::from_secs(3600);
/// How often the clean-up runs.
pub const SWEEP_EVERY: Duration = Duration::from_secs(3600);

/// What one sweep removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub sessions: u64,
    pub idempotency_keys: u64,
    /// Half-received uploads deleted.
    pub incoming_files: u64,
}

impl App {
    /// Deletes expired sessions, idempotency records older than `window`, and uploads
    /// left half-received for longer than `window` or [`INCOMING_TTL`], whichever is
    /// shorter.
    pub async fn sweep(&self, window: Duration) -> AppResult<Swept> {
        let now = now_millis();
        let before = now - i64::try_from(window.as_millis()).unwrap_or(i64::MAX);
        let (sessions, idempotency_keys) = self
            .store
            .write(move |tx| {
                Box::pin(async move {
                    let repos = tx.repos();
                    Ok::<_, AppError>((
                        repos.delete_expired_sessions(now).await?,
                        repos.delete_old_idempotency(before).await?,
                    ))
                })
            })
            .await?;
        let incoming_files = self.sweep_incoming(window.min(INCOMING_TTL)).await;
        Ok(Swept {
            sessions,
            idempotency_keys,
            incoming_files,
        })
    }

    /// Deletes received files older than `age` that were never kept.
    async fn sweep_incoming(&self, age: Duration) -> u64 {
        let dir = crate::attachments::incoming_dir(&self.config.data_dir);
        let Ok(mut entries) = tokio::fs::read_dir(&dir).await else {
            return 0;
        };
        let mut deleted = 0;
        while let Ok(Some(entry)) = entries.next_entry().await {
            let old = entry
                .metadata()
                .await
                .and_then(|m| m.modified())
                .is_ok_and(|at| at.elapsed().is_ok_and(|e| e >= age));
            if old && tokio::fs::remove_file(entry.path()).await.is_ok() {
                deleted += 1;
            }
        }
        deleted
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
                        incoming_files = swept.incoming_files,
                        "swept"
                    ),
                    Err(err) => tracing::warn!(error = %err, "housekeeping failed"),
                }
            }
        })
    }
}
