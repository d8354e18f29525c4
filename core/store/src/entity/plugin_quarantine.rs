//! The `plugin_quarantine` table: inbound requests a channel plugin refused or failed
//! on, kept whole for the admin.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "plugin_quarantine")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub plugin_id: String,
    pub method: String,
    pub path: String,
    pub headers: Json,
    pub body: Vec<u8>,
    pub error: String,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
