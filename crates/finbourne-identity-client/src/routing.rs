//! Which operation a request path reaches, as the service routes it: a literal segment beats a
//! parameter, literals compare ignoring ASCII case, a parameter takes one non-empty segment.
//!
//! The emulator routes with it, and the SDK and the client's hooks check every request with
//! it, so a value that would move a call to another operation never leaves the process.

use percent_encoding::percent_decode_str;

use super::{OPERATIONS, Operation};

/// A path parameter's name and decoded value.
type Values = Vec<(&'static str, String)>;

/// Where a method and path lead.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Route {
    /// An operation, with its path parameters decoded, in template order.
    Found(&'static Operation, Vec<(&'static str, String)>),
    /// Operations have this path, none with this method; their methods, sorted.
    MethodNotAllowed(Vec<&'static str>),
    /// No operation has this path.
    NotFound,
}

/// Routes `method` and `path` (below the API's base URL, `/api/users/00u1`; percent-encoded as
/// on the wire, any query left off).
///
/// ```
/// use finbourne_identity_client::operations::{route, Route};
///
/// let Route::Found(op, params) = route("DELETE", "/api/roles/r1/users/u%2F2") else { panic!() };
/// assert_eq!(op.operation_id, "RemoveUserFromRole");
/// assert_eq!(params, [("id", "r1".to_owned()), ("userId", "u/2".to_owned())]);
/// // A literal segment wins: `schema` is not a user id.
/// let Route::Found(op, _) = route("GET", "/api/users/SCHEMA") else { panic!() };
/// assert_eq!(op.operation_id, "GetUserSchema");
/// assert_eq!(route("GET", "/api/nothing"), Route::NotFound);
/// ```
pub fn route(method: &str, path: &str) -> Route {
    let got = segments(path);
    let mut best: Option<(&'static Operation, Values, Vec<bool>)> = None;
    let mut allowed: Vec<&'static str> = Vec::new();
    for op in OPERATIONS {
        let Some((params, key)) = match_template(op.path, &got) else {
            continue;
        };
        if !op.method.eq_ignore_ascii_case(method) {
            if !allowed.contains(&op.method) {
                allowed.push(op.method);
            }
            continue;
        }
        if best.as_ref().is_none_or(|(_, _, best_key)| key > *best_key) {
            best = Some((op, params, key));
        }
    }
    match best {
        Some((op, params, _)) => Route::Found(op, params),
        None if !allowed.is_empty() => {
            allowed.sort_unstable();
            Route::MethodNotAllowed(allowed)
        }
        None => Route::NotFound,
    }
}

impl Operation {
    /// Whether `path` (below the API's base URL, as on the wire) reaches this operation; if
    /// not, why, naming the parameter whose value moved it when one did.
    ///
    /// ```
    /// use finbourne_identity_client::operations::by_id;
    ///
    /// let get_user = by_id("get_user").unwrap();
    /// assert!(get_user.check_path("/api/users/00u1").is_ok());
    /// let why = get_user.check_path("/api/users/schema").unwrap_err();
    /// assert!(why.contains("`id`") && why.contains("get_user_schema"), "{why}");
    /// ```
    pub fn check_path(&'static self, path: &str) -> Result<(), String> {
        // Every call is checked: find the winner without allocating, and explain from the
        // full route only when it is another operation.
        if winner(self.method, path).is_some_and(|op| std::ptr::eq(op, self)) {
            return Ok(());
        }
        let reached = match route(self.method, path) {
            Route::Found(op, _) if std::ptr::eq(op, self) => return Ok(()),
            Route::Found(op, _) => Some(op),
            _ => None,
        };
        let got = segments(path);
        // The parameter whose segment the other operation takes as a literal.
        let moved = reached.and_then(|other| {
            template(self.path)
                .zip(template(other.path))
                .zip(&got)
                .find_map(|((mine, theirs), value)| {
                    let name = parameter(mine)?;
                    parameter(theirs).is_none().then_some((name, value))
                })
        });
        let target = reached.map_or("no operation", |op| op.id);
        Err(match moved {
            Some((name, value)) => format!(
                "path parameter `{name}` cannot be `{}`: the request would reach {target}, not {}",
                value.escape_default(),
                self.id
            ),
            None => format!(
                "the request's path {} would reach {target}, not {}",
                path.escape_default(),
                self.id
            ),
        })
    }
}

/// The operation `route` finds for `method` and `path`, as it decides: the most specific
/// template, the first of equals.
fn winner(method: &str, path: &str) -> Option<&'static Operation> {
    let mut best: Option<(&'static Operation, u64)> = None;
    for op in OPERATIONS {
        if !op.method.eq_ignore_ascii_case(method) {
            continue;
        }
        let Some(key) = specificity(op.path, path) else {
            continue;
        };
        if best.is_none_or(|(_, best_key)| key > best_key) {
            best = Some((op, key));
        }
    }
    best.map(|(op, _)| op)
}

/// `match_template`'s specificity key as bits, the first segment highest (so that integers
/// compare as the keys do), or `None` when `path` does not match; allocates nothing.
fn specificity(template_path: &'static str, path: &str) -> Option<u64> {
    let trimmed = path.trim_start_matches('/').trim_end_matches('/');
    let mut got = (!trimmed.is_empty())
        .then(|| trimmed.split('/'))
        .into_iter()
        .flatten();
    let mut key = 0u64;
    for (at, wanted) in template(template_path).enumerate() {
        // Templates are a handful of segments; a longer one is left to the full route.
        if at == 64 {
            return None;
        }
        let value = got.next()?;
        key <<= 1;
        if parameter(wanted).is_some() {
            // A segment decodes to nothing only when it is empty.
            if value.is_empty() {
                return None;
            }
        } else if decoded_equals_ignoring_case(value, wanted) {
            key |= 1;
        } else {
            return None;
        }
    }
    got.next().is_none().then_some(key)
}

/// Whether the percent-decoded `segment` is the ASCII `literal`, ignoring ASCII case. Bytes a
/// lossy UTF-8 decoding would replace are not ASCII either, so this agrees with comparing the
/// decoded string.
fn decoded_equals_ignoring_case(segment: &str, literal: &str) -> bool {
    let mut decoded = percent_decode_str(segment);
    literal
        .bytes()
        .all(|l| decoded.next().is_some_and(|b| b.eq_ignore_ascii_case(&l)))
        && decoded.next().is_none()
}

/// `{name}` gives `name`.
fn parameter(segment: &str) -> Option<&str> {
    segment
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .filter(|s| !s.is_empty())
}

/// A template's segments, as written.
fn template(path: &'static str) -> impl Iterator<Item = &'static str> {
    path.trim_start_matches('/')
        .trim_end_matches('/')
        .split('/')
}

/// A path's segments, decoded, without the leading and any trailing `/`.
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

/// The template's parameters taken from `got`, and a specificity key (`true` per literal
/// segment) so that `/api/users/schema` beats `/api/users/{id}`.
fn match_template(path: &'static str, got: &[String]) -> Option<(Values, Vec<bool>)> {
    if template(path).count() != got.len() {
        return None;
    }
    let mut params = Vec::new();
    let mut key = Vec::with_capacity(got.len());
    for (wanted, value) in template(path).zip(got) {
        if let Some(name) = parameter(wanted) {
            if value.is_empty() {
                return None;
            }
            params.push((name, value.clone()));
            key.push(false);
        } else if wanted.eq_ignore_ascii_case(value) {
            key.push(true);
        } else {
            return None;
        }
    }
    Some((params, key))
}

#[cfg(test)]
mod tests {
    use super::super::by_id;
    use super::*;

    fn found(method: &str, path: &str) -> (&'static str, Vec<(&'static str, String)>) {
        match route(method, path) {
            Route::Found(op, params) => (op.operation_id, params),
            other => panic!("{method} {path}: {other:?}"),
        }
    }

    #[test]
    fn literal_segments_win_over_parameters_whatever_their_case() {
        assert_eq!(found("GET", "/api/users/schema").0, "GetUserSchema");
        assert_eq!(found("GET", "/api/users/00u1").1, [("id", "00u1".into())]);
        let activate = found("POST", "/api/users/abc/lifecycle/%24activate");
        assert_eq!(
            activate,
            ("SendActivationEmail", vec![("id", "abc".into())])
        );
        assert_eq!(found("GET", "/api/roles/byCode/admins").0, "GetRoleByCode");
        let users = found("GET", "/API/Roles/r1/users/");
        assert_eq!(users, ("ListUsersInRole", vec![("id", "r1".into())]));
    }

    #[test]
    fn wrong_methods_and_unknown_paths_say_so() {
        assert_eq!(
            route("PATCH", "/api/identityprovider/scim"),
            Route::MethodNotAllowed(vec!["DELETE", "PUT"])
        );
        assert_eq!(route("GET", "/api/nothing/here"), Route::NotFound);
        assert_eq!(route("GET", "/api/users//x"), Route::NotFound);
        assert_eq!(route("GET", "/"), Route::NotFound);
    }

    #[test]
    fn the_quick_check_agrees_with_the_route() {
        let paths = [
            "/api/users/schema",
            "/api/users/SCHEMA",
            "/api/users/sch%65ma",
            "/api/users/00u1",
            "/api/users/%FF",
            "/api/users//x",
            "/api/users/",
            "/api/roles/r1/users/u%2F2",
            "/API/Roles/r1/users/",
            "/api/identityprovider/scim",
            "/api/users/abc/lifecycle/%24activate",
            "/",
            "",
        ];
        for op in OPERATIONS {
            for path in paths.iter().copied().chain([op.path]) {
                let routed = match route(op.method, path) {
                    Route::Found(found, _) => Some(found),
                    _ => None,
                };
                let quick = winner(op.method, path);
                assert_eq!(
                    quick.map(|o| o.id),
                    routed.map(|o| o.id),
                    "{} {path}",
                    op.method
                );
                assert_eq!(
                    op.check_path(path).is_ok(),
                    routed.is_some_and(|r| std::ptr::eq(r, op))
                );
            }
        }
    }

    #[test]
    fn a_path_that_reaches_another_operation_is_explained() {
        let remove = by_id("remove_user_from_role").unwrap();
        assert!(remove.check_path("/api/roles/r1/users/u1").is_ok());
        // What `..` as the role id did before the encoder refused it.
        let why = remove.check_path("/api/users/u1").unwrap_err();
        assert!(
            why.contains("would reach delete_user, not remove_user_from_role"),
            "{why}"
        );
        let get_user = by_id("get_user").unwrap();
        assert_eq!(
            get_user.check_path("/api/users/Schema").unwrap_err(),
            "path parameter `id` cannot be `Schema`: the request would reach get_user_schema, not get_user"
        );
        let why = get_user.check_path("/api/users/a/b").unwrap_err();
        assert!(why.contains("would reach no operation"), "{why}");
    }
}
