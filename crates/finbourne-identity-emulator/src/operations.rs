//! The operations of the FINBOURNE Identity API, from the table generated with the client.
//!
//! The emulator routes every request under `/identity/api/...` through this table: a request that
//! matches an operation the emulator implements is answered with state, any other operation of
//! the API answers `501 Not Implemented` with problem details naming the operation.
//!
//! ```
//! use finbourne_identity_emulator::operations::{is_implemented, operation_by_id, operations};
//!
//! assert!(operations().len() > 10);
//! let add_scim = operation_by_id("AddScim").unwrap();
//! assert_eq!(add_scim.method, "PUT");
//! assert_eq!(add_scim.path, "/api/identityprovider/scim");
//! assert!(is_implemented(add_scim));
//! ```

use axum::http::Method;
pub use finbourne_identity_client::operations::Operation;
use finbourne_identity_client::operations::{OPERATIONS, Route, route};
use percent_encoding::percent_decode_str;

/// Whether the emulator answers this operation with state; all others answer
/// `501 Not Implemented`.
///
/// ```
/// # use finbourne_identity_emulator::operations::{is_implemented, operation_by_id};
/// assert!(is_implemented(operation_by_id("CreateUser").unwrap()));
/// // Served as a family of resources the table describes, and by hand.
/// assert!(is_implemented(operation_by_id("ListNetworkZones").unwrap()));
/// assert!(is_implemented(operation_by_id("UnlockUser").unwrap()));
/// ```
pub fn is_implemented(operation: &Operation) -> bool {
    IMPLEMENTED.contains(&operation.operation_id)
        || crate::area::serves(operation)
        || crate::call::serves(operation.operation_id)
}

/// The operationIds the emulator implements.
const IMPLEMENTED: &[&str] = &[
    "AddScim",
    "RemoveScim",
    "GetUserInfo",
    "ListUsers",
    "CreateUser",
    "GetUser",
    "UpdateUser",
    "DeleteUser",
    "GetUserFromLogin",
    "ListRoles",
    "CreateRole",
    "GetRole",
    "GetRoleByCode",
    "UpdateRole",
    "DeleteRole",
    "ListUsersInRole",
    "AddUserToRole",
    "RemoveUserFromRole",
];

/// Every operation of the Identity API, in the order of the OpenAPI description.
///
/// ```
/// use finbourne_identity_emulator::operations::operations;
///
/// use finbourne_identity_emulator::operations::is_implemented;
/// let implemented = operations().iter().filter(|op| is_implemented(op)).count();
/// assert!(implemented > 10 && implemented <= operations().len());
/// ```
pub fn operations() -> &'static [Operation] {
    OPERATIONS
}

/// Looks an operation up by its operationId (exact, case-sensitive).
///
/// ```
/// use finbourne_identity_emulator::operations::operation_by_id;
///
/// assert_eq!(operation_by_id("RemoveScim").unwrap().method, "DELETE");
/// assert!(operation_by_id("NoSuchOperation").is_none());
/// ```
pub fn operation_by_id(operation_id: &str) -> Option<&'static Operation> {
    OPERATIONS.iter().find(|op| op.operation_id == operation_id)
}

/// Path parameters taken from a request path, decoded, in template order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PathParams(Vec<(String, String)>);

impl PathParams {
    /// The decoded value of a path parameter, or `""` when the template has no such parameter.
    pub(crate) fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }
}

/// The outcome of routing a request against the operations table.
#[derive(Debug)]
pub(crate) enum Resolution {
    /// An operation matched method and path.
    Found(&'static Operation, PathParams),
    /// The path matches operations, but none with this method; lists the allowed methods.
    MethodNotAllowed(Vec<&'static str>),
    /// No operation has this path.
    NotFound,
}

/// Splits a path into decoded segments, ignoring the leading and any trailing `/`.
fn segments(path: &str) -> Vec<String> {
    let trimmed = path.trim_start_matches('/').trim_end_matches('/');
    if trimmed.is_empty() {
        return Vec::new();
    }
    trimmed
        .split('/')
        .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect()
}

/// Matches a path template against a request path. Literal segments compare ASCII
/// case-insensitively (like the real service's routing); `{name}` matches one non-empty segment.
///
/// Returns the parameters and a specificity key (one flag per segment, `true` for a literal),
/// so that `/api/users/schema` is preferred over `/api/users/{id}`.
pub(crate) fn match_template(template: &str, path: &str) -> Option<(PathParams, Vec<bool>)> {
    let wanted = segments(template);
    let got = segments(path);
    if wanted.len() != got.len() {
        return None;
    }
    let mut params = Vec::new();
    let mut key = Vec::with_capacity(wanted.len());
    for (w, g) in wanted.iter().zip(got) {
        if w.len() > 2 && w.starts_with('{') && w.ends_with('}') {
            if g.is_empty() {
                return None;
            }
            params.push((w[1..w.len() - 1].to_owned(), g));
            key.push(false);
        } else if w.eq_ignore_ascii_case(&g) {
            key.push(true);
        } else {
            return None;
        }
    }
    Some((PathParams(params), key))
}

/// Routes `method` and `path` (relative to the Identity API base, e.g. `/api/users/42`) as the
/// SDK checks its requests: with the client crate's router.
pub(crate) fn resolve(method: &Method, path: &str) -> Resolution {
    match route(method.as_str(), path) {
        Route::Found(op, params) => Resolution::Found(
            op,
            PathParams(
                params
                    .into_iter()
                    .map(|(name, value)| (name.to_owned(), value))
                    .collect(),
            ),
        ),
        Route::MethodNotAllowed(allowed) => Resolution::MethodNotAllowed(allowed),
        _ => Resolution::NotFound,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implemented_ids_exist() {
        for id in IMPLEMENTED {
            assert!(operation_by_id(id).is_some(), "{id}");
        }
    }
}
