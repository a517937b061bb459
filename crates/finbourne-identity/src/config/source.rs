//! Provenance: where a value came from, and the per-setting summary shown by `config show`.

use std::fmt;
use std::path::PathBuf;

use super::Setting;

/// Where a setting's value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// The built-in default.
    Default,
    /// An environment variable.
    Environment {
        /// The variable's name, such as `FBN_TOKEN_URL`.
        variable: String,
    },
    /// A key of a `secrets.json` file.
    SecretsFile {
        /// The file.
        path: PathBuf,
        /// The section and key, such as `api.tokenUrl`.
        key: String,
    },
    /// The file named by the access token file setting (`FBN_ACCESS_TOKEN_FILE`).
    AccessTokenFile {
        /// The file.
        path: PathBuf,
    },
    /// An explicit option of [`ConfigLoader`](super::ConfigLoader).
    Explicit,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Default => f.write_str("default"),
            Source::Environment { variable } => write!(f, "environment variable {variable}"),
            Source::SecretsFile { path, key } => {
                write!(f, "secrets.json key {key} ({})", super::shown_path(path))
            }
            Source::AccessTokenFile { path } => {
                write!(f, "access token file {}", super::shown_path(path))
            }
            Source::Explicit => f.write_str("set in code"),
        }
    }
}

/// The effective value of one setting and where it came from, as listed by
/// [`Config::origins`](super::Config::origins).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// The setting.
    pub setting: Setting,
    /// The value as text; `"****"` for secrets, so a secret never appears here. `None` when the
    /// setting is not set.
    pub value: Option<String>,
    /// Where the value came from; `None` when the setting is not set.
    pub source: Option<Source>,
}

impl fmt::Display for Origin {
    /// One line such as `token URL = https://example/oauth2/token (environment variable FBN_TOKEN_URL)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.value, &self.source) {
            (Some(value), Some(source)) => write!(f, "{} = {value} ({source})", self.setting),
            _ => write!(f, "{} is not set", self.setting),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_display_as_documented() {
        let env = Source::Environment {
            variable: "FBN_TOKEN_URL".into(),
        };
        assert_eq!(env.to_string(), "environment variable FBN_TOKEN_URL");
        let file = Source::SecretsFile {
            path: PathBuf::from("/path/secrets.json"),
            key: "api.tokenUrl".into(),
        };
        assert_eq!(
            file.to_string(),
            "secrets.json key api.tokenUrl (/path/secrets.json)"
        );
        assert_eq!(Source::Default.to_string(), "default");
        assert_eq!(Source::Explicit.to_string(), "set in code");
    }

    #[test]
    fn origin_display() {
        let set = Origin {
            setting: Setting::RateLimitRetries,
            value: Some("2".into()),
            source: Some(Source::Default),
        };
        assert_eq!(set.to_string(), "rate-limit retries = 2 (default)");
        let unset = Origin {
            setting: Setting::CorrelationId,
            value: None,
            source: None,
        };
        assert_eq!(unset.to_string(), "correlation id is not set");
    }
}
