//! `fbn-identity`: the FINBOURNE Identity API from the command line.

mod app;
mod command_help;
mod config_show;
mod duration;
mod failure;
mod generated;
mod json_body;
mod names;
mod output;
mod paging;
mod scim;

use std::cell::RefCell;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Duration;

use clap::ArgMatches;
use finbourne_identity::{ConfigLoader, IdentityClient};

use crate::failure::Failure;
use crate::generated::{Cli, CliCommand};
use crate::output::{Format, Printer, escape_lines, note};

#[tokio::main]
async fn main() -> ExitCode {
    let matches = match app::command().try_get_matches() {
        Ok(matches) => matches,
        Err(error) => return usage(&error),
    };
    trace(matches.get_count("verbose"));
    match run(&matches).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => report(&failure),
    }
}

/// Says why the command failed, if there is anything to say, and gives its exit code.
fn report(failure: &Failure) -> ExitCode {
    if let Some(message) = failure.message() {
        // Each part is escaped where it is made; this keeps anything missed off the terminal.
        note(&format!("error: {}", escape_lines(&message)));
    }
    failure.exit_code()
}

/// Prints clap's message for bad arguments (or the help, or the version) and gives its exit code.
/// clap quotes the arguments as typed: when they hold control characters the message is printed
/// plain, escaped.
fn usage(error: &clap::Error) -> ExitCode {
    // 0 for the help and the version, 2 for a usage error.
    let code = ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(2));
    if !error.use_stderr() {
        // The help or the version, on standard output, which may fail like any answer.
        return match error.print().and_then(|()| std::io::stdout().flush()) {
            Ok(()) => code,
            Err(e) => report(&Failure::stdout(e)),
        };
    }
    let plain = error.render().to_string();
    if plain.chars().any(|c| c.is_control() && c != '\n') {
        note(escape_lines(&plain).trim_end_matches('\n'));
    } else {
        // As with `note`, a standard error that cannot be written leaves nowhere to say so.
        let _ = error.print();
    }
    code
}

async fn run(matches: &ArgMatches) -> Result<(), Failure> {
    let format = Format::choose(matches.get_one::<String>("output").map(String::as_str));
    let (group, sub) = matches.subcommand().expect("clap requires a subcommand");
    match group {
        "completion" => {
            let shell = *sub
                .get_one::<clap_complete::Shell>("shell")
                .expect("required");
            // Written whole, then printed: clap_complete panics when its writer fails.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut app::command(), "fbn-identity", &mut script);
            output::print_bytes(&script).map_err(Failure::stdout)
        }
        "config" => config_show::show(loader(matches).load(), format),
        "scim" => {
            let identity = client(matches)?;
            match sub.subcommand() {
                Some(("enable", args)) => scim::enable(&identity, args, format).await,
                Some(("disable", _)) => scim::disable(&identity).await,
                _ => unreachable!("clap requires a scim subcommand"),
            }
        }
        _ => {
            let (name, args) = sub.subcommand().expect("clap requires an operation");
            let command =
                names::find(group, name).expect("every command in the tree is an operation");
            operation(matches, command, args).await
        }
    }
}

/// Runs a generated command: once, for every page with `--all`, or until interrupted with
/// `--follow`.
async fn operation(
    matches: &ArgMatches,
    command: CliCommand,
    args: &ArgMatches,
) -> Result<(), Failure> {
    let view = Rc::new(output::View::from_matches(matches)?);
    let identity = client(matches)?;
    let flag = |name: &str| args.try_get_one::<bool>(name).ok().flatten() == Some(&true);
    if flag("follow") {
        return paging::follow(&identity, command, args, &view).await;
    }
    let unprinted = Rc::new(RefCell::new(None));
    let pages = Rc::new(RefCell::new(output::PageState::default()));
    let done = output::done_note(command.operation_id(), &path_values(command, args));
    let printer = Printer::new(
        Rc::clone(&view),
        command.operation_id(),
        Rc::clone(&unprinted),
        Rc::clone(&pages),
        done,
    );
    let cli = Cli::new(identity, printer);
    cli.execute(command, args)
        .await
        .map_err(failure::of_command)?;
    // The API call succeeded; printing its answer may not have.
    if let Some(failure) = unprinted.take() {
        return Err(failure);
    }
    let paged = finbourne_identity_client::operations::by_id(command.operation_id())
        .and_then(|op| op.paging);
    if let (Some(paging), true) = (paged, flag("all")) {
        let token_flag = names::kebab(paging.token_param);
        let mut argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
        let mut asked = std::collections::HashSet::new();
        loop {
            // Taken apart from the loop's condition, whose borrow would last the whole body.
            let next = pages.borrow_mut().next.take();
            let Some(token) = next else { break };
            if !asked.insert(token.clone()) {
                return Err(Failure::Api(format!(
                    "the service gave the page token `{}` twice: stopped rather than loop",
                    output::escape(&token)
                )));
            }
            argv = paging::next_page_args(&argv, &token_flag, &token);
            let again = app::command().try_get_matches_from(&argv).map_err(|e| {
                let said = e.render().to_string();
                Failure::Usage(said.trim_start_matches("error: ").trim_end().to_owned())
            })?;
            let next = again
                .subcommand()
                .and_then(|(_, sub)| sub.subcommand())
                .map(|(_, args)| args)
                .expect("the same command line, with one more option");
            cli.execute(command, next)
                .await
                .map_err(failure::of_command)?;
            if let Some(failure) = unprinted.take() {
                return Err(failure);
            }
        }
    }
    if view.format == Format::Table && view.jq.is_none() && pages.borrow().all_empty {
        note(&output::empty_note(command.operation_id()));
    }
    Ok(())
}

/// The values of the operation's path parameters, as given: what a confirmation names.
fn path_values(command: CliCommand, args: &ArgMatches) -> Vec<(String, String)> {
    let Some(op) = finbourne_identity_client::operations::by_id(command.operation_id()) else {
        return Vec::new();
    };
    op.params
        .iter()
        .filter(|p| p.location == finbourne_identity_client::operations::ParamLocation::Path)
        .filter_map(|p| {
            let name = names::kebab(p.name);
            let value = args.try_get_raw(&name).ok().flatten()?.next()?;
            Some((name, value.to_string_lossy().into_owned()))
        })
        .collect()
}

/// The SDK's configuration sources, with the global options on top.
fn loader(matches: &ArgMatches) -> ConfigLoader {
    let mut loader = ConfigLoader::new();
    if let Some(path) = matches.get_one::<std::path::PathBuf>("secrets-file") {
        loader = loader.secrets_file(path);
    }
    if let Some(url) = matches.get_one::<String>("identity-url") {
        loader = loader.identity_url(url);
    }
    if let Some(name) = matches.get_one::<String>("app-name") {
        loader = loader.application_name(name);
    }
    if let Some(timeout) = matches.get_one::<Duration>("timeout") {
        loader = loader.total_timeout(*timeout);
    }
    loader
}

fn client(matches: &ArgMatches) -> Result<IdentityClient, Failure> {
    let config = loader(matches).load().map_err(|e| failure::of_config(&e))?;
    Ok(IdentityClient::new(config)?)
}

/// `-v`: the SDK's request tracing on standard error; `-vv`: everything, at trace level.
fn trace(verbosity: u8) {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::prelude::*;
    let filter = match verbosity {
        0 => return,
        1 => Targets::new().with_target("finbourne_identity", LevelFilter::DEBUG),
        _ => Targets::new().with_default(LevelFilter::TRACE),
    };
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                // Its report of a failed write is an `eprintln!`, which panics on a failing
                // standard error: a trace that cannot be written is dropped.
                .log_internal_errors(false)
                // Colour codes are for a terminal, not for a file or a pipe.
                .with_ansi(std::io::stderr().is_terminal()),
        )
        .with(filter)
        .init();
}
