//! The host against real components built from `plugins/`: limits hold, failures are
//! typed, nothing leaks between calls, and the compiled cache is used.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use triage_plugin_host::types::{Action, ActionCall, Ticket};
use triage_plugin_host::{
    AdminLimits, CONTRACTS, CallError, Compiled, Grants, Host, HostConfig, LoadError,
    MemoryServices, Package, Plugin, Settings, builder, sample_ticket,
};

fn plugins_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plugins")
}

fn package(name: &str) -> Package {
    let dir = plugins_dir().join(name);
    // Never the target directory of the run itself, which cargo may hold locked.
    let target = std::env::var_os("TRIAGE_PLUGINS_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plugins/target"));
    let bytes =
        builder::pack_dir(&dir, Some(&target)).unwrap_or_else(|e| panic!("building {name}: {e}"));
    Package::read(&bytes).unwrap_or_else(|e| panic!("reading {name}: {e}"))
}

fn ticket() -> Ticket {
    sample_ticket()
}

fn call(name: &str) -> ActionCall {
    ActionCall {
        name: name.into(),
        ticket: ticket(),
        arguments: vec![],
    }
}

struct Loaded {
    plugin: Plugin,
    services: Arc<MemoryServices>,
    _host: Host,
}

fn load(name: &str, grants: impl FnOnce(Grants) -> Grants) -> Loaded {
    let host = Host::new(HostConfig::default()).unwrap_or_else(|e| panic!("{e}"));
    let package = package(name);
    let services = Arc::new(MemoryServices::with_tickets(vec![ticket()]));
    let (plugin, _) = host
        .load(
            &package,
            grants(Grants::asked(&package.manifest)),
            AdminLimits::default(),
            Settings::default(),
            services.clone(),
        )
        .unwrap_or_else(|e| panic!("loading {name}: {e}"));
    Loaded {
        plugin,
        services,
        _host: host,
    }
}

#[tokio::test]
async fn a_well_behaved_hook_answers_and_every_call_is_a_fresh_instance() {
    let l = load("fixtures/hostile", |g| g);
    let d = l.plugin.describe().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(d.id, "hostile");
    assert!(d.actions.iter().any(|a| a.name == "spin"));
    assert_eq!(l.plugin.call_action(&call("noop")).await, Ok(vec![]));
    for _ in 0..3 {
        assert_eq!(
            l.plugin.call_action(&call("count")).await,
            Ok(vec![Action::AddNote("1".into())]),
            "state leaked from one call into the next"
        );
    }
}

#[tokio::test]
async fn reading_a_ticket_and_writing_the_store_needs_the_grants() {
    let l = load("fixtures/hostile", |g| g);
    assert_eq!(l.plugin.call_action(&call("touch")).await, Ok(vec![]));
    assert_eq!(
        l.services.stored("hostile", "last").as_deref(),
        Some(&b"Printer on fire"[..])
    );

    let no_tickets = load("fixtures/hostile", |g| Grants {
        tickets: false,
        ..g
    });
    match no_tickets.plugin.call_action(&call("touch")).await {
        Err(CallError::Failed(m)) => assert!(m.contains("reading tickets was not granted"), "{m}"),
        other => panic!("expected a denied read, got {other:?}"),
    }

    let no_kv = load("fixtures/hostile", |g| Grants { kv: 0, ..g });
    match no_kv.plugin.call_action(&call("touch")).await {
        Err(CallError::Failed(m)) => assert!(m.contains("storage was not granted"), "{m}"),
        other => panic!("expected a denied write, got {other:?}"),
    }
}

#[tokio::test]
async fn an_endless_loop_is_stopped_at_its_deadline_while_other_calls_go_on() {
    let l = load("fixtures/hostile", |g| g);
    let spinning = l.plugin.clone();
    let started = Instant::now();
    let spin = tokio::spawn(async move { spinning.call_action(&call("spin")).await });
    // While one call spins, others on the same thread pool still answer.
    for _ in 0..5 {
        assert_eq!(l.plugin.call_action(&call("noop")).await, Ok(vec![]));
    }
    let result = spin.await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(result, Err(CallError::Timeout(1000)));
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "stopped only after {took:?}");
    // A busy-wait past the deadline is stopped the same way.
    assert_eq!(
        l.plugin.call_action(&call("sleep")).await,
        Err(CallError::Timeout(1000))
    );
}

#[tokio::test]
async fn a_memory_bomb_hits_its_cap() {
    let l = load("fixtures/hostile", |g| g);
    assert_eq!(
        l.plugin.call_action(&call("bomb")).await,
        Err(CallError::Memory(32))
    );
    // The next call gets a fresh instance with its memory back.
    assert_eq!(l.plugin.call_action(&call("noop")).await, Ok(vec![]));
}

#[tokio::test]
async fn a_trap_is_a_typed_error_and_the_panic_message_reaches_the_log() {
    let l = load("fixtures/hostile", |g| g);
    match l.plugin.call_action(&call("trap")).await {
        Err(CallError::Trap(m)) => assert!(m.contains("unreachable"), "{m}"),
        other => panic!("expected a trap, got {other:?}"),
    }
    let log = l.services.log_lines();
    assert!(
        log.iter()
            .any(|(_, _, line)| line.contains("index out of bounds")),
        "the panic message is not in the log: {log:?}"
    );
}

#[tokio::test]
async fn a_host_that_was_not_granted_is_refused_and_logged() {
    let l = load("fixtures/hostile", |g| g);
    match l.plugin.call_action(&call("nosy")).await {
        Err(CallError::Failed(m)) => assert!(m.contains("not a granted host"), "{m}"),
        other => panic!("expected a refused request, got {other:?}"),
    }
    let log = l.services.log_lines();
    assert!(
        log.iter()
            .any(|(_, _, line)| line.contains("HTTP request refused")),
        "{log:?}"
    );
}

#[tokio::test]
async fn a_huge_answer_is_refused() {
    let l = load("fixtures/hostile", |g| g);
    match l.plugin.call_action(&call("flood")).await {
        Err(CallError::Output(m)) => assert!(m.contains("200000 actions"), "{m}"),
        other => panic!("expected a refused answer, got {other:?}"),
    }
}

#[tokio::test]
async fn an_import_outside_the_contract_is_refused_at_load() {
    let host = Host::new(HostConfig::default()).unwrap_or_else(|e| panic!("{e}"));
    let package = package("fixtures/outsider");
    let err = host
        .load(
            &package,
            Grants::asked(&package.manifest),
            AdminLimits::default(),
            Settings::default(),
            Arc::new(MemoryServices::default()),
        )
        .map(|_| ())
        .err();
    match err {
        Some(LoadError::Import { import, reason }) => {
            assert!(import.starts_with("wasi:filesystem/"), "{import}");
            assert!(reason.contains("no filesystem"), "{reason}");
        }
        other => panic!("expected a refused import, got {other:?}"),
    }
}

#[tokio::test]
async fn the_second_load_reads_the_compiled_cache() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let package = package("fixtures/hostile");
    let services: Arc<MemoryServices> = Arc::new(MemoryServices::default());
    let config = HostConfig {
        cache_dir: Some(dir.path().to_path_buf()),
        ..HostConfig::default()
    };
    let first = Host::new(config.clone()).unwrap_or_else(|e| panic!("{e}"));
    let (_, compiled) = first
        .time_load(&package, services.clone())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(compiled, Compiled::Fresh);
    drop(first);
    let second = Host::new(config).unwrap_or_else(|e| panic!("{e}"));
    let (_, compiled) = second
        .time_load(&package, services)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(compiled, Compiled::Cached);
}

#[tokio::test]
async fn grants_beyond_the_manifest_and_limits_above_it_are_not_possible() {
    let host = Host::new(HostConfig::default()).unwrap_or_else(|e| panic!("{e}"));
    let package = package("fixtures/hostile");
    let too_much = Grants {
        http: vec!["https://evil.example.net".into()],
        ..Grants::asked(&package.manifest)
    };
    let err = host
        .load(
            &package,
            too_much,
            AdminLimits::default(),
            Settings::default(),
            Arc::new(MemoryServices::default()),
        )
        .map(|_| ())
        .err();
    assert!(
        matches!(&err, Some(LoadError::Package(m)) if m.contains("evil.example.net")),
        "{err:?}"
    );
    let (plugin, _) = host
        .load(
            &package,
            Grants::asked(&package.manifest),
            AdminLimits {
                memory_mb: Some(512),
                timeout_ms: Some(200),
            },
            Settings::default(),
            Arc::new(MemoryServices::default()),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        plugin.limits().memory_mb,
        32,
        "an admin cannot raise memory"
    );
    assert_eq!(
        plugin.limits().timeout_ms,
        200,
        "an admin can lower the timeout"
    );
}

#[tokio::test]
async fn a_plugin_built_for_the_first_contract_runs_on_the_newer_one() {
    assert_eq!(CONTRACTS.first(), Some(&"0.1.0"));
    assert!(CONTRACTS.len() > 1, "the host runs a newer contract too");
    let l = load("fixtures/first-contract", |g| g);
    assert_eq!(l.plugin.manifest().contract, "0.1.0");
    let d = l.plugin.describe().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(d.id, "first-contract");
    assert_eq!(
        l.plugin.call_action(&call("ping")).await,
        Ok(vec![Action::AddTag("first-contract".into())])
    );
    assert_eq!(
        l.services.stored("first-contract", "pinged").as_deref(),
        Some(&b"Printer on fire"[..])
    );
    assert!(
        l.services
            .log_lines()
            .iter()
            .any(|(p, _, line)| p == "first-contract" && line == "pinged")
    );
}
