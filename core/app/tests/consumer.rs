//! Consumers follow the event log from a checkpoint stored in the database, and resume
//! there after a restart.

use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use triage_app::consumer::{Consumer, Event};
use triage_app::directory::NewUser;
use triage_app::tickets::{NewTicket, RequesterRef};
use triage_app::{App, AppConfig, AppResult, Ctx};

#[derive(Default)]
struct Recorder {
    seen: Mutex<Vec<(i64, String)>>,
}

impl Consumer for Recorder {
    fn name(&self) -> &str {
        "test-recorder"
    }

    fn handle<'a>(&'a self, events: &'a [Event]) -> BoxFuture<'a, AppResult<()>> {
        Box::pin(async move {
            if let Ok(mut seen) = self.seen.lock() {
                seen.extend(events.iter().map(|e| (e.id, e.kind.clone())));
            }
            Ok(())
        })
    }
}

async fn open(dir: &tempfile::TempDir, url: &str) -> anyhow::Result<App> {
    let mut config = AppConfig::for_data_dir(dir.path());
    config.database_url = url.to_string();
    Ok(App::open(config).await?)
}

async fn ticket(app: &App, ctx: &Ctx, subject: &str) -> anyhow::Result<()> {
    let new = NewTicket {
        subject: subject.into(),
        body_text: Some("body".into()),
        requester: Some(RequesterRef::Email {
            email: "c@c.example".into(),
            name: None,
        }),
        ..NewTicket::default()
    };
    app.create_ticket(ctx, new, None).await?;
    Ok(())
}

#[tokio::test]
async fn a_consumer_resumes_from_its_checkpoint_after_a_restart() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = triage_app::testing::test_database_url(dir.path()).await?;
    let app = open(&dir, &url).await?;
    let admin = app
        .create_user(
            &App::system_actor(),
            NewUser {
                email: "a@helpdesk.example".into(),
                name: "A".into(),
                role: "admin".into(),
                password: None,
                organization_id: None,
            },
        )
        .await?;
    let ctx = Ctx::api(app.actor_for(&admin).await?);
    ticket(&app, &ctx, "one").await?;
    ticket(&app, &ctx, "two").await?;

    let first = Recorder::default();
    assert_eq!(app.run_consumer_once(&first).await?, 4);
    let kinds: Vec<String> = first
        .seen
        .lock()
        .map(|s| s.iter().map(|(_, k)| k.clone()).collect())
        .unwrap_or_default();
    assert_eq!(
        kinds,
        [
            "ticket.created",
            "message.added",
            "ticket.created",
            "message.added"
        ]
    );
    assert_eq!(
        app.run_consumer_once(&first).await?,
        0,
        "nothing new, nothing handled"
    );

    ticket(&app, &ctx, "three").await?;
    app.close().await;

    // A new process over the same database: only the events after the checkpoint.
    let app = open(&dir, &url).await?;
    let second = Recorder::default();
    assert_eq!(app.run_consumer_once(&second).await?, 2);
    let seen = second.seen.lock().map(|s| s.clone()).unwrap_or_default();
    let first_max = first
        .seen
        .lock()
        .map(|s| s.iter().map(|(id, _)| *id).max().unwrap_or(0))
        .unwrap_or(0);
    assert!(seen.iter().all(|(id, _)| *id > first_max), "{seen:?}");

    // A background consumer picks up new events as they commit.
    let live = Arc::new(Recorder::default());
    let handle = app.spawn_consumer(live.clone());
    ticket(&app, &ctx, "four").await?;
    let mut waited = 0;
    while live.seen.lock().map(|s| s.len()).unwrap_or(0) < 2 && waited < 100 {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        waited += 1;
    }
    assert_eq!(live.seen.lock().map(|s| s.len()).unwrap_or(0), 2);
    handle.stop();
    Ok(())
}
