//! In-app notifications and agents' availability for automatic assignment.

use triage_domain::Actor;
use triage_store::{AvailabilityRow, NotificationRow};

use crate::{App, AppError, AppResult};

/// Whether an agent takes new tickets from automatic assignment, and at most how many
/// open tickets they hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Availability {
    pub available: bool,
    pub capacity: Option<i32>,
}

impl App {
    /// An agent's availability (staff: their own; admins: anyone's).
    pub async fn availability(&self, actor: &Actor, user_id: i64) -> AppResult<Availability> {
        actor.require_staff()?;
        actor.require_self_or_admin(user_id)?;
        let row = self.store.read().availability_of(&[user_id]).await?;
        Ok(row.first().map_or(
            Availability {
                available: true,
                capacity: None,
            },
            |a| Availability {
                available: a.available,
                capacity: a.capacity,
            },
        ))
    }

    /// Sets an agent's availability (staff: their own; admins: anyone's).
    pub async fn set_availability(
        &self,
        actor: &Actor,
        user_id: i64,
        availability: Availability,
    ) -> AppResult<Availability> {
        actor.require_staff()?;
        actor.require_self_or_admin(user_id)?;
        if availability
            .capacity
            .is_some_and(|c| !(0..=10_000).contains(&c))
        {
            return Err(AppError::invalid(
                "capacity",
                "capacity is 0 to 10000 tickets",
            ));
        }
        let user = self
            .store
            .read()
            .user(user_id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("user {user_id}")))?;
        if user.role == "customer" {
            return Err(AppError::invalid("user_id", "customers take no tickets"));
        }
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    tx.repos()
                        .set_availability(AvailabilityRow {
                            user_id,
                            available: availability.available,
                            capacity: availability.capacity,
                            updated_at: crate::now_millis(),
                        })
                        .await?;
                    Ok::<_, AppError>(())
                })
            })
            .await?;
        Ok(availability)
    }

    /// The actor's notifications, newest first.
    pub async fn notifications(
        &self,
        actor: &Actor,
        unread_only: bool,
        limit: u64,
    ) -> AppResult<Vec<NotificationRow>> {
        actor.require_staff()?;
        Ok(self
            .store
            .read()
            .notifications_of(actor.user_id, unread_only, limit.clamp(1, 200))
            .await?)
    }

    /// Marks the actor's notifications up to `up_to` read; returns how many were unread.
    pub async fn mark_notifications_read(&self, actor: &Actor, up_to: i64) -> AppResult<u64> {
        actor.require_staff()?;
        let user_id = actor.user_id;
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    Ok::<_, AppError>(
                        tx.repos()
                            .mark_notifications_read(user_id, up_to, crate::now_millis())
                            .await?,
                    )
                })
            })
            .await
    }
}
