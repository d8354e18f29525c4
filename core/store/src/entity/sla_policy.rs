//! The `sla_policies` table: SLA policies, tried in position order.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "sla_policies")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub position: i32,
    pub enabled: bool,
    /// What a ticket must match (see the application's policy input).
    pub conditions: Json,
    /// Minutes per priority: `{"high": {"first_response": 60, …}}`.
    pub targets: Json,
    /// The business-hours calendar; `None` counts calendar hours.
    pub calendar_id: Option<i64>,
    pub warning_minutes: i32,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
