//! `triage plugin`: install a package, list plugins, scaffold a new plugin crate, build
//! and pack one.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Subcommand;
use triage_app::App;
use triage_app::plugins::{Grants, PluginUpdate, builder};

use crate::output::say;

#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Lists the installed plugins.
    List {
        /// Prints a JSON array, for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Installs a package (or upgrades the installed plugin with its id).
    Install {
        /// The package file (`.tar` from `triage plugin pack`).
        file: PathBuf,
        /// Grants everything the manifest asks for.
        #[arg(long)]
        grant_all: bool,
        /// Enables it after installing.
        #[arg(long)]
        enable: bool,
    },
    /// Scaffolds a plugin crate: Cargo.toml, plugin.toml, src/lib.rs with a test.
    New {
        /// The plugin's id: lower-case letters, digits and dashes.
        name: String,
        /// Where to create it (default: a directory named after the plugin).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Depend on the SDK at this path instead of crates.io.
        #[arg(long)]
        sdk_path: Option<PathBuf>,
    },
    /// Builds a plugin crate for wasm32-wasip2 and packs it with its plugin.toml.
    Pack {
        /// The plugin crate's directory.
        dir: PathBuf,
        /// The package to write (default: `<id>-<version>.tar` in the current directory).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// Runs the commands that need no database.
pub fn run_offline(command: &PluginCommand) -> anyhow::Result<bool> {
    match command {
        PluginCommand::New {
            name,
            dir,
            sdk_path,
        } => {
            let dir = dir.clone().unwrap_or_else(|| PathBuf::from(name));
            scaffold(name, &dir, sdk_path.as_deref())?;
            say!("created {}", dir.display());
            say!(
                "build and pack it: triage plugin pack {} (needs `rustup target add wasm32-wasip2`)",
                dir.display()
            );
            Ok(true)
        }
        PluginCommand::Pack { dir, out } => {
            let bytes = builder::pack_dir(dir, None)?;
            let package = triage_app::plugins::Package::read(&bytes)?;
            let out = out.clone().unwrap_or_else(|| {
                PathBuf::from(format!(
                    "{}-{}.tar",
                    package.manifest.id, package.manifest.version
                ))
            });
            std::fs::write(&out, &bytes).with_context(|| format!("writing {}", out.display()))?;
            say!(
                "packed {} {} into {} (sha256 {})",
                package.manifest.id,
                package.manifest.version,
                out.display(),
                package.sha256
            );
            Ok(true)
        }
        _ => Ok(false),
    }
}

pub async fn run(app: &App, command: PluginCommand) -> anyhow::Result<()> {
    let system = App::system_actor();
    match command {
        PluginCommand::List { json: true } => {
            let plugins: Vec<_> = app
                .list_plugins(&system)
                .await?
                .into_iter()
                .map(|p| {
                    serde_json::json!({
                        "id": p.manifest.id,
                        "version": p.manifest.version,
                        "enabled": p.row.enabled,
                        "provides": p.manifest.provides.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
                        "disabled_reason": p.row.disabled_reason,
                    })
                })
                .collect();
            crate::output::json(&plugins)?;
        }
        PluginCommand::List { json: false } => {
            for p in app.list_plugins(&system).await? {
                say!(
                    "{:<20} {:<10} {:<9} {}{}",
                    p.manifest.id,
                    p.manifest.version,
                    if p.row.enabled { "enabled" } else { "disabled" },
                    p.manifest
                        .provides
                        .iter()
                        .map(|r| r.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    p.row
                        .disabled_reason
                        .map(|r| format!("  ({r})"))
                        .unwrap_or_default()
                );
            }
        }
        PluginCommand::Install {
            file,
            grant_all,
            enable,
        } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let (info, upgraded) = app.install_plugin(&system, &bytes).await?;
            say!(
                "{} {} {}",
                if upgraded { "upgraded" } else { "installed" },
                info.manifest.id,
                info.manifest.version
            );
            let asks = &info.manifest.capabilities;
            if !asks.http.is_empty() {
                say!("  asks to call: {}", asks.http.join(", "));
            }
            if asks.kv > 0 {
                say!("  asks for {} bytes of storage", asks.kv);
            }
            if asks.tickets {
                say!("  asks to read tickets");
            }
            if !asks.secrets.is_empty() {
                say!("  asks for the secrets: {}", asks.secrets.join(", "));
            }
            if grant_all || enable {
                let update = PluginUpdate {
                    grants: grant_all.then(|| Grants::asked(&info.manifest)),
                    enabled: enable.then_some(true),
                    ..PluginUpdate::default()
                };
                app.update_plugin(&system, &info.manifest.id, update)
                    .await?;
                if grant_all {
                    say!("  granted everything it asks for");
                }
                if enable {
                    say!("  enabled");
                }
            }
        }
        PluginCommand::New { .. } | PluginCommand::Pack { .. } => {
            run_offline(&command)?;
        }
    }
    Ok(())
}

fn scaffold(name: &str, dir: &Path, sdk_path: Option<&Path>) -> anyhow::Result<()> {
    let valid = name.len() >= 2
        && name.len() <= 40
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !valid {
        bail!("{name:?}: a plugin id is 2 to 40 lower-case letters, digits and dashes");
    }
    if dir.exists() {
        bail!("{} already exists", dir.display());
    }
    std::fs::create_dir_all(dir.join("src"))?;
    let sdk = match sdk_path {
        Some(p) => {
            let p = p
                .canonicalize()
                .with_context(|| format!("the SDK at {}", p.display()))?;
            format!("{{ path = {:?} }}", p.display().to_string())
        }
        None => "\"0.1\"".to_string(),
    };
    let crate_name = name.replace('-', "_");
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2024"

# A plugin crate of its own, outside any other workspace.
[workspace]

[lib]
crate-type = ["cdylib"]

[dependencies]
triage-plugin-sdk = {sdk}

[profile.release]
opt-level = "s"
lto = true
codegen-units = 1
strip = true
panic = "abort"
"#
        ),
    )?;
    std::fs::write(
        dir.join("plugin.toml"),
        format!(
            r#"id = "{name}"
name = "{name}"
version = "0.1.0"
contract = "{contract}"
description = "Tags new tickets whose subject mentions an invoice."
author = ""
provides = ["integration"]
events = ["ticket.created"]

[capabilities]
# http = ["https://api.example.com"]
# kv = 65536
# tickets = true

[[config]]
key = "tag"
label = "Tag to add"
kind = "text"
help = "Defaults to billing."
"#,
            contract = triage_app::plugins::CONTRACTS
                .last()
                .copied()
                .unwrap_or_default()
        ),
    )?;
    std::fs::write(
        dir.join("src/lib.rs"),
        format!(
            r#"//! {name}: tags new tickets whose subject mentions an invoice.

use triage_plugin_sdk::{{Action, Error, Event, EventKind, Integration, Plugin, config, export}};

struct {ty};

impl Plugin for {ty} {{
    const ID: &'static str = "{name}";
}}

/// The decision, kept apart from the host calls so it can be tested natively.
pub fn tag_for(subject: &str, tag: Option<String>) -> Option<String> {{
    subject
        .to_lowercase()
        .contains("invoice")
        .then(|| tag.unwrap_or_else(|| "billing".into()))
}}

impl Integration for {ty} {{
    fn on_event(event: Event) -> Result<Vec<Action>, Error> {{
        if event.kind != EventKind::TicketCreated {{
            return Ok(Vec::new());
        }}
        Ok(tag_for(&event.ticket.subject, config::text("tag"))
            .map(Action::AddTag)
            .into_iter()
            .collect())
    }}
}}

export!({ty}: Integration);

#[cfg(test)]
mod tests {{
    use super::tag_for;

    #[test]
    fn invoices_are_tagged() {{
        assert_eq!(tag_for("Invoice #12 is wrong", None).as_deref(), Some("billing"));
        assert_eq!(tag_for("Printer on fire", None), None);
        assert_eq!(tag_for("invoice", Some("money".into())).as_deref(), Some("money"));
    }}
}}
"#,
            ty = crate_name
                .split('_')
                .map(|w| {
                    {
                        let mut c = w.chars();
                        c.next()
                            .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                            .unwrap_or_default()
                    }
                })
                .collect::<String>()
        ),
    )?;
    std::fs::write(dir.join(".gitignore"), "/target\n")?;
    Ok(())
}
