//! The environment source: reads every setting's variables through a lookup that tests replace.

use std::fmt;
use std::sync::Arc;

use super::value::{self, Entry};
use super::{ConfigProblem, Setting, Source};

/// A caller-supplied lookup standing in for the process environment.
pub(crate) type Lookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Where environment variables are read from.
#[derive(Clone)]
pub(crate) enum Environment {
    /// The real process environment.
    Process,
    /// A caller-supplied lookup, so that tests never touch (or depend on) the real environment.
    Lookup(Lookup),
}

impl fmt::Debug for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Environment::Process => "Process",
            Environment::Lookup(_) => "Lookup(..)",
        })
    }
}

/// A variable that is set but is not Unicode, which no setting can use.
struct NotUnicode;

impl Environment {
    fn get(&self, name: &str) -> Option<Result<String, NotUnicode>> {
        match self {
            // `var_os` rather than `var`, so that a non-Unicode value is reported, not ignored.
            Environment::Process => {
                std::env::var_os(name).map(|value| value.into_string().map_err(|_| NotUnicode))
            }
            Environment::Lookup(lookup) => lookup(name).map(Ok),
        }
    }
}

/// Reads every setting from the environment. For a setting with an older variable name, the
/// current name wins when both are set.
pub(crate) fn read(environment: &Environment, problems: &mut Vec<ConfigProblem>) -> Vec<Entry> {
    let mut entries = Vec::new();
    for &setting in Setting::all() {
        let found =
            setting
                .env_vars()
                .iter()
                .find_map(|variable| match environment.get(variable)? {
                    Ok(text) if !value::is_given(&text) => None,
                    result => Some((variable, result)),
                });
        let Some((variable, result)) = found else {
            continue;
        };
        let source = Source::Environment {
            variable: variable.to_string(),
        };
        let checked = match result {
            Ok(text) => value::parse_text(setting, text, &source),
            Err(NotUnicode) => Err(ConfigProblem::WrongType {
                setting,
                source: source.clone(),
                expected: "Unicode text",
                found: "bytes that are not valid UTF-8".into(),
            }),
        };
        entries.push(Entry::checked(setting, source, checked, problems));
    }
    entries
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::value::Value;
    use std::collections::HashMap;

    fn lookup(pairs: &[(&str, &str)]) -> Environment {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Environment::Lookup(Arc::new(move |name| map.get(name).cloned()))
    }

    fn variable(entry: &Entry) -> &str {
        match &entry.source {
            Source::Environment { variable } => variable,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn reads_each_setting_from_its_variable() {
        let mut problems = Vec::new();
        let entries = read(
            &lookup(&[
                ("FBN_USERNAME", "alice"),
                ("FBN_RATE_LIMIT_RETRIES", "9"),
                ("UNRELATED", "x"),
            ]),
            &mut problems,
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].setting, Setting::Username);
        assert_eq!(variable(&entries[0]), "FBN_USERNAME");
        assert!(matches!(&entries[0].value, Some(Value::Text(t)) if t == "alice"));
        assert!(matches!(entries[1].value, Some(Value::Count(9))));
    }

    #[test]
    fn current_name_wins_over_older_name() {
        let mut problems = Vec::new();
        let both = read(
            &lookup(&[
                ("FBN_IDENTITY_URL", "https://new.lusid.com/identity"),
                (
                    "FBN_FINBOURNE_IDENTITY_API_URL",
                    "https://old.lusid.com/identity",
                ),
            ]),
            &mut problems,
        );
        assert_eq!(both.len(), 1);
        assert_eq!(variable(&both[0]), "FBN_IDENTITY_URL");

        let older_only = read(
            &lookup(&[
                ("FBN_IDENTITY_URL", ""),
                (
                    "FBN_FINBOURNE_IDENTITY_API_URL",
                    "https://old.lusid.com/identity",
                ),
            ]),
            &mut problems,
        );
        assert_eq!(variable(&older_only[0]), "FBN_FINBOURNE_IDENTITY_API_URL");
        assert!(problems.is_empty(), "{problems:?}");
    }

    #[test]
    fn empty_variables_are_not_given() {
        let mut problems = Vec::new();
        let entries = read(&lookup(&[("FBN_PASSWORD", "")]), &mut problems);
        assert!(entries.is_empty());
    }

    #[test]
    fn bad_values_are_reported_and_still_count_as_given() {
        let mut problems = Vec::new();
        let entries = read(&lookup(&[("FBN_RATE_LIMIT_RETRIES", "abc")]), &mut problems);
        assert_eq!(entries.len(), 1);
        assert!(entries[0].value.is_none());
        let message = problems[0].to_string();
        assert!(message.contains("FBN_RATE_LIMIT_RETRIES"), "{message}");
        assert!(message.contains("\"abc\""), "{message}");
    }
}
