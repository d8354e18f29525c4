//! Building a plugin crate into a component and packing it: `cargo build --release
//! --target wasm32-wasip2` in the crate's directory, then `plugin.toml` and the component
//! into one package file.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::LoadError;
use crate::package::Package;

/// The target plugins are built for.
pub const TARGET: &str = "wasm32-wasip2";

/// Builds the plugin crate in `dir` (release, for [`TARGET`]) and returns the path of its
/// component. `target_dir` overrides Cargo's target directory.
pub fn build_component(dir: &Path, target_dir: Option<&Path>) -> Result<PathBuf, LoadError> {
    let fail = |m: String| LoadError::Package(m);
    let manifest_path = dir.join("Cargo.toml");
    if !manifest_path.is_file() {
        return Err(fail(format!("{} has no Cargo.toml", dir.display())));
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args([
        "build",
        "--release",
        "--target",
        TARGET,
        "--message-format=json-render-diagnostics",
    ])
    .arg("--manifest-path")
    .arg(&manifest_path)
    .stderr(std::process::Stdio::inherit());
    if let Some(t) = target_dir {
        cmd.env("CARGO_TARGET_DIR", t);
    }
    let out = cmd
        .output()
        .map_err(|e| fail(format!("cargo could not be run: {e}")))?;
    if !out.status.success() {
        return Err(fail(format!(
            "cargo build failed for {} (is the target installed? rustup target add {TARGET})",
            dir.display()
        )));
    }
    let wanted = manifest_path
        .canonicalize()
        .map_err(|e| fail(format!("{}: {e}", manifest_path.display())))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    for line in stdout.lines() {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if msg["reason"] != "compiler-artifact" {
            continue;
        }
        let same_crate = msg["manifest_path"]
            .as_str()
            .and_then(|p| Path::new(p).canonicalize().ok())
            .is_some_and(|p| p == wanted);
        if !same_crate {
            continue;
        }
        let wasm = msg["filenames"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f.as_str())
            .find(|f| f.ends_with(".wasm"));
        if let Some(wasm) = wasm {
            return Ok(PathBuf::from(wasm));
        }
    }
    Err(fail(format!(
        "{} built no component: its [lib] needs crate-type = [\"cdylib\"]",
        dir.display()
    )))
}

/// Builds the plugin crate in `dir` and packs its `plugin.toml` with the component.
pub fn pack_dir(dir: &Path, target_dir: Option<&Path>) -> Result<Vec<u8>, LoadError> {
    let manifest_path = dir.join("plugin.toml");
    let manifest = std::fs::read_to_string(&manifest_path)
        .map_err(|e| LoadError::Package(format!("{}: {e}", manifest_path.display())))?;
    crate::manifest::Manifest::parse(&manifest)?;
    let wasm_path = build_component(dir, target_dir)?;
    let wasm = std::fs::read(&wasm_path)
        .map_err(|e| LoadError::Package(format!("{}: {e}", wasm_path.display())))?;
    Package::pack(&manifest, &wasm)
}
