//! `cargo xtask diff OLD NEW`: what changed between two specs, and what each change means for
//! code written against the generated client.
//!
//! # Breaking or additive
//!
//! A change is judged by what it does to callers of the client generated from the new spec:
//! progenitor's builder-style methods (`client.get_role().id("x").send()`, one setter per
//! parameter, named after it) and typify's types, which come with builders
//! (`types::CreateRoleRequest::builder()`). Struct literals and exhaustive destructuring of those
//! types are not part of the promise, as if the types were `#[non_exhaustive]`: that is what lets
//! a new optional property be additive.
//!
//! Operations are identified by `operationId`, else by `METHOD /path`; parameters by name (the
//! setter's name); bodies and responses by the media type the client uses. The specs are compared
//! as served, before the normalisation passes, so the report speaks the spec's language.
//!
//! | change | kind | why |
//! |---|---|---|
//! | operation added | additive | a new method |
//! | operation removed | breaking | the method disappears |
//! | operation's method or path changed, id kept | breaking | the wire changed: released clients call an endpoint that is gone |
//! | parameter added, optional | additive | a new optional setter |
//! | parameter added, required | breaking | calls that do not set it now fail |
//! | parameter removed | breaking | its setter disappears |
//! | parameter location changed | breaking | the wire changed |
//! | parameter optional → required | breaking | calls that do not set it now fail |
//! | parameter required → optional | additive | same setter, no longer needed |
//! | request body added / removed / required-ness | as for a parameter | the body is the `body` setter |
//! | response status added | additive | one more documented outcome; progenitor needs every success to share one type, so the return type cannot change |
//! | response status removed | breaking | callers handling it lose it; if it carried the success body the return type changes |
//! | body or media type of a body or response changed | breaking | the setter's or the return type changes; error bodies reach callers as raw bytes, but they decode them |
//! | schema added | additive | a new type |
//! | schema removed | breaking | the type disappears |
//! | property added, optional | additive | a new `Option` field, set through the builder |
//! | property added, required | breaking | builders without it fail |
//! | property removed | breaking | the field disappears |
//! | type, format or `$ref` target changed | breaking | the Rust type changes |
//! | nullability or required-ness of a property changed | breaking | the field flips between `T` and `Option<T>` |
//! | enum value added or removed | breaking | typify makes a Rust `enum`; a new variant breaks exhaustive `match`es |
//! | any other schema keyword changed (length, pattern, `allOf`, …) | breaking | typify turns constraints into validating newtypes and compositions into types; a needless major costs less than a silent break |
//!
//! Prose and annotations never count: `description`, `summary`, `title`, `example(s)`,
//! `externalDocs`, `deprecated` and `x-` extensions. Any breaking change implies a major bump,
//! else any additive one a minor bump, else a patch.

use std::fmt;
use std::path::Path;

use serde_json::{Map, Value};

use crate::passes::METHODS;
use crate::spec::{self, SpecError};

/// Whether a change can break code written against the previous client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// Code that worked against the old client may not compile or work against the new one.
    Breaking,
    /// Something new; code written against the old client keeps working.
    Additive,
}

/// One change, in words, e.g. `operation removed: CreateDomain (POST /api/domains)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub kind: Kind,
    /// Where and what, e.g. `User.age: type changed integer -> string`.
    pub what: String,
}

/// Every change between two specs, grouped as printed; breaking ones first within a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Operations added, removed or changed, with their parameters, bodies and responses.
    pub operations: Vec<Change>,
    /// Named schemas (`components/schemas`) added, removed or changed.
    pub schemas: Vec<Change>,
}

/// The version bump a report implies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Semver {
    Patch,
    Minor,
    Major,
}

impl Report {
    /// Every change, operations first.
    pub fn changes(&self) -> impl Iterator<Item = &Change> {
        self.operations.iter().chain(&self.schemas)
    }

    /// How many changes are of `kind`.
    pub fn count(&self, kind: Kind) -> usize {
        self.changes().filter(|c| c.kind == kind).count()
    }

    /// Major if anything breaks, minor if anything was added, else patch.
    pub fn semver(&self) -> Semver {
        if self.count(Kind::Breaking) > 0 {
            Semver::Major
        } else if self.count(Kind::Additive) > 0 {
            Semver::Minor
        } else {
            Semver::Patch
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Breaking => "breaking",
            Kind::Additive => "additive",
        })
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}  {}", self.kind, self.what)
    }
}

impl fmt::Display for Semver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Semver::Major => "major",
            Semver::Minor => "minor",
            Semver::Patch => "patch",
        })
    }
}

/// The changes grouped, a summary line, and last the implied bump, e.g. `semver: major (…)`.
impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (title, changes) in [("operations", &self.operations), ("schemas", &self.schemas)] {
            if !changes.is_empty() {
                writeln!(f, "{title}:")?;
            }
            for change in changes {
                writeln!(f, "{change}")?;
            }
        }
        let (breaking, additive) = (self.count(Kind::Breaking), self.count(Kind::Additive));
        writeln!(f, "summary: {breaking} breaking, {additive} additive")?;
        // Cargo reads 0.x versions one place down; say so, since the client is 0.x today.
        let note = match self.semver() {
            Semver::Major => " (for a 0.x crate: bump the minor version)",
            Semver::Minor => " (for a 0.x crate: bump the patch version)",
            Semver::Patch => "",
        };
        write!(f, "semver: {}{note}", self.semver())
    }
}

/// Loads both specs and compares them. The error names the file that could not be used.
pub fn diff_files(old: &Path, new: &Path) -> Result<Report, SpecError> {
    Ok(diff(&spec::load(old)?.raw, &spec::load(new)?.raw))
}

/// Every change from `old` to `new`, two OpenAPI 3.0 trees.
pub fn diff(old: &Value, new: &Value) -> Report {
    let mut operations = Vec::new();
    diff_operations(old, new, &mut operations);
    let mut schemas = Vec::new();
    diff_schemas(old, new, &mut schemas);
    // Breaking changes are what a reader must act on; the sort is stable, so order holds within.
    operations.sort_by_key(|c| c.kind);
    schemas.sort_by_key(|c| c.kind);
    Report {
        operations,
        schemas,
    }
}

fn change(kind: Kind, what: String) -> Change {
    Change { kind, what }
}

/// Something added breaks when callers must supply it, and is additive when they may.
fn necessity(required: bool) -> (Kind, &'static str) {
    if required {
        (Kind::Breaking, "required")
    } else {
        (Kind::Additive, "optional")
    }
}

/// An operation of a tree, with where it lives.
struct Operation<'a> {
    id: String,
    method: &'static str,
    path: &'a str,
    /// The path item, whose `parameters` apply to every operation under it.
    item: &'a Value,
    operation: &'a Value,
}

impl Operation<'_> {
    fn route(&self) -> String {
        format!("{} {}", self.method.to_uppercase(), self.path)
    }

    /// `Id (METHOD /path)`, or just `METHOD /path` when that is the id.
    fn label(&self) -> String {
        let route = self.route();
        if self.id == route {
            route
        } else {
            format!("{} ({route})", self.id)
        }
    }
}

fn operations(tree: &Value) -> Vec<Operation<'_>> {
    let Some(paths) = tree.get("paths").and_then(Value::as_object) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for (path, item) in paths {
        for &method in METHODS {
            let Some(operation) = item.get(method) else {
                continue;
            };
            let id = match operation.get("operationId").and_then(Value::as_str) {
                Some(id) => id.to_owned(),
                None => format!("{} {path}", method.to_uppercase()),
            };
            found.push(Operation {
                id,
                method,
                path,
                item,
                operation,
            });
        }
    }
    found
}

fn diff_operations(old_tree: &Value, new_tree: &Value, out: &mut Vec<Change>) {
    let (olds, news) = (operations(old_tree), operations(new_tree));
    for old in &olds {
        match news.iter().find(|new| new.id == old.id) {
            None => out.push(change(
                Kind::Breaking,
                format!("operation removed: {}", old.label()),
            )),
            Some(new) => {
                if old.route() != new.route() {
                    let what = format!(
                        "operation changed: {} ({} -> {})",
                        old.id,
                        old.route(),
                        new.route()
                    );
                    out.push(change(Kind::Breaking, what));
                }
                diff_parameters((old_tree, old), (new_tree, new), out);
                diff_request_body((old_tree, old), (new_tree, new), out);
                diff_responses((old_tree, old), (new_tree, new), out);
            }
        }
    }
    for new in news
        .iter()
        .filter(|new| olds.iter().all(|old| old.id != new.id))
    {
        out.push(change(
            Kind::Additive,
            format!("operation added: {}", new.label()),
        ));
    }
}

/// Follows a `$ref` to a parameter, request body or response of the same tree. Schema refs are
/// never followed: they are compared by target name, and each target once, as a schema.
fn resolve<'a>(tree: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(target) => target
            .strip_prefix('#')
            .and_then(|pointer| tree.pointer(pointer))
            .unwrap_or(&Value::Null),
        None => value,
    }
}

fn is_required(value: &Value) -> bool {
    value
        .get("required")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// The operation's parameters, the path item's first; an operation's own parameter replaces the
/// path's one of the same name and location, as OpenAPI says.
fn parameters<'a>(tree: &'a Value, op: &Operation<'a>) -> Vec<&'a Value> {
    let mut found: Vec<&Value> = Vec::new();
    for list in [op.item.get("parameters"), op.operation.get("parameters")] {
        for parameter in list.and_then(Value::as_array).into_iter().flatten() {
            let parameter = resolve(tree, parameter);
            found.retain(|p| (&p["name"], &p["in"]) != (&parameter["name"], &parameter["in"]));
            found.push(parameter);
        }
    }
    found
}

type Side<'a> = (&'a Value, &'a Operation<'a>);

/// Parameters are matched by name alone: the builder's setter is named after it.
fn diff_parameters(old: Side<'_>, new: Side<'_>, out: &mut Vec<Change>) {
    let id = &old.1.id;
    let (olds, news) = (parameters(old.0, old.1), parameters(new.0, new.1));
    let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
    for p in &olds {
        let (name, location) = (text(&p["name"]), text(&p["in"]));
        let Some(q) = news.iter().find(|q| q["name"] == p["name"]) else {
            let what = format!("{id}: parameter removed: {name} ({location})");
            out.push(change(Kind::Breaking, what));
            continue;
        };
        let at = format!("{id}: parameter {name}");
        if p["in"] != q["in"] {
            let what = format!("{at}: location changed {location} -> {}", text(&q["in"]));
            out.push(change(Kind::Breaking, what));
        }
        required_changed(&at, is_required(p), is_required(q), out);
        compare_schema(&at, &p["schema"], &q["schema"], out);
    }
    for q in news
        .iter()
        .filter(|q| olds.iter().all(|p| p["name"] != q["name"]))
    {
        let (kind, necessity) = necessity(is_required(q));
        let (name, location) = (text(&q["name"]), text(&q["in"]));
        let what = format!("{id}: parameter added: {name} ({location}, {necessity})");
        out.push(change(kind, what));
    }
}

/// For a setter (parameter or body): needing it breaks calls, no longer needing it does not.
fn required_changed(at: &str, old: bool, new: bool, out: &mut Vec<Change>) {
    match (old, new) {
        (false, true) => out.push(change(Kind::Breaking, format!("{at}: now required"))),
        (true, false) => out.push(change(Kind::Additive, format!("{at}: no longer required"))),
        _ => {}
    }
}

fn request_body<'a>((tree, op): Side<'a>) -> Option<&'a Value> {
    Some(resolve(tree, op.operation.get("requestBody")?))
}

fn diff_request_body(old: Side<'_>, new: Side<'_>, out: &mut Vec<Change>) {
    let at = format!("{}: request body", old.1.id);
    match (request_body(old), request_body(new)) {
        (None, None) => {}
        (None, Some(b)) => {
            let (kind, necessity) = necessity(is_required(b));
            out.push(change(kind, format!("{at} added ({necessity})")));
        }
        (Some(_), None) => out.push(change(Kind::Breaking, format!("{at} removed"))),
        (Some(a), Some(b)) => {
            required_changed(&at, is_required(a), is_required(b), out);
            compare_content(&at, a, b, out);
        }
    }
}

fn diff_responses(old: Side<'_>, new: Side<'_>, out: &mut Vec<Change>) {
    let responses = |(_, op): Side<'_>| {
        op.operation
            .get("responses")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    };
    let (olds, news) = (responses(old), responses(new));
    let id = &old.1.id;
    for (status, a) in &olds {
        let at = format!("{id}: response {status}");
        match news.get(status) {
            None => out.push(change(Kind::Breaking, format!("{at} removed"))),
            Some(b) => compare_content(&at, resolve(old.0, a), resolve(new.0, b), out),
        }
    }
    for status in news.keys().filter(|s| !olds.contains_key(*s)) {
        let what = format!("{id}: response {status} added");
        out.push(change(Kind::Additive, what));
    }
}

/// The media type the client uses and its schema: `application/json`, else the first JSON-like
/// one, else the first (the choice `passes::one_media_type` makes for the generator).
fn payload(body: &Value) -> Option<(&str, &Value)> {
    let content = body.get("content").and_then(Value::as_object)?;
    let media = content
        .keys()
        .find(|m| *m == "application/json")
        .or_else(|| content.keys().find(|m| m.contains("json")))
        .or_else(|| content.keys().next())?;
    Some((media, &content[media]["schema"]))
}

/// Compares the payloads of two request bodies or responses.
fn compare_content(at: &str, old: &Value, new: &Value, out: &mut Vec<Change>) {
    match (payload(old), payload(new)) {
        (None, None) => {}
        (None, Some((_, schema))) => {
            let what = format!("{at}: body added: {}", describe(schema));
            out.push(change(Kind::Breaking, what));
        }
        (Some((_, schema)), None) => {
            let what = format!("{at}: body removed: {}", describe(schema));
            out.push(change(Kind::Breaking, what));
        }
        (Some((a, _)), Some((b, _))) if a != b => {
            let what = format!("{at}: media type changed {a} -> {b}");
            out.push(change(Kind::Breaking, what));
        }
        (Some((_, a)), Some((_, b))) => compare_schema(at, a, b, out),
    }
}

fn diff_schemas(old: &Value, new: &Value, out: &mut Vec<Change>) {
    let schemas = |tree: &Value| {
        tree.pointer("/components/schemas")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    };
    let (olds, news) = (schemas(old), schemas(new));
    for (name, a) in &olds {
        match news.get(name) {
            None => out.push(change(Kind::Breaking, format!("schema removed: {name}"))),
            Some(b) => compare_schema(name, a, b, out),
        }
    }
    for name in news.keys().filter(|n| !olds.contains_key(*n)) {
        out.push(change(Kind::Additive, format!("schema added: {name}")));
    }
}

/// Keywords `compare_schema` looks into one by one; any other is compared whole.
const MODELLED: &[&str] = &[
    "$ref",
    "type",
    "format",
    "nullable",
    "enum",
    "items",
    "properties",
    "required",
];

/// Keywords that change the documentation only, never the generated code.
fn is_prose(key: &str) -> bool {
    matches!(
        key,
        "description"
            | "summary"
            | "title"
            | "example"
            | "examples"
            | "externalDocs"
            | "deprecated"
    ) || key.starts_with("x-")
}

/// Compares two schemas found at `at` (`User`, `User.roles[]`, `GetRole: response 200`).
fn compare_schema(at: &str, old: &Value, new: &Value, out: &mut Vec<Change>) {
    if ["$ref", "type", "format"]
        .iter()
        .any(|k| old.get(k) != new.get(k))
    {
        // Whatever else differs inside follows from this; one line says it.
        let what = format!("{at}: type changed {} -> {}", describe(old), describe(new));
        out.push(change(Kind::Breaking, what));
        return;
    }
    if old.get("$ref").is_some() {
        // OpenAPI 3.0 ignores a reference's siblings; the target is compared as a schema.
        return;
    }
    let nullable = |s: &Value| s.get("nullable").and_then(Value::as_bool).unwrap_or(false);
    if nullable(old) != nullable(new) {
        let what = if nullable(new) {
            "now nullable"
        } else {
            "no longer nullable"
        };
        out.push(change(Kind::Breaking, format!("{at}: {what}")));
    }
    compare_enums(at, old, new, out);
    if old.get("items").is_some() || new.get("items").is_some() {
        compare_schema(&format!("{at}[]"), &old["items"], &new["items"], out);
    }
    compare_properties(at, old, new, out);
    let mut others: Vec<&String> = keys(old).collect();
    others.extend(keys(new).filter(|k| old.get(k).is_none()));
    // One line for all of them: they are mostly length limits and patterns, set together.
    let changed: Vec<String> = others
        .into_iter()
        .filter(|key| !MODELLED.contains(&key.as_str()) && !is_prose(key))
        .filter_map(|key| {
            let (a, b) = (without_prose(&old[key]), without_prose(&new[key]));
            (a != b).then(|| match (short(&a), short(&b)) {
                (Some(a), Some(b)) => format!("{key} {a} -> {b}"),
                _ => key.clone(),
            })
        })
        .collect();
    if !changed.is_empty() {
        let what = format!("{at}: changed {}", changed.join(", "));
        out.push(change(Kind::Breaking, what));
    }
}

fn keys(value: &Value) -> impl Iterator<Item = &String> {
    value.as_object().into_iter().flat_map(Map::keys)
}

fn compare_enums(at: &str, old: &Value, new: &Value, out: &mut Vec<Change>) {
    let values = |s: &Value| s.get("enum").and_then(Value::as_array).cloned();
    let (olds, news) = (
        values(old).unwrap_or_default(),
        values(new).unwrap_or_default(),
    );
    for v in news.iter().filter(|v| !olds.contains(v)) {
        let what = format!("{at}: enum value added: {}", plain(v));
        out.push(change(Kind::Breaking, what));
    }
    for v in olds.iter().filter(|v| !news.contains(v)) {
        let what = format!("{at}: enum value removed: {}", plain(v));
        out.push(change(Kind::Breaking, what));
    }
}

fn compare_properties(at: &str, old: &Value, new: &Value, out: &mut Vec<Change>) {
    let properties = |s: &Value| s.get("properties").and_then(Value::as_object).cloned();
    let required = |s: &Value, name: &str| {
        s.get("required")
            .and_then(Value::as_array)
            .is_some_and(|r| r.iter().any(|v| v.as_str() == Some(name)))
    };
    let olds = properties(old).unwrap_or_default();
    let news = properties(new).unwrap_or_default();
    for (name, a) in &olds {
        let Some(b) = news.get(name) else {
            let what = format!("{at}: property removed: {name}");
            out.push(change(Kind::Breaking, what));
            continue;
        };
        let here = format!("{at}.{name}");
        // Either way the field flips between `T` and `Option<T>`.
        match (required(old, name), required(new, name)) {
            (false, true) => out.push(change(Kind::Breaking, format!("{here}: now required"))),
            (true, false) => out.push(change(
                Kind::Breaking,
                format!("{here}: no longer required"),
            )),
            _ => {}
        }
        compare_schema(&here, a, b, out);
    }
    for name in news.keys().filter(|n| !olds.contains_key(*n)) {
        let (kind, necessity) = necessity(required(new, name));
        let what = format!("{at}: property added: {name} ({necessity})");
        out.push(change(kind, what));
    }
}

/// The tree without prose keys; a property *named* `description` is kept.
fn without_prose(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| !is_prose(k))
                .map(|(k, v)| {
                    let v = match (k.as_str(), v) {
                        ("properties", Value::Object(properties)) => Value::Object(
                            properties
                                .iter()
                                .map(|(name, p)| (name.clone(), without_prose(p)))
                                .collect(),
                        ),
                        _ => without_prose(v),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_prose).collect()),
        other => other.clone(),
    }
}

/// A schema in a few words: `RoleResponse`, `string (date-time)`, `array of Link`, `any`.
fn describe(schema: &Value) -> String {
    if let Some(target) = schema.get("$ref").and_then(Value::as_str) {
        return target.rsplit('/').next().unwrap_or(target).to_owned();
    }
    let text = |key: &str| schema.get(key).and_then(Value::as_str);
    match (text("type"), text("format")) {
        (Some("array"), _) => format!("array of {}", describe(&schema["items"])),
        (Some(kind), Some(format)) => format!("{kind} ({format})"),
        (Some(kind), None) => kind.to_owned(),
        (None, _) => "any".to_owned(),
    }
}

/// A value as printed: strings bare, `none` for absent, others as compact JSON.
fn plain(value: &Value) -> String {
    match value {
        Value::Null => "none".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// [`plain`], or `None` when too long to help on a change line.
fn short(value: &Value) -> Option<String> {
    Some(plain(value)).filter(|text| text.len() <= 40)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const GET: &str = "/paths/~1users~1{id}/get";
    const PUT: &str = "/paths/~1users~1{id}/put";
    const USER: &str = "/components/schemas/User";

    fn base() -> Value {
        let id =
            json!({"name": "id", "in": "path", "required": true, "schema": {"type": "string"}});
        let user = json!({"$ref": "#/components/schemas/User"});
        json!({
            "openapi": "3.0.1",
            "info": {"title": "t", "version": "1"},
            "paths": {"/users/{id}": {
                "get": {
                    "operationId": "GetUser",
                    "summary": "Get a user",
                    "parameters": [id],
                    "responses": {
                        "200": {"description": "The user", "content": {"application/json": {"schema": user}}}
                    }
                },
                "put": {
                    "operationId": "UpdateUser",
                    "parameters": [id],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": user}}},
                    "responses": {"204": {"description": "Updated"}}
                }
            }},
            "components": {"schemas": {
                "User": {
                    "type": "object",
                    "description": "A user",
                    "required": ["id"],
                    "properties": {
                        "id": {"type": "string"},
                        "age": {"type": "integer", "format": "int32", "nullable": true},
                        "status": {"type": "string", "enum": ["active", "suspended"]},
                        "tags": {"type": "array", "items": {"type": "string"}}
                    }
                }
            }}
        })
    }

    fn at<'a>(tree: &'a mut Value, pointer: &str) -> &'a mut Value {
        tree.pointer_mut(pointer)
            .unwrap_or_else(|| panic!("{pointer}"))
    }

    /// The change lines from the base spec to the base spec as `edit` leaves it, and the bump.
    fn changes(edit: impl FnOnce(&mut Value)) -> (Vec<String>, Semver) {
        let mut new = base();
        edit(&mut new);
        let report = diff(&base(), &new);
        (
            report.changes().map(ToString::to_string).collect(),
            report.semver(),
        )
    }

    fn one(line: &str, semver: Semver) -> (Vec<String>, Semver) {
        (vec![line.to_owned()], semver)
    }

    #[test]
    fn the_same_spec_has_no_changes_and_implies_a_patch() {
        assert_eq!(changes(|_| {}), (vec![], Semver::Patch));
    }

    #[test]
    fn prose_changes_are_ignored() {
        let edited = changes(|s| {
            at(s, &format!("{GET}/summary")).take();
            at(s, &format!("{GET}/responses/200"))["description"] = json!("Another");
            at(s, USER)["description"] = json!("Someone");
            at(s, USER)["example"] = json!({"id": "x"});
            at(s, &format!("{USER}/properties/id"))["x-note"] = json!("internal");
            at(s, &format!("{USER}/properties/tags/items"))["title"] = json!("Tag");
        });
        assert_eq!(edited, (vec![], Semver::Patch));
    }

    #[test]
    fn an_added_operation_is_additive_and_implies_a_minor() {
        let edited = changes(|s| {
            at(s, "/paths")["/users"] =
                json!({"post": {"operationId": "CreateUser", "responses": {}}});
        });
        assert_eq!(
            edited,
            one(
                "additive  operation added: CreateUser (POST /users)",
                Semver::Minor
            )
        );
    }

    #[test]
    fn a_removed_operation_is_breaking_and_implies_a_major() {
        let edited = changes(|s| {
            at(s, "/paths/~1users~1{id}")
                .as_object_mut()
                .unwrap()
                .remove("put");
        });
        assert_eq!(
            edited,
            one(
                "breaking  operation removed: UpdateUser (PUT /users/{id})",
                Semver::Major
            )
        );
    }

    #[test]
    fn an_operation_without_id_is_named_by_method_and_path() {
        let mut old = base();
        at(&mut old, GET)
            .as_object_mut()
            .unwrap()
            .remove("operationId");
        let mut new = old.clone();
        at(&mut new, "/paths/~1users~1{id}")
            .as_object_mut()
            .unwrap()
            .remove("get");
        let report = diff(&old, &new);
        assert_eq!(
            report.operations,
            [change(
                Kind::Breaking,
                "operation removed: GET /users/{id}".into()
            )]
        );
    }

    #[test]
    fn a_moved_operation_keeps_its_id_and_breaks() {
        let edited = changes(|s| {
            let item = at(s, "/paths")
                .as_object_mut()
                .unwrap()
                .remove("/users/{id}")
                .unwrap();
            let (get, put) = (item["get"].clone(), item["put"].clone());
            at(s, "/paths")["/people/{id}"] = json!({"get": get});
            at(s, "/paths")["/users/{id}"] = json!({"post": put});
        });
        assert_eq!(
            edited.0,
            [
                "breaking  operation changed: GetUser (GET /users/{id} -> GET /people/{id})",
                "breaking  operation changed: UpdateUser (PUT /users/{id} -> POST /users/{id})",
            ]
        );
    }

    #[test]
    fn an_added_parameter_breaks_only_when_required() {
        let optional = changes(|s| {
            let fields = json!({"name": "fields", "in": "query", "schema": {"type": "string"}});
            at(s, &format!("{GET}/parameters"))
                .as_array_mut()
                .unwrap()
                .push(fields);
        });
        assert_eq!(
            optional,
            one(
                "additive  GetUser: parameter added: fields (query, optional)",
                Semver::Minor
            )
        );
        let required = changes(|s| {
            let tenant = json!({"name": "tenant", "in": "header", "required": true, "schema": {"type": "string"}});
            at(s, &format!("{GET}/parameters"))
                .as_array_mut()
                .unwrap()
                .push(tenant);
        });
        assert_eq!(
            required,
            one(
                "breaking  GetUser: parameter added: tenant (header, required)",
                Semver::Major
            )
        );
    }

    #[test]
    fn a_removed_parameter_is_breaking() {
        let edited = changes(|s| at(s, &format!("{PUT}/parameters"))[0]["name"] = json!("userId"));
        assert_eq!(
            edited.0,
            [
                "breaking  UpdateUser: parameter removed: id (path)",
                "breaking  UpdateUser: parameter added: userId (path, required)",
            ]
        );
    }

    #[test]
    fn a_parameter_changed_in_type_location_or_requiredness() {
        let edited =
            changes(|s| at(s, &format!("{GET}/parameters/0/schema"))["type"] = json!("integer"));
        assert_eq!(
            edited,
            one(
                "breaking  GetUser: parameter id: type changed string -> integer",
                Semver::Major
            )
        );
        let edited = changes(|s| {
            let id = at(s, &format!("{GET}/parameters/0"));
            id["in"] = json!("query");
            id["required"] = json!(false);
        });
        assert_eq!(
            edited.0,
            [
                "breaking  GetUser: parameter id: location changed path -> query",
                "additive  GetUser: parameter id: no longer required",
            ]
        );
    }

    #[test]
    fn parameters_may_sit_on_the_path_or_behind_a_ref() {
        let edited = changes(|s| {
            let id = at(s, &format!("{GET}/parameters/0")).take();
            at(s, "/components")["parameters"] = json!({"Id": id});
            at(s, &format!("{GET}/parameters"))[0] = json!({"$ref": "#/components/parameters/Id"});
            let put_id = at(s, &format!("{PUT}/parameters")).take();
            at(s, "/paths/~1users~1{id}")["parameters"] = put_id;
        });
        assert_eq!(edited, (vec![], Semver::Patch));
    }

    #[test]
    fn request_body_changes() {
        let body = format!("{PUT}/requestBody");
        let schema = format!("{body}/content/application~1json/schema");
        let retyped = changes(|s| at(s, &schema)["$ref"] = json!("#/components/schemas/Other"));
        assert_eq!(
            retyped,
            one(
                "breaking  UpdateUser: request body: type changed User -> Other",
                Semver::Major
            )
        );
        let inline = |name_type: &str| {
            let mut tree = base();
            *at(&mut tree, &schema) =
                json!({"type": "object", "properties": {"name": {"type": name_type}}});
            tree
        };
        assert_eq!(
            diff(&inline("string"), &inline("integer")).operations,
            [change(
                Kind::Breaking,
                "UpdateUser: request body.name: type changed string -> integer".into()
            )]
        );
        let removed = changes(|s| {
            at(s, PUT).as_object_mut().unwrap().remove("requestBody");
        });
        assert_eq!(
            removed,
            one("breaking  UpdateUser: request body removed", Semver::Major)
        );
        let optional = changes(|s| at(s, &body)["required"] = json!(false));
        assert_eq!(
            optional,
            one(
                "additive  UpdateUser: request body: no longer required",
                Semver::Minor
            )
        );
        let added = changes(|s| {
            at(s, GET)["requestBody"] = json!({"required": true, "content": {"text/plain": {}}});
        });
        assert_eq!(
            added,
            one(
                "breaking  GetUser: request body added (required)",
                Semver::Major
            )
        );
    }

    #[test]
    fn response_changes() {
        let added = changes(|s| at(s, &format!("{GET}/responses"))["404"] = json!({}));
        assert_eq!(
            added,
            one("additive  GetUser: response 404 added", Semver::Minor)
        );
        let replaced = changes(|s| {
            let responses = at(s, &format!("{PUT}/responses")).as_object_mut().unwrap();
            responses.remove("204");
            responses.insert("200".into(), json!({"description": "Updated"}));
        });
        assert_eq!(
            replaced.0,
            [
                "breaking  UpdateUser: response 204 removed",
                "additive  UpdateUser: response 200 added",
            ]
        );
        let content = format!("{GET}/responses/200/content");
        let listed = changes(|s| {
            let users = json!({"type": "array", "items": {"$ref": "#/components/schemas/User"}});
            at(s, &format!("{content}/application~1json"))["schema"] = users;
        });
        assert_eq!(
            listed,
            one(
                "breaking  GetUser: response 200: type changed User -> array of User",
                Semver::Major
            )
        );
        let bodiless = changes(|s| {
            at(s, &format!("{GET}/responses/200"))
                .as_object_mut()
                .unwrap()
                .remove("content");
        });
        assert_eq!(
            bodiless,
            one(
                "breaking  GetUser: response 200: body removed: User",
                Semver::Major
            )
        );
        let text =
            changes(|s| *at(s, &content) = json!({"text/plain": {"schema": {"type": "string"}}}));
        assert_eq!(
            text,
            one(
                "breaking  GetUser: response 200: media type changed application/json -> text/plain",
                Semver::Major
            )
        );
    }

    #[test]
    fn schemas_added_and_removed() {
        let added = changes(|s| at(s, "/components/schemas")["Role"] = json!({"type": "string"}));
        assert_eq!(added, one("additive  schema added: Role", Semver::Minor));
        let removed = changes(|s| {
            at(s, "/components/schemas")
                .as_object_mut()
                .unwrap()
                .remove("User");
        });
        assert_eq!(
            removed,
            one("breaking  schema removed: User", Semver::Major)
        );
    }

    #[test]
    fn an_added_property_breaks_only_when_required() {
        let optional =
            changes(|s| at(s, &format!("{USER}/properties"))["email"] = json!({"type": "string"}));
        assert_eq!(
            optional,
            one(
                "additive  User: property added: email (optional)",
                Semver::Minor
            )
        );
        let required = changes(|s| {
            at(s, &format!("{USER}/properties"))["email"] = json!({"type": "string"});
            at(s, &format!("{USER}/required"))
                .as_array_mut()
                .unwrap()
                .push(json!("email"));
        });
        assert_eq!(
            required,
            one(
                "breaking  User: property added: email (required)",
                Semver::Major
            )
        );
    }

    #[test]
    fn a_removed_property_is_breaking() {
        let edited = changes(|s| {
            at(s, &format!("{USER}/properties"))
                .as_object_mut()
                .unwrap()
                .remove("age");
        });
        assert_eq!(
            edited,
            one("breaking  User: property removed: age", Semver::Major)
        );
    }

    #[test]
    fn a_property_changed_in_type_or_format_is_breaking() {
        let age = format!("{USER}/properties/age");
        let retyped = changes(|s| *at(s, &age) = json!({"type": "string"}));
        assert_eq!(
            retyped,
            one(
                "breaking  User.age: type changed integer (int32) -> string",
                Semver::Major
            )
        );
        let widened = changes(|s| at(s, &age)["format"] = json!("int64"));
        assert_eq!(
            widened,
            one(
                "breaking  User.age: type changed integer (int32) -> integer (int64)",
                Semver::Major
            )
        );
        let items =
            changes(|s| at(s, &format!("{USER}/properties/tags/items"))["type"] = json!("integer"));
        assert_eq!(
            items,
            one(
                "breaking  User.tags[]: type changed string -> integer",
                Semver::Major
            )
        );
    }

    #[test]
    fn nullability_and_requiredness_changes_break_either_way() {
        let edited = changes(|s| {
            at(s, &format!("{USER}/properties/age"))
                .as_object_mut()
                .unwrap()
                .remove("nullable");
            at(s, &format!("{USER}/properties/id"))["nullable"] = json!(true);
            *at(s, &format!("{USER}/required")) = json!(["age"]);
        });
        assert_eq!(
            edited.0,
            [
                "breaking  User.id: no longer required",
                "breaking  User.id: now nullable",
                "breaking  User.age: now required",
                "breaking  User.age: no longer nullable",
            ]
        );
    }

    #[test]
    fn enum_values_added_or_removed_are_breaking() {
        let edited = changes(|s| {
            at(s, &format!("{USER}/properties/status"))["enum"] = json!(["active", "locked"]);
        });
        assert_eq!(
            edited.0,
            [
                "breaking  User.status: enum value added: locked",
                "breaking  User.status: enum value removed: suspended",
            ]
        );
    }

    #[test]
    fn other_keywords_are_compared_whole_on_one_line() {
        let edited = changes(|s| {
            let id = at(s, &format!("{USER}/properties/id"));
            id["maxLength"] = json!(64);
            id["pattern"] = json!("^[a-z]+$");
        });
        assert_eq!(
            edited,
            one(
                "breaking  User.id: changed maxLength none -> 64, pattern none -> ^[a-z]+$",
                Semver::Major
            )
        );
    }

    #[test]
    fn the_report_lists_breaking_first_then_a_summary_and_the_bump() {
        let mut new = base();
        at(&mut new, "/components/schemas")["Role"] = json!({"type": "string"});
        at(&mut new, &format!("{USER}/properties"))
            .as_object_mut()
            .unwrap()
            .remove("age");
        at(&mut new, "/paths/~1users~1{id}")
            .as_object_mut()
            .unwrap()
            .remove("put");
        assert_eq!(
            diff(&base(), &new).to_string(),
            "operations:\n\
             breaking  operation removed: UpdateUser (PUT /users/{id})\n\
             schemas:\n\
             breaking  User: property removed: age\n\
             additive  schema added: Role\n\
             summary: 2 breaking, 1 additive\n\
             semver: major (for a 0.x crate: bump the minor version)"
        );
        assert_eq!(
            diff(&base(), &base()).to_string(),
            "summary: 0 breaking, 0 additive\nsemver: patch"
        );
    }
}
