//! NUL characters refused at the edge. PostgreSQL cannot store U+0000 in text while
//! SQLite can, so the same input would be kept on one database and fail on the other;
//! instead every request is held to one rule on both: a NUL anywhere in the path, the
//! query string or a JSON body is a 422 naming the field that holds it.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::error::ApiError;

fn refused(field: &str) -> ApiError {
    ApiError::validation(
        field,
        format!("{field}: contains a NUL character (U+0000), which cannot be stored"),
    )
}

/// The JSON path (`metadata.source`, `files[2].text`) of the first string or key holding a
/// NUL.
fn path_of_nul(value: &Value, at: &str) -> Option<String> {
    let join = |key: &str| {
        if at.is_empty() {
            key.to_string()
        } else {
            format!("{at}.{key}")
        }
    };
    match value {
        Value::String(s) => s.contains('\0').then(|| at.to_string()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| path_of_nul(v, &format!("{at}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            if k.contains('\0') {
                Some(join(&k.replace('\0', "\\u0000")))
            } else {
                path_of_nul(v, &join(k))
            }
        }),
        _ => None,
    }
}

/// Refuses a JSON body holding a NUL, naming where. A NUL can only be written in JSON as
/// the escape `\u0000`, so bodies without one are passed over with a scan of the bytes.
pub fn check_json(bytes: &[u8]) -> Result<(), ApiError> {
    if !bytes.windows(6).any(|w| w == b"\\u0000") {
        return Ok(());
    }
    let Ok(value) = serde_json::from_slice::<Value>(bytes) else {
        return Ok(());
    };
    match path_of_nul(&value, "") {
        Some(path) if path.is_empty() => Err(refused("body")),
        Some(path) => Err(refused(&path)),
        None => Ok(()),
    }
}

/// Middleware: refuses a request whose path or query string carries an encoded NUL
/// (`%00`), naming the query parameter.
pub async fn refuse_in_uri(request: Request, next: Next) -> Response {
    let uri = request.uri();
    if uri.path().contains("%00") {
        return refused("path").into_response();
    }
    if let Some(query) = uri.query()
        && query.contains("%00")
    {
        let name = query
            .split('&')
            .find(|pair| pair.contains("%00"))
            .map(|pair| pair.split('=').next().unwrap_or_default())
            .unwrap_or_default();
        let name = if name.is_empty() || name.contains("%00") {
            "query"
        } else {
            name
        };
        return refused(name).into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(body: &str) -> Option<Value> {
        check_json(body.as_bytes())
            .err()
            .and_then(|e| e.extra)
            .map(|x| x["field"].clone())
    }

    #[test]
    fn the_field_holding_a_nul_is_named() {
        assert_eq!(field(r#"{"body": "a\u0000b"}"#), Some("body".into()));
        assert_eq!(
            field(r#"{"metadata": {"source": {"x": ["ok", "\u0000"]}}}"#),
            Some("metadata.source.x[1]".into())
        );
        assert_eq!(
            field(r#"{"metadata": {"k\u0000": 1}}"#),
            Some(r"metadata.k\u0000".into())
        );
        assert_eq!(field(r#""\u0000""#), Some("body".into()));
    }

    #[test]
    fn an_escaped_backslash_before_u0000_is_not_a_nul() {
        assert_eq!(field(r#"{"body": "C:\\u0000"}"#), None);
        assert_eq!(field(r#"{"body": "plain"}"#), None);
    }
}
