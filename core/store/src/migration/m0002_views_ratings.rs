//! Saved ticket views and satisfaction ratings.

use sea_orm_migration::prelude::*;

#[derive(Debug, DeriveMigrationName)]
pub struct Migration;

fn col(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
}

fn id() -> ColumnDef {
    let mut c = col("id");
    c.big_integer().not_null().auto_increment().primary_key();
    c
}

fn text(name: &str) -> ColumnDef {
    let mut c = col(name);
    c.text().not_null();
    c
}

fn big(name: &str) -> ColumnDef {
    let mut c = col(name);
    c.big_integer().not_null();
    c
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("views"))
                    .col(id())
                    .col(text("name"))
                    .col(text("query"))
                    .col(text("sort"))
                    .col(col("owner_id").big_integer().null())
                    .col(col("position").integer().not_null())
                    .col(big("created_at"))
                    .col(big("updated_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_views_owner")
                    .table(Alias::new("views"))
                    .col(Alias::new("owner_id"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("ratings"))
                    .col(id())
                    .col(big("ticket_id"))
                    .col(big("solved_at"))
                    .col(big("author_id"))
                    .col(text("score"))
                    .col(text("comment"))
                    .col(big("created_at"))
                    .col(big("updated_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_ratings_solve")
                    .table(Alias::new("ratings"))
                    .col(Alias::new("ticket_id"))
                    .col(Alias::new("solved_at"))
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in ["ratings", "views"] {
            manager
                .drop_table(Table::drop().table(Alias::new(name)).to_owned())
                .await?;
        }
        Ok(())
    }
}
