//! The `notifications` table: in-app notifications for agents.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "notifications")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub ticket_id: Option<i64>,
    /// `rule` (from an automation), `assigned`, `customer_replied`, `mentioned` or
    /// `sla_warning`.
    pub kind: String,
    pub text: String,
    /// What sent it (a rule's name).
    pub source: Option<String>,
    /// The event it was sent for, for the notifications that follow the log (one per
    /// user, kind and event).
    pub event_id: Option<i64>,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
