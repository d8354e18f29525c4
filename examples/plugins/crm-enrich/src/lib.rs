//! CRM enrichment: when a ticket is opened, look its requester up in the CRM (cached in
//! the plugin's store for a day) and note their plan and company; tag VIPs.

use triage_plugin_sdk::http::Request;
use triage_plugin_sdk::{
    Action, Error, Event, EventKind, Integration, Plugin, Settings, config, export, kv, log,
};

struct CrmEnrich;

/// How long a looked-up contact is trusted.
const CACHE_MS: i64 = 24 * 3600 * 1000;

impl Plugin for CrmEnrich {
    const ID: &'static str = "crm-enrich";

    fn init(settings: &Settings) -> Result<(), String> {
        match settings.text("crm_url") {
            Some(u) if u.starts_with("https://") || u.starts_with("http://") => Ok(()),
            _ => Err("the CRM address must be an http or https URL".into()),
        }
    }
}

/// A contact as the CRM describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Contact {
    pub plan: String,
    pub company: String,
}

/// Reads the CRM's answer: `{"plan": "...", "company": "..."}`.
pub fn parse_contact(body: &[u8]) -> Option<Contact> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    Some(Contact {
        plan: v["plan"].as_str()?.to_string(),
        company: v["company"].as_str().unwrap_or_default().to_string(),
    })
}

/// What to do to the ticket for this contact.
pub fn actions_for(contact: &Contact, vip_plans: &[String]) -> Vec<Action> {
    let mut out = vec![Action::AddNote(format!(
        "CRM: {} plan{}",
        contact.plan,
        if contact.company.is_empty() {
            String::new()
        } else {
            format!(", {}", contact.company)
        }
    ))];
    if vip_plans
        .iter()
        .any(|p| p.eq_ignore_ascii_case(&contact.plan))
    {
        out.push(Action::AddTag("vip".into()));
    }
    out
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn lookup(email: &str) -> Result<Option<Contact>, Error> {
    let key = format!("contact:{email}");
    if let Some(cached) = kv::get_text(&key)?
        && let Some((at, body)) = cached.split_once('\n')
        && now_ms() - at.parse::<i64>().unwrap_or(0) < CACHE_MS
    {
        return Ok(parse_contact(body.as_bytes()));
    }
    let base = config::text("crm_url").ok_or_else(|| Error::Failed("no CRM address".into()))?;
    let api_key = config::secret("api_key")?.ok_or_else(|| Error::Failed("no API key".into()))?;
    let url = format!(
        "{}/contacts?email={}",
        base.trim_end_matches('/'),
        percent_encode(email)
    );
    let response = Request::get(url)
        .header("authorization", format!("Bearer {api_key}"))
        .header("accept", "application/json")
        .timeout_ms(3_000)
        .send()?;
    match response.status {
        200 => {
            kv::set_text(&key, &format!("{}\n{}", now_ms(), response.text()))?;
            Ok(parse_contact(&response.body))
        }
        404 => Ok(None),
        s if s >= 500 => Err(Error::Unavailable(format!("the CRM answered {s}"))),
        s => {
            log::warn(&format!("the CRM refused the lookup ({s})"));
            Ok(None)
        }
    }
}

impl Integration for CrmEnrich {
    fn on_event(event: Event) -> Result<Vec<Action>, Error> {
        if event.kind != EventKind::TicketCreated {
            return Ok(Vec::new());
        }
        let email = event.ticket.requester.email.trim().to_lowercase();
        if email.is_empty() {
            return Ok(Vec::new());
        }
        Ok(match lookup(&email)? {
            Some(contact) => actions_for(&contact, &config::items("vip_plans")),
            None => Vec::new(),
        })
    }
}

export!(CrmEnrich: Integration);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contacts_become_a_note_and_vips_a_tag() {
        let c = parse_contact(br#"{"plan":"Enterprise","company":"Initech"}"#)
            .unwrap_or_else(|| panic!("no contact"));
        let actions = actions_for(&c, &["enterprise".to_string()]);
        assert_eq!(
            actions,
            vec![
                Action::AddNote("CRM: Enterprise plan, Initech".into()),
                Action::AddTag("vip".into())
            ]
        );
        assert_eq!(parse_contact(b"{}"), None);
        assert_eq!(percent_encode("a+b@c.d"), "a%2Bb%40c.d");
    }
}
