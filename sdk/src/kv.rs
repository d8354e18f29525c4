//! The plugin's own key-value store, kept across calls, upgrades and restarts within the
//! granted quota (capability `kv`).
//!
//! ```no_run
//! use triage_plugin_sdk::kv;
//!
//! # fn main() -> Result<(), triage_plugin_sdk::HostError> {
//! let seen = kv::get_text("last-sync")?.unwrap_or_default();
//! kv::set_text("last-sync", "2026-12-01")?;
//! # let _ = seen; Ok(()) }
//! ```

use crate::HostError;
use crate::bindings::triage::plugin::kv as host;

/// The bytes stored under `key`, if any.
///
/// ```no_run
/// let raw = triage_plugin_sdk::kv::get("cursor");
/// ```
pub fn get(key: &str) -> Result<Option<Vec<u8>>, HostError> {
    host::get(key)
}

/// The UTF-8 text stored under `key`, if any (bytes that are not UTF-8 read as an error).
///
/// ```no_run
/// let cursor = triage_plugin_sdk::kv::get_text("cursor");
/// ```
pub fn get_text(key: &str) -> Result<Option<String>, HostError> {
    match host::get(key)? {
        Some(bytes) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| HostError::Invalid(format!("the value of {key:?} is not UTF-8"))),
        None => Ok(None),
    }
}

/// Stores `value` under `key`.
///
/// ```no_run
/// triage_plugin_sdk::kv::set("cursor", &[1, 2, 3]);
/// ```
pub fn set(key: &str, value: &[u8]) -> Result<(), HostError> {
    host::set(key, value)
}

/// Stores text under `key`.
///
/// ```no_run
/// triage_plugin_sdk::kv::set_text("cursor", "abc");
/// ```
pub fn set_text(key: &str, value: &str) -> Result<(), HostError> {
    host::set(key, value.as_bytes())
}

/// Removes `key`; true if it was there.
///
/// ```no_run
/// let removed = triage_plugin_sdk::kv::delete("cursor");
/// ```
pub fn delete(key: &str) -> Result<bool, HostError> {
    host::delete(key)
}

/// Keys starting with `prefix`, in order, at most `limit`.
///
/// ```no_run
/// let keys = triage_plugin_sdk::kv::keys("contact:", 100);
/// ```
pub fn keys(prefix: &str, limit: u32) -> Result<Vec<String>, HostError> {
    host::keys(prefix, limit)
}
