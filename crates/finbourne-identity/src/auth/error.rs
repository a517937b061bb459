//! What went wrong while getting a token.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;

use crate::printable::printable;

/// A token could not be had: the token endpoint refused, was unreachable, the token file could
/// not be read, or a [`TokenProvider`](crate::TokenProvider) failed. Never holds a secret.
///
/// The underlying failure (reqwest's error, an I/O error) is [`source`](StdError::source), not
/// part of the message, so a report that prints the chain shows each cause once. Cloning is
/// cheap: one failed token request is handed to every call that waited for it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AuthError {
    pub(crate) status: Option<StatusCode>,
    pub(crate) oauth_error: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) detail: String,
    /// Shared rather than owned so that the error stays `Clone` (reqwest's error is not).
    pub(crate) source: Option<Arc<dyn StdError + Send + Sync>>,
    /// The `Retry-After` of a 429 the token endpoint kept answering: the failure stands that
    /// long for every caller, rather than being asked again.
    pub(crate) retry_after: Option<Duration>,
}

impl AuthError {
    /// A failure described by `detail`, for a [`TokenProvider`](crate::TokenProvider) of your
    /// own. `detail` is shown as it is: it must not hold a secret.
    ///
    /// ```
    /// let error = finbourne_identity::AuthError::new("the vault is sealed");
    /// assert_eq!(error.to_string(), "the vault is sealed");
    /// ```
    pub fn new(detail: impl Into<String>) -> Self {
        Self {
            status: None,
            oauth_error: None,
            description: None,
            detail: detail.into(),
            source: None,
            retry_after: None,
        }
    }

    /// `detail`, caused by `source`, which is kept as [`source`](StdError::source) rather than
    /// in the message. Neither may hold a secret.
    ///
    /// ```
    /// use std::error::Error as _;
    /// let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such socket");
    /// let error = finbourne_identity::AuthError::caused_by("cannot reach the vault agent", io);
    /// assert_eq!(error.to_string(), "cannot reach the vault agent");
    /// assert_eq!(error.source().unwrap().to_string(), "no such socket");
    /// ```
    pub fn caused_by(
        detail: impl Into<String>,
        source: impl StdError + Send + Sync + 'static,
    ) -> Self {
        Self {
            source: Some(Arc::new(source)),
            ..Self::new(detail)
        }
    }

    /// The token endpoint's HTTP status, when it answered.
    pub fn status(&self) -> Option<StatusCode> {
        self.status
    }

    /// The OAuth2 `error` code it sent, e.g. `invalid_grant`, as sent (`Display` escapes its
    /// control characters).
    pub fn oauth_error(&self) -> Option<&str> {
        self.oauth_error.as_deref()
    }

    /// The OAuth2 `error_description` it sent, as sent (`Display` escapes its control
    /// characters).
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// Whether the token request ran out of time (a connect, read or total timeout of the HTTP
    /// client), rather than being refused or failing otherwise.
    pub fn is_timeout(&self) -> bool {
        self.source
            .as_deref()
            .and_then(|source| source.downcast_ref::<reqwest::Error>())
            .is_some_and(reqwest::Error::is_timeout)
    }
}

impl fmt::Display for AuthError {
    /// The token endpoint's `error` and `error_description` are its text, not ours: shown with
    /// control characters escaped, they cannot move a terminal's cursor or forge a log line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail)?;
        if let Some(error) = &self.oauth_error {
            write!(f, ": {}", printable(error))?;
        }
        if let Some(description) = &self.description {
            write!(f, " ({})", printable(description))?;
        }
        Ok(())
    }
}

impl StdError for AuthError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|source| source as &(dyn StdError + 'static))
    }
}
