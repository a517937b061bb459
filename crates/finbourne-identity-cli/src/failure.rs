//! Exit codes, and the message that goes with them on standard error.
//!
//! 0 success; 1 the API answered with an error; 2 usage or configuration to fix;
//! 3 the network failed or a timeout expired; 4 standard output could not be written;
//! 130 interrupted by Ctrl-C (`logs list --follow`, as a command killed by `SIGINT` ends);
//! 141 standard output is a pipe nobody reads any more (as a command killed by `SIGPIPE` ends).

use std::borrow::Cow;
use std::io::ErrorKind;
use std::process::ExitCode;

use finbourne_identity::{ConfigError, Error};

use crate::json_body;
use crate::output::escape;

/// Why the command failed, with the message for standard error.
#[derive(Debug)]
pub enum Failure {
    Api(String),
    Usage(String),
    Network(String),
    /// Standard output could not be written (`> /dev/full`, a pipe closed by its reader), and
    /// what that lost when the output was a credential the command had just created.
    Output {
        error: std::io::Error,
        lost: Option<String>,
    },
    /// Ctrl-C ended a command that runs until interrupted.
    Interrupted,
}

impl Failure {
    /// Standard output could not be written, and nothing that cannot be had again was lost.
    pub fn stdout(error: std::io::Error) -> Failure {
        Failure::Output { error, lost: None }
    }

    /// Adds a line to the message: what the failure leaves behind, or what to do next.
    pub fn add_line(&mut self, line: &str) {
        match self {
            Failure::Api(m) | Failure::Usage(m) | Failure::Network(m) => {
                m.push('\n');
                m.push_str(line);
            }
            Failure::Output { lost, .. } => {
                let text = lost.get_or_insert_with(String::new);
                if !text.is_empty() {
                    text.push('\n');
                }
                text.push_str(line);
            }
            // Ctrl-C ends quietly, as an interrupted command does.
            Failure::Interrupted => {}
        }
    }

    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(match self {
            Failure::Api(_) => 1,
            Failure::Usage(_) => 2,
            Failure::Network(_) => 3,
            Failure::Output { error, .. } if error.kind() == ErrorKind::BrokenPipe => 141,
            Failure::Output { .. } => 4,
            Failure::Interrupted => 130,
        })
    }

    /// What to say on standard error. Nothing when the reader of the pipe that is standard
    /// output went away (`| head`): that is how a pipeline ends, unless it cost a credential.
    pub fn message(&self) -> Option<Cow<'_, str>> {
        match self {
            Failure::Api(m) | Failure::Usage(m) | Failure::Network(m) => Some(Cow::Borrowed(m)),
            Failure::Output { error, lost: None } if error.kind() == ErrorKind::BrokenPipe => None,
            Failure::Interrupted => None,
            Failure::Output { error, lost } => {
                let mut message = format!(
                    "cannot write to standard output: {}",
                    escape(&error.to_string())
                );
                if let Some(lost) = lost {
                    message.push('\n');
                    message.push_str(lost);
                }
                Some(Cow::Owned(message))
            }
        }
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        let message = with_causes(&error);
        match &error {
            Error::Api(_)
            | Error::Redirect(_)
            | Error::AnswerTooLarge(_)
            | Error::Decode(_)
            | Error::IncompleteAnswer(_) => Failure::Api(message),
            Error::Authentication(auth) => match auth.status() {
                Some(status) if status.is_client_error() => Failure::Usage(format!(
                    "{message}\ncheck the credentials (fbn-identity config show lists where each came from)"
                )),
                Some(_) => Failure::Api(message),
                None => Failure::Network(message),
            },
            Error::Transport(_) | Error::Timeout(_) => {
                Failure::Network(crate::feedback::explain_network(&error, message))
            }
            Error::Config(config) => of_config(config),
            _ => Failure::Usage(message),
        }
    }
}

/// The failure of a generated command: the SDK's error, or a problem with the command's input
/// (an unreadable or invalid JSON body), told without the body.
pub fn of_command(error: anyhow::Error) -> Failure {
    match error.downcast::<Error>() {
        Ok(sdk) => sdk.into(),
        Err(other) => Failure::Usage(json_body::describe(&other)),
    }
}

/// An invalid configuration: a line per problem, each escaped, as it may quote what it found.
pub fn of_config(error: &ConfigError) -> Failure {
    let lines: Vec<_> = error
        .problems()
        .iter()
        .map(|problem| escape(&problem.to_string()).into_owned())
        .collect();
    Failure::Usage(lines.join("\n"))
}

/// An error and each of its causes, once, on one line; escaped, as they quote the server (problem
/// details, a token endpoint's `error_description`).
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut message = escape(&error.to_string()).into_owned();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&escape(&cause.to_string()));
        source = cause.source();
    }
    message
}
