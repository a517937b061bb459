//! Normalisation passes: small rewrites that turn the spec the service serves into one progenitor
//! can generate a robust client from. Each pass says why it exists; each is a function over the
//! JSON tree, so it works the same on a freshly downloaded spec as on ours.
//!
//! The passes change only what the generator sees. `spec/identity.json` keeps the service's shapes.

mod default_response_is_error;
mod error_bodies_raw;
mod head_has_no_body;
pub(crate) mod lenient_problem_details;
mod one_media_type;
mod tolerate_unknown_fields;
pub(crate) mod unconstrained_strings;

use serde_json::{Map, Value};

/// One named rewrite of the spec tree.
pub struct Pass {
    pub name: &'static str,
    /// What in the served spec makes this pass necessary.
    pub why: &'static str,
    /// Rewrites the tree and returns how many places it changed.
    pub run: fn(&mut Value) -> usize,
}

/// Every pass, in the order they run.
pub const PASSES: &[Pass] = &[
    Pass {
        name: "one_media_type",
        why: "bodies list four JSON media types; progenitor accepts one per body",
        run: one_media_type::run,
    },
    Pass {
        name: "head_has_no_body",
        why: "a HEAD answer never has a body, though the spec may describe one",
        run: head_has_no_body::run,
    },
    Pass {
        name: "error_bodies_raw",
        why: "errors carry several schemas, or HTML from a gateway; keep status and raw body",
        run: error_bodies_raw::run,
    },
    Pass {
        name: "default_response_is_error",
        why: "progenitor counts `default` as a success; the service uses it for errors",
        run: default_response_is_error::run,
    },
    Pass {
        name: "tolerate_unknown_fields",
        why: "`additionalProperties: false` would make an older client reject a newer service",
        run: tolerate_unknown_fields::run,
    },
    Pass {
        name: "lenient_problem_details",
        why: "problem details from a proxy or an empty 401 lack the required `code` and `name`",
        run: lenient_problem_details::run,
    },
    Pass {
        name: "unconstrained_strings",
        why: "answers break documented string limits and could grow enums; the service checks requests",
        run: unconstrained_strings::run,
    },
];

/// What one pass changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassReport {
    pub name: &'static str,
    pub changes: usize,
}

/// Runs every pass over `tree` in order.
pub fn normalise(tree: &mut Value) -> Vec<PassReport> {
    PASSES
        .iter()
        .map(|pass| PassReport {
            name: pass.name,
            changes: (pass.run)(tree),
        })
        .collect()
}

/// The HTTP methods an OpenAPI 3.0 path item may hold.
pub const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// An operation of the tree, with where it lives.
pub struct OperationMut<'a> {
    pub method: &'static str,
    pub path: String,
    pub operation: &'a mut Map<String, Value>,
}

/// Every inline operation of the tree, in document order.
pub fn operations_mut(tree: &mut Value) -> Vec<OperationMut<'_>> {
    let Some(paths) = tree.get_mut("paths").and_then(Value::as_object_mut) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (key, operation) in item.iter_mut() {
            let Some(method) = METHODS.iter().find(|m| **m == key.as_str()) else {
                continue;
            };
            if let Some(operation) = operation.as_object_mut() {
                found.push(OperationMut {
                    method,
                    path: path.clone(),
                    operation,
                });
            }
        }
    }
    found
}

/// The responses of an operation, keyed by status (`"200"`, `"4XX"`, `"default"`).
pub fn responses_mut(operation: &mut Map<String, Value>) -> Option<&mut Map<String, Value>> {
    operation
        .get_mut("responses")
        .and_then(Value::as_object_mut)
}

/// Whether a response key is an error status: 4xx, 5xx, their ranges, or `default`.
pub fn is_error_status(key: &str) -> bool {
    key == "default" || key.starts_with('4') || key.starts_with('5')
}
