//! Health, readiness and metrics.

use axum::extract::State;
use axum::http::{StatusCode, header};
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
