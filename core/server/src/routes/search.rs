//! `/api/v1/search` and `/api/v1/tickets/{id}/similar`: full-text search with the query
//! language of `docs/search.md`.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use triage_app::search::{SearchPage, SearchParams};
use utoipa::{IntoParams, ToSchema};

use super::tickets::StatusRef;
use super::{opt_time, time};
use crate::error::ApiResult;
use crate::extract::{Auth, Path, Query};
use crate::state::AppState;

/// A search.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// The query: words, "phrases", OR, -exclusions, (groups), filters such as
    /// `status:open assignee:me created:>2025-01-01`, `#1234`. Empty matches every ticket.
    #[serde(default)]
    pub q: String,
    /// relevance (default), created, -created, updated or -updated (- is newest first).
    pub sort: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 100, default 25.
    pub limit: Option<usize>,
    /// Also count status, priority, group, assignee and tag over all matches.
    #[serde(default)]
    pub facets: bool,
}

/// A person a result refers to.
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonRef {
    pub id: i64,
    pub name: String,
    /// Shown to agents and admins only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// A group a result refers to.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupRef {
    pub id: i64,
    pub name: String,
}

/// A ticket as search results show it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketSummary {
    pub id: i64,
    pub subject: String,
    pub status: StatusRef,
    pub priority: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub requester: PersonRef,
    pub assignee: Option<PersonRef>,
    pub group: Option<GroupRef>,
    pub organization_id: Option<i64>,
    pub channel: String,
    /// The detected language (ISO 639-1), if any.
    pub language: Option<String>,
    pub tags: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
    pub solved_at: Option<String>,
}

/// Where a message matched.
#[derive(Debug, Serialize, ToSchema)]
pub struct SnippetOut {
    pub message_id: i64,
    /// A public reply, or an internal note (agents only).
    pub public: bool,
    /// HTML-escaped text; matches are wrapped in `<mark>`, nothing else is markup.
    pub html: String,
}

/// One ticket found.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchHitOut {
    pub ticket: TicketSummary,
    /// The relevance score (higher is better).
    pub score: f32,
    /// The subject, HTML-escaped, with matches in `<mark>`.
    pub subject_html: String,
    pub snippets: Vec<SnippetOut>,
}

/// A facet value and how many matching tickets have it.
#[derive(Debug, Serialize, ToSchema)]
pub struct FacetValue {
    /// The value to filter on (`status:…`, `priority:…`, `group:…`, `assignee:…`, `tag:…`).
    pub value: String,
    /// For statuses, groups and assignees, the id (0 for none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// For display.
    pub label: String,
    pub count: u64,
}

/// Counts over the whole result set.
#[derive(Debug, Serialize, ToSchema)]
pub struct FacetsOut {
    pub status: Vec<FacetValue>,
    pub priority: Vec<FacetValue>,
    pub group: Vec<FacetValue>,
    pub assignee: Vec<FacetValue>,
    pub tag: Vec<FacetValue>,
}

/// A page of search results.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResultsOut {
    /// How many tickets match in all.
    pub total: u64,
    pub items: Vec<SearchHitOut>,
    /// Present when asked for with `facets=true`.
    pub facets: Option<FacetsOut>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

fn person(page: &SearchPage, id: u64, staff: bool) -> PersonRef {
    let known = page.people.get(&id);
    PersonRef {
        id: id as i64,
        name: known.map(|p| p.name.clone()).unwrap_or_default(),
        email: known.filter(|_| staff).map(|p| p.email.clone()),
    }
}

fn render(page: SearchPage, staff: bool) -> SearchResultsOut {
    let status = |id: u64| {
        page.statuses
            .get(&id)
            .map(|s| StatusRef {
                id: s.id,
                name: s.name.clone(),
                category: s.category.clone(),
            })
            .unwrap_or(StatusRef {
                id: id as i64,
                name: String::new(),
                category: String::new(),
            })
    };
    let group = |id: u64| {
        page.groups.get(&id).map(|g| GroupRef {
            id: g.id,
            name: g.name.clone(),
        })
    };
    let items = page
        .results
        .hits
        .iter()
        .map(|h| SearchHitOut {
            ticket: TicketSummary {
                id: h.id as i64,
                subject: h.subject.clone(),
                status: status(h.status_id),
                priority: h.priority.clone(),
                kind: h.kind.clone(),
                requester: person(&page, h.requester_id, staff),
                assignee: h.assignee_id.map(|a| person(&page, a, staff)),
                group: h.group_id.and_then(group),
                organization_id: h.organization_id.map(|o| o as i64),
                channel: h.channel.clone(),
                language: h.lang.map(|l| l.code().to_string()),
                tags: h.tags.clone(),
                created_at: time(h.created_at),
                updated_at: time(h.updated_at),
                solved_at: opt_time(h.solved_at),
            },
            score: h.score,
            subject_html: h.subject_html.clone(),
            snippets: h
                .snippets
                .iter()
                .map(|s| SnippetOut {
                    message_id: s.message_id as i64,
                    public: s.public,
                    html: s.html.clone(),
                })
                .collect(),
        })
        .collect();
    let facets = page.results.facets.as_ref().map(|f| FacetsOut {
        status: f
            .status
            .iter()
            .map(|(id, count)| {
                let s = status(*id);
                FacetValue {
                    value: s.name.clone(),
                    id: Some(*id as i64),
                    label: s.name,
                    count: *count,
                }
            })
            .collect(),
        priority: f
            .priority
            .iter()
            .map(|(p, count)| FacetValue {
                value: p.clone(),
                id: None,
                label: p.clone(),
                count: *count,
            })
            .collect(),
        group: f
            .group
            .iter()
            .map(|(id, count)| {
                let name = group(*id).map(|g| g.name).unwrap_or_else(|| "none".into());
                FacetValue {
                    value: if *id == 0 {
                        "none".into()
                    } else {
                        name.clone()
                    },
                    id: Some(*id as i64),
                    label: if *id == 0 { "No group".into() } else { name },
                    count: *count,
                }
            })
            .collect(),
        assignee: f
            .assignee
            .iter()
            .map(|(id, count)| {
                let p = page.people.get(id);
                FacetValue {
                    value: match (id, p) {
                        (0, _) => "none".into(),
                        (_, Some(p)) if staff => p.email.clone(),
                        _ => id.to_string(),
                    },
                    id: Some(*id as i64),
                    label: match (id, p) {
                        (0, _) => "Unassigned".into(),
                        (_, Some(p)) => p.name.clone(),
                        _ => String::new(),
                    },
                    count: *count,
                }
            })
            .collect(),
        tag: f
            .tag
            .iter()
            .map(|(t, count)| FacetValue {
                value: t.clone(),
                id: None,
                label: t.clone(),
                count: *count,
            })
            .collect(),
    });
    SearchResultsOut {
        total: page.results.total,
        items,
        facets,
        next_cursor: page.results.next_cursor.clone(),
    }
}

#[utoipa::path(get, path = "/api/v1/search", tag = "search", params(SearchQuery),
    responses((status = 200, body = SearchResultsOut),
        (status = 400, description = "The query cannot be read: `code` is invalid_query and `column` says where"),
        (status = 401), (status = 422), (status = 503, description = "Search is not running")))]
/// Searches the tickets the caller may see: agents their groups' and their own, customers
/// their own (and their organization's where it shares), never internal notes.
pub async fn search(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Query(p): Query<SearchQuery>,
) -> ApiResult<Json<SearchResultsOut>> {
    let page = state
        .app
        .search(
            &auth.actor,
            SearchParams {
                q: p.q,
                sort: p.sort,
                cursor: p.cursor,
                limit: p.limit,
                facets: p.facets,
            },
        )
        .await?;
    Ok(Json(render(page, auth.actor.is_staff())))
}

/// How many similar tickets to return.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SimilarQuery {
    /// 1 to 50, default 5.
    pub limit: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}/similar", tag = "search",
    params(("id" = i64, Path, description = "Ticket number"), SimilarQuery),
    responses((status = 200, body = SearchResultsOut), (status = 401), (status = 404), (status = 422), (status = 503)))]
/// The solved tickets most like this one (by subject and public messages), among those
/// the caller may see: answers to reuse.
pub async fn similar(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Path(id): Path<i64>,
    Query(p): Query<SimilarQuery>,
) -> ApiResult<Json<SearchResultsOut>> {
    let page = state.app.similar_tickets(&auth.actor, id, p.limit).await?;
    Ok(Json(render(page, auth.actor.is_staff())))
}
