//! End-to-end tests of the HTTP API against a real server (SQLite, or PostgreSQL with
//! `TRIAGE_TEST_DATABASE_URL`).

mod auth;
mod bad_input;
mod concurrency;
mod csat;
mod example_rules;
mod live;
mod notifications;
mod openapi;
mod permissions;
mod plugins;
mod rules;
mod search;
mod sla;
mod story;
mod tickets;
