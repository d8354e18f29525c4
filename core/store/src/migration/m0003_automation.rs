//! Automation: rules with their versions and run log, in-app notifications, agent
//! availability, and the origin of each event (the change that started a chain).

use sea_orm_migration::prelude::*;

#[derive(Debug, DeriveMigrationName)]
pub struct Migration;

pub(super) fn col(name: &str, kind: fn(&mut ColumnDef) -> &mut ColumnDef, null: bool) -> ColumnDef {
    let mut c = ColumnDef::new(Alias::new(name));
    kind(&mut c);
    if null {
        c.null();
    } else {
        c.not_null();
    }
    c
}

pub(super) fn text(name: &str) -> ColumnDef {
    col(name, ColumnDef::text, false)
}
pub(super) fn opt_text(name: &str) -> ColumnDef {
    col(name, ColumnDef::text, true)
}
pub(super) fn big(name: &str) -> ColumnDef {
    col(name, ColumnDef::big_integer, false)
}
pub(super) fn opt_big(name: &str) -> ColumnDef {
    col(name, ColumnDef::big_integer, true)
}
pub(super) fn int(name: &str) -> ColumnDef {
    col(name, ColumnDef::integer, false)
}
pub(super) fn flag(name: &str) -> ColumnDef {
    col(name, ColumnDef::boolean, false)
}
pub(super) fn json(name: &str) -> ColumnDef {
    col(name, ColumnDef::json_binary, false)
}

pub(super) fn id() -> ColumnDef {
    let mut c = ColumnDef::new(Alias::new("id"));
    c.big_integer().not_null().auto_increment().primary_key();
    c
}

pub(super) fn index(name: &str, table: &str, cols: &[&str], unique: bool) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(Alias::new(table));
    for c in cols {
        i.col(Alias::new(*c));
    }
    if unique {
        i.unique();
    }
    i
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = [
            Table::create()
                .table(Alias::new("rules"))
                .col(id())
                .col(text("name").unique_key())
                .col(text("description"))
                .col(text("script"))
                .col(json("triggers"))
                .col(opt_text("schedule"))
                .col(opt_text("query"))
                .col(int("position"))
                .col(flag("active"))
                .col(flag("on_rule_changes"))
                .col(big("version"))
                .col(int("failures"))
                .col(opt_text("disabled_reason"))
                .col(opt_text("last_error"))
                .col(opt_big("last_run_at"))
                .col(opt_big("next_run_at"))
                .col(opt_big("updated_by"))
                .col(big("created_at"))
                .col(big("updated_at"))
                .to_owned(),
            Table::create()
                .table(Alias::new("rule_versions"))
                .col(id())
                .col(big("rule_id"))
                .col(big("version"))
                .col(text("name"))
                .col(text("script"))
                .col(json("meta"))
                .col(opt_big("author_id"))
                .col(big("created_at"))
                .to_owned(),
            Table::create()
                .table(Alias::new("rule_runs"))
                .col(id())
                .col(big("rule_id"))
                .col(opt_big("ticket_id"))
                .col(opt_big("event_id"))
                .col(opt_text("dedup"))
                .col(flag("fired"))
                .col(json("changes"))
                .col(opt_text("error"))
                .col(big("duration_us"))
                .col(big("created_at"))
                .to_owned(),
            Table::create()
                .table(Alias::new("notifications"))
                .col(id())
                .col(big("user_id"))
                .col(opt_big("ticket_id"))
                .col(text("kind"))
                .col(text("text"))
                .col(opt_text("source"))
                .col(big("created_at"))
                .col(opt_big("read_at"))
                .to_owned(),
            Table::create()
                .table(Alias::new("agent_availability"))
                .col(
                    ColumnDef::new(Alias::new("user_id"))
                        .big_integer()
                        .not_null()
                        .primary_key(),
                )
                .col(flag("available"))
                .col(col("capacity", ColumnDef::integer, true))
                .col(big("updated_at"))
                .to_owned(),
        ];
        for t in tables {
            manager.create_table(t).await?;
        }
        let indexes = [
            index(
                "idx_rule_versions",
                "rule_versions",
                &["rule_id", "version"],
                true,
            ),
            index("idx_rule_runs_rule", "rule_runs", &["rule_id", "id"], false),
            index("idx_rule_runs_dedup", "rule_runs", &["dedup"], true),
            index(
                "idx_notifications_user",
                "notifications",
                &["user_id", "id"],
                false,
            ),
        ];
        for i in indexes {
            manager.create_index(i.to_owned()).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("events"))
                    .add_column(opt_big("origin_id"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("events"))
                    .drop_column(Alias::new("origin_id"))
                    .to_owned(),
            )
            .await?;
        for name in [
            "agent_availability",
            "notifications",
            "rule_runs",
            "rule_versions",
            "rules",
        ] {
            manager
                .drop_table(Table::drop().table(Alias::new(name)).to_owned())
                .await?;
        }
        Ok(())
    }
}
