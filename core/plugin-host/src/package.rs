//! A plugin package: one `.tar` file holding `plugin.toml` and `plugin.wasm`.

use std::io::Read;

use sha2::{Digest, Sha256};

use crate::error::LoadError;
use crate::manifest::Manifest;

/// The largest package accepted.
pub const MAX_PACKAGE_BYTES: usize = 64 << 20;

/// A package, read and checked.
#[derive(Debug, Clone)]
pub struct Package {
    pub manifest: Manifest,
    /// The manifest as written, kept to show and to repack.
    pub manifest_text: String,
    pub wasm: Vec<u8>,
    /// SHA-256 of the package file, hex.
    pub sha256: String,
    /// SHA-256 of the component, hex: the compiled cache's key.
    pub wasm_sha256: String,
}

/// The SHA-256 of `bytes`, in hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl Package {
    /// Reads a package file.
    pub fn read(bytes: &[u8]) -> Result<Package, LoadError> {
        let bad = |m: String| LoadError::Package(m);
        if bytes.len() > MAX_PACKAGE_BYTES {
            return Err(bad(format!(
                "it is {} bytes; at most {MAX_PACKAGE_BYTES}",
                bytes.len()
            )));
        }
        let mut archive = tar::Archive::new(bytes);
        let mut manifest_text = None;
        let mut wasm = None;
        let entries = archive
            .entries()
            .map_err(|e| bad(format!("not a tar archive: {e}")))?;
        for entry in entries {
            let mut entry = entry.map_err(|e| bad(format!("not a tar archive: {e}")))?;
            let path = entry
                .path()
                .map_err(|e| bad(format!("an entry has a bad name: {e}")))?
                .to_string_lossy()
                .trim_start_matches("./")
                .to_string();
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let mut content = Vec::new();
            entry
                .by_ref()
                .take(MAX_PACKAGE_BYTES as u64 + 1)
                .read_to_end(&mut content)
                .map_err(|e| bad(format!("{path} cannot be read: {e}")))?;
            match path.as_str() {
                "plugin.toml" => {
                    let text = String::from_utf8(content)
                        .map_err(|_| bad("plugin.toml is not UTF-8".into()))?;
                    manifest_text = Some(text);
                }
                "plugin.wasm" => wasm = Some(content),
                _ => {}
            }
        }
        let manifest_text = manifest_text.ok_or_else(|| bad("plugin.toml is missing".into()))?;
        let wasm = wasm.ok_or_else(|| bad("plugin.wasm is missing".into()))?;
        let manifest = Manifest::parse(&manifest_text)?;
        Ok(Package {
            manifest,
            manifest_text,
            wasm_sha256: sha256_hex(&wasm),
            wasm,
            sha256: sha256_hex(bytes),
        })
    }

    /// Builds a package file from a manifest and a component, checking the manifest.
    pub fn pack(manifest_text: &str, wasm: &[u8]) -> Result<Vec<u8>, LoadError> {
        Manifest::parse(manifest_text)?;
        let mut builder = tar::Builder::new(Vec::new());
        for (name, content) in [
            ("plugin.toml", manifest_text.as_bytes()),
            ("plugin.wasm", wasm),
        ] {
            let mut header = tar::Header::new_ustar();
            header.set_size(content.len() as u64);
            header.set_mode(0o644);
            header.set_mtime(0);
            header.set_cksum();
            builder
                .append_data(&mut header, name, content)
                .map_err(|e| LoadError::Package(e.to_string()))?;
        }
        builder
            .into_inner()
            .map_err(|e| LoadError::Package(e.to_string()))
    }
}
