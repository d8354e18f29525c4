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
    // This help desk has none of the groups the routing example names: it is saved
    // turned off, saying what it needs.
    let routing = out
        .lines()
        .find(|l| l.contains("Round-robin by language"))
        .unwrap_or_default();
    assert!(
        routing.contains(r#"turned off: needs group "French", group "German", group "Support""#),
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
    let (ok, out) = triage(dir.path(), &url, &["rules", "list", "--json"])?;
    assert!(ok, "{out}");
    let listed: serde_json::Value = serde_json::from_str(&out)?;
    let routing = listed
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["name"] == "Round-robin by language");
    assert_eq!(
        routing.map(|r| r["active"].clone()),
        Some(false.into()),
        "{out}"
    );

    // Issue #29: no listing panics when its reader goes away early.
    let (ok, out) = triage(dir.path(), &url, &["user", "list", "--json"])?;
    assert!(ok && out.trim_start().starts_with('['), "{out}");
    for args in [
        &["rules", "list"][..],
        &["rules", "list", "--json"],
        &["user", "list"],
        &["user", "list", "--json"],
    ] {
        let (code, err) = common::triage_into_closed_pipe(dir.path(), &url, args)?;
        assert_eq!(code, Some(0), "{args:?}: {err}");
        assert!(err.is_empty(), "{args:?}: {err}");
    }
    // An error is one line naming what is wrong, with exit code 1; a wrong command line
    // exits with 2.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_triage"))
        .arg("--data-dir")
        .arg(dir.path())
        .args([
            "token",
            "create",
            "--user",
            "nobody@example.com",
            "--name",
            "x",
        ])
        .env("TRIAGE_DATABASE_URL", &url)
        .env("TRIAGE_LOG", "warn")
        .output()?;
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: ") && err.contains("nobody@example.com"),
        "{err}"
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_triage"))
        .args(["rules", "lisst"])
        .output()?;
    assert_eq!(out.status.code(), Some(2));

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
