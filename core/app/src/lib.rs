//! The Triage application: every command and query the adapters (HTTP, CLI, later the web
//! UI, channels, rules and plugins) call, with the permission checks and the event pipeline.
//!
//! The key decision is *one change path*: every change to a ticket is a command that is
//! checked against the domain rules and the actor's permissions, then written by
//! [`triage_store::Store::write`] in one transaction together with the events it causes.
//! Consumers ([`consumer`]) follow the event log with a checkpoint each.

pub mod attachments;
pub mod auth;
pub mod automation;
mod cache;
pub mod consumer;
pub mod csat;
pub mod demo;
pub mod directory;
mod error;
pub mod housekeeping;
mod html;
pub mod live;
pub mod notify;
pub mod password;
pub mod plugins;
pub mod search;
pub mod sla;
pub mod tickets;
pub mod views;

use std::path::PathBuf;
use std::sync::Arc;

pub use error::{AppError, AppResult};
use tokio::sync::Notify;
pub use triage_domain as domain;
pub use triage_store::now_millis;
pub use triage_store::testing;

/// The stored rows the API shows.
pub mod rows {
    /// The strings of a stored JSON array (tags, domains, options).
    pub use triage_store::repo::json_strings;
    pub use triage_store::{
        ApiTokenRow, AttachmentRow, CalendarRow, CustomFieldRow, EventRow, GroupRow, MacroRow,
        MessageRow, NotificationRow, OrganizationRow, PluginCallRow, PluginLogRow, PluginRow,
        QuarantineRow, RatingRow, RuleRow, RuleRunRow, RuleVersionRow, SlaPolicyRow, StatusRow,
        TicketRow, UserRow, ViewRow,
    };
}
use triage_domain::{Actor, Role, StatusCategory, Via};
use triage_store::Store;
pub use triage_store::{Backend, StoreError};

/// The first ticket number.
pub const FIRST_TICKET_NUMBER: i64 = 1001;
pub(crate) use triage_store::TICKET_COUNTER;

/// What the application needs to start.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// `sqlite://…` or `postgres://…`.
    pub database_url: String,
    /// Where attachments and the search index live.
    pub data_dir: PathBuf,
    /// The largest attachment accepted, in bytes.
    pub max_attachment_bytes: u64,
    /// How long a browser session lasts, in seconds.
    pub session_ttl_secs: i64,
    /// The address people open, for links plugins and notifications send out.
    pub public_url: String,
}

impl AppConfig {
    /// The defaults for a data directory: the SQLite file inside it.
    pub fn for_data_dir(data_dir: impl Into<PathBuf>) -> AppConfig {
        let data_dir = data_dir.into();
        AppConfig {
            database_url: format!("sqlite://{}", data_dir.join("triage.db").display()),
            data_dir,
            max_attachment_bytes: 25 * 1024 * 1024,
            session_ttl_secs: 14 * 24 * 3600,
            public_url: "http://127.0.0.1:8080".into(),
        }
    }
}

/// The running application. Cheap to clone.
#[derive(Debug, Clone)]
pub struct App {
    pub(crate) store: Store,
    pub(crate) config: Arc<AppConfig>,
    events: Arc<Notify>,
    cache: Arc<cache::Cache>,
    search: Arc<search::SearchSlot>,
    live: Arc<live::Live>,
    automation: Arc<triage_automation::Engine>,
    plugins: Arc<plugins::Registry>,
}

/// Who is acting, and through what.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The user the change is made as (rules and plugins act as a service user).
    pub actor: Actor,
    /// The way the change came in.
    pub via: Via,
    /// The rule, plugin or channel that acted, if not a person.
    pub via_name: Option<String>,
    /// How many automated steps led here.
    pub depth: i32,
    /// The event of the person's change that started this chain of automated steps.
    pub origin: Option<i64>,
    /// When the change happened, for imports and demo data that replay the past; `None`
    /// means now.
    pub at: Option<i64>,
}

impl Ctx {
    /// A change a person makes through the API.
    pub fn api(actor: Actor) -> Ctx {
        Ctx {
            actor,
            via: Via::Api,
            via_name: None,
            depth: 0,
            origin: None,
            at: None,
        }
    }

    /// The time the change is recorded at.
    pub fn now(&self) -> i64 {
        self.at.unwrap_or_else(triage_store::now_millis)
    }
}

impl App {
    /// Connects to the database, applies migrations and seeds what every help desk has
    /// (the built-in statuses and the ticket counter).
    pub async fn open(config: AppConfig) -> AppResult<App> {
        if config.database_url.starts_with("sqlite:") {
            std::fs::create_dir_all(&config.data_dir).map_err(|e| {
                AppError::Internal(format!(
                    "cannot create data directory {}: {e}",
                    config.data_dir.display()
                ))
            })?;
        }
        let store = Store::connect(&config.database_url).await?;
        store.migrate().await?;
        let search = Arc::new(search::SearchSlot::new(triage_search::Home::new(
            config.data_dir.join("search"),
        )));
        let app = App {
            store,
            config: Arc::new(config),
            events: Arc::new(Notify::new()),
            cache: Arc::default(),
            search,
            live: Arc::default(),
            automation: automation::engine(),
            plugins: Arc::default(),
        };
        app.seed().await?;
        Ok(app)
    }

    async fn seed(&self) -> AppResult<()> {
        self.store
            .write(|tx| {
                Box::pin(async move {
                    let repos = tx.repos();
                    repos
                        .ensure_counter(TICKET_COUNTER, FIRST_TICKET_NUMBER)
                        .await?;
                    if repos.setting(csat::SECRET_KEY).await?.is_none() {
                        let secret = auth::random_secret();
                        repos.set_setting(csat::SECRET_KEY, Some(&secret)).await?;
                    }
                    let existing = repos.list_statuses().await?;
                    for (position, category) in StatusCategory::ALL.into_iter().enumerate() {
                        let has = existing
                            .iter()
                            .any(|s| s.builtin && s.category == category.as_str());
                        if !has {
                            repos
                                .insert_status(triage_store::StatusRow {
                                    id: 0,
                                    name: category.builtin_name().to_string(),
                                    category: category.as_str().to_string(),
                                    builtin: true,
                                    position: (position as i32) * 100,
                                    active: true,
                                    plugin_id: None,
                                })
                                .await?;
                        }
                    }
                    Ok::<_, AppError>(())
                })
            })
            .await
    }

    /// The configuration the application runs with.
    pub fn config(&self) -> &AppConfig {
        &self.config
    }

    /// Which database the application runs on.
    pub fn backend(&self) -> Backend {
        self.store.backend()
    }

    /// Checks that the database answers.
    pub async fn ready(&self) -> AppResult<()> {
        Ok(self.store.ping().await?)
    }

    /// Runs a command's write job and, once it committed, wakes the consumers.
    pub(crate) async fn command<T, F>(&self, job: F) -> AppResult<T>
    where
        T: Send + 'static,
        F: for<'a> FnOnce(&'a triage_store::Tx) -> futures::future::BoxFuture<'a, AppResult<T>>
            + Send
            + 'static,
    {
        let result = self.store.write(job).await?;
        self.events_committed();
        Ok(result)
    }

    /// [`App::command`] for a job that creates `tickets` tickets.
    pub(crate) async fn command_creating<T, F>(&self, tickets: u32, job: F) -> AppResult<T>
    where
        T: Send + 'static,
        F: for<'a> FnOnce(&'a triage_store::Tx) -> futures::future::BoxFuture<'a, AppResult<T>>
            + Send
            + 'static,
    {
        let result = self.store.write_creating(tickets, job).await?;
        self.events_committed();
        Ok(result)
    }

    /// Wakes the consumers: new events were committed.
    pub(crate) fn events_committed(&self) {
        self.events.notify_waiters();
    }

    /// Flushes the writer and closes the database.
    pub async fn close(self) {
        self.store.close().await;
    }

    /// The built-in service identity used by the CLI and the demo generator.
    pub fn system_actor() -> Actor {
        Actor {
            user_id: 0,
            role: Role::Admin,
            group_ids: Vec::new(),
            organization_id: None,
            sees_organization_tickets: false,
        }
    }
}

/// A page of results and where the next one starts.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Opaque; pass it back to get the next page. `None` on the last page.
    pub next_cursor: Option<String>,
}
