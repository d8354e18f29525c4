//! A deterministic generator of realistic help-desk tickets, written straight into the
//! Triage schema with rusqlite.
//!
//! Vocabulary: the words of the demo phrasebooks in six languages and, for English, of the
//! 20 Newsgroups corpus when `../shared/data/20news.jsonl.gz` is there; each language's
//! words ranked by frequency and drawn with Zipf's law. Threads have 1 to 20 messages
//! (geometric, most tickets short), customers and agents alternate, some messages are
//! internal notes, and now and then a real sentence from the phrasebook appears so that
//! phrases exist. Every ticket is generated from the seed and its number alone.

use std::collections::HashMap;
use std::io::BufRead;
use std::path::Path;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use triage_app::demo::phrasebook::PHRASEBOOKS;

/// Languages and their share of tickets.
const LANGUAGES: [(&str, f64); 6] = [
    ("en", 0.55),
    ("sv", 0.10),
    ("da", 0.08),
    ("ro", 0.09),
    ("it", 0.09),
    ("ru", 0.09),
];

pub const GROUPS: i64 = 12;
pub const AGENTS: i64 = 60;
pub const CUSTOMERS: i64 = 50_000;
pub const ORGANIZATIONS: i64 = 2_000;
const TAGS: [&str; 24] = [
    "billing",
    "login",
    "vpn",
    "printer",
    "refund",
    "bug",
    "feature-request",
    "vip",
    "outage",
    "email",
    "mobile",
    "api",
    "invoice",
    "password",
    "shipping",
    "onboarding",
    "security",
    "export",
    "integration",
    "performance",
    "spam",
    "hardware",
    "license",
    "training",
];

struct Vocabulary {
    words: Vec<String>,
    cdf: Vec<f64>,
    sentences: Vec<&'static str>,
    subjects: Vec<&'static str>,
}

impl Vocabulary {
    fn new(
        counts: HashMap<String, u64>,
        sentences: Vec<&'static str>,
        subjects: Vec<&'static str>,
    ) -> Vocabulary {
        let mut ranked: Vec<(String, u64)> = counts.into_iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        ranked.truncate(60_000);
        let words: Vec<String> = ranked.into_iter().map(|(w, _)| w).collect();
        // Zipf with exponent 1.
        let mut total = 0.0;
        let mut cdf = Vec::with_capacity(words.len());
        for rank in 1..=words.len() {
            total += 1.0 / rank as f64;
            cdf.push(total);
        }
        for c in &mut cdf {
            *c /= total;
        }
        Vocabulary {
            words,
            cdf,
            sentences,
            subjects,
        }
    }

    fn word(&self, rng: &mut StdRng) -> &str {
        let x: f64 = rng.r#gen();
        let i = self
            .cdf
            .partition_point(|c| *c < x)
            .min(self.words.len() - 1);
        &self.words[i]
    }

    fn sentence(&self, rng: &mut StdRng, out: &mut String) {
        if rng.gen_bool(0.3) {
            out.push_str(self.sentences[rng.gen_range(0..self.sentences.len())]);
            out.push(' ');
            return;
        }
        let n = rng.gen_range(6..18);
        for k in 0..n {
            let w = self.word(rng);
            if k == 0 {
                let mut c = w.chars();
                if let Some(first) = c.next() {
                    out.extend(first.to_uppercase());
                    out.push_str(c.as_str());
                }
            } else {
                out.push_str(w);
            }
            out.push(if k + 1 == n { '.' } else { ' ' });
        }
        out.push(' ');
    }
}

fn words_of(text: &str, counts: &mut HashMap<String, u64>) {
    for w in text.split(|c: char| !c.is_alphabetic()) {
        let n = w.chars().count();
        if (2..=18).contains(&n) {
            *counts.entry(w.to_lowercase()).or_default() += 1;
        }
    }
}

/// The generator.
pub struct Corpus {
    seed: u64,
    vocab: Vec<(&'static str, Vocabulary)>,
    pub now: i64,
}

/// One generated ticket.
pub struct GenTicket {
    pub id: i64,
    pub subject: String,
    pub category: usize,
    pub priority: &'static str,
    pub kind: &'static str,
    pub requester: i64,
    pub assignee: Option<i64>,
    pub group: i64,
    pub organization: Option<i64>,
    pub tags: Vec<&'static str>,
    pub created: i64,
    pub updated: i64,
    pub solved: Option<i64>,
    /// (author, public, text, at)
    pub messages: Vec<(i64, bool, String, i64)>,
}

impl Corpus {
    /// Reads the vocabularies. `news` is the 20 Newsgroups file, if present.
    pub fn new(seed: u64, news: &Path) -> anyhow::Result<Corpus> {
        let mut vocab = Vec::new();
        for (code, _) in LANGUAGES {
            let Some(book) = PHRASEBOOKS.iter().find(|b| b.code == code) else {
                anyhow::bail!("no phrasebook for {code}");
            };
            let mut counts = HashMap::new();
            let mut sentences = Vec::new();
            for part in [
                book.openings,
                book.agent_replies,
                book.customer_replies,
                book.internal_notes,
            ] {
                for text in part {
                    words_of(text, &mut counts);
                    sentences.push(*text);
                }
            }
            for s in book.subjects {
                words_of(s, &mut counts);
            }
            if code == "en" && news.exists() {
                let file = std::fs::File::open(news)?;
                let reader = std::io::BufReader::new(flate2::read::GzDecoder::new(file));
                for line in reader.lines() {
                    let line = line?;
                    let v: serde_json::Value = serde_json::from_str(&line)?;
                    words_of(v["body"].as_str().unwrap_or(""), &mut counts);
                    words_of(v["subject"].as_str().unwrap_or(""), &mut counts);
                }
            }
            vocab.push((
                code,
                Vocabulary::new(counts, sentences, book.subjects.to_vec()),
            ));
        }
        Ok(Corpus {
            seed,
            vocab,
            now: 1_764_633_600_000, // 2025-12-02, fixed so runs are repeatable
        })
    }

    /// Ticket number `id` of a corpus of `n` (numbers from 1001).
    pub fn ticket(&self, id: i64, n: i64) -> GenTicket {
        let mut rng =
            StdRng::seed_from_u64(self.seed ^ (id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let x: f64 = rng.r#gen();
        let mut acc = 0.0;
        let mut li = 0;
        for (i, (_, share)) in LANGUAGES.iter().enumerate() {
            acc += share;
            if x < acc {
                li = i;
                break;
            }
        }
        let vocab = &self.vocab[li].1;
        let three_years = 3 * 365 * 86_400_000i64;
        let created = self.now - three_years + three_years * (id - 1001) / n.max(1);
        let requester = 1 + AGENTS + 1 + rng.gen_range(0..CUSTOMERS);
        let organization = (requester % 10 < 6).then_some(1 + requester % ORGANIZATIONS);
        let group = 1 + rng.gen_range(0..GROUPS);
        let assignee = rng.gen_bool(0.9).then(|| 2 + rng.gen_range(0..AGENTS));
        // Categories: new, open, pending, on_hold, solved, closed.
        let category = match rng.gen_range(0..100) {
            0..5 => 0,
            5..20 => 1,
            20..28 => 2,
            28..30 => 3,
            30..60 => 4,
            _ => 5,
        };
        let priority = match rng.gen_range(0..100) {
            0..15 => "low",
            15..75 => "normal",
            75..95 => "high",
            _ => "urgent",
        };
        let kind = match rng.gen_range(0..10) {
            0..5 => "question",
            5..8 => "incident",
            8..9 => "problem",
            _ => "task",
        };
        let mut tags = Vec::new();
        for _ in 0..rng.gen_range(0..4) {
            let t = TAGS
                [(rng.gen_range(0.0f64..1.0).powi(2) * TAGS.len() as f64) as usize % TAGS.len()];
            if !tags.contains(&t) {
                tags.push(t);
            }
        }
        let subject = if rng.gen_bool(0.5) {
            vocab.subjects[rng.gen_range(0..vocab.subjects.len())].to_string()
        } else {
            let mut s = String::new();
            for k in 0..rng.gen_range(3..8) {
                if k > 0 {
                    s.push(' ');
                }
                s.push_str(vocab.word(&mut rng));
            }
            s
        };
        // 1-20 messages, geometric: half the threads have one or two.
        let mut count = 1;
        while count < 20 && rng.gen_bool(0.62) {
            count += 1;
        }
        let mut at = created;
        let mut messages = Vec::with_capacity(count);
        for m in 0..count {
            let mut text = String::new();
            for _ in 0..rng.gen_range(1..5) {
                vocab.sentence(&mut rng, &mut text);
            }
            let by_agent = m % 2 == 1;
            let public = !(by_agent && rng.gen_bool(0.2));
            let author = if by_agent {
                assignee.unwrap_or(2)
            } else {
                requester
            };
            at += rng.gen_range(60_000..86_400_000);
            messages.push((author, public, text.trim_end().to_string(), at));
        }
        let solved = (category >= 4).then_some(at);
        GenTicket {
            id,
            subject,
            category,
            priority,
            kind,
            requester,
            assignee,
            group,
            organization,
            tags,
            created,
            updated: at,
            solved,
            messages,
        }
    }
}

/// Writes `n` tickets (numbers 1001…) with their people into the migrated SQLite database
/// at `db`. Returns the number of messages.
pub fn load_sqlite(
    db: &Path,
    corpus: &Corpus,
    n: i64,
    progress: &dyn Fn(i64),
) -> anyhow::Result<u64> {
    let mut conn = rusqlite::Connection::open(db)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "OFF")?;
    let statuses: Vec<i64> = {
        let mut ids = Vec::new();
        for cat in ["new", "open", "pending", "on_hold", "solved", "closed"] {
            ids.push(conn.query_row(
                "SELECT id FROM statuses WHERE builtin AND category = ?1",
                [cat],
                |r| r.get(0),
            )?);
        }
        ids
    };
    let now = corpus.now;
    let tx = conn.transaction()?;
    {
        let mut org = tx.prepare("INSERT INTO organizations (id, name, domains, shared_tickets, created_at) VALUES (?1, ?2, '[]', false, ?3)")?;
        for o in 1..=ORGANIZATIONS {
            org.execute(rusqlite::params![o, format!("Organization {o}"), now])?;
        }
        let mut group = tx.prepare(
            "INSERT INTO groups (id, name, description, created_at) VALUES (?1, ?2, '', ?3)",
        )?;
        for g in 1..=GROUPS {
            group.execute(rusqlite::params![g, format!("Group {g}"), now])?;
        }
        let mut user = tx.prepare("INSERT INTO users (id, email, name, role, password_hash, organization_id, active, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, NULL, ?5, true, ?6, ?6)")?;
        for a in 2..2 + AGENTS {
            user.execute(rusqlite::params![
                a,
                format!("agent{a}@bench.example"),
                format!("Agent {a}"),
                "agent",
                None::<i64>,
                now
            ])?;
        }
        for c in 2 + AGENTS..2 + AGENTS + CUSTOMERS {
            let org = (c % 10 < 6).then_some(1 + c % ORGANIZATIONS);
            user.execute(rusqlite::params![
                c,
                format!("customer{c}@bench.example"),
                format!("Customer {c}"),
                "customer",
                org,
                now
            ])?;
        }
    }
    tx.commit()?;
    let mut messages = 0u64;
    let chunk = 5000;
    let mut id = 1001;
    while id < 1001 + n {
        let end = (id + chunk).min(1001 + n);
        let tx = conn.transaction()?;
        {
            let mut ticket = tx.prepare_cached("INSERT INTO tickets (id, subject, status_id, priority, kind, requester_id, assignee_id, group_id, organization_id, tags, custom_fields, channel, external_id, due_at, created_at, updated_at, first_response_at, solved_at, closed_at, merged_into, deleted_at, version) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, '{}', 'email', NULL, NULL, ?11, ?12, NULL, ?13, NULL, NULL, NULL, 1)")?;
            let mut tag =
                tx.prepare_cached("INSERT INTO ticket_tags (ticket_id, tag) VALUES (?1, ?2)")?;
            let mut message = tx.prepare_cached("INSERT INTO messages (ticket_id, author_id, public, body_text, body_html, channel, metadata, created_at) VALUES (?1, ?2, ?3, ?4, '', 'email', '{}', ?5)")?;
            let mut event = tx.prepare_cached("INSERT INTO events (ticket_id, kind, actor_id, via, via_name, data, depth, created_at) VALUES (?1, 'ticket.created', ?2, 'system', 'bench', '{}', 0, ?3)")?;
            for i in id..end {
                let t = corpus.ticket(i, n);
                let tags = serde_json::to_string(&t.tags)?;
                ticket.execute(rusqlite::params![
                    t.id,
                    t.subject,
                    statuses[t.category],
                    t.priority,
                    t.kind,
                    t.requester,
                    t.assignee,
                    t.group,
                    t.organization,
                    tags,
                    t.created,
                    t.updated,
                    t.solved
                ])?;
                for g in &t.tags {
                    tag.execute(rusqlite::params![t.id, g])?;
                }
                for (author, public, text, at) in &t.messages {
                    message.execute(rusqlite::params![t.id, author, public, text, at])?;
                    messages += 1;
                }
                event.execute(rusqlite::params![t.id, t.requester, t.created])?;
            }
        }
        tx.commit()?;
        progress(end - 1001);
        id = end;
    }
    conn.execute(
        "UPDATE counters SET value = ?1 WHERE name = 'ticket_number'",
        [1000 + n],
    )?;
    Ok(messages)
}
