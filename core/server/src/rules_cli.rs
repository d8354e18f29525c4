//! `triage rules`: list, import a directory of `.rhai` files, dry-run a rule file.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Subcommand;
use triage_app::App;
use triage_app::automation::DryRun;

use crate::output::say;

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Lists the rules in the order they run.
    List {
        /// Prints a JSON array, for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Creates or updates a rule from each `.rhai` file of a directory (kept in version
    /// control); every file is checked before any is saved.
    Import {
        /// The directory.
        dir: PathBuf,
    },
    /// Runs a rule file against past events or tickets and prints what it would change;
    /// nothing is written.
    Test {
        /// The `.rhai` file.
        file: PathBuf,
        /// How many of the latest events (or tickets, for a scheduled rule).
        #[arg(long, default_value_t = 100)]
        last: u32,
        /// Only this ticket.
        #[arg(long)]
        ticket: Option<i64>,
    },
}

fn read(file: &Path) -> anyhow::Result<(String, String)> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    Ok((name, text))
}

pub async fn run(app: &App, command: RulesCommand) -> anyhow::Result<()> {
    let system = App::system_actor();
    match command {
        RulesCommand::List { json: true } => {
            let rules: Vec<_> = app
                .list_rules(&system)
                .await?
                .into_iter()
                .map(|r| {
                    serde_json::json!({
                        "id": r.id,
                        "position": r.position,
                        "name": r.name,
                        "active": r.active,
                        "triggers": triage_app::rows::json_strings(&r.triggers),
                        "schedule": r.schedule,
                        "disabled_reason": r.disabled_reason,
                    })
                })
                .collect();
            crate::output::json(&rules)?;
        }
        RulesCommand::List { json: false } => {
            for r in app.list_rules(&system).await? {
                let when = match (&r.schedule, triage_app::rows::json_strings(&r.triggers)) {
                    (Some(s), _) => s.clone(),
                    (None, t) => t.join(", "),
                };
                say!(
                    "{:>5}  {:>4}  {:<8}  {}  [{}]{}",
                    r.id,
                    r.position,
                    if r.active { "active" } else { "off" },
                    r.name,
                    when,
                    r.disabled_reason
                        .map(|d| format!("  ({d})"))
                        .unwrap_or_default()
                );
            }
        }
        RulesCommand::Import { dir } => {
            let mut files = Vec::new();
            let entries =
                std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))?;
            for entry in entries {
                let path = entry?.path();
                if path.extension().is_some_and(|e| e == "rhai") {
                    files.push(read(&path)?);
                }
            }
            files.sort();
            if files.is_empty() {
                bail!("{} holds no .rhai files", dir.display());
            }
            for o in app.import_rules(&system, files).await? {
                if o.missing.is_empty() {
                    say!("{:<9}  {:>5}  {}", o.action, o.rule_id, o.name);
                } else {
                    let missing: Vec<String> = o.missing.iter().map(ToString::to_string).collect();
                    let them = if missing.len() == 1 { "it" } else { "them" };
                    say!(
                        "{:<9}  {:>5}  {}  (turned off: needs {}; create {them}, then turn the rule on)",
                        o.action,
                        o.rule_id,
                        o.name,
                        missing.join(", ")
                    );
                }
            }
        }
        RulesCommand::Test { file, last, ticket } => {
            let (name, text) = read(&file)?;
            let stem = name.trim_end_matches(".rhai");
            let spec = triage_app::automation::parse_rule_file(stem, &text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let results = app
                .test_rule(
                    &system,
                    DryRun {
                        script: spec.script,
                        triggers: spec
                            .triggers
                            .iter()
                            .map(|t| t.as_str().to_string())
                            .collect(),
                        ticket_id: ticket,
                        last: Some(last),
                    },
                )
                .await?;
            let fired = results.iter().filter(|r| r.fired).count();
            let failed = results.iter().filter(|r| r.error.is_some()).count();
            for r in &results {
                if !r.fired && r.error.is_none() {
                    continue;
                }
                let on = r
                    .event_id
                    .map(|e| format!(" ({} #{e})", r.event_kind))
                    .unwrap_or_default();
                say!("ticket #{}{on}", r.ticket_id);
                if let Some(e) = &r.error {
                    say!("  error: {e}");
                }
                for c in &r.changes {
                    say!("  {}: {} → {}", c.field, c.from, c.to);
                }
                for m in r.messages.iter().chain(&r.notifications) {
                    say!("  {m}");
                }
            }
            say!(
                "{}: ran on {}, would fire on {fired}, failed on {failed}; nothing was written",
                spec.name,
                results.len()
            );
        }
    }
    Ok(())
}
