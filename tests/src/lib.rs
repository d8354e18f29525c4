//! The harness of the end-to-end tests: a real server on `127.0.0.1:0` over a temporary
//! SQLite file, or a fresh PostgreSQL database when `TRIAGE_TEST_DATABASE_URL` is set.

pub mod browser;

use std::net::SocketAddr;

use anyhow::Context;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};
use triage_app::directory::NewUser;
use triage_app::{App, AppConfig};
use triage_server::{AppState, Config};

/// A running server and what a test needs to talk to it.
#[derive(Debug)]
pub struct TestServer {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The application behind the server, for setting up data.
    pub app: App,
    /// A client that keeps no cookies.
    pub http: reqwest::Client,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    search: Option<triage_app::search::SearchHandle>,
    live: Option<triage_app::live::LiveHandle>,
    automation: Option<triage_app::automation::AutomationHandle>,
    slas: Option<triage_app::sla::clocks::SlaHandle>,
    notifications: Option<triage_app::consumer::ConsumerHandle>,
    /// The data directory; removed when the server is dropped.
    pub dir: tempfile::TempDir,
}

impl TestServer {
    /// Starts a server with the default configuration.
    pub async fn start() -> anyhow::Result<TestServer> {
        TestServer::start_with(|_| {}).await
    }

    /// Starts a server after `adjust` has changed its configuration.
    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> anyhow::Result<TestServer> {
        let dir = tempfile::tempdir()?;
        let mut config = Config {
            data_dir: dir.path().to_path_buf(),
            ..Config::default()
        };
        config.database_url = triage_app::testing::test_database_url(dir.path()).await?;
        adjust(&mut config);
        let app = App::open(config.app_config())
            .await
            .context("opening the app")?;
        let search = app.start_search().await.context("starting search")?;
        let live = app.start_live().await.context("starting live updates")?;
        let automation = app
            .start_automation()
            .await
            .context("starting automation")?;
        let slas = app.start_slas().await.context("starting SLAs")?;
        let notifications = app
            .start_notifications()
            .await
            .context("starting notifications")?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr: SocketAddr = listener.local_addr()?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let state = AppState::new(app.clone(), config);
        let task = tokio::spawn(async move {
            let _ = triage_server::serve(listener, state, async {
                let _ = rx.await;
            })
            .await;
        });
        Ok(TestServer {
            base: format!("http://{addr}"),
            app,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()?,
            shutdown: Some(tx),
            task: Some(task),
            search: Some(search),
            live: Some(live),
            automation: Some(automation),
            slas: Some(slas),
            notifications: Some(notifications),
            dir,
        })
    }

    /// Stops the rules consumer; changes made meanwhile wait for [`TestServer::resume_rules`]
    /// and then arrive together, as a burst does.
    pub fn pause_rules(&mut self) {
        if let Some(automation) = self.automation.take() {
            automation.stop();
        }
    }

    /// Starts the rules consumer again where it stopped.
    pub async fn resume_rules(&mut self) -> anyhow::Result<()> {
        self.automation = Some(self.app.start_automation().await?);
        Ok(())
    }

    /// Waits until every change committed so far is searchable.
    pub async fn indexed(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.app
                .search_caught_up(std::time::Duration::from_secs(30))
                .await?,
            "the search index did not catch up"
        );
        Ok(())
    }

    /// Stops the server and hands over its data directory, for a test that starts the
    /// application again on the same data.
    pub async fn stop_keeping_data(mut self) -> anyhow::Result<tempfile::TempDir> {
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir()?);
        self.stop().await;
        Ok(dir)
    }

    /// Waits until the rules have handled every committed change, including the changes
    /// they made themselves.
    pub async fn automated(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.app
                .automation_caught_up(std::time::Duration::from_secs(30))
                .await?,
            "the rules did not catch up"
        );
        Ok(())
    }

    /// Waits until every ticket's SLA clocks follow every committed change.
    pub async fn slas_computed(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.app
                .slas_caught_up(std::time::Duration::from_secs(30))
                .await?,
            "the SLA clocks did not catch up"
        );
        Ok(())
    }

    /// Waits until agents' notifications follow every committed change.
    pub async fn notified(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.app
                .consumer_caught_up(
                    triage_app::notify::CONSUMER,
                    std::time::Duration::from_secs(30)
                )
                .await?,
            "the notifications did not catch up"
        );
        Ok(())
    }

    /// Stops the server, letting requests in flight finish.
    pub async fn stop(mut self) {
        if let Some(slas) = self.slas.take() {
            slas.stop();
        }
        if let Some(n) = self.notifications.take() {
            n.stop();
        }
        if let Some(automation) = self.automation.take() {
            automation.stop();
        }
        if let Some(search) = self.search.take() {
            search.stop();
        }
        if let Some(live) = self.live.take() {
            live.stop();
        }
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// The configuration for another App over the same database (a second process).
    pub fn app_config(&self) -> AppConfig {
        self.app.config().clone()
    }

    /// Creates a user directly and returns it with an API token.
    pub async fn user(&self, role: &str, email: &str) -> anyhow::Result<Client> {
        let system = App::system_actor();
        let password = format!("{email}-password");
        let user = self
            .app
            .create_user(
                &system,
                NewUser {
                    email: email.into(),
                    name: email.split('@').next().unwrap_or("user").replace('.', " "),
                    role: role.into(),
                    password: Some(password.clone()),
                    organization_id: None,
                },
            )
            .await?;
        let (_, token) = self.app.create_token(&system, user.id, "tests").await?;
        Ok(Client {
            base: self.base.clone(),
            http: self.http.clone(),
            token: Some(token),
            user_id: user.id,
            email: user.email,
            password,
        })
    }

    /// A client without credentials.
    pub fn anonymous(&self) -> Client {
        Client {
            base: self.base.clone(),
            http: self.http.clone(),
            token: None,
            user_id: 0,
            email: String::new(),
            password: String::new(),
        }
    }

    /// Creates a group with these members.
    pub async fn group(&self, name: &str, members: &[i64]) -> anyhow::Result<i64> {
        let (g, _) = self
            .app
            .create_group(
                &App::system_actor(),
                triage_app::directory::GroupInput {
                    name: Some(name.into()),
                    description: None,
                    member_ids: Some(members.to_vec()),
                },
            )
            .await?;
        Ok(g.id)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(slas) = self.slas.take() {
            slas.stop();
        }
        if let Some(n) = self.notifications.take() {
            n.stop();
        }
        if let Some(automation) = self.automation.take() {
            automation.stop();
        }
        if let Some(search) = self.search.take() {
            search.stop();
        }
        if let Some(live) = self.live.take() {
            live.stop();
        }
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A client acting as one user through an API token.
#[derive(Debug, Clone)]
pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
    pub token: Option<String>,
    pub user_id: i64,
    pub email: String,
    pub password: String,
}

/// A response read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    async fn read(r: Response) -> anyhow::Result<Reply> {
        let status = r.status();
        let headers = r.headers().clone();
        let text = r.text().await?;
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok(Reply {
            status,
            headers,
            body,
            text,
        })
    }

    /// Fails the test unless the status is `expected`, showing the body.
    pub fn expect(self, expected: u16) -> anyhow::Result<Reply> {
        if self.status.as_u16() != expected {
            anyhow::bail!("expected {expected}, got {}: {}", self.status, self.text);
        }
        Ok(self)
    }

    /// The stable error code of a problem+json body.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
}

impl Client {
    /// A request with this client's credentials.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let r = self.http.request(method, format!("{}{}", self.base, path));
        match &self.token {
            Some(t) => r.bearer_auth(t),
            None => r,
        }
    }

    /// Sends a request and reads the reply.
    pub async fn send(&self, r: RequestBuilder) -> anyhow::Result<Reply> {
        Reply::read(r.send().await?).await
    }

    pub async fn get(&self, path: &str) -> anyhow::Result<Reply> {
        self.send(self.request(Method::GET, path)).await
    }

    pub async fn post(&self, path: &str, body: Value) -> anyhow::Result<Reply> {
        self.send(self.request(Method::POST, path).json(&body))
            .await
    }

    pub async fn patch(&self, path: &str, body: Value) -> anyhow::Result<Reply> {
        self.send(self.request(Method::PATCH, path).json(&body))
            .await
    }

    pub async fn delete(&self, path: &str) -> anyhow::Result<Reply> {
        self.send(self.request(Method::DELETE, path)).await
    }

    /// The bodies of the messages of a ticket this client may read, in order.
    pub async fn message_bodies(&self, ticket: i64) -> anyhow::Result<Vec<String>> {
        let reply = self
            .get(&format!("/api/v1/tickets/{ticket}/messages"))
            .await?
            .expect(200)?;
        Ok(reply
            .body
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| m["body"].as_str().map(str::to_string))
            .collect())
    }

    /// Opens a ticket and returns its body.
    pub async fn ticket(&self, body: Value) -> anyhow::Result<Value> {
        Ok(self.post("/api/v1/tickets", body).await?.expect(201)?.body)
    }

    /// Opens a ticket for `requester` in `group` and returns its number.
    pub async fn ticket_for(
        &self,
        requester: &str,
        group: i64,
        subject: &str,
    ) -> anyhow::Result<i64> {
        let t = self
            .ticket(json!({"subject": subject, "body": format!("{subject}: details"), "requester": {"email": requester}, "group_id": group}))
            .await?;
        t["id"].as_i64().context("ticket id")
    }
}

/// A plugin package built from `plugins/<dir>` (built once per test process).
pub fn plugin_package(dir: &str) -> anyhow::Result<Vec<u8>> {
    static BUILT: std::sync::Mutex<Vec<(String, Vec<u8>)>> = std::sync::Mutex::new(Vec::new());
    let mut built = BUILT
        .lock()
        .map_err(|_| anyhow::anyhow!("a plugin build panicked"))?;
    if let Some((_, bytes)) = built.iter().find(|(d, _)| d == dir) {
        return Ok(bytes.clone());
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins");
    // Never the target directory of the run itself, which cargo may hold locked.
    let target = std::env::var_os("TRIAGE_PLUGINS_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins/target")
        });
    let bytes = triage_app::plugins::builder::pack_dir(&root.join(dir), Some(&target))
        .with_context(|| format!("building plugins/{dir}"))?;
    built.push((dir.to_string(), bytes.clone()));
    Ok(bytes)
}

/// The same package with its manifest rewritten by `edit` (a test-only variant, such as
/// one that may call a local listener).
pub fn repack(package: &[u8], edit: impl FnOnce(String) -> String) -> anyhow::Result<Vec<u8>> {
    let p = triage_app::plugins::Package::read(package)?;
    Ok(triage_app::plugins::Package::pack(
        &edit(p.manifest_text),
        &p.wasm,
    )?)
}

/// One request a [`Listener`] received.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Received {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// A local HTTP server that records every request and answers with a fixed status: the
/// other side of a plugin's outbound calls.
#[derive(Debug)]
pub struct Listener {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    received: tokio::sync::Mutex<tokio::sync::mpsc::UnboundedReceiver<Received>>,
    status: std::sync::Arc<std::sync::atomic::AtomicU16>,
    body: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Listener {
    /// Starts a listener answering 200.
    pub async fn start() -> anyhow::Result<Listener> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let status = std::sync::Arc::new(std::sync::atomic::AtomicU16::new(200));
        let answer = status.clone();
        let body = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let reply_body = body.clone();
        let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
            let tx = tx.clone();
            let answer = answer.clone();
            let reply_body = reply_body.clone();
            async move {
                let (parts, body) = req.into_parts();
                let body = axum::body::to_bytes(body, 16 << 20)
                    .await
                    .map(|b| b.to_vec())
                    .unwrap_or_default();
                let _ = tx.send(Received {
                    method: parts.method.to_string(),
                    path: parts.uri.path().to_string(),
                    headers: parts
                        .headers
                        .iter()
                        .map(|(k, v)| {
                            (
                                k.to_string(),
                                String::from_utf8_lossy(v.as_bytes()).into_owned(),
                            )
                        })
                        .collect(),
                    body,
                });
                let code = answer.load(std::sync::atomic::Ordering::Relaxed);
                let reply = reply_body.lock().map(|b| b.clone()).unwrap_or_default();
                (
                    axum::http::StatusCode::from_u16(code).unwrap_or(axum::http::StatusCode::OK),
                    reply,
                )
            }
        });
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Listener {
            base,
            received: tokio::sync::Mutex::new(rx),
            status,
            body,
            task,
        })
    }

    /// Answers every later request with `status`.
    pub fn answer(&self, status: u16) {
        self.status
            .store(status, std::sync::atomic::Ordering::Relaxed);
    }

    /// Answers every later request with `status` and `body`.
    pub fn answer_with(&self, status: u16, body: &[u8]) {
        self.answer(status);
        if let Ok(mut b) = self.body.lock() {
            *b = body.to_vec();
        }
    }

    /// The next request, waiting up to 20 seconds.
    pub async fn next(&self) -> anyhow::Result<Received> {
        let mut rx = self.received.lock().await;
        tokio::time::timeout(std::time::Duration::from_secs(20), rx.recv())
            .await
            .context("no request reached the listener")?
            .context("the listener stopped")
    }

    /// Whether a request arrives within `wait`.
    pub async fn quiet_for(&self, wait: std::time::Duration) -> bool {
        let mut rx = self.received.lock().await;
        tokio::time::timeout(wait, rx.recv()).await.is_err()
    }
}
