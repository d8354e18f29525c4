//! Outbound HTTP to the hosts the admin granted (capability `http`).
//!
//! ```no_run
//! use triage_plugin_sdk::http::Request;
//!
//! # fn main() -> Result<(), triage_plugin_sdk::HostError> {
//! let response = Request::post("https://hooks.slack.com/services/T000/B000/XXX")
//!     .json(r#"{"text":"New ticket"}"#)
//!     .send()?;
//! assert!(response.ok());
//! # Ok(()) }
//! ```

use crate::bindings::triage::plugin::http as host;
use crate::{Header, HostError};

pub use host::Method;

/// An HTTP request under construction.
///
/// ```no_run
/// use triage_plugin_sdk::http::Request;
/// let r = Request::get("https://crm.example.com/api/contacts?email=a%40b.c")
///     .header("authorization", "Bearer abc")
///     .timeout_ms(2_000)
///     .send();
/// ```
#[derive(Debug, Clone)]
pub struct Request {
    method: Method,
    url: String,
    headers: Vec<Header>,
    body: Vec<u8>,
    timeout_ms: Option<u32>,
}

impl Request {
    /// A request with any method.
    ///
    /// ```
    /// use triage_plugin_sdk::http::{Method, Request};
    /// let r = Request::new(Method::Put, "https://example.com/x");
    /// assert_eq!(r.url(), "https://example.com/x");
    /// ```
    pub fn new(method: Method, url: impl Into<String>) -> Request {
        Request {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: Vec::new(),
            timeout_ms: None,
        }
    }

    /// A `GET` request.
    ///
    /// ```
    /// let r = triage_plugin_sdk::http::Request::get("https://example.com/");
    /// ```
    pub fn get(url: impl Into<String>) -> Request {
        Request::new(Method::Get, url)
    }

    /// A `POST` request.
    ///
    /// ```
    /// let r = triage_plugin_sdk::http::Request::post("https://example.com/hook");
    /// ```
    pub fn post(url: impl Into<String>) -> Request {
        Request::new(Method::Post, url)
    }

    /// The address the request goes to.
    ///
    /// ```
    /// let r = triage_plugin_sdk::http::Request::get("https://example.com/");
    /// assert_eq!(r.url(), "https://example.com/");
    /// ```
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Adds a header.
    ///
    /// ```
    /// let r = triage_plugin_sdk::http::Request::get("https://example.com/").header("accept", "application/json");
    /// ```
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Request {
        self.headers.push(Header {
            name: name.into(),
            value: value.into(),
        });
        self
    }

    /// Sets the body.
    ///
    /// ```
    /// let r = triage_plugin_sdk::http::Request::post("https://example.com/").body(b"a=1".to_vec());
    /// ```
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Request {
        self.body = body.into();
        self
    }

    /// Sets a JSON body and its `content-type`.
    ///
    /// ```
    /// let r = triage_plugin_sdk::http::Request::post("https://example.com/").json(r#"{"a":1}"#);
    /// ```
    pub fn json(self, json: impl Into<String>) -> Request {
        self.header("content-type", "application/json")
            .body(json.into().into_bytes())
    }

    /// Gives up after this many milliseconds (never later than the hook's own timeout).
    ///
    /// ```
    /// let r = triage_plugin_sdk::http::Request::get("https://example.com/").timeout_ms(500);
    /// ```
    pub fn timeout_ms(mut self, ms: u32) -> Request {
        self.timeout_ms = Some(ms);
        self
    }

    /// Sends the request and reads the whole response.
    ///
    /// ```no_run
    /// let response = triage_plugin_sdk::http::Request::get("https://example.com/").send();
    /// ```
    pub fn send(self) -> Result<Response, HostError> {
        let request = host::Request {
            method: self.method,
            url: self.url,
            headers: self.headers,
            body: self.body,
            timeout_ms: self.timeout_ms,
        };
        host::send(&request).map(|r| Response {
            status: r.status,
            headers: r.headers,
            body: r.body,
        })
    }
}

/// A response, read whole.
///
/// ```no_run
/// # fn main() -> Result<(), triage_plugin_sdk::HostError> {
/// let r = triage_plugin_sdk::http::Request::get("https://example.com/").send()?;
/// if r.ok() {
///     let page = r.text();
///     # let _ = page;
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The headers, names in lower case.
    pub headers: Vec<Header>,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// Whether the status is 2xx.
    ///
    /// ```
    /// let r = triage_plugin_sdk::http::Response { status: 204, headers: vec![], body: vec![] };
    /// assert!(r.ok());
    /// ```
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The first header with this name (any case).
    ///
    /// ```
    /// use triage_plugin_sdk::{Header, http::Response};
    /// let r = Response {
    ///     status: 200,
    ///     headers: vec![Header { name: "content-type".into(), value: "text/plain".into() }],
    ///     body: vec![],
    /// };
    /// assert_eq!(r.header("Content-Type"), Some("text/plain"));
    /// ```
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str())
    }

    /// The body as text, with invalid UTF-8 replaced.
    ///
    /// ```
    /// let r = triage_plugin_sdk::http::Response { status: 200, headers: vec![], body: b"hi".to_vec() };
    /// assert_eq!(r.text(), "hi");
    /// ```
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}
