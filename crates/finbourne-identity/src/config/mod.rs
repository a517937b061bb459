//! Loading the SDK's configuration the way the official FINBOURNE SDKs do.
//!
//! Settings come from these sources, each overriding the ones before it value by value:
//!
//! 1. environment variables (`FBN_TOKEN_URL`, `FBN_IDENTITY_URL`, ...);
//! 2. a `secrets.json` file: `./secrets.json` when it exists, or a file named with
//!    [`ConfigLoader::secrets_file`];
//! 3. the file named by `FBN_ACCESS_TOKEN_FILE`, which supplies the access token;
//! 4. options set in code on [`ConfigLoader`], which win over everything.
//!
//! [`Setting`] lists every setting with its environment variables, `secrets.json` keys and
//! [`ConfigLoader`] method; each is declared once, in `setting.rs`.
//! [`ConfigLoader::load`] checks everything and returns either a [`Config`] or one
//! [`ConfigError`] listing every problem found. Secrets are held as [`SecretString`] and never
//! appear in `Debug`, `Display` or error messages.

mod env;
mod error;
mod file;
mod loader;
mod secrets_file;
mod setting;
mod source;
mod value;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use url::Url;

use crate::auth::TokenProvider;

pub use error::{ConfigError, ConfigProblem};
pub(crate) use file::{TOKEN_FILE_CAP, read_ca_bundle, shown_path, shown_url};
pub use loader::ConfigLoader;
pub use setting::Setting;
pub use source::{Origin, Source};
pub(crate) use value::{access_token, json_kind};

/// What is shown instead of a secret.
pub(crate) const REDACTED: &str = "****";

/// The effective configuration: every source merged and checked.
///
/// Build it with [`ConfigLoader`]. `Debug` never shows a secret.
#[derive(Clone)]
pub struct Config {
    /// The base URL of the Identity API, such as `https://example.lusid.com/identity`: its path
    /// is kept, without a trailing slash. Always https, except for loopback hosts.
    pub identity_url: Url,
    /// How to authenticate.
    pub credentials: Credentials,
    /// Sent as the `X-LUSID-Application` header when set.
    pub application_name: Option<String>,
    /// Sent as the `CorrelationId` header when set.
    pub correlation_id: Option<String>,
    /// A PEM file of extra CA certificates to trust; checked to exist, be readable and hold a
    /// certificate when loading.
    pub ca_certificate: Option<PathBuf>,
    /// Time limits for requests.
    pub timeouts: Timeouts,
    /// How many times a request answered with 429 (too many requests) is retried; default 2.
    pub rate_limit_retries: u32,
    /// How many times other retryable failures are retried; default 3. Set only in code
    /// ([`ConfigLoader::retries`]): the official SDKs have no environment variable for it.
    /// Listed in [`origins`](Self::origins) as [`Setting::Retries`].
    pub retries: u32,
    /// The proxy to send requests through, if any.
    pub proxy: Option<Proxy>,
    /// The TCP keep-alive interval for connections; default 60 seconds, `None` turns it off.
    /// Set only in code ([`ConfigLoader::tcp_keepalive`]); listed in
    /// [`origins`](Self::origins) as [`Setting::TcpKeepalive`], in milliseconds or `off`.
    pub tcp_keepalive: Option<Duration>,
    origins: Vec<Origin>,
}

impl Config {
    /// Every [`Setting`], in the order of [`Setting::all`], with its value (secrets as `****`)
    /// and the source it came from; defaults have [`Source::Default`], settings that are not set
    /// have neither value nor source.
    pub fn origins(&self) -> &[Origin] {
        &self.origins
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("identity_url", &shown_url(&self.identity_url))
            .field("credentials", &self.credentials)
            .field("application_name", &self.application_name)
            .field("correlation_id", &self.correlation_id)
            .field("ca_certificate", &self.ca_certificate)
            .field("timeouts", &self.timeouts)
            .field("rate_limit_retries", &self.rate_limit_retries)
            .field("retries", &self.retries)
            .field("proxy", &self.proxy)
            .field("tcp_keepalive", &self.tcp_keepalive)
            .finish_non_exhaustive()
    }
}

/// How the SDK authenticates to the Identity API.
///
/// The configuration sources give one of the first three; the others are set in code with
/// [`ConfigLoader::credentials`] or
/// [`IdentityClientBuilder::credentials`](crate::IdentityClientBuilder::credentials), which
/// take anything that converts into `Credentials`: a [`ClientCredentials`], or any
/// [`TokenProvider`] (which becomes [`Credentials::Provider`]).
///
/// ```
/// use finbourne_identity::config::{ClientCredentials, Credentials};
/// use finbourne_identity::Token;
///
/// let service = ClientCredentials::new("https://example.okta.com/oauth2/default/v1/token", "id", "secret")?;
/// assert!(matches!(Credentials::from(service), Credentials::ClientCredentials(_)));
/// let fixed = Credentials::from(Token::new("a-token", None));
/// assert!(matches!(fixed, Credentials::Provider(_)));
/// # Ok::<(), finbourne_identity::ConfigError>(())
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub enum Credentials {
    /// A personal access token, sent as the bearer token once trimmed of whitespace and a
    /// pasted `Bearer ` prefix; checked to be sendable by [`ConfigLoader`], and again when a
    /// client is built (the field may be set after loading).
    AccessToken(SecretString),
    /// A file holding a personal access token (`FBN_ACCESS_TOKEN_FILE`). It was readable and
    /// not empty when loading; it is read again when the token is needed, so that a rotated
    /// token is picked up.
    AccessTokenFile(PathBuf),
    /// The OAuth2 password grant.
    Password(PasswordCredentials),
    /// The OAuth2 client credentials grant, as service accounts sign in.
    ClientCredentials(ClientCredentials),
    /// Tokens from a provider of the caller's, cached by the SDK (see [`TokenProvider`]).
    Provider(Arc<dyn TokenProvider>),
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::AccessToken(_) => f.debug_tuple("AccessToken").field(&REDACTED).finish(),
            Credentials::AccessTokenFile(path) => {
                f.debug_tuple("AccessTokenFile").field(path).finish()
            }
            Credentials::Password(password) => f.debug_tuple("Password").field(password).finish(),
            Credentials::ClientCredentials(client) => {
                f.debug_tuple("ClientCredentials").field(client).finish()
            }
            Credentials::Provider(provider) => f.debug_tuple("Provider").field(provider).finish(),
        }
    }
}

impl From<ClientCredentials> for Credentials {
    fn from(credentials: ClientCredentials) -> Self {
        Credentials::ClientCredentials(credentials)
    }
}

impl<P: TokenProvider + 'static> From<P> for Credentials {
    fn from(provider: P) -> Self {
        Credentials::Provider(Arc::new(provider))
    }
}

/// What the OAuth2 client credentials grant needs: the client's id and secret, sent
/// form-encoded to the token URL with `grant_type=client_credentials`, and an optional scope.
///
/// The SDK sends the token requests, as for the password grant: through the HTTP client built
/// from the [`Config`] (its proxy, CA certificate and timeouts), never following a redirect,
/// reading at most 1 MiB of answer, and caching the token until shortly before it expires.
/// `Debug` never shows the secret.
///
/// ```
/// use finbourne_identity::{ConfigLoader, IdentityClient};
/// use finbourne_identity::config::ClientCredentials;
///
/// let service_account = ClientCredentials::new(
///     "https://example.okta.com/oauth2/default/v1/token",
///     "my-service-client",
///     "its-secret",
/// )?
/// .scope("openid client groups");
/// let config = ConfigLoader::new()
///     .identity_url("https://example.lusid.com/identity")
///     .credentials(service_account)
///     .load()?;
/// let identity = IdentityClient::new(config)?;
/// # Ok::<(), finbourne_identity::Error>(())
/// ```
#[derive(Clone)]
pub struct ClientCredentials {
    pub(crate) token_url: Url,
    pub(crate) client_id: String,
    pub(crate) client_secret: SecretString,
    pub(crate) scope: Option<String>,
}

impl ClientCredentials {
    /// The client `client_id` with `client_secret`, signing in at `token_url`.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] when `token_url` is not a usable URL: it must be https (plain http
    /// only for loopback hosts, such as a local emulator) and hold no user name or password,
    /// as the token URL from the configuration sources.
    ///
    /// ```
    /// use finbourne_identity::config::ClientCredentials;
    ///
    /// assert!(ClientCredentials::new("http://idp.example.com/token", "id", "secret").is_err());
    /// assert!(ClientCredentials::new("http://127.0.0.1:8080/oauth2/token", "id", "secret").is_ok());
    /// ```
    pub fn new(
        token_url: impl AsRef<str>,
        client_id: impl Into<String>,
        client_secret: impl Into<SecretString>,
    ) -> Result<Self, ConfigError> {
        let text = token_url.as_ref().to_owned();
        let token_url = match value::parse_text(Setting::TokenUrl, text, &Source::Explicit) {
            Ok(value::Value::Url(url)) => url,
            Ok(_) => unreachable!("the token URL setting parses as a URL"),
            Err(problem) => return Err(ConfigError::new(vec![problem], Vec::new())),
        };
        Ok(Self {
            token_url,
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            scope: None,
        })
    }

    /// The scope to ask for (sent as `scope`); without it the form has no scope and the
    /// identity provider grants its default.
    ///
    /// ```
    /// # use finbourne_identity::config::ClientCredentials;
    /// let read_only = ClientCredentials::new("https://idp.example.com/token", "id", "secret")?
    ///     .scope("identity.read");
    /// # Ok::<(), finbourne_identity::ConfigError>(())
    /// ```
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("token_url", &shown_url(&self.token_url))
            .field("client_id", &self.client_id)
            .field("client_secret", &REDACTED)
            .field("scope", &self.scope)
            .finish()
    }
}

/// What the OAuth2 password grant needs.
#[derive(Clone)]
pub struct PasswordCredentials {
    /// The token endpoint of the identity provider.
    pub token_url: Url,
    /// The user name.
    pub username: String,
    /// The password.
    pub password: SecretString,
    /// The OAuth2 client id.
    pub client_id: String,
    /// The OAuth2 client secret.
    pub client_secret: SecretString,
}

impl fmt::Debug for PasswordCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordCredentials")
            .field("token_url", &shown_url(&self.token_url))
            .field("username", &self.username)
            .field("password", &REDACTED)
            .field("client_id", &self.client_id)
            .field("client_secret", &REDACTED)
            .finish()
    }
}

/// Time limits for requests; `None` means no limit (a setting of 0 ms).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// The limit for a whole request; default 1,800,000 ms (30 minutes).
    pub total: Option<Duration>,
    /// The limit for connecting; default none.
    pub connect: Option<Duration>,
    /// The limit for reading a response; default none.
    pub read: Option<Duration>,
}

/// A proxy to send requests through.
#[derive(Clone)]
pub struct Proxy {
    /// The proxy's URL (http or https; with the `socks` feature socks4, socks4a, socks5 or
    /// socks5h), without credentials.
    pub address: Url,
    /// The user name for the proxy, if it needs one.
    pub username: Option<String>,
    /// The password for the proxy, if it needs one.
    pub password: Option<SecretString>,
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Proxy")
            .field("address", &shown_url(&self.address))
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| REDACTED))
            .finish()
    }
}
