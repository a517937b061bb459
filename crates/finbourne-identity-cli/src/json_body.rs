//! Where a `--json-body` comes from: a file, standard input (`-`), or the argument itself.

use std::io::Read;
use std::path::Path;

/// The body text named by `value`: `-` reads standard input, text starting with `{` or `[` is
/// the JSON itself, anything else is a file path.
pub fn read(value: &Path) -> std::io::Result<String> {
    let text = value.to_string_lossy();
    if text == "-" {
        let mut body = String::new();
        std::io::stdin().read_to_string(&mut body)?;
        return Ok(body);
    }
    if matches!(text.trim_start().chars().next(), Some('{' | '[')) {
        return Ok(text.into_owned());
    }
    std::fs::read_to_string(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_json_and_files() {
        assert_eq!(
            read(Path::new(r#"{"name": "x"}"#)).unwrap(),
            r#"{"name": "x"}"#
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("body.json");
        std::fs::write(&file, "[1]").unwrap();
        assert_eq!(read(&file).unwrap(), "[1]");
        assert!(read(&dir.path().join("missing.json")).is_err());
    }
}
