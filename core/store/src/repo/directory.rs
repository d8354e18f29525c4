//! People and configuration: users, organizations, groups, statuses, custom fields, macros.

use sea_orm::{
    ActiveModelTrait,
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::Repos;
use crate::entity::{canned_macro, custom_field, group, group_member, organization, status, user};
use crate::{CustomFieldRow, GroupRow, MacroRow, OrganizationRow, StatusRow, StoreError, UserRow};

impl<C: ConnectionTrait> Repos<'_, C> {
    // ---- users ----

    /// Inserts a user (its `id` is ignored) and returns it with its id.
    pub async fn insert_user(&self, row: UserRow) -> Result<UserRow, StoreError> {
        let mut active = row.into_active_model();
        active.id = NotSet;
        active
            .insert(self.conn)
            .await
            .map_err(|e| StoreError::unique(e, "a user with this email"))
    }

    /// Saves every column of an existing user.
    pub async fn update_user(&self, row: UserRow) -> Result<UserRow, StoreError> {
        let active: user::ActiveModel = row.into_active_model().reset_all();
        active
            .update(self.conn)
            .await
            .map_err(|e| StoreError::unique(e, "a user with this email"))
    }

    /// A user by id.
    pub async fn user(&self, id: i64) -> Result<Option<UserRow>, StoreError> {
        Ok(user::Entity::find_by_id(id).one(self.conn).await?)
    }

    /// A user by (normalised) email.
    pub async fn user_by_email(&self, email: &str) -> Result<Option<UserRow>, StoreError> {
        Ok(user::Entity::find()
            .filter(user::Column::Email.eq(email))
            .one(self.conn)
            .await?)
    }

    /// Users by id, for the ids given.
    pub async fn users_by_ids(&self, ids: &[i64]) -> Result<Vec<UserRow>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(user::Entity::find()
            .filter(user::Column::Id.is_in(ids.iter().copied()))
            .all(self.conn)
            .await?)
    }

    /// Users after `after_id` in id order, optionally of one role.
    pub async fn list_users(
        &self,
        role: Option<&str>,
        after_id: i64,
        limit: u64,
    ) -> Result<Vec<UserRow>, StoreError> {
        let mut q = user::Entity::find().filter(user::Column::Id.gt(after_id));
        if let Some(role) = role {
            q = q.filter(user::Column::Role.eq(role));
        }
        Ok(q.order_by_asc(user::Column::Id)
            .limit(limit)
            .all(self.conn)
            .await?)
    }

    /// Whether any active admin exists.
    pub async fn has_admin(&self) -> Result<bool, StoreError> {
        Ok(user::Entity::find()
            .filter(user::Column::Role.eq("admin"))
            .filter(user::Column::Active.eq(true))
            .one(self.conn)
            .await?
            .is_some())
    }

    /// Whether an active admin other than `user_id` exists.
    pub async fn has_other_admin(&self, user_id: i64) -> Result<bool, StoreError> {
        Ok(user::Entity::find()
            .filter(user::Column::Role.eq("admin"))
            .filter(user::Column::Active.eq(true))
            .filter(user::Column::Id.ne(user_id))
            .one(self.conn)
            .await?
            .is_some())
    }

    // ---- organizations ----

    /// Inserts an organization and returns it with its id.
    pub async fn insert_organization(
        &self,
        row: OrganizationRow,
    ) -> Result<OrganizationRow, StoreError> {
        let mut active = row.into_active_model();
        active.id = NotSet;
        active
            .insert(self.conn)
            .await
            .map_err(|e| StoreError::unique(e, "an organization with this name"))
    }

    /// Saves every column of an existing organization.
    pub async fn update_organization(
        &self,
        row: OrganizationRow,
    ) -> Result<OrganizationRow, StoreError> {
        row.into_active_model()
            .reset_all()
            .update(self.conn)
            .await
            .map_err(|e| StoreError::unique(e, "an organization with this name"))
    }

    /// An organization by id.
    pub async fn organization(&self, id: i64) -> Result<Option<OrganizationRow>, StoreError> {
        Ok(organization::Entity::find_by_id(id).one(self.conn).await?)
    }

    /// Every organization, by name.
    pub async fn list_organizations(&self) -> Result<Vec<OrganizationRow>, StoreError> {
        Ok(organization::Entity::find()
            .order_by_asc(organization::Column::Name)
            .all(self.conn)
            .await?)
    }

    // ---- groups ----

    /// Inserts a group and returns it with its id.
    pub async fn insert_group(&self, row: GroupRow) -> Result<GroupRow, StoreError> {
        let mut active = row.into_active_model();
        active.id = NotSet;
        active
            .insert(self.conn)
            .await
            .map_err(|e| StoreError::unique(e, "a group with this name"))
    }

    /// Saves every column of an existing group.
    pub async fn update_group(&self, row: GroupRow) -> Result<GroupRow, StoreError> {
        row.into_active_model()
            .reset_all()
            .update(self.conn)
            .await
            .map_err(|e| StoreError::unique(e, "a group with this name"))
    }

    /// A group by id.
    pub async fn group(&self, id: i64) -> Result<Option<GroupRow>, StoreError> {
        Ok(group::Entity::find_by_id(id).one(self.conn).await?)
    }

    /// Every group, by name.
    pub async fn list_groups(&self) -> Result<Vec<GroupRow>, StoreError> {
        Ok(group::Entity::find()
            .order_by_asc(group::Column::Name)
            .all(self.conn)
            .await?)
    }

    /// The user ids of a group's members.
    pub async fn group_members(&self, group_id: i64) -> Result<Vec<i64>, StoreError> {
        Ok(group_member::Entity::find()
            .filter(group_member::Column::GroupId.eq(group_id))
            .order_by_asc(group_member::Column::UserId)
            .all(self.conn)
            .await?
            .into_iter()
            .map(|m| m.user_id)
            .collect())
    }

    /// The ids of the groups a user belongs to.
    pub async fn groups_of_user(&self, user_id: i64) -> Result<Vec<i64>, StoreError> {
        Ok(group_member::Entity::find()
            .filter(group_member::Column::UserId.eq(user_id))
            .order_by_asc(group_member::Column::GroupId)
            .all(self.conn)
            .await?
            .into_iter()
            .map(|m| m.group_id)
            .collect())
    }

    /// Replaces a group's members.
    pub async fn set_group_members(
        &self,
        group_id: i64,
        user_ids: &[i64],
    ) -> Result<(), StoreError> {
        group_member::Entity::delete_many()
            .filter(group_member::Column::GroupId.eq(group_id))
            .exec(self.conn)
            .await?;
        if !user_ids.is_empty() {
            group_member::Entity::insert_many(user_ids.iter().map(|&user_id| {
                group_member::ActiveModel {
                    group_id: Set(group_id),
                    user_id: Set(user_id),
                }
            }))
            .exec(self.conn)
            .await?;
        }
        Ok(())
    }

    // ---- statuses ----

    /// Every status, in display order.
    pub async fn list_statuses(&self) -> Result<Vec<StatusRow>, StoreError> {
        Ok(status::Entity::find()
            .order_by_asc(status::Column::Position)
            .order_by_asc(status::Column::Id)
            .all(self.conn)
            .await?)
    }

    /// Inserts a status and returns it with its id.
    pub async fn insert_status(&self, row: StatusRow) -> Result<StatusRow, StoreError> {
        let mut active = row.into_active_model();
        active.id = NotSet;
        active
            .insert(self.conn)
            .await
            .map_err(|e| StoreError::unique(e, "a status with this name"))
    }

    /// Saves every column of an existing status.
    pub async fn update_status(&self, row: StatusRow) -> Result<StatusRow, StoreError> {
        row.into_active_model()
            .reset_all()
            .update(self.conn)
            .await
            .map_err(|e| StoreError::unique(e, "a status with this name"))
    }

    // ---- custom fields ----

    /// Every custom field definition, in display order.
    pub async fn list_custom_fields(&self) -> Result<Vec<CustomFieldRow>, StoreError> {
        Ok(custom_field::Entity::find()
            .order_by_asc(custom_field::Column::Position)
            .order_by_asc(custom_field::Column::Id)
            .all(self.conn)
            .await?)
    }

    /// Inserts a custom field definition and returns it with its id.
    pub async fn insert_custom_field(
        &self,
        row: CustomFieldRow,
    ) -> Result<CustomFieldRow, StoreError> {
        let mut active = row.into_active_model();
        active.id = NotSet;
        active
            .insert(self.conn)
            .await
            .map_err(|e| StoreError::unique(e, "a custom field with this key"))
    }

    /// Saves every column of an existing custom field definition.
    pub async fn update_custom_field(
        &self,
        row: CustomFieldRow,
    ) -> Result<CustomFieldRow, StoreError> {
        Ok(row
            .into_active_model()
            .reset_all()
            .update(self.conn)
            .await?)
    }

    // ---- macros ----

    /// Every macro, by name.
    pub async fn list_macros(&self) -> Result<Vec<MacroRow>, StoreError> {
        Ok(canned_macro::Entity::find()
            .order_by_asc(canned_macro::Column::Name)
            .all(self.conn)
            .await?)
    }

    /// A macro by id.
    pub async fn macro_by_id(&self, id: i64) -> Result<Option<MacroRow>, StoreError> {
        Ok(canned_macro::Entity::find_by_id(id).one(self.conn).await?)
    }

    /// Inserts a macro and returns it with its id.
    pub async fn insert_macro(&self, row: MacroRow) -> Result<MacroRow, StoreError> {
        let mut active = row.into_active_model();
        active.id = NotSet;
        active
            .insert(self.conn)
            .await
            .map_err(|e| StoreError::unique(e, "a macro with this name"))
    }

    /// Saves every column of an existing macro.
    pub async fn update_macro(&self, row: MacroRow) -> Result<MacroRow, StoreError> {
        row.into_active_model()
            .reset_all()
            .update(self.conn)
            .await
            .map_err(|e| StoreError::unique(e, "a macro with this name"))
    }

    /// Deletes a macro.
    pub async fn delete_macro(&self, id: i64) -> Result<bool, StoreError> {
        Ok(canned_macro::Entity::delete_by_id(id)
            .exec(self.conn)
            .await?
            .rows_affected
            == 1)
    }
}
