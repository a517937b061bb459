//! Answers built by the handlers, and problem details in the service's shapes.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Map, Value, json};

/// FINBOURNE error code for an unexpected failure (and, here, for routes and operations the
/// emulator does not serve).
pub(crate) const CODE_UNKNOWN: i32 = -1;
/// FINBOURNE error code: duplicate value.
pub(crate) const CODE_DUPLICATE: i32 = 144;
/// FINBOURNE error code: invalid parameter value.
pub(crate) const CODE_INVALID_PARAMETER: i32 = 151;
/// FINBOURNE error code: invalid authentication token.
pub(crate) const CODE_INVALID_TOKEN: i32 = 2153;
/// FINBOURNE error code: user not found.
pub(crate) const CODE_USER_NOT_FOUND: i32 = 657;
/// FINBOURNE error code: user already exists.
pub(crate) const CODE_USER_EXISTS: i32 = 658;
/// FINBOURNE error code: role not found.
pub(crate) const CODE_ROLE_NOT_FOUND: i32 = 660;

/// The name of the extra field added to JSON objects when extra fields are switched on, in the
/// Identity API's camelCase style.
pub(crate) const EXTRA_FIELD_CAMEL: &str = "emulatorExtraField";
/// The same for the OAuth2 token endpoint's snake_case answers.
pub(crate) const EXTRA_FIELD_SNAKE: &str = "emulator_extra_field";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExtraStyle {
    Camel,
    Snake,
}

/// The body of a [`Reply`].
#[derive(Debug)]
pub(crate) enum ReplyBody {
    Empty,
    Json(Value, ExtraStyle),
}

/// An answer in the making.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    /// Kept small (not a `HeaderMap`) so that `Result<_, Reply>` stays cheap to move.
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    pub(crate) content_type: &'static str,
    pub(crate) body: ReplyBody,
}

impl Reply {
    pub(crate) fn json(status: StatusCode, value: Value) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            content_type: "application/json; charset=utf-8",
            body: ReplyBody::Json(value, ExtraStyle::Camel),
        }
    }

    pub(crate) fn oauth_json(status: StatusCode, value: Value) -> Self {
        let mut reply = Reply::json(status, value);
        if let ReplyBody::Json(_, style) = &mut reply.body {
            *style = ExtraStyle::Snake;
        }
        reply
            .with_header(header::CACHE_CONTROL, "no-store")
            .with_header(header::PRAGMA, "no-cache")
    }

    pub(crate) fn empty(status: StatusCode) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            content_type: "",
            body: ReplyBody::Empty,
        }
    }

    pub(crate) fn with_content_type(mut self, content_type: &'static str) -> Self {
        self.content_type = content_type;
        self
    }

    pub(crate) fn with_header(mut self, name: HeaderName, value: &str) -> Self {
        if let Ok(value) = HeaderValue::from_str(value) {
            self.headers.push((name, value));
        }
        self
    }

    /// Turns the reply into a response, adding extra fields to every JSON object when asked.
    pub(crate) fn into_response(self, extra_fields: bool) -> Response {
        let (body, content_type) = match self.body {
            ReplyBody::Empty => (Body::empty(), None),
            ReplyBody::Json(mut value, style) => {
                if extra_fields {
                    add_extra_fields(&mut value, style);
                }
                let text = serde_json::to_vec(&value).unwrap_or_else(|_| b"{}".to_vec());
                (Body::from(text), Some(self.content_type))
            }
        };
        let mut response = Response::new(body);
        *response.status_mut() = self.status;
        response.headers_mut().extend(self.headers);
        if let Some(content_type) = content_type {
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        }
        response
    }
}

/// Fields whose values are free-form maps (not schema objects): no extra field goes in there.
const MAP_FIELDS: &[&str] = &[
    "errors",
    "alternativeUserIds",
    "errorDetails",
    // SystemLog's free-form maps.
    "detailEntry",
    "debugData",
    "detail",
];

/// Adds the extra field to every schema object in `value`, at any depth, leaving free-form maps
/// (such as `errors` or `alternativeUserIds`) alone.
fn add_extra_fields(value: &mut Value, style: ExtraStyle) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                if !MAP_FIELDS.contains(&key.as_str()) {
                    add_extra_fields(child, style);
                }
            }
            let name = match style {
                ExtraStyle::Camel => EXTRA_FIELD_CAMEL,
                ExtraStyle::Snake => EXTRA_FIELD_SNAKE,
            };
            map.insert(
                name.to_owned(),
                json!({ "note": "unknown field added by the emulator", "version": 2 }),
            );
        }
        Value::Array(items) => {
            for item in items {
                add_extra_fields(item, style);
            }
        }
        _ => {}
    }
}

/// `LusidProblemDetails`.
pub(crate) fn problem(
    status: StatusCode,
    code: i32,
    name: &str,
    title: &str,
    detail: impl Into<String>,
    instance: &str,
) -> Reply {
    let mut body = Map::new();
    body.insert("name".into(), json!(name));
    body.insert("code".into(), json!(code));
    body.insert("title".into(), json!(title));
    body.insert("status".into(), json!(status.as_u16()));
    body.insert("detail".into(), json!(detail.into()));
    body.insert("instance".into(), json!(instance));
    Reply::json(status, Value::Object(body))
}

/// `LusidValidationProblemDetails`: 400 with the problems by field.
pub(crate) fn validation(errors: BTreeMap<String, Vec<String>>, instance: &str) -> Reply {
    let detail = errors
        .iter()
        .flat_map(|(field, messages)| messages.iter().map(move |m| format!("{field}: {m}")))
        .collect::<Vec<_>>()
        .join("; ");
    let mut reply = problem(
        StatusCode::BAD_REQUEST,
        CODE_INVALID_PARAMETER,
        "InvalidParameterValue",
        "One or more validation errors occurred.",
        detail,
        instance,
    );
    if let ReplyBody::Json(Value::Object(map), _) = &mut reply.body {
        map.insert("errors".into(), json!(errors));
    }
    reply
}

/// A validation failure on one field.
pub(crate) fn invalid_field(field: &str, message: impl Into<String>, instance: &str) -> Reply {
    let mut errors = BTreeMap::new();
    errors.insert(field.to_owned(), vec![message.into()]);
    validation(errors, instance)
}

/// 404 problem details.
pub(crate) fn not_found(code: i32, name: &str, detail: impl Into<String>, instance: &str) -> Reply {
    problem(
        StatusCode::NOT_FOUND,
        code,
        name,
        "Not found",
        detail,
        instance,
    )
}

/// An OAuth2 error answer (RFC 6749 section 5.2).
pub(crate) fn oauth_error(status: StatusCode, error: &str, description: &str) -> Reply {
    Reply::oauth_json(
        status,
        json!({ "error": error, "error_description": description }),
    )
}

/// A JSON request body as `T`; `Err` is the 400 answer, naming the field at fault where serde
/// says which.
pub(crate) fn json_body<T: serde::de::DeserializeOwned>(
    body: &[u8],
    instance: &str,
) -> Result<T, Reply> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(invalid_field(
            "body",
            "A non-empty JSON request body is required.",
            instance,
        ));
    }
    serde_json::from_slice(body).map_err(|e| {
        let message = e.to_string();
        let field = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
            .unwrap_or("body")
            .to_owned();
        let text = if field == "body" {
            format!("The request body is not valid: {message}")
        } else {
            format!("The {field} field is required.")
        };
        invalid_field(&field, text, instance)
    })
}
