//! Form bodies: URL-encoded fields (with repeated names, for checkboxes) and multipart
//! forms with files.

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;
use triage_app::App;
use triage_app::attachments::{StoredFile, Upload};

use crate::Web;
use crate::error::{WebError, WebResult};

/// The fields of a submitted form, in order.
#[derive(Debug, Default, Clone)]
pub(crate) struct FormData {
    fields: Vec<(String, String)>,
    /// Files of a multipart form, as sent.
    pub files: Vec<Upload>,
}

impl FormData {
    /// The first value of a field, trimmed; empty when absent.
    pub fn get(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .unwrap_or("")
    }

    /// The first value of a field exactly as sent (a script, where leading spaces and
    /// blank lines count); empty when absent.
    pub fn raw(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// The first value of a field, if present and not blank.
    pub fn opt(&self, name: &str) -> Option<String> {
        Some(self.get(name))
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    }

    /// Every value of a field.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.fields
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// Whether a checkbox was ticked.
    pub fn flag(&self, name: &str) -> bool {
        matches!(self.get(name), "on" | "true" | "1" | "yes")
    }

    /// A number field; `None` when blank, an error naming the field when not a number.
    pub fn id(&self, name: &str) -> WebResult<Option<i64>> {
        match self.get(name) {
            "" => Ok(None),
            v => v
                .trim_start_matches('#')
                .parse()
                .map(Some)
                .map_err(|_| WebError::BadRequest(format!("{name}: {v:?} is not a number"))),
        }
    }

    /// A number field that must be filled; `missing` says what to give.
    pub fn required_id(&self, name: &str, missing: &str) -> WebResult<i64> {
        self.id(name)?
            .ok_or_else(|| WebError::BadRequest(missing.to_string()))
    }

    /// Every value of a number field.
    pub fn ids(&self, name: &str) -> WebResult<Vec<i64>> {
        self.all(name)
            .iter()
            .map(|v| {
                v.trim_start_matches('#')
                    .parse()
                    .map_err(|_| WebError::BadRequest(format!("{name}: {v:?} is not a number")))
            })
            .collect()
    }

    /// The CSRF token the form carries.
    pub fn csrf(&self) -> &str {
        self.get("_csrf")
    }

    /// Stores the uploaded files; empty file inputs are skipped.
    pub async fn store_files(&mut self, app: &App) -> WebResult<Vec<StoredFile>> {
        let mut stored = Vec::with_capacity(self.files.len());
        for upload in std::mem::take(&mut self.files) {
            if upload.bytes.is_empty() && upload.filename.is_empty() {
                continue;
            }
            stored.push(app.store_upload(upload).await?);
        }
        Ok(stored)
    }
}

#[cfg(test)]
impl FormData {
    /// A form with these fields, as a browser would send them.
    pub fn from_pairs(pairs: &[(&str, &str)]) -> FormData {
        FormData {
            fields: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            files: Vec::new(),
        }
    }
}

impl FromRequest<Web> for FormData {
    type Rejection = WebError;

    async fn from_request(request: Request, web: &Web) -> Result<Self, Self::Rejection> {
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        if content_type.starts_with("multipart/form-data") {
            let mut multipart = Multipart::from_request(request, web)
                .await
                .map_err(|e| WebError::BadRequest(format!("bad form: {}", e.body_text())))?;
            let mut form = FormData::default();
            loop {
                let field = match multipart.next_field().await {
                    Ok(Some(f)) => f,
                    Ok(None) => break,
                    Err(e) => {
                        return Err(WebError::BadRequest(format!(
                            "the form could not be read (too large?): {}",
                            e.body_text()
                        )));
                    }
                };
                let name = field.name().unwrap_or("").to_string();
                match field.file_name().map(str::to_string) {
                    Some(filename) => {
                        let bytes = field.bytes().await.map_err(|e| {
                            WebError::BadRequest(format!(
                                "the file {filename} could not be read: {}",
                                e.body_text()
                            ))
                        })?;
                        if !(filename.is_empty() && bytes.is_empty()) {
                            form.files.push(Upload {
                                filename,
                                bytes: bytes.to_vec(),
                            });
                        }
                    }
                    None => {
                        let text = field.text().await.map_err(|e| {
                            WebError::BadRequest(format!("bad form field: {}", e.body_text()))
                        })?;
                        form.fields.push((name, text));
                    }
                }
            }
            return Ok(form);
        }
        let bytes = Bytes::from_request(request, web)
            .await
            .map_err(|e| WebError::BadRequest(format!("bad form: {}", e.body_text())))?;
        Ok(FormData {
            fields: form_urlencoded::parse(&bytes).into_owned().collect(),
            files: Vec::new(),
        })
    }
}
