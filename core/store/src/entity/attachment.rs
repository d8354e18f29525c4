//! The `attachments` table: files attached to messages.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "attachments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub ticket_id: i64,
    pub message_id: Option<i64>,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    /// The content's SHA-256, which is also where it is stored.
    pub sha256: String,
    pub uploaded_by: i64,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
