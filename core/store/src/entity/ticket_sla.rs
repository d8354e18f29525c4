//! The `ticket_slas` table: each ticket's SLA clocks as last computed from its history.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "ticket_slas")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub ticket_id: i64,
    /// The policy that covers the ticket; `None` when none does.
    pub policy_id: Option<i64>,
    /// The most urgent clock's state (`on_track`, `warning`, `breached`, `met`).
    pub state: Option<String>,
    /// The soonest due time of a clock not yet met.
    pub due_at: Option<i64>,
    /// When the sweeper must look at the ticket next (a warning or a breach is due).
    pub check_at: Option<i64>,
    /// The clocks: `[{"target", "state", "started_at", "due_at", "warn_at", "met_at",
    /// "paused", "elapsed"}]`.
    pub clocks: Json,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
