//! Which operation a request path reaches, as the service routes it: a literal segment beats a
//! parameter, literals compare ignoring ASCII case, a parameter takes one non-empty segment.
//!
//! The emulator routes with it, and the SDK and the client's hooks check every request with
//! it, so a value that would move a call to another operation never leaves the process.

use std::sync::OnceLock;

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
        // Every call is checked: compare the path with this template and the few that could
        // take the same path from it, allocating nothing; explain from the full route only
        // when another operation wins.
        if self.wins(path) {
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

impl Operation {
    /// Whether `route` would find this operation for its method and `path`: the most specific
    /// template wins, the first of equals.
    fn wins(&'static self, path: &str) -> bool {
        let Some(at) = self.place() else {
            return false;
        };
        // A path that spells a template without parameters: no template is more specific, and
        // no other spells the same for the same method.
        if path == self.path && !self.path.contains('{') {
            return true;
        }
        let Some(mine) = specificity(self.path, path) else {
            return false;
        };
        rivals()[at].iter().all(|&(their_at, rival)| {
            specificity(rival.path, path)
                .is_none_or(|theirs| theirs < mine || (theirs == mine && their_at > at))
        })
    }

    /// This operation's place in [`OPERATIONS`], from its address rather than a search of
    /// the table; `None` for an operation that is not in it.
    fn place(&'static self) -> Option<usize> {
        let offset =
            (self as *const Operation as usize).checked_sub(OPERATIONS.as_ptr() as usize)?;
        let at = offset / std::mem::size_of::<Operation>();
        OPERATIONS
            .get(at)
            .filter(|op| std::ptr::eq(*op, self))
            .map(|_| at)
    }
}

/// Per operation, in table order, the others that a path reaching its template could reach
/// instead, with their places in the table: the same method, as many segments, and no two
/// literals that differ. Most operations have none; none has more than a few.
fn rivals() -> &'static [Vec<(usize, &'static Operation)>] {
    static RIVALS: OnceLock<Vec<Vec<(usize, &'static Operation)>>> = OnceLock::new();
    RIVALS.get_or_init(|| {
        OPERATIONS
            .iter()
            .enumerate()
            .map(|(at, op)| {
                OPERATIONS
                    .iter()
                    .enumerate()
                    .filter(|&(other_at, other)| {
                        other_at != at
                            && other.method.eq_ignore_ascii_case(op.method)
                            && template(other.path).count() == template(op.path).count()
                            && template(other.path).zip(template(op.path)).all(|(a, b)| {
                                parameter(a).is_some()
                                    || parameter(b).is_some()
                                    || a.eq_ignore_ascii_case(b)
                            })
                    })
                    .collect()
            })
            .collect()
    })
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
        } else if value.eq_ignore_ascii_case(wanted)
            || (value.contains('%') && decoded_equals_ignoring_case(value, wanted))
        {
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

    /// Paths that could move a call: every template with its parameters filled by every
    /// literal segment of every template (as written, and with its first byte percent-encoded
    /// and the rest in upper case) or by a plain value, and some odd ones.
    fn paths_that_could_move_a_call() -> Vec<String> {
        let mut literals: Vec<String> = OPERATIONS
            .iter()
            .flat_map(|op| template(op.path))
            .filter(|segment| parameter(segment).is_none())
            .flat_map(|literal| {
                let other_case = literal[1..].to_ascii_uppercase();
                let encoded = format!("%{:02X}{other_case}", literal.as_bytes()[0]);
                [literal.to_owned(), encoded]
            })
            .collect();
        literals.push("00u1".to_owned());
        literals.sort();
        literals.dedup();
        let mut paths: Vec<String> = [
            "/api/users//x",
            "/api/users/",
            "/api/users/%FF",
            "/api/roles/r1/users/u%2F2",
            "/API/Roles/r1/users/",
            "/",
            "",
        ]
        .map(str::to_owned)
        .to_vec();
        for op in OPERATIONS {
            let segments: Vec<&str> = template(op.path).collect();
            paths.push(op.path.to_owned());
            for (at, _) in segments
                .iter()
                .enumerate()
                .filter(|(_, s)| parameter(s).is_some())
            {
                for literal in &literals {
                    let filled: Vec<&str> = segments
                        .iter()
                        .enumerate()
                        .map(|(i, s)| match (i == at, parameter(s)) {
                            (true, _) => literal.as_str(),
                            (false, Some(_)) => "v1",
                            (false, None) => s,
                        })
                        .collect();
                    paths.push(format!("/{}", filled.join("/")));
                }
            }
        }
        paths
    }

    #[test]
    fn the_check_agrees_with_the_route_for_every_operation() {
        let paths = paths_that_could_move_a_call();
        let mut methods: Vec<&str> = OPERATIONS.iter().map(|op| op.method).collect();
        methods.sort_unstable();
        methods.dedup();
        // Paths that fit an operation's template yet reach another one.
        let mut moved = 0;
        for path in &paths {
            // Only a template of the path's length can take it.
            let length = segments(path).len();
            for method in &methods {
                let fitting: Vec<&'static Operation> = OPERATIONS
                    .iter()
                    .filter(|op| op.method == *method && template(op.path).count() == length)
                    .collect();
                if fitting.is_empty() {
                    continue;
                }
                let routed = match route(method, path) {
                    Route::Found(found, _) => Some(found),
                    _ => None,
                };
                for op in fitting {
                    let reaches = routed.is_some_and(|r| std::ptr::eq(r, op));
                    assert_eq!(op.check_path(path).is_ok(), reaches, "{} {path}", op.id);
                    moved += usize::from(!reaches && specificity(op.path, path).is_some());
                }
            }
        }
        let with_rivals = rivals().iter().filter(|r| !r.is_empty()).count();
        assert!(
            moved >= with_rivals,
            "{moved} moved, {with_rivals} with rivals"
        );
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
