//! The sandboxed rhai engine: compiling, caching and running rule scripts.
//!
//! One [`Engine`] serves every rule of a process. A run gets the ticket and the event as
//! read-only constants, and the actions it calls are collected in a per-thread buffer
//! that only lives for that run, so runs on different threads never see each other.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rhai::{Dynamic, EvalAltResult, ImmutableString, Position, Scope};
use serde_json::Value;

use crate::intent::{Intent, Target};
use crate::limits::Limits;

/// A script that does not compile, with where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (line {line}, column {column})")]
pub struct CompileError {
    pub message: String,
    pub line: usize,
    pub column: usize,
}

/// Why a run stopped without finishing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunError {
    /// It reached one of the [`Limits`].
    #[error("stopped: {what} (line {line}, column {column})")]
    Limit {
        what: String,
        line: usize,
        column: usize,
    },
    /// It ran past its wall-clock deadline.
    #[error("stopped: ran longer than {0:?}")]
    Timeout(Duration),
    /// It failed: a wrong argument, an unknown function, a `throw`.
    #[error("{message} (line {line}, column {column})")]
    Runtime {
        message: String,
        line: usize,
        column: usize,
    },
}

impl RunError {
    /// Whether the run was stopped by a bound rather than failing by itself.
    pub fn is_limit(&self) -> bool {
        matches!(self, RunError::Limit { .. } | RunError::Timeout(_))
    }
}

/// A compiled script, cached by its source.
#[derive(Debug)]
pub struct Script {
    ast: rhai::AST,
}

impl Script {
    pub(crate) fn ast(&self) -> &rhai::AST {
        &self.ast
    }
}

/// What a run sees: the ticket and the event as JSON (see `docs/automation.md` for
/// their fields), and the time it runs at.
#[derive(Debug, Clone)]
pub struct RunInput {
    pub ticket: Value,
    pub event: Value,
    /// Epoch milliseconds.
    pub now: i64,
}

/// A [`RunInput`] converted once, to be run by many rules.
#[derive(Debug, Clone)]
pub struct Prepared {
    ticket: Dynamic,
    event: Dynamic,
    data: Arc<RunInput>,
}

/// What one run asked for.
#[derive(Debug, Clone, Default)]
pub struct RunOutcome {
    /// The actions, in the order the script called them; empty when it failed.
    pub intents: Vec<Intent>,
    /// What it printed with `print`, `debug` or `log`.
    pub log: Vec<String>,
    pub error: Option<RunError>,
    pub duration: Duration,
}

impl RunOutcome {
    /// Whether the rule fired: it ran to the end and asked for something.
    pub fn fired(&self) -> bool {
        self.error.is_none() && !self.intents.is_empty()
    }
}

/// The state of the run on this thread.
pub(crate) struct RunState {
    pub(crate) input: Arc<RunInput>,
    pub(crate) intents: Vec<Intent>,
    pub(crate) log: Vec<String>,
    pub(crate) deadline: Instant,
    pub(crate) timed_out: bool,
    pub(crate) max_actions: usize,
}

thread_local! {
    pub(crate) static RUN: RefCell<Option<RunState>> = const { RefCell::new(None) };
}

/// Runs `f` on this thread's run state, if a run is in progress.
pub(crate) fn with_run<T>(f: impl FnOnce(&mut RunState) -> T) -> Option<T> {
    RUN.with(|r| r.borrow_mut().as_mut().map(f))
}

/// Adds an action to the current run.
pub(crate) fn push(intent: Intent) -> Result<(), Box<EvalAltResult>> {
    let over = with_run(|run| {
        if run.intents.len() >= run.max_actions {
            return Err(run.max_actions);
        }
        run.intents.push(intent);
        Ok(())
    });
    match over {
        Some(Err(max)) => Err(format!("a rule may ask for at most {max} actions per run").into()),
        _ => Ok(()),
    }
}

pub(crate) fn target(value: Dynamic) -> Result<Target, Box<EvalAltResult>> {
    if let Ok(id) = value.as_int() {
        return Ok(Target::Id(id));
    }
    if value.is_map()
        && let Some(id) = value
            .clone()
            .try_cast::<rhai::Map>()
            .and_then(|m| m.get("id").and_then(|id| id.as_int().ok()))
    {
        return Ok(Target::Id(id));
    }
    match value.into_immutable_string() {
        Ok(s) if !s.trim().is_empty() => Ok(Target::Name(s.trim().to_string())),
        Ok(_) => Err("expected a name, an email or an id, got an empty string".into()),
        Err(kind) => Err(format!("expected a name, an email or an id, got {kind}").into()),
    }
}

/// The sandboxed engine and its cache of compiled scripts.
pub struct Engine {
    rhai: rhai::Engine,
    limits: Limits,
    cache: Mutex<HashMap<String, Arc<Script>>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// The most compiled scripts kept; past it the cache starts over.
const CACHE_CAP: usize = 4096;

impl Engine {
    /// An engine whose runs stay within `limits`.
    pub fn new(limits: Limits) -> Engine {
        let mut rhai = rhai::Engine::new();
        rhai.set_max_operations(limits.max_operations);
        rhai.set_max_call_levels(limits.max_call_levels);
        rhai.set_max_expr_depths(limits.max_expr_depth, limits.max_fn_expr_depth);
        rhai.set_max_string_size(limits.max_string_bytes);
        rhai.set_max_array_size(limits.max_array_len);
        rhai.set_max_map_size(limits.max_map_len);
        rhai.set_max_functions(256);
        rhai.set_max_variables(1024);
        rhai.disable_symbol("eval");
        rhai.set_optimization_level(rhai::OptimizationLevel::Simple);
        rhai.set_fail_on_invalid_map_property(false);
        rhai.on_progress(|ops| {
            if ops % 512 != 0 {
                return None;
            }
            let late = with_run(|run| {
                if Instant::now() >= run.deadline {
                    run.timed_out = true;
                    true
                } else {
                    false
                }
            });
            late.unwrap_or(false).then(|| Dynamic::from("deadline"))
        });
        rhai.on_print(|s| {
            with_run(|run| run.log.push(s.to_string()));
        });
        rhai.on_debug(|s, _, pos| {
            with_run(|run| {
                run.log
                    .push(format!("{s} (line {})", pos.line().unwrap_or(0)))
            });
        });
        crate::helpers::register(&mut rhai);
        Engine {
            rhai,
            limits,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The limits runs stay within.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Compiles a script, or returns the compiled form cached for the same source.
    pub fn compile(&self, source: &str) -> Result<Arc<Script>, CompileError> {
        if let Ok(cache) = self.cache.lock()
            && let Some(script) = cache.get(source)
        {
            return Ok(script.clone());
        }
        let ast = self.rhai.compile(source).map_err(|e| {
            let (line, column) = position(e.position());
            CompileError {
                message: e.err_type().to_string(),
                line,
                column,
            }
        })?;
        let script = Arc::new(Script { ast });
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= CACHE_CAP {
                cache.clear();
            }
            cache.insert(source.to_string(), script.clone());
        }
        Ok(script)
    }

    /// Converts what runs see once, for many rules.
    pub fn prepare(&self, input: RunInput) -> Result<Prepared, RunError> {
        let convert = |v: &Value| {
            rhai::serde::to_dynamic(v).map_err(|e| RunError::Runtime {
                message: format!("cannot read the ticket: {e}"),
                line: 0,
                column: 0,
            })
        };
        Ok(Prepared {
            ticket: convert(&input.ticket)?,
            event: convert(&input.event)?,
            data: Arc::new(input),
        })
    }

    /// Runs a script on a prepared ticket and event.
    pub fn run(&self, script: &Script, input: &Prepared) -> RunOutcome {
        let started = Instant::now();
        RUN.with(|r| {
            *r.borrow_mut() = Some(RunState {
                input: input.data.clone(),
                intents: Vec::new(),
                log: Vec::new(),
                deadline: started + self.limits.deadline,
                timed_out: false,
                max_actions: self.limits.max_actions,
            })
        });
        let mut scope = Scope::new();
        scope.push_constant_dynamic("ticket", input.ticket.clone());
        scope.push_constant_dynamic("event", input.event.clone());
        let result = self.rhai.run_ast_with_scope(&mut scope, &script.ast);
        let state = RUN.with(|r| r.borrow_mut().take());
        let (intents, log, timed_out) = state
            .map(|s| (s.intents, s.log, s.timed_out))
            .unwrap_or_default();
        let error = result.err().map(|e| {
            if timed_out {
                RunError::Timeout(self.limits.deadline)
            } else {
                run_error(*e)
            }
        });
        RunOutcome {
            intents: if error.is_some() { Vec::new() } else { intents },
            log,
            error,
            duration: started.elapsed(),
        }
    }

    /// Compiles and runs a script once, for tests and tools.
    pub fn run_source(&self, source: &str, input: RunInput) -> Result<RunOutcome, CompileError> {
        let script = self.compile(source)?;
        match self.prepare(input) {
            Ok(prepared) => Ok(self.run(&script, &prepared)),
            Err(error) => Ok(RunOutcome {
                error: Some(error),
                ..RunOutcome::default()
            }),
        }
    }
}

fn position(pos: Position) -> (usize, usize) {
    (pos.line().unwrap_or(0), pos.position().unwrap_or(0))
}

fn run_error(err: EvalAltResult) -> RunError {
    let (line, column) = position(err.position());
    let limit = |what: &str| RunError::Limit {
        what: what.to_string(),
        line,
        column,
    };
    match err {
        EvalAltResult::ErrorTooManyOperations(_) => limit("too many operations"),
        EvalAltResult::ErrorStackOverflow(_) => limit("calls nested too deeply"),
        EvalAltResult::ErrorDataTooLarge(what, _) => limit(&format!("{what} too large")),
        EvalAltResult::ErrorTooManyVariables(_) => limit("too many variables"),
        EvalAltResult::ErrorTooManyModules(_) => limit("too many modules"),
        EvalAltResult::ErrorRuntime(value, _) => RunError::Runtime {
            message: value
                .clone()
                .into_immutable_string()
                .map(|s: ImmutableString| s.to_string())
                .unwrap_or_else(|_| value.to_string()),
            line,
            column,
        },
        EvalAltResult::ErrorInFunctionCall(name, _, inner, _) => {
            let inner = run_error(*inner);
            match inner {
                RunError::Runtime {
                    message,
                    line,
                    column,
                } => RunError::Runtime {
                    message: format!("in {name}: {message}"),
                    line,
                    column,
                },
                other => other,
            }
        }
        other => {
            let mut message = other.to_string();
            if let Some(cut) = message.rfind(" (line ") {
                message.truncate(cut);
            }
            RunError::Runtime {
                message,
                line,
                column,
            }
        }
    }
}

#[cfg(test)]
mod tests;
