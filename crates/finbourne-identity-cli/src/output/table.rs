//! Tables for people: a few telling columns by default (`--columns` picks others), readable
//! times, and lines that fit the terminal.

use std::io::IsTerminal;

use serde_json::{Map, Value};

use super::escape;

/// The columns shown when `--columns` is not given, in this order, when the rows have them:
/// what names a record (ids, codes, logins, names), then its kind and state, then what an event
/// says. Any record gets the ones it has; one that has none gets its first fields.
const PREFERRED: &[&str] = &[
    "id",
    "scope",
    "code",
    "login",
    "name",
    "displayName",
    "clientId",
    "emailAddress",
    "type",
    "status",
    "published",
    "eventType",
    "displayMessage",
    "outcome",
    "description",
];

/// At most this many columns by default.
const DEFAULT_COLUMNS: usize = 6;

/// The width of a table when standard output is no terminal and `COLUMNS` says nothing.
pub const DEFAULT_WIDTH: usize = 120;

/// The narrowest a column is cut to when the table is too wide.
const MIN_COLUMN: usize = 6;

/// The width to fit: `COLUMNS` when it is a positive number, else the terminal's, else
/// [`DEFAULT_WIDTH`].
pub fn width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|c| *c > 0)
        .or_else(|| {
            std::io::stdout()
                .is_terminal()
                .then(|| terminal_size::terminal_size().map(|(w, _)| usize::from(w.0)))
                .flatten()
        })
        .unwrap_or(DEFAULT_WIDTH)
}

/// What the table shows.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// `--columns`, as given.
    pub columns: Option<Vec<String>>,
    /// The width to fit.
    pub width: usize,
}

/// Whether `wanted` (from `--columns`) names the field `field`: as the API spells it, in any
/// case, or in kebab case (`email-address` for `emailAddress`).
fn names(wanted: &str, field: &str) -> bool {
    let plain = |s: &str| {
        s.chars()
            .filter(|c| *c != '-' && *c != '_')
            .flat_map(char::to_lowercase)
            .collect::<String>()
    };
    plain(wanted) == plain(field)
}

/// The rows of a list of records, as a table; `header` says whether to start with the names
/// of the columns. An error names a `--columns` entry no row has.
pub fn rows(rows: &[Map<String, Value>], layout: &Layout, header: bool) -> Result<String, String> {
    let mut fields: Vec<&str> = Vec::new();
    for row in rows {
        for key in row.keys() {
            if !fields.contains(&key.as_str()) {
                fields.push(key);
            }
        }
    }
    let columns: Vec<&str> = match &layout.columns {
        Some(wanted) => wanted
            .iter()
            .map(|w| {
                fields
                    .iter()
                    .find(|f| names(w, f))
                    .copied()
                    .ok_or_else(|| unknown(w, &fields))
            })
            .collect::<Result<_, _>>()?,
        None => {
            let preferred: Vec<&str> = PREFERRED
                .iter()
                .filter(|p| fields.contains(p))
                .take(DEFAULT_COLUMNS)
                .copied()
                .collect();
            if preferred.is_empty() {
                fields.iter().take(DEFAULT_COLUMNS).copied().collect()
            } else {
                preferred
            }
        }
    };
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| columns.iter().map(|c| cell(row.get(*c))).collect())
        .collect();
    let head: Vec<String> = columns.iter().map(|c| escape(c).into_owned()).collect();
    Ok(render(
        header.then_some(&head),
        &head.len(),
        &cells,
        layout.width,
    ))
}

/// One record as field/value rows; `--columns` picks the fields.
pub fn record(fields: &Map<String, Value>, layout: &Layout) -> Result<String, String> {
    let keys: Vec<&str> = fields.keys().map(String::as_str).collect();
    let chosen: Vec<&str> = match &layout.columns {
        Some(wanted) => wanted
            .iter()
            .map(|w| {
                keys.iter()
                    .find(|k| names(w, k))
                    .copied()
                    .ok_or_else(|| unknown(w, &keys))
            })
            .collect::<Result<_, _>>()?,
        None => keys,
    };
    let cells: Vec<Vec<String>> = chosen
        .iter()
        .map(|k| vec![escape(k).into_owned(), cell(fields.get(*k))])
        .collect();
    let head = vec!["field".to_owned(), "value".to_owned()];
    Ok(render(Some(&head), &2, &cells, layout.width))
}

fn unknown(wanted: &str, fields: &[&str]) -> String {
    // Sorted: the answer's own order depends on whether serde_json keeps insertion order, a
    // feature any crate in the build may turn on.
    let mut fields = fields.to_vec();
    fields.sort_unstable();
    format!(
        "--columns: the answer has no column `{}`; its columns are: {}",
        escape(wanted),
        fields.join(", ")
    )
}

/// A value as one line of a table: text as it is, times readable (to the second, in UTC),
/// anything else as JSON.
pub fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => match chrono::DateTime::parse_from_rfc3339(s) {
            Ok(time) => time
                .with_timezone(&chrono::Utc)
                .format("%Y-%m-%d %H:%M:%SZ")
                .to_string(),
            Err(_) => escape(s).into_owned(),
        },
        // serde_json escapes C0 controls in nested strings, but not DEL or C1.
        Some(other) => escape(&other.to_string()).into_owned(),
    }
}

/// Aligned columns two spaces apart, the widest cut (ending in `…`) until the lines fit
/// `width`.
fn render(
    header: Option<&Vec<String>>,
    count: &usize,
    rows: &[Vec<String>],
    width: usize,
) -> String {
    let count = *count;
    let mut widths: Vec<usize> = (0..count)
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain(header.map(|h| h[i].chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let gaps = 2 * count.saturating_sub(1);
    while widths.iter().sum::<usize>() + gaps > width {
        let Some((widest, w)) = widths.iter().copied().enumerate().max_by_key(|(_, w)| *w) else {
            break;
        };
        if w <= MIN_COLUMN {
            break;
        }
        widths[widest] = w - 1;
    }
    let line = |cells: &Vec<String>| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| fit(c, *w))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    let mut out: Vec<String> = header.map(line).into_iter().collect();
    out.extend(rows.iter().map(line));
    out.join("\n")
}

/// `text` padded or cut to `width` characters.
fn fit(text: &str, width: usize) -> String {
    let count = text.chars().count();
    if count <= width {
        format!("{text}{}", " ".repeat(width - count))
    } else {
        let kept: String = text.chars().take(width.saturating_sub(1)).collect();
        format!("{kept}…")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn list(value: Value) -> Vec<Map<String, Value>> {
        value
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_object().unwrap().clone())
            .collect()
    }

    fn layout(columns: Option<&[&str]>, width: usize) -> Layout {
        Layout {
            columns: columns.map(|c| c.iter().map(|s| (*s).to_owned()).collect()),
            width,
        }
    }

    #[test]
    fn a_user_shows_its_names_and_status_and_a_time_to_the_second() {
        let users = list(
            json!([{"id": "00u1", "firstName": "Ann", "login": "ann@x", "emailAddress": "ann@x",
            "type": "Personal", "status": "ACTIVE", "lastLogin": "2024-05-01T12:34:56.123456789+01:00"}]),
        );
        assert_eq!(
            rows(&users, &layout(None, 200), true).unwrap(),
            "id    login  emailAddress  type      status\n00u1  ann@x  ann@x         Personal  ACTIVE"
        );
        assert_eq!(
            rows(&users, &layout(Some(&["id", "last-login"]), 200), true).unwrap(),
            "id    lastLogin\n00u1  2024-05-01 11:34:56Z"
        );
        let error = rows(&users, &layout(Some(&["id", "colour"]), 200), true).unwrap_err();
        assert!(
            error.starts_with("--columns: the answer has no column `colour`; its columns are: emailAddress, firstName"),
            "{error}"
        );
    }

    #[test]
    fn a_wide_table_is_cut_to_the_width() {
        let roles =
            list(json!([{"id": "r1", "name": "n".repeat(50), "description": "d".repeat(80)}]));
        let text = rows(&roles, &layout(None, 60), true).unwrap();
        assert!(text.lines().all(|l| l.chars().count() <= 60), "{text}");
        assert!(text.contains('…'), "{text}");
        assert!(text.starts_with("id  name"), "{text}");
    }

    #[test]
    fn a_record_is_field_value_rows() {
        let object = json!({"baseUrl": "https://x/scim/v2", "roles": ["a"]});
        let object = object.as_object().unwrap();
        assert_eq!(
            record(object, &layout(None, 100)).unwrap(),
            "field    value\nbaseUrl  https://x/scim/v2\nroles    [\"a\"]"
        );
        assert_eq!(
            record(object, &layout(Some(&["base-url"]), 100)).unwrap(),
            "field    value\nbaseUrl  https://x/scim/v2"
        );
    }
}
