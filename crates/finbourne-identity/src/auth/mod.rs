//! Where the bearer token of each request comes from.
//!
//! Three credentials, as the official SDKs have: a personal access token used as it is, a file
//! holding a token (re-read when its cached copy is older than 120 s), and the OAuth2 password
//! grant with refresh tokens.

mod error;
mod refreshing;
#[cfg(test)]
mod test_support;
mod token_endpoint;
mod token_file;

use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};

pub use error::AuthError;
pub(crate) use refreshing::RefreshingToken;
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

/// A source of bearer tokens.
pub(crate) enum Credential {
    Static(HeaderValue),
    File(TokenFile),
    OAuth(Box<RefreshingToken>),
}

impl Credential {
    /// The `Authorization` value to send now.
    pub(crate) async fn bearer(&self) -> Result<HeaderValue, AuthError> {
        match self {
            Self::Static(bearer) => Ok(bearer.clone()),
            Self::File(file) => file.bearer().await,
            Self::OAuth(oauth) => oauth.bearer().await,
        }
    }

    /// After the API answered 401 to `rejected`: another value to repeat the call with, or
    /// `None` when this credential cannot produce a different one.
    pub(crate) async fn renew(
        &self,
        rejected: &HeaderValue,
    ) -> Result<Option<HeaderValue>, AuthError> {
        let renewed = match self {
            Self::Static(_) => return Ok(None),
            Self::File(file) => file.reread().await?,
            Self::OAuth(oauth) => oauth.renew(rejected).await?,
        };
        Ok((renewed != rejected).then_some(renewed))
    }

    /// How many requests went to the token endpoint so far (0 for other credentials).
    pub(crate) fn token_requests(&self) -> u64 {
        match self {
            Self::OAuth(oauth) => oauth.token_requests(),
            _ => 0,
        }
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
        let credential = Arc::new(Credential::OAuth(Box::new(RefreshingToken::new(endpoint))));
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
        let fixed = HeaderValue::from_static("Bearer fixed");
        let credential = Credential::Static(fixed.clone());
        assert_eq!(credential.renew(&fixed).await.unwrap(), None);
        assert_eq!(credential.token_requests(), 0);
    }
}
