//! The `rule_runs` table: the run log of each rule — when it fired, on which ticket, what
//! it changed, errors and how long it took.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "rule_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub rule_id: i64,
    pub ticket_id: Option<i64>,
    /// The event it ran on (none for a scheduled run).
    pub event_id: Option<i64>,
    /// Unique per rule and original change (or scheduled slot), so a rule fires once per
    /// change even when several processes follow the log.
    pub dedup: Option<String>,
    pub fired: bool,
    /// The actions applied (a JSON array).
    pub changes: Json,
    pub error: Option<String>,
    pub duration_us: i64,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
