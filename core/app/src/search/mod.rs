//! Search over tickets: a tantivy index that follows the event log ([`indexer`]) and
//! queries run with the reader's permissions inside them.
//!
//! Each server process keeps its own index under `<data dir>/search` and follows the
//! shared event log from the checkpoint stored in the index's own commits, so several
//! processes on one PostgreSQL each stay fresh without coordinating.

mod indexer;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, RwLock};

pub use indexer::{IndexCheck, ReindexSummary, SearchHandle};
use triage_domain::Actor;
use triage_search::query::compile::{emails, mentions};
use triage_search::query::parse::{FilterKey, parse};
use triage_search::{Directory, Home, NamedStatus, Reader, SearchIndex, SearchRequest};
pub use triage_search::{Facets, Hit, SearchError, SearchResults, Snippet, Sort};
use triage_store::{GroupRow, StatusRow};

use crate::{App, AppError, AppResult};

/// The index in use, swapped whole when a rebuild finishes.
#[derive(Debug)]
pub(crate) struct SearchSlot {
    pub home: Home,
    current: RwLock<Option<Arc<SearchIndex>>>,
}

impl SearchSlot {
    pub fn new(home: Home) -> SearchSlot {
        SearchSlot {
            home,
            current: RwLock::new(None),
        }
    }

    pub fn get(&self) -> Option<Arc<SearchIndex>> {
        self.current.read().ok().and_then(|g| g.clone())
    }

    pub fn set(&self, index: Option<Arc<SearchIndex>>) -> Option<Arc<SearchIndex>> {
        match self.current.write() {
            Ok(mut g) => std::mem::replace(&mut *g, index),
            Err(_) => None,
        }
    }
}

/// What a search asks for.
#[derive(Debug, Clone, Default)]
pub struct SearchParams {
    /// The query, in the query language of `docs/search.md`.
    pub q: String,
    /// `relevance` (default), `created`, `-created`, `updated`, `-updated`.
    pub sort: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 100, default 25.
    pub limit: Option<usize>,
    /// Count status, priority, group, assignee and tag over the whole result set.
    pub facets: bool,
}

/// A person as results name them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName {
    pub name: String,
    pub email: String,
}

/// A page of search results with the names they refer to.
#[derive(Debug, Clone)]
pub struct SearchPage {
    pub results: SearchResults,
    /// Statuses by id.
    pub statuses: HashMap<u64, StatusRow>,
    /// Groups by id.
    pub groups: HashMap<u64, GroupRow>,
    /// Requesters and assignees of the hits and the assignee facet, by id.
    pub people: HashMap<u64, PersonName>,
    /// The SLAs of the hits that have one, by ticket number.
    pub slas: BTreeMap<i64, crate::sla::TicketSla>,
}

/// The default and largest page sizes.
pub const DEFAULT_LIMIT: usize = 25;
pub const MAX_LIMIT: usize = 100;

fn reader(actor: &Actor) -> Reader {
    Reader {
        visibility: actor.visibility(),
        staff: actor.is_staff(),
    }
}

/// Checks that a query is one the search language reads (saved views, scheduled rules).
pub(crate) fn check_query(q: &str) -> AppResult<()> {
    triage_search::query::parse::parse(q).map_err(SearchError::from)?;
    Ok(())
}

impl From<SearchError> for AppError {
    fn from(e: SearchError) -> Self {
        match e {
            SearchError::Query(q) => AppError::InvalidQuery {
                message: q.message,
                column: q.column,
            },
            SearchError::BadCursor => AppError::BadRequest(e.to_string()),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl App {
    fn search_index(&self) -> AppResult<Arc<SearchIndex>> {
        self.search
            .get()
            .ok_or_else(|| AppError::Unavailable("search is not running in this process".into()))
    }

    /// Resolves the names a query uses into ids, with the statuses and groups.
    async fn search_directory(&self, actor: &Actor, q: &str) -> AppResult<Directory> {
        let node = parse(q).map_err(SearchError::from)?;
        let config = self.config_snapshot().await?;
        let repos = self.store.read();
        let mut users = HashMap::new();
        for email in emails(&node) {
            if let Some(u) = repos.user_by_email(&email).await? {
                users.insert(email, u.id as u64);
            }
        }
        let organizations = if mentions(&node, FilterKey::Org) {
            repos
                .list_organizations()
                .await?
                .into_iter()
                .map(|o| {
                    let domains = triage_store::repo::json_strings(&o.domains);
                    (o.id as u64, o.name, domains)
                })
                .collect()
        } else {
            Vec::new()
        };
        Ok(Directory {
            me: actor.user_id as u64,
            now: crate::now_millis(),
            statuses: config
                .statuses
                .iter()
                .map(|s| NamedStatus {
                    id: s.id as u64,
                    name: s.name.clone(),
                    category: s.category.clone(),
                })
                .collect(),
            groups: config
                .groups
                .iter()
                .map(|g| (g.id as u64, g.name.clone()))
                .collect(),
            organizations,
            users,
        })
    }

    /// Searches the tickets the actor may see.
    pub async fn search(&self, actor: &Actor, params: SearchParams) -> AppResult<SearchPage> {
        let index = self.search_index()?;
        let sort = match params.sort.as_deref() {
            None => Sort::Relevance,
            Some(s) => Sort::parse(s).ok_or_else(|| {
                AppError::invalid(
                    "sort",
                    "sort by relevance, created, -created, updated or -updated",
                )
            })?,
        };
        let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
        if limit == 0 || limit > MAX_LIMIT {
            return Err(AppError::invalid(
                "limit",
                format!("limit must be between 1 and {MAX_LIMIT}"),
            ));
        }
        let directory = self.search_directory(actor, &params.q).await?;
        let reader = reader(actor);
        let results = tokio::task::spawn_blocking(move || {
            index.search(&SearchRequest {
                query: &params.q,
                reader: &reader,
                directory: &directory,
                sort,
                cursor: params.cursor.as_deref(),
                limit,
                facets: params.facets,
            })
        })
        .await
        .map_err(|e| AppError::Internal(format!("search task: {e}")))??;
        self.name_results(results).await
    }

    async fn name_results(&self, results: SearchResults) -> AppResult<SearchPage> {
        let config = self.config_snapshot().await?;
        let mut ids: HashSet<i64> = HashSet::new();
        for h in &results.hits {
            ids.insert(h.requester_id as i64);
            if let Some(a) = h.assignee_id {
                ids.insert(a as i64);
            }
        }
        if let Some(f) = &results.facets {
            ids.extend(
                f.assignee
                    .iter()
                    .filter(|(a, _)| *a != 0)
                    .map(|(a, _)| *a as i64),
            );
        }
        let ids: Vec<i64> = ids.into_iter().collect();
        let people = self
            .store
            .read()
            .users_by_ids(&ids)
            .await?
            .into_iter()
            .map(|u| {
                (
                    u.id as u64,
                    PersonName {
                        name: u.name,
                        email: u.email,
                    },
                )
            })
            .collect();
        let hits: Vec<i64> = results.hits.iter().map(|h| h.id as i64).collect();
        let slas = self.ticket_slas(&hits).await?;
        Ok(SearchPage {
            results,
            slas,
            statuses: config
                .statuses
                .iter()
                .map(|s| (s.id as u64, s.clone()))
                .collect(),
            groups: config
                .groups
                .iter()
                .map(|g| (g.id as u64, g.clone()))
                .collect(),
            people,
        })
    }

    /// The solved tickets most like ticket `id`, among those the actor may see.
    pub async fn similar_tickets(
        &self,
        actor: &Actor,
        id: i64,
        limit: Option<usize>,
    ) -> AppResult<SearchPage> {
        let limit = limit.unwrap_or(5);
        if limit == 0 || limit > 50 {
            return Err(AppError::invalid("limit", "limit must be between 1 and 50"));
        }
        crate::tickets::load_visible(&self.store.read(), actor, id).await?;
        let index = self.search_index()?;
        let directory = self.search_directory(actor, "").await?;
        let reader = reader(actor);
        let hits = tokio::task::spawn_blocking(move || {
            index.similar(id as u64, &reader, &directory, limit)
        })
        .await
        .map_err(|e| AppError::Internal(format!("search task: {e}")))??;
        self.name_results(SearchResults {
            total: hits.len() as u64,
            hits,
            facets: None,
            next_cursor: None,
        })
        .await
    }
}
