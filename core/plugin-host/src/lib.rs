//! The WebAssembly component host for Triage plugins.
//!
//! A plugin is a package (`plugin.toml` + `plugin.wasm` in one `.tar`) built against the
//! contract in `sdk/wit/`. [`Host::load`] checks the manifest, refuses components that
//! import anything outside the contract, compiles (or reads the compiled component from
//! the cache on disk, keyed by the component's hash and the wasmtime version) and
//! pre-instantiates it. Every hook call on the resulting [`Plugin`] gets a fresh instance
//! from the pooling allocator, with the plugin's memory cap, a CPU deadline through epoch
//! interruption, a wall-clock timeout and a bound on concurrent calls. Host imports are
//! checked against the plugin's [`Grants`] on every call; the application supplies
//! storage, tickets and mail through [`Services`]. Plugins never write data: hooks
//! return actions and the application applies them.
//!
//! The only crate that knows wasmtime.

pub mod builder;
mod engine;
mod error;
mod grants;
mod manifest;
mod memory;
mod net;
mod origin;
mod package;
mod plugin;
mod services;
mod state;
mod v0_1;

pub use engine::{Compiled, Host, HostConfig, TICK, WASMTIME_VERSION};
pub use error::{CallError, LoadError, ManifestError};
pub use grants::{ANY_ORIGIN, AdminLimits, Grants, Limits, Settings};
pub use manifest::{
    AskedLimits, CONTRACTS, Capabilities, ConfigField, DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_MS,
    EVENTS, FieldKind, MAX_KV_BYTES, MAX_MEMORY_MB, MAX_TIMEOUT_MS, Manifest, Role, parse_version,
};
pub use memory::{MemoryServices, sample_ticket};
pub use origin::{Origin, is_private};
pub use package::{MAX_PACKAGE_BYTES, Package, sha256_hex};
pub use plugin::Plugin;
pub use services::{ServiceError, Services};

/// The records of the plugin contract, as the host exchanges them with the application.
pub mod types {
    pub use crate::v0_1::exports::triage::plugin::channel::{
        Attachment, Delivery, Inbound, InboundRequest, NewMessage, NewTicket, Operation, Reply,
        Sender,
    };
    pub use crate::v0_1::exports::triage::plugin::integration::{
        ActionCall, Change, Event, EventKind,
    };
    pub use crate::v0_1::exports::triage::plugin::lifecycle::{ActionInfo, Description, Role};
    pub use crate::v0_1::exports::triage::plugin::statuses::{Status as StatusDef, Transition};
    pub use crate::v0_1::triage::plugin::http::Method;
    pub use crate::v0_1::triage::plugin::log::Level as LogLevel;
    pub use crate::v0_1::triage::plugin::mail::Outgoing as OutgoingMail;
    pub use crate::v0_1::triage::plugin::types::{
        Action, Field, Header, HostError, Message, Person, PluginError, StatusCategory, Ticket,
        Value,
    };
}
