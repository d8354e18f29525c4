//! The notification bell's page: an agent's notifications, newest first, marking them
//! read, and which kinds they get.

use askama::Template;
use axum::Json;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;
use triage_app::notify::KINDS;
use triage_app::now_millis;

use super::render;
use crate::Web;
use crate::error::WebResult;
use crate::forms::FormData;
use crate::session::Staff;
use crate::view::{Layout, ago, datetime};

#[derive(Debug, Deserialize, Default)]
pub(crate) struct NoticeQuery {
    done: Option<String>,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    layout: Layout,
    /// (ticket, text, when, exact time, unread)
    items: Vec<(Option<i64>, String, String, String, bool)>,
    newest: i64,
    unread: usize,
    /// (kind, label, on)
    kinds: Vec<(&'static str, &'static str, bool)>,
}

fn label(kind: &str) -> &'static str {
    match kind {
        "assigned" => "A ticket is assigned to me",
        "customer_replied" => "A customer replies on my ticket",
        "mentioned" => "Someone mentions me in a note (@name)",
        _ => "An SLA target on my ticket is about to be missed",
    }
}

/// The agent's notifications.
pub(crate) async fn page(
    State(web): State<Web>,
    staff: Staff,
    Query(q): Query<NoticeQuery>,
) -> WebResult<Response> {
    let actor = staff.0.actor();
    let now = now_millis();
    let rows = web.app.notifications(actor, false, 100).await?;
    let prefs = web.app.notification_preferences(actor).await?;
    let page = NotificationsPage {
        layout: Layout::new(Some(&staff.0), "Notifications", "notifications")
            .with_notice(q.done.as_deref()),
        newest: rows.first().map_or(0, |n| n.id),
        unread: rows.iter().filter(|n| n.read_at.is_none()).count(),
        items: rows
            .into_iter()
            .map(|n| {
                (
                    n.ticket_id,
                    n.text,
                    ago(n.created_at, now),
                    datetime(n.created_at),
                    n.read_at.is_none(),
                )
            })
            .collect(),
        kinds: KINDS
            .iter()
            .map(|k| (*k, label(k), prefs.get(*k).copied().unwrap_or(true)))
            .collect(),
    };
    render(page)
}

/// The bell's count, for the script.
pub(crate) async fn count(State(web): State<Web>, staff: Staff) -> WebResult<Response> {
    let unread = web.app.unread_notifications(staff.0.actor()).await?;
    Ok(Json(json!({"unread": unread})).into_response())
}

/// Marks everything shown read.
pub(crate) async fn read(
    State(web): State<Web>,
    staff: Staff,
    form: FormData,
) -> WebResult<Response> {
    staff.0.check_csrf(form.csrf())?;
    let up_to = form.get("up_to").parse().unwrap_or(0);
    web.app
        .mark_notifications_read(staff.0.actor(), up_to)
        .await?;
    Ok(Redirect::to("/notifications?done=saved").into_response())
}

/// Saves which kinds the agent gets.
pub(crate) async fn preferences(
    State(web): State<Web>,
    staff: Staff,
    form: FormData,
) -> WebResult<Response> {
    staff.0.check_csrf(form.csrf())?;
    let chosen = KINDS
        .iter()
        .map(|k| (k.to_string(), form.flag(k)))
        .collect();
    web.app
        .set_notification_preferences(staff.0.actor(), chosen)
        .await?;
    Ok(Redirect::to("/notifications?done=saved").into_response())
}
