//! Printing answers: JSON for scripts, a table for people.

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::rc::Rc;

use finbourne_identity::Response;
use finbourne_identity_client::Error;
use finbourne_identity_client::operations::{self, Idempotency};
use serde_json::Value;

use crate::failure::Failure;
use crate::generated::CliConfig;

/// How answers are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Table,
}

impl Format {
    /// `--output`, else a table on a terminal and JSON anywhere else.
    pub fn choose(flag: Option<&str>) -> Format {
        match flag {
            Some("json") => Format::Json,
            Some("table") => Format::Table,
            _ if std::io::stdout().is_terminal() => Format::Table,
            _ => Format::Json,
        }
    }

    /// Prints `value` to standard output.
    pub fn print(self, value: &Value) -> std::io::Result<()> {
        let text = match self {
            Format::Json => json(value),
            Format::Table => table(value),
        };
        print_line(&text)
    }
}

/// Writes `text` and a line break to standard output, flushed: whether it was written is known
/// here, not lost in a flush at exit.
pub fn print_line(text: &str) -> std::io::Result<()> {
    crate::feedback::stop_spinner();
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")?;
    out.flush()
}

/// Writes `bytes` to standard output, flushed.
pub fn print_bytes(bytes: &[u8]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()
}

/// Writes `text` and a line break to standard error. When standard error cannot be written
/// (`2>/dev/full`, a closed pipe) there is nowhere left to say so: the error is dropped, never a
/// panic as with `eprintln!`, and the exit status still tells how the command went.
pub fn note(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{text}").and_then(|()| err.flush());
}

/// The generated commands' output hooks. The first answer that cannot be written is kept as the
/// command's failure, and nothing more is printed.
pub struct Printer {
    format: Format,
    /// The properties holding a credential in the answer of an operation that makes one (not a
    /// read, which gives it again): losing one of those is worth saying.
    new_credentials: &'static [&'static str],
    failure: Rc<RefCell<Option<Failure>>>,
}

impl Printer {
    /// The printer of the answers of the operation `operation_id` (snake case), which keeps in
    /// `failure` why an answer could not be written.
    pub fn new(
        format: Format,
        operation_id: &str,
        failure: Rc<RefCell<Option<Failure>>>,
    ) -> Printer {
        let new_credentials = operations::by_id(operation_id)
            .filter(|op| op.idempotency != Idempotency::Always)
            .map_or(&[][..], |op| op.credential_fields);
        Printer {
            format,
            new_credentials,
            failure,
        }
    }

    fn print(&self, value: &Value) {
        if self.failure.borrow().is_some() {
            return;
        }
        if let Err(error) = self.format.print(value) {
            let lost = lost_credentials(value, self.new_credentials);
            *self.failure.borrow_mut() = Some(Failure::Output { error, lost });
        }
    }
}

/// What to say when `value`, the answer of an operation that makes credentials, could not be
/// written: which of `fields` it held (their names, never their values), or `None` for none.
fn lost_credentials(value: &Value, fields: &[&str]) -> Option<String> {
    fn find<'a>(value: &Value, fields: &[&'a str], found: &mut Vec<&'a str>) {
        match value {
            Value::Object(object) => {
                for (key, inner) in object {
                    match fields.iter().find(|field| **field == key) {
                        Some(field) if !inner.is_null() && !found.contains(field) => {
                            found.push(*field);
                        }
                        _ => find(inner, fields, found),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|item| find(item, fields, found)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    find(value, fields, &mut found);
    if found.is_empty() {
        return None;
    }
    let names: Vec<String> = found.iter().map(|name| format!("`{name}`")).collect();
    Some(format!(
        "the answer held a new credential ({}): it WAS created but could not be written, \
         and is shown nowhere else",
        names.join(", ")
    ))
}

impl CliConfig for Printer {
    fn success_item<T>(&self, value: &Response<T>)
    where
        T: serde::Serialize + std::fmt::Debug,
    {
        self.print(&serde_json::to_value(value.inner()).unwrap_or(Value::Null));
    }

    fn success_no_item(&self, _: &Response<()>) {}

    // Error answers come back as errors, explained by `failure`; these hooks only exist for
    // typed error bodies, which this client does not have.
    fn error<T>(&self, _: &Error<T>)
    where
        T: serde::Serialize + std::fmt::Debug,
    {
    }

    fn list_start<T>(&self)
    where
        T: serde::Serialize + std::fmt::Debug,
    {
    }

    fn list_item<T>(&self, value: &T)
    where
        T: serde::Serialize + std::fmt::Debug,
    {
        self.print(&serde_json::to_value(value).unwrap_or(Value::Null));
    }

    fn list_end_success<T>(&self)
    where
        T: serde::Serialize + std::fmt::Debug,
    {
    }

    fn list_end_error<T>(&self, _: &Error<T>)
    where
        T: serde::Serialize + std::fmt::Debug,
    {
    }
}

/// `value` as pretty JSON that holds no control character but its own line breaks: serde_json
/// escapes C0 controls, and DEL and the C1 controls (which some terminals obey, such as U+009B,
/// a one-character escape sequence) become `\u007f`-style escapes too. They can only stand in
/// strings, where the escape reads back as the same character.
pub fn json(value: &Value) -> String {
    let text = serde_json::to_string_pretty(value).unwrap_or_default();
    if !text.chars().any(|c| c.is_control() && c != '\n') {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if c.is_control() && c != '\n' {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

/// `text` with each control character (C0, DEL, C1) written as `\u{1b}`: text from the server or
/// the user must not move the cursor, recolour or rewrite a terminal, nor break a line of a table.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// [`escape`] for a message of several lines: its line breaks stay, everything else is escaped.
pub fn escape_lines(text: &str) -> String {
    text.split('\n').map(escape).collect::<Vec<_>>().join("\n")
}

/// A list of objects as rows with a column per field; an object as field/value rows.
pub fn table(value: &Value) -> String {
    match value {
        Value::Array(rows) if rows.iter().all(Value::is_object) && !rows.is_empty() => {
            let mut columns: Vec<&str> = Vec::new();
            for row in rows.iter().filter_map(Value::as_object) {
                for key in row.keys() {
                    if !columns.contains(&key.as_str()) {
                        columns.push(key);
                    }
                }
            }
            let cells: Vec<Vec<String>> = rows
                .iter()
                .map(|row| columns.iter().map(|c| cell(row.get(*c))).collect())
                .collect();
            let header = columns.iter().map(|c| escape(c).into_owned()).collect();
            render(&header, &cells)
        }
        Value::Array(rows) => rows
            .iter()
            .map(|v| cell(Some(v)))
            .collect::<Vec<_>>()
            .join("\n"),
        Value::Object(fields) => {
            let cells: Vec<Vec<String>> = fields
                .iter()
                .map(|(k, v)| vec![escape(k).into_owned(), cell(Some(v))])
                .collect();
            render(&vec!["field".into(), "value".into()], &cells)
        }
        other => cell(Some(other)),
    }
}

/// A value as one line of a table.
fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => escape(s).into_owned(),
        // serde_json escapes C0 controls in nested strings, but not DEL or C1.
        Some(other) => escape(&other.to_string()).into_owned(),
    }
}

fn render(header: &Vec<String>, rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([header[i].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &Vec<String>| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    let mut out = vec![line(header)];
    out.extend(rows.iter().map(line));
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::{escape, escape_lines, lost_credentials, table};

    #[test]
    fn a_lost_answer_names_the_credentials_it_held_never_their_values() {
        let answer =
            json!({"id": "k1", "key": null, "nested": [{"key": "PLANTED", "secret": "PLANTED"}]});
        let lost = lost_credentials(&answer, &["key", "secret"]).unwrap();
        assert_eq!(
            lost,
            "the answer held a new credential (`key`, `secret`): it WAS created but could not be \
             written, and is shown nowhere else"
        );
        assert_eq!(lost_credentials(&json!({"key": null}), &["key"]), None);
        assert_eq!(lost_credentials(&answer, &[]), None);
    }

    #[test]
    fn lists_become_columns_and_objects_rows() {
        let list =
            json!([{"id": "1", "name": "admins"}, {"id": "22", "name": "ops", "extra": true}]);
        assert_eq!(
            table(&list),
            "id  name    extra\n1   admins\n22  ops     true"
        );
        let object = json!({"baseUrl": "https://x/scim/v2", "roles": ["a"]});
        assert_eq!(
            table(&object),
            "field    value\nbaseUrl  https://x/scim/v2\nroles    [\"a\"]"
        );
    }

    #[test]
    fn control_characters_are_written_out() {
        assert_eq!(
            escape("\u{1b}[31mRED\u{1b}[0m\r\nnext\u{7f}\u{9b}\t"),
            "\\u{1b}[31mRED\\u{1b}[0m\\u{d}\\u{a}next\\u{7f}\\u{9b}\\u{9}"
        );
        assert_eq!(escape("Zoë \\ 名前 \u{200b}"), "Zoë \\ 名前 \u{200b}");
        assert_eq!(
            escape_lines("one\u{1b}]0;title\u{7}\ntwo\r"),
            "one\\u{1b}]0;title\\u{7}\ntwo\\u{d}"
        );
    }

    #[test]
    fn table_cells_stay_on_one_line() {
        let rows = json!([{"name": "a\nb\u{1b}[2J", "x\ry": ["\u{9b}"]}]);
        let text = table(&rows);
        assert_eq!(text.lines().count(), 2, "{text}");
        assert!(!text.chars().any(|c| c.is_control() && c != '\n'), "{text}");
        assert!(text.contains("a\\u{a}b\\u{1b}[2J"), "{text}");
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        /// Any text, with control characters (C0, DEL, C1) and backslashes drawn often: each
        /// character from a number, which is much quicker to draw than a `char` strategy.
        fn text() -> impl Strategy<Value = String> {
            proptest::collection::vec(any::<u32>(), 0..40).prop_map(|numbers| {
                numbers
                    .into_iter()
                    .map(|n| match n % 4 {
                        0 => char::from_u32(n / 4 % 0x20).unwrap(),
                        1 => char::from_u32(0x7f + n / 4 % 0x21).unwrap(),
                        2 => ['\\', '\n', '\r', '\u{1b}'][(n / 4 % 4) as usize],
                        _ => char::from_u32(n / 4 % 0x11_0000).unwrap_or('\u{fffd}'),
                    })
                    .collect()
            })
        }

        fn printable() -> impl Strategy<Value = String> {
            proptest::collection::vec(
                any::<char>().prop_filter("printable", |c| !c.is_control()),
                0..40,
            )
            .prop_map(String::from_iter)
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(10_000))]

            #[test]
            fn escaped_text_holds_no_control_character(text in text()) {
                let escaped = escape(&text);
                prop_assert!(!escaped.chars().any(char::is_control), "{:?}", escaped);
                let lines = escape_lines(&text);
                prop_assert!(!lines.chars().any(|c| c.is_control() && c != '\n'), "{:?}", lines);
                prop_assert_eq!(lines.split('\n').count(), text.split('\n').count());
            }

            #[test]
            fn json_output_holds_no_control_character_and_reads_back_the_same(text in text()) {
                let value = serde_json::json!({"text": text, "list": [text]});
                let out = crate::output::json(&value);
                prop_assert!(!out.chars().any(|c| c.is_control() && c != '\n'), "{:?}", out);
                let back: Value = serde_json::from_str(&out).unwrap();
                prop_assert_eq!(back, value);
            }

            #[test]
            fn printable_text_passes_unchanged(text in printable()) {
                prop_assert_eq!(escape(&text), text.as_str());
                prop_assert_eq!(escape_lines(&text), text);
            }

            #[test]
            fn a_table_has_a_line_per_row_whatever_its_cells_hold(
                cells in proptest::collection::vec((text(), text()), 1..5),
            ) {
                let rows: Vec<Value> = cells
                    .iter()
                    .map(|(key, value)| serde_json::json!({"key": key, "value": value}))
                    .collect();
                let table = table(&Value::Array(rows));
                prop_assert_eq!(table.split('\n').count(), cells.len() + 1);
                prop_assert!(!table.chars().any(|c| c.is_control() && c != '\n'), "{:?}", table);
            }
        }
    }
}
