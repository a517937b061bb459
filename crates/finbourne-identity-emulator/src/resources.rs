//! The generic resource engine: collections served from the shapes of their paths in the
//! operations table, with records kept as JSON.
//!
//! A *family* is a collection path with only literal segments (`/api/networkzones`) and its
//! items, the same path followed by parameters only (`/api/networkzones/{code}`,
//! `/api/mcptools/{scope}/{code}`). The table makes it a family when it has a way to create
//! (`POST` on the collection or on an item) and a way to read (`GET` on either). Its operations
//! then mean:
//!
//! | method and path | verb |
//! |---|---|
//! | `GET /api/x` | list |
//! | `POST /api/x` or `POST /api/x/{k..}` | create |
//! | `GET /api/x/{k..}` | get |
//! | `PUT /api/x/{k..}` | update |
//! | `DELETE /api/x/{k..}` | delete |
//!
//! Nothing here names a family: a newer spec that adds one is served as soon as the client is
//! regenerated. What the engine does by itself:
//!
//! - the request body must be a JSON object holding every field the operation's smallest body
//!   (`minimal_body` in the table: the schema's required properties, nested) holds, with the
//!   same JSON type; otherwise `400` naming the field;
//! - keys: from the path, else from the body when the create body requires the key field, else a
//!   new random id; a second record with the same keys is `409`, an unknown key `404`;
//! - `createdAt`, `createdBy`, `updatedAt`, `updatedBy` from the emulator's clock and the caller;
//! - an update replaces the record's fields with the body's, keeping its keys, its creation
//!   fields and the fields the create body required that the update body neither requires nor
//!   gives (they can only be set at creation);
//! - fields whose names start with `$` are the emulator's own (secrets, owners, history): never
//!   taken from a request, never shown.
//!
//! Hand code adds meaning per family through [`Meaning`] (see `crate::area`).

use std::collections::{BTreeMap, HashMap};
use std::sync::MutexGuard;

use axum::http::{StatusCode, header};
use chrono::{DateTime, SecondsFormat, Utc};
use finbourne_identity_client::operations::{
    OPERATIONS, Operation, Param, ParamKind, ParamLocation,
};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use crate::operations::PathParams;
use crate::reply::{self, CODE_DUPLICATE, CODE_UNKNOWN, Reply, problem, validation};
use crate::state::{State, random_id};
use crate::{Shared, lock};

/// An answer, or the error answer that ended the request early.
pub(crate) type Answer = Result<Reply, Reply>;

/// A JSON record.
pub(crate) type Record = Map<String, Value>;

/// What the engine and the areas need to know of an operation (a copy of the table's entry,
/// so that tests can describe operations a newer spec might add).
#[derive(Debug, Clone, Copy)]
pub(crate) struct OpInfo {
    pub(crate) operation_id: &'static str,
    pub(crate) method: &'static str,
    pub(crate) path: &'static str,
    pub(crate) params: &'static [Param],
    pub(crate) minimal_body: Option<&'static str>,
}

impl From<&'static Operation> for OpInfo {
    fn from(op: &'static Operation) -> Self {
        OpInfo {
            operation_id: op.operation_id,
            method: op.method,
            path: op.path,
            params: op.params,
            minimal_body: op.minimal_body,
        }
    }
}

/// One authenticated request to an operation served here.
pub(crate) struct Call<'a> {
    pub(crate) shared: &'a Shared,
    pub(crate) op: OpInfo,
    /// The signed-in user's login.
    pub(crate) username: &'a str,
    /// The bearer token the request carried.
    pub(crate) bearer: Option<&'a str>,
    pub(crate) params: &'a PathParams,
    pub(crate) query: &'a [(String, String)],
    pub(crate) body: &'a [u8],
    /// The request path, for problem details' `instance`.
    pub(crate) instance: &'a str,
}

impl Call<'_> {
    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.shared.state)
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.shared.clock.now()
    }

    /// A path parameter, decoded.
    pub(crate) fn param(&self, name: &str) -> &str {
        self.params.get(name)
    }

    /// The first query parameter with this name (ASCII case-insensitive, like the service).
    pub(crate) fn query(&self, name: &str) -> Option<&str> {
        self.query_all(name).into_iter().next()
    }

    /// Every value of a repeated query parameter, in order.
    pub(crate) fn query_all(&self, name: &str) -> Vec<&str> {
        self.query
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// A boolean query parameter (checked by [`check_query`]); absent is `false`.
    pub(crate) fn flag(&self, name: &str) -> bool {
        self.query(name)
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
    }

    /// A date-time query parameter (checked by [`check_query`]).
    pub(crate) fn date_query(&self, name: &str) -> Option<DateTime<Utc>> {
        self.query(name).and_then(parse_date_time)
    }

    /// An integer query parameter (checked by [`check_query`]).
    pub(crate) fn int_query(&self, name: &str) -> Option<i64> {
        self.query(name).and_then(|v| v.trim().parse().ok())
    }

    /// The JSON body as an object, checked against the operation's smallest body; fields the
    /// emulator keeps for itself (`$...`) are dropped. `Err` is the 400 answer naming the field.
    pub(crate) fn body_object(&self) -> Result<Record, Reply> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Err(reply::invalid_field(
                "body",
                "A non-empty JSON request body is required.",
                self.instance,
            ));
        }
        let value: Value = serde_json::from_slice(self.body).map_err(|e| {
            reply::invalid_field(
                "body",
                format!("The request body is not valid JSON: {e}"),
                self.instance,
            )
        })?;
        let Value::Object(mut record) = value else {
            return Err(reply::invalid_field(
                "body",
                "The request body must be a JSON object.",
                self.instance,
            ));
        };
        record.retain(|k, _| !k.starts_with('$'));
        if let Some(minimal) = self
            .op
            .minimal_body
            .and_then(|m| serde_json::from_str(m).ok())
        {
            let mut errors = BTreeMap::new();
            required_errors(&minimal, &Value::Object(record.clone()), "", &mut errors);
            if !errors.is_empty() {
                return Err(validation(errors, self.instance));
            }
        }
        Ok(record)
    }

    /// The caller's user id, or the login when the caller has no user record.
    pub(crate) fn caller_id(&self, st: &State) -> String {
        st.user_by_login(self.username)
            .map_or_else(|| self.username.to_owned(), |u| u.id.clone())
    }
}

/// An instant as the API writes it (RFC 3339, UTC).
pub(crate) fn timestamp(at: DateTime<Utc>) -> Value {
    Value::String(at.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

/// Parses an RFC 3339 date-time; a `+` that arrived unencoded in a query (decoded as a space) is
/// taken back as `+`.
pub(crate) fn parse_date_time(raw: &str) -> Option<DateTime<Utc>> {
    let raw = raw.trim();
    DateTime::parse_from_rfc3339(raw)
        .or_else(|_| DateTime::parse_from_rfc3339(&raw.replace(' ', "+")))
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// The JSON type of a value, in the words of the messages.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Collects the fields `minimal` requires that `body` lacks (or holds as another JSON type),
/// recursing into nested objects; field names are dotted from the top (`applyRules.userRoles`).
/// A required string that is empty or blank counts as missing, as the service's model
/// validation has it.
pub(crate) fn required_errors(
    minimal: &Value,
    body: &Value,
    prefix: &str,
    errors: &mut BTreeMap<String, Vec<String>>,
) {
    let (Value::Object(wanted), Value::Object(got)) = (minimal, body) else {
        return;
    };
    for (name, example) in wanted {
        let field = format!("{prefix}{name}");
        let missing = match got.get(name) {
            None | Some(Value::Null) => true,
            Some(Value::String(s)) => s.trim().is_empty() && example.is_string(),
            Some(_) => false,
        };
        if missing {
            errors
                .entry(field.clone())
                .or_default()
                .push(format!("The {field} field is required."));
            continue;
        }
        let value = &got[name];
        if std::mem::discriminant(value) != std::mem::discriminant(example) {
            errors.entry(field.clone()).or_default().push(format!(
                "The {field} field must be {}, not {}.",
                kind(example),
                kind(value)
            ));
            continue;
        }
        if example.is_object() {
            required_errors(example, value, &format!("{field}."), errors);
        }
    }
}

/// Checks the query parameters the table declares: required ones present, booleans, integers
/// and date-times parseable. `Err` is the 400 answer naming every parameter at fault.
pub(crate) fn check_query(call: &Call<'_>) -> Result<(), Reply> {
    let mut errors = BTreeMap::new();
    for param in call.op.params {
        if param.location != ParamLocation::Query {
            continue;
        }
        let values = call.query_all(param.name);
        if values.iter().all(|v| v.trim().is_empty()) {
            if param.required {
                errors
                    .entry(param.name.to_owned())
                    .or_insert_with(Vec::new)
                    .push(format!("The {} field is required.", param.name));
            }
            continue;
        }
        for raw in values.iter().map(|v| v.trim()).filter(|v| !v.is_empty()) {
            let problem = match param.kind {
                ParamKind::Boolean
                    if !raw.eq_ignore_ascii_case("true") && !raw.eq_ignore_ascii_case("false") =>
                {
                    Some("use true or false")
                }
                ParamKind::Integer if raw.parse::<i64>().is_err() => Some("use a whole number"),
                ParamKind::DateTime if parse_date_time(raw).is_none() => {
                    Some("use an RFC 3339 date-time, such as 2026-07-01T12:00:00Z")
                }
                _ => None,
            };
            if let Some(hint) = problem {
                errors
                    .entry(param.name.to_owned())
                    .or_insert_with(Vec::new)
                    .push(format!("The value '{raw}' is not valid: {hint}."));
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(validation(errors, call.instance))
    }
}

/// 400 problem details about one field with a code of the service's list (such as 787,
/// password rejected), in the validation shape.
pub(crate) fn field_problem(
    code: i32,
    name: &str,
    field: &str,
    message: impl Into<String>,
    instance: &str,
) -> Reply {
    let mut reply = reply::invalid_field(field, message, instance);
    if let reply::ReplyBody::Json(Value::Object(map), _) = &mut reply.body {
        map.insert("code".into(), json!(code));
        map.insert("name".into(), json!(name));
    }
    reply
}

/// A record's fields without the emulator's own (`$...`).
pub(crate) fn visible_fields(record: &Record) -> Value {
    Value::Object(
        record
            .iter()
            .filter(|(k, _)| !k.starts_with('$'))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    )
}

/// A record in the shape of an answer schema: decoded as the client's generated type and encoded
/// again, which keeps the schema's fields and drops the rest. A record that does not decode is
/// answered as it is (without the emulator's own fields).
pub(crate) fn shaped<T: DeserializeOwned + Serialize>(record: &Record) -> Value {
    let visible = visible_fields(record);
    serde_json::from_value::<T>(visible.clone())
        .ok()
        .and_then(|typed| serde_json::to_value(typed).ok())
        .unwrap_or(visible)
}

// ----- families -----------------------------------------------------------------------------

/// What an operation does to its family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verb {
    List,
    Create,
    Get,
    Update,
    Delete,
}

/// A collection and the shape of its items' paths, derived from the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Family {
    /// The collection path, such as `/api/networkzones`.
    pub(crate) collection: &'static str,
    /// The parameters that name an item, in path order (`["scope", "code"]`); `["id"]` when the
    /// table has no item path.
    pub(crate) keys: Vec<&'static str>,
    /// The smallest body of the create operation.
    pub(crate) create_body: Option<&'static str>,
    /// Whether the create operation names the new item in its path.
    pub(crate) keys_in_create_path: bool,
}

/// One entry of a table, as [`classify_in`] reads it: method, path, smallest body.
pub(crate) type Entry = (&'static str, &'static str, Option<&'static str>);

/// Splits a path into its collection (the literal segments, at least two: `/api/x`) and its
/// trailing parameters; `None` when a literal follows a parameter.
fn split(path: &'static str) -> Option<(&'static str, Vec<&'static str>)> {
    let mut literal_end = 0;
    let mut keys = Vec::new();
    let mut literals = 0;
    let mut offset = 0;
    for segment in path.split('/') {
        let start = offset;
        offset += segment.len() + 1;
        if segment.is_empty() {
            continue;
        }
        if segment.len() > 2 && segment.starts_with('{') && segment.ends_with('}') {
            keys.push(&segment[1..segment.len() - 1]);
        } else if keys.is_empty() {
            literals += 1;
            literal_end = start + segment.len();
        } else {
            return None;
        }
    }
    (literals >= 2).then(|| (&path[..literal_end], keys))
}

/// The family and verb of `method` on `path` among the operations of `table`, or `None` when the
/// path is no family's (see the module documentation).
pub(crate) fn classify_in(
    method: &str,
    path: &'static str,
    table: &[Entry],
) -> Option<(Family, Verb)> {
    let (collection, keys) = split(path)?;
    let verb = match (method, keys.is_empty()) {
        ("GET", true) => Verb::List,
        ("POST", _) => Verb::Create,
        ("GET", false) => Verb::Get,
        ("PUT", false) => Verb::Update,
        ("DELETE", false) => Verb::Delete,
        _ => return None,
    };
    let members: Vec<(&Entry, Vec<&'static str>)> = table
        .iter()
        .filter_map(|entry| {
            split(entry.1)
                .filter(|(c, _)| *c == collection)
                .map(|(_, k)| (entry, k))
        })
        .collect();
    let mut item_keys: Option<Vec<&'static str>> = None;
    for (_, k) in members.iter().filter(|(_, k)| !k.is_empty()) {
        match &item_keys {
            None => item_keys = Some(k.clone()),
            Some(seen) if seen != k => return None,
            Some(_) => {}
        }
    }
    let create = members.iter().find(|(e, _)| e.0 == "POST")?;
    if !members.iter().any(|(e, _)| e.0 == "GET") {
        return None;
    }
    let family = Family {
        collection,
        keys: item_keys.unwrap_or_else(|| vec!["id"]),
        create_body: create.0.2,
        keys_in_create_path: !create.1.is_empty(),
    };
    Some((family, verb))
}

/// The family and verb of an operation of the generated table.
pub(crate) fn classify(method: &str, path: &'static str) -> Option<(Family, Verb)> {
    let table: Vec<Entry> = OPERATIONS
        .iter()
        .map(|op| (op.method, op.path, op.minimal_body))
        .collect();
    classify_in(method, path, &table)
}

/// The top-level fields a smallest body holds.
fn required_fields(minimal: Option<&str>) -> Vec<String> {
    minimal
        .and_then(|m| serde_json::from_str::<Record>(m).ok())
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

// ----- records ------------------------------------------------------------------------------

/// The records of every family, by collection path, in creation order.
#[derive(Debug, Default)]
pub(crate) struct Store {
    collections: HashMap<String, Vec<Record>>,
}

/// Fields the engine fills on every record.
const CREATED_AT: &str = "createdAt";
const CREATED_BY: &str = "createdBy";
const UPDATED_AT: &str = "updatedAt";
const UPDATED_BY: &str = "updatedBy";
/// Marks a record deleted by a family whose deletes are soft.
pub(crate) const DELETED: &str = "$deleted";

fn is_live(record: &Record) -> bool {
    !record
        .get(DELETED)
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

fn has_keys(record: &Record, keys: &[(&str, String)]) -> bool {
    keys.iter()
        .all(|(k, v)| record.get(*k).and_then(Value::as_str) == Some(v.as_str()))
}

impl Store {
    /// The live records of a collection, in creation order.
    pub(crate) fn records(&self, collection: &str) -> impl Iterator<Item = &Record> {
        self.collections
            .get(collection)
            .into_iter()
            .flatten()
            .filter(|r| is_live(r))
    }

    /// Every record of a collection, deleted ones included.
    pub(crate) fn all_mut(&mut self, collection: &str) -> &mut Vec<Record> {
        self.collections.entry(collection.to_owned()).or_default()
    }

    /// The index of the live record with these keys.
    pub(crate) fn position(&self, collection: &str, keys: &[(&str, String)]) -> Option<usize> {
        self.collections
            .get(collection)?
            .iter()
            .position(|r| is_live(r) && has_keys(r, keys))
    }
}

// ----- meaning ------------------------------------------------------------------------------

/// What changed, for [`Meaning::stored`].
pub(crate) enum Change {
    Created,
    Updated,
    Deleted,
}

/// The meaning hand code gives a family; every method has the engine's default.
/// What a family's records are called in its answers: `NetworkZone`, "a network zone", "code".
pub(crate) struct Named {
    /// The problem-details name's stem: `NetworkZone` gives `NetworkZoneNotFound`.
    pub(crate) kind: &'static str,
    /// `A` or `An`, for the noun.
    pub(crate) article: &'static str,
    pub(crate) noun: &'static str,
    /// What the key is: `code`, `scope and code`.
    pub(crate) key: &'static str,
}

pub(crate) trait Meaning: Sync {
    /// The prefix of the ids the engine makes for new records.
    fn id_prefix(&self) -> &'static str {
        ""
    }

    /// The status of a successful create.
    fn create_status(&self) -> StatusCode {
        StatusCode::CREATED
    }

    /// What the family's records are called, for its 404 and 409 answers; `None`: named by
    /// the path.
    fn named(&self) -> Option<Named> {
        None
    }

    /// The 404 answer for an unknown key.
    fn not_found(&self, call: &Call<'_>, key: &str) -> Reply {
        match self.named() {
            Some(n) => reply::not_found(
                CODE_UNKNOWN,
                &format!("{}NotFound", n.kind),
                format!("No {} has the {} '{key}'.", n.noun, n.key),
                call.instance,
            ),
            None => reply::not_found(
                CODE_UNKNOWN,
                "ResourceNotFound",
                format!("Nothing under {} has the key '{key}'.", call.op.path),
                call.instance,
            ),
        }
    }

    /// The 409 answer for a key that is taken.
    fn duplicate(&self, call: &Call<'_>, key: &str) -> Reply {
        let Some(n) = self.named() else {
            return problem(
                StatusCode::CONFLICT,
                CODE_DUPLICATE,
                "ResourceAlreadyExists",
                "Already exists",
                format!(
                    "Something under {} already has the key '{key}'.",
                    call.op.path
                ),
                call.instance,
            );
        };
        let mut title = n.noun.to_owned();
        if let Some(first) = title.get_mut(..1) {
            first.make_ascii_uppercase();
        }
        problem(
            StatusCode::CONFLICT,
            CODE_DUPLICATE,
            &format!("{}AlreadyExists", n.kind),
            &format!("{title} already exists"),
            format!(
                "{} {} with the {} '{key}' already exists.",
                n.article, n.noun, n.key
            ),
            call.instance,
        )
    }

    /// Whether the caller may see (and change) this record.
    fn visible(&self, _call: &Call<'_>, _record: &Record) -> bool {
        true
    }

    /// Checks a new record (`old` is `None`) or an updated one and fills the fields the service
    /// computes; `Err` is the answer.
    fn prepare(
        &self,
        _call: &Call<'_>,
        _st: &State,
        _record: &mut Record,
        _old: Option<&Record>,
    ) -> Result<(), Reply> {
        Ok(())
    }

    /// Effects of a stored change elsewhere in the state (tokens, order...), after the write.
    fn stored(&self, _call: &Call<'_>, _st: &mut State, _change: Change, _record: &Record) {}

    /// The record in the shape of the operation's answer.
    fn present(&self, _call: &Call<'_>, record: &Record) -> Result<Value, Reply> {
        Ok(visible_fields(record))
    }

    /// The answer to a successful delete.
    fn deleted(&self, _call: &Call<'_>, _record: &Record) -> Result<Reply, Reply> {
        Ok(Reply::empty(StatusCode::NO_CONTENT))
    }

    /// Whether deleting an unknown key succeeds (the delete is idempotent).
    fn delete_missing_ok(&self) -> bool {
        false
    }

    /// Whether a delete keeps the record, marked deleted (gone for every operation).
    fn soft_delete(&self) -> bool {
        false
    }
}

/// The engine's meaning alone: what a family a newer spec adds gets.
pub(crate) struct Plain;

impl Meaning for Plain {}

// ----- serving ------------------------------------------------------------------------------

/// Serves one operation of a family.
pub(crate) fn serve(call: &Call<'_>, family: &Family, verb: Verb, meaning: &dyn Meaning) -> Answer {
    match verb {
        Verb::List => list(call, family, meaning),
        Verb::Create => create(call, family, meaning),
        Verb::Get => get(call, family, meaning),
        Verb::Update => update(call, family, meaning),
        Verb::Delete => delete(call, family, meaning),
    }
}

/// The keys of the item the path names.
fn path_keys(call: &Call<'_>, family: &Family) -> Vec<(&'static str, String)> {
    family
        .keys
        .iter()
        .map(|k| (*k, call.param(k).to_owned()))
        .collect()
}

fn key_text(keys: &[(&str, String)]) -> String {
    keys.iter()
        .map(|(_, v)| v.as_str())
        .collect::<Vec<_>>()
        .join("/")
}

/// Characters left as they are in a path segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

fn location(call: &Call<'_>, family: &Family, keys: &[(&str, String)]) -> String {
    let mut url = format!("{}{}", call.shared.urls.identity, family.collection);
    for (_, v) in keys {
        url.push('/');
        url.extend(utf8_percent_encode(v, SEGMENT));
    }
    url
}

fn list(call: &Call<'_>, family: &Family, meaning: &dyn Meaning) -> Answer {
    let st = call.state();
    let items = st
        .resources
        .records(family.collection)
        .filter(|r| meaning.visible(call, r))
        .map(|r| meaning.present(call, r))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Reply::json(StatusCode::OK, Value::Array(items)))
}

/// The index of the visible live record the path names; `Err` is the 404 answer.
fn find(
    call: &Call<'_>,
    st: &State,
    family: &Family,
    meaning: &dyn Meaning,
    keys: &[(&'static str, String)],
) -> Result<usize, Reply> {
    st.resources
        .position(family.collection, keys)
        .filter(|&i| {
            st.resources
                .collections
                .get(family.collection)
                .is_some_and(|all| meaning.visible(call, &all[i]))
        })
        .ok_or_else(|| meaning.not_found(call, &key_text(keys)))
}

fn create(call: &Call<'_>, family: &Family, meaning: &dyn Meaning) -> Answer {
    let mut record = call.body_object()?;
    let required = required_fields(family.create_body);
    let mut keys = Vec::new();
    for key in &family.keys {
        let value = if family.keys_in_create_path {
            call.param(key).to_owned()
        } else if required.iter().any(|r| r == key) {
            match record.get(*key) {
                Some(Value::String(s)) => s.trim().to_owned(),
                _ => {
                    return Err(reply::invalid_field(
                        key,
                        format!("The {key} field must be a string."),
                        call.instance,
                    ));
                }
            }
        } else {
            random_id(meaning.id_prefix())
        };
        record.insert((*key).to_owned(), Value::String(value.clone()));
        keys.push((*key, value));
    }
    let now = timestamp(call.now());
    let mut st = call.state();
    if st.resources.position(family.collection, &keys).is_some() {
        return Err(meaning.duplicate(call, &key_text(&keys)));
    }
    let by = Value::String(call.caller_id(&st));
    record.insert(CREATED_AT.into(), now.clone());
    record.insert(CREATED_BY.into(), by.clone());
    record.insert(UPDATED_AT.into(), now);
    record.insert(UPDATED_BY.into(), by);
    meaning.prepare(call, &st, &mut record, None)?;
    let answer = meaning.present(call, &record)?;
    let all = st.resources.all_mut(family.collection);
    // A record deleted softly under the same keys makes way for the new one.
    all.retain(|r| is_live(r) || !has_keys(r, &keys));
    all.push(record.clone());
    meaning.stored(call, &mut st, Change::Created, &record);
    let status = meaning.create_status();
    let mut reply = Reply::json(status, answer);
    if status == StatusCode::CREATED {
        reply = reply.with_header(header::LOCATION, &location(call, family, &keys));
    }
    Ok(reply)
}

fn get(call: &Call<'_>, family: &Family, meaning: &dyn Meaning) -> Answer {
    let keys = path_keys(call, family);
    let st = call.state();
    let index = find(call, &st, family, meaning, &keys)?;
    let record = &st.resources.collections[family.collection][index];
    Ok(Reply::json(StatusCode::OK, meaning.present(call, record)?))
}

fn update(call: &Call<'_>, family: &Family, meaning: &dyn Meaning) -> Answer {
    let body = call.body_object()?;
    let keys = path_keys(call, family);
    let created = required_fields(family.create_body);
    let updating = required_fields(call.op.minimal_body);
    let now = timestamp(call.now());
    let mut st = call.state();
    let index = find(call, &st, family, meaning, &keys)?;
    let old = st.resources.collections[family.collection][index].clone();
    let kept = |name: &str| {
        name.starts_with('$')
            || keys.iter().any(|(k, _)| *k == name)
            || name == CREATED_AT
            || name == CREATED_BY
            || (created.iter().any(|c| c == name)
                && !updating.iter().any(|u| u == name)
                && !body.contains_key(name))
    };
    let mut record: Record = old
        .iter()
        .filter(|(k, _)| kept(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (k, v) in body {
        if keys.iter().any(|(key, _)| *key == k) || k == CREATED_AT || k == CREATED_BY {
            continue;
        }
        record.insert(k, v);
    }
    record.insert(UPDATED_AT.into(), now);
    record.insert(UPDATED_BY.into(), Value::String(call.caller_id(&st)));
    meaning.prepare(call, &st, &mut record, Some(&old))?;
    let answer = meaning.present(call, &record)?;
    st.resources.all_mut(family.collection)[index] = record.clone();
    meaning.stored(call, &mut st, Change::Updated, &record);
    Ok(Reply::json(StatusCode::OK, answer))
}

fn delete(call: &Call<'_>, family: &Family, meaning: &dyn Meaning) -> Answer {
    let keys = path_keys(call, family);
    let mut st = call.state();
    let index = match find(call, &st, family, meaning, &keys) {
        Ok(index) => index,
        Err(_) if meaning.delete_missing_ok() => return Ok(Reply::empty(StatusCode::NO_CONTENT)),
        Err(reply) => return Err(reply),
    };
    let all = st.resources.all_mut(family.collection);
    let record = if meaning.soft_delete() {
        all[index].insert(DELETED.into(), Value::Bool(true));
        all[index].clone()
    } else {
        all.remove(index)
    };
    meaning.stored(call, &mut st, Change::Deleted, &record);
    meaning.deleted(call, &record)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_families_of_the_spec_come_from_the_table() {
        let family = |method, path| classify(method, path).map(|(f, v)| (f.collection, f.keys, v));
        assert_eq!(
            family("GET", "/api/networkzones"),
            Some(("/api/networkzones", vec!["code"], Verb::List))
        );
        assert_eq!(
            family("PUT", "/api/networkzones/{code}"),
            Some(("/api/networkzones", vec!["code"], Verb::Update))
        );
        assert_eq!(
            family("POST", "/api/mcptools/{scope}/{code}"),
            Some(("/api/mcptools", vec!["scope", "code"], Verb::Create))
        );
        assert_eq!(
            family("DELETE", "/api/keys/{id}"),
            Some(("/api/keys", vec!["id"], Verb::Delete))
        );
        assert_eq!(
            family("GET", "/api/applications/{id}"),
            Some(("/api/applications", vec!["id"], Verb::Get))
        );
        // A literal after a parameter, a collection without create, a path without items.
        assert_eq!(
            family("POST", "/api/applications/{id}/lifecycle/$newsecret"),
            None
        );
        assert_eq!(family("GET", "/api/users/schema"), None);
        assert_eq!(family("GET", "/api/roles/byCode/{code}"), None);
        assert_eq!(family("POST", "/api/cellmanagement/acceptattachment"), None);
        assert_eq!(family("GET", "/api/logs"), None);
        assert_eq!(family("DELETE", "/api/tokens"), None);
        // A DELETE on a collection is not one of the verbs.
        assert_eq!(family("DELETE", "/api/authentication/support"), None);
    }

    #[test]
    fn a_family_a_newer_spec_adds_is_derived_without_hand_code() {
        const TABLE: &[Entry] = &[
            ("GET", "/api/widgets", None),
            ("POST", "/api/widgets", Some("{\"code\":\"x\",\"size\":0}")),
            ("GET", "/api/widgets/{code}", None),
            ("PUT", "/api/widgets/{code}", Some("{\"size\":0}")),
            ("DELETE", "/api/widgets/{code}", None),
            // A listing with nothing to create: its meaning cannot be guessed.
            ("GET", "/api/metadata/endpoints", None),
        ];
        let (family, verb) = classify_in("POST", "/api/widgets", TABLE).unwrap();
        assert_eq!(verb, Verb::Create);
        assert_eq!(family.collection, "/api/widgets");
        assert_eq!(family.keys, ["code"]);
        assert!(!family.keys_in_create_path);
        assert_eq!(family.create_body, TABLE[1].2);
        assert_eq!(
            classify_in("DELETE", "/api/widgets/{code}", TABLE).map(|(_, v)| v),
            Some(Verb::Delete)
        );
        assert!(classify_in("GET", "/api/metadata/endpoints", TABLE).is_none());
    }

    /// The widget family of a newer spec, served by the engine alone.
    const WIDGETS: &[Entry] = &[
        ("GET", "/api/widgets", None),
        ("POST", "/api/widgets", Some("{\"code\":\"x\",\"size\":0}")),
        ("GET", "/api/widgets/{code}", None),
        ("PUT", "/api/widgets/{code}", Some("{\"size\":0}")),
        ("DELETE", "/api/widgets/{code}", None),
    ];

    fn widget_call(
        emu: &crate::Emulator,
        (method, path, minimal_body): Entry,
        code: &str,
        body: &str,
    ) -> (StatusCode, Value) {
        let (family, verb) = classify_in(method, path, WIDGETS).unwrap();
        let params = crate::operations::match_template(
            "/api/widgets/{code}",
            &format!("/api/widgets/{code}"),
        )
        .map(|(params, _)| params)
        .unwrap_or_default();
        let call = Call {
            shared: &emu.shared,
            op: OpInfo {
                operation_id: "WidgetOperation",
                method,
                path,
                params: &[],
                minimal_body,
            },
            username: emu.username(),
            bearer: None,
            params: &params,
            query: &[],
            body: body.as_bytes(),
            instance: path,
        };
        let reply = serve(&call, &family, verb, &Plain).unwrap_or_else(|r| r);
        let body = match reply.body {
            reply::ReplyBody::Json(value, _) => value,
            reply::ReplyBody::Empty => Value::Null,
        };
        (reply.status, body)
    }

    #[tokio::test]
    async fn the_engine_serves_a_family_a_newer_spec_adds() {
        let emu = crate::Emulator::start().await.unwrap();
        let [list, create, get, update, delete] = [0, 1, 2, 3, 4].map(|i| WIDGETS[i]);
        let (status, created) = widget_call(&emu, create, "", r#"{"code":"w1","size":3}"#);
        assert_eq!(status, StatusCode::CREATED, "{created}");
        assert_eq!(created["code"], "w1");
        assert_eq!(created["size"], 3);
        assert!(created["createdAt"].is_string() && created["updatedBy"].is_string());
        let (status, again) = widget_call(&emu, create, "", r#"{"code":"w1","size":4}"#);
        assert_eq!(status, StatusCode::CONFLICT, "{again}");
        let (status, missing) = widget_call(&emu, create, "", r#"{"code":"w2"}"#);
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(missing["errors"]["size"].is_array(), "{missing}");
        assert_eq!(widget_call(&emu, get, "w1", "").1, created);
        let (status, updated) = widget_call(&emu, update, "w1", r#"{"size":5,"code":"other"}"#);
        assert_eq!(status, StatusCode::OK, "{updated}");
        assert_eq!(
            (&updated["code"], &updated["size"], &updated["createdAt"]),
            (&json!("w1"), &json!(5), &created["createdAt"])
        );
        assert_eq!(widget_call(&emu, list, "", "").1, json!([updated]));
        assert_eq!(
            widget_call(&emu, delete, "w1", "").0,
            StatusCode::NO_CONTENT
        );
        assert_eq!(widget_call(&emu, get, "w1", "").0, StatusCode::NOT_FOUND);
        assert_eq!(widget_call(&emu, delete, "w1", "").0, StatusCode::NOT_FOUND);
    }

    #[test]
    fn required_fields_and_types_come_from_the_smallest_body() {
        let minimal =
            json!({"code": "x", "applyRules": {"sessionType": [], "userRoles": []}, "n": 0});
        let mut errors = BTreeMap::new();
        required_errors(
            &minimal,
            &json!({"code": " ", "applyRules": {"sessionType": "all"}, "n": 1}),
            "",
            &mut errors,
        );
        let fields: Vec<_> = errors.keys().cloned().collect();
        assert_eq!(
            fields,
            ["applyRules.sessionType", "applyRules.userRoles", "code"]
        );
        assert!(errors["applyRules.sessionType"][0].contains("must be an array"));
        let mut errors = BTreeMap::new();
        required_errors(
            &minimal,
            &json!({"code": "c", "applyRules": {"sessionType": [], "userRoles": []}, "n": 3}),
            "",
            &mut errors,
        );
        assert!(errors.is_empty(), "{errors:?}");
    }

    #[test]
    fn shaping_keeps_the_schema_fields_only() {
        let mut record = Record::new();
        record.insert("code".into(), json!("z1"));
        record.insert("issuer".into(), json!("https://issuer"));
        record.insert("createdAt".into(), json!("2026-07-01T12:00:00Z"));
        record.insert("$secret".into(), json!("s"));
        let shown =
            shaped::<finbourne_identity_client::types::ExternalTokenIssuerResponse>(&record);
        assert_eq!(shown, json!({"code": "z1", "issuer": "https://issuer"}));
        assert_eq!(
            visible_fields(&record),
            json!({"code": "z1", "issuer": "https://issuer", "createdAt": "2026-07-01T12:00:00Z"})
        );
    }
}
