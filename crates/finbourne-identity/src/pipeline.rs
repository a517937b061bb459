//! The call path every operation takes: the wire details the service expects, one deadline
//! over the token and every attempt, retries decided by what happened, one renewal of the token
//! after a 401, and bounded answers.

use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use crate::response::Response;
use bytes::Bytes;
use finbourne_identity_client::operations::Operation;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_LENGTH, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use tokio::time::Instant;
use tracing::Instrument;

use crate::auth::Credential;
use crate::call::{CallOptions, Requests};
use crate::deadline::within;
use crate::error::{ApiError, Delivery, Error, TimeoutLimit, excerpt};
use crate::http::HttpClients;
use crate::retry::{self, Attempt, StandardRetry, Tried};

/// The largest answer kept by default: far above any the API sends, far below what would
/// exhaust a process.
pub(crate) const DEFAULT_ANSWER_LIMIT: usize = 64 * 1024 * 1024;

/// How much of an error answer is kept by default: problem details are a few hundred bytes;
/// a gateway's page is shown as an excerpt anyway.
pub(crate) const DEFAULT_ERROR_BODY_LIMIT: usize = 64 * 1024;

/// The most an answer's body may hold.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// A successful answer: larger fails the call.
    pub answer: usize,
    /// An error answer: the rest is not read.
    pub error_body: usize,
}

/// A successful answer, read to its end.
pub(crate) struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

pub(crate) struct Pipeline {
    /// The identity URL's path, without a trailing `/`: what precedes `/api/...`.
    base_path: Box<str>,
    /// The identity URL's host and port: every request's, for the call's span.
    host: Option<Box<str>>,
    port: Option<u16>,
    pub(crate) credential: Credential,
    headers: HeaderMap,
    /// The client's settings over the configuration's: what a call leaves unset.
    defaults: CallOptions,
    http: HttpClients,
    limits: Limits,
}

/// The policy of a call whose settings name none, which the client's always do.
static STANDARD: StandardRetry = StandardRetry::new(2, 3);

/// How one attempt's exchange ended.
enum Ended {
    Answered(StatusCode, HeaderMap, Bytes),
    Failed(Error),
}

impl Pipeline {
    pub(crate) fn new(
        identity_url: &reqwest::Url,
        credential: Credential,
        headers: HeaderMap,
        defaults: CallOptions,
        http: HttpClients,
        limits: Limits,
    ) -> Self {
        Self {
            base_path: identity_url.path().trim_end_matches('/').into(),
            host: identity_url.host_str().map(Into::into),
            port: identity_url.port_or_known_default(),
            credential,
            headers,
            defaults,
            http,
            limits,
        }
    }

    /// One call of `operation`, start to end, in its span: requests built by `requests` (one
    /// that cannot be built stops the call before anything is sent, a token request included)
    /// with `options` over the client's defaults, then its answer decoded and given to
    /// `keep`. The settings are read where they are, not merged into a copy: no `Arc` of the
    /// client's is touched per call.
    ///
    /// The returned future is the whole call's, boxed once by `.await`: it holds the builder
    /// itself, with no layer around it (a layer's captures are held through the whole call),
    /// and it fits in 968 bytes for `add_scim`, which glibc's allocator serves from its
    /// per-thread cache (blocks over 1,032 bytes take its shared, locked path).
    ///
    /// A plain function around one `async` block: the settings are settled before it, so the
    /// call's future holds each once, and no combinator around the block copies the whole
    /// future over itself when it completes. Always inlined, as are the other functions that
    /// return one layer of the call's future: the layer is then built where the caller keeps
    /// it, not built here and copied there.
    #[inline(always)]
    pub(crate) fn call<'a, T: Send + 'a, O: Send + 'a>(
        &'a self,
        operation: &'static Operation,
        requests: impl Requests + 'a,
        options: CallOptions,
        decode: impl FnOnce(&[u8]) -> Result<T, Error> + Send + 'a,
        keep: impl FnOnce(Response<T>) -> O + Send + 'a,
    ) -> impl Future<Output = Result<O, Error>> + Send + 'a {
        let span = call_span(operation, self.host.as_deref(), self.port);
        let defaults = &self.defaults;
        // A limit too far ahead to represent is no limit.
        let deadline = options
            .total_timeout
            .or(defaults.total_timeout)
            .flatten()
            .and_then(|t| Instant::now().checked_add(t));
        let mut call = ApiCall {
            pipeline: self,
            operation,
            bearer: HeaderValue::from_static(""),
            deadline,
            attempt_timeout: options
                .attempt_timeout
                .or(defaults.attempt_timeout)
                .flatten(),
            read_timeout: options.read_timeout.or(defaults.read_timeout).flatten(),
            idempotent: options.idempotent.or(defaults.idempotent),
            renewed: false,
        };
        let own_policy = options.retry_policy;
        // The block reads the pipeline, operation and deadline from the call, which it holds
        // anyway: each captured value is held for the whole call.
        async move {
            // A labelled block, not an inner `async` block: that would be a second future
            // inside this one, holding references to what this one holds.
            let result = 'call: {
                // Most calls find the token held: then no timer is made for a wait that
                // cannot come, and the first attempt builds its request at once.
                let credential = &call.pipeline.credential;
                call.bearer = match credential.fresh_bearer() {
                    Some(bearer) => bearer,
                    None => {
                        // A call that cannot be sent fails before a token is asked for. The
                        // request is built again by the first attempt: kept, it would be held
                        // in every call's future.
                        if let Err(error) = call.pipeline.outgoing(call.operation, &requests) {
                            break 'call Err(error);
                        }
                        match within(call.deadline, credential.bearer()).await {
                            None => break 'call Err(total_timeout(call.operation)),
                            Some(Err(error)) => break 'call Err(error.into()),
                            Some(Ok(bearer)) => bearer,
                        }
                    }
                };
                let policy = own_policy
                    .as_deref()
                    .or(call.pipeline.defaults.retry_policy.as_deref())
                    .unwrap_or(&STANDARD);
                // By reference: the attempt loop's future does not hold a second copy of the
                // call.
                let deadline = call.deadline;
                let attempting = Attempting {
                    call: &mut call,
                    requests: &requests,
                };
                match retry::attempts(attempting, policy, deadline).await {
                    Ok(answer) => decode(&answer.body)
                        .map(|value| Response::new(answer.status, answer.headers, value)),
                    Err(error) => Err(error),
                }
            };
            if let Err(error) = &result {
                retry::recording_span().record("error.type", error.kind());
            }
            result.map(keep)
        }
        .instrument(span)
    }

    /// The request `requests` builds for `operation`, as it leaves but for the token: refused
    /// if its path would reach another operation, given the wire details the service
    /// expects; or the error that stops the call before anything is sent.
    ///
    /// The request stays in the result it was built into: taken out and put back, it would be
    /// copied each way.
    pub(crate) fn outgoing(
        &self,
        operation: &'static Operation,
        requests: &dyn Requests,
    ) -> Result<reqwest::Request, Error> {
        let mut built = requests.request();
        if let Ok(request) = &mut built {
            self.check_place(operation, request)?;
            self.wire(operation, request);
        }
        built
    }

    /// Refuses a request whose path would reach another operation than its own, whatever
    /// built it: the last guard for "a value keeps its place", after the encoder.
    fn check_place(
        &self,
        operation: &'static Operation,
        request: &reqwest::Request,
    ) -> Result<(), Error> {
        let path = request.url().path();
        let below = path.strip_prefix(&*self.base_path).unwrap_or(path);
        operation
            .check_path(below)
            .map_err(|message| Error::invalid_request(operation.id, message))
    }

    /// One attempt: send, then read the whole answer, within the attempt timeout and the
    /// call's deadline, each wait for the server within the read timeout.
    ///
    /// A plain function: the request goes to the HTTP client now, so the attempt's future
    /// holds reqwest's small pending request rather than the request itself. Inlined, for
    /// the reason [`call`](Self::call) gives.
    #[inline(always)]
    fn attempt(
        &self,
        operation: &'static Operation,
        request: reqwest::Request,
        deadline: Option<Instant>,
        attempt_timeout: Option<Duration>,
        read_timeout: Option<Duration>,
    ) -> impl Future<Output = Ended> + Send + '_ {
        use futures_util::future::FutureExt;

        let attempt_end = attempt_timeout.and_then(|t| Instant::now().checked_add(t));
        let (end, limit) = match (deadline, attempt_end) {
            (Some(d), Some(a)) if a < d => (Some(a), TimeoutLimit::Attempt),
            (None, Some(a)) => (Some(a), TimeoutLimit::Attempt),
            (d, _) => (d, TimeoutLimit::Total),
        };
        let pending = self.http.default_client().execute(request);
        let limits = self.limits;
        let exchange = async move {
            let mut idle = Idle::new(read_timeout);
            let mut answer = waited(&mut idle, pending).await?;
            let status = answer.status();
            // The readers borrow the answer: moved into them, it would be held twice in this
            // future (as their argument and as their local).
            let body = if status.is_success() {
                read_bounded(&mut answer, limits.answer, &mut idle).await?
            } else {
                read_prefix(&mut answer, limits.error_body, &mut idle).await?
            };
            // Taken, not cloned, and only now: not kept beside the answer while it is read.
            let headers = std::mem::take(answer.headers_mut());
            Ok::<_, ReadError>((status, headers, body))
        };
        within(end, exchange).map(move |ended| match ended {
            Some(Ok((status, headers, body))) => Ended::Answered(status, headers, body),
            Some(Err(ReadError::TooLarge)) => {
                Ended::Failed(Error::answer_too_large(operation.id, limits.answer))
            }
            Some(Err(ReadError::Http(error))) => Ended::Failed(transport(operation, error)),
            Some(Err(ReadError::Idle)) => {
                Ended::Failed(Error::timeout(operation.id, TimeoutLimit::Read, None))
            }
            None => Ended::Failed(Error::timeout(operation.id, limit, None)),
        })
    }

    /// Replaces the `bearer` the service rejected with a renewed one; false when there is none
    /// to be had.
    async fn renew(
        &self,
        operation: &'static Operation,
        bearer: &mut HeaderValue,
        deadline: Option<Instant>,
    ) -> Result<bool, Error> {
        match within(deadline, self.credential.renew(bearer)).await {
            None => Err(total_timeout(operation)),
            Some(Err(e)) => Err(e.into()),
            Some(Ok(None)) => Ok(false),
            Some(Ok(Some(renewed))) => {
                *bearer = renewed;
                Ok(true)
            }
        }
    }

    /// What the official SDKs send that the generated request may lack.
    fn wire(&self, operation: &'static Operation, request: &mut reqwest::Request) {
        if !operation.date_time_query.is_empty() {
            microsecond_date_times(request.url_mut(), operation.date_time_query);
        }
        let bodiless = request.body().is_none()
            && matches!(
                *request.method(),
                Method::PUT | Method::POST | Method::DELETE | Method::PATCH
            );
        let headers = request.headers_mut();
        headers.reserve(self.headers.len() + 3);
        for (name, value) in &self.headers {
            headers.insert(name.clone(), value.clone());
        }
        headers
            .entry(ACCEPT)
            .or_insert(HeaderValue::from_static("application/json"));
        // Some gateways answer 411 to a bodiless write without it.
        if bodiless {
            headers.insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
        }
    }
}

/// One call's requests, attempted by [`retry::attempts`]: each attempt's request is built by
/// the call's builder as it is sent. Nothing is kept or copied for an attempt that may never
/// come.
struct ApiCall<'p> {
    pipeline: &'p Pipeline,
    operation: &'static Operation,
    /// The bearer token, set once the call has it (before the first attempt): the renewed one
    /// after a 401.
    bearer: HeaderValue,
    deadline: Option<Instant>,
    attempt_timeout: Option<Duration>,
    read_timeout: Option<Duration>,
    /// As the call set it; otherwise the operation says.
    idempotent: Option<bool>,
    /// Whether the token was renewed after a 401: once per call.
    renewed: bool,
}

/// A call being attempted: its state and its builder, which the call's future holds apart.
struct Attempting<'c, 'p> {
    call: &'c mut ApiCall<'p>,
    requests: &'c dyn Requests,
}

impl Attempting<'_, '_> {
    /// The next attempt's request, with the token.
    fn next_request(&mut self) -> Result<reqwest::Request, Error> {
        let mut built = self
            .call
            .pipeline
            .outgoing(self.call.operation, self.requests);
        if let Ok(request) = &mut built {
            request
                .headers_mut()
                .insert(AUTHORIZATION, self.call.bearer.clone());
        }
        built
    }
}

impl Attempt for Attempting<'_, '_> {
    type Output = Answer;
    type Error = Error;

    async fn attempt(&mut self) -> Tried<Answer, Error> {
        let attempt = match self.next_request() {
            Ok(request) => request,
            Err(error) => return Tried::Failed(error),
        };
        let requests = self.requests;
        let call = &mut *self.call;
        let operation = call.operation;
        // Read for the trace only, and only when it can be seen.
        let sent = tracing::level_enabled!(tracing::Level::DEBUG).then(Instant::now);
        // In its own block: its room in this future is then free again for the token
        // renewal below.
        let (status, headers, body) = {
            let ended = call
                .pipeline
                .attempt(
                    operation,
                    attempt,
                    call.deadline,
                    call.attempt_timeout,
                    call.read_timeout,
                )
                .await;
            match ended {
                Ended::Answered(status, headers, body) => (status, headers, body),
                Ended::Failed(error) => return Tried::Failed(error),
            }
        };
        retry::recording_span().record("http.response.status_code", status.as_u16());
        // The status only: headers would carry the token, the URL values that may be secret.
        if let Some(sent) = sent {
            tracing::debug!(
                status = status.as_u16(),
                elapsed_ms = retry::millis(sent.elapsed()),
                "answer"
            );
        }
        if status.is_success() {
            return Tried::Done(Answer {
                status,
                headers,
                body,
            });
        }
        if status.is_redirection() {
            // The request is gone with the attempt: its URL is built again, to resolve a
            // relative location.
            let location = headers
                .get(reqwest::header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .and_then(|l| requests.request().ok()?.url().join(l).ok())
                .map(|u| u.origin().ascii_serialization());
            return Tried::Failed(Error::redirect(operation.id, status, location));
        }
        if status == StatusCode::UNAUTHORIZED && !call.renewed {
            call.renewed = true;
            match call
                .pipeline
                .renew(operation, &mut call.bearer, call.deadline)
                .await
            {
                Ok(true) => {
                    tracing::debug!("401: repeating the call with a renewed token");
                    return Tried::Again;
                }
                Ok(false) => {}
                Err(error) => return Tried::Failed(error),
            }
        }
        Tried::Failed(api_error(operation, status, headers, body))
    }

    /// Asked only after a failure, when the request that was sent is gone: an operation whose
    /// idempotency depends on the query reads it from the request built again (the same
    /// query: the call path changes only how date-times are written).
    fn idempotent(&self) -> bool {
        let operation = self.call.operation;
        self.call
            .idempotent
            .or(operation.idempotency.without_request())
            .unwrap_or_else(|| {
                self.requests
                    .request()
                    .is_ok_and(|request| operation.is_idempotent(request.url()))
            })
    }
}

/// The span a call runs in: OpenTelemetry's HTTP client span, named after the operation, with
/// nothing a request may carry that could be secret (no token, no query, no body).
fn call_span(
    operation: &'static Operation,
    host: Option<&str>,
    port: Option<u16>,
) -> tracing::Span {
    tracing::info_span!(
        "invoke",
        otel.name = operation.id,
        otel.kind = "client",
        http.request.method = operation.method,
        server.address = host,
        server.port = port,
        url.template = operation.path,
        http.response.status_code = tracing::field::Empty,
        error.type = tracing::field::Empty,
        attempts = tracing::field::Empty,
        retried = false,
    )
}

enum ReadError {
    Http(reqwest::Error),
    TooLarge,
    /// The server sent nothing for the read timeout.
    Idle,
}

impl From<reqwest::Error> for ReadError {
    fn from(error: reqwest::Error) -> Self {
        Self::Http(error)
    }
}

/// An attempt's read timeout: one timer, made when the attempt has a read timeout and set
/// again at each wait for the server. A timer made per wait would be held, inline, in every
/// wait of every call's future, read timeout or not.
struct Idle {
    limit: Duration,
    timer: Pin<Box<tokio::time::Sleep>>,
}

impl Idle {
    fn new(read_timeout: Option<Duration>) -> Option<Idle> {
        read_timeout.map(|limit| Idle {
            limit,
            timer: Box::pin(tokio::time::sleep(limit)),
        })
    }
}

/// One wait for the server (the answer's head, or a piece of its body), within the read
/// timeout when there is one: calls without pay nothing.
async fn waited<T>(
    idle: &mut Option<Idle>,
    wait: impl Future<Output = Result<T, reqwest::Error>>,
) -> Result<T, ReadError> {
    // Set to end a read timeout from now; a limit too far ahead to represent is no limit.
    let armed = idle.as_mut().and_then(|idle| {
        let end = Instant::now().checked_add(idle.limit)?;
        idle.timer.as_mut().reset(end);
        Some(idle)
    });
    let Some(idle) = armed else {
        return wait.await.map_err(ReadError::Http);
    };
    let mut wait = std::pin::pin!(wait);
    std::future::poll_fn(|cx| {
        if let Poll::Ready(done) = wait.as_mut().poll(cx) {
            return Poll::Ready(done.map_err(ReadError::Http));
        }
        idle.timer.as_mut().poll(cx).map(|()| Err(ReadError::Idle))
    })
    .await
}

/// The whole body, or `TooLarge` as soon as it passes `limit`: never more is buffered. The
/// limit is on the bytes as decoded: a compressed answer is refused once its decompressed
/// bytes pass it, however small it was on the wire.
async fn read_bounded(
    answer: &mut reqwest::Response,
    limit: usize,
    idle: &mut Option<Idle>,
) -> Result<Bytes, ReadError> {
    // reqwest gives no length for an answer it decompresses: this is the decoded size.
    if answer.content_length().is_some_and(|n| n > limit as u64) {
        return Err(ReadError::TooLarge);
    }
    let Some(first) = waited(idle, answer.chunk()).await? else {
        return Ok(Bytes::new());
    };
    // Most answers arrive in one chunk: keep it without copying.
    let Some(second) = waited(idle, answer.chunk()).await? else {
        return if first.len() > limit {
            Err(ReadError::TooLarge)
        } else {
            Ok(first)
        };
    };
    let mut body = Vec::with_capacity(first.len() + second.len());
    body.extend_from_slice(&first);
    body.extend_from_slice(&second);
    while body.len() <= limit {
        match waited(idle, answer.chunk()).await? {
            Some(chunk) => body.extend_from_slice(&chunk),
            None => return Ok(body.into()),
        }
    }
    Err(ReadError::TooLarge)
}

/// At most `limit` bytes of an error answer; the rest is never read.
async fn read_prefix(
    answer: &mut reqwest::Response,
    limit: usize,
    idle: &mut Option<Idle>,
) -> Result<Bytes, ReadError> {
    let mut body = Vec::new();
    while body.len() < limit {
        let Some(chunk) = waited(idle, answer.chunk()).await? else {
            break;
        };
        let take = chunk.len().min(limit - body.len());
        body.extend_from_slice(&chunk[..take]);
    }
    Ok(body.into())
}

fn total_timeout(operation: &'static Operation) -> Error {
    Error::timeout(operation.id, TimeoutLimit::Total, None)
}

/// A transport error, saying whether the request may have reached the service.
fn transport(operation: &'static Operation, error: reqwest::Error) -> Error {
    // Only a failure to connect (refused, reset, DNS, TLS handshake, connect timeout) proves
    // that nothing was sent.
    if error.is_timeout() {
        let limit = if error.is_connect() {
            TimeoutLimit::Connect
        } else {
            TimeoutLimit::Read
        };
        return Error::timeout(operation.id, limit, Some(error));
    }
    let delivery = if error.is_connect() {
        Delivery::NotSent
    } else {
        Delivery::MaybeProcessed
    };
    Error::transport(operation.id, delivery, error)
}

/// Problem details when the body holds them, the raw text otherwise.
fn api_error(
    operation: &'static Operation,
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
) -> Error {
    let body = finbourne_identity_client::ErrorBody {
        status,
        headers,
        body,
    };
    let problem = body.problem().filter(|p| {
        p.code.is_some()
            || p.name.is_some()
            || p.title.is_some()
            || p.detail.is_some()
            || p.errors.is_some()
    });
    let text = problem
        .is_none()
        .then(|| excerpt(&body.body, 2000, operation.credential_fields));
    Error::from(ApiError::new(
        operation.id,
        body.status,
        body.headers,
        problem,
        text,
    ))
}

/// Date-time query values as the official SDKs send them: UTC with six fraction digits
/// (`2030-01-02T03:04:05.000000Z`), where serde writes as many as the value needs.
fn microsecond_date_times(url: &mut reqwest::Url, names: &[&str]) {
    // Most calls leave their date-time parameters unset: keep their URL as it is, found
    // without decoding the query (the names are ASCII letters, never escaped). First whether
    // a name is in the query's text at all: one search per name, often settled by length
    // alone, where splitting the query into pairs looks at every byte.
    let named = |pair: &str| {
        names.iter().any(|name| {
            pair.strip_prefix(name)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('='))
        })
    };
    let dated = url.query().is_some_and(|query| {
        names.iter().any(|name| query.contains(name)) && query.split('&').any(named)
    });
    if !dated {
        return;
    }
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(n, v)| {
            let v = match chrono::DateTime::parse_from_rfc3339(&v) {
                Ok(at) if names.contains(&n.as_ref()) => at
                    .with_timezone(&chrono::Utc)
                    .format("%Y-%m-%dT%H:%M:%S%.6fZ")
                    .to_string(),
                _ => v.into_owned(),
            };
            (n.into_owned(), v)
        })
        .collect();
    url.query_pairs_mut().clear().extend_pairs(pairs);
}

/// The headers every request carries besides the token.
pub(crate) fn sdk_headers(
    application_name: Option<&str>,
    correlation_id: Option<&str>,
) -> Result<HeaderMap, String> {
    let mut headers = HeaderMap::new();
    headers.insert(
        HeaderName::from_static("x-lusid-sdk-language"),
        HeaderValue::from_static("Rust"),
    );
    headers.insert(
        HeaderName::from_static("x-lusid-sdk-version"),
        HeaderValue::from_static(env!("CARGO_PKG_VERSION")),
    );
    // Only the configured values can hold characters a header cannot carry.
    for (name, value, setting) in [
        (
            "x-lusid-application",
            application_name,
            "the application name",
        ),
        ("correlationid", correlation_id, "the correlation id"),
    ] {
        if let Some(value) = value {
            let value = HeaderValue::from_str(value)
                .map_err(|_| format!("{setting} {value:?} is not allowed in an HTTP header"))?;
            headers.insert(HeaderName::from_static(name), value);
        }
    }
    Ok(headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_times_go_out_with_microseconds_and_other_values_untouched() {
        let mut url = reqwest::Url::parse(
            "https://x/api/logs?oktaSince=2030-01-02T03%3A04%3A05Z&oktaFilter=2030-01-02T03%3A04%3A05Z&oktaUntil=2030-01-02T03%3A04%3A05.123456789%2B01%3A00",
        )
        .unwrap();
        microsecond_date_times(&mut url, &["oktaSince", "oktaUntil"]);
        let pairs: Vec<_> = url.query_pairs().map(|(n, v)| format!("{n}={v}")).collect();
        assert_eq!(
            pairs,
            [
                "oktaSince=2030-01-02T03:04:05.000000Z",
                "oktaFilter=2030-01-02T03:04:05Z",
                "oktaUntil=2030-01-02T02:04:05.123456Z"
            ]
        );
    }

    #[test]
    fn date_time_names_are_found_in_the_query_as_written() {
        // The quick look for a set date-time compares names undecoded: none needs escaping.
        for op in finbourne_identity_client::operations::OPERATIONS {
            for name in op.date_time_query {
                assert!(name.bytes().all(|b| b.is_ascii_alphanumeric()), "{name}");
            }
        }
        // A name that only starts like one is not it.
        let mut url =
            reqwest::Url::parse("https://x/api/logs?oktaSinceX=2030-01-02T03%3A04%3A05Z").unwrap();
        microsecond_date_times(&mut url, &["oktaSince"]);
        assert_eq!(url.query(), Some("oktaSinceX=2030-01-02T03%3A04%3A05Z"));
    }
}

/// Error answers of every shape: no panic, and a planted credential never in the error.
#[cfg(test)]
mod properties {
    use finbourne_identity_client::operations::OPERATIONS;
    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::*;

    const PLANTED: &str = "PLANTEDeb5";

    /// Problem details, or any JSON, with the operation's credential fields (and other names
    /// that hold secrets) planted in every shape; the server's own prose (title, detail) is
    /// shown by design and carries nothing planted. Possibly cut short.
    fn body(credentials: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
        let mut names = credentials.to_vec();
        names.extend(["password", "apiToken", "client_secret", "refresh_token"]);
        let planted = prop_oneof![
            Just(json!(PLANTED)),
            Just(json!([PLANTED, "x"])),
            Just(json!({ "inner": { "key": PLANTED } })),
            Just(json!(format!("a \"{PLANTED}\" b"))),
        ];
        let field = prop_oneof![
            (prop::sample::select(names), planted),
            (
                prop::sample::select(vec![
                    "title", "detail", "code", "name", "status", "errors", "x"
                ]),
                prop_oneof![
                    ".{0,10}".prop_map(|s| json!(s)),
                    any::<i32>().prop_map(|n| json!(n)),
                    Just(Value::Null),
                    Just(json!({"field": ["bad"]})),
                ]
            ),
        ];
        (
            prop::collection::vec(field, 0..6),
            any::<bool>(),
            any::<prop::sample::Index>(),
            any::<bool>(),
        )
            .prop_map(|(fields, whole, cut, in_list)| {
                let mut object = serde_json::Map::new();
                for (name, value) in fields {
                    object.insert(name.to_owned(), value);
                }
                let value = Value::Object(object);
                let value = if in_list { json!([value]) } else { value };
                let mut bytes = serde_json::to_vec(&value).unwrap();
                if !whole {
                    bytes.truncate(cut.index(bytes.len() + 1));
                }
                bytes
            })
    }

    fn case() -> impl Strategy<Value = (&'static Operation, u16, Vec<u8>)> {
        prop::sample::select(OPERATIONS.iter().collect::<Vec<_>>()).prop_flat_map(|operation| {
            (
                Just(operation),
                prop::sample::select(vec![400u16, 401, 403, 404, 409, 422, 500, 502, 503]),
                body(operation.credential_fields),
            )
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(10_000))]

        #[test]
        fn a_planted_credential_never_shows_in_an_api_error((operation, status, body) in case()) {
            let status = StatusCode::from_u16(status).unwrap();
            let error = api_error(operation, status, HeaderMap::new(), Bytes::from(body.clone()));
            let text = format!("{error}\n{error:?}");
            prop_assert!(!text.contains(PLANTED), "{} -> {}", String::from_utf8_lossy(&body), text);
        }

        #[test]
        fn any_error_body_decodes_without_panic(body in prop::collection::vec(any::<u8>(), 0..300)) {
            let operation = &OPERATIONS[0];
            let _ = api_error(operation, StatusCode::BAD_REQUEST, HeaderMap::new(), Bytes::from(body)).to_string();
        }
    }
}
