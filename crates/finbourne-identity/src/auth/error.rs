//! What went wrong while getting a token.

use std::fmt;

use reqwest::StatusCode;

/// A token could not be had: the token endpoint refused, was unreachable, or the token file
/// could not be read. Never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthError {
    pub(crate) status: Option<StatusCode>,
    pub(crate) oauth_error: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) detail: String,
}

impl AuthError {
    pub(crate) fn new(detail: impl Into<String>) -> Self {
        Self {
            status: None,
            oauth_error: None,
            description: None,
            detail: detail.into(),
        }
    }

    /// The token endpoint's HTTP status, when it answered.
    pub fn status(&self) -> Option<StatusCode> {
        self.status
    }

    /// The OAuth2 `error` code it sent, e.g. `invalid_grant`.
    pub fn oauth_error(&self) -> Option<&str> {
        self.oauth_error.as_deref()
    }

    /// The OAuth2 `error_description` it sent.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail)?;
        if let Some(error) = &self.oauth_error {
            write!(f, ": {error}")?;
        }
        if let Some(description) = &self.description {
            write!(f, " ({description})")?;
        }
        Ok(())
    }
}

impl std::error::Error for AuthError {}
