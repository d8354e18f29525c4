//! The `plugin_calls` table: the call log of each plugin's hooks — which hook, on which
//! event and ticket, whether it worked, how long it took.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "plugin_calls")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub plugin_id: String,
    pub hook: String,
    pub event_id: Option<i64>,
    pub ticket_id: Option<i64>,
    /// Unique per plugin and event, so an event's actions are applied once even when the
    /// hook is retried or several processes follow the log.
    pub dedup: Option<String>,
    pub ok: bool,
    pub error: Option<String>,
    pub duration_us: i64,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
