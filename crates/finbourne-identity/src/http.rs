//! The HTTP clients requests go out on: proxy, CA certificate, keep-alive and timeouts.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use secrecy::ExposeSecret;

use crate::config::Config;
use crate::error::{Error, with_causes};

/// `User-Agent` of every request: names this SDK and its version.
pub(crate) const USER_AGENT: &str = concat!("finbourne-identity-rust/", env!("CARGO_PKG_VERSION"));

type Key = (Option<Duration>, Option<Duration>);

/// One reqwest client per (connect, read) timeout pair. Connect and read timeouts are settings
/// of a reqwest client, not of a request, so a call that overrides them gets a client of its
/// own, kept for the next call with the same override.
pub(crate) struct HttpClients {
    config: Config,
    default_key: Key,
    default: reqwest::Client,
    others: Mutex<HashMap<Key, reqwest::Client>>,
}

impl HttpClients {
    pub(crate) fn new(config: &Config) -> Result<Self, Error> {
        let key = (config.timeouts.connect, config.timeouts.read);
        Ok(Self {
            default: build(config, key)?,
            config: config.clone(),
            default_key: key,
            others: Mutex::new(HashMap::new()),
        })
    }

    /// The client with the configured timeouts.
    pub(crate) fn default_client(&self) -> &reqwest::Client {
        &self.default
    }

    /// The client for these connect and read timeouts.
    pub(crate) fn with_timeouts(
        &self,
        connect: Option<Duration>,
        read: Option<Duration>,
    ) -> Result<reqwest::Client, Error> {
        let key = (connect, read);
        if key == self.default_key {
            return Ok(self.default.clone());
        }
        let mut others = self.others.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(client) = others.get(&key) {
            return Ok(client.clone());
        }
        let client = build(&self.config, key)?;
        others.insert(key, client.clone());
        Ok(client)
    }
}

fn build(config: &Config, (connect, read): Key) -> Result<reqwest::Client, Error> {
    let failed = |message: String| Error::HttpClient { message };
    let mut builder = reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .tcp_keepalive(config.tcp_keepalive);
    if let Some(connect) = connect {
        builder = builder.connect_timeout(connect);
    }
    if let Some(read) = read {
        builder = builder.read_timeout(read);
    }
    if let Some(proxy) = &config.proxy {
        let mut p = reqwest::Proxy::all(proxy.address.as_str())
            .map_err(|e| failed(format!("invalid proxy address {}: {e}", proxy.address)))?;
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
        let pem = std::fs::read(path).map_err(|e| {
            failed(format!(
                "cannot read the CA certificate file {}: {e}",
                path.display()
            ))
        })?;
        let certificates = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
            failed(format!(
                "{} holds no valid PEM certificate: {e}",
                path.display()
            ))
        })?;
        if certificates.is_empty() {
            return Err(failed(format!(
                "{} holds no PEM certificate",
                path.display()
            )));
        }
        builder = builder.tls_certs_merge(certificates);
    }
    builder.build().map_err(|e| {
        // With an extra CA the certificates are only checked here: name the file.
        let causes = with_causes(&e);
        failed(match &config.ca_certificate {
            Some(path) => format!(
                "cannot build the HTTP client with the CA certificate file {}: {causes}",
                path.display()
            ),
            None => format!("cannot build the HTTP client: {causes}"),
        })
    })
}
