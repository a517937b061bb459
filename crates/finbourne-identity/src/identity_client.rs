//! [`IdentityClient`]: the generated client with credentials, headers and retries wired in.

use std::sync::Arc;

use finbourne_identity_client::Hooks;
use secrecy::ExposeSecret;

use crate::auth::{AuthError, Credential, Token, TokenEndpoint, TokenFile};
use crate::call::CallOptions;
use crate::config::{Config, ConfigLoader, Credentials};
use crate::error::Error;
use crate::http::{Base, HttpClients};
use crate::pipeline::{
    DEFAULT_ANSWER_LIMIT, DEFAULT_ERROR_BODY_LIMIT, Limits, Pipeline, sdk_headers,
};
use crate::retry::{RetryPolicy, StandardRetry};

/// A client for the FINBOURNE Identity API: a method per operation of the API, each call
/// carrying a bearer token, the SDK's headers, one deadline and retries that never repeat a
/// write the service may have received.
///
/// Cheap to clone; clones share connections and tokens.
///
/// ```no_run
/// # async fn run() -> Result<(), finbourne_identity::Error> {
/// use finbourne_identity::IdentityClient;
///
/// // Environment variables, then ./secrets.json, as the official SDKs read them.
/// let identity = IdentityClient::from_env()?;
/// let me = identity.get_user_info().send().await?;
/// println!("signed in as {}", me.email_address.as_str());
/// # Ok(())
/// # }
/// ```
///
/// The generated client ([`client::Client`](crate::client::Client)) stays available for
/// callers who want none of this: it carries no pipeline at all (no token, headers, deadline
/// or retries) and is built by the caller.
#[derive(Clone)]
pub struct IdentityClient {
    /// Builds each operation's request; never sends one.
    raw: finbourne_identity_client::Client,
    pipeline: Arc<Pipeline>,
    config: Arc<Config>,
}

impl std::fmt::Debug for IdentityClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentityClient")
            .field(
                "identity_url",
                &crate::config::shown_url(&self.config.identity_url),
            )
            .finish_non_exhaustive()
    }
}

/// Settings of an [`IdentityClient`] beyond its [`Config`].
///
/// ```
/// # fn run(config: finbourne_identity::Config) -> Result<(), finbourne_identity::Error> {
/// use std::sync::Arc;
/// use std::time::Duration;
/// use finbourne_identity::{IdentityClient, StandardRetry};
///
/// let identity = IdentityClient::builder(config)
///     .retry_policy(Arc::new(StandardRetry::new(5, 3).with_max_backoff(Duration::from_secs(10))))
///     .build()?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct IdentityClientBuilder {
    config: Config,
    /// The client's layer of call settings, over the configuration's.
    options: CallOptions,
    limits: Limits,
    http: Base,
}

impl IdentityClientBuilder {
    /// The retry policy of every call that sets none (see [`RetryPolicy`]). Without it, the
    /// configuration's budgets make one: `StandardRetry::new(config.rate_limit_retries,
    /// config.retries)`.
    ///
    /// Token requests of the password and client credentials grants keep a policy of their
    /// own: a 429 is waited out four times, nothing else is retried.
    ///
    /// ```
    /// # fn run(config: finbourne_identity::Config) -> Result<(), finbourne_identity::Error> {
    /// use std::sync::Arc;
    /// use finbourne_identity::{IdentityClient, StandardRetry};
    ///
    /// let budgets = StandardRetry::new(config.rate_limit_retries, config.retries);
    /// let identity = IdentityClient::builder(config)
    ///     .retry_policy(Arc::new(budgets.with_jitter(std::time::Duration::ZERO)))
    ///     .build()?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn retry_policy(mut self, policy: Arc<dyn RetryPolicy>) -> Self {
        self.options = self.options.retry_policy(policy);
        self
    }

    /// Settings for every call of the client, over the configuration's; a call's own settings
    /// win over these (see [`CallOptions`]). Given twice, the second's settings win and the
    /// first's others stay.
    ///
    /// ```
    /// # fn run(config: finbourne_identity::Config) -> Result<(), finbourne_identity::Error> {
    /// use std::time::Duration;
    /// use finbourne_identity::{CallOptions, IdentityClient};
    ///
    /// let identity = IdentityClient::builder(config)
    ///     .call_options(CallOptions::new().attempt_timeout(Duration::from_secs(20)))
    ///     .build()?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn call_options(mut self, options: CallOptions) -> Self {
        self.options = options.over(&self.options);
        self
    }

    /// Uses `credentials` instead of the configuration's: a [`TokenProvider`] of your own (see
    /// [`token_provider_fn`](crate::token_provider_fn)), a
    /// [`ClientCredentials`](crate::config::ClientCredentials) grant, or any [`Credentials`].
    /// [`IdentityClient::config`] then shows these. Whatever the source, the SDK caches its
    /// tokens as described at [`TokenProvider`].
    ///
    /// [`TokenProvider`]: crate::TokenProvider
    ///
    /// ```
    /// # fn run(config: finbourne_identity::Config) -> Result<(), finbourne_identity::Error> {
    /// use finbourne_identity::{IdentityClient, Token, token_provider_fn};
    /// use tokio::time::{Duration, Instant};
    ///
    /// let identity = IdentityClient::builder(config)
    ///     .credentials(token_provider_fn(|| async {
    ///         let secret = String::from("from-my-identity-provider"); // fetched, in real life
    ///         Ok(Token::new(secret, Some(Instant::now() + Duration::from_secs(600))))
    ///     }))
    ///     .build()?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn credentials(mut self, credentials: impl Into<Credentials>) -> Self {
        self.config.credentials = credentials.into();
        self
    }

    /// Sends API calls with `client`, a reqwest client of your own, as it is.
    ///
    /// What still applies to every call, as the SDK does it per request: the bearer token and
    /// its renewal after a 401, the SDK's headers (`X-LUSID-SDK-Language`,
    /// `X-LUSID-SDK-Version`, `X-LUSID-Application`, `CorrelationId`, `Accept`; they replace a
    /// default header of the same name), the total and attempt timeouts, retries, the answer
    /// limits, and [`Error::Redirect`] for a redirect the client hands back unfollowed.
    ///
    /// What is the client's, being settings of a reqwest client: its default headers, its
    /// `User-Agent` (reqwest sends none unless set), connect, read and request timeouts,
    /// proxy, trusted certificates, keep-alive, connection pool and redirect policy. The
    /// configuration's connect and read timeouts, proxy, CA certificate and keep-alive are not
    /// applied to it. A call's own [`read_timeout`](crate::Call::read_timeout) does apply: the
    /// SDK enforces it while reading the answer. Use
    /// [`http_client_builder`](Self::http_client_builder) to have both.
    ///
    /// Token requests of the password and client credentials grants do not use it: they carry
    /// the client secret and must never follow a redirect, which a ready-made client cannot be
    /// made to promise. They go through a client the SDK builds from the configuration
    /// (proxy, CA certificate, timeouts, keep-alive, no redirects), as without this option.
    ///
    /// ```
    /// # fn run(config: finbourne_identity::Config) -> Result<(), Box<dyn std::error::Error>> {
    /// use reqwest::header::{HeaderMap, HeaderValue};
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.insert("x-team", HeaderValue::from_static("data-platform"));
    /// let http = reqwest::Client::builder().default_headers(headers).build()?;
    /// let identity = finbourne_identity::IdentityClient::builder(config)
    ///     .http_client(http)
    ///     .build()?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Base::Ready(client);
        self
    }

    /// Builds every HTTP client the SDK needs from `make()`, with the SDK's settings applied
    /// on top: its `User-Agent`, its redirect policy (follow within the origin only, never for
    /// the token endpoint), the configuration's TCP keep-alive and connect timeout, proxy
    /// (added after the builder's own, which reqwest tries first) and CA
    /// certificate (added to the builder's trusted roots). The rest of the builder stays: default
    /// headers, TLS settings, pool, local address, DNS resolver, and so on.
    ///
    /// Unlike [`http_client`](Self::http_client), everything applies: token requests go
    /// through such a client too, and the configuration's read timeout is the calls' default
    /// (enforced by the SDK while it reads each answer, as a call's own). `make` is a function
    /// rather than a `reqwest::ClientBuilder` because a builder cannot be cloned and the SDK may
    /// build two clients at [`build`](Self::build): one for API calls, and one with the read
    /// timeout for the token requests of the built-in grants when a read timeout is configured.
    ///
    /// ```
    /// # fn run(config: finbourne_identity::Config) -> Result<(), finbourne_identity::Error> {
    /// use std::net::{IpAddr, Ipv4Addr};
    ///
    /// let identity = finbourne_identity::IdentityClient::builder(config)
    ///     .http_client_builder(|| {
    ///         reqwest::Client::builder().local_address(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
    ///     })
    ///     .build()?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn http_client_builder(
        mut self,
        make: impl Fn() -> reqwest::ClientBuilder + Send + Sync + 'static,
    ) -> Self {
        self.http = Base::Builder(Arc::new(make));
        self
    }

    /// The largest answer body accepted, in bytes (default 64 MiB); a larger one fails the call
    /// with [`Error::AnswerTooLarge`] without being buffered.
    ///
    /// ```
    /// # fn run(config: finbourne_identity::Config) -> Result<(), finbourne_identity::Error> {
    /// let identity = finbourne_identity::IdentityClient::builder(config)
    ///     .answer_limit(8 * 1024 * 1024)
    ///     .build()?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn answer_limit(mut self, bytes: usize) -> Self {
        self.limits.answer = bytes;
        self
    }

    /// How much of an error answer's body is kept, in bytes (default 64 KiB); the rest is not
    /// read, and the error shows an excerpt of what was kept.
    ///
    /// ```
    /// # fn run(config: finbourne_identity::Config) -> Result<(), finbourne_identity::Error> {
    /// let identity = finbourne_identity::IdentityClient::builder(config)
    ///     .error_body_limit(4096)
    ///     .build()?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn error_body_limit(mut self, bytes: usize) -> Self {
        self.limits.error_body = bytes;
        self
    }

    /// Builds the client. Fails when the HTTP client cannot be set up (a bad CA certificate
    /// file, a proxy address reqwest refuses, a header value that is not valid in HTTP).
    pub fn build(self) -> Result<IdentityClient, Error> {
        let config = self.config;
        let http = HttpClients::new(&config, self.http)?;
        let credential = match &config.credentials {
            Credentials::AccessToken(token) => {
                // Trimmed and checked as the loader does, for a token set on the Config or the
                // builder; a mistake is reported now rather than at the first call.
                let token = crate::config::access_token(token.expose_secret()).map_err(|why| {
                    AuthError::new(format!("the access token cannot be sent: {why}"))
                })?;
                Credential::provider(Arc::new(Token::new(token.to_owned(), None)))
            }
            Credentials::AccessTokenFile(path) => Credential::file(TokenFile::new(path.clone())),
            Credentials::Password(password) => Credential::oauth(TokenEndpoint::new(
                http.token_client()?,
                password.clone(),
                TokenEndpoint::retry_policy(),
            )),
            Credentials::ClientCredentials(client) => {
                Credential::oauth(TokenEndpoint::client_credentials(
                    http.token_client()?,
                    client.clone(),
                    TokenEndpoint::retry_policy(),
                ))
            }
            Credentials::Provider(provider) => Credential::provider(Arc::clone(provider)),
        };
        let headers = sdk_headers(
            config.application_name.as_deref(),
            config.correlation_id.as_deref(),
        )
        .map_err(Error::http_client)?;
        // The configuration's layer. The read timeout is enforced by the call path, not the
        // HTTP client, so that a call may set its own at no cost; a ready-made client keeps
        // its own settings.
        let configured = CallOptions {
            total_timeout: Some(config.timeouts.total),
            read_timeout: http.sdk_read_timeout().then_some(config.timeouts.read),
            retry_policy: Some(Arc::new(StandardRetry::new(
                config.rate_limit_retries,
                config.retries,
            ))),
            ..CallOptions::default()
        };
        let default_http = http.default_client().clone();
        let pipeline = Arc::new(Pipeline::new(
            &config.identity_url,
            credential,
            headers,
            self.options.over(&configured),
            http,
            self.limits,
        ));
        let base_url = config.identity_url.as_str().trim_end_matches('/');
        let raw = finbourne_identity_client::Client::new_with_client(
            base_url,
            default_http,
            Hooks::none(),
        );
        Ok(IdentityClient {
            raw,
            pipeline,
            config: Arc::new(config),
        })
    }
}

impl IdentityClient {
    /// Loads the configuration as the official SDKs do (environment variables, then
    /// `./secrets.json`, then `FBN_ACCESS_TOKEN_FILE`) and builds a client from it.
    ///
    /// ```no_run
    /// let identity = finbourne_identity::IdentityClient::from_env()?;
    /// # Ok::<(), finbourne_identity::Error>(())
    /// ```
    pub fn from_env() -> Result<Self, Error> {
        Self::new(ConfigLoader::new().load()?)
    }

    /// A client for `config`, with the retry budgets it names.
    ///
    /// ```
    /// let config = finbourne_identity::ConfigLoader::new()
    ///     .identity_url("https://example.lusid.com/identity")
    ///     .access_token("a-personal-access-token")
    ///     .load()?;
    /// let identity = finbourne_identity::IdentityClient::new(config)?;
    /// # Ok::<(), finbourne_identity::Error>(())
    /// ```
    pub fn new(config: Config) -> Result<Self, Error> {
        Self::builder(config).build()
    }

    /// A builder for settings beyond the configuration.
    ///
    /// ```
    /// # fn run(config: finbourne_identity::Config) -> Result<(), finbourne_identity::Error> {
    /// let identity = finbourne_identity::IdentityClient::builder(config).build()?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn builder(config: Config) -> IdentityClientBuilder {
        IdentityClientBuilder {
            config,
            options: CallOptions::default(),
            limits: Limits {
                answer: DEFAULT_ANSWER_LIMIT,
                error_body: DEFAULT_ERROR_BODY_LIMIT,
            },
            http: Base::default(),
        }
    }

    /// The configuration this client was built from.
    ///
    /// ```
    /// # fn run(identity: finbourne_identity::IdentityClient) {
    /// println!("talking to {}", identity.config().identity_url);
    /// # }
    /// ```
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// How many requests the password or client credentials grant sent to the token endpoint
    /// so far, retries included; 0 for other credentials (a [`TokenProvider`](crate::TokenProvider)
    /// of yours counts its own).
    ///
    /// ```
    /// # fn run(identity: finbourne_identity::IdentityClient) {
    /// println!("{} token requests", identity.token_requests());
    /// # }
    /// ```
    pub fn token_requests(&self) -> u64 {
        self.pipeline.credential.token_requests()
    }

    /// When the access token this client holds now stops working, as far as the SDK knows: the
    /// token endpoint's `expires_in` for the password and client credentials grants, or the
    /// expiry a [`TokenProvider`](crate::TokenProvider) of yours gave. `None` before the first
    /// call has fetched a token, and for a personal access token or a token file, whose end the
    /// SDK is not told. The token itself is never exposed.
    ///
    /// ```
    /// # async fn run(identity: finbourne_identity::IdentityClient) -> Result<(), finbourne_identity::Error> {
    /// identity.get_user_info().send().await?;
    /// if let Some(expires_at) = identity.token_expires_at() {
    ///     let left = expires_at.saturating_duration_since(tokio::time::Instant::now());
    ///     println!("the token works for another {} s", left.as_secs());
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn token_expires_at(&self) -> Option<tokio::time::Instant> {
        self.pipeline.credential.expires_at()
    }

    pub(crate) fn raw(&self) -> &finbourne_identity_client::Client {
        &self.raw
    }

    pub(crate) fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }
}
