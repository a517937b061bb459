//! The table of operations: what every part of the workspace needs to know of each operation,
//! generated from the spec with the client.
//!
//! ```
//! use finbourne_identity_client::operations::{self, OPERATIONS};
//!
//! let add_scim = operations::by_id("add_scim").unwrap();
//! assert_eq!((add_scim.method, add_scim.path), ("PUT", "/api/identityprovider/scim"));
//! assert!(OPERATIONS.iter().all(|op| op.path.starts_with("/api/")));
//! ```

#[rustfmt::skip]
#[path = "generated_operations.rs"]
mod generated;

#[path = "routing.rs"]
mod routing;

pub use generated::{CREDENTIAL_FIELDS, OPERATIONS, TAGS};
pub use routing::{Route, route};

/// One operation of the API.
///
/// ```
/// let op = finbourne_identity_client::operations::by_id("create_api_key").unwrap();
/// assert_eq!(op.operation_id, "CreateApiKey");
/// assert_eq!(op.credential_fields, ["key"]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Operation {
    /// The id in snake case, as the client's method is named: `add_scim`.
    pub id: &'static str,
    /// The spec's `operationId`: `AddScim`.
    pub operation_id: &'static str,
    /// The HTTP method in upper case: `PUT`.
    pub method: &'static str,
    /// The path template below the API's base URL, `{name}` for parameters: `/api/users/{id}`.
    pub path: &'static str,
    /// The spec's first tag: the group the operation belongs to.
    pub tag: &'static str,
    /// Whether the request may be sent again after it may have reached the service.
    pub idempotency: Idempotency,
    /// Properties of the successful answer that hold credentials (`apiToken`, `key`...),
    /// anywhere in its structure: never to be shown.
    pub credential_fields: &'static [&'static str],
    /// Query parameters holding a date-time.
    pub date_time_query: &'static [&'static str],
    /// The path and query parameters, in the spec's order.
    pub params: &'static [Param],
    /// The smallest JSON request body the schema accepts (its required properties only), when
    /// the operation takes a body: a start for tests and examples.
    pub minimal_body: Option<&'static str>,
    /// How the operation's answer is paged, when it is.
    pub paging: Option<Paging>,
}

/// How an operation's answer is paged: found in the spec, not named by hand. The answer is a
/// `ResourceListOf*` record whose `next_field` holds the next page's token (none on the last
/// page), and the query parameter `token_param` takes it back.
///
/// ```
/// use finbourne_identity_client::operations::{by_id, OPERATIONS};
///
/// let paging = by_id("list_logs").unwrap().paging.unwrap();
/// assert_eq!((paging.token_param, paging.next_field, paging.items_field), ("oktaAfter", "nextPage", "values"));
/// // A list with a token but no parameter to send it back does not page.
/// assert_eq!(by_id("list_access_controlled_resources").unwrap().paging, None);
/// assert!(OPERATIONS.iter().filter(|op| op.paging.is_some()).all(|op| op.method == "GET"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Paging {
    /// The query parameter taking the token, as the API names it: `oktaAfter`.
    pub token_param: &'static str,
    /// The answer's property holding the next page's token: `nextPage`.
    pub next_field: &'static str,
    /// The answer's property holding the page's items: `values`.
    pub items_field: &'static str,
}

/// A path or query parameter of an operation.
///
/// ```
/// use finbourne_identity_client::operations::{by_id, ParamKind, ParamLocation};
///
/// let remove = by_id("remove_user_from_role").unwrap();
/// let names: Vec<_> = remove.params.iter().map(|p| p.name).collect();
/// assert_eq!(names, ["id", "userId"]);
/// assert!(remove.params.iter().all(|p| p.location == ParamLocation::Path && p.kind == ParamKind::String));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Param {
    /// As the API names it: `userId`.
    pub name: &'static str,
    /// Where the value goes.
    pub location: ParamLocation,
    /// What the value is.
    pub kind: ParamKind,
    /// Whether the operation needs it.
    pub required: bool,
}

/// Where a parameter's value goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParamLocation {
    /// One segment of the path.
    Path,
    /// The query string.
    Query,
}

/// What a parameter's value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParamKind {
    /// Text.
    String,
    /// `true` or `false`.
    Boolean,
    /// A whole number.
    Integer,
    /// A date and time (RFC 3339).
    DateTime,
    /// A list of text values, repeated in the query.
    Array,
}

/// Whether sending an operation's request twice has the effect of sending it once.
///
/// By method: GET, HEAD, PUT, DELETE and OPTIONS are idempotent; POST and PATCH are not. The
/// table names the exceptions, such as a `PUT` that mints a new key on every call.
///
/// ```
/// use finbourne_identity_client::operations::{by_id, Idempotency};
///
/// assert_eq!(by_id("get_user").unwrap().idempotency, Idempotency::Always);
/// assert_eq!(by_id("create_role").unwrap().idempotency, Idempotency::Never);
/// assert_eq!(
///     by_id("add_scim").unwrap().idempotency,
///     Idempotency::UnlessQuery { name: "apiTokenAction", value: "regenerate" }
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Idempotency {
    /// Always idempotent.
    Always,
    /// Never idempotent: each request may have an effect of its own.
    Never,
    /// Idempotent unless the query parameter `name` has the value `value` as the service
    /// reads it: names and values ignoring ASCII case, values without surrounding white
    /// space. A value that is not a plain word (a number, a list) may name any value, so it
    /// counts as `value` too.
    UnlessQuery {
        /// The query parameter.
        name: &'static str,
        /// The value that makes the request non-idempotent.
        value: &'static str,
    },
}

impl Idempotency {
    /// Whether a request is idempotent whatever it holds: `Some` for [`Always`](Self::Always)
    /// and [`Never`](Self::Never), `None` when its query decides (see
    /// [`Operation::is_idempotent`]). Lets a caller without the request at hand build it only
    /// when it matters.
    ///
    /// ```
    /// use finbourne_identity_client::operations::by_id;
    ///
    /// assert_eq!(by_id("get_user").unwrap().idempotency.without_request(), Some(true));
    /// assert_eq!(by_id("create_role").unwrap().idempotency.without_request(), Some(false));
    /// assert_eq!(by_id("add_scim").unwrap().idempotency.without_request(), None);
    /// ```
    pub fn without_request(self) -> Option<bool> {
        match self {
            Self::Always => Some(true),
            Self::Never => Some(false),
            Self::UnlessQuery { .. } => None,
        }
    }
}

impl Operation {
    /// Whether the request to `url` (with its query) is idempotent.
    ///
    /// ```
    /// use finbourne_identity_client::operations::by_id;
    ///
    /// let add_scim = by_id("add_scim").unwrap();
    /// let url = |q: &str| reqwest::Url::parse(&format!("https://x/identity/api/identityprovider/scim?{q}")).unwrap();
    /// assert!(add_scim.is_idempotent(&url("apiTokenAction=ensure")));
    /// assert!(add_scim.is_idempotent(&url("apiTokenAction=")));
    /// assert!(!add_scim.is_idempotent(&url("apiTokenAction=Regenerate")));
    /// // As the service reads the value: white space, the name's case, numbers.
    /// assert!(!add_scim.is_idempotent(&url("apiTokenAction=%20regenerate")));
    /// assert!(!add_scim.is_idempotent(&url("apiTokenAction=regenerate%09")));
    /// assert!(!add_scim.is_idempotent(&url("APITOKENACTION=regenerate")));
    /// assert!(!add_scim.is_idempotent(&url("apiTokenAction=1")));
    /// ```
    pub fn is_idempotent(&self, url: &reqwest::Url) -> bool {
        match self.idempotency {
            Idempotency::UnlessQuery { name, value } => !url
                .query_pairs()
                .any(|(n, v)| n.eq_ignore_ascii_case(name) && may_read_as(&v, value)),
            fixed => fixed.without_request() == Some(true),
        }
    }
}

/// Whether the service may read `given` as the enum value `value`: ASP.NET binds enums
/// ignoring case and surrounding white space, and also takes numbers and comma-separated
/// lists, which could name any value.
fn may_read_as(given: &str, value: &str) -> bool {
    let given = given.trim();
    given.eq_ignore_ascii_case(value) || !given.chars().all(|c| c.is_ascii_alphabetic())
}

/// The operation with this snake-case id (`add_scim`) or `operationId` (`AddScim`).
///
/// ```
/// use finbourne_identity_client::operations::by_id;
///
/// assert_eq!(by_id("AddScim"), by_id("add_scim"));
/// assert!(by_id("no_such_operation").is_none());
/// ```
pub fn by_id(id: &str) -> Option<&'static Operation> {
    OPERATIONS
        .iter()
        .find(|op| op.id == id || op.operation_id == id)
}

/// The description of a tag, when the spec gives one.
///
/// ```
/// use finbourne_identity_client::operations::{tag_description, OPERATIONS};
///
/// assert!(tag_description(OPERATIONS[0].tag).is_some());
/// assert_eq!(tag_description("No such tag"), None);
/// ```
pub fn tag_description(tag: &str) -> Option<&'static str> {
    TAGS.iter()
        .find(|(name, about)| *name == tag && !about.is_empty())
        .map(|(_, about)| *about)
}
