//! Calendars, SLA policies, tickets' SLA clocks and the alerts sent for them.

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};

use super::Repos;
use crate::entity::{calendar, event, sla_alert, sla_policy, ticket_sla};
use crate::{CalendarRow, EventRow, SlaAlertRow, SlaPolicyRow, StoreError, TicketSlaRow};

impl<C: ConnectionTrait> Repos<'_, C> {
    // ---- calendars ----

    /// Every calendar, by name.
    pub async fn list_calendars(&self) -> Result<Vec<CalendarRow>, StoreError> {
        Ok(calendar::Entity::find()
            .order_by_asc(calendar::Column::Name)
            .all(self.conn)
            .await?)
    }

    /// A calendar by id.
    pub async fn calendar(&self, id: i64) -> Result<Option<CalendarRow>, StoreError> {
        Ok(calendar::Entity::find_by_id(id).one(self.conn).await?)
    }

    /// Inserts a calendar; a taken name is a conflict.
    pub async fn insert_calendar(&self, row: CalendarRow) -> Result<CalendarRow, StoreError> {
        let mut active = row.into_active_model();
        active.id = NotSet;
        active
            .insert(self.conn)
            .await
            .map_err(|e| StoreError::unique(e, "a calendar with this name"))
    }

    /// Saves every column of a calendar; a taken name is a conflict.
    pub async fn update_calendar(&self, row: CalendarRow) -> Result<CalendarRow, StoreError> {
        row.into_active_model()
            .reset_all()
            .update(self.conn)
            .await
            .map_err(|e| StoreError::unique(e, "a calendar with this name"))
    }

    /// Deletes a calendar; returns whether there was one.
    pub async fn delete_calendar(&self, id: i64) -> Result<bool, StoreError> {
        Ok(calendar::Entity::delete_by_id(id)
            .exec(self.conn)
            .await?
            .rows_affected
            == 1)
    }

    // ---- policies ----

    /// Every SLA policy, in position order.
    pub async fn list_sla_policies(&self) -> Result<Vec<SlaPolicyRow>, StoreError> {
        Ok(sla_policy::Entity::find()
            .order_by_asc(sla_policy::Column::Position)
            .order_by_asc(sla_policy::Column::Name)
            .all(self.conn)
            .await?)
    }

    /// A policy by id.
    pub async fn sla_policy(&self, id: i64) -> Result<Option<SlaPolicyRow>, StoreError> {
        Ok(sla_policy::Entity::find_by_id(id).one(self.conn).await?)
    }

    /// Inserts a policy; a taken name is a conflict.
    pub async fn insert_sla_policy(&self, row: SlaPolicyRow) -> Result<SlaPolicyRow, StoreError> {
        let mut active = row.into_active_model();
        active.id = NotSet;
        active
            .insert(self.conn)
            .await
            .map_err(|e| StoreError::unique(e, "a policy with this name"))
    }

    /// Saves every column of a policy; a taken name is a conflict.
    pub async fn update_sla_policy(&self, row: SlaPolicyRow) -> Result<SlaPolicyRow, StoreError> {
        row.into_active_model()
            .reset_all()
            .update(self.conn)
            .await
            .map_err(|e| StoreError::unique(e, "a policy with this name"))
    }

    /// Deletes a policy; returns whether there was one.
    pub async fn delete_sla_policy(&self, id: i64) -> Result<bool, StoreError> {
        Ok(sla_policy::Entity::delete_by_id(id)
            .exec(self.conn)
            .await?
            .rows_affected
            == 1)
    }

    /// Whether a policy counts in this calendar.
    pub async fn calendar_in_use(&self, calendar_id: i64) -> Result<bool, StoreError> {
        Ok(sla_policy::Entity::find()
            .filter(sla_policy::Column::CalendarId.eq(calendar_id))
            .one(self.conn)
            .await?
            .is_some())
    }

    // ---- tickets' clocks ----

    /// The SLA clocks of tickets.
    pub async fn ticket_slas(&self, ids: &[i64]) -> Result<Vec<TicketSlaRow>, StoreError> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            out.extend(
                ticket_sla::Entity::find()
                    .filter(ticket_sla::Column::TicketId.is_in(chunk.iter().copied()))
                    .all(self.conn)
                    .await?,
            );
        }
        Ok(out)
    }

    /// Writes a ticket's SLA clocks, replacing what was there.
    pub async fn put_ticket_sla(&self, row: TicketSlaRow) -> Result<(), StoreError> {
        ticket_sla::Entity::insert(row.into_active_model())
            .on_conflict(
                OnConflict::column(ticket_sla::Column::TicketId)
                    .update_columns([
                        ticket_sla::Column::PolicyId,
                        ticket_sla::Column::State,
                        ticket_sla::Column::DueAt,
                        ticket_sla::Column::CheckAt,
                        ticket_sla::Column::Clocks,
                        ticket_sla::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(self.conn)
            .await?;
        Ok(())
    }

    /// Drops a ticket's SLA clocks (no policy covers it any more).
    pub async fn delete_ticket_sla(&self, ticket_id: i64) -> Result<(), StoreError> {
        ticket_sla::Entity::delete_by_id(ticket_id)
            .exec(self.conn)
            .await?;
        Ok(())
    }

    /// Tickets whose next SLA check is due at `now`, soonest first.
    pub async fn slas_to_check(
        &self,
        now: i64,
        limit: u64,
    ) -> Result<Vec<TicketSlaRow>, StoreError> {
        Ok(ticket_sla::Entity::find()
            .filter(ticket_sla::Column::CheckAt.lte(now))
            .order_by_asc(ticket_sla::Column::CheckAt)
            .limit(limit)
            .all(self.conn)
            .await?)
    }

    /// Records an alert unless the same one (ticket, target, run, kind) was recorded
    /// before, by this process or another; returns whether this call recorded it.
    pub async fn record_sla_alert(&self, row: SlaAlertRow) -> Result<bool, StoreError> {
        let mut active = row.into_active_model();
        active.id = NotSet;
        let inserted = sla_alert::Entity::insert(active)
            .on_conflict(
                OnConflict::columns([
                    sla_alert::Column::TicketId,
                    sla_alert::Column::Target,
                    sla_alert::Column::Kind,
                    sla_alert::Column::StartedAt,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(self.conn)
            .await?;
        Ok(inserted == 1)
    }

    /// The alerts recorded for a ticket, oldest first.
    pub async fn sla_alerts_of_ticket(
        &self,
        ticket_id: i64,
    ) -> Result<Vec<SlaAlertRow>, StoreError> {
        Ok(sla_alert::Entity::find()
            .filter(sla_alert::Column::TicketId.eq(ticket_id))
            .order_by_asc(sla_alert::Column::Id)
            .all(self.conn)
            .await?)
    }

    /// The events of the given tickets, each ticket's in log order.
    pub async fn events_of_tickets(&self, ids: &[i64]) -> Result<Vec<EventRow>, StoreError> {
        let mut out = Vec::new();
        for chunk in ids.chunks(500) {
            out.extend(
                event::Entity::find()
                    .filter(event::Column::TicketId.is_in(chunk.iter().copied()))
                    .order_by_asc(event::Column::TicketId)
                    .order_by_asc(event::Column::Id)
                    .all(self.conn)
                    .await?,
            );
        }
        Ok(out)
    }
}
