//! The group-commit writer: one task per process that owns every write.
//!
//! Commands queue up while a batch is committing; the next batch takes all of them (up to
//! [`MAX_BATCH`]) into one transaction, each inside its own savepoint. A command that fails
//! rolls back its savepoint only. One fsync then makes the whole batch durable, and only
//! after it does any caller hear that its command succeeded.

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures::FutureExt;
use futures::future::BoxFuture;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, TransactionTrait};
use tokio::sync::{mpsc, oneshot};

use crate::entity::counter;
use crate::repo::events::{NewEvent, insert_events};
use crate::repo::tickets::write_ticket_tags;
use crate::{Backend, Repos, StoreError, TICKET_COUNTER};

/// The most commands committed in one transaction.
pub const MAX_BATCH: usize = 256;

/// The advisory lock that orders event appends across processes on PostgreSQL.
const EVENT_LOG_LOCK: i64 = 0x7472_6961_6765; // "triage"

/// A transaction (one command's savepoint inside the batch) handed to a write job.
#[derive(Debug)]
pub struct Tx {
    txn: Arc<DatabaseTransaction>,
    backend: Backend,
    events: std::sync::Mutex<Vec<NewEvent>>,
    numbers: Arc<std::sync::Mutex<NumberBlock>>,
    tags: std::sync::Mutex<BTreeMap<i64, Vec<String>>>,
}

impl Tx {
    /// Repositories bound to this transaction.
    pub fn repos(&self) -> Repos<'_, DatabaseTransaction> {
        let mut repos = Repos::new(self.txn.as_ref(), self.backend);
        repos.events = Some(&self.events);
        repos.numbers = Some(&self.numbers);
        repos.tags = Some(&self.tags);
        repos
    }
}

/// Ticket numbers the batch reserved in one step for the jobs that said they would
/// create tickets. A job that needs more advances the counter row itself.
#[derive(Debug, Default)]
pub(crate) struct NumberBlock {
    /// The next number to hand out.
    pub next: i64,
    /// The last reserved number.
    pub last: i64,
    /// Whether a job advanced the counter row past the block.
    pub overflowed: bool,
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
    Job(WriteJob, u32),
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
            Msg::Job(..) => "Job",
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

    pub(crate) async fn run<T, E, F>(&self, tickets: u32, job: F) -> Result<T, E>
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
            .send(Msg::Job(job, tickets))
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
        let mut tickets = 0;
        match first {
            Msg::Job(job, n) => {
                jobs.push(job);
                tickets += n;
            }
            Msg::Stop(reply) => stop = Some(reply),
        }
        while stop.is_none() && jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(Msg::Job(job, n)) => {
                    jobs.push(job);
                    tickets += n;
                }
                Ok(Msg::Stop(reply)) => stop = Some(reply),
                Err(_) => break,
            }
        }
        if !jobs.is_empty() {
            commit_batch(&db, backend, jobs, tickets).await;
        }
    }
    if let Some(reply) = stop {
        let _ = reply.send(());
    }
}

async fn commit_batch(
    db: &DatabaseConnection,
    backend: Backend,
    jobs: Vec<WriteJob>,
    tickets: u32,
) {
    let outer = match begin_batch(db, backend).await {
        Ok(outer) => Arc::new(outer),
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
    let numbers = Arc::new(std::sync::Mutex::new(NumberBlock::default()));
    let mut broken: Option<String> = None;
    if tickets > 0 {
        match reserve_numbers(outer.as_ref(), tickets).await {
            Ok(block) => {
                if let Ok(mut n) = numbers.lock() {
                    *n = block;
                }
            }
            Err(err) => broken = Some(err.to_string()),
        }
    }
    let mut done: Vec<(Box<dyn Completion>, Option<String>)> = Vec::with_capacity(jobs.len());
    let mut batch_events = Vec::new();
    let mut batch_tags = BTreeMap::new();
    // The statement that ends the previous job's savepoint rides along with the one that
    // opens the next, so a job costs one round trip for its savepoint, not two.
    let mut pending_end: Option<&'static str> = None;
    for job in jobs {
        if broken.is_some() {
            fail_unstarted(job, "the write batch failed");
            continue;
        }
        let open = match pending_end.take() {
            Some(end) => format!("{end}; SAVEPOINT job"),
            None => "SAVEPOINT job".to_string(),
        };
        if let Err(err) = outer.execute_unprepared(&open).await {
            tracing::error!(error = %err, "cannot open a savepoint");
            broken = Some(err.to_string());
            fail_unstarted(job, "the write batch failed");
            continue;
        }
        let tx = Tx {
            txn: outer.clone(),
            backend,
            events: std::sync::Mutex::new(Vec::new()),
            numbers: numbers.clone(),
            tags: std::sync::Mutex::new(BTreeMap::new()),
        };
        match AssertUnwindSafe(job(&tx)).catch_unwind().await {
            Ok(completion) => {
                if completion.failed() {
                    pending_end = Some(ROLLBACK_JOB);
                } else {
                    pending_end = Some(RELEASE_JOB);
                    if let Ok(mut events) = tx.events.lock() {
                        batch_events.append(&mut events);
                    }
                    if let Ok(mut tags) = tx.tags.lock() {
                        batch_tags.append(&mut tags);
                    }
                }
                done.push((completion, None));
            }
            Err(_) => {
                tracing::error!("a write job panicked; its savepoint is rolled back");
                pending_end = Some(ROLLBACK_JOB);
            }
        }
    }
    let mut committed = match broken {
        Some(err) => Err(err),
        None => {
            finish_batch(
                outer.as_ref(),
                pending_end,
                &numbers,
                batch_events,
                batch_tags,
            )
            .await
        }
    };
    committed = match (committed, Arc::try_unwrap(outer)) {
        (Ok(()), Ok(outer)) => outer.commit().await.map_err(|e| e.to_string()),
        (Ok(()), Err(_)) => Err("a write job kept its transaction".to_string()),
        (Err(err), Ok(outer)) => {
            let _ = outer.rollback().await;
            Err(err)
        }
        (Err(err), Err(_)) => Err(err),
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

const RELEASE_JOB: &str = "RELEASE SAVEPOINT job";
const ROLLBACK_JOB: &str = "ROLLBACK TO SAVEPOINT job; RELEASE SAVEPOINT job";

/// Ends the last savepoint, gives back reserved numbers nobody took, and writes the
/// batch's tag rows and events.
async fn finish_batch(
    outer: &DatabaseTransaction,
    pending_end: Option<&'static str>,
    numbers: &std::sync::Mutex<NumberBlock>,
    events: Vec<NewEvent>,
    tags: BTreeMap<i64, Vec<String>>,
) -> Result<(), String> {
    if let Some(end) = pending_end {
        outer
            .execute_unprepared(end)
            .await
            .map_err(|e| e.to_string())?;
    }
    let unused = numbers
        .lock()
        .map(|n| (!n.overflowed && n.next <= n.last && n.last > 0).then_some(n.next - 1))
        .unwrap_or(None);
    if let Some(last_used) = unused {
        let update = Query::update()
            .table(counter::Entity)
            .value(counter::Column::Value, last_used)
            .and_where(Expr::col(counter::Column::Name).eq(TICKET_COUNTER))
            .to_owned();
        let statement = outer.get_database_backend().build(&update);
        outer.execute(statement).await.map_err(|e| e.to_string())?;
    }
    write_ticket_tags(outer, tags)
        .await
        .map_err(|e| e.to_string())?;
    insert_events(outer, events)
        .await
        .map_err(|e| e.to_string())
}

/// Reserves `count` ticket numbers for this batch.
async fn reserve_numbers(
    outer: &DatabaseTransaction,
    count: u32,
) -> Result<NumberBlock, StoreError> {
    let update = Query::update()
        .table(counter::Entity)
        .value(
            counter::Column::Value,
            Expr::col(counter::Column::Value).add(i64::from(count)),
        )
        .and_where(Expr::col(counter::Column::Name).eq(TICKET_COUNTER))
        .returning_col(counter::Column::Value)
        .to_owned();
    let statement = outer.get_database_backend().build(&update);
    let row = outer
        .query_one(statement)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("counter {TICKET_COUNTER} is missing")))?;
    let last: i64 = row.try_get("", "value")?;
    Ok(NumberBlock {
        next: last - i64::from(count) + 1,
        last,
        overflowed: false,
    })
}

async fn begin_batch(
    db: &DatabaseConnection,
    backend: Backend,
) -> Result<DatabaseTransaction, sea_orm::DbErr> {
    let outer = db.begin().await?;
    match backend {
        Backend::Postgres => {
            outer
                .execute_unprepared(&format!("SELECT pg_advisory_xact_lock({EVENT_LOG_LOCK})"))
                .await?;
        }
        // Take the write lock first (a write statement does, even when it matches no row),
        // waiting for it under the busy timeout. A transaction that read first and wrote
        // later would fail outright when another process had committed in between.
        Backend::Sqlite => {
            outer
                .execute_unprepared("UPDATE counters SET value = value WHERE 1 = 0")
                .await?;
        }
    }
    Ok(outer)
}

/// A job that could not start: drop it, which drops its reply channel, so the caller
/// hears [`StoreError::WriterStopped`].
fn fail_unstarted(job: WriteJob, message: &str) {
    tracing::warn!(error = message, "write job dropped");
    drop(job);
}
