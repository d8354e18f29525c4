use chrono::{NaiveDateTime, TimeZone};
use chrono_tz::Tz;

use super::*;

const H: i64 = 3_600_000;
const M: i64 = 60_000;

/// A local wall-clock time in `tz` as epoch milliseconds (the earlier one if repeated).
fn at(tz: Tz, local: &str) -> i64 {
    let naive = NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M")
        .unwrap_or_else(|e| panic!("{local}: {e}"));
    tz.from_local_datetime(&naive)
        .earliest()
        .unwrap_or_else(|| panic!("{local} does not exist in {tz}"))
        .timestamp_millis()
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN)
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn weekdays(
    tz: Tz,
    hours: DayHours,
    holidays: Vec<NaiveDate>,
    closures: Vec<(i64, i64)>,
) -> Calendar {
    let week = std::array::from_fn(|d| if d < 5 { hours.clone() } else { Vec::new() });
    Calendar::new(tz, week, holidays, closures).unwrap_or_else(|e| panic!("{e}"))
}

fn every_day(tz: Tz, hours: DayHours) -> Calendar {
    Calendar::new(
        tz,
        std::array::from_fn(|_| hours.clone()),
        Vec::new(),
        Vec::new(),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn business_time_is_added_across_nights_lunches_weekends_holidays_and_closures() {
    let tz = chrono_tz::Europe::Berlin;
    let closure = (at(tz, "2026-12-01 10:00"), at(tz, "2026-12-01 11:00"));
    let office = weekdays(
        tz,
        vec![(hm(9, 0), hm(12, 0)), (hm(13, 0), hm(17, 0))],
        vec![date("2026-12-25")],
        vec![closure],
    );
    // (from, business time, expected end), local times in Berlin.
    let cases = [
        ("2026-12-02 16:00", 2 * H, "2026-12-03 10:00"), // across the night
        ("2026-12-02 11:30", H, "2026-12-02 13:30"),     // across lunch
        ("2026-12-02 07:00", 30 * M, "2026-12-02 09:30"), // before opening
        ("2026-12-02 20:00", 0, "2026-12-03 09:00"),     // nothing left: the next open moment
        ("2026-12-04 16:30", H, "2026-12-07 09:30"),     // Friday to Monday
        ("2026-12-05 12:00", 7 * H, "2026-12-07 17:00"), // from a Saturday, a whole day
        ("2026-12-24 16:00", 2 * H, "2026-12-28 10:00"), // Christmas Friday is a holiday
        ("2026-12-01 09:00", 2 * H, "2026-12-01 12:00"), // the closure 10–11 is skipped
        ("2026-12-01 10:30", 30 * M, "2026-12-01 11:30"), // starting inside the closure
    ];
    for (from, business, expected) in cases {
        assert_eq!(
            office.add_business(at(tz, from), business),
            Some(at(tz, expected)),
            "{from} + {} min",
            business / M
        );
        assert_eq!(
            office.business_between(at(tz, from), at(tz, expected)),
            business,
            "between {from} and {expected}"
        );
    }
    assert!(office.is_open(at(tz, "2026-12-02 09:00")));
    assert!(!office.is_open(at(tz, "2026-12-02 12:30")));
    assert!(!office.is_open(at(tz, "2026-12-25 10:00")));
    assert!(!office.is_open(at(tz, "2026-12-01 10:15")));
    assert_eq!(
        office.business_between(at(tz, "2026-12-04 16:00"), at(tz, "2026-12-07 10:00")),
        2 * H
    );
}

#[test]
fn daylight_saving_changes_in_both_directions() {
    let tz = chrono_tz::Europe::Berlin;
    // Clocks go forward on 2026-03-29 at 02:00 and back on 2026-10-25 at 03:00.
    let night = every_day(tz, vec![(hm(1, 0), hm(5, 0))]);
    let spring = night.business_between(at(tz, "2026-03-29 00:00"), at(tz, "2026-03-29 12:00"));
    assert_eq!(
        spring,
        3 * H,
        "01:00–05:00 is three hours on the short night"
    );
    let autumn = night.business_between(at(tz, "2026-10-25 00:00"), at(tz, "2026-10-25 12:00"));
    assert_eq!(autumn, 5 * H, "and five on the long one");
    assert_eq!(
        night.add_business(at(tz, "2026-03-29 01:00"), 2 * H),
        Some(at(tz, "2026-03-29 04:00"))
    );
    // An interval starting in the hour that does not exist starts when the clock jumps.
    let gap = every_day(tz, vec![(hm(2, 30), hm(4, 0))]);
    assert_eq!(
        gap.business_between(at(tz, "2026-03-29 00:00"), at(tz, "2026-03-29 12:00")),
        H
    );
    // Open around the clock, business time is real time, whatever the wall clock says.
    let always = every_day(
        tz,
        vec![(
            hm(0, 0),
            NaiveTime::from_hms_milli_opt(23, 59, 59, 999).unwrap_or(NaiveTime::MIN),
        )],
    );
    assert_eq!(
        always.add_business(at(tz, "2026-03-28 23:00"), 4 * H),
        Some(at(tz, "2026-03-29 04:00"))
    );
    assert_eq!(
        always.add_business(at(tz, "2026-10-24 23:00"), 4 * H),
        Some(at(tz, "2026-10-25 02:00") + H),
        "the second 02:00 of the long night"
    );
    let utc = Calendar::always_open();
    let from = at(tz, "2026-03-28 23:00");
    assert_eq!(utc.add_business(from, 30 * H), Some(from + 30 * H));
}

#[test]
fn time_zones_far_from_utc() {
    // Auckland is 13 hours ahead in December: Monday 09:00 there is Sunday 20:00 UTC.
    let auckland = weekdays(
        chrono_tz::Pacific::Auckland,
        vec![(hm(9, 0), hm(17, 0))],
        vec![],
        vec![],
    );
    let utc = chrono_tz::UTC;
    assert_eq!(
        auckland.add_business(at(utc, "2026-12-06 19:00"), H),
        Some(at(utc, "2026-12-06 21:00"))
    );
    assert_eq!(
        auckland.add_business(at(utc, "2026-12-06 20:00"), 8 * H),
        Some(at(utc, "2026-12-07 04:00"))
    );
    // Honolulu is 10 hours behind: Friday 16:00 there is Saturday 02:00 UTC.
    let honolulu = weekdays(
        chrono_tz::Pacific::Honolulu,
        vec![(hm(8, 0), hm(17, 0))],
        vec![],
        vec![],
    );
    assert_eq!(
        honolulu.add_business(at(utc, "2026-12-05 02:00"), 2 * H),
        Some(at(utc, "2026-12-07 19:00")),
        "one hour on Friday, one on Monday from 08:00 local"
    );
    assert!(
        honolulu.is_open(at(utc, "2026-12-05 02:30")),
        "still Friday in Honolulu"
    );
}

#[test]
fn calendars_are_checked_and_an_empty_one_never_ends() {
    let tz = chrono_tz::Europe::Berlin;
    let overlapping: [DayHours; 7] =
        std::array::from_fn(|_| vec![(hm(9, 0), hm(13, 0)), (hm(12, 0), hm(17, 0))]);
    assert!(Calendar::new(tz, overlapping, vec![], vec![]).is_err());
    let backwards: [DayHours; 7] = std::array::from_fn(|_| vec![(hm(17, 0), hm(9, 0))]);
    assert!(Calendar::new(tz, backwards, vec![], vec![]).is_err());
    let closed = Calendar::new(tz, std::array::from_fn(|_| Vec::new()), vec![], vec![])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(closed.add_business(0, H), None);
    assert_eq!(closed.business_between(0, 100 * H), 0);
}
