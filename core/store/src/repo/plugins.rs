//! Plugins: the installed plugins and their packages, each plugin's key-value store, log,
//! call log and quarantine.

use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};

use super::Repos;
use crate::entity::{
    plugin, plugin_call, plugin_kv, plugin_log, plugin_package, plugin_quarantine, ticket,
};
use crate::{
    PluginCallRow, PluginLogRow, PluginPackageRow, PluginRow, QuarantineRow, StoreError, TicketRow,
};

/// Why a key-value write was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaExceeded {
    pub used: u64,
    pub quota: u64,
}

impl<C: ConnectionTrait> Repos<'_, C> {
    // ---- plugins ----

    /// Every installed plugin, by id.
    pub async fn list_plugins(&self) -> Result<Vec<PluginRow>, StoreError> {
        Ok(plugin::Entity::find()
            .order_by_asc(plugin::Column::PluginId)
            .all(self.conn)
            .await?)
    }

    /// An installed plugin by its manifest id.
    pub async fn plugin(&self, plugin_id: &str) -> Result<Option<PluginRow>, StoreError> {
        Ok(plugin::Entity::find()
            .filter(plugin::Column::PluginId.eq(plugin_id))
            .one(self.conn)
            .await?)
    }

    /// Records a newly installed plugin.
    pub async fn insert_plugin(&self, row: PluginRow) -> Result<PluginRow, StoreError> {
        let id = row.plugin_id.clone();
        let mut active = row.into_active_model();
        active.id = NotSet;
        active
            .insert(self.conn)
            .await
            .map_err(|e| StoreError::unique(e, &format!("a plugin {id:?} is already installed")))
    }

    /// Saves every column of an installed plugin.
    pub async fn update_plugin(&self, row: PluginRow) -> Result<PluginRow, StoreError> {
        Ok(row
            .into_active_model()
            .reset_all()
            .update(self.conn)
            .await?)
    }

    /// Removes a plugin with its packages, log, call log and quarantine; its key-value
    /// data too when `purge`.
    pub async fn delete_plugin(&self, plugin_id: &str, purge: bool) -> Result<bool, StoreError> {
        plugin_package::Entity::delete_many()
            .filter(plugin_package::Column::PluginId.eq(plugin_id))
            .exec(self.conn)
            .await?;
        plugin_log::Entity::delete_many()
            .filter(plugin_log::Column::PluginId.eq(plugin_id))
            .exec(self.conn)
            .await?;
        plugin_call::Entity::delete_many()
            .filter(plugin_call::Column::PluginId.eq(plugin_id))
            .exec(self.conn)
            .await?;
        plugin_quarantine::Entity::delete_many()
            .filter(plugin_quarantine::Column::PluginId.eq(plugin_id))
            .exec(self.conn)
            .await?;
        if purge {
            plugin_kv::Entity::delete_many()
                .filter(plugin_kv::Column::PluginId.eq(plugin_id))
                .exec(self.conn)
                .await?;
        }
        let gone = plugin::Entity::delete_many()
            .filter(plugin::Column::PluginId.eq(plugin_id))
            .exec(self.conn)
            .await?;
        Ok(gone.rows_affected > 0)
    }

    /// Keeps a package file; one already kept (same plugin and hash) stays as it is.
    pub async fn keep_package(&self, row: PluginPackageRow) -> Result<(), StoreError> {
        if self.package(&row.plugin_id, &row.sha256).await?.is_some() {
            return Ok(());
        }
        let mut active = row.into_active_model();
        active.id = NotSet;
        active.insert(self.conn).await?;
        Ok(())
    }

    /// A kept package file.
    pub async fn package(
        &self,
        plugin_id: &str,
        sha256: &str,
    ) -> Result<Option<PluginPackageRow>, StoreError> {
        Ok(plugin_package::Entity::find()
            .filter(plugin_package::Column::PluginId.eq(plugin_id))
            .filter(plugin_package::Column::Sha256.eq(sha256))
            .one(self.conn)
            .await?)
    }

    // ---- key-value store ----

    /// The value under a key of a plugin's store.
    pub async fn kv_get(&self, plugin_id: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(plugin_kv::Entity::find()
            .filter(plugin_kv::Column::PluginId.eq(plugin_id))
            .filter(plugin_kv::Column::Key.eq(key))
            .one(self.conn)
            .await?
            .map(|r| r.value))
    }

    /// Stores a value unless the plugin's keys and values would come to more than
    /// `quota` bytes.
    pub async fn kv_put(
        &self,
        plugin_id: &str,
        key: &str,
        value: Vec<u8>,
        quota: u64,
    ) -> Result<Result<(), QuotaExceeded>, StoreError> {
        let sizes: Vec<(String, i64)> = plugin_kv::Entity::find()
            .select_only()
            .column(plugin_kv::Column::Key)
            .column(plugin_kv::Column::Size)
            .filter(plugin_kv::Column::PluginId.eq(plugin_id))
            .into_tuple()
            .all(self.conn)
            .await?;
        let used: u64 = sizes
            .iter()
            .filter(|(k, _)| k != key)
            .map(|(_, s)| *s as u64)
            .sum();
        let size = (key.len() + value.len()) as u64;
        if used + size > quota {
            return Ok(Err(QuotaExceeded { used, quota }));
        }
        let existing = plugin_kv::Entity::find()
            .filter(plugin_kv::Column::PluginId.eq(plugin_id))
            .filter(plugin_kv::Column::Key.eq(key))
            .one(self.conn)
            .await?;
        match existing {
            Some(row) => {
                let mut active = row.into_active_model();
                active.value = sea_orm::ActiveValue::Set(value);
                active.size = sea_orm::ActiveValue::Set(size as i64);
                active.update(self.conn).await?;
            }
            None => {
                plugin_kv::ActiveModel {
                    id: NotSet,
                    plugin_id: sea_orm::ActiveValue::Set(plugin_id.to_string()),
                    key: sea_orm::ActiveValue::Set(key.to_string()),
                    value: sea_orm::ActiveValue::Set(value),
                    size: sea_orm::ActiveValue::Set(size as i64),
                }
                .insert(self.conn)
                .await?;
            }
        }
        Ok(Ok(()))
    }

    /// Removes a key; whether it was there.
    pub async fn kv_delete(&self, plugin_id: &str, key: &str) -> Result<bool, StoreError> {
        let gone = plugin_kv::Entity::delete_many()
            .filter(plugin_kv::Column::PluginId.eq(plugin_id))
            .filter(plugin_kv::Column::Key.eq(key))
            .exec(self.conn)
            .await?;
        Ok(gone.rows_affected > 0)
    }

    /// Keys with a prefix, in order.
    pub async fn kv_keys(
        &self,
        plugin_id: &str,
        prefix: &str,
        limit: u64,
    ) -> Result<Vec<String>, StoreError> {
        let keys: Vec<String> = plugin_kv::Entity::find()
            .select_only()
            .column(plugin_kv::Column::Key)
            .filter(plugin_kv::Column::PluginId.eq(plugin_id))
            .filter(plugin_kv::Column::Key.gte(prefix))
            .order_by_asc(plugin_kv::Column::Key)
            .into_tuple()
            .all(self.conn)
            .await?;
        Ok(keys
            .into_iter()
            .skip_while(|k| !k.starts_with(prefix))
            .take_while(|k| k.starts_with(prefix))
            .take(limit as usize)
            .collect())
    }

    /// How many keys a plugin stores, and their bytes.
    pub async fn kv_usage(&self, plugin_id: &str) -> Result<(u64, u64), StoreError> {
        let sizes: Vec<i64> = plugin_kv::Entity::find()
            .select_only()
            .column(plugin_kv::Column::Size)
            .filter(plugin_kv::Column::PluginId.eq(plugin_id))
            .into_tuple()
            .all(self.conn)
            .await?;
        Ok((sizes.len() as u64, sizes.iter().map(|s| *s as u64).sum()))
    }

    // ---- log, calls, quarantine ----

    /// Appends lines to plugins' logs.
    pub async fn insert_plugin_log(&self, rows: Vec<PluginLogRow>) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let models = rows.into_iter().map(|r| {
            let mut a = r.into_active_model();
            a.id = NotSet;
            a
        });
        plugin_log::Entity::insert_many(models)
            .exec(self.conn)
            .await?;
        Ok(())
    }

    /// A plugin's latest log lines, newest first.
    pub async fn plugin_log(
        &self,
        plugin_id: &str,
        limit: u64,
    ) -> Result<Vec<PluginLogRow>, StoreError> {
        Ok(plugin_log::Entity::find()
            .filter(plugin_log::Column::PluginId.eq(plugin_id))
            .order_by_desc(plugin_log::Column::Id)
            .limit(limit)
            .all(self.conn)
            .await?)
    }

    /// Records a hook call; a second call with the same `dedup` is a conflict.
    pub async fn insert_plugin_call(
        &self,
        row: PluginCallRow,
    ) -> Result<PluginCallRow, StoreError> {
        let mut active = row.into_active_model();
        active.id = NotSet;
        active
            .insert(self.conn)
            .await
            .map_err(|e| StoreError::unique(e, "this event was already handled"))
    }

    /// A plugin's latest calls, newest first.
    pub async fn plugin_calls(
        &self,
        plugin_id: &str,
        limit: u64,
    ) -> Result<Vec<PluginCallRow>, StoreError> {
        Ok(plugin_call::Entity::find()
            .filter(plugin_call::Column::PluginId.eq(plugin_id))
            .order_by_desc(plugin_call::Column::Id)
            .limit(limit)
            .all(self.conn)
            .await?)
    }

    /// Keeps an inbound request a channel plugin refused.
    pub async fn insert_quarantine(&self, row: QuarantineRow) -> Result<QuarantineRow, StoreError> {
        let mut active = row.into_active_model();
        active.id = NotSet;
        Ok(active.insert(self.conn).await?)
    }

    /// A plugin's quarantined requests, newest first.
    pub async fn quarantine(
        &self,
        plugin_id: &str,
        limit: u64,
    ) -> Result<Vec<QuarantineRow>, StoreError> {
        Ok(plugin_quarantine::Entity::find()
            .filter(plugin_quarantine::Column::PluginId.eq(plugin_id))
            .order_by_desc(plugin_quarantine::Column::Id)
            .limit(limit)
            .all(self.conn)
            .await?)
    }

    /// The live ticket a channel knows by this thread key.
    pub async fn ticket_by_thread(
        &self,
        channel: &str,
        thread_key: &str,
    ) -> Result<Option<TicketRow>, StoreError> {
        Ok(ticket::Entity::find()
            .filter(ticket::Column::Channel.eq(channel))
            .filter(ticket::Column::ExternalId.eq(thread_key))
            .filter(ticket::Column::DeletedAt.is_null())
            .order_by_desc(ticket::Column::Id)
            .one(self.conn)
            .await?)
    }
}
