//! Status categories and the transitions between them.

use crate::DomainError;

/// The fixed category every status belongs to. The category, not the status name, gives a
/// status its meaning for SLAs, reopening and read-only tickets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StatusCategory {
    New,
    Open,
    Pending,
    OnHold,
    Solved,
    Closed,
}

impl StatusCategory {
    /// Every category, in lifecycle order.
    pub const ALL: [StatusCategory; 6] = [
        StatusCategory::New,
        StatusCategory::Open,
        StatusCategory::Pending,
        StatusCategory::OnHold,
        StatusCategory::Solved,
        StatusCategory::Closed,
    ];

    /// The stable name used in storage, the API and queries.
    pub fn as_str(self) -> &'static str {
        match self {
            StatusCategory::New => "new",
            StatusCategory::Open => "open",
            StatusCategory::Pending => "pending",
            StatusCategory::OnHold => "on_hold",
            StatusCategory::Solved => "solved",
            StatusCategory::Closed => "closed",
        }
    }

    /// Parses the stable name (`on-hold` is accepted for `on_hold`).
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "new" => Ok(StatusCategory::New),
            "open" => Ok(StatusCategory::Open),
            "pending" => Ok(StatusCategory::Pending),
            "on_hold" | "on-hold" | "onhold" => Ok(StatusCategory::OnHold),
            "solved" => Ok(StatusCategory::Solved),
            "closed" => Ok(StatusCategory::Closed),
            other => Err(DomainError::invalid(
                "category",
                format!(
                    "unknown status category {other:?}; expected one of new, open, pending, on_hold, solved, closed"
                ),
            )),
        }
    }

    /// The display name of the built-in status of this category.
    pub fn builtin_name(self) -> &'static str {
        match self {
            StatusCategory::New => "New",
            StatusCategory::Open => "Open",
            StatusCategory::Pending => "Pending",
            StatusCategory::OnHold => "On hold",
            StatusCategory::Solved => "Solved",
            StatusCategory::Closed => "Closed",
        }
    }

    /// Whether time in this category counts against SLA targets.
    pub fn sla_clock_runs(self) -> bool {
        matches!(self, StatusCategory::New | StatusCategory::Open)
    }

    /// Whether a ticket in this category is finished work (solved or closed).
    pub fn is_done(self) -> bool {
        matches!(self, StatusCategory::Solved | StatusCategory::Closed)
    }

    /// The category a ticket moves to when its customer writes: a solved, pending or
    /// on-hold ticket is reopened, others keep their category.
    pub fn after_customer_reply(self) -> StatusCategory {
        match self {
            StatusCategory::Solved | StatusCategory::Pending | StatusCategory::OnHold => {
                StatusCategory::Open
            }
            other => other,
        }
    }
}

/// Checks that a ticket may move from a status of category `from` to one of category `to`.
///
/// The rules: nothing returns to *new*; only a solved ticket may be closed; a closed ticket
/// never changes; moving between statuses of the same category is always allowed (except
/// out of closed).
pub fn check_transition(from: StatusCategory, to: StatusCategory) -> Result<(), DomainError> {
    use StatusCategory::*;
    let allowed = match (from, to) {
        (Closed, _) => false,
        (_, New) => from == New,
        (Solved, Closed) => true,
        (_, Closed) => false,
        _ => true,
    };
    if allowed {
        Ok(())
    } else {
        Err(DomainError::Transition {
            from: from.as_str().to_string(),
            to: to.as_str().to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::StatusCategory::*;
    use super::*;

    #[test]
    fn lifecycle_transitions_are_allowed() {
        for (from, to) in [
            (New, Open),
            (New, Pending),
            (New, Solved),
            (Open, Pending),
            (Pending, OnHold),
            (OnHold, Open),
            (Open, Solved),
            (Solved, Open),
            (Solved, Closed),
            (Open, Open),
        ] {
            assert_eq!(check_transition(from, to), Ok(()), "{from:?} -> {to:?}");
        }
    }

    #[test]
    fn forbidden_transitions_are_refused() {
        for (from, to) in [
            (Open, New),
            (Solved, New),
            (Open, Closed),
            (New, Closed),
            (Closed, Open),
            (Closed, Closed),
        ] {
            assert!(check_transition(from, to).is_err(), "{from:?} -> {to:?}");
        }
    }

    #[test]
    fn customer_reply_reopens_waiting_and_solved_tickets() {
        assert_eq!(Solved.after_customer_reply(), Open);
        assert_eq!(Pending.after_customer_reply(), Open);
        assert_eq!(OnHold.after_customer_reply(), Open);
        assert_eq!(New.after_customer_reply(), New);
        assert_eq!(Open.after_customer_reply(), Open);
    }

    #[test]
    fn only_new_and_open_run_the_sla_clock() {
        let running: Vec<_> = StatusCategory::ALL
            .into_iter()
            .filter(|c| c.sla_clock_runs())
            .collect();
        assert_eq!(running, vec![New, Open]);
    }

    #[test]
    fn names_round_trip() {
        for c in StatusCategory::ALL {
            assert_eq!(StatusCategory::parse(c.as_str()), Ok(c));
        }
        assert_eq!(StatusCategory::parse("On-Hold"), Ok(OnHold));
        assert!(StatusCategory::parse("done").is_err());
    }
}
