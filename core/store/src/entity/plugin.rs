//! The `plugins` table: each installed plugin, its current and previous package, what
//! the admin granted and configured, and why it was disabled.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "plugins")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The manifest's id.
    #[sea_orm(unique)]
    pub plugin_id: String,
    pub name: String,
    pub version: String,
    /// The package running (a row of `plugin_packages`).
    pub sha256: String,
    /// The package it ran before the last upgrade, for rollback.
    pub previous_sha256: Option<String>,
    /// The current package's `plugin.toml`.
    pub manifest: String,
    pub enabled: bool,
    pub grants: Json,
    /// Settings that are not secret, by key.
    pub settings: Json,
    /// Secret settings, by key; never shown back.
    pub secrets: Json,
    /// Limits the admin lowered.
    pub limits: Json,
    /// Failed calls in a row.
    pub failures: i32,
    pub disabled_reason: Option<String>,
    pub last_error: Option<String>,
    pub installed_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
