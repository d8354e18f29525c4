//! `search-bench`: the reproducible search benchmark behind BENCHMARKS.md.
//!
//! For each corpus (the generated one, then the demo data set) it builds a Triage data
//! directory, then measures: raw tantivy indexing of the same documents, `triage reindex`
//! (rate, size, peak memory), the query mix through the search crate and through the HTTP
//! API of a running `triage serve`, freshness, and the same queries on PostgreSQL
//! full-text search (tsvector + GIN) over the same tickets.

mod corpus;
mod pgfts;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use hdrhistogram::Histogram;
use triage_bench::{Server, cli, rss_mb};
use triage_domain::Visibility;
use triage_search::{
    Directory, NamedStatus, Reader, SearchIndex, SearchRequest, Sort, WriterConfig,
};

#[derive(Debug, Parser)]
#[command(about = "Search benchmark: tantivy through Triage against PostgreSQL full-text search")]
struct Args {
    /// The `triage` binary (default: beside this one).
    #[arg(long)]
    triage: Option<PathBuf>,
    /// Tickets to generate.
    #[arg(long, default_value_t = 1_000_000)]
    tickets: i64,
    /// Seed of the generator.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Demo tickets to measure as the second corpus (0 skips it).
    #[arg(long, default_value_t = 3000)]
    demo: usize,
    /// PostgreSQL server for the full-text-search comparison (a fresh database is made).
    #[arg(long)]
    postgres: Option<String>,
    /// Timed runs of each query of the mix.
    #[arg(long, default_value_t = 200)]
    runs: usize,
    /// Where the 20 Newsgroups corpus is (English vocabulary).
    #[arg(long, default_value = "../shared/data/20news.jsonl.gz")]
    news: PathBuf,
    /// Keep the data directories here instead of a temporary directory.
    #[arg(long)]
    keep: Option<PathBuf>,
}

/// One document as the baselines see it: the same text the index gets.
#[derive(Debug)]
pub struct Doc {
    pub id: i64,
    pub subject: String,
    pub body: String,
    pub category: String,
    pub priority: String,
    pub group: i64,
    pub assignee: i64,
    pub created: i64,
    pub updated: i64,
}

/// A query of the mix, in the query language and as the PostgreSQL benchmark runs it.
#[derive(Debug, Clone)]
pub struct MixQuery {
    pub name: &'static str,
    pub q: String,
    pub sort: Sort,
    pub facets: bool,
    /// Pages to skip (deep paging).
    pub skip_pages: usize,
    /// The words, for PostgreSQL.
    pub words: Vec<String>,
    pub phrase: bool,
    pub filters: Option<(String, String)>,
    pub group: Option<i64>,
}

const PAGE: usize = 25;

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(args))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let triage = match &args.triage {
        Some(p) => p.clone(),
        None => std::env::current_exe()?
            .parent()
            .context("no folder")?
            .join("triage"),
    };
    if !triage.exists() {
        bail!(
            "{} not found: cargo build --release -p triage-server -p triage-bench",
            triage.display()
        );
    }
    let temp = tempfile::tempdir()?;
    let root = args
        .keep
        .clone()
        .unwrap_or_else(|| temp.path().to_path_buf());
    std::fs::create_dir_all(&root)?;

    let mut reports = Vec::new();
    // The generated corpus.
    {
        let dir = root.join("generated");
        std::fs::create_dir_all(&dir)?;
        let db = dir.join("triage.db");
        let url = format!("sqlite://{}", db.display());
        let token = admin(&triage, &dir, &url)?;
        eprintln!("[generated] writing {} tickets", args.tickets);
        let corpus = corpus::Corpus::new(args.seed, &args.news)?;
        let started = Instant::now();
        let messages = corpus::load_sqlite(&db, &corpus, args.tickets, &|done| {
            if done % 100_000 == 0 {
                eprintln!("  {done} tickets");
            }
        })?;
        eprintln!(
            "[generated] {} tickets, {messages} messages in {:.0} s",
            args.tickets,
            started.elapsed().as_secs_f64()
        );
        reports.push(measure(&args, &triage, &dir, &url, &token, "generated", corpus.now).await?);
    }
    if args.demo > 0 {
        let dir = root.join("demo");
        std::fs::create_dir_all(&dir)?;
        let url = format!("sqlite://{}", dir.join("triage.db").display());
        eprintln!("[demo] generating {} tickets", args.demo);
        cli(
            &triage,
            &dir,
            &url,
            &["demo", "--tickets", &args.demo.to_string()],
            None,
        )?;
        let token = cli(
            &triage,
            &dir,
            &url,
            &[
                "token",
                "create",
                "--user",
                "admin@helpdesk.example",
                "--name",
                "bench",
            ],
            None,
        )?
        .trim()
        .to_string();
        let now = triage_app::now_millis();
        reports.push(measure(&args, &triage, &dir, &url, &token, "demo", now).await?);
    }
    for r in &reports {
        r.print();
    }
    Ok(())
}

fn admin(triage: &Path, dir: &Path, url: &str) -> anyhow::Result<String> {
    cli(
        triage,
        dir,
        url,
        &[
            "user",
            "create",
            "--email",
            "bench@bench.example",
            "--name",
            "Bench",
            "--role",
            "admin",
            "--password-stdin",
        ],
        Some("a long enough password"),
    )?;
    Ok(cli(
        triage,
        dir,
        url,
        &[
            "token",
            "create",
            "--user",
            "bench@bench.example",
            "--name",
            "bench",
        ],
        None,
    )?
    .trim()
    .to_string())
}

/// Reads every ticket with its messages, as the index gets them.
fn read_docs(db: &Path) -> anyhow::Result<Vec<Doc>> {
    let conn = rusqlite::Connection::open(db)?;
    let mut bodies: HashMap<i64, String> = HashMap::new();
    let mut stmt = conn.prepare("SELECT ticket_id, body_text FROM messages ORDER BY id")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let b = bodies.entry(r.get(0)?).or_default();
        if !b.is_empty() {
            b.push('\n');
        }
        b.push_str(&r.get::<_, String>(1)?);
    }
    let mut stmt = conn.prepare(
        "SELECT t.id, t.subject, s.category, t.priority, COALESCE(t.group_id, 0), COALESCE(t.assignee_id, 0), t.created_at, t.updated_at FROM tickets t JOIN statuses s ON s.id = t.status_id WHERE t.deleted_at IS NULL ORDER BY t.id",
    )?;
    let mut rows = stmt.query([])?;
    let mut docs = Vec::new();
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        docs.push(Doc {
            id,
            subject: r.get(1)?,
            body: bodies.remove(&id).unwrap_or_default(),
            category: r.get(2)?,
            priority: r.get(3)?,
            group: r.get(4)?,
            assignee: r.get(5)?,
            created: r.get(6)?,
            updated: r.get(7)?,
        });
    }
    Ok(docs)
}

/// PostgreSQL's English stop words (and a few more everyday words) are not picked for the
/// mix: PostgreSQL would drop them from its query and answer from nothing.
const EVERYDAY: &str = "a about above after again against all am an and any are as at be because been before being below between both but by can did do does doing down during each few for from further had has have having he her here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of off on once only or other our ours ourselves out over own same she should so some such than that the their theirs them themselves then there these they this those through to too under until up very was we were what when where which while who whom why will with you your yours yourself yourselves would could also please thanks thank hello regards best dear";

/// Picks the words of the mix from the corpus: a common word, two fairly common ones, a
/// rare one and a frequent phrase, none of them stop words.
fn mix(docs: &[Doc], now: i64) -> Vec<MixQuery> {
    let mut df: HashMap<String, u32> = HashMap::new();
    let mut bigrams: HashMap<(String, String), u32> = HashMap::new();
    let mut analyzers = triage_search::analyzer::Analyzers::default();
    let sample = docs.len().min(20_000);
    let step = (docs.len() / sample.max(1)).max(1);
    for d in docs.iter().step_by(step) {
        let mut seen = std::collections::HashSet::new();
        let words: Vec<String> = analyzers
            .plain_words(&d.body)
            .into_iter()
            .map(|t| t.text)
            .collect();
        for w in words.iter() {
            if seen.insert(w.clone()) {
                *df.entry(w.clone()).or_default() += 1;
            }
        }
        for pair in words.windows(2).take(200) {
            *bigrams
                .entry((pair[0].clone(), pair[1].clone()))
                .or_default() += 1;
        }
    }
    let mut ranked: Vec<(String, u32)> = df
        .into_iter()
        .filter(|(w, _)| w.chars().count() >= 4 && w.chars().all(char::is_alphabetic))
        .collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let everyday: std::collections::HashSet<&str> = EVERYDAY.split(' ').collect();
    let mut content: Vec<String> = Vec::new();
    for (w, _) in &ranked {
        if !analyzers.is_stop_word(w) && !everyday.contains(w.as_str()) {
            content.push(w.clone());
        }
    }
    let pick = |i: usize| {
        content
            .get(i.min(content.len().saturating_sub(1)))
            .cloned()
            .unwrap_or_default()
    };
    let common = pick(2);
    let (two_a, two_b) = (pick(15), pick(30));
    let rare = ranked
        .iter()
        .rev()
        .find(|(w, n)| {
            *n >= 3 && w.chars().count() >= 6 && w.chars().all(|c| c.is_ascii_lowercase())
        })
        .map(|(w, _)| w.clone())
        .unwrap_or_else(|| pick(500));
    let phrase = bigrams
        .into_iter()
        .filter(|((a, b), _)| {
            a.chars().count() >= 4
                && b.chars().count() >= 4
                && !analyzers.is_stop_word(a)
                && !analyzers.is_stop_word(b)
        })
        .max_by(|x, y| x.1.cmp(&y.1).then_with(|| y.0.cmp(&x.0)))
        .map(|((a, b), _)| (a, b))
        .unwrap_or_else(|| (pick(3), pick(4)));
    let group = docs.first().map(|d| d.group).unwrap_or(1).max(1);
    let _ = now;
    let q = |name, q: String, words: Vec<String>| MixQuery {
        name,
        q,
        sort: Sort::Relevance,
        facets: false,
        skip_pages: 0,
        words,
        phrase: false,
        filters: None,
        group: None,
    };
    vec![
        q("one common word", common.clone(), vec![common.clone()]),
        q("one rare word", rare.clone(), vec![rare.clone()]),
        q(
            "two words",
            format!("{two_a} {two_b}"),
            vec![two_a.clone(), two_b.clone()],
        ),
        MixQuery {
            phrase: true,
            ..q(
                "phrase",
                format!("\"{} {}\"", phrase.0, phrase.1),
                vec![phrase.0.clone(), phrase.1.clone()],
            )
        },
        MixQuery {
            filters: Some(("open".into(), "high".into())),
            ..q("filters only", "status:open priority:high".into(), vec![])
        },
        MixQuery {
            group: Some(group),
            ..q(
                "words + filters",
                format!("{common} group:{group} updated:<365d"),
                vec![common.clone()],
            )
        },
        MixQuery {
            sort: Sort::CreatedDesc,
            ..q(
                "common word, newest first",
                common.clone(),
                vec![common.clone()],
            )
        },
        MixQuery {
            skip_pages: 40,
            ..q("deep page (41st)", common.clone(), vec![common.clone()])
        },
        MixQuery {
            facets: true,
            ..q("common word + facets", common.clone(), vec![common.clone()])
        },
    ]
}

/// p50 and p99 in milliseconds.
fn quantiles(h: &Histogram<u64>) -> (f64, f64) {
    (
        h.value_at_quantile(0.5) as f64 / 1000.0,
        h.value_at_quantile(0.99) as f64 / 1000.0,
    )
}

/// p50 and p99 in milliseconds.
type Latency = (f64, f64);

/// A query of the mix with its matches and latencies: crate, HTTP, PostgreSQL.
type Measured = (MixQuery, u64, Latency, Latency, Option<Latency>);

struct Report {
    corpus: &'static str,
    tickets: usize,
    raw_rate: f64,
    reindex_rate: f64,
    reindex_seconds: f64,
    reindex_peak_mb: f64,
    index_mb: f64,
    queries: Vec<Measured>,
    freshness: (f64, f64, f64),
    serve_rss_mb: f64,
    serve_peak_mb: f64,
}

impl Report {
    fn print(&self) {
        println!();
        println!("## {} corpus: {} tickets", self.corpus, self.tickets);
        println!();
        println!(
            "- raw tantivy: {:.0} tickets/s; `triage reindex`: {:.0} tickets/s ({:.0}% of raw) in {:.1} s, peak RSS {:.0} MB; index {:.0} MB on disk",
            self.raw_rate,
            self.reindex_rate,
            100.0 * self.reindex_rate / self.raw_rate.max(1.0),
            self.reindex_seconds,
            self.reindex_peak_mb,
            self.index_mb
        );
        println!(
            "- freshness (commit to searchable, through HTTP): p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
            self.freshness.0, self.freshness.1, self.freshness.2
        );
        println!(
            "- server RSS while serving the mix: {:.0} MB (peak {:.0} MB)",
            self.serve_rss_mb, self.serve_peak_mb
        );
        println!();
        println!(
            "| query | matches | crate p50 / p99 ms | HTTP p50 / p99 ms | HTTP − crate p99 | PostgreSQL FTS p50 / p99 ms | PG p99 / HTTP p99 |"
        );
        println!("|---|---|---|---|---|---|---|");
        let mut ratios = Vec::new();
        for (q, total, c, h, pg) in &self.queries {
            let (pg_cell, ratio) = match pg {
                Some((p50, p99)) => {
                    let r = p99 / h.1.max(0.001);
                    ratios.push(r);
                    (format!("{p50:.2} / {p99:.2}"), format!("{r:.1}×"))
                }
                None => ("–".into(), "–".into()),
            };
            println!(
                "| {} (`{}`) | {} | {:.2} / {:.2} | {:.2} / {:.2} | {:.2} | {} | {} |",
                q.name,
                q.q.replace('|', "\\|"),
                total,
                c.0,
                c.1,
                h.0,
                h.1,
                h.1 - c.1,
                pg_cell,
                ratio
            );
        }
        if !ratios.is_empty() {
            let geo = (ratios.iter().map(|r| r.ln()).sum::<f64>() / ratios.len() as f64).exp();
            println!();
            println!("Geometric mean of the PostgreSQL / HTTP p99 ratios: {geo:.1}×");
        }
    }
}

async fn measure(
    args: &Args,
    triage: &Path,
    dir: &Path,
    url: &str,
    token: &str,
    name: &'static str,
    now: i64,
) -> anyhow::Result<Report> {
    let db = dir.join("triage.db");
    eprintln!("[{name}] reading the documents back");
    let docs = read_docs(&db)?;
    let mix = mix(&docs, now);

    eprintln!("[{name}] raw tantivy over {} documents", docs.len());
    let raw_rate = raw_tantivy(&docs)?;
    eprintln!("[{name}] raw tantivy: {raw_rate:.0} docs/s");

    eprintln!("[{name}] triage reindex");
    let started = Instant::now();
    let mut child = Command::new(triage)
        .args(["reindex", "--data-dir"])
        .arg(dir)
        .env("TRIAGE_DATABASE_URL", url)
        .env("TRIAGE_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let mut peak: f64 = 0.0;
    loop {
        if let Ok(m) = rss_mb(child.id(), "VmHWM") {
            peak = peak.max(m);
        }
        if child.try_wait()?.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let reindex_seconds = started.elapsed().as_secs_f64();
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!("triage reindex failed");
    }
    eprintln!("{}", String::from_utf8_lossy(&out.stdout).trim());
    let reindex_rate = docs.len() as f64 / reindex_seconds;

    // The search crate directly, on the index just built.
    let home = triage_search::Home::new(dir.join("search"));
    let index_dir = home.current().context("no current index")?;
    let index = SearchIndex::open_readonly(&index_dir)?;
    let index_mb = index.disk_bytes() as f64 / 1e6;
    let statuses = {
        let conn = rusqlite::Connection::open(&db)?;
        let mut stmt = conn.prepare("SELECT id, name, category FROM statuses")?;
        let rows = stmt.query_map([], |r| {
            Ok(NamedStatus {
                id: r.get::<_, i64>(0)? as u64,
                name: r.get(1)?,
                category: r.get(2)?,
            })
        })?;
        rows.collect::<Result<Vec<_>, _>>()?
    };
    let groups: Vec<(u64, String)> = {
        let conn = rusqlite::Connection::open(&db)?;
        let mut stmt = conn.prepare("SELECT id, name FROM groups")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)))?;
        rows.collect::<Result<Vec<_>, _>>()?
    };
    let directory = Directory {
        me: 1,
        now: triage_app::now_millis(),
        statuses,
        groups,
        organizations: Vec::new(),
        users: HashMap::new(),
    };
    let reader = Reader {
        visibility: Visibility::All,
        staff: true,
    };
    let mut crate_results = Vec::new();
    for q in &mix {
        let cursor = deep_cursor_direct(&index, &reader, &directory, q)?;
        let mut h = Histogram::<u64>::new(3)?;
        let mut total = 0;
        for i in 0..args.runs + 10 {
            let t = Instant::now();
            let r = index.search(&SearchRequest {
                query: &q.q,
                reader: &reader,
                directory: &directory,
                sort: q.sort,
                cursor: cursor.as_deref(),
                limit: PAGE,
                facets: q.facets,
            })?;
            if i >= 10 {
                h.record(t.elapsed().as_micros() as u64)?;
            }
            total = r.total;
        }
        crate_results.push((total, quantiles(&h)));
    }
    drop(index);

    // Through HTTP on a running server.
    let (mut server, base) = Server::spawn(triage, dir, url)?;
    let http = reqwest::Client::new();
    for _ in 0..400 {
        if let Ok(r) = http
            .get(format!("{base}/api/v1/search?q=x"))
            .bearer_auth(token)
            .send()
            .await
            && r.status().is_success()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut http_results = Vec::new();
    for q in &mix {
        let cursor = deep_cursor_http(&http, &base, token, q).await?;
        let mut h = Histogram::<u64>::new(3)?;
        for i in 0..args.runs + 10 {
            let t = Instant::now();
            let r = http
                .get(format!("{base}/api/v1/search"))
                .query(&search_params(q, cursor.as_deref(), q.facets))
                .bearer_auth(token)
                .send()
                .await?;
            if !r.status().is_success() {
                bail!("{}: {}", q.q, r.status());
            }
            let _ = r.bytes().await?;
            if i >= 10 {
                h.record(t.elapsed().as_micros() as u64)?;
            }
        }
        http_results.push(quantiles(&h));
    }
    let serve_rss_mb = rss_mb(server.0.id(), "VmRSS").unwrap_or(0.0);
    let serve_peak_mb = rss_mb(server.0.id(), "VmHWM").unwrap_or(0.0);

    // Freshness: from the create's response to the first search that finds it.
    let mut fresh = Histogram::<u64>::new(3)?;
    for i in 0..30 {
        let word = format!("freshword{i}x{}", std::process::id());
        let r = http
            .post(format!("{base}/api/v1/tickets"))
            .bearer_auth(token)
            .json(&serde_json::json!({"subject": format!("Fresh {word}"), "body": word, "requester": {"email": "fresh@bench.example"}}))
            .send()
            .await?;
        if r.status() != 201 {
            bail!("create for freshness answered {}", r.status());
        }
        let t = Instant::now();
        loop {
            let found: serde_json::Value = http
                .get(format!("{base}/api/v1/search?q={word}"))
                .bearer_auth(token)
                .send()
                .await?
                .json()
                .await?;
            if found["total"].as_u64() == Some(1) {
                break;
            }
            if t.elapsed() > Duration::from_secs(30) {
                bail!("a new ticket was not searchable after 30 s");
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        fresh.record(t.elapsed().as_micros() as u64)?;
    }
    server.stop();

    // PostgreSQL full-text search over the same tickets.
    let pg_results = match &args.postgres {
        Some(base) => {
            eprintln!("[{name}] loading PostgreSQL full-text search");
            Some(pgfts::run(base, &docs, &mix, args.runs).await?)
        }
        None => None,
    };

    let queries = mix
        .into_iter()
        .enumerate()
        .map(|(i, q)| {
            let (total, c) = crate_results[i];
            let h = http_results[i];
            let pg = pg_results.as_ref().map(|p: &Vec<(f64, f64)>| p[i]);
            (q, total, c, h, pg)
        })
        .collect();
    Ok(Report {
        corpus: name,
        tickets: docs.len(),
        raw_rate,
        reindex_rate,
        reindex_seconds,
        reindex_peak_mb: peak,
        index_mb,
        queries,
        freshness: (
            fresh.value_at_quantile(0.5) as f64 / 1000.0,
            fresh.value_at_quantile(0.99) as f64 / 1000.0,
            fresh.max() as f64 / 1000.0,
        ),
        serve_rss_mb,
        serve_peak_mb,
    })
}

fn sort_name(s: Sort) -> &'static str {
    match s {
        Sort::Relevance => "relevance",
        Sort::CreatedDesc => "-created",
        Sort::CreatedAsc => "created",
        Sort::UpdatedDesc => "-updated",
        Sort::UpdatedAsc => "updated",
    }
}

/// The query parameters of a search of the mix.
fn search_params(q: &MixQuery, cursor: Option<&str>, facets: bool) -> Vec<(&'static str, String)> {
    let mut params = vec![
        ("q", q.q.clone()),
        ("limit", PAGE.to_string()),
        ("facets", facets.to_string()),
        ("sort", sort_name(q.sort).to_string()),
    ];
    if let Some(c) = cursor {
        params.push(("cursor", c.to_string()));
    }
    params
}

fn deep_cursor_direct(
    index: &SearchIndex,
    reader: &Reader,
    directory: &Directory,
    q: &MixQuery,
) -> anyhow::Result<Option<String>> {
    let mut cursor = None;
    for _ in 0..q.skip_pages {
        let r = index.search(&SearchRequest {
            query: &q.q,
            reader,
            directory,
            sort: q.sort,
            cursor: cursor.as_deref(),
            limit: PAGE,
            facets: false,
        })?;
        cursor = r.next_cursor;
    }
    Ok(cursor)
}

async fn deep_cursor_http(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    q: &MixQuery,
) -> anyhow::Result<Option<String>> {
    let mut cursor: Option<String> = None;
    for _ in 0..q.skip_pages {
        let v: serde_json::Value = http
            .get(format!("{base}/api/v1/search"))
            .query(&search_params(q, cursor.as_deref(), false))
            .bearer_auth(token)
            .send()
            .await?
            .json()
            .await?;
        cursor = v["next_cursor"].as_str().map(str::to_string);
    }
    Ok(cursor)
}

/// Indexes the same documents with tantivy alone: two text fields, the default
/// tokenizer, the same writer memory and threads as `triage reindex`.
fn raw_tantivy(docs: &[Doc]) -> anyhow::Result<f64> {
    use tantivy::schema::{STORED, Schema, TEXT};
    let dir = tempfile::tempdir()?;
    let mut b = Schema::builder();
    let id = b.add_u64_field("id", STORED);
    let subject = b.add_text_field("subject", TEXT);
    let body = b.add_text_field("body", TEXT);
    let index = tantivy::Index::create_in_dir(dir.path(), b.build())?;
    let mut writer: tantivy::IndexWriter =
        index.writer_with_num_threads(WriterConfig::BULK.threads, WriterConfig::BULK.memory)?;
    let started = Instant::now();
    for d in docs {
        writer.add_document(tantivy::doc!(id => d.id as u64, subject => d.subject.as_str(), body => d.body.as_str()))?;
    }
    writer.commit()?;
    writer.wait_merging_threads()?;
    Ok(docs.len() as f64 / started.elapsed().as_secs_f64())
}
