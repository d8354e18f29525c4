//! The `sla_alerts` table: the warnings and breaches sent, one per target run and kind.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "sla_alerts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub ticket_id: i64,
    pub target: String,
    /// `warning` or `breached`.
    pub kind: String,
    /// When the target's run started (identifies the run).
    pub started_at: i64,
    pub due_at: i64,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
