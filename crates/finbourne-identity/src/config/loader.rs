//! The builder that merges the sources, in order, into a checked [`Config`].

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use url::Url;

use super::env::{self, Environment};
use super::file::{self, FileError};
use super::secrets_file;
use super::setting::{Kind, Need};
use super::value::{self, Entry, Value};
use super::{
    Config, ConfigError, ConfigProblem, Credentials, Origin, PasswordCredentials, Proxy, REDACTED,
    Setting, Source, Timeouts,
};

/// Builds a [`Config`] from environment variables, a `secrets.json` file, an access token file
/// and options set in code.
///
/// Each [`Setting`] has a method here that sets it in code, named in the setting's declaration
/// (`token_url`, `total_timeout`, `tcp_keepalive`, ...).
///
/// The sources are applied in this order, each overriding the earlier ones value by value:
///
/// 1. environment variables (by default the process environment; see
///    [`environment`](Self::environment));
/// 2. `secrets.json`: `secrets.json` in the [working directory](Self::working_dir) when it
///    exists, or the file named with [`secrets_file`](Self::secrets_file);
/// 3. the access token file named by `FBN_ACCESS_TOKEN_FILE` (or
///    [`access_token_file`](Self::access_token_file)), which supplies the access token;
/// 4. the options set on this builder, which win over everything.
///
/// Empty values count as not given, so an empty key in a `secrets.json` template does not hide a
/// value from the environment. Every value in every source is checked, even one that a later
/// source overrides, so a mistake is not hidden until the overriding source goes away. Relative
/// file paths are taken from the working directory when one is set.
///
/// An access token, from any source, is trimmed and loses a pasted `Bearer ` prefix; it must
/// then be ASCII with no control character. With one, only the identity URL is required.
/// Otherwise the password grant needs the token URL, username, password, client id and client
/// secret as well.
///
/// # Example
///
/// ```
/// use std::collections::HashMap;
/// use finbourne_identity::config::{ConfigLoader, Credentials, ConfigError};
///
/// let env = HashMap::from([
///     ("FBN_IDENTITY_URL", "https://example.lusid.com/identity/"),
///     ("FBN_ACCESS_TOKEN", "my-personal-access-token"),
///     ("FBN_RATE_LIMIT_RETRIES", "5"),
/// ]);
/// let config = ConfigLoader::new()
///     .environment(move |name| env.get(name).map(|value| value.to_string()))
///     .no_secrets_file()
///     .application_name("nightly-sync")
///     .load()?;
///
/// assert_eq!(config.identity_url.as_str(), "https://example.lusid.com/identity");
/// assert!(matches!(config.credentials, Credentials::AccessToken(_)));
/// assert_eq!(config.rate_limit_retries, 5);
/// assert_eq!(config.application_name.as_deref(), Some("nightly-sync"));
/// // Secrets never show up in Debug output.
/// assert!(!format!("{config:?}").contains("my-personal-access-token"));
///
/// // With nothing set, one error lists every missing setting and where to set it.
/// let error = ConfigLoader::new().environment(|_| None).no_secrets_file().load().unwrap_err();
/// assert!(error.to_string().contains("FBN_TOKEN_URL or secrets.json key api.tokenUrl"));
/// # Ok::<(), ConfigError>(())
/// ```
#[derive(Clone)]
#[must_use = "a ConfigLoader does nothing until `load` is called"]
pub struct ConfigLoader {
    environment: Environment,
    secrets_file: SecretsFile,
    working_dir: Option<PathBuf>,
    explicit: BTreeMap<Setting, Explicit>,
    /// Credentials set in code as a whole, which make every credential setting unneeded.
    credentials: Option<Credentials>,
}

#[derive(Clone, Debug)]
enum SecretsFile {
    /// `secrets.json` in the working directory, if it exists.
    Default,
    /// A file the caller named, which must exist.
    Named(PathBuf),
    None,
}

/// An option set in code, before it is checked like any other source's value.
#[derive(Clone)]
pub(super) enum Explicit {
    Text(String),
    Secret(SecretString),
    Path(PathBuf),
    Duration(Duration),
    Count(u32),
    Interval(Option<Duration>),
}

impl Default for ConfigLoader {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ConfigLoader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Only the names of the options set in code: some of them are secrets.
        let explicit: Vec<&Setting> = self.explicit.keys().collect();
        f.debug_struct("ConfigLoader")
            .field("environment", &self.environment)
            .field("secrets_file", &self.secrets_file)
            .field("working_dir", &self.working_dir)
            .field("explicit", &explicit)
            .field("credentials", &self.credentials)
            .finish()
    }
}

impl ConfigLoader {
    /// A loader reading the process environment and `./secrets.json` if it exists.
    pub fn new() -> Self {
        ConfigLoader {
            environment: Environment::Process,
            secrets_file: SecretsFile::Default,
            working_dir: None,
            explicit: BTreeMap::new(),
            credentials: None,
        }
    }

    /// Reads environment variables through `lookup` instead of the process environment, for
    /// tests and for embedding. `lookup` gets a variable's name and returns its value.
    pub fn environment(
        mut self,
        lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.environment = Environment::Lookup(Arc::new(lookup));
        self
    }

    /// Reads this `secrets.json` instead of the one in the working directory. Unlike the default
    /// file, this one must exist: loading fails if it does not.
    pub fn secrets_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.secrets_file = SecretsFile::Named(path.into());
        self
    }

    /// Reads no `secrets.json` at all.
    pub fn no_secrets_file(mut self) -> Self {
        self.secrets_file = SecretsFile::None;
        self
    }

    /// The directory where `secrets.json` is looked for and against which relative file paths
    /// (secrets file, CA certificate, access token file) are taken. Default: the current
    /// directory.
    pub fn working_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.working_dir = Some(dir.into());
        self
    }

    /// Sets `setting` in code; the catalogue's setters (`token_url`, ...) call this.
    pub(super) fn set(mut self, setting: Setting, value: Explicit) -> Self {
        self.explicit.insert(setting, value);
        self
    }

    /// Sets the credentials in code: a [`TokenProvider`](crate::TokenProvider) of your own, a
    /// [`ClientCredentials`](super::ClientCredentials) grant, or any [`Credentials`]. They win
    /// over every source of credentials, and the credential settings (access token, token file,
    /// password grant) are then not needed; those that are given are still checked. A
    /// [`Credentials::AccessToken`] or [`Credentials::AccessTokenFile`] given here is checked as
    /// the settings are: the token trimmed, a pasted `Bearer ` dropped, the file read now.
    ///
    /// ```
    /// use finbourne_identity::{ConfigLoader, Token, token_provider_fn};
    /// use finbourne_identity::config::Credentials;
    ///
    /// let config = ConfigLoader::new()
    ///     .environment(|_| None)
    ///     .no_secrets_file()
    ///     .identity_url("https://example.lusid.com/identity")
    ///     .credentials(token_provider_fn(|| async { Ok(Token::new("from-my-vault", None)) }))
    ///     .load()?;
    /// assert!(matches!(config.credentials, Credentials::Provider(_)));
    /// # Ok::<(), finbourne_identity::ConfigError>(())
    /// ```
    pub fn credentials(mut self, credentials: impl Into<Credentials>) -> Self {
        self.credentials = Some(credentials.into());
        self
    }

    /// Reads and merges every source and checks the result.
    ///
    /// # Errors
    ///
    /// One [`ConfigError`] listing every problem found in every source: missing settings (with
    /// the environment variable and `secrets.json` key for each), unreadable or invalid files,
    /// values of the wrong type, unusable or insecure URLs, and header values (the access token,
    /// application name, correlation id) an HTTP request cannot carry.
    pub fn load(self) -> Result<Config, ConfigError> {
        let mut problems = Vec::new();
        let mut merged = Merged::with_defaults();

        for entry in env::read(&self.environment, &mut problems) {
            merged.apply(self.resolve(entry));
        }
        if let Some((path, required)) = self.secrets_path() {
            for entry in secrets_file::read(&path, required, &mut problems) {
                merged.apply(self.resolve(entry));
            }
        }
        // Checked now, though applied (and reported) last, because a file named in code
        // replaces the environment's before the token file is read.
        let mut explicit_problems = Vec::new();
        let explicit = self.explicit_entries(&mut explicit_problems);
        let token_file = explicit
            .iter()
            .find(|entry| entry.setting == Setting::AccessTokenFile)
            .or_else(|| merged.entries.get(&Setting::AccessTokenFile))
            .and_then(|entry| match &entry.value {
                Some(Value::Path(path)) => Some((path.clone(), entry.source.clone())),
                _ => None,
            });
        if let Some((path, named_by)) = token_file {
            let checked = read_token_file(&path, &named_by);
            let source = Source::AccessTokenFile { path };
            merged.apply(Entry::checked(
                Setting::AccessToken,
                source,
                checked,
                &mut problems,
            ));
        }
        problems.append(&mut explicit_problems);
        for entry in explicit {
            merged.apply(entry);
        }

        merged.check(self.credentials.is_some(), &mut problems);
        let origins = merged.origins();
        let identity_url = merged.url(Setting::IdentityUrl);
        let credentials = match &self.credentials {
            Some(credentials) => self.checked_credentials(credentials, &mut problems),
            None => merged.credentials(),
        };
        match (identity_url, credentials) {
            (Some(identity_url), Some(credentials)) if problems.is_empty() => Ok(Config {
                identity_url,
                credentials,
                application_name: merged.text(Setting::ApplicationName),
                correlation_id: merged.text(Setting::CorrelationId),
                ca_certificate: merged.path(Setting::ClientCertificate),
                timeouts: Timeouts {
                    total: merged.timeout(Setting::TotalTimeoutMs),
                    connect: merged.timeout(Setting::ConnectTimeoutMs),
                    read: merged.timeout(Setting::ReadTimeoutMs),
                },
                // Without problems every setting with a default has a value: the fallbacks
                // below are never taken.
                rate_limit_retries: merged.count(Setting::RateLimitRetries).unwrap_or_default(),
                retries: merged.count(Setting::Retries).unwrap_or_default(),
                proxy: merged.url(Setting::ProxyAddress).map(|address| Proxy {
                    address,
                    username: merged.text(Setting::ProxyUsername),
                    password: merged.secret(Setting::ProxyPassword),
                }),
                tcp_keepalive: merged.interval(Setting::TcpKeepalive).flatten(),
                origins,
            }),
            _ => Err(ConfigError::new(problems, origins)),
        }
    }

    /// The secrets file to read, and whether it must exist.
    fn secrets_path(&self) -> Option<(PathBuf, bool)> {
        match &self.secrets_file {
            SecretsFile::Default => {
                // An absolute path reads better in messages and `config show`.
                let dir = self
                    .working_dir
                    .clone()
                    .or_else(|| std::env::current_dir().ok())
                    .unwrap_or_default();
                Some((dir.join("secrets.json"), false))
            }
            SecretsFile::Named(path) => Some((self.resolve_path(path), true)),
            SecretsFile::None => None,
        }
    }

    fn resolve_path(&self, path: &Path) -> PathBuf {
        match &self.working_dir {
            Some(dir) if path.is_relative() => dir.join(path),
            _ => path.to_owned(),
        }
    }

    fn resolve(&self, mut entry: Entry) -> Entry {
        if let Some(Value::Path(path)) = &mut entry.value {
            *path = self.resolve_path(path);
        }
        entry
    }

    /// Credentials set in code, checked as the settings they stand for are: an access token
    /// trimmed and checked for the header, a token file read now.
    fn checked_credentials(
        &self,
        credentials: &Credentials,
        problems: &mut Vec<ConfigProblem>,
    ) -> Option<Credentials> {
        let checked = match credentials {
            Credentials::AccessToken(token) => value::access_token(token.expose_secret())
                .map(|token| Credentials::AccessToken(token.to_owned().into()))
                .map_err(|reason| ConfigProblem::Unsendable {
                    setting: Setting::AccessToken,
                    source: Source::Explicit,
                    reason,
                }),
            Credentials::AccessTokenFile(path) => {
                let path = self.resolve_path(path);
                read_token_file(&path, &Source::Explicit)
                    .map(|_| Credentials::AccessTokenFile(path))
            }
            other => Ok(other.clone()),
        };
        checked.map_err(|problem| problems.push(problem)).ok()
    }

    fn explicit_entries(&self, problems: &mut Vec<ConfigProblem>) -> Vec<Entry> {
        let mut entries = Vec::new();
        for (&setting, explicit) in &self.explicit {
            let checked = match explicit {
                Explicit::Text(text) if !value::is_given(text) => continue,
                Explicit::Secret(secret) if !value::is_given(secret.expose_secret()) => continue,
                Explicit::Path(path) if path.as_os_str().is_empty() => continue,
                Explicit::Text(text) => value::parse_text(setting, text.clone(), &Source::Explicit),
                Explicit::Secret(secret) if setting.kind() == Kind::Secret => {
                    Ok(Value::Secret(secret.clone()))
                }
                // An access token: checked and trimmed as from any other source.
                Explicit::Secret(secret) => value::parse_text(
                    setting,
                    secret.expose_secret().to_owned(),
                    &Source::Explicit,
                ),
                Explicit::Path(path) => Ok(Value::Path(path.clone())),
                Explicit::Duration(duration) => Ok(Value::Duration(*duration)),
                Explicit::Count(count) => Ok(Value::Count(*count)),
                Explicit::Interval(interval) => Ok(Value::Interval(*interval)),
            };
            let entry = Entry::checked(setting, Source::Explicit, checked, problems);
            entries.push(self.resolve(entry));
        }
        entries
    }
}

/// Reads the access token file now, so that a wrong path is reported at load rather than at the
/// first request. The token itself is read again by the authentication code when needed.
fn read_token_file(path: &Path, named_by: &Source) -> Result<Value, ConfigProblem> {
    let unusable = |reason: &str| ConfigProblem::UnusableFile {
        setting: Setting::AccessTokenFile,
        source: named_by.clone(),
        path: path.to_owned(),
        reason: reason.to_owned(),
    };
    let bytes = file::read_capped(path, file::TOKEN_FILE_CAP).map_err(|error| match error {
        FileError::NotFound => unusable("it does not exist"),
        FileError::Unusable(reason) => unusable(&reason),
    })?;
    let text = String::from_utf8(bytes).map_err(|_| unusable("it is not UTF-8 text"))?;
    let token = value::access_token(&text).map_err(unusable)?;
    Ok(Value::Secret(SecretString::from(token.to_owned())))
}

/// The winning entry of each setting, starting from the defaults.
struct Merged {
    entries: BTreeMap<Setting, Entry>,
}

impl Merged {
    fn with_defaults() -> Self {
        let entries = Setting::all()
            .iter()
            .filter_map(|&setting| {
                let entry = Entry {
                    setting,
                    source: Source::Default,
                    value: Some(setting.spec().default.clone()?),
                };
                Some((setting, entry))
            })
            .collect();
        Merged { entries }
    }

    fn apply(&mut self, entry: Entry) {
        self.entries.insert(entry.setting, entry);
    }

    /// The entry a source gave (valid or not), ignoring defaults.
    fn given(&self, setting: Setting) -> Option<&Entry> {
        self.entries
            .get(&setting)
            .filter(|entry| entry.source != Source::Default)
    }

    /// Problems that need the merged view: missing settings and incomplete proxy settings.
    /// With credentials set in code, no credential setting is required.
    fn check(&self, credentials_in_code: bool, problems: &mut Vec<ConfigProblem>) {
        if let Some(Entry {
            value: Some(Value::Path(path)),
            source,
            ..
        }) = self.entries.get(&Setting::ClientCertificate)
        {
            check_certificate(path, source, problems);
        }
        let token_given = credentials_in_code || self.given(Setting::AccessToken).is_some();
        for &setting in Setting::all() {
            let required = match setting.need() {
                Need::Always => true,
                Need::PasswordGrant => !token_given,
                Need::Optional => false,
            };
            if required && self.given(setting).is_none() {
                problems.push(ConfigProblem::Missing { setting });
            }
        }
        let mut needs = |setting: Setting, needs: Setting| {
            if let (Some(entry), None) = (self.given(setting), self.given(needs)) {
                problems.push(ConfigProblem::Incomplete {
                    setting,
                    source: entry.source.clone(),
                    needs,
                });
            }
        };
        needs(Setting::ProxyUsername, Setting::ProxyAddress);
        needs(Setting::ProxyPassword, Setting::ProxyAddress);
        needs(Setting::ProxyPassword, Setting::ProxyUsername);
        // reqwest's SOCKS4 sends no credentials: refuse them rather than drop them unseen.
        if let (Some(address), Some(_)) = (
            self.entries.get(&Setting::ProxyAddress),
            self.given(Setting::ProxyUsername),
        ) && let Some(Value::Url(url)) = &address.value
            && url.scheme().starts_with("socks4")
        {
            problems.push(ConfigProblem::InvalidUrl {
                setting: Setting::ProxyAddress,
                source: address.source.clone(),
                reason: "SOCKS4 carries no proxy username or password; use socks5 or socks5h"
                    .into(),
            });
        }
    }

    fn value(&self, setting: Setting) -> Option<&Value> {
        self.entries.get(&setting)?.value.as_ref()
    }

    fn text(&self, setting: Setting) -> Option<String> {
        match self.value(setting)? {
            Value::Text(text) => Some(text.clone()),
            _ => None,
        }
    }

    fn secret(&self, setting: Setting) -> Option<SecretString> {
        match self.value(setting)? {
            Value::Secret(secret) => Some(secret.clone()),
            _ => None,
        }
    }

    fn url(&self, setting: Setting) -> Option<Url> {
        match self.value(setting)? {
            Value::Url(url) => Some(url.clone()),
            _ => None,
        }
    }

    fn path(&self, setting: Setting) -> Option<PathBuf> {
        match self.value(setting)? {
            Value::Path(path) => Some(path.clone()),
            _ => None,
        }
    }

    /// A timeout, where zero means no limit.
    fn timeout(&self, setting: Setting) -> Option<Duration> {
        match self.value(setting)? {
            Value::Duration(duration) if !duration.is_zero() => Some(*duration),
            _ => None,
        }
    }

    fn count(&self, setting: Setting) -> Option<u32> {
        match self.value(setting)? {
            Value::Count(count) => Some(*count),
            _ => None,
        }
    }

    /// An interval that may be turned off: `Some(None)` when it is.
    fn interval(&self, setting: Setting) -> Option<Option<Duration>> {
        match self.value(setting)? {
            Value::Interval(interval) => Some(*interval),
            _ => None,
        }
    }

    /// The access token when one is given; otherwise the password grant.
    fn credentials(&self) -> Option<Credentials> {
        if let Some(entry) = self.given(Setting::AccessToken) {
            return match (&entry.source, &entry.value) {
                (Source::AccessTokenFile { path }, Some(_)) => {
                    Some(Credentials::AccessTokenFile(path.clone()))
                }
                (_, Some(Value::Secret(token))) => Some(Credentials::AccessToken(token.clone())),
                _ => None,
            };
        }
        Some(Credentials::Password(PasswordCredentials {
            token_url: self.url(Setting::TokenUrl)?,
            username: self.text(Setting::Username)?,
            password: self.secret(Setting::Password)?,
            client_id: self.text(Setting::ClientId)?,
            client_secret: self.secret(Setting::ClientSecret)?,
        }))
    }

    fn origins(&self) -> Vec<Origin> {
        Setting::all()
            .iter()
            .map(|&setting| match self.entries.get(&setting) {
                Some(Entry {
                    value: Some(value),
                    source,
                    ..
                }) => Origin {
                    setting,
                    value: Some(show(setting, value)),
                    source: Some(source.clone()),
                },
                _ => Origin {
                    setting,
                    value: None,
                    source: None,
                },
            })
            .collect()
    }
}

/// A value as text for [`Origin`]; secrets are never shown.
fn show(setting: Setting, value: &Value) -> String {
    if setting.is_secret() {
        return REDACTED.to_owned();
    }
    match value {
        Value::Text(text) => text.clone(),
        Value::Secret(_) => REDACTED.to_owned(),
        Value::Url(url) => super::shown_url(url),
        Value::Path(path) => super::shown_path(path),
        Value::Duration(duration) => duration.as_millis().to_string(),
        Value::Count(count) => count.to_string(),
        Value::Interval(Some(interval)) => interval.as_millis().to_string(),
        Value::Interval(None) => "off".to_owned(),
    }
}

/// Reads and parses the CA certificate file now, so that a wrong path or a file without a usable
/// certificate is reported at load rather than when the client is built or as a TLS failure.
fn check_certificate(path: &Path, source: &Source, problems: &mut Vec<ConfigProblem>) {
    let Err(reason) = file::read_ca_bundle(path).and_then(usable_certificates) else {
        return;
    };
    problems.push(ConfigProblem::UnusableFile {
        setting: Setting::ClientCertificate,
        source: source.clone(),
        path: path.to_owned(),
        reason,
    });
}

/// Whether the TLS stack takes the certificates: handed to a throwaway client builder, which is
/// where a well-formed PEM block with a body that is not a certificate is refused.
fn usable_certificates(certificates: Vec<reqwest::Certificate>) -> Result<(), String> {
    crate::http::install_crypto_provider();
    reqwest::Client::builder()
        .tls_certs_only(certificates)
        .build()
        .map(drop)
        .map_err(|_| "it holds a PEM block that is not a usable certificate".to_owned())
}
