//! `plugin-bench`: the plugin host benchmark behind BENCHMARKS.md, on the `hostile`
//! fixture built from `plugins/` (its `noop`, `touch` and `imports` actions).
//!
//! 1. Per-hook overhead with a fresh instance each call: a no-op hook, and a hook that
//!    reads the ticket and writes one key (services in memory: the host is measured, not
//!    the database), p50 and p99.
//! 2. The host-import round trip: a hook making 10,000 imports, less a no-op hook.
//! 3. Hooks per second with every core busy.
//! 4. Loading a package: cold compile against reading the compiled cache.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use hdrhistogram::Histogram;
use triage_plugin_host::types::ActionCall;
use triage_plugin_host::{
    AdminLimits, Compiled, Grants, Host, HostConfig, MemoryServices, Package, Plugin, Settings,
    builder, sample_ticket,
};

#[derive(Debug, Parser)]
#[command(about = "Plugin host benchmark: hook overhead, import round trip, throughput, load")]
struct Args {
    /// Calls timed for each latency figure.
    #[arg(long, default_value_t = 20_000)]
    calls: u64,
    /// Seconds the throughput run lasts.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Tasks calling at once in the throughput run.
    #[arg(long, default_value_t = 16)]
    tasks: usize,
}

const IMPORT_ROUNDS: f64 = 10_000.0;

fn call(name: &str) -> ActionCall {
    ActionCall {
        name: name.into(),
        ticket: sample_ticket(),
        arguments: vec![],
    }
}

fn micros(h: &Histogram<u64>, q: f64) -> f64 {
    h.value_at_quantile(q) as f64 / 1000.0
}

async fn latency(plugin: &Plugin, action: &str, calls: u64) -> anyhow::Result<Histogram<u64>> {
    let c = call(action);
    for _ in 0..calls.min(1000) {
        plugin.call_action(&c).await?;
    }
    let mut h = Histogram::<u64>::new(3)?;
    for _ in 0..calls {
        let start = Instant::now();
        plugin.call_action(&c).await?;
        h.record(start.elapsed().as_nanos() as u64)?;
    }
    Ok(h)
}

fn package() -> anyhow::Result<Package> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plugins/fixtures/hostile");
    // Never the target directory of the run itself, which cargo may hold locked.
    let target = std::env::var_os("TRIAGE_PLUGINS_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plugins/target"));
    let bytes = builder::pack_dir(&root, Some(&target)).context("building the fixture")?;
    Ok(Package::read(&bytes)?)
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores)
        .enable_all()
        .build()?;
    rt.block_on(run(args, cores))
}

async fn run(args: Args, cores: usize) -> anyhow::Result<()> {
    let package = package()?;
    let services = Arc::new(MemoryServices::with_tickets(vec![sample_ticket()]));
    let host = Host::new(HostConfig::default())?;
    let (plugin, _) = host.load(
        &package,
        Grants::asked(&package.manifest),
        AdminLimits::default(),
        Settings::default(),
        services.clone(),
    )?;

    println!(
        "## Hook overhead, a fresh instance per call ({} calls each)",
        args.calls
    );
    println!("| hook | p50 | p99 | mean |");
    println!("|---|---:|---:|---:|");
    let noop = latency(&plugin, "noop", args.calls).await?;
    let touch = latency(&plugin, "touch", args.calls).await?;
    for (name, h) in [("no-op", &noop), ("read the ticket, write one key", &touch)] {
        println!(
            "| {name} | {:.1} µs | {:.1} µs | {:.1} µs |",
            micros(h, 0.5),
            micros(h, 0.99),
            h.mean() / 1000.0
        );
    }

    let rounds = (args.calls / 100).max(20);
    let imports = latency(&plugin, "imports", rounds).await?;
    let per_import = (imports.mean() - noop.mean()) / IMPORT_ROUNDS / 1000.0;
    println!();
    println!(
        "Host-import round trip: {:.2} µs ({rounds} hooks of {IMPORT_ROUNDS} imports each, less a no-op hook)",
        per_import
    );

    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let mut tasks = Vec::new();
    for _ in 0..args.tasks {
        let p = plugin.clone();
        tasks.push(tokio::spawn(async move {
            let c = call("noop");
            let mut n = 0u64;
            while Instant::now() < deadline {
                if p.call_action(&c).await.is_ok() {
                    n += 1;
                }
            }
            n
        }));
    }
    let started = Instant::now();
    let mut total = 0u64;
    for t in tasks {
        total += t.await?;
    }
    println!();
    println!(
        "Throughput: {:.0} no-op hooks/s on {cores} cores ({} tasks)",
        total as f64 / started.elapsed().as_secs_f64(),
        args.tasks
    );

    let cache = tempfile::tempdir()?;
    let cached = Host::new(HostConfig {
        cache_dir: Some(cache.path().to_path_buf()),
        ..HostConfig::default()
    })?;
    let (cold, how) = cached.time_load(&package, services.clone())?;
    anyhow::ensure!(how == Compiled::Fresh, "the first load should compile");
    let mut warm = Histogram::<u64>::new(3)?;
    for _ in 0..20 {
        let (t, how) = cached.time_load(&package, services.clone())?;
        anyhow::ensure!(how == Compiled::Cached, "later loads should read the cache");
        warm.record(t.as_nanos() as u64)?;
    }
    println!();
    println!(
        "Load ({} KiB component): cold compile {:.1} ms, from the compiled cache {:.2} ms (p50 of 20)",
        package.wasm.len() / 1024,
        cold.as_secs_f64() * 1000.0,
        micros(&warm, 0.5) / 1000.0
    );
    Ok(())
}
