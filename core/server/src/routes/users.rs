//! `/api/v1/users`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use triage_app::directory::{NewUser, UserChanges};
use triage_app::rows::UserRow;
use utoipa::{IntoParams, ToSchema};

use super::{double_option, time};
use crate::error::ApiResult;
use crate::extract::{Auth, JsonBody, Path, Query};
use crate::state::AppState;

/// A user.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserOut {
    pub id: i64,
    pub email: String,
    pub name: String,
    /// admin, agent or customer.
    pub role: String,
    pub organization_id: Option<i64>,
    pub active: bool,
    pub created_at: String,
}

impl From<UserRow> for UserOut {
    fn from(u: UserRow) -> Self {
        UserOut {
            id: u.id,
            email: u.email,
            name: u.name,
            role: u.role,
            organization_id: u.organization_id,
            active: u.active,
            created_at: time(u.created_at),
        }
    }
}

/// A user to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    pub email: String,
    pub name: String,
    pub role: String,
    pub password: Option<String>,
    pub organization_id: Option<i64>,
}

/// Changes to a user.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    pub email: Option<String>,
    pub name: Option<String>,
    pub role: Option<String>,
    pub password: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub organization_id: Option<Option<i64>>,
    pub active: Option<bool>,
}

/// Which users to list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UserListParams {
    pub role: Option<String>,
    /// Users with a larger id than this.
    pub after: Option<i64>,
    /// 1 to 500, default 100.
    pub limit: Option<u64>,
}

#[utoipa::path(get, path = "/api/v1/users", tag = "people", params(UserListParams), responses((status = 200, body = [UserOut]), (status = 401), (status = 403)))]
/// Lists users (staff).
pub async fn list_users(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Query(p): Query<UserListParams>,
) -> ApiResult<Json<Vec<UserOut>>> {
    let limit = p.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(crate::error::ApiError::validation(
            "limit",
            "limit: must be between 1 and 500",
        ));
    }
    let users = state
        .app
        .list_users(&auth.actor, p.role.as_deref(), p.after.unwrap_or(0), limit)
        .await?;
    Ok(Json(users.into_iter().map(UserOut::from).collect()))
}

#[utoipa::path(post, path = "/api/v1/users", tag = "people", request_body = CreateUser, responses((status = 201, body = UserOut), (status = 401), (status = 403), (status = 409), (status = 422)))]
/// Creates a user (admins; agents may create customers, without a password and outside
/// organizations that share their tickets).
pub async fn create_user(
    State(state): State<AppState>,
    Auth(auth): Auth,
    body: JsonBody<CreateUser>,
) -> ApiResult<(StatusCode, Json<UserOut>)> {
    let b = body.value;
    let user = state
        .app
        .create_user(
            &auth.actor,
            NewUser {
                email: b.email,
                name: b.name,
                role: b.role,
                password: b.password,
                organization_id: b.organization_id,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "people", params(("id" = i64, Path, description = "User id")), responses((status = 200, body = UserOut), (status = 401), (status = 403), (status = 404)))]
/// One user (staff, or oneself).
pub async fn get_user(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Path(id): Path<i64>,
) -> ApiResult<Json<UserOut>> {
    Ok(Json(state.app.get_user(&auth.actor, id).await?.into()))
}

#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "people", params(("id" = i64, Path, description = "User id")), request_body = UpdateUser,
    responses((status = 200, body = UserOut), (status = 401), (status = 403), (status = 404), (status = 409), (status = 422)))]
/// Changes a user (admins; anyone their own name and password).
pub async fn update_user(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Path(id): Path<i64>,
    body: JsonBody<UpdateUser>,
) -> ApiResult<Json<UserOut>> {
    let b = body.value;
    let changes = UserChanges {
        name: b.name,
        email: b.email,
        role: b.role,
        password: b.password,
        organization_id: b.organization_id,
        active: b.active,
    };
    Ok(Json(
        state
            .app
            .update_user(&auth.actor, id, changes)
            .await?
            .into(),
    ))
}
