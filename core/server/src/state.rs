//! What every handler can reach.

use std::num::NonZeroU32;
use std::sync::Arc;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use triage_app::App;

use crate::config::Config;

/// Shared state of the HTTP layer.
#[derive(Debug, Clone)]
pub struct AppState {
    pub app: App,
    pub config: Arc<Config>,
    pub sign_in_limiter: Arc<DefaultKeyedRateLimiter<String>>,
}

impl AppState {
    /// State for `app` under `config`.
    pub fn new(app: App, config: Config) -> AppState {
        let per_minute =
            NonZeroU32::new(config.sign_in_per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        AppState {
            app,
            sign_in_limiter: Arc::new(RateLimiter::keyed(Quota::per_minute(per_minute))),
            config: Arc::new(config),
        }
    }
}
