//! The `calendars` table: business-hours calendars for SLA policies.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "calendars")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    /// An IANA time zone name.
    pub time_zone: String,
    /// Seven arrays (Monday first) of `["09:00", "17:00"]` intervals.
    pub hours: Json,
    /// Local dates (`YYYY-MM-DD`) closed all day.
    pub holidays: Json,
    /// One-off closures: `[{"from": ms, "to": ms}]`.
    pub closures: Json,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
