//! The plugin's log, which admins read on the plugin's page.
//!
//! ```no_run
//! triage_plugin_sdk::log::info("synced 3 contacts");
//! triage_plugin_sdk::log::warn(&format!("CRM answered {}", 503));
//! ```

use crate::bindings::triage::plugin::log as host;

pub use host::Level;

/// Writes one line at `level`.
///
/// ```no_run
/// use triage_plugin_sdk::log::{write, Level};
/// write(Level::Debug, "payload parsed");
/// ```
pub fn write(level: Level, message: &str) {
    host::write(level, message);
}

/// Writes a debug line.
///
/// ```no_run
/// triage_plugin_sdk::log::debug("about to call the CRM");
/// ```
pub fn debug(message: &str) {
    write(Level::Debug, message);
}

/// Writes an info line.
///
/// ```no_run
/// triage_plugin_sdk::log::info("posted to Slack");
/// ```
pub fn info(message: &str) {
    write(Level::Info, message);
}

/// Writes a warning.
///
/// ```no_run
/// triage_plugin_sdk::log::warn("no requester email; skipping");
/// ```
pub fn warn(message: &str) {
    write(Level::Warn, message);
}

/// Writes an error line.
///
/// ```no_run
/// triage_plugin_sdk::log::error("the CRM refused our key");
/// ```
pub fn error(message: &str) {
    write(Level::Error, message);
}
