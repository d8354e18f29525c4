//! Short-lived in-process copies of what nearly every request reads and almost nothing
//! writes: statuses, custom field definitions, SLA policies, and each user's permissions.
//!
//! Changes made through this process drop the copies at once; changes made by another
//! process sharing the database show after at most [`TTL`]. Token and session rows are
//! never cached, so revoking one takes effect on the next request everywhere.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use triage_domain::Actor;
use triage_domain::custom_field::CustomFieldDef;
use triage_store::{CustomFieldRow, GroupRow, StatusRow, UserRow};

use crate::{App, AppResult};

/// How long a copy is trusted.
pub(crate) const TTL: Duration = Duration::from_secs(2);

/// Statuses and custom fields as of one read.
#[derive(Debug)]
pub(crate) struct Config {
    pub statuses: Vec<StatusRow>,
    pub groups: Vec<GroupRow>,
    pub fields: Vec<CustomFieldRow>,
    pub active_defs: Vec<CustomFieldDef>,
    /// The SLA policies and their calendars.
    pub sla: crate::sla::SlaConfig,
}

#[derive(Debug, Default)]
pub(crate) struct Cache {
    config: Mutex<Option<(Instant, Arc<Config>)>>,
    actors: Mutex<HashMap<i64, (Instant, UserRow, Actor)>>,
}

impl App {
    /// The statuses and custom fields, from the copy if it is fresh.
    pub(crate) async fn config_snapshot(&self) -> AppResult<Arc<Config>> {
        if let Ok(guard) = self.cache.config.lock()
            && let Some((at, config)) = guard.as_ref()
            && at.elapsed() < TTL
        {
            return Ok(config.clone());
        }
        let repos = self.store.read();
        let statuses = repos.list_statuses().await?;
        let fields = repos.list_custom_fields().await?;
        let groups = repos.list_groups().await?;
        let sla = crate::sla::SlaConfig::new(
            &repos.list_sla_policies().await?,
            &repos.list_calendars().await?,
        );
        let active_defs = fields
            .iter()
            .filter(|f| f.active)
            .map(crate::directory::field_def)
            .collect::<AppResult<Vec<_>>>()?;
        let config = Arc::new(Config {
            statuses,
            groups,
            fields,
            active_defs,
            sla,
        });
        if let Ok(mut guard) = self.cache.config.lock() {
            *guard = Some((Instant::now(), config.clone()));
        }
        Ok(config)
    }

    /// Drops the copy of statuses and custom fields (after changing one).
    pub(crate) fn forget_config(&self) {
        if let Ok(mut guard) = self.cache.config.lock() {
            *guard = None;
        }
    }

    /// The user and their permissions, from the copy if it is fresh.
    pub(crate) async fn cached_actor(&self, user_id: i64) -> AppResult<Option<(UserRow, Actor)>> {
        if let Ok(guard) = self.cache.actors.lock()
            && let Some((at, user, actor)) = guard.get(&user_id)
            && at.elapsed() < TTL
        {
            return Ok(Some((user.clone(), actor.clone())));
        }
        let Some(user) = self.store.read().user(user_id).await? else {
            return Ok(None);
        };
        let actor = self.actor_for(&user).await?;
        if let Ok(mut guard) = self.cache.actors.lock() {
            if guard.len() > 10_000 {
                guard.retain(|_, (at, _, _)| at.elapsed() < TTL);
            }
            guard.insert(user_id, (Instant::now(), user.clone(), actor.clone()));
        }
        Ok(Some((user, actor)))
    }

    /// Drops every user's copied permissions (after changing users, groups or
    /// organizations).
    pub(crate) fn forget_actors(&self) {
        if let Ok(mut guard) = self.cache.actors.lock() {
            guard.clear();
        }
        self.live_reauthenticate(None);
    }
}
