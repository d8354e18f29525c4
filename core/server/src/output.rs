//! What the command prints for its reader. Every line is written with its error returned,
//! so a reader that closes early (`triage user list | head -1`) ends the command quietly,
//! as `ls | head` does, instead of a panic; only a write to standard output counts as
//! that, never a broken pipe elsewhere (a database connection, say).

use std::io::Write;

use serde::Serialize;

/// Standard output's reader went away.
#[derive(Debug, thiserror::Error)]
#[error("standard output was closed")]
pub struct StdoutClosed;

/// A failed write to standard output, as the command's error.
pub fn write_failed(e: std::io::Error) -> anyhow::Error {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        StdoutClosed.into()
    } else {
        anyhow::Error::new(e).context("writing to standard output")
    }
}

/// `println!` that returns the write's error from the enclosing function instead of
/// panicking.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*).map_err($crate::output::write_failed)?
    }};
}
pub(crate) use say;

/// Prints a value as pretty JSON, for scripts (`--json`).
pub fn json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    // Through `io::Error`, which keeps a closed pipe recognisable as one.
    serde_json::to_writer_pretty(&mut out, value)
        .map_err(std::io::Error::from)
        .map_err(write_failed)?;
    writeln!(out).map_err(write_failed)?;
    Ok(())
}

/// Whether the command ended because standard output's reader went away.
pub fn is_stdout_closed(e: &anyhow::Error) -> bool {
    e.downcast_ref::<StdoutClosed>().is_some()
}
