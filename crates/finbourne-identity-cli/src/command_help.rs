//! A generated command as people meet it: its short name with the old one as a hidden alias,
//! a one-line summary in lists (the whole description in its own `--help`), and the options
//! of the CLI's own that its operation allows (`--all` when it pages, `--follow` for the
//! system log).

use clap::{Arg, ArgAction, Command};
use finbourne_identity_client::operations;

use crate::generated::CliCommand;
use crate::names;

/// Whether `logs list --follow` applies: the operations the SDK can follow.
pub fn follows(command: CliCommand) -> bool {
    matches!(command, CliCommand::ListLogs | CliCommand::ListUserLogs)
}

/// The generated `command` of `operation`, named and described for the command tree.
pub fn shape(command: Command, operation: CliCommand) -> Command {
    let old = names::old_command(operation);
    let mut command = command.name(names::command(operation));
    if old != names::command(operation) {
        command = command.alias(old);
    }
    if let Some(about) = command.get_about().map(ToString::to_string) {
        // The first paragraph is the summary; lists show it alone, on one line.
        let summary = about.split("\n\n").next().unwrap_or_default().to_owned();
        command = command.about(summary).long_about(about);
    }
    let pages = operations::by_id(operation.operation_id()).and_then(|op| op.paging);
    if let Some(paging) = pages {
        command = command.arg(
            Arg::new("all")
                .long("all")
                .action(ArgAction::SetTrue)
                .help(format!(
                    "Every page, printed as it comes, not the first one only (from the page --{} names, if given)",
                    names::kebab(paging.token_param)
                )),
        );
    }
    if follows(operation) {
        command = command
            .arg(
                Arg::new("follow")
                    .long("follow")
                    .short('f')
                    .action(ArgAction::SetTrue)
                    .conflicts_with("all")
                    .help("Keep printing new events until interrupted (Ctrl-C ends it with exit code 130)"),
            )
            .arg(
                Arg::new("interval")
                    .long("interval")
                    .value_name("DURATION")
                    .requires("follow")
                    .value_parser(crate::duration::parse_duration)
                    .help("With --follow: the wait between two polls, from 1s to 1h [default: 15s]"),
            );
    }
    command
}
