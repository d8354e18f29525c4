//! The `views` table: saved searches shown in the agents' left rail.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "views")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    /// A query in the search language.
    pub query: String,
    /// A search sort (`-updated` …).
    pub sort: String,
    /// The agent it belongs to; `None` for a shared view every agent sees.
    pub owner_id: Option<i64>,
    pub position: i32,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
