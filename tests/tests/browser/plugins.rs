//! Plugins in the browser: an admin installs the statuses plugin from a file, enables it,
//! sees its log, and its statuses appear in the ticket page's status pickers; the page
//! passes the accessibility audit.

use anyhow::Context;
use triage_tests::plugin_package;

use crate::Desk;
use crate::access::audit;

#[tokio::test]
async fn admins_install_enable_and_watch_a_plugin_in_the_browser() -> anyhow::Result<()> {
    let desk = Desk::open().await?;
    let package = tempfile::Builder::new().suffix(".tar").tempfile()?;
    std::fs::write(package.path(), plugin_package("statuses")?)?;
    let b = desk.signed_in(&desk.admin).await?;
    b.goto("/admin").await?;
    b.click(".admin-nav a[href='/admin/plugins']").await?;
    b.wait_text("main", "No plugins installed yet.").await?;

    // Installing without a file is refused on the page.
    b.js("document.querySelector('#plugin-package').removeAttribute('required')")
        .await?;
    b.click("#install-plugin button[type=submit]").await?;
    b.wait_text("#plugin-error", "Choose a package file")
        .await?;

    let path = package.path().to_str().context("temp path")?;
    b.type_keys("#plugin-package", path).await?;
    b.click("#install-plugin button[type=submit]").await?;
    b.wait_js(
        "return location.pathname === '/admin/plugins/statuses'",
        "the plugin's page",
    )
    .await?;
    b.wait_text("#plugin-state", "disabled").await?;
    b.wait_text("#plugin-log", "installed 0.1.0").await?;

    b.click("#plugin-enabled").await?;
    b.click("#plugin-save").await?;
    b.wait_text("#plugin-state", "enabled").await?;
    audit(&b, "/admin/plugins/statuses").await?;
    audit(&b, "/admin/plugins").await?;
    b.wait_text("#plugins-table", "Working statuses").await?;

    // Its statuses are offered wherever a status is picked.
    b.goto(&format!("/tickets/{}", desk.printer)).await?;
    for picker in ["#f-status", "#reply-status"] {
        let options = b
            .js(&format!(
                "return [...document.querySelectorAll('{picker} option')].map(o => o.textContent.trim())"
            ))
            .await?;
        for name in ["In progress", "Waiting on vendor", "Waiting on customer"] {
            assert!(
                options
                    .as_array()
                    .is_some_and(|o| o.iter().any(|v| v == name)),
                "{picker} does not offer {name}: {options}"
            );
        }
    }
    b.close().await?;
    Ok(())
}
