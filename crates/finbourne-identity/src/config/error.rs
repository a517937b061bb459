//! The error returned when the configuration cannot be loaded: every problem found, at once.

use std::fmt;
use std::path::PathBuf;

use super::{Origin, Setting, Source};

/// Everything wrong with the configuration, gathered from all sources so that one run shows
/// every mistake.
///
/// Its `Display` writes one line per problem. No message ever contains a secret value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    problems: Vec<ConfigProblem>,
    origins: Vec<Origin>,
}

impl ConfigError {
    /// Wraps the problems found, with what the sources did supply.
    pub(crate) fn new(problems: Vec<ConfigProblem>, origins: Vec<Origin>) -> Self {
        ConfigError { problems, origins }
    }

    /// The problems, in the order they were found.
    pub fn problems(&self) -> &[ConfigProblem] {
        &self.problems
    }

    /// What the sources supplied despite the problems, as [`Config::origins`] lists it (secrets
    /// redacted): enough to show a user what was found where.
    ///
    /// [`Config::origins`]: super::Config::origins
    pub fn origins(&self) -> &[Origin] {
        &self.origins
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// One thing wrong with the configuration. Each message names the setting and the file,
/// environment variable or key involved; none contains a secret value.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigProblem {
    /// A required setting is not given by any source (an empty value counts as not given).
    Missing {
        /// The setting.
        setting: Setting,
    },
    /// A setting only makes sense together with another one, which is missing.
    Incomplete {
        /// The setting that is given.
        setting: Setting,
        /// Where it came from.
        source: Source,
        /// The setting it needs.
        needs: Setting,
    },
    /// The secrets file named with [`ConfigLoader::secrets_file`](super::ConfigLoader::secrets_file)
    /// does not exist.
    SecretsFileNotFound {
        /// The file.
        path: PathBuf,
    },
    /// The secrets file exists but cannot be read.
    UnreadableFile {
        /// The file.
        path: PathBuf,
        /// Why, from the operating system.
        reason: String,
    },
    /// The secrets file is not valid JSON.
    InvalidJson {
        /// The file.
        path: PathBuf,
        /// The line of the error, from 1.
        line: usize,
        /// The column of the error, from 1 (0 at the very end of an empty file).
        column: usize,
        /// What the JSON parser expected.
        message: String,
    },
    /// The secrets file is JSON, but not shaped like a secrets file (for example the top level
    /// or the `api` section is not an object).
    InvalidSecretsFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A value has the wrong type, such as a word where a number of milliseconds is expected.
    WrongType {
        /// The setting.
        setting: Setting,
        /// Where the value came from.
        source: Source,
        /// What was expected, such as "a non-negative whole number".
        expected: &'static str,
        /// What was found; for secret settings only its kind, never the value.
        found: String,
    },
    /// A URL setting cannot be parsed or is not usable.
    InvalidUrl {
        /// The setting.
        setting: Setting,
        /// Where the value came from.
        source: Source,
        /// What is wrong.
        reason: String,
    },
    /// A URL that carries credentials or tokens uses plain http to a host that is not loopback.
    InsecureUrl {
        /// The setting.
        setting: Setting,
        /// Where the value came from.
        source: Source,
        /// The URL.
        url: String,
    },
    /// A value that is sent in an HTTP header (the access token, the application name, the
    /// correlation id) holds something a header cannot carry.
    Unsendable {
        /// The setting.
        setting: Setting,
        /// Where the value came from.
        source: Source,
        /// What is wrong; never the value.
        reason: &'static str,
    },
    /// A file named by a setting (CA certificate, access token file) cannot be used.
    UnusableFile {
        /// The setting naming the file.
        setting: Setting,
        /// Where the setting came from.
        source: Source,
        /// The file.
        path: PathBuf,
        /// Why; never the file's content.
        reason: String,
    },
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigProblem::Missing { setting } => {
                write!(f, "missing {setting}: set {}", setting.where_to_set())?;
                if setting.is_password_grant() {
                    // These five are only needed because no access token was given.
                    f.write_str(
                        " (for the password grant; not needed with an access token from \
                         FBN_ACCESS_TOKEN, FBN_ACCESS_TOKEN_FILE or api.accessToken)",
                    )?;
                }
                Ok(())
            }
            ConfigProblem::Incomplete {
                setting,
                source,
                needs,
            } => write!(
                f,
                "{setting} is set ({source}) but {needs} is not: set {}",
                needs.where_to_set()
            ),
            ConfigProblem::SecretsFileNotFound { path } => {
                write!(f, "secrets file {} does not exist", super::shown_path(path))
            }
            ConfigProblem::UnreadableFile { path, reason } => {
                write!(
                    f,
                    "cannot read secrets file {}: {reason}",
                    super::shown_path(path)
                )
            }
            ConfigProblem::InvalidJson {
                path,
                line,
                column,
                message,
            } => write!(
                f,
                "secrets file {} is not valid JSON: {message} at line {line}, column {column}",
                super::shown_path(path)
            ),
            ConfigProblem::InvalidSecretsFile { path, reason } => {
                write!(f, "secrets file {}: {reason}", super::shown_path(path))
            }
            ConfigProblem::WrongType {
                setting,
                source,
                expected,
                found,
            } => write!(
                f,
                "{setting} {}: expected {expected}, found {found}",
                FromSource(source)
            ),
            ConfigProblem::InvalidUrl {
                setting,
                source,
                reason,
            } => write!(
                f,
                "{setting} {} is not a usable URL: {reason}",
                FromSource(source)
            ),
            ConfigProblem::InsecureUrl {
                setting,
                source,
                url,
            } => write!(
                f,
                "{setting} {} must use https (plain http is only allowed for localhost and \
                 loopback addresses): {url}",
                FromSource(source)
            ),
            ConfigProblem::Unsendable {
                setting,
                source,
                reason,
            } => write!(
                f,
                "{setting} {} cannot be sent: {reason}",
                FromSource(source)
            ),
            ConfigProblem::UnusableFile {
                setting,
                source,
                path,
                reason,
            } => write!(
                f,
                "cannot use {setting} {} {}: {reason}",
                super::shown_path(path),
                FromSource(source)
            ),
        }
    }
}

/// "from environment variable X", but "set in code" rather than "from set in code".
struct FromSource<'a>(&'a Source);

impl fmt::Display for FromSource<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Source::Explicit => write!(f, "{}", self.0),
            source => write!(f, "from {source}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_display_has_one_line_per_problem() {
        let error = ConfigError::new(
            vec![
                ConfigProblem::Missing {
                    setting: Setting::IdentityUrl,
                },
                ConfigProblem::SecretsFileNotFound {
                    path: PathBuf::from("/nowhere/secrets.json"),
                },
            ],
            Vec::new(),
        );
        let text = error.to_string();
        assert_eq!(text.lines().count(), 2, "{text}");
        assert!(text.contains("FBN_IDENTITY_URL"));
        assert!(text.contains("/nowhere/secrets.json"));
        assert_eq!(error.problems().len(), 2);
    }

    #[test]
    fn missing_password_grant_setting_mentions_the_access_token_alternative() {
        let text = ConfigProblem::Missing {
            setting: Setting::ClientSecret,
        }
        .to_string();
        assert!(text.contains("FBN_CLIENT_SECRET"), "{text}");
        assert!(text.contains("api.clientSecret"), "{text}");
        assert!(text.contains("FBN_ACCESS_TOKEN"), "{text}");
    }
}
