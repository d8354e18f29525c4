//! What a rule is: its triggers, its schedule and the metadata a `.rhai` file carries.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};

/// The events a rule can run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Trigger {
    TicketCreated,
    TicketUpdated,
    MessageAdded,
    StatusChanged,
    RatingReceived,
    SlaWarning,
    SlaBreached,
}

impl Trigger {
    /// Every trigger, in order.
    pub const ALL: [Trigger; 7] = [
        Trigger::TicketCreated,
        Trigger::TicketUpdated,
        Trigger::MessageAdded,
        Trigger::StatusChanged,
        Trigger::RatingReceived,
        Trigger::SlaWarning,
        Trigger::SlaBreached,
    ];

    /// The event kind it matches (the stable names of the event log).
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::TicketCreated => "ticket.created",
            Trigger::TicketUpdated => "ticket.updated",
            Trigger::MessageAdded => "message.added",
            Trigger::StatusChanged => "status.changed",
            Trigger::RatingReceived => "rating.received",
            Trigger::SlaWarning => "sla.warning",
            Trigger::SlaBreached => "sla.breached",
        }
    }

    /// The trigger for an event kind, if rules can run on it.
    pub fn for_event(kind: &str) -> Option<Trigger> {
        Trigger::ALL.into_iter().find(|t| t.as_str() == kind)
    }
}

impl FromStr for Trigger {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        Trigger::for_event(s).ok_or_else(|| {
            let known: Vec<&str> = Trigger::ALL.iter().map(|t| t.as_str()).collect();
            format!(
                "unknown trigger {s:?}; expected one of {}",
                known.join(", ")
            )
        })
    }
}

/// When a time-based rule runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Schedule {
    /// Every so many minutes.
    Every { minutes: u32 },
    /// On a cron pattern (`minute hour day-of-month month day-of-week`) in a time zone.
    Cron { pattern: String, tz: chrono_tz::Tz },
}

impl Schedule {
    /// The first run strictly after `after` (epoch milliseconds).
    pub fn next_after(&self, after: i64) -> Result<i64, String> {
        match self {
            Schedule::Every { minutes } => Ok(after + i64::from(*minutes) * 60_000),
            Schedule::Cron { pattern, tz } => {
                let cron = croner::Cron::from_str(pattern).map_err(|e| e.to_string())?;
                let at = DateTime::<Utc>::from_timestamp_millis(after)
                    .ok_or("time out of range")?
                    .with_timezone(tz);
                cron.find_next_occurrence(&at, false)
                    .map(|t| t.timestamp_millis())
                    .map_err(|e| e.to_string())
            }
        }
    }
}

impl FromStr for Schedule {
    type Err = String;

    /// `every 30 minutes`, `every 2 hours`, `every day`, or `cron 0 9 * * 1-5 [Time/Zone]`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let words: Vec<&str> = s.split_whitespace().collect();
        match words.as_slice() {
            ["every", rest @ ..] => {
                let (count, unit) = match rest {
                    [unit] => (1, *unit),
                    [n, unit] => (
                        n.parse::<u32>()
                            .map_err(|_| format!("{n:?} is not a whole number"))?,
                        *unit,
                    ),
                    _ => return Err(format!("cannot read schedule {s:?}")),
                };
                let per = match unit.trim_end_matches('s') {
                    "minute" | "min" | "m" => 1,
                    "hour" | "h" => 60,
                    "day" | "d" => 24 * 60,
                    other => {
                        return Err(format!(
                            "unknown unit {other:?}; use minutes, hours or days"
                        ));
                    }
                };
                let minutes = count.saturating_mul(per);
                if minutes == 0 {
                    return Err("a schedule runs at least every minute".into());
                }
                Ok(Schedule::Every { minutes })
            }
            ["cron", fields @ ..] if fields.len() == 5 || fields.len() == 6 => {
                let (pattern, tz) = if fields.len() == 6 {
                    let tz = fields[5]
                        .parse::<chrono_tz::Tz>()
                        .map_err(|_| format!("unknown time zone {:?}", fields[5]))?;
                    (fields[..5].join(" "), tz)
                } else {
                    (fields.join(" "), chrono_tz::UTC)
                };
                croner::Cron::from_str(&pattern)
                    .map_err(|e| format!("cron pattern {pattern:?}: {e}"))?;
                Ok(Schedule::Cron { pattern, tz })
            }
            _ => Err(format!(
                "cannot read schedule {s:?}; use \"every 30 minutes\" or \"cron 0 9 * * 1-5 Europe/Berlin\""
            )),
        }
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Schedule::Every { minutes } if minutes % (24 * 60) == 0 => {
                write!(f, "every {} days", minutes / (24 * 60))
            }
            Schedule::Every { minutes } if minutes % 60 == 0 => {
                write!(f, "every {} hours", minutes / 60)
            }
            Schedule::Every { minutes } => write!(f, "every {minutes} minutes"),
            Schedule::Cron { pattern, tz } if *tz == chrono_tz::UTC => write!(f, "cron {pattern}"),
            Schedule::Cron { pattern, tz } => write!(f, "cron {pattern} {}", tz.name()),
        }
    }
}

/// A rule as an admin writes it: in a `.rhai` file whose first `//!` lines carry the
/// metadata, or as the fields of an API request.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSpec {
    pub name: String,
    pub description: String,
    pub triggers: Vec<Trigger>,
    pub schedule: Option<Schedule>,
    /// Scheduled rules run over the tickets this search query finds.
    pub query: Option<String>,
    pub position: i32,
    pub active: bool,
    /// Whether changes other rules made may trigger it.
    pub on_rule_changes: bool,
    pub script: String,
}

impl RuleSpec {
    /// An active rule with this name and script, no triggers yet, at position 0.
    pub fn new(name: &str, script: &str) -> RuleSpec {
        RuleSpec {
            name: name.to_string(),
            description: String::new(),
            triggers: Vec::new(),
            schedule: None,
            query: None,
            position: 0,
            active: true,
            on_rule_changes: false,
            script: script.to_string(),
        }
    }

    /// Reads a rule file: `//! key: value` lines at the top, then the script. `name`
    /// defaults to `default_name` (the file's stem); a rule needs triggers or a schedule.
    ///
    /// ```text
    /// //! name: VIP routing
    /// //! triggers: ticket.created
    /// //! position: 10
    /// if ticket.organization.name == "Acme" { assign_group("L2"); }
    /// ```
    pub fn parse_file(default_name: &str, text: &str) -> Result<RuleSpec, String> {
        let mut spec = RuleSpec::new(default_name, text);
        for (n, line) in text.lines().enumerate() {
            let Some(rest) = line.trim_start().strip_prefix("//!") else {
                if line.trim().is_empty() {
                    continue;
                }
                break;
            };
            let line_no = n + 1;
            let Some((key, value)) = rest.split_once(':') else {
                continue;
            };
            let value = value.trim();
            let err = |m: String| format!("line {line_no}: {m}");
            match key.trim() {
                "name" => spec.name = value.to_string(),
                "description" => {
                    if !spec.description.is_empty() {
                        spec.description.push(' ');
                    }
                    spec.description.push_str(value);
                }
                "triggers" | "trigger" => {
                    for t in value.split(',').filter(|t| !t.trim().is_empty()) {
                        spec.triggers.push(t.parse().map_err(err)?);
                    }
                }
                "schedule" => spec.schedule = Some(value.parse().map_err(err)?),
                "query" | "tickets" => spec.query = Some(value.to_string()),
                "position" => {
                    spec.position = value
                        .parse()
                        .map_err(|_| err(format!("position {value:?} is not a number")))?
                }
                "active" => spec.active = parse_bool(value).map_err(err)?,
                "on_rule_changes" => spec.on_rule_changes = parse_bool(value).map_err(err)?,
                other => return Err(err(format!("unknown key {other:?}"))),
            }
        }
        spec.check()?;
        Ok(spec)
    }

    /// Checks the metadata (not the script).
    pub fn check(&self) -> Result<(), String> {
        if self.name.trim().is_empty() {
            return Err("a rule needs a name".into());
        }
        if self.name.chars().count() > 200 {
            return Err("a rule's name is at most 200 characters".into());
        }
        if self.triggers.is_empty() && self.schedule.is_none() {
            return Err("a rule needs triggers or a schedule".into());
        }
        if self.script.len() > 64 * 1024 {
            return Err("a rule's script is at most 64 KiB".into());
        }
        Ok(())
    }
}

fn parse_bool(value: &str) -> Result<bool, String> {
    match value {
        "true" | "yes" | "on" => Ok(true),
        "false" | "no" | "off" => Ok(false),
        _ => Err(format!("{value:?} is not true or false")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_read_and_step() {
        assert_eq!(
            "every 30 minutes".parse(),
            Ok(Schedule::Every { minutes: 30 })
        );
        assert_eq!(
            "every 2 hours".parse(),
            Ok(Schedule::Every { minutes: 120 })
        );
        assert_eq!("every day".parse(), Ok(Schedule::Every { minutes: 1440 }));
        assert!("every 0 minutes".parse::<Schedule>().is_err());
        assert!("cron 61 * * * *".parse::<Schedule>().is_err());
        assert!("cron 0 9 * * 1-5 Mars/Olympus".parse::<Schedule>().is_err());
        let weekday_nine: Schedule = "cron 0 9 * * 1-5 Europe/Berlin"
            .parse()
            .unwrap_or(Schedule::Every { minutes: 1 });
        // Friday 2026-12-04 10:00 UTC (11:00 in Berlin) → Monday 2026-12-07 08:00 UTC.
        let friday = 1_796_378_400_000;
        assert_eq!(weekday_nine.next_after(friday), Ok(1_796_630_400_000));
        assert_eq!(weekday_nine.to_string(), "cron 0 9 * * 1-5 Europe/Berlin");
    }

    #[test]
    fn rule_files_carry_their_metadata() {
        let text = "//! name: Tag refunds\n//! triggers: ticket.created, message.added\n//! position: 5\n\nif ticket.subject.contains(\"refund\") { add_tag(\"refund\"); }\n";
        let spec = RuleSpec::parse_file("tag", text).map_err(|e| e.to_string());
        let spec = spec.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(spec.name, "Tag refunds");
        assert_eq!(
            spec.triggers,
            vec![Trigger::TicketCreated, Trigger::MessageAdded]
        );
        assert_eq!(spec.position, 5);
        assert!(RuleSpec::parse_file("x", "add_tag(\"a\");").is_err());
        let bad = RuleSpec::parse_file("x", "//! triggers: ticket.exploded\n");
        assert!(bad.is_err_and(|e| e.contains("line 1") && e.contains("ticket.created")));
    }
}
