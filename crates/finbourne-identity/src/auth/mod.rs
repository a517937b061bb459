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
