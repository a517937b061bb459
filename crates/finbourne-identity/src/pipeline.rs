//! What happens to every request made through an [`IdentityClient`](crate::IdentityClient):
//! bearer token, SDK headers, timeouts, retries, and one renewal of the token after a 401.

use std::future::Future;
use std::sync::{Arc, Mutex};

use finbourne_identity_client::{BoxFuture, Middleware};
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};

use crate::auth::{AuthError, Credential};
use crate::call::CallOptions;
use crate::http::HttpClients;
use crate::retry::{Attempts, RetryPolicy};

tokio::task_local! {
    /// The options and findings of the call in progress, when it was made with
    /// `IdentityClient::call`; requests made straight through `api()` use the defaults.
    static CALL: Arc<CallScope>;
}

/// Per-call state shared between the caller and the pipeline.
#[derive(Default)]
pub(crate) struct CallScope {
    pub options: CallOptions,
    /// Why no token could be had: the pipeline can only return a string through the generated
    /// client, so the typed error waits here for the caller.
    auth_error: Mutex<Option<AuthError>>,
    operation: Mutex<Option<&'static str>>,
}

impl CallScope {
    pub(crate) fn new(options: CallOptions) -> Arc<Self> {
        Arc::new(Self {
            options,
            ..Self::default()
        })
    }

    pub(crate) fn take_auth_error(&self) -> Option<AuthError> {
        self.auth_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
    }

    /// The operation the call ran, e.g. `add_scim`.
    pub(crate) fn operation(&self) -> &'static str {
        self.operation
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .unwrap_or("request")
    }

    /// Runs `future` with this scope visible to the pipeline.
    pub(crate) async fn run<F: Future>(self: &Arc<Self>, future: F) -> F::Output {
        CALL.scope(Arc::clone(self), future).await
    }
}

pub(crate) struct Pipeline {
    pub(crate) credential: Credential,
    /// Findings of requests made straight through the generated client, outside any `call`.
    pub(crate) unscoped: Arc<CallScope>,
    headers: HeaderMap,
    defaults: CallOptions,
    policy: RetryPolicy,
    http: HttpClients,
}

impl Pipeline {
    pub(crate) fn new(
        credential: Credential,
        headers: HeaderMap,
        defaults: CallOptions,
        policy: RetryPolicy,
        http: HttpClients,
    ) -> Self {
        Self {
            credential,
            unscoped: CallScope::new(defaults),
            headers,
            defaults,
            policy,
            http,
        }
    }

    /// The call's options over the client's defaults.
    fn options(&self) -> CallOptions {
        CALL.try_with(|scope| scope.options.over(&self.defaults))
            .unwrap_or(self.defaults)
    }

    /// The scope of the call in progress, or the client's own for requests outside any.
    fn scope(&self) -> Arc<CallScope> {
        CALL.try_with(Arc::clone)
            .unwrap_or_else(|_| self.unscoped.clone())
    }

    fn remember(&self, error: AuthError) {
        *self
            .scope()
            .auth_error
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(error);
    }

    async fn prepare_request(
        &self,
        request: &mut reqwest::Request,
        operation: &'static str,
    ) -> Result<(), String> {
        *self
            .scope()
            .operation
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(operation);
        let bearer = self.credential.bearer().await.map_err(|e| {
            let message = e.to_string();
            self.remember(e);
            message
        })?;
        request.headers_mut().insert(AUTHORIZATION, bearer);
        for (name, value) in &self.headers {
            request.headers_mut().insert(name.clone(), value.clone());
        }
        *request.timeout_mut() = self.options().total_timeout.flatten();
        Ok(())
    }

    async fn send_request(
        &self,
        default_http: &reqwest::Client,
        mut request: reqwest::Request,
        operation: &'static str,
    ) -> reqwest::Result<reqwest::Response> {
        let options = self.options();
        let http = self
            .http
            .with_timeouts(
                options.connect_timeout.flatten(),
                options.read_timeout.flatten(),
            )
            .unwrap_or_else(|e| {
                tracing::warn!(operation, error = %e, "using the configured timeouts for this call");
                default_http.clone()
            });
        let policy = self.policy.with_budgets(
            options
                .rate_limit_retries
                .unwrap_or(self.policy.rate_limit_retries()),
            options.retries.unwrap_or(self.policy.retries()),
        );
        let mut attempts = Attempts::default();
        let mut renewed = false;
        loop {
            // Bodies are buffered JSON, so a request can always be cloned; one that cannot is
            // sent once.
            let Some(attempt) = request.try_clone() else {
                return http.execute(request).await;
            };
            let sent = std::time::Instant::now();
            let outcome = http.execute(attempt).await;
            if let Ok(answer) = &outcome {
                // Method, URL and status only: headers would carry the token.
                tracing::debug!(
                    operation,
                    method = %request.method(),
                    url = %request.url(),
                    status = %answer.status(),
                    elapsed = ?sent.elapsed(),
                    "answer"
                );
            }
            let wait = match outcome {
                Ok(answer) if answer.status() == StatusCode::UNAUTHORIZED && !renewed => {
                    renewed = true;
                    match self.renew(&mut request).await {
                        true => {
                            tracing::debug!(
                                operation,
                                "401: repeating the call with a renewed token"
                            );
                            continue;
                        }
                        false => return Ok(answer),
                    }
                }
                Ok(answer) => {
                    match policy.after_status(answer.status(), answer.headers(), &mut attempts) {
                        Some(wait) => {
                            tracing::debug!(operation, status = %answer.status(), ?wait, "retrying");
                            wait
                        }
                        None => return Ok(answer),
                    }
                }
                Err(error) => match policy.after_transport_error(&error, &mut attempts) {
                    Some(wait) => {
                        tracing::debug!(operation, error = %error, ?wait, "retrying after a transport error");
                        wait
                    }
                    None => return Err(error),
                },
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// Puts a renewed token on `request`; false when there is none to be had.
    async fn renew(&self, request: &mut reqwest::Request) -> bool {
        let Some(rejected) = request.headers().get(AUTHORIZATION).cloned() else {
            return false;
        };
        match self.credential.renew(&rejected).await {
            Ok(Some(bearer)) => {
                request.headers_mut().insert(AUTHORIZATION, bearer);
                true
            }
            Ok(None) => false,
            Err(e) => {
                self.remember(e);
                false
            }
        }
    }
}

impl Middleware for Pipeline {
    fn prepare<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
        operation: &'static str,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(self.prepare_request(request, operation))
    }

    fn send<'a>(
        &'a self,
        http: &'a reqwest::Client,
        request: reqwest::Request,
        operation: &'static str,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        Box::pin(self.send_request(http, request, operation))
    }
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
