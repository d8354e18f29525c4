//! The real `triage` binary as a process: SIGTERM lets requests in flight finish, and a
//! kill -9 loses no acknowledged write.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use triage_app::{App, AppConfig};

fn triage(dir: &std::path::Path, url: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_triage"));
    c.arg("--data-dir")
        .arg(dir)
        .env("TRIAGE_DATABASE_URL", url)
        .env("TRIAGE_LOG", "warn");
    c
}

struct Running {
    dir: tempfile::TempDir,
    url: String,
    token: String,
    base: String,
    server: std::process::Child,
    http: reqwest::Client,
}

async fn start() -> anyhow::Result<Running> {
    let dir = tempfile::tempdir()?;
    let url = triage_app::testing::test_database_url(dir.path()).await?;
    let mut create = triage(dir.path(), &url)
        .args([
            "user",
            "create",
            "--email",
            "ops@helpdesk.example",
            "--name",
            "Ops",
            "--role",
            "admin",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()?;
    create
        .stdin
        .take()
        .map(|mut s| s.write_all(b"a long enough password"))
        .transpose()?;
    assert!(create.wait()?.success());
    let token = triage(dir.path(), &url)
        .args([
            "token",
            "create",
            "--user",
            "ops@helpdesk.example",
            "--name",
            "t",
        ])
        .output()?;
    assert!(token.status.success());
    let token = String::from_utf8(token.stdout)?.trim().to_string();
    assert!(token.starts_with("trg_"), "{token}");

    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let server = triage(dir.path(), &url)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::piped())
        .spawn()?;
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let mut ready = false;
    for _ in 0..200 {
        if http
            .get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(ready, "the server never became ready");
    Ok(Running {
        dir,
        url,
        token,
        base,
        server,
        http,
    })
}

async fn reopen(r: &Running) -> anyhow::Result<App> {
    let mut config = AppConfig::for_data_dir(r.dir.path());
    config.database_url = r.url.clone();
    Ok(App::open(config).await?)
}

#[tokio::test]
async fn sigterm_finishes_the_request_in_flight_then_exits() -> anyhow::Result<()> {
    let Running {
        dir,
        url,
        token,
        base,
        mut server,
        http,
    } = start().await?;

    // A create whose body arrives in two parts, with SIGTERM sent in between.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(2);
    let body = reqwest::Body::wrap_stream(futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|c| (c, rx))
    }));
    let request = http
        .post(format!("{base}/api/v1/tickets"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(body)
        .send();
    let in_flight = tokio::spawn(request);
    tx.send(Ok(br#"{"subject": "Sent during shutdown", "#.to_vec()))
        .await?;
    // Give the server the request's head, so it is in flight, before the signal.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let killed = Command::new("kill")
        .arg("-TERM")
        .arg(server.id().to_string())
        .status()?;
    assert!(killed.success());
    tokio::time::sleep(Duration::from_millis(200)).await;
    tx.send(Ok(
        br#""body": "the rest", "requester": {"email": "c@c.example"}}"#.to_vec(),
    ))
    .await?;
    drop(tx);
    let response = in_flight.await??;
    assert_eq!(
        response.status(),
        201,
        "{}",
        response.text().await.unwrap_or_default()
    );

    let mut exited = None;
    for _ in 0..200 {
        if let Some(status) = server.try_wait()? {
            exited = Some(status);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let status = exited.ok_or_else(|| anyhow::anyhow!("the server did not exit after SIGTERM"))?;
    assert!(status.success(), "{status}");
    assert!(
        http.get(format!("{base}/healthz")).send().await.is_err(),
        "still answering after exit"
    );

    // Keep the data directory until the end: it is removed when `stopped` is dropped.
    let stopped = Running {
        dir,
        url,
        token,
        base,
        server,
        http,
    };
    let app = reopen(&stopped).await?;
    let page = app
        .list_tickets(&App::system_actor(), Default::default())
        .await?;
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].ticket.subject, "Sent during shutdown");
    Ok(())
}

#[tokio::test]
async fn a_kill_9_loses_no_acknowledged_ticket() -> anyhow::Result<()> {
    let mut running = start().await?;
    let mut tasks = Vec::new();
    for i in 0..40 {
        let (http, base, token) = (
            running.http.clone(),
            running.base.clone(),
            running.token.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let r = http
                .post(format!("{base}/api/v1/tickets"))
                .bearer_auth(&token)
                .json(&serde_json::json!({"subject": format!("Acknowledged {i}"), "body": "x", "requester": {"email": "c@c.example"}}))
                .send()
                .await?;
            anyhow::ensure!(r.status() == 201, "create answered {}", r.status());
            let body: serde_json::Value = r.json().await?;
            body["id"].as_i64().ok_or_else(|| anyhow::anyhow!("no id"))
        }));
    }
    let mut acknowledged = Vec::new();
    for t in tasks {
        acknowledged.push(t.await??);
    }
    running.server.kill()?;
    running.server.wait()?;
    let app = reopen(&running).await?;
    for id in acknowledged {
        let ticket = app.get_ticket(&App::system_actor(), id).await?;
        assert!(ticket.ticket.subject.starts_with("Acknowledged"));
    }
    Ok(())
}

#[tokio::test]
async fn a_kill_9_while_indexing_leaves_an_index_that_catches_up_exactly() -> anyhow::Result<()> {
    let mut running = start().await?;
    // Writers keep creating and updating tickets while the server is killed.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..4 {
        let (http, base, token, stop) = (
            running.http.clone(),
            running.base.clone(),
            running.token.clone(),
            stop.clone(),
        );
        writers.push(tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                i += 1;
                let created = http
                    .post(format!("{base}/api/v1/tickets"))
                    .bearer_auth(&token)
                    .json(&serde_json::json!({"subject": format!("Crash case {w}-{i}"), "body": "indexed while killed", "requester": {"email": "c@c.example"}}))
                    .send()
                    .await;
                let Ok(created) = created else { break };
                let Ok(body) = created.json::<serde_json::Value>().await else { break };
                if let Some(id) = body["id"].as_i64() {
                    let _ = http
                        .patch(format!("{base}/api/v1/tickets/{id}"))
                        .bearer_auth(&token)
                        .json(&serde_json::json!({"priority": "high", "tags": ["updated"]}))
                        .send()
                        .await;
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    running.server.kill()?;
    running.server.wait()?;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for w in writers {
        w.await?;
    }
    // The next start resumes from the checkpoint in the index and catches up.
    let app = reopen(&running).await?;
    let search = app.start_search().await?;
    assert!(app.search_caught_up(Duration::from_secs(60)).await?);
    let check = app.check_search_index().await?;
    search.stop();
    assert!(check.indexed > 0);
    assert!(check.consistent(), "{check:?}");
    assert_eq!(check.position, check.log_head);
    Ok(())
}

/// How many tickets a search for `q` finds through the API.
async fn found(r: &Running, q: &str) -> anyhow::Result<u64> {
    let v: serde_json::Value = r
        .http
        .get(format!("{}/api/v1/search", r.base))
        .query(&[("q", q)])
        .bearer_auth(&r.token)
        .send()
        .await?
        .json()
        .await?;
    v["total"]
        .as_u64()
        .ok_or_else(|| anyhow::anyhow!("no total in {v}"))
}

#[tokio::test]
async fn triage_reindex_checks_and_rebuilds_beside_a_running_server() -> anyhow::Result<()> {
    let mut running = start().await?;
    for i in 0..20 {
        let r = running
            .http
            .post(format!("{}/api/v1/tickets", running.base))
            .bearer_auth(&running.token)
            .json(&serde_json::json!({"subject": format!("Reindexed case {i}"), "body": "pelican", "requester": {"email": "c@c.example"}}))
            .send()
            .await?;
        anyhow::ensure!(r.status() == 201, "create answered {}", r.status());
    }
    let mut seen = 0;
    for _ in 0..500 {
        seen = found(&running, "pelican").await?;
        if seen == 20 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(seen, 20);

    // The check reads the index the server writes, without stopping it.
    let check = triage(running.dir.path(), &running.url)
        .args(["reindex", "--check"])
        .output()?;
    let said = String::from_utf8_lossy(&check.stdout);
    assert!(check.status.success(), "{said}");
    assert!(said.contains("index and database agree"), "{said}");

    // A rebuild beside it; the server switches over and keeps finding everything.
    let rebuild = triage(running.dir.path(), &running.url)
        .arg("reindex")
        .output()?;
    let said = String::from_utf8_lossy(&rebuild.stdout);
    assert!(rebuild.status.success(), "{said}");
    assert!(said.contains("indexed 20 tickets"), "{said}");
    for _ in 0..50 {
        assert_eq!(found(&running, "pelican").await?, 20);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let check = triage(running.dir.path(), &running.url)
        .args(["reindex", "--check"])
        .output()?;
    running.server.kill()?;
    running.server.wait()?;
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    Ok(())
}
