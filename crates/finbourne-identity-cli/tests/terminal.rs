//! The interactive parts, in a pseudo-terminal: the spinner of a slow call, the confirmation of
//! a destructive command, the prompts of `auth login` with the token not echoed, and colour.

#![cfg(unix)]

mod common;

use std::time::Duration;

use common::*;
use finbourne_identity_emulator::http::Method;
use rexpect::process::WaitStatus;
use rexpect::session::{PtySession, spawn_command};

/// `fbn-identity args` in a pseudo-terminal with the emulator's settings and `env`.
fn spawn(s: &Setup, args: &[&str], env: &[(&str, &str)], settings: bool) -> PtySession {
    let mut command = s.std_command();
    command.args(args).env("TERM", "xterm");
    if settings {
        command.envs(s.env());
    }
    command.envs(env.iter().copied());
    spawn_command(command, Some(30_000)).expect("a pseudo-terminal")
}

/// Waits for the end in a blocking thread: rexpect reads synchronously.
async fn finish(mut session: PtySession) -> (String, i32) {
    tokio::task::spawn_blocking(move || {
        let rest = session.exp_eof().expect("the program ends");
        let code = match session.process().wait().expect("its status") {
            WaitStatus::Exited(_, code) => code,
            other => panic!("{other:?}"),
        };
        (rest, code)
    })
    .await
    .unwrap()
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_call_shows_a_spinner_and_a_quick_one_does_not() {
    let s = Setup::start().await;
    s.emulator
        .faults()
        .on(Method::GET, "/api/me")
        .delay(Duration::from_millis(1500));
    let mut slow = spawn(&s, &["auth", "status", "-o", "json"], &[], true);
    let (slow, before) = blocking(move || {
        let before = slow.exp_string("asking who you are").expect("a spinner");
        (slow, before)
    })
    .await;
    assert!(
        before.is_empty() || !before.contains("\"user\""),
        "the spinner comes before the answer"
    );
    let (rest, code) = finish(slow).await;
    assert_eq!(code, 0, "{rest}");
    assert!(rest.contains("\"user\""), "{rest}");

    let quick = spawn(&s, &["auth", "status", "-o", "json"], &[], true);
    let (all, code) = finish(quick).await;
    assert_eq!(code, 0, "{all}");
    assert!(
        !all.contains("asking who you are"),
        "no spinner under 300 ms: {all}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_destructive_command_asks_and_no_changes_nothing() {
    let s = Setup::start().await;
    s.run(&["scim", "enable"]).await;
    let tokens = s.emulator.active_scim_tokens();

    let mut declined = spawn(&s, &["scim", "disable"], &[], true);
    let declined = blocking(move || {
        declined
            .exp_string("turn SCIM off: every SCIM API token stops working now: this cannot be undone. Go ahead?")
            .expect("the question");
        declined.send_line("n").unwrap();
        declined
    })
    .await;
    let (rest, code) = finish(declined).await;
    assert_eq!(code, 2, "{rest}");
    assert!(rest.contains("cancelled: nothing was changed"), "{rest}");
    assert_eq!(s.emulator.active_scim_tokens(), tokens);

    let mut accepted = spawn(&s, &["scim", "disable"], &[], true);
    let accepted = blocking(move || {
        accepted.exp_string("Go ahead?").expect("the question");
        accepted.send_line("y").unwrap();
        accepted
    })
    .await;
    let (rest, code) = finish(accepted).await;
    assert_eq!(code, 0, "{rest}");
    assert!(s.emulator.active_scim_tokens().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_asks_for_the_url_and_the_token_without_echo() {
    let s = Setup::start().await;
    let url = s.emulator.identity_url().to_owned();
    let pat = s.pat.clone();
    let mut login = spawn(&s, &["auth", "login"], &[], false);
    let (login, seen) = blocking(move || {
        login
            .exp_string("Identity API URL")
            .expect("asks for the URL");
        login.send_line(&url).unwrap();
        let mut seen = login
            .exp_string("Personal access token (not shown)")
            .expect("asks for the token");
        login.send_line(&pat).unwrap();
        seen.push_str(&login.exp_string("logged in to").expect("proven"));
        (login, seen)
    })
    .await;
    let (rest, code) = finish(login).await;
    assert_eq!(code, 0, "{seen}{rest}");
    assert!(
        !seen.contains(&s.pat) && !rest.contains(&s.pat),
        "the token is not echoed: {seen}{rest}"
    );
    let saved = std::fs::read_to_string(s.profile_path("default")).unwrap();
    assert!(saved.contains(&s.pat));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verbose_tracing_on_a_terminal_honours_no_color() {
    let s = Setup::start().await;
    let coloured = spawn(&s, &["-v", "auth", "status", "-o", "json"], &[], true);
    let (all, code) = finish(coloured).await;
    assert_eq!(code, 0, "{all}");
    assert!(
        all.contains("\u{1b}["),
        "colour on a terminal by default: {all}"
    );

    let plain = spawn(
        &s,
        &["-v", "auth", "status", "-o", "json"],
        &[("NO_COLOR", "1")],
        true,
    );
    let (all, code) = finish(plain).await;
    assert_eq!(code, 0, "{all}");
    assert!(!all.contains('\u{1b}'), "NO_COLOR: {all}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_with_the_password_grant_asks_only_for_what_is_missing_and_hides_the_secrets() {
    let s = Setup::start().await;
    let env = [
        ("FBN_IDENTITY_URL", s.emulator.identity_url().to_owned()),
        ("FBN_TOKEN_URL", s.emulator.token_url().to_owned()),
        ("FBN_CLIENT_ID", s.emulator.client_id().to_owned()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (username, password, secret) = (
        s.emulator.username().to_owned(),
        s.emulator.password().to_owned(),
        s.emulator.client_secret().to_owned(),
    );
    let mut login = spawn(
        &s,
        &["auth", "login", "--profile", "okta", "--password-grant"],
        &env,
        false,
    );
    let (login, seen) = blocking(move || {
        let mut seen = login.exp_string("username").expect("asks for the username");
        login.send_line(&username).unwrap();
        seen.push_str(
            &login
                .exp_string("password (not shown)")
                .expect("asks for the password"),
        );
        login.send_line(&password).unwrap();
        seen.push_str(
            &login
                .exp_string("client secret (not shown)")
                .expect("asks for the secret"),
        );
        login.send_line(&secret).unwrap();
        seen.push_str(&login.exp_string("logged in to").expect("proven"));
        (login, seen)
    })
    .await;
    let (rest, code) = finish(login).await;
    assert_eq!(code, 0, "{seen}{rest}");
    let all = format!("{seen}{rest}");
    assert!(
        !all.contains("token URL") && !all.contains("client id"),
        "only what is missing is asked: {all}"
    );
    assert!(
        !all.contains(s.emulator.password()) && !all.contains(s.emulator.client_secret()),
        "the secrets are not echoed: {all}"
    );
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(s.profile_path("okta")).unwrap()).unwrap();
    assert_eq!(saved["api"]["username"], s.emulator.username());
    assert_eq!(saved["api"]["clientSecret"], s.emulator.client_secret());
    assert_eq!(saved["api"]["tokenUrl"], s.emulator.token_url());
    assert!(saved["api"].get("accessToken").is_none());
}
