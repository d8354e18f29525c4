//! `rules-bench`: the automation benchmark behind BENCHMARKS.md.
//!
//! 1. Rule evaluation per event with 10, 100 and 1,000 active rules: the engine alone,
//!    converting the ticket and event once and running every rule on them, as the rule
//!    consumer does; on real ticket text (20 Newsgroups posts).
//! 2. The same end to end in the application on SQLite: the rule consumer catching up on
//!    changes committed while it was stopped, with 100 active rules (reads, runs, writes).
//! 3. A scheduled rule over 100,000 matching tickets.

use std::io::BufRead;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use hdrhistogram::Histogram;
use serde_json::{Value, json};
use triage_app::automation::RuleInput;
use triage_app::tickets::{NewTicket, RequesterRef};
use triage_app::{App, AppConfig, Ctx};
use triage_automation::{Engine, Limits, RunInput};

#[derive(Debug, Parser)]
#[command(about = "Automation benchmark: rule evaluation per event and scheduled rules")]
struct Args {
    /// Events evaluated for each rule count.
    #[arg(long, default_value_t = 2000)]
    events: usize,
    /// Changes the rule consumer catches up on, end to end.
    #[arg(long, default_value_t = 2000)]
    changes: usize,
    /// Tickets a scheduled rule runs over (0 skips it).
    #[arg(long, default_value_t = 100_000)]
    tickets: usize,
    /// Where the 20 Newsgroups corpus is.
    #[arg(long, default_value = "../shared/data/20news.jsonl.gz")]
    news: PathBuf,
}

/// Real message text: subjects and bodies of 20 Newsgroups posts.
fn posts(path: &PathBuf, n: usize) -> anyhow::Result<Vec<(String, String)>> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let reader = std::io::BufReader::new(flate2::read::GzDecoder::new(file));
    let mut out = Vec::with_capacity(n);
    for line in reader.lines() {
        let v: Value = serde_json::from_str(&line?)?;
        let subject: String = v["subject"]
            .as_str()
            .unwrap_or("")
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(200)
            .collect();
        let subject = subject.trim().to_string();
        let body: String = v["body"]
            .as_str()
            .unwrap_or("")
            .chars()
            .take(2000)
            .collect();
        if !subject.is_empty() && !body.trim().is_empty() {
            out.push((subject, body));
        }
        if out.len() >= n {
            break;
        }
    }
    anyhow::ensure!(!out.is_empty(), "no posts in {}", path.display());
    Ok(out)
}

/// `n` rules in the shapes admins write: keyword tagging, organization routing, reacting
/// to a field change, a pattern on the subject, a time condition. Most do not fire on a
/// given event, as in a real help desk.
fn scripts(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| match i % 5 {
            0 => format!(
                "let text = ticket.subject; if ticket.latest_message != () {{ text += \" \" + ticket.latest_message.body; }}\n\
                 if contains_any(text, [\"kw{i}x\", \"refund{i}\", \"invoice{i}\"]) && !has_tag(\"topic-{i}\") {{ add_tag(\"topic-{i}\"); }}"
            ),
            1 => format!(
                "let vip = [\"Org {i}\", \"Org {i} GmbH\", \"Org {i} Ltd\"];\n\
                 if ticket.organization != () && vip.contains(ticket.organization.name) && ticket.priority == \"urgent\" {{ assign_group(\"L2\"); add_tag(\"vip\"); }}"
            ),
            2 => format!(
                "if changed(\"priority\") && new_value(\"priority\") == \"urgent\" && ticket.group != () && ticket.group.id == {i} {{ notify(\"group\", \"urgent: \" + ticket.subject); }}"
            ),
            3 => format!(
                "if matches(ticket.subject, \"(?i)order #?{i}\\\\d{{4}}\") {{ set_field(\"order\", ticket.subject); }}"
            ),
            _ => format!(
                "if ticket.status_category == \"pending\" && days_since(ticket.updated_at) >= {} && has_tag(\"wait-{i}\") {{ reply(\"Any news?\"); }}",
                i % 30
            ),
        })
        .collect()
}

const PRIORITIES: [&str; 4] = ["low", "normal", "high", "urgent"];

fn ticket_json(id: usize, subject: &str, body: &str) -> Value {
    json!({
        "id": id, "number": id, "subject": subject, "status": "Open", "status_category": "open",
        "priority": PRIORITIES[id % 4], "type": "question",
        "tags": ["billing", "newsletter"], "custom_fields": {"plan": "team"}, "channel": "email",
        "external_id": null,
        "requester": {"id": 7, "name": "Cy Customer", "email": "cy@customer.example", "role": "customer",
                      "organization": {"id": 3, "name": format!("Org {}", id % 50)}},
        "organization": {"id": 3, "name": format!("Org {}", id % 50)},
        "assignee": null, "group": {"id": 2, "name": "Support"},
        "latest_message": {"id": id, "body": body, "public": true, "channel": "email",
                           "author": {"id": 7, "name": "Cy Customer", "email": "cy@customer.example", "role": "customer"},
                           "author_role": "customer", "created_at": 1_796_000_000_000_i64},
        "created_at": 1_796_000_000_000_i64, "updated_at": 1_796_000_000_000_i64,
        "first_response_at": null, "solved_at": null, "due_at": null,
    })
}

fn event_json(id: usize) -> Value {
    json!({"id": id, "kind": "ticket.updated", "kinds": ["ticket.updated"], "via": "api", "rule": null, "depth": 0,
           "actor": {"id": 2, "name": "Bo", "email": "bo@helpdesk.example", "role": "agent"},
           "at": 1_796_000_000_000_i64,
           "changes": [{"field": "priority", "from": "normal", "to": PRIORITIES[id % 4]}]})
}

fn micros(h: &Histogram<u64>, q: f64) -> f64 {
    h.value_at_quantile(q) as f64 / 1000.0
}

fn engine_per_event(args: &Args, posts: &[(String, String)]) -> anyhow::Result<()> {
    println!(
        "## Rule evaluation per event (engine, {} events each)",
        args.events
    );
    println!("| active rules | mean | p50 | p99 | per rule | fired per event |");
    println!("|---:|---:|---:|---:|---:|---:|");
    let engine = Engine::new(Limits::default());
    for n in [10usize, 100, 1000] {
        let compiled: Vec<_> = scripts(n)
            .iter()
            .map(|s| engine.compile(s))
            .collect::<Result<_, _>>()?;
        let events = if n >= 1000 {
            args.events / 4
        } else {
            args.events
        }
        .max(1);
        let mut h = Histogram::<u64>::new(3)?;
        let mut fired = 0usize;
        let mut total = Duration::ZERO;
        for e in 0..events {
            let (subject, body) = &posts[e % posts.len()];
            let started = Instant::now();
            let prepared = engine
                .prepare(RunInput {
                    ticket: ticket_json(e, subject, body),
                    event: event_json(e),
                    now: 1_796_100_000_000,
                })
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            for script in &compiled {
                let out = engine.run(script, &prepared);
                anyhow::ensure!(out.error.is_none(), "{:?}", out.error);
                fired += usize::from(out.fired());
            }
            let took = started.elapsed();
            total += took;
            h.record(took.as_nanos() as u64)?;
        }
        let mean = total.as_secs_f64() * 1e6 / events as f64;
        println!(
            "| {n} | {mean:.0} µs | {:.0} µs | {:.0} µs | {:.2} µs | {:.2} |",
            micros(&h, 0.5),
            micros(&h, 0.99),
            mean / n as f64,
            fired as f64 / events as f64
        );
    }
    Ok(())
}

async fn open_app(dir: &std::path::Path) -> anyhow::Result<App> {
    Ok(App::open(AppConfig::for_data_dir(dir)).await?)
}

async fn rules(app: &App, n: usize, extra: Option<(&str, &str)>) -> anyhow::Result<()> {
    let admin = App::system_actor();
    for (i, script) in scripts(n).into_iter().enumerate() {
        app.create_rule(
            &admin,
            RuleInput {
                name: Some(format!("Rule {i}")),
                script: Some(script),
                triggers: Some(vec!["ticket.created".into(), "ticket.updated".into()]),
                position: Some(i as i32),
                ..RuleInput::default()
            },
        )
        .await?;
    }
    if let Some((name, script)) = extra {
        app.create_rule(
            &admin,
            RuleInput {
                name: Some(name.into()),
                script: Some(script.into()),
                triggers: Some(vec!["ticket.created".into()]),
                position: Some(10_000),
                ..RuleInput::default()
            },
        )
        .await?;
    }
    Ok(())
}

/// Creates `n` tickets, 64 at a time, with real text.
async fn tickets(
    app: &App,
    posts: &[(String, String)],
    n: usize,
    status: &str,
    tag_every: usize,
) -> anyhow::Result<()> {
    let app = Arc::new(app.clone());
    let mut next = 0;
    while next < n {
        let mut tasks = Vec::new();
        for i in next..(next + 64).min(n) {
            let app = app.clone();
            let (subject, body) = posts[i % posts.len()].clone();
            let status = status.to_string();
            let tags = if tag_every > 0 && i % tag_every == 0 {
                vec!["remind".to_string()]
            } else {
                Vec::new()
            };
            tasks.push(tokio::spawn(async move {
                app.create_ticket(
                    &Ctx::api(App::system_actor()),
                    NewTicket {
                        subject,
                        body_text: Some(body),
                        requester: Some(RequesterRef::Email {
                            email: format!("c{}@customer.example", i % 500),
                            name: None,
                        }),
                        status: Some(status),
                        tags,
                        ..NewTicket::default()
                    },
                    None,
                )
                .await
            }));
        }
        next += tasks.len();
        for t in tasks {
            t.await??;
        }
    }
    Ok(())
}

async fn end_to_end(args: &Args, posts: &[(String, String)]) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let app = open_app(dir.path()).await?;
    rules(&app, 100, Some(("Tag printers", "if ticket.subject.contains(\"printer\") || ticket.subject.contains(\"Printer\") { add_tag(\"printer\"); }"))).await?;
    // Start the consumer on an empty log, then stop it with a checkpoint, so it catches
    // up on everything committed while it was stopped.
    let handle = app.start_automation().await?;
    tickets(&app, posts, 1, "open", 0).await?;
    anyhow::ensure!(app.automation_caught_up(Duration::from_secs(60)).await?);
    handle.stop();
    tickets(&app, posts, args.changes, "open", 0).await?;
    let started = Instant::now();
    let handle = app.start_automation().await?;
    anyhow::ensure!(app.automation_caught_up(Duration::from_secs(600)).await?);
    let took = started.elapsed();
    handle.stop();
    println!();
    println!("## End to end on SQLite: the rule consumer with 101 active rules");
    println!(
        "{} ticket.created changes caught up in {:.2} s: {:.2} ms per change ({:.0} changes/s), including reading each ticket and writing the firings",
        args.changes,
        took.as_secs_f64(),
        took.as_secs_f64() * 1000.0 / args.changes as f64,
        args.changes as f64 / took.as_secs_f64()
    );
    app.close().await;
    Ok(())
}

async fn scheduled(args: &Args, posts: &[(String, String)]) -> anyhow::Result<()> {
    if args.tickets == 0 {
        return Ok(());
    }
    let dir = tempfile::tempdir()?;
    let app = open_app(dir.path()).await?;
    let started = Instant::now();
    tickets(&app, posts, args.tickets, "pending", 100).await?;
    let created = started.elapsed();
    let search = app.start_search().await?;
    anyhow::ensure!(app.search_caught_up(Duration::from_secs(1800)).await?);
    let admin = App::system_actor();
    let rule = app
        .create_rule(
            &admin,
            RuleInput {
                name: Some("Remind pending".into()),
                schedule: Some(Some("every 1 hour".into())),
                query: Some(Some("category:pending".into())),
                script: Some("if ticket.status_category == \"pending\" && has_tag(\"remind\") && days_since(ticket.updated_at) >= 0 { add_tag(\"reminded\"); remove_tag(\"remind\"); }".into()),
                ..RuleInput::default()
            },
        )
        .await?;
    let started = Instant::now();
    let runs = app
        .run_due_schedules(triage_app::now_millis() + 2 * 3_600_000)
        .await?;
    let took = started.elapsed();
    let run = runs.first().context("the rule did not run")?;
    if run.failed > 0 {
        let log = app.rule_runs(&admin, rule.id, None, 5).await?;
        let errors: Vec<_> = log.iter().filter_map(|r| r.error.clone()).collect();
        anyhow::bail!("{run:?}: {errors:?}");
    }
    println!();
    println!(
        "## A scheduled rule over {} matching tickets (SQLite)",
        args.tickets
    );
    println!(
        "(tickets created in {:.1} s) run over {} tickets, fired on {}, in {:.2} s: {:.0} tickets/s, {:.1} µs per ticket",
        created.as_secs_f64(),
        run.tickets_seen,
        run.fired,
        took.as_secs_f64(),
        run.tickets_seen as f64 / took.as_secs_f64(),
        took.as_secs_f64() * 1e6 / run.tickets_seen.max(1) as f64
    );
    search.stop();
    app.close().await;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let posts = posts(&args.news, 4000)?;
    engine_per_event(&args, &posts)?;
    end_to_end(&args, &posts).await?;
    scheduled(&args, &posts).await?;
    Ok(())
}
