//! SLAs: business-hours calendars, SLA policies, each ticket's clocks and the alerts the
//! sweeper sent (one row per target run and kind, so each is sent once); rating links;
//! agents' notification preferences, and the event a notification was sent for (one
//! per user, kind and event).

use sea_orm_migration::prelude::*;

use super::m0003_automation::{big, flag, id, index, int, json, opt_big, opt_text, text};

#[derive(Debug, DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = [
            Table::create()
                .table(Alias::new("calendars"))
                .col(id())
                .col(text("name").unique_key())
                .col(text("time_zone"))
                .col(json("hours"))
                .col(json("holidays"))
                .col(json("closures"))
                .col(big("created_at"))
                .col(big("updated_at"))
                .to_owned(),
            Table::create()
                .table(Alias::new("sla_policies"))
                .col(id())
                .col(text("name").unique_key())
                .col(int("position"))
                .col(flag("enabled"))
                .col(json("conditions"))
                .col(json("targets"))
                .col(opt_big("calendar_id"))
                .col(int("warning_minutes"))
                .col(big("created_at"))
                .col(big("updated_at"))
                .to_owned(),
            Table::create()
                .table(Alias::new("ticket_slas"))
                .col(
                    ColumnDef::new(Alias::new("ticket_id"))
                        .big_integer()
                        .not_null()
                        .primary_key(),
                )
                .col(opt_big("policy_id"))
                .col(opt_text("state"))
                .col(opt_big("due_at"))
                .col(opt_big("check_at"))
                .col(json("clocks"))
                .col(big("updated_at"))
                .to_owned(),
            Table::create()
                .table(Alias::new("sla_alerts"))
                .col(id())
                .col(big("ticket_id"))
                .col(text("target"))
                .col(text("kind"))
                .col(big("started_at"))
                .col(big("due_at"))
                .col(big("created_at"))
                .to_owned(),
            Table::create()
                .table(Alias::new("rating_links"))
                .col(id())
                .col(text("token_sha256").unique_key())
                .col(big("ticket_id"))
                .col(big("solved_at"))
                .col(big("requester_id"))
                .col(opt_big("used_at"))
                .col(big("created_at"))
                .to_owned(),
            Table::create()
                .table(Alias::new("notification_prefs"))
                .col(
                    ColumnDef::new(Alias::new("user_id"))
                        .big_integer()
                        .not_null()
                        .primary_key(),
                )
                .col(json("kinds"))
                .col(big("updated_at"))
                .to_owned(),
        ];
        for t in tables {
            manager.create_table(t).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("notifications"))
                    .add_column(opt_big("event_id"))
                    .to_owned(),
            )
            .await?;
        let indexes = [
            index("idx_ticket_slas_check", "ticket_slas", &["check_at"], false),
            index("idx_ticket_slas_due", "ticket_slas", &["due_at"], false),
            index(
                "idx_sla_alerts_once",
                "sla_alerts",
                &["ticket_id", "target", "kind", "started_at"],
                true,
            ),
            index(
                "idx_rating_links_ticket",
                "rating_links",
                &["ticket_id", "solved_at"],
                true,
            ),
            index("idx_events_kind", "events", &["kind", "id"], false),
            index(
                "idx_notifications_once",
                "notifications",
                &["user_id", "kind", "event_id"],
                true,
            ),
        ];
        for i in indexes {
            manager.create_index(i.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_notifications_once")
                    .table(Alias::new("notifications"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("notifications"))
                    .drop_column(Alias::new("event_id"))
                    .to_owned(),
            )
            .await?;
        for name in [
            "notification_prefs",
            "rating_links",
            "sla_alerts",
            "ticket_slas",
            "sla_policies",
            "calendars",
        ] {
            manager
                .drop_table(Table::drop().table(Alias::new(name)).to_owned())
                .await?;
        }
        Ok(())
    }
}
