//! The command tree: global options, a group per API tag with a command per operation, and the
//! hand-written `scim`, `config` and `completion` commands.

use clap::{Arg, ArgAction, Command, value_parser};

use finbourne_identity_client::operations::tag_description;

use crate::generated::{Cli, CliCommand};
use crate::names;
use crate::output::Printer;

pub fn command() -> Command {
    let mut root = Command::new("fbn-identity")
        .version(env!("CARGO_PKG_VERSION"))
        .about("The FINBOURNE Identity API from the command line, with the credentials every FINBOURNE SDK reads")
        .after_help(
            "Credentials come from FBN_* environment variables, then ./secrets.json (or --secrets-file), \
             then FBN_ACCESS_TOKEN_FILE; see `fbn-identity config show`. --profile NAME (or FBN_PROFILE) reads a profile \
             saved by `fbn-identity auth login` instead of ./secrets.json.\n\
             Exit codes: 0 success, 1 the API answered with an error, 2 usage or configuration, 3 network or timeout, \
             4 standard output could not be written, 130 interrupted (--follow), 141 standard output is a closed pipe.",
        )
        .subcommand_required(true)
        .arg_required_else_help(true)
        // Shown apart from each command's own options, under every command's help.
        .next_help_heading("Global options")
        .args(global_args())
        .args(crate::output::global_args());

    let mut groups: std::collections::BTreeMap<&str, Command> = Default::default();
    for cmd in CliCommand::iter() {
        let sub = crate::command_help::shape(Cli::<Printer>::get_command(cmd), cmd);
        let tag = names::tag(cmd);
        let old_group = names::old_group(cmd);
        let group = groups.entry(names::group(cmd)).or_insert_with_key(|name| {
            let about =
                tag_description(tag).map_or_else(|| format!("{tag} operations"), str::to_owned);
            let group = Command::new(*name).about(about).subcommand_required(true);
            // The tag's name, as earlier releases named the group.
            if old_group == *name {
                group
            } else {
                group.alias(old_group)
            }
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

/// The value given for the argument `id`, as typed; `None` when it was not given or this
/// command has no such argument (ids come from the table of operations).
pub fn given(args: &clap::ArgMatches, id: &str) -> Option<String> {
    let mut values = args.try_get_raw(id).ok().flatten()?;
    let first = values.next()?;
    Some(first.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_tree_is_valid() {
        command().debug_assert();
    }
}
