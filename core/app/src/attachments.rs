//! Attachment files: stored once per content under the data directory, named by their
//! SHA-256, with a content type sniffed from the bytes rather than taken from the client.

use std::path::PathBuf;

use sha2::{Digest, Sha256};
use triage_domain::Actor;
use triage_store::AttachmentRow;

use crate::tickets::load_visible;
use crate::{App, AppError, AppResult};

/// A file received from a client, before it is stored.
#[derive(Debug, Clone)]
pub struct Upload {
    /// The name the client gave it.
    pub filename: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// A file stored under the data directory, ready to attach.
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
}

/// Cleans a client file name: no path, no control characters, at most 255 bytes.
fn clean_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base.chars().filter(|c| !c.is_control()).collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_string();
    let mut out = if cleaned.is_empty() {
        "attachment".to_string()
    } else {
        cleaned
    };
    while out.len() > 255 {
        out.pop();
    }
    out
}

/// The content type of `bytes`, from their magic numbers; UTF-8 text is `text/plain`.
pub fn sniff_content_type(bytes: &[u8]) -> String {
    if let Some(kind) = infer::get(bytes) {
        return kind.mime_type().to_string();
    }
    if std::str::from_utf8(bytes).is_ok() {
        "text/plain; charset=utf-8".to_string()
    } else {
        "application/octet-stream".to_string()
    }
}

impl App {
    fn attachment_path(&self, sha256: &str) -> PathBuf {
        self.config
            .data_dir
            .join("attachments")
            .join(&sha256[..2])
            .join(&sha256[2..4])
            .join(sha256)
    }

    /// Stores an uploaded file (once per content) and returns what to attach.
    pub async fn store_upload(&self, upload: Upload) -> AppResult<StoredFile> {
        let max = self.config.max_attachment_bytes;
        if upload.bytes.len() as u64 > max {
            return Err(AppError::TooLarge(format!(
                "{} is {} bytes; attachments may be at most {max} bytes",
                clean_filename(&upload.filename),
                upload.bytes.len()
            )));
        }
        let sha256 = hex::encode(Sha256::digest(&upload.bytes));
        let path = self.attachment_path(&sha256);
        let content_type = sniff_content_type(&upload.bytes);
        let size = upload.bytes.len() as i64;
        if tokio::fs::metadata(&path).await.is_err() {
            let dir = path
                .parent()
                .ok_or_else(|| AppError::Internal("attachment path has no parent".into()))?
                .to_path_buf();
            tokio::fs::create_dir_all(&dir)
                .await
                .map_err(|e| AppError::Internal(format!("cannot create {}: {e}", dir.display())))?;
            let tmp = dir.join(format!("{sha256}.{}.tmp", crate::auth::random_secret()));
            tokio::fs::write(&tmp, &upload.bytes)
                .await
                .map_err(|e| AppError::Internal(format!("cannot write {}: {e}", tmp.display())))?;
            let file = tokio::fs::File::open(&tmp)
                .await
                .map_err(|e| AppError::Internal(format!("cannot reopen {}: {e}", tmp.display())))?;
            file.sync_all()
                .await
                .map_err(|e| AppError::Internal(format!("cannot sync {}: {e}", tmp.display())))?;
            tokio::fs::rename(&tmp, &path)
                .await
                .map_err(|e| AppError::Internal(format!("cannot store {}: {e}", path.display())))?;
        }
        Ok(StoredFile {
            filename: clean_filename(&upload.filename),
            content_type,
            size,
            sha256,
        })
    }

    /// An attachment the actor may download, with the path of its content. Customers
    /// cannot download attachments of internal notes.
    pub async fn attachment(&self, actor: &Actor, id: i64) -> AppResult<(AttachmentRow, PathBuf)> {
        let repos = self.store.read();
        let not_found = || AppError::NotFound(format!("attachment {id}"));
        let row = repos.attachment(id).await?.ok_or_else(not_found)?;
        load_visible(&repos, actor, row.ticket_id)
            .await
            .map_err(|_| not_found())?;
        if !actor.is_staff() {
            let public = match row.message_id {
                Some(m) => repos
                    .ticket_messages(row.ticket_id, false, m - 1, 1)
                    .await?
                    .iter()
                    .any(|msg| msg.id == m),
                None => false,
            };
            if !public {
                return Err(not_found());
            }
        }
        let path = self.attachment_path(&row.sha256);
        Ok((row, path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_lose_paths_and_control_characters() {
        assert_eq!(clean_filename("../../etc/passwd"), "passwd");
        assert_eq!(clean_filename("C:\\Users\\a\\report.pdf"), "report.pdf");
        assert_eq!(clean_filename("in\u{0}voice\n.pdf"), "invoice.pdf");
        assert_eq!(clean_filename(".."), "attachment");
        assert_eq!(clean_filename("квитанция.png"), "квитанция.png");
    }

    #[test]
    fn content_types_come_from_the_bytes() {
        assert_eq!(
            sniff_content_type(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            "image/png"
        );
        assert_eq!(sniff_content_type(b"%PDF-1.7\n"), "application/pdf");
        assert_eq!(
            sniff_content_type("hello åäö".as_bytes()),
            "text/plain; charset=utf-8"
        );
        assert_eq!(
            sniff_content_type(&[0xff, 0xfe, 0x00, 0x81]),
            "application/octet-stream"
        );
    }
}
