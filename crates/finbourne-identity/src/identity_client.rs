//! [`IdentityClient`]: the generated client with credentials, headers and retries wired in.

use std::future::Future;
use std::sync::Arc;

use finbourne_identity_client::Error as ClientError;
use finbourne_identity_client::{ByteStream, ErrorBody, Hooks, ResponseValue};

use crate::auth::{AuthError, Credential, RefreshingToken, TokenEndpoint, TokenFile, bearer};
use crate::call::CallOptions;
use crate::config::{Config, ConfigLoader, Credentials};
use crate::error::{ApiError, Error, excerpt, with_causes};
use crate::http::HttpClients;
use crate::pipeline::{CallScope, Pipeline, sdk_headers};
use crate::retry::RetryPolicy;

/// A client for the FINBOURNE Identity API: every operation of the API, each request carrying
/// a bearer token, the SDK's headers, the configured timeouts and retries.
///
/// Cheap to clone; clones share connections and tokens.
///
/// ```no_run
/// # async fn run() -> Result<(), finbourne_identity::Error> {
/// use finbourne_identity::IdentityClient;
///
/// // Environment variables, then ./secrets.json, as the official SDKs read them.
/// let identity = IdentityClient::from_env()?;
/// let me = identity.call(identity.api().get_user_info().send()).await?;
/// println!("signed in as {}", me.email_address.as_str());
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct IdentityClient {
    api: finbourne_identity_client::Client,
    pipeline: Arc<Pipeline>,
    config: Arc<Config>,
    /// The SCIM base URL last received, as text and parsed: a domain's never changes, and
    /// parsing it again on every `add_scim` is a measurable share of the call.
    pub(crate) scim_base: Arc<std::sync::Mutex<Option<(String, url::Url)>>>,
}

impl std::fmt::Debug for IdentityClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentityClient")
            .field("identity_url", &self.config.identity_url.as_str())
            .finish_non_exhaustive()
    }
}

/// Settings of an [`IdentityClient`] beyond its [`Config`].
///
/// ```
/// # fn run(config: finbourne_identity::Config) -> Result<(), finbourne_identity::Error> {
/// use std::time::Duration;
/// use finbourne_identity::{IdentityClient, RetryPolicy};
///
/// let identity = IdentityClient::builder(config)
///     .retry_policy(RetryPolicy::new(5, 3).with_max_backoff(Duration::from_secs(10)))
///     .build()?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct IdentityClientBuilder {
    config: Config,
    policy: RetryPolicy,
}

impl IdentityClientBuilder {
    /// Replaces the retry policy (its budgets default to the configuration's).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Builds the client. Fails when the HTTP client cannot be set up (a bad CA certificate
    /// file, a proxy address reqwest refuses, a header value that is not valid in HTTP).
    pub fn build(self) -> Result<IdentityClient, Error> {
        let config = self.config;
        let http = HttpClients::new(&config)?;
        let credential = match &config.credentials {
            Credentials::AccessToken(token) => Credential::Static(bearer(token)?),
            Credentials::AccessTokenFile(path) => Credential::File(TokenFile::new(path.clone())),
            Credentials::Password(password) => Credential::OAuth(Box::new(RefreshingToken::new(
                TokenEndpoint::new(http.default_client().clone(), password.clone(), self.policy),
            ))),
        };
        let headers = sdk_headers(
            config.application_name.as_deref(),
            config.correlation_id.as_deref(),
        )
        .map_err(|message| Error::HttpClient { message })?;
        let defaults = CallOptions {
            total_timeout: Some(config.timeouts.total),
            connect_timeout: Some(config.timeouts.connect),
            read_timeout: Some(config.timeouts.read),
            rate_limit_retries: Some(self.policy.rate_limit_retries()),
            retries: Some(self.policy.retries()),
        };
        let default_http = http.default_client().clone();
        let pipeline = Arc::new(Pipeline::new(
            credential,
            headers,
            defaults,
            self.policy,
            http,
        ));
        let base_url = config
            .identity_url
            .as_str()
            .trim_end_matches('/')
            .to_owned();
        let api = finbourne_identity_client::Client::new_with_client(
            &base_url,
            default_http,
            Hooks::shared(pipeline.clone()),
        );
        Ok(IdentityClient {
            api,
            pipeline,
            config: Arc::new(config),
            scim_base: Arc::default(),
        })
    }
}

impl IdentityClient {
    /// Loads the configuration as the official SDKs do (environment variables, then
    /// `./secrets.json`, then `FBN_ACCESS_TOKEN_FILE`) and builds a client from it.
    pub fn from_env() -> Result<Self, Error> {
        Self::new(ConfigLoader::new().load()?)
    }

    /// A client for `config`, with the retry budgets it names.
    pub fn new(config: Config) -> Result<Self, Error> {
        Self::builder(config).build()
    }

    /// A builder for settings beyond the configuration.
    pub fn builder(config: Config) -> IdentityClientBuilder {
        let policy = RetryPolicy::new(config.rate_limit_retries, config.retries);
        IdentityClientBuilder { config, policy }
    }

    /// The generated client: every operation of the API. Requests made through it carry the
    /// token, headers and retries; wrap `send()` in [`call`](Self::call) for this crate's
    /// [`Error`] instead of the generated one.
    pub fn api(&self) -> &finbourne_identity_client::Client {
        &self.api
    }

    /// The configuration this client was built from.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// How many requests went to the token endpoint so far.
    pub fn token_requests(&self) -> u64 {
        self.pipeline.credential.token_requests()
    }

    /// Runs one operation of [`api`](Self::api) and turns a failure into an [`Error`].
    ///
    /// ```no_run
    /// # async fn run(identity: finbourne_identity::IdentityClient) -> Result<(), finbourne_identity::Error> {
    /// let roles = identity.call(identity.api().list_roles().send()).await?;
    /// for role in roles.iter() {
    ///     println!("{}", role.name.as_str());
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn call<T>(
        &self,
        request: impl Future<Output = Result<ResponseValue<T>, ClientError<ByteStream>>>,
    ) -> Result<ResponseValue<T>, Error> {
        self.call_with(CallOptions::new(), request).await
    }

    /// This crate's [`Error`] for an error of an operation sent straight through
    /// [`api`](Self::api), without [`call`](Self::call). Reads an error answer's body.
    ///
    /// Outside `call`, an authentication failure is matched to the error by time: with
    /// concurrent direct calls, prefer `call`.
    ///
    /// ```no_run
    /// # async fn run(identity: finbourne_identity::IdentityClient) {
    /// if let Err(e) = identity.api().remove_scim().send().await {
    ///     eprintln!("{}", identity.explain(e).await);
    /// }
    /// # }
    /// ```
    pub async fn explain(&self, error: ClientError<ByteStream>) -> Error {
        convert(error, &self.pipeline.unscoped).await
    }

    /// [`call`](Self::call) with timeouts or retry budgets of its own.
    ///
    /// ```no_run
    /// # async fn run(identity: finbourne_identity::IdentityClient) -> Result<(), finbourne_identity::Error> {
    /// use std::time::Duration;
    /// use finbourne_identity::CallOptions;
    ///
    /// let quick = CallOptions::new().total_timeout(Duration::from_secs(5)).retries(0);
    /// identity.call_with(quick, identity.api().get_user_info().send()).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn call_with<T>(
        &self,
        options: CallOptions,
        request: impl Future<Output = Result<ResponseValue<T>, ClientError<ByteStream>>>,
    ) -> Result<ResponseValue<T>, Error> {
        let scope = CallScope::new(options);
        // Boxed: the generated future is large, and each layer that holds it would copy it.
        match scope.run(Box::pin(request)).await {
            Ok(answer) => Ok(answer),
            Err(error) => Err(convert(error, &scope).await),
        }
    }
}

/// The generated client's error, with what the pipeline learnt, as this crate's [`Error`].
async fn convert(error: ClientError<ByteStream>, scope: &CallScope) -> Error {
    let operation = scope.operation().to_owned();
    match error {
        ClientError::InvalidRequest(message) => Error::InvalidRequest { operation, message },
        ClientError::CommunicationError(e)
        | ClientError::ResponseBodyError(e)
        | ClientError::InvalidUpgrade(e) => transport(operation, e),
        ClientError::ErrorResponse(answer) => {
            if answer.status() == reqwest::StatusCode::UNAUTHORIZED
                && let Some(auth) = scope.take_auth_error()
            {
                return Error::Authentication(auth);
            }
            match ErrorBody::read(answer).await {
                Ok(body) => Error::from(api_error(operation, body)),
                Err(e) => transport(operation, e),
            }
        }
        ClientError::InvalidResponsePayload(bytes, e) => Error::Decode {
            operation,
            message: without_quoted(&e.to_string()),
            excerpt: excerpt(&bytes, 200),
        },
        ClientError::UnexpectedResponse(answer) => Error::UnexpectedStatus {
            operation,
            status: answer.status(),
        },
        ClientError::Custom(message) => Error::Authentication(
            scope
                .take_auth_error()
                .unwrap_or_else(|| AuthError::new(message)),
        ),
    }
}

fn transport(operation: String, error: reqwest::Error) -> Error {
    let message = with_causes(&error);
    if error.is_timeout() {
        Error::Timeout { operation, message }
    } else {
        Error::Transport {
            operation,
            message,
            source: Some(error),
        }
    }
}

/// Problem details when the body holds them, the raw text otherwise.
fn api_error(operation: String, body: ErrorBody) -> ApiError {
    let problem = body.problem().filter(|p| {
        p.code.is_some()
            || p.name.is_some()
            || p.title.is_some()
            || p.detail.is_some()
            || p.errors.is_some()
    });
    let text = if problem.is_none() {
        Some(excerpt(&body.body, 2000))
    } else {
        None
    };
    ApiError {
        operation,
        status: body.status,
        headers: body.headers,
        problem,
        body: text,
    }
}

/// serde's messages quote the offending value, which might be a credential.
fn without_quoted(message: &str) -> String {
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
