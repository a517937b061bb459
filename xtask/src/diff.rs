//! `cargo xtask diff OLD NEW`: what changed between two specs, and what each change means for
//! code written against the generated client.
//!
//! # Breaking, additive or wire-only
//!
//! A change is judged by what it does to code written against the client generated from the old
//! spec once the client is generated from the new one, as `cargo xtask generate` makes it: after
//! the normalisation passes (`crate::passes`) and the rewrites (`crate::rewrite`), which decide
//! much of the Rust API.
//!
//! - **breaking** (major): such code may stop compiling, or a call it makes may now fail
//!   before it is sent.
//! - **additive** (minor): something new, a method, a setter, a type or a field; such code
//!   keeps compiling and working.
//! - **wire-only** (patch): the Rust API is unchanged, only what travels on the wire changed (a
//!   limit the service checks, an error body, a route). Released clients meet the changed
//!   service as they are; a patch lets `cargo update` bring them the new wire.
//!
//! The API judged is progenitor's builder-style methods (`client.get_role().id("x").send()`, one
//! setter per parameter, named after it, taking `impl TryInto<T>`) and typify's records, which
//! are `#[non_exhaustive]` (`rewrite::non_exhaustive_types`) and made with builders
//! (`types::CreateRoleRequest::builder()`): no caller writes a struct literal of one, which is
//! what lets a new optional property be additive. Records only answers use are decoded by
//! callers, not built; a test that builds one as a fake uses the builder, which reports a
//! missing required field when it runs.
//!
//! Operations are identified by `operationId`, else by `METHOD /path`; parameters by name (the
//! setter's name); bodies and responses by the media type the client uses. The report names the
//! changes in the spec's words; the passes only decide their kind.
//!
//! | change | kind | why |
//! |---|---|---|
//! | operation added | additive | a new method and builder |
//! | operation removed, or its `operationId` changed | breaking | the method, named after the id, disappears |
//! | operation's method or path changed, id kept | wire-only | same method and setters; released clients call a route the service no longer serves, upgraded or not |
//! | parameter added, optional | additive | a new setter |
//! | parameter added, required | breaking | `send()` fails on a builder without it |
//! | parameter removed or renamed | breaking | its setter disappears |
//! | parameter location changed | wire-only | same setter, sent elsewhere |
//! | parameter optional → required | breaking | same setter, but `send()` fails without it |
//! | parameter required → optional | wire-only | same setter |
//! | request body added, removed, required-ness | as for a parameter | the body is the `body` setter |
//! | media type of the request body changed | breaking | the `body` setter's type changes |
//! | error response (4xx, 5xx, `default`) added, removed or changed | wire-only | every error reaches callers as status and raw bytes (`error_bodies_raw`) |
//! | success response added or removed, successes keep one answer type | wire-only | `send()` returns the same type |
//! | success answer type changed: body added or removed, another schema, JSON ↔ other media | breaking | `send()`'s return type changes |
//! | body of a `HEAD` answer | wire-only | `head_has_no_body` drops it |
//! | schema added | additive | a new type |
//! | schema removed | breaking | the type disappears |
//! | property added, optional | additive | a new `Option` field and setter, on a `#[non_exhaustive]` record |
//! | property added, required, to a record requests use | breaking | the record's builder fails without it |
//! | property added, required, to a record only answers use | additive | callers read the new field or not; their code compiles |
//! | a record's first required property (added or made required) | breaking | typify derives `Default` only for records without one |
//! | a record's last required property gone | additive | the record now derives `Default` |
//! | property removed | breaking | its field and setter disappear |
//! | type, format or `$ref` target changed, another Rust type | breaking | the field's or setter's type changes |
//! | type or format changed, same Rust type | wire-only | e.g. `string` with format `email` or none: both `String` |
//! | required-ness or nullability of a property, flipping its field between `T` and `Option<T>` | breaking | the field's type changes (the builder's setter takes `T` either way) |
//! | nullable property optional → required, on a record requests use | breaking | its builder fails without it |
//! | other required-ness and nullability changes of a property | wire-only | the field stays `Option<T>` |
//! | nullability of a parameter | wire-only | its setter takes the value's type either way |
//! | nullability elsewhere (items, top-level schemas) | breaking | the Rust type gains or loses `Option` |
//! | `enum` values of a string; `minLength`, `maxLength`, `pattern` anywhere | wire-only | `unconstrained_strings` drops them: strings are `String` |
//! | `additionalProperties: false` added or removed | wire-only | `tolerate_unknown_fields` drops it |
//! | required-ness in `*ProblemDetails` | wire-only | `lenient_problem_details` drops their `required` |
//! | `readOnly`, `writeOnly`; bounds of a `number`; `minItems`, `maxItems` not fixing the length | wire-only | typify ignores them |
//! | `enum` values of a non-string | breaking | typify makes a type that checks them |
//! | `title` of an inline object or composition | breaking | typify names the inline type after it |
//! | bounds or `multipleOf` of an `integer`; `uniqueItems`; `minItems` = `maxItems`; `default`; `allOf`, `oneOf`, `anyOf`; any keyword not named here | breaking | typify picks the Rust type from them (`u32` or `i64`, a set, a fixed array, a field without `Option`); an unknown keyword is assumed to, since a needless major costs less than a silent break |
//!
//! Prose and annotations never count: `description`, `summary`, `title` (but for the row above),
//! `example(s)`, `externalDocs`, `deprecated` and `x-` extensions. Any breaking change implies a
//! major bump, else any additive one a minor bump, else a patch.

use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;

use serde_json::{Map, Value};

use crate::operations::answer_only_schemas;
use crate::passes::{METHODS, is_error_status, lenient_problem_details, unconstrained_strings};
use crate::spec::{self, SpecError};

/// What a change does to code written against the previous client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// Code that worked against the old client may not compile or work against the new one.
    Breaking,
    /// Something new; code written against the old client keeps working.
    Additive,
    /// The generated Rust API is the same; only the wire changed.
    WireOnly,
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
            Kind::WireOnly => "wire-only",
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
        writeln!(
            f,
            "summary: {} breaking, {} additive, {} wire-only",
            self.count(Kind::Breaking),
            self.count(Kind::Additive),
            self.count(Kind::WireOnly)
        )?;
        // Cargo reads 0.x versions one place down; say so, since the client is 0.x today.
        let note = match self.semver() {
            Semver::Major => " (for a 0.x crate: bump the minor version)",
            Semver::Minor => " (for a 0.x crate: bump the patch version)",
            Semver::Patch => "",
        };
        write!(f, "semver: {}{note}", self.semver())
    }
}

impl Report {
    /// A draft of the client's changelog entry, in Keep a Changelog sections: additions under
    /// `Added`, removals under `Removed`, everything else under `Changed`; breaking entries are
    /// marked, wire-only ones say that the Rust API is the same. A person edits it into prose.
    pub fn changelog(&self) -> String {
        let mut sections: [(&str, Vec<String>); 3] =
            [("Added", vec![]), ("Changed", vec![]), ("Removed", vec![])];
        for change in self.changes() {
            let (section, line) = match change.kind {
                Kind::Additive => (0, change.what.clone()),
                Kind::WireOnly => (
                    1,
                    format!("{} (wire only; the Rust API is the same)", change.what),
                ),
                Kind::Breaking if change.what.contains(" removed") => {
                    (2, format!("**Breaking:** {}", change.what))
                }
                Kind::Breaking => (1, format!("**Breaking:** {}", change.what)),
            };
            sections[section].1.push(line);
        }
        let mut draft = String::from("## [Unreleased]\n");
        for (title, lines) in sections.iter().filter(|(_, lines)| !lines.is_empty()) {
            draft.push_str(&format!("\n### {title}\n"));
            for line in lines {
                draft.push_str(&format!("- {line}\n"));
            }
        }
        draft
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

/// Where a schema sits, as far as the Rust API is concerned.
#[derive(Debug, Clone, Copy)]
struct Place {
    /// Callers build values of it (parameters, request bodies, records a request uses) rather
    /// than only read them from answers.
    built: bool,
    /// A named component: its Rust name is its key, whatever its `title` says.
    component: bool,
    /// A property or a parameter, whose nullability `compare_properties` or `diff_parameters`
    /// judges: with its required-ness for a field, not at all for a setter.
    nullability_elsewhere: bool,
    /// Its `required` list is dropped before generation (`lenient_problem_details`).
    lenient: bool,
}

impl Place {
    const REQUEST: Place = Place {
        built: true,
        component: false,
        nullability_elsewhere: false,
        lenient: false,
    };
    const ANSWER: Place = Place {
        built: false,
        ..Place::REQUEST
    };
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
                    out.push(change(Kind::WireOnly, what));
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
            out.push(change(Kind::WireOnly, what));
        }
        required_changed(&at, is_required(p), is_required(q), out);
        let (a, b) = (&p["schema"], &q["schema"]);
        // The setter takes the value's type, nullable or not.
        if nullable(a) != nullable(b) && !retyped(a, b) {
            let what = if nullable(b) {
                "now nullable"
            } else {
                "no longer nullable"
            };
            out.push(change(Kind::WireOnly, format!("{at}: {what}")));
        }
        let setter = Place {
            nullability_elsewhere: true,
            ..Place::REQUEST
        };
        compare_schema(&at, a, b, setter, out);
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

/// For a setter (parameter or body): the setter stays, but `send()` refuses a builder without
/// a required value, so needing it breaks calls and no longer needing it changes nothing.
fn required_changed(at: &str, old: bool, new: bool, out: &mut Vec<Change>) {
    match (old, new) {
        (false, true) => out.push(change(Kind::Breaking, format!("{at}: now required"))),
        (true, false) => out.push(change(Kind::WireOnly, format!("{at}: no longer required"))),
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
            compare_content(&at, a, b, Place::REQUEST, out);
        }
    }
}

fn responses<'a>((tree, op): Side<'a>) -> Vec<(&'a String, &'a Value)> {
    op.operation
        .get("responses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(status, response)| (status, resolve(tree, response)))
        .collect()
}

/// Whether the generated client decodes the body of this response: errors are raw bytes
/// (`error_bodies_raw`) and HEAD answers have no body (`head_has_no_body`).
fn typed(op: &Operation<'_>, status: &str) -> bool {
    !is_error_status(status) && op.method != "head"
}

/// The answer types of an operation's successes, as `send()` returns them: one, progenitor
/// insists, unless the spec cannot be generated.
fn answer_types(side: Side<'_>) -> BTreeSet<String> {
    responses(side)
        .into_iter()
        .filter(|(status, _)| typed(side.1, status))
        .map(|(_, response)| match payload(response) {
            None => "no body".to_owned(),
            Some((media, schema)) if is_json(media) => describe(schema),
            Some(_) => "raw bytes".to_owned(),
        })
        .collect()
}

fn diff_responses(old: Side<'_>, new: Side<'_>, out: &mut Vec<Change>) {
    let (olds, news) = (responses(old), responses(new));
    let id = &old.1.id;
    let (old_answers, new_answers) = (answer_types(old), answer_types(new));
    // A success added or removed matters only when `send()` returns another type for it.
    let coming_or_going = |op: &Operation<'_>, status: &str| {
        if typed(op, status) && old_answers != new_answers {
            let list = |set: &BTreeSet<String>| set.iter().cloned().collect::<Vec<_>>().join(" | ");
            let answers = format!("answers {} -> {}", list(&old_answers), list(&new_answers));
            (Kind::Breaking, format!(" ({answers})"))
        } else {
            (Kind::WireOnly, String::new())
        }
    };
    for (status, a) in &olds {
        let at = format!("{id}: response {status}");
        match news.iter().find(|(s, _)| s == status) {
            None => {
                let (kind, why) = coming_or_going(old.1, status);
                out.push(change(kind, format!("{at} removed{why}")));
            }
            Some((_, b)) if typed(old.1, status) => compare_content(&at, a, b, Place::ANSWER, out),
            Some((_, b)) => {
                let body = |r: &Value| payload(r).map(|(_, schema)| describe(schema));
                if body(a) != body(b) {
                    let what = |r: &Value| body(r).unwrap_or_else(|| "none".into());
                    let what = format!("{at}: body changed {} -> {}", what(a), what(b));
                    out.push(change(Kind::WireOnly, what));
                }
            }
        }
    }
    for (status, _) in news
        .iter()
        .filter(|(s, _)| olds.iter().all(|(o, _)| o != s))
    {
        let (kind, why) = coming_or_going(new.1, status);
        out.push(change(kind, format!("{id}: response {status} added{why}")));
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

/// Whether progenitor decodes a body of this media type; any other is raw bytes to it.
fn is_json(media: &str) -> bool {
    media == "application/json" || media.starts_with("application/json;")
}

/// Compares the payloads of two request bodies or successful responses.
fn compare_content(at: &str, old: &Value, new: &Value, place: Place, out: &mut Vec<Change>) {
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
        (Some((a, x)), Some((b, y))) if !place.built && !is_json(a) && !is_json(b) => {
            // Progenitor hands such answers over as raw bytes, whatever they hold.
            if a != b || without_prose(x) != without_prose(y) {
                let what = format!(
                    "{at}: raw body changed {a} {} -> {b} {}",
                    describe(x),
                    describe(y)
                );
                out.push(change(Kind::WireOnly, what));
            }
        }
        (Some((a, _)), Some((b, _))) if a != b => {
            // The `body` setter's type, or what `send()` returns, follows the media type.
            let what = format!("{at}: media type changed {a} -> {b}");
            out.push(change(Kind::Breaking, what));
        }
        (Some((_, a)), Some((_, b))) => compare_schema(at, a, b, place, out),
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
    let (old_answers, new_answers) = (answer_only_schemas(old), answer_only_schemas(new));
    for (name, a) in &olds {
        match news.get(name) {
            None => out.push(change(Kind::Breaking, format!("schema removed: {name}"))),
            Some(b) => {
                let place = Place {
                    built: !(old_answers.contains(name) && new_answers.contains(name)),
                    component: true,
                    nullability_elsewhere: false,
                    lenient: lenient_problem_details::applies_to(name),
                };
                compare_schema(name, a, b, place, out);
            }
        }
    }
    for name in news.keys().filter(|n| !olds.contains_key(*n)) {
        out.push(change(Kind::Additive, format!("schema added: {name}")));
    }
}

/// Keywords `compare_schema` looks into one by one; any other is judged by [`keyword_kind`].
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

/// Keywords that change the documentation only, never the generated code (`title` aside, see
/// [`compare_schema`]).
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
fn compare_schema(at: &str, old: &Value, new: &Value, place: Place, out: &mut Vec<Change>) {
    if ["$ref", "type", "format"]
        .iter()
        .any(|k| old.get(k) != new.get(k))
    {
        let what = format!("{at}: type changed {} -> {}", describe(old), describe(new));
        if retyped(old, new) {
            // Whatever else differs inside follows from this; one line says it.
            out.push(change(Kind::Breaking, what));
            return;
        }
        let rust = rust_type(new).unwrap_or_default();
        out.push(change(
            Kind::WireOnly,
            format!("{what}, both {rust} in Rust"),
        ));
    }
    if old.get("$ref").is_some() {
        // OpenAPI 3.0 ignores a reference's siblings; the target is compared as a schema.
        return;
    }
    if !place.nullability_elsewhere && nullable(old) != nullable(new) {
        let what = if nullable(new) {
            "now nullable"
        } else {
            "no longer nullable"
        };
        out.push(change(Kind::Breaking, format!("{at}: {what}")));
    }
    let title = |s: &Value| s.get("title").cloned();
    if !place.component && (names_a_type(old) || names_a_type(new)) && title(old) != title(new) {
        let what = format!(
            "{at}: title changed {} -> {}, which names its Rust type",
            plain(&title(old).unwrap_or_default()),
            plain(&title(new).unwrap_or_default())
        );
        out.push(change(Kind::Breaking, what));
    }
    compare_enums(at, old, new, out);
    if old.get("items").is_some() || new.get("items").is_some() {
        let items = Place {
            component: false,
            nullability_elsewhere: false,
            lenient: false,
            ..place
        };
        compare_schema(&format!("{at}[]"), &old["items"], &new["items"], items, out);
    }
    compare_properties(at, old, new, place, out);
    let mut others: Vec<&String> = keys(old).collect();
    others.extend(keys(new).filter(|k| old.get(k).is_none()));
    // One line per kind: they are mostly length limits and patterns, set together.
    let mut changed: Vec<(Kind, String)> = others
        .into_iter()
        .filter(|key| !MODELLED.contains(&key.as_str()) && !is_prose(key))
        .filter_map(|key| {
            let (a, b) = (without_prose(&old[key]), without_prose(&new[key]));
            (a != b).then(|| {
                let text = match (short(&a), short(&b)) {
                    (Some(a), Some(b)) => format!("{key} {a} -> {b}"),
                    _ => key.clone(),
                };
                (keyword_kind(key, old, new), text)
            })
        })
        .collect();
    changed.sort_by_key(|(kind, _)| *kind);
    for kind in [Kind::Breaking, Kind::WireOnly] {
        let texts: Vec<&str> = changed
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, text)| text.as_str())
            .collect();
        if !texts.is_empty() {
            out.push(change(kind, format!("{at}: changed {}", texts.join(", "))));
        }
    }
}

/// Whether the Rust type of a schema changes with its `$ref`, `type` or `format`.
fn retyped(old: &Value, new: &Value) -> bool {
    let changed = ["$ref", "type", "format"]
        .iter()
        .any(|k| old.get(k) != new.get(k));
    changed && (rust_type(old).is_none() || rust_type(old) != rust_type(new))
}

fn nullable(schema: &Value) -> bool {
    schema
        .get("nullable")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// Whether typify makes a type of its own for this schema, named after its title if it has one.
fn names_a_type(schema: &Value) -> bool {
    ["properties", "allOf", "oneOf", "anyOf"]
        .iter()
        .any(|k| schema.get(k).is_some())
        || (schema.get("enum").is_some() && !is_string(schema))
}

fn is_string(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("string")
}

/// The Rust type typify (0.8) makes of a schema, for the schemas whose type follows from
/// `type`, `format` and `$ref` alone; `None` for any other.
fn rust_type(schema: &Value) -> Option<String> {
    if let Some(target) = schema.get("$ref").and_then(Value::as_str) {
        return Some(target.rsplit('/').next().unwrap_or(target).to_owned());
    }
    let format = schema.get("format").and_then(Value::as_str);
    let ty = match (schema.get("type").and_then(Value::as_str)?, format) {
        ("string", Some("date-time")) => "DateTime<Utc>",
        ("string", Some("date")) => "NaiveDate",
        ("string", Some("uuid")) => "Uuid",
        ("string", Some("ip")) => "IpAddr",
        ("string", Some("ipv4")) => "Ipv4Addr",
        ("string", Some("ipv6")) => "Ipv6Addr",
        ("string", _) => "String",
        ("boolean", _) => "bool",
        ("number", Some("float")) => "f32",
        ("number", _) => "f64",
        // Bounds and `multipleOf` also choose an integer's type; leave those to the whole compare.
        ("integer", _) if INTEGER_BOUNDS.iter().any(|k| schema.get(k).is_some()) => return None,
        ("integer", Some("int8")) => "i8",
        ("integer", Some("uint8")) => "u8",
        ("integer", Some("int16")) => "i16",
        ("integer", Some("uint16")) => "u16",
        ("integer", Some("int" | "int32")) => "i32",
        ("integer", Some("uint" | "uint32")) => "u32",
        ("integer", Some("uint64")) => "u64",
        ("integer", _) => "i64",
        ("array", _) => {
            let items = rust_type(schema.get("items")?)?;
            return Some(if schema.get("uniqueItems") == Some(&Value::Bool(true)) {
                format!("set of {items}")
            } else {
                format!("Vec<{items}>")
            });
        }
        _ => return None,
    };
    Some(ty.to_owned())
}

/// Keywords from which typify picks an integer's Rust type (`u32`, `NonZeroU64`, `i64`…).
const INTEGER_BOUNDS: &[&str] = &[
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
];

/// What a change of `key`, one of the keywords not compared one by one, does to the Rust API.
fn keyword_kind(key: &str, old: &Value, new: &Value) -> Kind {
    let integer = old.get("type").and_then(Value::as_str) == Some("integer")
        || new.get("type").and_then(Value::as_str) == Some("integer");
    // typify makes an array whose length is fixed a Rust array `[T; N]`.
    let fixed = |s: &Value| {
        s.get("minItems")
            .is_some_and(|min| Some(min) == s.get("maxItems") && min.as_u64() > Some(0))
    };
    // `tolerate_unknown_fields` drops `false`, so it and no keyword at all generate the same.
    let absent_or_false = |s: &Value| {
        matches!(
            s.get("additionalProperties"),
            None | Some(Value::Bool(false))
        )
    };
    match key {
        _ if unconstrained_strings::LIMITS.contains(&key) => Kind::WireOnly,
        "additionalProperties" if absent_or_false(old) && absent_or_false(new) => Kind::WireOnly,
        "readOnly" | "writeOnly" => Kind::WireOnly,
        _ if INTEGER_BOUNDS.contains(&key) && !integer => Kind::WireOnly,
        "minItems" | "maxItems" if !fixed(old) && !fixed(new) => Kind::WireOnly,
        _ => Kind::Breaking,
    }
}

fn keys(value: &Value) -> impl Iterator<Item = &String> {
    value.as_object().into_iter().flat_map(Map::keys)
}

/// String enums are dropped before generation (`unconstrained_strings`); typify makes a type
/// that checks the values of any other.
fn compare_enums(at: &str, old: &Value, new: &Value, out: &mut Vec<Change>) {
    let values = |s: &Value| s.get("enum").and_then(Value::as_array).cloned();
    let (olds, news) = (
        values(old).unwrap_or_default(),
        values(new).unwrap_or_default(),
    );
    let kind = if is_string(old) && is_string(new) {
        Kind::WireOnly
    } else {
        Kind::Breaking
    };
    for v in news.iter().filter(|v| !olds.contains(v)) {
        let what = format!("{at}: enum value added: {}", plain(v));
        out.push(change(kind, what));
    }
    for v in olds.iter().filter(|v| !news.contains(v)) {
        let what = format!("{at}: enum value removed: {}", plain(v));
        out.push(change(kind, what));
    }
}

fn compare_properties(at: &str, old: &Value, new: &Value, place: Place, out: &mut Vec<Change>) {
    let properties = |s: &Value| s.get("properties").and_then(Value::as_object).cloned();
    let (Some(olds), Some(news)) = (properties(old), properties(new)) else {
        // A record that became something else, or the reverse, changed type: said above.
        return;
    };
    let required_list = |s: &Value| -> Vec<String> {
        if place.lenient {
            return Vec::new();
        }
        s.get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect()
    };
    let (old_required, new_required) = (required_list(old), required_list(new));
    let required = |list: &[String], name: &str| list.iter().any(|r| r == name);
    // typify's field type: `Option<T>` unless the property is required and not nullable.
    let optional = |required: bool, property: &Value| !required || nullable(property);
    for (name, a) in &olds {
        let Some(b) = news.get(name) else {
            let what = format!("{at}: property removed: {name}");
            out.push(change(Kind::Breaking, what));
            continue;
        };
        let here = format!("{at}.{name}");
        let (ra, rb) = (required(&old_required, name), required(&new_required, name));
        let flips = optional(ra, a) != optional(rb, b);
        match (ra, rb) {
            (false, true) => {
                // A nullable field stays `Option<T>`, but a builder must still be given it.
                let kind = if flips || place.built {
                    Kind::Breaking
                } else {
                    Kind::WireOnly
                };
                out.push(change(kind, format!("{here}: now required")));
            }
            (true, false) => {
                let kind = if flips {
                    Kind::Breaking
                } else {
                    Kind::WireOnly
                };
                out.push(change(kind, format!("{here}: no longer required")));
            }
            _ => {}
        }
        // A new type says it all: `compare_schema` reports it.
        if nullable(a) != nullable(b) && !retyped(a, b) {
            let kind = if flips {
                Kind::Breaking
            } else {
                Kind::WireOnly
            };
            let what = if nullable(b) {
                "now nullable"
            } else {
                "no longer nullable"
            };
            out.push(change(kind, format!("{here}: {what}")));
        }
        let field = Place {
            component: false,
            nullability_elsewhere: true,
            lenient: false,
            ..place
        };
        compare_schema(&here, a, b, field, out);
    }
    for name in news.keys().filter(|n| !olds.contains_key(*n)) {
        let needed = required(&new_required, name);
        let kind = if needed && place.built {
            Kind::Breaking
        } else {
            Kind::Additive
        };
        let necessity = if needed { "required" } else { "optional" };
        let what = format!("{at}: property added: {name} ({necessity})");
        out.push(change(kind, what));
    }
    match (old_required.is_empty(), new_required.is_empty()) {
        (true, false) => out.push(change(
            Kind::Breaking,
            format!("{at}: no longer derives Default: a property is now required"),
        )),
        (false, true) => out.push(change(
            Kind::Additive,
            format!("{at}: now derives Default: no property is required"),
        )),
        _ => {}
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

    #[test]
    fn the_changelog_draft_sorts_changes_into_keep_a_changelog_sections() {
        let change = |kind, what: &str| Change {
            kind,
            what: what.to_owned(),
        };
        let report = Report {
            operations: vec![
                change(Kind::Breaking, "operation removed: DeleteX (DELETE /api/x)"),
                change(Kind::Additive, "operation added: ListX (GET /api/x)"),
                change(Kind::WireOnly, "ListX: response 404 added"),
            ],
            schemas: vec![change(
                Kind::Breaking,
                "X.count: type changed integer -> string",
            )],
        };
        assert_eq!(
            report.changelog(),
            "## [Unreleased]\n\n### Added\n- operation added: ListX (GET /api/x)\n\n### Changed\n\
             - ListX: response 404 added (wire only; the Rust API is the same)\n\
             - **Breaking:** X.count: type changed integer -> string\n\n### Removed\n\
             - **Breaking:** operation removed: DeleteX (DELETE /api/x)\n"
        );
    }

    const GET: &str = "/paths/~1users~1{id}/get";
    const PUT: &str = "/paths/~1users~1{id}/put";
    const USER: &str = "/components/schemas/User";
    const LOG: &str = "/components/schemas/Log";

    /// `User` is read and sent (a record requests use); `Log` is only ever read.
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
                        "200": {"description": "The user", "content": {"application/json": {"schema": user}}},
                        "400": {"description": "Refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/LusidProblemDetails"}}}}
                    }
                },
                "put": {
                    "operationId": "UpdateUser",
                    "parameters": [id],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": user}}},
                    "responses": {"204": {"description": "Updated"}}
                }
            }, "/logs": {"get": {
                "operationId": "GetLog",
                "responses": {"200": {"description": "The log", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Log"}}}}}
            }}},
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
                },
                "Log": {
                    "type": "object",
                    "required": ["at"],
                    "properties": {"at": {"type": "string", "format": "date-time"}}
                },
                "LusidProblemDetails": {
                    "type": "object",
                    "required": ["code"],
                    "properties": {"code": {"type": "integer", "format": "int32"}}
                }
            }}
        })
    }

    fn at<'a>(tree: &'a mut Value, pointer: &str) -> &'a mut Value {
        tree.pointer_mut(pointer)
            .unwrap_or_else(|| panic!("{pointer}"))
    }

    fn properties<'a>(tree: &'a mut Value, schema: &str) -> &'a mut Map<String, Value> {
        at(tree, &format!("{schema}/properties"))
            .as_object_mut()
            .unwrap()
    }

    /// The change lines from `old` to `new`, and the bump.
    fn lines(old: &Value, new: &Value) -> (Vec<String>, Semver) {
        let report = diff(old, new);
        (
            report.changes().map(ToString::to_string).collect(),
            report.semver(),
        )
    }

    /// The change lines from the base spec to the base spec as `edit` leaves it, and the bump.
    fn changes(edit: impl FnOnce(&mut Value)) -> (Vec<String>, Semver) {
        let mut new = base();
        edit(&mut new);
        lines(&base(), &new)
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
            at(s, USER)["title"] = json!("Person");
            at(s, USER)["example"] = json!({"id": "x"});
            at(s, &format!("{USER}/properties/id"))["x-note"] = json!("internal");
            at(s, &format!("{USER}/properties/tags/items"))["title"] = json!("Tag");
            at(s, GET)["x-fbn-apistatus"] = json!("Beta");
            at(s, GET)["deprecated"] = json!(true);
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
    fn a_removed_or_renamed_operation_is_breaking_and_implies_a_major() {
        let removed = changes(|s| {
            at(s, "/paths/~1users~1{id}")
                .as_object_mut()
                .unwrap()
                .remove("put");
        });
        assert_eq!(
            removed,
            one(
                "breaking  operation removed: UpdateUser (PUT /users/{id})",
                Semver::Major
            )
        );
        let renamed = changes(|s| at(s, PUT)["operationId"] = json!("ReplaceUser"));
        assert_eq!(
            renamed.0,
            [
                "breaking  operation removed: UpdateUser (PUT /users/{id})",
                "additive  operation added: ReplaceUser (PUT /users/{id})",
            ]
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
    fn a_moved_operation_keeps_its_id_and_its_rust_api() {
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
            edited,
            (
                vec![
                    "wire-only  operation changed: GetUser (GET /users/{id} -> GET /people/{id})"
                        .to_owned(),
                    "wire-only  operation changed: UpdateUser (PUT /users/{id} -> POST /users/{id})"
                        .to_owned(),
                ],
                Semver::Patch
            )
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
    fn a_removed_or_renamed_parameter_is_breaking() {
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
    fn a_parameter_changed_in_type_breaks_in_location_limits_or_nullability_does_not() {
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
            id["schema"]["maxLength"] = json!(64);
            id["schema"]["nullable"] = json!(true);
        });
        assert_eq!(
            edited,
            (
                vec![
                    "wire-only  GetUser: parameter id: location changed path -> query".to_owned(),
                    "wire-only  GetUser: parameter id: no longer required".to_owned(),
                    "wire-only  GetUser: parameter id: now nullable".to_owned(),
                    "wire-only  GetUser: parameter id: changed maxLength none -> 64".to_owned(),
                ],
                Semver::Patch
            )
        );
    }

    #[test]
    fn a_parameter_made_required_breaks_the_calls_without_it() {
        let mut old = base();
        let fields = json!({"name": "fields", "in": "query", "schema": {"type": "string"}});
        at(&mut old, &format!("{GET}/parameters"))
            .as_array_mut()
            .unwrap()
            .push(fields);
        let mut new = old.clone();
        at(&mut new, &format!("{GET}/parameters/1"))["required"] = json!(true);
        assert_eq!(
            lines(&old, &new),
            one(
                "breaking  GetUser: parameter fields: now required",
                Semver::Major
            )
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
                "wire-only  UpdateUser: request body: no longer required",
                Semver::Patch
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
        let text = changes(|s| {
            let content = at(s, &format!("{body}/content")).as_object_mut().unwrap();
            let json = content.remove("application/json").unwrap();
            content.insert("text/plain".into(), json);
        });
        assert_eq!(
            text,
            one(
                "breaking  UpdateUser: request body: media type changed application/json -> text/plain",
                Semver::Major
            )
        );
    }

    #[test]
    fn successes_matter_when_the_answer_type_changes() {
        let replaced = changes(|s| {
            let responses = at(s, &format!("{PUT}/responses")).as_object_mut().unwrap();
            responses.remove("204");
            responses.insert("200".into(), json!({"description": "Updated"}));
        });
        assert_eq!(
            replaced,
            (
                vec![
                    "wire-only  UpdateUser: response 204 removed".to_owned(),
                    "wire-only  UpdateUser: response 200 added".to_owned(),
                ],
                Semver::Patch
            ),
            "no body either way: send() still returns ()"
        );
        let with_body = changes(|s| {
            let user = json!({"content": {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}}});
            at(s, &format!("{PUT}/responses"))["200"] = user;
        });
        assert_eq!(
            with_body,
            one(
                "breaking  UpdateUser: response 200 added (answers no body -> User | no body)",
                Semver::Major
            )
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
        let mut old = base();
        *at(&mut old, &content) = json!({"text/plain": {"schema": {"type": "string"}}});
        let mut new = old.clone();
        *at(&mut new, &content) = json!({"text/csv": {"schema": {"type": "array"}}});
        assert_eq!(
            lines(&old, &new),
            one(
                "wire-only  GetUser: response 200: raw body changed text/plain string -> text/csv array of any",
                Semver::Patch
            ),
            "raw bytes either way"
        );
    }

    #[test]
    fn errors_and_head_answers_are_raw_so_their_changes_are_wire_only() {
        let errors = changes(|s| {
            let responses = at(s, &format!("{GET}/responses")).as_object_mut().unwrap();
            responses["400"]["content"]["application/json"]["schema"] = json!({"type": "string"});
            responses.insert("404".into(), json!({"description": "No such user"}));
            responses.insert(
                "default".into(),
                json!({"description": "Failed", "content": {"text/html": {}}}),
            );
            at(s, &format!("{PUT}/responses"))["409"] = json!({"description": "Conflict"});
        });
        assert_eq!(
            errors,
            (
                vec![
                    "wire-only  GetUser: response 400: body changed LusidProblemDetails -> string"
                        .to_owned(),
                    "wire-only  GetUser: response 404 added".to_owned(),
                    "wire-only  GetUser: response default added".to_owned(),
                    "wire-only  UpdateUser: response 409 added".to_owned(),
                ],
                Semver::Patch
            )
        );
        let mut old = base();
        let head = json!({"operationId": "HasUser", "responses": {"200": {"description": "yes"}}});
        at(&mut old, "/paths/~1users~1{id}")["head"] = head;
        let mut new = old.clone();
        at(&mut new, "/paths/~1users~1{id}/head/responses/200")["content"] =
            json!({"application/json": {"schema": {"type": "boolean"}}});
        assert_eq!(
            lines(&old, &new),
            one(
                "wire-only  HasUser: response 200: body changed none -> boolean",
                Semver::Patch
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
    fn an_added_optional_property_is_additive_on_any_record() {
        for schema in [USER, LOG] {
            let edited = changes(|s| {
                properties(s, schema).insert("email".into(), json!({"type": "string"}));
            });
            assert_eq!(edited.1, Semver::Minor, "{schema}: {:?}", edited.0);
        }
    }

    #[test]
    fn an_added_required_property_breaks_records_requests_use_only() {
        let add = |schema: &str| {
            changes(|s| {
                properties(s, schema).insert("email".into(), json!({"type": "string"}));
                at(s, &format!("{schema}/required"))
                    .as_array_mut()
                    .unwrap()
                    .push(json!("email"));
            })
        };
        assert_eq!(
            add(USER),
            one(
                "breaking  User: property added: email (required)",
                Semver::Major
            )
        );
        assert_eq!(
            add(LOG),
            one(
                "additive  Log: property added: email (required)",
                Semver::Minor
            ),
            "callers read answers; they do not build them"
        );
    }

    #[test]
    fn a_first_required_property_takes_default_away_and_a_last_one_gives_it() {
        let mut old = base();
        at(&mut old, LOG)
            .as_object_mut()
            .unwrap()
            .remove("required");
        let mut new = old.clone();
        properties(&mut new, LOG).insert("level".into(), json!({"type": "integer"}));
        at(&mut new, LOG)["required"] = json!(["level"]);
        assert_eq!(
            lines(&old, &new).0,
            [
                "breaking  Log: no longer derives Default: a property is now required",
                "additive  Log: property added: level (required)",
            ]
        );
        assert_eq!(
            lines(&new, &old).0,
            [
                "breaking  Log: property removed: level",
                "additive  Log: now derives Default: no property is required",
            ]
        );
    }

    #[test]
    fn a_removed_property_is_breaking() {
        let edited = changes(|s| {
            properties(s, USER).remove("age");
        });
        assert_eq!(
            edited,
            one("breaking  User: property removed: age", Semver::Major)
        );
    }

    #[test]
    fn a_property_changed_in_rust_type_breaks_and_in_spec_type_only_does_not() {
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
        let email = changes(|s| at(s, &format!("{USER}/properties/id"))["format"] = json!("email"));
        assert_eq!(
            email,
            one(
                "wire-only  User.id: type changed string -> string (email), both String in Rust",
                Semver::Patch
            )
        );
        let stamp =
            changes(|s| at(s, &format!("{USER}/properties/id"))["format"] = json!("date-time"));
        assert_eq!(stamp.1, Semver::Major, "{:?}", stamp.0);
    }

    #[test]
    fn requiredness_and_nullability_break_when_the_field_flips_between_t_and_option() {
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
        let optional_nullable = changes(|s| {
            at(s, &format!("{USER}/properties/tags"))["nullable"] = json!(true);
        });
        assert_eq!(
            optional_nullable,
            one("wire-only  User.tags: now nullable", Semver::Patch),
            "Option<Vec<String>> either way"
        );
        let nullable_required = |schema: &str, property: &str| {
            let mut old = base();
            at(&mut old, &format!("{schema}/properties/{property}"))["nullable"] = json!(true);
            at(&mut old, &format!("{schema}/required"))
                .as_array_mut()
                .unwrap()
                .push(json!(property));
            let mut new = old.clone();
            at(&mut new, &format!("{schema}/required"))
                .as_array_mut()
                .unwrap()
                .retain(|r| r != property);
            (lines(&old, &new), lines(&new, &old))
        };
        let (freed, needed) = nullable_required(USER, "tags");
        assert_eq!(freed.0, ["wire-only  User.tags: no longer required"]);
        assert_eq!(
            needed.0,
            ["breaking  User.tags: now required"],
            "a builder must be given it"
        );
        let (_, needed) = nullable_required(LOG, "at");
        assert_eq!(
            needed.0,
            [
                "breaking  Log: no longer derives Default: a property is now required",
                "wire-only  Log.at: now required",
            ],
            "an answer's nullable field stays Option, but its record had no required property"
        );
    }

    #[test]
    fn problem_details_lose_their_required_list_so_its_changes_are_wire_only() {
        let edited = changes(|s| {
            *at(s, "/components/schemas/LusidProblemDetails/required") = json!([]);
        });
        assert_eq!(edited, (vec![], Semver::Patch));
    }

    #[test]
    fn string_enums_are_wire_only_other_enums_break() {
        let edited = changes(|s| {
            at(s, &format!("{USER}/properties/status"))["enum"] = json!(["active", "locked"]);
        });
        assert_eq!(
            edited,
            (
                vec![
                    "wire-only  User.status: enum value added: locked".to_owned(),
                    "wire-only  User.status: enum value removed: suspended".to_owned(),
                ],
                Semver::Patch
            )
        );
        let mut old = base();
        at(&mut old, &format!("{USER}/properties/age"))["enum"] = json!([1, 2]);
        let mut new = old.clone();
        at(&mut new, &format!("{USER}/properties/age"))["enum"] = json!([1, 2, 3]);
        assert_eq!(
            lines(&old, &new),
            one("breaking  User.age: enum value added: 3", Semver::Major)
        );
    }

    #[test]
    fn other_keywords_are_judged_by_what_typify_makes_of_them() {
        let wire = changes(|s| {
            let id = at(s, &format!("{USER}/properties/id"));
            id["maxLength"] = json!(64);
            id["pattern"] = json!("^[a-z]+$");
            id["readOnly"] = json!(true);
            at(s, USER)["additionalProperties"] = json!(false);
            at(s, &format!("{USER}/properties/tags"))["maxItems"] = json!(5);
        });
        assert_eq!(
            wire,
            (
                vec![
                    "wire-only  User.id: changed maxLength none -> 64, pattern none -> ^[a-z]+$, readOnly none -> true"
                        .to_owned(),
                    "wire-only  User.tags: changed maxItems none -> 5".to_owned(),
                    "wire-only  User: changed additionalProperties none -> false".to_owned(),
                ],
                Semver::Patch
            )
        );
        let typed = changes(|s| {
            at(s, &format!("{USER}/properties/age"))["minimum"] = json!(0);
            at(s, &format!("{USER}/properties/tags"))["uniqueItems"] = json!(true);
            at(s, &format!("{USER}/properties/id"))["default"] = json!("none");
            at(s, &format!("{USER}/properties/id"))["maxLength"] = json!(64);
        });
        assert_eq!(
            typed.0,
            [
                "breaking  User.id: changed default none -> none",
                "breaking  User.age: changed minimum none -> 0",
                "breaking  User.tags: changed uniqueItems none -> true",
                "wire-only  User.id: changed maxLength none -> 64",
            ]
        );
        let map = changes(|s| at(s, USER)["additionalProperties"] = json!({"type": "string"}));
        assert_eq!(map.1, Semver::Major, "{:?}", map.0);
        let fixed = changes(|s| {
            let tags = at(s, &format!("{USER}/properties/tags"));
            tags["minItems"] = json!(2);
            tags["maxItems"] = json!(2);
        });
        assert_eq!(fixed.1, Semver::Major, "a [String; 2]: {:?}", fixed.0);
    }

    #[test]
    fn the_title_of_an_inline_record_names_its_rust_type() {
        let mut old = base();
        properties(&mut old, USER).insert(
            "address".into(),
            json!({"type": "object", "properties": {"city": {"type": "string"}}}),
        );
        let mut new = old.clone();
        at(&mut new, &format!("{USER}/properties/address"))["title"] = json!("Place");
        assert_eq!(
            lines(&old, &new),
            one(
                "breaking  User.address: title changed none -> Place, which names its Rust type",
                Semver::Major
            )
        );
    }

    #[test]
    fn the_report_lists_breaking_first_then_a_summary_and_the_bump() {
        let mut new = base();
        at(&mut new, "/components/schemas")["Role"] = json!({"type": "string"});
        properties(&mut new, USER).remove("age");
        at(&mut new, &format!("{USER}/properties/id"))["maxLength"] = json!(64);
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
             wire-only  User.id: changed maxLength none -> 64\n\
             summary: 2 breaking, 1 additive, 1 wire-only\n\
             semver: major (for a 0.x crate: bump the minor version)"
        );
        assert_eq!(
            diff(&base(), &base()).to_string(),
            "summary: 0 breaking, 0 additive, 0 wire-only\nsemver: patch"
        );
    }
}
