//! SCIM provisioning: the API token an identity provider (Okta, Entra ID...) uses to create
//! users in the domain, typed so that meaningless combinations cannot be written.

use std::fmt;

use chrono::{DateTime, Utc};
use finbourne_identity_client::builder as raw;
use finbourne_identity_client::operations::Operation;
use finbourne_identity_client::types::AddScimResponse;
use secrecy::SecretString;

use crate::call::{Call, RawOperation, invalid_request, json};
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
    base_url: String,
    api_token: SecretString,
}

impl ScimCredentials {
    /// The SCIM base URL as the service sent it, e.g.
    /// `https://example.lusid.com/identity/scim/v2`: an absolute `http` or `https` URL,
    /// checked when the answer was read. It is text to hand to the identity provider; parse it
    /// (`url::Url::parse`) where it is used as a URL.
    ///
    /// ```no_run
    /// # async fn run(identity: finbourne_identity::IdentityClient) -> Result<(), finbourne_identity::Error> {
    /// let scim = identity.add_scim(finbourne_identity::ScimTokenAction::Ensure).await?;
    /// if let Ok(endpoint) = url::Url::parse(scim.base_url()) {
    ///     println!("SCIM at {}", endpoint.host_str().unwrap_or_default());
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn base_url(&self) -> &str {
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
            .field("base_url", &self.base_url)
            .field("api_token", &"****")
            .finish()
    }
}

/// The typed `add_scim` operation: the generated builder, answering with [`ScimCredentials`].
///
/// Reached through [`IdentityClient::add_scim`], as a [`ScimCall`].
#[derive(Debug)]
pub struct ScimAdd<'a>(raw::AddScim<'a>);

impl<'a> RawOperation<'a> for ScimAdd<'a> {
    type Output = ScimCredentials;

    fn operation() -> &'static Operation {
        <raw::AddScim<'a> as RawOperation<'a>>::operation()
    }

    fn start(client: &'a finbourne_identity_client::Client) -> Self {
        Self(raw::AddScim::new(client))
    }

    fn request(&self) -> Result<reqwest::Request, Error> {
        self.0
            .request()
            .map_err(|e| invalid_request(Self::operation(), e))
    }

    fn decode(body: &[u8]) -> Result<ScimCredentials, Error> {
        let answer: AddScimResponse = json(Self::operation(), body)?;
        let missing = |what| Error::incomplete_answer(Self::operation().id, what);
        let base_url = answer
            .base_url
            .filter(|u| !u.is_empty())
            .ok_or_else(|| missing("baseUrl"))?;
        if !absolute_web_url(&base_url) {
            return Err(missing("valid baseUrl"));
        }
        let api_token = answer
            .api_token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| missing("apiToken"))?;
        Ok(ScimCredentials {
            base_url,
            api_token: api_token.into(),
        })
    }
}

/// Whether `text` has the shape of an absolute `http`/`https` URL with a host: a scheme,
/// `//`, a non-empty authority, nothing blank or a control character. Not a full parse, which
/// cost a twentieth of this operation's call: what it keeps out is an answer that is not a URL
/// at all.
fn absolute_web_url(text: &str) -> bool {
    let bytes = text.as_bytes();
    let after = |scheme: &[u8]| {
        bytes
            .split_at_checked(scheme.len())
            .filter(|(head, _)| head.eq_ignore_ascii_case(scheme))
            .map(|(_, rest)| rest)
    };
    let Some(rest) = after(b"https://").or_else(|| after(b"http://")) else {
        return false;
    };
    // The delimiters are ASCII: a byte search finds them in any UTF-8 text.
    let authority = rest
        .iter()
        .position(|b| matches!(b, b'/' | b'?' | b'#'))
        .map_or(rest, |end| &rest[..end]);
    if authority.is_empty() || authority[0] == b':' {
        return false;
    }
    // Printable ASCII throughout, as it nearly always is: checked without stopping early, so
    // that the loop runs many bytes at a time. Otherwise, char by char: no blank, no control
    // character (ASCII's are the bytes up to the space, and DEL).
    let printable = bytes
        .iter()
        .fold(true, |all, b| all & (b.wrapping_sub(b'!') < 0x7f - b'!'));
    printable || !text.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// A call of [`IdentityClient::add_scim`]: the call settings of every [`Call`], and `send()`
/// (or `.await`) returns [`ScimCredentials`].
pub type ScimCall<'a> = Call<'a, ScimAdd<'a>>;

impl IdentityClient {
    /// Turns on SCIM provisioning, or renews its token, and returns the base URL and API token
    /// to give the identity provider.
    ///
    /// With [`ScimTokenAction::Regenerate`] every call mints a token, so the call is never
    /// repeated once it may have reached the service: a lost answer is an error, not a second
    /// token the caller never sees.
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
    ///     .total_timeout(std::time::Duration::from_secs(30))
    ///     .send()
    ///     .await?;
    /// store_in_vault(renewed.api_token().expose_secret());
    /// # Ok(())
    /// # }
    /// # fn store_in_vault(_: &str) {}
    /// ```
    pub fn add_scim(&self, action: ScimTokenAction) -> ScimCall<'_> {
        Call::new(self).map(|ScimAdd(raw)| {
            let raw = raw.api_token_action(action.as_str());
            ScimAdd(match action {
                ScimTokenAction::Regenerate {
                    old_token_ends: Some(at),
                } => raw.old_api_token_deactivation(at),
                _ => raw,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_debug_hides_the_token() {
        let c = ScimCredentials {
            base_url: "https://x.lusid.com/identity/scim/v2".to_owned(),
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

#[cfg(test)]
mod decode_tests {
    use super::*;

    #[test]
    fn an_answer_without_a_token_or_with_a_bad_url_is_incomplete() {
        for (body, missing) in [
            (
                r#"{"baseUrl": "https://x/scim/v2", "apiToken": null}"#,
                "apiToken",
            ),
            (r#"{"baseUrl": "", "apiToken": "t"}"#, "baseUrl"),
            (
                r#"{"baseUrl": "not a url", "apiToken": "t"}"#,
                "valid baseUrl",
            ),
            (
                r#"{"baseUrl": "https:///scim/v2", "apiToken": "t"}"#,
                "valid baseUrl",
            ),
            (
                r#"{"baseUrl": "ftp://x/scim/v2", "apiToken": "t"}"#,
                "valid baseUrl",
            ),
            (
                r#"{"baseUrl": "https://x/scim v2", "apiToken": "t"}"#,
                "valid baseUrl",
            ),
            (
                "{\"baseUrl\": \"https://b\u{fc}cher.example/scim\u{a0}v2\", \"apiToken\": \"t\"}",
                "valid baseUrl",
            ),
            (
                r#"{"baseUrl": "https://x/scim/v2\n", "apiToken": "t"}"#,
                "valid baseUrl",
            ),
            (
                r#"{"baseUrl": "https://x/scim\u007fv2", "apiToken": "t"}"#,
                "valid baseUrl",
            ),
            (
                r#"{"baseUrl": "https://:8080/scim/v2", "apiToken": "t"}"#,
                "valid baseUrl",
            ),
            (
                r#"{"baseUrl": "https://#scim", "apiToken": "t"}"#,
                "valid baseUrl",
            ),
        ] {
            match ScimAdd::decode(body.as_bytes()) {
                Err(Error::IncompleteAnswer(e)) => assert_eq!(e.missing(), missing),
                other => panic!("{body}: {other:?}"),
            }
        }
        for url in [
            "https://x/scim/v2",
            "HTTP://127.0.0.1:8080/identity/scim/v2",
            "https://b\u{fc}cher.example/scim/v2?x=1",
        ] {
            let body = format!(r#"{{"baseUrl": "{url}", "apiToken": "t"}}"#);
            let ok = ScimAdd::decode(body.as_bytes()).unwrap();
            assert_eq!(ok.base_url(), url);
        }
    }
}
