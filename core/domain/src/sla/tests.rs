use chrono::{NaiveDateTime, NaiveTime, TimeZone};

use super::*;
use crate::StatusCategory::{Open, Pending, Solved};
use crate::calendar::{Calendar, DayHours};

const H: i64 = 3_600_000;
const M: i64 = 60_000;

fn t(local: &str) -> i64 {
    let naive = NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M")
        .unwrap_or_else(|e| panic!("{local}: {e}"));
    chrono_tz::Europe::Berlin
        .from_local_datetime(&naive)
        .earliest()
        .unwrap_or_else(|| panic!("{local}"))
        .timestamp_millis()
}

fn clock(clocks: &[Clock], target: Target) -> Clock {
    clocks
        .iter()
        .find(|c| c.target == target)
        .cloned()
        .unwrap_or_else(|| panic!("no {target:?} clock in {clocks:?}"))
}

fn created(at: &str) -> Happening {
    Happening::Created {
        at: t(at),
        category: crate::StatusCategory::New,
    }
}

fn status(at: &str, category: crate::StatusCategory) -> Happening {
    Happening::StatusChanged {
        at: t(at),
        category,
    }
}

fn reply(at: &str) -> Happening {
    Happening::AgentReply { at: t(at) }
}

fn customer(at: &str) -> Happening {
    Happening::CustomerMessage { at: t(at) }
}

fn targets(first: i64, next: i64, resolution: i64) -> Targets {
    Targets {
        first_response: Some(first),
        next_response: Some(next),
        resolution: Some(resolution),
        warning_lead: 15 * M,
    }
}

#[test]
fn first_response_is_met_or_breached_by_the_first_public_reply() {
    let cal = Calendar::always_open();
    let goals = targets(H, H, 8 * H);
    let met = clocks(
        &cal,
        &goals,
        &[created("2026-12-02 10:00"), reply("2026-12-02 10:40")],
        t("2026-12-02 12:00"),
    );
    let first = clock(&met, Target::FirstResponse);
    assert_eq!(
        (first.state, first.met_at),
        (State::Met, Some(t("2026-12-02 10:40")))
    );
    let late = clocks(
        &cal,
        &goals,
        &[created("2026-12-02 10:00"), reply("2026-12-02 11:30")],
        t("2026-12-02 12:00"),
    );
    assert_eq!(clock(&late, Target::FirstResponse).state, State::Breached);
    let waiting = clocks(
        &cal,
        &goals,
        &[created("2026-12-02 10:00")],
        t("2026-12-02 10:50"),
    );
    let first = clock(&waiting, Target::FirstResponse);
    assert_eq!(
        (first.state, first.due_at),
        (State::Warning, Some(t("2026-12-02 11:00")))
    );
    let first = clock(
        &clocks(
            &cal,
            &goals,
            &[created("2026-12-02 10:00")],
            t("2026-12-02 10:20"),
        ),
        Target::FirstResponse,
    );
    assert_eq!(first.state, State::OnTrack);
    let first = clock(
        &clocks(
            &cal,
            &goals,
            &[created("2026-12-02 10:00")],
            t("2026-12-02 11:01"),
        ),
        Target::FirstResponse,
    );
    assert_eq!(first.state, State::Breached);
    // Only replies count: a message history of the customer alone meets nothing.
    let first = clock(
        &clocks(
            &cal,
            &goals,
            &[created("2026-12-02 10:00"), customer("2026-12-02 10:05")],
            t("2026-12-02 10:30"),
        ),
        Target::FirstResponse,
    );
    assert_eq!(first.met_at, None);
}

#[test]
fn clocks_pause_while_pending_and_resume() {
    let cal = Calendar::always_open();
    let goals = targets(H, H, 2 * H);
    let history = [
        created("2026-12-02 10:00"),
        reply("2026-12-02 10:10"),
        status("2026-12-02 10:20", Pending),
        customer("2026-12-02 12:00"),
        status("2026-12-02 12:00", Open),
    ];
    let paused = clocks(&cal, &goals, &history[..3], t("2026-12-02 11:30"));
    let resolution = clock(&paused, Target::Resolution);
    assert!(resolution.paused);
    assert_eq!((resolution.elapsed, resolution.due_at), (20 * M, None));
    let resumed = clocks(&cal, &goals, &history, t("2026-12-02 12:30"));
    let resolution = clock(&resumed, Target::Resolution);
    assert_eq!(resolution.elapsed, 50 * M);
    assert_eq!(resolution.due_at, Some(t("2026-12-02 13:40")));
    assert_eq!(resolution.state, State::OnTrack);
    // The customer's message after the first reply starts the next-response clock.
    let next = clock(&resumed, Target::NextResponse);
    assert_eq!(next.due_at, Some(t("2026-12-02 13:00")));
}

#[test]
fn next_response_runs_from_the_oldest_unanswered_customer_message() {
    let cal = Calendar::always_open();
    let goals = targets(H, H, 8 * H);
    let mut history = vec![
        created("2026-12-02 10:00"),
        reply("2026-12-02 10:10"),
        customer("2026-12-02 11:00"),
        customer("2026-12-02 11:30"),
    ];
    let now = clocks(&cal, &goals, &history, t("2026-12-02 11:50"));
    let next = clock(&now, Target::NextResponse);
    assert_eq!(
        (next.state, next.due_at),
        (State::Warning, Some(t("2026-12-02 12:00")))
    );
    history.push(reply("2026-12-02 11:55"));
    let next = clock(
        &clocks(&cal, &goals, &history, t("2026-12-02 13:00")),
        Target::NextResponse,
    );
    assert_eq!(
        (next.state, next.met_at),
        (State::Met, Some(t("2026-12-02 11:55")))
    );
    // A new customer message after that answer starts a new measurement.
    history.push(customer("2026-12-02 14:00"));
    let next = clock(
        &clocks(&cal, &goals, &history, t("2026-12-02 15:30")),
        Target::NextResponse,
    );
    assert_eq!(next.state, State::Breached);
}

#[test]
fn a_reopened_ticket_resumes_its_resolution_clock() {
    let cal = Calendar::always_open();
    let goals = targets(H, H, 4 * H);
    let history = [
        created("2026-12-02 09:00"),
        reply("2026-12-02 09:30"),
        status("2026-12-02 11:00", Solved),
        customer("2026-12-02 15:00"),
        status("2026-12-02 15:00", Open),
    ];
    let solved = clock(
        &clocks(&cal, &goals, &history[..3], t("2026-12-02 12:00")),
        Target::Resolution,
    );
    assert_eq!((solved.state, solved.elapsed), (State::Met, 2 * H));
    let reopened = clock(
        &clocks(&cal, &goals, &history, t("2026-12-02 16:30")),
        Target::Resolution,
    );
    assert_eq!(reopened.met_at, None);
    assert_eq!(reopened.elapsed, 3 * H + 30 * M);
    assert_eq!(reopened.due_at, Some(t("2026-12-02 17:00")));
    assert_eq!(reopened.state, State::OnTrack);
    let late = clock(
        &clocks(&cal, &goals, &history, t("2026-12-02 17:10")),
        Target::Resolution,
    );
    assert_eq!(late.state, State::Breached);
}

#[test]
fn business_hours_push_due_times_past_nights_and_weekends() {
    let nine_to_five: DayHours = vec![(
        NaiveTime::from_hms_opt(9, 0, 0).unwrap_or(NaiveTime::MIN),
        NaiveTime::from_hms_opt(17, 0, 0).unwrap_or(NaiveTime::MIN),
    )];
    let week = std::array::from_fn(|d| {
        if d < 5 {
            nine_to_five.clone()
        } else {
            Vec::new()
        }
    });
    let cal = Calendar::new(chrono_tz::Europe::Berlin, week, vec![], vec![])
        .unwrap_or_else(|e| panic!("{e}"));
    let goals = targets(4 * H, 4 * H, 16 * H);
    // Created on a Friday at 15:00: 2 hours on Friday, 2 on Monday.
    let now = clocks(
        &cal,
        &goals,
        &[created("2026-12-04 15:00")],
        t("2026-12-05 12:00"),
    );
    let first = clock(&now, Target::FirstResponse);
    assert_eq!(first.due_at, Some(t("2026-12-07 11:00")));
    assert_eq!((first.elapsed, first.state), (2 * H, State::OnTrack));
    let resolution = clock(&now, Target::Resolution);
    assert_eq!(resolution.due_at, Some(t("2026-12-08 15:00")));
}
