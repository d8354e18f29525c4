//! What one hook call's instance holds: the plugin's grants and settings, its limits,
//! and the host imports, each checked against the grants on every call.

use std::sync::Arc;
use std::time::Instant;

use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::grants::{Grants, Limits, Settings};
use crate::net::Outbound;
use crate::services::{ServiceError, Services};
use crate::types::{HostError, LogLevel, Message, OutgoingMail, Ticket, Value};
use crate::v0_1::triage::plugin::http;

/// The longest log line kept; longer ones are cut.
pub const MAX_LOG_LINE: usize = 4_096;
/// Log lines kept per call; later ones are counted and summarised.
pub const MAX_LOG_LINES: u32 = 50;
/// The longest key-value key.
pub const MAX_KV_KEY: usize = 512;
/// The largest key-value value.
pub const MAX_KV_VALUE: usize = 1 << 20;
/// The most results a ticket read returns.
pub const MAX_TICKET_RESULTS: u32 = 100;
/// Outbound HTTP requests per call.
pub const MAX_HTTP_PER_CALL: u32 = 10;
/// Mails per call.
pub const MAX_MAIL_PER_CALL: u32 = 5;
/// What a plugin writes to stdout and stderr that is kept for its log.
pub const MAX_STDIO: usize = 16 << 10;

/// Everything about a loaded plugin that its calls share.
#[derive(Debug)]
pub(crate) struct Context {
    pub id: String,
    pub grants: Grants,
    pub settings: Settings,
    pub limits: Limits,
    pub services: Arc<dyn Services>,
    pub outbound: Outbound,
}

impl std::fmt::Debug for dyn Services {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Services")
    }
}

/// Memory accounting for one instance.
#[derive(Debug)]
pub(crate) struct Memory {
    pub limit: usize,
    pub hit: bool,
}

impl ResourceLimiter for Memory {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.limit {
            self.hit = true;
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}

/// One call's store data.
pub(crate) struct State {
    pub ctx: Arc<Context>,
    pub memory: Memory,
    pub started: Instant,
    pub ticks: u64,
    pub wasi: WasiCtx,
    pub table: ResourceTable,
    pub stdout: MemoryOutputPipe,
    log_lines: u32,
    http_calls: u32,
    mails: u32,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("plugin", &self.ctx.id)
            .finish()
    }
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

fn service_error(e: ServiceError) -> HostError {
    match e {
        ServiceError::QuotaExceeded(m) => HostError::QuotaExceeded(m),
        ServiceError::Invalid(m) => HostError::Invalid(m),
        ServiceError::Unavailable(m) => HostError::Unavailable(m),
    }
}

fn cut(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

impl State {
    pub(crate) fn new(ctx: Arc<Context>) -> State {
        let stdout = MemoryOutputPipe::new(MAX_STDIO);
        let wasi = wasmtime_wasi::WasiCtxBuilder::new()
            .stdout(stdout.clone())
            .stderr(stdout.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        let limit = ctx.limits.memory_mb as usize * (1 << 20);
        State {
            ctx,
            memory: Memory { limit, hit: false },
            started: Instant::now(),
            ticks: 0,
            wasi,
            table: ResourceTable::new(),
            stdout,
            log_lines: 0,
            http_calls: 0,
            mails: 0,
        }
    }

    /// Writes what the plugin printed to stdout or stderr into its log.
    pub(crate) fn flush_stdio(&mut self) {
        let printed = self.stdout.contents();
        if printed.is_empty() {
            return;
        }
        let text = String::from_utf8_lossy(&printed);
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            self.write_log(LogLevel::Warn, line);
        }
    }

    pub(crate) fn write_log(&mut self, level: LogLevel, message: &str) {
        self.log_lines += 1;
        if self.log_lines > MAX_LOG_LINES {
            if self.log_lines == MAX_LOG_LINES + 1 {
                self.ctx.services.log(
                    &self.ctx.id,
                    LogLevel::Warn,
                    &format!(
                        "more than {MAX_LOG_LINES} log lines in one call; the rest are dropped"
                    ),
                );
            }
            return;
        }
        self.ctx
            .services
            .log(&self.ctx.id, level, cut(message, MAX_LOG_LINE));
    }

    fn kv_quota(&self) -> Result<u64, HostError> {
        match self.ctx.grants.kv {
            0 => Err(HostError::Denied(
                "key-value storage was not granted (capability kv)".into(),
            )),
            q => Ok(q),
        }
    }

    fn check_key(key: &str) -> Result<(), HostError> {
        if key.is_empty() || key.len() > MAX_KV_KEY {
            return Err(HostError::Invalid(format!(
                "a key is 1 to {MAX_KV_KEY} bytes"
            )));
        }
        Ok(())
    }

    pub(crate) async fn kv_get(&mut self, key: &str) -> Result<Option<Vec<u8>>, HostError> {
        self.kv_quota()?;
        Self::check_key(key)?;
        self.ctx
            .services
            .kv_get(&self.ctx.id, key)
            .await
            .map_err(service_error)
    }

    pub(crate) async fn kv_set(&mut self, key: &str, value: Vec<u8>) -> Result<(), HostError> {
        let quota = self.kv_quota()?;
        Self::check_key(key)?;
        if value.len() > MAX_KV_VALUE {
            return Err(HostError::TooLarge);
        }
        self.ctx
            .services
            .kv_set(&self.ctx.id, key, value, quota)
            .await
            .map_err(service_error)
    }

    pub(crate) async fn kv_delete(&mut self, key: &str) -> Result<bool, HostError> {
        self.kv_quota()?;
        Self::check_key(key)?;
        self.ctx
            .services
            .kv_delete(&self.ctx.id, key)
            .await
            .map_err(service_error)
    }

    pub(crate) async fn kv_keys(
        &mut self,
        prefix: &str,
        limit: u32,
    ) -> Result<Vec<String>, HostError> {
        self.kv_quota()?;
        self.ctx
            .services
            .kv_keys(&self.ctx.id, prefix, limit.min(1_000))
            .await
            .map_err(service_error)
    }

    pub(crate) fn setting_value(&self, key: &str) -> Option<Value> {
        let value = self.ctx.settings.values.get(key)?;
        json_value(value)
    }

    pub(crate) fn secret_value(&self, key: &str) -> Result<Option<String>, HostError> {
        if !self.ctx.grants.secrets.iter().any(|s| s == key) {
            return Err(HostError::Denied(format!(
                "the secret {key:?} was not granted (capability secrets)"
            )));
        }
        Ok(self.ctx.settings.secrets.get(key).cloned())
    }

    fn tickets_granted(&self) -> Result<(), HostError> {
        if !self.ctx.grants.tickets {
            return Err(HostError::Denied(
                "reading tickets was not granted (capability tickets)".into(),
            ));
        }
        Ok(())
    }

    pub(crate) async fn read_ticket(&mut self, id: u64) -> Result<Option<Ticket>, HostError> {
        self.tickets_granted()?;
        self.ctx.services.ticket(id).await.map_err(service_error)
    }

    pub(crate) async fn read_messages(
        &mut self,
        id: u64,
        limit: u32,
    ) -> Result<Vec<Message>, HostError> {
        self.tickets_granted()?;
        self.ctx
            .services
            .messages(id, limit.min(MAX_TICKET_RESULTS))
            .await
            .map_err(service_error)
    }

    pub(crate) async fn run_search(
        &mut self,
        query: &str,
        limit: u32,
    ) -> Result<Vec<Ticket>, HostError> {
        self.tickets_granted()?;
        self.ctx
            .services
            .search(query, limit.min(MAX_TICKET_RESULTS))
            .await
            .map_err(service_error)
    }

    pub(crate) async fn run_count(&mut self, query: &str) -> Result<u64, HostError> {
        self.tickets_granted()?;
        self.ctx.services.count(query).await.map_err(service_error)
    }

    /// Time left of the hook's wall-clock timeout.
    fn remaining(&self) -> std::time::Duration {
        let total = std::time::Duration::from_millis(u64::from(self.ctx.limits.timeout_ms));
        total.saturating_sub(self.started.elapsed())
    }

    pub(crate) async fn send_http(
        &mut self,
        request: http::Request,
    ) -> Result<http::Response, HostError> {
        if self.ctx.grants.http.is_empty() {
            return Err(HostError::Denied(
                "outbound HTTP was not granted (capability http)".into(),
            ));
        }
        self.http_calls += 1;
        if self.http_calls > MAX_HTTP_PER_CALL {
            return Err(HostError::Denied(format!(
                "at most {MAX_HTTP_PER_CALL} HTTP requests per call"
            )));
        }
        let mut budget = self.remaining();
        if let Some(ms) = request.timeout_ms {
            budget = budget.min(std::time::Duration::from_millis(u64::from(ms)));
        }
        let outcome = self
            .ctx
            .outbound
            .send(&self.ctx.grants, request, budget)
            .await;
        if let Err(HostError::Denied(why)) = &outcome {
            let why = why.clone();
            self.write_log(LogLevel::Warn, &format!("HTTP request refused: {why}"));
        }
        outcome
    }

    pub(crate) async fn send_mail(&mut self, mail: OutgoingMail) -> Result<String, HostError> {
        if !self.ctx.grants.mail {
            return Err(HostError::Denied(
                "sending mail was not granted (capability mail)".into(),
            ));
        }
        self.mails += 1;
        if self.mails > MAX_MAIL_PER_CALL {
            return Err(HostError::Denied(format!(
                "at most {MAX_MAIL_PER_CALL} mails per call"
            )));
        }
        if mail.to.is_empty() || mail.to.len() > 50 {
            return Err(HostError::Invalid(
                "a mail goes to 1 to 50 addresses".into(),
            ));
        }
        self.ctx
            .services
            .send_mail(&self.ctx.id, mail)
            .await
            .map_err(service_error)
    }
}

/// A setting's JSON value as a contract value; `null` and objects are not settings.
pub(crate) fn json_value(value: &serde_json::Value) -> Option<Value> {
    match value {
        serde_json::Value::String(s) => Some(Value::Text(s.clone())),
        serde_json::Value::Number(n) => n.as_f64().map(Value::Number),
        serde_json::Value::Bool(b) => Some(Value::Flag(*b)),
        serde_json::Value::Array(items) => Some(Value::Items(
            items
                .iter()
                .map(|i| match i {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect(),
        )),
        _ => None,
    }
}
