//! Organizations, groups, statuses, custom fields and macros.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use triage_app::directory::{
    CustomFieldInput, GroupInput, MacroActions, MacroInput, OrganizationInput, StatusInput,
};
use triage_app::rows::{CustomFieldRow, GroupRow, MacroRow, OrganizationRow, StatusRow};
use utoipa::ToSchema;

use super::time;
use crate::error::ApiResult;
use crate::extract::{Auth, JsonBody, Path};
use crate::state::AppState;

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

// ---- organizations ----

/// An organization of customers.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationOut {
    pub id: i64,
    pub name: String,
    /// New customers with these email domains join it.
    pub domains: Vec<String>,
    /// Whether members see each other's tickets.
    pub shared_tickets: bool,
    pub created_at: String,
}

impl From<OrganizationRow> for OrganizationOut {
    fn from(o: OrganizationRow) -> Self {
        OrganizationOut {
            id: o.id,
            domains: strings(&o.domains),
            name: o.name,
            shared_tickets: o.shared_tickets,
            created_at: time(o.created_at),
        }
    }
}

/// An organization to create, or changes to one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationIn {
    pub name: Option<String>,
    pub domains: Option<Vec<String>>,
    pub shared_tickets: Option<bool>,
}

impl From<OrganizationIn> for OrganizationInput {
    fn from(o: OrganizationIn) -> Self {
        OrganizationInput {
            name: o.name,
            domains: o.domains,
            shared_tickets: o.shared_tickets,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/organizations", tag = "people", responses((status = 200, body = [OrganizationOut]), (status = 401), (status = 403)))]
/// Every organization (staff).
pub async fn list_organizations(
    State(state): State<AppState>,
    Auth(auth): Auth,
) -> ApiResult<Json<Vec<OrganizationOut>>> {
    Ok(Json(
        state
            .app
            .list_organizations(&auth.actor)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

#[utoipa::path(post, path = "/api/v1/organizations", tag = "people", request_body = OrganizationIn, responses((status = 201, body = OrganizationOut), (status = 401), (status = 403), (status = 409), (status = 422)))]
/// Creates an organization (admins).
pub async fn create_organization(
    State(state): State<AppState>,
    Auth(auth): Auth,
    body: JsonBody<OrganizationIn>,
) -> ApiResult<(StatusCode, Json<OrganizationOut>)> {
    Ok((
        StatusCode::CREATED,
        Json(
            state
                .app
                .create_organization(&auth.actor, body.value.into())
                .await?
                .into(),
        ),
    ))
}

#[utoipa::path(get, path = "/api/v1/organizations/{id}", tag = "people", params(("id" = i64, Path, description = "Organization id")), responses((status = 200, body = OrganizationOut), (status = 401), (status = 403), (status = 404)))]
/// One organization (staff, or its members).
pub async fn get_organization(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Path(id): Path<i64>,
) -> ApiResult<Json<OrganizationOut>> {
    Ok(Json(
        state.app.get_organization(&auth.actor, id).await?.into(),
    ))
}

#[utoipa::path(patch, path = "/api/v1/organizations/{id}", tag = "people", params(("id" = i64, Path, description = "Organization id")), request_body = OrganizationIn,
    responses((status = 200, body = OrganizationOut), (status = 401), (status = 403), (status = 404), (status = 409), (status = 422)))]
/// Changes an organization (admins).
pub async fn update_organization(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Path(id): Path<i64>,
    body: JsonBody<OrganizationIn>,
) -> ApiResult<Json<OrganizationOut>> {
    Ok(Json(
        state
            .app
            .update_organization(&auth.actor, id, body.value.into())
            .await?
            .into(),
    ))
}

// ---- groups ----

/// A group (queue or team) of agents.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupOut {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub member_ids: Vec<i64>,
    pub created_at: String,
}

fn group_out((g, members): (GroupRow, Vec<i64>)) -> GroupOut {
    GroupOut {
        id: g.id,
        name: g.name,
        description: g.description,
        member_ids: members,
        created_at: time(g.created_at),
    }
}

/// A group to create, or changes to one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupIn {
    pub name: Option<String>,
    pub description: Option<String>,
    /// Replaces the members.
    pub member_ids: Option<Vec<i64>>,
}

impl From<GroupIn> for GroupInput {
    fn from(g: GroupIn) -> Self {
        GroupInput {
            name: g.name,
            description: g.description,
            member_ids: g.member_ids,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/groups", tag = "people", responses((status = 200, body = [GroupOut]), (status = 401), (status = 403)))]
/// Every group (staff).
pub async fn list_groups(
    State(state): State<AppState>,
    Auth(auth): Auth,
) -> ApiResult<Json<Vec<GroupOut>>> {
    let mut out = Vec::new();
    for g in state.app.list_groups(&auth.actor).await? {
        out.push(group_out(state.app.get_group(&auth.actor, g.id).await?));
    }
    Ok(Json(out))
}

#[utoipa::path(post, path = "/api/v1/groups", tag = "people", request_body = GroupIn, responses((status = 201, body = GroupOut), (status = 401), (status = 403), (status = 409), (status = 422)))]
/// Creates a group (admins).
pub async fn create_group(
    State(state): State<AppState>,
    Auth(auth): Auth,
    body: JsonBody<GroupIn>,
) -> ApiResult<(StatusCode, Json<GroupOut>)> {
    Ok((
        StatusCode::CREATED,
        Json(group_out(
            state
                .app
                .create_group(&auth.actor, body.value.into())
                .await?,
        )),
    ))
}

#[utoipa::path(get, path = "/api/v1/groups/{id}", tag = "people", params(("id" = i64, Path, description = "Group id")), responses((status = 200, body = GroupOut), (status = 401), (status = 403), (status = 404)))]
/// One group with its members (staff).
pub async fn get_group(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Path(id): Path<i64>,
) -> ApiResult<Json<GroupOut>> {
    Ok(Json(group_out(state.app.get_group(&auth.actor, id).await?)))
}

#[utoipa::path(patch, path = "/api/v1/groups/{id}", tag = "people", params(("id" = i64, Path, description = "Group id")), request_body = GroupIn,
    responses((status = 200, body = GroupOut), (status = 401), (status = 403), (status = 404), (status = 409), (status = 422)))]
/// Changes a group or its members (admins).
pub async fn update_group(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Path(id): Path<i64>,
    body: JsonBody<GroupIn>,
) -> ApiResult<Json<GroupOut>> {
    Ok(Json(group_out(
        state
            .app
            .update_group(&auth.actor, id, body.value.into())
            .await?,
    )))
}

// ---- statuses ----

/// A status in one of the fixed categories.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusOut {
    pub id: i64,
    pub name: String,
    pub category: String,
    pub builtin: bool,
    pub position: i32,
    pub active: bool,
}

impl From<StatusRow> for StatusOut {
    fn from(s: StatusRow) -> Self {
        StatusOut {
            id: s.id,
            name: s.name,
            category: s.category,
            builtin: s.builtin,
            position: s.position,
            active: s.active,
        }
    }
}

/// A status to add, or changes to one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusIn {
    pub name: Option<String>,
    /// new, open, pending, on_hold, solved or closed; fixed once created.
    pub category: Option<String>,
    pub position: Option<i32>,
    pub active: Option<bool>,
}

impl From<StatusIn> for StatusInput {
    fn from(s: StatusIn) -> Self {
        StatusInput {
            name: s.name,
            category: s.category,
            position: s.position,
            active: s.active,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/statuses", tag = "configuration", responses((status = 200, body = [StatusOut]), (status = 401)))]
/// Every status.
pub async fn list_statuses(
    State(state): State<AppState>,
    Auth(_auth): Auth,
) -> ApiResult<Json<Vec<StatusOut>>> {
    Ok(Json(
        state
            .app
            .list_statuses()
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

#[utoipa::path(post, path = "/api/v1/statuses", tag = "configuration", request_body = StatusIn, responses((status = 201, body = StatusOut), (status = 401), (status = 403), (status = 409), (status = 422)))]
/// Adds a status (admins).
pub async fn create_status(
    State(state): State<AppState>,
    Auth(auth): Auth,
    body: JsonBody<StatusIn>,
) -> ApiResult<(StatusCode, Json<StatusOut>)> {
    Ok((
        StatusCode::CREATED,
        Json(
            state
                .app
                .create_status(&auth.actor, body.value.into())
                .await?
                .into(),
        ),
    ))
}

#[utoipa::path(patch, path = "/api/v1/statuses/{id}", tag = "configuration", params(("id" = i64, Path, description = "Status id")), request_body = StatusIn,
    responses((status = 200, body = StatusOut), (status = 401), (status = 403), (status = 404), (status = 409), (status = 422)))]
/// Renames, reorders or (de)activates a status (admins).
pub async fn update_status(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Path(id): Path<i64>,
    body: JsonBody<StatusIn>,
) -> ApiResult<Json<StatusOut>> {
    Ok(Json(
        state
            .app
            .update_status(&auth.actor, id, body.value.into())
            .await?
            .into(),
    ))
}

// ---- custom fields ----

/// A custom ticket field.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomFieldOut {
    pub id: i64,
    pub key: String,
    pub label: String,
    /// text, number, date, dropdown or checkbox.
    pub kind: String,
    pub options: Vec<String>,
    pub required: bool,
    pub active: bool,
    pub position: i32,
}

impl From<CustomFieldRow> for CustomFieldOut {
    fn from(f: CustomFieldRow) -> Self {
        CustomFieldOut {
            id: f.id,
            options: strings(&f.options),
            key: f.key,
            label: f.label,
            kind: f.kind,
            required: f.required,
            active: f.active,
            position: f.position,
        }
    }
}

/// A custom field to define, or changes to one (key and kind are fixed once created).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomFieldIn {
    pub key: Option<String>,
    pub label: Option<String>,
    pub kind: Option<String>,
    pub options: Option<Vec<String>>,
    pub required: Option<bool>,
    pub active: Option<bool>,
    pub position: Option<i32>,
}

impl From<CustomFieldIn> for CustomFieldInput {
    fn from(f: CustomFieldIn) -> Self {
        CustomFieldInput {
            key: f.key,
            label: f.label,
            kind: f.kind,
            options: f.options,
            required: f.required,
            active: f.active,
            position: f.position,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/custom-fields", tag = "configuration", responses((status = 200, body = [CustomFieldOut]), (status = 401)))]
/// Every custom field definition.
pub async fn list_custom_fields(
    State(state): State<AppState>,
    Auth(_auth): Auth,
) -> ApiResult<Json<Vec<CustomFieldOut>>> {
    Ok(Json(
        state
            .app
            .list_custom_fields()
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

#[utoipa::path(post, path = "/api/v1/custom-fields", tag = "configuration", request_body = CustomFieldIn, responses((status = 201, body = CustomFieldOut), (status = 401), (status = 403), (status = 409), (status = 422)))]
/// Defines a custom field (admins).
pub async fn create_custom_field(
    State(state): State<AppState>,
    Auth(auth): Auth,
    body: JsonBody<CustomFieldIn>,
) -> ApiResult<(StatusCode, Json<CustomFieldOut>)> {
    Ok((
        StatusCode::CREATED,
        Json(
            state
                .app
                .create_custom_field(&auth.actor, body.value.into())
                .await?
                .into(),
        ),
    ))
}

#[utoipa::path(patch, path = "/api/v1/custom-fields/{id}", tag = "configuration", params(("id" = i64, Path, description = "Field id")), request_body = CustomFieldIn,
    responses((status = 200, body = CustomFieldOut), (status = 401), (status = 403), (status = 404), (status = 422)))]
/// Changes a custom field (admins).
pub async fn update_custom_field(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Path(id): Path<i64>,
    body: JsonBody<CustomFieldIn>,
) -> ApiResult<Json<CustomFieldOut>> {
    Ok(Json(
        state
            .app
            .update_custom_field(&auth.actor, id, body.value.into())
            .await?
            .into(),
    ))
}

// ---- macros ----

/// Field changes a macro applies.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MacroActionsIo {
    pub status: Option<String>,
    pub priority: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub add_tags: Vec<String>,
    #[serde(default)]
    pub remove_tags: Vec<String>,
}

/// A canned response.
#[derive(Debug, Serialize, ToSchema)]
pub struct MacroOut {
    pub id: i64,
    pub name: String,
    /// Text with placeholders such as {{requester.first_name}} and {{ticket.number}}.
    pub body: String,
    /// Sent as a public reply (true) or an internal note.
    pub public: bool,
    pub actions: MacroActionsIo,
    pub active: bool,
    pub updated_at: String,
}

impl From<MacroRow> for MacroOut {
    fn from(m: MacroRow) -> Self {
        let a = MacroActions::from_json(&m.actions);
        MacroOut {
            id: m.id,
            name: m.name,
            body: m.body,
            public: m.public,
            actions: MacroActionsIo {
                status: a.status,
                priority: a.priority,
                kind: a.kind,
                add_tags: a.add_tags,
                remove_tags: a.remove_tags,
            },
            active: m.active,
            updated_at: time(m.updated_at),
        }
    }
}

/// A macro to create, or changes to one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MacroIn {
    pub name: Option<String>,
    pub body: Option<String>,
    pub public: Option<bool>,
    pub actions: Option<MacroActionsIo>,
    pub active: Option<bool>,
}

impl From<MacroIn> for MacroInput {
    fn from(m: MacroIn) -> Self {
        MacroInput {
            name: m.name,
            body: m.body,
            public: m.public,
            actions: m.actions.map(|a| MacroActions {
                status: a.status,
                priority: a.priority,
                kind: a.kind,
                add_tags: a.add_tags,
                remove_tags: a.remove_tags,
            }),
            active: m.active,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/macros", tag = "configuration", responses((status = 200, body = [MacroOut]), (status = 401), (status = 403)))]
/// Every macro (staff).
pub async fn list_macros(
    State(state): State<AppState>,
    Auth(auth): Auth,
) -> ApiResult<Json<Vec<MacroOut>>> {
    Ok(Json(
        state
            .app
            .list_macros(&auth.actor)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

#[utoipa::path(post, path = "/api/v1/macros", tag = "configuration", request_body = MacroIn, responses((status = 201, body = MacroOut), (status = 401), (status = 403), (status = 409), (status = 422)))]
/// Creates a macro (admins).
pub async fn create_macro(
    State(state): State<AppState>,
    Auth(auth): Auth,
    body: JsonBody<MacroIn>,
) -> ApiResult<(StatusCode, Json<MacroOut>)> {
    Ok((
        StatusCode::CREATED,
        Json(
            state
                .app
                .create_macro(&auth.actor, body.value.into())
                .await?
                .into(),
        ),
    ))
}

#[utoipa::path(get, path = "/api/v1/macros/{id}", tag = "configuration", params(("id" = i64, Path, description = "Macro id")), responses((status = 200, body = MacroOut), (status = 401), (status = 403), (status = 404)))]
/// One macro (staff).
pub async fn get_macro(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Path(id): Path<i64>,
) -> ApiResult<Json<MacroOut>> {
    Ok(Json(state.app.get_macro(&auth.actor, id).await?.into()))
}

#[utoipa::path(patch, path = "/api/v1/macros/{id}", tag = "configuration", params(("id" = i64, Path, description = "Macro id")), request_body = MacroIn,
    responses((status = 200, body = MacroOut), (status = 401), (status = 403), (status = 404), (status = 409), (status = 422)))]
/// Changes a macro (admins).
pub async fn update_macro(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Path(id): Path<i64>,
    body: JsonBody<MacroIn>,
) -> ApiResult<Json<MacroOut>> {
    Ok(Json(
        state
            .app
            .update_macro(&auth.actor, id, body.value.into())
            .await?
            .into(),
    ))
}

#[utoipa::path(delete, path = "/api/v1/macros/{id}", tag = "configuration", params(("id" = i64, Path, description = "Macro id")), responses((status = 204), (status = 401), (status = 403), (status = 404)))]
/// Deletes a macro (admins).
pub async fn delete_macro(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    state.app.delete_macro(&auth.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
