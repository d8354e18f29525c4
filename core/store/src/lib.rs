//! Storage for Triage: the sea-orm entities, the migrations, the repositories and the
//! event log, on SQLite (embedded default) or PostgreSQL behind one code path.
//!
//! The key decision: every write goes through one [`Writer`] per process, which batches
//! the commands waiting for it into one database transaction (group commit), each command
//! in its own savepoint so one failure does not fail its neighbours. Durability is full
//! (`synchronous=FULL` on SQLite, `synchronous_commit` on PostgreSQL) and its cost is shared
//! by every command in a batch. Event ids are appended in commit order (on PostgreSQL under
//! a transaction-scoped advisory lock), so a consumer that follows the log by id never
//! skips an event that commits late.

mod connect;
pub mod entity;
mod error;
pub mod migration;
pub mod repo;
pub mod testing;
mod writer;

pub use connect::{Backend, Snapshot, Store};
pub use error::StoreError;
pub use repo::Repos;
/// The connection bound of [`Repos`], for callers that are generic over it.
pub use sea_orm::ConnectionTrait as Conn;
pub use writer::Tx;

pub use entity::agent_availability::Model as AvailabilityRow;
pub use entity::api_token::Model as ApiTokenRow;
pub use entity::attachment::Model as AttachmentRow;
pub use entity::calendar::Model as CalendarRow;
pub use entity::canned_macro::Model as MacroRow;
pub use entity::custom_field::Model as CustomFieldRow;
pub use entity::event::Model as EventRow;
pub use entity::group::Model as GroupRow;
pub use entity::message::Model as MessageRow;
pub use entity::notification::Model as NotificationRow;
pub use entity::notification_pref::Model as NotificationPrefRow;
pub use entity::organization::Model as OrganizationRow;
pub use entity::plugin::Model as PluginRow;
pub use entity::plugin_call::Model as PluginCallRow;
pub use entity::plugin_log::Model as PluginLogRow;
pub use entity::plugin_package::Model as PluginPackageRow;
pub use entity::plugin_quarantine::Model as QuarantineRow;
pub use entity::rating::Model as RatingRow;
pub use entity::rating_link::Model as RatingLinkRow;
pub use entity::rule::Model as RuleRow;
pub use entity::rule_run::Model as RuleRunRow;
pub use entity::rule_version::Model as RuleVersionRow;
pub use entity::session::Model as SessionRow;
pub use entity::sla_alert::Model as SlaAlertRow;
pub use entity::sla_policy::Model as SlaPolicyRow;
pub use entity::status::Model as StatusRow;
pub use entity::ticket::Model as TicketRow;
pub use entity::ticket_sla::Model as TicketSlaRow;
pub use entity::user::Model as UserRow;
pub use entity::view::Model as ViewRow;

/// The counter that numbers tickets.
pub const TICKET_COUNTER: &str = "ticket_number";

/// Milliseconds since the Unix epoch, the unit of every stored time.
pub fn now_millis() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
