//! Every page is usable keyboard-only and by a screen reader: fields have labels, images
//! have text alternatives, controls have names, one main heading, a skip link first in the
//! tab order and a visible focus.

use serde_json::{Value, json};
use triage_tests::browser::Browser;

use crate::Desk;

const AUDIT: &str = r#"
const problems = [];
const named = (el) => (el.getAttribute('aria-label') || '').trim() || (el.getAttribute('aria-labelledby') || '').trim();
for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
  const byFor = el.id && document.querySelector(`label[for="${el.id}"]`);
  if (!byFor && !el.closest('label') && !named(el)) problems.push('unlabelled ' + el.outerHTML.slice(0, 90));
}
for (const img of document.querySelectorAll('img')) {
  if (!img.hasAttribute('alt')) problems.push('no alt ' + img.outerHTML.slice(0, 90));
}
for (const el of document.querySelectorAll('button, a[href]')) {
  if (!el.textContent.trim() && !named(el) && !el.querySelector('img[alt]:not([alt=""])')) problems.push('nameless ' + el.outerHTML.slice(0, 90));
}
const ids = {};
for (const el of document.querySelectorAll('[id]')) { if (ids[el.id]) problems.push('duplicate id ' + el.id); ids[el.id] = true; }
if (!document.documentElement.lang) problems.push('no lang');
if (document.querySelectorAll('h1').length !== 1) problems.push('h1 count ' + document.querySelectorAll('h1').length);
if (!document.querySelector('main')) problems.push('no main');
return problems;
"#;

/// Opens a page and checks it: labels, names, one heading, the skip link first.
pub(crate) async fn audit(b: &Browser, path: &str) -> anyhow::Result<()> {
    b.goto(path).await?;
    b.find("main").await?;
    let problems = b.js(AUDIT).await?;
    assert_eq!(problems, json!([]), "{path}");
    // The first Tab reaches the skip link, and the focus is drawn.
    b.js("document.body.tabIndex = -1; document.body.focus(); document.body.removeAttribute('tabindex'); return true;")
        .await?;
    b.press("\u{E004}").await?;
    let focus: Value = b
        .js("const e = document.activeElement; const s = getComputedStyle(e); return [e.className, s.outlineStyle !== 'none' && s.outlineWidth !== '0px'];")
        .await?;
    assert_eq!(
        focus,
        json!(["skip", true]),
        "{path}: skip link first, focus visible"
    );
    Ok(())
}

#[tokio::test]
async fn pages_are_labelled_and_usable_from_the_keyboard() -> anyhow::Result<()> {
    let desk = Desk::open().await?;
    let anonymous = desk.driver.browser(&desk.server.base).await?;
    audit(&anonymous, "/sign-in").await?;
    anonymous.close().await?;

    let admin = desk.signed_in(&desk.admin).await?;
    for path in [
        "/tickets".to_string(),
        "/tickets?view=open".to_string(),
        "/search?q=printer".to_string(),
        format!("/tickets/{}", desk.printer),
        "/admin/users".to_string(),
        "/admin/groups".to_string(),
        "/admin/macros".to_string(),
        format!("/admin/macros/{}", desk.macro_id),
        "/admin/fields".to_string(),
        "/admin/views".to_string(),
    ] {
        audit(&admin, &path).await?;
    }
    // Signing out ends the session: pages send to the sign-in page again.
    admin.goto("/tickets").await?;
    admin.click(".me button[type=submit]").await?;
    admin
        .wait_js(
            "return location.pathname === '/sign-in'",
            "the sign-in page",
        )
        .await?;
    admin.goto("/tickets").await?;
    admin
        .wait_js(
            "return location.pathname === '/sign-in'",
            "being sent to sign in",
        )
        .await?;
    admin.close().await?;

    let customer = desk.signed_in(&desk.carol).await?;
    for path in [
        "/portal".to_string(),
        "/portal/new".to_string(),
        format!("/portal/tickets/{}", desk.printer),
    ] {
        audit(&customer, &path).await?;
    }
    customer.close().await?;
    Ok(())
}
