//! Every operation of the table through the SDK against the emulator, in one journey: creates
//! first, then reads, updates and the rest, deletes last. Each operation must answer with state
//! (never 501, never a server error); where the API has a read for what an operation changed,
//! the change is checked through that read. The operations, their parameters and their smallest
//! bodies all come from the generated table: none is named here.

use std::collections::HashMap;

use finbourne_identity::client::operations::{OPERATIONS, Operation, ParamKind, ParamLocation};
use finbourne_identity::{Error, IdentityClient, operations};
use finbourne_identity_emulator::Emulator;
use finbourne_identity_tests::world;
use serde_json::Value;

/// The order of the journey: what creates comes first, what deletes or signs out comes last,
/// deeper paths before shallower ones among the deletes (a membership before its role).
fn phase(op: &Operation) -> (u8, std::cmp::Reverse<usize>) {
    let depth = op.path.matches('/').count();
    let phase = match op.method {
        "POST" if op.minimal_body.is_some() => 0,
        "DELETE" => 2,
        _ => 1,
    };
    (phase, std::cmp::Reverse(if phase == 2 { depth } else { 0 }))
}

/// What the journey has made so far: the answers of creates, by the path they were sent to,
/// and the path values that worked, by collection.
#[derive(Default)]
struct Made {
    answers: Vec<(String, Value)>,
    keys: HashMap<String, Vec<(&'static str, String)>>,
}

impl Made {
    /// A value for parameter `name` whose segment follows `prefix`: a key used there before, a
    /// field of what was created there, a field of that name anywhere, or a placeholder.
    fn value(&self, prefix: &str, name: &'static str) -> String {
        if let Some(v) = self
            .keys
            .get(prefix)
            .and_then(|keys| keys.iter().find(|(n, _)| *n == name))
        {
            return v.1.clone();
        }
        let field = |answer: &Value, field: &str| answer.get(field)?.as_str().map(str::to_owned);
        let here = self.answers.iter().filter(|(path, _)| path == prefix);
        for (_, answer) in here {
            if let Some(v) = [name, "id", "code"].iter().find_map(|f| field(answer, f)) {
                return v;
            }
        }
        if let Some(v) = self.answers.iter().find_map(|(_, a)| field(a, name)) {
            return v;
        }
        // `userId` names an item of `/api/users`.
        if let Some(stem) = name.strip_suffix("Id") {
            let collection = format!("/api/{stem}s");
            if let Some(v) = self
                .answers
                .iter()
                .filter(|(path, _)| *path == collection)
                .find_map(|(_, a)| field(a, "id"))
            {
                return v;
            }
        }
        format!("{name}-1")
    }
}

/// The values for `op`'s path parameters and required query parameters.
fn arguments(op: &Operation, made: &Made) -> Vec<(&'static str, String)> {
    let mut values = Vec::new();
    let segments: Vec<&str> = op.path.split('/').collect();
    for (at, segment) in segments.iter().enumerate() {
        let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) else {
            continue;
        };
        let param = op.params.iter().find(|p| p.name == name).unwrap();
        values.push((
            param.name,
            made.value(&segments[..at].join("/"), param.name),
        ));
    }
    for param in op.params {
        if param.location == ParamLocation::Query && param.required {
            let value = match param.kind {
                ParamKind::Boolean => "true".to_owned(),
                ParamKind::Integer => "1".to_owned(),
                ParamKind::DateTime => "2030-01-01T00:00:00Z".to_owned(),
                _ => made.value(op.path, param.name),
            };
            values.push((param.name, value));
        }
    }
    values
}

/// Calls `op` with `values` and `body`; the answer, or the error's status.
async fn call(
    identity: &IdentityClient,
    op: &Operation,
    values: &[(&'static str, String)],
    body: Option<&str>,
) -> Result<Value, Error> {
    let given: Vec<(&str, &str)> = values.iter().map(|(n, v)| (*n, v.as_str())).collect();
    operations::call_by_name(identity, op.operation_id, &given, body)
        .unwrap_or_else(|e| panic!("{}: {e}", op.operation_id))
        .send_json()
        .await
}

/// The read of an item or singleton at `path`, if the API has one.
fn read_of(path: &str) -> Option<&'static Operation> {
    OPERATIONS
        .iter()
        .find(|op| op.method == "GET" && op.path == path)
}

#[tokio::test]
async fn every_operation_answers_with_state_and_its_changes_read_back() {
    let w = world(Emulator::builder()).await;
    let identity = &w.identity;
    let mut journey: Vec<&'static Operation> = OPERATIONS.iter().collect();
    journey.sort_by_key(|op| phase(op));
    let mut made = Made::default();
    let (mut succeeded, mut refused, mut read_back) = (0, Vec::new(), 0);
    for op in journey {
        let values = arguments(op, &made);
        let result = call(identity, op, &values, op.minimal_body).await;
        let answer = match result {
            Ok(answer) => answer,
            Err(error) => {
                let status = error.status().map(|s| s.as_u16());
                assert!(
                    status.is_some_and(|s| (400..500).contains(&s)),
                    "{} ({} {}) did not answer with state: {error}",
                    op.operation_id,
                    op.method,
                    op.path
                );
                refused.push(format!("{} ({})", op.operation_id, status.unwrap_or(0)));
                continue;
            }
        };
        succeeded += 1;
        let item_keys: Vec<(&'static str, String)> = values
            .iter()
            .filter(|(n, _)| op.path.contains(&format!("{{{n}}}")))
            .cloned()
            .collect();
        match op.method {
            // A create: remember what it made, and read it back where the API can.
            "POST" if op.minimal_body.is_some() => {
                let collection = op.path.split("/{").next().unwrap().to_owned();
                if !item_keys.is_empty() {
                    made.keys.insert(collection.clone(), item_keys.clone());
                }
                made.answers.push((collection.clone(), answer.clone()));
                let item = OPERATIONS.iter().find(|r| {
                    r.method == "GET"
                        && r.path.starts_with(&format!("{collection}/{{"))
                        && r.path.matches('{').count()
                            == r.params
                                .iter()
                                .filter(|p| p.location == ParamLocation::Path)
                                .count()
                        && !r.path[collection.len() + 1..].contains("}/")
                });
                if let Some(read) = item {
                    let keys = arguments(read, &made);
                    let read_answer = call(identity, read, &keys, None).await;
                    assert!(
                        read_answer.is_ok(),
                        "{} made something {} cannot read: {read_answer:?}",
                        op.operation_id,
                        read.operation_id
                    );
                    read_back += 1;
                }
            }
            // A delete of an item: its read now finds nothing.
            "DELETE" if !item_keys.is_empty() => {
                if let Some(read) = read_of(op.path) {
                    let gone = call(identity, read, &values, None).await;
                    let status = gone
                        .as_ref()
                        .err()
                        .and_then(Error::status)
                        .map(|s| s.as_u16());
                    assert_eq!(
                        status,
                        Some(404),
                        "{} left {} finding it: {gone:?}",
                        op.operation_id,
                        read.operation_id
                    );
                    read_back += 1;
                }
            }
            // An update of an item or a singleton: what it sent reads back.
            "PUT" if op.minimal_body.is_some() => {
                if let Some(read) = read_of(op.path) {
                    let after = call(identity, read, &values, None)
                        .await
                        .unwrap_or_else(|e| {
                            panic!("{} then {}: {e}", op.operation_id, read.operation_id)
                        });
                    let sent: Value = serde_json::from_str(op.minimal_body.unwrap()).unwrap();
                    for (field, value) in sent.as_object().into_iter().flatten() {
                        if value.is_string() || value.is_number() || value.is_boolean() {
                            assert_eq!(
                                after.get(field),
                                Some(value),
                                "{} sent {field} = {value}; {} reads {after}",
                                op.operation_id,
                                read.operation_id
                            );
                        }
                    }
                    read_back += 1;
                }
            }
            _ => {}
        }
    }
    println!(
        "{} operations through the SDK: {succeeded} succeeded, {} refused as the service would ({}), {read_back} changes read back",
        OPERATIONS.len(),
        refused.len(),
        refused.join(", ")
    );
    assert!(
        succeeded > refused.len(),
        "most operations succeed on a journey built for them"
    );
}
