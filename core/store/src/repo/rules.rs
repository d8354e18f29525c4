//! Automation rules, their versions and run log; notifications; agent availability.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};

use super::Repos;
use crate::entity::{agent_availability, notification, rule, rule_run, rule_version, ticket};
use crate::{AvailabilityRow, NotificationRow, RuleRow, RuleRunRow, RuleVersionRow, StoreError};

impl<C: ConnectionTrait> Repos<'_, C> {
    // ---- rules ----

    /// Every rule, in position order.
    pub async fn list_rules(&self) -> Result<Vec<RuleRow>, StoreError> {
        Ok(rule::Entity::find()
            .order_by_asc(rule::Column::Position)
            .order_by_asc(rule::Column::Id)
            .all(self.conn)
            .await?)
    }

    /// A rule by id.
    pub async fn rule(&self, id: i64) -> Result<Option<RuleRow>, StoreError> {
        Ok(rule::Entity::find_by_id(id).one(self.conn).await?)
    }

    /// A rule by its unique name.
    pub async fn rule_by_name(&self, name: &str) -> Result<Option<RuleRow>, StoreError> {
        Ok(rule::Entity::find()
            .filter(rule::Column::Name.eq(name))
            .one(self.conn)
            .await?)
    }

    /// Inserts a rule and returns it with its id.
    pub async fn insert_rule(&self, row: RuleRow) -> Result<RuleRow, StoreError> {
        let name = row.name.clone();
        let mut active = row.into_active_model();
        active.id = NotSet;
        active
            .insert(self.conn)
            .await
            .map_err(|e| StoreError::unique(e, &format!("a rule named {name:?}")))
    }

    /// Saves every column of an existing rule.
    pub async fn update_rule(&self, row: RuleRow) -> Result<RuleRow, StoreError> {
        let name = row.name.clone();
        row.into_active_model()
            .reset_all()
            .update(self.conn)
            .await
            .map_err(|e| StoreError::unique(e, &format!("a rule named {name:?}")))
    }

    /// Deletes a rule with its versions and run log; returns whether there was one.
    pub async fn delete_rule(&self, id: i64) -> Result<bool, StoreError> {
        rule_version::Entity::delete_many()
            .filter(rule_version::Column::RuleId.eq(id))
            .exec(self.conn)
            .await?;
        rule_run::Entity::delete_many()
            .filter(rule_run::Column::RuleId.eq(id))
            .exec(self.conn)
            .await?;
        Ok(rule::Entity::delete_by_id(id)
            .exec(self.conn)
            .await?
            .rows_affected
            == 1)
    }

    /// Moves a scheduled rule's next run from `expected` to `next`, only if no one else
    /// did first: the process whose update changed the row runs the slot.
    pub async fn claim_rule_slot(
        &self,
        id: i64,
        expected: Option<i64>,
        next: i64,
    ) -> Result<bool, StoreError> {
        let mut update = rule::Entity::update_many()
            .col_expr(rule::Column::NextRunAt, Expr::value(next))
            .filter(rule::Column::Id.eq(id));
        update = match expected {
            Some(at) => update.filter(rule::Column::NextRunAt.eq(at)),
            None => update.filter(rule::Column::NextRunAt.is_null()),
        };
        Ok(update.exec(self.conn).await?.rows_affected == 1)
    }

    /// Notes a successful run: the failure count starts over.
    pub async fn record_rule_success(&self, id: i64, at: i64) -> Result<(), StoreError> {
        rule::Entity::update_many()
            .col_expr(rule::Column::LastRunAt, Expr::value(at))
            .col_expr(rule::Column::Failures, Expr::value(0))
            .filter(rule::Column::Id.eq(id))
            .exec(self.conn)
            .await?;
        Ok(())
    }

    /// Notes a failed run; at `max_failures` in a row the rule is deactivated with
    /// `reason`. Returns whether this failure deactivated it.
    pub async fn record_rule_failure(
        &self,
        id: i64,
        error: &str,
        at: i64,
        max_failures: i32,
        reason: &str,
    ) -> Result<bool, StoreError> {
        rule::Entity::update_many()
            .col_expr(rule::Column::LastRunAt, Expr::value(at))
            .col_expr(rule::Column::LastError, Expr::value(error))
            .col_expr(
                rule::Column::Failures,
                Expr::col(rule::Column::Failures).add(1),
            )
            .filter(rule::Column::Id.eq(id))
            .exec(self.conn)
            .await?;
        Ok(rule::Entity::update_many()
            .col_expr(rule::Column::Active, Expr::value(false))
            .col_expr(rule::Column::DisabledReason, Expr::value(reason))
            .filter(rule::Column::Id.eq(id))
            .filter(rule::Column::Active.eq(true))
            .filter(rule::Column::Failures.gte(max_failures))
            .exec(self.conn)
            .await?
            .rows_affected
            == 1)
    }

    /// Records a saved version of a rule.
    pub async fn insert_rule_version(
        &self,
        row: RuleVersionRow,
    ) -> Result<RuleVersionRow, StoreError> {
        let mut active = row.into_active_model();
        active.id = NotSet;
        Ok(active.insert(self.conn).await?)
    }

    /// The versions of a rule, newest first.
    pub async fn rule_versions(&self, rule_id: i64) -> Result<Vec<RuleVersionRow>, StoreError> {
        Ok(rule_version::Entity::find()
            .filter(rule_version::Column::RuleId.eq(rule_id))
            .order_by_desc(rule_version::Column::Version)
            .all(self.conn)
            .await?)
    }

    // ---- run log ----

    /// Appends to the run log. A run whose `dedup` key was already used (the same rule
    /// on the same original change) is refused with [`StoreError::Conflict`].
    pub async fn insert_rule_run(&self, row: RuleRunRow) -> Result<RuleRunRow, StoreError> {
        let mut active = row.into_active_model();
        active.id = NotSet;
        active
            .insert(self.conn)
            .await
            .map_err(|e| StoreError::unique(e, "a run of this rule for this change"))
    }

    /// A rule's runs, newest first, before the run `before` if given.
    pub async fn rule_runs(
        &self,
        rule_id: i64,
        before: Option<i64>,
        limit: u64,
    ) -> Result<Vec<RuleRunRow>, StoreError> {
        let mut q = rule_run::Entity::find().filter(rule_run::Column::RuleId.eq(rule_id));
        if let Some(before) = before {
            q = q.filter(rule_run::Column::Id.lt(before));
        }
        Ok(q.order_by_desc(rule_run::Column::Id)
            .limit(limit)
            .all(self.conn)
            .await?)
    }

    /// The runs on one ticket, newest first.
    pub async fn rule_runs_of_ticket(
        &self,
        ticket_id: i64,
        limit: u64,
    ) -> Result<Vec<RuleRunRow>, StoreError> {
        Ok(rule_run::Entity::find()
            .filter(rule_run::Column::TicketId.eq(ticket_id))
            .order_by_desc(rule_run::Column::Id)
            .limit(limit)
            .all(self.conn)
            .await?)
    }

    // ---- notifications ----

    /// Stores a notification.
    pub async fn insert_notification(
        &self,
        row: NotificationRow,
    ) -> Result<NotificationRow, StoreError> {
        let mut active = row.into_active_model();
        active.id = NotSet;
        Ok(active.insert(self.conn).await?)
    }

    /// Stores a notification for an event unless the same user already got one of that
    /// kind for it (by this process or another); returns whether this call stored it.
    pub async fn insert_notification_once(&self, row: NotificationRow) -> Result<bool, StoreError> {
        let mut active = row.into_active_model();
        active.id = NotSet;
        let inserted = notification::Entity::insert(active)
            .on_conflict(
                sea_orm::sea_query::OnConflict::columns([
                    notification::Column::UserId,
                    notification::Column::Kind,
                    notification::Column::EventId,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(self.conn)
            .await?;
        Ok(inserted == 1)
    }

    /// How many unread notifications a user has.
    pub async fn unread_notifications(&self, user_id: i64) -> Result<u64, StoreError> {
        use sea_orm::PaginatorTrait;
        Ok(notification::Entity::find()
            .filter(notification::Column::UserId.eq(user_id))
            .filter(notification::Column::ReadAt.is_null())
            .count(self.conn)
            .await?)
    }

    /// Users' notification preferences.
    pub async fn notification_prefs(
        &self,
        user_ids: &[i64],
    ) -> Result<Vec<crate::NotificationPrefRow>, StoreError> {
        Ok(crate::entity::notification_pref::Entity::find()
            .filter(
                crate::entity::notification_pref::Column::UserId.is_in(user_ids.iter().copied()),
            )
            .all(self.conn)
            .await?)
    }

    /// Replaces a user's notification preferences.
    pub async fn put_notification_pref(
        &self,
        row: crate::NotificationPrefRow,
    ) -> Result<(), StoreError> {
        use crate::entity::notification_pref as np;
        np::Entity::insert(row.into_active_model())
            .on_conflict(
                sea_orm::sea_query::OnConflict::column(np::Column::UserId)
                    .update_columns([np::Column::Kinds, np::Column::UpdatedAt])
                    .to_owned(),
            )
            .exec_without_returning(self.conn)
            .await?;
        Ok(())
    }

    /// A user's notifications, newest first.
    pub async fn notifications_of(
        &self,
        user_id: i64,
        unread_only: bool,
        limit: u64,
    ) -> Result<Vec<NotificationRow>, StoreError> {
        let mut q = notification::Entity::find().filter(notification::Column::UserId.eq(user_id));
        if unread_only {
            q = q.filter(notification::Column::ReadAt.is_null());
        }
        Ok(q.order_by_desc(notification::Column::Id)
            .limit(limit)
            .all(self.conn)
            .await?)
    }

    /// Marks a user's notifications up to `up_to` read; returns how many changed.
    pub async fn mark_notifications_read(
        &self,
        user_id: i64,
        up_to: i64,
        at: i64,
    ) -> Result<u64, StoreError> {
        Ok(notification::Entity::update_many()
            .col_expr(notification::Column::ReadAt, Expr::value(at))
            .filter(notification::Column::UserId.eq(user_id))
            .filter(notification::Column::Id.lte(up_to))
            .filter(notification::Column::ReadAt.is_null())
            .exec(self.conn)
            .await?
            .rows_affected)
    }

    /// The current value of a counter, if it exists.
    pub async fn counter_value(&self, name: &str) -> Result<Option<i64>, StoreError> {
        Ok(crate::entity::counter::Entity::find_by_id(name)
            .one(self.conn)
            .await?
            .map(|c| c.value))
    }

    // ---- availability and load ----

    /// The availability rows of these agents (agents without one are available).
    pub async fn availability_of(
        &self,
        user_ids: &[i64],
    ) -> Result<Vec<AvailabilityRow>, StoreError> {
        Ok(agent_availability::Entity::find()
            .filter(agent_availability::Column::UserId.is_in(user_ids.iter().copied()))
            .all(self.conn)
            .await?)
    }

    /// Sets an agent's availability and capacity.
    pub async fn set_availability(&self, row: AvailabilityRow) -> Result<(), StoreError> {
        agent_availability::Entity::insert(row.into_active_model())
            .on_conflict(
                sea_orm::sea_query::OnConflict::column(agent_availability::Column::UserId)
                    .update_columns([
                        agent_availability::Column::Available,
                        agent_availability::Column::Capacity,
                        agent_availability::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec(self.conn)
            .await?;
        Ok(())
    }

    /// How many tickets in `status_ids` each of these agents is assigned.
    pub async fn assigned_counts(
        &self,
        user_ids: &[i64],
        status_ids: &[i64],
    ) -> Result<Vec<(i64, i64)>, StoreError> {
        let rows: Vec<(Option<i64>, i64)> = ticket::Entity::find()
            .select_only()
            .column(ticket::Column::AssigneeId)
            .column_as(ticket::Column::Id.count(), "n")
            .filter(ticket::Column::AssigneeId.is_in(user_ids.iter().copied()))
            .filter(ticket::Column::StatusId.is_in(status_ids.iter().copied()))
            .filter(ticket::Column::DeletedAt.is_null())
            .group_by(ticket::Column::AssigneeId)
            .into_tuple()
            .all(self.conn)
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, n)| id.map(|id| (id, n)))
            .collect())
    }
}
