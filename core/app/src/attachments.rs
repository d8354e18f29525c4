//! Attachment files: stored once per content under the data directory, named by their
//! SHA-256, with a content type sniffed from the bytes rather than taken from the client.
//! Uploads are received in chunks into a temporary file, never whole in memory.

use std::path::PathBuf;

use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
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

/// A file being received, in a temporary file that is deleted unless it is kept
/// ([`App::keep_upload`]).
#[derive(Debug)]
pub struct IncomingFile {
    filename: String,
    tmp: PathBuf,
    file: Option<tokio::fs::File>,
    hasher: Sha256,
    size: u64,
    max: u64,
    /// The first bytes, from which the content type is sniffed.
    head: Vec<u8>,
    utf8: Utf8Check,
}

/// How many of a file's first bytes the content type is sniffed from.
const HEAD_BYTES: usize = 256 * 1024;

/// Where files are received before they are kept.
pub(crate) fn incoming_dir(data_dir: &std::path::Path) -> PathBuf {
    data_dir.join("attachments").join("incoming")
}

impl IncomingFile {
    /// Appends the next chunk; refuses a file growing past its limit.
    pub async fn write(&mut self, chunk: &[u8]) -> AppResult<()> {
        self.size += chunk.len() as u64;
        if self.size > self.max {
            return Err(self.too_large(self.max));
        }
        self.hasher.update(chunk);
        self.utf8.feed(chunk);
        if self.head.len() < HEAD_BYTES {
            let take = chunk.len().min(HEAD_BYTES - self.head.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        let Some(file) = self.file.as_mut() else {
            return Err(AppError::Internal("the upload was already kept".into()));
        };
        file.write_all(chunk)
            .await
            .map_err(|e| AppError::Internal(format!("cannot write {}: {e}", self.tmp.display())))
    }

    /// Its bytes, read back (a plugin package is installed from memory).
    pub async fn bytes(&mut self) -> AppResult<Vec<u8>> {
        if let Some(file) = self.file.as_mut() {
            file.flush().await.map_err(|e| {
                AppError::Internal(format!("cannot write {}: {e}", self.tmp.display()))
            })?;
        }
        tokio::fs::read(&self.tmp)
            .await
            .map_err(|e| AppError::Internal(format!("cannot read {}: {e}", self.tmp.display())))
    }

    /// The name the client gave it.
    pub fn filename(&self) -> &str {
        &self.filename
    }

    /// How many bytes came so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    fn too_large(&self, max: u64) -> AppError {
        AppError::TooLarge(format!(
            "{} is over {max} bytes; attachments may be at most {max} bytes",
            clean_filename(&self.filename)
        ))
    }
}

impl Drop for IncomingFile {
    fn drop(&mut self) {
        // Kept files were renamed away; this removes the rest.
        let _ = std::fs::remove_file(&self.tmp);
    }
}

/// Whether bytes arriving in chunks are UTF-8 text, a sequence split between chunks
/// included.
#[derive(Debug, Default)]
struct Utf8Check {
    broken: bool,
    /// The start of a sequence the last chunk ended in.
    carry: Vec<u8>,
}

impl Utf8Check {
    fn feed(&mut self, chunk: &[u8]) {
        if self.broken {
            return;
        }
        let mut joined = std::mem::take(&mut self.carry);
        let bytes = if joined.is_empty() {
            chunk
        } else {
            joined.extend_from_slice(chunk);
            &joined
        };
        match std::str::from_utf8(bytes) {
            Ok(_) => {}
            Err(e) if e.error_len().is_none() => {
                self.carry = bytes[e.valid_up_to()..].to_vec();
            }
            Err(_) => self.broken = true,
        }
    }

    fn is_text(&self) -> bool {
        !self.broken && self.carry.is_empty()
    }
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
    sniff(bytes, std::str::from_utf8(bytes).is_ok())
}

/// The content type from a file's first bytes and whether all of it is UTF-8.
fn sniff(head: &[u8], text: bool) -> String {
    if let Some(kind) = infer::get(head) {
        return kind.mime_type().to_string();
    }
    if text {
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

    /// Starts receiving a file: its chunks go to a temporary file under the data directory
    /// as they arrive (see [`IncomingFile::write`]), so a large upload is never held in
    /// memory. At most `max` bytes are taken; [`App::keep_upload`] checks the attachment
    /// limit.
    pub async fn receive_upload(&self, filename: &str, max: u64) -> AppResult<IncomingFile> {
        let dir = incoming_dir(&self.config.data_dir);
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| AppError::Internal(format!("cannot create {}: {e}", dir.display())))?;
        let tmp = dir.join(format!("{}.tmp", crate::auth::random_secret()));
        let file = tokio::fs::File::create(&tmp)
            .await
            .map_err(|e| AppError::Internal(format!("cannot create {}: {e}", tmp.display())))?;
        Ok(IncomingFile {
            filename: filename.to_string(),
            tmp,
            file: Some(file),
            hasher: Sha256::new(),
            size: 0,
            max,
            head: Vec::new(),
            utf8: Utf8Check::default(),
        })
    }

    /// Stores a received file under its SHA-256 (once per content) and returns what to
    /// attach.
    pub async fn keep_upload(&self, mut incoming: IncomingFile) -> AppResult<StoredFile> {
        let max = self.config.max_attachment_bytes;
        if incoming.size > max {
            return Err(incoming.too_large(max));
        }
        if let Some(mut file) = incoming.file.take() {
            let synced = async {
                file.flush().await?;
                file.sync_all().await
            };
            synced.await.map_err(|e| {
                AppError::Internal(format!("cannot write {}: {e}", incoming.tmp.display()))
            })?;
        }
        let sha256 = hex::encode(std::mem::take(&mut incoming.hasher).finalize());
        let content_type = sniff(&incoming.head, incoming.utf8.is_text());
        let path = self.attachment_path(&sha256);
        if tokio::fs::metadata(&path).await.is_err() {
            let dir = path
                .parent()
                .ok_or_else(|| AppError::Internal("attachment path has no parent".into()))?
                .to_path_buf();
            tokio::fs::create_dir_all(&dir)
                .await
                .map_err(|e| AppError::Internal(format!("cannot create {}: {e}", dir.display())))?;
            tokio::fs::rename(&incoming.tmp, &path)
                .await
                .map_err(|e| AppError::Internal(format!("cannot store {}: {e}", path.display())))?;
        }
        Ok(StoredFile {
            filename: clean_filename(&incoming.filename),
            content_type,
            size: incoming.size as i64,
            sha256,
        })
    }

    /// Stores a file held in memory (from a plugin, say) the same way.
    pub async fn store_upload(&self, upload: Upload) -> AppResult<StoredFile> {
        let max = self.config.max_attachment_bytes;
        let mut incoming = self.receive_upload(&upload.filename, max).await?;
        incoming.write(&upload.bytes).await?;
        self.keep_upload(incoming).await
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
    fn text_split_anywhere_between_chunks_is_still_text() {
        let text = "Grüße, 你好, ok".as_bytes();
        for cut in 0..text.len() {
            let mut check = Utf8Check::default();
            check.feed(&text[..cut]);
            check.feed(&text[cut..]);
            assert!(check.is_text(), "cut at {cut}");
        }
        let mut cut_short = Utf8Check::default();
        cut_short.feed("ü".as_bytes().split_at(1).0);
        assert!(
            !cut_short.is_text(),
            "a file ending inside a sequence is not text"
        );
        let mut binary = Utf8Check::default();
        binary.feed(b"ok");
        binary.feed(&[0xff, 0xfe]);
        binary.feed(b"more");
        assert!(!binary.is_text());
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
