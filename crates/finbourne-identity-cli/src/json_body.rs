//! Where a `--json-body` comes from: a file, standard input (`-`), or the argument itself; and
//! what to say when it cannot be used.

use std::fs::File;
use std::io::{Error, ErrorKind, Read};
use std::path::Path;

use serde_json::error::Category;

use crate::output::escape;

/// The largest body read from a file or standard input: far more than any request of the API
/// needs, and little enough that `/dev/zero` or a runaway pipe cannot exhaust memory.
pub const MAX_BODY: u64 = 1024 * 1024;

/// The body text named by `value`: `-` reads standard input, text starting with `{`, `[` or `"`
/// is the JSON itself, anything else is the path of a regular file. Either is read up to
/// [`MAX_BODY`] and refused beyond it; a FIFO, directory, socket or device is refused before
/// anything is read. The error says what was wrong and never quotes the body; the generated
/// commands add the path.
pub fn read(value: &Path) -> std::io::Result<String> {
    let text = value.to_string_lossy();
    if text == "-" {
        return read_limited(std::io::stdin().lock());
    }
    if is_inline(&text) {
        return Ok(text.into_owned());
    }
    // Checked before opening: opening a FIFO for reading waits for a writer, perhaps forever.
    regular_file(&std::fs::metadata(value)?)?;
    let file = open_without_blocking(value)?;
    // Checked again on what was opened: the path may have been replaced since.
    let metadata = file.metadata()?;
    regular_file(&metadata)?;
    if metadata.len() > MAX_BODY {
        return Err(too_large(&format!("it is {} bytes,", metadata.len())));
    }
    // Limited again while reading: the file may grow.
    read_limited(file)
}

/// `reader` as text, refused when it holds more than [`MAX_BODY`] bytes: one byte more is read
/// to tell. Read as bytes, so a character cut at the limit is not taken for invalid UTF-8.
fn read_limited(reader: impl Read) -> std::io::Result<String> {
    let mut body = Vec::new();
    reader.take(MAX_BODY + 1).read_to_end(&mut body)?;
    if body.len() as u64 > MAX_BODY {
        return Err(too_large("it holds"));
    }
    String::from_utf8(body).map_err(|_| {
        Error::new(
            ErrorKind::InvalidData,
            "it is not UTF-8 text, as a JSON body must be",
        )
    })
}

fn too_large(what: &str) -> Error {
    Error::new(
        ErrorKind::InvalidInput,
        format!("{what} more than 1 MiB ({MAX_BODY} bytes), the most a request body may have"),
    )
}

/// Refuses anything but a regular file, saying what it is instead.
fn regular_file(metadata: &std::fs::Metadata) -> std::io::Result<()> {
    let kind = metadata.file_type();
    if kind.is_file() {
        return Ok(());
    }
    let what = if kind.is_dir() {
        "a directory"
    } else {
        other_kind(kind)
    };
    Err(Error::new(
        ErrorKind::InvalidInput,
        format!("it is {what}, not a regular file; give a file, or - to read standard input"),
    ))
}

#[cfg(unix)]
fn other_kind(kind: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_fifo() {
        "a FIFO (named pipe)"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_char_device() || kind.is_block_device() {
        "a device"
    } else {
        "not a file"
    }
}

#[cfg(not(unix))]
fn other_kind(_: std::fs::FileType) -> &'static str {
    "not a file"
}

/// Opens `path` for reading without waiting for a writer should it have become a FIFO since it
/// was checked (`O_NONBLOCK`, which changes nothing for a regular file on Linux and the BSDs).
#[cfg(unix)]
fn open_without_blocking(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits().cast_signed())
        .open(path)
}

#[cfg(not(unix))]
fn open_without_blocking(path: &Path) -> std::io::Result<File> {
    File::open(path)
}

/// A JSON string is no body either, but taken as a file name it would be echoed in the error.
fn is_inline(value: &str) -> bool {
    matches!(value.trim_start().chars().next(), Some('{' | '[' | '"'))
}

/// Why a `--json-body` could not be read or used, without any of its content: the generated
/// commands label the error with the argument, which may be the JSON itself (with a password in
/// it), and serde's messages quote the values they reject.
pub fn describe(error: &anyhow::Error) -> String {
    // The generated commands' context is `failed to read ARGUMENT` or `failed to parse ARGUMENT`.
    let context = error.to_string();
    let argument = context
        .strip_prefix("failed to parse ")
        .or_else(|| context.strip_prefix("failed to read "));
    let source = match argument {
        Some("-") => "--json-body - (standard input)".to_owned(),
        Some(inline) if is_inline(inline) => "--json-body (given inline)".to_owned(),
        Some(path) => format!("--json-body {}", escape(path)),
        None => "--json-body".to_owned(),
    };
    let Some(json) = error
        .chain()
        .find_map(|cause| cause.downcast_ref::<serde_json::Error>())
    else {
        // Reading failed: the I/O error names no content.
        return format!(
            "cannot read {source}: {}",
            escape(&error.root_cause().to_string())
        );
    };
    let message = json.to_string();
    let suffix = format!(" at line {} column {}", json.line(), json.column());
    let message = message.strip_suffix(&suffix).unwrap_or(&message);
    let (kind, detail) = match json.classify() {
        // serde_json's syntax messages (such as expected `,` or `}`) never quote the input.
        Category::Syntax | Category::Eof => ("is not valid JSON", message.to_owned()),
        // `Io` is for readers; the generated commands parse a string.
        Category::Data | Category::Io => ("does not match the request", without_values(message)),
    };
    let mut out = format!("{source} {kind}");
    if json.line() > 0 {
        out.push_str(&format!(
            " at line {}, column {}",
            json.line(),
            json.column()
        ));
    }
    if !detail.is_empty() {
        out.push_str(": ");
        out.push_str(&escape(&detail));
    }
    out
}

/// serde's message without the values it quotes from the body. serde words its messages in a few
/// fixed shapes (`invalid type: string "…", expected u32`, ``unknown variant `…`, expected one of
/// `A`, `B` ``): what the request expects is kept, what the body held is dropped. Any other
/// message is cut at its first quote, which is where a quoted value could start.
fn without_values(message: &str) -> String {
    // Field names in these come from the request type, never from the body.
    for shape in ["missing field `", "duplicate field `"] {
        let name = message
            .strip_prefix(shape)
            .and_then(|m| m.strip_suffix('`'));
        if name.is_some_and(|name| !name.contains('`')) {
            return message.to_owned();
        }
    }
    // The expectation is written last, after the value: the last `, expected ` starts it even when
    // the value itself contains those words.
    let expected = |separator: &str| {
        message
            .rfind(separator)
            .map(|at| &message[at + separator.len()..])
    };
    for shape in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(shape) {
            // What kind of value it was (`string`, `integer`, `map`), without the value.
            let kind = rest
                .split(['"', '`', ','])
                .next()
                .unwrap_or_default()
                .trim();
            if let Some(expected) = expected(", expected ") {
                return format!("{shape}{kind}, expected {expected}");
            }
        }
    }
    for (shape, none) in [
        ("unknown variant `", "`, there are no variants"),
        ("unknown field `", "`, there are no fields"),
    ] {
        if message.starts_with(shape) {
            let what = shape.trim_end_matches([' ', '`']);
            if message.ends_with(none) {
                return format!("{what}{}", none.trim_start_matches('`'));
            }
            if let Some(expected) = expected("`, expected ") {
                return format!("{what}, expected {expected}");
            }
        }
    }
    message
        .split(['"', '`'])
        .next()
        .unwrap_or_default()
        .trim_end_matches([' ', ':', ','])
        .to_owned()
}

#[cfg(test)]
mod tests {
    use anyhow::Context;
    use finbourne_identity_client::types::{CreateRoleRequest, CreateUserRequest};

    use super::*;

    #[test]
    fn inline_json_and_files() {
        assert_eq!(
            read(Path::new(r#"{"name": "x"}"#)).unwrap(),
            r#"{"name": "x"}"#
        );
        assert_eq!(read(Path::new(r#""x""#)).unwrap(), r#""x""#);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("body.json");
        std::fs::write(&file, "[1]").unwrap();
        assert_eq!(read(&file).unwrap(), "[1]");
        assert!(read(&dir.path().join("missing.json")).is_err());
    }

    #[test]
    fn a_read_beyond_the_limit_is_too_large_even_when_it_cuts_a_character() {
        let exactly = "é".repeat(MAX_BODY as usize / 2);
        assert_eq!(read_limited(exactly.as_bytes()).unwrap(), exactly);
        let over = "é".repeat(MAX_BODY as usize / 2 + 1);
        assert_eq!(
            read_limited(over.as_bytes()).unwrap_err().to_string(),
            "it holds more than 1 MiB (1048576 bytes), the most a request body may have"
        );
    }

    /// What the generated command does with `--json-body value`, and the message the user sees
    /// when the body is refused.
    fn outcome<T: serde::de::DeserializeOwned>(value: &str) -> Option<String> {
        let value = Path::new(value);
        read(value)
            .with_context(|| format!("failed to read {}", value.display()))
            .and_then(|body| {
                serde_json::from_str::<T>(&body)
                    .with_context(|| format!("failed to parse {}", value.display()))
            })
            .err()
            .map(|error| describe(&error))
    }

    fn message<T: serde::de::DeserializeOwned>(value: &str) -> String {
        outcome::<T>(value).expect("the body is refused")
    }

    #[test]
    fn bad_bodies_are_located_and_explained_without_their_values() {
        let cases = [
            (
                r#"{"name": "payroll", "description": "PLANTED-PW"#,
                "--json-body (given inline) is not valid JSON at line 1, column 46: EOF while parsing a string",
            ),
            (
                "{\"name\": \"PLANTED-PW\"\n  \"description\": 1}",
                "--json-body (given inline) is not valid JSON at line 2, column 3: expected `,` or `}`",
            ),
            (
                r#"{"name": "payroll", "description": 7, "password": "PLANTED-PW"}"#,
                "--json-body (given inline) does not match the request at line 1, column 36: invalid type: integer, expected a string",
            ),
            (
                r#"{"description": "PLANTED-PW"}"#,
                "--json-body (given inline) does not match the request at line 1, column 29: missing field `name`",
            ),
        ];
        for (body, expected) in cases {
            assert_eq!(message::<CreateRoleRequest>(body), expected, "{body}");
        }
        let user = |extra: &str| {
            format!(
                r#"{{"firstName": "Ada", "lastName": "Lovelace", "emailAddress": "ada@example.com",
                    "login": "ada@example.com", "type": "Personal", {extra}}}"#
            )
        };
        for (extra, expected) in [
            (
                r#""userExpiry": "PLANTED-PW""#,
                "--json-body (given inline) does not match the request at line 2, column 94: input contains invalid characters",
            ),
            (
                r#""roles": "PLANTED-PW""#,
                "--json-body (given inline) does not match the request at line 2, column 89: invalid type: string, expected a sequence",
            ),
        ] {
            assert_eq!(
                message::<CreateUserRequest>(&user(extra)),
                expected,
                "{extra}"
            );
        }
    }

    #[test]
    fn files_and_standard_input_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad\u{1b}[2J.json");
        std::fs::write(&file, "{\"name\": ").unwrap();
        assert_eq!(
            message::<CreateRoleRequest>(file.to_str().unwrap()),
            format!(
                "--json-body {}/bad\\u{{1b}}[2J.json is not valid JSON at line 1, column 9: \
                 EOF while parsing a value",
                dir.path().display()
            )
        );
        let latin1 = dir.path().join("latin1.json");
        std::fs::write(&latin1, b"{\"name\": \"caf\xe9\"}").unwrap();
        assert_eq!(
            message::<CreateRoleRequest>(latin1.to_str().unwrap()),
            format!(
                "cannot read --json-body {}: it is not UTF-8 text, as a JSON body must be",
                latin1.display()
            )
        );
        let missing = dir.path().join("missing.json");
        assert_eq!(
            message::<CreateRoleRequest>(missing.to_str().unwrap()),
            format!(
                "cannot read --json-body {}: No such file or directory (os error 2)",
                missing.display()
            )
        );
    }

    #[test]
    fn values_are_dropped_from_every_shape_of_serde_message() {
        let cases = [
            (
                r#"invalid type: string "a, expected PLANTED", expected u32"#,
                "invalid type: string, expected u32",
            ),
            (
                "invalid value: character `P`, expected a digit",
                "invalid value: character, expected a digit",
            ),
            (
                "unknown variant `x`, expected PLANTED`, expected one of `A`, `B`",
                "unknown variant, expected one of `A`, `B`",
            ),
            (
                "unknown variant `x`, expected `PLANTED`, there are no variants",
                "unknown variant, there are no variants",
            ),
            (
                "unknown field `PLANTED`, expected `name`",
                "unknown field, expected `name`",
            ),
            ("missing field `name`", "missing field `name`"),
            ("missing field `PLANTED` or `x`", "missing field"),
            (
                r#"doesn't match pattern "^[a-z]+$""#,
                "doesn't match pattern",
            ),
            (
                "invalid character: expected an optional prefix, found `P` at 1",
                "invalid character: expected an optional prefix, found",
            ),
            ("longer than 64 characters", "longer than 64 characters"),
        ];
        for (message, expected) in cases {
            assert_eq!(without_values(message), expected, "{message}");
        }
    }

    mod properties {
        use chrono::{DateTime, Utc};
        use proptest::collection::vec;
        use proptest::prelude::*;
        use serde::de::{Error as _, Unexpected};

        use super::*;

        /// A value planted in a body: the marker among text that quotes, escapes or mimics
        /// serde's wording, to fool the sanitizer into keeping it.
        fn planted() -> impl Strategy<Value = String> {
            let piece = prop_oneof![
                Just("`"),
                Just("\""),
                Just("\\"),
                Just(", expected "),
                Just("`, expected one of `"),
                Just("`, there are no variants"),
                Just("missing field `"),
                Just("\n"),
                Just("\u{1b}"),
                Just("x"),
                Just(" "),
            ];
            (vec(piece.clone(), 0..5), vec(piece, 0..5))
                .prop_map(|(before, after)| format!("{}PLANTED{}", before.concat(), after.concat()))
        }

        /// A request with every shape serde words differently: an enum, numbers, a char, a
        /// time, a list, and no unknown fields.
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[expect(dead_code, reason = "only deserialized, for serde's messages")]
        struct Shapes {
            kind: Kind,
            count: Option<u32>,
            letter: Option<char>,
            flag: Option<bool>,
            when: Option<DateTime<Utc>>,
            list: Option<Vec<u8>>,
        }

        #[derive(serde::Deserialize)]
        enum Kind {
            Personal,
            Service,
        }

        /// A body with the value planted under some field, as JSON or raw, maybe cut short.
        fn body() -> impl Strategy<Value = String> {
            let field = prop_oneof![
                Just("kind"),
                Just("count"),
                Just("letter"),
                Just("flag"),
                Just("when"),
                Just("list"),
                Just("name"),
                Just("value"),
                Just("description"),
            ];
            (
                field,
                planted(),
                0..5u8,
                any::<prop::sample::Index>(),
                any::<bool>(),
            )
                .prop_map(|(field, value, form, cut, truncate)| {
                    let quoted = serde_json::to_string(&value).unwrap();
                    let body = match form {
                        0 => format!(r#"{{"{field}": {quoted}}}"#),
                        1 => format!(r#"{{"{field}": {value}}}"#),
                        2 => format!(r#"{{"{field}": [{quoted}]}}"#),
                        3 => format!(r#"{{{quoted}: 1, "kind": "Service"}}"#),
                        _ => format!(r#"{{"kind": "Personal", "{field}": {quoted}, }}"#),
                    };
                    if truncate {
                        let at = cut.index(body.len());
                        let at = (0..=at)
                            .rev()
                            .find(|i| body.is_char_boundary(*i))
                            .unwrap_or(0);
                        body[..at.max(1)].to_owned()
                    } else {
                        body
                    }
                })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(10_000))]

            #[test]
            fn serde_never_gets_a_planted_value_through(value in planted()) {
                type E = serde_json::Error;
                let messages = [
                    E::invalid_type(Unexpected::Str(&value), &"a string"),
                    E::invalid_value(Unexpected::Str(&value), &"a date"),
                    E::unknown_variant(&value, &["Personal", "Service"]),
                    E::unknown_variant(&value, &[]),
                    E::unknown_field(&value, &["name", "description"]),
                    E::unknown_field(&value, &[]),
                    E::custom(format!("doesn't match pattern {value:?}")),
                    E::custom(format!("invalid character: expected a digit, found `{value}` at 1")),
                ];
                for message in messages.map(|e| e.to_string()) {
                    let shown = without_values(&message);
                    prop_assert!(!shown.contains("PLANT"), "{:?} -> {:?}", message, shown);
                }
            }

            #[test]
            fn a_planted_value_never_reaches_the_message(body in body()) {
                for shown in [
                    outcome::<Shapes>(&body),
                    outcome::<CreateRoleRequest>(&body),
                    outcome::<CreateUserRequest>(&body),
                ]
                .into_iter()
                .flatten()
                {
                    prop_assert!(!shown.contains("PLANT"), "{:?} -> {:?}", body, shown);
                    prop_assert!(shown.contains("--json-body (given inline)"), "{}", shown);
                }
            }
        }
    }
}
