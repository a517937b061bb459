//! The meaning of the operations beyond SCIM, users, roles and `GetUserInfo`: one module per
//! area of the API. Families of resources go through the generic engine
//! ([`crate::resources`]), with the meaning given here; the other operations are served by hand.

use std::collections::BTreeMap;

use axum::http::StatusCode;

use crate::operations::Operation;
use crate::reply::{CODE_UNKNOWN, Reply, problem, validation};
use crate::resources::{self, Answer, Call, Meaning, Plain};

pub(crate) mod applications;
pub(crate) mod directory;
pub(crate) mod issuers;
pub(crate) mod keys;
pub(crate) mod lifecycle;
pub(crate) mod mcp;
pub(crate) mod metadata;
pub(crate) mod policies;
pub(crate) mod schema;
pub(crate) mod support;
pub(crate) mod zones;

/// The operations served by hand here (families are recognised from the table).
const BY_HAND: &[&str] = &[
    "RotateApplicationSecrets",
    "GetAuthenticationInformation",
    "GetSupportRoles",
    "GrantSupportAccess",
    "GetSupportAccessHistory",
    "InvalidateSupportAccess",
    "GetPasswordPolicy",
    "UpdatePasswordPolicy",
    "GetSessionPolicy",
    "UpdateSessionPolicy",
    "FindUsersById",
    "ListRunnableUsers",
    "GetUserSchema",
    "UpdateUserSchema",
    "SendActivationEmail",
    "ExpirePassword",
    "ResetFactors",
    "ResetPassword",
    "UnlockUser",
    "UnsuspendUser",
    "SetPassword",
    "InvalidateToken",
    "ListAccessControlledResources",
];

/// Whether this module serves the operation: by hand, or as a member of a family.
pub(crate) fn serves(op: &Operation) -> bool {
    BY_HAND.contains(&op.operation_id) || resources::classify(op.method, op.path).is_some()
}

/// The meaning of a family, by collection path; a family without hand code gets the engine's.
fn meaning(collection: &str) -> &'static dyn Meaning {
    match collection {
        applications::COLLECTION => &applications::Applications,
        keys::COLLECTION => &keys::Keys,
        zones::COLLECTION => &zones::Zones,
        issuers::COLLECTION => &issuers::Issuers,
        mcp::COLLECTION => &mcp::McpTools,
        _ => &Plain,
    }
}

/// Serves an operation [`serves`] accepts.
pub(crate) fn serve(call: &Call<'_>) -> Answer {
    resources::check_query(call)?;
    match call.op.operation_id {
        "RotateApplicationSecrets" => applications::rotate_secrets(call),
        "GetAuthenticationInformation" => support::authentication_information(call),
        "GetSupportRoles" => support::roles(call),
        "GrantSupportAccess" => support::grant(call),
        "GetSupportAccessHistory" => support::history(call),
        "InvalidateSupportAccess" => support::invalidate(call),
        "GetPasswordPolicy" => policies::get_password_policy(call),
        "UpdatePasswordPolicy" => policies::update_password_policy(call),
        "GetSessionPolicy" => policies::get_session_policy(call),
        "UpdateSessionPolicy" => policies::update_session_policy(call),
        "FindUsersById" => directory::find_users_by_id(call),
        "ListRunnableUsers" => directory::list_runnable_users(call),
        "GetUserSchema" => schema::get(call),
        "UpdateUserSchema" => schema::update(call),
        "SendActivationEmail" => lifecycle::send_activation_email(call),
        "ExpirePassword" => lifecycle::expire_password(call),
        "ResetFactors" => lifecycle::reset_factors(call),
        "ResetPassword" => lifecycle::reset_password(call),
        "UnlockUser" => lifecycle::unlock(call),
        "UnsuspendUser" => lifecycle::unsuspend(call),
        "SetPassword" => lifecycle::set_password(call),
        "InvalidateToken" => keys::invalidate_token(call),
        "ListAccessControlledResources" => metadata::access_controlled_resources(call),
        _ => match resources::classify(call.op.method, call.op.path) {
            Some((family, verb)) => {
                resources::serve(call, &family, verb, meaning(family.collection))
            }
            None => Err(problem(
                StatusCode::NOT_IMPLEMENTED,
                CODE_UNKNOWN,
                "OperationNotImplemented",
                "Operation not implemented by the emulator",
                format!(
                    "The FINBOURNE Identity emulator does not implement operation {}.",
                    call.op.operation_id
                ),
                call.instance,
            )),
        },
    }
}

// ----- checks shared by the areas -------------------------------------------------------------

/// Problems with a request, by field, gathered before answering 400 with all of them.
#[derive(Debug, Default)]
pub(crate) struct Problems(BTreeMap<String, Vec<String>>);

impl Problems {
    pub(crate) fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0
            .entry(field.to_owned())
            .or_default()
            .push(message.into());
    }

    /// A length check in characters.
    pub(crate) fn length(&mut self, field: &str, value: &str, min: usize, max: usize) {
        let n = value.chars().count();
        if n < min || n > max {
            self.add(
                field,
                format!("The {field} field must be {min} to {max} characters long."),
            );
        }
    }

    /// The spec's pattern for codes and ids: `^[a-zA-Z0-9\-_]+$`, 1 to 64 characters.
    pub(crate) fn code(&mut self, field: &str, value: &str) {
        let n = value.chars().count();
        if n == 0
            || n > 64
            || !value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            self.add(
                field,
                format!("The {field} field must be 1 to 64 letters, digits, '-' or '_'."),
            );
        }
    }

    /// An optional string field (absent or null is fine); `Some` is the text.
    pub(crate) fn optional_string<'r>(
        &mut self,
        record: &'r resources::Record,
        field: &str,
    ) -> Option<&'r str> {
        match record.get(field) {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(s)) => Some(s),
            Some(_) => {
                self.add(field, format!("The {field} field must be a string."));
                None
            }
        }
    }

    /// `Err` with the 400 answer when there is a problem.
    pub(crate) fn check(self, instance: &str) -> Result<(), Reply> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(validation(self.0, instance))
        }
    }
}
