//! Slack: posts to an incoming webhook on chosen events, with a link to the ticket, and
//! offers `notify` to rules.

use triage_plugin_sdk::http::Request;
use triage_plugin_sdk::{
    Action, ActionCall, ActionInfo, Error, Event, EventKind, Integration, Plugin, Ticket, Value,
    config, export, log,
};

struct Slack;

impl Plugin for Slack {
    const ID: &'static str = "slack";

    fn actions() -> Vec<ActionInfo> {
        vec![ActionInfo {
            name: "notify".into(),
            description: "Posts `text` (or a line about the ticket) to the Slack channel".into(),
        }]
    }
}

fn event_name(kind: EventKind) -> &'static str {
    match kind {
        EventKind::TicketCreated => "ticket.created",
        EventKind::TicketUpdated => "ticket.updated",
        EventKind::StatusChanged => "status.changed",
        EventKind::MessageAdded => "message.added",
        EventKind::SlaWarning => "sla.warning",
        EventKind::SlaBreached => "sla.breached",
        EventKind::RatingReceived => "rating.received",
    }
}

/// Slack's link markup, with the characters Slack treats specially escaped.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn link(ticket: &Ticket) -> String {
    format!(
        "<{}|#{} {}>",
        ticket.url,
        ticket.number,
        escape(&ticket.subject)
    )
}

/// The line posted for an event, if it is one to post.
pub fn line(event: &Event, chosen: &[String]) -> Option<String> {
    let name = event_name(event.kind);
    let wanted = if chosen.is_empty() {
        event.kind == EventKind::TicketCreated
    } else {
        chosen.iter().any(|c| c == name)
    };
    if !wanted {
        return None;
    }
    let t = &event.ticket;
    Some(match event.kind {
        EventKind::TicketCreated => format!(
            ":inbox_tray: New {} ticket {} from {}",
            t.priority,
            link(t),
            escape(&t.requester.name)
        ),
        EventKind::MessageAdded => {
            let m = event.message.as_ref()?;
            // The opening message is announced with the ticket; agents' replies and
            // notes are not news to the channel.
            if m.by_staff || !m.public || m.created_at == t.created_at {
                return None;
            }
            let preview: String = m.text.chars().take(200).collect();
            format!(
                ":speech_balloon: {} replied on {}: {}",
                escape(&m.author.name),
                link(t),
                escape(&preview)
            )
        }
        EventKind::StatusChanged => format!(
            ":arrows_counterclockwise: {} is now {}",
            link(t),
            escape(&t.status)
        ),
        EventKind::SlaWarning => format!(":warning: {} is about to breach its SLA", link(t)),
        _ => format!("{} on {}", name, link(t)),
    })
}

fn post(text: &str) -> Result<(), Error> {
    let url = config::secret("webhook_url")?
        .ok_or_else(|| Error::Failed("the webhook URL is not set".into()))?;
    let body = serde_json::json!({ "text": text }).to_string();
    let response = Request::post(url).json(body).send()?;
    if response.ok() {
        Ok(())
    } else if response.status >= 500 || response.status == 429 {
        Err(Error::Unavailable(format!(
            "Slack answered {}",
            response.status
        )))
    } else {
        log::error(&format!(
            "Slack refused the post ({}): {}",
            response.status,
            response.text()
        ));
        Err(Error::Failed(format!("Slack answered {}", response.status)))
    }
}

impl Integration for Slack {
    fn on_event(event: Event) -> Result<Vec<Action>, Error> {
        if let Some(text) = line(&event, &config::items("notify_on")) {
            post(&text)?;
        }
        Ok(Vec::new())
    }

    fn call_action(call: ActionCall) -> Result<Vec<Action>, Error> {
        if call.name != "notify" {
            return Err(Error::Failed(format!(
                "slack has no action {:?}",
                call.name
            )));
        }
        let text = call
            .arguments
            .iter()
            .find(|a| a.key == "text")
            .and_then(|a| match &a.value {
                Value::Text(t) => Some(format!("{} — {}", escape(t), link(&call.ticket))),
                _ => None,
            })
            .unwrap_or_else(|| format!("{} needs attention", link(&call.ticket)));
        post(&text)?;
        Ok(Vec::new())
    }
}

export!(Slack: Integration);
