//! A real browser for the web UI tests: Debian's Chromium, headless, driven through
//! chromedriver over WebDriver. `.ci/run` installs both; `TRIAGE_CHROMIUM` and
//! `TRIAGE_CHROMEDRIVER` point elsewhere.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

/// How long a test waits for something to appear before failing.
pub const WAIT: Duration = Duration::from_secs(15);

/// A running chromedriver; killed when dropped.
#[derive(Debug)]
pub struct Driver {
    child: Child,
    url: String,
    profiles: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        // Asked to shut down, chromedriver also quits the browsers it started, even those
        // of a test that failed before closing its window; killing it would leave them.
        use std::io::Write;
        let address = self.url.trim_start_matches("http://");
        if let Ok(mut stream) = std::net::TcpStream::connect(address) {
            let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
            let _ = stream.write_all(
                format!("GET /shutdown HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            );
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

impl Driver {
    /// Starts chromedriver on a free port and waits until it answers.
    pub async fn start() -> anyhow::Result<Driver> {
        let binary =
            std::env::var("TRIAGE_CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        if !Path::new(&binary).exists() {
            bail!(
                "{binary} is missing: install Debian's chromium and chromium-driver \
                 (apt-get install -y chromium chromium-driver; .ci/run does) or set TRIAGE_CHROMEDRIVER"
            );
        }
        let port = free_port()?;
        let child = Command::new(&binary)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {binary}"))?;
        let driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
            profiles: tempfile::tempdir()?,
        };
        let http = reqwest::Client::new();
        let started = Instant::now();
        loop {
            if let Ok(r) = http.get(format!("{}/status", driver.url)).send().await
                && r.status().is_success()
            {
                return Ok(driver);
            }
            if started.elapsed() > WAIT {
                bail!("chromedriver did not start within {WAIT:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A new browser window with its own profile (cookies), pointed at `base`.
    pub async fn browser(&self, base: &str) -> anyhow::Result<Browser> {
        let chromium =
            std::env::var("TRIAGE_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let profile = tempfile::tempdir_in(self.profiles.path())?;
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--disable-dev-shm-usage", "--no-first-run",
                    "--window-size=1440,960", "--force-device-scale-factor=1",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            }),
        );
        // chromedriver listens on plain HTTP on this machine: no TLS to set up.
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&self.url)
            .await
            .context("opening a chromium session")?;
        Ok(Browser {
            client,
            base: base.trim_end_matches('/').to_string(),
            _profile: profile,
        })
    }
}

/// One browser window.
#[derive(Debug)]
pub struct Browser {
    pub client: Client,
    base: String,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Opens a path of the server.
    pub async fn goto(&self, path: &str) -> anyhow::Result<()> {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .with_context(|| format!("opening {path}"))
    }

    /// The current address, without the server part.
    pub async fn path(&self) -> anyhow::Result<String> {
        let url = self.client.current_url().await?;
        Ok(match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        })
    }

    /// Signs in through the sign-in form.
    pub async fn sign_in(&self, email: &str, password: &str) -> anyhow::Result<()> {
        self.goto("/sign-in").await?;
        self.fill("#email", email).await?;
        self.fill("#password", password).await?;
        self.click("form[action='/sign-in'] button[type=submit]")
            .await?;
        self.wait_js(
            "return !location.pathname.startsWith('/sign-in')",
            "leaving the sign-in page",
        )
        .await
    }

    /// Waits for an element and returns it.
    pub async fn find(&self, css: &str) -> anyhow::Result<fantoccini::elements::Element> {
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .with_context(|| format!("waiting for {css}"))
    }

    /// Types into a field (after clearing it).
    pub async fn fill(&self, css: &str, text: &str) -> anyhow::Result<()> {
        let e = self.find(css).await?;
        e.clear().await?;
        e.send_keys(text).await?;
        Ok(())
    }

    /// Types into a field without clearing it (keys as a person presses them).
    pub async fn type_keys(&self, css: &str, text: &str) -> anyhow::Result<()> {
        self.find(css).await?.send_keys(text).await?;
        Ok(())
    }

    /// Presses keys on whatever has the focus, one after another, as a person would.
    pub async fn press(&self, keys: &str) -> anyhow::Result<()> {
        use fantoccini::actions::{InputSource, KeyAction, KeyActions};
        let mut actions = KeyActions::new("keyboard".into());
        for c in keys.chars() {
            actions = actions
                .then(KeyAction::Down { value: c })
                .then(KeyAction::Up { value: c });
        }
        self.client.perform_actions(actions).await?;
        Ok(())
    }

    /// Clicks an element.
    pub async fn click(&self, css: &str) -> anyhow::Result<()> {
        self.find(css)
            .await?
            .click()
            .await
            .with_context(|| format!("clicking {css}"))
    }

    /// Chooses an option of a `<select>` by its visible text.
    pub async fn choose(&self, css: &str, label: &str) -> anyhow::Result<()> {
        self.find(css)
            .await?
            .select_by_label(label)
            .await
            .with_context(|| format!("choosing {label:?} in {css}"))
    }

    /// The visible text of an element.
    pub async fn text(&self, css: &str) -> anyhow::Result<String> {
        Ok(self.find(css).await?.text().await?)
    }

    /// Runs a script and returns its value.
    pub async fn js(&self, script: &str) -> anyhow::Result<Value> {
        Ok(self.client.execute(script, Vec::new()).await?)
    }

    /// Waits until a script returns true.
    pub async fn wait_js(&self, script: &str, what: &str) -> anyhow::Result<()> {
        let started = Instant::now();
        loop {
            if self.js(script).await? == Value::Bool(true) {
                return Ok(());
            }
            if started.elapsed() > WAIT {
                let path = self.path().await.unwrap_or_default();
                bail!("timed out waiting for {what} (at {path})");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until an element's text contains `needle`.
    pub async fn wait_text(&self, css: &str, needle: &str) -> anyhow::Result<()> {
        let script = format!(
            "const e = document.querySelector({}); return !!e && e.textContent.includes({});",
            json!(css),
            json!(needle)
        );
        self.wait_js(&script, &format!("{css} to contain {needle:?}"))
            .await
    }

    /// Saves a PNG of the window.
    pub async fn screenshot(&self, path: &Path) -> anyhow::Result<()> {
        let png = self.client.screenshot().await?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, png)?;
        Ok(())
    }

    /// Moves the focus off any field, so key presses go to the page.
    pub async fn blur(&self) -> anyhow::Result<()> {
        self.js("if (document.activeElement) document.activeElement.blur(); return true;")
            .await?;
        Ok(())
    }

    /// Closes the window.
    pub async fn close(self) -> anyhow::Result<()> {
        self.client.close().await?;
        Ok(())
    }
}
