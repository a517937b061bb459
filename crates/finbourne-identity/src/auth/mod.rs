//! Where the bearer token of each request comes from.
//!
//! Three credentials, as the official SDKs have: a personal access token used as it is, a file
//! holding a token (re-read when its cached copy is older than 120 s), and the OAuth2 password
//! grant with refresh tokens.

mod error;
mod refreshing;
mod token_endpoint;
mod token_file;

use secrecy::{ExposeSecret, SecretString};

pub use error::AuthError;
pub(crate) use refreshing::RefreshingToken;
pub(crate) use token_endpoint::TokenEndpoint;
pub(crate) use token_file::TokenFile;

/// A source of bearer tokens.
pub(crate) enum Credential {
    Static(SecretString),
    File(TokenFile),
    OAuth(Box<RefreshingToken>),
}

impl Credential {
    /// A token to send now.
    pub(crate) async fn token(&self) -> Result<SecretString, AuthError> {
        match self {
            Self::Static(token) => Ok(token.clone()),
            Self::File(file) => file.token().await,
            Self::OAuth(oauth) => oauth.token().await,
        }
    }

    /// After the API rejected `rejected` with 401: a new token to repeat the call with, or
    /// `None` when this credential cannot produce a different one.
    pub(crate) async fn renew(
        &self,
        rejected: &SecretString,
    ) -> Result<Option<SecretString>, AuthError> {
        let renewed = match self {
            Self::Static(_) => return Ok(None),
            Self::File(file) => file.reread().await?,
            Self::OAuth(oauth) => oauth.renew(rejected).await?,
        };
        Ok((renewed.expose_secret() != rejected.expose_secret()).then_some(renewed))
    }

    /// How many requests went to the token endpoint so far (0 for other credentials).
    pub(crate) fn token_requests(&self) -> u64 {
        match self {
            Self::OAuth(oauth) => oauth.token_requests(),
            _ => 0,
        }
    }
}
