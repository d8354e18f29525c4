//! What the command prints for its reader. Every line is written with its error returned,
//! so a reader that closes early (`triage user list | head -1`) ends the command quietly,
//! as `ls | head` does, instead of a panic.

use std::io::Write;

use serde::Serialize;

/// `println!` that returns the write's error from the enclosing function instead of
/// panicking.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)?
    }};
}
pub(crate) use say;

/// Prints a value as pretty JSON, for scripts (`--json`).
pub fn json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    // Through `io::Error`, which keeps a closed pipe recognisable as one.
    serde_json::to_writer_pretty(&mut out, value).map_err(std::io::Error::from)?;
    writeln!(out)?;
    Ok(())
}

/// Whether an error is the reader of standard output having gone away.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
