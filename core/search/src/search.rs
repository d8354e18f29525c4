//! Running a search: ranking, sorting, cursors, facets, snippets and similar tickets.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use tantivy::collector::{Collector, SegmentCollector, TopDocs};
use tantivy::columnar::{Column, StrColumn};
use tantivy::query::{BooleanQuery, ConstScoreQuery, MoreLikeThisQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, OwnedValue, Value};
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader, TantivyDocument, Term};

use crate::SearchError;
use crate::analyzer::{Analyzers, tag, untag};
use crate::document::StoredMessage;
use crate::index::{SearchIndex, stored_str};
use crate::lang::Lang;
use crate::query::compile::{Compiler, Directory, Reader, positive_words, scope};
use crate::query::parse::parse;
use crate::snippet::Highlighter;

/// The order of results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Best match first; recent tickets slightly favoured.
    #[default]
    Relevance,
    CreatedDesc,
    CreatedAsc,
    UpdatedDesc,
    UpdatedAsc,
}

impl Sort {
    /// Reads `relevance`, `created`, `-created`, `updated`, `-updated` (a leading `-`
    /// is newest first) or `created_desc` style names.
    pub fn parse(s: &str) -> Option<Sort> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "" | "relevance" | "score" => Sort::Relevance,
            "-created" | "created_desc" | "newest" => Sort::CreatedDesc,
            "created" | "+created" | "created_asc" | "oldest" => Sort::CreatedAsc,
            "-updated" | "updated_desc" => Sort::UpdatedDesc,
            "updated" | "+updated" | "updated_asc" => Sort::UpdatedAsc,
            _ => return None,
        })
    }

    fn code(self) -> &'static str {
        match self {
            Sort::Relevance => "r",
            Sort::CreatedDesc => "cd",
            Sort::CreatedAsc => "ca",
            Sort::UpdatedDesc => "ud",
            Sort::UpdatedAsc => "ua",
        }
    }
}

/// A search to run.
#[derive(Debug, Clone)]
pub struct SearchRequest<'a> {
    pub query: &'a str,
    pub reader: &'a Reader,
    pub directory: &'a Directory,
    pub sort: Sort,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<&'a str>,
    pub limit: usize,
    pub facets: bool,
}

/// A ticket found, as the index holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub id: u64,
    pub score: f32,
    pub subject: String,
    /// The subject, HTML-escaped, with matches in `<mark>`.
    pub subject_html: String,
    pub status_id: u64,
    pub category: String,
    pub priority: String,
    pub kind: String,
    pub assignee_id: Option<u64>,
    pub group_id: Option<u64>,
    pub organization_id: Option<u64>,
    pub requester_id: u64,
    pub channel: String,
    pub lang: Option<Lang>,
    pub tags: Vec<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub solved_at: Option<i64>,
    pub snippets: Vec<Snippet>,
}

/// Where a message matched.
#[derive(Debug, Clone, PartialEq)]
pub struct Snippet {
    pub message_id: u64,
    pub public: bool,
    /// HTML-escaped text with matches in `<mark>`.
    pub html: String,
}

/// Counts over the whole result set, most frequent first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facets {
    pub status: Vec<(u64, u64)>,
    pub priority: Vec<(String, u64)>,
    pub group: Vec<(u64, u64)>,
    /// Assignee 0 is "unassigned".
    pub assignee: Vec<(u64, u64)>,
    pub tag: Vec<(String, u64)>,
}

/// A page of results.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchResults {
    /// How many tickets match in all.
    pub total: u64,
    pub hits: Vec<Hit>,
    pub facets: Option<Facets>,
    /// Pass back for the next page; `None` on the last one.
    pub next_cursor: Option<String>,
}

/// The most facet values returned per facet.
const FACET_VALUES: usize = 50;
/// The most snippets per ticket.
const SNIPPETS: usize = 2;
/// How much the newest tickets are favoured over old ones with the same score.
const RECENCY: f32 = 0.2;
/// After this many days a ticket has lost half of its recency bonus.
const RECENCY_HALF_LIFE_DAYS: f32 = 60.0;
const DAY_MS_I: i64 = 86_400_000;
/// Ages beyond this many days get no recency bonus at all.
const RECENCY_DAYS: usize = 3650;

/// The recency bonus by age in days.
fn recency_table() -> std::sync::Arc<Vec<f32>> {
    static TABLE: std::sync::OnceLock<std::sync::Arc<Vec<f32>>> = std::sync::OnceLock::new();
    TABLE
        .get_or_init(|| {
            std::sync::Arc::new(
                (0..RECENCY_DAYS)
                    .map(|d| RECENCY * 0.5f32.powf(d as f32 / RECENCY_HALF_LIFE_DAYS))
                    .collect(),
            )
        })
        .clone()
}

/// Facet values below this are counted in a vector, the rest in a map.
const SMALL_VALUES: u64 = 1 << 16;

fn bump(map: &mut HashMap<u64, u64>, small: &mut Vec<u64>, value: u64) {
    if value < SMALL_VALUES {
        let i = value as usize;
        if i >= small.len() {
            small.resize(i + 1, 0);
        }
        small[i] += 1;
    } else {
        *map.entry(value).or_default() += 1;
    }
}
/// Similar tickets score at least this share of the best one.
const SIMILAR_CUTOFF: f32 = 0.3;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Rank(i64, i64);

#[derive(Debug, Clone, Copy)]
struct Entry {
    rank: Rank,
    score: f32,
    address: DocAddress,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.rank == other.rank
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.rank.cmp(&other.rank)
    }
}

#[derive(Debug, Clone, Copy)]
struct Cursor {
    rank: Rank,
    now: i64,
}

fn encode_cursor(sort: Sort, c: Cursor) -> String {
    format!("{}.{}.{}.{}", sort.code(), c.rank.0, c.rank.1, c.now)
}

fn decode_cursor(sort: Sort, s: &str) -> Result<Cursor, SearchError> {
    let parts: Vec<&str> = s.split('.').collect();
    let [code, a, b, now] = parts.as_slice() else {
        return Err(SearchError::BadCursor);
    };
    if *code != sort.code() {
        return Err(SearchError::BadCursor);
    }
    let num = |s: &str| s.parse::<i64>().map_err(|_| SearchError::BadCursor);
    Ok(Cursor {
        rank: Rank(num(a)?, num(b)?),
        now: num(now)?,
    })
}

struct TicketCollector {
    /// The recency bonus by age in whole days.
    recency: std::sync::Arc<Vec<f32>>,
    sort: Sort,
    limit: usize,
    after: Option<Rank>,
    facets: bool,
    now: i64,
}

#[derive(Default)]
struct FacetCounts {
    status: HashMap<u64, u64>,
    priority: HashMap<String, u64>,
    group: HashMap<u64, u64>,
    assignee: HashMap<u64, u64>,
    tag: HashMap<String, u64>,
}

struct SegmentFacets {
    status_small: Vec<u64>,
    group_small: Vec<u64>,
    assignee_small: Vec<u64>,
    status: Column<u64>,
    group: Column<u64>,
    assignee: Column<u64>,
    priority: Option<StrColumn>,
    tag: Option<StrColumn>,
    counts: FacetCounts,
    priority_ords: Vec<u64>,
    tag_ords: Vec<u64>,
}

struct TicketSegment {
    recency: std::sync::Arc<Vec<f32>>,
    ord: SegmentOrdinal,
    sort: Sort,
    limit: usize,
    after: Option<Rank>,
    now: i64,
    id: Column<u64>,
    created: Column<i64>,
    updated: Column<i64>,
    heap: BinaryHeap<Reverse<Entry>>,
    total: u64,
    remaining: u64,
    facets: Option<SegmentFacets>,
}

struct SegmentFruit {
    top: Vec<Entry>,
    total: u64,
    remaining: u64,
    facets: Option<FacetCounts>,
}

fn ordered(score: f32) -> i64 {
    // Non-negative floats order like their bit patterns.
    i64::from(score.max(0.0).to_bits())
}

impl Collector for TicketCollector {
    type Fruit = SegmentFruit;
    type Child = TicketSegment;

    fn for_segment(
        &self,
        ord: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<TicketSegment> {
        let ff = segment.fast_fields();
        let facets = if self.facets {
            let priority = ff.str("priority")?;
            let tag = ff.str("tag")?;
            Some(SegmentFacets {
                status: ff.u64("status")?,
                group: ff.u64("group")?,
                assignee: ff.u64("assignee")?,
                priority_ords: vec![0; priority.as_ref().map(|c| c.num_terms()).unwrap_or(0)],
                tag_ords: vec![0; tag.as_ref().map(|c| c.num_terms()).unwrap_or(0)],
                priority,
                tag,
                counts: FacetCounts::default(),
                status_small: Vec::new(),
                group_small: Vec::new(),
                assignee_small: Vec::new(),
            })
        } else {
            None
        };
        Ok(TicketSegment {
            recency: self.recency.clone(),
            ord,
            sort: self.sort,
            limit: self.limit,
            after: self.after,
            now: self.now,
            id: ff.u64("id")?,
            created: ff.i64("created")?,
            updated: ff.i64("updated")?,
            heap: BinaryHeap::with_capacity(self.limit + 1),
            total: 0,
            remaining: 0,
            facets,
        })
    }

    fn requires_scoring(&self) -> bool {
        self.sort == Sort::Relevance
    }

    fn merge_fruits(&self, fruits: Vec<SegmentFruit>) -> tantivy::Result<SegmentFruit> {
        let mut top = Vec::new();
        let mut total = 0;
        let mut remaining = 0;
        let mut facets: Option<FacetCounts> = None;
        for f in fruits {
            top.extend(f.top);
            total += f.total;
            remaining += f.remaining;
            if let Some(c) = f.facets {
                let into = facets.get_or_insert_with(FacetCounts::default);
                for (k, v) in c.status {
                    *into.status.entry(k).or_default() += v;
                }
                for (k, v) in c.group {
                    *into.group.entry(k).or_default() += v;
                }
                for (k, v) in c.assignee {
                    *into.assignee.entry(k).or_default() += v;
                }
                for (k, v) in c.priority {
                    *into.priority.entry(k).or_default() += v;
                }
                for (k, v) in c.tag {
                    *into.tag.entry(k).or_default() += v;
                }
            }
        }
        top.sort_by(|a, b| b.cmp(a));
        top.truncate(self.limit);
        Ok(SegmentFruit {
            top,
            total,
            remaining,
            facets,
        })
    }
}

impl SegmentCollector for TicketSegment {
    type Fruit = SegmentFruit;

    fn collect(&mut self, doc: DocId, score: Score) {
        self.total += 1;
        if let Some(f) = &mut self.facets {
            bump(
                &mut f.counts.status,
                &mut f.status_small,
                f.status.first(doc).unwrap_or(0),
            );
            bump(
                &mut f.counts.group,
                &mut f.group_small,
                f.group.first(doc).unwrap_or(0),
            );
            bump(
                &mut f.counts.assignee,
                &mut f.assignee_small,
                f.assignee.first(doc).unwrap_or(0),
            );
            if let Some(p) = &f.priority {
                for o in p.term_ords(doc) {
                    if let Some(slot) = f.priority_ords.get_mut(o as usize) {
                        *slot += 1;
                    }
                }
            }
            if let Some(t) = &f.tag {
                for o in t.term_ords(doc) {
                    if let Some(slot) = f.tag_ords.get_mut(o as usize) {
                        *slot += 1;
                    }
                }
            }
        }
        let primary = match self.sort {
            Sort::Relevance => {
                let updated = self.updated.first(doc).unwrap_or(0);
                let days = ((self.now - updated).max(0) / DAY_MS_I) as usize;
                let bonus = self.recency.get(days).copied().unwrap_or(0.0);
                ordered(score * (1.0 + bonus))
            }
            Sort::CreatedDesc => self.created.first(doc).unwrap_or(0),
            Sort::CreatedAsc => -self.created.first(doc).unwrap_or(0),
            Sort::UpdatedDesc => self.updated.first(doc).unwrap_or(0),
            Sort::UpdatedAsc => -self.updated.first(doc).unwrap_or(0),
        };
        // Most documents lose on the first key alone: decide without reading their id.
        if let Some(after) = self.after
            && primary > after.0
        {
            return;
        }
        // Everything in a full heap is after the cursor, so a document that ranks below
        // its worst is after the cursor too: counted, not kept.
        if self.heap.len() >= self.limit
            && let Some(Reverse(worst)) = self.heap.peek()
            && primary < worst.rank.0
        {
            self.remaining += 1;
            return;
        }
        let id = self.id.first(doc).unwrap_or(0) as i64;
        let secondary = match self.sort {
            Sort::CreatedAsc | Sort::UpdatedAsc => -id,
            _ => id,
        };
        let rank = Rank(primary, secondary);
        if let Some(after) = self.after
            && rank >= after
        {
            return;
        }
        self.remaining += 1;
        let entry = Entry {
            rank,
            score,
            address: DocAddress::new(self.ord, doc),
        };
        if self.heap.len() < self.limit {
            self.heap.push(Reverse(entry));
        } else if let Some(Reverse(worst)) = self.heap.peek()
            && entry > *worst
        {
            self.heap.pop();
            self.heap.push(Reverse(entry));
        }
    }

    fn harvest(self) -> SegmentFruit {
        let facets = self.facets.map(|mut f| {
            for (small, map) in [
                (&f.status_small, &mut f.counts.status),
                (&f.group_small, &mut f.counts.group),
                (&f.assignee_small, &mut f.counts.assignee),
            ] {
                for (value, n) in small.iter().enumerate() {
                    if *n > 0 {
                        *map.entry(value as u64).or_default() += n;
                    }
                }
            }
            let resolve =
                |col: &Option<StrColumn>, ords: &[u64], into: &mut HashMap<String, u64>| {
                    if let Some(col) = col {
                        let mut s = String::new();
                        for (ord, n) in ords.iter().enumerate() {
                            if *n > 0 && col.ord_to_str(ord as u64, &mut s).unwrap_or(false) {
                                *into.entry(s.clone()).or_default() += n;
                            }
                        }
                    }
                };
            resolve(&f.priority, &f.priority_ords, &mut f.counts.priority);
            resolve(&f.tag, &f.tag_ords, &mut f.counts.tag);
            f.counts
        });
        SegmentFruit {
            top: self.heap.into_iter().map(|Reverse(e)| e).collect(),
            total: self.total,
            remaining: self.remaining,
            facets,
        }
    }
}

fn top<K: Ord + Clone>(map: HashMap<K, u64>) -> Vec<(K, u64)> {
    let mut v: Vec<(K, u64)> = map.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v.truncate(FACET_VALUES);
    v
}

fn u64_of(doc: &TantivyDocument, field: tantivy::schema::Field) -> u64 {
    doc.get_first(field).and_then(|v| v.as_u64()).unwrap_or(0)
}

fn i64_of(doc: &TantivyDocument, field: tantivy::schema::Field) -> Option<i64> {
    doc.get_first(field).and_then(|v| v.as_i64())
}

fn some(v: u64) -> Option<u64> {
    (v != 0).then_some(v)
}

impl SearchIndex {
    /// Runs a search.
    pub fn search(&self, req: &SearchRequest<'_>) -> Result<SearchResults, SearchError> {
        let node = parse(req.query)?;
        let scope = scope(&node)?;
        let searcher = self.searcher();
        let mut compiler = Compiler {
            fields: self.fields(),
            directory: req.directory,
            reader: req.reader,
            searcher: &searcher,
            analyzers: Analyzers::default(),
            scope,
            fuzzy_words: Vec::new(),
        };
        let query = compiler.compile(&node)?;
        let fuzzy = std::mem::take(&mut compiler.fuzzy_words);
        let analyzers = compiler.analyzers.clone();
        let cursor = req.cursor.map(|c| decode_cursor(req.sort, c)).transpose()?;
        let now = cursor.map(|c| c.now).unwrap_or(req.directory.now);
        let limit = req.limit.clamp(1, 100);
        let collector = TicketCollector {
            recency: recency_table(),
            sort: req.sort,
            limit,
            after: cursor.map(|c| c.rank),
            facets: req.facets,
            now,
        };
        let fruit = searcher.search(query.as_ref(), &collector)?;
        let mut highlighter = Highlighter::new(&positive_words(&node), &fuzzy, analyzers);
        let mut hits = Vec::with_capacity(fruit.top.len());
        for e in &fruit.top {
            let doc: TantivyDocument = searcher.doc(e.address)?;
            hits.push(self.hit(&doc, e.score, &mut highlighter, req.reader, scope));
        }
        let next_cursor = (fruit.remaining > limit as u64)
            .then(|| fruit.top.last())
            .flatten()
            .map(|last| {
                encode_cursor(
                    req.sort,
                    Cursor {
                        rank: last.rank,
                        now,
                    },
                )
            });
        Ok(SearchResults {
            total: fruit.total,
            hits,
            facets: fruit.facets.map(|f| Facets {
                status: top(f.status),
                priority: top(f.priority),
                group: top(f.group),
                assignee: top(f.assignee),
                tag: top(f.tag),
            }),
            next_cursor,
        })
    }

    fn hit(
        &self,
        doc: &TantivyDocument,
        score: f32,
        highlighter: &mut Highlighter,
        reader: &Reader,
        scope: crate::query::compile::Scope,
    ) -> Hit {
        let f = self.fields();
        let lang = stored_str(doc, f.lang).and_then(Lang::parse);
        let subject = untag(stored_str(doc, f.subject).unwrap_or(""))
            .1
            .to_string();
        let subject_html = highlighter.mark_all(&subject, lang).html;
        let mut snippets: Vec<(usize, Snippet)> = Vec::new();
        if !highlighter.is_empty() {
            for value in doc.get_all(f.messages) {
                let Some(m) = value.as_str().and_then(StoredMessage::decode) else {
                    continue;
                };
                let allowed = if m.public {
                    scope.replies || !scope.notes
                } else {
                    reader.staff && (scope.notes || !scope.replies)
                };
                if !allowed {
                    continue;
                }
                if let Some(marked) = highlighter.snippet(&m.text, m.lang) {
                    snippets.push((
                        marked.matches,
                        Snippet {
                            message_id: m.id,
                            public: m.public,
                            html: marked.html,
                        },
                    ));
                }
            }
        }
        // Most matches first; among equals the later message.
        snippets.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.message_id.cmp(&a.1.message_id)));
        snippets.truncate(SNIPPETS);
        Hit {
            id: u64_of(doc, f.id),
            score,
            subject,
            subject_html,
            status_id: u64_of(doc, f.status),
            category: stored_str(doc, f.category).unwrap_or("").to_string(),
            priority: stored_str(doc, f.priority).unwrap_or("").to_string(),
            kind: stored_str(doc, f.kind).unwrap_or("").to_string(),
            assignee_id: some(u64_of(doc, f.assignee)),
            group_id: some(u64_of(doc, f.group)),
            organization_id: some(u64_of(doc, f.organization)),
            requester_id: u64_of(doc, f.requester),
            channel: stored_str(doc, f.channel).unwrap_or("").to_string(),
            lang,
            tags: doc
                .get_all(f.tag)
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            created_at: i64_of(doc, f.created).unwrap_or(0),
            updated_at: i64_of(doc, f.updated).unwrap_or(0),
            solved_at: i64_of(doc, f.solved),
            snippets: snippets.into_iter().map(|(_, s)| s).collect(),
        }
    }

    /// The solved tickets most like ticket `id` that the reader may see, best first.
    /// Empty when the ticket is not indexed.
    pub fn similar(
        &self,
        id: u64,
        reader: &Reader,
        directory: &Directory,
        limit: usize,
    ) -> Result<Vec<Hit>, SearchError> {
        let searcher = self.searcher();
        let f = self.fields();
        let Some(source) = self.stored(&searcher, id)? else {
            return Ok(Vec::new());
        };
        let lang = stored_str(&source, f.lang).and_then(Lang::parse);
        let subject = stored_str(&source, f.subject).unwrap_or("");
        let mut texts = Vec::new();
        for value in source.get_all(f.messages) {
            if let Some(m) = value.as_str().and_then(StoredMessage::decode)
                && m.public
            {
                texts.push(OwnedValue::Str(tag(m.lang.or(lang), &m.text)));
            }
        }
        let mlt = MoreLikeThisQuery::builder()
            .with_min_doc_frequency(1)
            .with_max_doc_frequency((searcher.num_docs() / 5).max(2))
            .with_min_term_frequency(1)
            .with_max_query_terms(30)
            .with_min_word_length(3)
            .with_max_word_length(40)
            .with_document_fields(vec![
                (f.subject, vec![OwnedValue::Str(subject.to_string())]),
                (f.replies, texts),
            ]);
        let solved: Box<dyn Query> = Box::new(BooleanQuery::new(
            ["solved", "closed"]
                .into_iter()
                .map(|c| {
                    let q: Box<dyn Query> = Box::new(TermQuery::new(
                        Term::from_field_text(f.category, c),
                        IndexRecordOption::Basic,
                    ));
                    (Occur::Should, q)
                })
                .collect(),
        ));
        let own: Box<dyn Query> = Box::new(TermQuery::new(
            Term::from_field_u64(f.id, id),
            IndexRecordOption::Basic,
        ));
        let compiler = Compiler {
            fields: f,
            directory,
            reader,
            searcher: &searcher,
            analyzers: Analyzers::default(),
            scope: Default::default(),
            fuzzy_words: Vec::new(),
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![
            (Occur::Must, Box::new(mlt)),
            (Occur::Must, Box::new(ConstScoreQuery::new(solved, 0.0))),
            (Occur::MustNot, own),
        ];
        if let Some(allowed) = compiler.permission() {
            clauses.push((Occur::Must, allowed));
        }
        let query = BooleanQuery::new(clauses);
        let found = searcher.search(
            &query,
            &TopDocs::with_limit(limit.clamp(1, 50)).order_by_score(),
        )?;
        // Tickets that share only a common word or two with the best match are noise.
        let best = found.first().map(|(s, _)| *s).unwrap_or(0.0);
        let mut highlighter = Highlighter::new(&[], &[], Analyzers::default());
        let mut hits = Vec::with_capacity(found.len());
        for (score, address) in found
            .into_iter()
            .filter(|(s, _)| *s >= best * SIMILAR_CUTOFF)
        {
            let doc: TantivyDocument = searcher.doc(address)?;
            hits.push(self.hit(&doc, score, &mut highlighter, reader, Default::default()));
        }
        Ok(hits)
    }
}
