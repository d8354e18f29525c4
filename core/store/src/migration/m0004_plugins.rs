//! Plugins: installed plugins with their packages (kept for rollback), grants and
//! settings; each plugin's key-value store, log, call log and quarantined inbound
//! requests; and the plugin that declared a status.

use sea_orm_migration::prelude::*;

use super::m0003_automation::{big, col, flag, id, index, int, json, opt_big, opt_text, text};

#[derive(Debug, DeriveMigrationName)]
pub struct Migration;

fn blob(name: &str) -> ColumnDef {
    col(name, ColumnDef::blob, false)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = [
            Table::create()
                .table(Alias::new("plugins"))
                .col(id())
                .col(text("plugin_id").unique_key())
                .col(text("name"))
                .col(text("version"))
                .col(text("sha256"))
                .col(opt_text("previous_sha256"))
                .col(text("manifest"))
                .col(flag("enabled"))
                .col(json("grants"))
                .col(json("settings"))
                .col(json("secrets"))
                .col(json("limits"))
                .col(int("failures"))
                .col(opt_text("disabled_reason"))
                .col(opt_text("last_error"))
                .col(big("installed_at"))
                .col(big("updated_at"))
                .to_owned(),
            Table::create()
                .table(Alias::new("plugin_packages"))
                .col(id())
                .col(text("plugin_id"))
                .col(text("sha256"))
                .col(text("version"))
                .col(blob("bytes"))
                .col(big("created_at"))
                .to_owned(),
            Table::create()
                .table(Alias::new("plugin_kv"))
                .col(id())
                .col(text("plugin_id"))
                .col(text("key"))
                .col(blob("value"))
                .col(big("size"))
                .to_owned(),
            Table::create()
                .table(Alias::new("plugin_log"))
                .col(id())
                .col(text("plugin_id"))
                .col(text("level"))
                .col(text("message"))
                .col(big("created_at"))
                .to_owned(),
            Table::create()
                .table(Alias::new("plugin_calls"))
                .col(id())
                .col(text("plugin_id"))
                .col(text("hook"))
                .col(opt_big("event_id"))
                .col(opt_big("ticket_id"))
                .col(opt_text("dedup"))
                .col(flag("ok"))
                .col(opt_text("error"))
                .col(big("duration_us"))
                .col(big("created_at"))
                .to_owned(),
            Table::create()
                .table(Alias::new("plugin_quarantine"))
                .col(id())
                .col(text("plugin_id"))
                .col(text("method"))
                .col(text("path"))
                .col(json("headers"))
                .col(blob("body"))
                .col(text("error"))
                .col(big("created_at"))
                .to_owned(),
        ];
        for t in tables {
            manager.create_table(t).await?;
        }
        let indexes = [
            index(
                "idx_plugin_packages",
                "plugin_packages",
                &["plugin_id", "sha256"],
                true,
            ),
            index("idx_plugin_kv", "plugin_kv", &["plugin_id", "key"], true),
            index("idx_plugin_log", "plugin_log", &["plugin_id", "id"], false),
            index(
                "idx_plugin_calls",
                "plugin_calls",
                &["plugin_id", "id"],
                false,
            ),
            index("idx_plugin_calls_dedup", "plugin_calls", &["dedup"], true),
            index(
                "idx_plugin_quarantine",
                "plugin_quarantine",
                &["plugin_id", "id"],
                false,
            ),
        ];
        for i in indexes {
            manager.create_index(i.to_owned()).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("statuses"))
                    .add_column(opt_text("plugin_id"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("statuses"))
                    .drop_column(Alias::new("plugin_id"))
                    .to_owned(),
            )
            .await?;
        for name in [
            "plugin_quarantine",
            "plugin_calls",
            "plugin_log",
            "plugin_kv",
            "plugin_packages",
            "plugins",
        ] {
            manager
                .drop_table(Table::drop().table(Alias::new(name)).to_owned())
                .await?;
        }
        Ok(())
    }
}
