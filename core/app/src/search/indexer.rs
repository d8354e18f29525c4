//! Keeping the index in step with the database: following the event log, building a
//! whole index, swapping in a rebuilt one, and checking the index against the tickets.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::task::JoinHandle;
use triage_search::schema::SCHEMA_VERSION;
use triage_search::{Checkpoint, MessageDoc, SearchError, SearchIndex, TicketDoc, WriterConfig};
use triage_store::{Conn, Repos, TicketRow};

use crate::{App, AppError, AppResult};

/// How many events one indexing pass takes at most.
const EVENTS_PER_PASS: u64 = 2000;
/// How many tickets a build reads at once.
const BUILD_BATCH: u64 = 1000;
/// A build commits (and becomes searchable) after this many tickets.
const BUILD_COMMIT_EVERY: u64 = 50_000;
/// How often the indexer looks for events written by other processes, and for a
/// rebuilt index to swap in.
const POLL: Duration = Duration::from_millis(500);
/// The file that marks an index directory as being built by a live process.
const BUILDING: &str = "building.pid";

/// The running indexer; [`SearchHandle::stop`] ends it.
#[derive(Debug)]
pub struct SearchHandle {
    task: JoinHandle<()>,
}

impl SearchHandle {
    /// Stops following the event log; what was committed stays.
    pub fn stop(self) {
        self.task.abort();
    }
}

/// What a rebuild did.
#[derive(Debug, Clone)]
pub struct ReindexSummary {
    pub tickets: u64,
    pub seconds: f64,
    pub disk_bytes: u64,
    pub directory: PathBuf,
}

/// How the index differs from the database.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexCheck {
    /// The event log position the index holds everything up to.
    pub position: i64,
    /// The newest event in the log.
    pub log_head: i64,
    /// Tickets in the database and not in the index.
    pub missing: Vec<i64>,
    /// Tickets indexed at another version than the database's.
    pub stale: Vec<i64>,
    /// Tickets in the index that are deleted or do not exist.
    pub extra: Vec<i64>,
    pub indexed: u64,
}

impl IndexCheck {
    /// Whether index and database agree ticket by ticket.
    pub fn consistent(&self) -> bool {
        self.missing.is_empty() && self.stale.is_empty() && self.extra.is_empty()
    }
}

fn blocking_err(e: tokio::task::JoinError) -> AppError {
    AppError::Internal(format!("search task: {e}"))
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, SearchError> + Send + 'static,
) -> AppResult<T> {
    Ok(tokio::task::spawn_blocking(f)
        .await
        .map_err(blocking_err)??)
}

fn mark_building(dir: &Path) -> AppResult<()> {
    std::fs::write(dir.join(BUILDING), std::process::id().to_string())
        .map_err(|e| AppError::Internal(format!("cannot write in {}: {e}", dir.display())))
}

fn being_built(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join(BUILDING))
        .ok()
        .and_then(|pid| pid.trim().parse::<u32>().ok())
        .is_some_and(|pid| pid != std::process::id() && Path::new(&format!("/proc/{pid}")).exists())
}

/// Removes index directories other than the current one, except those another live
/// process is building.
fn tidy(home: &triage_search::Home, keep: &[&Path]) {
    let Ok(entries) = std::fs::read_dir(home.root()) else {
        return;
    };
    let mut protected: Vec<PathBuf> = keep.iter().map(|p| p.to_path_buf()).collect();
    for e in entries.flatten() {
        if being_built(&e.path()) {
            protected.push(e.path());
        }
    }
    let refs: Vec<&Path> = protected.iter().map(PathBuf::as_path).collect();
    home.remove_others(&refs);
}

impl App {
    /// Opens the search index (rebuilding it when it is missing or damaged, with a log
    /// line saying so) and starts following the event log.
    pub async fn start_search(&self) -> AppResult<SearchHandle> {
        let home = self.search.home.clone();
        std::fs::create_dir_all(home.root()).map_err(|e| {
            AppError::Internal(format!("cannot create {}: {e}", home.root().display()))
        })?;
        let current = home.current();
        let opened = match current.clone() {
            Some(dir) => {
                tokio::task::spawn_blocking(move || SearchIndex::open(&dir, WriterConfig::LIVE))
                    .await
                    .map_err(blocking_err)?
            }
            None => Err(SearchError::Missing(home.root().display().to_string())),
        };
        let (index, rebuild) = match opened {
            Ok(index) => (index, false),
            Err(e @ SearchError::Locked(_)) => return Err(AppError::Internal(e.to_string())),
            Err(e) => {
                match &current {
                    None => tracing::warn!(
                        directory = %home.root().display(),
                        "there is no search index yet: building it from the database"
                    ),
                    Some(dir) => tracing::warn!(
                        directory = %dir.display(), reason = %e,
                        "the search index cannot be used: rebuilding it from the database"
                    ),
                }
                let dir = home.fresh()?;
                let index = blocking(move || SearchIndex::create(&dir, WriterConfig::LIVE)).await?;
                home.make_current(index.dir())?;
                (index, true)
            }
        };
        let index = Arc::new(index);
        tidy(&home, &[index.dir()]);
        if let Some(old) = self.search.set(Some(index.clone())) {
            drop(old);
        }
        let app = self.clone();
        // Only a rebuild keeps its own handle on the index, and only while it runs: a
        // swapped-out index is removed once nothing holds it.
        let to_build = rebuild.then_some(index);
        let task = tokio::spawn(async move {
            if let Some(index) = to_build {
                loop {
                    match app.build_into(&index, None).await {
                        Ok(n) => {
                            tracing::info!(tickets = n, "search index built");
                            break;
                        }
                        Err(e) => {
                            tracing::error!(error = %e, "building the search index failed; starting over");
                            tokio::time::sleep(Duration::from_secs(5)).await;
                            // What the failed attempt added must not be added twice.
                            let target = index.clone();
                            let cleared = blocking(move || {
                                target.clear(Checkpoint {
                                    schema: SCHEMA_VERSION,
                                    position: 0,
                                    complete: false,
                                })
                            })
                            .await;
                            if let Err(e) = cleared {
                                tracing::error!(error = %e, "cannot empty the search index");
                            }
                        }
                    }
                }
            }
            app.follow().await;
        });
        Ok(SearchHandle { task })
    }

    /// Follows the event log for ever.
    async fn follow(&self) {
        let mut failures = 0u32;
        loop {
            let woken = self.events.notified();
            match self.index_pass().await {
                Ok(true) => {
                    failures = 0;
                    continue;
                }
                Ok(false) => failures = 0,
                Err(e) => {
                    failures += 1;
                    tracing::error!(error = %e, "indexing failed; retrying");
                    tokio::time::sleep(Duration::from_millis(200 * u64::from(failures.min(25))))
                        .await;
                }
            }
            let _ = tokio::time::timeout(POLL, woken).await;
        }
    }

    /// Swaps in a rebuilt index if one was made current, then indexes the next events.
    /// Returns whether it indexed anything.
    pub(crate) async fn index_pass(&self) -> AppResult<bool> {
        self.swap_if_rebuilt().await?;
        let Some(index) = self.search.get() else {
            return Ok(false);
        };
        let position = {
            let index = index.clone();
            blocking(move || index.checkpoint()).await?
        }
        .map(|c| c.position)
        .unwrap_or(0);
        // Events and the rows they describe are read in one snapshot, so a row is never
        // older than the events already applied for it.
        let snapshot = self.store.snapshot().await?;
        let repos = snapshot.repos();
        let events = repos.events_after(position, EVENTS_PER_PASS).await?;
        let Some(last) = events.last().map(|e| e.id) else {
            snapshot.end().await?;
            return Ok(false);
        };
        let ids: BTreeSet<i64> = events.iter().filter_map(|e| e.ticket_id).collect();
        let ids: Vec<i64> = ids.into_iter().collect();
        let rows = repos.tickets_by_ids(&ids).await?;
        let live: HashSet<i64> = rows
            .iter()
            .filter(|t| t.deleted_at.is_none())
            .map(|t| t.id)
            .collect();
        let deletes: Vec<u64> = ids
            .iter()
            .filter(|id| !live.contains(id))
            .map(|id| *id as u64)
            .collect();
        let docs = self
            .ticket_docs(
                &repos,
                rows.into_iter()
                    .filter(|t| t.deleted_at.is_none())
                    .collect(),
            )
            .await?;
        snapshot.end().await?;
        let checkpoint = Checkpoint {
            schema: SCHEMA_VERSION,
            position: last,
            complete: true,
        };
        blocking(move || index.apply(&docs, &deletes, checkpoint)).await?;
        Ok(true)
    }

    async fn swap_if_rebuilt(&self) -> AppResult<()> {
        let home = &self.search.home;
        let Some(current) = home.current() else {
            return Ok(());
        };
        let Some(in_use) = self.search.get() else {
            return Ok(());
        };
        if in_use.dir() == current {
            return Ok(());
        }
        let dir = current.clone();
        let fresh = blocking(move || SearchIndex::open(&dir, WriterConfig::LIVE)).await?;
        tracing::info!(directory = %current.display(), "switching to the rebuilt search index");
        let old = self.search.set(Some(Arc::new(fresh)));
        drop(in_use);
        if let Some(old) = old {
            let old_dir = old.dir().to_path_buf();
            // Searches in flight keep their own reference; the directory goes once the
            // last one is done.
            let home = home.clone();
            tokio::task::spawn_blocking(move || {
                while Arc::strong_count(&old) > 1 {
                    std::thread::sleep(Duration::from_millis(50));
                }
                if let Ok(index) = Arc::try_unwrap(old) {
                    let _ = index.close();
                }
                tidy(&home, &[]);
                tracing::debug!(directory = %old_dir.display(), "removed the old search index");
            });
        }
        Ok(())
    }

    /// Adds every ticket to an empty index and commits with the log position read before
    /// the first ticket, so events during the build are applied after it. Returns the
    /// number of tickets.
    async fn build_into(
        &self,
        index: &Arc<SearchIndex>,
        progress: Option<&(dyn Fn(u64, u64) + Sync)>,
    ) -> AppResult<u64> {
        let position = self.store.read().last_event_id().await?;
        let total = self.store.read().count_live_tickets().await?;
        let checkpoint = move |complete| Checkpoint {
            schema: SCHEMA_VERSION,
            position,
            complete,
        };
        let mut after = 0;
        let mut done = 0u64;
        let mut since_commit = 0u64;
        // Reading the next batch overlaps with indexing the previous one.
        let mut pending: Option<JoinHandle<Result<(), SearchError>>> = None;
        loop {
            // Each batch is read in one snapshot that holds at least every event up to
            // `position`, so no ticket is read older than the checkpoint claims.
            let snapshot = self.store.snapshot().await?;
            let repos = snapshot.repos();
            if repos.last_event_id().await? < position {
                snapshot.end().await?;
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
            let rows = repos.live_tickets_after(after, BUILD_BATCH).await?;
            let Some(last) = rows.last().map(|t| t.id) else {
                snapshot.end().await?;
                break;
            };
            after = last;
            let n = rows.len() as u64;
            let docs = self.ticket_docs(&repos, rows).await?;
            snapshot.end().await?;
            if let Some(p) = pending.take() {
                p.await.map_err(blocking_err)??;
            }
            let target = index.clone();
            let commit = since_commit + n >= BUILD_COMMIT_EVERY;
            pending = Some(tokio::task::spawn_blocking(move || {
                let fields = target.fields().clone();
                target.add(docs.iter().map(|d| d.to_document(&fields)).collect())?;
                if commit {
                    target.commit(checkpoint(false))?;
                }
                Ok(())
            }));
            since_commit = if commit { 0 } else { since_commit + n };
            done += n;
            if let Some(p) = progress {
                p(done, total.max(done));
            }
        }
        if let Some(p) = pending.take() {
            p.await.map_err(blocking_err)??;
        }
        let target = index.clone();
        blocking(move || target.commit(checkpoint(true))).await?;
        Ok(done)
    }

    /// Builds a new index from the database beside the one in use and swaps it in; a
    /// server running on this data directory switches to it within a second and keeps
    /// answering searches meanwhile. `progress` gets (done, total) tickets.
    pub async fn reindex(
        &self,
        progress: Option<&(dyn Fn(u64, u64) + Sync)>,
    ) -> AppResult<ReindexSummary> {
        let started = Instant::now();
        let home = self.search.home.clone();
        std::fs::create_dir_all(home.root()).map_err(|e| {
            AppError::Internal(format!("cannot create {}: {e}", home.root().display()))
        })?;
        let dir = home.fresh()?;
        mark_building(&dir)?;
        let build_dir = dir.clone();
        let index =
            Arc::new(blocking(move || SearchIndex::create(&build_dir, WriterConfig::BULK)).await?);
        let result = self.build_into(&index, progress).await;
        let index = Arc::try_unwrap(index)
            .map_err(|_| AppError::Internal("the new index is still in use".into()))?;
        let closed = blocking(move || index.close()).await;
        let tickets = match (result, closed) {
            (Ok(n), Ok(())) => n,
            (Err(e), _) | (_, Err(e)) => {
                let _ = std::fs::remove_dir_all(&dir);
                return Err(e);
            }
        };
        let _ = std::fs::remove_file(dir.join(BUILDING));
        home.make_current(&dir)?;
        // The index replaced is removed by whoever uses it: a running server once it has
        // switched, otherwise the next server start.
        Ok(ReindexSummary {
            tickets,
            seconds: started.elapsed().as_secs_f64(),
            disk_bytes: triage_search::index::dir_bytes(&dir),
            directory: dir,
        })
    }

    /// Compares the index with the database ticket by ticket.
    pub async fn check_search_index(&self) -> AppResult<IndexCheck> {
        let index = match self.search.get() {
            Some(i) => i,
            None => {
                let Some(dir) = self.search.home.current() else {
                    return Err(AppError::Unavailable("there is no search index".into()));
                };
                Arc::new(blocking(move || SearchIndex::open_readonly(&dir)).await?)
            }
        };
        let reading = index.clone();
        let (indexed, checkpoint) =
            blocking(move || Ok((reading.versions()?, reading.checkpoint()?))).await?;
        let repos = self.store.read();
        let db: HashMap<i64, i64> = repos.live_ticket_versions().await?.into_iter().collect();
        let mut check = IndexCheck {
            position: checkpoint.map(|c| c.position).unwrap_or(0),
            log_head: repos.last_event_id().await?,
            indexed: indexed.len() as u64,
            ..Default::default()
        };
        for (id, version) in &db {
            match indexed.get(&(*id as u64)) {
                None => check.missing.push(*id),
                Some(v) if *v != *version as u64 => check.stale.push(*id),
                Some(_) => {}
            }
        }
        for id in indexed.keys() {
            if !db.contains_key(&(*id as i64)) {
                check.extra.push(*id as i64);
            }
        }
        check.missing.sort();
        check.stale.sort();
        check.extra.sort();
        Ok(check)
    }

    /// Waits until the index holds every event committed so far (tests, `reindex`).
    pub async fn search_caught_up(&self, timeout: Duration) -> AppResult<bool> {
        let deadline = Instant::now() + timeout;
        let head = self.store.read().last_event_id().await?;
        while Instant::now() < deadline {
            if let Some(index) = self.search.get() {
                let at = index.searchable_checkpoint();
                if at.is_some_and(|c| c.complete && c.position >= head) {
                    return Ok(true);
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(false)
    }

    /// Turns ticket rows into index documents, looking up what they refer to.
    pub(crate) async fn ticket_docs<C: Conn>(
        &self,
        repos: &Repos<'_, C>,
        rows: Vec<TicketRow>,
    ) -> AppResult<Vec<TicketDoc>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let config = self.config_snapshot().await?;
        let ids: Vec<i64> = rows.iter().map(|t| t.id).collect();
        let mut messages: HashMap<i64, Vec<MessageDoc>> = HashMap::new();
        for (id, ticket_id, author, public, text) in repos.message_texts_of_tickets(&ids).await? {
            messages.entry(ticket_id).or_default().push(MessageDoc {
                id: id as u64,
                author: author as u64,
                public,
                text,
            });
        }
        let with_files: HashSet<i64> = repos
            .tickets_with_attachments(&ids)
            .await?
            .into_iter()
            .collect();
        let people: BTreeSet<i64> = rows.iter().map(|t| t.requester_id).collect();
        let people: Vec<i64> = people.into_iter().collect();
        let users: HashMap<i64, (String, String)> = repos
            .users_by_ids(&people)
            .await?
            .into_iter()
            .map(|u| (u.id, (u.name, u.email)))
            .collect();
        let orgs: BTreeSet<i64> = rows.iter().filter_map(|t| t.organization_id).collect();
        let orgs: Vec<i64> = orgs.into_iter().collect();
        let orgs: HashMap<i64, String> = repos
            .organizations_by_ids(&orgs)
            .await?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect();
        let category: HashMap<i64, &str> = config
            .statuses
            .iter()
            .map(|s| (s.id, s.category.as_str()))
            .collect();
        Ok(rows
            .into_iter()
            .map(|t| {
                let mut meta = Vec::new();
                if let Some((name, email)) = users.get(&t.requester_id) {
                    meta.push(name.clone());
                    meta.push(email.clone());
                }
                if let Some(name) = t.organization_id.and_then(|o| orgs.get(&o)) {
                    meta.push(name.clone());
                }
                if let Value::Object(fields) = &t.custom_fields {
                    for v in fields.values() {
                        match v {
                            Value::String(s) => meta.push(s.clone()),
                            Value::Number(n) => meta.push(n.to_string()),
                            Value::Array(items) => meta.extend(
                                items.iter().filter_map(|i| i.as_str().map(str::to_string)),
                            ),
                            _ => {}
                        }
                    }
                }
                TicketDoc {
                    id: t.id as u64,
                    version: t.version as u64,
                    category: category
                        .get(&t.status_id)
                        .copied()
                        .unwrap_or("open")
                        .to_string(),
                    status_id: t.status_id as u64,
                    subject: t.subject,
                    priority: t.priority,
                    kind: t.kind,
                    assignee_id: t.assignee_id.map(|v| v as u64),
                    group_id: t.group_id.map(|v| v as u64),
                    organization_id: t.organization_id.map(|v| v as u64),
                    requester_id: t.requester_id as u64,
                    channel: t.channel,
                    tags: triage_store::repo::json_strings(&t.tags),
                    meta,
                    has_attachment: with_files.contains(&t.id),
                    created_at: t.created_at,
                    updated_at: t.updated_at,
                    solved_at: t.solved_at,
                    messages: messages.remove(&t.id).unwrap_or_default(),
                }
            })
            .collect())
    }
}
