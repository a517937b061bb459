//! The built-in OAuth2 grants as a [`TokenProvider`]: sign in, then use the refresh token for
//! as long as the token endpoint accepts it.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use reqwest::StatusCode;
use secrecy::SecretString;

use super::token_endpoint::{TokenEndpoint, Tokens};
use super::{AuthError, Token, TokenFuture, TokenProvider};

pub(crate) struct OAuthGrant {
    endpoint: Arc<TokenEndpoint>,
    /// The refresh token to use next, if the endpoint gave one.
    refresh: Mutex<Option<SecretString>>,
}

impl OAuthGrant {
    pub(crate) fn new(endpoint: Arc<TokenEndpoint>) -> Self {
        Self {
            endpoint,
            refresh: Mutex::default(),
        }
    }

    fn refresh(&self) -> MutexGuard<'_, Option<SecretString>> {
        self.refresh.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Refreshes when there is a refresh token, signs in again when there is none or it is
    /// rejected. Gives the tokens and the refresh token to keep if they hold none.
    async fn fetch(
        &self,
        refresh: Option<SecretString>,
    ) -> Result<(Tokens, Option<SecretString>), AuthError> {
        let Some(refresh) = refresh else {
            return Ok((self.endpoint.sign_in().await?, None));
        };
        match self.endpoint.refresh_grant(&refresh).await {
            // A refresh answer may carry no new refresh token; the old one then stays valid.
            Ok(tokens) => Ok((tokens, Some(refresh))),
            // A 429 is the endpoint's load, not a verdict on the refresh token.
            Err(e)
                if e.status()
                    .is_some_and(|s| s.is_client_error() && s != StatusCode::TOO_MANY_REQUESTS) =>
            {
                tracing::debug!("refresh token rejected; signing in again");
                Ok((self.endpoint.sign_in().await?, None))
            }
            Err(e) => Err(e),
        }
    }
}

impl fmt::Debug for OAuthGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthGrant").finish_non_exhaustive()
    }
}

impl TokenProvider for OAuthGrant {
    fn token(&self) -> TokenFuture<'_> {
        Box::pin(async move {
            let refresh = self.refresh().clone();
            let (tokens, kept) = self.fetch(refresh).await?;
            *self.refresh() = tokens.refresh.or(kept);
            Ok(Token::new(tokens.access, Some(tokens.expires_at)))
        })
    }
}
