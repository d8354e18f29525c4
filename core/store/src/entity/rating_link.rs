//! The `rating_links` table: the rating links customers used, one per ticket and solve
//! (a link rates once).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "rating_links")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// SHA-256 of the token in the link; the token itself is never stored.
    pub token_sha256: String,
    pub ticket_id: i64,
    /// The solve it rates.
    pub solved_at: i64,
    pub requester_id: i64,
    /// When it was used to rate.
    pub used_at: Option<i64>,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
