//! Applications: OpenID Connect clients of the domain, with client secrets that the token
//! endpoint accepts.
//!
//! The engine serves `ListApplications`, `CreateApplication`, `GetApplication` and
//! `DeleteApplication`; here: the id, issuer and secret a new application gets, its checks,
//! when the secret is shown, and `RotateApplicationSecrets`.

use axum::http::StatusCode;
use finbourne_identity_client::types::OAuthApplication;
use serde_json::Value;

use super::Problems;
use crate::reply::{CODE_DUPLICATE, Reply, not_found, problem};
use crate::resources::{Answer, Call, Meaning, Record, shaped, timestamp};
use crate::state::{State, random_token};

pub(crate) const COLLECTION: &str = "/api/applications";

/// Where the secret is kept in the record (never shown by the engine).
const SECRET: &str = "$secret";

/// FINBOURNE error code: application not found.
const CODE_APPLICATION_NOT_FOUND: i32 = 662;

/// The issuer of the emulator's tokens: the token endpoint's base.
pub(crate) fn issuer(call: &Call<'_>) -> String {
    format!("{}/oauth2", call.shared.urls.base)
}

/// The client id and secret of every application, for the token endpoint.
pub(crate) fn client_credentials(st: &State) -> Vec<(String, String)> {
    st.resources
        .records(COLLECTION)
        .filter_map(|r| {
            Some((
                r.get("clientId")?.as_str()?.to_owned(),
                r.get(SECRET)?.as_str()?.to_owned(),
            ))
        })
        .collect()
}

fn new_secret() -> String {
    random_token("emu_cs_")
}

/// Whether the answer to this call carries the secret: at creation and rotation, and from
/// `GetApplication` when asked with `includeSecret=true`; never in a list.
fn shows_secret(call: &Call<'_>) -> bool {
    match call.op.operation_id {
        "CreateApplication" | "RotateApplicationSecrets" => true,
        "GetApplication" => call.flag("includeSecret"),
        _ => false,
    }
}

fn present(call: &Call<'_>, record: &Record) -> Value {
    let mut shown = shaped::<OAuthApplication>(record);
    if let (Value::Object(map), true) = (&mut shown, shows_secret(call))
        && let Some(secret) = record.get(SECRET)
    {
        map.insert("secret".into(), secret.clone());
    }
    shown
}

fn application_not_found(call: &Call<'_>, id: &str) -> Reply {
    not_found(
        CODE_APPLICATION_NOT_FOUND,
        "ApplicationNotFound",
        format!("No application has the id '{id}'."),
        call.instance,
    )
}

/// The engine's meaning for `/api/applications`.
pub(crate) struct Applications;

impl Meaning for Applications {
    fn id_prefix(&self) -> &'static str {
        "0oa"
    }

    fn create_status(&self) -> StatusCode {
        StatusCode::OK
    }

    fn not_found(&self, call: &Call<'_>, key: &str) -> Reply {
        application_not_found(call, key)
    }

    fn prepare(
        &self,
        call: &Call<'_>,
        st: &State,
        record: &mut Record,
        old: Option<&Record>,
    ) -> Result<(), Reply> {
        if old.is_some() {
            return Ok(());
        }
        let mut problems = Problems::default();
        let display_name = problems
            .optional_string(record, "displayName")
            .unwrap_or("");
        problems.length("displayName", display_name, 1, 50);
        let client_id = problems
            .optional_string(record, "clientId")
            .unwrap_or("")
            .to_owned();
        let mut chars = client_id.chars();
        let well_formed = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '-')
            && (6..=50).contains(&client_id.len());
        if !well_formed {
            problems.add(
                "clientId",
                "The clientId field must be 6 to 50 characters: a letter, then letters, digits or '-'.",
            );
        }
        let kind = problems.optional_string(record, "type").unwrap_or("");
        let kind = ["Native", "Web"]
            .into_iter()
            .find(|k| k.eq_ignore_ascii_case(kind));
        if kind.is_none() {
            problems.add("type", "The type field must be Native or Web.");
        }
        for field in ["redirectUris", "postLogoutRedirectUris"] {
            match record.get(field) {
                None | Some(Value::Null) => {}
                Some(Value::Array(uris)) => {
                    for (i, uri) in uris.iter().enumerate() {
                        let ok = uri.as_str().and_then(|u| url::Url::parse(u).ok()).is_some();
                        if !ok {
                            problems.add(
                                &format!("{field}[{i}]"),
                                "Each URI must be an absolute URI.",
                            );
                        }
                    }
                }
                Some(_) => problems.add(field, format!("The {field} field must be an array.")),
            }
        }
        problems.check(call.instance)?;
        let taken = client_id == call.shared.config.client_id
            || client_credentials(st)
                .iter()
                .any(|(id, _)| id.eq_ignore_ascii_case(&client_id));
        if taken {
            return Err(problem(
                StatusCode::CONFLICT,
                CODE_DUPLICATE,
                "ApplicationAlreadyExists",
                "Application already exists",
                format!("An application with the client id '{client_id}' already exists."),
                call.instance,
            ));
        }
        if let Some(kind) = kind {
            record.insert("type".into(), Value::String(kind.to_owned()));
        }
        record.insert("issuer".into(), Value::String(issuer(call)));
        record.insert(SECRET.into(), Value::String(new_secret()));
        Ok(())
    }

    fn present(&self, call: &Call<'_>, record: &Record) -> Result<Value, Reply> {
        Ok(present(call, record))
    }
}

/// `POST /api/applications/{id}/lifecycle/$newsecret` (RotateApplicationSecrets): a new secret
/// replaces the old one, which the token endpoint refuses from now on.
pub(crate) fn rotate_secrets(call: &Call<'_>) -> Answer {
    let id = call.param("id");
    let now = timestamp(call.now());
    let mut st = call.state();
    let by = Value::String(call.caller_id(&st));
    let Some(index) = st.resources.position(COLLECTION, &[("id", id.to_owned())]) else {
        return Err(application_not_found(call, id));
    };
    let record = &mut st.resources.all_mut(COLLECTION)[index];
    record.insert(SECRET.into(), Value::String(new_secret()));
    record.insert("updatedAt".into(), now);
    record.insert("updatedBy".into(), by);
    Ok(Reply::json(StatusCode::OK, present(call, record)))
}
