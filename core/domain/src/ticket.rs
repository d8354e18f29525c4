//! Ticket attributes with a fixed set of values.

use crate::DomainError;

macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident, $field:literal, { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable name used in storage, the API and queries.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses the stable name, ignoring case.
            pub fn parse(s: &str) -> Result<Self, DomainError> {
                let lower = s.trim().to_ascii_lowercase();
                $(if lower == $text { return Ok($name::$variant); })+
                let expected: Vec<&str> = vec![$($text),+];
                Err(DomainError::invalid(
                    $field,
                    format!("unknown value {s:?}; expected one of {}", expected.join(", ")),
                ))
            }
        }
    };
}

named_enum!(
    /// How urgent a ticket is.
    Priority, "priority", {
        Low => "low",
        Normal => "normal",
        High => "high",
        Urgent => "urgent",
    }
);

named_enum!(
    /// What kind of request a ticket is.
    TicketType, "type", {
        Question => "question",
        Incident => "incident",
        Problem => "problem",
        Task => "task",
    }
);

named_enum!(
    /// How two tickets relate. A link is stored once, from `ticket` to `other`.
    LinkKind, "kind", {
        Related => "related",
        DuplicateOf => "duplicate_of",
        ParentOf => "parent_of",
        ChildOf => "child_of",
        FollowUpOf => "follow_up_of",
    }
);

impl LinkKind {
    /// The same link seen from the other ticket.
    pub fn inverse(self) -> &'static str {
        match self {
            LinkKind::Related => "related",
            LinkKind::DuplicateOf => "duplicated_by",
            LinkKind::ParentOf => "child_of",
            LinkKind::ChildOf => "parent_of",
            LinkKind::FollowUpOf => "followed_up_by",
        }
    }
}

/// The longest subject a ticket may have, in characters.
pub const MAX_SUBJECT_CHARS: usize = 500;
/// The most tags a ticket may carry.
pub const MAX_TAGS: usize = 50;

/// Validates and trims a ticket subject.
pub fn validate_subject(subject: &str) -> Result<String, DomainError> {
    let trimmed = subject.trim();
    if trimmed.is_empty() {
        return Err(DomainError::invalid("subject", "must not be empty"));
    }
    if trimmed.chars().count() > MAX_SUBJECT_CHARS {
        return Err(DomainError::invalid(
            "subject",
            format!("must be at most {MAX_SUBJECT_CHARS} characters"),
        ));
    }
    if trimmed.chars().any(|c| c.is_control()) {
        return Err(DomainError::invalid(
            "subject",
            "must not contain control characters",
        ));
    }
    Ok(trimmed.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_round_trip_and_reject_unknown_values() {
        for p in Priority::ALL {
            assert_eq!(Priority::parse(p.as_str()), Ok(*p));
        }
        assert_eq!(Priority::parse("URGENT"), Ok(Priority::Urgent));
        let err = Priority::parse("critical").unwrap_err().to_string();
        assert!(err.contains("low, normal, high, urgent"), "{err}");
        assert_eq!(TicketType::parse("incident"), Ok(TicketType::Incident));
        assert_eq!(LinkKind::parse("duplicate_of"), Ok(LinkKind::DuplicateOf));
    }

    #[test]
    fn subjects_are_trimmed_and_bounded() {
        assert_eq!(
            validate_subject("  Printer on fire ").as_deref(),
            Ok("Printer on fire")
        );
        assert!(validate_subject("   ").is_err());
        assert!(validate_subject(&"x".repeat(501)).is_err());
        assert!(validate_subject("bell\u{7}").is_err());
        assert!(validate_subject("Принтер не печатает билеты").is_ok());
    }
}
