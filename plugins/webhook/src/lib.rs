//! A generic JSON webhook channel.
//!
//! Inbound: `POST /api/v1/channels/webhook` with a JSON body
//! `{"external_id": "...", "subject": "...", "text": "...", "from": {"email": "...", "name": "..."}}`
//! (optional `tags`, `priority`) and `X-Triage-Signature: sha256=<hex HMAC-SHA256 of the
//! body with the signing secret>`. A message whose `external_id` names a conversation
//! already known lands on its ticket; otherwise it opens one.
//!
//! Outbound: each public agent reply on a ticket of this channel is POSTed to the reply
//! URL as `{"external_id", "ticket", "message": {"id", "text", "author"}}`, signed the same
//! way.

use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;
use triage_plugin_sdk::http::Request;
use triage_plugin_sdk::{
    Channel, Delivery, Error, Inbound, InboundRequest, NewMessage, Operation, Plugin, Sender,
    Settings, config, export, log,
};

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "x-triage-signature";

struct Webhook;

impl Plugin for Webhook {
    const ID: &'static str = "webhook";

    fn init(settings: &Settings) -> Result<(), String> {
        match settings.text("reply_url") {
            Some(u) if !(u.starts_with("https://") || u.starts_with("http://")) => {
                Err("the reply URL must be http or https".into())
            }
            _ => Ok(()),
        }
    }
}

/// `sha256=<hex>` of `body` under `secret`.
pub fn sign(secret: &[u8], body: &[u8]) -> Result<String, Error> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret)
        .map_err(|e| Error::Failed(format!("the signing secret cannot be used: {e}")))?;
    mac.update(body);
    Ok(format!(
        "sha256={}",
        hex::encode(mac.finalize().into_bytes())
    ))
}

/// Whether `signature` is `sha256=<hex>` of `body` under `secret` (compared in constant
/// time).
pub fn verify(secret: &[u8], body: &[u8], signature: &str) -> bool {
    let Some(hex_sig) = signature.trim().strip_prefix("sha256=") else {
        return false;
    };
    let Ok(expected) = hex::decode(hex_sig) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

#[derive(Debug, Deserialize)]
struct From {
    email: String,
    name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Payload {
    external_id: String,
    #[serde(default)]
    subject: Option<String>,
    text: String,
    from: From,
}

/// Parses a verified body into the operation it asks for.
pub fn parse(body: &[u8]) -> Result<Operation, Error> {
    let p: Payload = serde_json::from_slice(body)
        .map_err(|e| Error::InvalidInput(format!("the body is not a webhook message: {e}")))?;
    if p.external_id.trim().is_empty() {
        return Err(Error::InvalidInput("external_id is empty".into()));
    }
    if p.text.trim().is_empty() {
        return Err(Error::InvalidInput("text is empty".into()));
    }
    Ok(Operation::AddMessage(NewMessage {
        thread_key: p.external_id.trim().to_string(),
        subject: p
            .subject
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| p.text.chars().take(80).collect()),
        text: p.text,
        author: Sender {
            email: p.from.email,
            name: p.from.name,
        },
        attachments: Vec::new(),
    }))
}

fn secret() -> Result<String, Error> {
    config::secret("signing_secret")?
        .ok_or_else(|| Error::Failed("the signing secret is not set".into()))
}

impl Channel for Webhook {
    fn receive(request: InboundRequest) -> Result<Inbound, Error> {
        if request.method != "POST" {
            return Err(Error::InvalidInput("only POST is accepted".into()));
        }
        let signature = request
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(SIGNATURE_HEADER))
            .map(|h| h.value.clone())
            .ok_or_else(|| {
                Error::InvalidInput(format!("the {SIGNATURE_HEADER} header is missing"))
            })?;
        if !verify(secret()?.as_bytes(), &request.body, &signature) {
            return Err(Error::InvalidInput(
                "the signature does not match the body".into(),
            ));
        }
        Ok(Inbound {
            operations: vec![parse(&request.body)?],
            reply: None,
        })
    }

    fn deliver(delivery: Delivery) -> Result<Option<String>, Error> {
        let Some(url) = config::text("reply_url") else {
            log::warn("no reply URL is set; the reply was not delivered");
            return Err(Error::Failed("no reply URL is set".into()));
        };
        let body = serde_json::json!({
            "external_id": delivery.thread_key,
            "ticket": delivery.ticket.number,
            "message": {
                "id": delivery.message.id,
                "text": delivery.message.text,
                "author": delivery.message.author.name,
            },
        })
        .to_string();
        let signature = sign(secret()?.as_bytes(), body.as_bytes())?;
        let response = Request::post(url)
            .header(SIGNATURE_HEADER, signature)
            .json(body)
            .send()?;
        if response.ok() {
            Ok(Some(delivery.message.id.to_string()))
        } else {
            Err(Error::Unavailable(format!(
                "the reply URL answered {}",
                response.status
            )))
        }
    }
}

export!(Webhook: Channel);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_only_for_the_same_body_and_secret() {
        let sig = sign(b"s3cret", b"{\"a\":1}").unwrap_or_else(|e| panic!("{e:?}"));
        assert!(verify(b"s3cret", b"{\"a\":1}", &sig));
        assert!(!verify(b"s3cret", b"{\"a\":2}", &sig));
        assert!(!verify(b"other", b"{\"a\":1}", &sig));
        assert!(!verify(b"s3cret", b"{\"a\":1}", "sha256=zz"));
        assert!(!verify(b"s3cret", b"{\"a\":1}", "md5=abc"));
    }

    #[test]
    fn bodies_become_messages_threaded_by_external_id() {
        let op = parse(br#"{"external_id":"T-1","text":"Hi","from":{"email":"a@b.c"}}"#)
            .unwrap_or_else(|e| panic!("{e:?}"));
        match op {
            Operation::AddMessage(m) => {
                assert_eq!(m.thread_key, "T-1");
                assert_eq!(m.subject, "Hi");
            }
            other => panic!("{other:?}"),
        }
        assert!(parse(b"not json").is_err());
        assert!(parse(br#"{"external_id":" ","text":"x","from":{"email":"a@b.c"}}"#).is_err());
    }
}
