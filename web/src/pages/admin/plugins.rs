//! Plugins: the list with the install (and upgrade) form, and a page per plugin with the
//! capabilities it asks for as grant checkboxes, its settings form drawn from its
//! manifest (secrets write-only), enable and disable, rollback, uninstall, its log and
//! calls, and why it was disabled.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::Value;
use triage_app::plugins::{FieldKind, Grants, PluginInfo, PluginUpdate};
use triage_app::rows::{PluginCallRow, PluginLogRow};

use super::tabs;
use crate::Web;
use crate::error::{WebResult, describe};
use crate::forms::FormData;
use crate::pages::render;
use crate::session::Admin;
use crate::view::{Layout, datetime};

/// Log lines and calls the page shows.
const SHOWN: u64 = 50;

#[derive(Debug, Deserialize)]
pub(crate) struct PluginQuery {
    done: Option<String>,
}

struct Row {
    id: String,
    name: String,
    version: String,
    provides: String,
    enabled: bool,
    disabled_reason: String,
    failures: i32,
}

#[derive(Template)]
#[template(path = "admin/plugins.html")]
struct ListPage {
    layout: Layout,
    tabs: Vec<(&'static str, &'static str, bool)>,
    rows: Vec<Row>,
    problem: String,
}

/// One capability as a checkbox.
struct Grant {
    name: String,
    label: String,
    granted: bool,
}

/// One setting of the form.
struct Setting {
    key: String,
    label: String,
    kind: &'static str,
    help: String,
    required: bool,
    value: String,
    /// For secrets: whether a value is stored.
    set: bool,
    /// (value, chosen), for choice and multi.
    options: Vec<(String, bool)>,
}

struct LogLine {
    level: String,
    message: String,
    at: String,
}

struct Call {
    hook: String,
    ok: bool,
    ticket: String,
    error: String,
    at: String,
    took: String,
}

#[derive(Template)]
#[template(path = "admin/plugin.html")]
struct PluginPage {
    layout: Layout,
    tabs: Vec<(&'static str, &'static str, bool)>,
    id: String,
    name: String,
    version: String,
    description: String,
    author: String,
    provides: String,
    events: String,
    enabled: bool,
    running: bool,
    disabled_reason: String,
    last_error: String,
    failures: i32,
    previous_version: String,
    limits: String,
    kv: String,
    sha: String,
    grants: Vec<Grant>,
    http: Vec<Grant>,
    any_host: bool,
    extra_hosts: String,
    settings: Vec<Setting>,
    log: Vec<LogLine>,
    calls: Vec<Call>,
    problem: String,
}

fn row(p: &PluginInfo) -> Row {
    Row {
        id: p.manifest.id.clone(),
        name: p.manifest.name.clone(),
        version: p.manifest.version.clone(),
        provides: p
            .manifest
            .provides
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        enabled: p.row.enabled,
        disabled_reason: p.row.disabled_reason.clone().unwrap_or_default(),
        failures: p.row.failures,
    }
}

async fn list_page(
    web: &Web,
    admin: &Admin,
    notice: Option<&str>,
    problem: String,
) -> WebResult<Response> {
    let plugins = web.app.list_plugins(admin.0.actor()).await?;
    render(ListPage {
        layout: Layout::new(Some(&admin.0), "Plugins", "admin").with_notice(notice),
        tabs: tabs("plugins"),
        rows: plugins.iter().map(row).collect(),
        problem,
    })
}

/// `GET /admin/plugins`.
pub(crate) async fn list(
    State(web): State<Web>,
    admin: Admin,
    Query(q): Query<PluginQuery>,
) -> WebResult<Response> {
    list_page(&web, &admin, q.done.as_deref(), String::new()).await
}

/// `POST /admin/plugins`: installs or upgrades from the uploaded package.
pub(crate) async fn install(
    State(web): State<Web>,
    admin: Admin,
    mut form: FormData,
) -> WebResult<Response> {
    admin.0.check_csrf(form.csrf())?;
    let Some(file) = form.files.first_mut() else {
        return list_page(
            &web,
            &admin,
            None,
            "Choose a package file (.tar) to install.".into(),
        )
        .await;
    };
    let bytes = file.bytes().await?;
    match web.app.install_plugin(admin.0.actor(), &bytes).await {
        Ok((info, upgraded)) => {
            let done = if upgraded { "upgraded" } else { "installed" };
            Ok(
                Redirect::to(&format!("/admin/plugins/{}?done={done}", info.manifest.id))
                    .into_response(),
            )
        }
        Err(e) => list_page(&web, &admin, None, describe(&e).1).await,
    }
}

fn settings_of(p: &PluginInfo) -> Vec<Setting> {
    p.manifest
        .config
        .iter()
        .map(|f| {
            let stored = p.settings.get(&f.key);
            let chosen: Vec<String> = match stored {
                Some(Value::Array(a)) => a
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect(),
                Some(Value::String(s)) => vec![s.clone()],
                _ => Vec::new(),
            };
            Setting {
                key: f.key.clone(),
                label: f.label.clone(),
                kind: f.kind.as_str(),
                help: f.help.clone(),
                required: f.required,
                value: match stored {
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Null) | None => String::new(),
                    Some(v) => v.to_string(),
                },
                set: p.secrets_set.contains(&f.key)
                    || (f.kind != FieldKind::Secret && stored.is_some()),
                options: f
                    .options
                    .iter()
                    .map(|o| (o.clone(), chosen.contains(o)))
                    .collect(),
            }
        })
        .collect()
}

async fn plugin_page(
    web: &Web,
    admin: &Admin,
    id: &str,
    notice: Option<&str>,
    problem: String,
) -> WebResult<Response> {
    let actor = admin.0.actor();
    let p = web.app.plugin_info(actor, id).await?;
    let log: Vec<PluginLogRow> = web.app.plugin_log(actor, id, SHOWN).await?;
    let calls: Vec<PluginCallRow> = web.app.plugin_calls(actor, id, SHOWN).await?;
    let asks = &p.manifest.capabilities;
    let mut grants = Vec::new();
    if asks.kv > 0 {
        grants.push(Grant {
            name: "kv".into(),
            label: format!("Store up to {} KiB of its own data", asks.kv.div_ceil(1024)),
            granted: p.grants.kv > 0,
        });
    }
    if asks.tickets {
        grants.push(Grant {
            name: "tickets".into(),
            label: "Read tickets, their messages and search".into(),
            granted: p.grants.tickets,
        });
    }
    if asks.mail {
        grants.push(Grant {
            name: "mail".into(),
            label: "Send mail through the server".into(),
            granted: p.grants.mail,
        });
    }
    for s in &asks.secrets {
        grants.push(Grant {
            name: format!("secret:{s}"),
            label: format!("Read the secret setting {s}"),
            granted: p.grants.secrets.contains(s),
        });
    }
    if !asks.http.is_empty() {
        grants.push(Grant {
            name: "private_network".into(),
            label: "Let granted hosts be on private or loopback addresses".into(),
            granted: p.grants.private_network,
        });
    }
    let any_host = asks
        .http
        .iter()
        .any(|h| h == triage_app::plugins::ANY_ORIGIN);
    let http = asks
        .http
        .iter()
        .filter(|h| *h != triage_app::plugins::ANY_ORIGIN)
        .map(|h| Grant {
            name: h.clone(),
            label: h.clone(),
            granted: p.grants.http.contains(h),
        })
        .collect();
    let extra_hosts = p
        .grants
        .http
        .iter()
        .filter(|h| !asks.http.contains(h))
        .cloned()
        .collect::<Vec<_>>()
        .join("\n");
    render(PluginPage {
        layout: Layout::new(Some(&admin.0), p.manifest.name.clone(), "admin").with_notice(notice),
        tabs: tabs("plugins"),
        id: p.manifest.id.clone(),
        name: p.manifest.name.clone(),
        version: p.manifest.version.clone(),
        description: p.manifest.description.clone(),
        author: p.manifest.author.clone(),
        provides: p
            .manifest
            .provides
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        events: p.manifest.events.join(", "),
        enabled: p.row.enabled,
        running: p.running,
        disabled_reason: p.row.disabled_reason.clone().unwrap_or_default(),
        last_error: p.row.last_error.clone().unwrap_or_default(),
        failures: p.row.failures,
        previous_version: p.previous_version.clone().unwrap_or_default(),
        limits: format!(
            "{} MiB of memory, {} ms per call",
            p.limits.memory_mb, p.limits.timeout_ms
        ),
        kv: format!("{} keys, {} bytes", p.kv_keys, p.kv_bytes),
        sha: p.row.sha256.chars().take(12).collect(),
        grants,
        http,
        any_host,
        extra_hosts,
        settings: settings_of(&p),
        log: log
            .into_iter()
            .map(|l| LogLine {
                level: l.level,
                message: l.message,
                at: datetime(l.created_at),
            })
            .collect(),
        calls: calls
            .into_iter()
            .map(|c| Call {
                hook: c.hook,
                ok: c.ok,
                ticket: c.ticket_id.map(|t| t.to_string()).unwrap_or_default(),
                error: c.error.unwrap_or_default(),
                at: datetime(c.created_at),
                took: format!("{:.1} ms", c.duration_us as f64 / 1000.0),
            })
            .collect(),
        problem,
    })
}

/// `GET /admin/plugins/{id}`.
pub(crate) async fn show(
    State(web): State<Web>,
    admin: Admin,
    Path(id): Path<String>,
    Query(q): Query<PluginQuery>,
) -> WebResult<Response> {
    plugin_page(&web, &admin, &id, q.done.as_deref(), String::new()).await
}

fn update_of(p: &PluginInfo, form: &FormData) -> PluginUpdate {
    let asks = &p.manifest.capabilities;
    let ticked = form.all("grant");
    let mut http: Vec<String> = form
        .all("http")
        .into_iter()
        .filter(|h| asks.http.contains(h))
        .collect();
    http.extend(
        form.get("extra_hosts")
            .lines()
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .map(str::to_string),
    );
    let grants = Grants {
        http,
        private_network: ticked.iter().any(|g| g == "private_network"),
        kv: if ticked.iter().any(|g| g == "kv") {
            asks.kv
        } else {
            0
        },
        secrets: asks
            .secrets
            .iter()
            .filter(|s| ticked.contains(&format!("secret:{s}")))
            .cloned()
            .collect(),
        tickets: ticked.iter().any(|g| g == "tickets"),
        mail: ticked.iter().any(|g| g == "mail"),
    };
    let mut settings = BTreeMap::new();
    let mut secrets = BTreeMap::new();
    for f in &p.manifest.config {
        let name = format!("setting:{}", f.key);
        let value = match f.kind {
            FieldKind::Secret => {
                // Write-only: an empty box keeps the stored secret; "clear" removes it.
                if form.flag(&format!("clear:{}", f.key)) {
                    secrets.insert(f.key.clone(), None);
                } else if !form.get(&name).is_empty() {
                    secrets.insert(f.key.clone(), Some(form.raw(&name).to_string()));
                }
                continue;
            }
            FieldKind::Flag => Value::Bool(form.flag(&name)),
            FieldKind::Multi => {
                Value::Array(form.all(&name).into_iter().map(Value::String).collect())
            }
            FieldKind::Number => match form.get(&name) {
                "" => Value::Null,
                n => n
                    .parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map_or_else(|| Value::String(n.to_string()), Value::Number),
            },
            _ => match form.get(&name) {
                "" => Value::Null,
                v => Value::String(v.to_string()),
            },
        };
        settings.insert(f.key.clone(), value);
    }
    PluginUpdate {
        enabled: Some(form.flag("enabled")),
        grants: Some(grants),
        settings: Some(settings),
        secrets: Some(secrets),
        limits: None,
    }
}

/// `POST /admin/plugins/{id}`: grants, settings and whether it runs.
pub(crate) async fn save(
    State(web): State<Web>,
    admin: Admin,
    Path(id): Path<String>,
    form: FormData,
) -> WebResult<Response> {
    admin.0.check_csrf(form.csrf())?;
    let actor = admin.0.actor();
    let p = web.app.plugin_info(actor, &id).await?;
    match web
        .app
        .update_plugin(actor, &id, update_of(&p, &form))
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/admin/plugins/{id}?done=saved")).into_response()),
        Err(e) => plugin_page(&web, &admin, &id, None, describe(&e).1).await,
    }
}

/// `POST /admin/plugins/{id}/rollback`.
pub(crate) async fn rollback(
    State(web): State<Web>,
    admin: Admin,
    Path(id): Path<String>,
    form: FormData,
) -> WebResult<Response> {
    admin.0.check_csrf(form.csrf())?;
    match web.app.rollback_plugin(admin.0.actor(), &id).await {
        Ok(_) => Ok(Redirect::to(&format!("/admin/plugins/{id}?done=rolled+back")).into_response()),
        Err(e) => plugin_page(&web, &admin, &id, None, describe(&e).1).await,
    }
}

/// `POST /admin/plugins/{id}/uninstall`.
pub(crate) async fn uninstall(
    State(web): State<Web>,
    admin: Admin,
    Path(id): Path<String>,
    form: FormData,
) -> WebResult<Response> {
    admin.0.check_csrf(form.csrf())?;
    web.app
        .uninstall_plugin(admin.0.actor(), &id, form.flag("purge"))
        .await?;
    Ok(Redirect::to("/admin/plugins?done=uninstalled").into_response())
}
