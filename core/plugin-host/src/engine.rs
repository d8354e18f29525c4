//! The host: one wasmtime engine with the pooling allocator and epoch interruption, the
//! linker with the contract's imports and the few WASI interfaces plugins may use, the
//! compiled-component cache on disk, and loading packages into ready plugins.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use wasmtime::component::types::ComponentItem;
use wasmtime::component::{Component, HasData, HasSelf, Linker, ResourceTable};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};
use wasmtime_wasi::cli::{WasiCli, WasiCliView};
use wasmtime_wasi::clocks::{WasiClocks, WasiClocksView};
use wasmtime_wasi::random::WasiRandom;

use crate::error::LoadError;
use crate::grants::{AdminLimits, Grants, Limits, Settings};
use crate::manifest::{CONTRACTS, MAX_MEMORY_MB};
use crate::net::Outbound;
use crate::package::Package;
use crate::plugin::Plugin;
use crate::services::Services;
use crate::state::{Context, State};
use crate::v0_1;

/// The wasmtime version compiled components are cached for.
pub const WASMTIME_VERSION: &str = "48.0.8";

/// How often the epoch advances: the granularity of CPU deadlines, and how often a
/// running plugin yields to the other tasks of its thread.
pub const TICK: Duration = Duration::from_millis(5);

/// WASI interfaces a plugin may import. They give nothing away: clocks and randomness,
/// the streams stdout and stderr are written through (into the plugin's log), an empty
/// environment, no stdin and no terminal.
const WASI_ALLOWED: &[&str] = &[
    "wasi:clocks/wall-clock",
    "wasi:clocks/monotonic-clock",
    "wasi:random/random",
    "wasi:random/insecure",
    "wasi:random/insecure-seed",
    "wasi:io/error",
    "wasi:io/poll",
    "wasi:io/streams",
    "wasi:cli/environment",
    "wasi:cli/exit",
    "wasi:cli/stdin",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:cli/terminal-input",
    "wasi:cli/terminal-output",
    "wasi:cli/terminal-stdin",
    "wasi:cli/terminal-stdout",
    "wasi:cli/terminal-stderr",
];

/// How the host is set up.
#[derive(Debug, Clone)]
pub struct HostConfig {
    /// Where compiled components are kept; `None` compiles on every load.
    pub cache_dir: Option<PathBuf>,
    /// Instances that can be alive at once, over all plugins.
    pub instances: u32,
}

impl Default for HostConfig {
    fn default() -> Self {
        HostConfig {
            cache_dir: None,
            instances: 128,
        }
    }
}

/// Where a load found its compiled component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compiled {
    /// Read from the cache directory.
    Cached,
    /// Compiled now (and written to the cache if there is one).
    Fresh,
}

struct Io;

impl HasData for Io {
    type Data<'a> = &'a mut ResourceTable;
}

/// The plugin host. Cheap to share behind an `Arc`; loading and calling plugins work from
/// any number of tasks.
pub struct Host {
    engine: Engine,
    linker: Linker<State>,
    cache_dir: Option<PathBuf>,
    outbound: Outbound,
    stop: Arc<AtomicBool>,
}

impl std::fmt::Debug for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Host")
            .field("cache_dir", &self.cache_dir)
            .finish()
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn add_wasi(linker: &mut Linker<State>) -> wasmtime::Result<()> {
    use wasmtime_wasi::p2::bindings::{cli, clocks, random};
    use wasmtime_wasi_io::bindings::wasi::io;
    let l = linker;
    io::error::add_to_linker::<State, Io>(l, |s| &mut s.table)?;
    io::poll::add_to_linker::<State, Io>(l, |s| &mut s.table)?;
    io::streams::add_to_linker::<State, Io>(l, |s| &mut s.table)?;
    clocks::wall_clock::add_to_linker::<State, WasiClocks>(l, State::clocks)?;
    clocks::monotonic_clock::add_to_linker::<State, WasiClocks>(l, State::clocks)?;
    random::random::add_to_linker::<State, WasiRandom>(l, |s| s.wasi.random())?;
    random::insecure::add_to_linker::<State, WasiRandom>(l, |s| s.wasi.random())?;
    random::insecure_seed::add_to_linker::<State, WasiRandom>(l, |s| s.wasi.random())?;
    cli::exit::add_to_linker::<State, WasiCli>(l, State::cli)?;
    cli::environment::add_to_linker::<State, WasiCli>(l, State::cli)?;
    cli::stdin::add_to_linker::<State, WasiCli>(l, State::cli)?;
    cli::stdout::add_to_linker::<State, WasiCli>(l, State::cli)?;
    cli::stderr::add_to_linker::<State, WasiCli>(l, State::cli)?;
    cli::terminal_input::add_to_linker::<State, WasiCli>(l, State::cli)?;
    cli::terminal_output::add_to_linker::<State, WasiCli>(l, State::cli)?;
    cli::terminal_stdin::add_to_linker::<State, WasiCli>(l, State::cli)?;
    cli::terminal_stdout::add_to_linker::<State, WasiCli>(l, State::cli)?;
    cli::terminal_stderr::add_to_linker::<State, WasiCli>(l, State::cli)?;
    Ok(())
}

/// Why an import is refused, in words an author can act on.
fn refusal(name: &str) -> String {
    let base = name.split('@').next().unwrap_or(name);
    if base.starts_with("wasi:filesystem") {
        "plugins have no filesystem; keep state in the kv store".into()
    } else if base.starts_with("wasi:sockets") {
        "plugins have no sockets; use triage:plugin/http for granted hosts".into()
    } else if base.starts_with("wasi:http") {
        "use triage:plugin/http, which checks the plugin's grants".into()
    } else if base.starts_with("triage:plugin/") {
        format!(
            "this server runs contract versions {}",
            CONTRACTS.join(", ")
        )
    } else {
        format!(
            "it is not part of the plugin contract (triage:plugin@{})",
            CONTRACTS.join(", triage:plugin@")
        )
    }
}

fn import_allowed(name: &str) -> bool {
    let (base, version) = name.split_once('@').unwrap_or((name, ""));
    if base.starts_with("triage:plugin/") {
        return CONTRACTS.contains(&version);
    }
    WASI_ALLOWED.contains(&base)
}

impl Host {
    /// Starts a host: the engine, the linker and the epoch ticker.
    pub fn new(config: HostConfig) -> Result<Host, LoadError> {
        let host_err = |e: wasmtime::Error| LoadError::Host(e.to_string());
        let mut c = Config::new();
        c.wasm_component_model(true);
        c.epoch_interruption(true);
        c.max_wasm_stack(1 << 20);
        c.async_stack_size(2 << 20);
        let n = config.instances.max(4);
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(n)
            .total_core_instances(n * 8)
            .total_memories(n * 2)
            .total_tables(n * 8)
            .total_stacks(n)
            .max_memories_per_component(2)
            .max_memory_size((MAX_MEMORY_MB as usize) << 20)
            // A fresh instance per call: reset the first pages of a slot in place rather
            // than handing them back to the kernel and faulting them in again.
            .linear_memory_keep_resident(128 << 10)
            .table_keep_resident(16 << 10)
            .async_stack_keep_resident(16 << 10)
            .decommit_batch_size(16);
        c.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let engine = Engine::new(&c).map_err(host_err)?;
        let mut linker = Linker::new(&engine);
        add_wasi(&mut linker).map_err(host_err)?;
        v0_1::Plugin::add_to_linker::<State, HasSelf<State>>(&mut linker, |s| s)
            .map_err(host_err)?;
        if let Some(dir) = &config.cache_dir {
            std::fs::create_dir_all(dir)
                .map_err(|e| LoadError::Host(format!("{}: {e}", dir.display())))?;
        }
        let stop = Arc::new(AtomicBool::new(false));
        let ticker = engine.weak();
        let stopped = stop.clone();
        std::thread::Builder::new()
            .name("plugin-epoch".into())
            .spawn(move || {
                while !stopped.load(Ordering::Relaxed) {
                    std::thread::sleep(TICK);
                    match ticker.upgrade() {
                        Some(engine) => engine.increment_epoch(),
                        None => break,
                    }
                }
            })
            .map_err(|e| LoadError::Host(e.to_string()))?;
        Ok(Host {
            engine,
            linker,
            cache_dir: config.cache_dir,
            outbound: Outbound,
            stop,
        })
    }

    fn cache_path(&self, wasm_sha256: &str) -> Option<PathBuf> {
        let dir = self.cache_dir.as_ref()?;
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.engine
            .precompile_compatibility_hash()
            .hash(&mut hasher);
        Some(dir.join(format!(
            "{wasm_sha256}-wasmtime-{WASMTIME_VERSION}-{:016x}.cwasm",
            hasher.finish()
        )))
    }

    #[allow(unsafe_code)]
    fn read_cached(&self, path: &Path) -> Option<Component> {
        if !path.is_file() {
            return None;
        }
        // SAFETY: the file is one this host serialized into its own cache directory,
        // named by the component's hash and this engine's compatibility hash; wasmtime
        // checks its header against the engine and refuses a mismatch.
        unsafe { Component::deserialize_file(&self.engine, path) }.ok()
    }

    /// Compiles a component, or reads it from the cache.
    pub fn compile(
        &self,
        wasm: &[u8],
        wasm_sha256: &str,
    ) -> Result<(Component, Compiled), LoadError> {
        let path = self.cache_path(wasm_sha256);
        if let Some(component) = path.as_deref().and_then(|p| self.read_cached(p)) {
            return Ok((component, Compiled::Cached));
        }
        let component = Component::from_binary(&self.engine, wasm)
            .map_err(|e| LoadError::Compile(format!("{e:#}")))?;
        if let Some(path) = path
            && let Ok(bytes) = component.serialize()
        {
            let tmp = path.with_extension("tmp");
            if std::fs::write(&tmp, bytes).is_ok() {
                let _ = std::fs::rename(&tmp, &path);
            }
        }
        Ok((component, Compiled::Fresh))
    }

    /// Refuses a component that imports anything outside the contract and the allowed
    /// WASI interfaces, or that does not export the contract of its manifest.
    pub fn check_component(&self, component: &Component, contract: &str) -> Result<(), LoadError> {
        let ty = component.component_type();
        for (name, item) in ty.imports(&self.engine) {
            let is_instance = matches!(item.ty, ComponentItem::ComponentInstance(_));
            if !is_instance || !import_allowed(name) {
                return Err(LoadError::Import {
                    import: name.to_string(),
                    reason: refusal(name),
                });
            }
        }
        let wanted = format!("triage:plugin/lifecycle@{contract}");
        if !ty.exports(&self.engine).any(|(name, _)| name == wanted) {
            return Err(LoadError::Contract {
                contract: contract.to_string(),
                message: format!("it does not export {wanted}"),
            });
        }
        Ok(())
    }

    /// Loads a package into a plugin ready to call: checks its imports, compiles it (or
    /// reads the cache) and pre-instantiates it.
    pub fn load(
        &self,
        package: &Package,
        grants: Grants,
        admin: AdminLimits,
        settings: Settings,
        services: Arc<dyn Services>,
    ) -> Result<(Plugin, Compiled), LoadError> {
        let manifest = &package.manifest;
        grants
            .check(manifest)
            .map_err(|m| LoadError::Package(format!("grants: {m}")))?;
        let (component, compiled) = self.compile(&package.wasm, &package.wasm_sha256)?;
        self.check_component(&component, &manifest.contract)?;
        let pre = self
            .linker
            .instantiate_pre(&component)
            .and_then(v0_1::PluginPre::new)
            .map_err(|e| LoadError::Contract {
                contract: manifest.contract.clone(),
                message: format!("{e:#}"),
            })?;
        let ctx = Context {
            id: manifest.id.clone(),
            limits: Limits::effective(manifest, admin),
            grants,
            settings,
            services,
            outbound: self.outbound.clone(),
        };
        let plugin = Plugin::new(self.engine.clone(), pre, package, Arc::new(ctx));
        Ok((plugin, compiled))
    }

    /// How long loading a package takes, for the benchmark: compile or cache read, checks
    /// and pre-instantiation.
    pub fn time_load(
        &self,
        package: &Package,
        services: Arc<dyn Services>,
    ) -> Result<(Duration, Compiled), LoadError> {
        let start = Instant::now();
        let (_, compiled) = self.load(
            package,
            Grants::asked(&package.manifest),
            AdminLimits::default(),
            Settings::default(),
            services,
        )?;
        Ok((start.elapsed(), compiled))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_outside_the_contract_are_named_with_a_reason() {
        assert!(import_allowed("triage:plugin/kv@0.1.0"));
        assert!(import_allowed("wasi:cli/stderr@0.2.6"));
        assert!(import_allowed("wasi:clocks/wall-clock@0.2.0"));
        assert!(!import_allowed("triage:plugin/kv@9.0.0"));
        assert!(!import_allowed("wasi:filesystem/types@0.2.6"));
        assert!(!import_allowed("wasi:sockets/tcp@0.2.0"));
        assert!(!import_allowed("wasi:http/outgoing-handler@0.2.0"));
        assert!(refusal("wasi:filesystem/preopens@0.2.6").contains("no filesystem"));
        assert!(refusal("wasi:sockets/tcp@0.2.0").contains("no sockets"));
        assert!(refusal("acme:evil/thing").contains("not part of the plugin contract"));
    }
}
