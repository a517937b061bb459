//! The catalogue of settings: one declaration per setting, giving where it can be set and how
//! it is treated.
//!
//! Each declaration in the `settings!` invocation below becomes a variant of [`Setting`], a row
//! of the table every source reads (environment variables, `secrets.json` keys, kind, name for
//! messages, default, whether it is required) and the [`ConfigLoader`] method that sets it in
//! code. Adding a setting is adding one declaration there; what the setting *means* is then
//! read from the merged values in [`ConfigLoader::load`].

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;

use super::loader::{ConfigLoader, Explicit};
use super::value::Value;

/// Expands the catalogue: each declaration once into the [`Setting`] variant, its row of
/// [`SETTINGS`] and its [`ConfigLoader`] setter, whose argument type follows from the kind.
macro_rules! settings {
    (@need) => { Need::Optional };
    (@need $need:ident) => { Need::$need };
    (@default) => { None };
    (@default $default:expr) => { Some($default) };
    (@setter Text $($rest:tt)*) => { settings!(@fn (impl Into<String>) into Text $($rest)*); };
    (@setter Header $($rest:tt)*) => { settings!(@fn (impl Into<String>) into Text $($rest)*); };
    (@setter Secret $($rest:tt)*) => { settings!(@fn (impl Into<SecretString>) into Secret $($rest)*); };
    (@setter AccessToken $($rest:tt)*) => { settings!(@fn (impl Into<SecretString>) into Secret $($rest)*); };
    (@setter SecureUrl $($rest:tt)*) => { settings!(@fn (impl AsRef<str>) url Text $($rest)*); };
    (@setter BaseUrl $($rest:tt)*) => { settings!(@fn (impl AsRef<str>) url Text $($rest)*); };
    (@setter ProxyUrl $($rest:tt)*) => { settings!(@fn (impl AsRef<str>) url Text $($rest)*); };
    (@setter Path $($rest:tt)*) => { settings!(@fn (impl Into<PathBuf>) into Path $($rest)*); };
    (@setter Millis $($rest:tt)*) => { settings!(@fn (Duration) as_is Duration $($rest)*); };
    (@setter Count $($rest:tt)*) => { settings!(@fn (u32) as_is Count $($rest)*); };
    (@setter Interval $($rest:tt)*) => { settings!(@fn (Option<Duration>) as_is Interval $($rest)*); };
    (@convert into $param:ident) => { $param.into() };
    (@convert url $param:ident) => { $param.as_ref().to_owned() };
    (@convert as_is $param:ident) => { $param };
    (@fn ($($ty:tt)*) $convert:ident $explicit:ident [$($doc:tt)*] $setter:ident($param:ident) $variant:ident) => {
        $($doc)*
        pub fn $setter(self, $param: $($ty)*) -> Self {
            self.set(Setting::$variant, Explicit::$explicit(settings!(@convert $convert $param)))
        }
    };
    ($(
        $(#[$doc:meta])*
        $variant:ident {
            display: $display:literal,
            env: [$($env:literal),*],
            secrets: [$(($section:literal, $key:literal)),*],
            kind: $kind:ident,
            $(need: $need:ident,)?
            $(default: $default:expr,)?
            $(#[$setter_doc:meta])*
            setter: $setter:ident($param:ident),
        }
    )*) => {
        /// One configuration setting, as the official FINBOURNE SDKs name it.
        ///
        /// Each setting knows the environment variables and `secrets.json` keys that can supply
        /// it (current names first, then older ones), the [`ConfigLoader`] method that sets it in
        /// code, and whether its value is a secret, so that messages and
        /// [`Config::origins`](super::Config::origins) can point at the right place without
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
            $($(#[$doc])* $variant,)*
        }

        /// Every setting, in declaration order.
        const ALL: &[Setting] = &[$(Setting::$variant),*];

        /// The catalogue, in declaration order: `SETTINGS[setting as usize]` is `setting`'s row.
        static SETTINGS: &[Spec] = &[$(Spec {
            setting: Setting::$variant,
            display: $display,
            env_vars: &[$($env),*],
            secrets_keys: &[$(($section, $key)),*],
            kind: Kind::$kind,
            need: settings!(@need $($need)?),
            default: settings!(@default $($default)?),
            setter: stringify!($setter),
        }),*];

        /// The setters of the catalogue's settings; they win over every other source.
        impl ConfigLoader {
            $(settings!(@setter $kind [$(#[$setter_doc])*] $setter($param) $variant);)*
        }
    };
}

settings! {
    /// The OAuth2 token endpoint used for the password grant (for example an Okta URL).
    TokenUrl {
        display: "token URL",
        env: ["FBN_TOKEN_URL"],
        secrets: [("api", "tokenUrl")],
        kind: SecureUrl,
        need: PasswordGrant,
        /// Sets the OAuth2 token endpoint for the password grant.
        setter: token_url(url),
    }
    /// The base URL of the Identity API, such as `https://example.lusid.com/identity`.
    IdentityUrl {
        display: "identity API URL",
        env: ["FBN_IDENTITY_URL", "FBN_FINBOURNE_IDENTITY_API_URL"],
        secrets: [("api", "identityUrl"), ("api", "finbourne_identityUrl")],
        kind: BaseUrl,
        need: Always,
        /// Sets the base URL of the Identity API, such as `https://example.lusid.com/identity`.
        setter: identity_url(url),
    }
    /// The user name for the password grant.
    Username {
        display: "username",
        env: ["FBN_USERNAME"],
        secrets: [("api", "username")],
        kind: Text,
        need: PasswordGrant,
        /// Sets the user name for the password grant.
        setter: username(username),
    }
    /// The password for the password grant (secret).
    Password {
        display: "password",
        env: ["FBN_PASSWORD"],
        secrets: [("api", "password")],
        kind: Secret,
        need: PasswordGrant,
        /// Sets the password for the password grant.
        setter: password(password),
    }
    /// The OAuth2 client id for the password grant.
    ClientId {
        display: "client id",
        env: ["FBN_CLIENT_ID"],
        secrets: [("api", "clientId")],
        kind: Text,
        need: PasswordGrant,
        /// Sets the OAuth2 client id for the password grant.
        setter: client_id(client_id),
    }
    /// The OAuth2 client secret for the password grant (secret).
    ClientSecret {
        display: "client secret",
        env: ["FBN_CLIENT_SECRET"],
        secrets: [("api", "clientSecret")],
        kind: Secret,
        need: PasswordGrant,
        /// Sets the OAuth2 client secret for the password grant.
        setter: client_secret(client_secret),
    }
    /// The application name sent in the `X-LUSID-Application` header.
    ApplicationName {
        display: "application name",
        env: ["FBN_APP_NAME"],
        secrets: [("api", "applicationName")],
        kind: Header,
        /// Sets the application name sent in the `X-LUSID-Application` header.
        setter: application_name(name),
    }
    /// A PEM file of extra CA certificates to trust.
    ClientCertificate {
        display: "CA certificate file",
        env: ["FBN_CLIENT_CERTIFICATE"],
        secrets: [("api", "clientCertificate")],
        kind: Path,
        /// Sets a PEM file of extra CA certificates to trust.
        setter: ca_certificate(path),
    }
    /// A personal access token, used as the bearer token once trimmed of whitespace and a
    /// pasted `Bearer ` prefix (secret).
    AccessToken {
        display: "access token",
        env: ["FBN_ACCESS_TOKEN"],
        secrets: [("api", "accessToken")],
        kind: AccessToken,
        /// Sets a personal access token; it wins over every other source of credentials,
        /// including an access token file.
        setter: access_token(token),
    }
    /// A file holding a personal access token.
    AccessTokenFile {
        display: "access token file",
        env: ["FBN_ACCESS_TOKEN_FILE"],
        secrets: [],
        kind: Path,
        /// Sets the file holding a personal access token, instead of `FBN_ACCESS_TOKEN_FILE`.
        /// Its token wins over `FBN_ACCESS_TOKEN` and `api.accessToken`, but not over
        /// [`access_token`](Self::access_token).
        setter: access_token_file(path),
    }
    /// The time limit for a whole request, in milliseconds (0 = no limit).
    TotalTimeoutMs {
        display: "total timeout (ms)",
        env: ["FBN_TOTAL_TIMEOUT_MS"],
        secrets: [("api", "totalTimeoutMs")],
        kind: Millis,
        default: Value::Duration(Duration::from_millis(1_800_000)),
        /// Sets the time limit for a whole request; zero means no limit.
        setter: total_timeout(timeout),
    }
    /// The time limit for connecting, in milliseconds (0 = no limit).
    ConnectTimeoutMs {
        display: "connect timeout (ms)",
        env: ["FBN_CONNECT_TIMEOUT_MS"],
        secrets: [("api", "connectTimeoutMs")],
        kind: Millis,
        default: Value::Duration(Duration::ZERO),
        /// Sets the time limit for connecting; zero means no limit.
        setter: connect_timeout(timeout),
    }
    /// The time limit for reading a response, in milliseconds (0 = no limit).
    ReadTimeoutMs {
        display: "read timeout (ms)",
        env: ["FBN_READ_TIMEOUT_MS"],
        secrets: [("api", "readTimeoutMs")],
        kind: Millis,
        default: Value::Duration(Duration::ZERO),
        /// Sets the time limit for reading a response; zero means no limit.
        setter: read_timeout(timeout),
    }
    /// The TCP keep-alive interval for connections, in milliseconds, or off; set only in code
    /// ([`ConfigLoader::tcp_keepalive`]).
    TcpKeepalive {
        display: "TCP keep-alive (ms)",
        env: [],
        secrets: [],
        kind: Interval,
        default: Value::Interval(Some(Duration::from_secs(60))),
        /// Sets the TCP keep-alive interval (default 60 seconds); `None` turns keep-alive off.
        setter: tcp_keepalive(interval),
    }
    /// How many times a request answered with 429 is retried.
    RateLimitRetries {
        display: "rate-limit retries",
        env: ["FBN_RATE_LIMIT_RETRIES"],
        secrets: [("api", "rateLimitRetries")],
        kind: Count,
        default: Value::Count(2),
        /// Sets how many times a request answered with 429 is retried.
        setter: rate_limit_retries(retries),
    }
    /// How many times other retryable failures are retried; set only in code
    /// ([`ConfigLoader::retries`]): the official SDKs have no environment variable for it.
    Retries {
        display: "retries",
        env: [],
        secrets: [],
        kind: Count,
        default: Value::Count(3),
        /// Sets how many times other retryable failures are retried (default 3).
        setter: retries(retries),
    }
    /// The URL of an HTTP(S) proxy, or with the `socks` feature a SOCKS4 or SOCKS5 one.
    ProxyAddress {
        display: "proxy address",
        env: ["FBN_PROXY_ADDRESS"],
        secrets: [("proxy", "address")],
        kind: ProxyUrl,
        /// Sets the proxy's URL, such as `http://proxy.internal:3128`.
        setter: proxy_address(url),
    }
    /// The user name for the proxy.
    ProxyUsername {
        display: "proxy username",
        env: ["FBN_PROXY_USERNAME"],
        secrets: [("proxy", "username")],
        kind: Text,
        /// Sets the user name for the proxy.
        setter: proxy_username(username),
    }
    /// The password for the proxy (secret).
    ProxyPassword {
        display: "proxy password",
        env: ["FBN_PROXY_PASSWORD"],
        secrets: [("proxy", "password")],
        kind: Secret,
        /// Sets the password for the proxy.
        setter: proxy_password(password),
    }
    /// The id sent in the `CorrelationId` header.
    CorrelationId {
        display: "correlation id",
        env: ["FBN_CORRELATION_ID"],
        secrets: [],
        kind: Header,
        /// Sets the id sent in the `CorrelationId` header.
        setter: correlation_id(id),
    }
}

/// One row of the catalogue.
#[derive(Debug)]
pub(crate) struct Spec {
    pub setting: Setting,
    /// A short human name, such as "token URL".
    pub display: &'static str,
    /// Environment variables: the current name first, then older ones. None for settings set
    /// only in code.
    pub env_vars: &'static [&'static str],
    /// `secrets.json` locations as `(section, key)`: the current key first, then older ones.
    pub secrets_keys: &'static [(&'static str, &'static str)],
    pub kind: Kind,
    pub need: Need,
    /// The value when no source gives one.
    pub default: Option<Value>,
    /// The name of the [`ConfigLoader`] method that sets it in code.
    pub setter: &'static str,
}

/// How a setting's text is checked and turned into a value; it also decides the argument type
/// of the setting's [`ConfigLoader`] method.
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
    /// Milliseconds, or off (`None`, only from code).
    Interval,
}

impl Kind {
    /// Whether values of this kind are secrets: never shown, only `****`.
    pub(crate) fn is_secret(self) -> bool {
        matches!(self, Kind::Secret | Kind::AccessToken)
    }
}

/// When a setting must be given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Need {
    Optional,
    Always,
    /// Unless credentials come from elsewhere (an access token, or credentials set in code).
    PasswordGrant,
}

impl Setting {
    /// Every setting, in the order used by messages and [`Config::origins`](super::Config::origins).
    pub fn all() -> &'static [Setting] {
        ALL
    }

    /// This setting's row of the catalogue.
    pub(crate) fn spec(self) -> &'static Spec {
        let spec = &SETTINGS[self as usize];
        debug_assert_eq!(spec.setting, self);
        spec
    }

    /// The environment variables that supply this setting: the current name first, then older
    /// names. When several are set, the first one wins. Empty for the settings that are only
    /// set in code ([`Retries`](Setting::Retries), [`TcpKeepalive`](Setting::TcpKeepalive)).
    pub fn env_vars(self) -> &'static [&'static str] {
        self.spec().env_vars
    }

    /// The current `secrets.json` location of this setting as `(section, key)`, or `None` for
    /// settings that only come from the environment or from code.
    pub fn secrets_key(self) -> Option<(&'static str, &'static str)> {
        self.secrets_keys().first().copied()
    }

    /// Every `secrets.json` location of this setting as `(section, key)`: the current key first,
    /// then older ones. When several are present, the first one wins.
    pub fn secrets_keys(self) -> &'static [(&'static str, &'static str)] {
        self.spec().secrets_keys
    }

    /// Whether the value is a secret: it is then never shown, only `****`.
    pub fn is_secret(self) -> bool {
        self.kind().is_secret()
    }

    pub(crate) fn kind(self) -> Kind {
        self.spec().kind
    }

    pub(crate) fn need(self) -> Need {
        self.spec().need
    }

    /// Whether the setting is one of the five the password grant needs.
    pub(crate) fn is_password_grant(self) -> bool {
        self.need() == Need::PasswordGrant
    }

    /// Where the setting can be given, for messages: "environment variable X (older name Y) or
    /// secrets.json key api.x (older name api.y)", or for a setting only set in code
    /// "ConfigLoader::x in code".
    pub(crate) fn where_to_set(self) -> String {
        if self.env_vars().is_empty() && self.secrets_keys().is_empty() {
            return format!("ConfigLoader::{} in code", self.spec().setter);
        }
        let vars = self.env_vars().iter().map(ToString::to_string);
        let keys = self.secrets_keys().iter().map(|(s, k)| format!("{s}.{k}"));
        let mut places = Vec::new();
        if !self.env_vars().is_empty() {
            places.push(format!("environment variable {}", current_then_older(vars)));
        }
        if !self.secrets_keys().is_empty() {
            places.push(format!("secrets.json key {}", current_then_older(keys)));
        }
        places.join(" or ")
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
        f.write_str(self.spec().display)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn each_row_is_its_own_settings_row() {
        assert_eq!(SETTINGS.len(), Setting::all().len());
        for (spec, &setting) in SETTINGS.iter().zip(Setting::all()) {
            assert_eq!(spec.setting, setting);
            assert!(std::ptr::eq(setting.spec(), spec), "{setting:?}");
        }
    }

    /// One name, spelled four ways: `TokenUrl`, `FBN_TOKEN_URL`, `api.tokenUrl` and
    /// `ConfigLoader::token_url` all read "tokenurl" once case and separators are dropped (and
    /// the `proxy` section is part of the name). A typo in any of them breaks the agreement.
    #[test]
    fn each_settings_names_agree() {
        fn squash(name: &str) -> String {
            name.chars()
                .filter(|c| *c != '_')
                .flat_map(char::to_lowercase)
                .collect()
        }
        // Where a name differs for a reason: the official SDKs' variable, and a method name
        // that says what the file is.
        let known = [
            (Setting::ApplicationName, "environment variable", "appname"),
            (Setting::ClientCertificate, "setter", "cacertificate"),
        ];
        let mut exceptions_seen = Vec::new();
        for spec in SETTINGS {
            let name = squash(&format!("{:?}", spec.setting));
            let mut setter = squash(spec.setter);
            if spec.kind == Kind::Millis {
                // The setter takes a Duration, so its name has no unit.
                setter.push_str("ms");
            }
            let mut names = vec![("setter", setter)];
            if let Some(variable) = spec.env_vars.first() {
                let variable = variable.strip_prefix("FBN_").expect("an FBN_ variable");
                names.push(("environment variable", squash(variable)));
            }
            if let Some((section, key)) = spec.secrets_keys.first() {
                let key = if *section == "api" {
                    squash(key)
                } else {
                    squash(&format!("{section}{key}"))
                };
                names.push(("secrets.json key", key));
            }
            for (what, spelled) in names {
                if known.contains(&(spec.setting, what, spelled.as_str())) {
                    exceptions_seen.push(spec.setting);
                } else {
                    assert_eq!(spelled, name, "{:?}: the {what} disagrees", spec.setting);
                }
            }
        }
        assert_eq!(
            exceptions_seen.len(),
            known.len(),
            "an exception no longer needed"
        );
    }

    #[test]
    fn names_setters_variables_and_keys_are_unique() {
        let unique = |names: Vec<String>| {
            let count = names.len();
            let set: HashSet<_> = names.into_iter().collect();
            assert_eq!(set.len(), count);
        };
        unique(SETTINGS.iter().map(|s| s.display.to_owned()).collect());
        unique(SETTINGS.iter().map(|s| s.setter.to_owned()).collect());
        unique(
            SETTINGS
                .iter()
                .flat_map(|s| s.env_vars.iter().map(ToString::to_string))
                .collect(),
        );
        unique(
            SETTINGS
                .iter()
                .flat_map(|s| s.secrets_keys.iter().map(|(s, k)| format!("{s}.{k}")))
                .collect(),
        );
    }

    #[test]
    fn variables_are_fbn_and_keys_in_known_sections() {
        for spec in SETTINGS {
            assert!(spec.env_vars.iter().all(|v| v.starts_with("FBN_")));
            assert!(
                spec.secrets_keys
                    .iter()
                    .all(|(section, _)| ["api", "proxy"].contains(section)),
                "{:?}",
                spec.setting
            );
            // A secrets.json key without a variable would be a setting the environment cannot
            // give, unlike every official SDK's.
            assert!(spec.secrets_keys.is_empty() || !spec.env_vars.is_empty());
        }
    }

    #[test]
    fn only_retries_and_keepalive_are_set_only_in_code() {
        let code_only: Vec<_> = Setting::all()
            .iter()
            .filter(|s| s.env_vars().is_empty())
            .collect();
        assert_eq!(code_only, [&Setting::TcpKeepalive, &Setting::Retries]);
        assert_eq!(
            Setting::Retries.where_to_set(),
            "ConfigLoader::retries in code"
        );
    }

    #[test]
    fn defaults_have_the_settings_kind() {
        for spec in SETTINGS {
            let fits = matches!(
                (&spec.default, spec.kind),
                (None, _)
                    | (Some(Value::Duration(_)), Kind::Millis)
                    | (Some(Value::Count(_)), Kind::Count)
                    | (Some(Value::Interval(_)), Kind::Interval)
            );
            assert!(fits, "{:?}", spec.setting);
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

    #[test]
    fn exactly_the_identity_url_and_the_password_grant_are_required() {
        let needed = |need| {
            Setting::all()
                .iter()
                .filter(|s| s.need() == need)
                .copied()
                .collect::<Vec<_>>()
        };
        assert_eq!(needed(Need::Always), [Setting::IdentityUrl]);
        use Setting::*;
        assert_eq!(
            needed(Need::PasswordGrant),
            [TokenUrl, Username, Password, ClientId, ClientSecret]
        );
    }
}
