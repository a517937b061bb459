//! Removes `additionalProperties: false` wherever it appears.
//!
//! The service marks every schema closed. Generated types would then reject any field a newer
//! service adds, so a client built today would break on tomorrow's service. Unknown fields are
//! ignored instead; maps that declare a value schema keep it.

use serde_json::Value;

pub fn run(tree: &mut Value) -> usize {
    match tree {
        Value::Object(map) => {
            let mut changed = 0;
            if map.get("additionalProperties") == Some(&Value::Bool(false)) {
                map.remove("additionalProperties");
                changed += 1;
            }
            changed + map.values_mut().map(run).sum::<usize>()
        }
        Value::Array(items) => items.iter_mut().map(run).sum(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn opens_closed_schemas_at_any_depth() {
        let mut tree = json!({"components": {"schemas": {"User": {
            "type": "object", "additionalProperties": false,
            "properties": {
                "ids": {"type": "object", "additionalProperties": {"type": "string"}},
                "roles": {"type": "array", "items": {"type": "object", "additionalProperties": false}}
            }
        }}}});
        assert_eq!(super::run(&mut tree), 2);
        let user = &tree["components"]["schemas"]["User"];
        assert!(user.get("additionalProperties").is_none());
        assert!(
            user["properties"]["roles"]["items"]
                .get("additionalProperties")
                .is_none()
        );
        assert_eq!(
            user["properties"]["ids"]["additionalProperties"],
            json!({"type": "string"})
        );
    }
}
