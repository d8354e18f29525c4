//! A loaded plugin and its hooks. Every call gets a fresh instance from the
//! pre-instantiated component, with the plugin's memory cap, a CPU deadline through the
//! epoch, a wall-clock timeout and a bound on calls at once; what comes back is checked
//! before anyone uses it.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use wasmtime::{Engine, Store, Trap, UpdateDeadline};

use crate::engine::TICK;
use crate::error::CallError;
use crate::grants::{Grants, Limits, Settings};
use crate::manifest::Manifest;
use crate::package::Package;
use crate::state::{Context, State};
use crate::types::{
    Action, ActionCall, Delivery, Description, Event, Inbound, InboundRequest, Operation,
    PluginError, StatusDef, Transition,
};
use crate::v0_1;

/// A plugin ready to call. Clones share the compiled component.
#[derive(Clone)]
pub struct Plugin {
    inner: Arc<Inner>,
}

struct Inner {
    engine: Engine,
    pre: v0_1::PluginPre<State>,
    manifest: Manifest,
    sha256: String,
    ctx: Arc<Context>,
    permits: Arc<Semaphore>,
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("id", &self.inner.manifest.id)
            .field("version", &self.inner.manifest.version)
            .finish()
    }
}

struct Call {
    store: Store<State>,
    bindings: v0_1::Plugin,
    _permit: OwnedSemaphorePermit,
}

fn plugin_error(e: PluginError) -> CallError {
    match e {
        PluginError::InvalidInput(m) => CallError::InvalidInput(m),
        PluginError::Unavailable(m) => CallError::Unavailable(m),
        PluginError::Failed(m) => CallError::Failed(m),
    }
}

fn action_text(a: &Action) -> usize {
    match a {
        Action::AddNote(t)
        | Action::Reply(t)
        | Action::AddTag(t)
        | Action::RemoveTag(t)
        | Action::SetStatus(t)
        | Action::SetPriority(t) => t.len(),
        Action::SetField(f) => f.key.len() + 64,
    }
}

impl Plugin {
    pub(crate) fn new(
        engine: Engine,
        pre: v0_1::PluginPre<State>,
        package: &Package,
        ctx: Arc<Context>,
    ) -> Plugin {
        let permits = Arc::new(Semaphore::new(ctx.limits.concurrency));
        Plugin {
            inner: Arc::new(Inner {
                engine,
                pre,
                manifest: package.manifest.clone(),
                sha256: package.sha256.clone(),
                ctx,
                permits,
            }),
        }
    }

    /// The same compiled plugin with other grants or settings: reconfiguring does not
    /// compile again.
    pub fn reconfigured(&self, grants: Grants, settings: Settings, limits: Limits) -> Plugin {
        let old = &self.inner;
        let ctx = Context {
            id: old.ctx.id.clone(),
            grants,
            settings,
            limits,
            services: old.ctx.services.clone(),
            outbound: old.ctx.outbound.clone(),
        };
        Plugin {
            inner: Arc::new(Inner {
                engine: old.engine.clone(),
                pre: old.pre.clone(),
                manifest: old.manifest.clone(),
                sha256: old.sha256.clone(),
                permits: Arc::new(Semaphore::new(limits.concurrency)),
                ctx: Arc::new(ctx),
            }),
        }
    }

    /// The plugin's id.
    pub fn id(&self) -> &str {
        &self.inner.manifest.id
    }

    /// Its manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.inner.manifest
    }

    /// The SHA-256 of its package.
    pub fn sha256(&self) -> &str {
        &self.inner.sha256
    }

    /// The limits it runs under.
    pub fn limits(&self) -> Limits {
        self.inner.ctx.limits
    }

    /// What it was granted.
    pub fn grants(&self) -> &Grants {
        &self.inner.ctx.grants
    }

    /// Its settings.
    pub fn settings(&self) -> &Settings {
        &self.inner.ctx.settings
    }

    fn timeout(&self) -> Duration {
        Duration::from_millis(u64::from(self.inner.ctx.limits.timeout_ms))
    }

    async fn start(&self) -> Result<Call, CallError> {
        let inner = &self.inner;
        let permit =
            match tokio::time::timeout(self.timeout(), inner.permits.clone().acquire_owned()).await
            {
                Ok(Ok(p)) => p,
                _ => return Err(CallError::Busy(inner.ctx.limits.concurrency)),
            };
        let mut store = Store::new(&inner.engine, State::new(inner.ctx.clone()));
        store.limiter(|s| &mut s.memory);
        let budget = u64::from(inner.ctx.limits.timeout_ms) / TICK.as_millis() as u64 + 1;
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |mut cx| {
            let state = cx.data_mut();
            state.ticks += 1;
            if state.ticks > budget {
                Ok(UpdateDeadline::Interrupt)
            } else {
                Ok(UpdateDeadline::Yield(1))
            }
        });
        let instantiated =
            tokio::time::timeout(self.timeout(), inner.pre.instantiate_async(&mut store)).await;
        let bindings = match instantiated {
            Err(_) => return Err(CallError::Timeout(u64::from(inner.ctx.limits.timeout_ms))),
            Ok(Err(e)) => {
                return Err(self.trap(&store, e, CallError::Instantiate));
            }
            Ok(Ok(b)) => b,
        };
        Ok(Call {
            store,
            bindings,
            _permit: permit,
        })
    }

    fn trap(
        &self,
        store: &Store<State>,
        e: wasmtime::Error,
        other: impl FnOnce(String) -> CallError,
    ) -> CallError {
        let limits = self.inner.ctx.limits;
        if store.data().memory.hit {
            return CallError::Memory(u64::from(limits.memory_mb));
        }
        match e.downcast_ref::<Trap>() {
            Some(Trap::Interrupt) => CallError::Timeout(u64::from(limits.timeout_ms)),
            Some(trap) => CallError::Trap(trap.to_string()),
            None => other(format!("{e:#}")),
        }
    }

    fn finish<R>(
        &self,
        mut call: Call,
        out: Result<wasmtime::Result<R>, tokio::time::error::Elapsed>,
    ) -> Result<R, CallError> {
        call.store.data_mut().flush_stdio();
        match out {
            Err(_) => Err(CallError::Timeout(u64::from(
                self.inner.ctx.limits.timeout_ms,
            ))),
            Ok(Ok(r)) => Ok(r),
            Ok(Err(e)) => Err(self.trap(&call.store, e, CallError::Trap)),
        }
    }

    fn check_actions(&self, actions: Vec<Action>) -> Result<Vec<Action>, CallError> {
        let limits = self.inner.ctx.limits;
        if actions.len() > limits.max_actions {
            return Err(CallError::Output(format!(
                "{} actions in one answer; at most {}",
                actions.len(),
                limits.max_actions
            )));
        }
        let size: usize = actions.iter().map(action_text).sum();
        if size > limits.max_output_bytes {
            return Err(CallError::Output(format!(
                "{size} bytes of text in one answer; at most {}",
                limits.max_output_bytes
            )));
        }
        Ok(actions)
    }

    /// What the plugin says about itself.
    pub async fn describe(&self) -> Result<Description, CallError> {
        let mut call = self.start().await?;
        let fut = call
            .bindings
            .triage_plugin_lifecycle()
            .call_describe(&mut call.store);
        let out = tokio::time::timeout(self.timeout(), fut).await;
        self.finish(call, out)
    }

    /// Lets the plugin check its settings; `Ok(Err(message))` refuses them.
    pub async fn init(&self) -> Result<Result<(), String>, CallError> {
        let fields: Vec<_> = self
            .inner
            .ctx
            .settings
            .values
            .iter()
            .filter_map(|(k, v)| {
                crate::state::json_value(v).map(|value| crate::types::Field {
                    key: k.clone(),
                    value,
                })
            })
            .collect();
        let mut call = self.start().await?;
        let fut = call
            .bindings
            .triage_plugin_lifecycle()
            .call_init(&mut call.store, &fields);
        let out = tokio::time::timeout(self.timeout(), fut).await;
        self.finish(call, out)
    }

    /// The statuses the plugin declares.
    pub async fn declare_statuses(&self) -> Result<Vec<StatusDef>, CallError> {
        let mut call = self.start().await?;
        let fut = call
            .bindings
            .triage_plugin_statuses()
            .call_declare(&mut call.store);
        let out = tokio::time::timeout(self.timeout(), fut).await;
        let statuses = self.finish(call, out)?;
        if statuses.len() > 50 {
            return Err(CallError::Output(format!(
                "{} statuses; at most 50",
                statuses.len()
            )));
        }
        if let Some(s) = statuses
            .iter()
            .find(|s| s.name.trim().is_empty() || s.name.len() > 60 || s.description.len() > 500)
        {
            return Err(CallError::Output(format!(
                "the status {:?} needs a name of 1 to 60 characters and a description of at most 500",
                s.name
            )));
        }
        Ok(statuses)
    }

    /// Asks whether a transition is allowed; `Ok(Err(message))` refuses it.
    pub async fn validate_transition(
        &self,
        transition: &Transition,
    ) -> Result<Result<(), String>, CallError> {
        let mut call = self.start().await?;
        let fut = call
            .bindings
            .triage_plugin_statuses()
            .call_validate_transition(&mut call.store, transition);
        let out = tokio::time::timeout(self.timeout(), fut).await;
        let verdict = self.finish(call, out)?;
        Ok(verdict.map_err(|m| m.chars().take(500).collect()))
    }

    /// Hands an event to the integration hook.
    pub async fn on_event(&self, event: &Event) -> Result<Vec<Action>, CallError> {
        let mut call = self.start().await?;
        let fut = call
            .bindings
            .triage_plugin_integration()
            .call_on_event(&mut call.store, event);
        let out = tokio::time::timeout(self.timeout(), fut).await;
        let answer = self.finish(call, out)?;
        self.check_actions(answer.map_err(plugin_error)?)
    }

    /// Runs an action a rule called.
    pub async fn call_action(&self, action: &ActionCall) -> Result<Vec<Action>, CallError> {
        let mut call = self.start().await?;
        let fut = call
            .bindings
            .triage_plugin_integration()
            .call_call_action(&mut call.store, action);
        let out = tokio::time::timeout(self.timeout(), fut).await;
        let answer = self.finish(call, out)?;
        self.check_actions(answer.map_err(plugin_error)?)
    }

    /// Verifies and parses an inbound call.
    pub async fn receive(&self, request: &InboundRequest) -> Result<Inbound, CallError> {
        let max = self.inner.ctx.limits.max_input_bytes;
        if request.body.len() > max {
            return Err(CallError::Input(format!(
                "a body of {} bytes; at most {max}",
                request.body.len()
            )));
        }
        let mut call = self.start().await?;
        let fut = call
            .bindings
            .triage_plugin_channel()
            .call_receive(&mut call.store, request);
        let out = tokio::time::timeout(self.timeout(), fut).await;
        let inbound = self.finish(call, out)?.map_err(plugin_error)?;
        if inbound.operations.len() > self.inner.ctx.limits.max_actions {
            return Err(CallError::Output(format!(
                "{} operations in one answer; at most {}",
                inbound.operations.len(),
                self.inner.ctx.limits.max_actions
            )));
        }
        Ok(inbound)
    }

    /// Parses a raw email.
    pub async fn receive_email(&self, raw: &[u8]) -> Result<Vec<Operation>, CallError> {
        let max = self.inner.ctx.limits.max_input_bytes;
        if raw.len() > max {
            return Err(CallError::Input(format!(
                "an email of {} bytes; at most {max}",
                raw.len()
            )));
        }
        let mut call = self.start().await?;
        let fut = call
            .bindings
            .triage_plugin_channel()
            .call_receive_email(&mut call.store, raw);
        let out = tokio::time::timeout(self.timeout(), fut).await;
        self.finish(call, out)?.map_err(plugin_error)
    }

    /// Delivers a public reply on a ticket of this channel.
    pub async fn deliver(&self, delivery: &Delivery) -> Result<Option<String>, CallError> {
        let mut call = self.start().await?;
        let fut = call
            .bindings
            .triage_plugin_channel()
            .call_deliver(&mut call.store, delivery);
        let out = tokio::time::timeout(self.timeout(), fut).await;
        self.finish(call, out)?.map_err(plugin_error)
    }
}
