//! Every generated command against the emulator: each sends exactly one request, to its own
//! operation, with each flag's value where the operation's parameter goes, and ends with an
//! answer (exit 0, or 1 for an error the service gives), never a usage error or a 501. The
//! commands and their flags are read from the table of operations and the names the xtask
//! derived from it: none is named here.

use std::process::Output;

use assert_cmd::Command;
use finbourne_identity_client::operations::{
    OPERATIONS, Operation, ParamKind, ParamLocation, Route, route,
};
use finbourne_identity_emulator::Emulator;

/// `userId` -> `user-id`, as the generated commands name their flags.
fn flag(name: &str) -> String {
    let mut out = String::from("--");
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('-');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The command line's names of each operation, as the xtask derived them from the spec.
#[rustfmt::skip]
#[path = "../src/generated_names.rs"]
mod names;

/// `users list` for `list_users`.
fn command(op: &Operation) -> [String; 2] {
    let (_, group, name) = names::NAMES
        .iter()
        .find(|(id, _, _)| *id == op.id)
        .unwrap_or_else(|| panic!("{} has no command name", op.id));
    [(*group).to_owned(), (*name).to_owned()]
}

/// A value for each parameter: text that names the parameter, or one of its kind.
fn value(name: &str, kind: ParamKind) -> String {
    match kind {
        ParamKind::Boolean => "true".into(),
        ParamKind::Integer => "7".into(),
        ParamKind::DateTime => "2030-01-02T03:04:05Z".into(),
        _ => format!("v-{name}"),
    }
}

/// The command and a flag for each of the operation's parameters, with its [`value`].
fn command_line(op: &Operation) -> Vec<String> {
    let mut args = command(op).to_vec();
    for param in op.params {
        if param.kind == ParamKind::Boolean {
            // A boolean query parameter is a switch.
            args.push(flag(param.name));
        } else {
            args.push(format!(
                "{}={}",
                flag(param.name),
                value(param.name, param.kind)
            ));
        }
    }
    args
}

async fn run(emulator: &Emulator, op: &Operation) -> (Vec<(&'static str, String)>, Output) {
    let values: Vec<(&'static str, String)> = op
        .params
        .iter()
        .map(|p| (p.name, value(p.name, p.kind)))
        .collect();
    let mut command = fbn(emulator);
    // Deletions and invalidations ask first; a script says yes with --yes.
    command.args(["-o", "json", "--yes"]).args(command_line(op));
    if let Some(body) = op.minimal_body {
        command.args(["--json-body", "-"]).write_stdin(body);
    }
    (values, output(command).await)
}

/// `fbn-identity` with nothing of this machine's environment but the emulator's URL and a token
/// of its own: InvalidateToken or a password change ends only this one.
fn fbn(emulator: &Emulator) -> Command {
    let mut command = Command::cargo_bin("fbn-identity").unwrap();
    command
        .env_clear()
        .env("FBN_IDENTITY_URL", emulator.identity_url())
        .env("FBN_ACCESS_TOKEN", emulator.issue_access_token());
    command
}

async fn output(mut command: Command) -> Output {
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_command_reaches_its_operation_with_its_flags() {
    let emulator = Emulator::start().await.unwrap();
    let (mut succeeded, mut refused) = (0, 0);
    for op in OPERATIONS {
        emulator.clear_journal();
        let (values, output) = run(&emulator, op).await;
        let stderr = String::from_utf8_lossy(&output.stderr);
        let code = output.status.code().unwrap();
        assert!(
            code == 0 || code == 1,
            "{} exited {code}: {stderr}",
            op.operation_id
        );
        assert!(!stderr.contains("501"), "{}: {stderr}", op.operation_id);
        if code == 0 {
            succeeded += 1
        } else {
            refused += 1
        }
        let api: Vec<_> = emulator
            .journal()
            .into_iter()
            .filter(|e| e.path().starts_with("/identity/api/"))
            .collect();
        assert_eq!(api.len(), 1, "{}: {stderr}", op.operation_id);
        let entry = &api[0];
        let below = entry.path().strip_prefix("/identity").unwrap();
        let Route::Found(reached, params) = route(entry.method().as_str(), below) else {
            panic!("{}: {below} reaches no operation", op.operation_id)
        };
        assert_eq!(reached.operation_id, op.operation_id, "{below}");
        for param in op.params {
            let given = &values.iter().find(|(n, _)| *n == param.name).unwrap().1;
            let received = match param.location {
                ParamLocation::Path => params
                    .iter()
                    .find(|(n, _)| *n == param.name)
                    .map(|(_, v)| v.clone()),
                _ => entry.query_param(param.name),
            };
            let received = received.unwrap_or_else(|| {
                panic!(
                    "{}: --{} did not reach the request",
                    op.operation_id, param.name
                )
            });
            if param.kind == ParamKind::DateTime {
                let at = |t: &str| chrono::DateTime::parse_from_rfc3339(t).unwrap();
                assert_eq!(
                    at(&received),
                    at(given),
                    "{} {}",
                    op.operation_id,
                    param.name
                );
            } else {
                assert_eq!(&received, given, "{} {}", op.operation_id, param.name);
            }
        }
    }
    println!(
        "{} commands: each reached its operation with its flags; {succeeded} succeeded, {refused} answered with the service's error",
        OPERATIONS.len()
    );
}

/// Every DELETE operation in a script without `--yes`: exit 2, a message saying to give it,
/// and nothing sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_delete_command_needs_yes_in_a_script() {
    let emulator = Emulator::start().await.unwrap();
    let deletes: Vec<&Operation> = OPERATIONS
        .iter()
        .filter(|op| op.method == "DELETE")
        .collect();
    assert!(deletes.len() >= 10, "the table has its DELETE operations");
    assert!(
        deletes
            .iter()
            .any(|op| op.operation_id == "InvalidateToken")
    );
    for op in deletes {
        emulator.clear_journal();
        let mut command = fbn(&emulator);
        command.args(command_line(op));
        let output = output(command).await;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{}: {stderr}",
            op.operation_id
        );
        assert!(
            stderr.contains(&format!("call {} (DELETE {}", op.operation_id, op.path))
                && !stderr.contains("yes=")
                && stderr.contains("give --yes to go ahead"),
            "{}: {stderr}",
            op.operation_id
        );
        assert!(
            emulator.journal().is_empty(),
            "{}: nothing sent",
            op.operation_id
        );
    }
}
