//! `fbn-identity`: the FINBOURNE Identity API from the command line.

mod app;
mod auth;
mod command_help;
mod config_show;
mod confirm;
mod duration;
mod failure;
mod feedback;
mod generated;
mod json_body;
mod names;
mod output;
mod paging;
mod profile;
mod rotate;
mod scim;

use std::cell::RefCell;
use std::io::Write;
use std::path::PathBuf;
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
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let color = feedback::Color::from_args(&args);
    let matches = match app::command()
        .color(color.for_clap())
        .try_get_matches_from(args)
    {
        Ok(matches) => matches,
        Err(error) => return usage(&error),
    };
    feedback::init(matches.get_count("verbose"), color);
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
        "config" => config_show::show(loader(matches)?.load(), format),
        "auth" => match sub.subcommand() {
            Some(("login", args)) => auth::login(matches, args).await,
            Some(("status", _)) => {
                let identity = client(matches)?;
                let profile = chosen_profile(matches)?.map(|(name, _)| name);
                auth::status(&identity, profile.as_deref(), format).await
            }
            _ => unreachable!("clap requires an auth subcommand"),
        },
        "scim" => {
            let identity = client(matches)?;
            match sub.subcommand() {
                Some(("enable", args)) => {
                    if args.get_flag("regenerate") {
                        confirm::ask(
                            matches,
                            "issue a new SCIM API token; the current one stops working (at once, or at --old-token-ends)",
                        )?;
                    }
                    feedback::busy("calling AddScim", scim::enable(&identity, args, format)).await
                }
                Some(("disable", _)) => {
                    confirm::ask(
                        matches,
                        "turn SCIM off: every SCIM API token stops working now",
                    )?;
                    feedback::busy("calling RemoveScim", scim::disable(&identity)).await
                }
                Some(("rotate", args)) => rotate::rotate(&identity, matches, args, format).await,
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
    if confirm::needed(command.operation_id(), args) {
        confirm::ask(
            matches,
            &format!(
                "call {}",
                confirm::describe(command.operation_id(), matches, args)
            ),
        )?;
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
    let what = format!("calling {}", command.operation_id());
    one_page(&cli, command, args, &what, &unprinted).await?;
    let paged = finbourne_identity_client::operations::by_id(command.operation_id())
        .and_then(|op| op.paging);
    if let (Some(paging), true) = (paged, flag("all")) {
        later_pages(&cli, command, paging.token_param, &what, &pages, &unprinted).await?;
    }
    if view.format == Format::Table && view.jq.is_none() && pages.borrow().all_empty {
        note(&output::empty_note(command.operation_id()));
    }
    Ok(())
}

/// Runs the command once with `args`, then says whether its answer could be printed.
async fn one_page(
    cli: &Cli<Printer>,
    command: CliCommand,
    args: &ArgMatches,
    what: &str,
    unprinted: &RefCell<Option<Failure>>,
) -> Result<(), Failure> {
    feedback::busy(what, cli.execute(command, args))
        .await
        .map_err(failure::of_command)?;
    // The API call succeeded; printing its answer may not have.
    unprinted.take().map_or(Ok(()), Err)
}

/// `--all`: the same command line again with each next page's token in `token_param`'s flag,
/// until a page has no next one; a token given twice stops it rather than loop.
async fn later_pages(
    cli: &Cli<Printer>,
    command: CliCommand,
    token_param: &str,
    what: &str,
    pages: &RefCell<output::PageState>,
    unprinted: &RefCell<Option<Failure>>,
) -> Result<(), Failure> {
    let token_flag = names::kebab(token_param);
    let mut argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let mut asked = std::collections::HashSet::new();
    // The command tree is built once for all the pages, not once per page.
    let mut tree = app::command();
    loop {
        // Taken apart from the loop's condition, whose borrow would last the whole body.
        let next = pages.borrow_mut().next.take();
        let Some(token) = next else { return Ok(()) };
        if !asked.insert(token.clone()) {
            return Err(Failure::Api(format!(
                "the service gave the page token `{}` twice: stopped rather than loop",
                output::escape(&token)
            )));
        }
        argv = paging::next_page_args(&argv, &token_flag, &token);
        let again = tree.try_get_matches_from_mut(&argv).map_err(|e| {
            let said = e.render().to_string();
            Failure::Usage(said.trim_start_matches("error: ").trim_end().to_owned())
        })?;
        let args = again
            .subcommand()
            .and_then(|(_, sub)| sub.subcommand())
            .map(|(_, args)| args)
            .expect("the same command line, with one more option");
        one_page(cli, command, args, what, unprinted).await?;
    }
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
            let value = app::given(args, &name)?;
            Some((name, value))
        })
        .collect()
}

/// The profile to read, and its file: `--profile`, else `FBN_PROFILE` (unless `--secrets-file`
/// names a file), else the `default` profile when it exists and nothing else configures the
/// call: no `FBN_` variable, no `./secrets.json`, no `--secrets-file`.
fn chosen_profile(matches: &ArgMatches) -> Result<Option<(String, PathBuf)>, Failure> {
    let secrets_file = matches.get_one::<PathBuf>("secrets-file").is_some();
    if let Some(name) = profile::chosen(matches)
        && (profile::from_flag(matches) || !secrets_file)
    {
        let path = profile::existing(&name)?;
        return Ok(Some((name, path)));
    }
    let local = std::env::current_dir().map(|dir| dir.join("secrets.json"));
    let environment = std::env::vars_os().any(|(name, value)| {
        name.to_string_lossy().starts_with("FBN_")
            && name != profile::DIR_VARIABLE
            && !value.is_empty()
    });
    if secrets_file || environment || local.is_ok_and(|path| path.exists()) {
        return Ok(None);
    }
    Ok(profile::path(auth::DEFAULT_PROFILE)
        .ok()
        .filter(|path| path.is_file())
        .map(|path| (auth::DEFAULT_PROFILE.to_owned(), path)))
}

/// The SDK's configuration sources, with the global options on top.
fn loader(matches: &ArgMatches) -> Result<ConfigLoader, Failure> {
    let mut loader = ConfigLoader::new();
    if let Some(path) = matches.get_one::<PathBuf>("secrets-file") {
        loader = loader.secrets_file(path);
    }
    if let Some((_, path)) = chosen_profile(matches)? {
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
    Ok(loader)
}

fn client(matches: &ArgMatches) -> Result<IdentityClient, Failure> {
    let config = loader(matches)?
        .load()
        .map_err(|e| auth::unconfigured(&e).unwrap_or_else(|| failure::of_config(&e)))?;
    feedback::remember(&config);
    Ok(IdentityClient::new(config)?)
}
