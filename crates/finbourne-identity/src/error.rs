//! The crate's one error type, [`Error`], and the value each of its variants holds.
//!
//! The values' data is private and read through methods, so that each can carry more in a
//! later version without breaking callers.
//!
//! ```
//! use finbourne_identity::error::{Error, TimeoutError};
//!
//! fn limit(error: &Error) -> Option<&TimeoutError> {
//!     match error {
//!         Error::Timeout(timeout) => Some(timeout),
//!         _ => None,
//!     }
//! }
//! # let _ = limit;
//! ```

use std::fmt;

use finbourne_identity_client::types::LusidValidationProblemDetails;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

pub use crate::auth::AuthError;
pub use crate::config::ConfigError;
use crate::printable::printable;
use crate::retry::{Failure, Outcome};

/// Everything that can go wrong, as variants a caller can match on. Never holds a secret.
///
/// Each variant holds one value whose data is read through methods ([`ApiError::status`],
/// [`TimeoutError::limit`], ...), the shape of aws-smithy's `SdkError`: matching on the variant
/// says what failed, and each kind of failure can carry more in a later version without
/// breaking a `match`. Both the enum and the values are non-exhaustive; the questions most
/// callers ask are methods of `Error` itself ([`status`](Self::status),
/// [`is_timeout`](Self::is_timeout), [`problem`](Self::problem),
/// [`is_retryable`](Self::is_retryable), [`operation`](Self::operation)).
///
/// `Display` says what failed at this level only; the cause, when there is one, is
/// [`source()`](std::error::Error::source), so a report (anyhow, eyre) shows each cause once.
///
/// ```
/// # async fn run(client: finbourne_identity::IdentityClient) {
/// use finbourne_identity::{Error, TimeoutLimit};
///
/// match client.remove_scim().send().await {
///     Ok(()) => {}
///     Err(e) if e.status() == Some(reqwest::StatusCode::FORBIDDEN) => eprintln!("not allowed: {e}"),
///     Err(Error::Authentication(e)) => eprintln!("check your credentials: {e}"),
///     Err(Error::Timeout(t)) if t.limit() == TimeoutLimit::Total => eprintln!("gave up waiting: {t}"),
///     Err(e) => eprintln!("{e}"),
/// }
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration is incomplete or invalid; the message lists every problem.
    #[error(transparent)]
    Config(Box<ConfigError>),
    /// No token could be had from the token endpoint, the token file or a provider.
    #[error(transparent)]
    Authentication(AuthError),
    /// The API answered with an error status.
    #[error(transparent)]
    Api(Box<ApiError>),
    /// The request could not be sent, or its answer not received.
    #[error(transparent)]
    Transport(TransportError),
    /// A timeout expired; [`TimeoutError::limit`] says which.
    #[error(transparent)]
    Timeout(TimeoutError),
    /// The answer could not be decoded.
    #[error(transparent)]
    Decode(DecodeError),
    /// The answer was larger than the client accepts.
    #[error(transparent)]
    AnswerTooLarge(AnswerTooLargeError),
    /// The API answered with a redirect the SDK does not follow: to another origin, or one
    /// too many.
    #[error(transparent)]
    Redirect(RedirectError),
    /// A request parameter could not be converted (e.g. a string too long for the API), or a
    /// request would reach another operation than its own.
    #[error(transparent)]
    InvalidRequest(InvalidRequestError),
    /// The HTTP client could not be built from the configuration (proxy, CA certificate).
    #[error(transparent)]
    HttpClient(HttpClientError),
    /// A successful answer lacked something the SDK needs, e.g. the SCIM token.
    #[error(transparent)]
    IncompleteAnswer(IncompleteAnswerError),
}

/// Whether a failed request may have reached the service.
///
/// A write that failed [`NotSent`](Self::NotSent) can be sent again; one that
/// [`MaybeProcessed`](Self::MaybeProcessed) may have taken effect, so look before repeating it.
///
/// ```
/// # async fn run(identity: finbourne_identity::IdentityClient) {
/// use finbourne_identity::{Delivery, Error};
///
/// match identity.create_role().name("payroll").send().await {
///     Ok(role) => println!("created {}", role.id),
///     Err(Error::Transport(e)) if e.delivery() == Delivery::NotSent => {
///         println!("nothing was created; safe to try again")
///     }
///     Err(e) => println!("the role may exist: list roles before creating it again ({e})"),
/// }
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// It never left this machine: the connection, DNS or TLS handshake failed.
    NotSent,
    /// It was written, at least in part: the service may have acted on it.
    MaybeProcessed,
}

/// Which limit a [`Error::Timeout`] hit.
///
/// ```
/// use finbourne_identity::TimeoutLimit;
/// assert_eq!(TimeoutLimit::Total.to_string(), "the call's total timeout expired");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeoutLimit {
    /// The call's total timeout, which covers the token request, every attempt and wait.
    Total,
    /// The timeout of one attempt.
    Attempt,
    /// The connect timeout.
    Connect,
    /// The read timeout: too long without data from the server.
    Read,
}

impl fmt::Display for TimeoutLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Total => "the call's total timeout expired",
            Self::Attempt => "the attempt timeout expired",
            Self::Connect => "the connect timeout expired",
            Self::Read => "the read timeout expired",
        })
    }
}

impl Error {
    /// The status of the API's answer, for an error answer or a redirect.
    ///
    /// ```
    /// # async fn run(identity: finbourne_identity::IdentityClient) {
    /// if let Err(e) = identity.get_user().id("nobody").send().await {
    ///     if e.status() == Some(reqwest::StatusCode::NOT_FOUND) {
    ///         println!("no such user");
    ///     }
    /// }
    /// # }
    /// ```
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Api(e) => Some(e.status),
            Self::Redirect(e) => Some(e.status),
            _ => None,
        }
    }

    /// Whether a timeout expired (total, attempt, connect or read).
    ///
    /// ```
    /// # async fn run(identity: finbourne_identity::IdentityClient) {
    /// if let Err(e) = identity.list_users().send().await {
    ///     if e.is_timeout() { eprintln!("try again later"); }
    /// }
    /// # }
    /// ```
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout(_))
    }

    /// The problem details of an error answer, when its body held them.
    ///
    /// ```
    /// # async fn run(identity: finbourne_identity::IdentityClient) {
    /// if let Err(e) = identity.get_user_info().send().await {
    ///     if let Some(problem) = e.problem() {
    ///         eprintln!("code {:?}: {:?}", problem.code, problem.detail);
    ///     }
    /// }
    /// # }
    /// ```
    pub fn problem(&self) -> Option<&LusidValidationProblemDetails> {
        match self {
            Self::Api(e) => e.problem(),
            _ => None,
        }
    }

    /// Whether the retry policy retries this kind of failure for the call that failed (it
    /// stopped because its budget or the deadline ran out): a later call may succeed. False
    /// for failures that would fail again, and for non-idempotent calls that may have reached
    /// the service.
    ///
    /// ```
    /// # async fn run(identity: finbourne_identity::IdentityClient) {
    /// if let Err(e) = identity.list_roles().send().await {
    ///     if e.is_retryable() { eprintln!("the service is busy; try again later"); }
    /// }
    /// # }
    /// ```
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Api(e) => e.retryable,
            Self::Transport(e) => e.retryable,
            Self::Timeout(e) => e.retryable,
            _ => false,
        }
    }

    /// The operation that failed, e.g. `get_user`; `None` for failures before any operation
    /// (configuration, building the HTTP client) and for authentication, which serves every
    /// operation.
    ///
    /// ```
    /// # async fn run(identity: finbourne_identity::IdentityClient) {
    /// if let Err(e) = identity.list_roles().send().await {
    ///     assert!(matches!(e.operation(), Some("list_roles") | None));
    /// }
    /// # }
    /// ```
    pub fn operation(&self) -> Option<&'static str> {
        match self {
            Self::Api(e) => Some(e.operation),
            Self::Transport(e) => Some(e.operation),
            Self::Timeout(e) => Some(e.operation),
            Self::Decode(e) => Some(e.operation),
            Self::AnswerTooLarge(e) => Some(e.operation),
            Self::Redirect(e) => Some(e.operation),
            Self::InvalidRequest(e) => Some(e.operation),
            Self::IncompleteAnswer(e) => Some(e.operation),
            Self::Config(_) | Self::Authentication(_) | Self::HttpClient(_) => None,
        }
    }

    /// Records what the retry policy decided of this failure.
    pub(crate) fn set_retryable(&mut self, decided: bool) {
        match self {
            Self::Api(e) => e.retryable = decided,
            Self::Transport(e) => e.retryable = decided,
            Self::Timeout(e) => e.retryable = decided,
            _ => {}
        }
    }

    /// The error's kind for traces, as OpenTelemetry's `error.type`: the status code of an
    /// error answer (`"503"`), otherwise the variant (`"timeout"`). Low in cardinality, and
    /// never anything the server or the caller wrote.
    pub(crate) fn kind(&self) -> &str {
        match self {
            Self::Api(e) => e.status.as_str(),
            Self::Config(_) => "config",
            Self::Authentication(_) => "authentication",
            Self::Transport(_) => "transport",
            Self::Timeout(_) => "timeout",
            Self::Decode(_) => "decode",
            Self::AnswerTooLarge(_) => "answer_too_large",
            Self::Redirect(_) => "redirect",
            Self::InvalidRequest(_) => "invalid_request",
            Self::HttpClient(_) => "http_client",
            Self::IncompleteAnswer(_) => "incomplete_answer",
        }
    }

    pub(crate) fn transport(
        operation: &'static str,
        delivery: Delivery,
        source: reqwest::Error,
    ) -> Self {
        Self::Transport(TransportError {
            operation,
            delivery,
            retryable: false,
            source,
        })
    }

    pub(crate) fn timeout(
        operation: &'static str,
        limit: TimeoutLimit,
        source: Option<reqwest::Error>,
    ) -> Self {
        Self::Timeout(TimeoutError {
            operation,
            limit,
            retryable: false,
            source,
        })
    }

    pub(crate) fn decode(operation: &'static str, message: String, excerpt: String) -> Self {
        Self::Decode(DecodeError {
            operation,
            message,
            excerpt,
        })
    }

    pub(crate) fn answer_too_large(operation: &'static str, limit: usize) -> Self {
        Self::AnswerTooLarge(AnswerTooLargeError { operation, limit })
    }

    pub(crate) fn redirect(
        operation: &'static str,
        status: StatusCode,
        location: Option<String>,
    ) -> Self {
        Self::Redirect(RedirectError {
            operation,
            status,
            location,
        })
    }

    pub(crate) fn invalid_request(operation: &'static str, message: String) -> Self {
        Self::InvalidRequest(InvalidRequestError { operation, message })
    }

    pub(crate) fn http_client(message: String) -> Self {
        Self::HttpClient(HttpClientError { message })
    }

    pub(crate) fn incomplete_answer(operation: &'static str, missing: &'static str) -> Self {
        Self::IncompleteAnswer(IncompleteAnswerError { operation, missing })
    }
}

impl Failure for Error {
    fn outcome(&self) -> Option<Outcome<'_>> {
        match self {
            Self::Api(e) => Some(Outcome::Answered(e.status, &e.headers)),
            Self::Transport(e) => Some(match e.delivery {
                Delivery::NotSent => Outcome::NotSent,
                Delivery::MaybeProcessed => Outcome::MaybeProcessed,
            }),
            Self::Timeout(e) => match e.limit {
                // Past the deadline, nothing can be tried again.
                TimeoutLimit::Total => None,
                // Only a connection that was never made proves that nothing was sent.
                TimeoutLimit::Connect => Some(Outcome::NotSent),
                TimeoutLimit::Attempt | TimeoutLimit::Read => Some(Outcome::MaybeProcessed),
            },
            // An answer too large would be as large again; a redirect, a missing token or an
            // invalid request would fail the same way.
            _ => None,
        }
    }

    fn set_retryable(&mut self, retryable: bool) {
        Error::set_retryable(self, retryable);
    }

    fn kind(&self) -> &str {
        Error::kind(self)
    }
}

/// The request could not be sent, or its answer not received: [`Error::Transport`].
///
/// ```
/// # async fn run(identity: finbourne_identity::IdentityClient) {
/// use finbourne_identity::{Delivery, Error};
///
/// if let Err(Error::Transport(e)) = identity.create_role().send().await {
///     if e.delivery() == Delivery::MaybeProcessed {
///         eprintln!("{e}: look before creating it again");
///     }
/// }
/// # }
/// ```
#[derive(Debug)]
pub struct TransportError {
    operation: &'static str,
    delivery: Delivery,
    retryable: bool,
    source: reqwest::Error,
}

impl TransportError {
    /// The operation, e.g. `add_scim`.
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// Whether the request may have reached the service.
    pub fn delivery(&self) -> Delivery {
        self.delivery
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.operation)?;
        f.write_str(match self.delivery {
            Delivery::NotSent => "the request could not be sent",
            Delivery::MaybeProcessed => {
                "the connection failed after the request was sent; the service may have \
                 processed it"
            }
        })
    }
}

impl std::error::Error for TransportError {
    /// reqwest's error, with its own causes.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// A timeout expired: [`Error::Timeout`].
///
/// ```
/// # async fn run(identity: finbourne_identity::IdentityClient) {
/// use finbourne_identity::{Error, TimeoutLimit};
///
/// if let Err(Error::Timeout(e)) = identity.list_users().send().await {
///     if e.limit() == TimeoutLimit::Total {
///         eprintln!("{}: give it more time", e.operation());
///     }
/// }
/// # }
/// ```
#[derive(Debug)]
pub struct TimeoutError {
    operation: &'static str,
    limit: TimeoutLimit,
    retryable: bool,
    source: Option<reqwest::Error>,
}

impl TimeoutError {
    /// The operation, e.g. `add_scim`.
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// Which limit expired.
    pub fn limit(&self) -> TimeoutLimit {
        self.limit
    }
}

impl fmt::Display for TimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.operation, self.limit)
    }
}

impl std::error::Error for TimeoutError {
    /// reqwest's error, for the connect and read timeouts it enforces.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_ref().map(|e| e as _)
    }
}

/// The answer could not be decoded: [`Error::Decode`].
///
/// The decoder's own error is not kept: its message may quote a value from the answer.
///
/// ```
/// # async fn run(identity: finbourne_identity::IdentityClient) {
/// if let Err(finbourne_identity::Error::Decode(e)) = identity.get_user_info().send().await {
///     eprintln!("{}: {} (the answer began {})", e.operation(), e.message(), e.excerpt());
/// }
/// # }
/// ```
#[derive(Debug)]
pub struct DecodeError {
    operation: &'static str,
    message: String,
    excerpt: String,
}

impl DecodeError {
    /// The operation, e.g. `add_scim`.
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// The decoder's complaint, with quoted values removed.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The first 200 characters of the body, credentials masked.
    pub fn excerpt(&self) -> &str {
        &self.excerpt
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: cannot decode the answer ({}); it began: {}",
            self.operation, self.message, self.excerpt
        )
    }
}

impl std::error::Error for DecodeError {}

/// The answer was larger than the client accepts: [`Error::AnswerTooLarge`]. See
/// [`IdentityClientBuilder::answer_limit`](crate::IdentityClientBuilder::answer_limit).
///
/// ```
/// # async fn run(identity: finbourne_identity::IdentityClient) {
/// if let Err(finbourne_identity::Error::AnswerTooLarge(e)) = identity.list_logs().send().await {
///     eprintln!("{} answered more than {} bytes", e.operation(), e.limit());
/// }
/// # }
/// ```
#[derive(Debug)]
pub struct AnswerTooLargeError {
    operation: &'static str,
    limit: usize,
}

impl AnswerTooLargeError {
    /// The operation, e.g. `list_users`.
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// The limit, in bytes.
    pub fn limit(&self) -> usize {
        self.limit
    }
}

impl fmt::Display for AnswerTooLargeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: the answer is larger than the limit of {} bytes",
            self.operation, self.limit
        )
    }
}

impl std::error::Error for AnswerTooLargeError {}

/// A redirect the SDK does not follow: [`Error::Redirect`].
///
/// ```
/// # async fn run(identity: finbourne_identity::IdentityClient) {
/// if let Err(finbourne_identity::Error::Redirect(e)) = identity.get_user_info().send().await {
///     eprintln!("{} answered {}, to {:?}: check the identity URL", e.operation(), e.status(), e.location());
/// }
/// # }
/// ```
#[derive(Debug)]
pub struct RedirectError {
    operation: &'static str,
    status: StatusCode,
    location: Option<String>,
}

impl RedirectError {
    /// The operation, e.g. `add_scim`.
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// The redirect's status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The origin (scheme, host and port) it pointed to, when it named one: never its path
    /// or query.
    pub fn location(&self) -> Option<&str> {
        self.location.as_deref()
    }
}

impl fmt::Display for RedirectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: the API answered {}", self.operation, self.status)?;
        match (&self.location, self.status.as_u16()) {
            (Some(location), _) => write!(f, ", redirecting to {location}"),
            (None, 304) => f.write_str(", though the request asked for nothing conditional"),
            (None, _) => f.write_str(" without a Location to go to"),
        }
    }
}

impl std::error::Error for RedirectError {}

/// A request that is not sent: [`Error::InvalidRequest`].
///
/// ```
/// # async fn run(identity: finbourne_identity::IdentityClient) {
/// if let Err(finbourne_identity::Error::InvalidRequest(e)) = identity.get_user().id("..").send().await {
///     assert_eq!(e.operation(), "get_user");
///     eprintln!("{}", e.message());
/// }
/// # }
/// ```
#[derive(Debug)]
pub struct InvalidRequestError {
    operation: &'static str,
    message: String,
}

impl InvalidRequestError {
    /// The operation, e.g. `create_user`.
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// Which parameter, and why.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for InvalidRequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: invalid request: {}", self.operation, self.message)
    }
}

impl std::error::Error for InvalidRequestError {}

/// The HTTP client could not be set up: [`Error::HttpClient`].
///
/// ```
/// # fn run(config: finbourne_identity::Config) {
/// if let Err(finbourne_identity::Error::HttpClient(e)) = finbourne_identity::IdentityClient::new(config) {
///     eprintln!("{}", e.message());
/// }
/// # }
/// ```
#[derive(Debug)]
pub struct HttpClientError {
    message: String,
}

impl HttpClientError {
    /// What could not be set up, naming the setting or file.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for HttpClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for HttpClientError {}

/// A successful answer lacked something the SDK needs: [`Error::IncompleteAnswer`].
///
/// ```
/// # async fn run(identity: finbourne_identity::IdentityClient) {
/// use finbourne_identity::ScimTokenAction;
///
/// if let Err(finbourne_identity::Error::IncompleteAnswer(e)) = identity.add_scim(ScimTokenAction::Ensure).await {
///     assert_eq!(e.operation(), "add_scim");
///     eprintln!("the answer has no {}", e.missing());
/// }
/// # }
/// ```
#[derive(Debug)]
pub struct IncompleteAnswerError {
    operation: &'static str,
    missing: &'static str,
}

impl IncompleteAnswerError {
    /// The operation, e.g. `add_scim`.
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// The missing field, as the API names it (`apiToken`), or `body`.
    pub fn missing(&self) -> &'static str {
        self.missing
    }
}

impl fmt::Display for IncompleteAnswerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: the answer has no {}", self.operation, self.missing)
    }
}

impl std::error::Error for IncompleteAnswerError {}

/// An error answer from the API: status, headers, problem details when the body held them,
/// and the raw body when it did not (a gateway's HTML page, plain text). [`Error::Api`].
///
/// ```
/// # async fn run(identity: finbourne_identity::IdentityClient) {
/// if let Err(finbourne_identity::Error::Api(e)) = identity.get_user().id("00u1").send().await {
///     eprintln!("{} answered {} (code {:?})", e.operation(), e.status(), e.code());
/// }
/// # }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApiError {
    operation: &'static str,
    status: StatusCode,
    headers: HeaderMap,
    problem: Option<LusidValidationProblemDetails>,
    body: Option<String>,
    retryable: bool,
}

impl ApiError {
    pub(crate) fn new(
        operation: &'static str,
        status: StatusCode,
        headers: HeaderMap,
        problem: Option<LusidValidationProblemDetails>,
        body: Option<String>,
    ) -> Self {
        Self {
            operation,
            status,
            headers,
            problem,
            body,
            retryable: false,
        }
    }

    /// The operation that failed, e.g. `add_scim`.
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The answer's headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The problem details, decoded leniently: fields the body lacked are `None`.
    pub fn problem(&self) -> Option<&LusidValidationProblemDetails> {
        self.problem.as_ref()
    }

    /// The FINBOURNE error code, when the problem details carry one (see the API's error table).
    pub fn code(&self) -> Option<i32> {
        self.problem.as_ref().and_then(|p| p.code)
    }

    /// The body as text when it was not problem details.
    pub fn body(&self) -> Option<&str> {
        self.body.as_deref()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: the API answered {}", self.operation, self.status)?;
        if let Some(p) = &self.problem {
            if let Some(name) = &p.name {
                write!(f, ": {}", printable(name.as_str()))?;
            }
            if let Some(code) = p.code {
                write!(f, " (code {code})")?;
            }
            let text = p.detail.as_deref().or(p.title.as_deref()).unwrap_or("");
            if !text.is_empty() {
                write!(f, ": {}", printable(text))?;
            }
            for (field, messages) in p.errors.iter().flatten() {
                let error = format!("{field}: {}", messages.join(", "));
                // A detail that already lists the field errors is not repeated.
                if !text.contains(&error) {
                    write!(f, "; {}", printable(&error))?;
                }
            }
        } else if let Some(body) = &self.body {
            let body = excerpt(body.as_bytes(), 200, &[]);
            if !body.is_empty() {
                write!(f, ": {body}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

impl From<ConfigError> for Error {
    fn from(error: ConfigError) -> Self {
        Self::Config(Box::new(error))
    }
}

impl From<AuthError> for Error {
    fn from(error: AuthError) -> Self {
        Self::Authentication(error)
    }
}

impl From<ApiError> for Error {
    fn from(error: ApiError) -> Self {
        Self::Api(Box::new(error))
    }
}

/// An error and its causes on one line, `outer: cause: root`: reqwest keeps the useful part
/// ("Connection refused") several sources down.
pub(crate) fn with_causes(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

/// The first `limit` characters of `body` as text, credentials masked (the table's credential
/// fields and `credentials`): a body that does not decode may still hold one.
pub(crate) fn excerpt(body: &[u8], limit: usize, credentials: &[&str]) -> String {
    // Only the start is shown; a prefix cut inside a value still masks it (see `redact`).
    let start = &body[..body.len().min(limit.saturating_mul(8))];
    crate::redact::cut(&crate::redact::redact(start, credentials), limit)
}

/// serde's messages quote the offending value, which might be a credential.
pub(crate) fn without_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut inside = false;
    for c in message.chars() {
        if c == '"' {
            if !inside {
                out.push_str("\"…\"");
            }
            inside = !inside;
        } else if !inside {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_mask_credentials_and_are_bounded_and_single_line() {
        let body = br#"{"baseUrl": "https://x/scim/v2", "apiToken": "s3cr3t-t0k3n", "note": "ok"#;
        let text = excerpt(body, 200, &[]);
        assert!(!text.contains("s3cr3t"), "{text}");
        assert!(text.contains("https://x/scim/v2"), "{text}");
        let text = excerpt("<html>\n<body>".repeat(100).as_bytes(), 20, &[]);
        assert_eq!(text.chars().count(), 21);
        assert!(!text.contains('\n'));
    }

    #[test]
    fn api_error_display_uses_problem_details_or_body() {
        let problem: LusidValidationProblemDetails = serde_json::from_str(
            r#"{"name": "InvalidParameterValue", "code": 151, "title": "Bad",
                "errors": {"apiTokenAction": ["unknown value"]}}"#,
        )
        .unwrap();
        let with_problem = ApiError {
            operation: "add_scim",
            status: StatusCode::BAD_REQUEST,
            headers: HeaderMap::new(),
            problem: Some(problem),
            body: None,
            retryable: false,
        };
        assert_eq!(
            with_problem.to_string(),
            "add_scim: the API answered 400 Bad Request: InvalidParameterValue (code 151): Bad; apiTokenAction: unknown value"
        );
        let html = ApiError {
            problem: None,
            status: StatusCode::BAD_GATEWAY,
            body: Some("<html>Bad gateway</html>".into()),
            ..with_problem
        };
        assert_eq!(
            html.to_string(),
            "add_scim: the API answered 502 Bad Gateway: <html>Bad gateway</html>"
        );
    }

    #[test]
    fn field_errors_the_detail_already_lists_are_not_repeated() {
        let problem: LusidValidationProblemDetails = serde_json::from_str(
            r#"{"name": "InvalidParameterValue", "code": 151, "detail": "type: Native or Web.",
                "errors": {"type": ["Native or Web."], "name": ["Too short."]}}"#,
        )
        .unwrap();
        let error = ApiError {
            operation: "create_application",
            status: StatusCode::BAD_REQUEST,
            headers: HeaderMap::new(),
            problem: Some(problem),
            body: None,
            retryable: false,
        };
        assert_eq!(
            error.to_string(),
            "create_application: the API answered 400 Bad Request: InvalidParameterValue (code 151): type: Native or Web.; name: Too short."
        );
    }

    #[test]
    fn server_text_in_problem_details_cannot_drive_a_terminal() {
        let problem: LusidValidationProblemDetails = serde_json::from_str(
            r#"{"name": "Bad\u001b[2J", "title": "t", "detail": "one\nForged: two\u0007\u009b31m",
                "errors": {"f\r": ["x\u202e"]}}"#,
        )
        .unwrap();
        let error = ApiError {
            operation: "get_user",
            status: StatusCode::BAD_REQUEST,
            headers: HeaderMap::new(),
            problem: Some(problem),
            body: None,
            retryable: false,
        };
        assert_eq!(
            error.to_string(),
            "get_user: the API answered 400 Bad Request: Bad\\u{1b}[2J: one\\u{a}Forged: two\\u{7}\\u{9b}31m; f\\u{d}: x\\u{202e}"
        );
    }

    #[test]
    fn a_redirect_says_where_to_or_why_there_is_nowhere() {
        let redirect = |status: u16, location: Option<&str>| {
            Error::redirect(
                "get_user",
                StatusCode::from_u16(status).unwrap(),
                location.map(str::to_owned),
            )
            .to_string()
        };
        assert_eq!(
            redirect(302, Some("https://elsewhere.example.com")),
            "get_user: the API answered 302 Found, redirecting to https://elsewhere.example.com"
        );
        assert_eq!(
            redirect(304, None),
            "get_user: the API answered 304 Not Modified, though the request asked for nothing conditional"
        );
        assert_eq!(
            redirect(307, None),
            "get_user: the API answered 307 Temporary Redirect without a Location to go to"
        );
    }
}
