//! A path parameter as one path segment, whatever its value.
//!
//! progenitor's own encoder leaves `.` and `\` as they are: the URL parser then removes `..`
//! segments and reads `\` as `/`, so `remove_user_from_role().id("..")` reached
//! `DELETE /api/users/{user_id}`. Here every byte outside RFC 3986's unreserved set is
//! percent-encoded, and the values that no encoding keeps in place (empty, `.`, `..`) are
//! refused before a request exists.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Everything but RFC 3986's unreserved characters: ALPHA, DIGIT, `-`, `.`, `_`, `~`.
const NOT_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `value` as one path segment, or why it cannot be one; `name` is the parameter.
///
/// The generated client calls this for every path parameter.
///
/// ```
/// use finbourne_identity_client::segment;
///
/// assert_eq!(segment::encode::<()>("id", "a b/c\\d%e?f#g").unwrap(), "a%20b%2Fc%5Cd%25e%3Ff%23g");
/// assert_eq!(segment::encode::<()>("id", "00u1-ab.c_d~").unwrap(), "00u1-ab.c_d~");
/// let refused = segment::encode::<()>("user_id", "..").unwrap_err();
/// assert!(refused.to_string().contains("`user_id`"));
/// ```
// The generated code's own error type, whatever its size: `?` in a builder needs it.
#[allow(clippy::result_large_err)]
pub fn encode<E>(name: &str, value: &str) -> Result<String, progenitor_client::Error<E>> {
    if let Some(why) = refusal(value) {
        return Err(progenitor_client::Error::InvalidRequest(format!(
            "path parameter `{name}` cannot be {why}: it would not stay one segment of the path"
        )));
    }
    Ok(utf8_percent_encode(value, NOT_UNRESERVED).to_string())
}

/// Why `value` cannot be a path segment, or `None` when it can.
fn refusal(value: &str) -> Option<&'static str> {
    match value {
        "" => Some("empty"),
        "." => Some("`.`"),
        ".." => Some("`..`"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::encode;

    #[test]
    fn only_unreserved_bytes_stay_as_they_are() {
        for byte in 0u8..=0x7f {
            let value = format!("a{}", byte as char);
            let encoded = encode::<()>("id", &value).unwrap();
            let unreserved = byte.is_ascii_alphanumeric() || b"-._~".contains(&byte);
            if unreserved {
                assert_eq!(encoded, value);
            } else {
                assert_eq!(encoded, format!("a%{byte:02X}"));
            }
        }
        assert_eq!(encode::<()>("id", "é").unwrap(), "%C3%A9");
        assert_eq!(encode::<()>("id", "%2e%2e").unwrap(), "%252e%252e");
        assert_eq!(encode::<()>("id", "...").unwrap(), "...");
    }

    #[test]
    fn empty_and_dot_segments_are_refused_naming_the_parameter() {
        for (value, shown) in [("", "empty"), (".", "`.`"), ("..", "`..`")] {
            let message = encode::<()>("user_id", value).unwrap_err().to_string();
            assert!(message.contains("`user_id`"), "{message}");
            assert!(message.contains(shown), "{message}");
        }
    }
}
