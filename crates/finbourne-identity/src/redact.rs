//! Masking credentials in text taken from an answer body before it is shown.
//!
//! An answer that fails to decode, or an error body, is shown as an excerpt; it may hold a
//! credential the service just issued (a personal access token's `key`, a SCIM `apiToken`).
//! The body may be broken JSON (cut short, a wrong type somewhere), so this reads it as a
//! stream of JSON-like tokens rather than parsing it: a string followed by `:` names what comes
//! next, and every value under a credential's name is masked, including whole arrays and
//! objects, whatever the escapes inside its strings.

use finbourne_identity_client::operations::CREDENTIAL_FIELDS;

const MASK: &str = "****";

/// `body` as text with every value under a credential name masked: the table's credential
/// fields of any operation, and `extra`. Control characters become spaces, so the excerpt
/// stays on one line and cannot drive a terminal.
pub(crate) fn redact(body: &[u8], extra: &[&str]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out = String::with_capacity(text.len().min(4096));
    let mut chars = text.chars().peekable();
    // For each open container: whether everything inside it is masked.
    let mut containers: Vec<bool> = Vec::new();
    // Whether the next value is masked, set by the credential name before it.
    let mut pending = false;
    let masked_here = |containers: &Vec<bool>, pending: bool| {
        pending || containers.last().copied().unwrap_or(false)
    };
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                let (raw, name) = string(&mut chars);
                let is_key = {
                    let mut ahead = chars.clone();
                    loop {
                        match ahead.next() {
                            Some(w) if w.is_whitespace() => continue,
                            Some(':') => break true,
                            _ => break false,
                        }
                    }
                };
                if is_key {
                    let masked = masked_here(&containers, false);
                    pending = masked || is_credential(&name, extra);
                    push_clean(&mut out, &raw);
                } else {
                    if masked_here(&containers, pending) {
                        out.push('"');
                        out.push_str(MASK);
                        out.push('"');
                    } else {
                        push_clean(&mut out, &raw);
                    }
                    pending = false;
                }
            }
            '{' | '[' => {
                containers.push(masked_here(&containers, pending));
                pending = false;
                out.push(c);
            }
            '}' | ']' => {
                containers.pop();
                pending = false;
                out.push(c);
            }
            ',' => {
                pending = false;
                out.push(c);
            }
            c if is_scalar(c) && masked_here(&containers, pending) => {
                while chars.peek().is_some_and(|n| is_scalar(*n)) {
                    chars.next();
                }
                out.push_str(MASK);
                pending = false;
            }
            c => push_clean_char(&mut out, c),
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

fn is_scalar(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '-' | '+' | '_')
}

/// Reads a string after its opening quote: the raw text with its quotes, and its value with
/// escapes resolved (for comparing names). An unterminated string runs to the end.
fn string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> (String, String) {
    let mut raw = String::from('"');
    let mut value = String::new();
    while let Some(c) = chars.next() {
        raw.push(c);
        match c {
            '"' => break,
            '\\' => {
                let Some(escaped) = chars.next() else { break };
                raw.push(escaped);
                match escaped {
                    'u' => {
                        let hex: String = (0..4).filter_map(|_| chars.next()).collect();
                        raw.push_str(&hex);
                        if let Some(ch) =
                            u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32)
                        {
                            value.push(ch);
                        }
                    }
                    other => value.push(other),
                }
            }
            other => value.push(other),
        }
    }
    (raw, value)
}

/// Whether `name` is a credential: compared without case, `_` or `-`, so `api_token` and
/// `API-Token` match `apiToken`.
fn is_credential(name: &str, extra: &[&str]) -> bool {
    let wanted = fold(name);
    CREDENTIAL_FIELDS
        .iter()
        .chain(extra)
        .any(|field| fold(field) == wanted)
}

fn fold(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, '_' | '-'))
        .flat_map(char::to_lowercase)
        .collect()
}

fn push_clean(out: &mut String, text: &str) {
    for c in text.chars() {
        push_clean_char(out, c);
    }
}

fn push_clean_char(out: &mut String, c: char) {
    out.push(if c.is_control() { ' ' } else { c });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(body: &str) -> String {
        redact(body.as_bytes(), &["refresh_token"])
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
        ] {
            let text = shown(body);
            assert!(!text.contains("PLANTED"), "{body} -> {text}");
            assert!(!text.contains("12345678"), "{body} -> {text}");
        }
    }

    #[test]
    fn other_values_and_structure_stay() {
        assert_eq!(
            shown(r#"{"id": "k1", "key": "s", "tags": ["a"], "n": 2}"#),
            r#"{"id": "k1", "key": "****", "tags": ["a"], "n": 2}"#
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
