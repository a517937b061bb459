//! The HTTP clients requests go out on: proxy, CA certificate, keep-alive and timeouts.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use secrecy::ExposeSecret;

use crate::config::{Config, Credentials};
use crate::error::{Error, with_causes};

/// `User-Agent` of every request: names this SDK and its version.
pub(crate) const USER_AGENT: &str = concat!("finbourne-identity-rust/", env!("CARGO_PKG_VERSION"));

/// Where the HTTP clients come from.
#[derive(Clone, Default)]
pub(crate) enum Base {
    /// Built from the configuration alone.
    #[default]
    Sdk,
    /// Built from the caller's builder, with the configuration's settings on top.
    Builder(Arc<dyn Fn() -> reqwest::ClientBuilder + Send + Sync>),
    /// The caller's client, as it is, for API calls.
    Ready(reqwest::Client),
}

impl fmt::Debug for Base {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Not the client itself: its default headers may hold a credential.
        f.write_str(match self {
            Base::Sdk => "Sdk",
            Base::Builder(_) => "Builder",
            Base::Ready(_) => "Ready",
        })
    }
}

/// The client API calls go out on, and how token requests get theirs.
///
/// One client, whatever the calls' read timeouts: the SDK enforces those while it reads each
/// answer (see `pipeline`), so the client has none and a call's own value costs no client and
/// no connection.
pub(crate) struct HttpClients {
    config: Config,
    base: Base,
    default: reqwest::Client,
}

impl HttpClients {
    pub(crate) fn new(config: &Config, base: Base) -> Result<Self, Error> {
        let default = match &base {
            Base::Ready(client) => client.clone(),
            base => build(config, None, base)?,
        };
        Ok(Self {
            default,
            config: config.clone(),
            base,
        })
    }

    /// The client API calls go out on.
    pub(crate) fn default_client(&self) -> &reqwest::Client {
        &self.default
    }

    /// Whether the configuration's read timeout is for the SDK to enforce: not on a ready-made
    /// client of the caller's, whose own settings stand.
    pub(crate) fn sdk_read_timeout(&self) -> bool {
        !matches!(self.base, Base::Ready(_))
    }

    /// The client for the built-in grants' token requests: the configured read timeout set on
    /// it (token requests do not go through the call path that enforces it). Never a
    /// ready-made client of the caller's: its redirect policy is unknown, and a followed 307 or
    /// 308 would resend the password and client secret.
    pub(crate) fn token_client(&self) -> Result<reqwest::Client, Error> {
        match (&self.base, self.config.timeouts.read) {
            (Base::Ready(_), read) => build(&self.config, read, &Base::Sdk),
            (base, Some(read)) => build(&self.config, Some(read), base),
            (Base::Sdk | Base::Builder(_), None) => Ok(self.default.clone()),
        }
    }
}

/// Redirects are followed only within the origin they start from, and never for the token
/// endpoint: a 307 or 308 would resend the password and client secret to wherever it points.
fn redirect_policy(token_url: Option<url::Url>) -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(move |attempt| {
        let Some(first) = attempt.previous().first() else {
            return attempt.stop();
        };
        let to_token_endpoint = token_url
            .as_ref()
            .is_some_and(|t| t.origin() == first.origin() && t.path() == first.path());
        if to_token_endpoint
            || attempt.url().origin() != first.origin()
            || attempt.previous().len() > 10
        {
            attempt.stop()
        } else {
            attempt.follow()
        }
    })
}

/// With the `rustls-ring` feature alone, reqwest's rustls has no crypto provider of its own:
/// install ring as the process's default before any client is built. One installed already
/// (by the application, or an earlier call) is kept. Not a preconfigured ring `ClientConfig`
/// (`tls_backend_preconfigured`): reqwest would use it as it is, without the platform
/// verifier, the configured CA certificate or the TLS settings of a caller's
/// `http_client_builder`, and reqwest gives that option no semver stability.
pub(crate) fn install_crypto_provider() {
    #[cfg(all(feature = "rustls-ring", not(feature = "rustls")))]
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Whether a timeout can be set on a client: reqwest panics on one too far ahead to add to
/// the clock. A limit beyond a century is no limit, as for the total timeout.
fn representable(timeout: &Duration) -> bool {
    const CENTURY: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
    *timeout <= CENTURY
}

/// A client with the configuration's settings, on top of the caller's builder if there is one.
/// `read` is set on the client itself: only for token requests.
fn build(config: &Config, read: Option<Duration>, base: &Base) -> Result<reqwest::Client, Error> {
    install_crypto_provider();
    let failed = Error::http_client;
    let token_url = match &config.credentials {
        Credentials::Password(p) => Some(p.token_url.clone()),
        Credentials::ClientCredentials(c) => Some(c.token_url.clone()),
        _ => None,
    };
    let builder = match base {
        Base::Builder(make) => make(),
        Base::Sdk | Base::Ready(_) => reqwest::Client::builder(),
    };
    let mut builder = builder
        .user_agent(USER_AGENT)
        .redirect(redirect_policy(token_url))
        .tcp_keepalive(config.tcp_keepalive);
    if let Some(connect) = config.timeouts.connect.filter(representable) {
        builder = builder.connect_timeout(connect);
    }
    if let Some(read) = read.filter(representable) {
        builder = builder.read_timeout(read);
    }
    // Only the configured proxy: reqwest would otherwise take HTTP_PROXY and HTTPS_PROXY from
    // the environment, loopback included, and send the bearer token to a proxy no setting
    // named. The official SDKs read no proxy variable either.
    builder = builder.no_proxy();
    if let Some(proxy) = &config.proxy {
        let mut p = reqwest::Proxy::all(proxy.address.as_str()).map_err(|e| {
            let address = crate::config::shown_url(&proxy.address);
            failed(format!("invalid proxy address {address}: {e}"))
        })?;
        if let Some(username) = &proxy.username {
            let password = proxy
                .password
                .as_ref()
                .map(|p| p.expose_secret())
                .unwrap_or("");
            p = p.basic_auth(username, password);
        }
        builder = builder.proxy(p);
    }
    if let Some(path) = &config.ca_certificate {
        // Read again (it was checked at load), with the same limits: the file may have changed.
        let certificates = crate::config::read_ca_bundle(path).map_err(|reason| {
            failed(format!(
                "cannot use the CA certificate file {}: {reason}",
                crate::config::shown_path(path)
            ))
        })?;
        builder = builder.tls_certs_merge(certificates);
    }
    builder.build().map_err(|e| {
        // With an extra CA the certificates are only checked here: name the file.
        let causes = with_causes(&e);
        failed(match &config.ca_certificate {
            Some(path) => format!(
                "cannot build the HTTP client with the CA certificate file {}: {causes}",
                crate::config::shown_path(path)
            ),
            None => format!("cannot build the HTTP client: {causes}"),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// reqwest sets up TLS when a client is built, so this fails (or panics, for rustls
    /// without a provider) if the enabled TLS feature is unusable on its own; CI runs it
    /// with `rustls-ring` alone, and the workspace tests with `rustls`.
    #[test]
    fn a_client_builds_with_the_tls_feature_in_use() {
        let config = crate::ConfigLoader::new()
            .environment(|_| None)
            .no_secrets_file()
            .identity_url("https://example.lusid.com/identity")
            .access_token("t")
            .load()
            .unwrap();
        HttpClients::new(&config, Base::Sdk).unwrap();
    }
}
