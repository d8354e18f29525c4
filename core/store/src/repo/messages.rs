//! Messages, attachments and links between tickets.

use sea_orm::{
    ActiveModelTrait,
    ActiveValue::{NotSet, Set},
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::Repos;
use crate::entity::{attachment, message, ticket_link};
use crate::{AttachmentRow, MessageRow, StoreError};

/// A link as seen from one ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRow {
    pub ticket_id: i64,
    pub other_id: i64,
    pub kind: String,
    pub created_at: i64,
}

impl<C: ConnectionTrait> Repos<'_, C> {
    /// Inserts a message and returns it with its id.
    pub async fn insert_message(&self, row: MessageRow) -> Result<MessageRow, StoreError> {
        let mut active = row.into_active_model();
        active.id = NotSet;
        Ok(active.insert(self.conn).await?)
    }

    /// A ticket's messages in order, after message id `after`; notes only if asked.
    pub async fn ticket_messages(
        &self,
        ticket_id: i64,
        include_notes: bool,
        after: i64,
        limit: u64,
    ) -> Result<Vec<MessageRow>, StoreError> {
        let mut q = message::Entity::find()
            .filter(message::Column::TicketId.eq(ticket_id))
            .filter(message::Column::Id.gt(after));
        if !include_notes {
            q = q.filter(message::Column::Public.eq(true));
        }
        Ok(q.order_by_asc(message::Column::Id)
            .limit(limit)
            .all(self.conn)
            .await?)
    }

    /// A message by id.
    pub async fn message(&self, id: i64) -> Result<Option<MessageRow>, StoreError> {
        Ok(message::Entity::find_by_id(id).one(self.conn).await?)
    }

    /// The newest message of a ticket.
    pub async fn last_message(&self, ticket_id: i64) -> Result<Option<MessageRow>, StoreError> {
        Ok(message::Entity::find()
            .filter(message::Column::TicketId.eq(ticket_id))
            .order_by_desc(message::Column::Id)
            .one(self.conn)
            .await?)
    }

    /// The newest message of each of these tickets (tickets without one are absent).
    pub async fn last_messages_of(
        &self,
        ticket_ids: &[i64],
    ) -> Result<Vec<MessageRow>, StoreError> {
        if ticket_ids.is_empty() {
            return Ok(Vec::new());
        }
        let newest = sea_orm::sea_query::Query::select()
            .expr(sea_orm::sea_query::Expr::col(message::Column::Id).max())
            .from(message::Entity)
            .and_where(message::Column::TicketId.is_in(ticket_ids.iter().copied()))
            .group_by_col(message::Column::TicketId)
            .to_owned();
        Ok(message::Entity::find()
            .filter(message::Column::Id.in_subquery(newest))
            .all(self.conn)
            .await?)
    }

    /// Moves every message and attachment of `from` onto `to` (merge).
    pub async fn move_messages(&self, from: i64, to: i64) -> Result<(), StoreError> {
        message::Entity::update_many()
            .col_expr(
                message::Column::TicketId,
                sea_orm::sea_query::Expr::value(to),
            )
            .filter(message::Column::TicketId.eq(from))
            .exec(self.conn)
            .await?;
        attachment::Entity::update_many()
            .col_expr(
                attachment::Column::TicketId,
                sea_orm::sea_query::Expr::value(to),
            )
            .filter(attachment::Column::TicketId.eq(from))
            .exec(self.conn)
            .await?;
        Ok(())
    }

    /// Records an attachment and returns it with its id.
    pub async fn insert_attachment(&self, row: AttachmentRow) -> Result<AttachmentRow, StoreError> {
        let mut active = row.into_active_model();
        active.id = NotSet;
        Ok(active.insert(self.conn).await?)
    }

    /// An attachment by id.
    pub async fn attachment(&self, id: i64) -> Result<Option<AttachmentRow>, StoreError> {
        Ok(attachment::Entity::find_by_id(id).one(self.conn).await?)
    }

    /// The attachments of the given messages.
    pub async fn message_attachments(
        &self,
        message_ids: &[i64],
    ) -> Result<Vec<AttachmentRow>, StoreError> {
        if message_ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(attachment::Entity::find()
            .filter(attachment::Column::MessageId.is_in(message_ids.iter().copied()))
            .order_by_asc(attachment::Column::Id)
            .all(self.conn)
            .await?)
    }

    /// Whether any attachment of a ticket is stored under this content hash (so a
    /// download of it by hash is one the ticket's viewers may make).
    pub async fn attachments_with_hash(&self, sha256: &str) -> Result<u64, StoreError> {
        use sea_orm::PaginatorTrait;
        Ok(attachment::Entity::find()
            .filter(attachment::Column::Sha256.eq(sha256))
            .count(self.conn)
            .await?)
    }

    /// Links a ticket to another; linking twice is a no-op. Returns whether it was new.
    pub async fn insert_link(&self, link: LinkRow) -> Result<bool, StoreError> {
        let exists =
            ticket_link::Entity::find_by_id((link.ticket_id, link.other_id, link.kind.clone()))
                .one(self.conn)
                .await?
                .is_some();
        if exists {
            return Ok(false);
        }
        ticket_link::Entity::insert(ticket_link::ActiveModel {
            ticket_id: Set(link.ticket_id),
            other_id: Set(link.other_id),
            kind: Set(link.kind),
            created_at: Set(link.created_at),
        })
        .exec(self.conn)
        .await?;
        Ok(true)
    }

    /// Removes a link; returns whether there was one.
    pub async fn delete_link(
        &self,
        ticket_id: i64,
        other_id: i64,
        kind: &str,
    ) -> Result<bool, StoreError> {
        Ok(
            ticket_link::Entity::delete_by_id((ticket_id, other_id, kind.to_string()))
                .exec(self.conn)
                .await?
                .rows_affected
                == 1,
        )
    }

    /// Every link from or to a ticket.
    pub async fn ticket_links(&self, ticket_id: i64) -> Result<Vec<LinkRow>, StoreError> {
        Ok(ticket_link::Entity::find()
            .filter(
                Condition::any()
                    .add(ticket_link::Column::TicketId.eq(ticket_id))
                    .add(ticket_link::Column::OtherId.eq(ticket_id)),
            )
            .order_by_asc(ticket_link::Column::CreatedAt)
            .all(self.conn)
            .await?
            .into_iter()
            .map(|l| LinkRow {
                ticket_id: l.ticket_id,
                other_id: l.other_id,
                kind: l.kind,
                created_at: l.created_at,
            })
            .collect())
    }
}
