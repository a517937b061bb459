//! Where the bearer token of each request comes from.
//!
//! Every source is a [`TokenProvider`], wrapped in one [`TokenCache`]: a personal access token
//! (a [`Token`] without expiry), a file holding a token (re-read when its copy is 120 s old), the
//! OAuth2 password and client credentials grants with refresh tokens, and any provider of the
//! caller's.

mod error;
mod oauth;
mod provider;
mod refreshing;
#[cfg(test)]
mod test_support;
mod token_endpoint;
mod token_file;

use std::sync::Arc;

use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};

pub use error::AuthError;
pub(crate) use oauth::OAuthGrant;
use provider::Checked;
pub use provider::{Token, TokenFuture, TokenProvider, TokenProviderFn, token_provider_fn};
use refreshing::{Ahead, TokenCache};
pub(crate) use token_endpoint::TokenEndpoint;
pub(crate) use token_file::TokenFile;

/// An `Authorization: Bearer ...` value, built once per token and marked sensitive so that
/// `Debug` of a request or header map never shows it.
pub(crate) fn bearer(token: &SecretString) -> Result<HeaderValue, AuthError> {
    let mut value =
        HeaderValue::from_str(&format!("Bearer {}", token.expose_secret())).map_err(|_| {
            AuthError::new("the access token holds characters an HTTP header cannot carry")
        })?;
    value.set_sensitive(true);
    Ok(value)
}

/// A source of bearer tokens, cached.
pub(crate) struct Credential {
    cache: TokenCache,
    /// The token endpoint of a built-in grant, whose requests [`token_requests`] counts.
    ///
    /// [`token_requests`]: Self::token_requests
    endpoint: Option<Arc<TokenEndpoint>>,
}

impl Credential {
    /// Tokens from `provider`, trimmed and checked as loaded tokens are, renewed ahead of their
    /// expiry.
    pub(crate) fn provider(provider: Arc<dyn TokenProvider>) -> Self {
        Self {
            cache: TokenCache::new(Arc::new(Checked::new(provider)), Ahead::Refresh),
            endpoint: None,
        }
    }

    /// The token in `file`, read again when the copy is [`token_file::REREAD_AFTER`] old.
    pub(crate) fn file(file: TokenFile) -> Self {
        Self {
            cache: TokenCache::new(Arc::new(file), Ahead::AtExpiry),
            endpoint: None,
        }
    }

    /// Tokens from an OAuth2 grant at `endpoint`.
    pub(crate) fn oauth(endpoint: TokenEndpoint) -> Self {
        let endpoint = Arc::new(endpoint);
        Self {
            cache: TokenCache::new(
                Arc::new(OAuthGrant::new(Arc::clone(&endpoint))),
                Ahead::Refresh,
            ),
            endpoint: Some(endpoint),
        }
    }

    /// The `Authorization` value to send now.
    pub(crate) async fn bearer(&self) -> Result<HeaderValue, AuthError> {
        self.cache.bearer().await
    }

    /// The bearer token held now when it is not about to expire, without waiting: what
    /// [`bearer`](Self::bearer) answers at once, when it can.
    pub(crate) fn fresh_bearer(&self) -> Option<HeaderValue> {
        self.cache.fresh()
    }

    /// After the API answered 401 to `rejected`: another value to repeat the call with, or
    /// `None` when this credential cannot produce a different one.
    pub(crate) async fn renew(
        &self,
        rejected: &HeaderValue,
    ) -> Result<Option<HeaderValue>, AuthError> {
        let renewed = self.cache.renew(rejected).await?;
        Ok((renewed != rejected).then_some(renewed))
    }

    /// When the token held now expires, where that is known.
    pub(crate) fn expires_at(&self) -> Option<tokio::time::Instant> {
        self.cache.expires_at()
    }

    /// How many requests went to the token endpoint so far (0 for other credentials).
    pub(crate) fn token_requests(&self) -> u64 {
        self.endpoint.as_ref().map_or(0, |e| e.requests())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use finbourne_identity_emulator::Emulator;
    use tokio::task::JoinSet;

    use super::test_support::{endpoint_at, http};
    use super::*;

    #[tokio::test]
    async fn after_a_401_every_caller_gets_the_same_new_token_from_one_refresh() {
        let emulator = Emulator::start().await.unwrap();
        let endpoint = endpoint_at(&emulator, emulator.token_url(), http());
        let credential = Arc::new(Credential::oauth(endpoint));
        let rejected = credential.bearer().await.unwrap();
        let mut renewals = JoinSet::new();
        for _ in 0..200 {
            let (credential, rejected) = (Arc::clone(&credential), rejected.clone());
            renewals.spawn(async move { credential.renew(&rejected).await });
        }
        let renewed = renewals.join_all().await;
        let new = renewed[0].clone().unwrap().expect("another token");
        assert_ne!(new, rejected);
        assert!(
            renewed
                .iter()
                .all(|r| r.as_ref().ok() == Some(&Some(new.clone())))
        );
        assert_eq!(credential.token_requests(), 2);
        assert_eq!(emulator.counters().token_requests_refresh_token, 1);
    }

    #[tokio::test]
    async fn a_static_token_has_no_renewal() {
        let credential = Credential::provider(Arc::new(Token::new("fixed", None)));
        let fixed = credential.bearer().await.unwrap();
        assert_eq!(fixed, "Bearer fixed");
        assert_eq!(credential.renew(&fixed).await.unwrap(), None);
        assert_eq!(credential.token_requests(), 0);
    }
}
