//! `cargo xtask spec sync NEW`: refreshes `spec/identity.json` from a spec as the service serves
//! it, keeping our prose.
//!
//! The structure (every path, operation, parameter, body, response, schema, property and their
//! keywords, in NEW's key order) is NEW's. Summaries, descriptions, titles and OAuth2 scope
//! descriptions are ours: each item NEW still has keeps ours, placed where it stood in our
//! file. Each item new in NEW gets [`PLACEHOLDER`] for the prose every such item has in our
//! spec (an operation's summary and description, a description for the rest) and is listed, so
//! a person writes it; NEW's own prose is the vendor's and is never carried over, nor are its
//! examples and other generators' `x-` annotations (`x-fbn-apistatus`, the API status, is
//! structure).
//!
//! Items are matched between the two files as the differ matches them: operations by
//! `operationId` (so a moved operation keeps its prose), parameters by name and location, tags
//! by name, servers by URL, everything else by its key.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::diff::{self, Report};
use crate::passes::METHODS;
use crate::spec::{self, SpecError};

/// The prose a new item gets until a person writes ours.
pub const PLACEHOLDER: &str = "TODO: describe";

/// Keys whose values are prose: ours where the item survives, never NEW's.
const PROSE: &[&str] = &["summary", "description", "title"];

/// Why a sync failed. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Spec(#[from] SpecError),
    #[error("{}: cannot write the synced spec: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What a sync made.
#[derive(Debug, Clone, PartialEq)]
pub struct Synced {
    /// NEW's structure with our prose.
    pub tree: Value,
    /// Each new item that holds the placeholder, and where: e.g.
    /// `operation ListEndpoints (GET /api/metadata/endpoints): summary, description`.
    pub needs_prose: Vec<String>,
}

/// What [`sync_file`] did, for printing.
#[derive(Debug)]
pub struct Outcome {
    pub synced: Synced,
    /// From our spec before the sync to after it.
    pub report: Report,
    /// `info.version` before and after.
    pub versions: (String, String),
}

/// Syncs the spec at `ours` with `new` (JSON or YAML) and writes it back to `ours`.
pub fn sync_file(ours: &Path, new: &Path) -> Result<Outcome, SyncError> {
    let before = spec::load(ours)?.raw;
    let served = spec::load(new)?.raw;
    let synced = sync(&before, &served);
    std::fs::write(ours, to_text(&synced.tree)).map_err(|source| SyncError::Write {
        path: ours.to_owned(),
        source,
    })?;
    let version = |tree: &Value| {
        tree.pointer("/info/version")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_owned()
    };
    Ok(Outcome {
        report: diff::diff(&before, &synced.tree),
        versions: (version(&before), version(&synced.tree)),
        synced,
    })
}

/// A spec as `spec/identity.json` is written: JSON indented by two spaces, a final newline.
pub fn to_text(tree: &Value) -> String {
    let mut text = serde_json::to_string_pretty(tree).expect("a JSON tree always serialises");
    text.push('\n');
    text
}

/// NEW's structure with `ours`'s prose; see the module docs.
pub fn sync(ours: &Value, new: &Value) -> Synced {
    let mut walk = Walk {
        operations: operations_by_id(ours),
        needs_prose: Vec::new(),
    };
    let root = Here {
        role: Role::Document,
        at: String::new(),
        label: String::new(),
    };
    let tree = walk.value(new, Some(ours), &root);
    Synced {
        tree,
        needs_prose: walk.needs_prose,
    }
}

/// Whether NEW's `key` stays out of our spec: examples and the terms of service are the
/// vendor's text, not structure; `x-` annotations are other generators'.
fn left_out(key: &str) -> bool {
    matches!(key, "example" | "examples" | "termsOfService")
        || (key.starts_with("x-") && key != "x-fbn-apistatus")
}

/// What a node of the tree is: which of its keys are names rather than keywords, and whether
/// it is an item whose prose we write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Document,
    Components,
    Paths,
    PathItem,
    Operation,
    Parameters,
    Parameter,
    RequestBodies,
    RequestBody,
    Responses,
    Response,
    Schemas,
    Schema,
    Properties,
    Property,
    Tags,
    Tag,
    /// An OAuth2 flow's scopes: name to description, which is prose.
    Scopes,
    /// Any other map keyed by names: media types, headers, security schemes…
    Names,
    /// An object of keywords that is no item: a media type, an inline schema, `info`…
    Plain,
}

impl Role {
    /// The keys of this object are names (of paths, statuses, properties…), never prose.
    fn keyed_by_name(self) -> bool {
        matches!(
            self,
            Role::Paths
                | Role::Parameters
                | Role::RequestBodies
                | Role::Responses
                | Role::Schemas
                | Role::Properties
                | Role::Scopes
                | Role::Names
        )
    }

    /// The prose every item of this kind has in our spec, which a new one gets placeholders for.
    fn prose(self) -> &'static [&'static str] {
        match self {
            Role::Operation => &["summary", "description"],
            Role::Parameter
            | Role::RequestBody
            | Role::Response
            | Role::Schema
            | Role::Property
            | Role::Tag => &["description"],
            _ => &[],
        }
    }

    /// The role of the value at `key` in an object of this role.
    fn child(self, key: &str) -> Role {
        match self {
            Role::Paths => Role::PathItem,
            Role::Parameters => Role::Parameter,
            Role::RequestBodies => Role::RequestBody,
            Role::Responses => Role::Response,
            Role::Schemas => Role::Schema,
            Role::Properties => Role::Property,
            Role::Names => Role::Plain,
            Role::Document => match key {
                "paths" => Role::Paths,
                "components" => Role::Components,
                "tags" => Role::Tags,
                _ => Role::Plain,
            },
            Role::Components => match key {
                "schemas" => Role::Schemas,
                "parameters" => Role::Parameters,
                "requestBodies" => Role::RequestBodies,
                "responses" => Role::Responses,
                _ => Role::Names,
            },
            Role::PathItem if METHODS.contains(&key) => Role::Operation,
            Role::PathItem | Role::Operation if key == "parameters" => Role::Parameters,
            Role::Operation if key == "requestBody" => Role::RequestBody,
            Role::Operation if key == "responses" => Role::Responses,
            _ => match key {
                "properties" => Role::Properties,
                "scopes" => Role::Scopes,
                "content" | "headers" | "links" | "encoding" | "variables" | "mapping"
                | "callbacks" => Role::Names,
                _ => Role::Plain,
            },
        }
    }

    /// The role of an element of an array of this role.
    fn element(self) -> Role {
        match self {
            Role::Parameters => Role::Parameter,
            Role::Tags => Role::Tag,
            _ => Role::Plain,
        }
    }
}

/// A node being walked: its role, where it is in the differ's words (`GetUser: response 200`,
/// `User.roles[]`), and how the list of new items names it.
struct Here {
    role: Role,
    at: String,
    label: String,
}

impl Here {
    /// The node holding `value` at `key` of this one.
    fn child(&self, key: &str, value: &Value) -> Here {
        let role = self.role.child(key);
        let at = match role {
            Role::PathItem => key.to_owned(),
            Role::Operation => match value.get("operationId").and_then(Value::as_str) {
                Some(id) => id.to_owned(),
                None => format!("{} {}", key.to_uppercase(), self.at),
            },
            Role::Parameter => self.owned(&format!("parameter {key}")),
            Role::RequestBody if self.role == Role::Operation => {
                format!("{}: request body", self.at)
            }
            Role::RequestBody => self.owned(&format!("request body {key}")),
            Role::Response => self.owned(&format!("response {key}")),
            Role::Schema => key.to_owned(),
            Role::Property => format!("{}.{key}", self.at),
            _ if key == "items" => format!("{}[]", self.at),
            _ => self.at.clone(),
        };
        let label = match role {
            Role::Operation => format!("operation {at} ({} {})", key.to_uppercase(), self.at),
            Role::Schema => format!("schema {at}"),
            _ => at.clone(),
        };
        Here { role, at, label }
    }

    /// An element of an array.
    fn element(&self, value: &Value) -> Here {
        let role = self.role.element();
        let text = |k: &str| value.get(k).and_then(Value::as_str).unwrap_or("?");
        let at = match role {
            Role::Parameter => self.owned(&format!("parameter {} ({})", text("name"), text("in"))),
            Role::Tag => format!("tag {}", text("name")),
            _ => self.at.clone(),
        };
        Here {
            role,
            label: at.clone(),
            at,
        }
    }

    /// `what` of the operation or path this node is under (`GetUser: parameter id (path)`), or
    /// of the components (`parameter Id`).
    fn owned(&self, what: &str) -> String {
        if self.at.is_empty() {
            what.to_owned()
        } else {
            format!("{}: {what}", self.at)
        }
    }
}

struct Walk<'a> {
    /// Our operations by id: NEW's operation finds its prose there wherever its path now is.
    operations: HashMap<&'a str, &'a Value>,
    needs_prose: Vec<String>,
}

fn operations_by_id(tree: &Value) -> HashMap<&str, &Value> {
    tree.get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|paths| paths.values())
        .flat_map(|item| METHODS.iter().filter_map(|method| item.get(*method)))
        .filter_map(|op| Some((op.get("operationId")?.as_str()?, op)))
        .collect()
}

impl<'a> Walk<'a> {
    fn value(&mut self, new: &Value, ours: Option<&'a Value>, here: &Here) -> Value {
        match new {
            Value::Object(map) => Value::Object(self.object(map, ours, here)),
            Value::Array(items) => {
                let ours = ours.and_then(Value::as_array);
                let items = items.iter().enumerate().map(|(index, item)| {
                    let counterpart = ours.and_then(|ours| counterpart(ours, item, index));
                    self.value(item, counterpart, &here.element(item))
                });
                Value::Array(items.collect())
            }
            other => other.clone(),
        }
    }

    fn object(
        &mut self,
        new: &Map<String, Value>,
        ours: Option<&'a Value>,
        here: &Here,
    ) -> Map<String, Value> {
        let names = here.role.keyed_by_name();
        // A `$ref`'s siblings mean nothing in OpenAPI 3.0; our spec leaves them bare.
        let wanted = here.role.prose();
        let new_item = ours.is_none() && !wanted.is_empty() && !new.contains_key("$ref");
        if new_item {
            // Listed before what it holds: an operation before its parameters.
            let line = format!("{}: {}", here.label, wanted.join(", "));
            self.needs_prose.push(line);
        }
        let mut out: Vec<(String, Value)> = Vec::new();
        for (key, value) in new {
            if !names && (PROSE.contains(&key.as_str()) || left_out(key)) {
                continue;
            }
            if here.role == Role::Scopes {
                let ours = ours
                    .and_then(|ours| ours.get(key))
                    .filter(|v| v.is_string());
                let described = ours.cloned().unwrap_or_else(|| {
                    self.needs_prose.push(format!("scope {key}: description"));
                    Value::String(PLACEHOLDER.to_owned())
                });
                out.push((key.clone(), described));
                continue;
            }
            let child = here.child(key, value);
            let counterpart = match child.role {
                Role::Operation => value
                    .get("operationId")
                    .and_then(Value::as_str)
                    .and_then(|id| self.operations.get(id).copied())
                    .or_else(|| ours?.get(key)),
                _ => ours.and_then(|ours| ours.get(key)),
            };
            out.push((key.clone(), self.value(value, counterpart, &child)));
        }
        if !names {
            match ours.and_then(Value::as_object) {
                Some(ours) => {
                    let layout: Vec<(&str, Option<&Value>)> = ours
                        .iter()
                        .map(|(k, v)| (k.as_str(), PROSE.contains(&k.as_str()).then_some(v)))
                        .collect();
                    place_prose(&mut out, &layout);
                }
                None if new_item => placeholders(&mut out, new, wanted),
                None => {}
            }
        }
        out.into_iter().collect()
    }
}

/// A new item's placeholders for the `wanted` prose: where NEW has prose, else first.
fn placeholders(out: &mut Vec<(String, Value)>, new: &Map<String, Value>, wanted: &[&str]) {
    let placeholder = Value::String(PLACEHOLDER.to_owned());
    let mut layout: Vec<(&str, Option<&Value>)> = wanted
        .iter()
        .filter(|key| !new.contains_key(**key))
        .map(|key| (*key, Some(&placeholder)))
        .collect();
    for key in new.keys().map(String::as_str) {
        match (PROSE.contains(&key), wanted.contains(&key)) {
            (false, _) => layout.push((key, None)),
            (true, true) => layout.push((key, Some(&placeholder))),
            // NEW's `title` is not replaced: typify names an inline type after its title.
            (true, false) => {}
        }
    }
    place_prose(out, &layout);
}

/// Inserts the prose of `layout` (its keys in order, the prose ones with their value) into
/// `out`, each right after the nearest key before it that `out` has, else first: our file's
/// layout survives NEW's key order.
fn place_prose(out: &mut Vec<(String, Value)>, layout: &[(&str, Option<&Value>)]) {
    for (index, (key, value)) in layout.iter().enumerate() {
        let Some(value) = value else {
            continue;
        };
        let position = layout[..index]
            .iter()
            .rev()
            .find_map(|(before, _)| out.iter().position(|(k, _)| k == before))
            .map_or(0, |p| p + 1);
        out.insert(position, ((*key).to_owned(), (*value).clone()));
    }
}

/// The element of `ours` that stands for NEW's `item`: same name and location (parameters),
/// same name (tags), same `$ref` or URL; an element with none of these, by position.
fn counterpart<'a>(ours: &'a [Value], item: &Value, index: usize) -> Option<&'a Value> {
    match identity(item) {
        Some(id) => ours.iter().find(|o| identity(o).as_ref() == Some(&id)),
        None => ours.get(index).filter(|o| identity(o).is_none()),
    }
}

fn identity(value: &Value) -> Option<(&'static str, String)> {
    let text = |k: &str| value.get(k).and_then(Value::as_str);
    if let Some(name) = text("name") {
        return Some(("name", format!("{name} {}", text("in").unwrap_or(""))));
    }
    [("$ref", text("$ref")), ("url", text("url"))]
        .into_iter()
        .find_map(|(kind, v)| Some((kind, v?.to_owned())))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_moved_operation_and_reordered_parameters_keep_their_prose() {
        let ours = json!({"paths": {"/a/{id}": {"get": {
            "summary": "Ours", "operationId": "GetA", "parameters": [
                {"name": "id", "in": "path", "description": "Our id"},
                {"name": "id", "in": "query", "description": "Our filter"}]}}}});
        let new = json!({"paths": {"/b/{id}": {"get": {
            "operationId": "GetA", "summary": "Theirs", "parameters": [
                {"description": "Their filter", "in": "query", "name": "id"},
                {"description": "Their id", "in": "path", "name": "id"}]}}}});
        let synced = sync(&ours, &new);
        // Compared as text, for the order: NEW's keys, ours after the key they followed.
        assert_eq!(
            to_text(&synced.tree),
            to_text(&json!({"paths": {"/b/{id}": {"get": {
                "summary": "Ours", "operationId": "GetA", "parameters": [
                    {"in": "query", "description": "Our filter", "name": "id"},
                    {"in": "path", "description": "Our id", "name": "id"}]}}}}))
        );
        assert!(synced.needs_prose.is_empty());
    }

    #[test]
    fn new_items_get_placeholders_but_no_title_and_a_ref_stays_bare() {
        let ours = json!({"components": {"schemas": {}}});
        let new = json!({"components": {"schemas": {"Pair": {
            "title": "Theirs", "type": "object", "properties": {
                "left": {"$ref": "#/components/schemas/Side", "description": "Theirs"},
                "description": {"type": "string"}}}}}});
        let synced = sync(&ours, &new);
        assert_eq!(
            to_text(&synced.tree),
            to_text(&json!({"components": {"schemas": {"Pair": {
                "description": PLACEHOLDER, "type": "object", "properties": {
                    "left": {"$ref": "#/components/schemas/Side"},
                    "description": {"description": PLACEHOLDER, "type": "string"}}}}}}))
        );
        assert_eq!(
            synced.needs_prose,
            ["schema Pair: description", "Pair.description: description"]
        );
    }

    #[test]
    fn scope_descriptions_are_prose_too() {
        let scopes = |scopes: Value| {
            json!({"components": {"securitySchemes": {"oauth2": {"type": "oauth2",
                "flows": {"implicit": {"scopes": scopes}}}}}})
        };
        let ours = scopes(json!({"read": "Ours"}));
        let new = scopes(json!({"read": "Theirs", "write": "Theirs"}));
        let synced = sync(&ours, &new);
        assert_eq!(
            synced.tree,
            scopes(json!({"read": "Ours", "write": PLACEHOLDER}))
        );
        assert_eq!(synced.needs_prose, ["scope write: description"]);
    }

    #[test]
    fn examples_and_foreign_annotations_stay_out_but_the_api_status_stays() {
        let new = json!({"info": {"termsOfService": "https://x", "x-logo": {}, "version": "2"},
            "paths": {"/a": {"get": {"operationId": "A", "x-fbn-apistatus": "Beta",
                "x-accepts": ["application/json"], "responses": {}}}}});
        let ours =
            json!({"info": {"version": "1"}, "paths": {"/a": {"get": {"operationId": "A"}}}});
        assert_eq!(
            sync(&ours, &new).tree,
            json!({"info": {"version": "2"},
                "paths": {"/a": {"get": {"operationId": "A", "x-fbn-apistatus": "Beta", "responses": {}}}}})
        );
    }
}
