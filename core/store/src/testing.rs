//! Databases for tests: a SQLite file in a directory, or a fresh PostgreSQL database.

use sea_orm::{ConnectionTrait, Database};

use crate::StoreError;

/// The environment variable that points tests at a PostgreSQL server.
pub const TEST_DATABASE_ENV: &str = "TRIAGE_TEST_DATABASE_URL";

/// A database URL for one test. With `TRIAGE_TEST_DATABASE_URL` set, a new empty
/// database on that PostgreSQL server (test databases older than a day are dropped on the
/// way); otherwise a SQLite file in `dir`.
pub async fn test_database_url(dir: &std::path::Path) -> Result<String, StoreError> {
    match std::env::var(TEST_DATABASE_ENV) {
        Ok(base) => fresh_postgres_database(&base).await,
        Err(_) => Ok(format!("sqlite://{}", dir.join("triage.db").display())),
    }
}

/// Creates a new empty database on the PostgreSQL server of `base` (a URL naming any
/// database there) and returns its URL. Databases made this way more than a day ago are
/// dropped on the way.
pub async fn fresh_postgres_database(base: &str) -> Result<String, StoreError> {
    let admin = Database::connect(base).await?;
    let now = chrono::Utc::now().timestamp();
    let stale: Vec<String> = admin
        .query_all(sea_orm::Statement::from_string(
            admin.get_database_backend(),
            "SELECT datname FROM pg_database WHERE datname LIKE 'triage_t_%'".to_string(),
        ))
        .await?
        .iter()
        .filter_map(|row| row.try_get::<String>("", "datname").ok())
        .filter(|name| {
            name.split('_')
                .nth(2)
                .and_then(|t| t.parse::<i64>().ok())
                .is_some_and(|t| now - t > 24 * 3600)
        })
        .collect();
    for name in stale {
        let _ = admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await;
    }
    let name = format!("triage_t_{now}_{}", rand_suffix());
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await?;
    admin.close().await?;
    let (prefix, _) = base
        .rsplit_once('/')
        .ok_or_else(|| StoreError::Corrupt(format!("{TEST_DATABASE_ENV} has no database name")))?;
    Ok(format!("{prefix}/{name}"))
}

fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{}_{n}", std::process::id())
}
