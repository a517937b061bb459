//! Turns the `default` response into explicit `4XX` and `5XX` ranges.
//!
//! The service uses `default` only for errors, but progenitor treats `default` as a possible
//! success too, so an operation with a typed 200 and a `default` gets two success types and the
//! generator panics. The ranges keep the meaning: any 4xx or 5xx status not listed is an error.
//! Runs after `error_bodies_raw`: a listed error code whose body is the same as its range's
//! adds nothing and would make the generated `match` shadow it, so it is folded into the range.

use serde_json::Value;

use super::operations_mut;

pub fn run(tree: &mut Value) -> usize {
    let mut changed = 0;
    for op in operations_mut(tree) {
        let Some(responses) = super::responses_mut(op.operation) else {
            continue;
        };
        let Some(default) = responses.remove("default") else {
            continue;
        };
        for range in ["4XX", "5XX"] {
            if !responses.contains_key(range) {
                responses.insert(range.to_owned(), default.clone());
            }
            let digit = &range[..1];
            let body = responses[range].get("content").cloned();
            responses.retain(|status, response| {
                status.len() != 3
                    || !status.starts_with(digit)
                    || status == range
                    || response.get("content") != body.as_ref()
            });
        }
        changed += 1;
    }
    changed
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn default_becomes_error_ranges() {
        let problem = json!({"description": "Error", "content": {"application/json": {}}});
        let mut tree = json!({"paths": {"/a": {"get": {"responses": {
            "200": {"description": "ok"}, "default": problem.clone()
        }}}}});
        assert_eq!(super::run(&mut tree), 1);
        assert_eq!(
            tree["paths"]["/a"]["get"]["responses"],
            json!({"200": {"description": "ok"}, "4XX": problem.clone(), "5XX": problem})
        );
    }

    #[test]
    fn folds_codes_with_the_same_body_into_the_range() {
        let raw = json!({"content": {"*/*": {}}});
        let mut tree = json!({"paths": {"/a": {"get": {"responses": {
            "200": {"description": "ok"}, "400": raw.clone(), "404": {"description": "none"},
            "503": raw.clone(), "default": raw.clone()
        }}}}});
        super::run(&mut tree);
        let r = tree["paths"]["/a"]["get"]["responses"].as_object().unwrap();
        let statuses: Vec<_> = r.keys().map(String::as_str).collect();
        assert_eq!(statuses, ["200", "404", "4XX", "5XX"]);
    }

    #[test]
    fn keeps_an_existing_range() {
        let mut tree = json!({"paths": {"/a": {"get": {"responses": {
            "4XX": {"description": "client"}, "default": {"description": "other"}
        }}}}});
        super::run(&mut tree);
        let r = &tree["paths"]["/a"]["get"]["responses"];
        assert_eq!(r["4XX"]["description"], "client");
        assert_eq!(r["5XX"]["description"], "other");
        assert!(r.get("default").is_none());
    }
}
