//! Password policies per type of user and the session policy.
//!
//! The password policy is in force: `SetPassword` checks complexity and history, the password
//! grant locks a user out after `maxAttempts` wrong passwords in a row and expires a password
//! older than `maxAgeDays` (0: never). The session policy is stored and read back.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::Problems;
use crate::reply::{Reply, invalid_field};
use crate::resources::{Answer, Call, Record};

/// The rules for passwords of one type of user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PasswordPolicy {
    pub(crate) min_length: i64,
    pub(crate) exclude_first_name: bool,
    pub(crate) exclude_last_name: bool,
    /// Days a password lasts; 0 for no limit.
    pub(crate) max_age_days: i64,
    /// How many earlier passwords may not be used again.
    pub(crate) history_count: i64,
    /// Wrong passwords in a row before a lockout; 0 for no lockout.
    pub(crate) max_attempts: i64,
}

impl Default for PasswordPolicy {
    /// The emulator's starting policy for both types of user.
    fn default() -> Self {
        PasswordPolicy {
            min_length: 12,
            exclude_first_name: true,
            exclude_last_name: true,
            max_age_days: 0,
            history_count: 4,
            max_attempts: 10,
        }
    }
}

impl PasswordPolicy {
    /// `PasswordPolicyResponse`.
    fn to_json(&self) -> Value {
        json!({
            "conditions": {
                "complexity": {
                    "minLength": self.min_length,
                    "excludeFirstName": self.exclude_first_name,
                    "excludeLastName": self.exclude_last_name,
                },
                "age": {
                    "maxAgeDays": self.max_age_days,
                    "historyCount": self.history_count,
                },
                "lockout": { "maxAttempts": self.max_attempts },
            }
        })
    }
}

/// The session policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SessionPolicy {
    pub(crate) max_session_idle_minutes: i64,
    pub(crate) max_session_lifetime_minutes: Option<i64>,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy {
            max_session_idle_minutes: 120,
            max_session_lifetime_minutes: None,
        }
    }
}

/// The domain's policies.
#[derive(Debug, Default)]
pub(crate) struct Policies {
    personal: PasswordPolicy,
    service: PasswordPolicy,
    session: SessionPolicy,
}

impl Policies {
    /// The password policy for a user's `type` (`Service`, else personal).
    pub(crate) fn password_for(&self, user_type: &str) -> &PasswordPolicy {
        if user_type.eq_ignore_ascii_case("service") {
            &self.service
        } else {
            &self.personal
        }
    }
}

/// Whether the path's `userType` is `personal` (`Ok(false)`) or `service` (`Ok(true)`).
fn service_type(call: &Call<'_>) -> Result<bool, Reply> {
    let user_type = call.param("userType");
    if user_type.eq_ignore_ascii_case("personal") {
        Ok(false)
    } else if user_type.eq_ignore_ascii_case("service") {
        Ok(true)
    } else {
        Err(invalid_field(
            "userType",
            format!("The user type '{user_type}' is not valid: use personal or service."),
            call.instance,
        ))
    }
}

/// `GET /api/authentication/password-policy/{userType}` (GetPasswordPolicy).
pub(crate) fn get_password_policy(call: &Call<'_>) -> Answer {
    let service = service_type(call)?;
    let st = call.state();
    let policy = if service {
        &st.policies.service
    } else {
        &st.policies.personal
    };
    Ok(Reply::json(StatusCode::OK, policy.to_json()))
}

/// An integer at `path` in the body (present: the engine checked the required fields), within
/// `min..=max`.
fn bounded(problems: &mut Problems, body: &Record, path: &[&str], min: i64, max: i64) -> i64 {
    let field = path.join(".");
    let mut value = body.get(path[0]);
    for part in &path[1..] {
        value = value.and_then(|v| v.get(part));
    }
    match value.and_then(Value::as_i64) {
        Some(n) if (min..=max).contains(&n) => n,
        _ => {
            problems.add(
                &field,
                format!("The {field} field must be a whole number from {min} to {max}."),
            );
            min
        }
    }
}

fn flag(body: &Record, path: &[&str]) -> bool {
    let mut value = body.get(path[0]);
    for part in &path[1..] {
        value = value.and_then(|v| v.get(part));
    }
    value.and_then(Value::as_bool).unwrap_or(false)
}

/// `PUT /api/authentication/password-policy/{userType}` (UpdatePasswordPolicy).
pub(crate) fn update_password_policy(call: &Call<'_>) -> Answer {
    let service = service_type(call)?;
    let body = call.body_object()?;
    let mut problems = Problems::default();
    let policy = PasswordPolicy {
        min_length: bounded(
            &mut problems,
            &body,
            &["conditions", "complexity", "minLength"],
            4,
            50,
        ),
        exclude_first_name: flag(&body, &["conditions", "complexity", "excludeFirstName"]),
        exclude_last_name: flag(&body, &["conditions", "complexity", "excludeLastName"]),
        max_age_days: bounded(
            &mut problems,
            &body,
            &["conditions", "age", "maxAgeDays"],
            0,
            999,
        ),
        history_count: bounded(
            &mut problems,
            &body,
            &["conditions", "age", "historyCount"],
            0,
            24,
        ),
        max_attempts: bounded(
            &mut problems,
            &body,
            &["conditions", "lockout", "maxAttempts"],
            0,
            100,
        ),
    };
    problems.check(call.instance)?;
    let answer = policy.to_json();
    let mut st = call.state();
    if service {
        st.policies.service = policy;
    } else {
        st.policies.personal = policy;
    }
    Ok(Reply::json(StatusCode::OK, answer))
}

fn session_json(policy: &SessionPolicy) -> Value {
    let mut answer = json!({ "maxSessionIdleMinutes": policy.max_session_idle_minutes });
    if let Some(lifetime) = policy.max_session_lifetime_minutes {
        answer["maxSessionLifetimeMinutes"] = json!(lifetime);
    }
    answer
}

/// `GET /api/authentication/session-policy` (GetSessionPolicy).
pub(crate) fn get_session_policy(call: &Call<'_>) -> Answer {
    let st = call.state();
    Ok(Reply::json(
        StatusCode::OK,
        session_json(&st.policies.session),
    ))
}

/// `PUT /api/authentication/session-policy` (UpdateSessionPolicy): idle time from 1 minute to
/// 90 days; the lifetime, when set, at least the idle time.
pub(crate) fn update_session_policy(call: &Call<'_>) -> Answer {
    const NINETY_DAYS: i64 = 90 * 24 * 60;
    let body = call.body_object()?;
    let mut problems = Problems::default();
    let idle = bounded(
        &mut problems,
        &body,
        &["maxSessionIdleMinutes"],
        1,
        NINETY_DAYS,
    );
    let lifetime = match body.get("maxSessionLifetimeMinutes") {
        None | Some(Value::Null) => None,
        Some(_) => Some(bounded(
            &mut problems,
            &body,
            &["maxSessionLifetimeMinutes"],
            1,
            NINETY_DAYS,
        )),
    };
    if lifetime.is_some_and(|l| l < idle) {
        problems.add(
            "maxSessionLifetimeMinutes",
            "The maxSessionLifetimeMinutes field must not be less than maxSessionIdleMinutes.",
        );
    }
    problems.check(call.instance)?;
    let policy = SessionPolicy {
        max_session_idle_minutes: idle,
        max_session_lifetime_minutes: lifetime,
    };
    let answer = session_json(&policy);
    call.state().policies.session = policy;
    Ok(Reply::json(StatusCode::OK, answer))
}
