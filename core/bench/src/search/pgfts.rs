//! The same tickets and the same queries on PostgreSQL full-text search: a `tsvector`
//! column (subject weighted A, messages after it) with a GIN index, B-tree indexes on the
//! dates and the filter columns, ranked by `ts_rank` — what a SQL-backed help desk does.

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement, Value};
use triage_search::Sort;

use crate::{Doc, MixQuery, PAGE};

/// How long each query may be timed at most (slow queries get fewer runs, at least 10).
const BUDGET: Duration = Duration::from_secs(20);

pub async fn run(
    base: &str,
    docs: &[Doc],
    mix: &[MixQuery],
    runs: usize,
) -> anyhow::Result<Vec<(f64, f64)>> {
    let url = triage_app::testing::fresh_postgres_database(base).await?;
    // One connection, so the session settings below hold for every statement.
    let mut options = sea_orm::ConnectOptions::new(url);
    options
        .max_connections(1)
        .min_connections(1)
        .sqlx_logging(false);
    let db = Database::connect(options).await?;
    db.execute_unprepared("SET maintenance_work_mem = '1GB'")
        .await?;
    db.execute_unprepared(
        "CREATE TABLE fts (id bigint PRIMARY KEY, subject text NOT NULL, body text NOT NULL, category text NOT NULL, priority text NOT NULL, group_id bigint NOT NULL, assignee_id bigint NOT NULL, created_at bigint NOT NULL, updated_at bigint NOT NULL, doc tsvector NOT NULL)",
    )
    .await?;
    let started = Instant::now();
    for chunk in docs.chunks(500) {
        let mut sql = String::from(
            "INSERT INTO fts (id, subject, body, category, priority, group_id, assignee_id, created_at, updated_at, doc) VALUES ",
        );
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 9);
        for (i, d) in chunk.iter().enumerate() {
            let p = i * 9;
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!(
                "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, setweight(to_tsvector('english', ${}), 'A') || to_tsvector('english', ${}))",
                p + 1, p + 2, p + 3, p + 4, p + 5, p + 6, p + 7, p + 8, p + 9, p + 2, p + 3
            ));
            values.extend([
                d.id.into(),
                d.subject.clone().into(),
                d.body.clone().into(),
                d.category.clone().into(),
                d.priority.clone().into(),
                d.group.into(),
                d.assignee.into(),
                d.created.into(),
                d.updated.into(),
            ]);
        }
        db.execute(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            values,
        ))
        .await?;
    }
    for ddl in [
        "CREATE INDEX fts_doc ON fts USING gin (doc)",
        "CREATE INDEX fts_created ON fts (created_at)",
        "CREATE INDEX fts_updated ON fts (updated_at)",
        "CREATE INDEX fts_filters ON fts (category, priority, updated_at)",
        "CREATE INDEX fts_group ON fts (group_id, updated_at)",
        "ANALYZE fts",
    ] {
        db.execute_unprepared(ddl).await?;
    }
    eprintln!(
        "  PostgreSQL loaded and indexed {} tickets in {:.0} s",
        docs.len(),
        started.elapsed().as_secs_f64()
    );
    let year_ago = triage_app::now_millis() - 365 * 86_400_000;
    let mut out = Vec::new();
    for q in mix {
        let words = q.words.join(" ");
        let tsq = if q.phrase {
            "phraseto_tsquery"
        } else {
            "plainto_tsquery"
        };
        let (sql, values): (String, Vec<Value>) = if let Some((category, priority)) = &q.filters {
            (
                format!(
                    "SELECT id FROM fts WHERE category = $1 AND priority = $2 ORDER BY updated_at DESC LIMIT {PAGE}"
                ),
                vec![category.clone().into(), priority.clone().into()],
            )
        } else if q.facets {
            (
                format!(
                    "SELECT category, priority, group_id, assignee_id, count(*) FROM fts, {tsq}('english', $1) q WHERE doc @@ q GROUP BY GROUPING SETS ((category), (priority), (group_id), (assignee_id))"
                ),
                vec![words.into()],
            )
        } else if let Some(group) = q.group {
            (
                format!(
                    "SELECT id FROM fts, {tsq}('english', $1) q WHERE doc @@ q AND group_id = $2 AND updated_at > $3 ORDER BY ts_rank(doc, q) DESC, id DESC LIMIT {PAGE}"
                ),
                vec![words.into(), group.into(), year_ago.into()],
            )
        } else if q.sort == Sort::CreatedDesc {
            (
                format!(
                    "SELECT id FROM fts, {tsq}('english', $1) q WHERE doc @@ q ORDER BY created_at DESC LIMIT {PAGE}"
                ),
                vec![words.into()],
            )
        } else {
            (
                format!(
                    "SELECT id FROM fts, {tsq}('english', $1) q WHERE doc @@ q ORDER BY ts_rank(doc, q) DESC, id DESC OFFSET {} LIMIT {PAGE}",
                    q.skip_pages * PAGE
                ),
                vec![words.into()],
            )
        };
        let mut h = Histogram::<u64>::new(3)?;
        let begun = Instant::now();
        let mut i = 0;
        while i < runs + 3 && (i < 13 || begun.elapsed() < BUDGET) {
            let t = Instant::now();
            db.query_all(Statement::from_sql_and_values(
                DbBackend::Postgres,
                sql.clone(),
                values.clone(),
            ))
            .await?;
            if i >= 3 {
                h.record(t.elapsed().as_micros() as u64)?;
            }
            i += 1;
        }
        eprintln!("  PostgreSQL {}: {} runs", q.name, i.saturating_sub(3));
        out.push((
            h.value_at_quantile(0.5) as f64 / 1000.0,
            h.value_at_quantile(0.99) as f64 / 1000.0,
        ));
    }
    Ok(out)
}
