//! The user schema: the alternative user id fields of the domain.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::Problems;
use crate::resources::{Answer, Call};

/// At most this many alternative user id fields.
const MAX_FIELDS: usize = 10;

/// The alternative user id fields (`UserSchemaProperty`: `name`, `description`), in order.
#[derive(Debug, Default)]
pub(crate) struct UserSchema {
    fields: Vec<(String, String)>,
}

fn to_json(schema: &UserSchema) -> Value {
    json!({
        "alternativeUserIds": schema
            .fields
            .iter()
            .map(|(name, description)| json!({ "name": name, "description": description }))
            .collect::<Vec<_>>(),
    })
}

/// `GET /api/users/schema` (GetUserSchema).
pub(crate) fn get(call: &Call<'_>) -> Answer {
    let st = call.state();
    Ok(crate::reply::Reply::json(
        StatusCode::OK,
        to_json(&st.user_schema),
    ))
}

/// `PUT /api/users/schema` (UpdateUserSchema): replaces the fields.
pub(crate) fn update(call: &Call<'_>) -> Answer {
    let body = call.body_object()?;
    let mut problems = Problems::default();
    let mut fields: Vec<(String, String)> = Vec::new();
    let items = body
        .get("alternativeUserIds")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if items.len() > MAX_FIELDS {
        problems.add(
            "alternativeUserIds",
            format!("At most {MAX_FIELDS} alternative user id fields can be defined."),
        );
    }
    for (i, item) in items.iter().enumerate() {
        let at = format!("alternativeUserIds[{i}]");
        let Some(item) = item.as_object() else {
            problems.add(
                &at,
                "Each field must be an object with a name and a description.",
            );
            continue;
        };
        let name = item.get("name").and_then(Value::as_str).unwrap_or("");
        let description = item.get("description").and_then(Value::as_str);
        let name_ok = (1..=50).contains(&name.chars().count())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !name_ok {
            problems.add(
                &format!("{at}.name"),
                "The name field must be 1 to 50 letters, digits or '_'.",
            );
        } else if fields.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
            problems.add(
                &format!("{at}.name"),
                format!("The name '{name}' is given twice."),
            );
        }
        match description {
            None => problems.add(
                &format!("{at}.description"),
                format!("The {at}.description field is required."),
            ),
            Some(d) => problems.length(&format!("{at}.description"), d, 0, 80),
        }
        fields.push((name.to_owned(), description.unwrap_or("").to_owned()));
    }
    problems.check(call.instance)?;
    let mut st = call.state();
    st.user_schema = UserSchema { fields };
    Ok(crate::reply::Reply::json(
        StatusCode::OK,
        to_json(&st.user_schema),
    ))
}
