//! The names of the generated commands: the short ones the xtask derives from the spec
//! (`users list`), and the long ones of earlier releases (`users list-users`,
//! `personal-authentication-tokens create-api-key`), kept as hidden aliases so scripts keep
//! working.

use finbourne_identity_client::operations;

use crate::generated::{CliCommand, NAMES};

/// `Users` -> `users`, `Personal Authentication Tokens` -> `personal-authentication-tokens`.
pub fn kebab(text: &str) -> String {
    let mut out = String::new();
    let mut previous: Option<char> = None;
    for c in text.chars() {
        match c {
            ' ' | '_' | '-' => out.push('-'),
            // A capital after a lower-case letter starts a word: `CellManagement`.
            c if c.is_uppercase() => {
                if previous.is_some_and(char::is_lowercase) {
                    out.push('-');
                }
                out.extend(c.to_lowercase());
            }
            c => out.push(c),
        }
        previous = Some(c);
    }
    out
}

fn row(command: CliCommand) -> (&'static str, &'static str) {
    NAMES
        .iter()
        .find(|(id, _, _)| *id == command.operation_id())
        .map_or(("other", command.operation_id()), |(_, group, name)| {
            (*group, *name)
        })
}

/// The group of a generated operation: `users`.
pub fn group(command: CliCommand) -> &'static str {
    row(command).0
}

/// The command of a generated operation within its group: `list`.
pub fn command(command: CliCommand) -> &'static str {
    row(command).1
}

/// The tag of a generated operation, from the table of operations.
pub fn tag(command: CliCommand) -> &'static str {
    operations::by_id(command.operation_id()).map_or("Other", |op| op.tag)
}

/// The group's name in earlier releases: its tag in kebab case.
pub fn old_group(command: CliCommand) -> String {
    kebab(tag(command))
}

/// The command's name in earlier releases: its whole operation id, `list-users`.
pub fn old_command(command: CliCommand) -> String {
    command.operation_id().replace('_', "-")
}

/// The generated operation `group name` names, under its short names or its old ones.
pub fn find(group_name: &str, name: &str) -> Option<CliCommand> {
    CliCommand::iter().find(|c| {
        (group(*c) == group_name || old_group(*c) == group_name)
            && (command(*c) == name || old_command(*c) == name)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_kebab_case() {
        assert_eq!(kebab("Users"), "users");
        assert_eq!(
            kebab("Personal Authentication Tokens"),
            "personal-authentication-tokens"
        );
        assert_eq!(kebab("CellManagement"), "cell-management");
        assert_eq!(kebab("MCP Tools"), "mcp-tools");
    }

    #[test]
    fn every_operation_has_one_short_name_unique_in_its_group() {
        let mut seen = std::collections::HashSet::new();
        for c in CliCommand::iter() {
            assert_ne!(
                group(c),
                "other",
                "{} has no row in NAMES",
                c.operation_id()
            );
            assert!(
                seen.insert((group(c), command(c))),
                "{} {} twice",
                group(c),
                command(c)
            );
            let id = |found: Option<CliCommand>| found.map(|f| f.operation_id());
            assert_eq!(id(find(group(c), command(c))), Some(c.operation_id()));
            assert_eq!(
                id(find(&old_group(c), &old_command(c))),
                Some(c.operation_id())
            );
        }
        assert_eq!(seen.len(), operations::OPERATIONS.len());
        assert_eq!(NAMES.len(), operations::OPERATIONS.len());
    }
}
