//! Write plugins for the [Triage](https://github.com/triage-helpdesk/triage) help desk in Rust.
//!
//! A plugin is a WebAssembly component built for `wasm32-wasip2` against the contract
//! `triage:plugin@0.1.1` (the WIT files of every released version ship in this crate's
//! `wit/` folder). It plays one
//! or more **roles**, each a trait here with a default for every method:
//!
//! - [`Channel`]: verify and parse inbound webhook calls and raw emails into ticket
//!   operations, and deliver public replies back out;
//! - [`Statuses`]: declare custom statuses and refuse transitions;
//! - [`Integration`]: react to events and offer actions that rules call with
//!   `call_plugin`.
//!
//! Every plugin implements [`Plugin`] (its id, its settings check, its actions) and
//! registers itself once with [`export!`], naming the roles it plays. What a hook wants
//! done to a ticket it returns as [`Action`]s; the server applies them in the plugin's name.
//! To reach outside its sandbox a plugin calls the host through [`log`], [`kv`],
//! [`config`], [`tickets`], [`http`] and [`mail`], each checked against what the admin
//! granted.
//!
//! Every call gets a fresh instance: nothing in memory survives from one call to the next.
//! Keep state in [`kv`].
//!
//! ```no_run
//! use triage_plugin_sdk::{export, Action, Event, EventKind, Error, Integration, Plugin};
//!
//! struct Greeter;
//!
//! impl Plugin for Greeter {
//!     const ID: &'static str = "greeter";
//! }
//!
//! impl Integration for Greeter {
//!     fn on_event(event: Event) -> Result<Vec<Action>, Error> {
//!         if event.kind == EventKind::TicketCreated {
//!             return Ok(vec![Action::AddNote(format!(
//!                 "Say hello to {}.",
//!                 event.ticket.requester.name
//!             ))]);
//!         }
//!         Ok(Vec::new())
//!     }
//! }
//!
//! export!(Greeter: Integration);
//! # fn main() {}
//! ```

#![warn(missing_docs)]

pub mod config;
mod error;
pub mod http;
pub mod kv;
pub mod log;
pub mod mail;
mod roles;
mod settings;
pub mod tickets;

#[doc(hidden)]
#[allow(missing_docs, clippy::all)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "wit/0.1.1",
        world: "triage:plugin/plugin@0.1.1",
        pub_export_macro: true,
        export_macro_name: "__export_world",
        default_bindings_module: "triage_plugin_sdk::bindings",
        additional_derives: [PartialEq],
    });
}

pub use bindings::exports::triage::plugin::channel::{
    Attachment, Delivery, Inbound, InboundRequest, NewMessage, NewTicket, Operation, Reply, Sender,
};
pub use bindings::exports::triage::plugin::integration::{ActionCall, Change, Event, EventKind};
pub use bindings::exports::triage::plugin::lifecycle::{ActionInfo, Description, Role};
pub use bindings::exports::triage::plugin::statuses::{Status, Transition};
pub use bindings::triage::plugin::types::{
    Action, Field, Header, HostError, Message, Person, PluginError as Error, StatusCategory,
    Ticket, Timestamp, Value,
};
pub use roles::{Channel, Integration, Plugin, Statuses, Unprovided};
pub use settings::Settings;

/// The contract version this SDK builds plugins for; write it as `contract` in
/// `plugin.toml`.
///
/// ```
/// assert_eq!(triage_plugin_sdk::CONTRACT_VERSION, "0.1.1");
/// ```
pub const CONTRACT_VERSION: &str = "0.1.1";

/// Registers a plugin: the type implementing [`Plugin`], then the roles it plays.
/// Roles left out get the SDK's defaults (no statuses, every transition allowed, events
/// ignored, inbound calls refused).
///
/// ```no_run
/// use triage_plugin_sdk::{export, Plugin, Status, StatusCategory, Statuses};
///
/// struct Custom;
/// impl Plugin for Custom {
///     const ID: &'static str = "custom";
/// }
/// impl Statuses for Custom {
///     fn declare() -> Vec<Status> {
///         vec![Status {
///             name: "Escalated".into(),
///             category: StatusCategory::Open,
///             description: "Someone senior is on it".into(),
///         }]
///     }
/// }
/// export!(Custom: Statuses);
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! export {
    ($plugin:ty) => {
        $crate::__export_roles!(@pick $plugin;
            [$crate::Unprovided] [$crate::Unprovided] [$crate::Unprovided] [];);
    };
    ($plugin:ty : $($role:ident),+ $(,)?) => {
        $crate::__export_roles!(@pick $plugin;
            [$crate::Unprovided] [$crate::Unprovided] [$crate::Unprovided] []; $($role)+);
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __export_roles {
    (@pick $p:ty; [$c:ty] [$s:ty] [$i:ty] [$($r:path),*]; Channel $($rest:ident)*) => {
        $crate::__export_roles!(@pick $p; [$p] [$s] [$i] [$($r,)* $crate::Role::Channel]; $($rest)*);
    };
    (@pick $p:ty; [$c:ty] [$s:ty] [$i:ty] [$($r:path),*]; Statuses $($rest:ident)*) => {
        $crate::__export_roles!(@pick $p; [$c] [$p] [$i] [$($r,)* $crate::Role::Statuses]; $($rest)*);
    };
    (@pick $p:ty; [$c:ty] [$s:ty] [$i:ty] [$($r:path),*]; Integration $($rest:ident)*) => {
        $crate::__export_roles!(@pick $p; [$c] [$s] [$p] [$($r,)* $crate::Role::Integration]; $($rest)*);
    };
    (@pick $p:ty; [$c:ty] [$s:ty] [$i:ty] [$($r:path),*]; $other:ident $($rest:ident)*) => {
        ::core::compile_error!(concat!(
            "unknown role `", stringify!($other), "`: expected Channel, Statuses or Integration"
        ));
    };
    (@pick $p:ty; [$c:ty] [$s:ty] [$i:ty] [$($r:path),*]; ) => {
        const _: () = {
            struct TriageExport;

            impl $crate::bindings::exports::triage::plugin::lifecycle::Guest for TriageExport {
                fn describe() -> $crate::Description {
                    $crate::Description {
                        id: <$p as $crate::Plugin>::ID.into(),
                        version: env!("CARGO_PKG_VERSION").into(),
                        roles: vec![$($r),*],
                        actions: <$p as $crate::Plugin>::actions(),
                    }
                }
                fn init(settings: Vec<$crate::Field>) -> Result<(), String> {
                    <$p as $crate::Plugin>::init(&$crate::Settings::from(settings))
                }
            }

            impl $crate::bindings::exports::triage::plugin::channel::Guest for TriageExport {
                fn receive(request: $crate::InboundRequest) -> Result<$crate::Inbound, $crate::Error> {
                    <$c as $crate::Channel>::receive(request)
                }
                fn receive_email(raw: Vec<u8>) -> Result<Vec<$crate::Operation>, $crate::Error> {
                    <$c as $crate::Channel>::receive_email(raw)
                }
                fn deliver(delivery: $crate::Delivery) -> Result<Option<String>, $crate::Error> {
                    <$c as $crate::Channel>::deliver(delivery)
                }
            }

            impl $crate::bindings::exports::triage::plugin::statuses::Guest for TriageExport {
                fn declare() -> Vec<$crate::Status> {
                    <$s as $crate::Statuses>::declare()
                }
                fn validate_transition(transition: $crate::Transition) -> Result<(), String> {
                    <$s as $crate::Statuses>::validate_transition(&transition)
                }
            }

            impl $crate::bindings::exports::triage::plugin::integration::Guest for TriageExport {
                fn on_event(event: $crate::Event) -> Result<Vec<$crate::Action>, $crate::Error> {
                    <$i as $crate::Integration>::on_event(event)
                }
                fn call_action(call: $crate::ActionCall) -> Result<Vec<$crate::Action>, $crate::Error> {
                    <$i as $crate::Integration>::call_action(call)
                }
            }

            $crate::bindings::__export_world!(TriageExport with_types_in $crate::bindings);
        };
    };
}
