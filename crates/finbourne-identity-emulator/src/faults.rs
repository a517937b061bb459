//! Fault injection: program per-route failures for the next N calls.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use bytes::Bytes;

use crate::lock;
use crate::operations::{Operation, Resolution, match_template, operation_by_id, resolve};

/// A failure the emulator plays instead of (or before) its normal answer.
///
/// ```
/// use std::time::Duration;
/// use finbourne_identity_emulator::Fault;
/// use finbourne_identity_emulator::http::{StatusCode, header, HeaderValue};
///
/// let rate_limited = Fault::status(StatusCode::TOO_MANY_REQUESTS)
///     .with_header(header::RETRY_AFTER, HeaderValue::from_static("1"));
/// let slow = Fault::Delay(Duration::from_millis(200));
/// let dropped = Fault::DropConnection;
/// # let _ = (rate_limited, slow, dropped);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this status, headers and body instead of the normal answer. No extra fields
    /// are added to this body.
    Respond {
        /// The status code.
        status: StatusCode,
        /// The headers to send.
        headers: HeaderMap,
        /// The body to send, as is.
        body: Bytes,
    },
    /// Wait this long, then answer normally.
    Delay(Duration),
    /// Close the TCP connection without sending any answer; the client sees a connection error.
    DropConnection,
}

impl Fault {
    /// A [`Fault::Respond`] with this status, no headers and an empty body.
    ///
    /// ```
    /// use finbourne_identity_emulator::{Fault, http::StatusCode};
    /// assert!(matches!(
    ///     Fault::status(StatusCode::BAD_GATEWAY),
    ///     Fault::Respond { status: StatusCode::BAD_GATEWAY, .. }
    /// ));
    /// ```
    pub fn status(status: StatusCode) -> Self {
        Fault::Respond {
            status,
            headers: HeaderMap::new(),
            body: Bytes::new(),
        }
    }

    /// A [`Fault::Respond`] with this status and JSON body (and `Content-Type: application/json`).
    ///
    /// ```
    /// use finbourne_identity_emulator::{Fault, http::StatusCode};
    /// let fault = Fault::json(
    ///     StatusCode::INTERNAL_SERVER_ERROR,
    ///     &serde_json::json!({"name": "Boom", "code": -1}),
    /// );
    /// # let _ = fault;
    /// ```
    pub fn json(status: StatusCode, body: &serde_json::Value) -> Self {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        Fault::Respond {
            status,
            headers,
            body: Bytes::from(body.to_string()),
        }
    }

    /// Adds a header to a [`Fault::Respond`]; other kinds of fault are returned unchanged.
    ///
    /// ```
    /// use finbourne_identity_emulator::{Fault, http::{header, HeaderValue, StatusCode}};
    /// let fault = Fault::status(StatusCode::SERVICE_UNAVAILABLE)
    ///     .with_header(header::RETRY_AFTER, HeaderValue::from_static("2"));
    /// # let _ = fault;
    /// ```
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        if let Fault::Respond { headers, .. } = &mut self {
            headers.append(name, value);
        }
        self
    }
}

#[derive(Debug, Clone)]
struct FaultRule {
    method: Method,
    pattern: String,
    /// Set for a rule keyed by operationId: it matches the requests that route to this
    /// operation, whatever `pattern` would match.
    operation: Option<&'static Operation>,
    /// Calls left; `None` for a rule that never runs out.
    remaining: Option<u32>,
    fault: Fault,
}

/// The programmable faults of one emulator; get it from
/// [`Emulator::faults`](crate::Emulator::faults).
///
/// A rule names a method and a path. The path is matched against the request path with the
/// `/identity` prefix optional on both sides, so `/api/identityprovider/scim`,
/// `/identity/api/identityprovider/scim`, `/scim/v2/ServiceProviderConfig` and `/oauth2/token` all
/// work; `{name}` segments match any one segment (`/api/users/{id}`). Literal segments compare
/// ASCII case-insensitively. Rules are tried in the order they were added; the first that
/// matches and has calls left is used (and one call is taken from it). A faulted request is still
/// journaled and counted. Clones share the same rules.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), finbourne_identity_emulator::Error> {
/// use std::time::Duration;
/// use finbourne_identity_emulator::Emulator;
/// use finbourne_identity_emulator::http::{HeaderMap, Method, StatusCode};
///
/// let emu = Emulator::start().await?;
/// // The next two AddScim calls answer 503, the third works again.
/// emu.faults()
///     .on(Method::PUT, "/api/identityprovider/scim")
///     .times(2)
///     .respond(StatusCode::SERVICE_UNAVAILABLE, HeaderMap::new(), "try later");
/// // The next token request waits 100 ms before it is answered.
/// emu.faults().on_token_endpoint().delay(Duration::from_millis(100));
/// // The next GetUser call loses its connection.
/// emu.faults().on(Method::GET, "/api/users/{id}").drop_connection();
/// assert_eq!(emu.faults().pending(), 4);
/// emu.faults().clear();
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
pub struct Faults {
    rules: Arc<Mutex<Vec<FaultRule>>>,
}

impl Faults {
    /// Starts a rule for requests with this method and path (see the type's docs for matching).
    /// The rule is added by one of the [`FaultBuilder`]'s final methods.
    pub fn on(&self, method: Method, path: &str) -> FaultBuilder<'_> {
        FaultBuilder {
            faults: self,
            method,
            pattern: path.to_owned(),
            operation: None,
            times: Some(1),
        }
    }

    /// Starts a rule for the requests that route to one operation of the Identity API, named by
    /// its `operationId` (`"GetUser"`), as [`Emulator::answers`](crate::Emulator::answers)
    /// does. Unlike a path template, such a rule matches only that operation:
    /// `on_operation("GetUser")` leaves `GET /api/users/schema` (GetUserSchema) alone.
    ///
    /// # Panics
    ///
    /// When no operation of the API has this operationId (see
    /// [`operations::operation_by_id`](crate::operations::operation_by_id)).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), finbourne_identity_emulator::Error> {
    /// use finbourne_identity_emulator::Emulator;
    /// use finbourne_identity_emulator::http::StatusCode;
    ///
    /// let emu = Emulator::start().await?;
    /// emu.faults().on_operation("GetUser").respond_status(StatusCode::BAD_GATEWAY);
    /// assert_eq!(emu.faults().pending(), 1);
    /// # Ok(()) }
    /// ```
    pub fn on_operation(&self, operation_id: &str) -> FaultBuilder<'_> {
        let Some(op) = operation_by_id(operation_id) else {
            panic!("no operation of the Identity API has the operationId {operation_id:?}");
        };
        FaultBuilder {
            faults: self,
            method: Method::from_bytes(op.method.as_bytes()).unwrap_or(Method::GET),
            pattern: op.path.to_owned(),
            operation: Some(op),
            times: Some(1),
        }
    }

    /// Starts a rule for the OAuth2 token endpoint (`POST /oauth2/token`).
    pub fn on_token_endpoint(&self) -> FaultBuilder<'_> {
        self.on(Method::POST, "/oauth2/token")
    }

    /// Removes every rule.
    pub fn clear(&self) {
        lock(&self.rules).clear();
    }

    /// How many faulted calls the rules still hold (a rule added with
    /// [`FaultBuilder::always`] counts as `u32::MAX`, saturating).
    pub fn pending(&self) -> u32 {
        lock(&self.rules)
            .iter()
            .map(|r| r.remaining.unwrap_or(u32::MAX))
            .fold(0u32, u32::saturating_add)
    }

    fn add(&self, rule: FaultRule) {
        let mut rules = lock(&self.rules);
        rules.retain(|r| r.remaining != Some(0));
        rules.push(rule);
    }

    /// Takes the fault for a request, if a rule matches, using up one of its calls.
    pub(crate) fn take(&self, method: &Method, path: &str) -> Option<Fault> {
        let mut rules = lock(&self.rules);
        let request_path = strip_identity(path);
        // The operation a request routes to, worked out once and only if a rule asks.
        let mut routed: Option<Option<&'static str>> = None;
        let index = rules.iter().position(|r| {
            r.remaining != Some(0)
                && match r.operation {
                    Some(op) => {
                        *routed.get_or_insert_with(|| operation_of(method, path))
                            == Some(op.operation_id)
                    }
                    None => {
                        r.method == *method
                            && match_template(strip_identity(&r.pattern), request_path).is_some()
                    }
                }
        })?;
        let rule = &mut rules[index];
        let fault = rule.fault.clone();
        if let Some(n) = &mut rule.remaining {
            *n -= 1;
            if *n == 0 {
                rules.remove(index);
            }
        }
        Some(fault)
    }
}

/// The operationId a request path (with its `/identity` prefix) routes to, if any.
fn operation_of(method: &Method, path: &str) -> Option<&'static str> {
    let api_path = path.strip_prefix("/identity")?;
    if !(api_path == "/api" || api_path.starts_with("/api/")) {
        return None;
    }
    match resolve(method, api_path) {
        Resolution::Found(op, _) => Some(op.operation_id),
        _ => None,
    }
}

fn strip_identity(path: &str) -> &str {
    match path.strip_prefix("/identity") {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => rest,
        _ => path,
    }
}

/// Builds one fault rule; made by [`Faults::on`]. Without [`times`](Self::times) the rule applies
/// to the next matching call only. Nothing is added until a final method
/// ([`respond`](Self::respond), [`respond_status`](Self::respond_status),
/// [`delay`](Self::delay), [`drop_connection`](Self::drop_connection) or
/// [`inject`](Self::inject)) is called.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), finbourne_identity_emulator::Error> {
/// use finbourne_identity_emulator::{Emulator, Fault};
/// use finbourne_identity_emulator::http::{Method, StatusCode};
///
/// let emu = Emulator::start().await?;
/// emu.faults().on(Method::GET, "/api/me").times(3).respond_status(StatusCode::BAD_GATEWAY);
/// emu.faults().on_token_endpoint().always().inject(Fault::status(StatusCode::INTERNAL_SERVER_ERROR));
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use = "a fault rule is added only by respond, respond_status, delay, drop_connection or inject"]
pub struct FaultBuilder<'a> {
    faults: &'a Faults,
    method: Method,
    pattern: String,
    operation: Option<&'static Operation>,
    times: Option<u32>,
}

impl FaultBuilder<'_> {
    /// Applies the fault to the next `n` matching calls, then the route recovers.
    pub fn times(mut self, n: u32) -> Self {
        self.times = Some(n);
        self
    }

    /// Applies the fault to every matching call until [`Faults::clear`].
    pub fn always(mut self) -> Self {
        self.times = None;
        self
    }

    /// Adds the rule with any [`Fault`].
    pub fn inject(self, fault: Fault) {
        if self.times == Some(0) {
            return;
        }
        self.faults.add(FaultRule {
            method: self.method,
            pattern: self.pattern,
            operation: self.operation,
            remaining: self.times,
            fault,
        });
    }

    /// Answers with this status, headers and body instead of the normal answer.
    pub fn respond(self, status: StatusCode, headers: HeaderMap, body: impl Into<Bytes>) {
        self.inject(Fault::Respond {
            status,
            headers,
            body: body.into(),
        });
    }

    /// Answers with this status and JSON body (and `Content-Type: application/json`) instead of
    /// the normal answer; see [`Fault::json`].
    pub fn respond_json(self, status: StatusCode, body: &serde_json::Value) {
        self.inject(Fault::json(status, body));
    }

    /// Answers with this status and an empty body instead of the normal answer.
    pub fn respond_status(self, status: StatusCode) {
        self.inject(Fault::status(status));
    }

    /// Waits this long before answering normally.
    pub fn delay(self, delay: Duration) {
        self.inject(Fault::Delay(delay));
    }

    /// Closes the connection without an answer.
    pub fn drop_connection(self) {
        self.inject(Fault::DropConnection);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_run_out_in_order() {
        let faults = Faults::default();
        faults
            .on(Method::PUT, "/api/identityprovider/scim")
            .times(2)
            .respond_status(StatusCode::BAD_GATEWAY);
        faults
            .on(Method::PUT, "/identity/api/identityprovider/scim")
            .drop_connection();
        let path = "/identity/api/identityprovider/scim";
        assert_eq!(faults.pending(), 3);
        assert!(faults.take(&Method::GET, path).is_none());
        assert_eq!(
            faults.take(&Method::PUT, path),
            Some(Fault::status(StatusCode::BAD_GATEWAY))
        );
        assert_eq!(
            faults.take(&Method::PUT, path),
            Some(Fault::status(StatusCode::BAD_GATEWAY))
        );
        assert_eq!(faults.take(&Method::PUT, path), Some(Fault::DropConnection));
        assert_eq!(faults.take(&Method::PUT, path), None);
        assert_eq!(faults.pending(), 0);
    }

    #[test]
    fn operation_rules_match_only_their_operation() {
        let faults = Faults::default();
        faults
            .on_operation("GetUser")
            .times(2)
            .respond_status(StatusCode::IM_A_TEAPOT);
        // GetUserSchema shares GetUser's template shape; the rule leaves it alone.
        assert!(
            faults
                .take(&Method::GET, "/identity/api/users/schema")
                .is_none()
        );
        assert!(
            faults
                .take(&Method::PUT, "/identity/api/users/42")
                .is_none()
        );
        assert!(faults.take(&Method::GET, "/api/users/42").is_none());
        assert!(
            faults
                .take(&Method::GET, "/identity/api/users/42")
                .is_some()
        );
        assert!(
            faults
                .take(&Method::GET, "/identity/api/users/u%2043")
                .is_some()
        );
        assert_eq!(faults.pending(), 0);
    }

    #[test]
    #[should_panic(expected = "NoSuchOperation")]
    fn unknown_operation_ids_panic() {
        let _ = Faults::default().on_operation("NoSuchOperation");
    }

    #[test]
    fn templates_and_token_endpoint() {
        let faults = Faults::default();
        faults
            .on(Method::GET, "/api/users/{id}")
            .always()
            .delay(Duration::from_millis(1));
        faults.on_token_endpoint().times(0).drop_connection();
        assert_eq!(faults.take(&Method::POST, "/oauth2/token"), None);
        for _ in 0..3 {
            assert!(
                faults
                    .take(&Method::GET, "/identity/api/users/42")
                    .is_some()
            );
        }
        assert!(faults.take(&Method::GET, "/identity/api/users").is_none());
        assert!(
            faults
                .take(&Method::GET, "/identityx/api/users/1")
                .is_none()
        );
    }
}
