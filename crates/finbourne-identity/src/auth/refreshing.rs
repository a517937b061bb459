//! OAuth2 tokens kept fresh: one token request at a time however many calls wait for it.

use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::header::HeaderValue;
use secrecy::SecretString;
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::token_endpoint::{TokenEndpoint, Tokens};
use super::{AuthError, bearer};

/// The official SDKs refresh this long before expiry.
const REFRESH_AHEAD: Duration = Duration::from_secs(60);

pub(crate) struct RefreshingToken {
    endpoint: TokenEndpoint,
    current: RwLock<Option<Current>>,
    /// Held while a token request is in flight, so concurrent callers wait for its result.
    in_flight: Mutex<()>,
    requests: AtomicU64,
}

struct Current {
    bearer: HeaderValue,
    refresh: Option<SecretString>,
    /// When to stop using `access`: ahead of its expiry.
    use_until: Instant,
}

impl RefreshingToken {
    pub(crate) fn new(endpoint: TokenEndpoint) -> Self {
        Self {
            endpoint,
            current: RwLock::new(None),
            in_flight: Mutex::new(()),
            requests: AtomicU64::new(0),
        }
    }

    pub(crate) fn token_requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// A token that is not about to expire, fetching one when needed.
    pub(crate) async fn bearer(&self) -> Result<HeaderValue, AuthError> {
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        let _turn = self.in_flight.lock().await;
        // Another caller may have fetched one while this one waited.
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        self.fetch().await
    }

    /// A value other than `rejected`, which the API answered 401 to.
    pub(crate) async fn renew(&self, rejected: &HeaderValue) -> Result<HeaderValue, AuthError> {
        let _turn = self.in_flight.lock().await;
        match self.read(|c| c.map(|c| c.bearer.clone())) {
            Some(bearer) if bearer != rejected => Ok(bearer),
            _ => self.fetch().await,
        }
    }

    fn read<T>(&self, f: impl FnOnce(Option<&Current>) -> T) -> T {
        f(self
            .current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref())
    }

    fn fresh(&self) -> Option<HeaderValue> {
        self.read(|c| {
            c.filter(|c| Instant::now() < c.use_until)
                .map(|c| c.bearer.clone())
        })
    }

    /// Refreshes when there is a refresh token, signs in again when there is none or it is
    /// rejected. Called with `in_flight` held.
    async fn fetch(&self) -> Result<HeaderValue, AuthError> {
        let refresh = self.read(|c| c.and_then(|c| c.refresh.clone()));
        self.requests.fetch_add(1, Ordering::Relaxed);
        let (tokens, kept_refresh) = match refresh {
            Some(refresh) => match self.endpoint.refresh_grant(&refresh).await {
                // A refresh answer may carry no new refresh token; the old one then stays valid.
                Ok(tokens) => (tokens, Some(refresh)),
                Err(e) if e.status().is_some_and(|s| s.is_client_error()) => {
                    tracing::debug!("refresh token rejected; signing in again");
                    self.requests.fetch_add(1, Ordering::Relaxed);
                    (self.endpoint.password_grant().await?, None)
                }
                Err(e) => return Err(e),
            },
            None => (self.endpoint.password_grant().await?, None),
        };
        self.store(tokens, kept_refresh)
    }

    fn store(
        &self,
        tokens: Tokens,
        previous_refresh: Option<SecretString>,
    ) -> Result<HeaderValue, AuthError> {
        let now = Instant::now();
        let lifetime = tokens.expires_at.saturating_duration_since(now);
        // Short-lived tokens (tests, odd providers) refresh at half-life instead of 60 s ahead.
        let ahead = REFRESH_AHEAD.min(lifetime / 2);
        let value = bearer(&tokens.access)?;
        let current = Current {
            bearer: value.clone(),
            refresh: tokens.refresh.or(previous_refresh),
            use_until: tokens.expires_at - ahead,
        };
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Some(current);
        Ok(value)
    }
}
