//! The index on disk: where it lives, its checkpoint, and writing tickets into it.
//!
//! The index lives in `<data dir>/search/`: each build in its own `index-…` directory,
//! and the file `CURRENT` naming the one in use. A rebuild writes a new directory and
//! then replaces `CURRENT` in one rename, so readers never see half an index.
//!
//! Every commit carries a [`Checkpoint`]: the position in the event log the index holds
//! everything up to. It is written in the same commit as the documents, so after a crash
//! the index and its position agree and indexing resumes exactly there.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use tantivy::directory::MmapDirectory;
use tantivy::indexer::LogMergePolicy;
use tantivy::schema::Value;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, TantivyDocument, Term};

use crate::SearchError;
use crate::analyzer;
use crate::document::TicketDoc;
use crate::schema::{Fields, SCHEMA_VERSION};

const CURRENT: &str = "CURRENT";

/// How far into the event log an index is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The schema version the index was written with.
    pub schema: u32,
    /// Every event up to and including this id is in the index.
    pub position: i64,
    /// False while a rebuild is still adding tickets.
    pub complete: bool,
}

/// The directory holding the index builds and the pointer to the current one.
#[derive(Debug, Clone)]
pub struct Home {
    root: PathBuf,
}

impl Home {
    /// The search directory (usually `<data dir>/search`).
    pub fn new(root: impl Into<PathBuf>) -> Home {
        Home { root: root.into() }
    }

    /// The directory of the index in use, if any.
    pub fn current(&self) -> Option<PathBuf> {
        let name = std::fs::read_to_string(self.root.join(CURRENT)).ok()?;
        let name = name.trim();
        (!name.is_empty() && !name.contains('/')).then(|| self.root.join(name))
    }

    /// A new, empty directory for a build.
    pub fn fresh(&self) -> Result<PathBuf, SearchError> {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros())
            .unwrap_or_default();
        let dir = self.root.join(format!("index-{stamp}"));
        std::fs::create_dir_all(&dir).map_err(|e| SearchError::io(&dir, e))?;
        Ok(dir)
    }

    /// Makes `dir` the index in use, atomically.
    pub fn make_current(&self, dir: &Path) -> Result<(), SearchError> {
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| SearchError::Corrupt(format!("bad index path {}", dir.display())))?;
        let tmp = self.root.join("CURRENT.tmp");
        std::fs::write(&tmp, name).map_err(|e| SearchError::io(&tmp, e))?;
        std::fs::File::open(&tmp)
            .and_then(|f| f.sync_all())
            .map_err(|e| SearchError::io(&tmp, e))?;
        let target = self.root.join(CURRENT);
        std::fs::rename(&tmp, &target).map_err(|e| SearchError::io(&target, e))?;
        if let Ok(d) = std::fs::File::open(&self.root) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    /// Removes index builds other than the current one and those in `keep`.
    pub fn remove_others(&self, keep: &[&Path]) {
        let current = self.current();
        let Ok(entries) = std::fs::read_dir(&self.root) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let is_build = path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("index-"));
            if is_build
                && Some(&path) != current.as_ref()
                && !keep.contains(&path.as_path())
                && let Err(e) = std::fs::remove_dir_all(&path)
            {
                tracing::warn!(path = %path.display(), error = %e, "cannot remove an old search index");
            }
        }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }
}

/// How much memory and how many threads the writer uses.
#[derive(Debug, Clone, Copy)]
pub struct WriterConfig {
    pub threads: usize,
    /// The indexing memory budget over all threads, in bytes.
    pub memory: usize,
}

impl WriterConfig {
    /// For following the event log: small batches, little memory.
    pub const LIVE: WriterConfig = WriterConfig {
        threads: 1,
        memory: 64 * 1024 * 1024,
    };
    /// For building a whole index.
    pub const BULK: WriterConfig = WriterConfig {
        threads: 2,
        memory: 384 * 1024 * 1024,
    };
}

/// An open index, with its writer unless opened read-only.
pub struct SearchIndex {
    dir: PathBuf,
    index: Index,
    reader: IndexReader,
    writer: Option<Mutex<IndexWriter>>,
    fields: Fields,
    /// The checkpoint of what searches see: set after the reader reloads, so it never runs
    /// ahead of the searcher (the commit on disk does, until the reload).
    searchable: Mutex<Option<Checkpoint>>,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl SearchIndex {
    /// Creates an empty index in `dir`.
    pub fn create(dir: &Path, writer: WriterConfig) -> Result<SearchIndex, SearchError> {
        std::fs::create_dir_all(dir).map_err(|e| SearchError::io(dir, e))?;
        let fields = Fields::new();
        let directory =
            MmapDirectory::open(dir).map_err(|e| SearchError::Corrupt(e.to_string()))?;
        let index = Index::create(directory, fields.schema.clone(), Default::default())?;
        Self::with_index(dir, index, fields, Some(writer))
    }

    /// Opens the index in `dir` to search and write it; an error says why it cannot be
    /// used (then rebuild it).
    pub fn open(dir: &Path, writer: WriterConfig) -> Result<SearchIndex, SearchError> {
        Self::open_with(dir, Some(writer))
    }

    /// Opens the index in `dir` to search only, beside a process that writes it.
    pub fn open_readonly(dir: &Path) -> Result<SearchIndex, SearchError> {
        Self::open_with(dir, None)
    }

    fn open_with(dir: &Path, writer: Option<WriterConfig>) -> Result<SearchIndex, SearchError> {
        if !dir.join("meta.json").exists() {
            return Err(SearchError::Missing(dir.display().to_string()));
        }
        let index = Index::open_in_dir(dir)?;
        let fields = Fields::new();
        if !fields.matches(&index.schema()) {
            return Err(SearchError::Corrupt(
                "the index was written with another schema".into(),
            ));
        }
        let opened = Self::with_index(dir, index, fields, writer)?;
        match opened.checkpoint()? {
            Some(c) if c.schema == SCHEMA_VERSION && c.complete => Ok(opened),
            Some(c) if c.schema == SCHEMA_VERSION => Err(SearchError::Corrupt(
                "a rebuild of the index was interrupted".into(),
            )),
            Some(_) => Err(SearchError::Corrupt(
                "the index was written with another schema version".into(),
            )),
            None => Err(SearchError::Corrupt("the index has no checkpoint".into())),
        }
    }

    fn with_index(
        dir: &Path,
        index: Index,
        fields: Fields,
        config: Option<WriterConfig>,
    ) -> Result<SearchIndex, SearchError> {
        analyzer::register(&index);
        let writer = match config {
            Some(config) => {
                let writer: IndexWriter =
                    index.writer_with_num_threads(config.threads.max(1), config.memory)?;
                let mut policy = LogMergePolicy::default();
                policy.set_del_docs_ratio_before_merge(0.25);
                writer.set_merge_policy(Box::new(policy));
                Some(Mutex::new(writer))
            }
            None => None,
        };
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let searchable = Mutex::new(
            index
                .load_metas()?
                .payload
                .as_deref()
                .and_then(|p| serde_json::from_str(p).ok()),
        );
        Ok(SearchIndex {
            dir: dir.to_path_buf(),
            index,
            reader,
            writer,
            fields,
            searchable,
        })
    }

    /// Reloads the reader after a commit of `checkpoint`.
    fn reload(&self, checkpoint: Checkpoint) -> Result<(), SearchError> {
        self.reader.reload()?;
        if let Ok(mut searchable) = self.searchable.lock() {
            *searchable = Some(checkpoint);
        }
        Ok(())
    }

    /// How far into the event log searches see.
    pub fn searchable_checkpoint(&self) -> Option<Checkpoint> {
        self.searchable.lock().ok().and_then(|c| *c)
    }

    fn writer(&self) -> Result<std::sync::MutexGuard<'_, IndexWriter>, SearchError> {
        self.writer
            .as_ref()
            .ok_or(SearchError::ReadOnly)?
            .lock()
            .map_err(|_| SearchError::Corrupt("the index writer panicked".into()))
    }

    /// The directory the index lives in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The fields of the schema.
    pub fn fields(&self) -> &Fields {
        &self.fields
    }

    /// The last committed checkpoint.
    pub fn checkpoint(&self) -> Result<Option<Checkpoint>, SearchError> {
        let metas = self.index.load_metas()?;
        Ok(metas
            .payload
            .as_deref()
            .and_then(|p| serde_json::from_str(p).ok()))
    }

    /// A searcher over the last committed state.
    pub fn searcher(&self) -> Searcher {
        self.reader.searcher()
    }

    /// Replaces the documents of `upserts`, removes those of `deletes`, and commits with
    /// `checkpoint`, all at once.
    pub fn apply(
        &self,
        upserts: &[TicketDoc],
        deletes: &[u64],
        checkpoint: Checkpoint,
    ) -> Result<(), SearchError> {
        let mut writer = self.writer()?;
        for id in deletes.iter().chain(upserts.iter().map(|d| &d.id)) {
            writer.delete_term(Term::from_field_u64(self.fields.id, *id));
        }
        for doc in upserts {
            writer.add_document(doc.to_document(&self.fields))?;
        }
        commit(&mut writer, checkpoint)?;
        drop(writer);
        self.reload(checkpoint)
    }

    /// Adds documents without removing anything first (building a fresh index).
    pub fn add(&self, docs: Vec<TantivyDocument>) -> Result<(), SearchError> {
        let writer = self.writer()?;
        for doc in docs {
            writer.add_document(doc)?;
        }
        Ok(())
    }

    /// Removes every document and commits `checkpoint` (before a rebuild starts over).
    pub fn clear(&self, checkpoint: Checkpoint) -> Result<(), SearchError> {
        let mut writer = self.writer()?;
        writer.delete_all_documents()?;
        commit(&mut writer, checkpoint)?;
        drop(writer);
        self.reload(checkpoint)
    }

    /// Commits what was added with [`SearchIndex::add`].
    pub fn commit(&self, checkpoint: Checkpoint) -> Result<(), SearchError> {
        let mut writer = self.writer()?;
        commit(&mut writer, checkpoint)?;
        drop(writer);
        self.reload(checkpoint)
    }

    /// Every ticket in the index with the version it was indexed at.
    pub fn versions(&self) -> Result<BTreeMap<u64, u64>, SearchError> {
        let searcher = self.searcher();
        let mut out = BTreeMap::new();
        for segment in searcher.segment_readers() {
            let ids = segment.fast_fields().u64("id")?;
            let versions = segment.fast_fields().u64("version")?;
            for doc in segment.doc_ids_alive() {
                if let (Some(id), Some(v)) = (ids.first(doc), versions.first(doc))
                    && out.insert(id, v).is_some()
                {
                    return Err(SearchError::Corrupt(format!(
                        "ticket #{id} is indexed twice"
                    )));
                }
            }
        }
        Ok(out)
    }

    /// How many tickets the index holds.
    pub fn len(&self) -> u64 {
        self.searcher().num_docs()
    }

    /// Whether the index holds no ticket.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The size of the index on disk, in bytes.
    pub fn disk_bytes(&self) -> u64 {
        dir_bytes(&self.dir)
    }

    /// Reads the stored document of a ticket.
    pub fn stored(
        &self,
        searcher: &Searcher,
        id: u64,
    ) -> Result<Option<TantivyDocument>, SearchError> {
        let query = tantivy::query::TermQuery::new(
            Term::from_field_u64(self.fields.id, id),
            tantivy::schema::IndexRecordOption::Basic,
        );
        let found = searcher.search(
            &query,
            &tantivy::collector::TopDocs::with_limit(1).order_by_score(),
        )?;
        match found.first() {
            Some((_, address)) => Ok(Some(searcher.doc(*address)?)),
            None => Ok(None),
        }
    }

    /// Waits for background merges to end (before a process exits or a directory is
    /// swapped away).
    pub fn close(self) -> Result<(), SearchError> {
        if let Some(writer) = self.writer {
            writer
                .into_inner()
                .map_err(|_| SearchError::Corrupt("the index writer panicked".into()))?
                .wait_merging_threads()?;
        }
        Ok(())
    }
}

/// The size of the files in an index directory, in bytes.
pub fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| e.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

fn commit(writer: &mut IndexWriter, checkpoint: Checkpoint) -> Result<(), SearchError> {
    let payload =
        serde_json::to_string(&checkpoint).map_err(|e| SearchError::Corrupt(e.to_string()))?;
    let mut prepared = writer.prepare_commit()?;
    prepared.set_payload(&payload);
    prepared.commit()?;
    Ok(())
}

/// The first value of a stored field as text.
pub(crate) fn stored_str(doc: &TantivyDocument, field: tantivy::schema::Field) -> Option<&str> {
    doc.get_first(field).and_then(|v| v.as_str())
}
