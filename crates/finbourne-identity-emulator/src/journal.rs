//! The journal of requests the emulator received, and its counters.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::{HeaderMap, HeaderValue, Method};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::lock;

/// How many entries the journal keeps; older ones are dropped first.
pub const JOURNAL_CAPACITY: usize = 10_000;

/// How many bytes of requests the journal keeps: 32 MiB, counted as each entry's body, header
/// names and values, path and query (plus a little per header and per entry). When a new entry
/// takes the journal over this, the oldest entries are dropped first, as they are past
/// [`JOURNAL_CAPACITY`] entries. The newest entry is always kept; one request's body is at most
/// 1 MiB, so at least the last 32 requests survive however large.
///
/// Bodies are kept only for requests a handler could act on: the body of a request to a path
/// that is no operation of the API (answered `404`), or with a method its path does not accept
/// (`405`), is not kept; its entry has an empty [`body`](JournalEntry::body) and the size
/// received in [`body_len`](JournalEntry::body_len). A request refused before it is journaled
/// (a body over 1 MiB, `413`; a body that does not arrive, `408`) leaves no entry.
pub const JOURNAL_BYTE_BUDGET: usize = 32 * 1024 * 1024;

/// What an entry costs the journal beyond its bytes, per entry and per header (the
/// bookkeeping of the entry and of the header map): an estimate, so that many tiny entries
/// count too.
const ENTRY_OVERHEAD: usize = 256;
const HEADER_OVERHEAD: usize = 32;

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
    /// The body, if kept (see [`JOURNAL_BYTE_BUDGET`]); empty otherwise.
    pub(crate) body: Bytes,
    /// The size of the body received, kept or not.
    pub(crate) body_len: usize,
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

    /// The raw request body (secrets included: do not log it). Empty when the body was not kept:
    /// the journal does not keep the bodies of requests to paths that are no operation of the API
    /// (`404`) or with a method the path does not accept (`405`); see [`JOURNAL_BYTE_BUDGET`]
    /// and [`body_len`](Self::body_len).
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The size in bytes of the request body received, whether or not the journal kept it.
    pub fn body_len(&self) -> usize {
        self.body_len
    }

    /// The bytes this entry counts against [`JOURNAL_BYTE_BUDGET`].
    fn journal_bytes(&self) -> usize {
        let headers: usize = self
            .headers
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len() + HEADER_OVERHEAD)
            .sum();
        ENTRY_OVERHEAD
            + self.body.len()
            + self.path.len()
            + self.query.as_ref().map_or(0, String::len)
            + headers
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
        if self.body.len() < self.body_len {
            return format!("<{} bytes, not kept>", self.body_len);
        }
        if self.body.is_empty() {
            return String::new();
        }
        if let Ok(mut value) = serde_json::from_slice::<Value>(&self.body) {
            redact_json(&mut value);
            // SetPassword's new password travels as `value`.
            if self.method == Method::PUT
                && self
                    .path
                    .trim_end_matches('/')
                    .to_ascii_lowercase()
                    .ends_with("/api/me/password")
                && let Some(password) = value.get_mut("value").filter(|v| !v.is_null())
            {
                *password = Value::String(REDACTED.to_owned());
            }
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

/// The bounded store of journal entries: at most [`JOURNAL_CAPACITY`] entries and
/// [`JOURNAL_BYTE_BUDGET`] bytes.
#[derive(Debug, Default)]
pub(crate) struct Journal {
    inner: Mutex<Entries>,
}

#[derive(Debug, Default)]
struct Entries {
    /// Each entry with the bytes it counts.
    entries: VecDeque<(JournalEntry, usize)>,
    /// The sum of the entries' bytes.
    bytes: usize,
}

impl Journal {
    /// Records a request. `keep_body` says whether the body is kept (see
    /// [`JOURNAL_BYTE_BUDGET`]). What is kept is copied into allocations of its own, so an entry
    /// holds its bytes and nothing of the buffers the request was read into.
    pub(crate) fn push(
        &self,
        received_at: DateTime<Utc>,
        connection: u64,
        parts: &axum::http::request::Parts,
        body: &[u8],
        keep_body: bool,
    ) {
        let mut headers = HeaderMap::with_capacity(parts.headers.len());
        for (name, value) in &parts.headers {
            let mut copy =
                HeaderValue::from_bytes(value.as_bytes()).unwrap_or_else(|_| value.clone());
            copy.set_sensitive(value.is_sensitive());
            headers.append(name.clone(), copy);
        }
        let entry = JournalEntry {
            received_at,
            connection,
            method: parts.method.clone(),
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().map(str::to_owned),
            headers,
            body: if keep_body {
                Bytes::copy_from_slice(body)
            } else {
                Bytes::new()
            },
            body_len: body.len(),
        };
        self.push_entry(entry);
    }

    fn push_entry(&self, entry: JournalEntry) {
        let size = entry.journal_bytes();
        let mut inner = lock(&self.inner);
        inner.entries.push_back((entry, size));
        inner.bytes += size;
        while inner.entries.len() > JOURNAL_CAPACITY
            || (inner.bytes > JOURNAL_BYTE_BUDGET && inner.entries.len() > 1)
        {
            if let Some((_, dropped)) = inner.entries.pop_front() {
                inner.bytes -= dropped;
            }
        }
    }

    pub(crate) fn snapshot(&self) -> Vec<JournalEntry> {
        lock(&self.inner)
            .entries
            .iter()
            .map(|(entry, _)| entry.clone())
            .collect()
    }

    pub(crate) fn clear(&self) {
        let mut inner = lock(&self.inner);
        inner.entries.clear();
        inner.bytes = 0;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn request(path: &str, headers: &[(&str, &str)]) -> axum::http::request::Parts {
        let mut builder = axum::http::Request::builder()
            .method(Method::POST)
            .uri(path);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(()).unwrap().into_parts().0
    }

    fn push(journal: &Journal, path: &str, body: &[u8], keep_body: bool) {
        journal.push(Utc::now(), 1, &request(path, &[]), body, keep_body);
    }

    fn bytes(journal: &Journal) -> usize {
        lock(&journal.inner).bytes
    }

    #[test]
    fn large_bodies_are_bounded_by_the_byte_budget_oldest_dropped_first() {
        let journal = Journal::default();
        let body = vec![b'x'; 1024 * 1024];
        for i in 0..40 {
            push(&journal, &format!("/identity/api/users/{i}"), &body, true);
        }
        let kept = journal.snapshot();
        // 32 MiB of bodies cannot all fit beside their bookkeeping: 31 entries do.
        assert_eq!(kept.len(), 31);
        assert_eq!(kept.last().unwrap().path(), "/identity/api/users/39");
        assert_eq!(kept.first().unwrap().path(), "/identity/api/users/9");
        assert!(kept.iter().all(|e| e.body() == body.as_slice()));
        let counted: usize = kept.iter().map(JournalEntry::journal_bytes).sum();
        assert_eq!(bytes(&journal), counted);
        assert!(counted <= JOURNAL_BYTE_BUDGET, "{counted}");

        journal.clear();
        assert!(journal.snapshot().is_empty());
        assert_eq!(bytes(&journal), 0);
    }

    #[test]
    fn the_newest_entry_is_kept_even_over_the_budget() {
        let journal = Journal::default();
        push(&journal, "/small", b"x", true);
        push(&journal, "/huge", &vec![0; JOURNAL_BYTE_BUDGET + 1], true);
        let kept = journal.snapshot();
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].path(), "/huge");
        push(&journal, "/small", b"x", true);
        assert_eq!(journal.snapshot().len(), 1, "the huge one went");
    }

    #[test]
    fn the_entry_count_stays_bounded_too() {
        let journal = Journal::default();
        for i in 0..JOURNAL_CAPACITY + 5 {
            push(&journal, &format!("/p{i}"), b"", true);
        }
        let kept = journal.snapshot();
        assert_eq!(kept.len(), JOURNAL_CAPACITY);
        assert_eq!(kept[0].path(), "/p5");
    }

    #[test]
    fn a_body_not_kept_costs_nothing_and_says_its_size() {
        let journal = Journal::default();
        for _ in 0..100 {
            push(&journal, "/no/such/path", &[b'x'; 1024 * 1024], false);
        }
        let kept = journal.snapshot();
        assert_eq!(kept.len(), 100);
        assert!(kept[0].body().is_empty());
        assert_eq!(kept[0].body_len(), 1024 * 1024);
        assert_eq!(kept[0].redacted_body(), "<1048576 bytes, not kept>");
        assert!(bytes(&journal) < 100 * 1024, "{}", bytes(&journal));
    }

    #[test]
    fn kept_values_hold_their_own_bytes() {
        // A header value or body sliced from a large read buffer would keep the whole buffer
        // alive; the journal copies what it keeps.
        let buffer = Bytes::from(vec![b'a'; 64 * 1024]);
        let mut parts = request("/identity/api/me", &[]);
        parts.headers.insert(
            "x-big-buffer",
            HeaderValue::from_maybe_shared(buffer.slice(0..4)).unwrap(),
        );
        let journal = Journal::default();
        journal.push(Utc::now(), 1, &parts, &buffer[..8], true);
        let entry = &journal.snapshot()[0];
        assert_eq!(entry.header("x-big-buffer"), Some("aaaa"));
        assert_eq!(entry.body(), b"aaaaaaaa");
        let within = |p: *const u8| buffer.as_ptr_range().contains(&p);
        assert!(!within(entry.headers()["x-big-buffer"].as_bytes().as_ptr()));
        assert!(!within(entry.body().as_ptr()));
    }
}
