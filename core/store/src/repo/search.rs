//! What the search indexer reads: tickets in number order, their messages, attachments,
//! people and organizations in batches, and the head of the event log.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::Repos;
use crate::entity::{attachment, event, message, organization, ticket};
use crate::{OrganizationRow, StoreError, TicketRow};

impl<C: ConnectionTrait> Repos<'_, C> {
    /// Tickets not deleted, in number order, after number `after`.
    pub async fn live_tickets_after(
        &self,
        after: i64,
        limit: u64,
    ) -> Result<Vec<TicketRow>, StoreError> {
        Ok(ticket::Entity::find()
            .filter(ticket::Column::Id.gt(after))
            .filter(ticket::Column::DeletedAt.is_null())
            .order_by_asc(ticket::Column::Id)
            .limit(limit)
            .all(self.conn)
            .await?)
    }

    /// How many tickets are not deleted.
    pub async fn count_live_tickets(&self) -> Result<u64, StoreError> {
        let n: Option<i64> = ticket::Entity::find()
            .select_only()
            .column_as(Expr::col(ticket::Column::Id).count(), "n")
            .filter(ticket::Column::DeletedAt.is_null())
            .into_tuple()
            .one(self.conn)
            .await?;
        Ok(n.unwrap_or(0).max(0) as u64)
    }

    /// Number and version of every ticket not deleted, in number order.
    pub async fn live_ticket_versions(&self) -> Result<Vec<(i64, i64)>, StoreError> {
        Ok(ticket::Entity::find()
            .select_only()
            .column(ticket::Column::Id)
            .column(ticket::Column::Version)
            .filter(ticket::Column::DeletedAt.is_null())
            .order_by_asc(ticket::Column::Id)
            .into_tuple()
            .all(self.conn)
            .await?)
    }

    /// Id, ticket, author, public flag and text of every message of the given tickets, in order.
    pub async fn message_texts_of_tickets(
        &self,
        ids: &[i64],
    ) -> Result<Vec<(i64, i64, i64, bool, String)>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(message::Entity::find()
            .select_only()
            .column(message::Column::Id)
            .column(message::Column::TicketId)
            .column(message::Column::AuthorId)
            .column(message::Column::Public)
            .column(message::Column::BodyText)
            .filter(message::Column::TicketId.is_in(ids.iter().copied()))
            .order_by_asc(message::Column::Id)
            .into_tuple()
            .all(self.conn)
            .await?)
    }

    /// Which of the given tickets have attachments.
    pub async fn tickets_with_attachments(&self, ids: &[i64]) -> Result<Vec<i64>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(attachment::Entity::find()
            .select_only()
            .column(attachment::Column::TicketId)
            .distinct()
            .filter(attachment::Column::TicketId.is_in(ids.iter().copied()))
            .into_tuple()
            .all(self.conn)
            .await?)
    }

    /// Organizations by id.
    pub async fn organizations_by_ids(
        &self,
        ids: &[i64],
    ) -> Result<Vec<OrganizationRow>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(organization::Entity::find()
            .filter(organization::Column::Id.is_in(ids.iter().copied()))
            .all(self.conn)
            .await?)
    }

    /// The position of the newest event, 0 when the log is empty.
    pub async fn last_event_id(&self) -> Result<i64, StoreError> {
        let n: Option<Option<i64>> = event::Entity::find()
            .select_only()
            .column_as(Expr::col(event::Column::Id).max(), "m")
            .into_tuple()
            .one(self.conn)
            .await?;
        Ok(n.flatten().unwrap_or(0))
    }
}
