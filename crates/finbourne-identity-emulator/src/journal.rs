//! The journal of requests the emulator received, and its counters.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::{HeaderMap, Method};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::lock;

/// How many entries the journal keeps; older ones are dropped first.
pub const JOURNAL_CAPACITY: usize = 10_000;

/// The text that replaces secrets in `Debug` and `Display` output.
pub const REDACTED: &str = "[REDACTED]";

/// Header names whose values are secrets.
const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
];

/// Form, query and JSON field names whose values are secrets (compared case-insensitively).
const SECRET_FIELDS: &[&str] = &[
    "password",
    "client_secret",
    "clientSecret",
    "refresh_token",
    "refreshToken",
    "access_token",
    "accessToken",
    "apiToken",
    "id_token",
    "token",
    "secret",
];

fn is_secret_field(name: &str) -> bool {
    SECRET_FIELDS.iter().any(|f| f.eq_ignore_ascii_case(name))
}

/// One request the emulator received, recorded before any fault or check applied.
///
/// `Debug` and `Display` never show secrets: `Authorization` (and cookie) header values, the form
/// or query fields `password`, `client_secret`, `refresh_token` (and other token fields) and JSON
/// fields such as `apiToken` or `password` are replaced by [`REDACTED`]. The raw values stay
/// available to tests through the explicit accessors [`header`](Self::header),
/// [`headers`](Self::headers), [`body`](Self::body), [`form_field`](Self::form_field) and
/// [`query_param`](Self::query_param).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), finbourne_identity_emulator::Error> {
/// use finbourne_identity_emulator::Emulator;
///
/// let emu = Emulator::start().await?;
/// // ... make requests to emu.token_url() or emu.identity_url() ...
/// for entry in emu.journal() {
///     println!("{entry:?}"); // safe to print: secrets are redacted
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct JournalEntry {
    pub(crate) received_at: DateTime<Utc>,
    pub(crate) connection: u64,
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) query: Option<String>,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl JournalEntry {
    /// When the request arrived, by the emulator's clock (see
    /// [`Emulator::advance_clock`](crate::Emulator::advance_clock)).
    pub fn received_at(&self) -> DateTime<Utc> {
        self.received_at
    }

    /// A number identifying the TCP connection the request came on (1 for the first connection
    /// the emulator accepted).
    pub fn connection(&self) -> u64 {
        self.connection
    }

    /// The HTTP method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The request path, as received (percent-encoded), such as `/identity/api/users`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The raw query string without the `?`, if any. May hold secrets.
    pub fn query(&self) -> Option<&str> {
        self.query.as_deref()
    }

    /// The decoded value of the first query parameter with this name. Raw: may be a secret.
    pub fn query_param(&self, name: &str) -> Option<String> {
        let query = self.query.as_deref()?;
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// The raw value of a header, if present and valid text. Raw: `Authorization` is a secret.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// All request headers, raw (secrets included: do not log them).
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The raw request body (secrets included: do not log it).
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The raw request body as text (lossy UTF-8).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The decoded value of a field of a form-encoded body, such as `grant_type` or `password`.
    /// Raw: may be a secret.
    pub fn form_field(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(&self.body)
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// The body parsed as JSON, if it is JSON. Raw: may hold secrets.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The body with secrets replaced by [`REDACTED`]: form fields and JSON fields with secret
    /// names. A body that is neither form-encoded nor JSON is shown as its size only.
    pub fn redacted_body(&self) -> String {
        if self.body.is_empty() {
            return String::new();
        }
        if let Ok(mut value) = serde_json::from_slice::<Value>(&self.body) {
            redact_json(&mut value);
            return value.to_string();
        }
        let is_form = self
            .header("content-type")
            .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
        if is_form {
            return redact_pairs(&self.body);
        }
        format!("<{} bytes>", self.body.len())
    }

    /// The query string with secret parameters replaced by [`REDACTED`].
    pub fn redacted_query(&self) -> Option<String> {
        self.query.as_deref().map(|q| redact_pairs(q.as_bytes()))
    }

    /// The headers as (name, value) text pairs with secret values replaced by [`REDACTED`].
    pub fn redacted_headers(&self) -> Vec<(String, String)> {
        self.headers
            .iter()
            .map(|(name, value)| {
                let shown = if SECRET_HEADERS.contains(&name.as_str()) {
                    REDACTED.to_owned()
                } else {
                    String::from_utf8_lossy(value.as_bytes()).into_owned()
                };
                (name.as_str().to_owned(), shown)
            })
            .collect()
    }
}

/// Re-encodes form or query pairs with secret values replaced by [`REDACTED`] (left unencoded
/// so that it reads as such).
fn redact_pairs(input: &[u8]) -> String {
    let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    url::form_urlencoded::parse(input)
        .map(|(k, v)| {
            let value = if is_secret_field(&k) {
                REDACTED.to_owned()
            } else {
                encode(&v)
            };
            format!("{}={value}", encode(&k))
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn redact_json(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                if is_secret_field(key) && !child.is_null() {
                    *child = Value::String(REDACTED.to_owned());
                } else {
                    redact_json(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_json),
        _ => {}
    }
}

impl fmt::Debug for JournalEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JournalEntry")
            .field("received_at", &self.received_at)
            .field("connection", &self.connection)
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.redacted_query())
            .field("headers", &self.redacted_headers())
            .field("body", &self.redacted_body())
            .finish()
    }
}

impl fmt::Display for JournalEntry {
    /// One line: method, path and query (secrets redacted).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)?;
        if let Some(query) = self.redacted_query() {
            write!(f, "?{query}")?;
        }
        Ok(())
    }
}

/// The bounded store of journal entries.
#[derive(Debug, Default)]
pub(crate) struct Journal {
    entries: Mutex<VecDeque<JournalEntry>>,
}

impl Journal {
    pub(crate) fn push(&self, entry: JournalEntry) {
        let mut entries = lock(&self.entries);
        if entries.len() >= JOURNAL_CAPACITY {
            entries.pop_front();
        }
        entries.push_back(entry);
    }

    pub(crate) fn snapshot(&self) -> Vec<JournalEntry> {
        lock(&self.entries).iter().cloned().collect()
    }

    pub(crate) fn clear(&self) {
        lock(&self.entries).clear();
    }
}

/// Counts of what the emulator received, as a snapshot from
/// [`Emulator::counters`](crate::Emulator::counters).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), finbourne_identity_emulator::Error> {
/// let emu = finbourne_identity_emulator::Emulator::start().await?;
/// let counters = emu.counters();
/// assert_eq!(counters.token_requests(), 0);
/// assert_eq!(counters.connections_accepted, 0);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Counters {
    /// TCP connections accepted.
    pub connections_accepted: u64,
    /// Requests of any kind (token endpoint, Identity API, SCIM, unknown paths).
    pub requests: u64,
    /// Token endpoint requests with `grant_type=password`.
    pub token_requests_password: u64,
    /// Token endpoint requests with `grant_type=refresh_token`.
    pub token_requests_refresh_token: u64,
    /// Token endpoint requests with `grant_type=client_credentials`.
    pub token_requests_client_credentials: u64,
    /// Token endpoint requests with any other or no grant type.
    pub token_requests_other: u64,
    /// Requests under `/identity/api/`.
    pub api_requests: u64,
    /// Requests under `/identity/scim/v2/`.
    pub scim_requests: u64,
}

impl Counters {
    /// All token endpoint requests, whatever their grant type.
    pub fn token_requests(&self) -> u64 {
        self.token_requests_password
            + self.token_requests_refresh_token
            + self.token_requests_client_credentials
            + self.token_requests_other
    }
}

/// The live counters.
#[derive(Debug, Default)]
pub(crate) struct AtomicCounters {
    pub(crate) connections_accepted: AtomicU64,
    pub(crate) requests: AtomicU64,
    pub(crate) token_requests_password: AtomicU64,
    pub(crate) token_requests_refresh_token: AtomicU64,
    pub(crate) token_requests_client_credentials: AtomicU64,
    pub(crate) token_requests_other: AtomicU64,
    pub(crate) api_requests: AtomicU64,
    pub(crate) scim_requests: AtomicU64,
}

impl AtomicCounters {
    pub(crate) fn bump(counter: &AtomicU64) -> u64 {
        counter.fetch_add(1, Ordering::Relaxed) + 1
    }

    pub(crate) fn snapshot(&self) -> Counters {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Counters {
            connections_accepted: get(&self.connections_accepted),
            requests: get(&self.requests),
            token_requests_password: get(&self.token_requests_password),
            token_requests_refresh_token: get(&self.token_requests_refresh_token),
            token_requests_client_credentials: get(&self.token_requests_client_credentials),
            token_requests_other: get(&self.token_requests_other),
            api_requests: get(&self.api_requests),
            scim_requests: get(&self.scim_requests),
        }
    }

    pub(crate) fn reset(&self) {
        for c in [
            &self.connections_accepted,
            &self.requests,
            &self.token_requests_password,
            &self.token_requests_refresh_token,
            &self.token_requests_client_credentials,
            &self.token_requests_other,
            &self.api_requests,
            &self.scim_requests,
        ] {
            c.store(0, Ordering::Relaxed);
        }
    }
}
