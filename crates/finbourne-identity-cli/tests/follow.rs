//! `logs list --follow` in a pseudo-terminal, as a person runs it: it prints the events there
//! are, then new ones as the emulator logs them, and Ctrl-C ends it with exit code 130; a
//! closed pipe ends it with 141.

#![cfg(unix)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use finbourne_identity_emulator::Emulator;
use rexpect::process::WaitStatus;

fn follow_command(emulator: &Emulator, pat: &str) -> Command {
    let mut command = Command::new(assert_cmd::cargo::cargo_bin("fbn-identity"));
    command
        .env_clear()
        .env("FBN_IDENTITY_URL", emulator.identity_url())
        .env("FBN_ACCESS_TOKEN", pat)
        // The shortest poll interval the SDK allows: the new event shows within a second.
        .args(["logs", "list", "--follow", "--interval", "1s"])
        .args(["--jq", ".displayMessage"]);
    command
}

async fn create_role(emulator: &Emulator, pat: &str, name: &str) {
    let config = finbourne_identity::ConfigLoader::new()
        .identity_url(emulator.identity_url())
        .access_token(pat)
        .load()
        .unwrap();
    let identity = finbourne_identity::IdentityClient::new(config).unwrap();
    identity.create_role().name(name).send().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_prints_new_events_until_ctrl_c() {
    let emulator = Emulator::start().await.unwrap();
    let pat = emulator.issue_access_token();
    create_role(&emulator, &pat, "before").await;

    let command = follow_command(&emulator, &pat);
    let mut session = tokio::task::spawn_blocking(move || {
        let mut session = rexpect::session::spawn_command(command, Some(10_000)).unwrap();
        session.exp_string("CreateRole").unwrap();
        session
    })
    .await
    .unwrap();

    create_role(&emulator, &pat, "after").await;
    let status = tokio::task::spawn_blocking(move || {
        // The event logged while it was running.
        session.exp_string("CreateRole").unwrap();
        session.send_control('c').unwrap();
        session.exp_eof().unwrap();
        session.process().wait().unwrap()
    })
    .await
    .unwrap();
    assert!(
        matches!(status, WaitStatus::Exited(_, 130)),
        "Ctrl-C ends it with 130: {status:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_ends_with_141_when_its_reader_goes_away() {
    let emulator = Emulator::start().await.unwrap();
    let pat = emulator.issue_access_token();
    create_role(&emulator, &pat, "before").await;

    let mut command = follow_command(&emulator, &pat);
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    let out = child.stdout.take().unwrap();
    let first = tokio::task::spawn_blocking(move || {
        let mut reader = BufReader::new(out);
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        line // the reader, and the pipe, are dropped here
    })
    .await
    .unwrap();
    assert!(first.starts_with("CreateRole"), "{first}");

    // The next event has nowhere to go.
    create_role(&emulator, &pat, "after").await;
    let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(141), "{output:?}");
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
