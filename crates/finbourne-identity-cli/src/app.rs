//! The command tree: global options, a group per API tag with a command per operation, and the
//! hand-written `scim`, `config` and `completion` commands.

use clap::{Arg, ArgAction, Command, value_parser};

use finbourne_identity_client::operations::{self, tag_description};

use crate::generated::{Cli, CliCommand};
use crate::output::Printer;

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

/// The command name of a generated operation: its id in kebab case, e.g. `add-scim`.
pub fn command_name(command: CliCommand) -> String {
    command.operation_id().replace('_', "-")
}

/// The tag of a generated operation, from the table of operations.
pub fn command_tag(command: CliCommand) -> &'static str {
    operations::by_id(command.operation_id()).map_or("Other", |op| op.tag)
}

/// The group of a generated operation, from its tag.
pub fn group_name(command: CliCommand) -> String {
    kebab(command_tag(command))
}

pub fn command() -> Command {
    let mut root = Command::new("fbn-identity")
        .version(env!("CARGO_PKG_VERSION"))
        .about("The FINBOURNE Identity API from the command line, with the credentials every FINBOURNE SDK reads")
        .after_help(
            "Credentials come from FBN_* environment variables, then ./secrets.json (or --secrets-file), \
             then FBN_ACCESS_TOKEN_FILE; see `fbn-identity config show`. --profile NAME (or FBN_PROFILE) reads a profile \
             saved by `fbn-identity auth login` instead of ./secrets.json.\n\
             Exit codes: 0 success, 1 the API answered with an error, 2 usage or configuration, 3 network or timeout, \
             4 standard output could not be written, 141 standard output is a closed pipe.",
        )
        .subcommand_required(true)
        .arg_required_else_help(true)
        .args(global_args());

    let mut groups: std::collections::BTreeMap<String, Command> = Default::default();
    for cmd in CliCommand::iter() {
        let sub = Cli::<Printer>::get_command(cmd).name(command_name(cmd));
        let tag = command_tag(cmd);
        let group = groups.entry(group_name(cmd)).or_insert_with_key(|name| {
            let about =
                tag_description(tag).map_or_else(|| format!("{tag} operations"), str::to_owned);
            Command::new(name.clone())
                .about(about)
                .subcommand_required(true)
        });
        *group = group.clone().subcommand(sub);
    }
    for group in groups.into_values() {
        root = root.subcommand(group);
    }
    root.subcommand(scim_command())
        .subcommand(crate::auth::command())
        .subcommand(config_command())
        .subcommand(completion_command())
}

fn global_args() -> Vec<Arg> {
    vec![
        Arg::new("secrets-file")
            .long("secrets-file")
            .global(true)
            .value_name("PATH")
            .value_parser(value_parser!(std::path::PathBuf))
            .help("Read settings from this secrets.json instead of ./secrets.json"),
        Arg::new("identity-url")
            .long("identity-url")
            .global(true)
            .value_name("URL")
            .help("The Identity API base URL, e.g. https://example.lusid.com/identity (overrides FBN_IDENTITY_URL)"),
        Arg::new("app-name")
            .long("app-name")
            .global(true)
            .value_name("NAME")
            .help("Sent as X-LUSID-Application (overrides FBN_APP_NAME)"),
        Arg::new("output")
            .long("output")
            .short('o')
            .global(true)
            .value_parser(["json", "table"])
            .help("How answers are printed [default: table on a terminal, json otherwise]"),
        Arg::new("timeout")
            .long("timeout")
            .global(true)
            .value_name("DURATION")
            .value_parser(crate::duration::parse_duration)
            .help("Limit on the whole call: the token request, every attempt and every wait between retries, e.g. 30s or 2m; 0s for none (overrides FBN_TOTAL_TIMEOUT_MS)"),
        Arg::new("profile")
            .long("profile")
            .global(true)
            .value_name("NAME")
            .conflicts_with("secrets-file")
            .help("Use the saved profile NAME (see `auth login`; FBN_PROFILE chooses one too), a file under the platform's config directory, or FBN_IDENTITY_CONFIG_DIR"),
        Arg::new("yes")
            .long("yes")
            .short('y')
            .global(true)
            .action(ArgAction::SetTrue)
            .help("Go ahead with commands that cannot be undone (deletions, token changes) without asking"),
        Arg::new("color")
            .long("color")
            .global(true)
            .value_name("WHEN")
            .value_parser(["auto", "always", "never"])
            .help("Colour on standard error: auto (a terminal, unless NO_COLOR is set), always or never [default: auto]"),
        Arg::new("verbose")
            .short('v')
            .long("verbose")
            .global(true)
            .action(ArgAction::Count)
            .help("Trace each request on standard error (-vv for more); secrets are never shown"),
    ]
}

fn scim_command() -> Command {
    Command::new("scim")
        .about("SCIM provisioning from your identity provider (Okta, Entra ID...)")
        .subcommand_required(true)
        .subcommand(
            Command::new("enable")
                .about("Turn SCIM on: print the SCIM base URL and the API token to give your identity provider")
                .arg(
                    Arg::new("regenerate")
                        .long("regenerate")
                        .action(ArgAction::SetTrue)
                        .help("Issue a new token instead of returning the active one"),
                )
                .arg(
                    Arg::new("old-token-ends")
                        .long("old-token-ends")
                        .value_name("TIME|DURATION")
                        .requires("regenerate")
                        .help("With --regenerate: when the old token stops working, as an RFC 3339 time or a duration like 1h [default: at once]"),
                )
                .arg(
                    Arg::new("token-file")
                        .long("token-file")
                        .value_name("PATH")
                        .value_parser(value_parser!(std::path::PathBuf))
                        .help("Write the token to this file (permissions 0600) instead of printing it; a symbolic link, a non-regular file or another user's file is refused"),
                ),
        )
        .subcommand(Command::new("disable").about("Turn SCIM off: every SCIM API token stops working"))
        .subcommand(crate::rotate::command())
}

fn config_command() -> Command {
    Command::new("config")
        .about("The configuration the SDK reads")
        .subcommand_required(true)
        .subcommand(
            Command::new("show")
                .about("Every setting, its value (secrets redacted) and where it came from"),
        )
}

fn completion_command() -> Command {
    Command::new("completion")
        .about("Print a shell completion script")
        .arg(
            Arg::new("shell")
                .required(true)
                .value_parser(value_parser!(clap_complete::Shell))
                .help("bash, zsh, fish, elvish or powershell"),
        )
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
    fn every_operation_has_a_group_and_a_unique_name() {
        let mut seen = std::collections::HashSet::new();
        for cmd in CliCommand::iter() {
            assert!(!command_tag(cmd).is_empty());
            assert!(
                seen.insert(command_name(cmd)),
                "{} twice",
                command_name(cmd)
            );
        }
        assert_eq!(seen.len(), operations::OPERATIONS.len());
        assert!(
            CliCommand::iter().all(|c| operations::by_id(c.operation_id()).is_some()),
            "every command is a row of the table"
        );
        command().debug_assert();
    }
}
