//! Health, readiness and metrics.

use axum::extract::State;
use axum::http::{StatusCode, header};
use std::sync::OnceLock;

use axum::Json;
use axum::response::IntoResponse;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

#[utoipa::path(get, path = "/healthz", tag = "system", responses((status = 200, description = "The process is up")))]
/// Answers while the process runs.
pub async fn healthz() -> &'static str {
    "ok"
}

#[utoipa::path(get, path = "/readyz", tag = "system", responses((status = 200, description = "Ready to serve"), (status = 503, description = "The database does not answer")))]
/// Answers 200 when the database answers.
pub async fn readyz(State(state): State<AppState>) -> ApiResult<&'static str> {
    state.app.ready().await.map_err(|_| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the database does not answer",
        )
    })?;
    Ok("ready")
}

#[utoipa::path(get, path = "/metrics", tag = "system", responses((status = 200, description = "Prometheus text format")))]
/// Prometheus metrics: requests by route and status, latency histograms.
pub async fn metrics() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        crate::metrics::render(),
    )
}

static DOCUMENT: OnceLock<serde_json::Value> = OnceLock::new();

#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "system", responses((status = 200, description = "This OpenAPI 3.1 document")))]
/// The OpenAPI document of every route.
pub async fn openapi() -> Json<serde_json::Value> {
    Json(
        DOCUMENT
            .get_or_init(|| serde_json::to_value(crate::openapi()).unwrap_or_default())
            .clone(),
    )
}
