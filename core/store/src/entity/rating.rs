//! The `ratings` table: a customer's satisfaction rating, one per solve of a ticket.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "ratings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub ticket_id: i64,
    /// The solve it rates: the ticket's `solved_at` when it was rated.
    pub solved_at: i64,
    pub author_id: i64,
    /// `good` or `bad`.
    pub score: String,
    pub comment: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
