//! Outbound HTTP for plugins: only to granted origins, checked again on every redirect,
//! with names resolved here and private addresses refused unless granted, the connection
//! pinned to the addresses that were checked, and caps on size and time.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use url::Url;

use crate::grants::Grants;
use crate::origin::is_private;
use crate::types::{Header, HostError};
use crate::v0_1::triage::plugin::http;

/// The largest request body a plugin may send.
pub const MAX_REQUEST_BODY: usize = 1 << 20;
/// The largest response body handed back.
pub const MAX_RESPONSE_BODY: usize = 4 << 20;
/// Redirects followed, each checked like the first request.
pub const MAX_REDIRECTS: usize = 5;

/// Headers a plugin cannot set: the host manages them.
const MANAGED: &[&str] = &[
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "upgrade",
    "te",
    "trailer",
    "proxy-authorization",
];

/// The outbound HTTP client of the host.
#[derive(Debug, Clone, Default)]
pub struct Outbound;

fn method(m: http::Method) -> reqwest::Method {
    match m {
        http::Method::Get => reqwest::Method::GET,
        http::Method::Head => reqwest::Method::HEAD,
        http::Method::Post => reqwest::Method::POST,
        http::Method::Put => reqwest::Method::PUT,
        http::Method::Patch => reqwest::Method::PATCH,
        http::Method::Delete => reqwest::Method::DELETE,
    }
}

fn headers(list: &[Header]) -> Result<HeaderMap, HostError> {
    let mut map = HeaderMap::new();
    for h in list {
        let name = HeaderName::from_bytes(h.name.as_bytes())
            .map_err(|_| HostError::Invalid(format!("{:?} is not a header name", h.name)))?;
        if MANAGED.contains(&name.as_str()) {
            continue;
        }
        let value = HeaderValue::from_str(&h.value)
            .map_err(|_| HostError::Invalid(format!("the {name} header has a bad value")))?;
        map.append(name, value);
    }
    Ok(map)
}

async fn resolve(
    url: &Url,
    grants: &Grants,
    budget: Duration,
) -> Result<Vec<SocketAddr>, HostError> {
    let host = url
        .host_str()
        .ok_or_else(|| HostError::Invalid(format!("{url} has no host")))?;
    let port = url
        .port_or_known_default()
        .ok_or_else(|| HostError::Invalid(format!("{url} has no port")))?;
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> = match bare.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::time::timeout(budget, tokio::net::lookup_host((bare, port)))
            .await
            .map_err(|_| HostError::Timeout)?
            .map_err(|e| HostError::Unavailable(format!("{bare} cannot be resolved: {e}")))?
            .collect(),
    };
    if addrs.is_empty() {
        return Err(HostError::Unavailable(format!("{bare} has no address")));
    }
    if !grants.private_network
        && let Some(private) = addrs.iter().find(|a| is_private(a.ip()))
    {
        return Err(HostError::Denied(format!(
            "{bare} resolves to the private address {}, which was not granted",
            private.ip()
        )));
    }
    Ok(addrs)
}

impl Outbound {
    /// Sends a plugin's request within `budget`.
    pub(crate) async fn send(
        &self,
        grants: &Grants,
        request: http::Request,
        budget: Duration,
    ) -> Result<http::Response, HostError> {
        let deadline = Instant::now() + budget;
        let left = || deadline.saturating_duration_since(Instant::now());
        let mut url = Url::parse(&request.url)
            .map_err(|e| HostError::Invalid(format!("{:?} is not a URL: {e}", request.url)))?;
        if request.body.len() > MAX_REQUEST_BODY {
            return Err(HostError::Invalid(format!(
                "a request body is at most {MAX_REQUEST_BODY} bytes"
            )));
        }
        let header_map = headers(&request.headers)?;
        let mut verb = method(request.method);
        let mut body = request.body;
        for hop in 0..=MAX_REDIRECTS {
            if !matches!(url.scheme(), "http" | "https") {
                return Err(HostError::Denied(format!(
                    "{} is not http or https",
                    url.scheme()
                )));
            }
            if !grants.allows_url(&url) {
                return Err(HostError::Denied(format!(
                    "{}://{} is not a granted host",
                    url.scheme(),
                    url.host_str().unwrap_or_default()
                )));
            }
            let addrs = resolve(&url, grants, left()).await?;
            let mut builder = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(left())
                .no_proxy();
            if let Some(domain) = url.domain() {
                builder = builder.resolve_to_addrs(domain, &addrs);
            }
            let client = builder
                .build()
                .map_err(|e| HostError::Unavailable(format!("HTTP client: {e}")))?;
            let sent = client
                .request(verb.clone(), url.clone())
                .headers(header_map.clone())
                .body(body.clone())
                .send();
            let response = match tokio::time::timeout(left(), sent).await {
                Err(_) => return Err(HostError::Timeout),
                Ok(Err(e)) if e.is_timeout() => return Err(HostError::Timeout),
                Ok(Err(e)) => return Err(HostError::Unavailable(format!("{url}: {e}"))),
                Ok(Ok(r)) => r,
            };
            let status = response.status();
            if status.is_redirection()
                && let Some(location) = response.headers().get(reqwest::header::LOCATION)
            {
                if hop == MAX_REDIRECTS {
                    return Err(HostError::Unavailable(format!(
                        "more than {MAX_REDIRECTS} redirects"
                    )));
                }
                let location = location
                    .to_str()
                    .map_err(|_| HostError::Unavailable("a redirect with a bad Location".into()))?;
                url = url
                    .join(location)
                    .map_err(|e| HostError::Unavailable(format!("a redirect to a bad URL: {e}")))?;
                let to_get = status == reqwest::StatusCode::SEE_OTHER
                    || (matches!(status.as_u16(), 301 | 302) && verb == reqwest::Method::POST);
                if to_get {
                    verb = reqwest::Method::GET;
                    body = Vec::new();
                }
                continue;
            }
            let response_headers = response
                .headers()
                .iter()
                .map(|(k, v)| Header {
                    name: k.as_str().to_string(),
                    value: String::from_utf8_lossy(v.as_bytes()).into_owned(),
                })
                .collect();
            if response
                .content_length()
                .is_some_and(|n| n as usize > MAX_RESPONSE_BODY)
            {
                return Err(HostError::TooLarge);
            }
            let mut response = response;
            let mut bytes = Vec::new();
            loop {
                let chunk = match tokio::time::timeout(left(), response.chunk()).await {
                    Err(_) => return Err(HostError::Timeout),
                    Ok(Err(e)) => return Err(HostError::Unavailable(format!("{url}: {e}"))),
                    Ok(Ok(c)) => c,
                };
                let Some(chunk) = chunk else { break };
                if bytes.len() + chunk.len() > MAX_RESPONSE_BODY {
                    return Err(HostError::TooLarge);
                }
                bytes.extend_from_slice(&chunk);
            }
            return Ok(http::Response {
                status: status.as_u16(),
                headers: response_headers,
                body: bytes,
            });
        }
        Err(HostError::Unavailable(format!(
            "more than {MAX_REDIRECTS} redirects"
        )))
    }
}
