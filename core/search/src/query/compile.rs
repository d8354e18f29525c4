//! Turning a read query into a tantivy query, with the reader's permissions inside it.

use std::collections::HashMap;
use std::ops::Bound;

use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc};
use tantivy::Searcher;
use tantivy::Term;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, EmptyQuery, FuzzyTermQuery, Occur,
    PhraseQuery, Query, RangeQuery, TermQuery, TermSetQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use triage_domain::ticket::{Priority, TicketType};
use triage_domain::{StatusCategory, Visibility};

use super::parse::{Filter, FilterKey, Node, QueryError, example};
use crate::analyzer::{Analyzers, VARIANT};
use crate::lang::Lang;
use crate::schema::Fields;

/// A status as filters name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedStatus {
    pub id: u64,
    pub name: String,
    pub category: String,
}

/// The names a query may use, resolved by the caller beforehand.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    /// The reader's user id (`assignee:me`).
    pub me: u64,
    /// The time "now" is, in milliseconds since the epoch (`updated:<7d`).
    pub now: i64,
    pub statuses: Vec<NamedStatus>,
    /// Groups by id and name.
    pub groups: Vec<(u64, String)>,
    /// Organizations by id, with their name and mail domains.
    pub organizations: Vec<(u64, String, Vec<String>)>,
    /// Users the query names, by lowercased email.
    pub users: HashMap<String, u64>,
}

/// Who reads, which decides what a query may match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reader {
    pub visibility: Visibility,
    /// Staff may match internal notes.
    pub staff: bool,
}

/// Where the words of a query are looked for (`in:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Scope {
    pub replies: bool,
    pub notes: bool,
}

impl Scope {
    fn everywhere(self) -> bool {
        !self.replies && !self.notes
    }
}

/// How much a match in each field counts.
const SUBJECT_BOOST: f32 = 3.0;
const META_BOOST: f32 = 1.5;
const STEM_FACTOR: f32 = 0.8;
const FUZZY_FACTOR: f32 = 0.4;
/// Words at least this many characters long tolerate one typo.
pub const FUZZY_MIN_CHARS: usize = 5;

/// Emails and names a query refers to, for the caller to look up before compiling.
pub fn emails(node: &Node) -> Vec<String> {
    let mut out = Vec::new();
    walk(node, &mut |n| {
        if let Node::Filter(f) = n
            && matches!(f.key, FilterKey::Assignee | FilterKey::Requester)
            && f.value.contains('@')
        {
            out.push(f.value.to_lowercase());
        }
    });
    out
}

/// Whether the query uses a filter (the caller loads organizations only for `org:`).
pub fn mentions(node: &Node, key: FilterKey) -> bool {
    let mut found = false;
    walk(node, &mut |n| {
        if let Node::Filter(f) = n
            && f.key == key
        {
            found = true;
        }
    });
    found
}

fn walk(node: &Node, visit: &mut dyn FnMut(&Node)) {
    visit(node);
    match node {
        Node::And(v) | Node::Or(v) => v.iter().for_each(|n| walk(n, visit)),
        Node::Not(n) => walk(n, visit),
        _ => {}
    }
}

/// The words to highlight: those the query asks for, not those it excludes.
pub fn positive_words(node: &Node) -> Vec<String> {
    fn go(node: &Node, out: &mut Vec<String>) {
        match node {
            Node::And(v) | Node::Or(v) => v.iter().for_each(|n| go(n, out)),
            Node::Word(w) | Node::Phrase(w) => out.push(w.clone()),
            Node::Not(_) | Node::Filter(_) | Node::Ticket(_) => {}
        }
    }
    let mut out = Vec::new();
    go(node, &mut out);
    out
}

/// The `in:` scope a query asks for.
pub fn scope(node: &Node) -> Result<Scope, QueryError> {
    let mut scope = Scope::default();
    let mut error = None;
    fn go(node: &Node, negated: bool, scope: &mut Scope, error: &mut Option<QueryError>) {
        match node {
            Node::And(v) | Node::Or(v) => v.iter().for_each(|n| go(n, negated, scope, error)),
            Node::Not(n) => go(n, true, scope, error),
            Node::Filter(f) if f.key == FilterKey::In => {
                if negated {
                    *error = Some(QueryError::at(f.column, "`in:` cannot be excluded"));
                }
                match f.value.to_lowercase().as_str() {
                    "notes" | "note" | "internal" => scope.notes = true,
                    "replies" | "reply" | "public" | "messages" => scope.replies = true,
                    other => {
                        *error = Some(QueryError::at(
                            f.column,
                            format!("`in:{other}` is not known; use in:notes or in:replies"),
                        ))
                    }
                }
            }
            _ => {}
        }
    }
    go(node, false, &mut scope, &mut error);
    match error {
        Some(e) => Err(e),
        None => Ok(scope),
    }
}

/// Compiles queries for one reader.
pub struct Compiler<'a> {
    pub fields: &'a Fields,
    pub directory: &'a Directory,
    pub reader: &'a Reader,
    pub searcher: &'a Searcher,
    pub analyzers: Analyzers,
    pub scope: Scope,
    /// The words that were looked up with typo tolerance (for highlighting).
    pub fuzzy_words: Vec<String>,
}

impl std::fmt::Debug for Compiler<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compiler")
            .field("reader", self.reader)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

type Q = Box<dyn Query>;

fn filter(q: Q) -> Q {
    Box::new(ConstScoreQuery::new(q, 0.0))
}

fn boosted(q: Q, boost: f32) -> Q {
    if (boost - 1.0).abs() < f32::EPSILON {
        q
    } else {
        Box::new(BoostQuery::new(q, boost))
    }
}

fn term_q(term: Term) -> Q {
    Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs))
}

fn text_term(field: Field, s: &str) -> Q {
    term_q(Term::from_field_text(field, s))
}

fn u64_term(field: Field, v: u64) -> Q {
    term_q(Term::from_field_u64(field, v))
}

fn any_of(field: Field, values: &[u64]) -> Q {
    match values {
        [] => Box::new(EmptyQuery),
        [one] => u64_term(field, *one),
        many => Box::new(TermSetQuery::new(
            many.iter().map(|v| Term::from_field_u64(field, *v)),
        )),
    }
}

fn should(clauses: Vec<Q>) -> Q {
    Box::new(BooleanQuery::new(
        clauses.into_iter().map(|q| (Occur::Should, q)).collect(),
    ))
}

impl Compiler<'_> {
    /// The text fields words are looked for in, with how much a match counts.
    fn text_fields(&self) -> Vec<(Field, f32)> {
        let f = self.fields;
        let notes = self.reader.staff;
        let mut out = Vec::new();
        if self.scope.everywhere() {
            out.push((f.subject, SUBJECT_BOOST));
            out.push((f.replies, 1.0));
            if notes {
                out.push((f.notes, 1.0));
            }
            out.push((f.meta, META_BOOST));
        } else {
            if self.scope.replies {
                out.push((f.replies, 1.0));
            }
            if self.scope.notes && notes {
                out.push((f.notes, 1.0));
            }
        }
        out
    }

    /// The whole query: what was asked, inside what the reader may see.
    pub fn compile(&mut self, node: &Node) -> Result<Q, QueryError> {
        let asked = self.node(node)?.unwrap_or_else(|| Box::new(AllQuery));
        Ok(match self.permission() {
            None => asked,
            Some(allowed) => Box::new(BooleanQuery::new(vec![
                (Occur::Must, asked),
                (Occur::Must, allowed),
            ])),
        })
    }

    /// The tickets the reader may see, as a query; `None` for all of them.
    pub fn permission(&self) -> Option<Q> {
        let f = self.fields;
        let q = match &self.reader.visibility {
            Visibility::All => return None,
            Visibility::Agent { user_id, group_ids } => {
                let groups: Vec<u64> = group_ids.iter().map(|g| *g as u64).collect();
                should(vec![
                    u64_term(f.assignee, *user_id as u64),
                    any_of(f.group, &groups),
                ])
            }
            Visibility::Customer {
                user_id,
                organization_id,
            } => {
                let mut clauses = vec![u64_term(f.requester, *user_id as u64)];
                if let Some(org) = organization_id {
                    clauses.push(u64_term(f.organization, *org as u64));
                }
                should(clauses)
            }
        };
        Some(filter(q))
    }

    /// `None` means "no constraint".
    fn node(&mut self, node: &Node) -> Result<Option<Q>, QueryError> {
        Ok(match node {
            Node::And(parts) => self.and(parts)?,
            Node::Or(parts) => {
                let mut clauses = Vec::new();
                for p in parts {
                    match self.node(p)? {
                        Some(q) => clauses.push(q),
                        None => return Ok(None),
                    }
                }
                Some(should(clauses))
            }
            Node::Not(inner) => match self.node(inner)? {
                Some(q) => Some(Box::new(BooleanQuery::new(vec![
                    (Occur::Must, Box::new(AllQuery) as Q),
                    (Occur::MustNot, q),
                ]))),
                None => Some(Box::new(EmptyQuery)),
            },
            Node::Word(w) => self.word(w),
            Node::Phrase(p) => self.phrase(p),
            Node::Ticket(n) => Some(boosted(u64_term(self.fields.id, *n), 10.0)),
            Node::Filter(f) => self.filter(f)?.map(filter),
        })
    }

    fn and(&mut self, parts: &[Node]) -> Result<Option<Q>, QueryError> {
        let mut clauses: Vec<(Occur, Q)> = Vec::new();
        let mut required = 0;
        for p in parts {
            match p {
                Node::Not(inner) => match self.node(inner)? {
                    Some(q) => clauses.push((Occur::MustNot, q)),
                    None => return Ok(Some(Box::new(EmptyQuery))),
                },
                Node::Word(w) if parts.len() > 1 && self.analyzers.is_stop_word(w) => {
                    if let Some(q) = self.word(w) {
                        clauses.push((Occur::Should, q));
                    }
                }
                other => {
                    if let Some(q) = self.node(other)? {
                        required += 1;
                        clauses.push((Occur::Must, q));
                    }
                }
            }
        }
        if clauses.is_empty() {
            return Ok(None);
        }
        if required == 0 {
            // Only stop words or exclusions: match everything else.
            let only_should = clauses.iter().all(|(o, _)| *o == Occur::Should);
            if !only_should {
                clauses.push((Occur::Must, Box::new(AllQuery)));
            }
        }
        Ok(Some(Box::new(BooleanQuery::new(clauses))))
    }

    fn exists(&self, field: Field, text: &str) -> bool {
        self.searcher
            .doc_freq(&Term::from_field_text(field, text))
            .map(|n| n > 0)
            .unwrap_or(false)
    }

    fn word(&mut self, raw: &str) -> Option<Q> {
        let words = self.analyzers.plain_words(raw);
        let mut clauses: Vec<Q> = Vec::new();
        if let Ok(n) = raw.trim_start_matches('#').parse::<u64>() {
            clauses.push(boosted(u64_term(self.fields.id, n), 10.0));
        }
        match words.len() {
            0 => return (!clauses.is_empty()).then(|| should(clauses)),
            1 => {}
            _ => {
                // "e-mail", "x@y.com": the parts in order.
                if let Some(q) = self.phrase(raw) {
                    clauses.push(q);
                }
                return Some(should(clauses));
            }
        }
        let word = words[0].text.clone();
        // The word itself, its variants in every language, and its bare stems where
        // they are a prefix of it (a document's word that is its own stem has no
        // variant term).
        let mut terms: Vec<(String, f32)> = vec![(word.clone(), 1.0)];
        for s in self.analyzers.stems(&word) {
            terms.push((format!("{VARIANT}{s}"), STEM_FACTOR));
            if s != word && word.starts_with(s.as_str()) {
                terms.push((s, STEM_FACTOR));
            }
        }
        let mut known = false;
        for (field, boost) in self.text_fields() {
            for (t, factor) in &terms {
                known |= self.exists(field, t);
                clauses.push(boosted(text_term(field, t), boost * factor));
            }
        }
        if !known && word.chars().count() >= FUZZY_MIN_CHARS {
            self.fuzzy_words.push(word.clone());
            for (field, boost) in self.text_fields() {
                let fuzzy = FuzzyTermQuery::new(Term::from_field_text(field, &word), 1, true);
                clauses.push(boosted(Box::new(fuzzy), boost * FUZZY_FACTOR));
            }
        }
        Some(should(clauses))
    }

    fn phrase(&mut self, raw: &str) -> Option<Q> {
        let words = self.analyzers.plain_words(raw);
        let mut clauses: Vec<Q> = Vec::new();
        for (field, boost) in self.text_fields() {
            let q: Q = match words.as_slice() {
                [] => return None,
                [one] => text_term(field, &one.text),
                many => Box::new(PhraseQuery::new_with_offset(
                    many.iter()
                        .map(|t| (t.position, Term::from_field_text(field, &t.text)))
                        .collect(),
                )),
            };
            clauses.push(boosted(q, boost));
        }
        Some(should(clauses))
    }

    fn filter(&self, f: &Filter) -> Result<Option<Q>, QueryError> {
        let fields = self.fields;
        let value = f.value.trim();
        let lower = value.to_lowercase();
        let bad = |message: String| QueryError::at(f.column, message);
        Ok(Some(match f.key {
            FilterKey::In => return Ok(None),
            FilterKey::Status => {
                let ids: Vec<u64> = self
                    .directory
                    .statuses
                    .iter()
                    .filter(|s| s.name.eq_ignore_ascii_case(value) || s.id.to_string() == value)
                    .map(|s| s.id)
                    .collect();
                if ids.is_empty() {
                    if let Ok(c) = StatusCategory::parse(value) {
                        return Ok(Some(text_term(fields.category, c.as_str())));
                    }
                    let known: Vec<&str> = self
                        .directory
                        .statuses
                        .iter()
                        .map(|s| s.name.as_str())
                        .collect();
                    return Err(bad(format!(
                        "there is no status {value:?}; known: {}",
                        known.join(", ")
                    )));
                }
                any_of(fields.status, &ids)
            }
            FilterKey::Category => {
                let c = StatusCategory::parse(value).map_err(|_| {
                    bad(format!(
                        "there is no category {value:?}; known: {}",
                        StatusCategory::ALL.map(|c| c.as_str()).join(", ")
                    ))
                })?;
                text_term(fields.category, c.as_str())
            }
            FilterKey::Priority => {
                let p = Priority::parse(value).map_err(|e| bad(e.to_string()))?;
                text_term(fields.priority, p.as_str())
            }
            FilterKey::Type => {
                let t = TicketType::parse(value).map_err(|e| bad(e.to_string()))?;
                text_term(fields.kind, t.as_str())
            }
            FilterKey::Assignee => match self.user(&lower) {
                Some(id) => u64_term(fields.assignee, id),
                None => Box::new(EmptyQuery),
            },
            FilterKey::Requester => match self.user(&lower) {
                Some(id) => u64_term(fields.requester, id),
                None => Box::new(EmptyQuery),
            },
            FilterKey::Group => {
                if lower == "none" {
                    return Ok(Some(u64_term(fields.group, 0)));
                }
                let found =
                    self.directory.groups.iter().find(|(id, name)| {
                        name.eq_ignore_ascii_case(value) || id.to_string() == value
                    });
                match found {
                    Some((id, _)) => u64_term(fields.group, *id),
                    None => return Err(bad(format!("there is no group {value:?}"))),
                }
            }
            FilterKey::Org => {
                if lower == "none" {
                    return Ok(Some(u64_term(fields.organization, 0)));
                }
                let found = self
                    .directory
                    .organizations
                    .iter()
                    .find(|(id, name, domains)| {
                        name.eq_ignore_ascii_case(value)
                            || id.to_string() == value
                            || domains.iter().any(|d| d.eq_ignore_ascii_case(value))
                    });
                match found {
                    Some((id, _, _)) => u64_term(fields.organization, *id),
                    None => Box::new(EmptyQuery),
                }
            }
            FilterKey::Tag => text_term(fields.tag, &lower),
            FilterKey::Channel => text_term(fields.channel, &lower),
            FilterKey::Lang => {
                if matches!(lower.as_str(), "none" | "unknown") {
                    text_term(fields.lang, "none")
                } else {
                    let l = Lang::parse(&lower).ok_or_else(|| {
                        bad(format!(
                            "there is no language {value:?}; use a code such as {}",
                            Lang::ALL.map(Lang::code).join(", ")
                        ))
                    })?;
                    text_term(fields.lang, l.code())
                }
            }
            FilterKey::Has => match lower.as_str() {
                "attachment" | "attachments" => text_term(fields.has, "attachment"),
                "replies" | "reply" => text_term(fields.has, "replies"),
                "notes" | "note" if self.reader.staff => text_term(fields.has, "notes"),
                "notes" | "note" => Box::new(EmptyQuery),
                _ => {
                    return Err(bad(format!(
                        "`has:{value}` is not known; use has:attachment, has:replies or has:notes"
                    )));
                }
            },
            FilterKey::Created => self.date(fields.created, f)?,
            FilterKey::Updated => self.date(fields.updated, f)?,
            FilterKey::Solved => self.date(fields.solved, f)?,
        }))
    }

    fn user(&self, who: &str) -> Option<u64> {
        match who {
            "me" => Some(self.directory.me),
            "none" => Some(0),
            email => self.directory.users.get(email).copied(),
        }
    }

    fn date(&self, field: Field, f: &Filter) -> Result<Q, QueryError> {
        let (lower, upper) = date_bounds(&f.value, self.directory.now).map_err(|m| {
            QueryError::at(f.column, format!("{m}; write it as in {}", example(f.key)))
        })?;
        let term = |b: Bound<i64>| match b {
            Bound::Included(v) => Bound::Included(Term::from_field_i64(field, v)),
            Bound::Excluded(v) => Bound::Excluded(Term::from_field_i64(field, v)),
            Bound::Unbounded => Bound::Unbounded,
        };
        if matches!((lower, upper), (Bound::Unbounded, Bound::Unbounded)) {
            return Ok(Box::new(RangeQuery::new(
                Bound::Included(Term::from_field_i64(field, i64::MIN)),
                Bound::Unbounded,
            )));
        }
        Ok(Box::new(RangeQuery::new(term(lower), term(upper))))
    }
}

const DAY_MS: i64 = 24 * 3600 * 1000;

/// A point or period a date filter names: `[start, end)` in epoch milliseconds, or an
/// instant for relative ages.
#[derive(Debug, Clone, Copy, PartialEq)]
enum When {
    Period(i64, i64),
    /// So long ago from now.
    Ago(i64),
}

fn when(s: &str, now: i64) -> Result<When, String> {
    let s = s.trim();
    let ms = |d: NaiveDate| {
        Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
            .timestamp_millis()
    };
    if s.eq_ignore_ascii_case("today") {
        let today = chrono::DateTime::from_timestamp_millis(now)
            .ok_or("the clock is out of range")?
            .date_naive();
        return Ok(When::Period(ms(today), ms(today) + DAY_MS));
    }
    if let Some(unit) = s.chars().last().filter(|c| c.is_ascii_alphabetic()) {
        let n: i64 = s[..s.len() - 1]
            .parse()
            .map_err(|_| format!("{s:?} is not a date or an age"))?;
        let step = match unit.to_ascii_lowercase() {
            'h' => 3600 * 1000,
            'd' => DAY_MS,
            'w' => 7 * DAY_MS,
            'm' => 30 * DAY_MS,
            'y' => 365 * DAY_MS,
            _ => return Err(format!("{s:?}: an age counts h, d, w, m or y")),
        };
        let ago = n.checked_mul(step).ok_or("that age is too large")?;
        return Ok(When::Ago(now.saturating_sub(ago)));
    }
    let parts: Vec<&str> = s.split('-').collect();
    let num = |p: &str| p.parse::<u32>().map_err(|_| format!("{s:?} is not a date"));
    let (y, m, d) = match parts.as_slice() {
        [y] => (num(y)? as i32, None, None),
        [y, m] => (num(y)? as i32, Some(num(m)?), None),
        [y, m, d] => (num(y)? as i32, Some(num(m)?), Some(num(d)?)),
        _ => return Err(format!("{s:?} is not a date")),
    };
    let invalid = || format!("{s:?} is not a date");
    let start = NaiveDate::from_ymd_opt(y, m.unwrap_or(1), d.unwrap_or(1)).ok_or_else(invalid)?;
    let end = match (m, d) {
        (None, _) => NaiveDate::from_ymd_opt(y + 1, 1, 1),
        (Some(_), None) => {
            let (ny, nm) = if start.month() == 12 {
                (y + 1, 1)
            } else {
                (y, start.month() + 1)
            };
            NaiveDate::from_ymd_opt(ny, nm, 1)
        }
        (Some(_), Some(_)) => start.checked_add_signed(Duration::days(1)),
    }
    .ok_or_else(invalid)?;
    Ok(When::Period(ms(start), ms(end)))
}

/// The bounds a date filter value names.
pub(crate) fn date_bounds(value: &str, now: i64) -> Result<(Bound<i64>, Bound<i64>), String> {
    use Bound::*;
    let v = value.trim();
    if let Some((a, b)) = v.split_once("..") {
        let lower = match a.trim() {
            "" | "*" => Unbounded,
            a => match when(a, now)? {
                When::Period(s, _) => Included(s),
                When::Ago(t) => Included(t),
            },
        };
        let upper = match b.trim() {
            "" | "*" => Unbounded,
            b => match when(b, now)? {
                When::Period(_, e) => Excluded(e),
                When::Ago(t) => Included(t),
            },
        };
        // Relative ages may be written either way round ("30d..7d" or "7d..30d").
        if let (Included(l), Included(u)) = (lower, upper)
            && l > u
        {
            return Ok((Included(u), Included(l)));
        }
        return Ok((lower, upper));
    }
    let (op, rest) = if let Some(r) = v.strip_prefix(">=") {
        (">=", r)
    } else if let Some(r) = v.strip_prefix("<=") {
        ("<=", r)
    } else if let Some(r) = v.strip_prefix('>') {
        (">", r)
    } else if let Some(r) = v.strip_prefix('<') {
        ("<", r)
    } else {
        ("=", v)
    };
    Ok(match (op, when(rest, now)?) {
        (">", When::Period(_, e)) => (Included(e), Unbounded),
        (">=", When::Period(s, _)) => (Included(s), Unbounded),
        ("<", When::Period(s, _)) => (Unbounded, Excluded(s)),
        ("<=", When::Period(_, e)) => (Unbounded, Excluded(e)),
        (_, When::Period(s, e)) => (Included(s), Excluded(e)),
        // Ages: "<7d" is younger than seven days, ">7d" older.
        (">" | ">=", When::Ago(t)) => (Unbounded, Included(t)),
        (_, When::Ago(t)) => (Included(t), Unbounded),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use Bound::*;

    fn ms(s: &str) -> i64 {
        let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
        Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight"))
            .timestamp_millis()
    }

    #[test]
    fn date_values_name_the_expected_bounds() {
        let now = ms("2025-06-15") + 12 * 3600 * 1000;
        let cases = [
            (">2025-01-01", (Included(ms("2025-01-02")), Unbounded)),
            (">=2025-01-01", (Included(ms("2025-01-01")), Unbounded)),
            ("<2025-01-01", (Unbounded, Excluded(ms("2025-01-01")))),
            ("<=2025-01-01", (Unbounded, Excluded(ms("2025-01-02")))),
            (
                "2025-03",
                (Included(ms("2025-03-01")), Excluded(ms("2025-04-01"))),
            ),
            (
                "2024-12",
                (Included(ms("2024-12-01")), Excluded(ms("2025-01-01"))),
            ),
            (
                "2025",
                (Included(ms("2025-01-01")), Excluded(ms("2026-01-01"))),
            ),
            (
                "2025-01-01..2025-02-01",
                (Included(ms("2025-01-01")), Excluded(ms("2025-02-02"))),
            ),
            ("2025-01..*", (Included(ms("2025-01-01")), Unbounded)),
            ("<7d", (Included(now - 7 * DAY_MS), Unbounded)),
            (">7d", (Unbounded, Included(now - 7 * DAY_MS))),
            ("24h", (Included(now - DAY_MS), Unbounded)),
            (
                "30d..7d",
                (Included(now - 30 * DAY_MS), Included(now - 7 * DAY_MS)),
            ),
            (
                "today",
                (Included(ms("2025-06-15")), Excluded(ms("2025-06-16"))),
            ),
        ];
        for (value, expected) in cases {
            assert_eq!(date_bounds(value, now), Ok(expected), "{value}");
        }
        for bad in [
            "2025-13",
            "2025-02-30",
            "yesterday-ish",
            "7q",
            "x..y",
            "99999999999999d",
        ] {
            assert!(date_bounds(bad, now).is_err(), "{bad}");
        }
    }

    #[test]
    fn scope_reads_in_filters() {
        use super::super::parse::parse;
        let s = |q: &str| scope(&parse(q).expect("parses"));
        assert_eq!(s("printer"), Ok(Scope::default()));
        assert_eq!(s("printer in:notes").map(|s| s.notes), Ok(true));
        assert_eq!(
            s("in:replies x").map(|s| (s.replies, s.notes)),
            Ok((true, false))
        );
        assert!(s("in:subject").is_err());
        assert!(s("-in:notes").is_err());
    }
}
