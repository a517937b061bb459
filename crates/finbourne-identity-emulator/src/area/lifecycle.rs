//! The user lifecycle (`/api/users/{id}/lifecycle/...`), `SetPassword` and what they do to
//! signing in with the password grant.
//!
//! Statuses are the identity provider's (Okta's): `STAGED` (created, not activated),
//! `PROVISIONED` (activation pending: the activation email is out), `ACTIVE`, `RECOVERY`
//! (password reset pending), `PASSWORD_EXPIRED`, `LOCKED_OUT`, `SUSPENDED`, `DEPROVISIONED`
//! (deleted). Only an `ACTIVE` user signs in with a password:
//!
//! | operation | from | to |
//! |---|---|---|
//! | `SendActivationEmail` | `STAGED`, `PROVISIONED` | `PROVISIONED` (any other status: 400, code 707) |
//! | `ExpirePassword` | `ACTIVE`, `PASSWORD_EXPIRED`, `RECOVERY`, `LOCKED_OUT` | `PASSWORD_EXPIRED`, the password replaced by the temporary one answered (else code 719) |
//! | `ResetPassword` | `ACTIVE`, `PASSWORD_EXPIRED`, `RECOVERY`, `LOCKED_OUT` | `RECOVERY` (else code 718) |
//! | `ResetFactors` | any | unchanged |
//! | `UnlockUser` | `LOCKED_OUT` | `ACTIVE`, failed sign-ins forgotten (else code 706) |
//! | `UnsuspendUser` | `SUSPENDED` | `ACTIVE` (else code 717) |
//! | `SetPassword` (the caller) | any but `DEPROVISIONED` | `ACTIVE` when it was `PASSWORD_EXPIRED` or `RECOVERY` |
//! | password grant, wrong password | `ACTIVE` | `LOCKED_OUT` after the policy's `maxAttempts` failures in a row |
//! | password grant | `ACTIVE` | `PASSWORD_EXPIRED` once the password is older than the policy's `maxAgeDays` |

use std::collections::HashMap;
use std::fmt;

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::reply::{CODE_USER_NOT_FOUND, Reply, not_found, oauth_error, problem};
use crate::resources::{Answer, Call, field_problem, timestamp};
use crate::state::{State, UserRecord, random_id};
use crate::{Emulator, Shared, lock};

/// FINBOURNE error codes of the lifecycle.
const CODE_USER_DELETED: i32 = 705;
const CODE_NOT_LOCKED_OUT: i32 = 706;
const CODE_ALREADY_ACTIVATED: i32 = 707;
const CODE_STATUS_FORBIDS: i32 = 717;
const CODE_STATUS_FORBIDS_RESET: i32 = 718;
const CODE_STATUS_FORBIDS_EXPIRY: i32 = 719;
const CODE_PASSWORD_CANNOT_BE_UPDATED: i32 = 784;
const CODE_PASSWORD_REJECTED: i32 = 787;

pub(crate) const STAGED: &str = "STAGED";
pub(crate) const PROVISIONED: &str = "PROVISIONED";
pub(crate) const ACTIVE: &str = "ACTIVE";
pub(crate) const RECOVERY: &str = "RECOVERY";
pub(crate) const PASSWORD_EXPIRED: &str = "PASSWORD_EXPIRED";
pub(crate) const LOCKED_OUT: &str = "LOCKED_OUT";
pub(crate) const SUSPENDED: &str = "SUSPENDED";
pub(crate) const DEPROVISIONED: &str = "DEPROVISIONED";

/// Every status a user can have.
pub const USER_STATUSES: &[&str] = &[
    STAGED,
    PROVISIONED,
    ACTIVE,
    RECOVERY,
    PASSWORD_EXPIRED,
    LOCKED_OUT,
    SUSPENDED,
    DEPROVISIONED,
];

/// What the emulator knows of a user's password beyond the configuration.
#[derive(Clone, Default)]
pub(crate) struct Account {
    /// The password now, when it is no longer the configured one.
    password: Option<String>,
    /// Earlier passwords, newest last.
    history: Vec<String>,
    /// When the password last changed.
    pub(crate) changed: Option<DateTime<Utc>>,
    /// Wrong passwords in a row.
    failed_sign_ins: u32,
}

impl fmt::Debug for Account {
    /// Never shows passwords.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("changed", &self.changed)
            .field("failed_sign_ins", &self.failed_sign_ins)
            .finish_non_exhaustive()
    }
}

/// Accounts by login (lower case).
#[derive(Debug, Default)]
pub(crate) struct Accounts(HashMap<String, Account>);

impl Accounts {
    fn entry(&mut self, login: &str) -> &mut Account {
        self.0.entry(login.to_ascii_lowercase()).or_default()
    }

    fn get(&self, login: &str) -> Option<&Account> {
        self.0.get(&login.to_ascii_lowercase())
    }

    /// When the user's password last changed through the API, if it did.
    pub(crate) fn password_changed(&self, login: &str) -> Option<DateTime<Utc>> {
        self.get(login).and_then(|a| a.changed)
    }
}

/// The configured password of a login, if the builder gave it one.
fn configured_password<'s>(shared: &'s Shared, login: &str) -> Option<(&'s str, &'s str)> {
    shared
        .config
        .users
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(login))
        .map(|(name, password)| (name.as_str(), password.as_str()))
}

/// The password a login signs in with now, if any.
fn current_password(shared: &Shared, st: &State, login: &str) -> Option<String> {
    st.accounts
        .get(login)
        .and_then(|a| a.password.clone())
        .or_else(|| configured_password(shared, login).map(|(_, p)| p.to_owned()))
}

fn invalid_grant(description: &str) -> Reply {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", description)
}

/// Checks a password grant's user name and password against the users' passwords, statuses and
/// password policy, counting failures toward a lockout. `Ok` is the user name the tokens act as.
pub(crate) fn sign_in(
    shared: &Shared,
    st: &mut State,
    username: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<String, Reply> {
    let wrong = || invalid_grant("The credentials provided were invalid.");
    let Some(user) = st.user_by_login(username).cloned() else {
        return Err(wrong());
    };
    let Some(expected) = current_password(shared, st, &user.login) else {
        return Err(wrong());
    };
    let name = configured_password(shared, &user.login)
        .map_or_else(|| user.login.clone(), |(name, _)| name.to_owned());
    let policy = st.policies.password_for(&user.user_type).clone();
    if !crate::oauth::same_secret(&expected, password) {
        let account = st.accounts.entry(&user.login);
        account.failed_sign_ins = account.failed_sign_ins.saturating_add(1);
        let failed = account.failed_sign_ins;
        if policy.max_attempts > 0
            && i64::from(failed) >= policy.max_attempts
            && user.status == ACTIVE
        {
            set_status(st, &user.id, LOCKED_OUT, now);
        }
        return Err(wrong());
    }
    match user.status.as_str() {
        ACTIVE => {}
        PASSWORD_EXPIRED => {
            return Err(invalid_grant(
                "The password has expired: set a new one before signing in.",
            ));
        }
        LOCKED_OUT => return Err(invalid_grant("The user is locked out.")),
        SUSPENDED => return Err(invalid_grant("The user is suspended.")),
        RECOVERY => return Err(invalid_grant("The user's password is being reset.")),
        _ => return Err(invalid_grant("The user is not activated.")),
    }
    let changed = st
        .accounts
        .password_changed(&user.login)
        .unwrap_or(user.created);
    if policy.max_age_days > 0 && now >= changed + chrono::Duration::days(policy.max_age_days) {
        set_status(st, &user.id, PASSWORD_EXPIRED, now);
        return Err(invalid_grant(
            "The password has expired: set a new one before signing in.",
        ));
    }
    st.accounts.entry(&user.login).failed_sign_ins = 0;
    Ok(name)
}

fn set_status(st: &mut State, id: &str, status: &str, now: DateTime<Utc>) {
    if let Some(user) = st.users.iter_mut().find(|u| u.id == id) {
        user.status = status.to_owned();
        user.last_updated = now;
    }
}

/// The user a lifecycle call names: 404 when there is none, 400 (code 705) when it was deleted.
fn lifecycle_user(call: &Call<'_>, st: &State) -> Result<UserRecord, Reply> {
    let id = call.param("id");
    match st.users.iter().find(|u| u.id == id) {
        None => Err(not_found(
            CODE_USER_NOT_FOUND,
            "UserNotFound",
            format!("No user has the id '{id}'."),
            call.instance,
        )),
        Some(user) if user.deactivated || user.status == DEPROVISIONED => Err(problem(
            StatusCode::BAD_REQUEST,
            CODE_USER_DELETED,
            "UserDeleted",
            "User is deleted",
            format!("The user '{id}' was deleted."),
            call.instance,
        )),
        Some(user) => Ok(user.clone()),
    }
}

fn status_forbids(call: &Call<'_>, code: i32, name: &str, user: &UserRecord, what: &str) -> Reply {
    problem(
        StatusCode::BAD_REQUEST,
        code,
        name,
        "User status does not allow this operation",
        format!(
            "The user '{}' has the status {}, which does not allow {what}.",
            user.id, user.status
        ),
        call.instance,
    )
}

/// `POST /api/users/{id}/lifecycle/$activate` (SendActivationEmail).
pub(crate) fn send_activation_email(call: &Call<'_>) -> Answer {
    let now = call.now();
    let mut st = call.state();
    let user = lifecycle_user(call, &st)?;
    if user.status != STAGED && user.status != PROVISIONED {
        return Err(problem(
            StatusCode::BAD_REQUEST,
            CODE_ALREADY_ACTIVATED,
            "UserAlreadyActivated",
            "User already activated",
            format!(
                "The user '{}' is already activated (status {}).",
                user.id, user.status
            ),
            call.instance,
        ));
    }
    set_status(&mut st, &user.id, PROVISIONED, now);
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

/// Statuses from which a password can be expired or reset.
const HAS_PASSWORD: &[&str] = &[ACTIVE, PASSWORD_EXPIRED, RECOVERY, LOCKED_OUT];

/// `POST /api/users/{id}/lifecycle/$expirepassword` (ExpirePassword): answers the temporary
/// password, which is expired already.
pub(crate) fn expire_password(call: &Call<'_>) -> Answer {
    let now = call.now();
    let mut st = call.state();
    let user = lifecycle_user(call, &st)?;
    if !HAS_PASSWORD.contains(&user.status.as_str()) {
        return Err(status_forbids(
            call,
            CODE_STATUS_FORBIDS_EXPIRY,
            "UserStatusForbidsPasswordExpiry",
            &user,
            "expiring the password",
        ));
    }
    let temporary = random_id("Tmp-");
    change_password(call.shared, &mut st, &user.login, &temporary, now);
    set_status(&mut st, &user.id, PASSWORD_EXPIRED, now);
    Ok(Reply::json(
        StatusCode::OK,
        json!({ "password": temporary }),
    ))
}

/// `POST /api/users/{id}/lifecycle/$resetpassword` (ResetPassword).
pub(crate) fn reset_password(call: &Call<'_>) -> Answer {
    let now = call.now();
    let mut st = call.state();
    let user = lifecycle_user(call, &st)?;
    if !HAS_PASSWORD.contains(&user.status.as_str()) {
        return Err(status_forbids(
            call,
            CODE_STATUS_FORBIDS_RESET,
            "UserStatusForbidsPasswordReset",
            &user,
            "a password reset",
        ));
    }
    set_status(&mut st, &user.id, RECOVERY, now);
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

/// `POST /api/users/{id}/lifecycle/$resetfactors` (ResetFactors): the status stays.
pub(crate) fn reset_factors(call: &Call<'_>) -> Answer {
    let now = call.now();
    let mut st = call.state();
    let user = lifecycle_user(call, &st)?;
    let status = user.status.clone();
    set_status(&mut st, &user.id, &status, now);
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

/// `POST /api/users/{id}/lifecycle/$unlock` (UnlockUser).
pub(crate) fn unlock(call: &Call<'_>) -> Answer {
    let now = call.now();
    let mut st = call.state();
    let user = lifecycle_user(call, &st)?;
    if user.status != LOCKED_OUT {
        return Err(problem(
            StatusCode::BAD_REQUEST,
            CODE_NOT_LOCKED_OUT,
            "UserNotLockedOut",
            "User is not locked out",
            format!(
                "The user '{}' is not locked out (status {}).",
                user.id, user.status
            ),
            call.instance,
        ));
    }
    st.accounts.entry(&user.login).failed_sign_ins = 0;
    set_status(&mut st, &user.id, ACTIVE, now);
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

/// `POST /api/users/{id}/lifecycle/$unsuspend` (UnsuspendUser).
pub(crate) fn unsuspend(call: &Call<'_>) -> Answer {
    let now = call.now();
    let mut st = call.state();
    let user = lifecycle_user(call, &st)?;
    if user.status != SUSPENDED {
        return Err(status_forbids(
            call,
            CODE_STATUS_FORBIDS,
            "UserStatusForbidsOperation",
            &user,
            "lifting a suspension",
        ));
    }
    set_status(&mut st, &user.id, ACTIVE, now);
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

/// Makes `password` the login's password, the old one going into the history.
fn change_password(
    shared: &Shared,
    st: &mut State,
    login: &str,
    password: &str,
    now: DateTime<Utc>,
) {
    let old = current_password(shared, st, login);
    let account = st.accounts.entry(login);
    if let Some(old) = old {
        account.history.push(old);
        let excess = account.history.len().saturating_sub(24);
        account.history.drain(..excess);
    }
    account.password = Some(password.to_owned());
    account.changed = Some(now);
    account.failed_sign_ins = 0;
}

/// `PUT /api/me/password` (SetPassword): the caller's new password, checked against the
/// password policy of the caller's type of user.
pub(crate) fn set_password(call: &Call<'_>) -> Answer {
    let body = call.body_object()?;
    let value = match body.get("value") {
        Some(Value::String(v)) => v.clone(),
        _ => {
            return Err(crate::reply::invalid_field(
                "value",
                "The value field must be a string.",
                call.instance,
            ));
        }
    };
    let n = value.chars().count();
    if !(12..=50).contains(&n) {
        return Err(crate::reply::invalid_field(
            "value",
            "The value field must be 12 to 50 characters long.",
            call.instance,
        ));
    }
    let now = call.now();
    let mut st = call.state();
    let Some(user) = st.user_by_login(call.username).cloned() else {
        return Err(problem(
            StatusCode::BAD_REQUEST,
            CODE_PASSWORD_CANNOT_BE_UPDATED,
            "PasswordCannotBeUpdated",
            "Password cannot be updated",
            "The signed-in user has no user record whose password could change.",
            call.instance,
        ));
    };
    let policy = st.policies.password_for(&user.user_type).clone();
    let reject = |message: String| {
        field_problem(
            CODE_PASSWORD_REJECTED,
            "PasswordRejected",
            "value",
            message,
            call.instance,
        )
    };
    if i64::try_from(n).unwrap_or(i64::MAX) < policy.min_length {
        return Err(reject(format!(
            "The password must be at least {} characters long.",
            policy.min_length
        )));
    }
    let lower = value.to_lowercase();
    let contains = |part: &str| part.chars().count() >= 3 && lower.contains(&part.to_lowercase());
    if policy.exclude_first_name && contains(&user.first_name) {
        return Err(reject(
            "The password must not contain the first name.".into(),
        ));
    }
    if policy.exclude_last_name && contains(&user.last_name) {
        return Err(reject(
            "The password must not contain the last name.".into(),
        ));
    }
    let current = current_password(call.shared, &st, &user.login);
    let history = st
        .accounts
        .get(&user.login)
        .map(|a| a.history.clone())
        .unwrap_or_default();
    let recent = usize::try_from(policy.history_count).unwrap_or(0);
    let reused = current.as_deref() == Some(value.as_str())
        || history.iter().rev().take(recent).any(|old| *old == value);
    if reused {
        return Err(reject(format!(
            "The password must differ from the last {} passwords.",
            recent.max(1)
        )));
    }
    change_password(call.shared, &mut st, &user.login, &value, now);
    if user.status == PASSWORD_EXPIRED || user.status == RECOVERY {
        set_status(&mut st, &user.id, ACTIVE, now);
    }
    Ok(Reply::json(
        StatusCode::OK,
        json!({ "updatedAt": timestamp(now) }),
    ))
}

impl Emulator {
    /// Sets the status of the user with this login, as the identity provider's administrators
    /// can (for example `SUSPENDED`, which no operation of the API sets, or `STAGED`). Returns
    /// whether there was such a user and the status is one of [`USER_STATUSES`](crate::USER_STATUSES).
    ///
    /// Only `ACTIVE` users sign in with the password grant.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), finbourne_identity_emulator::Error> {
    /// let emu = finbourne_identity_emulator::Emulator::start().await?;
    /// assert!(emu.set_user_status(emu.username(), "SUSPENDED"));
    /// assert_eq!(emu.user_status(emu.username()).as_deref(), Some("SUSPENDED"));
    /// assert!(!emu.set_user_status(emu.username(), "ASLEEP"));
    /// assert!(!emu.set_user_status("nobody@example.com", "ACTIVE"));
    /// # Ok(()) }
    /// ```
    pub fn set_user_status(&self, login: &str, status: &str) -> bool {
        let Some(status) = USER_STATUSES
            .iter()
            .find(|s| s.eq_ignore_ascii_case(status))
        else {
            return false;
        };
        let now = self.shared.clock.now();
        let mut st = lock(&self.shared.state);
        let Some(id) = st.user_by_login(login).map(|u| u.id.clone()) else {
            return false;
        };
        if *status == ACTIVE {
            st.accounts.entry(login).failed_sign_ins = 0;
        }
        set_status(&mut st, &id, status, now);
        true
    }

    /// The status of the user with this login (`ACTIVE`, `LOCKED_OUT`...), if there is one.
    pub fn user_status(&self, login: &str) -> Option<String> {
        lock(&self.shared.state)
            .user_by_login(login)
            .map(|u| u.status.clone())
    }
}
