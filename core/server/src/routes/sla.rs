//! `/api/v1/calendars` and `/api/v1/sla-policies`: business hours and SLA policies.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use triage_app::rows::{CalendarRow, SlaPolicyRow};
use triage_app::sla::{CalendarInput, ClockView, PolicyInput, TicketSla};
use utoipa::ToSchema;

use super::{double_option, opt_time, parse_time, time};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Auth, JsonBody, Path};
use crate::state::AppState;

/// The days of the week as the API names them, Monday first.
const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// A one-off closure.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClosureIo {
    /// RFC 3339.
    pub from: String,
    /// RFC 3339; the closure ends here.
    pub to: String,
}

/// A calendar to create, or the changes to one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarIn {
    pub name: Option<String>,
    /// An IANA time zone (`Europe/Stockholm`, `Pacific/Auckland`).
    pub time_zone: Option<String>,
    /// Opening hours per day (`mon` … `sun`) as local `["09:00", "17:00"]` intervals;
    /// a day left out is closed; `"24:00"` ends at midnight.
    #[schema(value_type = Object)]
    pub hours: Option<BTreeMap<String, Vec<[String; 2]>>>,
    /// Local dates (`YYYY-MM-DD`) closed all day.
    pub holidays: Option<Vec<String>>,
    pub closures: Option<Vec<ClosureIo>>,
}

/// A calendar.
#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarOut {
    pub id: i64,
    pub name: String,
    pub time_zone: String,
    #[schema(value_type = Object)]
    pub hours: BTreeMap<String, Value>,
    pub holidays: Vec<String>,
    pub closures: Vec<ClosureIo>,
    pub created_at: String,
    pub updated_at: String,
}

fn calendar_input(c: CalendarIn) -> Result<CalendarInput, ApiError> {
    let hours = match c.hours {
        None => None,
        Some(map) => {
            if let Some(day) = map.keys().find(|d| !DAYS.contains(&d.as_str())) {
                return Err(ApiError::validation(
                    "hours",
                    format!("hours: unknown day {day:?}; use mon, tue, wed, thu, fri, sat, sun"),
                ));
            }
            Some(
                DAYS.iter()
                    .map(|d| {
                        map.get(*d)
                            .map(|iv| iv.iter().map(|[a, b]| (a.clone(), b.clone())).collect())
                            .unwrap_or_default()
                    })
                    .collect(),
            )
        }
    };
    let closures = match c.closures {
        None => None,
        Some(list) => Some(
            list.iter()
                .map(|cl| {
                    Ok((
                        parse_time("closures", &cl.from)?,
                        parse_time("closures", &cl.to)?,
                    ))
                })
                .collect::<Result<Vec<_>, ApiError>>()?,
        ),
    };
    Ok(CalendarInput {
        name: c.name,
        time_zone: c.time_zone,
        hours,
        holidays: c.holidays,
        closures,
    })
}

fn calendar_out(row: CalendarRow) -> CalendarOut {
    let days = row.hours.as_array().cloned().unwrap_or_default();
    let hours = DAYS
        .iter()
        .zip(days)
        .filter(|(_, v)| v.as_array().is_some_and(|a| !a.is_empty()))
        .map(|(d, v)| (d.to_string(), v))
        .collect();
    let closures = row
        .closures
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|c| {
                    Some(ClosureIo {
                        from: time(c["from"].as_i64()?),
                        to: time(c["to"].as_i64()?),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    CalendarOut {
        id: row.id,
        name: row.name,
        time_zone: row.time_zone,
        hours,
        holidays: triage_app::rows::json_strings(&row.holidays),
        closures,
        created_at: time(row.created_at),
        updated_at: time(row.updated_at),
    }
}

#[utoipa::path(get, path = "/api/v1/calendars", tag = "sla", responses((status = 200, body = [CalendarOut]), (status = 401), (status = 403)))]
/// Every business-hours calendar (staff).
pub async fn list_calendars(
    State(state): State<AppState>,
    Auth(auth): Auth,
) -> ApiResult<Json<Vec<CalendarOut>>> {
    let rows = state.app.list_calendars(&auth.actor).await?;
    Ok(Json(rows.into_iter().map(calendar_out).collect()))
}

#[utoipa::path(post, path = "/api/v1/calendars", tag = "sla", request_body = CalendarIn, responses((status = 201, body = CalendarOut), (status = 401), (status = 403), (status = 409), (status = 422)))]
/// Creates a calendar (admins).
pub async fn create_calendar(
    State(state): State<AppState>,
    Auth(auth): Auth,
    body: JsonBody<CalendarIn>,
) -> ApiResult<(StatusCode, Json<CalendarOut>)> {
    let input = calendar_input(body.value)?;
    let row = state.app.create_calendar(&auth.actor, input).await?;
    Ok((StatusCode::CREATED, Json(calendar_out(row))))
}

#[utoipa::path(get, path = "/api/v1/calendars/{id}", tag = "sla", params(("id" = i64, Path, description = "Calendar id")), responses((status = 200, body = CalendarOut), (status = 401), (status = 403), (status = 404)))]
/// One calendar (staff).
pub async fn get_calendar(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Path(id): Path<i64>,
) -> ApiResult<Json<CalendarOut>> {
    Ok(Json(calendar_out(
        state.app.get_calendar(&auth.actor, id).await?,
    )))
}

#[utoipa::path(patch, path = "/api/v1/calendars/{id}", tag = "sla", params(("id" = i64, Path, description = "Calendar id")), request_body = CalendarIn,
    responses((status = 200, body = CalendarOut), (status = 401), (status = 403), (status = 404), (status = 409), (status = 422)))]
/// Changes a calendar (admins); tickets count in the new hours from their next change.
pub async fn update_calendar(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Path(id): Path<i64>,
    body: JsonBody<CalendarIn>,
) -> ApiResult<Json<CalendarOut>> {
    let input = calendar_input(body.value)?;
    let row = state.app.update_calendar(&auth.actor, id, input).await?;
    Ok(Json(calendar_out(row)))
}

#[utoipa::path(delete, path = "/api/v1/calendars/{id}", tag = "sla", params(("id" = i64, Path, description = "Calendar id")), responses((status = 204), (status = 401), (status = 403), (status = 404), (status = 409)))]
/// Deletes a calendar no policy uses (admins).
pub async fn delete_calendar(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    state.app.delete_calendar(&auth.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A policy to create, or the changes to one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyIn {
    pub name: Option<String>,
    /// Policies are tried in ascending position; the first that matches a ticket wins.
    /// Default: after the last.
    pub position: Option<i32>,
    pub enabled: Option<bool>,
    /// Every condition given must hold: `priorities`, `group_ids`, `organization_ids`,
    /// `types` (any of), `tags_all`, `tags_any`, `custom_fields` (equal values).
    #[schema(value_type = Object)]
    pub conditions: Option<Value>,
    /// Minutes per priority: `{"urgent": {"first_response": 30, "next_response": 60,
    /// "resolution": 240}}`; a target left out or null is not measured.
    #[schema(value_type = Object)]
    pub targets: Option<Value>,
    /// Count in this calendar's business hours; `null` counts calendar hours.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub calendar_id: Option<Option<i64>>,
    /// How long before a target is due it warns (`sla.warning`); 0 for no warning.
    pub warning_minutes: Option<u32>,
}

/// An SLA policy.
#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyOut {
    pub id: i64,
    pub name: String,
    pub position: i32,
    pub enabled: bool,
    #[schema(value_type = Object)]
    pub conditions: Value,
    #[schema(value_type = Object)]
    pub targets: Value,
    /// `null`: calendar hours.
    pub calendar_id: Option<i64>,
    pub warning_minutes: i32,
    pub created_at: String,
    pub updated_at: String,
}

impl From<PolicyIn> for PolicyInput {
    fn from(p: PolicyIn) -> Self {
        PolicyInput {
            name: p.name,
            position: p.position,
            enabled: p.enabled,
            conditions: p.conditions,
            targets: p.targets,
            calendar_id: p.calendar_id,
            warning_minutes: p.warning_minutes,
        }
    }
}

impl From<SlaPolicyRow> for PolicyOut {
    fn from(p: SlaPolicyRow) -> Self {
        PolicyOut {
            id: p.id,
            name: p.name,
            position: p.position,
            enabled: p.enabled,
            conditions: p.conditions,
            targets: p.targets,
            calendar_id: p.calendar_id,
            warning_minutes: p.warning_minutes,
            created_at: time(p.created_at),
            updated_at: time(p.updated_at),
        }
    }
}

#[utoipa::path(get, path = "/api/v1/sla-policies", tag = "sla", responses((status = 200, body = [PolicyOut]), (status = 401), (status = 403)))]
/// Every SLA policy, in the order they are tried (staff).
pub async fn list_policies(
    State(state): State<AppState>,
    Auth(auth): Auth,
) -> ApiResult<Json<Vec<PolicyOut>>> {
    let rows = state.app.list_sla_policies(&auth.actor).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

#[utoipa::path(post, path = "/api/v1/sla-policies", tag = "sla", request_body = PolicyIn, responses((status = 201, body = PolicyOut), (status = 401), (status = 403), (status = 409), (status = 422)))]
/// Creates an SLA policy (admins).
pub async fn create_policy(
    State(state): State<AppState>,
    Auth(auth): Auth,
    body: JsonBody<PolicyIn>,
) -> ApiResult<(StatusCode, Json<PolicyOut>)> {
    let row = state
        .app
        .create_sla_policy(&auth.actor, body.value.into())
        .await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

#[utoipa::path(get, path = "/api/v1/sla-policies/{id}", tag = "sla", params(("id" = i64, Path, description = "Policy id")), responses((status = 200, body = PolicyOut), (status = 401), (status = 403), (status = 404)))]
/// One SLA policy (staff).
pub async fn get_policy(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Path(id): Path<i64>,
) -> ApiResult<Json<PolicyOut>> {
    Ok(Json(
        state.app.get_sla_policy(&auth.actor, id).await?.into(),
    ))
}

#[utoipa::path(patch, path = "/api/v1/sla-policies/{id}", tag = "sla", params(("id" = i64, Path, description = "Policy id")), request_body = PolicyIn,
    responses((status = 200, body = PolicyOut), (status = 401), (status = 403), (status = 404), (status = 409), (status = 422)))]
/// Changes an SLA policy (admins); tickets follow it from their next change.
pub async fn update_policy(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Path(id): Path<i64>,
    body: JsonBody<PolicyIn>,
) -> ApiResult<Json<PolicyOut>> {
    let row = state
        .app
        .update_sla_policy(&auth.actor, id, body.value.into())
        .await?;
    Ok(Json(row.into()))
}

#[utoipa::path(delete, path = "/api/v1/sla-policies/{id}", tag = "sla", params(("id" = i64, Path, description = "Policy id")), responses((status = 204), (status = 401), (status = 403), (status = 404)))]
/// Deletes an SLA policy (admins).
pub async fn delete_policy(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    state.app.delete_sla_policy(&auth.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One clock of a ticket's SLA.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClockOut {
    /// first_response, next_response or resolution.
    pub target: String,
    /// on_track, warning, breached or met.
    pub state: String,
    /// When this run started (creation; for next response, the oldest unanswered
    /// customer message).
    pub started_at: String,
    /// `null` while paused (pending, on hold): the due time moves when it resumes.
    pub due_at: Option<String>,
    pub met_at: Option<String>,
    pub paused: bool,
    /// Open time counted when the clocks were last computed, in minutes.
    pub elapsed_minutes: i64,
}

/// A ticket's SLA.
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketSlaOut {
    pub policy_id: i64,
    pub policy: String,
    /// The most urgent clock's state: breached, warning, on_track or met.
    pub state: String,
    /// The soonest due time of a clock not yet met.
    pub due_at: Option<String>,
    pub clocks: Vec<ClockOut>,
}

impl From<ClockView> for ClockOut {
    fn from(c: ClockView) -> Self {
        ClockOut {
            target: c.target,
            state: c.state,
            started_at: time(c.started_at),
            due_at: opt_time(c.due_at),
            met_at: opt_time(c.met_at),
            paused: c.paused,
            elapsed_minutes: c.elapsed_ms / 60_000,
        }
    }
}

impl From<TicketSla> for TicketSlaOut {
    fn from(s: TicketSla) -> Self {
        TicketSlaOut {
            policy_id: s.policy_id,
            policy: s.policy,
            state: s.state,
            due_at: opt_time(s.due_at),
            clocks: s.clocks.into_iter().map(Into::into).collect(),
        }
    }
}
