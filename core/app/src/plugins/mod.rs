//! Plugins: installing packages, granting capabilities, configuring, enabling, upgrading
//! and rolling back without a restart; the plugins that run, and their consumers.
//!
//! The enabled plugins live in a registry of loaded [`Plugin`]s. A call takes a clone of
//! the plugin it finds there, so an upgrade or rollback swaps the entry while calls in
//! flight finish on the version they started on.

mod actions;
mod channel;
mod events;
mod rules;
mod services;
mod statuses;

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use serde_json::{Value, json};
use tokio::sync::OnceCell;
use triage_domain::Actor;
pub use triage_plugin_host::{
    AdminLimits, Capabilities, ConfigField, FieldKind, Grants, Limits, Manifest, Role,
};
use triage_plugin_host::{Host, HostConfig, Plugin, Settings};
use triage_store::{PluginCallRow, PluginLogRow, PluginPackageRow, PluginRow, QuarantineRow};

pub use channel::{ChannelReply, InboundCall, InboundOutcome};
pub use triage_plugin_host::{ANY_ORIGIN, CONTRACTS, MAX_PACKAGE_BYTES, Package, builder};

use crate::consumer::ConsumerHandle;
use crate::{App, AppError, AppResult};

/// Failed calls in a row after which a plugin is disabled.
pub const MAX_FAILURES: i32 = 5;

/// How often a process looks for plugin changes made by other processes.
pub const SYNC: std::time::Duration = std::time::Duration::from_secs(5);

/// What a running plugin was loaded from: a change to any of it means loading again.
fn fingerprint(row: &PluginRow) -> String {
    format!(
        "{}|{}|{}|{}|{}",
        row.sha256, row.grants, row.settings, row.secrets, row.limits
    )
}

/// The plugins this process runs.
#[derive(Default)]
pub(crate) struct Registry {
    host: OnceCell<Arc<Host>>,
    /// Each running plugin with the fingerprint of the row it was loaded from.
    loaded: RwLock<BTreeMap<String, (Plugin, String)>>,
    consumers: std::sync::Mutex<BTreeMap<String, ConsumerHandle>>,
    log: OnceCell<tokio::sync::mpsc::UnboundedSender<PluginLogRow>>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry").finish()
    }
}

/// An installed plugin as admins see it.
#[derive(Debug, Clone)]
pub struct PluginInfo {
    pub row: PluginRow,
    pub manifest: Manifest,
    pub grants: Grants,
    pub admin_limits: AdminLimits,
    /// The limits it runs under.
    pub limits: Limits,
    /// Settings that are not secret.
    pub settings: BTreeMap<String, Value>,
    /// Secret settings that have a value (their values are never shown).
    pub secrets_set: Vec<String>,
    /// The version a rollback returns to.
    pub previous_version: Option<String>,
    /// Whether this process runs it now.
    pub running: bool,
    /// Keys stored and their bytes.
    pub kv_keys: u64,
    pub kv_bytes: u64,
}

/// Changes to a plugin; `None` keeps what is there.
#[derive(Debug, Clone, Default)]
pub struct PluginUpdate {
    pub enabled: Option<bool>,
    pub grants: Option<Grants>,
    /// Values by key; `null` clears one.
    pub settings: Option<BTreeMap<String, Value>>,
    /// Secret values by key; `None` clears one. Keys left out keep their value.
    pub secrets: Option<BTreeMap<String, Option<String>>>,
    pub limits: Option<AdminLimits>,
}

fn parse_json<T: serde::de::DeserializeOwned + Default>(v: &Value) -> T {
    serde_json::from_value(v.clone()).unwrap_or_default()
}

fn manifest_of(row: &PluginRow) -> AppResult<Manifest> {
    Manifest::parse(&row.manifest).map_err(|e| {
        AppError::Internal(format!(
            "the stored manifest of {} is unusable: {e}",
            row.plugin_id
        ))
    })
}

fn settings_of(row: &PluginRow) -> Settings {
    Settings {
        values: parse_json(&row.settings),
        secrets: parse_json(&row.secrets),
    }
}

/// Checks settings against the manifest's form.
fn check_settings(manifest: &Manifest, values: &BTreeMap<String, Value>) -> AppResult<()> {
    for (key, value) in values {
        let Some(field) = manifest.field(key) else {
            return Err(AppError::invalid(
                "settings",
                format!("{key:?} is not a setting of this plugin"),
            ));
        };
        let ok = match field.kind {
            FieldKind::Secret => {
                return Err(AppError::invalid(
                    "settings",
                    format!("{key:?} is secret: set it under secrets"),
                ));
            }
            FieldKind::Text => value.is_string(),
            FieldKind::Url => value
                .as_str()
                .is_some_and(|u| u.starts_with("https://") || u.starts_with("http://")),
            FieldKind::Number => value.is_number(),
            FieldKind::Flag => value.is_boolean(),
            FieldKind::Choice => value
                .as_str()
                .is_some_and(|v| field.options.iter().any(|o| o == v)),
            FieldKind::Multi => value.as_array().is_some_and(|a| {
                a.iter().all(|v| {
                    v.as_str()
                        .is_some_and(|v| field.options.iter().any(|o| o == v))
                })
            }),
        };
        if !ok {
            let expected = match field.kind {
                FieldKind::Choice | FieldKind::Multi => {
                    format!("{} of {}", field.kind.as_str(), field.options.join(", "))
                }
                k => k.as_str().to_string(),
            };
            return Err(AppError::invalid(
                "settings",
                format!("{key:?} must be {expected}"),
            ));
        }
    }
    Ok(())
}

fn missing_required(manifest: &Manifest, settings: &Settings) -> Option<String> {
    manifest
        .config
        .iter()
        .filter(|f| f.required)
        .find(|f| {
            if f.kind == FieldKind::Secret {
                !settings.secrets.contains_key(&f.key)
            } else {
                !settings.values.contains_key(&f.key)
            }
        })
        .map(|f| f.label.clone())
}

impl App {
    /// The plugin host, started on first use.
    pub(crate) async fn plugin_host(&self) -> AppResult<Arc<Host>> {
        let dir = self.config.data_dir.join("plugins").join("compiled");
        self.plugins
            .host
            .get_or_try_init(|| async move {
                Host::new(HostConfig {
                    cache_dir: Some(dir),
                    ..HostConfig::default()
                })
                .map(Arc::new)
                .map_err(|e| AppError::Unavailable(e.to_string()))
            })
            .await
            .cloned()
    }

    async fn plugin_services(&self) -> Arc<services::AppServices> {
        let store = self.store.clone();
        let log = self
            .plugins
            .log
            .get_or_init(|| async move {
                let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<PluginLogRow>();
                tokio::spawn(async move {
                    while let Some(first) = rx.recv().await {
                        let mut rows = vec![first];
                        while let Ok(more) = rx.try_recv() {
                            rows.push(more);
                            if rows.len() >= 200 {
                                break;
                            }
                        }
                        let write = store
                            .write(move |tx| {
                                Box::pin(async move {
                                    Ok::<_, AppError>(tx.repos().insert_plugin_log(rows).await?)
                                })
                            })
                            .await;
                        if let Err(e) = write {
                            tracing::warn!(error = %e, "plugin log lines were lost");
                        }
                    }
                });
                tx
            })
            .await
            .clone();
        Arc::new(services::AppServices {
            app: self.clone(),
            log,
        })
    }

    /// Writes a line to a plugin's log in the host's name.
    pub(crate) async fn plugin_note(&self, plugin_id: &str, level: &str, message: String) {
        let row = PluginLogRow {
            id: 0,
            plugin_id: plugin_id.to_string(),
            level: level.to_string(),
            message,
            created_at: crate::now_millis(),
        };
        let _ = self
            .store
            .write(move |tx| {
                Box::pin(async move {
                    Ok::<_, AppError>(tx.repos().insert_plugin_log(vec![row]).await?)
                })
            })
            .await;
    }

    /// The running plugin with this id.
    pub(crate) fn running_plugin(&self, id: &str) -> Option<Plugin> {
        self.plugins
            .loaded
            .read()
            .ok()?
            .get(id)
            .map(|(p, _)| p.clone())
    }

    /// Every running plugin that plays `role`.
    pub(crate) fn running_with(&self, role: Role) -> Vec<Plugin> {
        self.plugins
            .loaded
            .read()
            .map(|l| {
                l.values()
                    .map(|(p, _)| p)
                    .filter(|p| p.manifest().provides(role))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    fn set_running(&self, plugin: Option<(Plugin, String)>, id: &str) {
        if let Ok(mut loaded) = self.plugins.loaded.write() {
            match plugin {
                Some(p) => {
                    loaded.insert(id.to_string(), p);
                }
                None => {
                    loaded.remove(id);
                }
            }
        }
    }

    async fn info(&self, row: PluginRow) -> AppResult<PluginInfo> {
        let manifest = manifest_of(&row)?;
        let admin_limits: AdminLimits = parse_json(&row.limits);
        let settings = settings_of(&row);
        let previous_version = match &row.previous_sha256 {
            Some(sha) => self
                .store
                .read()
                .package(&row.plugin_id, sha)
                .await?
                .map(|p| p.version),
            None => None,
        };
        let (kv_keys, kv_bytes) = self.store.read().kv_usage(&row.plugin_id).await?;
        Ok(PluginInfo {
            grants: parse_json(&row.grants),
            limits: Limits::effective(&manifest, admin_limits),
            admin_limits,
            settings: settings.values,
            secrets_set: settings.secrets.keys().cloned().collect(),
            previous_version,
            running: self.running_plugin(&row.plugin_id).is_some(),
            kv_keys,
            kv_bytes,
            manifest,
            row,
        })
    }

    async fn plugin_row(&self, id: &str) -> AppResult<PluginRow> {
        self.store
            .read()
            .plugin(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("plugin {id:?}")))
    }

    /// Every installed plugin (admins).
    pub async fn list_plugins(&self, actor: &Actor) -> AppResult<Vec<PluginInfo>> {
        actor.require_admin()?;
        let mut out = Vec::new();
        for row in self.store.read().list_plugins().await? {
            out.push(self.info(row).await?);
        }
        Ok(out)
    }

    /// One installed plugin (admins).
    pub async fn plugin_info(&self, actor: &Actor, id: &str) -> AppResult<PluginInfo> {
        actor.require_admin()?;
        self.info(self.plugin_row(id).await?).await
    }

    /// Loads a package with a row's grants, limits and settings, and checks that the
    /// plugin describes itself as its manifest does and accepts its settings.
    async fn load_checked(&self, package: &Package, row: &PluginRow) -> AppResult<Plugin> {
        let host = self.plugin_host().await?;
        let services = self.plugin_services().await;
        let manifest = &package.manifest;
        let asked = Grants::asked(manifest);
        let mut grants: Grants = parse_json(&row.grants);
        // Grants the new version no longer asks for lapse.
        let any_host = manifest
            .capabilities
            .http
            .iter()
            .any(|h| h == triage_plugin_host::ANY_ORIGIN);
        grants.http.retain(|h| any_host || asked.http.contains(h));
        grants.secrets.retain(|s| asked.secrets.contains(s));
        grants.kv = grants.kv.min(asked.kv);
        grants.tickets &= asked.tickets;
        grants.mail &= asked.mail;
        let (plugin, _) = host
            .load(
                package,
                grants,
                parse_json(&row.limits),
                settings_of(row),
                services,
            )
            .map_err(|e| AppError::invalid("package", e.to_string()))?;
        let described = plugin
            .describe()
            .await
            .map_err(|e| AppError::invalid("package", format!("describe failed: {e}")))?;
        if described.id != manifest.id || described.version != manifest.version {
            return Err(AppError::invalid(
                "package",
                format!(
                    "the component describes itself as {} {}, but its manifest says {} {}",
                    described.id, described.version, manifest.id, manifest.version
                ),
            ));
        }
        Ok(plugin)
    }

    /// Starts a loaded plugin: checks its settings with it, creates its statuses and
    /// starts its consumer.
    async fn start_plugin(&self, plugin: Plugin, row: &PluginRow) -> AppResult<()> {
        if let Some(label) = missing_required(plugin.manifest(), plugin.settings()) {
            return Err(AppError::invalid(
                "settings",
                format!("{label} must be set before the plugin is enabled"),
            ));
        }
        match plugin.init().await {
            Ok(Ok(())) => {}
            Ok(Err(message)) => return Err(AppError::invalid("settings", message)),
            Err(e) => return Err(AppError::invalid("settings", format!("init failed: {e}"))),
        }
        if plugin.manifest().provides(Role::Statuses) {
            self.declare_plugin_statuses(&plugin).await?;
        }
        let id = plugin.id().to_string();
        self.set_running(Some((plugin.clone(), fingerprint(row))), &id);
        self.start_plugin_consumer(&plugin).await?;
        Ok(())
    }

    fn stop_plugin(&self, id: &str) {
        self.set_running(None, id);
        if let Ok(mut c) = self.plugins.consumers.lock()
            && let Some(handle) = c.remove(id)
        {
            handle.stop();
        }
    }

    async fn package_of(&self, plugin_id: &str, sha256: &str) -> AppResult<Package> {
        let stored = self
            .store
            .read()
            .package(plugin_id, sha256)
            .await?
            .ok_or_else(|| AppError::Internal(format!("the package of {plugin_id} is missing")))?;
        Package::read(&stored.bytes).map_err(|e| AppError::Internal(e.to_string()))
    }

    /// Installs a package (admins). A new plugin starts disabled with nothing granted; a
    /// new version of an installed one is an upgrade: compiled and checked first, then
    /// swapped in while calls in flight finish on the old version, which stays for a
    /// rollback. Returns the plugin and whether this was an upgrade.
    pub async fn install_plugin(
        &self,
        actor: &Actor,
        bytes: &[u8],
    ) -> AppResult<(PluginInfo, bool)> {
        actor.require_admin()?;
        let package =
            Package::read(bytes).map_err(|e| AppError::invalid("package", e.to_string()))?;
        let host = self.plugin_host().await?;
        let (component, _) = host
            .compile(&package.wasm, &package.wasm_sha256)
            .map_err(|e| AppError::invalid("package", e.to_string()))?;
        host.check_component(&component, &package.manifest.contract)
            .map_err(|e| AppError::invalid("package", e.to_string()))?;
        let manifest = package.manifest.clone();
        let existing = self.store.read().plugin(&manifest.id).await?;
        let now = crate::now_millis();
        let row = match existing {
            None => PluginRow {
                id: 0,
                plugin_id: manifest.id.clone(),
                name: manifest.name.clone(),
                version: manifest.version.clone(),
                sha256: package.sha256.clone(),
                previous_sha256: None,
                manifest: package.manifest_text.clone(),
                enabled: false,
                grants: json!({}),
                settings: json!({}),
                secrets: json!({}),
                limits: json!({}),
                failures: 0,
                disabled_reason: None,
                last_error: None,
                installed_at: now,
                updated_at: now,
            },
            Some(old) if old.sha256 == package.sha256 => {
                return Err(AppError::Conflict(format!(
                    "{} {} is already installed",
                    manifest.id, manifest.version
                )));
            }
            Some(old) => PluginRow {
                name: manifest.name.clone(),
                version: manifest.version.clone(),
                sha256: package.sha256.clone(),
                previous_sha256: Some(old.sha256.clone()),
                manifest: package.manifest_text.clone(),
                updated_at: now,
                ..old
            },
        };
        let upgrade = row.id != 0;
        // The new version is loaded and checked before anything is swapped.
        let loaded = if upgrade && row.enabled {
            Some(self.load_checked(&package, &row).await?)
        } else {
            self.load_checked(&package, &row).await?;
            None
        };
        let kept = PluginPackageRow {
            id: 0,
            plugin_id: manifest.id.clone(),
            sha256: package.sha256.clone(),
            version: manifest.version.clone(),
            bytes: bytes.to_vec(),
            created_at: now,
        };
        let saved = self
            .store
            .write(move |tx| {
                Box::pin(async move {
                    let repos = tx.repos();
                    repos.keep_package(kept).await?;
                    let saved = if row.id == 0 {
                        repos.insert_plugin(row).await?
                    } else {
                        repos.update_plugin(row).await?
                    };
                    Ok::<_, AppError>(saved)
                })
            })
            .await?;
        if let Some(plugin) = loaded {
            self.start_plugin(plugin, &saved).await?;
        }
        let verb = if upgrade { "upgraded to" } else { "installed" };
        self.plugin_note(
            &saved.plugin_id,
            "info",
            format!("{verb} {} ({})", saved.version, &saved.sha256[..12]),
        )
        .await;
        Ok((self.info(saved).await?, upgrade))
    }

    /// Changes grants, settings, secrets, limits or whether the plugin runs (admins).
    /// Enabling loads and checks it; a refused setting leaves everything as it was.
    pub async fn update_plugin(
        &self,
        actor: &Actor,
        id: &str,
        update: PluginUpdate,
    ) -> AppResult<PluginInfo> {
        actor.require_admin()?;
        let mut row = self.plugin_row(id).await?;
        let manifest = manifest_of(&row)?;
        if let Some(grants) = &update.grants {
            grants
                .check(&manifest)
                .map_err(|m| AppError::invalid("grants", m))?;
            row.grants =
                serde_json::to_value(grants).map_err(|e| AppError::Internal(e.to_string()))?;
        }
        if let Some(limits) = update.limits {
            row.limits =
                serde_json::to_value(limits).map_err(|e| AppError::Internal(e.to_string()))?;
        }
        let mut settings = settings_of(&row);
        if let Some(values) = update.settings {
            let (clear, set): (Vec<_>, Vec<_>) = values.into_iter().partition(|(_, v)| v.is_null());
            let set: BTreeMap<String, Value> = set.into_iter().collect();
            check_settings(&manifest, &set)?;
            for (k, _) in clear {
                settings.values.remove(&k);
            }
            settings.values.extend(set);
        }
        if let Some(secrets) = update.secrets {
            for (key, value) in secrets {
                let is_secret = manifest
                    .field(&key)
                    .is_some_and(|f| f.kind == FieldKind::Secret);
                if !is_secret {
                    return Err(AppError::invalid(
                        "secrets",
                        format!("{key:?} is not a secret setting of this plugin"),
                    ));
                }
                match value {
                    Some(v) => {
                        settings.secrets.insert(key, v);
                    }
                    None => {
                        settings.secrets.remove(&key);
                    }
                }
            }
        }
        row.settings = json!(settings.values);
        row.secrets = json!(settings.secrets);
        let enable = update.enabled.unwrap_or(row.enabled);
        if enable {
            let package = self.package_of(&row.plugin_id, &row.sha256).await?;
            let plugin = self.load_checked(&package, &row).await?;
            self.start_plugin(plugin, &row).await?;
            row.failures = 0;
            row.disabled_reason = None;
        } else {
            self.stop_plugin(id);
        }
        row.enabled = enable;
        row.updated_at = crate::now_millis();
        let saved = self.save_plugin(row).await?;
        self.info(saved).await
    }

    async fn save_plugin(&self, row: PluginRow) -> AppResult<PluginRow> {
        self.store
            .write(move |tx| {
                Box::pin(async move { Ok::<_, AppError>(tx.repos().update_plugin(row).await?) })
            })
            .await
    }

    /// Returns to the version before the last upgrade (admins).
    pub async fn rollback_plugin(&self, actor: &Actor, id: &str) -> AppResult<PluginInfo> {
        actor.require_admin()?;
        let row = self.plugin_row(id).await?;
        let Some(previous) = row.previous_sha256.clone() else {
            return Err(AppError::Conflict(format!(
                "{id} has no earlier version to roll back to"
            )));
        };
        let package = self.package_of(id, &previous).await?;
        let row = PluginRow {
            version: package.manifest.version.clone(),
            sha256: previous,
            previous_sha256: Some(row.sha256.clone()),
            manifest: package.manifest_text.clone(),
            name: package.manifest.name.clone(),
            updated_at: crate::now_millis(),
            ..row
        };
        if row.enabled {
            let plugin = self.load_checked(&package, &row).await?;
            self.start_plugin(plugin, &row).await?;
        }
        let saved = self.save_plugin(row).await?;
        self.plugin_note(id, "info", format!("rolled back to {}", saved.version))
            .await;
        self.info(saved).await
    }

    /// Removes a plugin (admins); its stored data too when `purge`. Statuses it declared
    /// stay on the tickets that have them but are no longer offered.
    pub async fn uninstall_plugin(&self, actor: &Actor, id: &str, purge: bool) -> AppResult<()> {
        actor.require_admin()?;
        self.plugin_row(id).await?;
        self.stop_plugin(id);
        let plugin_id = id.to_string();
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let repos = tx.repos();
                    for mut s in repos.list_statuses().await? {
                        if s.plugin_id.as_deref() == Some(plugin_id.as_str()) && s.active {
                            s.active = false;
                            repos.update_status(s).await?;
                        }
                    }
                    repos.delete_plugin(&plugin_id, purge).await?;
                    Ok::<_, AppError>(())
                })
            })
            .await?;
        self.forget_config();
        Ok(())
    }

    /// A plugin's latest log lines, newest first (admins).
    pub async fn plugin_log(
        &self,
        actor: &Actor,
        id: &str,
        limit: u64,
    ) -> AppResult<Vec<PluginLogRow>> {
        actor.require_admin()?;
        Ok(self
            .store
            .read()
            .plugin_log(id, limit.clamp(1, 1000))
            .await?)
    }

    /// A plugin's latest calls, newest first (admins).
    pub async fn plugin_calls(
        &self,
        actor: &Actor,
        id: &str,
        limit: u64,
    ) -> AppResult<Vec<PluginCallRow>> {
        actor.require_admin()?;
        Ok(self
            .store
            .read()
            .plugin_calls(id, limit.clamp(1, 1000))
            .await?)
    }

    /// A channel plugin's quarantined requests, newest first (admins).
    pub async fn plugin_quarantine(
        &self,
        actor: &Actor,
        id: &str,
        limit: u64,
    ) -> AppResult<Vec<QuarantineRow>> {
        actor.require_admin()?;
        Ok(self
            .store
            .read()
            .quarantine(id, limit.clamp(1, 1000))
            .await?)
    }

    /// Starts every enabled plugin (one that cannot start is disabled with the reason),
    /// then keeps this process in step with changes other processes make to plugins
    /// (installs, upgrades, settings, enabling and disabling), every [`SYNC`].
    pub async fn start_plugins(&self) -> AppResult<tokio::task::JoinHandle<()>> {
        for row in self.store.read().list_plugins().await? {
            if !row.enabled {
                continue;
            }
            let id = row.plugin_id.clone();
            if let Err(e) = self.load_row(&row).await {
                tracing::warn!(plugin = %id, error = %e, "plugin could not start");
                self.disable_plugin(&id, format!("could not start: {e}"))
                    .await?;
            }
        }
        let app = self.clone();
        Ok(tokio::spawn(async move {
            loop {
                tokio::time::sleep(SYNC).await;
                if let Err(e) = app.sync_plugins().await {
                    tracing::warn!(error = %e, "plugins could not be brought in step");
                }
            }
        }))
    }

    async fn load_row(&self, row: &PluginRow) -> AppResult<()> {
        let package = self.package_of(&row.plugin_id, &row.sha256).await?;
        let plugin = self.load_checked(&package, row).await?;
        self.start_plugin(plugin, row).await
    }

    /// Runs what the database says should run: loads plugins enabled or changed
    /// elsewhere, stops those disabled or removed elsewhere. Every plugin is tried; the
    /// first that could not be loaded is the error.
    pub async fn sync_plugins(&self) -> AppResult<()> {
        let rows = self.store.read().list_plugins().await?;
        let running: BTreeMap<String, String> = self
            .plugins
            .loaded
            .read()
            .map(|l| l.iter().map(|(k, (_, f))| (k.clone(), f.clone())).collect())
            .unwrap_or_default();
        let mut failed = None;
        for row in &rows {
            let current = running.get(&row.plugin_id);
            if row.enabled && current != Some(&fingerprint(row)) {
                if let Err(e) = self.load_row(row).await {
                    tracing::warn!(plugin = %row.plugin_id, error = %e, "plugin could not be loaded");
                    failed.get_or_insert(AppError::Unavailable(format!(
                        "{} could not be loaded here: {e}",
                        row.plugin_id
                    )));
                }
            } else if !row.enabled && current.is_some() {
                self.stop_plugin(&row.plugin_id);
            }
        }
        for id in running.keys() {
            if !rows.iter().any(|r| &r.plugin_id == id) {
                self.stop_plugin(id);
            }
        }
        failed.map_or(Ok(()), Err)
    }

    /// Stops a plugin and records why; admins see the reason.
    pub(crate) async fn disable_plugin(&self, id: &str, reason: String) -> AppResult<()> {
        self.stop_plugin(id);
        let Some(mut row) = self.store.read().plugin(id).await? else {
            return Ok(());
        };
        row.enabled = false;
        row.disabled_reason = Some(reason.clone());
        row.updated_at = crate::now_millis();
        self.save_plugin(row).await?;
        self.plugin_note(id, "error", format!("disabled: {reason}"))
            .await;
        Ok(())
    }

    /// Counts a call's outcome: a failure that is the plugin's fault adds one, and
    /// [`MAX_FAILURES`] in a row disable it; a success resets the count.
    pub(crate) async fn count_plugin_call(
        &self,
        id: &str,
        error: Option<&triage_plugin_host::CallError>,
    ) -> AppResult<()> {
        let Some(mut row) = self.store.read().plugin(id).await? else {
            return Ok(());
        };
        match error {
            None if row.failures == 0 => return Ok(()),
            None => row.failures = 0,
            Some(e) if !e.counts_against_plugin() => return Ok(()),
            Some(e) => {
                row.failures += 1;
                row.last_error = Some(e.to_string());
                if row.failures >= MAX_FAILURES {
                    let reason = format!("{MAX_FAILURES} failed calls in a row; the last: {e}");
                    self.save_plugin(row).await?;
                    return self.disable_plugin(id, reason).await;
                }
            }
        }
        self.save_plugin(row).await?;
        Ok(())
    }

    /// Records a hook call in the plugin's call log; `Ok(false)` when its `dedup` key
    /// was already taken.
    pub(crate) async fn record_plugin_call(&self, row: PluginCallRow) -> AppResult<bool> {
        let result = self
            .store
            .write(move |tx| {
                Box::pin(
                    async move { Ok::<_, AppError>(tx.repos().insert_plugin_call(row).await?) },
                )
            })
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(AppError::Conflict(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }
}
