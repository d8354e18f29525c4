//! The `events` table: the event log, also the audit history.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "events")]
pub struct Model {
    /// The position in the log; consumers follow it in order.
    #[sea_orm(primary_key)]
    pub id: i64,
    pub ticket_id: Option<i64>,
    pub kind: String,
    pub actor_id: Option<i64>,
    pub via: String,
    /// Which rule, plugin or channel acted, when not a person.
    pub via_name: Option<String>,
    pub data: Json,
    /// How many automated steps led to this change (0 for a person's change).
    pub depth: i32,
    /// The event of the person's change that started the chain this one belongs to;
    /// `None` for a change a person made.
    pub origin_id: Option<i64>,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
