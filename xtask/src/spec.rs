//! Reading an OpenAPI 3.0 description from disk, as JSON or YAML.
//!
//! The service serves JSON; mirrors and other generators often keep YAML. Both load into one
//! `serde_json::Value` first, so every later step (the passes, the differ, the structural
//! comparison) sees the same tree whatever the file format was.

use std::path::{Path, PathBuf};

use openapiv3::OpenAPI;
use serde_json::Value;

/// Why a spec file could not be used. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    #[error("{}: cannot read the file: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: invalid JSON at line {line}, column {column}: {message}", path.display())]
    Json {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{}: invalid YAML{location}: {message}", path.display())]
    Yaml {
        path: PathBuf,
        location: String,
        message: String,
    },
    #[error("{}: not an OpenAPI 3.0 document: {reason}", path.display())]
    NotOpenApi3 { path: PathBuf, reason: String },
}

/// A loaded spec: the raw tree and its typed form.
#[derive(Debug, Clone)]
pub struct Spec {
    pub path: PathBuf,
    pub raw: Value,
    pub openapi: OpenAPI,
}

/// Reads `path` (JSON or YAML, chosen by extension, else by the first character).
pub fn load(path: &Path) -> Result<Spec, SpecError> {
    let text = std::fs::read_to_string(path).map_err(|source| SpecError::Read {
        path: path.to_owned(),
        source,
    })?;
    let raw = parse_tree(path, &text)?;
    let openapi = typed(path, &raw)?;
    Ok(Spec {
        path: path.to_owned(),
        raw,
        openapi,
    })
}

/// Parses `text` as JSON or YAML into a tree, reporting where a syntax error is.
pub fn parse_tree(path: &Path, text: &str) -> Result<Value, SpecError> {
    if looks_like_json(path, text) {
        serde_json::from_str(text).map_err(|e| SpecError::Json {
            path: path.to_owned(),
            line: e.line(),
            column: e.column(),
            message: without_location(&e.to_string()),
        })
    } else {
        serde_yaml_ng::from_str(text).map_err(|e| SpecError::Yaml {
            path: path.to_owned(),
            location: e
                .location()
                .map(|l| format!(" at line {}, column {}", l.line(), l.column()))
                .unwrap_or_default(),
            message: without_location(&e.to_string()),
        })
    }
}

/// Checks the OpenAPI version and converts the tree into `openapiv3` types.
pub fn typed(path: &Path, raw: &Value) -> Result<OpenAPI, SpecError> {
    let not3 = |reason: String| SpecError::NotOpenApi3 {
        path: path.to_owned(),
        reason,
    };
    let Some(object) = raw.as_object() else {
        return Err(not3("the top level is not an object".into()));
    };
    match object.get("openapi").and_then(Value::as_str) {
        Some(v) if v.trim().starts_with("3.0.") => {}
        Some(v) => {
            return Err(not3(format!(
                "its `openapi` version is {v:?}; 3.0.x is needed"
            )));
        }
        None if object.contains_key("swagger") => {
            return Err(not3("it is a Swagger 2.0 document".into()));
        }
        None => return Err(not3("it has no `openapi` field".into())),
    }
    serde_json::from_value(raw.clone()).map_err(|e| not3(e.to_string()))
}

fn looks_like_json(path: &Path, text: &str) -> bool {
    match path.extension().and_then(|e| e.to_str()) {
        Some("json") => true,
        Some("yaml" | "yml") => false,
        _ => text.trim_start().starts_with('{'),
    }
}

/// serde_json and serde_yaml put " at line L column C" in their messages; we report the
/// location ourselves, once.
fn without_location(message: &str) -> String {
    let Some(start) = message.find(" at line ") else {
        return message.to_owned();
    };
    let after = message[start..]
        .split_once(" column ")
        .map(|(_, rest)| rest.trim_start_matches(|c: char| c.is_ascii_digit()))
        .unwrap_or("");
    format!("{}{after}", &message[..start])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, text: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-spec-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    const MINIMAL: &str = r#"{"openapi":"3.0.1","info":{"title":"t","version":"1"},"paths":{}}"#;

    #[test]
    fn loads_json_and_yaml_alike() {
        let json = load(&write("a.json", MINIMAL)).unwrap();
        let yaml = load(&write(
            "a.yaml",
            "openapi: 3.0.1\ninfo:\n  title: t\n  version: '1'\npaths: {}\n",
        ))
        .unwrap();
        assert_eq!(json.raw, yaml.raw);
        assert_eq!(json.openapi.info.title, "t");
    }

    #[test]
    fn missing_file_names_the_file() {
        let err = load(Path::new("/nonexistent/spec.json")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("/nonexistent/spec.json: cannot read the file")
        );
    }

    #[test]
    fn invalid_json_names_file_line_and_column() {
        let path = write("bad.json", "{\n  \"openapi\": \"3.0.1\",\n  oops\n}");
        let err = load(&path).unwrap_err().to_string();
        assert!(
            err.contains("bad.json: invalid JSON at line 3, column 3"),
            "{err}"
        );
    }

    #[test]
    fn invalid_yaml_names_file_and_line() {
        let path = write("bad.yaml", "openapi: 3.0.1\ninfo: [unclosed\n");
        let err = load(&path).unwrap_err().to_string();
        assert!(err.contains("bad.yaml: invalid YAML at line"), "{err}");
        assert_eq!(
            err.matches("line 3").count(),
            1,
            "the location is given once: {err}"
        );
    }

    #[test]
    fn rejects_swagger_and_openapi_3_1() {
        let swagger = write("s.json", r#"{"swagger":"2.0","info":{},"paths":{}}"#);
        assert!(
            load(&swagger)
                .unwrap_err()
                .to_string()
                .ends_with("it is a Swagger 2.0 document")
        );
        let v31 = write("v31.json", &MINIMAL.replace("3.0.1", "3.1.0"));
        let err = load(&v31).unwrap_err().to_string();
        assert!(err.contains("version is \"3.1.0\""), "{err}");
    }
}
