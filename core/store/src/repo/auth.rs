//! Sessions, API tokens and idempotency records.

use sea_orm::{
    ActiveModelTrait,
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
};

use super::Repos;
use crate::entity::{api_token, idempotency, session};
use crate::{ApiTokenRow, SessionRow, StoreError};

/// A stored response to replay for a retried request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotentResponse {
    pub fingerprint: String,
    pub status: i32,
    pub body: String,
}

impl<C: ConnectionTrait> Repos<'_, C> {
    /// Stores a new session.
    pub async fn insert_session(&self, row: SessionRow) -> Result<(), StoreError> {
        session::Entity::insert(row.into_active_model())
            .exec(self.conn)
            .await?;
        Ok(())
    }

    /// A session by the hash of its cookie value.
    pub async fn session(&self, id_hash: &str) -> Result<Option<SessionRow>, StoreError> {
        Ok(session::Entity::find_by_id(id_hash).one(self.conn).await?)
    }

    /// Ends a session.
    pub async fn delete_session(&self, id_hash: &str) -> Result<(), StoreError> {
        session::Entity::delete_by_id(id_hash)
            .exec(self.conn)
            .await?;
        Ok(())
    }

    /// Ends every session of a user (password change, deactivation).
    pub async fn delete_user_sessions(&self, user_id: i64) -> Result<(), StoreError> {
        session::Entity::delete_many()
            .filter(session::Column::UserId.eq(user_id))
            .exec(self.conn)
            .await?;
        Ok(())
    }

    /// Deletes sessions that expired before `now`.
    pub async fn delete_expired_sessions(&self, now: i64) -> Result<u64, StoreError> {
        Ok(session::Entity::delete_many()
            .filter(session::Column::ExpiresAt.lt(now))
            .exec(self.conn)
            .await?
            .rows_affected)
    }

    /// Stores a new API token and returns it with its id.
    pub async fn insert_token(&self, row: ApiTokenRow) -> Result<ApiTokenRow, StoreError> {
        let mut active = row.into_active_model();
        active.id = NotSet;
        Ok(active.insert(self.conn).await?)
    }

    /// A token by the hash of its value.
    pub async fn token_by_hash(&self, hash: &str) -> Result<Option<ApiTokenRow>, StoreError> {
        Ok(api_token::Entity::find()
            .filter(api_token::Column::TokenHash.eq(hash))
            .one(self.conn)
            .await?)
    }

    /// A token by id.
    pub async fn token(&self, id: i64) -> Result<Option<ApiTokenRow>, StoreError> {
        Ok(api_token::Entity::find_by_id(id).one(self.conn).await?)
    }

    /// A user's tokens, newest first.
    pub async fn tokens_of_user(&self, user_id: i64) -> Result<Vec<ApiTokenRow>, StoreError> {
        Ok(api_token::Entity::find()
            .filter(api_token::Column::UserId.eq(user_id))
            .order_by_desc(api_token::Column::Id)
            .all(self.conn)
            .await?)
    }

    /// Saves every column of an existing token (revocation, last use).
    pub async fn update_token(&self, row: ApiTokenRow) -> Result<ApiTokenRow, StoreError> {
        Ok(row
            .into_active_model()
            .reset_all()
            .update(self.conn)
            .await?)
    }

    /// The stored response for `(user_id, key)`, if any.
    pub async fn idempotent_response(
        &self,
        user_id: i64,
        key: &str,
    ) -> Result<Option<IdempotentResponse>, StoreError> {
        Ok(idempotency::Entity::find_by_id((user_id, key.to_string()))
            .one(self.conn)
            .await?
            .map(|r| IdempotentResponse {
                fingerprint: r.fingerprint,
                status: r.status,
                body: r.body,
            }))
    }

    /// Records the response to `(user_id, key)`.
    pub async fn insert_idempotent_response(
        &self,
        user_id: i64,
        key: &str,
        response: IdempotentResponse,
        now: i64,
    ) -> Result<(), StoreError> {
        idempotency::Entity::insert(idempotency::ActiveModel {
            user_id: Set(user_id),
            key: Set(key.to_string()),
            fingerprint: Set(response.fingerprint),
            status: Set(response.status),
            body: Set(response.body),
            created_at: Set(now),
        })
        .exec(self.conn)
        .await
        .map_err(|e| StoreError::unique(e, "a request with this Idempotency-Key"))?;
        Ok(())
    }

    /// Forgets idempotency records older than `before`.
    pub async fn delete_old_idempotency(&self, before: i64) -> Result<u64, StoreError> {
        Ok(idempotency::Entity::delete_many()
            .filter(idempotency::Column::CreatedAt.lt(before))
            .exec(self.conn)
            .await?
            .rows_affected)
    }
}
