//! Expired sessions and old idempotency records are swept away.

use std::time::Duration;

use triage_app::directory::NewUser;
use triage_app::tickets::{Idempotency, NewTicket, RequesterRef};
use triage_app::{App, AppConfig, Ctx};

#[tokio::test]
async fn a_sweep_removes_expired_sessions_and_old_idempotency_keys() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mut config = AppConfig::for_data_dir(dir.path());
    config.database_url = triage_app::testing::test_database_url(dir.path()).await?;
    config.session_ttl_secs = 0;
    let app = App::open(config).await?;
    let admin = app
        .create_user(
            &App::system_actor(),
            NewUser {
                email: "a@helpdesk.example".into(),
                name: "A".into(),
                role: "admin".into(),
                password: Some("a long enough password".into()),
                organization_id: None,
            },
        )
        .await?;
    let session = app
        .sign_in("a@helpdesk.example", "a long enough password")
        .await?;
    assert!(
        app.authenticate_session(&session.cookie).await.is_err(),
        "a session with no lifetime is already expired"
    );

    let ctx = Ctx::api(app.actor_for(&admin).await?);
    let new = || NewTicket {
        subject: "Once".into(),
        body_text: Some("x".into()),
        requester: Some(RequesterRef::Email {
            email: "c@c.example".into(),
            name: None,
        }),
        ..NewTicket::default()
    };
    let key = || {
        Some(Idempotency {
            key: "k-1".into(),
            fingerprint: "f".into(),
        })
    };
    let (first, replayed) = app.create_ticket(&ctx, new(), key()).await?;
    assert!(!replayed);
    let (again, replayed) = app.create_ticket(&ctx, new(), key()).await?;
    assert!(replayed);
    assert_eq!(again.ticket.id, first.ticket.id);

    // An upload a crash left half-received.
    let mut half = app.receive_upload("crash.bin", 1 << 20).await?;
    half.write(b"half of it").await?;
    let left_over = dir.path().join("attachments/incoming/left-over.tmp");
    std::fs::write(&left_over, b"from before a kill")?;

    // Within the window nothing is old enough; past it, all go.
    let kept = app.sweep(Duration::from_secs(3600)).await?;
    assert_eq!(
        (kept.sessions, kept.idempotency_keys, kept.incoming_files),
        (1, 0, 0)
    );
    tokio::time::sleep(Duration::from_millis(5)).await;
    let swept = app.sweep(Duration::ZERO).await?;
    assert_eq!((swept.sessions, swept.idempotency_keys), (0, 1));
    assert_eq!(swept.incoming_files, 2);
    assert!(!left_over.exists());
    drop(half);
    let (fresh, replayed) = app.create_ticket(&ctx, new(), key()).await?;
    assert!(!replayed);
    assert_ne!(fresh.ticket.id, first.ticket.id);
    Ok(())
}
