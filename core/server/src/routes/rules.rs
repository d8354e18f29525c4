//! Automation rules: CRUD, versions, run log, dry runs and import; notifications and
//! agents' availability for automatic assignment.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use triage_app::automation::{Availability, DryRun, DryRunResult, RuleInput};
use triage_app::rows::json_strings;
use triage_app::rows::{NotificationRow, RuleRow, RuleRunRow, RuleVersionRow};
use utoipa::{IntoParams, ToSchema};

use super::{double_option, opt_time, time};
use crate::error::ApiResult;
use crate::extract::{Auth, JsonBody, Path, Query};
use crate::state::AppState;

/// An automation rule.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleOut {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub script: String,
    pub triggers: Vec<String>,
    pub schedule: Option<String>,
    pub query: Option<String>,
    pub position: i32,
    pub active: bool,
    /// Whether changes made by other rules may trigger it.
    pub on_rule_changes: bool,
    pub version: i64,
    /// Failed runs in a row.
    pub failures: i32,
    /// Why the server deactivated it, if it did.
    pub disabled_reason: Option<String>,
    pub last_error: Option<String>,
    pub last_run_at: Option<String>,
    pub next_run_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<RuleRow> for RuleOut {
    fn from(r: RuleRow) -> Self {
        RuleOut {
            id: r.id,
            triggers: json_strings(&r.triggers),
            name: r.name,
            description: r.description,
            script: r.script,
            schedule: r.schedule,
            query: r.query,
            position: r.position,
            active: r.active,
            on_rule_changes: r.on_rule_changes,
            version: r.version,
            failures: r.failures,
            disabled_reason: r.disabled_reason,
            last_error: r.last_error,
            last_run_at: opt_time(r.last_run_at),
            next_run_at: opt_time(r.next_run_at),
            created_at: time(r.created_at),
            updated_at: time(r.updated_at),
        }
    }
}

/// A rule to create, or changes to one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleIn {
    pub name: Option<String>,
    pub description: Option<String>,
    /// The rhai script; it must compile.
    pub script: Option<String>,
    /// `ticket.created`, `ticket.updated`, `message.added`, `status.changed`,
    /// `rating.received`, `sla.warning`, `sla.breached`.
    pub triggers: Option<Vec<String>>,
    /// `every 30 minutes`, `every 2 hours`, `cron 0 9 * * 1-5 Europe/Berlin`; null removes it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub schedule: Option<Option<String>>,
    /// The tickets a scheduled rule runs over, in the search query language.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub query: Option<Option<String>>,
    pub position: Option<i32>,
    pub active: Option<bool>,
    pub on_rule_changes: Option<bool>,
}

impl From<RuleIn> for RuleInput {
    fn from(r: RuleIn) -> Self {
        RuleInput {
            name: r.name,
            description: r.description,
            script: r.script,
            triggers: r.triggers,
            schedule: r.schedule,
            query: r.query,
            position: r.position,
            active: r.active,
            on_rule_changes: r.on_rule_changes,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/rules", tag = "automation", responses((status = 200, body = [RuleOut]), (status = 401), (status = 403)))]
/// Every rule, in the order they run (admins).
pub async fn list_rules(
    State(state): State<AppState>,
    Auth(auth): Auth,
) -> ApiResult<Json<Vec<RuleOut>>> {
    Ok(Json(
        state
            .app
            .list_rules(&auth.actor)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

#[utoipa::path(post, path = "/api/v1/rules", tag = "automation", request_body = RuleIn, responses((status = 201, body = RuleOut), (status = 401), (status = 403), (status = 409), (status = 422)))]
/// Creates a rule (admins). A script that does not compile is refused with `invalid_script`
/// and its `line` and `column`.
pub async fn create_rule(
    State(state): State<AppState>,
    Auth(auth): Auth,
    body: JsonBody<RuleIn>,
) -> ApiResult<(StatusCode, Json<RuleOut>)> {
    let rule = state
        .app
        .create_rule(&auth.actor, body.value.into())
        .await?;
    Ok((StatusCode::CREATED, Json(rule.into())))
}

#[utoipa::path(get, path = "/api/v1/rules/{id}", tag = "automation", params(("id" = i64, Path, description = "Rule id")), responses((status = 200, body = RuleOut), (status = 401), (status = 403), (status = 404)))]
/// One rule (admins).
pub async fn get_rule(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Path(id): Path<i64>,
) -> ApiResult<Json<RuleOut>> {
    Ok(Json(state.app.get_rule(&auth.actor, id).await?.into()))
}

#[utoipa::path(patch, path = "/api/v1/rules/{id}", tag = "automation", params(("id" = i64, Path, description = "Rule id")), request_body = RuleIn, responses((status = 200, body = RuleOut), (status = 401), (status = 403), (status = 404), (status = 409), (status = 422)))]
/// Changes a rule and keeps the new version (admins).
pub async fn update_rule(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Path(id): Path<i64>,
    body: JsonBody<RuleIn>,
) -> ApiResult<Json<RuleOut>> {
    Ok(Json(
        state
            .app
            .update_rule(&auth.actor, id, body.value.into())
            .await?
            .into(),
    ))
}

#[utoipa::path(delete, path = "/api/v1/rules/{id}", tag = "automation", params(("id" = i64, Path, description = "Rule id")), responses((status = 204), (status = 401), (status = 403), (status = 404)))]
/// Deletes a rule with its versions and run log (admins).
pub async fn delete_rule(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    state.app.delete_rule(&auth.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A saved version of a rule.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleVersionOut {
    pub version: i64,
    pub name: String,
    pub script: String,
    /// Triggers, schedule, position and flags of that version.
    #[schema(value_type = Object)]
    pub meta: Value,
    pub author_id: Option<i64>,
    pub created_at: String,
}

impl From<RuleVersionRow> for RuleVersionOut {
    fn from(v: RuleVersionRow) -> Self {
        RuleVersionOut {
            version: v.version,
            name: v.name,
            script: v.script,
            meta: v.meta,
            author_id: v.author_id,
            created_at: time(v.created_at),
        }
    }
}

#[utoipa::path(get, path = "/api/v1/rules/{id}/versions", tag = "automation", params(("id" = i64, Path, description = "Rule id")), responses((status = 200, body = [RuleVersionOut]), (status = 401), (status = 403), (status = 404)))]
/// Every version of a rule, newest first, with who saved it (admins).
pub async fn rule_versions(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<RuleVersionOut>>> {
    Ok(Json(
        state
            .app
            .rule_versions(&auth.actor, id)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// One entry of a rule's run log.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleRunOut {
    pub id: i64,
    pub ticket_id: Option<i64>,
    pub event_id: Option<i64>,
    pub fired: bool,
    /// `actions` asked for and `fields` changed (`{field, from, to}`).
    #[schema(value_type = Object)]
    pub changes: Value,
    pub error: Option<String>,
    pub duration_us: i64,
    pub created_at: String,
}

impl From<RuleRunRow> for RuleRunOut {
    fn from(r: RuleRunRow) -> Self {
        RuleRunOut {
            id: r.id,
            ticket_id: r.ticket_id,
            event_id: r.event_id,
            fired: r.fired,
            changes: r.changes,
            error: r.error,
            duration_us: r.duration_us,
            created_at: time(r.created_at),
        }
    }
}

/// Paging of a run log.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RunsQuery {
    /// Runs before this run id (the last `id` of the previous page).
    pub before: Option<i64>,
    /// 1 to 500, default 50.
    pub limit: Option<u64>,
}

#[utoipa::path(get, path = "/api/v1/rules/{id}/runs", tag = "automation", params(("id" = i64, Path, description = "Rule id"), RunsQuery), responses((status = 200, body = [RuleRunOut]), (status = 401), (status = 403), (status = 404)))]
/// A rule's run log, newest first: when it fired, on which ticket, what it changed,
/// errors and duration (admins).
pub async fn rule_runs(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Path(id): Path<i64>,
    Query(q): Query<RunsQuery>,
) -> ApiResult<Json<Vec<RuleRunOut>>> {
    Ok(Json(
        state
            .app
            .rule_runs(&auth.actor, id, q.before, q.limit.unwrap_or(50))
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// A draft rule to try.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DryRunIn {
    pub script: String,
    /// Run on past events of these kinds; without triggers, as a scheduled rule on tickets.
    #[serde(default)]
    pub triggers: Vec<String>,
    /// Only this ticket.
    pub ticket_id: Option<i64>,
    /// The last N events (or tickets), 1 to 5000, default 100.
    pub last: Option<u32>,
}

/// One field the rule would change.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldChangeOut {
    pub field: String,
    #[schema(value_type = Object)]
    pub from: Value,
    #[schema(value_type = Object)]
    pub to: Value,
}

/// What a draft rule would do on one ticket.
#[derive(Debug, Serialize, ToSchema)]
pub struct DryRunOut {
    pub ticket_id: i64,
    pub event_id: Option<i64>,
    pub event_kind: String,
    pub fired: bool,
    /// The actions it asked for, described.
    pub actions: Vec<String>,
    /// The field changes it would make.
    pub changes: Vec<FieldChangeOut>,
    pub messages: Vec<String>,
    pub notifications: Vec<String>,
    pub error: Option<String>,
    /// What it printed.
    pub log: Vec<String>,
    pub duration_us: i64,
}

impl From<DryRunResult> for DryRunOut {
    fn from(r: DryRunResult) -> Self {
        DryRunOut {
            ticket_id: r.ticket_id,
            event_id: r.event_id,
            event_kind: r.event_kind,
            fired: r.fired,
            actions: r.actions.iter().map(|a| a.describe()).collect(),
            changes: r
                .changes
                .into_iter()
                .map(|c| FieldChangeOut {
                    field: c.field,
                    from: c.from,
                    to: c.to,
                })
                .collect(),
            messages: r.messages,
            notifications: r.notifications,
            error: r.error,
            log: r.log,
            duration_us: r.duration_us,
        }
    }
}

/// The outcome of a dry run.
#[derive(Debug, Serialize, ToSchema)]
pub struct DryRunReport {
    /// How many tickets it ran on, fired on, and failed on.
    pub ran: usize,
    pub fired: usize,
    pub failed: usize,
    pub results: Vec<DryRunOut>,
}

#[utoipa::path(post, path = "/api/v1/rules/test", tag = "automation", request_body = DryRunIn, responses((status = 200, body = DryRunReport), (status = 401), (status = 403), (status = 422)))]
/// Runs a draft rule against one ticket or the last N events or tickets and returns,
/// per ticket, whether it fires and exactly what it would change. Nothing is written
/// (admins).
pub async fn test_rule(
    State(state): State<AppState>,
    Auth(auth): Auth,
    body: JsonBody<DryRunIn>,
) -> ApiResult<Json<DryRunReport>> {
    let b = body.value;
    let results = state
        .app
        .test_rule(
            &auth.actor,
            DryRun {
                script: b.script,
                triggers: b.triggers,
                ticket_id: b.ticket_id,
                last: b.last,
            },
        )
        .await?;
    Ok(Json(DryRunReport {
        ran: results.len(),
        fired: results.iter().filter(|r| r.fired).count(),
        failed: results.iter().filter(|r| r.error.is_some()).count(),
        results: results.into_iter().map(Into::into).collect(),
    }))
}

/// A rule file.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleFileIn {
    /// The file name (`vip-routing.rhai`); its stem names a rule whose file has no `//! name:`.
    pub name: String,
    pub text: String,
}

/// Rule files to import.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportIn {
    pub files: Vec<RuleFileIn>,
}

/// What importing one file did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportOut {
    pub name: String,
    /// `created`, `updated` or `unchanged`.
    pub action: String,
    pub rule_id: i64,
    /// What the script names that this help desk lacks (`group "German"`); a rule with
    /// any is saved turned off, to be turned on once they exist.
    pub missing: Vec<String>,
}

#[utoipa::path(post, path = "/api/v1/rules/import", tag = "automation", request_body = ImportIn, responses((status = 200, body = [ImportOut]), (status = 401), (status = 403), (status = 422)))]
/// Creates or updates rules from `.rhai` files; every file is checked before any is saved
/// (admins).
pub async fn import_rules(
    State(state): State<AppState>,
    Auth(auth): Auth,
    body: JsonBody<ImportIn>,
) -> ApiResult<Json<Vec<ImportOut>>> {
    let files = body
        .value
        .files
        .into_iter()
        .map(|f| (f.name, f.text))
        .collect();
    Ok(Json(
        state
            .app
            .import_rules(&auth.actor, files)
            .await?
            .into_iter()
            .map(|o| ImportOut {
                name: o.name,
                action: o.action.to_string(),
                rule_id: o.rule_id,
                missing: o.missing.iter().map(ToString::to_string).collect(),
            })
            .collect(),
    ))
}

// ---- notifications ----

/// An in-app notification.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationOut {
    pub id: i64,
    pub ticket_id: Option<i64>,
    pub kind: String,
    pub text: String,
    /// What sent it (a rule's name).
    pub source: Option<String>,
    pub created_at: String,
    pub read_at: Option<String>,
}

impl From<NotificationRow> for NotificationOut {
    fn from(n: NotificationRow) -> Self {
        NotificationOut {
            id: n.id,
            ticket_id: n.ticket_id,
            kind: n.kind,
            text: n.text,
            source: n.source,
            created_at: time(n.created_at),
            read_at: opt_time(n.read_at),
        }
    }
}

/// Which notifications.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct NotificationsQuery {
    /// Only unread ones.
    pub unread: Option<bool>,
    /// 1 to 200, default 50.
    pub limit: Option<u64>,
}

#[utoipa::path(get, path = "/api/v1/notifications", tag = "automation", params(NotificationsQuery), responses((status = 200, body = [NotificationOut]), (status = 401), (status = 403)))]
/// The caller's notifications, newest first (staff).
pub async fn list_notifications(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Query(q): Query<NotificationsQuery>,
) -> ApiResult<Json<Vec<NotificationOut>>> {
    Ok(Json(
        state
            .app
            .notifications(
                &auth.actor,
                q.unread.unwrap_or(false),
                q.limit.unwrap_or(50),
            )
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// Up to which notification to mark read.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkReadIn {
    pub up_to: i64,
}

/// How many notifications were marked read.
#[derive(Debug, Serialize, ToSchema)]
pub struct MarkReadOut {
    pub marked: u64,
}

#[utoipa::path(post, path = "/api/v1/notifications/read", tag = "automation", request_body = MarkReadIn, responses((status = 200, body = MarkReadOut), (status = 401), (status = 403)))]
/// Marks the caller's notifications up to `up_to` read (staff).
pub async fn mark_read(
    State(state): State<AppState>,
    Auth(auth): Auth,
    body: JsonBody<MarkReadIn>,
) -> ApiResult<Json<MarkReadOut>> {
    Ok(Json(MarkReadOut {
        marked: state
            .app
            .mark_notifications_read(&auth.actor, body.value.up_to)
            .await?,
    }))
}

/// Which kinds of notification the caller gets: `assigned`, `customer_replied`,
/// `mentioned`, `sla_warning`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NotificationPrefsIo {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub kinds: std::collections::BTreeMap<String, bool>,
}

#[utoipa::path(get, path = "/api/v1/notifications/preferences", tag = "automation", responses((status = 200, body = NotificationPrefsIo), (status = 401), (status = 403)))]
/// Which kinds of notification the caller gets (staff).
pub async fn get_notification_prefs(
    State(state): State<AppState>,
    Auth(auth): Auth,
) -> ApiResult<Json<NotificationPrefsIo>> {
    Ok(Json(NotificationPrefsIo {
        kinds: state.app.notification_preferences(&auth.actor).await?,
    }))
}

#[utoipa::path(put, path = "/api/v1/notifications/preferences", tag = "automation", request_body = NotificationPrefsIo, responses((status = 200, body = NotificationPrefsIo), (status = 401), (status = 403), (status = 422)))]
/// Turns kinds of notification on or off for the caller; kinds not given keep their
/// setting (staff).
pub async fn set_notification_prefs(
    State(state): State<AppState>,
    Auth(auth): Auth,
    body: JsonBody<NotificationPrefsIo>,
) -> ApiResult<Json<NotificationPrefsIo>> {
    Ok(Json(NotificationPrefsIo {
        kinds: state
            .app
            .set_notification_preferences(&auth.actor, body.value.kinds)
            .await?,
    }))
}

/// How many notifications are unread.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnreadOut {
    pub unread: u64,
}

#[utoipa::path(get, path = "/api/v1/notifications/unread", tag = "automation", responses((status = 200, body = UnreadOut), (status = 401), (status = 403)))]
/// How many of the caller's notifications are unread (staff).
pub async fn unread_notifications(
    State(state): State<AppState>,
    Auth(auth): Auth,
) -> ApiResult<Json<UnreadOut>> {
    auth.actor
        .require_staff()
        .map_err(triage_app::AppError::from)?;
    Ok(Json(UnreadOut {
        unread: state.app.unread_notifications(&auth.actor).await?,
    }))
}

// ---- availability ----

/// Whether an agent takes tickets from automatic assignment, and their capacity.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AvailabilityIo {
    pub available: bool,
    /// The most open tickets they hold; null for no cap.
    pub capacity: Option<i32>,
}

#[utoipa::path(get, path = "/api/v1/users/{id}/availability", tag = "automation", params(("id" = i64, Path, description = "User id")), responses((status = 200, body = AvailabilityIo), (status = 401), (status = 403), (status = 404)))]
/// An agent's availability (their own, or anyone's for admins).
pub async fn get_availability(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Path(id): Path<i64>,
) -> ApiResult<Json<AvailabilityIo>> {
    let a = state.app.availability(&auth.actor, id).await?;
    Ok(Json(AvailabilityIo {
        available: a.available,
        capacity: a.capacity,
    }))
}

#[utoipa::path(put, path = "/api/v1/users/{id}/availability", tag = "automation", params(("id" = i64, Path, description = "User id")), request_body = AvailabilityIo, responses((status = 200, body = AvailabilityIo), (status = 401), (status = 403), (status = 404), (status = 422)))]
/// Sets an agent's availability and capacity (their own, or anyone's for admins).
pub async fn set_availability(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Path(id): Path<i64>,
    body: JsonBody<AvailabilityIo>,
) -> ApiResult<Json<AvailabilityIo>> {
    let a = state
        .app
        .set_availability(
            &auth.actor,
            id,
            Availability {
                available: body.value.available,
                capacity: body.value.capacity,
            },
        )
        .await?;
    Ok(Json(AvailabilityIo {
        available: a.available,
        capacity: a.capacity,
    }))
}
