//! Turning the text or JSON a source gives into a checked value of the setting's kind.
//!
//! Every source (environment, secrets.json, code) goes through these functions, so a value is
//! checked the same way wherever it comes from, and problems name that source.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;
use serde_json::Value as Json;
use url::{Host, Url};

use super::setting::Kind;
use super::{ConfigProblem, Setting, Source};

/// A checked value.
#[derive(Clone, Debug)]
pub(crate) enum Value {
    Text(String),
    Secret(SecretString),
    Url(Url),
    Path(PathBuf),
    Duration(Duration),
    Count(u32),
    /// An interval that can be turned off (`None`).
    Interval(Option<Duration>),
}

/// What one source says about one setting. `value` is `None` when the source gave something
/// unusable: the problem is already recorded, and the setting still counts as given so that it
/// is not also reported missing.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub setting: Setting,
    pub source: Source,
    pub value: Option<Value>,
}

impl Entry {
    /// Records the problem, if any, and keeps the entry either way.
    pub fn checked(
        setting: Setting,
        source: Source,
        checked: Result<Value, ConfigProblem>,
        problems: &mut Vec<ConfigProblem>,
    ) -> Entry {
        let value = checked.map_err(|problem| problems.push(problem)).ok();
        Entry {
            setting,
            source,
            value,
        }
    }
}

/// Whether text gives a value at all: empty or blank text counts as missing, so a template's
/// `""` never hides a value from an earlier source.
pub(crate) fn is_given(text: &str) -> bool {
    !text.trim().is_empty()
}

/// Whether a JSON value gives a value at all: `null` and blank strings count as missing.
pub(crate) fn is_given_json(json: &Json) -> bool {
    match json {
        Json::Null => false,
        Json::String(text) => is_given(text),
        _ => true,
    }
}

const MILLIS: &str = "a whole number of milliseconds (0 or more)";
const COUNT: &str = "a whole number from 0 to 4294967295";

/// Checks text (from the environment, a JSON string or code) for `setting`.
pub(crate) fn parse_text(
    setting: Setting,
    text: String,
    source: &Source,
) -> Result<Value, ConfigProblem> {
    let unsendable = |reason: &'static str| ConfigProblem::Unsendable {
        setting,
        source: source.clone(),
        reason,
    };
    match setting.kind() {
        Kind::AccessToken => access_token(&text)
            .map(|token| Value::Secret(SecretString::from(token.to_owned())))
            .map_err(unsendable),
        Kind::Header => {
            header_safe(&text).map_err(unsendable)?;
            Ok(Value::Text(text))
        }
        Kind::Text => Ok(Value::Text(text)),
        Kind::Secret => Ok(Value::Secret(SecretString::from(text))),
        Kind::Path => Ok(Value::Path(PathBuf::from(text))),
        Kind::SecureUrl | Kind::BaseUrl | Kind::ProxyUrl => {
            parse_url(setting, text.trim(), source).map(Value::Url)
        }
        Kind::Millis => parse_whole(text.trim())
            .map(|ms| Value::Duration(Duration::from_millis(ms)))
            .ok_or_else(|| wrong_type(setting, source, MILLIS, quote(&text))),
        Kind::Interval => parse_whole(text.trim())
            .map(|ms| Value::Interval(Some(Duration::from_millis(ms))))
            .ok_or_else(|| wrong_type(setting, source, MILLIS, quote(&text))),
        Kind::Count => parse_whole(text.trim())
            .and_then(|n| u32::try_from(n).ok())
            .map(Value::Count)
            .ok_or_else(|| wrong_type(setting, source, COUNT, quote(&text))),
    }
}

/// Checks a value from `secrets.json` for `setting`. Integer settings take a JSON number or a
/// numeric string (both appear in real files); every other setting takes a string.
pub(crate) fn parse_json(
    setting: Setting,
    json: &Json,
    source: &Source,
) -> Result<Value, ConfigProblem> {
    let integer = match setting.kind() {
        Kind::Millis | Kind::Interval => Some(MILLIS),
        Kind::Count => Some(COUNT),
        _ => None,
    };
    match (json, integer) {
        (Json::String(text), _) => parse_text(setting, text.clone(), source),
        (Json::Number(number), Some(expected)) => {
            // `as_u64` is `None` for negative numbers and for any number written with a
            // fraction or exponent, which are all refused.
            let whole = number.as_u64();
            let value = match setting.kind() {
                Kind::Count => whole.and_then(|n| u32::try_from(n).ok()).map(Value::Count),
                Kind::Interval => whole.map(|ms| Value::Interval(Some(Duration::from_millis(ms)))),
                _ => whole.map(|ms| Value::Duration(Duration::from_millis(ms))),
            };
            value.ok_or_else(|| wrong_type(setting, source, expected, number.to_string()))
        }
        (other, expected) => Err(wrong_type(
            setting,
            source,
            expected.unwrap_or("a string"),
            describe_json(other, setting.is_secret()),
        )),
    }
}

fn wrong_type(
    setting: Setting,
    source: &Source,
    expected: &'static str,
    found: String,
) -> ConfigProblem {
    ConfigProblem::WrongType {
        setting,
        source: source.clone(),
        expected,
        found,
    }
}

/// An access token as it is sent: a byte-order mark, surrounding whitespace and a leading
/// `Bearer ` (any case) dropped, as files and pasted header values bring them; then it must be
/// left with something an HTTP header can carry, in ASCII as every bearer token is. The reason
/// never quotes the token.
pub(crate) fn access_token(text: &str) -> Result<&str, &'static str> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut token = text.trim();
    let bearer = token.len() >= 6
        && token.is_char_boundary(6)
        && token[..6].eq_ignore_ascii_case("bearer")
        && (token.len() == 6 || token[6..].starts_with(char::is_whitespace));
    if bearer {
        token = token[6..].trim_start();
        if token.is_empty() {
            // As FBN_ACCESS_TOKEN="Bearer $TOKEN" gives with TOKEN unset.
            return Err("it holds only the word Bearer, with no token after it");
        }
    }
    if token.is_empty() {
        return Err("it is empty");
    }
    header_safe(token)?;
    if !token.is_ascii() {
        // Sent, it would only be refused; most likely an invisible character came with a paste.
        return Err(
            "it holds a character that is not ASCII, which no token has (such as an \
                    invisible one copied with it)",
        );
    }
    Ok(token)
}

/// Whether `text` can be sent as (part of) a header value, by the same rule the HTTP client
/// applies when the request is built.
fn header_safe(text: &str) -> Result<(), &'static str> {
    reqwest::header::HeaderValue::from_str(text)
        .map(drop)
        .map_err(|_| "it holds a control character, such as a line break, which an HTTP header cannot carry")
}

/// Decimal digits only: `u64::from_str` would also take a leading `+`.
fn parse_whole(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Quotes a non-secret value for a message, cut short so that a pasted blob stays readable.
fn quote(text: &str) -> String {
    const LIMIT: usize = 40;
    if text.chars().count() > LIMIT {
        let head: String = text.chars().take(LIMIT).collect();
        format!("{head:?}...")
    } else {
        format!("{text:?}")
    }
}

/// Describes a JSON value of the wrong type; for secrets only its kind, never its content.
fn describe_json(json: &Json, secret: bool) -> String {
    match json {
        Json::Bool(b) if !secret => b.to_string(),
        Json::Number(n) if !secret => n.to_string(),
        Json::String(s) if !secret => quote(s),
        other => json_kind(other).into(),
    }
}

/// The kind of a JSON value, such as "a string", never its content (it may be a secret).
pub(crate) fn json_kind(json: &Json) -> &'static str {
    match json {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

/// The proxy schemes reqwest's `socks` feature handles.
pub(crate) fn is_socks(scheme: &str) -> bool {
    matches!(scheme, "socks4" | "socks4a" | "socks5" | "socks5h")
}

fn parse_url(setting: Setting, text: &str, source: &Source) -> Result<Url, ConfigProblem> {
    let invalid = |reason: &str| ConfigProblem::InvalidUrl {
        setting,
        source: source.clone(),
        reason: reason.to_owned(),
    };
    // The parser's own messages never quote the input, which may hold credentials.
    let mut url = Url::parse(text).map_err(|error| match error {
        url::ParseError::RelativeUrlWithoutBase => {
            invalid("it has no scheme; write the full URL, starting with https://")
        }
        other => invalid(&other.to_string()),
    })?;
    // "localhost:8080" parses as scheme "localhost" with no host.
    if url.cannot_be_a_base() || url.host_str().is_none_or(str::is_empty) {
        return Err(invalid(
            "it has no host; write the full URL, starting with https://",
        ));
    }
    if url.port() == Some(0) {
        return Err(invalid(
            "port 0 is no port a server listens on; give the service's port or none",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(if setting.kind() == Kind::ProxyUrl {
            "it must not contain a user name or password; use the proxy username and password settings"
        } else {
            "it must not contain a user name or password"
        }));
    }
    if setting.kind() == Kind::ProxyUrl {
        return match url.scheme() {
            "http" | "https" => Ok(url),
            scheme if is_socks(scheme) && cfg!(feature = "socks") => Ok(url),
            // Refused here rather than by reqwest at the first request, far from the setting.
            scheme if is_socks(scheme) => Err(invalid(
                "SOCKS proxies need the `socks` feature of finbourne-identity, which this build leaves out",
            )),
            _ if cfg!(feature = "socks") => Err(invalid(
                "the scheme must be http, https, socks4, socks4a, socks5 or socks5h",
            )),
            _ => Err(invalid("the scheme must be http or https")),
        };
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(ConfigProblem::InsecureUrl {
                setting,
                source: source.clone(),
                url: super::shown_url(&url),
            });
        }
        _ => return Err(invalid("the scheme must be https")),
    }
    if setting.kind() == Kind::BaseUrl {
        if url.query().is_some() || url.fragment().is_some() {
            return Err(invalid("a base URL cannot have a query or fragment"));
        }
        // Operation paths are appended to the base, so "/identity/" and "/identity" must agree.
        let path = url.path().trim_end_matches('/').to_owned();
        url.set_path(&path);
    }
    Ok(url)
}

/// Loopback hosts are exempt from https: a local emulator or test server has no certificate.
fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;
    use serde_json::json;

    fn env(variable: &str) -> Source {
        Source::Environment {
            variable: variable.into(),
        }
    }

    fn url(setting: Setting, text: &str) -> Result<String, ConfigProblem> {
        match parse_text(setting, text.into(), &Source::Explicit)? {
            Value::Url(url) => Ok(url.to_string()),
            other => panic!("not a URL: {other:?}"),
        }
    }

    #[test]
    fn blank_values_are_not_given() {
        assert!(!is_given(""));
        assert!(!is_given("  \n"));
        assert!(is_given("x"));
        assert!(!is_given_json(&json!(null)));
        assert!(!is_given_json(&json!(" ")));
        assert!(is_given_json(&json!(0)));
    }

    #[test]
    fn identity_url_keeps_its_path_without_trailing_slash() {
        let identity = Setting::IdentityUrl;
        assert_eq!(
            url(identity, "https://x.lusid.com/identity/").unwrap(),
            "https://x.lusid.com/identity"
        );
        assert_eq!(
            url(identity, " https://x.lusid.com/identity ").unwrap(),
            "https://x.lusid.com/identity"
        );
        assert_eq!(
            url(identity, "https://x.lusid.com").unwrap(),
            "https://x.lusid.com/"
        );
    }

    #[test]
    fn http_is_refused_except_for_loopback() {
        for setting in [Setting::IdentityUrl, Setting::TokenUrl] {
            assert!(matches!(
                url(setting, "http://x.lusid.com/identity"),
                Err(ConfigProblem::InsecureUrl { .. })
            ));
            for ok in [
                "http://127.0.0.1:8080/identity",
                "http://127.3.4.5/",
                "http://localhost/identity",
                "http://LOCALHOST:1234",
                "http://[::1]:8080/",
            ] {
                assert!(url(setting, ok).is_ok(), "{ok}");
            }
        }
    }

    #[test]
    fn unusable_urls_are_invalid() {
        for bad in [
            "x.lusid.com/identity",
            "localhost:8080",
            "ftp://x.lusid.com/",
            "https://user:pw@x.lusid.com/",
            "https://x.lusid.com/identity?a=b",
            "https://",
            "https://x.lusid.com:0/identity",
            "http://127.0.0.1:0/identity",
        ] {
            let result = url(Setting::IdentityUrl, bad);
            assert!(
                matches!(result, Err(ConfigProblem::InvalidUrl { .. })),
                "{bad}: {result:?}"
            );
        }
    }

    #[test]
    fn url_messages_never_quote_credentials() {
        let problem = url(Setting::ProxyAddress, "http://me:hunter2@proxy:3128").unwrap_err();
        assert!(!problem.to_string().contains("hunter2"), "{problem}");
        assert!(!format!("{problem:?}").contains("hunter2"));
    }

    #[test]
    fn proxy_address_takes_http() {
        assert!(url(Setting::ProxyAddress, "http://proxy.internal:3128").is_ok());
        assert!(url(Setting::ProxyAddress, "https://proxy.internal:3128").is_ok());
        assert!(url(Setting::ProxyAddress, "ftp://proxy.internal").is_err());
    }

    #[cfg(feature = "socks")]
    #[test]
    fn proxy_address_takes_socks_with_the_feature() {
        for scheme in ["socks4", "socks4a", "socks5", "socks5h"] {
            let address = format!("{scheme}://proxy.internal:1080");
            assert!(url(Setting::ProxyAddress, &address).is_ok(), "{address}");
        }
    }

    #[cfg(not(feature = "socks"))]
    #[test]
    fn proxy_address_refuses_socks_without_the_feature() {
        let source = env("FBN_PROXY_ADDRESS");
        for scheme in ["socks4", "socks4a", "socks5", "socks5h"] {
            let text = format!("{scheme}://proxy:1080");
            let problem = parse_text(Setting::ProxyAddress, text, &source).unwrap_err();
            assert!(
                matches!(
                    problem,
                    ConfigProblem::InvalidUrl {
                        setting: Setting::ProxyAddress,
                        ..
                    }
                ),
                "{problem:?}"
            );
            let message = problem.to_string();
            assert!(message.contains("proxy address"), "{message}");
            assert!(message.contains("FBN_PROXY_ADDRESS"), "{message}");
            assert!(message.contains("`socks` feature"), "{message}");
        }
    }

    #[test]
    fn integers_from_text_are_decimal_and_non_negative() {
        let source = env("FBN_RATE_LIMIT_RETRIES");
        let count = |text: &str| parse_text(Setting::RateLimitRetries, text.into(), &source);
        assert!(matches!(count("5"), Ok(Value::Count(5))));
        assert!(matches!(count(" 7 "), Ok(Value::Count(7))));
        for bad in ["abc", "-1", "+1", "1.5", "0x10", "4294967296", "1e3"] {
            match count(bad) {
                Err(ConfigProblem::WrongType { found, .. }) => assert!(found.contains(bad.trim())),
                other => panic!("{bad}: {other:?}"),
            }
        }
        let millis = parse_text(Setting::ReadTimeoutMs, "250".into(), &source);
        assert!(matches!(millis, Ok(Value::Duration(d)) if d == Duration::from_millis(250)));
    }

    #[test]
    fn integers_from_json_are_numbers_or_numeric_strings() {
        let source = env("unused");
        let retries = |json: Json| parse_json(Setting::RateLimitRetries, &json, &source);
        assert!(matches!(retries(json!(4)), Ok(Value::Count(4))));
        assert!(matches!(retries(json!("4")), Ok(Value::Count(4))));
        for (bad, found) in [
            (json!("two"), "\"two\""),
            (json!(-1), "-1"),
            (json!(2.5), "2.5"),
            (json!(true), "true"),
            (json!([1]), "an array"),
        ] {
            match retries(bad) {
                Err(ConfigProblem::WrongType {
                    found: actual,
                    expected,
                    ..
                }) => {
                    assert_eq!(actual, found);
                    assert_eq!(expected, COUNT);
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn wrong_json_type_for_a_secret_does_not_show_it() {
        let problem = parse_json(Setting::Password, &json!(123456789), &Source::Explicit)
            .unwrap_err()
            .to_string();
        assert!(!problem.contains("123456789"), "{problem}");
        assert!(problem.contains("a number"), "{problem}");
    }

    #[test]
    fn secrets_are_kept_whole() {
        match parse_text(Setting::Password, " p w ".into(), &Source::Explicit) {
            Ok(Value::Secret(secret)) => assert_eq!(secret.expose_secret(), " p w "),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn access_tokens_lose_what_pastes_and_files_add_and_nothing_else() {
        for (text, token) in [
            ("t0k3n", "t0k3n"),
            (" t0k3n\r\n", "t0k3n"),
            ("\u{FEFF}t0k3n\n", "t0k3n"),
            ("Bearer t0k3n", "t0k3n"),
            ("bEaReR\t t0k3n", "t0k3n"),
            ("Bearer\u{A0}t0k3n", "t0k3n"),
            ("Bearer Bearer t0k3n", "Bearer t0k3n"),
            ("Bearert0k3n", "Bearert0k3n"),
            (
                "Bearer",
                "it holds only the word Bearer, with no token after it",
            ),
            (
                " bearer \n",
                "it holds only the word Bearer, with no token after it",
            ),
            ("\u{FEFF}", "it is empty"),
            ("t0k\r\nX-Injected: 1", "it holds a control character"),
            ("t0k3n\u{7f}", "it holds a control character"),
            ("t0k3n\u{200B}", "it holds a character that is not ASCII"),
            ("t0k\u{E9}n", "it holds a character that is not ASCII"),
            (
                "\u{FEFF}\u{FEFF}t0k3n",
                "it holds a character that is not ASCII",
            ),
        ] {
            let result = access_token(text).unwrap_or_else(|reason| reason);
            assert!(result.starts_with(token), "{text:?} gave {result:?}");
        }
    }

    #[test]
    fn long_values_are_cut_short_in_messages() {
        let long = "x".repeat(500);
        let problem = parse_text(Setting::TotalTimeoutMs, long, &Source::Explicit).unwrap_err();
        assert!(problem.to_string().len() < 200, "{problem}");
    }
}
