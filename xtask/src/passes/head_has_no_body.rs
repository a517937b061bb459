//! Removes the response bodies of HEAD operations.
//!
//! The 2020 service described `HEAD /api/domains/me/agreements/{agreement}` as answering a boolean
//! body. HTTP never sends a body to HEAD, so a generated decoder would always fail; the status is
//! the answer.

use serde_json::Value;

use super::operations_mut;

pub fn run(tree: &mut Value) -> usize {
    let mut changed = 0;
    for op in operations_mut(tree) {
        if op.method != "head" {
            continue;
        }
        if let Some(responses) = super::responses_mut(op.operation) {
            for response in responses.values_mut().filter_map(Value::as_object_mut) {
                if response.remove("content").is_some() {
                    changed += 1;
                }
            }
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn strips_bodies_from_head_only() {
        let mut tree = json!({"paths": {"/a": {
            "head": {"responses": {"200": {"description": "yes", "content": {"application/json": {}}},
                                   "404": {"description": "no"}}},
            "get": {"responses": {"200": {"description": "yes", "content": {"application/json": {}}}}}
        }}});
        assert_eq!(super::run(&mut tree), 1);
        assert_eq!(
            tree["paths"]["/a"]["head"]["responses"]["200"],
            json!({"description": "yes"})
        );
        assert!(tree["paths"]["/a"]["get"]["responses"]["200"]["content"].is_object());
    }
}
