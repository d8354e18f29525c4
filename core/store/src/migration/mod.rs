//! Schema migrations, applied in order and recorded in `seaql_migrations`.
//!
//! A released migration never changes; a new schema change is a new migration.

use sea_orm_migration::prelude::*;

mod m0001_initial;
mod m0002_views_ratings;
mod m0003_automation;
mod m0004_plugins;
mod m0005_sla;

/// The ordered list of migrations.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_initial::Migration),
            Box::new(m0002_views_ratings::Migration),
            Box::new(m0003_automation::Migration),
            Box::new(m0004_plugins::Migration),
            Box::new(m0005_sla::Migration),
        ]
    }
}
