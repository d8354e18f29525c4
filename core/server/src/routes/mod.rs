//! The HTTP routes of `/api/v1`, one module per resource.

pub mod auth;
pub mod csat;
pub mod directory;
pub mod messages;
pub mod plugins;
pub mod rules;
pub mod search;
pub mod sla;
pub mod system;
pub mod tickets;
pub mod users;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};

use crate::error::ApiError;

/// Epoch milliseconds as RFC 3339.
pub fn time(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Optional epoch milliseconds as RFC 3339.
pub fn opt_time(ms: Option<i64>) -> Option<String> {
    ms.map(time)
}

/// Reads an RFC 3339 time or a `YYYY-MM-DD` date (midnight UTC) as epoch milliseconds.
pub fn parse_time(field: &str, value: &str) -> Result<i64, ApiError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Ok(t.timestamp_millis());
    }
    if let Ok(d) = NaiveDate::parse_from_str(value, "%Y-%m-%d")
        && let Some(t) = d.and_hms_opt(0, 0, 0)
    {
        return Ok(t.and_utc().timestamp_millis());
    }
    Err(ApiError::validation(
        field,
        format!("{field}: {value:?} is not a time; use 2025-01-31 or 2025-01-31T12:00:00Z"),
    ))
}

/// Splits a comma-separated query value.
pub fn list(value: &Option<String>) -> Vec<String> {
    value
        .as_deref()
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Deserializes a field that may be absent (`None`), `null` (`Some(None)`) or a value.
pub fn double_option<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    use serde::Deserialize;
    Option::<T>::deserialize(deserializer).map(Some)
}
