//! Where the reference specs live: `../shared/upstream/` beside the repository. They are read
//! from there, never copied in. A test that needs one fails when it is absent, naming the path:
//! a check that passes without its input would say nothing.

use std::io::Write;
use std::path::PathBuf;

#[allow(dead_code)]
pub const CURRENT: &str = "identity-openapi-0.0.3665.yaml";
#[allow(dead_code)] // used by some of the test binaries that share this module
pub const OLD_2020: &str = "identity-openapi-0.0.840.json";

/// The reference spec `name`; panics, naming the path, when `../shared` does not hold it.
pub fn path(name: &str) -> PathBuf {
    let path = xtask::generate::workspace_root()
        .join("../shared/upstream")
        .join(name);
    assert!(
        path.is_file(),
        "reference spec {} is absent: these tests read the served spec's reference copies from \
         ../shared/upstream beside the repository",
        path.display()
    );
    path
}

/// The reference spec `name` loaded, when it describes the API version `spec/identity.json`
/// is at; `None` (after saying so) when it describes another version, as it does once
/// `cargo xtask spec sync` has brought a newer one. Panics when it is absent.
#[allow(dead_code)]
pub fn same_version_as_ours(name: &str) -> Option<xtask::spec::Spec> {
    let reference = xtask::spec::load(&path(name)).unwrap_or_else(|e| panic!("{e}"));
    let ours = xtask::generate::workspace_root().join(xtask::generate::SPEC);
    let ours = xtask::spec::load(&ours).unwrap_or_else(|e| panic!("{e}"));
    let (theirs, ours) = (&reference.openapi.info.version, &ours.openapi.info.version);
    if theirs == ours {
        Some(reference)
    } else {
        let _ = writeln!(
            std::io::stderr(),
            "skipped: reference spec {name} is API version {theirs}; {} is {ours}",
            xtask::generate::SPEC
        );
        None
    }
}

/// Keys whose values are prose or tooling annotations, not structure.
pub fn is_prose_key(key: &str) -> bool {
    matches!(
        key,
        "description" | "summary" | "example" | "examples" | "termsOfService"
    ) || (key.starts_with("x-") && key != "x-fbn-apistatus")
}

/// The tree without prose, keys in their order. A property *named* `description` (inside
/// `properties`) is kept.
#[allow(dead_code)] // used by some of the test binaries that share this module
pub fn structure(value: &serde_json::Value, parent: Option<&str>) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| parent == Some("properties") || !is_prose_key(k))
                .map(|(k, v)| (k.clone(), structure(v, Some(k))))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|v| structure(v, None)).collect()),
        other => other.clone(),
    }
}
