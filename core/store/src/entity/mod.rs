//! One sea-orm entity per table.

pub mod agent_availability;
pub mod api_token;
pub mod attachment;
pub mod canned_macro;
pub mod checkpoint;
pub mod counter;
pub mod custom_field;
pub mod event;
pub mod group;
pub mod group_member;
pub mod idempotency;
pub mod message;
pub mod notification;
pub mod organization;
pub mod rating;
pub mod rule;
pub mod rule_run;
pub mod rule_version;
pub mod session;
pub mod setting;
pub mod status;
pub mod ticket;
pub mod ticket_link;
pub mod ticket_tag;
pub mod user;
pub mod view;
