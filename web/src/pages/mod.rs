//! The pages and the forms they send, one module per area.

mod admin;
mod auth;
mod files;
mod live;
mod notifications;
mod portal;
mod ticket;
mod tickets;

use askama::Template;
use axum::Router;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use triage_app::AppError;

use crate::Web;
use crate::assets;
use crate::error::WebResult;

/// Renders a template as a page.
pub(crate) fn render<T: Template>(template: T) -> WebResult<Response> {
    let html = template
        .render()
        .map_err(|e| AppError::Internal(format!("template: {e}")))?;
    Ok(Html(html).into_response())
}

/// Every route of the web UI.
pub(crate) fn routes() -> Router<Web> {
    Router::new()
        .route("/", get(auth::home))
        .route("/sign-in", get(auth::sign_in_form).post(auth::sign_in))
        .route("/sign-out", post(auth::sign_out))
        .route("/assets/{hash}/{name}", get(assets::serve))
        .route("/tickets", get(tickets::list))
        .route("/tickets/bulk", post(tickets::bulk))
        .route("/tickets/new", get(ticket::new_form).post(ticket::create))
        .route("/rail", get(tickets::rail_fragment))
        .route("/search", get(tickets::search))
        .route("/views", post(tickets::save_view))
        .route("/views/{id}/delete", post(tickets::delete_view))
        .route("/tickets/{id}", get(ticket::show).post(ticket::update))
        .route("/tickets/{id}/reply", post(ticket::reply))
        .route("/tickets/{id}/merge", post(ticket::merge))
        .route("/tickets/{id}/links", post(ticket::link))
        .route("/tickets/{id}/typing", post(ticket::typing))
        .route(
            "/tickets/{id}/macros/{macro_id}",
            get(ticket::macro_preview),
        )
        .route("/attachments/{id}", get(files::download))
        .route("/live", get(live::stream))
        .route("/notifications", get(notifications::page))
        .route("/notifications/count", get(notifications::count))
        .route("/notifications/read", post(notifications::read))
        .route(
            "/notifications/preferences",
            post(notifications::preferences),
        )
        .route("/portal", get(portal::list))
        .route("/portal/new", get(portal::new_form).post(portal::create))
        .route("/portal/tickets/{id}", get(portal::show))
        .route("/portal/tickets/{id}/reply", post(portal::reply))
        .route("/portal/tickets/{id}/rate", post(portal::rate))
        .route(
            "/rate/{token}",
            get(portal::rate_link_form).post(portal::rate_link),
        )
        .route("/admin", get(admin::home))
        // These win over `/admin/{section}/{id}`; a rule's page, saving and deleting it go
        // through the section routes like every admin section.
        .route(
            "/admin/plugins",
            get(admin::plugins::list).post(admin::plugins::install),
        )
        .route(
            "/admin/plugins/{id}",
            get(admin::plugins::show).post(admin::plugins::save),
        )
        .route(
            "/admin/plugins/{id}/rollback",
            post(admin::plugins::rollback),
        )
        .route(
            "/admin/plugins/{id}/uninstall",
            post(admin::plugins::uninstall),
        )
        .route("/admin/rules/new", get(admin::rules::new_form))
        .route("/admin/rules/dry-run", post(admin::rules::dry_run_new))
        .route("/admin/rules/{id}/dry-run", post(admin::rules::dry_run))
        .route("/admin/{section}", get(admin::list).post(admin::create))
        .route(
            "/admin/{section}/{id}",
            get(admin::edit).post(admin::update),
        )
        .route("/admin/{section}/{id}/delete", post(admin::delete))
}
