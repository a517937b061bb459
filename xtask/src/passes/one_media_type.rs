//! Keeps one media type per request body and per response.
//!
//! The service lists `application/json-patch+json`, `application/json`, `text/json` and
//! `application/*+json` for bodies and `text/plain`, `application/json`, `text/json` for answers,
//! all with the same schema. Progenitor stops at more than one request media type, so we keep
//! the one we send and read: `application/json`, else the first JSON-like one, else the first.

use serde_json::Value;

use super::operations_mut;

pub fn run(tree: &mut Value) -> usize {
    let mut changed = 0;
    for op in operations_mut(tree) {
        if let Some(body) = op.operation.get_mut("requestBody") {
            changed += keep_one(body);
        }
        if let Some(responses) = super::responses_mut(op.operation) {
            changed += responses.values_mut().map(keep_one).sum::<usize>();
        }
    }
    for section in ["requestBodies", "responses"] {
        if let Some(items) = tree
            .pointer_mut(&format!("/components/{section}"))
            .and_then(Value::as_object_mut)
        {
            changed += items.values_mut().map(keep_one).sum::<usize>();
        }
    }
    changed
}

/// Reduces `holder.content` to one entry; returns 1 when it removed any.
fn keep_one(holder: &mut Value) -> usize {
    let Some(content) = holder.get_mut("content").and_then(Value::as_object_mut) else {
        return 0;
    };
    if content.len() <= 1 {
        return 0;
    }
    let keep = ["application/json"]
        .into_iter()
        .find(|k| content.contains_key(*k))
        .map(str::to_owned)
        .or_else(|| content.keys().find(|k| k.contains("json")).cloned())
        .or_else(|| content.keys().next().cloned());
    content.retain(|k, _| Some(k) == keep.as_ref());
    1
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn keeps_application_json_of_four() {
        let mut tree = json!({"paths": {"/a": {"post": {
            "requestBody": {"content": {
                "application/json-patch+json": {"schema": {"type": "string"}},
                "application/json": {"schema": {"type": "string"}},
                "text/json": {}, "application/*+json": {}
            }},
            "responses": {"200": {"description": "ok", "content": {
                "text/plain": {}, "application/json": {}, "text/json": {}}}}
        }}}});
        assert_eq!(super::run(&mut tree), 2);
        let op = &tree["paths"]["/a"]["post"];
        let body: Vec<_> = op["requestBody"]["content"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(body, ["application/json"]);
        let ok: Vec<_> = op["responses"]["200"]["content"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(ok, ["application/json"]);
    }

    #[test]
    fn prefers_json_like_then_first() {
        let mut tree = json!({"paths": {"/a": {"get": {"responses": {
            "200": {"content": {"text/plain": {}, "text/json": {}}},
            "201": {"content": {"text/csv": {}, "text/plain": {}}},
            "204": {"description": "none"}
        }}}}});
        assert_eq!(super::run(&mut tree), 2);
        let r = &tree["paths"]["/a"]["get"]["responses"];
        assert_eq!(r["200"]["content"], json!({"text/json": {}}));
        assert_eq!(r["201"]["content"], json!({"text/csv": {}}));
        assert_eq!(r["204"], json!({"description": "none"}));
    }

    #[test]
    fn reaches_shared_components() {
        let mut tree = json!({"paths": {}, "components": {"requestBodies": {"B": {"content": {
            "text/json": {}, "application/json": {}}}}}});
        assert_eq!(super::run(&mut tree), 1);
        assert_eq!(
            tree["components"]["requestBodies"]["B"]["content"],
            json!({"application/json": {}})
        );
    }
}
