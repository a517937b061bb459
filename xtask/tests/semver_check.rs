//! The diff's verdict, checked against the compiler: a client generated from a small spec, a
//! crate of code written against it, and the same code compiled against the client generated
//! from each changed spec. The verdict must be major exactly when that code no longer compiles.
//!
//! Changes that break at run time only (a parameter or a request record's property becoming
//! required: `send()` or the builder refuses) compile either way; `src/diff.rs` tests those.
//!
//! The crates are built offline from the registry cache, with the workspace's lock file, into
//! `target/semver-check`, which later runs reuse.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use xtask::diff::{self, Semver};
use xtask::generate;

fn base() -> Value {
    let user = json!({"$ref": "#/components/schemas/User"});
    let problem = json!({"$ref": "#/components/schemas/Problem"});
    let body = |schema: &Value| json!({"description": "an answer", "content": {"application/json": {"schema": schema}}});
    json!({
        "openapi": "3.0.3",
        "info": {"title": "semver check", "version": "1"},
        "paths": {
            "/users/{id}": {"get": {
                "operationId": "GetUser",
                "parameters": [{"name": "id", "in": "path", "required": true,
                    "schema": {"type": "string", "maxLength": 64}}],
                "responses": {"200": body(&user), "default": body(&problem)}
            }},
            "/users": {
                "get": {
                    "operationId": "ListUsers",
                    "parameters": [{"name": "limit", "in": "query",
                        "schema": {"type": "integer", "format": "int32"}}],
                    "responses": {"200": body(&json!({"type": "array", "items": user}))}
                },
                "post": {
                    "operationId": "CreateUser",
                    "requestBody": {"required": true, "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/NewUser"}}}},
                    "responses": {"200": body(&user), "400": body(&problem)}
                }
            }
        },
        "components": {"schemas": {
            "User": {"type": "object", "additionalProperties": false, "required": ["id"],
                "properties": {
                    "id": {"type": "string"},
                    "name": {"type": "string", "nullable": true},
                    "status": {"type": "string", "enum": ["active", "locked"]}}},
            "NewUser": {"type": "object", "additionalProperties": false, "required": ["name"],
                "properties": {
                    "name": {"type": "string", "minLength": 1},
                    "email": {"type": "string", "nullable": true}}},
            "Problem": {"type": "object", "properties": {
                "code": {"type": "integer", "format": "int32"},
                "detail": {"type": "string"}}}
        }}
    })
}

/// Code written against the client of [`base`]: an operation's builder with setters, a body made
/// with a record's builder, fields of answers read.
const CONSUMER: &str = r#"
use client::{types, Client};

pub async fn consume(client: &Client) -> Option<usize> {
    let user = client.get_user().id("u1").send().await.ok()?.into_inner();
    let id: &str = &user.id;
    let name: Option<&String> = user.name.as_ref();
    let status: Option<&String> = user.status.as_ref();
    let body = types::NewUser::builder()
        .name("Grace")
        .email("grace@example.com");
    let created = client.create_user().body(body).send().await.ok()?;
    let listed = client.list_users().limit(10).send().await.ok()?;
    Some(id.len() + name.map_or(0, String::len) + status.map_or(0, String::len) + created.id.len() + listed.len())
}
"#;

fn at<'a>(tree: &'a mut Value, pointer: &str) -> &'a mut Value {
    tree.pointer_mut(pointer)
        .unwrap_or_else(|| panic!("{pointer}"))
}

fn properties<'a>(tree: &'a mut Value, schema: &str) -> &'a mut serde_json::Map<String, Value> {
    at(tree, &format!("/components/schemas/{schema}/properties"))
        .as_object_mut()
        .unwrap()
}

/// A change to the base spec, and the bump the diff must find for it.
struct Variant {
    what: &'static str,
    edit: fn(&mut Value),
    semver: Semver,
}

fn variants() -> Vec<Variant> {
    vec![
        Variant {
            what: "optional properties added to a record read and to a record sent",
            edit: |s| {
                properties(s, "User").insert(
                    "lastLogin".into(),
                    json!({"type": "string", "format": "date-time", "nullable": true}),
                );
                properties(s, "NewUser").insert("phone".into(), json!({"type": "string"}));
            },
            semver: Semver::Minor,
        },
        Variant {
            what: "a required property added to a record only answers use",
            edit: |s| {
                properties(s, "User").insert("createdAt".into(), json!({"type": "string"}));
                at(s, "/components/schemas/User/required")
                    .as_array_mut()
                    .unwrap()
                    .push(json!("createdAt"));
            },
            semver: Semver::Minor,
        },
        Variant {
            what: "limits, string enum values, error bodies and a route",
            edit: |s| {
                properties(s, "NewUser")["name"]["maxLength"] = json!(100);
                properties(s, "User")["status"]["enum"] = json!(["active", "locked", "deleted"]);
                let get = at(s, "/paths")
                    .as_object_mut()
                    .unwrap()
                    .remove("/users/{id}")
                    .unwrap();
                at(s, "/paths")["/people/{id}"] = get;
                let responses = at(s, "/paths/~1people~1{id}/get/responses");
                responses["404"] = json!({"description": "no such user"});
                responses["default"]["content"]["application/json"]["schema"] =
                    json!({"type": "string"});
                at(s, "/paths/~1people~1{id}/get/parameters/0/schema")["maxLength"] = json!(32);
            },
            semver: Semver::Patch,
        },
        Variant {
            what: "a property the code reads removed",
            edit: |s| {
                properties(s, "User").remove("name");
            },
            semver: Semver::Major,
        },
        Variant {
            what: "a parameter's type changed",
            edit: |s| {
                at(s, "/paths/~1users/get/parameters/0")["schema"] = json!({"type": "string"});
            },
            semver: Semver::Major,
        },
        Variant {
            what: "an operation's answer type changed",
            edit: |s| {
                at(
                    s,
                    "/paths/~1users/post/responses/200/content/application~1json",
                )["schema"] = json!({"$ref": "#/components/schemas/NewUser"});
            },
            semver: Semver::Major,
        },
    ]
}

/// A cargo workspace of two crates: `client`, generated, and `consumer`, which uses it.
struct Crates {
    dir: PathBuf,
}

impl Crates {
    fn new() -> Crates {
        let dir = std::env::temp_dir().join(format!("xtask-semver-check-{}", std::process::id()));
        let root = generate::workspace_root();
        let client_src = root.join("crates/finbourne-identity-client/src");
        let write = |path: &str, text: &str| {
            let path = dir.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write(
            "Cargo.toml",
            "[workspace]\nresolver = \"3\"\nmembers = [\"client\", \"consumer\"]\n",
        );
        // The workspace's versions, so that an offline build finds them all in the cache.
        std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
        write(
            "client/Cargo.toml",
            r#"[package]
name = "client"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
progenitor-client = "0.15"
reqwest = { version = "0.13", default-features = false, features = ["json", "query", "stream"] }
serde = { version = "1", features = ["derive"] }
serde_json = "1"
serde_urlencoded = "0.7"
chrono = { version = "0.4", default-features = false, features = ["serde", "std"] }
percent-encoding = "2"
"#,
        );
        // The client crate's own hand-written hooks, URL joiner, path encoder, request start,
        // query writer and lenient decoders, read where they are; the table of operations is
        // the real spec's, so a stand-in that knows no operation (the hooks then check
        // nothing, the joiner keeps no URL).
        write(
            "client/src/lib.rs",
            &format!(
                "#[path = {hooks:?}]\nmod hooks;\n#[path = {base_url:?}]\nmod base_url;\n\
                 #[path = {lenient:?}]\npub mod lenient;\n\
                 #[path = {segment:?}]\npub mod segment;\n#[path = {query:?}]\nmod query;\n\
                 #[path = {request:?}]\nmod request;\n\
                 pub mod operations {{\n    pub struct Operation {{ pub path: &'static str, pub params: &'static [Param] }}\n    \
                 pub struct Param {{ pub location: ParamLocation }}\n    \
                 #[derive(PartialEq)]\n    pub enum ParamLocation {{ Path, Query }}\n    \
                 pub static OPERATIONS: &[Operation] = &[];\n    impl Operation {{\n        \
                 pub fn check_path(&self, _: &str) -> Result<(), String> {{ Ok(()) }}\n    }}\n    \
                 pub fn by_id(_: &str) -> Option<&'static Operation> {{ None }}\n}}\n\
                 #[allow(clippy::all, unused_mut, unused_comparisons)]\nmod generated_client;\n\
                 pub use generated_client::*;\npub use hooks::Hooks;\n",
                hooks = client_src.join("hooks.rs"),
                base_url = client_src.join("base_url.rs"),
                lenient = client_src.join("lenient.rs"),
                segment = client_src.join("segment.rs"),
                query = client_src.join("query.rs"),
                request = client_src.join("request.rs"),
            ),
        );
        write(
            "consumer/Cargo.toml",
            "[package]\nname = \"consumer\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
             [dependencies]\nclient = { path = \"../client\" }\n",
        );
        write("consumer/src/lib.rs", CONSUMER);
        Crates { dir }
    }

    /// Generates the client from `spec` and checks the consumer against it: `Err` holds the
    /// compiler's errors.
    fn consumer_compiles_with(&self, spec: &Value) -> Result<(), String> {
        let (code, _) = generate::generate_client(Path::new("semver-check.json"), spec)
            .unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(self.dir.join("client/src/generated_client.rs"), code).unwrap();
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let output = Command::new(cargo)
            .args([
                "check",
                "--offline",
                "--quiet",
                "--package",
                "consumer",
                "--message-format",
                "short",
            ])
            .current_dir(&self.dir)
            .env(
                "CARGO_TARGET_DIR",
                generate::workspace_root().join("target/semver-check"),
            )
            .output()
            .expect("cargo runs");
        if output.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&output.stderr).into_owned())
        }
    }
}

impl Drop for Crates {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn the_verdict_is_major_exactly_when_code_written_against_the_old_client_stops_compiling() {
    let crates = Crates::new();
    let old = base();
    if let Err(errors) = crates.consumer_compiles_with(&old) {
        panic!("the consumer must compile against the client it was written for:\n{errors}");
    }
    for variant in variants() {
        let mut new = old.clone();
        (variant.edit)(&mut new);
        let report = diff::diff(&old, &new);
        assert_eq!(
            report.semver(),
            variant.semver,
            "{}:\n{report}",
            variant.what
        );
        let compiled = crates.consumer_compiles_with(&new);
        if let Err(errors) = &compiled {
            // A compile error of the consumer, not a build that could not start.
            assert!(
                errors.contains("consumer/src/lib.rs"),
                "{}:\n{errors}",
                variant.what
            );
        }
        assert_eq!(
            report.semver() == Semver::Major,
            compiled.is_err(),
            "{}: the verdict says {}, yet the consumer {}\n{report}",
            variant.what,
            report.semver(),
            match &compiled {
                Ok(()) => "compiles".to_owned(),
                Err(errors) => format!("fails:\n{errors}"),
            }
        );
    }
}
