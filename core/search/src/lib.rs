//! Full-text search over tickets, on tantivy.
//!
//! - [`schema`] and [`document`]: what the index holds of a ticket;
//! - [`analyzer`] and [`lang`]: words, stems and stop words in many languages;
//! - [`query`]: the query language, read and compiled with the reader's permissions
//!   inside the query;
//! - [`index`]: the index on disk, its checkpoint in the event log, rebuilds;
//! - [`search`]: running a query — ranking, sorting, cursors, facets, snippets and
//!   similar tickets.

pub mod analyzer;
pub mod document;
pub mod index;
pub mod lang;
pub mod query;
pub mod schema;
pub mod search;
mod snippet;

use std::path::Path;

pub use document::{MessageDoc, TicketDoc};
pub use index::{Checkpoint, Home, SearchIndex, WriterConfig};
pub use lang::Lang;
pub use query::compile::{Directory, NamedStatus, Reader};
pub use query::parse::QueryError;
pub use search::{Facets, Hit, SearchRequest, SearchResults, Snippet, Sort};

/// What can go wrong in search.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The query cannot be read; the message says what and where.
    #[error("{0}")]
    Query(#[from] QueryError),
    /// A cursor that this search did not hand out.
    #[error("the cursor is not valid for this search")]
    BadCursor,
    /// There is no index in the directory.
    #[error("there is no search index at {0}")]
    Missing(String),
    /// The index cannot be used as it is.
    #[error("the search index is damaged: {0}")]
    Corrupt(String),
    /// The index was opened to search only.
    #[error("the search index is open read-only")]
    ReadOnly,
    /// Another process writes to this index.
    #[error("another process is writing to the search index at {0}")]
    Locked(String),
    #[error("search index I/O at {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("search index: {0}")]
    Tantivy(String),
}

impl SearchError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> SearchError {
        SearchError::Io {
            path: path.display().to_string(),
            source,
        }
    }
}

impl From<tantivy::TantivyError> for SearchError {
    fn from(e: tantivy::TantivyError) -> Self {
        match e {
            tantivy::TantivyError::LockFailure(_, _) => SearchError::Locked(e.to_string()),
            tantivy::TantivyError::DataCorruption(_) => SearchError::Corrupt(e.to_string()),
            other => SearchError::Tantivy(other.to_string()),
        }
    }
}
