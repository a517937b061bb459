//! Text from outside (a server, a file) as messages show it.

use std::borrow::Cow;

/// `text` with every control character (C0, DEL, C1 such as U+009B) and every bidirectional
/// override escaped as `\u{1b}` (a line break as `\u{a}`, as the command line shows them):
/// server text cannot then move the cursor, ring the bell, forge a second line or reorder
/// what a terminal shows.
pub(crate) fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut shown = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if needs_escape(c) {
            shown.extend(c.escape_unicode());
        } else {
            shown.push(c);
        }
    }
    Cow::Owned(shown)
}

fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn controls_and_overrides_are_escaped_and_the_rest_kept() {
        assert_eq!(printable("plain, ünïcode"), "plain, ünïcode");
        assert!(matches!(printable("plain"), std::borrow::Cow::Borrowed(_)));
        assert_eq!(
            printable("a\u{1b}[2Jb\u{7}\nc\u{9b}d\u{202e}e"),
            "a\\u{1b}[2Jb\\u{7}\\u{a}c\\u{9b}d\\u{202e}e"
        );
    }
}
