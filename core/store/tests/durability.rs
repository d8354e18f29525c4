//! An acknowledged write survives a crash of the machine: the writing connection runs
//! with full durability on either database.

use triage_store::Store;

#[tokio::test]
async fn the_writer_commits_with_full_durability() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = triage_store::testing::test_database_url(dir.path()).await?;
    let store = Store::connect(&url).await?;
    store.migrate().await?;
    let settings = store.durability().await?;
    let get = |name: &str| {
        settings
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.to_lowercase())
    };
    if url.starts_with("sqlite:") {
        assert_eq!(get("journal_mode").as_deref(), Some("wal"), "{settings:?}");
        assert_eq!(
            get("synchronous").as_deref(),
            Some("2"),
            "FULL is 2: {settings:?}"
        );
    } else {
        assert_eq!(
            get("synchronous_commit").as_deref(),
            Some("on"),
            "{settings:?}"
        );
    }
    store.close().await;
    Ok(())
}
