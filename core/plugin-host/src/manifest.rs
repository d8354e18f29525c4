//! `plugin.toml`: what a plugin is, what it provides, what it asks for.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::error::ManifestError;
use crate::origin::Origin;

/// The contract versions this host runs, oldest first. Versions `0.1.x` differ only by
/// additions, so one set of bindings (the newest) serves them all.
pub const CONTRACTS: &[&str] = &["0.1.0", "0.1.1"];

/// The events an integration can subscribe to, by their stable names.
pub const EVENTS: &[&str] = &[
    "ticket.created",
    "ticket.updated",
    "status.changed",
    "message.added",
    "sla.warning",
    "sla.breached",
    "rating.received",
];

/// Memory an instance gets unless the manifest asks for less.
pub const DEFAULT_MEMORY_MB: u32 = 32;
/// The most memory a manifest can ask for.
pub const MAX_MEMORY_MB: u32 = 256;
/// A hook's wall-clock timeout unless the manifest asks for less.
pub const DEFAULT_TIMEOUT_MS: u32 = 5_000;
/// The longest timeout a manifest can ask for.
pub const MAX_TIMEOUT_MS: u32 = 30_000;
/// The most key-value storage a manifest can ask for.
pub const MAX_KV_BYTES: u64 = 64 << 20;

/// A plugin's manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Lower-case letters, digits and `-`; the plugin's name in URLs and rules.
    pub id: String,
    pub name: String,
    /// `MAJOR.MINOR.PATCH`.
    pub version: String,
    /// The contract version it was built against (`0.1.0`).
    pub contract: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub author: String,
    /// The roles it plays.
    #[serde(default)]
    pub provides: Vec<Role>,
    /// The events its integration hook is called for.
    #[serde(default)]
    pub events: Vec<String>,
    #[serde(default)]
    pub capabilities: Capabilities,
    /// The settings an admin fills in.
    #[serde(default)]
    pub config: Vec<ConfigField>,
    #[serde(default)]
    pub limits: AskedLimits,
}

/// A role a plugin plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Channel,
    Statuses,
    Integration,
}

impl Role {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Channel => "channel",
            Role::Statuses => "statuses",
            Role::Integration => "integration",
        }
    }
}

/// What a plugin asks to be allowed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Capabilities {
    /// Origins it may call: `https://hooks.slack.com`, `https://*.example.com`,
    /// `http://127.0.0.1:8080`.
    #[serde(default)]
    pub http: Vec<String>,
    /// Bytes of key-value storage.
    #[serde(default)]
    pub kv: u64,
    /// Secret settings it may read, by key.
    #[serde(default)]
    pub secrets: Vec<String>,
    /// Reading tickets and their messages.
    #[serde(default)]
    pub tickets: bool,
    /// Sending mail.
    #[serde(default)]
    pub mail: bool,
}

/// One setting of the configuration form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigField {
    pub key: String,
    pub label: String,
    pub kind: FieldKind,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub help: String,
    /// The choices of a `choice` or `multi` field.
    #[serde(default)]
    pub options: Vec<String>,
}

/// The kind of a setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldKind {
    Text,
    /// Write-only: never shown back, readable by the plugin only when granted.
    Secret,
    Number,
    Flag,
    Url,
    /// One of `options`.
    Choice,
    /// Any of `options`.
    Multi,
}

impl FieldKind {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldKind::Text => "text",
            FieldKind::Secret => "secret",
            FieldKind::Number => "number",
            FieldKind::Flag => "flag",
            FieldKind::Url => "url",
            FieldKind::Choice => "choice",
            FieldKind::Multi => "multi",
        }
    }
}

/// Limits a plugin asks for; the host's maximums and an admin can only lower them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AskedLimits {
    pub memory_mb: Option<u32>,
    pub timeout_ms: Option<u32>,
}

fn valid_id(id: &str) -> bool {
    let len_ok = (2..=40).contains(&id.len());
    let starts = id.chars().next().is_some_and(|c| c.is_ascii_lowercase());
    let chars = id
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    len_ok && starts && chars && !id.ends_with('-')
}

fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 64
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Parses `MAJOR.MINOR.PATCH` (an optional `-pre` suffix is allowed).
pub fn parse_version(v: &str) -> Option<(u64, u64, u64)> {
    let core = v.split(['-', '+']).next()?;
    let mut parts = core.split('.').map(|p| p.parse::<u64>().ok());
    let out = (parts.next()??, parts.next()??, parts.next()??);
    parts.next().is_none().then_some(out)
}

impl Manifest {
    /// Parses and checks a manifest.
    pub fn parse(text: &str) -> Result<Manifest, ManifestError> {
        let manifest: Manifest =
            toml::from_str(text).map_err(|e| ManifestError::Syntax(e.to_string()))?;
        manifest.validate()?;
        Ok(manifest)
    }

    /// Checks every field; the first problem is the error.
    pub fn validate(&self) -> Result<(), ManifestError> {
        let bad = |field: &str, message: String| {
            Err(ManifestError::Invalid {
                field: field.to_string(),
                message,
            })
        };
        if !valid_id(&self.id) {
            return bad(
                "id",
                format!(
                    "{:?} must be 2 to 40 lower-case letters, digits and dashes, starting with a letter",
                    self.id
                ),
            );
        }
        if self.name.trim().is_empty() || self.name.len() > 100 {
            return bad("name", "must be 1 to 100 characters".into());
        }
        if parse_version(&self.version).is_none() {
            return bad(
                "version",
                format!("{:?} is not MAJOR.MINOR.PATCH", self.version),
            );
        }
        if !CONTRACTS.contains(&self.contract.as_str()) {
            return bad(
                "contract",
                format!(
                    "this server runs contracts {}; the plugin needs {:?}",
                    CONTRACTS.join(", "),
                    self.contract
                ),
            );
        }
        if self.provides.is_empty() {
            return bad(
                "provides",
                "name at least one of channel, statuses, integration".into(),
            );
        }
        for event in &self.events {
            if !EVENTS.contains(&event.as_str()) {
                return bad(
                    "events",
                    format!("unknown event {event:?}; known: {}", EVENTS.join(", ")),
                );
            }
        }
        if !self.events.is_empty() && !self.provides.contains(&Role::Integration) {
            return bad("events", "only an integration subscribes to events".into());
        }
        for origin in &self.capabilities.http {
            if origin == crate::grants::ANY_ORIGIN {
                continue;
            }
            if let Err(message) = Origin::parse(origin) {
                return bad("capabilities.http", message);
            }
        }
        if self.capabilities.kv > MAX_KV_BYTES {
            return bad("capabilities.kv", format!("at most {MAX_KV_BYTES} bytes"));
        }
        let mut keys = BTreeSet::new();
        for field in &self.config {
            if !valid_key(&field.key) {
                return bad(
                    "config",
                    format!(
                        "key {:?} must be lower-case letters, digits and _",
                        field.key
                    ),
                );
            }
            if !keys.insert(field.key.as_str()) {
                return bad("config", format!("key {:?} appears twice", field.key));
            }
            if matches!(field.kind, FieldKind::Choice | FieldKind::Multi)
                && field.options.is_empty()
            {
                return bad(
                    "config",
                    format!(
                        "{:?} is a {} field without options",
                        field.key,
                        field.kind.as_str()
                    ),
                );
            }
            if field.kind == FieldKind::Secret && !self.capabilities.secrets.contains(&field.key) {
                return bad(
                    "capabilities.secrets",
                    format!(
                        "the secret setting {:?} must be listed in capabilities.secrets",
                        field.key
                    ),
                );
            }
        }
        for secret in &self.capabilities.secrets {
            let declared = self
                .config
                .iter()
                .any(|f| &f.key == secret && f.kind == FieldKind::Secret);
            if !declared {
                return bad(
                    "capabilities.secrets",
                    format!("{secret:?} is not a secret setting in [[config]]"),
                );
            }
        }
        if let Some(mb) = self.limits.memory_mb
            && !(1..=MAX_MEMORY_MB).contains(&mb)
        {
            return bad("limits.memory_mb", format!("must be 1 to {MAX_MEMORY_MB}"));
        }
        if let Some(ms) = self.limits.timeout_ms
            && !(1..=MAX_TIMEOUT_MS).contains(&ms)
        {
            return bad(
                "limits.timeout_ms",
                format!("must be 1 to {MAX_TIMEOUT_MS}"),
            );
        }
        Ok(())
    }

    /// Whether the plugin plays `role`.
    pub fn provides(&self, role: Role) -> bool {
        self.provides.contains(&role)
    }

    /// The setting with this key.
    pub fn field(&self, key: &str) -> Option<&ConfigField> {
        self.config.iter().find(|f| f.key == key)
    }
}

#[cfg(test)]
mod tests;
