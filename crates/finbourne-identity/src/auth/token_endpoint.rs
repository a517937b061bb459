//! The OAuth2 token endpoint: password and refresh-token grants.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::ACCEPT;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio::time::Instant;
use url::Url;

use super::AuthError;
use crate::config::PasswordCredentials;
use crate::retry::{Attempts, RetryPolicy};

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
    /// The token URL as messages show it.
    shown_url: String,
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
            shown_url: shown(&credentials.token_url),
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
            let answer = request
                .send()
                .await
                .map_err(|e| self.failed("cannot reach the token endpoint", e))?;
            let status = answer.status();
            if status == StatusCode::TOO_MANY_REQUESTS
                && let Some(wait) =
                    self.backoff
                        .after_status(status, answer.headers(), &mut attempts)
            {
                tracing::debug!(?wait, "token endpoint rate-limited; waiting");
                tokio::time::sleep(wait).await;
                continue;
            }
            let body = answer
                .bytes()
                .await
                .map_err(|e| self.failed("cannot read the answer of the token endpoint", e))?;
            if !status.is_success() {
                let refused: Refused = serde_json::from_slice(&body).unwrap_or_default();
                return Err(AuthError {
                    status: Some(status),
                    oauth_error: refused.error,
                    description: refused.error_description,
                    detail: format!("the token endpoint {} answered {status}", self.shown_url),
                    source: None,
                });
            }
            let granted: Granted = serde_json::from_slice(&body).map_err(|e| {
                AuthError::caused_by(
                    format!(
                        "the answer of the token endpoint {} is not a token response",
                        self.shown_url
                    ),
                    e,
                )
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

    /// `what` happened to a request to the token URL, because of `error`.
    fn failed(&self, what: &str, error: reqwest::Error) -> AuthError {
        // reqwest's message carries the full URL, query and user-info included.
        AuthError::caused_by(format!("{what} {}", self.shown_url), error.without_url())
    }
}

/// `url` without its query, fragment and user-info, which may hold credentials
/// (`?client_secret=...`).
fn shown(url: &Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    shown.set_fragment(None);
    // Only URLs that cannot have user-info (`data:`) refuse these, and then there is none.
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.into()
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use finbourne_identity_emulator::Emulator;

    use super::super::test_support::{endpoint_at, http, refusing_address};
    use super::*;

    #[tokio::test]
    async fn a_refused_connection_keeps_the_reqwest_error_as_source_not_in_the_message() {
        let emulator = Emulator::start().await.unwrap();
        let address = refusing_address().await;
        let url = format!("http://user:url-password@{address}/oauth2/token?client_secret=in-query");
        let error = endpoint_at(&emulator, &url, http())
            .password_grant()
            .await
            .err()
            .expect("an error");

        let shown = error.to_string();
        assert_eq!(
            shown,
            format!("cannot reach the token endpoint http://{address}/oauth2/token")
        );
        let source = error.source().expect("the cause is kept");
        let cause = source.downcast_ref::<reqwest::Error>().expect("reqwest's");
        assert!(cause.is_connect(), "{cause:?}");
        assert!(!shown.contains(&source.to_string()), "{shown}");
        assert!(!error.is_timeout());
        let everything = format!("{shown} {error:?} {}", crate::error::with_causes(&error));
        for secret in [
            "url-password",
            "in-query",
            emulator.password(),
            emulator.client_secret(),
        ] {
            assert!(!everything.contains(secret), "{secret} in {everything}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_token_request_that_runs_out_of_time_is_a_timeout() {
        let emulator = Emulator::start().await.unwrap();
        emulator
            .faults()
            .on_token_endpoint()
            .delay(Duration::from_secs(5));
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(1))
            .build()
            .unwrap();
        let error = endpoint_at(&emulator, emulator.token_url(), http)
            .password_grant()
            .await
            .err()
            .expect("an error");
        assert!(error.is_timeout(), "{error:?}");
    }
}
