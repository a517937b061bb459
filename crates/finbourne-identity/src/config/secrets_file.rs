//! The `secrets.json` source: reads the file, checks its shape and each known key.
//!
//! The same file serves every FINBOURNE SDK, so keys this crate does not know (such as
//! `lusidUrl`) are ignored rather than refused.

use std::path::Path;

use serde_json::{Map, Value as Json};

use super::file::{self, FileError};
use super::value::{self, Entry};
use super::{ConfigProblem, Setting, Source};

/// The sections this crate reads; checked for shape even when none of their keys is used.
const SECTIONS: [&str; 2] = ["api", "proxy"];

/// Reads the settings of the secrets file at `path`. A missing file is a problem only when
/// `required` (the caller named it); the default `./secrets.json` may be absent.
pub(crate) fn read(path: &Path, required: bool, problems: &mut Vec<ConfigProblem>) -> Vec<Entry> {
    let bytes = match file::read_capped(path, file::SECRETS_FILE_CAP) {
        Ok(bytes) => bytes,
        Err(FileError::NotFound) => {
            if required {
                problems.push(ConfigProblem::SecretsFileNotFound { path: path.into() });
            }
            return Vec::new();
        }
        Err(FileError::Unusable(reason)) => {
            problems.push(ConfigProblem::UnreadableFile {
                path: path.into(),
                reason,
            });
            return Vec::new();
        }
    };
    // Editors on Windows may save with a byte-order mark, which the JSON parser refuses.
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let json: Json = match serde_json::from_slice(text) {
        Ok(json) => json,
        Err(error) => {
            problems.push(invalid_json(path, &error));
            return Vec::new();
        }
    };
    let Json::Object(top) = json else {
        problems.push(ConfigProblem::InvalidSecretsFile {
            path: path.into(),
            reason: format!(
                "the top level must be a JSON object, found {}",
                value::json_kind(&json)
            ),
        });
        return Vec::new();
    };
    for section in SECTIONS {
        if let Some(other) = top.get(section).filter(|v| !v.is_object() && !v.is_null()) {
            problems.push(ConfigProblem::InvalidSecretsFile {
                path: path.into(),
                reason: format!(
                    "section \"{section}\" must be a JSON object, found {}",
                    value::json_kind(other)
                ),
            });
        }
    }
    Setting::all()
        .iter()
        .filter_map(|&setting| read_setting(&top, setting, path, problems))
        .collect()
}

/// The first of the setting's keys (current, then older) that gives a value.
fn read_setting(
    top: &Map<String, Json>,
    setting: Setting,
    path: &Path,
    problems: &mut Vec<ConfigProblem>,
) -> Option<Entry> {
    let (section, key, json) = setting.secrets_keys().iter().find_map(|&(section, key)| {
        let json = top.get(section)?.as_object()?.get(key)?;
        value::is_given_json(json).then_some((section, key, json))
    })?;
    let source = Source::SecretsFile {
        path: path.into(),
        key: format!("{section}.{key}"),
    };
    let checked = value::parse_json(setting, json, &source);
    Some(Entry::checked(setting, source, checked, problems))
}

fn invalid_json(path: &Path, error: &serde_json::Error) -> ConfigProblem {
    // The parser appends the position to its message; it is kept in its own fields instead.
    let full = error.to_string();
    let position = format!(" at line {} column {}", error.line(), error.column());
    let message = full.strip_suffix(&position).unwrap_or(&full).to_owned();
    ConfigProblem::InvalidJson {
        path: path.into(),
        line: error.line(),
        column: error.column(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::value::Value;
    use std::path::PathBuf;

    fn file(content: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.json");
        std::fs::write(&path, content).unwrap();
        (dir, path)
    }

    fn key(entry: &Entry) -> &str {
        match &entry.source {
            Source::SecretsFile { key, .. } => key,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn reads_api_and_proxy_sections_and_ignores_unknown_keys() {
        let (_dir, path) = file(
            r#"{
                "api": {
                    "tokenUrl": "https://example.okta.com/oauth2/token",
                    "lusidUrl": "https://x.lusid.com/api",
                    "rateLimitRetries": 4,
                    "readTimeoutMs": "1500",
                    "password": ""
                },
                "proxy": { "address": "http://proxy:3128", "username": null },
                "somethingElse": [1, 2]
            }"#,
        );
        let mut problems = Vec::new();
        let entries = read(&path, true, &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        let keys: Vec<_> = entries.iter().map(key).collect();
        assert_eq!(
            keys,
            [
                "api.tokenUrl",
                "api.readTimeoutMs",
                "api.rateLimitRetries",
                "proxy.address"
            ]
        );
        assert!(matches!(entries[2].value, Some(Value::Count(4))));
    }

    #[test]
    fn current_key_wins_over_older_key() {
        let (_dir, path) = file(
            r#"{"api": {"finbourne_identityUrl": "https://old.lusid.com/identity",
                        "identityUrl": "https://new.lusid.com/identity"}}"#,
        );
        let mut problems = Vec::new();
        let entries = read(&path, true, &mut problems);
        assert_eq!(key(&entries[0]), "api.identityUrl");

        let (_dir, path) =
            file(r#"{"api": {"finbourne_identityUrl": "https://old.lusid.com/identity"}}"#);
        let entries = read(&path, true, &mut problems);
        assert_eq!(key(&entries[0]), "api.finbourne_identityUrl");
        assert!(problems.is_empty(), "{problems:?}");
    }

    #[test]
    fn absent_default_file_is_fine_but_a_named_one_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.json");
        let mut problems = Vec::new();
        assert!(read(&path, false, &mut problems).is_empty());
        assert!(problems.is_empty());
        read(&path, true, &mut problems);
        assert_eq!(
            problems,
            [ConfigProblem::SecretsFileNotFound { path: path.clone() }]
        );
    }

    #[test]
    fn a_directory_is_unreadable() {
        let dir = tempfile::tempdir().unwrap();
        let mut problems = Vec::new();
        read(dir.path(), true, &mut problems);
        assert!(
            matches!(&problems[..], [ConfigProblem::UnreadableFile { .. }]),
            "{problems:?}"
        );
    }

    #[test]
    fn invalid_json_names_line_and_column() {
        let (_dir, path) =
            file("{\n  \"api\": {\n    \"tokenUrl\": \"x\"\n    \"username\": \"u\"\n}");
        let mut problems = Vec::new();
        read(&path, true, &mut problems);
        match &problems[..] {
            [
                ConfigProblem::InvalidJson {
                    path: p,
                    line,
                    column,
                    message,
                },
            ] => {
                assert_eq!(p, &path);
                assert_eq!((*line, *column), (4, 5));
                assert!(!message.contains("line"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn byte_order_mark_is_accepted() {
        let (_dir, path) = file("\u{FEFF}{\"api\": {\"username\": \"u\"}}");
        let mut problems = Vec::new();
        assert_eq!(read(&path, true, &mut problems).len(), 1);
        assert!(problems.is_empty(), "{problems:?}");
    }

    #[test]
    fn wrong_shapes_are_reported() {
        let (_dir, path) = file("[1]");
        let mut problems = Vec::new();
        read(&path, true, &mut problems);
        let (_dir, path) = file(r#"{"api": "s3cr3t", "proxy": 3}"#);
        read(&path, true, &mut problems);
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(
            problems
                .iter()
                .all(|p| matches!(p, ConfigProblem::InvalidSecretsFile { .. }))
        );
        assert!(!format!("{problems:?}").contains("s3cr3t"));
    }
}
