//! Asking before a command that cannot be taken back: every DELETE operation of the API
//! (deletions, `scim disable`, the token and support access invalidations), and the commands that
//! replace a SCIM token (`scim enable --regenerate`, `scim rotate`, `add-scim` with
//! `regenerate`). On a terminal the person is asked; in a script `--yes` is required.

use std::io::IsTerminal;

use clap::ArgMatches;
use clap::parser::ValueSource;
use finbourne_identity_client::operations;

use crate::app;
use crate::failure::Failure;
use crate::output::escape;

/// Whether the operation `operation_id` (snake case), called with `args`, needs a confirmation:
/// its method is DELETE, or it regenerates the SCIM token.
pub fn needed(operation_id: &str, args: &ArgMatches) -> bool {
    let Some(op) = operations::by_id(operation_id) else {
        return false;
    };
    op.method == "DELETE"
        || (op.operation_id == "AddScim"
            && app::given(args, "api-token-action")
                .is_some_and(|v| v.eq_ignore_ascii_case("regenerate")))
}

/// The description of a generated command for the question: the operation, its method and path,
/// and the values given to the command itself (`root` holds the global options, left out).
pub fn describe(operation_id: &str, root: &ArgMatches, args: &ArgMatches) -> String {
    let Some(op) = operations::by_id(operation_id) else {
        return operation_id.to_owned();
    };
    let given: Vec<String> = args
        .ids()
        .filter(|id| id.as_str() != "json-body" && !root.ids().any(|global| global == *id))
        .filter(|id| args.value_source(id.as_str()) == Some(ValueSource::CommandLine))
        .filter_map(|id| Some(format!("{id}={}", app::given(args, id.as_str())?)))
        .collect();
    let mut text = format!("{} ({} {})", op.operation_id, op.method, op.path);
    if !given.is_empty() {
        text.push_str(" with ");
        text.push_str(&given.join(" "));
    }
    escape(&text).into_owned()
}

/// Whether a person can be asked: standard input and standard error are a terminal.
pub fn can_ask() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Goes ahead when `--yes` was given or the person says yes; otherwise fails with exit code 2,
/// having changed nothing. `what` says what is about to happen.
pub fn ask(matches: &ArgMatches, what: &str) -> Result<(), Failure> {
    if matches.get_flag("yes") {
        return Ok(());
    }
    if !can_ask() {
        return Err(Failure::Usage(format!(
            "{what}: this cannot be undone, and there is no terminal to ask; give --yes to go ahead"
        )));
    }
    let answer = dialoguer::Confirm::new()
        .with_prompt(format!("{what}: this cannot be undone. Go ahead?"))
        .default(false)
        .wait_for_newline(true)
        .interact_on(&dialoguer::console::Term::stderr());
    match answer {
        Ok(true) => Ok(()),
        Ok(false) => Err(Failure::Usage("cancelled: nothing was changed".to_owned())),
        Err(error) => Err(Failure::Usage(format!(
            "cancelled: nothing was changed ({})",
            escape(&error.to_string())
        ))),
    }
}
