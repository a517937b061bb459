//! Printing answers: JSON for scripts, a table for people.

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::rc::Rc;

use finbourne_identity::Response;
use finbourne_identity_client::Error;
use finbourne_identity_client::operations::{self, Idempotency, Paging};
use serde_json::Value;

use crate::failure::Failure;
use crate::generated::CliConfig;

mod jq;
mod table;

pub use jq::Filter;
pub use table::Layout;

/// How answers are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Yaml,
    Table,
}

impl Format {
    /// `--output`, else a table on a terminal and JSON anywhere else.
    pub fn choose(flag: Option<&str>) -> Format {
        match flag {
            Some("json") => Format::Json,
            Some("yaml") => Format::Yaml,
            Some("table") => Format::Table,
            _ if std::io::stdout().is_terminal() => Format::Table,
            _ => Format::Json,
        }
    }

    /// Prints `value` to standard output, a table with every field: the hand-written
    /// commands' answers, which hold only what they mean to show.
    pub fn print(self, value: &Value) -> std::io::Result<()> {
        let text = match self {
            Format::Json => json(value),
            Format::Yaml => yaml(value),
            Format::Table => table(value),
        };
        print_line(&text)
    }
}

/// The global options that say how answers are shown.
pub fn global_args() -> Vec<clap::Arg> {
    use clap::Arg;
    vec![
        Arg::new("output")
            .long("output")
            .short('o')
            .global(true)
            .value_name("FORMAT")
            .value_parser(["json", "yaml", "table"])
            .help("How answers are printed [default: table on a terminal, json otherwise]"),
        Arg::new("jq")
            .long("jq")
            .global(true)
            .value_name("EXPR")
            .help("Filter the JSON answer with a jq expression; strings print as they are, other values as JSON"),
        Arg::new("columns")
            .long("columns")
            .global(true)
            .value_name("A,B,C")
            .value_delimiter(',')
            .help("The fields a table shows, e.g. id,login,lastLogin [default: a few per type]"),
    ]
}

/// How answers are shown: the format, the `--jq` filter and the table's layout.
#[derive(Debug)]
pub struct View {
    pub format: Format,
    pub jq: Option<Filter>,
    pub layout: Layout,
}

impl View {
    /// The view the global options ask for; a `--jq` expression that does not compile is a
    /// usage error.
    pub fn from_matches(matches: &clap::ArgMatches) -> Result<View, Failure> {
        let jq = matches
            .get_one::<String>("jq")
            .map(|code| Filter::new(code))
            .transpose()
            .map_err(|e| Failure::Usage(format!("--jq: {}", escape(&e))))?;
        Ok(View {
            format: Format::choose(matches.get_one::<String>("output").map(String::as_str)),
            jq,
            layout: Layout {
                columns: matches
                    .get_many::<String>("columns")
                    .map(|c| c.map(|s| s.trim().to_owned()).collect()),
                width: table::width(),
            },
        })
    }

    /// Prints one record of a stream (`--follow`): a row of a table, headed when `header`, or
    /// an element of a YAML list; JSON and `--jq` as for any answer.
    pub fn print_row(&self, value: &Value, header: bool) -> Result<(), Failure> {
        let one = match (&self.jq, self.format) {
            (None, Format::Table | Format::Yaml) => Value::Array(vec![value.clone()]),
            _ => value.clone(),
        };
        self.show(&one, None, header).map(|_| ())
    }

    /// Prints `value`, whose items (a list, or a page's `items` field) are what a table shows;
    /// `header` is false for the pages after the first of `--all`. Returns whether the value
    /// was an empty list, printed as nothing in a table.
    fn show(&self, value: &Value, items: Option<&str>, header: bool) -> Result<bool, Failure> {
        let list = match value {
            Value::Array(list) => Some(list),
            Value::Object(page) => items.and_then(|f| page.get(f)).and_then(Value::as_array),
            _ => None,
        };
        if let Some(filter) = &self.jq {
            let outputs = filter
                .run(value)
                .map_err(|e| Failure::Usage(format!("--jq: {}", escape(&e))))?;
            for output in outputs {
                let text = match output {
                    jq::Output::Text(text) => escape_lines(&text),
                    jq::Output::Json(value) => json(&value),
                };
                print_line(&text).map_err(Failure::stdout)?;
            }
            return Ok(false);
        }
        let text = match self.format {
            Format::Json => json(value),
            Format::Yaml => yaml(value),
            Format::Table => match (list, value) {
                (Some(list), _) if list.is_empty() => return Ok(true),
                (Some(list), _) if list.iter().all(Value::is_object) => {
                    let rows: Vec<_> = list.iter().filter_map(Value::as_object).cloned().collect();
                    table::rows(&rows, &self.layout, header).map_err(Failure::Usage)?
                }
                (Some(list), _) => list
                    .iter()
                    .map(|v| table::cell(Some(v)))
                    .collect::<Vec<_>>()
                    .join("\n"),
                (None, Value::Object(fields)) => {
                    table::record(fields, &self.layout).map_err(Failure::Usage)?
                }
                (None, other) => table::cell(Some(other)),
            },
        };
        print_line(&text).map_err(Failure::stdout)?;
        Ok(false)
    }
}

/// `value` as YAML, with no control character but line breaks: the emitter writes them as
/// escapes in double-quoted strings.
pub fn yaml(value: &Value) -> String {
    let text = serde_yaml_ng::to_string(value).unwrap_or_default();
    escape_lines(text.trim_end_matches('\n'))
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
    view: Rc<View>,
    /// The properties holding a credential in the answer of an operation that makes one (not a
    /// read, which gives it again): losing one of those is worth saying.
    new_credentials: &'static [&'static str],
    /// How the operation's answer pages, when it does.
    paging: Option<Paging>,
    failure: Rc<RefCell<Option<Failure>>>,
    /// What to say on standard error when an answer has no body: `Deleted role r1.`
    done: String,
    /// The state of `--all`, shared with the loop asking for the pages.
    pages: Rc<RefCell<PageState>>,
}

/// Where `--all` stands: the pages printed so far and the next page's token.
#[derive(Debug, Default)]
pub struct PageState {
    /// Pages printed so far.
    pub printed: usize,
    /// The last page's token for the next, when it gave one.
    pub next: Option<String>,
    /// Whether every page so far was an empty list.
    pub all_empty: bool,
}

impl Printer {
    /// The printer of the answers of the operation `operation_id` (snake case), which keeps in
    /// `failure` why an answer could not be written, says `done` of an answer without a body,
    /// and keeps the paging state in `pages`.
    pub fn new(
        view: Rc<View>,
        operation_id: &str,
        failure: Rc<RefCell<Option<Failure>>>,
        pages: Rc<RefCell<PageState>>,
        done: String,
    ) -> Printer {
        let operation = operations::by_id(operation_id);
        let new_credentials = operation
            .filter(|op| op.idempotency != Idempotency::Always)
            .map_or(&[][..], |op| op.credential_fields);
        Printer {
            view,
            new_credentials,
            paging: operation.and_then(|op| op.paging),
            failure,
            done,
            pages,
        }
    }

    fn print(&self, value: &Value) {
        if self.failure.borrow().is_some() {
            return;
        }
        let mut pages = self.pages.borrow_mut();
        let items = self.paging.map(|p| p.items_field);
        match self.view.show(value, items, pages.printed == 0) {
            Ok(empty) => {
                pages.all_empty = empty && (pages.printed == 0 || pages.all_empty);
                pages.printed += 1;
                pages.next = self
                    .paging
                    .and_then(|p| value.get(p.next_field))
                    .and_then(Value::as_str)
                    .filter(|token| !token.is_empty())
                    .map(str::to_owned);
            }
            Err(Failure::Output { error, .. }) => {
                let lost = lost_credentials(value, self.new_credentials);
                *self.failure.borrow_mut() = Some(Failure::Output { error, lost });
            }
            Err(other) => *self.failure.borrow_mut() = Some(other),
        }
    }
}

/// `No users in role.` for `list_users_in_role`: the operation's words after its verb.
pub fn empty_note(operation_id: &str) -> String {
    let words: Vec<&str> = operation_id.split('_').skip(1).collect();
    format!("No {}.", words.join(" "))
}

/// `Deleted role r1.`, `Added user to role (id r1, user-id u1).`: what an operation without an
/// answer body did, from its id (its verb in the past tense) and its path parameters' values.
pub fn done_note(operation_id: &str, values: &[(String, String)]) -> String {
    let mut words = operation_id.split('_');
    let verb = words.next().unwrap_or_default();
    let past = match verb {
        "set" | "reset" | "put" => verb.to_owned(),
        "send" => "sent".to_owned(),
        v if v.ends_with('e') => format!("{v}d"),
        v => format!("{v}ed"),
    };
    let mut past = past.chars();
    let past: String = past
        .next()
        .map(|c| c.to_uppercase().chain(past).collect())
        .unwrap_or_default();
    let rest: Vec<&str> = words.collect();
    let mut text = [past, rest.join(" ")].join(" ").trim_end().to_owned();
    match values {
        [] => {}
        [(_, value)] => {
            text.push(' ');
            text.push_str(&escape(value));
        }
        many => {
            let listed: Vec<String> = many
                .iter()
                .map(|(name, value)| format!("{name} {}", escape(value)))
                .collect();
            text.push_str(&format!(" ({})", listed.join(", ")));
        }
    }
    text.push('.');
    text
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

    fn success_no_item(&self, _: &Response<()>) {
        note(&self.done);
    }

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

/// A list of objects as rows with a column per field, an object as field/value rows, fitted to
/// the terminal.
pub fn table(value: &Value) -> String {
    let mut layout = Layout {
        columns: None,
        width: table::width(),
    };
    match value {
        Value::Array(rows) if rows.iter().all(Value::is_object) && !rows.is_empty() => {
            let rows: Vec<_> = rows.iter().filter_map(Value::as_object).cloned().collect();
            let mut every: Vec<String> = Vec::new();
            for key in rows.iter().flat_map(|r| r.keys()) {
                if !every.contains(key) {
                    every.push(key.clone());
                }
            }
            layout.columns = Some(every);
            table::rows(&rows, &layout, true).unwrap_or_default()
        }
        Value::Array(rows) => rows
            .iter()
            .map(|v| table::cell(Some(v)))
            .collect::<Vec<_>>()
            .join("\n"),
        Value::Object(fields) => table::record(fields, &layout).unwrap_or_default(),
        other => table::cell(Some(other)),
    }
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
