//! Working statuses, and a guard: a ticket is not solved before the customer has had a
//! public reply.

use triage_plugin_sdk::{Plugin, Status, StatusCategory, Statuses, Transition, export};

struct WorkingStatuses;

impl Plugin for WorkingStatuses {
    const ID: &'static str = "statuses";
}

/// The message an agent sees when solving too early.
pub const NO_REPLY: &str = "A ticket cannot be solved before the customer has had a public reply; reply first, or reply and solve in one step.";

/// Whether a transition is allowed.
pub fn check(transition: &Transition) -> Result<(), String> {
    let solving = transition.to_category == StatusCategory::Solved
        && transition.from_category != StatusCategory::Solved;
    let answered = transition.ticket.first_response_at.is_some() || transition.with_public_reply;
    if solving && !answered {
        return Err(NO_REPLY.into());
    }
    Ok(())
}

impl Statuses for WorkingStatuses {
    fn declare() -> Vec<Status> {
        [
            (
                "In progress",
                StatusCategory::Open,
                "Someone is working on it now",
            ),
            (
                "Waiting on vendor",
                StatusCategory::OnHold,
                "Waiting for a third party; the SLA clock is paused",
            ),
            (
                "Waiting on customer",
                StatusCategory::Pending,
                "Waiting for the customer's answer; the SLA clock is paused",
            ),
        ]
        .into_iter()
        .map(|(name, category, description)| Status {
            name: name.into(),
            category,
            description: description.into(),
        })
        .collect()
    }

    fn validate_transition(transition: &Transition) -> Result<(), String> {
        check(transition)
    }
}

export!(WorkingStatuses: Statuses);
