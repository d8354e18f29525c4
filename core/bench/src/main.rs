//! `bench`: the reproducible benchmark behind BENCHMARKS.md.
//!
//! It builds nothing itself: run `cargo build --release -p triage-server -p triage-bench`
//! first, then `target/release/bench`. For each database it
//! 1. measures the raw rate of single-row transactions (a ticket row plus an event row) on
//!    that database, fully durable and relaxed (`synchronous=FULL`/`NORMAL` on SQLite,
//!    `synchronous_commit=on`/`off` on PostgreSQL), one connection, one row at a time;
//! 2. preloads tickets (each with a message and an event) straight into the schema;
//! 3. starts the real `triage serve` binary on that database and measures ticket creation
//!    through the HTTP API at the given concurrency, then `GET /api/v1/tickets/{id}`
//!    latency over the preloaded tickets;
//! 4. records the server's resident memory idle and its peak under load.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use hdrhistogram::Histogram;
use rand::Rng;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::json;
use triage_bench::{Server, cli, rss_mb};

#[derive(Debug, Parser)]
#[command(about = "Throughput, latency and memory of the Triage server")]
struct Args {
    /// PostgreSQL server to measure too (a fresh database is made on it).
    #[arg(long)]
    postgres: Option<String>,
    /// Skip SQLite.
    #[arg(long)]
    no_sqlite: bool,
    /// Tickets in the database before the HTTP measurements.
    #[arg(long, default_value_t = 1_000_000)]
    preload: u64,
    /// Tickets created through the API.
    #[arg(long, default_value_t = 20_000)]
    creates: u64,
    /// Concurrent clients creating tickets.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// GET requests for the latency figures.
    #[arg(long, default_value_t = 20_000)]
    gets: u64,
    /// Seconds each raw insert measurement runs.
    #[arg(long, default_value_t = 5)]
    raw_seconds: u64,
    /// The `triage` binary (default: beside this one).
    #[arg(long)]
    triage: Option<PathBuf>,
}

#[derive(Debug, Default)]
struct Results {
    database: String,
    raw_durable: f64,
    raw_relaxed: f64,
    /// SQLite only: the same transactions through an in-process binding (rusqlite), with
    /// no thread hop per statement.
    native: Option<(f64, f64)>,
    creates_per_sec: f64,
    create_p50_ms: f64,
    create_p99_ms: f64,
    tickets_in_db: u64,
    get_p50_ms: f64,
    get_p99_ms: f64,
    get_max_ms: f64,
    rss_idle_mb: f64,
    rss_peak_mb: f64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let triage = match &args.triage {
        Some(p) => p.clone(),
        None => std::env::current_exe()?
            .parent()
            .context("bench has no folder")?
            .join("triage"),
    };
    if !triage.exists() {
        bail!(
            "{} not found: run cargo build --release -p triage-server -p triage-bench",
            triage.display()
        );
    }
    let mut all = Vec::new();
    if !args.no_sqlite {
        let dir = tempfile::tempdir()?;
        let url = format!("sqlite://{}", dir.path().join("triage.db").display());
        all.push(run(&args, &triage, dir.path(), &url, "SQLite").await?);
    }
    if let Some(base) = &args.postgres {
        let dir = tempfile::tempdir()?;
        let url = triage_app::testing::fresh_postgres_database(base).await?;
        all.push(run(&args, &triage, dir.path(), &url, "PostgreSQL").await?);
    }
    println!();
    println!(
        "| database | raw durable tx/s | raw relaxed tx/s | API creates/s (c={}) | API / raw relaxed | create p50 / p99 ms | tickets in db | GET p50 / p99 / max ms | RSS idle / peak MB |",
        args.concurrency
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for r in &all {
        println!(
            "| {} | {:.0} | {:.0} | {:.0} | {:.0}% | {:.1} / {:.1} | {} | {:.2} / {:.2} / {:.1} | {:.0} / {:.0} |",
            r.database,
            r.raw_durable,
            r.raw_relaxed,
            r.creates_per_sec,
            100.0 * r.creates_per_sec / r.raw_relaxed.max(1.0),
            r.create_p50_ms,
            r.create_p99_ms,
            r.tickets_in_db,
            r.get_p50_ms,
            r.get_p99_ms,
            r.get_max_ms,
            r.rss_idle_mb,
            r.rss_peak_mb
        );
    }
    for r in &all {
        if let Some((durable, relaxed)) = r.native {
            println!();
            println!(
                "{} in-process (rusqlite): durable {durable:.0} tx/s, relaxed {relaxed:.0} tx/s; API creates at {:.0}% of the relaxed rate",
                r.database,
                100.0 * r.creates_per_sec / relaxed.max(1.0)
            );
        }
    }
    Ok(())
}

async fn run(
    args: &Args,
    triage: &Path,
    dir: &Path,
    url: &str,
    name: &str,
) -> anyhow::Result<Results> {
    let mut results = Results {
        database: name.to_string(),
        ..Results::default()
    };
    eprintln!("[{name}] migrating");
    cli(triage, dir, url, &["migrate"], None)?;
    let db = connect(url).await?;

    eprintln!(
        "[{name}] raw single-row transactions, {} s each",
        args.raw_seconds
    );
    results.raw_durable = raw_rate(&db, url, true, args.raw_seconds).await?;
    results.raw_relaxed = raw_rate(&db, url, false, args.raw_seconds).await?;
    eprintln!(
        "[{name}] raw: durable {:.0}/s, relaxed {:.0}/s",
        results.raw_durable, results.raw_relaxed
    );
    if let Some(path) = url.strip_prefix("sqlite://") {
        let seconds = args.raw_seconds;
        let path = PathBuf::from(path);
        let durable = tokio::task::spawn_blocking({
            let path = path.clone();
            move || native_rate(&path, true, seconds)
        })
        .await??;
        let relaxed =
            tokio::task::spawn_blocking(move || native_rate(&path, false, seconds)).await??;
        eprintln!("[{name}] in-process: durable {durable:.0}/s, relaxed {relaxed:.0}/s");
        results.native = Some((durable, relaxed));
    }

    eprintln!("[{name}] preloading {} tickets", args.preload);
    let started = Instant::now();
    preload(&db, args.preload).await?;
    eprintln!(
        "[{name}] preloaded in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    db.close().await?;

    cli(
        triage,
        dir,
        url,
        &[
            "user",
            "create",
            "--email",
            "bench@helpdesk.example",
            "--name",
            "Bench",
            "--role",
            "admin",
            "--password-stdin",
        ],
        Some("bench password 123"),
    )?;
    let token = cli(
        triage,
        dir,
        url,
        &[
            "token",
            "create",
            "--user",
            "bench@helpdesk.example",
            "--name",
            "bench",
        ],
        None,
    )?;
    let token = token.trim().to_string();

    let (mut server, base) = Server::spawn(triage, dir, url)?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency * 2)
        .build()?;
    wait_ready(&http, &base).await?;
    // Warm up, then read idle memory.
    for _ in 0..50 {
        http.get(format!("{base}/api/v1/tickets/1001"))
            .bearer_auth(&token)
            .send()
            .await?;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    results.rss_idle_mb = rss_mb(server.0.id(), "VmRSS")?;

    eprintln!(
        "[{name}] {} creates at concurrency {}",
        args.creates, args.concurrency
    );
    let (rate, p50, p99) = creates(&http, &base, &token, args.creates, args.concurrency).await?;
    results.creates_per_sec = rate;
    results.create_p50_ms = p50;
    results.create_p99_ms = p99;
    results.tickets_in_db = args.preload + args.creates;

    eprintln!("[{name}] {} GETs", args.gets);
    let (g50, g99, gmax) = gets(&http, &base, &token, args.preload.max(1), args.gets).await?;
    results.get_p50_ms = g50;
    results.get_p99_ms = g99;
    results.get_max_ms = gmax;
    results.rss_peak_mb = rss_mb(server.0.id(), "VmHWM")?;
    server.stop();
    Ok(results)
}

async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    connect_with(url, 4).await
}

/// A pool of `connections`; with one, a per-connection setting holds for every statement.
async fn connect_with(url: &str, connections: u32) -> anyhow::Result<DatabaseConnection> {
    let url = if url.starts_with("sqlite:") {
        format!("{url}?mode=rwc")
    } else {
        url.to_string()
    };
    let mut options = sea_orm::ConnectOptions::new(url);
    options
        .max_connections(connections)
        .min_connections(1)
        .sqlx_logging(false);
    Ok(Database::connect(options).await?)
}

async fn raw_rate(
    db: &DatabaseConnection,
    url: &str,
    durable: bool,
    seconds: u64,
) -> anyhow::Result<f64> {
    let sqlite = url.starts_with("sqlite:");
    // One dedicated connection so the setting holds for every transaction.
    let conn = connect_with(url, 1).await?;
    if sqlite {
        conn.execute_unprepared("PRAGMA journal_mode=WAL").await?;
        conn.execute_unprepared(if durable {
            "PRAGMA synchronous=FULL"
        } else {
            "PRAGMA synchronous=NORMAL"
        })
        .await?;
    } else {
        conn.execute_unprepared(if durable {
            "SET synchronous_commit = on"
        } else {
            "SET synchronous_commit = off"
        })
        .await?;
    }
    let _ = db;
    conn.execute_unprepared("CREATE TABLE IF NOT EXISTS bench_raw_ticket (id BIGINT PRIMARY KEY, subject TEXT NOT NULL, created_at BIGINT NOT NULL)").await?;
    conn.execute_unprepared("CREATE TABLE IF NOT EXISTS bench_raw_event (id BIGINT PRIMARY KEY, ticket_id BIGINT NOT NULL, data TEXT NOT NULL)").await?;
    conn.execute_unprepared("DELETE FROM bench_raw_ticket")
        .await?;
    conn.execute_unprepared("DELETE FROM bench_raw_event")
        .await?;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut n: i64 = 0;
    while Instant::now() < deadline {
        n += 1;
        let tx = sea_orm::TransactionTrait::begin(&conn).await?;
        tx.execute_unprepared(&format!(
            "INSERT INTO bench_raw_ticket VALUES ({n}, 'Printer prints blank pages', {n})"
        ))
        .await?;
        tx.execute_unprepared(&format!(
            "INSERT INTO bench_raw_event VALUES ({n}, {n}, '{{\"kind\":\"ticket.created\"}}')"
        ))
        .await?;
        tx.commit().await?;
    }
    let rate = n as f64 / started.elapsed().as_secs_f64();
    conn.execute_unprepared("DROP TABLE bench_raw_ticket")
        .await?;
    conn.execute_unprepared("DROP TABLE bench_raw_event")
        .await?;
    conn.close().await?;
    Ok(rate)
}

/// The raw rate through rusqlite, which calls SQLite on the calling thread.
fn native_rate(path: &Path, durable: bool, seconds: u64) -> anyhow::Result<f64> {
    let conn = rusqlite::Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", if durable { "FULL" } else { "NORMAL" })?;
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS bench_native_ticket (id INTEGER PRIMARY KEY, subject TEXT NOT NULL, created_at INTEGER NOT NULL);
         CREATE TABLE IF NOT EXISTS bench_native_event (id INTEGER PRIMARY KEY, ticket_id INTEGER NOT NULL, data TEXT NOT NULL);
         DELETE FROM bench_native_ticket; DELETE FROM bench_native_event;",
    )?;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut n: i64 = 0;
    while Instant::now() < deadline {
        n += 1;
        let tx = conn.unchecked_transaction()?;
        tx.execute(
            "INSERT INTO bench_native_ticket VALUES (?1, 'Printer prints blank pages', ?1)",
            [n],
        )?;
        tx.execute(
            "INSERT INTO bench_native_event VALUES (?1, ?1, '{\"kind\":\"ticket.created\"}')",
            [n],
        )?;
        tx.commit()?;
    }
    let rate = n as f64 / started.elapsed().as_secs_f64();
    conn.execute_batch("DROP TABLE bench_native_ticket; DROP TABLE bench_native_event;")?;
    Ok(rate)
}

/// Writes `n` tickets (with a message and an event each) and 1,000 customers directly.
async fn preload(db: &DatabaseConnection, n: u64) -> anyhow::Result<()> {
    let now = triage_app::now_millis();
    let mut users = String::from(
        "INSERT INTO users (email, name, role, password_hash, organization_id, active, created_at, updated_at) VALUES ",
    );
    for i in 0..1000 {
        if i > 0 {
            users.push(',');
        }
        users.push_str(&format!("('customer{i}@bench.example', 'Customer {i}', 'customer', NULL, NULL, true, {now}, {now})"));
    }
    db.execute_unprepared(&users).await?;
    let first_user: i64 = 1;
    let subjects = [
        "Printer prints blank pages",
        "Cannot sign in after password reset",
        "Invoice shows the wrong VAT",
        "VPN drops every ten minutes",
        "Refund for order 48213",
        "Export to CSV times out",
    ];
    let chunk = 2000u64;
    let mut next = 1001u64;
    let end = 1001 + n;
    while next < end {
        let last = (next + chunk).min(end);
        let tx = sea_orm::TransactionTrait::begin(db).await?;
        let mut tickets = String::from(
            "INSERT INTO tickets (id, subject, status_id, priority, kind, requester_id, assignee_id, group_id, organization_id, tags, custom_fields, channel, external_id, due_at, created_at, updated_at, first_response_at, solved_at, closed_at, merged_into, deleted_at, version) VALUES ",
        );
        let mut messages = String::from(
            "INSERT INTO messages (ticket_id, author_id, public, body_text, body_html, channel, metadata, created_at) VALUES ",
        );
        let mut events = String::from(
            "INSERT INTO events (ticket_id, kind, actor_id, via, via_name, data, depth, created_at) VALUES ",
        );
        for (k, id) in (next..last).enumerate() {
            if k > 0 {
                tickets.push(',');
                messages.push(',');
                events.push(',');
            }
            let subject = subjects[(id % subjects.len() as u64) as usize];
            let requester = first_user + (id % 1000) as i64;
            let at = now - ((end - id) as i64) * 1000;
            tickets.push_str(&format!("({id}, '{subject}', 1, 'normal', 'question', {requester}, NULL, NULL, NULL, '[]', '{{}}', 'api', NULL, NULL, {at}, {at}, NULL, NULL, NULL, NULL, NULL, 1)"));
            messages.push_str(&format!("({id}, {requester}, true, 'It stopped working this morning.', '<p>It stopped working this morning.</p>', 'api', '{{}}', {at})"));
            events.push_str(&format!(
                "({id}, 'ticket.created', {requester}, 'system', 'bench', '{{}}', 0, {at})"
            ));
        }
        tx.execute_unprepared(&tickets).await?;
        tx.execute_unprepared(&messages).await?;
        tx.execute_unprepared(&events).await?;
        tx.commit().await?;
        next = last;
    }
    db.execute_unprepared(&format!(
        "UPDATE counters SET value = {} WHERE name = 'ticket_number'",
        end - 1
    ))
    .await?;
    Ok(())
}

async fn wait_ready(http: &reqwest::Client, base: &str) -> anyhow::Result<()> {
    for _ in 0..200 {
        if let Ok(r) = http.get(format!("{base}/readyz")).send().await
            && r.status().is_success()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("the server did not become ready")
}

async fn creates(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    total: u64,
    concurrency: usize,
) -> anyhow::Result<(f64, f64, f64)> {
    let next = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (http, next, base, token) = (
            http.clone(),
            next.clone(),
            base.to_string(),
            token.to_string(),
        );
        tasks.push(tokio::spawn(async move {
            let mut hist = Histogram::<u64>::new(3)?;
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let body = json!({
                    "subject": format!("Cannot print invoice {i}"),
                    "body": "Since this morning the printer in room 4 prints blank pages. Driver 4.1, Windows 11.",
                    "requester": {"email": format!("customer{}@bench.example", i % 1000)},
                    "priority": "normal",
                    "tags": ["printer"],
                });
                let t = Instant::now();
                let r = http.post(format!("{base}/api/v1/tickets")).bearer_auth(&token).json(&body).send().await?;
                let status = r.status();
                let _ = r.bytes().await?;
                if status.as_u16() != 201 {
                    bail!("create answered {status}");
                }
                hist.record(t.elapsed().as_micros() as u64)?;
            }
            Ok::<_, anyhow::Error>(hist)
        }));
    }
    let mut hist = Histogram::<u64>::new(3)?;
    for t in tasks {
        hist.add(t.await??)?;
    }
    let rate = total as f64 / started.elapsed().as_secs_f64();
    Ok((
        rate,
        hist.value_at_quantile(0.5) as f64 / 1000.0,
        hist.value_at_quantile(0.99) as f64 / 1000.0,
    ))
}

async fn gets(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    preloaded: u64,
    total: u64,
) -> anyhow::Result<(f64, f64, f64)> {
    let mut hist = Histogram::<u64>::new(3)?;
    let mut rng = rand::thread_rng();
    for _ in 0..total {
        let id = 1001 + rng.gen_range(0..preloaded);
        let t = Instant::now();
        let r = http
            .get(format!("{base}/api/v1/tickets/{id}"))
            .bearer_auth(token)
            .send()
            .await?;
        let status = r.status();
        let _ = r.bytes().await?;
        if !status.is_success() {
            bail!("GET ticket {id} answered {status}");
        }
        hist.record(t.elapsed().as_micros() as u64)?;
    }
    Ok((
        hist.value_at_quantile(0.5) as f64 / 1000.0,
        hist.value_at_quantile(0.99) as f64 / 1000.0,
        hist.max() as f64 / 1000.0,
    ))
}
