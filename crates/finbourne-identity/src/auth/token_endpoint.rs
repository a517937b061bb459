//! The OAuth2 token endpoint: password, client-credentials and refresh-token grants.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, HeaderMap, LOCATION};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio::time::Instant;
use tracing::Instrument;
use url::Url;

use super::AuthError;
use crate::config::{ClientCredentials, PasswordCredentials, shown_url};
use crate::retry::{
    self, Attempt, Failure, Outcome, RetryPolicy, StandardRetry, Tried, retry_after,
};

/// The scope the official SDKs ask for; `offline_access` is what yields a refresh token.
const SCOPE: &str = "openid client groups offline_access";
/// Tries per token request when the endpoint answers 429.
const TRIES: u32 = 5;
/// The largest answer read from the token endpoint. Real ones are a few KiB; anything larger is
/// not a token response, and must not fill memory.
const MAX_ANSWER: usize = 1024 * 1024;
/// How long a token without a usable `expires_in` is used: short rather than eternal.
const UNKNOWN_LIFETIME: Duration = Duration::from_secs(60);
/// Longer lifetimes are cut to this. Refreshing once a day costs nothing, and a huge
/// `expires_in` then cannot overflow the clock.
const MAX_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// Tokens from one grant.
pub(crate) struct Tokens {
    pub access: SecretString,
    pub refresh: Option<SecretString>,
    pub expires_at: Instant,
}

/// Talks to the token URL with one set of credentials.
pub(crate) struct TokenEndpoint {
    http: reqwest::Client,
    token_url: Url,
    client_id: String,
    client_secret: SecretString,
    grant: Grant,
    policy: Arc<dyn RetryPolicy>,
    /// The token URL as messages show it.
    shown_url: String,
    /// HTTP requests sent, retries included.
    requests: AtomicU64,
}

/// How the client signs in when it has no refresh token.
enum Grant {
    Password {
        username: String,
        password: SecretString,
    },
    /// The client as itself, as service accounts do; the scope only when one is configured.
    ClientCredentials { scope: Option<String> },
}

#[derive(Deserialize, Default)]
struct Refused {
    error: Option<String>,
    error_description: Option<String>,
}

impl TokenEndpoint {
    /// The retry policy of token requests: a 429 is retried [`TRIES`]` - 1` times, honouring
    /// `Retry-After`; nothing else is.
    pub(crate) fn retry_policy() -> Arc<dyn RetryPolicy> {
        Arc::new(StandardRetry::new(TRIES - 1, 0))
    }

    /// The password grant's endpoint.
    pub(crate) fn new(
        http: reqwest::Client,
        credentials: PasswordCredentials,
        policy: Arc<dyn RetryPolicy>,
    ) -> Self {
        let PasswordCredentials {
            token_url,
            username,
            password,
            client_id,
            client_secret,
        } = credentials;
        let grant = Grant::Password { username, password };
        Self::with_grant(http, token_url, client_id, client_secret, grant, policy)
    }

    /// The client credentials grant's endpoint.
    pub(crate) fn client_credentials(
        http: reqwest::Client,
        credentials: ClientCredentials,
        policy: Arc<dyn RetryPolicy>,
    ) -> Self {
        let ClientCredentials {
            token_url,
            client_id,
            client_secret,
            scope,
        } = credentials;
        let grant = Grant::ClientCredentials { scope };
        Self::with_grant(http, token_url, client_id, client_secret, grant, policy)
    }

    fn with_grant(
        http: reqwest::Client,
        token_url: Url,
        client_id: String,
        client_secret: SecretString,
        grant: Grant,
        policy: Arc<dyn RetryPolicy>,
    ) -> Self {
        Self {
            http,
            shown_url: shown_url(&token_url),
            token_url,
            client_id,
            client_secret,
            grant,
            policy,
            requests: AtomicU64::new(0),
        }
    }

    /// How many HTTP requests went to the token URL so far, retries included.
    pub(crate) fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Signs in with the grant: the username and password, or the client's own credentials.
    pub(crate) async fn sign_in(&self) -> Result<Tokens, AuthError> {
        let client = [
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.expose_secret()),
        ];
        match &self.grant {
            Grant::Password { username, password } => {
                let form = [
                    ("grant_type", "password"),
                    ("username", username.as_str()),
                    ("password", password.expose_secret()),
                    ("scope", SCOPE),
                    client[0],
                    client[1],
                ];
                self.request("password", &form, false).await
            }
            Grant::ClientCredentials { scope } => {
                let mut form = vec![("grant_type", "client_credentials")];
                form.extend(scope.as_deref().map(|scope| ("scope", scope)));
                form.extend(client);
                self.request("client_credentials", &form, false).await
            }
        }
    }

    /// Exchanges a refresh token, for the scope signed in with; the client authenticates with
    /// HTTP Basic.
    pub(crate) async fn refresh_grant(&self, refresh: &SecretString) -> Result<Tokens, AuthError> {
        let scope = match &self.grant {
            Grant::Password { .. } => Some(SCOPE),
            Grant::ClientCredentials { scope } => scope.as_deref(),
        };
        let mut form = vec![("grant_type", "refresh_token")];
        form.extend(scope.map(|scope| ("scope", scope)));
        form.push(("refresh_token", refresh.expose_secret()));
        self.request("refresh_token", &form, true).await
    }

    /// One token request, with the grant's `form`, attempted as the policy says, in a span
    /// of its own: whichever call's task drives it, it serves every call waiting for a token.
    /// The span names the grant, never a value of the form.
    async fn request(
        &self,
        grant: &'static str,
        form: &[(&str, &str)],
        basic: bool,
    ) -> Result<Tokens, AuthError> {
        let span = tracing::info_span!(
            "token_request",
            otel.name = "token_request",
            otel.kind = "client",
            grant,
            http.request.method = "POST",
            server.address = self.token_url.host_str(),
            server.port = self.token_url.port_or_known_default(),
            url.template = self.token_url.path(),
            http.response.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
            attempts = tracing::field::Empty,
            retried = false,
        );
        let request = TokenRequest {
            endpoint: self,
            form,
            basic,
        };
        async {
            retry::attempts(request, &*self.policy, None)
                .await
                .map_err(|failure| {
                    retry::recording_span().record("error.type", failure.kind());
                    failure.error
                })
        }
        .instrument(span)
        .await
    }

    /// One attempt of a token request.
    async fn attempt(&self, form: &[(&str, &str)], basic: bool) -> Tried<Tokens, TokenFailure> {
        let mut request = self
            .http
            .post(self.token_url.clone())
            .header(ACCEPT, "application/json")
            .form(form);
        if basic {
            request = request.basic_auth(&self.client_id, Some(self.client_secret.expose_secret()));
        }
        let sent = Instant::now();
        self.requests.fetch_add(1, Ordering::Relaxed);
        let mut answer = match request.send().await {
            Ok(answer) => answer,
            Err(error) => {
                // Only a failure to connect proves that nothing was sent.
                let what = if error.is_connect() {
                    What::NotSent
                } else {
                    What::MaybeProcessed
                };
                let error = self.failed("cannot reach the token endpoint", error);
                return Tried::Failed(TokenFailure { error, what });
            }
        };
        let status = answer.status();
        retry::recording_span().record("http.response.status_code", status.as_u16());
        if status.is_redirection() {
            let error = self.redirected(status, answer.headers());
            return Tried::Failed(TokenFailure::last(error));
        }
        // Taken, not cloned: reading the body needs none of them.
        let headers = std::mem::take(answer.headers_mut());
        let body = match self.read(status, &mut answer).await {
            Ok(body) => body,
            Err(error) => return Tried::Failed(TokenFailure::last(error)),
        };
        // A rate limit that outlasts the tries: the failure then stands until it ends.
        let retry_after = (status == StatusCode::TOO_MANY_REQUESTS)
            .then(|| retry_after(&headers, SystemTime::now()))
            .flatten();
        match decode(status, &body, &self.shown_url, retry_after, sent) {
            Ok(tokens) => Tried::Done(tokens),
            Err(error) if !status.is_success() => Tried::Failed(TokenFailure {
                error,
                what: What::Answered(status, headers),
            }),
            Err(error) => Tried::Failed(TokenFailure::last(error)),
        }
    }

    /// The answer's body, chunk by chunk, failing as soon as it is over [`MAX_ANSWER`].
    async fn read(
        &self,
        status: StatusCode,
        answer: &mut reqwest::Response,
    ) -> Result<Vec<u8>, AuthError> {
        let too_large = || AuthError {
            status: Some(status),
            ..AuthError::new(format!(
                "the answer of the token endpoint {} is larger than {} KiB, too large for a \
                 token response",
                self.shown_url,
                MAX_ANSWER / 1024
            ))
        };
        if answer
            .content_length()
            .is_some_and(|length| length > MAX_ANSWER as u64)
        {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = answer
            .chunk()
            .await
            .map_err(|e| self.failed("cannot read the answer of the token endpoint", e))?
        {
            if body.len() + chunk.len() > MAX_ANSWER {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// The error for a 3xx answer, which is not followed: the form carries the client secret
    /// (and the password), which go to the configured token URL only (the HTTP client given to
    /// [`new`](Self::new) must not follow redirects either). The message names the other
    /// origin alone: `Location`'s path and query may hold anything.
    fn redirected(&self, status: StatusCode, headers: &HeaderMap) -> AuthError {
        let target = headers
            .get(LOCATION)
            .and_then(|location| location.to_str().ok())
            .and_then(|location| self.token_url.join(location).ok());
        let to = match target {
            Some(url) => format!("to {}", origin(&url)),
            None => "without a usable Location".to_owned(),
        };
        AuthError {
            status: Some(status),
            ..AuthError::new(format!(
                "the token endpoint {} answered {status}, a redirect {to}; token requests are not \
                 redirected, as they carry the client secret",
                self.shown_url
            ))
        }
    }

    /// `what` happened to a request to the token URL, because of `error`.
    fn failed(&self, what: &str, error: reqwest::Error) -> AuthError {
        // reqwest's message carries the full URL, query and user-info included.
        AuthError::caused_by(format!("{what} {}", self.shown_url), error.without_url())
    }
}

/// A token request, for the attempt loop.
struct TokenRequest<'e> {
    endpoint: &'e TokenEndpoint,
    form: &'e [(&'e str, &'e str)],
    basic: bool,
}

impl Attempt for TokenRequest<'_> {
    type Output = Tokens;
    type Error = TokenFailure;

    async fn attempt(&mut self) -> Tried<Tokens, TokenFailure> {
        self.endpoint.attempt(self.form, self.basic).await
    }

    /// A token request is a POST; whether the endpoint took it is unknown once it left.
    fn idempotent(&self) -> bool {
        false
    }
}

/// A failed token request: the error for the callers, and what happened for the policy.
struct TokenFailure {
    error: AuthError,
    what: What,
}

enum What {
    /// No retry can help: a redirect, an answer too large or not a token response.
    Last,
    NotSent,
    MaybeProcessed,
    Answered(StatusCode, HeaderMap),
}

impl TokenFailure {
    fn last(error: AuthError) -> Self {
        Self {
            error,
            what: What::Last,
        }
    }
}

impl Failure for TokenFailure {
    fn outcome(&self) -> Option<Outcome<'_>> {
        match &self.what {
            What::Last => None,
            What::NotSent => Some(Outcome::NotSent),
            What::MaybeProcessed => Some(Outcome::MaybeProcessed),
            What::Answered(status, headers) => Some(Outcome::Answered(*status, headers)),
        }
    }

    /// [`AuthError`] does not say: a token failure is held for every caller a while, then
    /// asked again.
    fn set_retryable(&mut self, _: bool) {}

    fn kind(&self) -> &str {
        match (&self.what, &self.error.status) {
            (What::Answered(status, _), _) => status.as_str(),
            (_, _) if self.error.is_timeout() => "timeout",
            (What::NotSent | What::MaybeProcessed, _) => "transport",
            (What::Last, Some(status)) if !status.is_success() => status.as_str(),
            (What::Last, Some(_)) => "invalid_answer",
            (What::Last, None) => "transport",
        }
    }
}

/// What a whole token answer means: tokens for a 2xx, otherwise the refusal with the OAuth
/// error the body names. Messages name the endpoint as `shown_url` and never hold a token:
/// the token fields are described by their kind, never quoted (a parser's message would quote
/// a token sent as a number), and JSON syntax errors give a position only.
fn decode(
    status: StatusCode,
    body: &[u8],
    shown_url: &str,
    retry_after: Option<Duration>,
    sent: Instant,
) -> Result<Tokens, AuthError> {
    use serde_json::Value as Json;
    if !status.is_success() {
        let refused: Refused = serde_json::from_slice(body).unwrap_or_default();
        return Err(AuthError {
            status: Some(status),
            oauth_error: refused.error,
            description: refused.error_description,
            detail: format!("the token endpoint {shown_url} answered {status}"),
            source: None,
            retry_after,
        });
    }
    let what = format!("the answer of the token endpoint {shown_url} is not a token response");
    let answer: Json =
        serde_json::from_slice(body).map_err(|e| AuthError::caused_by(what.clone(), e))?;
    let not_a_token = |why: String| AuthError::new(format!("{what}: {why}"));
    let Json::Object(fields) = &answer else {
        let kind = crate::config::json_kind(&answer);
        return Err(not_a_token(format!("it is {kind}, not an object")));
    };
    let token = |name: &str| match fields.get(name) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(token)) => Ok(Some(token.clone())),
        Some(other) => {
            let kind = crate::config::json_kind(other);
            Err(not_a_token(format!("its {name} is {kind}, not a string")))
        }
    };
    let access =
        token("access_token")?.ok_or_else(|| not_a_token("it has no access_token".into()))?;
    let refresh = token("refresh_token")?;
    // Refused here, naming the endpoint, rather than as a header that cannot be built.
    if access.trim().is_empty() {
        return Err(not_a_token("its access_token is empty".into()));
    }
    if reqwest::header::HeaderValue::from_str(&access).is_err() {
        return Err(not_a_token(
            "its access_token holds a character an HTTP header cannot carry".into(),
        ));
    }
    let lifetime = lifetime(fields.get("expires_in")).unwrap_or(UNKNOWN_LIFETIME);
    Ok(Tokens {
        access: access.into(),
        refresh: refresh.map(Into::into),
        expires_at: sent + lifetime,
    })
}

/// The lifetime an `expires_in` value gives, at most [`MAX_LIFETIME`]: whole or fractional
/// seconds, as a JSON number or a string holding one. `None` for anything else (negative,
/// NaN, infinite, text, objects): such a token counts as one without `expires_in`.
fn lifetime(expires_in: Option<&serde_json::Value>) -> Option<Duration> {
    use serde_json::Value;
    let lifetime = match expires_in? {
        Value::Number(n) => match n.as_u64() {
            Some(seconds) => Duration::from_secs(seconds),
            None => from_seconds(n.as_f64()?)?,
        },
        Value::String(text) => {
            let text = text.trim();
            match text.parse::<u64>() {
                Ok(seconds) => Duration::from_secs(seconds),
                Err(_) => from_seconds(text.parse().ok()?)?,
            }
        }
        _ => return None,
    };
    Some(lifetime.min(MAX_LIFETIME))
}

/// Fractional seconds, capped before conversion so that no finite value can overflow.
fn from_seconds(seconds: f64) -> Option<Duration> {
    (seconds.is_finite() && seconds >= 0.0)
        .then(|| Duration::from_secs_f64(seconds.min(MAX_LIFETIME.as_secs_f64())))
}

/// Where a request to `url` would go (`scheme://host:port`), without what it would carry.
fn origin(url: &Url) -> String {
    let origin = url.origin();
    if origin.is_tuple() {
        origin.ascii_serialization()
    } else {
        format!("a {}: URL", url.scheme())
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use finbourne_identity_emulator::http::StatusCode as Status;
    use finbourne_identity_emulator::{Emulator, Fault};
    use serde_json::json;

    use super::super::test_support::{endpoint_at, http, refusing_address};
    use super::*;

    #[test]
    fn expires_in_is_read_leniently_and_capped() {
        let secs = Duration::from_secs;
        let cases = [
            (json!(3600), Some(secs(3600))),
            (json!(0), Some(Duration::ZERO)),
            (json!(u64::MAX), Some(MAX_LIFETIME)),
            (json!(i64::MIN), None),
            (json!(-1), None),
            (json!(3600.0), Some(secs(3600))),
            (json!(1.5), Some(Duration::from_millis(1500))),
            (json!(-0.5), None),
            (json!(1e300), Some(MAX_LIFETIME)),
            (json!("3600"), Some(secs(3600))),
            (json!(" 3600 "), Some(secs(3600))),
            (json!("3600.0"), Some(secs(3600))),
            (json!("18446744073709551615"), Some(MAX_LIFETIME)),
            (json!("99999999999999999999999"), Some(MAX_LIFETIME)),
            (json!("-3600"), None),
            (json!("NaN"), None),
            (json!("inf"), None),
            (json!("an hour"), None),
            (json!(""), None),
            (json!(true), None),
            (json!(null), None),
            (json!([3600]), None),
            (json!({"seconds": 3600}), None),
        ];
        for (value, expected) in cases {
            assert_eq!(lifetime(Some(&value)), expected, "{value}");
        }
        assert_eq!(lifetime(None), None);
    }

    #[test]
    fn an_unusable_token_answer_says_what_is_wrong_without_quoting_a_token() {
        let url = "https://idp.example.com/token";
        let cases = [
            (
                r#"{"access_token": 73518264019}"#,
                "its access_token is a number, not a string",
            ),
            (
                r#"{"access_token": ["t0k3n"]}"#,
                "its access_token is an array, not a string",
            ),
            (r#"{"access_token": null}"#, "it has no access_token"),
            (r#"{"token": "t0k3n"}"#, "it has no access_token"),
            (r#"{"access_token": " "}"#, "its access_token is empty"),
            (
                r#"{"access_token": "t0k3n\r\nX-Injected: 1"}"#,
                "its access_token holds a character an HTTP header cannot carry",
            ),
            (
                r#"{"access_token": "t0k3n", "refresh_token": 73518264019}"#,
                "its refresh_token is a number, not a string",
            ),
            (r#"["t0k3n"]"#, "it is an array, not an object"),
        ];
        for (body, why) in cases {
            let error = decode(StatusCode::OK, body.as_bytes(), url, None, Instant::now())
                .err()
                .expect("an error");
            let shown = format!("{error} {error:?}");
            assert_eq!(
                error.to_string(),
                format!("the answer of the token endpoint {url} is not a token response: {why}")
            );
            assert!(
                !shown.contains("t0k3n") && !shown.contains("73518264019"),
                "{shown}"
            );
        }
        let tokens = decode(
            StatusCode::OK,
            br#"{"access_token": "a", "refresh_token": null, "expires_in": null}"#,
            url,
            None,
            Instant::now(),
        )
        .unwrap_or_else(|error| panic!("a token without a refresh token: {error}"));
        assert!(tokens.refresh.is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn a_grant_with_the_largest_expires_in_is_used_for_a_day() {
        let emulator = Emulator::start().await.unwrap();
        emulator.faults().on_token_endpoint().inject(Fault::json(
            Status::OK,
            &json!({"access_token": "t", "expires_in": 18446744073709551615_u64}),
        ));
        let endpoint = endpoint_at(&emulator, emulator.token_url(), http());
        let before = Instant::now();
        let tokens = endpoint.sign_in().await.expect("a token");
        assert!(tokens.expires_at >= before + MAX_LIFETIME);
        assert!(tokens.expires_at <= Instant::now() + MAX_LIFETIME);
    }

    #[tokio::test]
    async fn a_redirect_is_an_error_naming_the_other_origin_and_sends_nothing_there() {
        let endpoint = Emulator::start().await.unwrap();
        let elsewhere = Emulator::start().await.unwrap();
        let other = format!("http://{}", elsewhere.addr());
        let location = format!("http://who:pw@{}/steal/path?code=xyz", elsewhere.addr());
        let cases = [
            (
                Status::TEMPORARY_REDIRECT,
                Some(location.as_str()),
                format!("to {other};"),
            ),
            (
                Status::FOUND,
                Some(location.as_str()),
                format!("to {other};"),
            ),
            (
                Status::PERMANENT_REDIRECT,
                Some("data:text/plain,x"),
                "to a data: URL;".into(),
            ),
            (Status::SEE_OTHER, None, "without a usable Location;".into()),
        ];
        let token_endpoint = endpoint_at(&endpoint, endpoint.token_url(), http());
        for (status, location, named) in cases {
            let mut headers = HeaderMap::new();
            if let Some(location) = location {
                headers.insert(LOCATION, location.parse().unwrap());
            }
            endpoint
                .faults()
                .on_token_endpoint()
                .respond(status, headers, "");
            let error = token_endpoint.sign_in().await.err().expect("an error");
            assert_eq!(error.status(), Some(status));
            let shown = format!("{error} {error:?}");
            assert!(shown.contains(&named), "{status}: {shown}");
            for hidden in ["steal", "code", "xyz", "who", "pw@"] {
                assert!(!shown.contains(hidden), "{hidden} in {shown}");
            }
            for secret in [endpoint.password(), endpoint.client_secret()] {
                assert!(!shown.contains(secret), "{shown}");
            }
        }
        assert_eq!(endpoint.counters().token_requests(), 4);
        assert!(
            elsewhere.journal().is_empty(),
            "nothing reached the other origin"
        );
        assert_eq!(elsewhere.counters().connections_accepted, 0);
    }

    #[tokio::test]
    async fn an_answer_over_1_mib_is_refused_whatever_its_status() {
        let emulator = Emulator::start().await.unwrap();
        let endpoint = endpoint_at(&emulator, emulator.token_url(), http());
        let huge = format!(r#"{{"access_token": "{}"}}"#, "a".repeat(MAX_ANSWER));
        for status in [Status::OK, Status::BAD_REQUEST] {
            emulator
                .faults()
                .on_token_endpoint()
                .respond(status, HeaderMap::new(), huge.clone());
            let error = endpoint.sign_in().await.err().expect("an error");
            assert_eq!(error.status(), Some(status));
            assert!(
                error.to_string().contains("larger than 1024 KiB"),
                "{error}"
            );
        }
    }

    /// A token endpoint that answers 200 with an endless chunked body (no `Content-Length`):
    /// the client has to count what it reads. Gives how much it managed to write.
    async fn endless_answer(listener: tokio::net::TcpListener) -> usize {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut request = [0; 4096];
        let _ = stream.read(&mut request).await;
        let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                    transfer-encoding: chunked\r\n\r\n";
        let chunk = format!("10000\r\n{}\r\n", "x".repeat(0x10000));
        let mut written = 0;
        let mut sending = stream.write_all(head.as_bytes()).await;
        while sending.is_ok() && written < 256 * MAX_ANSWER {
            sending = stream.write_all(chunk.as_bytes()).await;
            written += 0x10000;
        }
        written
    }

    #[tokio::test]
    async fn an_endless_answer_is_read_no_further_than_1_mib() {
        let emulator = Emulator::start().await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/oauth2/token", listener.local_addr().unwrap());
        let server = tokio::spawn(endless_answer(listener));
        let error = endpoint_at(&emulator, &url, http())
            .sign_in()
            .await
            .err()
            .expect("an error");
        assert!(
            error.to_string().contains("larger than 1024 KiB"),
            "{error}"
        );
        let written = server.await.unwrap();
        assert!(
            written < 64 * MAX_ANSWER,
            "the client hung up early: {} MiB written",
            written / MAX_ANSWER
        );
    }

    #[tokio::test]
    async fn a_refused_connection_keeps_the_reqwest_error_as_source_not_in_the_message() {
        let emulator = Emulator::start().await.unwrap();
        let address = refusing_address().await;
        let url = format!("http://user:url-password@{address}/oauth2/token?client_secret=in-query");
        let error = endpoint_at(&emulator, &url, http())
            .sign_in()
            .await
            .err()
            .expect("an error");

        let shown = error.to_string();
        assert_eq!(
            shown,
            format!("cannot reach the token endpoint http://{address}/oauth2/token")
        );
        let source = error.source().expect("the cause is kept");
        let cause = source.downcast_ref::<reqwest::Error>().expect("reqwest's");
        assert!(cause.is_connect(), "{cause:?}");
        assert!(!shown.contains(&source.to_string()), "{shown}");
        assert!(!error.is_timeout());
        let everything = format!("{shown} {error:?} {}", crate::error::with_causes(&error));
        for secret in [
            "url-password",
            "in-query",
            emulator.password(),
            emulator.client_secret(),
        ] {
            assert!(!everything.contains(secret), "{secret} in {everything}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_token_request_that_runs_out_of_time_is_a_timeout() {
        let emulator = Emulator::start().await.unwrap();
        emulator
            .faults()
            .on_token_endpoint()
            .delay(Duration::from_secs(5));
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(1))
            .build()
            .unwrap();
        let error = endpoint_at(&emulator, emulator.token_url(), http)
            .sign_in()
            .await
            .err()
            .expect("an error");
        assert!(error.is_timeout(), "{error:?}");
    }

    #[tokio::test]
    async fn a_client_credentials_refresh_asks_for_the_configured_scope_or_none() {
        let emulator = Emulator::start().await.unwrap();
        for (scope, sent) in [(None, None), (Some("api"), Some("api"))] {
            let mut credentials = ClientCredentials::new(
                emulator.token_url(),
                emulator.client_id(),
                emulator.client_secret(),
            )
            .unwrap();
            if let Some(scope) = scope {
                credentials = credentials.scope(scope);
            }
            let endpoint = TokenEndpoint::client_credentials(
                http(),
                credentials,
                TokenEndpoint::retry_policy(),
            );
            // The emulator never issued this refresh token; only the request matters here.
            let _ = endpoint.refresh_grant(&"a-refresh-token".into()).await;
            let request = emulator.journal().pop().unwrap();
            assert_eq!(
                request.form_field("grant_type").as_deref(),
                Some("refresh_token")
            );
            assert_eq!(request.form_field("scope").as_deref(), sent);
            assert!(
                request
                    .header("authorization")
                    .unwrap()
                    .starts_with("Basic ")
            );
        }
    }
}

/// Token answers of every shape: no panic, and a planted token never in an error.
#[cfg(test)]
mod properties {
    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::*;

    const PLANTED: &str = "PLANTEDtk7";
    /// A token the endpoint sent as a number: the parser's messages quote numbers.
    const PLANTED_NUMBER: u64 = 73_518_264_019;

    fn value() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(json!(PLANTED)),
            Just(json!([PLANTED])),
            Just(json!({ "value": PLANTED })),
            Just(json!(format!("Bearer {PLANTED}"))),
            Just(json!(PLANTED_NUMBER)),
            any::<i64>().prop_map(|n| json!(n)),
            any::<u64>().prop_map(|n| json!(n)),
            any::<f64>().prop_map(|n| json!(n)),
            Just(json!("3600")),
            Just(json!("3600.5")),
            Just(json!("-1")),
            Just(json!("NaN")),
            Just(json!(1e308)),
            Just(Value::Null),
            any::<bool>().prop_map(|b| json!(b)),
            ".{0,12}".prop_map(|s| json!(s)),
        ]
    }

    /// An answer object: token fields and others with any values (the server's own error
    /// text excepted, which is shown by design), possibly cut short.
    fn answer() -> impl Strategy<Value = Vec<u8>> {
        let field = prop::sample::select(vec![
            "access_token",
            "refresh_token",
            "expires_in",
            "token_type",
            "scope",
            "id_token",
        ]);
        (
            prop::collection::vec((field, value()), 0..6),
            prop::option::of(".{0,20}"),
            any::<prop::sample::Index>(),
            any::<bool>(),
        )
            .prop_map(|(fields, error, cut, whole)| {
                let mut text = String::from("{");
                for (i, (name, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        text.push(',');
                    }
                    text.push_str(&format!("{}:{value}", json!(name)));
                }
                if let Some(error) = error {
                    let comma = if fields.is_empty() { "" } else { "," };
                    text.push_str(&format!("{comma}\"error_description\":{}", json!(error)));
                }
                text.push('}');
                let mut bytes = text.into_bytes();
                if !whole {
                    bytes.truncate(cut.index(bytes.len() + 1));
                }
                bytes
            })
    }

    fn status() -> impl Strategy<Value = StatusCode> {
        prop_oneof![
            prop::sample::select(vec![200u16, 201, 204, 400, 401, 403, 429, 500, 503]),
            100u16..600,
        ]
        .prop_map(|code| StatusCode::from_u16(code).unwrap())
    }

    fn shown(error: &AuthError) -> String {
        let mut text = format!("{error}\n{error:?}");
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            text.push_str(&format!("\n{cause}\n{cause:?}"));
            source = cause.source();
        }
        text
    }

    /// 10,000 cases from XorShift: the default generator, ChaCha, unoptimised in a debug build,
    /// took most of the time.
    fn ten_thousand_cases() -> ProptestConfig {
        let mut config = ProptestConfig::with_cases(10_000);
        config.rng_algorithm = prop::test_runner::RngAlgorithm::XorShift;
        config
    }

    proptest! {
        #![proptest_config(ten_thousand_cases())]

        #[test]
        fn any_bytes_decode_without_panic(status in status(), body in prop::collection::vec(any::<u8>(), 0..200)) {
            let _ = decode(status, &body, "https://idp.example.com/token", None, Instant::now());
        }

        #[test]
        fn a_planted_token_never_shows_in_an_error(status in status(), body in answer()) {
            if let Err(error) = decode(status, &body, "https://idp.example.com/token", None, Instant::now()) {
                let text = shown(&error);
                prop_assert!(!text.contains(PLANTED), "{} -> {}", String::from_utf8_lossy(&body), text);
                prop_assert!(!text.contains(&PLANTED_NUMBER.to_string()), "{} -> {}", String::from_utf8_lossy(&body), text);
            }
        }
    }
}
