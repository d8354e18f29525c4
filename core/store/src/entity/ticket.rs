//! The `tickets` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "tickets")]
pub struct Model {
    /// The ticket number people see (#1001 …); never reused.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    pub subject: String,
    pub status_id: i64,
    pub priority: String,
    pub kind: String,
    pub requester_id: i64,
    pub assignee_id: Option<i64>,
    pub group_id: Option<i64>,
    pub organization_id: Option<i64>,
    /// Sorted tag names (a JSON array); mirrored in `ticket_tags` for filtering.
    pub tags: Json,
    /// Custom field values by key (a JSON object).
    pub custom_fields: Json,
    pub channel: String,
    pub external_id: Option<String>,
    pub due_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub first_response_at: Option<i64>,
    pub solved_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub merged_into: Option<i64>,
    pub deleted_at: Option<i64>,
    /// Bumped on every change; the base of optimistic concurrency.
    pub version: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
