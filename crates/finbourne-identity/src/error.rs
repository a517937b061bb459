//! The crate's one error type.

use std::fmt;

use finbourne_identity_client::types::LusidValidationProblemDetails;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use crate::auth::AuthError;
use crate::config::ConfigError;
use crate::printable::printable;

/// Everything that can go wrong, as variants a caller can match on. Never holds a secret.
///
/// `Display` says what failed at this level only; the cause, when there is one, is
/// [`source()`](std::error::Error::source), so a report (anyhow, eyre) shows each cause once.
///
/// ```
/// # async fn run(client: finbourne_identity::IdentityClient) {
/// use finbourne_identity::Error;
///
/// match client.remove_scim().send().await {
///     Ok(()) => {}
///     Err(e) if e.status() == Some(reqwest::StatusCode::FORBIDDEN) => eprintln!("not allowed: {e}"),
///     Err(Error::Authentication(e)) => eprintln!("check your credentials: {e}"),
///     Err(e) if e.is_timeout() => eprintln!("gave up waiting: {e}"),
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
    /// No token could be had from the token endpoint or the token file.
    #[error(transparent)]
    Authentication(#[from] AuthError),
    /// The API answered with an error status.
    #[error(transparent)]
    Api(Box<ApiError>),
    /// The request could not be sent, or its answer not received.
    #[error("{operation}: {}", match .delivery {
        Delivery::NotSent => "the request could not be sent",
        Delivery::MaybeProcessed => "the connection failed after the request was sent; the service may have processed it",
    })]
    Transport {
        /// The operation, e.g. `add_scim`.
        operation: &'static str,
        /// Whether the request may have reached the service.
        delivery: Delivery,
        /// Whether the retry policy retries this failure for this call (it stopped because
        /// the budget or the deadline ran out).
        retryable: bool,
        /// reqwest's error, with its own causes.
        #[source]
        source: reqwest::Error,
    },
    /// A timeout expired; `limit` says which.
    #[error("{operation}: {limit}")]
    Timeout {
        /// The operation, e.g. `add_scim`.
        operation: &'static str,
        /// Which limit expired.
        limit: TimeoutLimit,
        /// Whether the retry policy retries this failure for this call (an attempt or read
        /// timeout of an idempotent call; it stopped because the budget or deadline ran out).
        retryable: bool,
        /// reqwest's error, for the connect and read timeouts it enforces.
        #[source]
        source: Option<reqwest::Error>,
    },
    /// The answer could not be decoded; `excerpt` is its start, credentials masked.
    ///
    /// The decoder's own error is not kept: its message may quote a value from the answer.
    #[error("{operation}: cannot decode the answer ({message}); it began: {excerpt}")]
    Decode {
        /// The operation, e.g. `add_scim`.
        operation: &'static str,
        /// The decoder's complaint, with quoted values removed.
        message: String,
        /// The first 200 characters of the body, credentials masked.
        excerpt: String,
    },
    /// The answer was larger than the client accepts.
    #[error("{operation}: the answer is larger than the limit of {limit} bytes")]
    AnswerTooLarge {
        /// The operation, e.g. `list_users`.
        operation: &'static str,
        /// The limit, in bytes.
        limit: usize,
    },
    /// The API answered with a redirect the SDK does not follow: to another origin, or one
    /// too many.
    #[error("{operation}: the API answered {status}{}", match (.location, .status.as_u16()) {
        (Some(location), _) => format!(", redirecting to {location}"),
        (None, 304) => ", though the request asked for nothing conditional".to_owned(),
        (None, _) => " without a Location to go to".to_owned(),
    })]
    Redirect {
        /// The operation, e.g. `add_scim`.
        operation: &'static str,
        /// The redirect's status.
        status: StatusCode,
        /// The origin (scheme, host and port) it pointed to, when it named one.
        location: Option<String>,
    },
    /// A request parameter could not be converted (e.g. a string too long for the API).
    #[error("{operation}: invalid request: {message}")]
    InvalidRequest {
        /// The operation, e.g. `create_user`.
        operation: &'static str,
        /// Which parameter, and why.
        message: String,
    },
    /// The HTTP client could not be built from the configuration (proxy, CA certificate), or
    /// a call set a connect or read timeout that a client given ready-made
    /// ([`IdentityClientBuilder::http_client`](crate::IdentityClientBuilder::http_client))
    /// cannot take.
    #[error("{message}")]
    HttpClient {
        /// What could not be set up, naming the setting or file.
        message: String,
    },
    /// A successful answer lacked something the SDK needs, e.g. the SCIM token.
    #[error("{operation}: the answer has no {missing}")]
    IncompleteAnswer {
        /// The operation, e.g. `add_scim`.
        operation: &'static str,
        /// The missing field, as the API names it (`apiToken`).
        missing: &'static str,
    },
}

/// Whether a failed request may have reached the service.
///
/// ```
/// use finbourne_identity::Delivery;
/// assert_ne!(Delivery::NotSent, Delivery::MaybeProcessed);
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
            Self::Redirect { status, .. } => Some(*status),
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
        matches!(self, Self::Timeout { .. })
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
            Self::Transport { retryable, .. } | Self::Timeout { retryable, .. } => *retryable,
            _ => false,
        }
    }

    /// Records what the retry policy decided of this failure.
    pub(crate) fn set_retryable(&mut self, decided: bool) {
        match self {
            Self::Api(e) => e.retryable = decided,
            Self::Transport { retryable, .. } | Self::Timeout { retryable, .. } => {
                *retryable = decided
            }
            _ => {}
        }
    }
}

/// An error answer from the API: status, headers, problem details when the body held them,
/// and the raw body when it did not (a gateway's HTML page, plain text).
#[derive(Debug, Clone)]
pub struct ApiError {
    pub(crate) operation: &'static str,
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) problem: Option<LusidValidationProblemDetails>,
    pub(crate) body: Option<String>,
    pub(crate) retryable: bool,
}

impl ApiError {
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
            Error::Redirect {
                operation: "get_user",
                status: StatusCode::from_u16(status).unwrap(),
                location: location.map(str::to_owned),
            }
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
