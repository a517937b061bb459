//! Pre-flight checks for constructs progenitor would panic on or reject without saying where.
//!
//! Runs after the passes. Each finding names the operation (id, method and path) and the
//! construct, so a spec the passes cannot fix fails with a message a person can act on.

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;

use crate::passes::METHODS;

/// One construct the generator cannot handle, and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported {
    /// `AddScim (PUT /api/identityprovider/scim)`, or the path when there is no operation id.
    pub operation: String,
    pub construct: String,
}

impl std::fmt::Display for Unsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.operation, self.construct)
    }
}

/// Media types progenitor can send as a request body.
const SENDABLE: &[&str] = &[
    "application/json",
    "application/x-www-form-urlencoded",
    "application/octet-stream",
    "text/plain",
];

/// Lists every unsupported construct of `tree`; empty when progenitor can take it.
pub fn check(tree: &Value) -> Vec<Unsupported> {
    let mut found = Vec::new();
    let mut ids: HashMap<String, String> = HashMap::new();
    let Some(paths) = tree.get("paths").and_then(Value::as_object) else {
        return found;
    };
    for (path, item) in paths {
        if item.get("$ref").is_some() {
            found.push(Unsupported {
                operation: path.clone(),
                construct: "path item given as a $ref".into(),
            });
            continue;
        }
        for method in METHODS {
            let Some(op) = item.get(*method) else {
                continue;
            };
            let place = format!("{} {path}", method.to_uppercase());
            let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                found.push(Unsupported {
                    operation: place,
                    construct: "no operationId".into(),
                });
                continue;
            };
            let operation = format!("{id} ({place})");
            if let Some(first) = ids.insert(id.to_owned(), place.clone()) {
                found.push(Unsupported {
                    operation: operation.clone(),
                    construct: format!("operationId also used by {first}"),
                });
            }
            let mut say = |construct: String| {
                found.push(Unsupported {
                    operation: operation.clone(),
                    construct,
                })
            };
            check_parameters(item, op, &mut say);
            check_body(op, &mut say);
            check_responses(op, &mut say);
        }
    }
    found
}

fn check_parameters(item: &Value, op: &Value, say: &mut impl FnMut(String)) {
    let params = [item, op]
        .into_iter()
        .filter_map(|v| v.get("parameters").and_then(Value::as_array))
        .flatten();
    for param in params {
        let name = param.get("name").and_then(Value::as_str).unwrap_or("?");
        match param.get("in").and_then(Value::as_str) {
            Some("cookie") => say(format!("cookie parameter `{name}`")),
            Some("path") if param.get("required") != Some(&Value::Bool(true)) => {
                say(format!("path parameter `{name}` not marked required"))
            }
            _ => {}
        }
        if param.get("content").is_some() {
            say(format!(
                "parameter `{name}` described by `content` instead of `schema`"
            ));
        }
    }
}

fn check_body(op: &Value, say: &mut impl FnMut(String)) {
    let Some(content) = op
        .pointer("/requestBody/content")
        .and_then(Value::as_object)
    else {
        return;
    };
    if content.len() > 1 {
        let types: Vec<_> = content.keys().map(String::as_str).collect();
        say(format!(
            "request body with {} media types ({})",
            types.len(),
            types.join(", ")
        ));
    }
    for (media, body) in content {
        let base = media.split(';').next().unwrap_or(media).trim();
        if !SENDABLE.contains(&base) {
            say(format!("request body media type `{media}`"));
        }
        if body.get("schema").is_none() {
            say(format!("request body `{media}` without a schema"));
        }
        if body
            .get("encoding")
            .and_then(Value::as_object)
            .is_some_and(|e| !e.is_empty())
        {
            say(format!("request body `{media}` with an `encoding`"));
        }
    }
}

fn check_responses(op: &Value, say: &mut impl FnMut(String)) {
    let Some(responses) = op.get("responses").and_then(Value::as_object) else {
        return;
    };
    let mut success_kinds = BTreeSet::new();
    let mut error_kinds = BTreeSet::new();
    for (status, response) in responses {
        let json = response.pointer("/content/application~1json");
        if json.is_some_and(|json| json.get("schema").is_none()) {
            say(format!(
                "{status} response `application/json` without a schema"
            ));
        }
        let kind = match (json, response.get("content").and_then(Value::as_object)) {
            (Some(json), _) => json.get("schema").map_or("json".into(), Value::to_string),
            (None, Some(c)) if !c.is_empty() => "raw bytes".into(),
            _ => "no body".into(),
        };
        let success = status == "default" || status.starts_with('2') || status == "101";
        let error = crate::passes::is_error_status(status);
        if success {
            success_kinds.insert(kind.clone());
        }
        if error {
            error_kinds.insert(kind);
        }
    }
    for (what, kinds) in [("success", success_kinds), ("error", error_kinds)] {
        if kinds.len() > 1 {
            let kinds: Vec<_> = kinds.into_iter().collect();
            say(format!(
                "{what} responses of {} different types: {}",
                kinds.len(),
                kinds.join(" | ")
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    fn one_op(op: serde_json::Value) -> serde_json::Value {
        json!({"paths": {"/api/things/{id}": {"put": op}}})
    }

    fn messages(tree: &serde_json::Value) -> Vec<String> {
        super::check(tree).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_clean_operation_passes() {
        let tree = one_op(json!({"operationId": "Put", "parameters": [
            {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
            "responses": {"200": {"content": {"application/json": {"schema": {"type": "string"}}}},
                          "4XX": {"content": {"*/*": {}}}}}));
        assert_eq!(messages(&tree), Vec::<String>::new());
    }

    #[test]
    fn names_operation_and_construct() {
        let tree = one_op(json!({"operationId": "PutThing", "parameters": [
                {"name": "session", "in": "cookie", "schema": {"type": "string"}},
                {"name": "id", "in": "path", "schema": {"type": "string"}}],
            "requestBody": {"content": {"multipart/form-data": {"schema": {}}, "application/json": {}}},
            "responses": {
                "200": {"content": {"application/json": {"schema": {"type": "string"}}}},
                "204": {"description": "none"},
                "400": {"content": {"application/json": {"schema": {"type": "string"}}}},
                "4XX": {"content": {"*/*": {}}}}}));
        let found = messages(&tree);
        let at = "PutThing (PUT /api/things/{id}): ";
        for expected in [
            "cookie parameter `session`",
            "path parameter `id` not marked required",
            "request body with 2 media types (multipart/form-data, application/json)",
            "request body media type `multipart/form-data`",
            "request body `application/json` without a schema",
            "success responses of 2 different types: no body | {\"type\":\"string\"}",
            "error responses of 2 different types: raw bytes | {\"type\":\"string\"}",
        ] {
            assert!(
                found.contains(&format!("{at}{expected}")),
                "missing {expected:?} in {found:#?}"
            );
        }
    }

    #[test]
    fn missing_and_duplicate_ids() {
        let tree = json!({"paths": {
            "/a": {"get": {"operationId": "Same", "responses": {}}, "post": {"responses": {}}},
            "/b": {"get": {"operationId": "Same", "responses": {}}}
        }});
        assert_eq!(
            messages(&tree),
            [
                "POST /a: no operationId",
                "Same (GET /b): operationId also used by GET /a"
            ]
        );
    }
}
