//! What the index holds of a ticket, and turning it into a tantivy document.

use tantivy::TantivyDocument;

use crate::analyzer::tag;
use crate::lang::{self, Lang};
use crate::schema::Fields;

/// The longest part of one message the index keeps, in bytes; the rest of a very long
/// message is neither searchable nor shown in snippets.
pub const MESSAGE_LIMIT: usize = 32 * 1024;

/// A ticket as the index sees it, with names already looked up.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TicketDoc {
    pub id: u64,
    pub version: u64,
    pub subject: String,
    pub status_id: u64,
    /// The status category (`new`, `open` … `closed`).
    pub category: String,
    pub priority: String,
    pub kind: String,
    pub assignee_id: Option<u64>,
    pub group_id: Option<u64>,
    pub organization_id: Option<u64>,
    pub requester_id: u64,
    pub channel: String,
    pub tags: Vec<String>,
    /// Requester name and email, organization name and custom field values: searchable
    /// as words, never stemmed.
    pub meta: Vec<String>,
    pub has_attachment: bool,
    pub created_at: i64,
    pub updated_at: i64,
    pub solved_at: Option<i64>,
    pub messages: Vec<MessageDoc>,
}

/// One message of a ticket.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MessageDoc {
    pub id: u64,
    /// Who wrote it (a person writes one ticket in one language).
    pub author: u64,
    /// Public reply, or internal note.
    pub public: bool,
    pub text: String,
}

/// A stored message as read back for snippets.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredMessage {
    pub id: u64,
    pub public: bool,
    pub lang: Option<Lang>,
    pub text: String,
}

const SEP: char = '\u{1f}';

impl StoredMessage {
    fn encode(&self) -> String {
        format!(
            "{}{SEP}{}{SEP}{}{SEP}{}",
            self.id,
            if self.public { "p" } else { "n" },
            self.lang.map(Lang::code).unwrap_or(""),
            self.text
        )
    }

    /// Reads a stored message back; `None` for a value this version did not write.
    pub fn decode(s: &str) -> Option<StoredMessage> {
        let mut parts = s.splitn(4, SEP);
        let id = parts.next()?.parse().ok()?;
        let public = parts.next()? == "p";
        let lang = Lang::parse(parts.next()?);
        let text = parts.next()?.to_string();
        Some(StoredMessage {
            id,
            public,
            lang,
            text,
        })
    }
}

fn clip(text: &str, limit: usize) -> &str {
    if text.len() <= limit {
        return text;
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

impl TicketDoc {
    /// The language of each message: detected from the first message each author wrote
    /// in this ticket that is long enough to tell (a person keeps to one language within
    /// a ticket); `None` where nothing told.
    pub fn message_languages(&self) -> Vec<Option<Lang>> {
        let mut by_author: Vec<(u64, Lang)> = Vec::new();
        self.messages
            .iter()
            .map(|m| {
                if let Some((_, l)) = by_author.iter().find(|(a, _)| *a == m.author) {
                    return Some(*l);
                }
                let detected = lang::detect(clip(&m.text, MESSAGE_LIMIT));
                if let Some(l) = detected {
                    by_author.push((m.author, l));
                }
                detected
            })
            .collect()
    }

    /// Builds the tantivy document. The ticket's language is that of its first message
    /// (or of its subject when the message does not tell); a message whose own language
    /// cannot be told is taken to be in the ticket's.
    pub fn to_document(&self, f: &Fields) -> TantivyDocument {
        let mut d = TantivyDocument::new();
        let langs = self.message_languages();
        let ticket_lang = langs
            .first()
            .copied()
            .flatten()
            .or_else(|| lang::detect(&self.subject));
        d.add_u64(f.id, self.id);
        d.add_u64(f.version, self.version);
        d.add_text(f.subject, tag(ticket_lang, &self.subject));
        let (mut replies, mut notes) = (false, false);
        for (m, lang) in self.messages.iter().zip(langs) {
            let text = clip(&m.text, MESSAGE_LIMIT);
            if text.trim().is_empty() {
                continue;
            }
            let lang = lang.or(ticket_lang);
            let field = if m.public {
                replies = true;
                f.replies
            } else {
                notes = true;
                f.notes
            };
            d.add_text(field, tag(lang, text));
            let stored = StoredMessage {
                id: m.id,
                public: m.public,
                lang,
                text: text.to_string(),
            };
            d.add_text(f.messages, stored.encode());
        }
        for m in &self.meta {
            d.add_text(f.meta, m);
        }
        for t in &self.tags {
            d.add_text(f.meta, t);
            d.add_text(f.tag, t.to_lowercase());
        }
        d.add_u64(f.status, self.status_id);
        d.add_text(f.category, &self.category);
        d.add_text(f.priority, &self.priority);
        d.add_text(f.kind, &self.kind);
        d.add_u64(f.assignee, self.assignee_id.unwrap_or(0));
        d.add_u64(f.group, self.group_id.unwrap_or(0));
        d.add_u64(f.organization, self.organization_id.unwrap_or(0));
        d.add_u64(f.requester, self.requester_id);
        d.add_text(f.channel, &self.channel);
        d.add_text(f.lang, ticket_lang.map(Lang::code).unwrap_or("none"));
        for (flag, on) in [
            ("attachment", self.has_attachment),
            ("replies", replies),
            ("notes", notes),
        ] {
            if on {
                d.add_text(f.has, flag);
            }
        }
        d.add_i64(f.created, self.created_at);
        d.add_i64(f.updated, self.updated_at);
        if let Some(s) = self.solved_at {
            d.add_i64(f.solved, s);
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_messages_round_trip_any_text() {
        let m = StoredMessage {
            id: 7,
            public: false,
            lang: Some(Lang::Russian),
            text: "Счёт № 5 — «оплачен»\u{1f} ещё".into(),
        };
        assert_eq!(StoredMessage::decode(&m.encode()), Some(m));
    }

    #[test]
    fn each_author_is_detected_once_and_keeps_their_language() {
        let m = |id, author, text: &str| MessageDoc {
            id,
            author,
            public: true,
            text: text.into(),
        };
        let t = TicketDoc {
            messages: vec![
                m(
                    1,
                    7,
                    "Jag kan inte logga in på mitt konto sedan uppdateringen igår, lösenordet avvisas.",
                ),
                m(
                    2,
                    8,
                    "I am sorry to hear that, please reset your password from the sign-in page.",
                ),
                m(3, 7, "Tack!"),
                m(4, 9, "ok"),
            ],
            ..Default::default()
        };
        assert_eq!(
            t.message_languages(),
            vec![
                Some(Lang::Swedish),
                Some(Lang::English),
                Some(Lang::Swedish),
                None
            ]
        );
    }

    #[test]
    fn long_messages_are_clipped_on_a_char_boundary() {
        let text = "é".repeat(40_000);
        let c = clip(&text, MESSAGE_LIMIT);
        assert!(c.len() <= MESSAGE_LIMIT && c.chars().all(|ch| ch == 'é'));
    }
}
