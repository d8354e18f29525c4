//! The group-commit writer: one task per process that owns every write.
//!
//! Commands queue up while a batch is committing; the next batch takes all of them (up to
//! [`MAX_BATCH`]) into one transaction, each inside its own savepoint. A command that fails
//! rolls back its savepoint only. One fsync then makes the whole batch durable, and only
//! after it does any caller hear that its command succeeded.

use std::panic::AssertUnwindSafe;

use futures::FutureExt;
use futures::future::BoxFuture;
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, TransactionTrait};
use tokio::sync::{mpsc, oneshot};

use crate::repo::events::{NewEvent, insert_events};
use crate::{Backend, Repos, StoreError};

/// The most commands committed in one transaction.
pub const MAX_BATCH: usize = 256;

/// The advisory lock that orders event appends across processes on PostgreSQL.
const EVENT_LOG_LOCK: i64 = 0x7472_6961_6765; // "triage"

/// A transaction (one command's savepoint inside the batch) handed to a write job.
#[derive(Debug)]
pub struct Tx {
    txn: DatabaseTransaction,
    backend: Backend,
    events: std::sync::Mutex<Vec<NewEvent>>,
}

impl Tx {
    /// Repositories bound to this transaction.
    pub fn repos(&self) -> Repos<'_, DatabaseTransaction> {
        let mut repos = Repos::new(&self.txn, self.backend);
        repos.events = Some(&self.events);
        repos
    }
}

trait Completion: Send {
    fn failed(&self) -> bool;
    fn finish(self: Box<Self>, outcome: Result<(), String>);
}

struct Done<T, E> {
    result: Result<T, E>,
    reply: oneshot::Sender<Result<T, E>>,
}

impl<T: Send, E: From<StoreError> + Send> Completion for Done<T, E> {
    fn failed(&self) -> bool {
        self.result.is_err()
    }

    fn finish(self: Box<Self>, outcome: Result<(), String>) {
        let result = match outcome {
            Ok(()) => self.result,
            Err(message) => Err(E::from(StoreError::Db(sea_orm::DbErr::Custom(message)))),
        };
        // The caller may have gone away (request cancelled); the write still stands.
        let _ = self.reply.send(result);
    }
}

/// A unit of work for the writer, already bound to its reply channel.
type WriteJob = Box<dyn for<'a> FnOnce(&'a Tx) -> BoxFuture<'a, Box<dyn Completion>> + Send>;

enum Msg {
    Job(WriteJob),
    Stop(oneshot::Sender<()>),
}

/// The handle to the writer task.
#[derive(Debug, Clone)]
pub(crate) struct Writer {
    tx: mpsc::Sender<Msg>,
}

impl std::fmt::Debug for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Msg::Job(_) => "Job",
            Msg::Stop(_) => "Stop",
        })
    }
}

impl Writer {
    pub(crate) fn start(db: DatabaseConnection, backend: Backend) -> Writer {
        let (tx, rx) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(run_writer(db, backend, rx));
        Writer { tx }
    }

    pub(crate) async fn run<T, E, F>(&self, job: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: for<'a> FnOnce(&'a Tx) -> BoxFuture<'a, Result<T, E>> + Send + 'static,
    {
        let (reply, receive) = oneshot::channel();
        let job: WriteJob = Box::new(move |tx: &Tx| {
            async move {
                let result = job(tx).await;
                Box::new(Done { result, reply }) as Box<dyn Completion>
            }
            .boxed()
        });
        self.tx
            .send(Msg::Job(job))
            .await
            .map_err(|_| E::from(StoreError::WriterStopped))?;
        receive
            .await
            .map_err(|_| E::from(StoreError::WriterStopped))?
    }

    pub(crate) async fn stop(&self) {
        let (reply, done) = oneshot::channel();
        if self.tx.send(Msg::Stop(reply)).await.is_ok() {
            let _ = done.await;
        }
    }
}

async fn run_writer(db: DatabaseConnection, backend: Backend, mut rx: mpsc::Receiver<Msg>) {
    let mut stop = None;
    while stop.is_none() {
        let Some(first) = rx.recv().await else { break };
        let mut jobs = Vec::new();
        match first {
            Msg::Job(job) => jobs.push(job),
            Msg::Stop(reply) => stop = Some(reply),
        }
        while stop.is_none() && jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(Msg::Job(job)) => jobs.push(job),
                Ok(Msg::Stop(reply)) => stop = Some(reply),
                Err(_) => break,
            }
        }
        if !jobs.is_empty() {
            commit_batch(&db, backend, jobs).await;
        }
    }
    if let Some(reply) = stop {
        let _ = reply.send(());
    }
}

async fn commit_batch(db: &DatabaseConnection, backend: Backend, jobs: Vec<WriteJob>) {
    let outer = match begin_batch(db, backend).await {
        Ok(outer) => outer,
        Err(err) => {
            tracing::error!(error = %err, "cannot begin a write batch");
            // Without a transaction no job can run; they fail with the error.
            let message = err.to_string();
            for job in jobs {
                fail_unstarted(job, &message);
            }
            return;
        }
    };
    let mut done: Vec<(Box<dyn Completion>, Option<String>)> = Vec::with_capacity(jobs.len());
    let mut batch_events = Vec::new();
    for job in jobs {
        let savepoint = match outer.begin().await {
            Ok(sp) => sp,
            Err(err) => {
                tracing::error!(error = %err, "cannot open a savepoint");
                fail_unstarted(job, &err.to_string());
                continue;
            }
        };
        let tx = Tx {
            txn: savepoint,
            backend,
            events: std::sync::Mutex::new(Vec::new()),
        };
        let outcome = AssertUnwindSafe(job(&tx)).catch_unwind().await;
        match outcome {
            Ok(completion) => {
                let release = if completion.failed() {
                    tx.txn.rollback().await
                } else {
                    tx.txn.commit().await
                };
                let own_error = release.err().map(|e| e.to_string());
                if !completion.failed() && own_error.is_none() {
                    if let Ok(mut events) = tx.events.lock() {
                        batch_events.append(&mut events);
                    }
                }
                done.push((completion, own_error));
            }
            Err(_) => {
                tracing::error!("a write job panicked; its savepoint is rolled back");
                let _ = tx.txn.rollback().await;
            }
        }
    }
    let committed = match insert_events(&outer, batch_events).await {
        Ok(()) => outer.commit().await.map_err(|e| e.to_string()),
        Err(err) => Err(err.to_string()),
    };
    if let Err(err) = &committed {
        tracing::error!(error = %err, "write batch commit failed");
    }
    for (completion, own_error) in done {
        let outcome = match (&committed, own_error) {
            (Err(e), _) => Err(e.clone()),
            (Ok(()), Some(e)) => Err(e),
            (Ok(()), None) => Ok(()),
        };
        completion.finish(outcome);
    }
}

async fn begin_batch(
    db: &DatabaseConnection,
    backend: Backend,
) -> Result<DatabaseTransaction, sea_orm::DbErr> {
    let outer = db.begin().await?;
    if backend == Backend::Postgres {
        outer
            .execute_unprepared(&format!("SELECT pg_advisory_xact_lock({EVENT_LOG_LOCK})"))
            .await?;
    }
    Ok(outer)
}

/// A job that could not start: drop it, which drops its reply channel, so the caller
/// hears [`StoreError::WriterStopped`].
fn fail_unstarted(job: WriteJob, message: &str) {
    tracing::warn!(error = message, "write job dropped");
    drop(job);
}
