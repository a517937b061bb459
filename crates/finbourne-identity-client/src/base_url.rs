//! Request URLs from the client's base URL, parsed once per client rather than once per call.
//!
//! A generated builder used to format the whole URL (`{baseurl}/api/users/{id}`) and have
//! reqwest parse it, scheme and host included, on every call. The builders now call [`join`]
//! with the operation's path alone, and the base URL, parsed on the first call, has its path
//! extended: the same URL (the tests compare the two over every operation), for about half
//! the work. The hooks' path check reads the base's path from the same parse.

use std::borrow::Cow;
use std::sync::OnceLock;

use crate::Client;
use crate::operations::{OPERATIONS, Operation, ParamLocation};

/// The client's base URL as written and as parsed, on its first call.
#[derive(Debug, Clone, Default)]
pub(crate) struct ParsedBase(OnceLock<Parsed>);

#[derive(Debug, Clone)]
struct Parsed {
    written: String,
    /// `None` when it does not parse.
    url: Option<reqwest::Url>,
    /// Whether appending a path to `written` and parsing the whole gives the same URL as
    /// setting `url`'s path: a URL already in its parsed form, with no query or fragment.
    extendable: bool,
    /// Per operation in the table, the URL of an operation whose path has no parameters,
    /// joined on its first call (with room for its query): later calls copy it.
    fixed: Box<[OnceLock<Kept>]>,
}

impl Parsed {
    fn new(written: &str) -> Parsed {
        let url = reqwest::Url::parse(written).ok();
        let extendable = url.as_ref().is_some_and(|url| {
            let as_written = url.as_str() == written
                || (url.path() == "/" && url.as_str().strip_suffix('/') == Some(written));
            as_written
                && !url.cannot_be_a_base()
                && url.query().is_none()
                && url.fragment().is_none()
        });
        Parsed {
            written: written.to_owned(),
            url,
            extendable,
            fixed: OPERATIONS.iter().map(|_| OnceLock::new()).collect(),
        }
    }
}

/// `client`'s base URL parsed: cached on the first call. A `Hooks` moved to a client with
/// another base URL keeps the first one's, so that one is parsed every time.
fn parsed(client: &Client) -> Cow<'_, Parsed> {
    use progenitor_client::ClientInfo;

    let written = client.baseurl();
    match client.inner().base.0.get_or_init(|| Parsed::new(written)) {
        cached if cached.written == written => Cow::Borrowed(cached),
        _ => Cow::Owned(Parsed::new(written)),
    }
}

/// `path` (the operation's, its parameters encoded: `/api/users/00u1`) below `client`'s base
/// URL: the URL parsed from the two written one after the other.
pub(crate) fn join(client: &Client, path: &str) -> Result<reqwest::Url, String> {
    let base = parsed(client);
    let Some(parsed) = base.url.as_ref().filter(|_| base.extendable) else {
        return parse(&format!("{}{path}", base.written));
    };
    let mut url = parsed.clone();
    // A base URL without a path is parsed with `/`, which the joined path replaces.
    let below = if base.written.ends_with('/') {
        url.path()
    } else {
        url.path().trim_end_matches('/')
    };
    let mut full = String::with_capacity(below.len() + path.len());
    full.push_str(below);
    full.push_str(path);
    url.set_path(&full);
    Ok(url)
}

/// The URL of the operation at `at` in the table, whose path `path` has no parameters:
/// [`join`]ed on the client's first call of it, copied on later ones. An `at` whose operation
/// has another path is joined every time.
pub(crate) fn join_fixed(
    client: &Client,
    at: usize,
    path: &'static str,
) -> Result<reqwest::Url, String> {
    let base = parsed(client);
    let slot = match &base {
        Cow::Borrowed(base) if OPERATIONS.get(at).is_some_and(|op| op.path == path) => {
            base.fixed.get(at)
        }
        _ => None,
    };
    let Some(slot) = slot else {
        return join(client, path);
    };
    let kept = match slot.get() {
        Some(kept) => kept,
        // A URL that does not parse is not kept: every call says so.
        None => {
            let url = join(client, path)?;
            slot.get_or_init(|| Kept::new(url, &OPERATIONS[at]))
        }
    };
    Ok(kept.copy())
}

/// The URL of an operation whose path has no parameters, as [`join_fixed`] keeps it.
#[derive(Debug, Clone)]
struct Kept {
    url: reqwest::Url,
    /// Whether `url` holds a placeholder query [`QUERY_ROOM`] bytes long.
    room: bool,
}

impl Kept {
    fn new(mut url: reqwest::Url, operation: &Operation) -> Kept {
        let room = url.query().is_none() && url.fragment().is_none() && takes_query(operation);
        if room {
            url.set_query(Some(&"q".repeat(QUERY_ROOM)));
        }
        Kept { url, room }
    }

    /// The URL as joined, with the room for a query kept in its text's allocation.
    fn copy(&self) -> reqwest::Url {
        let mut url = self.url.clone();
        if self.room {
            url.set_query(None);
        }
        url
    }
}

/// Whether `operation` has query parameters.
fn takes_query(operation: &Operation) -> bool {
    operation
        .params
        .iter()
        .any(|p| p.location == ParamLocation::Query)
}

/// Room for a query, in bytes, in the kept URL of an operation with query parameters. A copy
/// of a URL has no room beyond its text: the query's first `?` would move the whole text to
/// a larger allocation, on every call. The kept URL holds a placeholder query this long,
/// which each copy takes out again, keeping the room.
const QUERY_ROOM: usize = 64;

/// `client`'s base URL as parsed, `None` when it does not parse: how the URL of every request
/// it builds starts.
pub(crate) fn parsed_url(client: &Client) -> Option<Cow<'_, reqwest::Url>> {
    match parsed(client) {
        Cow::Borrowed(base) => base.url.as_ref().map(Cow::Borrowed),
        Cow::Owned(base) => base.url.map(Cow::Owned),
    }
}

fn parse(text: &str) -> Result<reqwest::Url, String> {
    reqwest::Url::parse(text).map_err(|e| format!("the URL {text} is not valid: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Hooks;
    use crate::operations::OPERATIONS;
    use progenitor_client::ClientInfo;

    const BASES: &[&str] = &[
        "http://127.0.0.1:8080/identity",
        "https://example.lusid.com/identity",
        "https://example.lusid.com/identity/",
        "https://example.lusid.com",
        "https://example.lusid.com/",
        "http://[::1]:9/identity",
        "https://user:secret@example.lusid.com/identity",
        // Not in parsed form, or with more than a path: parsed whole every call.
        "HTTPS://Example.LUSID.com:443/identity",
        "https://bücher.example/identity",
        "https://example.lusid.com/a b/%7e/identity",
        "https://example.lusid.com/x/./identity/..",
        "https://example.lusid.com/identity?x=1",
        "https://example.lusid.com/identity#part",
        "mailto:someone",
        "not a url",
        "http://example.lusid.com:99999/identity",
    ];

    /// Every operation's path, its parameters filled with encoded values, some of them odd.
    fn paths() -> Vec<String> {
        let values = ["00u1", "a%2Fb", "%2E%2E", "x%20y", "%C3%A9"];
        OPERATIONS
            .iter()
            .flat_map(|op| {
                values.iter().map(|value| {
                    op.path
                        .split('/')
                        .map(|s| if s.starts_with('{') { *value } else { s })
                        .collect::<Vec<_>>()
                        .join("/")
                })
            })
            .collect()
    }

    #[test]
    fn joined_urls_are_the_urls_parsed_whole_for_every_operation() {
        let paths = paths();
        for base in BASES {
            let client = Client::new(base, Hooks::none());
            for path in &paths {
                let whole = reqwest::Url::parse(&format!("{base}{path}")).map(String::from);
                let joined = join(&client, path).map(String::from);
                assert_eq!(joined.is_ok(), whole.is_ok(), "{base} {path}: {joined:?}");
                if let Ok(whole) = whole {
                    assert_eq!(joined.unwrap(), whole, "{base} {path}");
                }
            }
        }
    }

    #[test]
    fn paths_without_parameters_are_joined_once_per_client_to_the_same_url() {
        for base in BASES {
            let client = Client::new(base, Hooks::none());
            for (at, op) in OPERATIONS.iter().enumerate() {
                if op.path.contains('{') {
                    continue;
                }
                let joined = join(&client, op.path);
                for _ in 0..2 {
                    assert_eq!(join_fixed(&client, at, op.path), joined, "{base} {}", op.id);
                }
                let kept = parsed(&client).fixed[at].get().map(Kept::copy);
                assert_eq!(
                    kept.ok_or(()),
                    joined.clone().map_err(drop),
                    "{base} {}",
                    op.id
                );
                // A place that holds another operation is not trusted.
                let other = (at + 1) % OPERATIONS.len();
                assert_eq!(join_fixed(&client, other, op.path), joined);
                if OPERATIONS[other].path != op.path {
                    assert!(
                        parsed(&client).fixed[other]
                            .get()
                            .is_none_or(|kept| kept.url.path().ends_with(OPERATIONS[other].path))
                    );
                }
            }
        }
    }

    /// A kept URL's copies take a query of up to `QUERY_ROOM` bytes without a new allocation.
    #[test]
    fn copies_of_a_kept_url_have_room_for_their_query() {
        let client = Client::new(BASES[0], Hooks::none());
        let mut checked = 0;
        for (at, op) in OPERATIONS.iter().enumerate() {
            if op.path.contains('{') || !takes_query(op) {
                continue;
            }
            for _ in 0..2 {
                let text = String::from(join_fixed(&client, at, op.path).unwrap());
                assert!(!text.contains('?'), "{text}");
                assert!(text.capacity() > text.len() + QUERY_ROOM, "{}", op.id);
            }
            checked += 1;
        }
        assert!(
            checked > 0,
            "no operation without path parameters has query parameters"
        );
    }

    #[test]
    fn hooks_moved_to_a_client_with_another_base_url_join_to_that_one() {
        let first = Client::new("https://one.example/identity", Hooks::none());
        join(&first, "/api/users").unwrap();
        let moved = Client::new_with_client(
            "https://two.example/identity",
            reqwest::Client::new(),
            first.inner().clone(),
        );
        assert_eq!(
            join(&moved, "/api/users").unwrap().as_str(),
            "https://two.example/identity/api/users"
        );
        let error = join(&Client::new("not a url", Hooks::none()), "/api/users").unwrap_err();
        assert_eq!(
            error,
            "the URL not a url/api/users is not valid: relative URL without a base"
        );
    }
}
