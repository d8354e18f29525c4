//! The `messages` table: replies and internal notes.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "messages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub ticket_id: i64,
    pub author_id: i64,
    /// A public reply (true) or an internal note (false).
    pub public: bool,
    pub body_text: String,
    pub body_html: String,
    pub channel: String,
    /// Channel metadata: an email's Message-ID, a chat session id … (a JSON object).
    pub metadata: Json,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
