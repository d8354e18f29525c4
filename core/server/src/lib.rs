//! The Triage HTTP API, its configuration and the `triage` command.
//!
//! Handlers are thin: they extract, call one application function and map the result to
//! a response type; every error goes through [`error::ApiError`], the one place that maps
//! errors to HTTP. The router is built by [`router`], which tests call directly.

mod body_limit;
pub mod config;
pub mod error;
pub mod extract;
mod metrics;
mod nul;
pub mod routes;
pub mod state;

use std::future::Future;
use std::net::SocketAddr;

use axum::Router;
use axum::http::{HeaderValue, StatusCode};
use axum::response::IntoResponse;
use tokio::net::TcpListener;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use config::Config;
pub use state::AppState;

use crate::error::ApiError;
use crate::routes::{
    auth, csat, directory, messages, plugins, rules, search, sla, system, tickets, users,
};

/// The OpenAPI document's fixed parts; paths come from the routes.
#[derive(OpenApi)]
#[openapi(
    info(title = "Triage API", description = "The REST API of the Triage help desk. Errors are application/problem+json with a stable `code`."),
    tags(
        (name = "tickets", description = "Tickets, their history, links and merges"),
        (name = "messages", description = "Replies, notes and attachments"),
        (name = "search", description = "Full-text search and similar tickets"),
        (name = "people", description = "Users, organizations and groups"),
        (name = "configuration", description = "Statuses, custom fields and macros"),
        (name = "sla", description = "Business-hours calendars and SLA policies"),
        (name = "automation", description = "Rules in rhai, their dry runs and run log; notifications; agents' availability"),
        (name = "plugins", description = "WebAssembly plugins: install, grant, configure, upgrade, roll back; their logs"),
        (name = "auth", description = "Sessions, setup and API tokens"),
        (name = "system", description = "Health and metrics"),
    )
)]
struct ApiDoc;

pub use body_limit::{MAX_JSON_BODY, MAX_SIGN_IN_BODY};

fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(tickets::list_tickets, tickets::create_ticket))
        .routes(routes!(
            tickets::get_ticket,
            tickets::update_ticket,
            tickets::delete_ticket
        ))
        .routes(routes!(tickets::bulk_update))
        .routes(routes!(tickets::history))
        .routes(routes!(tickets::merge))
        .routes(routes!(tickets::links, tickets::add_link))
        .routes(routes!(tickets::remove_link))
        .routes(routes!(tickets::apply_macro))
        .routes(routes!(csat::list_ratings, csat::rate))
        .routes(routes!(csat::rating_link))
        .routes(routes!(csat::invite, csat::rate_by_link))
        .routes(routes!(search::search))
        .routes(routes!(search::similar))
        .routes(routes!(messages::list_messages, messages::add_message))
        .routes(routes!(messages::download))
        .routes(routes!(users::list_users, users::create_user))
        .routes(routes!(users::get_user, users::update_user))
        .routes(routes!(
            directory::list_organizations,
            directory::create_organization
        ))
        .routes(routes!(
            directory::get_organization,
            directory::update_organization
        ))
        .routes(routes!(directory::list_groups, directory::create_group))
        .routes(routes!(directory::get_group, directory::update_group))
        .routes(routes!(directory::list_statuses, directory::create_status))
        .routes(routes!(directory::update_status))
        .routes(routes!(
            directory::list_custom_fields,
            directory::create_custom_field
        ))
        .routes(routes!(directory::update_custom_field))
        .routes(routes!(directory::list_macros, directory::create_macro))
        .routes(routes!(
            directory::get_macro,
            directory::update_macro,
            directory::delete_macro
        ))
        .routes(routes!(sla::list_calendars, sla::create_calendar))
        .routes(routes!(
            sla::get_calendar,
            sla::update_calendar,
            sla::delete_calendar
        ))
        .routes(routes!(sla::list_policies, sla::create_policy))
        .routes(routes!(
            sla::get_policy,
            sla::update_policy,
            sla::delete_policy
        ))
        .routes(routes!(rules::list_rules, rules::create_rule))
        .routes(routes!(
            rules::get_rule,
            rules::update_rule,
            rules::delete_rule
        ))
        .routes(routes!(rules::rule_versions))
        .routes(routes!(rules::rule_runs))
        .routes(routes!(rules::test_rule))
        .routes(routes!(rules::import_rules))
        .routes(routes!(rules::list_notifications))
        .routes(routes!(rules::mark_read))
        .routes(routes!(
            rules::get_notification_prefs,
            rules::set_notification_prefs
        ))
        .routes(routes!(rules::unread_notifications))
        .routes(routes!(rules::get_availability, rules::set_availability))
        .routes(routes!(plugins::list_plugins, plugins::install_plugin))
        .routes(routes!(
            plugins::get_plugin,
            plugins::update_plugin,
            plugins::uninstall_plugin
        ))
        .routes(routes!(plugins::rollback_plugin))
        .routes(routes!(plugins::plugin_log))
        .routes(routes!(plugins::plugin_calls))
        .routes(routes!(plugins::plugin_quarantine))
        .routes(routes!(auth::sign_in))
        .routes(routes!(auth::sign_out))
        .routes(routes!(auth::setup))
        .routes(routes!(auth::me))
        .routes(routes!(auth::list_tokens, auth::create_token))
        .routes(routes!(auth::revoke_token))
        .routes(routes!(system::healthz))
        .routes(routes!(system::readyz))
        .routes(routes!(system::metrics))
        .routes(routes!(system::openapi))
}

/// The OpenAPI document of every route.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, doc) = api().split_for_parts();
    doc
}

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    metrics::install();
    let (router, _) = api().split_for_parts();
    let limits = body_limit::BodyLimits {
        upload: (state.config.max_attachment_mb as usize)
            .saturating_mul(1024 * 1024)
            .saturating_mul(4)
            + MAX_JSON_BODY,
        package: triage_app::plugins::MAX_PACKAGE_BYTES + 64 * 1024,
    };
    let web = triage_web::router(
        state.app.clone(),
        triage_web::WebConfig {
            secure_cookies: state.config.secure_cookies,
            sign_in_per_minute: state.config.sign_in_per_minute,
        },
    );
    router
        .merge(web)
        .route(
            "/api/v1/channels/{plugin}",
            axum::routing::any(plugins::channel),
        )
        .route(
            "/api/v1/channels/{plugin}/{*rest}",
            axum::routing::any(plugins::channel),
        )
        .fallback(|uri: axum::http::Uri| async move {
            if triage_web::is_page_path(uri.path()) {
                triage_web::not_found()
            } else {
                ApiError::not_found("no such route").into_response()
            }
        })
        .layer(axum::middleware::from_fn(move |request, next| {
            body_limit::limit(limits, request, next)
        }))
        .layer(axum::middleware::from_fn(nul::refuse_in_uri))
        .layer(axum::middleware::from_fn(metrics::track))
        .layer(TraceLayer::new_for_http())
        .layer(SetResponseHeaderLayer::overriding(
            axum::http::header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            axum::http::header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this route does not take that method",
            )
        })
        .with_state(state)
}

/// Serves `state` on `listener` until `shutdown` resolves, then finishes requests in flight.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down; finishing requests in flight");
}
