//! The bounds every rule runs within.

use std::time::Duration;

/// What one run of a rule may use. A run that reaches a bound stops with an error; the
/// change that triggered it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Operations (rhai's unit of work: an expression, a statement, a loop turn).
    pub max_operations: u64,
    /// Nested function calls.
    pub max_call_levels: usize,
    /// Nesting of expressions at the top level of the script.
    pub max_expr_depth: usize,
    /// Nesting of expressions inside functions.
    pub max_fn_expr_depth: usize,
    /// The longest string, in bytes.
    pub max_string_bytes: usize,
    /// The longest array.
    pub max_array_len: usize,
    /// The largest object map.
    pub max_map_len: usize,
    /// Wall-clock time for one run.
    pub deadline: Duration,
    /// The most actions one run may ask for.
    pub max_actions: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_operations: 200_000,
            max_call_levels: 32,
            max_expr_depth: 64,
            max_fn_expr_depth: 32,
            max_string_bytes: 256 * 1024,
            max_array_len: 10_000,
            max_map_len: 10_000,
            deadline: Duration::from_millis(100),
            max_actions: 100,
        }
    }
}
