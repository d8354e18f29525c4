//! Configuration in layers: defaults, then `triage.toml`, then `TRIAGE_*` environment
//! variables, then command-line flags.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// Everything the server reads at start.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The data directory: the SQLite file, attachments, later the search index.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; empty means the SQLite file in `data_dir`.
    pub database_url: String,
    /// The largest attachment accepted, in MiB.
    pub max_attachment_mb: u64,
    /// How long a browser session lasts, in hours.
    pub session_hours: i64,
    /// Mark session cookies `Secure` (serve behind HTTPS).
    pub secure_cookies: bool,
    /// Sign-in attempts allowed per minute, per client address and per email.
    pub sign_in_per_minute: u32,
    /// `text` or `json` logs.
    pub log_format: String,
    /// The address people open, for the links the server prints.
    pub public_url: String,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("database_url", &redact_url(&self.database_url))
            .field("max_attachment_mb", &self.max_attachment_mb)
            .field("session_hours", &self.session_hours)
            .field("secure_cookies", &self.secure_cookies)
            .field("sign_in_per_minute", &self.sign_in_per_minute)
            .field("log_format", &self.log_format)
            .field("public_url", &self.public_url)
            .finish()
    }
}

/// A database URL with its password replaced by `***`.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..scheme + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("./data"),
            database_url: String::new(),
            max_attachment_mb: 25,
            session_hours: 24 * 14,
            secure_cookies: false,
            sign_in_per_minute: 10,
            log_format: "text".into(),
            public_url: String::new(),
        }
    }
}

impl Config {
    /// Reads defaults, then `file` (or `./triage.toml` if it exists), then `TRIAGE_*`.
    pub fn load(file: Option<&Path>) -> Result<Config, Box<figment::Error>> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(path) => figment = figment.merge(Toml::file_exact(path)),
            None => figment = figment.merge(Toml::file("triage.toml")),
        }
        // TRIAGE_CONFIG, TRIAGE_LOG, TRIAGE_TEST_DATABASE_URL and TRIAGE_PLUGINS_TARGET_DIR
        // (where tests and benchmarks build plugins) are read elsewhere.
        let env = Env::prefixed("TRIAGE_").filter(|key| {
            !["config", "log", "test_database_url", "plugins_target_dir"]
                .iter()
                .any(|other| key.as_str().eq_ignore_ascii_case(other))
        });
        figment.merge(env).extract().map_err(Box::new)
    }

    /// The database URL in force.
    pub fn database_url(&self) -> String {
        if self.database_url.is_empty() {
            format!("sqlite://{}", self.data_dir.join("triage.db").display())
        } else {
            self.database_url.clone()
        }
    }

    /// The address to print for people to open.
    pub fn public_url(&self) -> String {
        if self.public_url.is_empty() {
            format!("http://{}", self.listen)
        } else {
            self.public_url.trim_end_matches('/').to_string()
        }
    }

    /// The application configuration this implies.
    pub fn app_config(&self) -> triage_app::AppConfig {
        let mut c = triage_app::AppConfig::for_data_dir(&self.data_dir);
        c.database_url = self.database_url();
        c.max_attachment_bytes = self.max_attachment_mb * 1024 * 1024;
        c.session_ttl_secs = self.session_hours * 3600;
        c.public_url = self.public_url();
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://u:secret@db:5432/t"),
            "postgres://u:***@db:5432/t"
        );
        assert_eq!(
            redact_url("postgres://postgres@127.0.0.1/test"),
            "postgres://postgres@127.0.0.1/test"
        );
        assert_eq!(
            redact_url("sqlite://./data/triage.db"),
            "sqlite://./data/triage.db"
        );
    }

    #[test]
    #[allow(clippy::result_large_err)]
    fn layers_apply_in_order() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("triage.toml", "max_attachment_mb = 5\nsession_hours = 1")?;
            jail.set_env("TRIAGE_SESSION_HOURS", "2");
            jail.set_env("TRIAGE_LOG", "debug");
            jail.set_env("TRIAGE_TEST_DATABASE_URL", "postgres://elsewhere/test");
            jail.set_env("TRIAGE_PLUGINS_TARGET_DIR", "/tmp/plugins");
            let c = Config::load(None).map_err(|e| e.to_string())?;
            assert_eq!(c.max_attachment_mb, 5);
            assert_eq!(c.session_hours, 2);
            assert_eq!(c.listen.port(), 8080);
            Ok(())
        });
    }
}
