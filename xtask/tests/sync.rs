//! `cargo xtask spec sync NEW`: NEW's structure, our prose kept, new items listed with a
//! placeholder, and a spec that generates.

mod reference;

use reference::structure;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use xtask::diff::Semver;
use xtask::{generate, spec, sync};

fn ours_path() -> PathBuf {
    generate::workspace_root().join(generate::SPEC)
}

fn ours() -> Value {
    spec::load(&ours_path()).unwrap().raw
}

/// Every prose string of the tree, by JSON pointer.
fn prose(value: &Value, at: &str, parent: Option<&str>, out: &mut Vec<(String, Value)>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let here = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                if parent != Some("properties")
                    && matches!(k.as_str(), "description" | "summary" | "title")
                {
                    out.push((here, v.clone()));
                } else {
                    prose(v, &here, Some(k), out);
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                prose(v, &format!("{at}/{i}"), None, out);
            }
        }
        _ => {}
    }
}

fn object<'a>(tree: &'a mut Value, pointer: &str) -> &'a mut serde_json::Map<String, Value> {
    tree.pointer_mut(pointer)
        .and_then(Value::as_object_mut)
        .unwrap_or_else(|| panic!("{pointer}"))
}

/// Today's spec as a newer service would serve it, and what changed: one operation and one
/// schema more, a new optional property and a removed one, a parameter of another type, an
/// enum on a string parameter. Every prose string is the vendor's own, with examples and
/// annotations, and operations and parameters have their keys sorted as the service's
/// generator sorts them. The items changed are picked by shape, not name, so the test holds
/// whatever version our spec is at.
struct Newer {
    tree: Value,
    /// The schema that gains `department` and loses `removed`.
    record: String,
    removed: String,
    /// Operation id and name of the parameter turned from integer to string.
    retyped: (String, String),
    /// Operation id and name of the string parameter that gains an enum.
    enumerated: (String, String),
}

fn newer() -> Newer {
    let mut tree = ours();
    let mut vendor = 0;
    rewrite_prose(&mut tree, None, &mut vendor);
    tree["info"]["version"] = json!("99.0.0");

    // The first record with an optional property to lose.
    let schemas = object(&mut tree, "/components/schemas");
    let (record, removed) = schemas
        .iter()
        .find_map(|(name, schema)| {
            let required = schema.get("required").and_then(Value::as_array);
            let properties = schema.get("properties")?.as_object()?;
            let optional = properties
                .keys()
                .find(|p| required.is_none_or(|r| !r.contains(&json!(p))))?;
            Some((name.clone(), optional.clone()))
        })
        .expect("a record with an optional property");
    let properties = schemas[&record]["properties"].as_object_mut().unwrap();
    properties.remove(&removed);
    properties.insert(
        "department".into(),
        json!({"type": "string", "nullable": true, "description": "Vendor department"}),
    );
    schemas.insert(
        "WidgetList".into(),
        json!({"type": "object", "description": "Vendor list", "additionalProperties": false,
            "required": ["values"], "properties": {
                "values": {"type": "array", "description": "Vendor values", "items": {"type": "string"}},
                "href": {"type": "string", "nullable": true, "description": "Vendor href"}}}),
    );

    let mut retyped = None;
    let mut enumerated = None;
    for item in object(&mut tree, "/paths").values_mut() {
        for operation in item.as_object_mut().unwrap().values_mut() {
            let id = operation["operationId"].as_str().unwrap().to_owned();
            let parameters = operation
                .get_mut("parameters")
                .and_then(Value::as_array_mut);
            for parameter in parameters.into_iter().flatten() {
                let name = parameter["name"].as_str().unwrap().to_owned();
                let in_query = parameter["in"] == "query";
                let schema = &mut parameter["schema"];
                if retyped.is_none() && schema["type"] == "integer" {
                    *schema = json!({"type": "string"});
                    retyped = Some((id.clone(), name));
                } else if enumerated.is_none()
                    && in_query
                    && schema["type"] == "string"
                    && schema.get("format").is_none()
                    && schema.get("enum").is_none()
                {
                    schema["enum"] = json!(["ASCENDING", "DESCENDING"]);
                    enumerated = Some((id.clone(), name));
                }
                sort_keys(parameter);
            }
            sort_keys(operation);
        }
    }

    let operation = json!({
        "tags": ["Application Metadata"],
        "summary": "Vendor summary of widgets",
        "description": "Vendor description of widgets",
        "operationId": "ListWidgets",
        "parameters": [{"name": "tag", "in": "query", "description": "Vendor tag", "schema": {"type": "string"}}],
        "responses": {
            "200": {"description": "Vendor success", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/WidgetList"},
                "example": {"values": ["w"]}}}},
            "400": {"description": "Vendor bad request", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/LusidValidationProblemDetails"}}}},
            "default": {"description": "Vendor error", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/LusidProblemDetails"}}}}
        },
        "security": [{"oauth2": []}],
        "x-accepts": ["application/json"],
        "x-fbn-apistatus": "Experimental"
    });
    object(&mut tree, "/paths").insert("/api/synthetic/widgets".into(), json!({"get": operation}));
    Newer {
        tree,
        record,
        removed,
        retyped: retyped.expect("an integer parameter"),
        enumerated: enumerated.expect("a plain string query parameter"),
    }
}

/// Replaces every prose string with the vendor's words, as a served spec has them.
fn rewrite_prose(value: &mut Value, parent: Option<&str>, vendor: &mut usize) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if parent != Some("properties") && matches!(k.as_str(), "description" | "summary") {
                    *vendor += 1;
                    *v = json!(format!("Vendor words {vendor}"));
                } else {
                    rewrite_prose(v, Some(k), vendor);
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|v| rewrite_prose(v, None, vendor)),
        _ => {}
    }
}

fn sort_keys(value: &mut Value) {
    if let Some(map) = value.as_object_mut() {
        map.sort_keys();
    }
}

fn ours_tree_version() -> String {
    ours()["info"]["version"].as_str().unwrap().to_owned()
}

fn text(tree: &Value) -> String {
    sync::to_text(tree)
}

#[test]
fn a_newer_spec_brings_its_structure_keeps_our_prose_and_lists_new_items() {
    let (ours, newer) = (ours(), newer());
    let new = &newer.tree;
    let synced = sync::sync(&ours, new);

    let without_title = |tree: &Value| {
        let mut s = structure(tree, None);
        s["info"].as_object_mut().unwrap().remove("title");
        text(&s)
    };
    assert_eq!(
        without_title(&synced.tree),
        without_title(new),
        "NEW's structure, in NEW's key order"
    );

    let mut ours_prose = Vec::new();
    prose(&ours, "", None, &mut ours_prose);
    let gone = format!(
        "/components/schemas/{}/properties/{}/",
        newer.record, newer.removed
    );
    let mut kept = 0;
    for (pointer, value) in &ours_prose {
        let parent = &pointer[..pointer.rfind('/').unwrap()];
        if new.pointer(parent).is_some() {
            assert_eq!(synced.tree.pointer(pointer), Some(value), "{pointer}");
            kept += 1;
        }
    }
    let lost = ours_prose
        .iter()
        .filter(|(p, _)| p.starts_with(&gone))
        .count();
    assert_eq!(
        kept,
        ours_prose.len() - lost,
        "all but the removed property's"
    );
    let written = text(&synced.tree);
    assert!(!written.contains("Vendor"), "no vendor prose is carried");
    assert!(!written.contains("\"example") && !written.contains("x-accepts"));

    let department = format!("{}.department: description", newer.record);
    assert_eq!(
        synced.needs_prose,
        [
            "operation ListWidgets (GET /api/synthetic/widgets): summary, description",
            "ListWidgets: parameter tag (query): description",
            "ListWidgets: response 200: description",
            "ListWidgets: response 400: description",
            "ListWidgets: response default: description",
            &department,
            "schema WidgetList: description",
            "WidgetList.values: description",
            "WidgetList.href: description",
        ]
    );
    let operation = &synced.tree["paths"]["/api/synthetic/widgets"]["get"];
    assert_eq!(operation["summary"], sync::PLACEHOLDER);
    assert_eq!(operation["description"], sync::PLACEHOLDER);
    assert_eq!(
        synced.tree["components"]["schemas"]["WidgetList"]["properties"]["href"]["description"],
        sync::PLACEHOLDER
    );
    // Our operations put summary and description first; NEW sorted them among the keywords.
    let (id, _) = &newer.retyped;
    let keys: Vec<&String> = sync_operation(&synced.tree, id).keys().collect();
    assert_eq!(keys[..3], ["summary", "description", "operationId"]);

    let generated = generate::generate_from_text(&written).unwrap_or_else(|e| panic!("{e}"));
    let client = &generated.files[0].contents;
    assert!(
        client.contains("pub fn list_widgets(&self)"),
        "no new method"
    );
    let record = &client[client
        .find(&format!("pub struct {} {{", newer.record))
        .unwrap()..];
    let record = &record[..record.find("\n    }").unwrap()];
    assert!(
        record.contains("pub department: ::std::option::Option<"),
        "{record}"
    );
    assert!(
        !record.contains(&format!("\"{}\"", newer.removed)),
        "{record}"
    );
}

/// The operation of `tree` with id `id`.
fn sync_operation<'a>(tree: &'a Value, id: &str) -> &'a serde_json::Map<String, Value> {
    tree["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .find(|op| op["operationId"] == id)
        .and_then(Value::as_object)
        .unwrap()
}

#[test]
fn the_report_judges_the_newer_spec_for_the_rust_api() {
    let (ours, newer) = (ours(), newer());
    let synced = sync::sync(&ours, &newer.tree);
    let report = xtask::diff::diff(&ours, &synced.tree);
    let lines: Vec<String> = report.changes().map(ToString::to_string).collect();
    let ((retyped, parameter), (listed, sorted)) = (&newer.retyped, &newer.enumerated);
    let record = &newer.record;
    for expected in [
        "additive  operation added: ListWidgets (GET /api/synthetic/widgets)".to_owned(),
        format!("breaking  {retyped}: parameter {parameter}: type changed integer"),
        format!("wire-only  {listed}: parameter {sorted}: enum value added: ASCENDING"),
        format!("breaking  {record}: property removed: {}", newer.removed),
        format!("additive  {record}: property added: department (optional)"),
        "additive  schema added: WidgetList".to_owned(),
    ] {
        assert!(
            lines.iter().any(|l| l.starts_with(&expected)),
            "{expected} not in {lines:#?}"
        );
    }
    assert_eq!(report.semver(), Semver::Major);
}

#[test]
fn syncing_the_current_reference_leaves_our_spec_as_it_is() {
    let Some(reference) = reference::same_version_as_ours(reference::CURRENT) else {
        return;
    };
    let synced = sync::sync(&ours(), &reference.raw);
    assert_eq!(synced.needs_prose, Vec::<String>::new());
    assert_eq!(
        text(&synced.tree),
        std::fs::read_to_string(ours_path()).unwrap(),
        "structure, prose and layout unchanged, byte for byte"
    );
}

#[test]
fn our_spec_is_written_as_it_is_formatted_today() {
    let written = std::fs::read_to_string(ours_path()).unwrap();
    assert_eq!(text(&ours()), written);
    assert_eq!(text(&sync::sync(&ours(), &ours()).tree), written);
}

/// A fresh directory for one test, so tests running in parallel never share files.
fn temp_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("xtask-sync-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn sync_file_takes_yaml_and_writes_the_spec_back() {
    let dir = temp_dir("file");
    let ours = dir.join("identity.json");
    std::fs::copy(ours_path(), &ours).unwrap();
    let new = dir.join("served.yaml");
    std::fs::write(&new, serde_yaml_ng::to_string(&newer().tree).unwrap()).unwrap();
    let outcome = sync::sync_file(&ours, &new).unwrap();
    assert_eq!(
        std::fs::read_to_string(&ours).unwrap(),
        text(&outcome.synced.tree)
    );
    let before = ours_tree_version();
    assert_eq!(outcome.versions, (before, "99.0.0".to_owned()));
    assert_eq!(outcome.synced.needs_prose.len(), 9);
    assert_eq!(outcome.report.semver(), Semver::Major);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_bad_new_spec_is_an_error_naming_it_and_nothing_is_written() {
    let dir = temp_dir("bad");
    let ours = dir.join("identity.json");
    std::fs::copy(ours_path(), &ours).unwrap();
    let swagger = dir.join("swagger.json");
    std::fs::write(&swagger, r#"{"swagger": "2.0", "info": {}, "paths": {}}"#).unwrap();
    for (new, says) in [
        (dir.join("absent.json"), "cannot read the file"),
        (swagger, "it is a Swagger 2.0 document"),
    ] {
        let err = sync::sync_file(&ours, &new).unwrap_err().to_string();
        assert!(err.starts_with(&new.display().to_string()), "{err}");
        assert!(err.contains(says), "{err}");
    }
    assert_eq!(
        std::fs::read(&ours).unwrap(),
        std::fs::read(ours_path()).unwrap()
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_command_refuses_a_missing_spec_in_one_line() {
    let absent = Path::new("/nonexistent/identity-new.json");
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["spec", "sync"])
        .arg(absent)
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stderr.trim_end(),
        "error: /nonexistent/identity-new.json: cannot read the file: No such file or directory (os error 2)"
    );
    assert!(output.stdout.is_empty());
}
