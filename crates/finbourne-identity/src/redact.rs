//! Masking credentials in text taken from an answer body before it is shown.
//!
//! An answer that fails to decode, or an error body, is shown as an excerpt; it may hold a
//! credential the service just issued (a personal access token's `key`, a SCIM `apiToken`).
//! The body may be broken JSON (cut short, stray quotes, a wrong type somewhere), so it is not
//! parsed: each `:` is read on its own, and when the quoted name before it is a credential's,
//! the value after it is masked whole: a string and whatever trails it up to the next `,`,
//! `}` or `]`, or a whole array or object. Reading each name locally means a stray quote
//! earlier in the text cannot make a value look like a name; where the text is ambiguous, more
//! is masked, never less.

use finbourne_identity_client::operations::CREDENTIAL_FIELDS;

const MASK: &str = "****";
/// Longer names are not credentials' names; bounds the look-back at each `:`.
const LONGEST_NAME: usize = 64;

/// `body` as text with every value under a credential name masked: the table's credential
/// fields of any operation, and `extra`. Control characters become spaces, so the excerpt
/// stays on one line and cannot drive a terminal.
pub(crate) fn redact(body: &[u8], extra: &[&str]) -> String {
    let text = String::from_utf8_lossy(body);
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        out.push(if c.is_control() { ' ' } else { c });
        i += 1;
        if c != ':' || !name_before(&chars, i - 1).is_some_and(|n| is_credential(&n, extra)) {
            continue;
        }
        while i < chars.len() && chars[i].is_whitespace() {
            out.push(' ');
            i += 1;
        }
        let end = value_end(&chars, i);
        if end > i {
            out.push_str(if chars[i] == '"' { "\"****\"" } else { MASK });
            i = end;
        }
    }
    out
}

/// The first `limit` characters of `text`, with `…` when it was longer.
pub(crate) fn cut(text: &str, limit: usize) -> String {
    match text.char_indices().nth(limit) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// The quoted name just before the `:` at `colon`, escapes resolved.
fn name_before(chars: &[char], colon: usize) -> Option<String> {
    let mut end = colon;
    while end > 0 && chars[end - 1].is_whitespace() {
        end -= 1;
    }
    if end == 0 || chars[end - 1] != '"' {
        return None;
    }
    let close = end - 1;
    let open = (close.saturating_sub(LONGEST_NAME)..close)
        .rev()
        .find(|&j| chars[j] == '"')?;
    Some(unescape(&chars[open + 1..close]))
}

/// Where the value starting at `start` ends (exclusive).
fn value_end(chars: &[char], start: usize) -> usize {
    let Some(&first) = chars.get(start) else {
        return start;
    };
    let mut i = start;
    if first == '[' || first == '{' {
        let mut depth = 0usize;
        while i < chars.len() {
            match chars[i] {
                '"' => i = string_end(chars, i) - 1,
                '[' | '{' => depth += 1,
                ']' | '}' => {
                    depth -= 1;
                    if depth == 0 {
                        return i + 1;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        return chars.len();
    }
    if first == '"' {
        i = string_end(chars, i);
    }
    // Whatever trails the value up to the next separator goes with it: a stray quote inside a
    // broken value must not leave its end readable.
    while i < chars.len() && !matches!(chars[i], ',' | '}' | ']') {
        i += 1;
    }
    i
}

/// The index after the string opening at `open`: its closing quote, or the end of the text.
fn string_end(chars: &[char], open: usize) -> usize {
    let mut i = open + 1;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '"' => return i + 1,
            _ => i += 1,
        }
    }
    chars.len()
}

/// A JSON string's escapes resolved, well enough to compare names.
fn unescape(raw: &[char]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == '\\' && i + 1 < raw.len() {
            if raw[i + 1] == 'u' && i + 6 <= raw.len() {
                let hex: String = raw[i + 2..i + 6].iter().collect();
                if let Some(c) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    out.push(c);
                    i += 6;
                    continue;
                }
            }
            out.push(raw[i + 1]);
            i += 2;
        } else {
            out.push(raw[i]);
            i += 1;
        }
    }
    out
}

/// Names of OAuth2 fields the SDK itself sends and receives (`access_token`, `refresh_token`,
/// `id_token`): an error body that echoes a request may hold them, and the spec cannot name
/// them.
const OAUTH_FIELDS: &[&str] = &["token"];

/// Whether `name` is a credential: compared without case, `_` or `-`, so `api_token` and
/// `API-Token` match `apiToken`; and by its end, so `client_secret`, `newPassword` and
/// `refresh_token` match `secret`, `password` and `token`. Masking a harmless field
/// (`sortKey`) costs a reader little; showing a secret does not.
fn is_credential(name: &str, extra: &[&str]) -> bool {
    let wanted = fold(name);
    CREDENTIAL_FIELDS
        .iter()
        .chain(OAUTH_FIELDS)
        .chain(extra)
        .any(|field| wanted.ends_with(&fold(field)))
}

fn fold(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, '_' | '-'))
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(body: &str) -> String {
        redact(body.as_bytes(), &[])
    }

    #[test]
    fn credential_values_are_masked_in_whole_and_broken_json() {
        for body in [
            r#"{"id": "k1", "key": "PLANTED"}"#,
            r#"{"id": "k1", "key": "PLANTED"#,
            r#"{"id": "k1", "key" : "PLA\"NTED", "n": 1}"#,
            r#"{"keys": 1, "key": ["PLANTED", "PLANTED2"]}"#,
            r#"{"apiToken": {"value": "PLANTED", "more": ["PLANTED"]}}"#,
            r#"[{"secret": "PLANTED"}, {"secret": 12345678}]"#,
            r#"{"api_token": "PLANTED"}"#,
            r#"{"k\u0065y": "PLANTED"}"#,
            r#"{"refresh_token": "PLANTED", "x": "#,
            r#"<html>"password": "PLANTED"</html>"#,
            r#"""key": "PLANTED""#,
            r#"{"key": "PLA\"NTED", "x": 1}"#,
        ] {
            let text = shown(body);
            assert!(!text.contains("PLANTED"), "{body} -> {text}");
            assert!(!text.contains("12345678"), "{body} -> {text}");
        }
    }

    #[test]
    fn names_ending_in_a_credential_name_are_credentials() {
        assert_eq!(
            shown(
                r#"{"client_secret": "a", "newPassword": "b", "id_token": "c", "keys": 1, "tokenType": "Bearer"}"#
            ),
            r#"{"client_secret": "****", "newPassword": "****", "id_token": "****", "keys": 1, "tokenType": "Bearer"}"#
        );
    }

    #[test]
    fn other_values_and_structure_stay() {
        assert_eq!(
            shown(
                r#"{"id": "k1", "key": "s", "tags": ["a"], "n": 2, "secret": [1, {"a": "]"}], "m": 3}"#
            ),
            r#"{"id": "k1", "key": "****", "tags": ["a"], "n": 2, "secret": ****, "m": 3}"#
        );
        assert_eq!(
            shown("<p>line\nbreak\u{1b}[31m</p>"),
            "<p>line break [31m</p>"
        );
    }

    #[test]
    fn cut_counts_characters_not_bytes() {
        assert_eq!(cut("ééé", 2), "éé…");
        assert_eq!(cut("ab", 2), "ab");
    }
}

/// Every credential field of every operation, planted in answers broken each way that makes
/// decoding fail: the value appears in no error's Display or Debug.
#[cfg(test)]
mod every_operation {
    use finbourne_identity_client::operations::by_id;

    use crate::operations::DECODERS;

    #[test]
    fn a_planted_credential_never_shows_in_a_decode_error() {
        let mut checked = 0;
        for (id, decode) in DECODERS {
            let operation = by_id(id).expect("every decoder has a row");
            for field in operation.credential_fields {
                let planted = format!("PLANTED-{id}-{field}");
                let broken = [
                    format!(r#"{{"{field}": "{planted}""#),
                    format!(r#"{{"{field}": "{planted}", "id": {{"#),
                    format!(r#"[{{"{field}": "{planted}"}}] trailing"#),
                    format!(r#"{{"{field}": "{planted}\"x", 5}}"#),
                    format!(r#"{{"{field}": ["{planted}"], "createdDate": "not a date"}}"#),
                    format!(r#"{{"values": [{{"{field}": "{planted}", "id": 1}}], "id": 2}}"#),
                    format!(r#"{{"{field}": {{"value": "{planted}"}}}} {{"#),
                ];
                for body in &broken {
                    let Err(error) = decode(body.as_bytes()) else {
                        continue;
                    };
                    let shown = format!("{error} {error:?}");
                    assert!(!shown.contains(&planted), "{id}: {body}\n{shown}");
                    checked += 1;
                }
            }
        }
        assert!(checked > 20, "only {checked} broken answers were refused");
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    const PLANTED: &str = "PLANTEDzq9";

    /// JSON-like text: fragments of structure, names (some credentials), values, and the
    /// planted credential under a credential name somewhere.
    fn body_with_planted_credential() -> impl Strategy<Value = String> {
        let name = prop::sample::select(vec![
            "id",
            "key",
            "apiToken",
            "api_token",
            "secret",
            "password",
            "values",
            "k\\u0065y",
        ]);
        let piece = prop_oneof![
            Just("{".to_owned()),
            Just("}".to_owned()),
            Just("[".to_owned()),
            Just("]".to_owned()),
            Just(", ".to_owned()),
            name.prop_map(|n| format!("\"{n}\": ")),
            "[a-zA-Z0-9 ]{0,8}".prop_map(|v| format!("\"{v}\"")),
            "[a-zA-Z0-9\\\\\"\\n]{0,6}",
            any::<i64>().prop_map(|n| n.to_string()),
        ];
        let credential = prop::sample::select(vec!["key", "apiToken", "secret", "password"]);
        (
            prop::collection::vec(piece.clone(), 0..12),
            credential,
            prop::collection::vec(piece, 0..12),
            any::<bool>(),
        )
            .prop_map(|(before, name, after, in_array)| {
                let value = if in_array {
                    format!("[\"{PLANTED}\"]")
                } else {
                    format!("\"{PLANTED}\"")
                };
                format!("{}\"{name}\": {value}{}", before.concat(), after.concat())
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(10_000))]

        #[test]
        fn any_bytes_redact_without_panic_to_one_line(body in prop::collection::vec(any::<u8>(), 0..300)) {
            let text = redact(&body, &[]);
            prop_assert!(!text.chars().any(char::is_control));
            let _ = cut(&text, 50);
        }

        #[test]
        fn a_planted_credential_never_survives_nor_does_a_cut_of_it(body in body_with_planted_credential(), cut_at in 0usize..400) {
            let whole = redact(body.as_bytes(), &[]);
            prop_assert!(!whole.contains(PLANTED), "{} -> {}", body, whole);
            // An excerpt reads only a prefix: cut anywhere, the credential still never shows.
            let end = body.char_indices().nth(cut_at).map_or(body.len(), |(i, _)| i);
            let prefix = redact(&body.as_bytes()[..end], &[]);
            prop_assert!(!prefix.contains(PLANTED), "{} -> {}", &body[..end], prefix);
        }
    }
}
