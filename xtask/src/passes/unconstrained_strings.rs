//! Removes `minLength`, `maxLength` and `pattern` from every schema, and `enum` from string
//! schemas, so that strings are plain `String`s.
//!
//! Progenitor turns a constrained string into a newtype that checks its limits when decoded.
//! The service does not hold itself to them: an empty `emailAddress`, or one role's scope shorter
//! than documented, then failed the whole call or list, where the official SDKs decode both. A
//! value outside a documented `enum` would fail the same way once a newer service adds one.
//!
//! The limits go for what the SDK sends too: the service checks every request and names the
//! field it refuses, while a check in the SDK would refuse values a newer service accepts and
//! cannot be relaxed without regenerating.

use serde_json::Value;

/// The keywords removed from every schema.
pub(crate) const LIMITS: [&str; 3] = ["minLength", "maxLength", "pattern"];

pub fn run(tree: &mut Value) -> usize {
    walk(tree, false)
}

/// `names`: the object is a `properties` map, whose keys are property names, not keywords.
fn walk(value: &mut Value, names: bool) -> usize {
    match value {
        Value::Object(map) => {
            let mut changed = 0;
            if !names {
                for key in LIMITS {
                    changed += usize::from(map.remove(key).is_some());
                }
                if map.get("type").and_then(Value::as_str) == Some("string") {
                    changed += usize::from(map.remove("enum").is_some());
                }
            }
            changed
                + map
                    .iter_mut()
                    .map(|(key, v)| walk(v, !names && key == "properties"))
                    .sum::<usize>()
        }
        Value::Array(items) => items.iter_mut().map(|v| walk(v, false)).sum(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn strings_lose_their_limits_and_enums_at_any_depth_but_properties_keep_their_names() {
        let mut tree = json!({"components": {"schemas": {"Role": {
            "type": "object",
            "properties": {
                "scope": {"type": "string", "minLength": 3, "maxLength": 64, "pattern": "^[a-z]+$"},
                "pattern": {"type": "string", "enum": ["a", "b"]},
                "sizes": {"type": "array", "items": {"type": "integer", "enum": [1, 2]}}
            }
        }}}, "paths": {"/r/{code}": {"get": {"parameters": [
            {"name": "code", "in": "path", "schema": {"type": "string", "maxLength": 10}}]}}}});
        assert_eq!(super::run(&mut tree), 5);
        let role = &tree["components"]["schemas"]["Role"]["properties"];
        assert_eq!(role["scope"], json!({"type": "string"}));
        assert_eq!(
            role["pattern"],
            json!({"type": "string"}),
            "a property named `pattern` stays"
        );
        assert_eq!(
            role["sizes"]["items"]["enum"],
            json!([1, 2]),
            "only string enums open up"
        );
        assert_eq!(
            tree["paths"]["/r/{code}"]["get"]["parameters"][0]["schema"],
            json!({"type": "string"})
        );
    }
}
