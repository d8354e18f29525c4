//! Tickets: rows, tags, the filtered and paginated list.

use sea_orm::sea_query::{Expr, Query, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    IntoActiveModel, Order, QueryFilter, QueryOrder, QuerySelect,
};
use triage_domain::Visibility;

use super::Repos;
use crate::entity::{ticket, ticket_sla, ticket_tag};
use crate::{StoreError, TicketRow};

/// Whose tickets to list by assignee.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssigneeFilter {
    /// Tickets nobody is assigned.
    Unassigned,
    /// Tickets assigned to this user.
    User(i64),
}

/// What to list. Empty vectors and `None` mean "any".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TicketFilter {
    pub status_ids: Vec<i64>,
    pub priorities: Vec<String>,
    pub kinds: Vec<String>,
    pub assignee: Option<AssigneeFilter>,
    pub group_id: Option<i64>,
    pub requester_id: Option<i64>,
    pub organization_id: Option<i64>,
    /// Tickets carrying every one of these tags.
    pub tags: Vec<String>,
    pub created_from: Option<i64>,
    pub created_to: Option<i64>,
    pub updated_from: Option<i64>,
    pub updated_to: Option<i64>,
    /// Tickets whose SLA is in one of these states (`on_track`, `warning`, `breached`,
    /// `met`).
    pub sla_states: Vec<String>,
    pub include_deleted: bool,
}

/// The column a list is ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortField {
    Created,
    Updated,
    Number,
    /// The soonest SLA due time; tickets without one come last.
    SlaDue,
}

/// The order of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TicketSort {
    pub field: SortField,
    pub descending: bool,
}

/// Where a page starts: the sort value and number of the last ticket of the page before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub value: i64,
    pub id: i64,
}

/// A ticket's soonest SLA due time in SQL, `i64::MAX` without one.
const SLA_DUE: &str = "COALESCE((SELECT ticket_slas.due_at FROM ticket_slas WHERE ticket_slas.ticket_id = tickets.id), 9223372036854775807)";

impl TicketSort {
    fn expr(self) -> SimpleExpr {
        let col = |c: ticket::Column| Expr::col((ticket::Entity, c)).into();
        match self.field {
            SortField::Created => col(ticket::Column::CreatedAt),
            SortField::Updated => col(ticket::Column::UpdatedAt),
            SortField::Number => col(ticket::Column::Id),
            SortField::SlaDue => Expr::cust(SLA_DUE),
        }
    }

    /// The cursor that continues after `row`; `sla_due` is its SLA's due time, which
    /// only a [`SortField::SlaDue`] cursor needs.
    pub fn cursor_after(self, row: &TicketRow, sla_due: Option<i64>) -> Cursor {
        let value = match self.field {
            SortField::Created => row.created_at,
            SortField::Updated => row.updated_at,
            SortField::Number => row.id,
            SortField::SlaDue => sla_due.unwrap_or(i64::MAX),
        };
        Cursor { value, id: row.id }
    }
}

/// Replaces the tag rows of the given tickets with the given sets.
pub(crate) async fn write_ticket_tags<C: ConnectionTrait>(
    conn: &C,
    tags: std::collections::BTreeMap<i64, Vec<String>>,
) -> Result<(), StoreError> {
    if tags.is_empty() {
        return Ok(());
    }
    for ids in tags.keys().copied().collect::<Vec<_>>().chunks(500) {
        ticket_tag::Entity::delete_many()
            .filter(ticket_tag::Column::TicketId.is_in(ids.iter().copied()))
            .exec(conn)
            .await?;
    }
    let mut rows = tags.into_iter().flat_map(|(ticket_id, tags)| {
        tags.into_iter().map(move |tag| ticket_tag::ActiveModel {
            ticket_id: Set(ticket_id),
            tag: Set(tag),
        })
    });
    loop {
        let chunk: Vec<ticket_tag::ActiveModel> = rows.by_ref().take(500).collect();
        if chunk.is_empty() {
            return Ok(());
        }
        ticket_tag::Entity::insert_many(chunk)
            .exec_without_returning(conn)
            .await?;
    }
}

/// The SQL condition selecting what `visibility` allows.
pub fn visibility_condition(visibility: &Visibility) -> Condition {
    match visibility {
        Visibility::All => Condition::all(),
        Visibility::Agent { user_id, group_ids } => {
            let mut any = Condition::any().add(ticket::Column::AssigneeId.eq(*user_id));
            if !group_ids.is_empty() {
                any = any.add(ticket::Column::GroupId.is_in(group_ids.iter().copied()));
            }
            any
        }
        Visibility::Customer {
            user_id,
            organization_id,
        } => {
            let mut any = Condition::any().add(ticket::Column::RequesterId.eq(*user_id));
            if let Some(org) = organization_id {
                any = any.add(ticket::Column::OrganizationId.eq(*org));
            }
            any
        }
    }
}

impl<C: ConnectionTrait> Repos<'_, C> {
    /// Inserts a ticket row with the number already in `row.id`.
    pub async fn insert_ticket(&self, row: TicketRow) -> Result<(), StoreError> {
        ticket::Entity::insert(row.into_active_model())
            .exec(self.conn)
            .await?;
        Ok(())
    }

    /// Saves every column of a ticket if its stored version is still `expected_version`;
    /// returns whether it was saved.
    pub async fn save_ticket(
        &self,
        row: TicketRow,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        let id = row.id;
        let active = row.into_active_model().reset_all();
        let result = ticket::Entity::update_many()
            .set(active)
            .filter(ticket::Column::Id.eq(id))
            .filter(ticket::Column::Version.eq(expected_version))
            .exec(self.conn)
            .await?;
        Ok(result.rows_affected == 1)
    }

    /// A ticket by number, deleted or not.
    pub async fn ticket(&self, id: i64) -> Result<Option<TicketRow>, StoreError> {
        Ok(ticket::Entity::find_by_id(id).one(self.conn).await?)
    }

    /// Tickets by number, for the numbers given.
    pub async fn tickets_by_ids(&self, ids: &[i64]) -> Result<Vec<TicketRow>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(ticket::Entity::find()
            .filter(ticket::Column::Id.is_in(ids.iter().copied()))
            .all(self.conn)
            .await?)
    }

    /// Records the tags of a ticket for filtering. In a write job the rows are written
    /// with the rest of the batch, once per ticket however often it changed.
    pub async fn set_ticket_tags(&self, ticket_id: i64, tags: &[String]) -> Result<(), StoreError> {
        if let Some(buffer) = self.tags {
            buffer
                .lock()
                .map_err(|_| StoreError::Corrupt("tag buffer poisoned".into()))?
                .insert(ticket_id, tags.to_vec());
            return Ok(());
        }
        write_ticket_tags(
            self.conn,
            std::collections::BTreeMap::from([(ticket_id, tags.to_vec())]),
        )
        .await
    }

    /// A page of the tickets `visibility` allows that match `filter`, in `sort` order,
    /// starting after `after`.
    pub async fn list_tickets(
        &self,
        visibility: &Visibility,
        filter: &TicketFilter,
        sort: TicketSort,
        after: Option<Cursor>,
        limit: u64,
    ) -> Result<Vec<TicketRow>, StoreError> {
        let mut q = ticket::Entity::find().filter(visibility_condition(visibility));
        if !filter.include_deleted {
            q = q.filter(ticket::Column::DeletedAt.is_null());
        }
        if !filter.status_ids.is_empty() {
            q = q.filter(ticket::Column::StatusId.is_in(filter.status_ids.iter().copied()));
        }
        if !filter.priorities.is_empty() {
            q = q.filter(ticket::Column::Priority.is_in(filter.priorities.iter().cloned()));
        }
        if !filter.kinds.is_empty() {
            q = q.filter(ticket::Column::Kind.is_in(filter.kinds.iter().cloned()));
        }
        match filter.assignee {
            Some(AssigneeFilter::Unassigned) => q = q.filter(ticket::Column::AssigneeId.is_null()),
            Some(AssigneeFilter::User(id)) => q = q.filter(ticket::Column::AssigneeId.eq(id)),
            None => {}
        }
        if let Some(id) = filter.group_id {
            q = q.filter(ticket::Column::GroupId.eq(id));
        }
        if let Some(id) = filter.requester_id {
            q = q.filter(ticket::Column::RequesterId.eq(id));
        }
        if let Some(id) = filter.organization_id {
            q = q.filter(ticket::Column::OrganizationId.eq(id));
        }
        for tag in &filter.tags {
            q = q.filter(
                Expr::col((ticket::Entity, ticket::Column::Id)).in_subquery(
                    Query::select()
                        .column(ticket_tag::Column::TicketId)
                        .from(ticket_tag::Entity)
                        .and_where(Expr::col(ticket_tag::Column::Tag).eq(tag.as_str()))
                        .to_owned(),
                ),
            );
        }
        if let Some(t) = filter.created_from {
            q = q.filter(ticket::Column::CreatedAt.gte(t));
        }
        if let Some(t) = filter.created_to {
            q = q.filter(ticket::Column::CreatedAt.lt(t));
        }
        if let Some(t) = filter.updated_from {
            q = q.filter(ticket::Column::UpdatedAt.gte(t));
        }
        if let Some(t) = filter.updated_to {
            q = q.filter(ticket::Column::UpdatedAt.lt(t));
        }
        if !filter.sla_states.is_empty() {
            q = q.filter(
                Expr::col((ticket::Entity, ticket::Column::Id)).in_subquery(
                    Query::select()
                        .column(ticket_sla::Column::TicketId)
                        .from(ticket_sla::Entity)
                        .and_where(
                            Expr::col(ticket_sla::Column::State)
                                .is_in(filter.sla_states.iter().cloned()),
                        )
                        .to_owned(),
                ),
            );
        }
        let column = || Expr::expr(sort.expr());
        if let Some(cursor) = after {
            let beyond = if sort.field == SortField::Number {
                if sort.descending {
                    Condition::all().add(ticket::Column::Id.lt(cursor.id))
                } else {
                    Condition::all().add(ticket::Column::Id.gt(cursor.id))
                }
            } else if sort.descending {
                Condition::any().add(column().lt(cursor.value)).add(
                    Condition::all()
                        .add(column().eq(cursor.value))
                        .add(ticket::Column::Id.lt(cursor.id)),
                )
            } else {
                Condition::any().add(column().gt(cursor.value)).add(
                    Condition::all()
                        .add(column().eq(cursor.value))
                        .add(ticket::Column::Id.gt(cursor.id)),
                )
            };
            q = q.filter(beyond);
        }
        q = if sort.descending {
            q.order_by(sort.expr(), Order::Desc)
                .order_by_desc(ticket::Column::Id)
        } else {
            q.order_by(sort.expr(), Order::Asc)
                .order_by_asc(ticket::Column::Id)
        };
        Ok(q.limit(limit).all(self.conn).await?)
    }

    /// How many tickets `visibility` allows in each status id (deleted ones excluded).
    pub async fn count_tickets_by_status(
        &self,
        visibility: &Visibility,
    ) -> Result<Vec<(i64, i64)>, StoreError> {
        let rows: Vec<(i64, i64)> = ticket::Entity::find()
            .select_only()
            .column(ticket::Column::StatusId)
            .column_as(ticket::Column::Id.count(), "n")
            .filter(visibility_condition(visibility))
            .filter(ticket::Column::DeletedAt.is_null())
            .group_by(ticket::Column::StatusId)
            .into_tuple()
            .all(self.conn)
            .await?;
        Ok(rows)
    }
}
