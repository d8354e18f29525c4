//! SLAs: business-hours calendars, policies (tried in order, the first that matches a
//! ticket wins), each ticket's clocks as computed from its history, and the sweeper that
//! raises `sla.warning` and `sla.breached` once per target.
//!
//! The clocks of a ticket are recomputed by the `sla` consumer whenever its history grows
//! ([`clocks`]); between changes the time that passes is the sweeper's ([`sweeper`]).
//! A changed policy or calendar applies to a ticket on its next change.

pub mod clocks;
mod config;
pub mod sweeper;

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use triage_domain::calendar::Calendar;
use triage_domain::sla::policy::{Conditions, Minutes, Policy};
use triage_domain::{Actor, Priority, TicketType};
use triage_store::{CalendarRow, SlaPolicyRow, TicketRow, TicketSlaRow, now_millis};

pub(crate) use config::SlaConfig;

use crate::{App, AppError, AppResult};

/// A calendar to create or the changes to one. Hours are seven lists (Monday first) of
/// `("09:00", "17:00")` intervals; `"24:00"` ends a day at midnight.
#[derive(Debug, Clone, Default)]
pub struct CalendarInput {
    pub name: Option<String>,
    pub time_zone: Option<String>,
    pub hours: Option<Vec<Vec<(String, String)>>>,
    /// Local dates, `YYYY-MM-DD`.
    pub holidays: Option<Vec<String>>,
    /// One-off closures, `[from, to)` in epoch milliseconds.
    pub closures: Option<Vec<(i64, i64)>>,
}

/// A policy to create or the changes to one.
#[derive(Debug, Clone, Default)]
pub struct PolicyInput {
    pub name: Option<String>,
    pub position: Option<i32>,
    pub enabled: Option<bool>,
    /// `{"priorities": [...], "group_ids": [...], "organization_ids": [...],
    /// "types": [...], "tags_all": [...], "tags_any": [...], "custom_fields": {...}}`.
    pub conditions: Option<Value>,
    /// `{"<priority>": {"first_response": minutes, "next_response": minutes,
    /// "resolution": minutes}}`.
    pub targets: Option<Value>,
    /// `Some(None)` counts calendar hours.
    pub calendar_id: Option<Option<i64>>,
    pub warning_minutes: Option<u32>,
}

/// A ticket's SLA as shown on it.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketSla {
    pub policy_id: i64,
    pub policy: String,
    /// The most urgent clock's state.
    pub state: String,
    /// The soonest due time of a clock not yet met.
    pub due_at: Option<i64>,
    pub clocks: Vec<ClockView>,
}

/// One clock of a ticket, as shown.
#[derive(Debug, Clone, PartialEq)]
pub struct ClockView {
    pub target: String,
    pub state: String,
    pub started_at: i64,
    pub due_at: Option<i64>,
    pub met_at: Option<i64>,
    pub paused: bool,
    /// Open time counted so far, in milliseconds.
    pub elapsed_ms: i64,
}

fn not_found(what: &str, id: i64) -> AppError {
    AppError::NotFound(format!("{what} {id}"))
}

fn parse_time_of_day(field: &str, s: &str) -> AppResult<NaiveTime> {
    if s == "24:00" {
        return NaiveTime::from_hms_milli_opt(23, 59, 59, 999)
            .ok_or_else(|| AppError::Internal("end of day".into()));
    }
    NaiveTime::parse_from_str(s, "%H:%M")
        .map_err(|_| AppError::invalid(field, format!("{s:?} is not a time of day like 09:00")))
}

fn time_of_day(t: NaiveTime) -> String {
    if t == NaiveTime::from_hms_milli_opt(23, 59, 59, 999).unwrap_or(NaiveTime::MIN) {
        "24:00".into()
    } else {
        t.format("%H:%M").to_string()
    }
}

/// The stored calendar as the domain's; a row that no longer reads is an internal error.
pub(crate) fn calendar_of(row: &CalendarRow) -> AppResult<Calendar> {
    let bad = |what: &str| AppError::Internal(format!("calendar {}: bad {what}", row.id));
    let tz = row.time_zone.parse().map_err(|_| bad("time zone"))?;
    let mut week: [Vec<(NaiveTime, NaiveTime)>; 7] = Default::default();
    let days = row.hours.as_array().ok_or_else(|| bad("hours"))?;
    for (day, intervals) in days.iter().take(7).enumerate() {
        for pair in intervals.as_array().ok_or_else(|| bad("hours"))? {
            let (Some(from), Some(to)) = (pair[0].as_str(), pair[1].as_str()) else {
                return Err(bad("hours"));
            };
            week[day].push((
                parse_time_of_day("hours", from)?,
                parse_time_of_day("hours", to)?,
            ));
        }
    }
    let holidays = triage_store::repo::json_strings(&row.holidays)
        .iter()
        .map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| bad("holidays")))
        .collect::<AppResult<Vec<_>>>()?;
    let closures = row
        .closures
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|c| Some((c["from"].as_i64()?, c["to"].as_i64()?)))
                .collect()
        })
        .unwrap_or_default();
    Ok(Calendar::new(tz, week, holidays, closures)?)
}

fn calendar_row(
    mut row: CalendarRow,
    input: CalendarInput,
    now: i64,
) -> AppResult<(CalendarRow, Calendar)> {
    if let Some(name) = input.name {
        row.name = triage_domain::text::validate_name("name", &name)?;
    }
    if let Some(tz) = input.time_zone {
        let tz = tz.trim().to_string();
        if tz.parse::<chrono_tz::Tz>().is_err() {
            return Err(AppError::invalid(
                "time_zone",
                format!("{tz:?} is not an IANA time zone such as Europe/Stockholm"),
            ));
        }
        row.time_zone = tz;
    }
    if let Some(hours) = input.hours {
        if hours.len() != 7 {
            return Err(AppError::invalid(
                "hours",
                "give the hours of all seven days, Monday first",
            ));
        }
        let mut days = Vec::new();
        for day in &hours {
            let mut out = Vec::new();
            for (from, to) in day {
                let f = parse_time_of_day("hours", from)?;
                let t = parse_time_of_day("hours", to)?;
                out.push(json!([time_of_day(f), time_of_day(t)]));
            }
            days.push(Value::Array(out));
        }
        row.hours = Value::Array(days);
    }
    if let Some(holidays) = input.holidays {
        let mut dates = Vec::new();
        for d in holidays {
            let date = NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").map_err(|_| {
                AppError::invalid("holidays", format!("{d:?} is not a date like 2026-12-24"))
            })?;
            dates.push(date.format("%Y-%m-%d").to_string());
        }
        dates.sort();
        dates.dedup();
        row.holidays = json!(dates);
    }
    if let Some(closures) = input.closures {
        row.closures = Value::Array(
            closures
                .iter()
                .map(|(from, to)| json!({"from": from, "to": to}))
                .collect(),
        );
    }
    row.updated_at = now;
    let calendar = calendar_of(&row).map_err(|e| match e {
        AppError::Internal(m) => AppError::invalid("hours", m),
        other => other,
    })?;
    if !(0..7).any(|d| !calendar.week[d].is_empty()) {
        return Err(AppError::invalid(
            "hours",
            "a calendar needs opening hours on at least one day",
        ));
    }
    Ok((row, calendar))
}

fn strings(field: &str, v: &Value) -> AppResult<Vec<String>> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(|s| s.trim().to_string())
                    .ok_or_else(|| AppError::invalid(field, "expected a list of strings"))
            })
            .collect(),
        _ => Err(AppError::invalid(field, "expected a list of strings")),
    }
}

fn ids(field: &str, v: &Value) -> AppResult<Vec<i64>> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items
            .iter()
            .map(|i| {
                i.as_i64()
                    .ok_or_else(|| AppError::invalid(field, "expected a list of ids"))
            })
            .collect(),
        _ => Err(AppError::invalid(field, "expected a list of ids")),
    }
}

const CONDITION_KEYS: [&str; 7] = [
    "priorities",
    "group_ids",
    "organization_ids",
    "types",
    "tags_all",
    "tags_any",
    "custom_fields",
];

/// Reads stored or given conditions.
pub(crate) fn conditions_of(v: &Value) -> AppResult<Conditions> {
    let Some(map) = v.as_object() else {
        return Err(AppError::invalid("conditions", "expected an object"));
    };
    if let Some(k) = map.keys().find(|k| !CONDITION_KEYS.contains(&k.as_str())) {
        return Err(AppError::invalid(
            "conditions",
            format!("unknown condition {k:?}; use {}", CONDITION_KEYS.join(", ")),
        ));
    }
    let field = |k: &str| map.get(k).cloned().unwrap_or(Value::Null);
    let priorities = strings("conditions.priorities", &field("priorities"))?
        .iter()
        .map(|p| Priority::parse(p))
        .collect::<Result<_, _>>()?;
    let kinds = strings("conditions.types", &field("types"))?
        .iter()
        .map(|t| TicketType::parse(t))
        .collect::<Result<_, _>>()?;
    let fields = match field("custom_fields") {
        Value::Null => BTreeMap::new(),
        Value::Object(m) => m.into_iter().collect(),
        _ => {
            return Err(AppError::invalid(
                "conditions.custom_fields",
                "expected an object of field names and values",
            ));
        }
    };
    Ok(Conditions {
        priorities,
        group_ids: ids("conditions.group_ids", &field("group_ids"))?,
        organization_ids: ids("conditions.organization_ids", &field("organization_ids"))?,
        kinds,
        tags_all: strings("conditions.tags_all", &field("tags_all"))?,
        tags_any: strings("conditions.tags_any", &field("tags_any"))?,
        fields,
    })
}

fn conditions_json(c: &Conditions) -> Value {
    json!({
        "priorities": c.priorities.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
        "group_ids": c.group_ids,
        "organization_ids": c.organization_ids,
        "types": c.kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
        "tags_all": c.tags_all,
        "tags_any": c.tags_any,
        "custom_fields": c.fields,
    })
}

/// Reads stored or given targets.
pub(crate) fn targets_of(v: &Value) -> AppResult<BTreeMap<Priority, Minutes>> {
    let Some(map) = v.as_object() else {
        return Err(AppError::invalid(
            "targets",
            "expected an object of priorities, each with first_response, next_response and resolution minutes",
        ));
    };
    let mut out = BTreeMap::new();
    for (priority, m) in map {
        let p = Priority::parse(priority)?;
        let Some(m) = m.as_object() else {
            return Err(AppError::invalid(
                "targets",
                format!("{priority}: expected an object of minutes"),
            ));
        };
        let mut minutes = Minutes::default();
        for (k, v) in m {
            let value = match v {
                Value::Null => None,
                v => Some(
                    v.as_u64()
                        .and_then(|v| u32::try_from(v).ok())
                        .ok_or_else(|| {
                            AppError::invalid(
                                "targets",
                                format!("{priority} {k}: expected whole minutes"),
                            )
                        })?,
                ),
            };
            match k.as_str() {
                "first_response" => minutes.first_response = value,
                "next_response" => minutes.next_response = value,
                "resolution" => minutes.resolution = value,
                other => {
                    return Err(AppError::invalid(
                        "targets",
                        format!(
                            "{priority}: unknown target {other:?}; use first_response, next_response, resolution"
                        ),
                    ));
                }
            }
        }
        out.insert(p, minutes);
    }
    Ok(out)
}

fn targets_json(t: &BTreeMap<Priority, Minutes>) -> Value {
    Value::Object(
        t.iter()
            .map(|(p, m)| {
                (
                    p.as_str().to_string(),
                    json!({"first_response": m.first_response, "next_response": m.next_response,
                           "resolution": m.resolution}),
                )
            })
            .collect(),
    )
}

/// The stored policy as the domain's.
pub(crate) fn policy_of(row: &SlaPolicyRow) -> AppResult<Policy> {
    Ok(Policy {
        name: row.name.clone(),
        position: row.position,
        conditions: conditions_of(&row.conditions)?,
        targets: targets_of(&row.targets)?,
        business_hours: row.calendar_id.is_some(),
        warning_minutes: u32::try_from(row.warning_minutes).unwrap_or(0),
    })
}

impl App {
    /// Every calendar (staff).
    pub async fn list_calendars(&self, actor: &Actor) -> AppResult<Vec<CalendarRow>> {
        actor.require_staff()?;
        Ok(self.store.read().list_calendars().await?)
    }

    /// One calendar (staff).
    pub async fn get_calendar(&self, actor: &Actor, id: i64) -> AppResult<CalendarRow> {
        actor.require_staff()?;
        self.store
            .read()
            .calendar(id)
            .await?
            .ok_or_else(|| not_found("calendar", id))
    }

    /// Creates a calendar (admins).
    pub async fn create_calendar(
        &self,
        actor: &Actor,
        input: CalendarInput,
    ) -> AppResult<CalendarRow> {
        actor.require_admin()?;
        if input.name.is_none() || input.time_zone.is_none() || input.hours.is_none() {
            return Err(AppError::invalid(
                "name",
                "a calendar needs a name, a time_zone and its hours",
            ));
        }
        let now = now_millis();
        let empty = CalendarRow {
            id: 0,
            name: String::new(),
            time_zone: "UTC".into(),
            hours: json!([]),
            holidays: json!([]),
            closures: json!([]),
            created_at: now,
            updated_at: now,
        };
        let (row, _) = calendar_row(empty, input, now)?;
        let row = self
            .store
            .write(move |tx| Box::pin(async move { tx.repos().insert_calendar(row).await }))
            .await?;
        self.forget_config();
        Ok(row)
    }

    /// Changes a calendar (admins); tickets follow on their next change.
    pub async fn update_calendar(
        &self,
        actor: &Actor,
        id: i64,
        input: CalendarInput,
    ) -> AppResult<CalendarRow> {
        actor.require_admin()?;
        let row = self
            .store
            .write(move |tx| {
                Box::pin(async move {
                    let repos = tx.repos();
                    let row = repos
                        .calendar(id)
                        .await?
                        .ok_or_else(|| not_found("calendar", id))?;
                    let (row, _) = calendar_row(row, input, now_millis())?;
                    Ok::<_, AppError>(repos.update_calendar(row).await?)
                })
            })
            .await?;
        self.forget_config();
        Ok(row)
    }

    /// Deletes a calendar no policy counts in (admins).
    pub async fn delete_calendar(&self, actor: &Actor, id: i64) -> AppResult<()> {
        actor.require_admin()?;
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let repos = tx.repos();
                    if repos.calendar_in_use(id).await? {
                        return Err(AppError::Conflict(format!(
                            "calendar {id} is used by an SLA policy; change the policy first"
                        )));
                    }
                    if !repos.delete_calendar(id).await? {
                        return Err(not_found("calendar", id));
                    }
                    Ok(())
                })
            })
            .await?;
        self.forget_config();
        Ok(())
    }

    /// Every policy, in the order they are tried (staff).
    pub async fn list_sla_policies(&self, actor: &Actor) -> AppResult<Vec<SlaPolicyRow>> {
        actor.require_staff()?;
        Ok(self.store.read().list_sla_policies().await?)
    }

    /// One policy (staff).
    pub async fn get_sla_policy(&self, actor: &Actor, id: i64) -> AppResult<SlaPolicyRow> {
        actor.require_staff()?;
        self.store
            .read()
            .sla_policy(id)
            .await?
            .ok_or_else(|| not_found("SLA policy", id))
    }

    /// Creates a policy (admins).
    pub async fn create_sla_policy(
        &self,
        actor: &Actor,
        input: PolicyInput,
    ) -> AppResult<SlaPolicyRow> {
        actor.require_admin()?;
        if input.name.is_none() || input.targets.is_none() {
            return Err(AppError::invalid(
                "targets",
                "a policy needs a name and its targets",
            ));
        }
        let now = now_millis();
        let row = SlaPolicyRow {
            id: 0,
            name: String::new(),
            position: 0,
            enabled: true,
            conditions: json!({}),
            targets: json!({}),
            calendar_id: None,
            warning_minutes: 0,
            created_at: now,
            updated_at: now,
        };
        let row = self
            .store
            .write(move |tx| {
                Box::pin(async move {
                    let repos = tx.repos();
                    let mut input = input;
                    if input.position.is_none() {
                        let last = repos
                            .list_sla_policies()
                            .await?
                            .iter()
                            .map(|p| p.position)
                            .max();
                        input.position = Some(last.map_or(0, |p| p.saturating_add(10)));
                    }
                    let row = policy_row(&repos, row, input).await?;
                    Ok::<_, AppError>(repos.insert_sla_policy(row).await?)
                })
            })
            .await?;
        self.forget_config();
        Ok(row)
    }

    /// Changes a policy (admins); tickets follow on their next change.
    pub async fn update_sla_policy(
        &self,
        actor: &Actor,
        id: i64,
        input: PolicyInput,
    ) -> AppResult<SlaPolicyRow> {
        actor.require_admin()?;
        let row = self
            .store
            .write(move |tx| {
                Box::pin(async move {
                    let repos = tx.repos();
                    let row = repos
                        .sla_policy(id)
                        .await?
                        .ok_or_else(|| not_found("SLA policy", id))?;
                    let row = policy_row(&repos, row, input).await?;
                    Ok::<_, AppError>(repos.update_sla_policy(row).await?)
                })
            })
            .await?;
        self.forget_config();
        Ok(row)
    }

    /// Deletes a policy (admins); its tickets lose their clocks on their next change.
    pub async fn delete_sla_policy(&self, actor: &Actor, id: i64) -> AppResult<()> {
        actor.require_admin()?;
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    if !tx.repos().delete_sla_policy(id).await? {
                        return Err(not_found("SLA policy", id));
                    }
                    Ok::<_, AppError>(())
                })
            })
            .await?;
        self.forget_config();
        Ok(())
    }

    /// The SLAs of tickets, as shown on them.
    pub(crate) async fn ticket_slas(&self, ids: &[i64]) -> AppResult<BTreeMap<i64, TicketSla>> {
        if ids.is_empty() {
            return Ok(BTreeMap::new());
        }
        let config = self.config_snapshot().await?;
        let rows = self.store.read().ticket_slas(ids).await?;
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                let policy_id = row.policy_id?;
                let policy = config.sla.name_of(policy_id).unwrap_or_default();
                Some((row.ticket_id, sla_view(&row, policy_id, policy)))
            })
            .collect())
    }
}

impl App {
    /// A ticket's SLA as its clocks stand now, computed from its history rather than read
    /// from what the `sla` consumer stored, for a ticket whose change was just written;
    /// `None` when no policy covers it.
    pub(crate) async fn current_sla(&self, ticket: &TicketRow) -> AppResult<Option<TicketSla>> {
        let config = self.config_snapshot().await?;
        if config.sla.pick(&clocks::facts(ticket)).is_none() {
            return Ok(None);
        }
        let read = self.store.read();
        let events = read.events_of_tickets(&[ticket.id]).await?;
        let previous = read.ticket_slas(&[ticket.id]).await?.into_iter().next();
        let row = clocks::compute(
            &config.sla,
            ticket,
            &events,
            previous.as_ref(),
            crate::now_millis(),
        );
        Ok(row.and_then(|row| {
            let policy_id = row.policy_id?;
            let policy = config.sla.name_of(policy_id).unwrap_or_default();
            Some(sla_view(&row, policy_id, policy))
        }))
    }
}

fn sla_view(row: &TicketSlaRow, policy_id: i64, policy: String) -> TicketSla {
    let clocks = clocks::stored(&row.clocks)
        .into_iter()
        .map(|c| ClockView {
            target: c.clock.target.as_str().to_string(),
            state: c.clock.state.as_str().to_string(),
            started_at: c.clock.started_at,
            due_at: c.clock.due_at,
            met_at: c.clock.met_at,
            paused: c.clock.paused,
            elapsed_ms: c.clock.elapsed,
        })
        .collect();
    TicketSla {
        policy_id,
        policy,
        state: row.state.clone().unwrap_or_default(),
        due_at: row.due_at,
        clocks,
    }
}

async fn policy_row<C: triage_store::Conn>(
    repos: &triage_store::Repos<'_, C>,
    mut row: SlaPolicyRow,
    input: PolicyInput,
) -> AppResult<SlaPolicyRow> {
    if let Some(name) = input.name {
        row.name = triage_domain::text::validate_name("name", &name)?;
    }
    if let Some(position) = input.position {
        row.position = position;
    }
    if let Some(enabled) = input.enabled {
        row.enabled = enabled;
    }
    if let Some(conditions) = input.conditions {
        row.conditions = conditions_json(&conditions_of(&conditions)?);
    }
    if let Some(targets) = input.targets {
        row.targets = targets_json(&targets_of(&targets)?);
    }
    if let Some(calendar_id) = input.calendar_id {
        if let Some(id) = calendar_id
            && repos.calendar(id).await?.is_none()
        {
            return Err(AppError::invalid(
                "calendar_id",
                format!("calendar {id} does not exist"),
            ));
        }
        row.calendar_id = calendar_id;
    }
    if let Some(w) = input.warning_minutes {
        row.warning_minutes = i32::try_from(w).unwrap_or(i32::MAX);
    }
    row.updated_at = now_millis();
    policy_of(&row)?.validate()?;
    Ok(row)
}

/// Epoch milliseconds as RFC 3339, for event data.
pub(crate) fn rfc3339(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}
