//! Plugins: install and upgrade from a package, grants, settings, enable and disable,
//! rollback, uninstall, the plugin's log, call log and quarantine; and the inbound routes
//! of channel plugins.

use std::collections::BTreeMap;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use triage_app::plugins::{
    AdminLimits, Grants, InboundCall, InboundOutcome, PluginInfo, PluginUpdate,
};
use triage_app::rows::{PluginCallRow, PluginLogRow, QuarantineRow};
use utoipa::{IntoParams, ToSchema};

use super::time;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Auth, JsonBody, Path, Query};
use crate::state::AppState;

/// One setting of a plugin's configuration form.
#[derive(Debug, Serialize, ToSchema)]
pub struct SettingOut {
    pub key: String,
    pub label: String,
    /// `text`, `secret`, `number`, `flag`, `url`, `choice` or `multi`.
    pub kind: String,
    pub required: bool,
    pub help: String,
    pub options: Vec<String>,
    /// The value; never shown for a secret.
    #[schema(value_type = Option<Object>)]
    pub value: Option<Value>,
    /// Whether it has a value (for secrets, whose value is never shown).
    pub set: bool,
}

/// An installed plugin.
#[derive(Debug, Serialize, ToSchema)]
pub struct PluginOut {
    pub id: String,
    pub name: String,
    pub version: String,
    pub contract: String,
    pub description: String,
    pub author: String,
    /// `channel`, `statuses`, `integration`.
    pub provides: Vec<String>,
    /// Events its integration is called for.
    pub events: Vec<String>,
    pub enabled: bool,
    /// Whether this server process runs it now.
    pub running: bool,
    /// What it asks for: `http`, `kv`, `secrets`, `tickets`, `mail`.
    #[schema(value_type = Object)]
    pub asks: Value,
    /// What an admin granted, in the same shape plus `private_network`.
    #[schema(value_type = Object)]
    pub grants: Value,
    /// The limits it runs under: `memory_mb`, `timeout_ms`, `concurrency` …
    #[schema(value_type = Object)]
    pub limits: Value,
    pub settings: Vec<SettingOut>,
    /// SHA-256 of the package running.
    pub sha256: String,
    /// The version a rollback returns to.
    pub previous_version: Option<String>,
    /// Failed calls in a row.
    pub failures: i32,
    /// Why it was disabled, if the server disabled it.
    pub disabled_reason: Option<String>,
    pub last_error: Option<String>,
    pub kv_keys: u64,
    pub kv_bytes: u64,
    pub installed_at: String,
    pub updated_at: String,
}

impl From<PluginInfo> for PluginOut {
    fn from(p: PluginInfo) -> Self {
        let m = &p.manifest;
        let settings = m
            .config
            .iter()
            .map(|f| {
                let secret = f.kind == triage_app::plugins::FieldKind::Secret;
                let value = if secret {
                    None
                } else {
                    p.settings.get(&f.key).cloned()
                };
                SettingOut {
                    set: if secret {
                        p.secrets_set.contains(&f.key)
                    } else {
                        value.is_some()
                    },
                    key: f.key.clone(),
                    label: f.label.clone(),
                    kind: f.kind.as_str().to_string(),
                    required: f.required,
                    help: f.help.clone(),
                    options: f.options.clone(),
                    value,
                }
            })
            .collect();
        PluginOut {
            id: m.id.clone(),
            name: m.name.clone(),
            version: m.version.clone(),
            contract: m.contract.clone(),
            description: m.description.clone(),
            author: m.author.clone(),
            provides: m.provides.iter().map(|r| r.as_str().to_string()).collect(),
            events: m.events.clone(),
            enabled: p.row.enabled,
            running: p.running,
            asks: serde_json::to_value(&m.capabilities).unwrap_or_default(),
            grants: serde_json::to_value(&p.grants).unwrap_or_default(),
            limits: serde_json::to_value(p.limits).unwrap_or_default(),
            settings,
            sha256: p.row.sha256.clone(),
            previous_version: p.previous_version.clone(),
            failures: p.row.failures,
            disabled_reason: p.row.disabled_reason.clone(),
            last_error: p.row.last_error.clone(),
            kv_keys: p.kv_keys,
            kv_bytes: p.kv_bytes,
            installed_at: time(p.row.installed_at),
            updated_at: time(p.row.updated_at),
        }
    }
}

/// Changes to a plugin; fields left out keep their value.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PluginIn {
    pub enabled: Option<bool>,
    /// `http` (origins), `private_network`, `kv` (bytes), `secrets`, `tickets`, `mail`;
    /// never more than the plugin asks for.
    #[schema(value_type = Option<Object>)]
    pub grants: Option<Grants>,
    /// Values by key; `null` clears one.
    #[schema(value_type = Option<Object>)]
    pub settings: Option<BTreeMap<String, Value>>,
    /// Secret values by key; `null` clears one. They are never shown back.
    #[schema(value_type = Option<Object>)]
    pub secrets: Option<BTreeMap<String, Option<String>>>,
    /// `memory_mb`, `timeout_ms`: only lower than what the plugin asks for.
    #[schema(value_type = Option<Object>)]
    pub limits: Option<AdminLimits>,
}

#[utoipa::path(get, path = "/api/v1/plugins", tag = "plugins", responses((status = 200, body = [PluginOut]), (status = 401), (status = 403)))]
/// Every installed plugin (admins).
pub async fn list_plugins(
    State(state): State<AppState>,
    Auth(auth): Auth,
) -> ApiResult<Json<Vec<PluginOut>>> {
    let list = state.app.list_plugins(&auth.actor).await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

#[utoipa::path(post, path = "/api/v1/plugins", tag = "plugins", request_body(content = Vec<u8>, content_type = "application/x-tar", description = "A plugin package: plugin.toml and plugin.wasm in one tar file"), responses((status = 201, body = PluginOut, description = "Installed, disabled, nothing granted"), (status = 200, body = PluginOut, description = "An upgrade of an installed plugin"), (status = 401), (status = 403), (status = 409), (status = 422)))]
/// Installs a plugin package, or upgrades the installed plugin with its id (admins).
pub async fn install_plugin(
    State(state): State<AppState>,
    Auth(auth): Auth,
    request: Request,
) -> ApiResult<(StatusCode, Json<PluginOut>)> {
    let bytes = Bytes::from_request(request, &())
        .await
        .map_err(crate::extract::body_rejection)?;
    let (info, upgraded) = state.app.install_plugin(&auth.actor, &bytes).await?;
    let status = if upgraded {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(info.into())))
}

#[utoipa::path(get, path = "/api/v1/plugins/{id}", tag = "plugins", params(("id" = String, Path, description = "Plugin id")), responses((status = 200, body = PluginOut), (status = 401), (status = 403), (status = 404)))]
/// One installed plugin (admins).
pub async fn get_plugin(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<PluginOut>> {
    Ok(Json(state.app.plugin_info(&auth.actor, &id).await?.into()))
}

#[utoipa::path(patch, path = "/api/v1/plugins/{id}", tag = "plugins", params(("id" = String, Path, description = "Plugin id")), request_body = PluginIn, responses((status = 200, body = PluginOut), (status = 401), (status = 403), (status = 404), (status = 422)))]
/// Grants capabilities, configures, lowers limits, enables or disables a plugin
/// (admins). Enabling checks the settings with the plugin; a refusal changes nothing.
pub async fn update_plugin(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Path(id): Path<String>,
    body: JsonBody<PluginIn>,
) -> ApiResult<Json<PluginOut>> {
    let b = body.value;
    let update = PluginUpdate {
        enabled: b.enabled,
        grants: b.grants,
        settings: b.settings,
        secrets: b.secrets,
        limits: b.limits,
    };
    Ok(Json(
        state
            .app
            .update_plugin(&auth.actor, &id, update)
            .await?
            .into(),
    ))
}

/// Whether uninstalling also removes the plugin's stored data.
#[derive(Debug, Deserialize, IntoParams)]
pub struct UninstallQuery {
    /// Remove its key-value data too.
    pub purge: Option<bool>,
}

#[utoipa::path(delete, path = "/api/v1/plugins/{id}", tag = "plugins", params(("id" = String, Path, description = "Plugin id"), UninstallQuery), responses((status = 204), (status = 401), (status = 403), (status = 404)))]
/// Uninstalls a plugin (admins); its channel routes disappear at once.
pub async fn uninstall_plugin(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Path(id): Path<String>,
    Query(q): Query<UninstallQuery>,
) -> ApiResult<StatusCode> {
    state
        .app
        .uninstall_plugin(&auth.actor, &id, q.purge.unwrap_or(false))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/plugins/{id}/rollback", tag = "plugins", params(("id" = String, Path, description = "Plugin id")), responses((status = 200, body = PluginOut), (status = 401), (status = 403), (status = 404), (status = 409)))]
/// Returns a plugin to the version before its last upgrade (admins).
pub async fn rollback_plugin(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<PluginOut>> {
    Ok(Json(
        state.app.rollback_plugin(&auth.actor, &id).await?.into(),
    ))
}

/// How many entries to list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct LimitQuery {
    /// 1 to 1,000, default 100.
    pub limit: Option<u64>,
}

/// A line of a plugin's log.
#[derive(Debug, Serialize, ToSchema)]
pub struct LogOut {
    pub id: i64,
    pub level: String,
    pub message: String,
    pub created_at: String,
}

impl From<PluginLogRow> for LogOut {
    fn from(r: PluginLogRow) -> Self {
        LogOut {
            id: r.id,
            level: r.level,
            message: r.message,
            created_at: time(r.created_at),
        }
    }
}

#[utoipa::path(get, path = "/api/v1/plugins/{id}/log", tag = "plugins", params(("id" = String, Path, description = "Plugin id"), LimitQuery), responses((status = 200, body = [LogOut]), (status = 401), (status = 403)))]
/// What the plugin wrote to its log and what the server noted about it, newest first
/// (admins).
pub async fn plugin_log(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Path(id): Path<String>,
    Query(q): Query<LimitQuery>,
) -> ApiResult<Json<Vec<LogOut>>> {
    let rows = state
        .app
        .plugin_log(&auth.actor, &id, q.limit.unwrap_or(100))
        .await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

/// One hook call.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallOut {
    pub id: i64,
    /// `on-event`, `deliver`, `receive`.
    pub hook: String,
    pub event_id: Option<i64>,
    pub ticket_id: Option<i64>,
    pub ok: bool,
    pub error: Option<String>,
    pub duration_us: i64,
    pub created_at: String,
}

impl From<PluginCallRow> for CallOut {
    fn from(r: PluginCallRow) -> Self {
        CallOut {
            id: r.id,
            hook: r.hook,
            event_id: r.event_id,
            ticket_id: r.ticket_id,
            ok: r.ok,
            error: r.error,
            duration_us: r.duration_us,
            created_at: time(r.created_at),
        }
    }
}

#[utoipa::path(get, path = "/api/v1/plugins/{id}/calls", tag = "plugins", params(("id" = String, Path, description = "Plugin id"), LimitQuery), responses((status = 200, body = [CallOut]), (status = 401), (status = 403)))]
/// The plugin's hook calls, newest first (admins).
pub async fn plugin_calls(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Path(id): Path<String>,
    Query(q): Query<LimitQuery>,
) -> ApiResult<Json<Vec<CallOut>>> {
    let rows = state
        .app
        .plugin_calls(&auth.actor, &id, q.limit.unwrap_or(100))
        .await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

/// An inbound request a channel plugin refused, kept whole.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuarantineOut {
    pub id: i64,
    pub method: String,
    pub path: String,
    #[schema(value_type = Object)]
    pub headers: Value,
    /// The body, as text where it is UTF-8.
    pub body: String,
    pub error: String,
    pub created_at: String,
}

impl From<QuarantineRow> for QuarantineOut {
    fn from(r: QuarantineRow) -> Self {
        QuarantineOut {
            id: r.id,
            method: r.method,
            path: r.path,
            headers: r.headers,
            body: String::from_utf8_lossy(&r.body).into_owned(),
            error: r.error,
            created_at: time(r.created_at),
        }
    }
}

#[utoipa::path(get, path = "/api/v1/plugins/{id}/quarantine", tag = "plugins", params(("id" = String, Path, description = "Plugin id"), LimitQuery), responses((status = 200, body = [QuarantineOut]), (status = 401), (status = 403)))]
/// Inbound requests the channel plugin refused or failed on, newest first (admins).
pub async fn plugin_quarantine(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Path(id): Path<String>,
    Query(q): Query<LimitQuery>,
) -> ApiResult<Json<Vec<QuarantineOut>>> {
    let rows = state
        .app
        .plugin_quarantine(&auth.actor, &id, q.limit.unwrap_or(100))
        .await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

/// `/api/v1/channels/{plugin}` and everything under it, any method: handed to the
/// channel plugin, which verifies the caller itself (a signature, a token).
pub async fn channel(State(state): State<AppState>, request: Request) -> Response {
    match channel_call(state, request).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn channel_call(state: AppState, request: Request) -> ApiResult<Response> {
    let uri = request.uri().clone();
    let rest = uri
        .path()
        .strip_prefix("/api/v1/channels/")
        .unwrap_or_default();
    let (plugin, path) = match rest.split_once('/') {
        Some((p, r)) => (p.to_string(), format!("/{r}")),
        None => (rest.to_string(), "/".to_string()),
    };
    let method = request.method().to_string();
    let headers = request
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = Bytes::from_request(request, &())
        .await
        .map_err(crate::extract::body_rejection)?;
    let call = InboundCall {
        method,
        path,
        query: uri.query().unwrap_or_default().to_string(),
        headers,
        body: body.to_vec(),
    };
    match state.app.channel_inbound(&plugin, call).await? {
        InboundOutcome::Done {
            reply: Some(reply), ..
        } => {
            let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK);
            let mut response = Response::new(Body::from(reply.body));
            *response.status_mut() = status;
            for (k, v) in reply.headers {
                if let (Ok(k), Ok(v)) = (
                    HeaderName::from_bytes(k.as_bytes()),
                    HeaderValue::from_str(&v),
                ) {
                    response.headers_mut().append(k, v);
                }
            }
            Ok(response)
        }
        InboundOutcome::Done { tickets, .. } => {
            Ok((StatusCode::ACCEPTED, Json(json!({"tickets": tickets}))).into_response())
        }
        InboundOutcome::Refused {
            message,
            quarantine_id,
        } => Ok(ApiError::new(
            StatusCode::BAD_REQUEST,
            "refused_by_channel",
            format!("{message} (kept as quarantined request {quarantine_id})"),
        )
        .into_response()),
        InboundOutcome::Failed {
            message,
            quarantine_id,
        } => Ok(ApiError::new(
            StatusCode::BAD_GATEWAY,
            "channel_failed",
            format!("{message} (kept as quarantined request {quarantine_id})"),
        )
        .into_response()),
    }
}
