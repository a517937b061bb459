//! Drops the required list of problem-details schemas.
//!
//! `LusidProblemDetails` and `LusidValidationProblemDetails` require `code` and `name`, but an
//! error from a load balancer, a proxy or the token layer often has neither. Decoding what is
//! there beats failing to decode the error at all.

use serde_json::Value;

pub fn run(tree: &mut Value) -> usize {
    let Some(schemas) = tree
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return 0;
    };
    schemas
        .iter_mut()
        .filter(|(name, _)| applies_to(name))
        .filter_map(|(_, schema)| schema.as_object_mut()?.remove("required"))
        .count()
}

/// Whether the schema named `name` loses its `required` list.
pub(crate) fn applies_to(name: &str) -> bool {
    name.ends_with("ProblemDetails")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn only_problem_details_lose_required() {
        let mut tree = json!({"components": {"schemas": {
            "LusidProblemDetails": {"type": "object", "required": ["code", "name"]},
            "LusidValidationProblemDetails": {"type": "object", "required": ["code", "name"]},
            "User": {"type": "object", "required": ["id"]}
        }}});
        assert_eq!(super::run(&mut tree), 2);
        let schemas = &tree["components"]["schemas"];
        assert!(schemas["LusidProblemDetails"].get("required").is_none());
        assert!(
            schemas["LusidValidationProblemDetails"]
                .get("required")
                .is_none()
        );
        assert_eq!(schemas["User"]["required"], json!(["id"]));
    }
}
