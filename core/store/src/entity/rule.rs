//! The `rules` table: automation rules written in rhai.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "rules")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub name: String,
    pub description: String,
    pub script: String,
    /// Event kinds it runs on (a JSON array of strings).
    pub triggers: Json,
    /// When a time-based rule runs (`every 30 minutes`, `cron …`).
    pub schedule: Option<String>,
    /// The search query selecting the tickets a scheduled rule runs over.
    pub query: Option<String>,
    pub position: i32,
    pub active: bool,
    /// Whether changes made by other rules may trigger it.
    pub on_rule_changes: bool,
    /// Bumped on every edit; each version is kept in `rule_versions`.
    pub version: i64,
    /// Failed runs in a row; past a bound the rule is deactivated.
    pub failures: i32,
    /// Why the server deactivated it.
    pub disabled_reason: Option<String>,
    pub last_error: Option<String>,
    pub last_run_at: Option<i64>,
    /// When a scheduled rule runs next; claimed with a conditional update.
    pub next_run_at: Option<i64>,
    pub updated_by: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
