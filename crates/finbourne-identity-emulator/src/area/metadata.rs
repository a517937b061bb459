//! `ListAccessControlledResources`, derived from the operations table: one resource per tag of
//! the API, with an action per HTTP method its operations use and the path parameters that
//! identify its items.

use axum::http::StatusCode;
use finbourne_identity_client::operations::{OPERATIONS, ParamLocation, TAGS};
use serde_json::{Value, json};

use crate::reply::Reply;
use crate::resources::{Answer, Call};

/// The activity an HTTP method stands for.
fn activity(method: &str) -> &'static str {
    match method {
        "GET" | "HEAD" => "Read",
        "POST" => "Create",
        "PUT" | "PATCH" => "Update",
        "DELETE" => "Delete",
        _ => "Execute",
    }
}

/// `AccessControlledResource` for one tag, or `None` for a tag too short to name an entity
/// (`Me`: what the caller may do to itself is not access-controlled).
fn resource(tag: &str, description: &str) -> Option<Value> {
    let entity: String = tag
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(40)
        .collect();
    if entity.len() < 3 {
        return None;
    }
    let ops: Vec<_> = OPERATIONS.iter().filter(|op| op.tag == tag).collect();
    let mut activities: Vec<&str> = Vec::new();
    let mut parts: Vec<&str> = Vec::new();
    for op in &ops {
        let a = activity(op.method);
        if !activities.contains(&a) {
            activities.push(a);
        }
        for param in op
            .params
            .iter()
            .filter(|p| p.location == ParamLocation::Path)
        {
            if !parts.contains(&param.name) {
                parts.push(param.name);
            }
        }
    }
    let actions: Vec<Value> = activities
        .iter()
        .map(|a| {
            json!({
                "action": { "scope": "default", "activity": a, "entity": entity },
                "description": format!("{a} {tag}"),
            })
        })
        .collect();
    let mut answer = json!({
        "application": "identity",
        "name": tag,
        "description": if description.is_empty() { tag } else { description },
        "actions": actions,
    });
    if !parts.is_empty() {
        answer["identifierParts"] = Value::Array(
            parts
                .iter()
                .enumerate()
                .map(|(index, name)| {
                    let mut display: Vec<char> = name.chars().collect();
                    if let Some(first) = display.first_mut() {
                        *first = first.to_ascii_uppercase();
                    }
                    json!({
                        "index": index,
                        "name": name,
                        "displayName": display.into_iter().collect::<String>(),
                        "description": format!("The {name} of an item of {tag}."),
                        "required": true,
                    })
                })
                .collect(),
        );
    }
    Some(answer)
}

/// `GET /api/metadata/access/resources` (ListAccessControlledResources).
pub(crate) fn access_controlled_resources(call: &Call<'_>) -> Answer {
    let values: Vec<Value> = TAGS
        .iter()
        .filter_map(|(tag, description)| resource(tag, description))
        .collect();
    Ok(Reply::json(
        StatusCode::OK,
        json!({
            "values": values,
            "href": format!("{}{}", call.shared.urls.base, call.instance),
        }),
    ))
}
