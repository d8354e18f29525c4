//! `triage rules`: import a directory of rule files, list them, dry-run one on past events.

use std::path::PathBuf;

use triage_app::tickets::{NewTicket, RequesterRef};
use triage_app::{App, AppConfig, Ctx};

mod common;
use common::triage;

#[tokio::test]
async fn rules_are_imported_listed_and_dry_run_from_the_command_line() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = triage_app::testing::test_database_url(dir.path()).await?;
    let mut config = AppConfig::for_data_dir(dir.path());
    config.database_url = url.clone();
    let app = App::open(config).await?;
    let ctx = Ctx::api(App::system_actor());
    let mut ids = Vec::new();
    for (subject, body) in [
        ("Refund", "I was charged twice; please refund the payment."),
        ("Printer", "The printer is out of paper."),
    ] {
        let (t, _) = app
            .create_ticket(
                &ctx,
                NewTicket {
                    subject: subject.into(),
                    body_text: Some(body.into()),
                    requester: Some(RequesterRef::Email {
                        email: "cy@customer.example".into(),
                        name: None,
                    }),
                    ..NewTicket::default()
                },
                None,
            )
            .await?;
        ids.push(t.ticket.id);
    }
    app.close().await;

    let examples = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/rules");
    let examples = examples.to_string_lossy().to_string();
    let (ok, out) = triage(dir.path(), &url, &["rules", "import", &examples])?;
    assert!(ok, "{out}");
    assert!(
        out.contains("created") && out.contains("Keyword tagging"),
        "{out}"
    );
    let (ok, out) = triage(dir.path(), &url, &["rules", "import", &examples])?;
    assert!(
        ok && !out.contains("created") && out.contains("unchanged"),
        "{out}"
    );
    let (ok, out) = triage(dir.path(), &url, &["rules", "list"])?;
    assert!(
        ok && out.contains("Spam tag") && out.contains("every 1 hours"),
        "{out}"
    );

    let file = format!("{examples}/keyword-tagging.rhai");
    let (ok, out) = triage(
        dir.path(),
        &url,
        &["rules", "test", &file, "--last", "1000"],
    )?;
    assert!(ok, "{out}");
    assert!(out.contains(&format!("ticket #{}", ids[0])), "{out}");
    assert!(out.contains("tags: [] → [\"billing\"]"), "{out}");
    assert!(!out.contains(&format!("ticket #{}", ids[1])), "{out}");
    assert!(out.contains("would fire on 1"), "{out}");
    assert!(out.contains("nothing was written"), "{out}");

    // A broken file is refused with where it is wrong, and nothing is imported.
    let broken = tempfile::tempdir()?;
    std::fs::write(
        broken.path().join("ok.rhai"),
        "//! triggers: ticket.created\nadd_tag(\"x\");\n",
    )?;
    std::fs::write(
        broken.path().join("bad.rhai"),
        "//! triggers: ticket.created\nlet = 5;\n",
    )?;
    let (ok, out) = triage(
        dir.path(),
        &url,
        &["rules", "import", &broken.path().to_string_lossy()],
    )?;
    assert!(!ok, "{out}");
    assert!(out.contains("bad.rhai") && out.contains("line 2"), "{out}");
    let (_, out) = triage(dir.path(), &url, &["rules", "list"])?;
    assert!(!out.contains(" ok "), "{out}");
    Ok(())
}
