//! The helpdesk model and its rules, free of IO.
//!
//! Everything here is plain data and pure functions: which status transitions are allowed,
//! who may see or change a ticket, how custom field values are validated, how macro
//! placeholders are filled. Storage, HTTP and async live in the crates above; keeping this
//! crate free of them means every rule can be unit-tested on its own and reused by every
//! path that changes a ticket.

pub mod calendar;
pub mod custom_field;
pub mod error;
pub mod event;
pub mod permission;
pub mod sla;
pub mod status;
pub mod template;
pub mod text;
pub mod ticket;

pub use custom_field::{CustomFieldDef, FieldKind};
pub use error::DomainError;
pub use event::{EventKind, FieldChange, Via};
pub use permission::{Actor, Role, Visibility};
pub use status::{StatusCategory, check_transition};
pub use ticket::{LinkKind, Priority, TicketType};
