//! Business-hours calendars: a time zone, weekly opening hours (several intervals a day),
//! holidays and one-off closures; and the arithmetic SLA clocks need on them.
//!
//! Opening hours are local wall-clock times, so a calendar stays right across daylight
//! saving changes: on the day clocks go forward an hour that does not exist is skipped
//! (an interval starting in the gap starts when the clock jumps), and on the day they go
//! back an interval covering the repeated hour lasts an hour longer.

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::DomainError;

/// The most days the arithmetic walks before it gives up (ten years): a calendar with
/// no open time at all ends there instead of looping.
const MAX_DAYS: i64 = 3660;

/// Opening hours of one day of the week: local `[start, end)` intervals.
pub type DayHours = Vec<(NaiveTime, NaiveTime)>;

/// A business-hours calendar.
#[derive(Debug, Clone, PartialEq)]
pub struct Calendar {
    pub tz: Tz,
    /// Monday first.
    pub week: [DayHours; 7],
    /// Local dates the business is closed all day.
    pub holidays: Vec<NaiveDate>,
    /// One-off closures, as instants `[from, to)` in epoch milliseconds.
    pub closures: Vec<(i64, i64)>,
}

impl Calendar {
    /// A calendar, checked: intervals must be ordered, not overlap and not be empty.
    pub fn new(
        tz: Tz,
        week: [DayHours; 7],
        holidays: Vec<NaiveDate>,
        closures: Vec<(i64, i64)>,
    ) -> Result<Calendar, DomainError> {
        for (day, hours) in week.iter().enumerate() {
            let mut last_end: Option<NaiveTime> = None;
            for (start, end) in hours {
                if start >= end {
                    return Err(DomainError::invalid(
                        "hours",
                        format!("day {}: {start}–{end} ends before it starts", day + 1),
                    ));
                }
                if last_end.is_some_and(|e| *start < e) {
                    return Err(DomainError::invalid(
                        "hours",
                        format!("day {}: intervals overlap or are out of order", day + 1),
                    ));
                }
                last_end = Some(*end);
            }
        }
        if let Some((from, to)) = closures.iter().find(|(f, t)| f >= t) {
            return Err(DomainError::invalid(
                "closures",
                format!("closure {from}–{to} ends before it starts"),
            ));
        }
        let mut closures = closures;
        closures.sort_unstable();
        Ok(Calendar {
            tz,
            week,
            holidays,
            closures,
        })
    }

    /// Open around the clock, every day, in UTC: calendar hours.
    pub fn always_open() -> Calendar {
        let all_day = || {
            vec![(
                NaiveTime::MIN,
                NaiveTime::from_hms_milli_opt(23, 59, 59, 999).unwrap_or(NaiveTime::MIN),
            )]
        };
        Calendar {
            tz: chrono_tz::UTC,
            week: std::array::from_fn(|_| all_day()),
            holidays: Vec::new(),
            closures: Vec::new(),
        }
    }

    /// The instant a local wall-clock time falls on; a time in a spring-forward gap maps
    /// to the end of the gap.
    fn instant(&self, date: NaiveDate, time: NaiveTime) -> Option<i64> {
        let local = date.and_time(time);
        match self.tz.from_local_datetime(&local) {
            LocalResult::Single(t) => Some(t.timestamp_millis()),
            LocalResult::Ambiguous(first, _) => Some(first.timestamp_millis()),
            LocalResult::None => {
                // Walk forward minute by minute (a gap is at most a few hours).
                (1..=240).find_map(|m| {
                    match self.tz.from_local_datetime(&(local + Duration::minutes(m))) {
                        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => {
                            Some(t.timestamp_millis())
                        }
                        LocalResult::None => None,
                    }
                })
            }
        }
    }

    /// The end of an interval: in the repeated hour of a fall-back day, the later one.
    fn instant_end(&self, date: NaiveDate, time: NaiveTime) -> Option<i64> {
        // An interval ending at the last representable moment of the day ends at midnight.
        if time == NaiveTime::from_hms_milli_opt(23, 59, 59, 999).unwrap_or(NaiveTime::MIN) {
            return self.instant(date.succ_opt()?, NaiveTime::MIN);
        }
        match self.tz.from_local_datetime(&date.and_time(time)) {
            LocalResult::Ambiguous(_, second) => Some(second.timestamp_millis()),
            _ => self.instant(date, time),
        }
    }

    /// The open intervals of one local date, as instants, with closures cut out.
    fn open_on(&self, date: NaiveDate) -> Vec<(i64, i64)> {
        if self.holidays.contains(&date) {
            return Vec::new();
        }
        let day = date.weekday().num_days_from_monday() as usize;
        let mut out = Vec::new();
        for (start, end) in &self.week[day] {
            let (Some(s), Some(e)) = (self.instant(date, *start), self.instant_end(date, *end))
            else {
                continue;
            };
            if s < e {
                out.extend(cut(s, e, &self.closures));
            }
        }
        out
    }

    fn local_date(&self, at: i64) -> NaiveDate {
        DateTime::<Utc>::from_timestamp_millis(at)
            .unwrap_or_default()
            .with_timezone(&self.tz)
            .date_naive()
    }

    /// Whether the business is open at `at`.
    pub fn is_open(&self, at: i64) -> bool {
        self.open_on(self.local_date(at))
            .iter()
            .any(|(s, e)| *s <= at && at < *e)
    }

    /// The instant at which `business_ms` of open time have passed since `from`; `None`
    /// if the calendar has no such time in the next ten years.
    pub fn add_business(&self, from: i64, business_ms: i64) -> Option<i64> {
        let mut left = business_ms.max(0);
        // Start a day early: an interval of the previous local date may run past midnight
        // into `from` (a late shift, or the end of a fall-back day).
        let mut date = self.local_date(from).pred_opt()?;
        for _ in 0..MAX_DAYS {
            for (s, e) in self.open_on(date) {
                let s = s.max(from);
                if s >= e {
                    continue;
                }
                if left == 0 {
                    return Some(s);
                }
                if e - s >= left {
                    return Some(s + left);
                }
                left -= e - s;
            }
            date = date.succ_opt()?;
        }
        None
    }

    /// How much open time lies between `from` and `to` (0 if `to` is not later).
    pub fn business_between(&self, from: i64, to: i64) -> i64 {
        if to <= from {
            return 0;
        }
        let mut total = 0;
        let Some(mut date) = self.local_date(from).pred_opt() else {
            return 0;
        };
        let last = self.local_date(to);
        while date <= last {
            for (s, e) in self.open_on(date) {
                let (s, e) = (s.max(from), e.min(to));
                if s < e {
                    total += e - s;
                }
            }
            let Some(next) = date.succ_opt() else { break };
            date = next;
        }
        total
    }
}

/// `[s, e)` without the closures (sorted by start).
fn cut(s: i64, e: i64, closures: &[(i64, i64)]) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    let mut at = s;
    for (cs, ce) in closures {
        if *ce <= at || *cs >= e {
            continue;
        }
        if *cs > at {
            out.push((at, *cs));
        }
        at = at.max(*ce);
        if at >= e {
            return out;
        }
    }
    if at < e {
        out.push((at, e));
    }
    out
}

#[cfg(test)]
mod tests;
