//! What can go wrong in storage.

/// A storage failure. `Conflict` is the one the caller can act on (a unique key taken);
/// the others are internal.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint refused the row.
    #[error("{0} already exists")]
    Conflict(String),
    /// The database failed.
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
    /// The writer task is gone (the server is shutting down).
    #[error("the database writer has stopped")]
    WriterStopped,
    /// A stored value could not be read back.
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// Maps a unique-constraint violation to [`StoreError::Conflict`] naming `what`.
    pub fn unique(err: sea_orm::DbErr, what: &str) -> StoreError {
        let text = err.to_string().to_lowercase();
        if text.contains("unique") || text.contains("duplicate key") {
            StoreError::Conflict(what.to_string())
        } else {
            StoreError::Db(err)
        }
    }
}
