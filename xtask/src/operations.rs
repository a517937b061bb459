//! The table of operations: one row per operation of the spec, with the facts every part of the
//! workspace needs (method, path, tag, whether repeating it is safe, which answer fields are
//! credentials, which query parameters are date-times). Generated into the client crate so the
//! SDK, the emulator, the command line and the tests read the same rows.

use std::collections::BTreeSet;

use heck::ToSnakeCase;
use proc_macro2::TokenStream;
use quote::quote;
use serde_json::Value;

use crate::passes;

/// Where the generated table goes, relative to the workspace root.
pub const TABLE_FILE: &str = "crates/finbourne-identity-client/src/generated_operations.rs";

/// Operations whose effect differs from what their method promises.
///
/// - `RotateAttachingKey` is a `PUT`, but every call mints a new key.
/// - `AddScim` is a `PUT` that returns the active SCIM token, except with
///   `apiTokenAction=regenerate`, where every call mints a token.
const EXCEPTIONS: &[(&str, Idempotency)] = &[
    ("RotateAttachingKey", Idempotency::Never),
    (
        "AddScim",
        Idempotency::UnlessQuery("apiTokenAction", "regenerate"),
    ),
];

/// Whether an operation may be sent again after it may have reached the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idempotency {
    Always,
    Never,
    UnlessQuery(&'static str, &'static str),
}

/// What the table says of one operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationFacts {
    /// The spec's operationId, e.g. `AddScim`.
    pub operation_id: String,
    /// Snake case, as the generated methods are named: `add_scim`.
    pub id: String,
    /// Upper case: `PUT`.
    pub method: String,
    pub path: String,
    pub tag: String,
    pub idempotency: Idempotency,
    pub credential_fields: Vec<String>,
    pub date_time_query: Vec<String>,
    pub params: Vec<ParamFacts>,
    /// The smallest JSON request body the schema accepts (required properties only), when the
    /// operation takes a body.
    pub minimal_body: Option<String>,
    /// How the operation pages, when it does.
    pub paging: Option<PagingFacts>,
}

/// How an operation's answer is paged: it is a `ResourceListOf*` record with a `nextPage`
/// token, and a query parameter takes that token back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PagingFacts {
    /// The query parameter taking the token, as the spec names it: `oktaAfter`, `page`.
    pub token_param: String,
    /// The answer's property holding the next page's token: `nextPage`.
    pub next_field: String,
    /// The answer's property holding the page's items: `values`.
    pub items_field: String,
}

/// Names of the query parameters that take a page token: `page` (LUSID's paging) and `after`
/// (Okta's cursor), alone or as the end of a camel-case name (`oktaAfter`).
const TOKEN_PARAMS: &[&str] = &["page", "after"];

/// The property of a `ResourceListOf*` answer that holds the next page's token.
const NEXT_PAGE: &str = "nextPage";

/// A path or query parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamFacts {
    /// As the spec names it: `userId`.
    pub name: String,
    /// `path` or `query`.
    pub location: String,
    /// `string`, `boolean`, `integer`, `date-time` or `array`.
    pub kind: String,
    pub required: bool,
}

/// Every operation of `tree`, in the spec's order.
pub fn facts(tree: &Value) -> Vec<OperationFacts> {
    let mut out = Vec::new();
    let Some(paths) = tree.get("paths").and_then(Value::as_object) else {
        return out;
    };
    for (path, item) in paths {
        for method in passes::METHODS {
            let Some(op) = item.get(*method) else {
                continue;
            };
            let Some(operation_id) = op.get("operationId").and_then(Value::as_str) else {
                continue;
            };
            let method = method.to_uppercase();
            let by_method = match method.as_str() {
                "POST" | "PATCH" => Idempotency::Never,
                _ => Idempotency::Always,
            };
            let idempotency = EXCEPTIONS
                .iter()
                .find(|(id, _)| *id == operation_id)
                .map_or(by_method, |(_, i)| *i);
            out.push(OperationFacts {
                operation_id: operation_id.to_owned(),
                id: operation_id.to_snake_case(),
                method,
                path: path.clone(),
                tag: op
                    .pointer("/tags/0")
                    .and_then(Value::as_str)
                    .unwrap_or("Other")
                    .to_owned(),
                idempotency,
                credential_fields: credential_fields(tree, op),
                date_time_query: date_time_query(tree, item, op),
                params: params(tree, item, op),
                minimal_body: op
                    .pointer("/requestBody/content")
                    .and_then(Value::as_object)
                    .and_then(|media| media.values().next())
                    .and_then(|media| media.get("schema"))
                    .map(|schema| minimal(tree, schema, &mut BTreeSet::new()).to_string()),
                paging: paging(tree, item, op),
            });
        }
    }
    out
}

/// A property holds a credential when it is text named like one: `key`, or ending in
/// `token`, `secret` or `password` (`apiToken`, `clientSecret`). `passwordChanged`, a
/// date-time, does not end so.
fn is_credential(name: &str, schema: &Value) -> bool {
    let lower = name.to_ascii_lowercase();
    let named = lower == "key"
        || ["token", "secret", "password", "apikey"]
            .iter()
            .any(|end| lower.ends_with(end));
    let textual = schema.get("type").and_then(Value::as_str) == Some("string")
        && schema
            .get("format")
            .and_then(Value::as_str)
            .is_none_or(|f| f == "password");
    named && textual
}

/// The credential properties anywhere in the operation's successful answers.
fn credential_fields(tree: &Value, op: &Value) -> Vec<String> {
    let mut found = BTreeSet::new();
    let mut seen = BTreeSet::new();
    for (status, response) in op
        .get("responses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if !status.starts_with('2') {
            continue;
        }
        for media in response
            .get("content")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            if let Some(schema) = media.1.get("schema") {
                walk(tree, schema, &mut seen, &mut found);
            }
        }
    }
    found.into_iter().collect()
}

fn walk(tree: &Value, schema: &Value, seen: &mut BTreeSet<String>, found: &mut BTreeSet<String>) {
    let schema = match resolve(tree, schema, seen) {
        Some(s) => s,
        None => return,
    };
    for (name, property) in schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let resolved = resolve(tree, property, &mut BTreeSet::new()).unwrap_or(property);
        if is_credential(name, resolved) {
            found.insert(name.clone());
        }
        walk(tree, property, seen, found);
    }
    for key in ["items", "additionalProperties"] {
        if let Some(inner) = schema.get(key).filter(|v| v.is_object()) {
            walk(tree, inner, seen, found);
        }
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        for inner in schema
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            walk(tree, inner, seen, found);
        }
    }
}

/// `schema`, or what its `$ref` names; `None` for a reference already walked (cycles).
fn resolve<'a>(
    tree: &'a Value,
    schema: &'a Value,
    seen: &mut BTreeSet<String>,
) -> Option<&'a Value> {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            if !seen.insert(reference.to_owned()) {
                return None;
            }
            tree.pointer(reference.strip_prefix('#')?)
        }
        None => Some(schema),
    }
}

/// Query parameters holding a date-time: the official SDKs send them with microseconds.
fn date_time_query(tree: &Value, item: &Value, op: &Value) -> Vec<String> {
    let shared = item.get("parameters").and_then(Value::as_array);
    let own = op.get("parameters").and_then(Value::as_array);
    shared
        .into_iter()
        .flatten()
        .chain(own.into_iter().flatten())
        .filter_map(|p| {
            let p = resolve(tree, p, &mut BTreeSet::new())?;
            let is_query = p.get("in").and_then(Value::as_str) == Some("query");
            let schema = resolve(tree, p.get("schema")?, &mut BTreeSet::new())?;
            let is_date_time = schema.get("format").and_then(Value::as_str) == Some("date-time");
            (is_query && is_date_time).then(|| p.get("name")?.as_str().map(str::to_owned))?
        })
        .collect()
}

/// How `op` pages: its successful JSON answer is a `ResourceListOf*` record with a `nextPage`
/// string and one required array (the items), and one of its query parameters takes the token
/// (named as [`TOKEN_PARAMS`] says). A list with a token but no such parameter
/// (`ListAccessControlledResources`) does not page: nothing could ask for its next page.
fn paging(tree: &Value, item: &Value, op: &Value) -> Option<PagingFacts> {
    let answer = op
        .get("responses")?
        .as_object()?
        .iter()
        .filter(|(status, _)| status.starts_with('2'))
        .find_map(|(_, response)| response.pointer("/content/application~1json/schema"))?;
    let reference = answer.get("$ref")?.as_str()?;
    if !reference
        .rsplit('/')
        .next()
        .is_some_and(|name| name.starts_with("ResourceListOf"))
    {
        return None;
    }
    let schema = resolve(tree, answer, &mut BTreeSet::new())?;
    let properties = schema.get("properties")?.as_object()?;
    let next = resolve(tree, properties.get(NEXT_PAGE)?, &mut BTreeSet::new())?;
    if next.get("type").and_then(Value::as_str) != Some("string") {
        return None;
    }
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let mut arrays = properties.iter().filter(|(name, property)| {
        required.contains(&name.as_str())
            && resolve(tree, property, &mut BTreeSet::new())
                .and_then(|p| p.get("type"))
                .and_then(Value::as_str)
                == Some("array")
    });
    let (items_field, _) = arrays.next()?;
    if arrays.next().is_some() {
        return None;
    }
    let token_param = params(tree, item, op).into_iter().find(|p| {
        p.location == "query"
            && p.kind == "string"
            && TOKEN_PARAMS.iter().any(|t| is_token_name(&p.name, t))
    })?;
    Some(PagingFacts {
        token_param: token_param.name,
        next_field: NEXT_PAGE.to_owned(),
        items_field: items_field.clone(),
    })
}

/// `name` is `token`, or ends with it capitalised after a lower-case start (`oktaAfter`).
fn is_token_name(name: &str, token: &str) -> bool {
    if name == token {
        return true;
    }
    let mut capitalised = token[..1].to_ascii_uppercase();
    capitalised.push_str(&token[1..]);
    name.strip_suffix(&capitalised)
        .is_some_and(|start| start.starts_with(|c: char| c.is_ascii_lowercase()))
}

/// The path and query parameters, the path item's first, in the spec's order.
fn params(tree: &Value, item: &Value, op: &Value) -> Vec<ParamFacts> {
    let shared = item.get("parameters").and_then(Value::as_array);
    let own = op.get("parameters").and_then(Value::as_array);
    shared
        .into_iter()
        .flatten()
        .chain(own.into_iter().flatten())
        .filter_map(|p| {
            let p = resolve(tree, p, &mut BTreeSet::new())?;
            let location = p.get("in").and_then(Value::as_str)?;
            if location != "path" && location != "query" {
                return None;
            }
            let schema = resolve(tree, p.get("schema")?, &mut BTreeSet::new())?;
            let kind = match (
                schema.get("type").and_then(Value::as_str),
                schema.get("format").and_then(Value::as_str),
            ) {
                (Some("string"), Some("date-time")) => "date-time",
                (Some("boolean"), _) => "boolean",
                (Some("integer"), _) => "integer",
                (Some("array"), _) => "array",
                _ => "string",
            };
            Some(ParamFacts {
                name: p.get("name")?.as_str()?.to_owned(),
                location: location.to_owned(),
                kind: kind.to_owned(),
                required: p.get("required").and_then(Value::as_bool).unwrap_or(false),
            })
        })
        .collect()
}

/// The smallest value `schema` accepts: an object with its required properties only, each
/// the smallest of its kind (the first value of an enum, a fixed date-time).
fn minimal(tree: &Value, schema: &Value, seen: &mut BTreeSet<String>) -> Value {
    let Some(schema) = resolve(tree, schema, seen) else {
        return Value::Null;
    };
    if let Some(first) = schema.pointer("/enum/0") {
        return first.clone();
    }
    if let Some(inner) = schema.pointer("/allOf/0") {
        return minimal(tree, inner, seen);
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("string") => match schema.get("format").and_then(Value::as_str) {
            Some("date-time") => Value::from("2030-01-01T00:00:00Z"),
            Some("date") => Value::from("2030-01-01"),
            Some("uuid") => Value::from("00000000-0000-0000-0000-000000000000"),
            Some("uri") => Value::from("https://example.com/"),
            _ => Value::from(text_within(schema)),
        },
        Some("integer") | Some("number") => {
            Value::from(schema.get("minimum").and_then(Value::as_i64).unwrap_or(1))
        }
        Some("boolean") => Value::from(false),
        Some("array") => Value::Array(Vec::new()),
        _ => {
            let required: Vec<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let mut object = serde_json::Map::new();
            for name in required {
                if let Some(property) = schema.pointer(&format!("/properties/{name}")) {
                    object.insert(name.to_owned(), minimal(tree, property, &mut seen.clone()));
                }
            }
            Value::Object(object)
        }
    }
}

/// A text the string schema's length limits and pattern accept: letters of a length within
/// the limits, else the first of a few common shapes (a duration, an address) that fits.
fn text_within(schema: &Value) -> String {
    let bound = |key: &str| schema.get(key).and_then(Value::as_u64).map(|n| n as usize);
    let length = bound("minLength")
        .unwrap_or(1)
        .max(8)
        .min(bound("maxLength").unwrap_or(usize::MAX));
    let letters = format!("X{}", "x".repeat(length.saturating_sub(1)));
    let pattern = schema
        .get("pattern")
        .and_then(Value::as_str)
        .and_then(|p| regress::Regex::new(p).ok());
    let fits = |text: &str| {
        let count = text.chars().count();
        bound("minLength").is_none_or(|min| count >= min)
            && bound("maxLength").is_none_or(|max| count <= max)
            && pattern.as_ref().is_none_or(|re| re.find(text).is_some())
    };
    [letters.as_str(), "PT1H", "user@example.com", "x"]
        .into_iter()
        .find(|text| fits(text))
        .unwrap_or("x")
        .to_owned()
}

/// Replaces each operation's smallest body with one computed from `raw`, the spec before the
/// passes: its enums, length limits and patterns are what the service checks.
pub fn minimal_bodies_from(raw: &Value, facts: &mut [OperationFacts]) {
    let by_id = self::facts_bodies(raw);
    for f in facts {
        if let Some(body) = by_id.iter().find(|(id, _)| *id == f.operation_id) {
            f.minimal_body = body.1.clone();
        }
    }
}

fn facts_bodies(raw: &Value) -> Vec<(String, Option<String>)> {
    facts(raw)
        .into_iter()
        .map(|f| (f.operation_id, f.minimal_body))
        .collect()
}

/// Schemas reachable from successful answers and from no request body or parameter: the
/// records the SDK only ever reads.
pub fn answer_only_schemas(tree: &Value) -> BTreeSet<String> {
    let mut answers = BTreeSet::new();
    let mut requests = BTreeSet::new();
    for item in tree
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|p| p.values())
    {
        for method in passes::METHODS {
            let Some(op) = item.get(*method) else {
                continue;
            };
            for (status, response) in op
                .get("responses")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                if status.starts_with('2') {
                    references(tree, response, &mut answers);
                }
            }
            for key in ["requestBody", "parameters"] {
                if let Some(part) = op.get(key) {
                    references(tree, part, &mut requests);
                }
            }
        }
        if let Some(shared) = item.get("parameters") {
            references(tree, shared, &mut requests);
        }
    }
    answers.difference(&requests).cloned().collect()
}

/// Every schema `value` refers to, directly or through other schemas.
fn references(tree: &Value, value: &Value, found: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(name) = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
                && found.insert(name.to_owned())
                && let Some(schema) = tree.pointer(&format!("/components/schemas/{name}"))
            {
                references(tree, schema, found);
            }
            for inner in map.values() {
                references(tree, inner, found);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| references(tree, v, found)),
        _ => {}
    }
}

/// The spec's tags with their descriptions, in the spec's order.
fn tags(tree: &Value) -> Vec<(String, String)> {
    tree.get("tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| {
            let name = t.get("name")?.as_str()?;
            let about = t.get("description").and_then(Value::as_str).unwrap_or("");
            Some((name.to_owned(), about.to_owned()))
        })
        .collect()
}

/// The rows as Rust: `OPERATIONS` and `TAGS`, for `crate::operations` of the client crate.
pub fn table_tokens(tree: &Value, facts: &[OperationFacts]) -> TokenStream {
    let rows = facts.iter().map(|f| {
        let OperationFacts {
            operation_id,
            id,
            method,
            path,
            tag,
            ..
        } = f;
        let idempotency = match f.idempotency {
            Idempotency::Always => quote!(Idempotency::Always),
            Idempotency::Never => quote!(Idempotency::Never),
            Idempotency::UnlessQuery(name, value) => {
                quote!(Idempotency::UnlessQuery { name: #name, value: #value })
            }
        };
        let credentials = &f.credential_fields;
        let date_times = &f.date_time_query;
        let params = f.params.iter().map(|p| {
            let name = &p.name;
            let location = match p.location.as_str() {
                "path" => quote!(ParamLocation::Path),
                _ => quote!(ParamLocation::Query),
            };
            let kind = match p.kind.as_str() {
                "boolean" => quote!(ParamKind::Boolean),
                "integer" => quote!(ParamKind::Integer),
                "date-time" => quote!(ParamKind::DateTime),
                "array" => quote!(ParamKind::Array),
                _ => quote!(ParamKind::String),
            };
            let required = p.required;
            quote!(Param { name: #name, location: #location, kind: #kind, required: #required })
        });
        let minimal_body = match &f.minimal_body {
            Some(body) => quote!(Some(#body)),
            None => quote!(None),
        };
        let paging = match &f.paging {
            Some(PagingFacts {
                token_param,
                next_field,
                items_field,
            }) => quote!(Some(Paging {
                token_param: #token_param,
                next_field: #next_field,
                items_field: #items_field,
            })),
            None => quote!(None),
        };
        quote! {
            Operation {
                id: #id,
                operation_id: #operation_id,
                method: #method,
                path: #path,
                tag: #tag,
                idempotency: #idempotency,
                credential_fields: &[#(#credentials),*],
                date_time_query: &[#(#date_times),*],
                params: &[#(#params),*],
                minimal_body: #minimal_body,
                paging: #paging,
            }
        }
    });
    let tags = tags(tree)
        .into_iter()
        .map(|(name, about)| quote!((#name, #about)));
    let all_credentials: BTreeSet<&String> =
        facts.iter().flat_map(|f| &f.credential_fields).collect();
    let all_credentials = all_credentials.into_iter();
    quote! {
        use super::{Idempotency, Operation, Paging, Param, ParamKind, ParamLocation};

        /// Every operation of the API, in the spec's order.
        pub static OPERATIONS: &[Operation] = &[#(#rows),*];

        /// The spec's tags and their descriptions, in the spec's order.
        pub static TAGS: &[(&str, &str)] = &[#(#tags),*];

        /// Every credential field of every operation's answers, sorted.
        pub static CREDENTIAL_FIELDS: &[&str] = &[#(#all_credentials),*];
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn spec() -> Value {
        json!({
            "paths": {
                "/a/{id}": {
                    "parameters": [{"name": "since", "in": "query", "schema": {"type": "string", "format": "date-time"}}],
                    "put": {"operationId": "AddScim", "tags": ["Scim"], "parameters": [
                        {"name": "at", "in": "query", "schema": {"type": "string", "format": "date-time"}},
                        {"name": "id", "in": "path", "schema": {"type": "string", "format": "date-time"}},
                        {"name": "n", "in": "query", "schema": {"type": "integer"}}],
                        "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Outer"}}}},
                                      "400": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}}},
                    "post": {"operationId": "MakeThing", "responses": {"204": {"description": "none"}}},
                    "get": {"operationId": "GetThing", "responses": {}}
                }
            },
            "components": {"schemas": {
                "Outer": {"type": "object", "properties": {
                    "key": {"type": "string"},
                    "passwordChanged": {"type": "string", "format": "date-time"},
                    "inner": {"type": "array", "items": {"$ref": "#/components/schemas/Inner"}},
                    "self": {"$ref": "#/components/schemas/Outer"}}},
                "Inner": {"type": "object", "properties": {"clientSecret": {"type": "string"}, "name": {"type": "string"}}},
                "Problem": {"type": "object", "properties": {"token": {"type": "string"}}}
            }}
        })
    }

    #[test]
    fn idempotency_follows_the_method_unless_an_exception_names_the_operation() {
        let facts = facts(&spec());
        let by_id = |id: &str| facts.iter().find(|f| f.operation_id == id).unwrap();
        assert_eq!(
            by_id("AddScim").idempotency,
            Idempotency::UnlessQuery("apiTokenAction", "regenerate")
        );
        assert_eq!(by_id("MakeThing").idempotency, Idempotency::Never);
        assert_eq!(by_id("GetThing").idempotency, Idempotency::Always);
        assert_eq!(by_id("AddScim").id, "add_scim");
        assert_eq!(by_id("GetThing").tag, "Other");
    }

    #[test]
    fn credentials_are_found_through_references_arrays_and_cycles_in_successful_answers_only() {
        let facts = facts(&spec());
        let by_id = |id: &str| facts.iter().find(|f| f.operation_id == id).unwrap();
        assert_eq!(by_id("AddScim").credential_fields, ["clientSecret", "key"]);
        assert!(by_id("MakeThing").credential_fields.is_empty());
    }

    #[test]
    fn answer_only_schemas_exclude_those_a_request_also_uses() {
        let mut tree = spec();
        tree["paths"]["/a/{id}"]["post"]["requestBody"] = json!({"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Inner"}}}});
        let only = answer_only_schemas(&tree);
        assert_eq!(only.into_iter().collect::<Vec<_>>(), ["Outer"]);
    }

    #[test]
    fn parameters_have_their_location_kind_and_requirement() {
        let facts = facts(&spec());
        let add_scim = facts.iter().find(|f| f.operation_id == "AddScim").unwrap();
        let shown: Vec<_> = add_scim
            .params
            .iter()
            .map(|p| {
                (
                    p.name.as_str(),
                    p.location.as_str(),
                    p.kind.as_str(),
                    p.required,
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                ("since", "query", "date-time", false),
                ("at", "query", "date-time", false),
                ("id", "path", "date-time", false),
                ("n", "query", "integer", false)
            ]
        );
    }

    #[test]
    fn minimal_texts_fit_length_limits_and_patterns() {
        let text = |schema: Value| text_within(&schema);
        assert_eq!(text(json!({"type": "string"})), "Xxxxxxxx");
        assert_eq!(
            text(json!({"type": "string", "minLength": 12})),
            "Xxxxxxxxxxxx"
        );
        assert_eq!(text(json!({"type": "string", "maxLength": 3})), "Xxx");
        assert_eq!(
            text(json!({"type": "string", "pattern": "^P(T\\d+H)?$"})),
            "PT1H"
        );
        assert_eq!(
            text(json!({"type": "string", "pattern": "@"})),
            "user@example.com"
        );
    }

    #[test]
    fn the_minimal_body_holds_the_required_properties_only() {
        let mut tree = spec();
        tree["paths"]["/a/{id}"]["post"]["requestBody"] = json!({"content": {"application/json": {"schema": {"$ref": "#/components/schemas/New"}}}});
        tree["components"]["schemas"]["New"] = json!({"type": "object", "required": ["name", "at", "kind", "tags", "inner", "n"], "properties": {
            "name": {"type": "string"}, "at": {"type": "string", "format": "date-time"},
            "kind": {"type": "string", "enum": ["Personal", "Service"]}, "tags": {"type": "array"},
            "inner": {"$ref": "#/components/schemas/Inner"}, "n": {"type": "integer"}, "optional": {"type": "string"}}});
        let facts = facts(&tree);
        let make = facts
            .iter()
            .find(|f| f.operation_id == "MakeThing")
            .unwrap();
        let body: Value = serde_json::from_str(make.minimal_body.as_deref().unwrap()).unwrap();
        assert_eq!(
            body,
            json!({"name": "Xxxxxxxx", "at": "2030-01-01T00:00:00Z", "kind": "Personal", "tags": [], "inner": {}, "n": 1})
        );
        assert_eq!(
            facts
                .iter()
                .find(|f| f.operation_id == "GetThing")
                .unwrap()
                .minimal_body,
            None
        );
    }

    #[test]
    fn paging_is_a_resource_list_with_a_next_page_and_a_parameter_taking_the_token() {
        let mut tree = spec();
        let list = |name: &str| json!({"200": {"content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{name}")}}}}});
        let token = |name: &str| json!({"name": name, "in": "query", "schema": {"type": "string"}});
        tree["paths"]["/logs"] = json!({
            "get": {"operationId": "ListLogs", "parameters": [token("oktaLimit"), token("oktaAfter")], "responses": list("ResourceListOfLog")},
            "put": {"operationId": "ListPaged", "parameters": [token("page")], "responses": list("ResourceListOfLog")},
            "post": {"operationId": "ListNoToken", "parameters": [token("limit")], "responses": list("ResourceListOfLog")},
            "patch": {"operationId": "ListOther", "parameters": [token("page")], "responses": list("Outer")},
            "delete": {"operationId": "ListCafe", "parameters": [token("cafe")], "responses": list("ResourceListOfLog")}
        });
        tree["components"]["schemas"]["ResourceListOfLog"] = json!({"type": "object", "required": ["values"], "properties": {
            "values": {"type": "array", "items": {"$ref": "#/components/schemas/Inner"}},
            "links": {"type": "array", "nullable": true, "items": {"type": "string"}},
            "nextPage": {"type": "string", "nullable": true}}});
        let facts = facts(&tree);
        let paging = |id: &str| {
            facts
                .iter()
                .find(|f| f.operation_id == id)
                .unwrap()
                .paging
                .clone()
        };
        let expected = |token: &str| {
            Some(PagingFacts {
                token_param: token.into(),
                next_field: "nextPage".into(),
                items_field: "values".into(),
            })
        };
        assert_eq!(paging("ListLogs"), expected("oktaAfter"));
        assert_eq!(paging("ListPaged"), expected("page"));
        assert_eq!(paging("ListNoToken"), None, "nothing takes the token back");
        assert_eq!(paging("ListOther"), None, "not a resource list");
        assert_eq!(
            paging("ListCafe"),
            None,
            "`cafe` ends in `afe`, not `After`"
        );
        assert!(is_token_name("oktaAfter", "after"));
        assert!(!is_token_name("After", "after"));
        assert!(!is_token_name("thereafter", "after"));
    }

    #[test]
    fn date_time_query_parameters_include_those_of_the_path_item() {
        let facts = facts(&spec());
        let add_scim = facts.iter().find(|f| f.operation_id == "AddScim").unwrap();
        assert_eq!(add_scim.date_time_query, ["since", "at"]);
    }
}
