//! The stylesheet and the script, compiled in and served under a content-hashed address
//! so browsers cache them for good and never run a stale copy.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../assets/app.css"),
    },
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/app.js"),
    },
    Asset {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        body: include_bytes!("../assets/favicon.svg"),
    },
];

/// The addresses pages link to, with a hash of the content in them.
#[derive(Debug)]
pub(crate) struct Urls {
    pub css: String,
    pub js: String,
    pub icon: String,
}

fn versioned(name: &str) -> String {
    let body = ASSETS
        .iter()
        .find(|a| a.name == name)
        .map(|a| a.body)
        .unwrap_or_default();
    let hash = hex::encode(&Sha256::digest(body)[..6]);
    format!("/assets/{hash}/{name}")
}

/// The asset addresses, computed once.
pub(crate) fn urls() -> &'static Urls {
    static URLS: OnceLock<Urls> = OnceLock::new();
    URLS.get_or_init(|| Urls {
        css: versioned("app.css"),
        js: versioned("app.js"),
        icon: versioned("favicon.svg"),
    })
}

/// Serves an asset; the hash in the address only busts caches.
pub(crate) async fn serve(Path((_hash, name)): Path<(String, String)>) -> Response {
    match ASSETS.iter().find(|a| a.name == name) {
        Some(asset) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(asset.content_type),
                ),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=31536000, immutable"),
                ),
            ],
            asset.body,
        )
            .into_response(),
        None => crate::error::not_found_page(),
    }
}
