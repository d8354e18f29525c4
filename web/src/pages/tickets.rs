//! Ticket lists: the views of the left rail and the search page (one list, two ways in),
//! bulk actions on the selected tickets, and saving a search as a view.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use triage_app::AppError;
use triage_app::search::{SearchPage, SearchParams};
use triage_app::tickets::TicketChanges;
use triage_app::views::ViewInput;
use triage_app::{Ctx, now_millis};

use super::render;
use crate::Web;
use crate::error::{WebError, WebResult, describe};
use crate::forms::FormData;
use crate::session::Staff;
use crate::view::{Layout, ListRow, RailItem, ViewDef, list_rows, query_string, rail, views};

/// The sorts a list offers, as (value, label).
const SORTS: &[(&str, &str)] = &[
    ("relevance", "Best match"),
    ("-updated", "Recently updated"),
    ("updated", "Least recently updated"),
    ("-created", "Newest"),
    ("created", "Oldest"),
];

#[derive(Debug, Deserialize, Default)]
pub(crate) struct ListQuery {
    view: Option<String>,
    q: Option<String>,
    sort: Option<String>,
    cursor: Option<String>,
    fragment: Option<String>,
    done: Option<String>,
}

/// A facet value as a link that adds its filter to the query.
#[derive(Debug, Clone)]
pub(crate) struct FacetLink {
    pub label: String,
    pub count: u64,
    pub href: String,
    /// The filter it adds (`status:open`), for the script to put in the search box.
    pub filter: String,
    pub active: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct FacetGroup {
    pub name: &'static str,
    pub links: Vec<FacetLink>,
}

/// The part of a list page that changes as the query does.
#[derive(Debug)]
pub(crate) struct Results {
    pub rows: Vec<ListRow>,
    pub total: u64,
    pub facets: Vec<FacetGroup>,
    pub next_href: String,
    /// The query's error, with where it is.
    pub error: String,
    /// The address of this list, to come back to after a bulk action.
    pub back: String,
    /// Sort links of the sortable columns.
    pub sort_number_href: String,
    pub sort_updated_href: String,
    pub sort: String,
    pub elapsed_ms: String,
}

#[derive(Template)]
#[template(path = "tickets.html")]
struct ListPage {
    layout: Layout,
    heading: String,
    /// Whether this is the search page (query box, save as view) or a view.
    search_mode: bool,
    results: Results,
    q: String,
    sort: String,
    sorts: Vec<(&'static str, &'static str, bool)>,
    view_key: String,
    /// A saved view of one's own (or, for admins, a shared one) can be deleted here.
    deletable_view: Option<i64>,
    agents: Vec<(i64, String)>,
    groups: Vec<(i64, String)>,
    statuses: Vec<String>,
}

#[derive(Template)]
#[template(path = "results.html")]
struct ResultsFragment {
    results: Results,
}

#[derive(Template)]
#[template(path = "rail.html")]
struct RailFragment {
    rail: Vec<RailItem>,
}

fn quote(value: &str) -> String {
    if value
        .chars()
        .all(|c| c.is_alphanumeric() || "-_.@".contains(c))
    {
        value.to_string()
    } else {
        format!("\"{}\"", value.replace('"', ""))
    }
}

fn facets(page: &SearchPage, q: &str, sort: &str) -> Vec<FacetGroup> {
    let Some(f) = &page.results.facets else {
        return Vec::new();
    };
    let lower = q.to_lowercase();
    let link = |label: String, count: u64, filter: String| {
        let active = lower.split_whitespace().any(|w| w == filter.to_lowercase());
        let refined = if active {
            q.to_string()
        } else if q.trim().is_empty() {
            filter.clone()
        } else {
            format!("{} {filter}", q.trim())
        };
        FacetLink {
            href: format!(
                "/search?{}",
                query_string(&[("q", &refined), ("sort", sort)])
            ),
            label,
            count,
            filter,
            active,
        }
    };
    let mut out = Vec::new();
    out.push(FacetGroup {
        name: "Status",
        links: f
            .status
            .iter()
            .filter_map(|(id, n)| {
                page.statuses
                    .get(id)
                    .map(|s| link(s.name.clone(), *n, format!("status:{}", quote(&s.name))))
            })
            .collect(),
    });
    out.push(FacetGroup {
        name: "Priority",
        links: f
            .priority
            .iter()
            .map(|(p, n)| link(p.clone(), *n, format!("priority:{p}")))
            .collect(),
    });
    out.push(FacetGroup {
        name: "Group",
        links: f
            .group
            .iter()
            .map(|(id, n)| {
                let name = page
                    .groups
                    .get(id)
                    .map(|g| g.name.clone())
                    .unwrap_or_else(|| "No group".into());
                let filter = if *id == 0 {
                    "group:none".to_string()
                } else {
                    format!("group:{id}")
                };
                link(name, *n, filter)
            })
            .collect(),
    });
    out.push(FacetGroup {
        name: "Assignee",
        links: f
            .assignee
            .iter()
            .filter_map(|(id, n)| {
                if *id == 0 {
                    Some(link("Unassigned".into(), *n, "assignee:none".into()))
                } else {
                    page.people
                        .get(id)
                        .map(|p| link(p.name.clone(), *n, format!("assignee:{}", quote(&p.email))))
                }
            })
            .collect(),
    });
    out.push(FacetGroup {
        name: "Tags",
        links: f
            .tag
            .iter()
            .take(20)
            .map(|(t, n)| link(t.clone(), *n, format!("tag:{}", quote(t))))
            .collect(),
    });
    out.retain(|g| !g.links.is_empty());
    out
}

/// Runs a list's query; a query that cannot be read becomes a message on the page.
async fn results(
    web: &Web,
    staff: &Staff,
    q: &str,
    sort: &str,
    cursor: Option<String>,
    base: &[(&str, &str)],
    search_mode: bool,
) -> WebResult<Results> {
    let started = std::time::Instant::now();
    let with = |extra: &[(&str, &str)]| {
        let mut pairs: Vec<(&str, &str)> = base.to_vec();
        pairs.extend_from_slice(extra);
        let path = if search_mode { "/search" } else { "/tickets" };
        format!("{path}?{}", query_string(&pairs))
    };
    let flip = |field: &str| {
        if sort == format!("-{field}") {
            field.to_string()
        } else {
            format!("-{field}")
        }
    };
    let sort_number = flip("created");
    let sort_updated = flip("updated");
    let mut out = Results {
        rows: Vec::new(),
        total: 0,
        facets: Vec::new(),
        next_href: String::new(),
        error: String::new(),
        back: with(&[("sort", sort)]),
        sort_number_href: with(&[("sort", &sort_number)]),
        sort_updated_href: with(&[("sort", &sort_updated)]),
        sort: sort.to_string(),
        elapsed_ms: String::new(),
    };
    let params = SearchParams {
        q: q.to_string(),
        sort: Some(sort.to_string()),
        cursor,
        limit: Some(50),
        facets: true,
    };
    match web.app.search(staff.0.actor(), params).await {
        Ok(page) => {
            out.rows = list_rows(&page, now_millis());
            out.total = page.results.total;
            out.facets = facets(&page, q, sort);
            if let Some(next) = &page.results.next_cursor {
                out.next_href = with(&[("sort", sort), ("cursor", next)]);
            }
        }
        Err(e @ (AppError::InvalidQuery { .. } | AppError::Domain(_))) => {
            out.error = describe(&e).1;
        }
        Err(e) => return Err(e.into()),
    }
    out.elapsed_ms = format!("{:.0}", started.elapsed().as_secs_f64() * 1000.0);
    Ok(out)
}

pub(crate) async fn pickers(web: &Web, staff: &Staff) -> WebResult<PickerData> {
    let actor = staff.0.actor();
    let mut agents = Vec::new();
    for role in ["agent", "admin"] {
        for u in web.app.list_users(actor, Some(role), 0, 1000).await? {
            if u.active {
                agents.push((u.id, u.name));
            }
        }
    }
    agents.sort_by(|a, b| a.1.cmp(&b.1));
    let groups = web
        .app
        .list_groups(actor)
        .await?
        .into_iter()
        .map(|g| (g.id, g.name))
        .collect();
    let statuses = web
        .app
        .list_statuses()
        .await?
        .into_iter()
        .filter(|s| s.active)
        .map(|s| s.name)
        .collect();
    Ok(PickerData {
        agents,
        groups,
        statuses,
    })
}

/// The choices of the field pickers.
pub(crate) struct PickerData {
    pub agents: Vec<(i64, String)>,
    pub groups: Vec<(i64, String)>,
    pub statuses: Vec<String>,
}

#[allow(clippy::too_many_arguments)]
async fn list_page(
    web: &Web,
    staff: Staff,
    query: ListQuery,
    search_mode: bool,
    def: Option<ViewDef>,
    defs: Vec<ViewDef>,
) -> WebResult<Response> {
    let (q, default_sort, heading, key) = match &def {
        Some(d) => (
            d.query.clone(),
            d.sort.clone(),
            d.name.clone(),
            d.key.clone(),
        ),
        None => (
            query.q.clone().unwrap_or_default(),
            if query.q.as_deref().unwrap_or("").trim().is_empty() {
                "-updated".to_string()
            } else {
                "relevance".to_string()
            },
            "Search".to_string(),
            String::new(),
        ),
    };
    let sort = query
        .sort
        .clone()
        .filter(|s| !s.is_empty())
        .unwrap_or(default_sort);
    let base: Vec<(&str, &str)> = if search_mode {
        vec![("q", q.as_str())]
    } else {
        vec![("view", key.as_str())]
    };
    let results = results(
        web,
        &staff,
        &q,
        &sort,
        query.cursor.clone(),
        &base,
        search_mode,
    )
    .await?;
    if query.fragment.as_deref() == Some("results") {
        return render(ResultsFragment { results });
    }
    let mut layout = Layout::new(
        Some(&staff.0),
        heading.clone(),
        if search_mode { "search" } else { "tickets" },
    )
    .with_notice(query.done.as_deref());
    layout.rail = rail(&web.app, &staff.0, &defs, &key).await?;
    layout.query = q.clone();
    let deletable_view = def
        .as_ref()
        .and_then(|d| d.saved.filter(|_| !d.shared || staff.0.is_admin()));
    let pickers = pickers(web, &staff).await?;
    render(ListPage {
        layout,
        heading,
        search_mode,
        results,
        sorts: SORTS
            .iter()
            .map(|(v, l)| (*v, *l, *v == sort.as_str()))
            .collect(),
        q,
        sort,
        view_key: key,
        deletable_view,
        agents: pickers.agents,
        groups: pickers.groups,
        statuses: pickers.statuses,
    })
}

/// `/tickets?view=…`: a view of the left rail.
pub(crate) async fn list(
    State(web): State<Web>,
    staff: Staff,
    Query(query): Query<ListQuery>,
) -> WebResult<Response> {
    let defs = views(&web.app, &staff.0).await?;
    let key = query.view.clone().unwrap_or_else(|| "mine".into());
    let def = defs
        .iter()
        .find(|d| d.key == key)
        .cloned()
        .ok_or_else(|| AppError::NotFound(format!("view {key}")))?;
    list_page(&web, staff, query, false, Some(def), defs).await
}

/// `/search?q=…`: the search page.
pub(crate) async fn search(
    State(web): State<Web>,
    staff: Staff,
    Query(query): Query<ListQuery>,
) -> WebResult<Response> {
    let defs = views(&web.app, &staff.0).await?;
    list_page(&web, staff, query, true, None, defs).await
}

/// `/rail?view=…`: the left rail alone, for live counts.
pub(crate) async fn rail_fragment(
    State(web): State<Web>,
    staff: Staff,
    Query(query): Query<ListQuery>,
) -> WebResult<Response> {
    let defs = views(&web.app, &staff.0).await?;
    let active = query.view.unwrap_or_default();
    render(RailFragment {
        rail: rail(&web.app, &staff.0, &defs, &active).await?,
    })
}

/// Applies one action to the selected tickets.
pub(crate) async fn bulk(
    State(web): State<Web>,
    staff: Staff,
    form: FormData,
) -> WebResult<Response> {
    staff.0.check_csrf(form.csrf())?;
    let ids = form.ids("ids")?;
    if ids.is_empty() {
        return Err(WebError::BadRequest("select at least one ticket".into()));
    }
    let ctx = Ctx::api(staff.0.actor().clone());
    let back = match form.get("back") {
        b if b.starts_with('/') && !b.starts_with("//") => b.to_string(),
        _ => "/tickets".to_string(),
    };
    let mut failures = Vec::new();
    match form.get("action") {
        "merge" => {
            let target = form.required_id("merge_into", "give the ticket number to merge into")?;
            for id in ids.into_iter().filter(|id| *id != target) {
                if let Err(e) = web.app.merge_tickets(&ctx, id, target).await {
                    failures.push(format!("#{id}: {}", describe(&e).1));
                }
            }
        }
        action => {
            let mut changes = TicketChanges::default();
            match action {
                "assign" => {
                    changes.assignee_id = Some(match form.get("assignee") {
                        "" | "none" => None,
                        "me" => Some(staff.0.actor().user_id),
                        _ => form.id("assignee")?,
                    })
                }
                "group" => changes.group_id = Some(form.id("group")?),
                "status" => changes.status = form.opt("status"),
                "priority" => changes.priority = form.opt("priority"),
                "tag" => {
                    changes.add_tags = form
                        .get("tag")
                        .split([',', ' '])
                        .filter(|t| !t.is_empty())
                        .map(str::to_string)
                        .collect()
                }
                other => {
                    return Err(WebError::BadRequest(format!("unknown action {other:?}")));
                }
            }
            if changes.is_empty() {
                return Err(WebError::BadRequest("choose what to change".into()));
            }
            for outcome in web.app.bulk_update(&ctx, ids, changes).await? {
                if let Err(e) = outcome.result {
                    failures.push(format!("#{}: {}", outcome.ticket_id, describe(&e).1));
                }
            }
        }
    }
    if !failures.is_empty() {
        return Err(WebError::BadRequest(format!(
            "Some tickets were not changed: {}",
            failures.join("; ")
        )));
    }
    let sep = if back.contains('?') { '&' } else { '?' };
    Ok(Redirect::to(&format!("{back}{sep}done=bulk")).into_response())
}

/// Saves the search as a view.
pub(crate) async fn save_view(
    State(web): State<Web>,
    staff: Staff,
    form: FormData,
) -> WebResult<Response> {
    staff.0.check_csrf(form.csrf())?;
    let view = web
        .app
        .create_view(
            staff.0.actor(),
            ViewInput {
                name: form.get("name").to_string(),
                query: form.get("q").to_string(),
                sort: form.get("sort").to_string(),
                shared: form.flag("shared"),
                position: 0,
            },
        )
        .await?;
    Ok(Redirect::to(&format!("/tickets?view=v{}&done=view", view.id)).into_response())
}

/// Deletes a saved view.
pub(crate) async fn delete_view(
    State(web): State<Web>,
    staff: Staff,
    Path(id): Path<i64>,
    form: FormData,
) -> WebResult<Response> {
    staff.0.check_csrf(form.csrf())?;
    web.app.delete_view(staff.0.actor(), id).await?;
    Ok(Redirect::to("/tickets?done=deleted").into_response())
}
