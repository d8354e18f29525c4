//! What an admin allowed a plugin, and the limits it runs under.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use url::Url;

use crate::manifest::{DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_MS, Manifest};
use crate::origin::Origin;

/// In `capabilities.http`: the plugin calls hosts the admin chooses (a webhook's reply
/// URL); each must still be granted by origin.
pub const ANY_ORIGIN: &str = "*";

/// The capabilities an admin granted; always a subset of what the manifest asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grants {
    /// Origins from `capabilities.http`.
    #[serde(default)]
    pub http: Vec<String>,
    /// Whether granted hosts may resolve to loopback or private addresses.
    #[serde(default)]
    pub private_network: bool,
    /// Bytes of key-value storage.
    #[serde(default)]
    pub kv: u64,
    /// Secret settings the plugin may read.
    #[serde(default)]
    pub secrets: Vec<String>,
    #[serde(default)]
    pub tickets: bool,
    #[serde(default)]
    pub mail: bool,
}

impl Grants {
    /// Everything the manifest asks for (private addresses are never asked for; an admin
    /// grants them separately).
    pub fn asked(manifest: &Manifest) -> Grants {
        let c = &manifest.capabilities;
        Grants {
            http: c
                .http
                .iter()
                .filter(|h| *h != ANY_ORIGIN)
                .cloned()
                .collect(),
            private_network: false,
            kv: c.kv,
            secrets: c.secrets.clone(),
            tickets: c.tickets,
            mail: c.mail,
        }
    }

    /// Checks that nothing is granted beyond what the manifest asks for.
    pub fn check(&self, manifest: &Manifest) -> Result<(), String> {
        let c = &manifest.capabilities;
        let any = c.http.iter().any(|h| h == ANY_ORIGIN);
        for h in &self.http {
            if any {
                Origin::parse(h)?;
            } else if !c.http.contains(h) {
                return Err(format!("{h:?} is not among the hosts the plugin asks for"));
            }
        }
        if self.kv > c.kv {
            return Err(format!(
                "the plugin asks for {} bytes of storage; {} cannot be granted",
                c.kv, self.kv
            ));
        }
        if let Some(s) = self.secrets.iter().find(|s| !c.secrets.contains(s)) {
            return Err(format!(
                "{s:?} is not among the secrets the plugin asks for"
            ));
        }
        if self.tickets && !c.tickets {
            return Err("the plugin does not ask to read tickets".into());
        }
        if self.mail && !c.mail {
            return Err("the plugin does not ask to send mail".into());
        }
        Ok(())
    }

    /// Whether `url` is on a granted origin.
    pub fn allows_url(&self, url: &Url) -> bool {
        self.http
            .iter()
            .filter_map(|o| Origin::parse(o).ok())
            .any(|o| o.matches(url))
    }
}

/// Limits an admin set for a plugin: they can only lower what the manifest asks for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminLimits {
    pub memory_mb: Option<u32>,
    pub timeout_ms: Option<u32>,
}

/// The limits a plugin runs under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Limits {
    /// Linear memory per instance.
    pub memory_mb: u32,
    /// Wall-clock time per hook call; also the CPU deadline.
    pub timeout_ms: u32,
    /// Calls of this plugin running at once.
    pub concurrency: usize,
    /// The largest input handed to a hook (an inbound body, an email).
    pub max_input_bytes: usize,
    /// The most actions one call may return.
    pub max_actions: usize,
    /// The most text one call may return, over all its strings.
    pub max_output_bytes: usize,
}

impl Limits {
    /// The manifest's ask (or the defaults), lowered by the admin's.
    pub fn effective(manifest: &Manifest, admin: AdminLimits) -> Limits {
        let pick = |asked: Option<u32>, default: u32, admin: Option<u32>| {
            let asked = asked.unwrap_or(default);
            admin.map_or(asked, |a| a.clamp(1, asked))
        };
        Limits {
            memory_mb: pick(
                manifest.limits.memory_mb,
                DEFAULT_MEMORY_MB,
                admin.memory_mb,
            ),
            timeout_ms: pick(
                manifest.limits.timeout_ms,
                DEFAULT_TIMEOUT_MS,
                admin.timeout_ms,
            ),
            concurrency: 16,
            max_input_bytes: 16 << 20,
            max_actions: 100,
            max_output_bytes: 1 << 20,
        }
    }
}

/// A plugin's settings: plain values by key, and secrets by key (never shown back).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings {
    pub values: BTreeMap<String, serde_json::Value>,
    pub secrets: BTreeMap<String, String>,
}
