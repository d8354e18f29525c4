//! Opening the database named by a URL, with the durability settings Triage promises.

use std::str::FromStr;
use std::time::Duration;

use sea_orm::sqlx::postgres::PgPoolOptions;
use sea_orm::sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use sea_orm::{DatabaseConnection, SqlxPostgresConnector, SqlxSqliteConnector, TransactionTrait};
use sea_orm_migration::MigratorTrait;

use crate::migration::Migrator;

/// A consistent read-only view of the database; see [`Store::snapshot`].
#[derive(Debug)]
pub struct Snapshot {
    tx: sea_orm::DatabaseTransaction,
    backend: Backend,
}

impl Snapshot {
    /// The repositories over this snapshot.
    pub fn repos(&self) -> Repos<'_, sea_orm::DatabaseTransaction> {
        Repos::new(&self.tx, self.backend)
    }

    /// Ends the snapshot.
    pub async fn end(self) -> Result<(), StoreError> {
        self.tx.commit().await?;
        Ok(())
    }
}
use crate::writer::Writer;
use crate::{Repos, StoreError};

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// An open database: a pool for reads and the one writer for changes.
#[derive(Debug, Clone)]
pub struct Store {
    db: DatabaseConnection,
    writer_db: DatabaseConnection,
    backend: Backend,
    writer: Writer,
}

impl Store {
    /// Opens the database at `url` (`sqlite://path` or `postgres://…`), creating a SQLite
    /// file if missing. It does not migrate: call [`Store::migrate`].
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        let (db, writer_db, backend) = if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(|e| {
                    StoreError::Db(sea_orm::DbErr::Custom(format!("bad sqlite url: {e}")))
                })?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                .pragma("cache_size", "-16000");
            let readers = SqlitePoolOptions::new()
                .max_connections(4)
                .min_connections(1)
                .connect_with(options.clone())
                .await
                .map_err(|e| {
                    StoreError::Db(sea_orm::DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e)))
                })?;
            let writer = SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .connect_with(options)
                .await
                .map_err(|e| {
                    StoreError::Db(sea_orm::DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e)))
                })?;
            (
                SqlxSqliteConnector::from_sqlx_sqlite_pool(readers),
                SqlxSqliteConnector::from_sqlx_sqlite_pool(writer),
                Backend::Sqlite,
            )
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .min_connections(1)
                .acquire_timeout(Duration::from_secs(10))
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        use sea_orm::sqlx::Executor;
                        conn.execute("SET synchronous_commit = on").await?;
                        Ok(())
                    })
                })
                .connect(url)
                .await
                .map_err(|e| {
                    StoreError::Db(sea_orm::DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e)))
                })?;
            let db = SqlxPostgresConnector::from_sqlx_postgres_pool(pool);
            (db.clone(), db, Backend::Postgres)
        } else {
            return Err(StoreError::Db(sea_orm::DbErr::Custom(format!(
                "unsupported database url {url:?}: use sqlite://… or postgres://…"
            ))));
        };
        let writer = Writer::start(writer_db.clone(), backend);
        Ok(Store {
            db,
            writer_db,
            backend,
            writer,
        })
    }

    /// Applies every migration not applied yet.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        Migrator::up(&self.db, None).await?;
        Ok(())
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Read access outside any transaction.
    pub fn read(&self) -> Repos<'_, DatabaseConnection> {
        Repos::new(&self.db, self.backend)
    }

    /// A read-only transaction: every read through it sees the database as of one
    /// moment, for readers that must see events and the rows they describe together.
    pub async fn snapshot(&self) -> Result<Snapshot, StoreError> {
        let tx = match self.backend {
            Backend::Postgres => {
                self.db
                    .begin_with_config(
                        Some(sea_orm::IsolationLevel::RepeatableRead),
                        Some(sea_orm::AccessMode::ReadOnly),
                    )
                    .await?
            }
            Backend::Sqlite => self.db.begin().await?,
        };
        Ok(Snapshot {
            tx,
            backend: self.backend,
        })
    }

    /// Runs `job` in the next group-commit batch and returns its result once the batch
    /// has committed. If the job fails, only its own savepoint is rolled back.
    pub async fn write<T, E, F>(&self, job: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: for<'a> FnOnce(&'a Tx) -> futures::future::BoxFuture<'a, Result<T, E>> + Send + 'static,
    {
        self.writer.run(0, job).await
    }

    /// Like [`Store::write`], for a job that creates `tickets` tickets: the batch reserves
    /// their numbers in one step instead of one counter update per ticket.
    pub async fn write_creating<T, E, F>(&self, tickets: u32, job: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: for<'a> FnOnce(&'a Tx) -> futures::future::BoxFuture<'a, Result<T, E>> + Send + 'static,
    {
        self.writer.run(tickets, job).await
    }

    /// The durability settings in force on the connection that writes, as
    /// `name=value` pairs: `journal_mode` and `synchronous` on SQLite (2 is FULL),
    /// `synchronous_commit` on PostgreSQL.
    pub async fn durability(&self) -> Result<Vec<(String, String)>, StoreError> {
        use sea_orm::{ConnectionTrait, Statement};
        let queries: &[(&str, &str)] = match self.backend {
            Backend::Sqlite => &[
                ("journal_mode", "PRAGMA journal_mode"),
                ("synchronous", "PRAGMA synchronous"),
            ],
            Backend::Postgres => &[("synchronous_commit", "SHOW synchronous_commit")],
        };
        let mut out = Vec::new();
        for (name, sql) in queries {
            let row = self
                .writer_db
                .query_one(Statement::from_string(
                    self.writer_db.get_database_backend(),
                    *sql,
                ))
                .await?
                .ok_or_else(|| StoreError::Corrupt(format!("{sql} returned nothing")))?;
            let value = row
                .try_get_by_index::<String>(0)
                .or_else(|_| row.try_get_by_index::<i64>(0).map(|v| v.to_string()))?;
            out.push((name.to_string(), value));
        }
        Ok(out)
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db.ping().await?;
        Ok(())
    }

    /// Closes the pools after the writer has finished what it holds.
    pub async fn close(self) {
        self.writer.stop().await;
        let _ = self.db.close().await;
    }
}

use crate::writer::Tx;
