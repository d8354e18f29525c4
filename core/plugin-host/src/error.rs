//! Errors of loading and calling plugins.

use thiserror::Error;

/// A manifest that cannot be used.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ManifestError {
    #[error("plugin.toml is not valid TOML: {0}")]
    Syntax(String),
    #[error("plugin.toml: {field}: {message}")]
    Invalid { field: String, message: String },
}

/// Why a plugin could not be installed or loaded.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum LoadError {
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error("the package is not usable: {0}")]
    Package(String),
    #[error("the component is not valid: {0}")]
    Compile(String),
    /// The component imports something outside the contract.
    #[error("the component imports {import}, which plugins cannot use: {reason}")]
    Import { import: String, reason: String },
    #[error("the component does not match contract {contract}: {message}")]
    Contract { contract: String, message: String },
    #[error("the plugin describes itself as {found}, but its manifest says {expected}")]
    Mismatch { expected: String, found: String },
    #[error("the plugin host could not start: {0}")]
    Host(String),
}

/// Why a hook call failed. The plugin's own message is kept where there is one.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum CallError {
    /// The plugin returned an error for input it refuses.
    #[error("the plugin refused the input: {0}")]
    InvalidInput(String),
    /// The plugin reported a temporary failure.
    #[error("the plugin is temporarily unable: {0}")]
    Unavailable(String),
    /// The plugin reported a failure.
    #[error("the plugin failed: {0}")]
    Failed(String),
    /// The plugin trapped (a panic, an out-of-bounds access, `unreachable`).
    #[error("the plugin crashed: {0}")]
    Trap(String),
    /// The plugin ran past its CPU deadline or wall-clock timeout.
    #[error("the plugin ran longer than its {0} ms limit")]
    Timeout(u64),
    /// The plugin tried to use more memory than allowed.
    #[error("the plugin ran out of its {0} MiB of memory")]
    Memory(u64),
    /// The plugin answered with something the host will not take.
    #[error("the plugin's answer was refused: {0}")]
    Output(String),
    /// The input was too large to hand to the plugin.
    #[error("the input is too large for a plugin: {0}")]
    Input(String),
    /// Too many calls to this plugin are running.
    #[error("the plugin is busy: {0} calls are already running")]
    Busy(usize),
    /// The plugin could not be started.
    #[error("the plugin could not start: {0}")]
    Instantiate(String),
}

impl CallError {
    /// Whether this counts against the plugin (toward disabling it): everything but
    /// refused input and a busy plugin.
    pub fn counts_against_plugin(&self) -> bool {
        !matches!(self, CallError::InvalidInput(_) | CallError::Busy(_))
    }

    /// Whether the same call may succeed later.
    pub fn is_retryable(&self) -> bool {
        !matches!(self, CallError::InvalidInput(_) | CallError::Input(_))
    }

    /// The stable name of the kind of failure.
    pub fn kind(&self) -> &'static str {
        match self {
            CallError::InvalidInput(_) => "invalid_input",
            CallError::Unavailable(_) => "unavailable",
            CallError::Failed(_) => "failed",
            CallError::Trap(_) => "trap",
            CallError::Timeout(_) => "timeout",
            CallError::Memory(_) => "memory",
            CallError::Output(_) => "output",
            CallError::Input(_) => "input",
            CallError::Busy(_) => "busy",
            CallError::Instantiate(_) => "instantiate",
        }
    }
}
