//! The event log: appended in each command's transaction, followed by consumers.

use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::Repos;
use crate::entity::event;
use crate::{EventRow, StoreError};

/// An event to append; the log assigns its position.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub ticket_id: Option<i64>,
    pub kind: String,
    pub actor_id: Option<i64>,
    pub via: String,
    pub via_name: Option<String>,
    pub data: serde_json::Value,
    pub depth: i32,
    /// The event that started the chain of automated changes this one belongs to.
    pub origin_id: Option<i64>,
    pub created_at: i64,
}

/// Writes events in log order, in multi-row inserts.
pub(crate) async fn insert_events<C: ConnectionTrait>(
    conn: &C,
    events: Vec<NewEvent>,
) -> Result<(), StoreError> {
    let mut rows = events.into_iter().map(|event| event::ActiveModel {
        id: NotSet,
        ticket_id: Set(event.ticket_id),
        kind: Set(event.kind),
        actor_id: Set(event.actor_id),
        via: Set(event.via),
        via_name: Set(event.via_name),
        data: Set(event.data),
        depth: Set(event.depth),
        origin_id: Set(event.origin_id),
        created_at: Set(event.created_at),
    });
    loop {
        let chunk: Vec<event::ActiveModel> = rows.by_ref().take(500).collect();
        if chunk.is_empty() {
            return Ok(());
        }
        event::Entity::insert_many(chunk)
            .exec_without_returning(conn)
            .await?;
    }
}

impl<C: ConnectionTrait> Repos<'_, C> {
    /// Appends an event. In a write job it is written with the rest of the batch, after
    /// every job of the batch ran and before the commit, so the log's order is commit
    /// order and a failed job leaves no event behind.
    pub async fn append_event(&self, event: NewEvent) -> Result<(), StoreError> {
        if let Some(buffer) = self.events {
            buffer
                .lock()
                .map_err(|_| StoreError::Corrupt("event buffer poisoned".into()))?
                .push(event);
            return Ok(());
        }
        insert_events(self.conn, vec![event]).await
    }

    /// A ticket's history, oldest first.
    pub async fn ticket_events(
        &self,
        ticket_id: i64,
        after: i64,
        limit: u64,
    ) -> Result<Vec<EventRow>, StoreError> {
        Ok(event::Entity::find()
            .filter(event::Column::TicketId.eq(ticket_id))
            .filter(event::Column::Id.gt(after))
            .order_by_asc(event::Column::Id)
            .limit(limit)
            .all(self.conn)
            .await?)
    }

    /// Up to `limit` events after `position`, in log order.
    pub async fn events_after(
        &self,
        position: i64,
        limit: u64,
    ) -> Result<Vec<EventRow>, StoreError> {
        Ok(event::Entity::find()
            .filter(event::Column::Id.gt(position))
            .order_by_asc(event::Column::Id)
            .limit(limit)
            .all(self.conn)
            .await?)
    }

    /// The last `limit` events of the given kinds, newest first.
    pub async fn recent_events(
        &self,
        kinds: &[&str],
        limit: u64,
    ) -> Result<Vec<EventRow>, StoreError> {
        Ok(event::Entity::find()
            .filter(event::Column::Kind.is_in(kinds.iter().copied()))
            .filter(event::Column::TicketId.is_not_null())
            .order_by_desc(event::Column::Id)
            .limit(limit)
            .all(self.conn)
            .await?)
    }

    /// How many events a ticket has.
    pub async fn count_events(&self, ticket_id: i64) -> Result<u64, StoreError> {
        use sea_orm::PaginatorTrait;
        Ok(event::Entity::find()
            .filter(event::Column::TicketId.eq(ticket_id))
            .count(self.conn)
            .await?)
    }
}
