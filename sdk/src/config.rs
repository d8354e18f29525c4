//! The plugin's configuration as the admin set it.
//!
//! ```no_run
//! use triage_plugin_sdk::config;
//!
//! let channel = config::text("channel").unwrap_or_else(|| "#support".into());
//! let token = config::secret("api_token");
//! ```

use crate::bindings::triage::plugin::config as host;
use crate::{HostError, Value};

/// A setting that is not secret, if set.
///
/// ```no_run
/// let v = triage_plugin_sdk::config::get("events");
/// ```
pub fn get(key: &str) -> Option<Value> {
    host::get(key)
}

/// A text setting, if set and text.
///
/// ```no_run
/// let url = triage_plugin_sdk::config::text("reply_url");
/// ```
pub fn text(key: &str) -> Option<String> {
    match host::get(key) {
        Some(Value::Text(t)) => Some(t),
        _ => None,
    }
}

/// A yes/no setting, if set and a flag.
///
/// ```no_run
/// let loud = triage_plugin_sdk::config::flag("mention_channel").unwrap_or(false);
/// ```
pub fn flag(key: &str) -> Option<bool> {
    match host::get(key) {
        Some(Value::Flag(b)) => Some(b),
        _ => None,
    }
}

/// A multi-choice setting; empty when unset.
///
/// ```no_run
/// let events = triage_plugin_sdk::config::items("events");
/// ```
pub fn items(key: &str) -> Vec<String> {
    match host::get(key) {
        Some(Value::Items(v)) => v,
        Some(Value::Text(t)) => vec![t],
        _ => Vec::new(),
    }
}

/// A secret setting, if set. The manifest must name it under `capabilities.secrets`
/// and the admin must have granted it.
///
/// ```no_run
/// # fn main() -> Result<(), triage_plugin_sdk::HostError> {
/// let key = triage_plugin_sdk::config::secret("signing_key")?;
/// # let _ = key; Ok(()) }
/// ```
pub fn secret(key: &str) -> Result<Option<String>, HostError> {
    host::secret(key)
}
