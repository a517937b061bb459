//! `cargo xtask msrv`: is the workspace's `rust-version` true of everything the published crates
//! build with? Only the machine's newest toolchain exists here, so the promise is checked in
//! two parts: clippy's `incompatible_msrv` lint for our code, and this check for the
//! dependencies the lockfile resolves: each one's own `rust-version` must be no newer.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// A dependency whose `rust-version` is newer than the workspace's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooNew {
    pub package: String,
    pub rust_version: String,
}

/// What the check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The workspace's `rust-version`.
    pub rust_version: String,
    /// How many packages the published crates build with (themselves included).
    pub checked: usize,
    pub too_new: Vec<TooNew>,
}

/// Runs `cargo metadata` in `root` and checks it.
pub fn check_workspace(root: &Path) -> Result<Verdict, String> {
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        // Every feature, so the optional TLS stacks (native-tls, ring) are checked too.
        .args([
            "metadata",
            "--format-version",
            "1",
            "--locked",
            "--all-features",
        ])
        .current_dir(root)
        .output()
        .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let metadata: Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("cargo metadata printed something that is not JSON: {e}"))?;
    check(&metadata)
}

/// Checks `cargo metadata` output: every package reachable from a published workspace member
/// through normal or build dependencies (on any platform; dev-dependencies are ours alone)
/// must declare a `rust-version` no newer than the members'; one with none is taken at its
/// word.
pub fn check(metadata: &Value) -> Result<Verdict, String> {
    let packages: HashMap<&str, &Value> = metadata["packages"]
        .as_array()
        .ok_or("cargo metadata has no packages")?
        .iter()
        .filter_map(|p| Some((p["id"].as_str()?, p)))
        .collect();
    let members: BTreeSet<&str> = metadata["workspace_members"]
        .as_array()
        .ok_or("cargo metadata has no workspace members")?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let published: Vec<&str> = members
        .iter()
        .copied()
        .filter(|id| {
            packages
                .get(id)
                .is_some_and(|p| p["publish"] != serde_json::json!([]))
        })
        .collect();
    let rust_version = published
        .iter()
        .find_map(|id| packages[id]["rust_version"].as_str())
        .ok_or("no published workspace member declares a rust-version")?
        .to_owned();
    let nodes: HashMap<&str, &Value> = metadata["resolve"]["nodes"]
        .as_array()
        .ok_or("cargo metadata has no resolve graph")?
        .iter()
        .filter_map(|n| Some((n["id"].as_str()?, n)))
        .collect();

    let mut seen: BTreeSet<&str> = BTreeSet::new();
    let mut queue = published.clone();
    while let Some(id) = queue.pop() {
        if !seen.insert(id) {
            continue;
        }
        for dep in nodes
            .get(id)
            .and_then(|n| n["deps"].as_array())
            .into_iter()
            .flatten()
        {
            let shipped = dep["dep_kinds"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|k| k["kind"].is_null() || k["kind"] == "build");
            if let (true, Some(pkg)) = (shipped, dep["pkg"].as_str()) {
                queue.push(pkg);
            }
        }
    }
    let limit = version(&rust_version);
    let too_new = seen
        .iter()
        .filter_map(|id| {
            let package = packages.get(id)?;
            let declared = package["rust_version"].as_str()?;
            let name = package["name"].as_str()?;
            let at = package["version"].as_str()?;
            (version(declared) > limit).then(|| TooNew {
                package: format!("{name} {at}"),
                rust_version: declared.to_owned(),
            })
        })
        .collect();
    Ok(Verdict {
        rust_version,
        checked: seen.len(),
        too_new,
    })
}

/// `1.88` and `1.88.0` compare equal; missing parts are 0.
fn version(text: &str) -> (u64, u64, u64) {
    let mut parts = text.split('.').map(|p| p.parse().unwrap_or(0));
    (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn package(id: &str, rust_version: Option<&str>, publish: Option<Value>) -> Value {
        json!({"id": id, "name": id, "version": "1.0.0", "rust_version": rust_version, "publish": publish})
    }

    fn dep(pkg: &str, kind: Option<&str>) -> Value {
        json!({"pkg": pkg, "dep_kinds": [{"kind": kind}]})
    }

    #[test]
    fn only_what_published_crates_build_with_is_held_to_their_rust_version() {
        // The workspace's own rust-version in this synthetic metadata, not the project's.
        let ours = "1.88";
        let metadata = json!({
            "packages": [
                package("sdk", Some(ours), None),
                package("xtask", Some(ours), Some(json!([]))),
                package("old", Some("1.70"), None),
                package("new-normal", Some("1.90"), None),
                package("new-build", Some("1.89.1"), None),
                package("new-dev", Some("1.95"), None),
                package("new-for-xtask", Some("1.95"), None),
                package("undeclared", None, None),
            ],
            "workspace_members": ["sdk", "xtask"],
            "resolve": {"nodes": [
                {"id": "sdk", "deps": [dep("old", None), dep("new-dev", Some("dev")), dep("new-build", Some("build"))]},
                {"id": "old", "deps": [dep("new-normal", None), dep("undeclared", None)]},
                {"id": "xtask", "deps": [dep("new-for-xtask", None)]},
            ]}
        });
        let verdict = check(&metadata).unwrap();
        assert_eq!(verdict.rust_version, ours);
        assert_eq!(
            verdict.checked, 5,
            "sdk, old, new-normal, new-build, undeclared"
        );
        let names: Vec<&str> = verdict.too_new.iter().map(|t| t.package.as_str()).collect();
        assert_eq!(names, ["new-build 1.0.0", "new-normal 1.0.0"]);
    }

    #[test]
    fn versions_compare_by_number() {
        assert_eq!(version("1.88"), version("1.88.0"));
        assert!(version("1.100") > version("1.88"));
    }
}
