//! The traits a plugin implements, one per role, each method with a default.

use crate::{
    Action, ActionCall, ActionInfo, Delivery, Error, Event, Inbound, InboundRequest, Operation,
    Settings, Status, Transition,
};

/// What every plugin says about itself.
///
/// ```
/// use triage_plugin_sdk::{ActionInfo, Plugin, Settings};
///
/// struct Notifier;
/// impl Plugin for Notifier {
///     const ID: &'static str = "notifier";
///
///     fn init(settings: &Settings) -> Result<(), String> {
///         match settings.text("channel") {
///             Some(c) if c.starts_with('#') => Ok(()),
///             _ => Err("channel must start with #".into()),
///         }
///     }
///
///     fn actions() -> Vec<ActionInfo> {
///         vec![ActionInfo { name: "notify".into(), description: "Post the ticket".into() }]
///     }
/// }
/// assert!(Notifier::init(&Settings::default()).is_err());
/// ```
pub trait Plugin {
    /// The plugin's id, the same as `id` in `plugin.toml`.
    const ID: &'static str;

    /// Checks the settings when the plugin is enabled or reconfigured; an error refuses
    /// them with the message shown to the admin. Secret settings are not included: read
    /// them with [`crate::config::secret`] when needed.
    fn init(settings: &Settings) -> Result<(), String> {
        let _ = settings;
        Ok(())
    }

    /// The actions rules can call with `call_plugin("id", "name", #{ ... })`.
    fn actions() -> Vec<ActionInfo> {
        Vec::new()
    }
}

/// A channel: brings conversations in and delivers replies out.
///
/// ```
/// use triage_plugin_sdk::{Channel, Error, Inbound, InboundRequest, NewTicket, Operation, Sender};
///
/// struct Form;
/// impl Channel for Form {
///     fn receive(request: InboundRequest) -> Result<Inbound, Error> {
///         let text = String::from_utf8(request.body)
///             .map_err(|_| Error::InvalidInput("the body is not UTF-8".into()))?;
///         Ok(Inbound {
///             operations: vec![Operation::OpenTicket(NewTicket {
///                 thread_key: String::new(),
///                 subject: "Web form".into(),
///                 text,
///                 requester: Sender { email: "someone@example.com".into(), name: None },
///                 priority: None,
///                 tags: Vec::new(),
///                 fields: Vec::new(),
///                 attachments: Vec::new(),
///             })],
///             reply: None,
///         })
///     }
/// }
/// ```
pub trait Channel {
    /// Verifies and parses a call to `/api/v1/channels/{plugin}/…`. An error refuses the
    /// call; the server keeps the raw request in quarantine.
    fn receive(request: InboundRequest) -> Result<Inbound, Error> {
        let _ = request;
        Err(Error::InvalidInput(
            "this plugin takes no inbound calls".into(),
        ))
    }

    /// Parses a raw email (RFC 5322) into ticket operations.
    fn receive_email(raw: Vec<u8>) -> Result<Vec<Operation>, Error> {
        let _ = raw;
        Err(Error::InvalidInput("this plugin takes no email".into()))
    }

    /// Delivers a public reply on a ticket that came in through this channel; returns
    /// the id the other side gave it, if any.
    fn deliver(delivery: Delivery) -> Result<Option<String>, Error> {
        let _ = delivery;
        Err(Error::Failed("this plugin delivers nothing".into()))
    }
}

/// Custom statuses and the rules for moving between them.
///
/// ```
/// use triage_plugin_sdk::{StatusCategory, Statuses, Transition};
///
/// struct Guard;
/// impl Statuses for Guard {
///     fn validate_transition(t: &Transition) -> Result<(), String> {
///         if t.to_category == StatusCategory::Solved && t.ticket.tags.iter().any(|t| t == "legal") {
///             return Err("legal tickets are solved by the legal team".into());
///         }
///         Ok(())
///     }
/// }
/// ```
pub trait Statuses {
    /// The statuses this plugin adds, each in one of the fixed categories.
    fn declare() -> Vec<Status> {
        Vec::new()
    }

    /// Allows a transition, or refuses it with the message the agent sees.
    fn validate_transition(transition: &Transition) -> Result<(), String> {
        let _ = transition;
        Ok(())
    }
}

/// Reacting to events, and actions for rules.
///
/// ```
/// use triage_plugin_sdk::{Action, ActionCall, Error, Integration};
///
/// struct Tagger;
/// impl Integration for Tagger {
///     fn call_action(call: ActionCall) -> Result<Vec<Action>, Error> {
///         match call.name.as_str() {
///             "flag" => Ok(vec![Action::AddTag("flagged".into())]),
///             other => Err(Error::Failed(format!("no action {other}"))),
///         }
///     }
/// }
/// ```
pub trait Integration {
    /// Called after a change committed, for each event kind the manifest subscribes to.
    /// Calls are retried with backoff on error, with the same [`Event::id`].
    fn on_event(event: Event) -> Result<Vec<Action>, Error> {
        let _ = event;
        Ok(Vec::new())
    }

    /// Runs an action a rule called.
    fn call_action(call: ActionCall) -> Result<Vec<Action>, Error> {
        Err(Error::Failed(format!(
            "this plugin has no action {:?}",
            call.name
        )))
    }
}

/// The SDK's defaults for every role, used by [`crate::export!`] for the roles a plugin
/// does not name.
///
/// ```
/// use triage_plugin_sdk::{Statuses, Unprovided};
/// assert!(<Unprovided as Statuses>::declare().is_empty());
/// ```
#[derive(Debug)]
pub struct Unprovided;

impl Channel for Unprovided {}
impl Statuses for Unprovided {}
impl Integration for Unprovided {}
