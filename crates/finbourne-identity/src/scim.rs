//! SCIM provisioning: the API token an identity provider (Okta, Entra ID...) uses to create
//! users in the domain, typed so that meaningless combinations cannot be written.

use std::fmt;

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use url::Url;

use crate::error::Error;
use crate::identity_client::IdentityClient;

/// What `add_scim` does about the SCIM API token.
///
/// A deactivation time only exists for [`Regenerate`](Self::Regenerate): the service ignores it
/// otherwise, so it cannot be given otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ScimTokenAction {
    /// Returns the active token, creating one when there is none.
    #[default]
    Ensure,
    /// Issues a new token. The old one keeps working until `old_token_ends`, or stops at once
    /// when it is `None`.
    Regenerate {
        /// When the previous token stops working.
        old_token_ends: Option<DateTime<Utc>>,
    },
}

impl ScimTokenAction {
    /// The `apiTokenAction` value sent on the wire.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Ensure => "ensure",
            Self::Regenerate { .. } => "regenerate",
        }
    }
}

/// Where an identity provider sends SCIM requests, and the token it sends with them.
///
/// The token is a credential: it is kept as a [`SecretString`] and never shown by `Debug`.
#[derive(Clone)]
pub struct ScimCredentials {
    base_url: Url,
    api_token: SecretString,
}

impl ScimCredentials {
    /// The SCIM base URL, e.g. `https://example.lusid.com/identity/scim/v2`.
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// The API token; use `secrecy::ExposeSecret` to read it.
    pub fn api_token(&self) -> &SecretString {
        &self.api_token
    }
}

impl fmt::Debug for ScimCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScimCredentials")
            .field("base_url", &self.base_url.as_str())
            .field("api_token", &"****")
            .finish()
    }
}

impl IdentityClient {
    /// Turns on SCIM provisioning, or renews its token, and returns the base URL and API token
    /// to give the identity provider.
    ///
    /// ```no_run
    /// # async fn run(identity: finbourne_identity::IdentityClient) -> Result<(), finbourne_identity::Error> {
    /// use chrono::{Duration, Utc};
    /// use finbourne_identity::ScimTokenAction;
    /// use secrecy::ExposeSecret;
    ///
    /// // The token the identity provider should use; created when there is none.
    /// let scim = identity.add_scim(ScimTokenAction::Ensure).await?;
    /// println!("SCIM base URL: {}", scim.base_url());
    ///
    /// // A new token; the old one keeps working for an hour while the provider is updated.
    /// let renewed = identity
    ///     .add_scim(ScimTokenAction::Regenerate { old_token_ends: Some(Utc::now() + Duration::hours(1)) })
    ///     .await?;
    /// store_in_vault(renewed.api_token().expose_secret());
    /// # Ok(())
    /// # }
    /// # fn store_in_vault(_: &str) {}
    /// ```
    pub async fn add_scim(&self, action: ScimTokenAction) -> Result<ScimCredentials, Error> {
        let mut request = self.api().add_scim().api_token_action(action.as_str());
        if let ScimTokenAction::Regenerate {
            old_token_ends: Some(at),
        } = action
        {
            request = request.old_api_token_deactivation(at);
        }
        let answer = self.call(request.send()).await?.into_inner();
        let missing = |what| Error::IncompleteAnswer {
            operation: "add_scim".into(),
            missing: what,
        };
        let base_url = answer
            .base_url
            .filter(|u| !u.is_empty())
            .ok_or_else(|| missing("baseUrl"))?;
        let base_url = self
            .parse_scim_base(base_url)
            .ok_or_else(|| missing("valid baseUrl"))?;
        let api_token = answer
            .api_token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| missing("apiToken"))?;
        Ok(ScimCredentials {
            base_url,
            api_token: api_token.into(),
        })
    }

    fn parse_scim_base(&self, text: String) -> Option<Url> {
        let mut cache = self.scim_base.lock().unwrap_or_else(|p| p.into_inner());
        match cache.as_ref() {
            Some((known, url)) if *known == text => Some(url.clone()),
            _ => {
                let url = Url::parse(&text).ok()?;
                *cache = Some((text, url.clone()));
                Some(url)
            }
        }
    }

    /// Turns SCIM provisioning off: every SCIM API token stops working.
    ///
    /// ```no_run
    /// # async fn run(identity: finbourne_identity::IdentityClient) -> Result<(), finbourne_identity::Error> {
    /// identity.remove_scim().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn remove_scim(&self) -> Result<(), Error> {
        self.call(self.api().remove_scim().send()).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_debug_hides_the_token() {
        let c = ScimCredentials {
            base_url: Url::parse("https://x.lusid.com/identity/scim/v2").unwrap(),
            api_token: "ba5e8bed-secret".to_owned().into(),
        };
        let shown = format!("{c:?}");
        assert!(!shown.contains("ba5e8bed"), "{shown}");
        assert!(shown.contains("https://x.lusid.com/identity/scim/v2"));
    }

    #[test]
    fn wire_values() {
        assert_eq!(ScimTokenAction::Ensure.as_str(), "ensure");
        assert_eq!(
            ScimTokenAction::Regenerate {
                old_token_ends: None
            }
            .as_str(),
            "regenerate"
        );
        assert_eq!(ScimTokenAction::default(), ScimTokenAction::Ensure);
    }
}
