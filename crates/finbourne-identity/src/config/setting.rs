//! The catalogue of settings: for each one, where it can be given and how it is treated.

use std::fmt;

/// One configuration setting, as the official FINBOURNE SDKs name it.
///
/// Each setting knows the environment variables and `secrets.json` keys that can supply it
/// (current names first, then older ones) and whether its value is a secret, so that messages
/// and [`Config::origins`](super::Config::origins) can point at the right place without
/// revealing secrets.
///
/// ```
/// use finbourne_identity::config::Setting;
///
/// assert_eq!(Setting::TokenUrl.env_vars(), ["FBN_TOKEN_URL"]);
/// assert_eq!(Setting::TokenUrl.secrets_key(), Some(("api", "tokenUrl")));
/// assert!(Setting::ClientSecret.is_secret());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Setting {
    /// The OAuth2 token endpoint used for the password grant (for example an Okta URL).
    TokenUrl,
    /// The base URL of the Identity API, such as `https://example.lusid.com/identity`.
    IdentityUrl,
    /// The user name for the password grant.
    Username,
    /// The password for the password grant (secret).
    Password,
    /// The OAuth2 client id for the password grant.
    ClientId,
    /// The OAuth2 client secret for the password grant (secret).
    ClientSecret,
    /// The application name sent in the `X-LUSID-Application` header.
    ApplicationName,
    /// A PEM file of extra CA certificates to trust.
    ClientCertificate,
    /// A personal access token, used as the bearer token once trimmed of whitespace and a
    /// pasted `Bearer ` prefix (secret).
    AccessToken,
    /// A file holding a personal access token.
    AccessTokenFile,
    /// The time limit for a whole request, in milliseconds (0 = no limit).
    TotalTimeoutMs,
    /// The time limit for connecting, in milliseconds (0 = no limit).
    ConnectTimeoutMs,
    /// The time limit for reading a response, in milliseconds (0 = no limit).
    ReadTimeoutMs,
    /// How many times a request answered with 429 is retried.
    RateLimitRetries,
    /// The URL of an HTTP(S) proxy, or with the `socks` feature a SOCKS4 or SOCKS5 one.
    ProxyAddress,
    /// The user name for the proxy.
    ProxyUsername,
    /// The password for the proxy (secret).
    ProxyPassword,
    /// The id sent in the `CorrelationId` header.
    CorrelationId,
}

/// How a setting's text is checked and turned into a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Text,
    /// Text sent as an HTTP header value, so it must be one.
    Header,
    Secret,
    /// A bearer token: trimmed of whitespace and a pasted `Bearer `, then sendable as a header.
    AccessToken,
    /// A URL that carries credentials or tokens, so it must be https unless it is loopback.
    SecureUrl,
    /// A [`SecureUrl`](Kind::SecureUrl) that operation paths are appended to: no query or
    /// fragment, no trailing slash.
    BaseUrl,
    ProxyUrl,
    Path,
    /// Milliseconds, where zero means no limit.
    Millis,
    Count,
}

impl Kind {
    /// Whether values of this kind are secrets: never shown, only `****`.
    pub(crate) fn is_secret(self) -> bool {
        matches!(self, Kind::Secret | Kind::AccessToken)
    }
}

impl Setting {
    /// Every setting, in the order used by messages and [`Config::origins`](super::Config::origins).
    pub fn all() -> &'static [Setting] {
        use Setting::*;
        &[
            TokenUrl,
            IdentityUrl,
            Username,
            Password,
            ClientId,
            ClientSecret,
            ApplicationName,
            ClientCertificate,
            AccessToken,
            AccessTokenFile,
            TotalTimeoutMs,
            ConnectTimeoutMs,
            ReadTimeoutMs,
            RateLimitRetries,
            ProxyAddress,
            ProxyUsername,
            ProxyPassword,
            CorrelationId,
        ]
    }

    /// The environment variables that supply this setting: the current name first, then older
    /// names. When several are set, the first one wins.
    pub fn env_vars(self) -> &'static [&'static str] {
        use Setting::*;
        match self {
            TokenUrl => &["FBN_TOKEN_URL"],
            IdentityUrl => &["FBN_IDENTITY_URL", "FBN_FINBOURNE_IDENTITY_API_URL"],
            Username => &["FBN_USERNAME"],
            Password => &["FBN_PASSWORD"],
            ClientId => &["FBN_CLIENT_ID"],
            ClientSecret => &["FBN_CLIENT_SECRET"],
            ApplicationName => &["FBN_APP_NAME"],
            ClientCertificate => &["FBN_CLIENT_CERTIFICATE"],
            AccessToken => &["FBN_ACCESS_TOKEN"],
            AccessTokenFile => &["FBN_ACCESS_TOKEN_FILE"],
            TotalTimeoutMs => &["FBN_TOTAL_TIMEOUT_MS"],
            ConnectTimeoutMs => &["FBN_CONNECT_TIMEOUT_MS"],
            ReadTimeoutMs => &["FBN_READ_TIMEOUT_MS"],
            RateLimitRetries => &["FBN_RATE_LIMIT_RETRIES"],
            ProxyAddress => &["FBN_PROXY_ADDRESS"],
            ProxyUsername => &["FBN_PROXY_USERNAME"],
            ProxyPassword => &["FBN_PROXY_PASSWORD"],
            CorrelationId => &["FBN_CORRELATION_ID"],
        }
    }

    /// The current `secrets.json` location of this setting as `(section, key)`, or `None` for
    /// settings that only come from the environment or from code.
    pub fn secrets_key(self) -> Option<(&'static str, &'static str)> {
        self.secrets_keys().first().copied()
    }

    /// Every `secrets.json` location of this setting as `(section, key)`: the current key first,
    /// then older ones. When several are present, the first one wins.
    pub fn secrets_keys(self) -> &'static [(&'static str, &'static str)] {
        use Setting::*;
        match self {
            TokenUrl => &[("api", "tokenUrl")],
            IdentityUrl => &[("api", "identityUrl"), ("api", "finbourne_identityUrl")],
            Username => &[("api", "username")],
            Password => &[("api", "password")],
            ClientId => &[("api", "clientId")],
            ClientSecret => &[("api", "clientSecret")],
            ApplicationName => &[("api", "applicationName")],
            ClientCertificate => &[("api", "clientCertificate")],
            AccessToken => &[("api", "accessToken")],
            TotalTimeoutMs => &[("api", "totalTimeoutMs")],
            ConnectTimeoutMs => &[("api", "connectTimeoutMs")],
            ReadTimeoutMs => &[("api", "readTimeoutMs")],
            RateLimitRetries => &[("api", "rateLimitRetries")],
            ProxyAddress => &[("proxy", "address")],
            ProxyUsername => &[("proxy", "username")],
            ProxyPassword => &[("proxy", "password")],
            AccessTokenFile | CorrelationId => &[],
        }
    }

    /// Whether the value is a secret: it is then never shown, only `****`.
    pub fn is_secret(self) -> bool {
        self.kind().is_secret()
    }

    pub(crate) fn kind(self) -> Kind {
        use Setting::*;
        match self {
            Username | ClientId | ProxyUsername => Kind::Text,
            ApplicationName | CorrelationId => Kind::Header,
            Password | ClientSecret | ProxyPassword => Kind::Secret,
            AccessToken => Kind::AccessToken,
            TokenUrl => Kind::SecureUrl,
            IdentityUrl => Kind::BaseUrl,
            ProxyAddress => Kind::ProxyUrl,
            ClientCertificate | AccessTokenFile => Kind::Path,
            TotalTimeoutMs | ConnectTimeoutMs | ReadTimeoutMs => Kind::Millis,
            RateLimitRetries => Kind::Count,
        }
    }

    /// Whether the setting is one of the five the password grant needs.
    pub(crate) fn is_password_grant(self) -> bool {
        use Setting::*;
        matches!(
            self,
            TokenUrl | Username | Password | ClientId | ClientSecret
        )
    }

    /// Where the setting can be given, for messages: "environment variable X (older name Y) or
    /// secrets.json key api.x (older name api.y)". Every setting has an environment variable.
    pub(crate) fn where_to_set(self) -> String {
        let vars = self.env_vars().iter().map(ToString::to_string);
        let mut text = format!("environment variable {}", current_then_older(vars));
        let keys = self.secrets_keys().iter().map(|(s, k)| format!("{s}.{k}"));
        if !self.secrets_keys().is_empty() {
            text.push_str(" or secrets.json key ");
            text.push_str(&current_then_older(keys));
        }
        text
    }
}

/// "current (older name a, b)", or just "current".
fn current_then_older(mut names: impl Iterator<Item = String>) -> String {
    let current = names.next().unwrap_or_default();
    let older: Vec<String> = names.collect();
    if older.is_empty() {
        current
    } else {
        format!("{current} (older name {})", older.join(", "))
    }
}

impl fmt::Display for Setting {
    /// A short human name, such as "token URL".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Setting::*;
        f.write_str(match self {
            TokenUrl => "token URL",
            IdentityUrl => "identity API URL",
            Username => "username",
            Password => "password",
            ClientId => "client id",
            ClientSecret => "client secret",
            ApplicationName => "application name",
            ClientCertificate => "CA certificate file",
            AccessToken => "access token",
            AccessTokenFile => "access token file",
            TotalTimeoutMs => "total timeout (ms)",
            ConnectTimeoutMs => "connect timeout (ms)",
            ReadTimeoutMs => "read timeout (ms)",
            RateLimitRetries => "rate-limit retries",
            ProxyAddress => "proxy address",
            ProxyUsername => "proxy username",
            ProxyPassword => "proxy password",
            CorrelationId => "correlation id",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn all_lists_every_setting_once() {
        let unique: HashSet<_> = Setting::all().iter().collect();
        assert_eq!(unique.len(), Setting::all().len());
        assert_eq!(Setting::all().len(), 18);
    }

    #[test]
    fn every_setting_has_an_fbn_environment_variable() {
        for setting in Setting::all() {
            assert!(!setting.env_vars().is_empty(), "{setting:?}");
            assert!(setting.env_vars().iter().all(|v| v.starts_with("FBN_")));
        }
    }

    #[test]
    fn identity_url_lists_current_names_before_older_ones() {
        assert_eq!(
            Setting::IdentityUrl.env_vars(),
            ["FBN_IDENTITY_URL", "FBN_FINBOURNE_IDENTITY_API_URL"]
        );
        assert_eq!(
            Setting::IdentityUrl.secrets_keys(),
            [("api", "identityUrl"), ("api", "finbourne_identityUrl")]
        );
        assert_eq!(
            Setting::IdentityUrl.where_to_set(),
            "environment variable FBN_IDENTITY_URL (older name FBN_FINBOURNE_IDENTITY_API_URL) \
             or secrets.json key api.identityUrl (older name api.finbourne_identityUrl)"
        );
    }

    #[test]
    fn proxy_settings_live_in_the_proxy_section() {
        assert_eq!(
            Setting::ProxyAddress.secrets_key(),
            Some(("proxy", "address"))
        );
        assert_eq!(
            Setting::ProxyPassword.secrets_key(),
            Some(("proxy", "password"))
        );
    }

    #[test]
    fn settings_without_secrets_key() {
        assert_eq!(Setting::CorrelationId.secrets_key(), None);
        assert_eq!(Setting::AccessTokenFile.secrets_key(), None);
        assert_eq!(
            Setting::CorrelationId.where_to_set(),
            "environment variable FBN_CORRELATION_ID"
        );
    }

    #[test]
    fn exactly_the_credentials_are_secret() {
        let secret: Vec<_> = Setting::all().iter().filter(|s| s.is_secret()).collect();
        assert_eq!(
            secret,
            [
                &Setting::Password,
                &Setting::ClientSecret,
                &Setting::AccessToken,
                &Setting::ProxyPassword
            ]
        );
    }
}
