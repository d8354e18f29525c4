//! The first schema: people, tickets, messages, the event log, auth.

use sea_orm_migration::prelude::*;

#[derive(Debug, DeriveMigrationName)]
pub struct Migration;

fn id(t: &mut TableCreateStatement) -> &mut TableCreateStatement {
    t.col(
        ColumnDef::new(Alias::new("id"))
            .big_integer()
            .not_null()
            .auto_increment()
            .primary_key(),
    )
}

fn col(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
}

fn text(name: &str) -> ColumnDef {
    let mut c = col(name);
    c.text().not_null();
    c
}

fn opt_text(name: &str) -> ColumnDef {
    let mut c = col(name);
    c.text().null();
    c
}

fn big(name: &str) -> ColumnDef {
    let mut c = col(name);
    c.big_integer().not_null();
    c
}

fn opt_big(name: &str) -> ColumnDef {
    let mut c = col(name);
    c.big_integer().null();
    c
}

fn int(name: &str) -> ColumnDef {
    let mut c = col(name);
    c.integer().not_null();
    c
}

fn flag(name: &str) -> ColumnDef {
    let mut c = col(name);
    c.boolean().not_null();
    c
}

fn json(name: &str) -> ColumnDef {
    let mut c = col(name);
    c.json_binary().not_null();
    c
}

fn table(name: &str) -> TableCreateStatement {
    let mut t = Table::create();
    t.table(Alias::new(name));
    t
}

fn pk(t: &mut TableCreateStatement, cols: &[&str]) {
    let mut index = Index::create();
    for c in cols {
        index.col(Alias::new(*c));
    }
    t.primary_key(&mut index);
}

fn index(name: &str, table: &str, cols: &[&str], unique: bool) -> IndexCreateStatement {
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
            id(&mut table("organizations"))
                .col(text("name").unique_key())
                .col(json("domains"))
                .col(flag("shared_tickets"))
                .col(big("created_at"))
                .to_owned(),
            id(&mut table("users"))
                .col(text("email").unique_key())
                .col(text("name"))
                .col(text("role"))
                .col(opt_text("password_hash"))
                .col(opt_big("organization_id"))
                .col(flag("active"))
                .col(big("created_at"))
                .col(big("updated_at"))
                .to_owned(),
            id(&mut table("groups"))
                .col(text("name").unique_key())
                .col(text("description"))
                .col(big("created_at"))
                .to_owned(),
            {
                let mut t = table("group_members");
                t.col(big("group_id")).col(big("user_id"));
                pk(&mut t, &["group_id", "user_id"]);
                t
            },
            id(&mut table("statuses"))
                .col(text("name").unique_key())
                .col(text("category"))
                .col(flag("builtin"))
                .col(int("position"))
                .col(flag("active"))
                .to_owned(),
            id(&mut table("custom_fields"))
                .col(text("key").unique_key())
                .col(text("label"))
                .col(text("kind"))
                .col(json("options"))
                .col(flag("required"))
                .col(flag("active"))
                .col(int("position"))
                .col(big("created_at"))
                .to_owned(),
            table("tickets")
                .col(big("id").primary_key())
                .col(text("subject"))
                .col(big("status_id"))
                .col(text("priority"))
                .col(text("kind"))
                .col(big("requester_id"))
                .col(opt_big("assignee_id"))
                .col(opt_big("group_id"))
                .col(opt_big("organization_id"))
                .col(json("tags"))
                .col(json("custom_fields"))
                .col(text("channel"))
                .col(opt_text("external_id"))
                .col(opt_big("due_at"))
                .col(big("created_at"))
                .col(big("updated_at"))
                .col(opt_big("first_response_at"))
                .col(opt_big("solved_at"))
                .col(opt_big("closed_at"))
                .col(opt_big("merged_into"))
                .col(opt_big("deleted_at"))
                .col(big("version"))
                .to_owned(),
            {
                let mut t = table("ticket_tags");
                t.col(big("ticket_id")).col(text("tag"));
                pk(&mut t, &["ticket_id", "tag"]);
                t
            },
            {
                let mut t = table("ticket_links");
                t.col(big("ticket_id"))
                    .col(big("other_id"))
                    .col(text("kind"))
                    .col(big("created_at"));
                pk(&mut t, &["ticket_id", "other_id", "kind"]);
                t
            },
            id(&mut table("messages"))
                .col(big("ticket_id"))
                .col(big("author_id"))
                .col(flag("public"))
                .col(text("body_text"))
                .col(text("body_html"))
                .col(text("channel"))
                .col(json("metadata"))
                .col(big("created_at"))
                .to_owned(),
            id(&mut table("attachments"))
                .col(big("ticket_id"))
                .col(opt_big("message_id"))
                .col(text("filename"))
                .col(text("content_type"))
                .col(big("size"))
                .col(text("sha256"))
                .col(big("uploaded_by"))
                .col(big("created_at"))
                .to_owned(),
            id(&mut table("macros"))
                .col(text("name").unique_key())
                .col(text("body"))
                .col(flag("public"))
                .col(json("actions"))
                .col(flag("active"))
                .col(big("created_at"))
                .col(big("updated_at"))
                .to_owned(),
            id(&mut table("events"))
                .col(opt_big("ticket_id"))
                .col(text("kind"))
                .col(opt_big("actor_id"))
                .col(text("via"))
                .col(opt_text("via_name"))
                .col(json("data"))
                .col(int("depth"))
                .col(big("created_at"))
                .to_owned(),
            table("consumer_checkpoints")
                .col(text("name").primary_key())
                .col(big("position"))
                .col(big("updated_at"))
                .to_owned(),
            table("sessions")
                .col(text("id").primary_key())
                .col(big("user_id"))
                .col(text("csrf_token"))
                .col(big("created_at"))
                .col(big("expires_at"))
                .to_owned(),
            id(&mut table("api_tokens"))
                .col(big("user_id"))
                .col(text("name"))
                .col(text("token_hash").unique_key())
                .col(text("prefix"))
                .col(big("created_at"))
                .col(opt_big("last_used_at"))
                .col(opt_big("revoked_at"))
                .to_owned(),
            {
                let mut t = table("idempotency_keys");
                t.col(big("user_id"))
                    .col(text("key"))
                    .col(text("fingerprint"))
                    .col(int("status"))
                    .col(text("body"))
                    .col(big("created_at"));
                pk(&mut t, &["user_id", "key"]);
                t
            },
            table("counters")
                .col(text("name").primary_key())
                .col(big("value"))
                .to_owned(),
            table("settings")
                .col(text("key").primary_key())
                .col(text("value"))
                .to_owned(),
        ];
        for t in tables {
            manager.create_table(t).await?;
        }
        let indexes = [
            index("idx_users_org", "users", &["organization_id"], false),
            index("idx_members_user", "group_members", &["user_id"], false),
            index(
                "idx_tickets_updated",
                "tickets",
                &["updated_at", "id"],
                false,
            ),
            index(
                "idx_tickets_created",
                "tickets",
                &["created_at", "id"],
                false,
            ),
            index(
                "idx_tickets_status",
                "tickets",
                &["status_id", "updated_at"],
                false,
            ),
            index(
                "idx_tickets_assignee",
                "tickets",
                &["assignee_id", "updated_at"],
                false,
            ),
            index(
                "idx_tickets_group",
                "tickets",
                &["group_id", "updated_at"],
                false,
            ),
            index(
                "idx_tickets_requester",
                "tickets",
                &["requester_id", "updated_at"],
                false,
            ),
            index(
                "idx_tickets_org",
                "tickets",
                &["organization_id", "updated_at"],
                false,
            ),
            index(
                "idx_tickets_external",
                "tickets",
                &["channel", "external_id"],
                false,
            ),
            index(
                "idx_ticket_tags_tag",
                "ticket_tags",
                &["tag", "ticket_id"],
                false,
            ),
            index("idx_links_other", "ticket_links", &["other_id"], false),
            index(
                "idx_messages_ticket",
                "messages",
                &["ticket_id", "id"],
                false,
            ),
            index(
                "idx_attachments_ticket",
                "attachments",
                &["ticket_id"],
                false,
            ),
            index(
                "idx_attachments_message",
                "attachments",
                &["message_id"],
                false,
            ),
            index("idx_events_ticket", "events", &["ticket_id", "id"], false),
            index("idx_sessions_user", "sessions", &["user_id"], false),
            index("idx_tokens_user", "api_tokens", &["user_id"], false),
        ];
        for i in indexes {
            manager.create_index(i).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in [
            "settings",
            "counters",
            "idempotency_keys",
            "api_tokens",
            "sessions",
            "consumer_checkpoints",
            "events",
            "macros",
            "attachments",
            "messages",
            "ticket_links",
            "ticket_tags",
            "tickets",
            "custom_fields",
            "statuses",
            "group_members",
            "groups",
            "users",
            "organizations",
        ] {
            manager
                .drop_table(Table::drop().table(Alias::new(name)).to_owned())
                .await?;
        }
        Ok(())
    }
}
