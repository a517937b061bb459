//! The OAuth2 token endpoint: password and refresh-token grants.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::ACCEPT;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio::time::Instant;

use super::AuthError;
use crate::config::PasswordCredentials;
use crate::retry::{Attempts, Outcome, RetryDecision, RetryPolicy};

/// The scope the official SDKs ask for; `offline_access` is what yields a refresh token.
const SCOPE: &str = "openid client groups offline_access";
/// Tries per token request when the endpoint answers 429.
const TRIES: u32 = 5;

/// Tokens from one grant.
pub(crate) struct Tokens {
    pub access: SecretString,
    pub refresh: Option<SecretString>,
    pub expires_at: Instant,
}

/// Talks to the token URL with one set of credentials.
pub(crate) struct TokenEndpoint {
    http: reqwest::Client,
    credentials: PasswordCredentials,
    backoff: RetryPolicy,
}

#[derive(Deserialize)]
struct Granted {
    access_token: String,
    refresh_token: Option<String>,
    expires_in: Option<u64>,
}

#[derive(Deserialize, Default)]
struct Refused {
    error: Option<String>,
    error_description: Option<String>,
}

impl TokenEndpoint {
    pub(crate) fn new(
        http: reqwest::Client,
        credentials: PasswordCredentials,
        backoff: RetryPolicy,
    ) -> Self {
        Self {
            http,
            credentials,
            backoff: backoff.with_budgets(TRIES - 1, 0),
        }
    }

    /// Signs in with the username and password.
    pub(crate) async fn password_grant(&self) -> Result<Tokens, AuthError> {
        let c = &self.credentials;
        let form = [
            ("grant_type", "password"),
            ("username", c.username.as_str()),
            ("password", c.password.expose_secret()),
            ("scope", SCOPE),
            ("client_id", c.client_id.as_str()),
            ("client_secret", c.client_secret.expose_secret()),
        ];
        self.request(&form, false).await
    }

    /// Exchanges a refresh token; the client authenticates with HTTP Basic.
    pub(crate) async fn refresh_grant(&self, refresh: &SecretString) -> Result<Tokens, AuthError> {
        let form = [
            ("grant_type", "refresh_token"),
            ("scope", SCOPE),
            ("refresh_token", refresh.expose_secret()),
        ];
        self.request(&form, true).await
    }

    async fn request(&self, form: &[(&str, &str)], basic: bool) -> Result<Tokens, AuthError> {
        let c = &self.credentials;
        let mut attempts = Attempts::default();
        loop {
            let mut request = self
                .http
                .post(c.token_url.clone())
                .header(ACCEPT, "application/json")
                .form(form);
            if basic {
                request = request.basic_auth(&c.client_id, Some(c.client_secret.expose_secret()));
            }
            let sent = Instant::now();
            let answer = request.send().await.map_err(|e| {
                AuthError::new(format!(
                    "cannot reach the token endpoint {}: {}",
                    c.token_url,
                    without_url(&e)
                ))
            })?;
            let status = answer.status();
            if status == StatusCode::TOO_MANY_REQUESTS
                && let RetryDecision::Retry(wait) = self.backoff.decide(
                    Outcome::Answered(status, answer.headers()),
                    true,
                    &mut attempts,
                )
            {
                tracing::debug!(?wait, "token endpoint rate-limited; waiting");
                tokio::time::sleep(wait).await;
                continue;
            }
            let body = answer.bytes().await.map_err(|e| {
                AuthError::new(format!(
                    "token endpoint answer unreadable: {}",
                    without_url(&e)
                ))
            })?;
            if !status.is_success() {
                let refused: Refused = serde_json::from_slice(&body).unwrap_or_default();
                return Err(AuthError {
                    status: Some(status),
                    oauth_error: refused.error,
                    description: refused.error_description,
                    detail: format!("the token endpoint {} answered {status}", c.token_url),
                });
            }
            let granted: Granted = serde_json::from_slice(&body).map_err(|e| {
                AuthError::new(format!(
                    "the token endpoint's answer is not a token response: {e}"
                ))
            })?;
            // Without `expires_in` the token is treated as short-lived rather than eternal.
            let lifetime = Duration::from_secs(granted.expires_in.unwrap_or(60));
            return Ok(Tokens {
                access: granted.access_token.into(),
                refresh: granted.refresh_token.map(Into::into),
                expires_at: sent + lifetime,
            });
        }
    }
}

/// reqwest's message and causes without the URL it appends (ours is already in the sentence).
fn without_url(error: &reqwest::Error) -> String {
    let message = crate::error::with_causes(error);
    match error.url() {
        Some(url) => message.replace(&format!(" ({url})"), ""),
        None => message,
    }
}
