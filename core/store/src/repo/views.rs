//! Saved views and satisfaction ratings.

use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder,
};

use super::Repos;
use sea_orm::sea_query::OnConflict;

use crate::entity::{rating, rating_link, view};
use crate::{RatingLinkRow, RatingRow, StoreError, ViewRow};

impl<C: ConnectionTrait> Repos<'_, C> {
    // ---- views ----

    /// The shared views and the views of `owner_id`, shared first, each in position order.
    pub async fn views_for(&self, owner_id: i64) -> Result<Vec<ViewRow>, StoreError> {
        Ok(view::Entity::find()
            .filter(
                Condition::any()
                    .add(view::Column::OwnerId.is_null())
                    .add(view::Column::OwnerId.eq(owner_id)),
            )
            .order_by_asc(view::Column::OwnerId)
            .order_by_asc(view::Column::Position)
            .order_by_asc(view::Column::Id)
            .all(self.conn)
            .await?)
    }

    /// A view by id.
    pub async fn view(&self, id: i64) -> Result<Option<ViewRow>, StoreError> {
        Ok(view::Entity::find_by_id(id).one(self.conn).await?)
    }

    /// Inserts a view and returns it with its id.
    pub async fn insert_view(&self, row: ViewRow) -> Result<ViewRow, StoreError> {
        let mut active = row.into_active_model();
        active.id = NotSet;
        Ok(active.insert(self.conn).await?)
    }

    /// Saves every column of an existing view.
    pub async fn update_view(&self, row: ViewRow) -> Result<ViewRow, StoreError> {
        Ok(row
            .into_active_model()
            .reset_all()
            .update(self.conn)
            .await?)
    }

    /// Deletes a view; returns whether there was one.
    pub async fn delete_view(&self, id: i64) -> Result<bool, StoreError> {
        Ok(view::Entity::delete_by_id(id)
            .exec(self.conn)
            .await?
            .rows_affected
            == 1)
    }

    // ---- ratings ----

    /// The rating of one solve of a ticket.
    pub async fn rating(
        &self,
        ticket_id: i64,
        solved_at: i64,
    ) -> Result<Option<RatingRow>, StoreError> {
        Ok(rating::Entity::find()
            .filter(rating::Column::TicketId.eq(ticket_id))
            .filter(rating::Column::SolvedAt.eq(solved_at))
            .one(self.conn)
            .await?)
    }

    /// Every rating of a ticket, oldest first.
    pub async fn ratings_of_ticket(&self, ticket_id: i64) -> Result<Vec<RatingRow>, StoreError> {
        Ok(rating::Entity::find()
            .filter(rating::Column::TicketId.eq(ticket_id))
            .order_by_asc(rating::Column::Id)
            .all(self.conn)
            .await?)
    }

    /// Inserts a rating, or replaces the one of the same solve.
    pub async fn save_rating(&self, row: RatingRow) -> Result<RatingRow, StoreError> {
        match self.rating(row.ticket_id, row.solved_at).await? {
            Some(existing) => Ok(RatingRow {
                id: existing.id,
                created_at: existing.created_at,
                ..row
            }
            .into_active_model()
            .reset_all()
            .update(self.conn)
            .await?),
            None => {
                let mut active = row.into_active_model();
                active.id = NotSet;
                Ok(active.insert(self.conn).await?)
            }
        }
    }

    /// Records that a rating link was used, unless it (or another link for the same
    /// ticket and solve) was used before; returns whether this call recorded it.
    pub async fn use_rating_link(&self, row: RatingLinkRow) -> Result<bool, StoreError> {
        let mut active = row.into_active_model();
        active.id = NotSet;
        let inserted = rating_link::Entity::insert(active)
            .on_conflict(OnConflict::new().do_nothing().to_owned())
            .exec_without_returning(self.conn)
            .await?;
        Ok(inserted == 1)
    }

    /// Whether a rating link for this ticket and solve was used.
    pub async fn rating_link_used(
        &self,
        ticket_id: i64,
        solved_at: i64,
    ) -> Result<bool, StoreError> {
        Ok(rating_link::Entity::find()
            .filter(rating_link::Column::TicketId.eq(ticket_id))
            .filter(rating_link::Column::SolvedAt.eq(solved_at))
            .one(self.conn)
            .await?
            .is_some())
    }
}
