//! `triage plugin`: a new plugin is scaffolded, built and packed, installed with its
//! grants and enabled, and listed — the path a plugin developer takes.

mod common;
use common::{repo, triage};

#[tokio::test]
async fn a_new_plugin_is_scaffolded_packed_installed_and_listed() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = triage_app::testing::test_database_url(dir.path()).await?;
    let work = tempfile::tempdir()?;
    let crate_dir = work.path().join("invoice-tagger");
    let crate_arg = crate_dir.to_string_lossy().to_string();
    let sdk = repo().join("sdk").to_string_lossy().to_string();

    let (ok, out) = triage(
        dir.path(),
        &url,
        &[
            "plugin",
            "new",
            "invoice-tagger",
            "--dir",
            &crate_arg,
            "--sdk-path",
            &sdk,
        ],
    )?;
    assert!(ok, "{out}");
    for file in ["Cargo.toml", "plugin.toml", "src/lib.rs", ".gitignore"] {
        assert!(crate_dir.join(file).is_file(), "{file} was not written");
    }
    let (ok, out) = triage(dir.path(), &url, &["plugin", "new", "Bad Name"])?;
    assert!(!ok && out.contains("lower-case letters"), "{out}");

    let package = work.path().join("tagger.tar");
    let package_arg = package.to_string_lossy().to_string();
    let (ok, out) = triage(
        dir.path(),
        &url,
        &["plugin", "pack", &crate_arg, "--out", &package_arg],
    )?;
    assert!(ok, "{out}");
    assert!(out.contains("packed invoice-tagger 0.1.0"), "{out}");

    let (ok, out) = triage(
        dir.path(),
        &url,
        &["plugin", "install", &package_arg, "--grant-all", "--enable"],
    )?;
    assert!(ok, "{out}");
    assert!(out.contains("installed invoice-tagger 0.1.0"), "{out}");
    assert!(out.contains("enabled"), "{out}");

    let (ok, out) = triage(dir.path(), &url, &["plugin", "list"])?;
    assert!(ok, "{out}");
    let line = out
        .lines()
        .find(|l| l.starts_with("invoice-tagger"))
        .unwrap_or_default();
    assert!(
        line.contains("enabled") && line.contains("integration"),
        "{out}"
    );

    let (ok, out) = triage(dir.path(), &url, &["plugin", "list", "--json"])?;
    assert!(ok, "{out}");
    let listed: serde_json::Value = serde_json::from_str(&out)?;
    assert_eq!(listed[0]["id"], "invoice-tagger", "{out}");
    assert_eq!(listed[0]["enabled"], true, "{out}");
    for args in [&["plugin", "list"][..], &["plugin", "list", "--json"]] {
        let (code, err) = common::triage_into_closed_pipe(dir.path(), &url, args)?;
        assert_eq!(code, Some(0), "{args:?}: {err}");
        assert!(err.is_empty(), "{args:?}: {err}");
    }

    // The same package again is refused: it is already installed.
    let (ok, out) = triage(dir.path(), &url, &["plugin", "install", &package_arg])?;
    assert!(!ok && out.contains("already installed"), "{out}");
    Ok(())
}
