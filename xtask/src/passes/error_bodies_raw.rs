//! Makes every error response an untyped body.
//!
//! One operation answers 400 with validation problem details, 404 or 409 with other shapes, and
//! anything else with problem details; progenitor needs one error type per operation. And a typed
//! error that fails to decode (a gateway's HTML 502) would surface as a decode error without its
//! status. An untyped body keeps status, headers and bytes for every error; callers decode
//! problem details from it leniently.

use serde_json::{Value, json};

use super::{is_error_status, operations_mut};

/// The media type progenitor reads as "raw bytes": anything but `application/json`.
pub const RAW_MEDIA_TYPE: &str = "*/*";

pub fn run(tree: &mut Value) -> usize {
    let mut changed = 0;
    for op in operations_mut(tree) {
        let Some(responses) = super::responses_mut(op.operation) else {
            continue;
        };
        for (status, response) in responses.iter_mut() {
            if !is_error_status(status) {
                continue;
            }
            let Some(response) = response.as_object_mut() else {
                continue;
            };
            let raw = json!({ RAW_MEDIA_TYPE: {} });
            if response.get("content") != Some(&raw) {
                response.insert("content".into(), raw);
                changed += 1;
            }
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn error_responses_become_raw() {
        let validation = json!({"$ref": "#/components/schemas/LusidValidationProblemDetails"});
        let mut tree = json!({"paths": {"/a": {"put": {"responses": {
            "200": {"content": {"application/json": {"schema": {"type": "string"}}}},
            "400": {"content": {"application/json": {"schema": validation}}},
            "404": {"description": "none"},
            "5XX": {"content": {"application/json": {}}}
        }}}}});
        assert_eq!(super::run(&mut tree), 3);
        let r = &tree["paths"]["/a"]["put"]["responses"];
        assert_eq!(
            r["200"]["content"]["application/json"]["schema"]["type"],
            "string"
        );
        assert_eq!(r["400"]["content"], json!({"*/*": {}}));
        assert_eq!(r["404"]["content"], json!({"*/*": {}}));
        assert_eq!(r["5XX"]["content"], json!({"*/*": {}}));
        assert_eq!(super::run(&mut tree), 0, "a second run changes nothing");
    }
}
