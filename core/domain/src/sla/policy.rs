//! SLA policies: which tickets a policy covers (first match in order wins) and the targets
//! it sets per priority, in business or calendar hours.

use std::collections::BTreeMap;

use serde_json::Value;

use super::Targets;
use crate::{DomainError, Priority, TicketType};

/// What a policy looks at on a ticket.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TicketFacts {
    pub priority: Option<Priority>,
    pub group_id: Option<i64>,
    pub organization_id: Option<i64>,
    pub kind: Option<TicketType>,
    pub tags: Vec<String>,
    pub custom_fields: BTreeMap<String, Value>,
}

/// Which tickets a policy covers; every condition given must hold, an empty list or map
/// is no condition.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Conditions {
    /// Any of these priorities.
    pub priorities: Vec<Priority>,
    /// Any of these groups.
    pub group_ids: Vec<i64>,
    /// Any of these organizations.
    pub organization_ids: Vec<i64>,
    /// Any of these types.
    pub kinds: Vec<TicketType>,
    /// All of these tags.
    pub tags_all: Vec<String>,
    /// At least one of these tags.
    pub tags_any: Vec<String>,
    /// Custom fields equal to these values.
    pub fields: BTreeMap<String, Value>,
}

impl Conditions {
    /// Whether a ticket meets every condition.
    pub fn matches(&self, t: &TicketFacts) -> bool {
        let any_of =
            |list: &[i64], v: Option<i64>| list.is_empty() || v.is_some_and(|v| list.contains(&v));
        (self.priorities.is_empty() || t.priority.is_some_and(|p| self.priorities.contains(&p)))
            && any_of(&self.group_ids, t.group_id)
            && any_of(&self.organization_ids, t.organization_id)
            && (self.kinds.is_empty() || t.kind.is_some_and(|k| self.kinds.contains(&k)))
            && self.tags_all.iter().all(|tag| t.tags.contains(tag))
            && (self.tags_any.is_empty() || self.tags_any.iter().any(|tag| t.tags.contains(tag)))
            && self
                .fields
                .iter()
                .all(|(k, v)| t.custom_fields.get(k) == Some(v))
    }
}

/// Targets in minutes for one priority; `None` sets no target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Minutes {
    pub first_response: Option<u32>,
    pub next_response: Option<u32>,
    pub resolution: Option<u32>,
}

/// An SLA policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub name: String,
    /// Policies are tried in ascending position.
    pub position: i32,
    pub conditions: Conditions,
    /// Targets per priority; a priority without an entry has no targets.
    pub targets: BTreeMap<Priority, Minutes>,
    /// Counted in the policy's business hours (else calendar hours).
    pub business_hours: bool,
    /// Minutes before a target is due that it warns.
    pub warning_minutes: u32,
}

/// The longest target: a year of minutes.
pub const MAX_MINUTES: u32 = 366 * 24 * 60;

impl Policy {
    /// Checks the name, the targets and the warning lead.
    pub fn validate(&self) -> Result<(), DomainError> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(DomainError::invalid(
                "name",
                "a policy needs a name of 1 to 100 characters",
            ));
        }
        if self.targets.is_empty() {
            return Err(DomainError::invalid(
                "targets",
                "set targets for at least one priority",
            ));
        }
        for (priority, m) in &self.targets {
            for (what, v) in [
                ("first_response", m.first_response),
                ("next_response", m.next_response),
                ("resolution", m.resolution),
            ] {
                if let Some(v) = v
                    && !(1..=MAX_MINUTES).contains(&v)
                {
                    return Err(DomainError::invalid(
                        "targets",
                        format!(
                            "{} {what}: {v} minutes is not 1 to {MAX_MINUTES}",
                            priority.as_str()
                        ),
                    ));
                }
            }
        }
        if self.warning_minutes > MAX_MINUTES {
            return Err(DomainError::invalid(
                "warning_minutes",
                format!("at most {MAX_MINUTES}"),
            ));
        }
        Ok(())
    }

    /// The clock targets for a ticket of `priority`, in milliseconds of open time.
    pub fn targets_for(&self, priority: Priority) -> Option<Targets> {
        let m = self.targets.get(&priority)?;
        let ms = |v: Option<u32>| v.map(|v| i64::from(v) * 60_000);
        Some(Targets {
            first_response: ms(m.first_response),
            next_response: ms(m.next_response),
            resolution: ms(m.resolution),
            warning_lead: i64::from(self.warning_minutes) * 60_000,
        })
    }
}

/// The policy that applies to a ticket: the first, by position (then name), whose
/// conditions it meets.
pub fn pick<'p>(policies: &'p [Policy], ticket: &TicketFacts) -> Option<&'p Policy> {
    let mut ordered: Vec<&Policy> = policies.iter().collect();
    ordered.sort_by(|a, b| {
        a.position
            .cmp(&b.position)
            .then_with(|| a.name.cmp(&b.name))
    });
    ordered.into_iter().find(|p| p.conditions.matches(ticket))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn policy(name: &str, position: i32, conditions: Conditions) -> Policy {
        Policy {
            name: name.into(),
            position,
            conditions,
            targets: BTreeMap::from([
                (
                    Priority::Urgent,
                    Minutes {
                        first_response: Some(30),
                        next_response: Some(60),
                        resolution: Some(240),
                    },
                ),
                (
                    Priority::Normal,
                    Minutes {
                        first_response: Some(480),
                        next_response: None,
                        resolution: Some(2880),
                    },
                ),
            ]),
            business_hours: true,
            warning_minutes: 15,
        }
    }

    #[test]
    fn the_first_matching_policy_in_order_wins() {
        let vip = policy(
            "VIP",
            10,
            Conditions {
                tags_any: vec!["vip".into(), "enterprise".into()],
                ..Conditions::default()
            },
        );
        let emea = policy(
            "EMEA incidents",
            20,
            Conditions {
                group_ids: vec![7],
                kinds: vec![TicketType::Incident],
                ..Conditions::default()
            },
        );
        let fallback = policy("Everyone", 100, Conditions::default());
        let policies = vec![fallback.clone(), emea.clone(), vip.clone()];
        let ticket = |tags: &[&str], group: Option<i64>, kind: Option<TicketType>| TicketFacts {
            priority: Some(Priority::Normal),
            group_id: group,
            kind,
            tags: tags.iter().map(|t| t.to_string()).collect(),
            ..TicketFacts::default()
        };
        let name = |t: &TicketFacts| pick(&policies, t).map(|p| p.name.clone());
        assert_eq!(
            name(&ticket(&["vip"], Some(7), Some(TicketType::Incident))).as_deref(),
            Some("VIP")
        );
        assert_eq!(
            name(&ticket(&[], Some(7), Some(TicketType::Incident))).as_deref(),
            Some("EMEA incidents")
        );
        assert_eq!(
            name(&ticket(&[], Some(7), Some(TicketType::Question))).as_deref(),
            Some("Everyone")
        );
        assert_eq!(name(&ticket(&[], None, None)).as_deref(), Some("Everyone"));
        assert_eq!(pick(&[vip, emea], &ticket(&[], None, None)), None);
    }

    #[test]
    fn every_condition_must_hold() {
        let c = Conditions {
            priorities: vec![Priority::High, Priority::Urgent],
            organization_ids: vec![3],
            tags_all: vec!["outage".into(), "prod".into()],
            fields: BTreeMap::from([("plan".to_string(), json!("gold"))]),
            ..Conditions::default()
        };
        let mut t = TicketFacts {
            priority: Some(Priority::Urgent),
            organization_id: Some(3),
            tags: vec!["outage".into(), "prod".into(), "db".into()],
            custom_fields: BTreeMap::from([("plan".to_string(), json!("gold"))]),
            ..TicketFacts::default()
        };
        assert!(c.matches(&t));
        t.tags.retain(|x| x != "prod");
        assert!(!c.matches(&t), "all tags are needed");
        t.tags.push("prod".into());
        t.custom_fields.insert("plan".into(), json!("silver"));
        assert!(!c.matches(&t), "the field must be equal");
        t.custom_fields.insert("plan".into(), json!("gold"));
        t.priority = Some(Priority::Normal);
        assert!(!c.matches(&t), "the priority must be listed");
        t.priority = Some(Priority::High);
        t.organization_id = None;
        assert!(!c.matches(&t), "no organization is not organization 3");
    }

    #[test]
    fn targets_are_per_priority_in_milliseconds() {
        let p = policy("Everyone", 0, Conditions::default());
        let urgent = p.targets_for(Priority::Urgent);
        assert_eq!(
            urgent,
            Some(Targets {
                first_response: Some(30 * 60_000),
                next_response: Some(60 * 60_000),
                resolution: Some(240 * 60_000),
                warning_lead: 15 * 60_000,
            })
        );
        assert_eq!(
            p.targets_for(Priority::Normal)
                .and_then(|t| t.next_response),
            None
        );
        assert_eq!(p.targets_for(Priority::Low), None, "no entry, no targets");
    }

    #[test]
    fn bad_policies_are_refused_with_the_field() {
        let mut p = policy(" ", 0, Conditions::default());
        assert!(matches!(p.validate(), Err(DomainError::Invalid { field, .. }) if field == "name"));
        p.name = "Ok".into();
        assert_eq!(p.validate(), Ok(()));
        p.targets.insert(
            Priority::Low,
            Minutes {
                first_response: Some(0),
                ..Minutes::default()
            },
        );
        let err = p
            .validate()
            .map_err(|e| e.to_string())
            .err()
            .unwrap_or_default();
        assert!(err.contains("low first_response: 0 minutes"), "{err}");
        p.targets.clear();
        assert!(
            matches!(p.validate(), Err(DomainError::Invalid { field, .. }) if field == "targets")
        );
    }
}
