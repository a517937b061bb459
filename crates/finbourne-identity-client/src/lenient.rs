//! Lists of records in answers, decoded one record at a time.
//!
//! A list of users or roles is many independent records; one the client cannot read (a field
//! a newer service changed, a value out of the documented shape) would otherwise fail the whole
//! answer. The generated answer types decode such lists with [`records`] and
//! [`optional_records`], which leave that record out and keep the others.
//!
//! ```
//! #[derive(serde::Deserialize)]
//! struct Team {
//!     #[serde(deserialize_with = "finbourne_identity_client::lenient::records")]
//!     members: Vec<Member>,
//! }
//! #[derive(serde::Deserialize)]
//! struct Member { name: String }
//!
//! let team: Team = serde_json::from_str(r#"{"members": [{"name": "a"}, {"name": 7}, {"name": "c"}]}"#).unwrap();
//! assert_eq!(team.members.len(), 2);
//! ```

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A list whose records that do not decode are left out.
///
/// ```
/// let names: Vec<String> = finbourne_identity_client::lenient::keep_decodable(
///     serde_json::from_str(r#"["a", 1, "b"]"#).unwrap(),
/// );
/// assert_eq!(names, ["a", "b"]);
/// ```
pub fn keep_decodable<T: DeserializeOwned>(values: Vec<Value>) -> Vec<T> {
    values
        .into_iter()
        .filter_map(|v| serde_json::from_value(v).ok())
        .collect()
}

/// `deserialize_with` for a required list of records; see the module docs.
pub fn records<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    Vec::<Value>::deserialize(deserializer).map(keep_decodable)
}

/// `deserialize_with` for an optional list of records (with `#[serde(default)]`); see the module
/// docs.
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct Page {
///     #[serde(default, deserialize_with = "finbourne_identity_client::lenient::optional_records")]
///     items: Option<Vec<u8>>,
/// }
/// let page: Page = serde_json::from_str(r#"{"items": [1, "x", 3]}"#).unwrap();
/// assert_eq!(page.items, Some(vec![1, 3]));
/// let empty: Page = serde_json::from_str("{}").unwrap();
/// assert_eq!(empty.items, None);
/// ```
pub fn optional_records<'de, D, T>(deserializer: D) -> Result<Option<Vec<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    Ok(Option::<Vec<Value>>::deserialize(deserializer)?.map(keep_decodable))
}
