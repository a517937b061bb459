//! `spec/identity.json` describes the same API as the reference spec, fact for fact: paths,
//! methods, operation ids, tags, parameters, bodies, responses, schemas. Only our prose (summaries,
//! descriptions), examples and other generators' `x-` annotations may differ. The comparison
//! holds while the reference copy is of the API version our spec is at.

mod reference;

use reference::structure;

use serde_json::Value;
use xtask::{generate, spec};

/// Every difference between `ours` and `theirs`, as JSON pointers.
fn differences(ours: &Value, theirs: &Value, at: &str, out: &mut Vec<String>) {
    match (ours, theirs) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                let here = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                match a.get(k) {
                    Some(mine) => differences(mine, v, &here, out),
                    None => out.push(format!("missing from ours: {here}")),
                }
            }
            for k in a.keys().filter(|k| !b.contains_key(*k)) {
                out.push(format!("only in ours: {at}/{k}"));
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                differences(x, y, &format!("{at}/{i}"), out);
            }
        }
        _ if ours != theirs => {
            out.push(format!("differs at {at}: ours {ours}, reference {theirs}"))
        }
        _ => {}
    }
}

#[test]
fn spec_matches_the_reference_structurally() {
    let Some(reference) = reference::same_version_as_ours(reference::CURRENT) else {
        return;
    };
    let theirs = reference.raw;
    let ours = spec::load(&generate::workspace_root().join(generate::SPEC))
        .unwrap()
        .raw;
    let (mut ours_s, mut theirs_s) = (structure(&ours, None), structure(&theirs, None));
    // The title is a name we give the document, like its prose.
    for tree in [&mut ours_s, &mut theirs_s] {
        tree["info"].as_object_mut().unwrap().remove("title");
    }
    let mut found = Vec::new();
    differences(&ours_s, &theirs_s, "", &mut found);
    assert!(
        found.is_empty(),
        "{} difference(s):\n{}",
        found.len(),
        found.join("\n")
    );
}

#[test]
fn spec_has_every_operation_and_schema_of_the_reference() {
    let Some(theirs) = reference::same_version_as_ours(reference::CURRENT) else {
        return;
    };
    let counts = |openapi: openapiv3::OpenAPI| {
        let schemas = openapi.components.as_ref().map_or(0, |c| c.schemas.len());
        (openapi.operations().count(), schemas)
    };
    let ours = spec::load(&generate::workspace_root().join(generate::SPEC)).unwrap();
    let (operations, schemas) = counts(ours.openapi);
    assert!(operations > 0 && schemas > 0);
    assert_eq!((operations, schemas), counts(theirs.openapi));
}

#[test]
fn every_operation_and_schema_has_our_prose() {
    let ours = spec::load(&generate::workspace_root().join(generate::SPEC))
        .unwrap()
        .openapi;
    let bare: Vec<_> = ours
        .operations()
        .filter(|(_, _, op)| op.summary.is_none() || op.description.is_none())
        .map(|(path, method, op)| format!("{method} {path} {:?}", op.operation_id))
        .collect();
    assert!(
        bare.is_empty(),
        "operations without summary or description: {bare:#?}"
    );
}

#[test]
fn comparison_names_each_difference() {
    let theirs = serde_json::json!({"paths": {"/a": {"get": {"operationId": "A", "description": "x",
        "parameters": [{"name": "n", "in": "query", "schema": {"type": "string"}}]}}}});
    let mut ours = theirs.clone();
    ours["paths"]["/a"]["get"]["description"] = "ours".into();
    ours["paths"]["/a"]["get"]["parameters"][0]["schema"]["type"] = "integer".into();
    ours["paths"]["/a"]["put"] = serde_json::json!({});
    let mut found = Vec::new();
    differences(
        &structure(&ours, None),
        &structure(&theirs, None),
        "",
        &mut found,
    );
    assert_eq!(
        found,
        [
            "differs at /paths/~1a/get/parameters/0/schema/type: ours \"integer\", reference \"string\"",
            "only in ours: /paths/~1a/put",
        ]
    );
}
