//! The operations of the FINBOURNE Identity API, as a checked-in table.
//!
//! The emulator routes every request under `/identity/api/...` through this table: a request that
//! matches an operation the emulator implements is answered with state, any other operation of
//! the API answers `501 Not Implemented` with problem details naming the operation.
//!
//! ```
//! use finbourne_identity_emulator::operations::{operation_by_id, operations};
//!
//! assert_eq!(operations().len(), 75);
//! let add_scim = operation_by_id("AddScim").unwrap();
//! assert_eq!(add_scim.method(), "PUT");
//! assert_eq!(add_scim.path_template(), "/api/identityprovider/scim");
//! assert!(add_scim.is_implemented());
//! ```

use axum::http::Method;
use percent_encoding::percent_decode_str;

/// One operation of the Identity API: HTTP method, path template and operationId.
///
/// Path templates are relative to the Identity API base URL (for the emulator,
/// [`Emulator::identity_url`](crate::Emulator::identity_url)) and use `{name}` for path
/// parameters, as in the OpenAPI description.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Operation {
    method: &'static str,
    path: &'static str,
    operation_id: &'static str,
}

impl Operation {
    /// The HTTP method in upper case, such as `"PUT"`.
    ///
    /// ```
    /// # use finbourne_identity_emulator::operations::operation_by_id;
    /// assert_eq!(operation_by_id("ListUsers").unwrap().method(), "GET");
    /// ```
    pub fn method(&self) -> &'static str {
        self.method
    }

    /// The path template, such as `"/api/users/{id}"`.
    ///
    /// ```
    /// # use finbourne_identity_emulator::operations::operation_by_id;
    /// assert_eq!(operation_by_id("GetUser").unwrap().path_template(), "/api/users/{id}");
    /// ```
    pub fn path_template(&self) -> &'static str {
        self.path
    }

    /// The operationId, such as `"AddScim"`.
    ///
    /// ```
    /// # use finbourne_identity_emulator::operations::operations;
    /// assert!(operations().iter().any(|op| op.operation_id() == "GetUserInfo"));
    /// ```
    pub fn operation_id(&self) -> &'static str {
        self.operation_id
    }

    /// Whether the emulator answers this operation with state; all others answer
    /// `501 Not Implemented`.
    ///
    /// ```
    /// # use finbourne_identity_emulator::operations::operation_by_id;
    /// assert!(operation_by_id("CreateUser").unwrap().is_implemented());
    /// assert!(!operation_by_id("ListApplications").unwrap().is_implemented());
    /// ```
    pub fn is_implemented(&self) -> bool {
        IMPLEMENTED.contains(&self.operation_id)
    }

    fn http_method(&self) -> Method {
        Method::from_bytes(self.method.as_bytes()).unwrap_or(Method::GET)
    }
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

/// Every operation of the Identity API (75 of them), in the order of the OpenAPI description.
///
/// ```
/// use finbourne_identity_emulator::operations::operations;
///
/// let implemented = operations().iter().filter(|op| op.is_implemented()).count();
/// assert!(implemented > 10 && implemented < operations().len());
/// ```
pub fn operations() -> &'static [Operation] {
    OPERATIONS
}

/// Looks an operation up by its operationId (exact, case-sensitive).
///
/// ```
/// use finbourne_identity_emulator::operations::operation_by_id;
///
/// assert_eq!(operation_by_id("RemoveScim").unwrap().method(), "DELETE");
/// assert!(operation_by_id("NoSuchOperation").is_none());
/// ```
pub fn operation_by_id(operation_id: &str) -> Option<&'static Operation> {
    OPERATIONS.iter().find(|op| op.operation_id == operation_id)
}

const fn op(method: &'static str, path: &'static str, operation_id: &'static str) -> Operation {
    Operation {
        method,
        path,
        operation_id,
    }
}

const OPERATIONS: &[Operation] = &[
    op("GET", "/api/applications", "ListApplications"),
    op("POST", "/api/applications", "CreateApplication"),
    op("DELETE", "/api/applications/{id}", "DeleteApplication"),
    op("GET", "/api/applications/{id}", "GetApplication"),
    op(
        "POST",
        "/api/applications/{id}/lifecycle/$newsecret",
        "RotateApplicationSecrets",
    ),
    op(
        "GET",
        "/api/authentication/information",
        "GetAuthenticationInformation",
    ),
    op(
        "GET",
        "/api/authentication/password-policy/{userType}",
        "GetPasswordPolicy",
    ),
    op(
        "PUT",
        "/api/authentication/password-policy/{userType}",
        "UpdatePasswordPolicy",
    ),
    op(
        "GET",
        "/api/authentication/session-policy",
        "GetSessionPolicy",
    ),
    op(
        "PUT",
        "/api/authentication/session-policy",
        "UpdateSessionPolicy",
    ),
    op(
        "DELETE",
        "/api/authentication/support",
        "InvalidateSupportAccess",
    ),
    op(
        "GET",
        "/api/authentication/support",
        "GetSupportAccessHistory",
    ),
    op("POST", "/api/authentication/support", "GrantSupportAccess"),
    op(
        "GET",
        "/api/authentication/support-roles",
        "GetSupportRoles",
    ),
    op(
        "POST",
        "/api/cellmanagement/acceptattachment",
        "AcceptCellAttachment",
    ),
    op("PUT", "/api/cellmanagement/attachingkey", "SetAttachingKey"),
    op(
        "PUT",
        "/api/cellmanagement/attachingkey/rotate",
        "RotateAttachingKey",
    ),
    op("PUT", "/api/cellmanagement/detach", "DetachParentCell"),
    op(
        "GET",
        "/api/cellmanagement/parentcell",
        "GetCellParentStatus",
    ),
    op("PUT", "/api/cellmanagement/parentcell", "SetParentCell"),
    op(
        "DELETE",
        "/api/cellmanagement/primarydomain",
        "RemovePrimaryDomain",
    ),
    op(
        "PUT",
        "/api/cellmanagement/primarydomain",
        "SetPrimaryDomain",
    ),
    op(
        "POST",
        "/api/cellmanagement/refuseattachment",
        "RefuseCellAttachment",
    ),
    op(
        "POST",
        "/api/cellmanagement/rotatedomainkeys",
        "RotateDomainKeys",
    ),
    op("GET", "/api/directory", "FindUsersById"),
    op(
        "GET",
        "/api/externaltokenissuers",
        "ListExternalTokenIssuers",
    ),
    op(
        "POST",
        "/api/externaltokenissuers",
        "CreateExternalTokenIssuer",
    ),
    op(
        "DELETE",
        "/api/externaltokenissuers/{code}",
        "DeleteExternalTokenIssuer",
    ),
    op(
        "GET",
        "/api/externaltokenissuers/{code}",
        "GetExternalTokenIssuer",
    ),
    op(
        "PUT",
        "/api/externaltokenissuers/{code}",
        "UpdateExternalTokenIssuer",
    ),
    op("DELETE", "/api/identityprovider/scim", "RemoveScim"),
    op("PUT", "/api/identityprovider/scim", "AddScim"),
    op("GET", "/api/keys", "ListOwnApiKeys"),
    op("POST", "/api/keys", "CreateApiKey"),
    op("DELETE", "/api/keys/{id}", "DeleteApiKey"),
    op("GET", "/api/logs", "ListLogs"),
    op("GET", "/api/logs/me", "ListUserLogs"),
    op("GET", "/api/mcptools", "ListMcpTools"),
    op("DELETE", "/api/mcptools/{scope}/{code}", "DeleteMcpTool"),
    op("GET", "/api/mcptools/{scope}/{code}", "GetMcpTool"),
    op("POST", "/api/mcptools/{scope}/{code}", "CreateMcpTool"),
    op("PUT", "/api/mcptools/{scope}/{code}", "UpdateMcpTool"),
    op("GET", "/api/me", "GetUserInfo"),
    op("PUT", "/api/me/password", "SetPassword"),
    op(
        "GET",
        "/api/metadata/access/resources",
        "ListAccessControlledResources",
    ),
    op("GET", "/api/networkzones", "ListNetworkZones"),
    op("POST", "/api/networkzones", "CreateNetworkZone"),
    op("DELETE", "/api/networkzones/{code}", "DeleteNetworkZone"),
    op("GET", "/api/networkzones/{code}", "GetNetworkZone"),
    op("PUT", "/api/networkzones/{code}", "UpdateNetworkZone"),
    op("GET", "/api/roles", "ListRoles"),
    op("POST", "/api/roles", "CreateRole"),
    op("GET", "/api/roles/byCode/{code}", "GetRoleByCode"),
    op("DELETE", "/api/roles/{id}", "DeleteRole"),
    op("GET", "/api/roles/{id}", "GetRole"),
    op("PUT", "/api/roles/{id}", "UpdateRole"),
    op("GET", "/api/roles/{id}/users", "ListUsersInRole"),
    op(
        "DELETE",
        "/api/roles/{id}/users/{userId}",
        "RemoveUserFromRole",
    ),
    op("PUT", "/api/roles/{id}/users/{userId}", "AddUserToRole"),
    op("DELETE", "/api/tokens", "InvalidateToken"),
    op("GET", "/api/users", "ListUsers"),
    op("POST", "/api/users", "CreateUser"),
    op("GET", "/api/users/$runnable", "ListRunnableUsers"),
    op("GET", "/api/users/fromlogin/{login}", "GetUserFromLogin"),
    op("GET", "/api/users/schema", "GetUserSchema"),
    op("PUT", "/api/users/schema", "UpdateUserSchema"),
    op("DELETE", "/api/users/{id}", "DeleteUser"),
    op("GET", "/api/users/{id}", "GetUser"),
    op("PUT", "/api/users/{id}", "UpdateUser"),
    op(
        "POST",
        "/api/users/{id}/lifecycle/$activate",
        "SendActivationEmail",
    ),
    op(
        "POST",
        "/api/users/{id}/lifecycle/$expirepassword",
        "ExpirePassword",
    ),
    op(
        "POST",
        "/api/users/{id}/lifecycle/$resetfactors",
        "ResetFactors",
    ),
    op(
        "POST",
        "/api/users/{id}/lifecycle/$resetpassword",
        "ResetPassword",
    ),
    op("POST", "/api/users/{id}/lifecycle/$unlock", "UnlockUser"),
    op(
        "POST",
        "/api/users/{id}/lifecycle/$unsuspend",
        "UnsuspendUser",
    ),
];

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

/// Routes `method` and `path` (relative to the Identity API base, e.g. `/api/users/42`).
pub(crate) fn resolve(method: &Method, path: &str) -> Resolution {
    let mut best: Option<(&'static Operation, PathParams, Vec<bool>)> = None;
    let mut allowed: Vec<&'static str> = Vec::new();
    for op in OPERATIONS {
        let Some((params, key)) = match_template(op.path, path) else {
            continue;
        };
        if op.http_method() != *method {
            if !allowed.contains(&op.method) {
                allowed.push(op.method);
            }
            continue;
        }
        let better = match &best {
            None => true,
            Some((_, _, best_key)) => key > *best_key,
        };
        if better {
            best = Some((op, params, key));
        }
    }
    match best {
        Some((op, params, _)) => Resolution::Found(op, params),
        None if !allowed.is_empty() => Resolution::MethodNotAllowed(allowed),
        None => Resolution::NotFound,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Checks the table against `spec/identity.json` of the workspace, when the crate is built
    /// inside it (a packaged crate has no spec beside it, and skips the check).
    #[test]
    fn table_matches_workspace_spec() {
        let spec_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../spec/identity.json");
        let Ok(text) = std::fs::read_to_string(spec_path) else {
            eprintln!("skipping: {spec_path} not found");
            return;
        };
        let spec: serde_json::Value = serde_json::from_str(&text).expect("spec is JSON");
        let mut from_spec = BTreeSet::new();
        for (path, item) in spec["paths"].as_object().expect("paths object") {
            for (method, operation) in item.as_object().expect("path item object") {
                let method = method.to_ascii_uppercase();
                if ![
                    "GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE",
                ]
                .contains(&method.as_str())
                {
                    continue;
                }
                let id = operation["operationId"]
                    .as_str()
                    .expect("operationId")
                    .to_owned();
                from_spec.insert((method, path.clone(), id));
            }
        }
        let from_table: BTreeSet<_> = OPERATIONS
            .iter()
            .map(|op| {
                (
                    op.method.to_owned(),
                    op.path.to_owned(),
                    op.operation_id.to_owned(),
                )
            })
            .collect();
        assert_eq!(
            from_table.len(),
            OPERATIONS.len(),
            "duplicates in the table"
        );
        let missing: Vec<_> = from_spec.difference(&from_table).collect();
        let extra: Vec<_> = from_table.difference(&from_spec).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "missing from table: {missing:?}\nnot in spec: {extra:?}"
        );
        assert_eq!(OPERATIONS.len(), 75);
    }

    #[test]
    fn implemented_ids_exist() {
        for id in IMPLEMENTED {
            assert!(operation_by_id(id).is_some(), "{id}");
        }
    }

    #[test]
    fn literal_segments_win_over_parameters() {
        let Resolution::Found(op, _) = resolve(&Method::GET, "/api/users/schema") else {
            panic!("not found")
        };
        assert_eq!(op.operation_id(), "GetUserSchema");
        let Resolution::Found(op, params) = resolve(&Method::GET, "/api/users/00u1") else {
            panic!("not found")
        };
        assert_eq!(op.operation_id(), "GetUser");
        assert_eq!(params.get("id"), "00u1");
        let Resolution::Found(op, params) =
            resolve(&Method::POST, "/api/users/abc/lifecycle/%24activate")
        else {
            panic!("not found")
        };
        assert_eq!(op.operation_id(), "SendActivationEmail");
        assert_eq!(params.get("id"), "abc");
        let Resolution::Found(op, _) = resolve(&Method::GET, "/api/roles/byCode/admins") else {
            panic!("not found")
        };
        assert_eq!(op.operation_id(), "GetRoleByCode");
        let Resolution::Found(op, params) = resolve(&Method::GET, "/API/Roles/r1/users/") else {
            panic!("not found")
        };
        assert_eq!(op.operation_id(), "ListUsersInRole");
        assert_eq!(params.get("id"), "r1");
    }

    #[test]
    fn method_not_allowed_and_not_found() {
        match resolve(&Method::PATCH, "/api/identityprovider/scim") {
            Resolution::MethodNotAllowed(allowed) => {
                assert_eq!(allowed, vec!["DELETE", "PUT"]);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            resolve(&Method::GET, "/api/nothing/here"),
            Resolution::NotFound
        ));
        assert!(matches!(
            resolve(&Method::GET, "/api/users//x"),
            Resolution::NotFound
        ));
    }
}
