//! What the benchmark binaries share: running the real `triage` binary as a command or a
//! server, and reading a process's memory.

use std::path::Path;
use std::process::{Child, Command, Stdio};

use anyhow::{Context, bail};

/// A running `triage serve`: stopped with SIGTERM by [`Server::stop`], killed if dropped.
#[derive(Debug)]
pub struct Server(pub Child);

impl Server {
    /// Starts `triage serve` on a free local port over `dir` and the database `url`;
    /// returns it with its base URL.
    pub fn spawn(triage: &Path, dir: &Path, url: &str) -> anyhow::Result<(Server, String)> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let child = Command::new(triage)
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--data-dir",
            ])
            .arg(dir)
            .env("TRIAGE_DATABASE_URL", url)
            .env("TRIAGE_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()?;
        Ok((Server(child), format!("http://127.0.0.1:{port}")))
    }

    /// Sends SIGTERM and waits for the exit.
    pub fn stop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.0.id().to_string())
            .status();
        let _ = self.0.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs `triage ARGS --data-dir DIR` on the database `url`, feeding `stdin`, and returns
/// what it printed.
pub fn cli(
    triage: &Path,
    dir: &Path,
    url: &str,
    args: &[&str],
    stdin: Option<&str>,
) -> anyhow::Result<String> {
    use std::io::Write;
    let mut child = Command::new(triage)
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env("TRIAGE_DATABASE_URL", url)
        .env("TRIAGE_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(text.as_bytes())?;
    }
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!("triage {} failed", args.join(" "));
    }
    Ok(String::from_utf8_lossy(&out.stdout).to_string())
}

/// A memory figure of a process (`VmRSS`, `VmHWM` …) in MB.
pub fn rss_mb(pid: u32, field: &str) -> anyhow::Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .context("no memory figure in /proc")?;
    Ok(kb / 1024.0)
}
