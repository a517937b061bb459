//! `cargo xtask diff OLD NEW` end to end: the reference specs, small specs through the binary, and
//! bad input. The rules themselves are unit-tested in `xtask/src/diff.rs`.

mod reference;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use xtask::diff::{self, Semver};

fn xtask_diff(old: &Path, new: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("diff")
        .arg(old)
        .arg(new)
        .output()
        .expect("the xtask binary runs")
}

/// A fresh directory for one test, so tests running in parallel never share files.
fn temp_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("xtask-diff-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

const SPEC: &str = r#"{
  "openapi": "3.0.1",
  "info": {"title": "t", "version": "1"},
  "paths": {"/roles": {"get": {
    "operationId": "ListRoles",
    "summary": "List roles",
    "responses": {"200": {"description": "The roles"}}
  }}}
}"#;

#[test]
fn reference_specs_from_2020_to_now() {
    let (old, new) = (
        reference::path(reference::OLD_2020),
        reference::path(reference::CURRENT),
    );
    let output = xtask_diff(&old, &new);
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    for expected in [
        "breaking  operation removed: CreateDomain (POST /api/domains)",
        "additive  operation added: AddScim (PUT /api/identityprovider/scim)",
        "breaking  ListUsers: parameter removed: includeRoles (query)",
        "additive  GetSupportAccessHistory: parameter added: start (query, optional)",
        "wire-only  CreateApplication: response 201 removed",
        "wire-only  GetRole: parameter id: changed maxLength none -> 64, minLength none -> 1, pattern none -> ^[a-zA-Z0-9\\-_]+$",
        "wire-only  GetRole: response 404: body changed ProblemDetails -> none",
        "breaking  schema removed: DomainId",
        "additive  schema added: AddScimResponse",
        "breaking  UserResponse.roles[]: type changed Role -> RoleResponse",
        "breaking  RoleId.scope: no longer nullable",
        "additive  UserResponse: property added: lastLogin (optional)",
        "additive  RoleResponse: property added: source (required)",
    ] {
        assert!(
            lines.contains(&expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
    let operations = lines.iter().position(|l| *l == "operations:").unwrap();
    let schemas = lines.iter().position(|l| *l == "schemas:").unwrap();
    assert!(operations < schemas);
    assert!(lines[lines.len() - 2].starts_with("summary: "));
    assert!(
        lines.last().unwrap().starts_with("semver: major"),
        "{stdout}"
    );
}

#[test]
fn a_reference_spec_against_itself_is_a_patch() {
    let current = reference::path(reference::CURRENT);
    let report = diff::diff_files(&current, &current).unwrap();
    assert_eq!(report.changes().count(), 0);
    assert_eq!(report.semver(), Semver::Patch);
}

#[test]
fn prose_only_changes_print_a_patch() {
    let dir = temp_dir("prose");
    let old = write(&dir, "old.json", SPEC);
    let new = write(
        &dir,
        "new.yaml",
        &SPEC.replace("List roles", "Lists every role"),
    );
    let output = xtask_diff(&old, &new);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        "summary: 0 breaking, 0 additive, 0 wire-only\nsemver: patch\n"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// `xtask diff` of SPEC against SPEC with `from` replaced by `to`: it succeeds, and its lines.
fn diff_lines(test: &str, from: &str, to: &str) -> Vec<String> {
    let dir = temp_dir(test);
    let old = write(&dir, "old.json", SPEC);
    let new = write(&dir, "new.json", &SPEC.replace(from, to));
    let output = xtask_diff(&old, &new);
    assert_eq!(output.status.code(), Some(0));
    std::fs::remove_dir_all(dir).unwrap();
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn additive_changes_print_a_minor() {
    let limit = r#""parameters": [{"name": "limit", "in": "query", "schema": {"type": "integer"}}],
    "responses""#;
    assert_eq!(
        diff_lines("additive", r#""responses""#, limit),
        [
            "operations:",
            "additive  ListRoles: parameter added: limit (query, optional)",
            "summary: 0 breaking, 1 additive, 0 wire-only",
            "semver: minor (for a 0.x crate: bump the patch version)",
        ]
    );
}

#[test]
fn wire_only_changes_print_a_patch() {
    let not_found = r#""404": {"description": "No roles here"}, "200""#;
    assert_eq!(
        diff_lines("wire", r#""200""#, not_found),
        [
            "operations:",
            "wire-only  ListRoles: response 404 added",
            "summary: 0 breaking, 0 additive, 1 wire-only",
            "semver: patch",
        ]
    );
}

/// Runs `diff` with `bad` on either side and checks: exit 2, one stderr line naming the file.
fn rejects(test: &str, name: &str, text: Option<&str>, says: &str) {
    let dir = temp_dir(test);
    let good = write(&dir, "good.json", SPEC);
    let bad = match text {
        Some(text) => write(&dir, name, text),
        None => dir.join(name),
    };
    for (old, new) in [(&bad, &good), (&good, &bad)] {
        let output = xtask_diff(old, new);
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(&bad.display().to_string()), "{stderr}");
        assert!(stderr.contains(says), "{stderr}");
        assert!(output.stdout.is_empty());
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_missing_file_is_one_error_line() {
    rejects("missing", "absent.json", None, "cannot read the file");
}

#[test]
fn a_swagger_2_file_is_one_error_line() {
    let swagger = r#"{"swagger": "2.0", "info": {"title": "t", "version": "1"}, "paths": {}}"#;
    rejects(
        "swagger",
        "swagger.json",
        Some(swagger),
        "not an OpenAPI 3.0",
    );
}

#[test]
fn invalid_json_is_one_error_line() {
    rejects(
        "json",
        "broken.json",
        Some("{\"openapi\": "),
        "invalid JSON",
    );
}

#[test]
fn invalid_yaml_is_one_error_line() {
    rejects(
        "yaml",
        "broken.yaml",
        Some("openapi: 3.0.1\ninfo: [unclosed\n"),
        "invalid YAML",
    );
}

#[test]
fn wrong_arguments_print_the_usage() {
    for args in [
        &["diff"][..],
        &["diff", "only-one.json"],
        &["diff", "a", "b", "c"],
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
            .args(args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2));
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(stderr.contains("cargo xtask diff OLD NEW"), "{stderr}");
    }
}
