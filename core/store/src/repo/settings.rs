//! Counters and server-wide settings.

use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};

use super::Repos;
use crate::StoreError;
use crate::entity::{checkpoint, counter, setting};

impl<C: ConnectionTrait> Repos<'_, C> {
    /// Creates the counter `name` at `start - 1` if it does not exist, so that its first
    /// [`Repos::next_value`] is `start`.
    pub async fn ensure_counter(&self, name: &str, start: i64) -> Result<(), StoreError> {
        if counter::Entity::find_by_id(name)
            .one(self.conn)
            .await?
            .is_none()
        {
            let row = counter::ActiveModel {
                name: Set(name.to_string()),
                value: Set(start - 1),
            };
            counter::Entity::insert(row)
                .on_conflict(
                    sea_orm::sea_query::OnConflict::column(counter::Column::Name)
                        .do_nothing()
                        .to_owned(),
                )
                .do_nothing()
                .exec(self.conn)
                .await?;
        }
        Ok(())
    }

    /// Advances the counter `name` and returns its new value. Inside a transaction the row
    /// stays locked until commit, so two processes never get the same value.
    pub async fn next_value(&self, name: &str) -> Result<i64, StoreError> {
        let update = sea_orm::sea_query::Query::update()
            .table(counter::Entity)
            .value(
                counter::Column::Value,
                Expr::col(counter::Column::Value).add(1_i64),
            )
            .and_where(Expr::col(counter::Column::Name).eq(name))
            .returning_col(counter::Column::Value)
            .to_owned();
        let statement = self.conn.get_database_backend().build(&update);
        let row = self
            .conn
            .query_one(statement)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("counter {name} is missing")))?;
        Ok(row.try_get::<i64>("", "value")?)
    }

    /// The next ticket number: from the batch's reserved block when it has one left,
    /// otherwise by advancing the counter row.
    pub async fn next_ticket_number(&self) -> Result<i64, StoreError> {
        if let Some(numbers) = self.numbers {
            let mut block = numbers
                .lock()
                .map_err(|_| StoreError::Corrupt("number block poisoned".into()))?;
            if !block.overflowed && block.next <= block.last {
                block.next += 1;
                return Ok(block.next - 1);
            }
            block.overflowed = true;
        }
        self.next_value(crate::TICKET_COUNTER).await
    }

    /// A server-wide setting.
    pub async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(setting::Entity::find_by_id(key)
            .one(self.conn)
            .await?
            .map(|s| s.value))
    }

    /// Sets (or with `None` removes) a server-wide setting.
    pub async fn set_setting(&self, key: &str, value: Option<&str>) -> Result<(), StoreError> {
        setting::Entity::delete_by_id(key).exec(self.conn).await?;
        if let Some(value) = value {
            setting::Entity::insert(setting::ActiveModel {
                key: Set(key.to_string()),
                value: Set(value.to_string()),
            })
            .exec(self.conn)
            .await?;
        }
        Ok(())
    }

    /// How far the consumer `name` has followed the event log (0 if never started).
    pub async fn checkpoint(&self, name: &str) -> Result<i64, StoreError> {
        Ok(checkpoint::Entity::find_by_id(name)
            .one(self.conn)
            .await?
            .map(|c| c.position)
            .unwrap_or(0))
    }

    /// Records that the consumer `name` has handled every event up to `position`.
    pub async fn set_checkpoint(&self, name: &str, position: i64) -> Result<(), StoreError> {
        let row = checkpoint::ActiveModel {
            name: Set(name.to_string()),
            position: Set(position),
            updated_at: Set(crate::now_millis()),
        };
        checkpoint::Entity::insert(row)
            .on_conflict(
                sea_orm::sea_query::OnConflict::column(checkpoint::Column::Name)
                    .update_columns([checkpoint::Column::Position, checkpoint::Column::UpdatedAt])
                    .to_owned(),
            )
            .exec(self.conn)
            .await?;
        Ok(())
    }
}
