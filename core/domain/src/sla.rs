//! SLA clocks: from a ticket's history and a policy's targets, when each target is due and
//! where it stands.
//!
//! Three targets: **first response** (from creation to the first public agent reply),
//! **next response** (from the oldest customer message no public agent reply has answered
//! yet, to the next public agent reply) and **resolution** (from creation to solved).
//! Clocks count open time of a [`Calendar`] (business hours, or [`Calendar::always_open`]
//! for calendar hours) and pause while the ticket's status is in a category whose SLA
//! clock does not run (pending, on hold). A reopened ticket resumes its resolution clock
//! where it stopped.

use crate::StatusCategory;
use crate::calendar::Calendar;

/// A target of a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    FirstResponse,
    NextResponse,
    Resolution,
}

impl Target {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Target::FirstResponse => "first_response",
            Target::NextResponse => "next_response",
            Target::Resolution => "resolution",
        }
    }

    /// Reads the stable name.
    pub fn parse(s: &str) -> Option<Target> {
        Some(match s {
            "first_response" => Target::FirstResponse,
            "next_response" => Target::NextResponse,
            "resolution" => Target::Resolution,
            _ => return None,
        })
    }

    /// Every target, in the order clocks are listed.
    pub const ALL: [Target; 3] = [
        Target::FirstResponse,
        Target::NextResponse,
        Target::Resolution,
    ];
}

/// Where a target stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    OnTrack,
    /// Less than the warning lead time is left.
    Warning,
    Breached,
    /// Met in time.
    Met,
}

impl State {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            State::OnTrack => "on_track",
            State::Warning => "warning",
            State::Breached => "breached",
            State::Met => "met",
        }
    }

    /// Reads the stable name.
    pub fn parse(s: &str) -> Option<State> {
        Some(match s {
            "on_track" => State::OnTrack,
            "warning" => State::Warning,
            "breached" => State::Breached,
            "met" => State::Met,
            _ => return None,
        })
    }

    /// How much attention it asks for: breached, then warning, then on track, then met.
    pub fn urgency(self) -> u8 {
        match self {
            State::Breached => 3,
            State::Warning => 2,
            State::OnTrack => 1,
            State::Met => 0,
        }
    }
}

/// A ticket's state as a whole: its most urgent clock's (`None` without clocks).
pub fn overall(clocks: &[Clock]) -> Option<State> {
    clocks.iter().map(|c| c.state).max_by_key(|s| s.urgency())
}

/// The soonest time a clock still running and not met is due.
pub fn next_due(clocks: &[Clock]) -> Option<i64> {
    clocks
        .iter()
        .filter(|c| c.met_at.is_none())
        .filter_map(|c| c.due_at)
        .min()
}

/// What the clocks need to know of a ticket's history, in time order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Happening {
    Created {
        at: i64,
        category: StatusCategory,
    },
    StatusChanged {
        at: i64,
        category: StatusCategory,
    },
    /// A message from the requester (or another customer).
    CustomerMessage {
        at: i64,
    },
    /// A public reply by an agent (internal notes do not count).
    AgentReply {
        at: i64,
    },
}

impl Happening {
    fn at(&self) -> i64 {
        match *self {
            Happening::Created { at, .. }
            | Happening::StatusChanged { at, .. }
            | Happening::CustomerMessage { at }
            | Happening::AgentReply { at } => at,
        }
    }
}

/// One clock of a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clock {
    pub target: Target,
    pub state: State,
    /// When this run of the target started: creation, or for next response the oldest
    /// unanswered customer message. Identifies the run (a next response target runs
    /// once per unanswered message).
    pub started_at: i64,
    /// When it is (or was) due; `None` while paused, since it moves when it resumes.
    pub due_at: Option<i64>,
    /// When it turns to [`State::Warning`]; `None` while paused.
    pub warn_at: Option<i64>,
    /// When it was met, if it was.
    pub met_at: Option<i64>,
    /// Whether it is paused now (pending or on hold).
    pub paused: bool,
    /// Open time counted so far.
    pub elapsed: i64,
}

/// A running measurement of one target.
#[derive(Debug, Clone, Copy)]
struct Run {
    started_at: i64,
    elapsed: i64,
    /// When the current stretch of counting started (`None` while paused).
    since: Option<i64>,
    met_at: Option<i64>,
    breached: bool,
}

impl Run {
    fn new(at: i64, running: bool) -> Run {
        Run {
            started_at: at,
            elapsed: 0,
            since: running.then_some(at),
            met_at: None,
            breached: false,
        }
    }

    fn pause(&mut self, cal: &Calendar, at: i64, target: i64) {
        if let Some(s) = self.since.take() {
            self.elapsed += cal.business_between(s, at);
        }
        self.breached |= self.elapsed > target;
    }

    fn resume(&mut self, at: i64) {
        if self.since.is_none() && self.met_at.is_none() {
            self.since = Some(at);
        }
    }

    fn meet(&mut self, cal: &Calendar, at: i64, target: i64) {
        self.pause(cal, at, target);
        self.met_at = Some(at);
    }

    fn clock(&self, cal: &Calendar, target: Target, goal: i64, lead: i64, now: i64) -> Clock {
        let elapsed = self.elapsed + self.since.map_or(0, |s| cal.business_between(s, now));
        let due_at = self
            .since
            .and_then(|s| cal.add_business(s, (goal - self.elapsed).max(0)));
        let warn_at = self
            .since
            .and_then(|s| cal.add_business(s, (goal - self.elapsed - lead).max(0)));
        let state = if self.met_at.is_some() {
            if self.breached {
                State::Breached
            } else {
                State::Met
            }
        } else if self.breached || elapsed > goal {
            State::Breached
        } else if goal - elapsed <= lead {
            State::Warning
        } else {
            State::OnTrack
        };
        Clock {
            target,
            state,
            started_at: self.started_at,
            due_at,
            warn_at,
            met_at: self.met_at,
            paused: self.since.is_none() && self.met_at.is_none(),
            elapsed,
        }
    }
}

/// A policy's targets, as open time in milliseconds; `None` has no target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Targets {
    pub first_response: Option<i64>,
    pub next_response: Option<i64>,
    pub resolution: Option<i64>,
    /// How long before a target is due it turns to [`State::Warning`].
    pub warning_lead: i64,
}

/// The clocks of a ticket at `now`, from its history (in time order).
pub fn clocks(cal: &Calendar, targets: &Targets, history: &[Happening], now: i64) -> Vec<Clock> {
    let mut first: Option<Run> = None;
    let mut next: Option<Run> = None;
    let mut resolution: Option<Run> = None;
    let mut running = false;
    let f = targets.first_response.unwrap_or(i64::MAX);
    let n = targets.next_response.unwrap_or(i64::MAX);
    let r = targets.resolution.unwrap_or(i64::MAX);
    let mut answered_once = false;
    for h in history.iter().filter(|h| h.at() <= now) {
        let at = h.at();
        match *h {
            Happening::Created { category, .. } => {
                running = category.sla_clock_runs();
                first = Some(Run::new(at, running));
                resolution = Some(Run::new(at, running));
            }
            Happening::StatusChanged { category, .. } => {
                let runs = category.sla_clock_runs();
                for (run, goal) in [(&mut first, f), (&mut next, n), (&mut resolution, r)] {
                    if let Some(run) = run.as_mut() {
                        if runs {
                            run.resume(at);
                        } else {
                            run.pause(cal, at, goal);
                        }
                    }
                }
                if category.is_done() {
                    if let Some(run) = resolution.as_mut()
                        && run.met_at.is_none()
                    {
                        run.meet(cal, at, r);
                    }
                } else if let Some(run) = resolution.as_mut()
                    && run.met_at.is_some()
                {
                    // Reopened: the resolution clock resumes where it stopped.
                    run.met_at = None;
                    if runs {
                        run.since = Some(at);
                    }
                }
                running = runs;
            }
            Happening::CustomerMessage { .. } => {
                if answered_once && next.is_none_or(|run| run.met_at.is_some()) {
                    next = Some(Run::new(at, running));
                }
            }
            Happening::AgentReply { .. } => {
                if let Some(run) = first.as_mut()
                    && run.met_at.is_none()
                {
                    run.meet(cal, at, f);
                }
                if let Some(run) = next.as_mut()
                    && run.met_at.is_none()
                {
                    run.meet(cal, at, n);
                }
                answered_once = true;
            }
        }
    }
    let lead = targets.warning_lead;
    let mut out = Vec::new();
    let wanted = [
        (Target::FirstResponse, targets.first_response, first),
        (Target::NextResponse, targets.next_response, next),
        (Target::Resolution, targets.resolution, resolution),
    ];
    for (target, goal, run) in wanted {
        if let (Some(goal), Some(run)) = (goal, run) {
            out.push(run.clock(cal, target, goal, lead, now));
        }
    }
    out
}

pub mod policy;

#[cfg(test)]
mod tests;
