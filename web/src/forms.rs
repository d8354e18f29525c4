//! Form bodies: URL-encoded fields (with repeated names, for checkboxes) and multipart
//! forms with files.

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;
use triage_app::App;
use triage_app::attachments::{IncomingFile, StoredFile};
use triage_app::plugins::MAX_PACKAGE_BYTES;

use crate::Web;
use crate::error::{WebError, WebResult};

/// The fields of a submitted form, in order.
#[derive(Debug, Default)]
pub(crate) struct FormData {
    fields: Vec<(String, String)>,
    /// Files of a multipart form, received into temporary files.
    pub files: Vec<IncomingFile>,
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

    /// Stores the uploaded files (empty file inputs were skipped).
    pub async fn store_files(&mut self, app: &App) -> WebResult<Vec<StoredFile>> {
        let mut stored = Vec::with_capacity(self.files.len());
        for incoming in std::mem::take(&mut self.files) {
            stored.push(app.keep_upload(incoming).await?);
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
                        // To disk as it arrives; the page keeps it as an attachment or
                        // reads it back (a plugin package), and a file not kept is deleted.
                        let max = web
                            .app
                            .config()
                            .max_attachment_bytes
                            .max(MAX_PACKAGE_BYTES as u64);
                        let mut incoming = web.app.receive_upload(&filename, max).await?;
                        let mut field = field;
                        loop {
                            let chunk = field.chunk().await.map_err(|e| {
                                WebError::BadRequest(format!(
                                    "the file {filename} could not be read: {}",
                                    e.body_text()
                                ))
                            })?;
                            let Some(chunk) = chunk else { break };
                            incoming.write(&chunk).await?;
                        }
                        if !(filename.is_empty() && incoming.size() == 0) {
                            form.files.push(incoming);
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
            return form.without_nul();
        }
        let bytes = Bytes::from_request(request, web)
            .await
            .map_err(|e| WebError::BadRequest(format!("bad form: {}", e.body_text())))?;
        FormData {
            fields: form_urlencoded::parse(&bytes).into_owned().collect(),
            files: Vec::new(),
        }
        .without_nul()
    }
}

impl FormData {
    /// Refuses a form with a NUL character (U+0000) in a field, naming the field:
    /// PostgreSQL cannot store one, and both databases keep to one rule. (File names lose
    /// their control characters when stored.)
    fn without_nul(self) -> WebResult<FormData> {
        let nul = |(k, v): &&(String, String)| k.contains('\0') || v.contains('\0');
        if let Some((name, _)) = self.fields.iter().find(nul) {
            return Err(WebError::BadRequest(format!(
                "{}: contains a NUL character (U+0000), which cannot be stored",
                name.replace('\0', "")
            )));
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nul_in_a_field_refuses_the_form_naming_the_field() {
        let ok = FormData::from_pairs(&[("subject", "Printer"), ("body", "It jams")]);
        assert!(ok.without_nul().is_ok());
        let bad = FormData::from_pairs(&[("subject", "Printer"), ("body", "It\0jams")]);
        match bad.without_nul() {
            Err(WebError::BadRequest(m)) => assert!(m.starts_with("body: "), "{m}"),
            other => panic!("{other:?}"),
        }
    }
}
