//! Looking users up: `FindUsersById` (the directory) and `ListRunnableUsers`.

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use crate::reply::{Reply, invalid_field};
use crate::resources::{Answer, Call};
use crate::state::UserRecord;

/// At most this many ids per lookup.
const MAX_IDS: usize = 50;

/// `UserSummary`.
fn summary(user: &UserRecord) -> Value {
    let mut answer = json!({
        "id": user.id,
        "login": user.login,
        "email": user.email_address,
        "firstName": user.first_name,
        "lastName": user.last_name,
        "type": user.user_type,
    });
    if let Some(second) = &user.second_email_address {
        answer["secondEmail"] = json!(second);
    }
    if let Some(ids) = &user.alternative_user_ids {
        answer["alternativeUserIds"] = json!(ids);
    }
    answer
}

/// `GET /api/directory?id=..&id=..` (FindUsersById): the users found, keyed by id under
/// `values`; the ids no user has under `failed`. Deleted users that were not purged are found.
pub(crate) fn find_users_by_id(call: &Call<'_>) -> Answer {
    let ids: Vec<&str> = call
        .query_all("id")
        .into_iter()
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .collect();
    if ids.len() > MAX_IDS {
        return Err(invalid_field(
            "id",
            format!("At most {MAX_IDS} ids can be looked up at once."),
            call.instance,
        ));
    }
    let st = call.state();
    let mut values = Map::new();
    let mut failed = Map::new();
    for id in ids {
        match st.users.iter().find(|u| u.id == id) {
            Some(user) => {
                values.insert(id.to_owned(), summary(user));
            }
            None => {
                failed.insert(
                    id.to_owned(),
                    json!({
                        "id": id,
                        "type": "UserNotFound",
                        "detail": format!("No user has the id '{id}'."),
                    }),
                );
            }
        }
    }
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(call.query.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .finish();
    let href = format!("{}{}?{query}", call.shared.urls.base, call.instance);
    Ok(Reply::json(
        StatusCode::OK,
        json!({ "href": href, "values": values, "failed": failed }),
    ))
}

/// `GET /api/users/$runnable` (ListRunnableUsers): the service users jobs can run as (type
/// `Service`, not deleted).
pub(crate) fn list_runnable_users(call: &Call<'_>) -> Answer {
    let st = call.state();
    let users: Vec<Value> = st
        .users
        .iter()
        .filter(|u| !u.deactivated && u.user_type.eq_ignore_ascii_case("service"))
        .map(|u| crate::api::user_answer(&st, u))
        .collect();
    Ok(Reply::json(StatusCode::OK, Value::Array(users)))
}
