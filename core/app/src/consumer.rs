//! Consumers follow the event log, each from its own checkpoint in the database.
//!
//! A consumer gets events in log order, in batches; after a batch is handled its
//! checkpoint moves past it. A consumer that dies (or a server that is killed) resumes
//! from the checkpoint, so every event is handled at least once; consumers that need
//! exactly-once keep their own position with their output (the search index does).

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::task::JoinHandle;
pub use triage_store::EventRow as Event;

use crate::{App, AppError, AppResult};

/// How many events a consumer gets at once, at most.
pub const BATCH: u64 = 500;
/// How often a consumer looks for events written by other processes.
pub const POLL: Duration = Duration::from_secs(1);

/// Something that follows the event log.
pub trait Consumer: Send + Sync + 'static {
    /// The name its checkpoint is stored under; never change it once deployed.
    fn name(&self) -> &str;

    /// Handles a batch of events, in log order. An error retries the same batch later.
    fn handle<'a>(&'a self, events: &'a [Event]) -> BoxFuture<'a, AppResult<()>>;
}

/// A running consumer; dropping the handle leaves it running, [`ConsumerHandle::stop`]
/// stops it.
#[derive(Debug)]
pub struct ConsumerHandle {
    task: JoinHandle<()>,
}

impl ConsumerHandle {
    /// Stops the consumer where it is; it resumes from its checkpoint when started again.
    pub fn stop(self) {
        self.task.abort();
    }
}

impl App {
    /// Handles every event after the consumer's checkpoint, batch by batch, moving the
    /// checkpoint after each. Returns how many events it handled.
    pub async fn run_consumer_once(&self, consumer: &dyn Consumer) -> AppResult<usize> {
        let name = consumer.name().to_string();
        let mut position = self.store.read().checkpoint(&name).await?;
        let mut handled = 0;
        loop {
            let events = self.store.read().events_after(position, BATCH).await?;
            let Some(last) = events.last().map(|e| e.id) else {
                return Ok(handled);
            };
            consumer.handle(&events).await?;
            handled += events.len();
            let name = name.clone();
            self.store
                .write(move |tx| {
                    Box::pin(async move {
                        Ok::<_, AppError>(tx.repos().set_checkpoint(&name, last).await?)
                    })
                })
                .await?;
            position = last;
        }
    }

    /// Moves a consumer that has never run to the end of the log, so it starts with what
    /// happens from now on rather than with the whole history.
    pub(crate) async fn start_at_end_if_new(&self, name: &str) -> AppResult<()> {
        let read = self.store.read();
        if read.checkpoint(name).await? != 0 {
            return Ok(());
        }
        let last = read.last_event_id().await?;
        if last > 0 {
            let name = name.to_string();
            self.store
                .write(move |tx| {
                    Box::pin(async move {
                        Ok::<_, AppError>(tx.repos().set_checkpoint(&name, last).await?)
                    })
                })
                .await?;
        }
        Ok(())
    }

    /// Waits until the consumer `name` has handled every committed event. False if that
    /// took longer than `timeout`.
    pub async fn consumer_caught_up(&self, name: &str, timeout: Duration) -> AppResult<bool> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let read = self.store.read();
            if read.checkpoint(name).await? >= read.last_event_id().await? {
                return Ok(true);
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(false);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Runs a consumer in the background: it wakes when this process commits events and
    /// polls every [`POLL`] for events other processes wrote.
    pub fn spawn_consumer(&self, consumer: Arc<dyn Consumer>) -> ConsumerHandle {
        let app = self.clone();
        let task = tokio::spawn(async move {
            loop {
                let woken = app.events.notified();
                match app.run_consumer_once(consumer.as_ref()).await {
                    Ok(_) => {
                        let _ = tokio::time::timeout(POLL, woken).await;
                    }
                    Err(err) => {
                        tracing::warn!(consumer = consumer.name(), error = %err, "consumer failed; retrying");
                        tokio::time::sleep(POLL).await;
                    }
                }
            }
        });
        ConsumerHandle { task }
    }
}
