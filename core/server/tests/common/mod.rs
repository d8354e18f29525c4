//! What the command-line tests share: running the real `triage` binary.

use std::process::Command;

/// Runs `triage` over `dir` and the database `url`; returns whether it succeeded and what
/// it printed.
pub fn triage(dir: &std::path::Path, url: &str, args: &[&str]) -> anyhow::Result<(bool, String)> {
    let out = Command::new(env!("CARGO_BIN_EXE_triage"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env("TRIAGE_DATABASE_URL", url)
        .env("TRIAGE_LOG", "warn")
        .env("CARGO_TARGET_DIR", plugins_target())
        .output()?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok((out.status.success(), text))
}

/// Where `triage plugin pack` builds in tests: never the target directory of the test run
/// itself.
pub fn plugins_target() -> std::path::PathBuf {
    std::env::var_os("TRIAGE_PLUGINS_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| repo().join("plugins/target"))
}

/// The repository's root.
pub fn repo() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `triage` with its standard output already closed by the reader, as
/// `triage … | head -0` would; returns its exit code and what it wrote to standard error.
pub fn triage_into_closed_pipe(
    dir: &std::path::Path,
    url: &str,
    args: &[&str],
) -> anyhow::Result<(Option<i32>, String)> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_triage"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env("TRIAGE_DATABASE_URL", url)
        .env("TRIAGE_LOG", "warn")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    // Closing the read end before the first line is written makes every write fail.
    drop(child.stdout.take());
    let out = child.wait_with_output()?;
    Ok((
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}
