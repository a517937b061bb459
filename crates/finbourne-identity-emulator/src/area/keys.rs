//! Personal access tokens (`/api/keys`) and signing out (`InvalidateToken`).
//!
//! The engine serves `ListOwnApiKeys`, `CreateApiKey` and `DeleteApiKey`; here: each key belongs
//! to the caller and only the caller sees it, its value works as a bearer token until its
//! deactivation date or until it is deleted, and the value is shown once, at creation.

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use finbourne_identity_client::types::{ApiKey, CreatedApiKey};
use serde_json::Value;

use crate::reply::{Reply, not_found, problem};
use crate::resources::{Answer, Call, Change, Meaning, Record, parse_date_time, shaped, timestamp};
use crate::state::{AccessToken, State, random_token};

pub(crate) const COLLECTION: &str = "/api/keys";

/// The token value, kept in the record.
const SECRET: &str = "$secret";
/// The login of the user the key belongs to.
const OWNER: &str = "$owner";

/// How many keys one user may hold (the emulator's limit).
pub(crate) const KEY_LIMIT: usize = 100;

/// FINBOURNE error code: personal access token limit reached.
const CODE_KEY_LIMIT: i32 = 238;
/// FINBOURNE error code: API key not found.
const CODE_KEY_NOT_FOUND: i32 = 239;
/// FINBOURNE error code: an active API key already has this display name.
const CODE_KEY_NAME_TAKEN: i32 = 659;

fn owner(record: &Record) -> &str {
    record.get(OWNER).and_then(Value::as_str).unwrap_or("")
}

fn deactivation(record: &Record) -> Option<DateTime<Utc>> {
    record
        .get("deactivationDate")
        .and_then(Value::as_str)
        .and_then(parse_date_time)
}

/// The engine's meaning for `/api/keys`.
pub(crate) struct Keys;

impl Meaning for Keys {
    fn create_status(&self) -> StatusCode {
        StatusCode::OK
    }

    fn not_found(&self, call: &Call<'_>, key: &str) -> Reply {
        not_found(
            CODE_KEY_NOT_FOUND,
            "ApiKeyNotFound",
            format!("You have no personal access token with the id '{key}'."),
            call.instance,
        )
    }

    fn visible(&self, call: &Call<'_>, record: &Record) -> bool {
        owner(record).eq_ignore_ascii_case(call.username)
    }

    fn prepare(
        &self,
        call: &Call<'_>,
        st: &State,
        record: &mut Record,
        _old: Option<&Record>,
    ) -> Result<(), Reply> {
        let now = call.now();
        let mut problems = super::Problems::default();
        let name = problems
            .optional_string(record, "displayName")
            .unwrap_or("")
            .to_owned();
        problems.length("displayName", &name, 1, 512);
        let ends = match record.get("deactivationDate") {
            None | Some(Value::Null) => None,
            Some(Value::String(raw)) => match parse_date_time(raw) {
                Some(at) if at > now => Some(at),
                Some(_) => {
                    problems.add(
                        "deactivationDate",
                        "The deactivationDate field must be in the future.",
                    );
                    None
                }
                None => {
                    problems.add(
                        "deactivationDate",
                        "The deactivationDate field must be an RFC 3339 date-time.",
                    );
                    None
                }
            },
            Some(_) => {
                problems.add(
                    "deactivationDate",
                    "The deactivationDate field must be an RFC 3339 date-time.",
                );
                None
            }
        };
        problems.check(call.instance)?;
        let mine: Vec<&Record> = st
            .resources
            .records(COLLECTION)
            .filter(|r| self.visible(call, r))
            .collect();
        let active = |r: &&&Record| deactivation(r).is_none_or(|end| now < end);
        let taken = mine
            .iter()
            .filter(active)
            .any(|r| r.get("displayName").and_then(Value::as_str) == Some(name.as_str()));
        if taken {
            return Err(problem(
                StatusCode::CONFLICT,
                CODE_KEY_NAME_TAKEN,
                "ApiKeyDisplayNameTaken",
                "Display name already used",
                format!("An active personal access token is already named '{name}'."),
                call.instance,
            ));
        }
        if mine.len() >= KEY_LIMIT {
            return Err(problem(
                StatusCode::BAD_REQUEST,
                CODE_KEY_LIMIT,
                "PersonalAccessTokenLimitReached",
                "Personal access token limit reached",
                format!("You already hold {KEY_LIMIT} personal access tokens; delete one first."),
                call.instance,
            ));
        }
        if let Some(end) = ends {
            record.insert("deactivationDate".into(), timestamp(end));
        }
        record.insert("createdDate".into(), timestamp(now));
        record.insert(OWNER.into(), Value::String(call.username.to_owned()));
        record.insert(SECRET.into(), Value::String(random_token("emu_pat_")));
        Ok(())
    }

    fn stored(&self, call: &Call<'_>, st: &mut State, change: Change, record: &Record) {
        let Some(secret) = record.get(SECRET).and_then(Value::as_str) else {
            return;
        };
        match change {
            Change::Created => {
                st.access_tokens.insert(
                    secret.to_owned(),
                    AccessToken {
                        username: call.username.to_owned(),
                        expires_at: deactivation(record),
                    },
                );
            }
            Change::Deleted => {
                st.access_tokens.remove(secret);
            }
            Change::Updated => {}
        }
    }

    fn present(&self, call: &Call<'_>, record: &Record) -> Result<Value, Reply> {
        if call.op.operation_id == "CreateApiKey" {
            let mut shown = record.clone();
            if let Some(secret) = record.get(SECRET) {
                shown.insert("key".into(), secret.clone());
            }
            return Ok(shaped::<CreatedApiKey>(&shown));
        }
        Ok(shaped::<ApiKey>(record))
    }

    fn deleted(&self, call: &Call<'_>, record: &Record) -> Result<Reply, Reply> {
        Ok(Reply::json(StatusCode::OK, self.present(call, record)?))
    }
}

/// `DELETE /api/tokens` (InvalidateToken): the bearer token of this very call stops working.
pub(crate) fn invalidate_token(call: &Call<'_>) -> Answer {
    if let Some(token) = call.bearer {
        call.state().access_tokens.remove(token);
    }
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}
