//! What every page shows around its content, and the small formatting helpers pages share.

use chrono::{DateTime, Utc};
use triage_app::App;
use triage_app::search::{SearchPage, SearchParams};

use crate::assets;
use crate::error::WebResult;
use crate::session::Signed;

/// The page frame: title, who is signed in, the left rail, the search box.
#[derive(Debug)]
pub(crate) struct Layout {
    pub title: String,
    pub user_name: String,
    pub staff: bool,
    pub admin: bool,
    pub csrf: String,
    /// `tickets`, `search`, `admin` or `portal`: which top link is current.
    pub section: &'static str,
    pub css: &'static str,
    pub js: &'static str,
    pub icon: &'static str,
    /// The views in the left rail; empty where there is no rail.
    pub rail: Vec<RailItem>,
    /// The search box's text.
    pub query: String,
    /// A message about what just happened (`?done=`), shown once.
    pub notice: String,
}

impl Layout {
    pub fn new(signed: Option<&Signed>, title: impl Into<String>, section: &'static str) -> Layout {
        let urls = assets::urls();
        Layout {
            title: title.into(),
            user_name: signed.map(|s| s.auth.user.name.clone()).unwrap_or_default(),
            staff: signed.is_some_and(Signed::is_staff),
            admin: signed.is_some_and(Signed::is_admin),
            csrf: signed.map(|s| s.csrf().to_string()).unwrap_or_default(),
            section,
            css: &urls.css,
            js: &urls.js,
            icon: &urls.icon,
            rail: Vec::new(),
            query: String::new(),
            notice: String::new(),
        }
    }

    pub fn with_notice(mut self, notice: Option<&str>) -> Layout {
        self.notice = notice.map(notice_text).unwrap_or_default().to_string();
        self
    }
}

/// The fixed messages `?done=` may ask for (never text from the address itself).
fn notice_text(code: &str) -> &'static str {
    match code {
        "sent" => "Reply sent.",
        "noted" => "Note added.",
        "saved" => "Saved.",
        "created" => "Created.",
        "deleted" => "Deleted.",
        "merged" => "Merged.",
        "linked" => "Linked.",
        "bulk" => "The selected tickets were updated.",
        "rated" => "Thank you for your rating.",
        "view" => "View saved.",
        "revoked" => "Token revoked.",
        _ => "",
    }
}

/// One view in the left rail.
#[derive(Debug, Clone)]
pub(crate) struct RailItem {
    pub key: String,
    pub name: String,
    pub href: String,
    pub count: u64,
    pub active: bool,
}

/// A built-in or saved view: a query in the search language.
#[derive(Debug, Clone)]
pub(crate) struct ViewDef {
    pub key: String,
    pub name: String,
    pub query: String,
    pub sort: String,
    /// A saved view's id.
    pub saved: Option<i64>,
    pub shared: bool,
}

const UNSOLVED: &str = "-category:solved -category:closed";

/// The built-in views of an agent, then the shared views, then their own.
pub(crate) async fn views(app: &App, signed: &Signed) -> WebResult<Vec<ViewDef>> {
    let actor = signed.actor();
    let groups = if actor.group_ids.is_empty() {
        String::new()
    } else {
        let any: Vec<String> = actor
            .group_ids
            .iter()
            .map(|g| format!("group:{g}"))
            .collect();
        format!(" ({})", any.join(" OR "))
    };
    let builtin = |key: &str, name: &str, query: String| ViewDef {
        key: key.to_string(),
        name: name.to_string(),
        query,
        sort: "-updated".into(),
        saved: None,
        shared: true,
    };
    let mut out = vec![
        builtin("mine", "My open tickets", format!("assignee:me {UNSOLVED}")),
        builtin(
            "unassigned",
            "Unassigned in my groups",
            format!("assignee:none {UNSOLVED}{groups}"),
        ),
        builtin("open", "All open", UNSOLVED.to_string()),
        builtin("pending", "Pending", "category:pending".into()),
        builtin(
            "solved",
            "Recently solved",
            "category:solved solved:<7d".into(),
        ),
    ];
    for v in app.list_views(actor).await? {
        out.push(ViewDef {
            key: format!("v{}", v.id),
            name: v.name,
            query: v.query,
            sort: v.sort,
            saved: Some(v.id),
            shared: v.owner_id.is_none(),
        });
    }
    Ok(out)
}

/// The rail with live counts, `active` marking the current view.
pub(crate) async fn rail(
    app: &App,
    signed: &Signed,
    defs: &[ViewDef],
    active: &str,
) -> WebResult<Vec<RailItem>> {
    let mut out = Vec::with_capacity(defs.len());
    for def in defs {
        let count = match app
            .search(
                signed.actor(),
                SearchParams {
                    q: def.query.clone(),
                    limit: Some(1),
                    ..SearchParams::default()
                },
            )
            .await
        {
            Ok(page) => page.results.total,
            // A saved view whose query no longer reads (a renamed group …) shows 0.
            Err(triage_app::AppError::InvalidQuery { .. }) => 0,
            Err(e) => return Err(e.into()),
        };
        out.push(RailItem {
            key: def.key.clone(),
            name: def.name.clone(),
            href: format!("/tickets?view={}", def.key),
            count,
            active: def.key == active,
        });
    }
    Ok(out)
}

/// A time as `2025-03-14 09:30 UTC`.
pub(crate) fn datetime(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

/// A time as an age: `just now`, `5 min ago`, `3 h ago`, `2 d ago`, or the date.
pub(crate) fn ago(ms: i64, now: i64) -> String {
    let secs = (now - ms).max(0) / 1000;
    match secs {
        0..=59 => "just now".into(),
        60..=3599 => format!("{} min ago", secs / 60),
        3600..=86_399 => format!("{} h ago", secs / 3600),
        86_400..=2_591_999 => format!("{} d ago", secs / 86_400),
        _ => DateTime::<Utc>::from_timestamp_millis(ms)
            .map(|t| t.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
    }
}

/// A due time relative to now: `in 40 min`, `in 3 h`, `in 2 d`, or `40 min overdue`.
pub(crate) fn due_in(ms: i64, now: i64) -> String {
    let span = |secs: i64| match secs {
        0..=59 => "under a minute".to_string(),
        60..=3599 => format!("{} min", secs / 60),
        3600..=86_399 => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
        _ => format!("{} d {} h", secs / 86_400, secs % 86_400 / 3600),
    };
    if ms >= now {
        format!("in {}", span((ms - now) / 1000))
    } else {
        format!("{} overdue", span((now - ms) / 1000))
    }
}

/// How an SLA state reads.
pub(crate) fn sla_label(state: &str) -> &'static str {
    match state {
        "breached" => "Breached",
        "warning" => "Due soon",
        "met" => "Met",
        _ => "On track",
    }
}

/// One ticket in a list.
#[derive(Debug, Clone)]
pub(crate) struct ListRow {
    pub id: u64,
    /// HTML-escaped, matches in `<mark>`.
    pub subject_html: String,
    pub requester: String,
    pub status: String,
    pub category: String,
    pub priority: String,
    pub assignee: String,
    pub group: String,
    pub updated: String,
    pub updated_title: String,
    pub tags: Vec<String>,
    /// How it came in, when not through the web UI or the API (`email`, a channel
    /// plugin's id); empty otherwise.
    pub channel: String,
    /// HTML-escaped snippets with matches in `<mark>`, and whether each is a note.
    pub snippets: Vec<(String, bool)>,
    /// The SLA state (empty without one), its label, and when it is next due.
    pub sla_state: String,
    pub sla_label: &'static str,
    pub sla_due: String,
    pub sla_due_title: String,
}

/// The name of a status of a search page.
pub(crate) fn status_name(page: &SearchPage, id: u64) -> String {
    page.statuses
        .get(&id)
        .map(|s| s.name.clone())
        .unwrap_or_default()
}

/// The rows of a search page.
pub(crate) fn list_rows(page: &SearchPage, now: i64) -> Vec<ListRow> {
    page.results
        .hits
        .iter()
        .map(|h| ListRow {
            id: h.id,
            subject_html: h.subject_html.clone(),
            requester: page
                .people
                .get(&h.requester_id)
                .map(|p| p.name.clone())
                .unwrap_or_default(),
            status: status_name(page, h.status_id),
            category: h.category.clone(),
            priority: h.priority.clone(),
            assignee: h
                .assignee_id
                .and_then(|a| page.people.get(&a))
                .map(|p| p.name.clone())
                .unwrap_or_default(),
            group: h
                .group_id
                .and_then(|g| page.groups.get(&g))
                .map(|g| g.name.clone())
                .unwrap_or_default(),
            updated: ago(h.updated_at, now),
            updated_title: datetime(h.updated_at),
            tags: h.tags.clone(),
            channel: match h.channel.as_str() {
                "web" | "api" | "portal" => String::new(),
                other => other.to_string(),
            },
            snippets: h
                .snippets
                .iter()
                .map(|s| (s.html.clone(), !s.public))
                .collect(),
            sla_state: page
                .slas
                .get(&(h.id as i64))
                .map(|s| s.state.clone())
                .unwrap_or_default(),
            sla_label: page
                .slas
                .get(&(h.id as i64))
                .map_or("", |s| sla_label(&s.state)),
            sla_due: page
                .slas
                .get(&(h.id as i64))
                .and_then(|s| s.due_at)
                .map(|d| due_in(d, now))
                .unwrap_or_default(),
            sla_due_title: page
                .slas
                .get(&(h.id as i64))
                .and_then(|s| s.due_at)
                .map(datetime)
                .unwrap_or_default(),
        })
        .collect()
}

/// A URL query string from pairs, skipping empty values.
pub(crate) fn query_string(pairs: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        if !v.is_empty() {
            s.append_pair(k, v);
        }
    }
    s.finish()
}
