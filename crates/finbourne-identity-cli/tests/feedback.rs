//! Feedback off a terminal: a line per retry, a refused connection explained, the timeout's
//! message and help, confirmation of destructive commands in a script, and colour.

mod common;

use std::time::Duration;

use common::*;
use finbourne_identity_emulator::http::{Method, StatusCode};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_says_why_and_how_long_it_waits() {
    let s = Setup::start().await;
    s.emulator
        .faults()
        .on(Method::GET, "/api/me")
        .respond_status(StatusCode::SERVICE_UNAVAILABLE);
    let status = s.run(&["auth", "status"]).await;
    assert_eq!(code(&status), 0, "{}", stderr(&status));
    let said = stderr(&status);
    let lines: Vec<&str> = said.lines().collect();
    assert_eq!(lines.len(), 1, "{said}");
    assert!(
        lines[0].starts_with("retrying in ")
            && lines[0]
                .ends_with(": attempt 1 failed, the service answered 503 Service Unavailable"),
        "{said}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_connection_names_the_url_the_attempts_and_what_to_check() {
    let s = Setup::start().await;
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/identity");
    let refused = s
        .run_with(
            &["auth", "status"],
            &[("FBN_IDENTITY_URL", &url), ("FBN_ACCESS_TOKEN", &s.pat)],
            None,
        )
        .await;
    assert_eq!(code(&refused), 3, "{}", stderr(&refused));
    let said = stderr(&refused);
    let retries = said
        .lines()
        .filter(|l| l.starts_with("retrying in "))
        .count();
    assert_eq!(retries, 3, "{said}");
    let error = said
        .lines()
        .find(|l| l.starts_with("error: "))
        .expect(&said);
    assert!(
        error.starts_with(&format!(
            "error: cannot connect to {url} after 4 attempts: "
        )),
        "{said}"
    );
    assert!(
        error.to_lowercase().contains("connection refused"),
        "{said}"
    );
    assert!(
        said.contains(
            "check the URL (identity API URL from environment variable FBN_IDENTITY_URL;"
        ) && said.contains("that the service is running there"),
        "{said}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_timeout_says_what_it_covers_and_the_value_used() {
    let s = Setup::start().await;
    s.emulator
        .faults()
        .on(Method::GET, "/api/me")
        .delay(Duration::from_secs(5));
    let slow = s.run(&["--timeout", "1s", "auth", "status"]).await;
    assert_eq!(code(&slow), 3, "{}", stderr(&slow));
    let said = stderr(&slow);
    assert!(
        said.contains("the call's total timeout expired: the limit of 1s (from --timeout) covers the whole call: \
                       the token request, every attempt and every wait between retries; allow more with --timeout, e.g. --timeout 2s"),
        "{said}"
    );
    s.emulator
        .faults()
        .on(Method::GET, "/api/me")
        .delay(Duration::from_secs(5));
    let from_env = s
        .run_with(
            &["auth", "status"],
            &[
                ("FBN_IDENTITY_URL", s.emulator.identity_url()),
                ("FBN_ACCESS_TOKEN", &s.pat),
                ("FBN_TOTAL_TIMEOUT_MS", "1500"),
            ],
            None,
        )
        .await;
    assert!(
        stderr(&from_env)
            .contains("the limit of 1.5s (from environment variable FBN_TOTAL_TIMEOUT_MS)"),
        "{}",
        stderr(&from_env)
    );

    let help = s.run(&["--help"]).await;
    assert!(
        stdout(&help).contains("Limit on the whole call: the token request, every attempt and every wait between retries"),
        "{}",
        stdout(&help)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destructive_scim_commands_need_yes_in_a_script() {
    let s = Setup::start().await;
    let enabled = s.run(&["scim", "enable"]).await;
    let token = json(&enabled)["apiToken"].as_str().unwrap().to_owned();
    s.emulator.clear_journal();

    for args in [
        &["scim", "disable"][..],
        &["scim", "enable", "--regenerate"],
        &["scim", "rotate"],
    ] {
        let refused = s.run(args).await;
        assert_eq!(code(&refused), 2, "{args:?}: {}", stderr(&refused));
        assert!(
            stderr(&refused).contains("there is no terminal to ask; give --yes to go ahead"),
            "{args:?}: {}",
            stderr(&refused)
        );
    }
    assert!(
        s.emulator.journal().is_empty(),
        "nothing reached the service"
    );
    assert_eq!(s.emulator.active_scim_tokens(), [token]);

    let disabled = s.run(&["scim", "disable", "--yes"]).await;
    assert_eq!(code(&disabled), 0, "{}", stderr(&disabled));
    assert!(s.emulator.active_scim_tokens().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verbose_tracing_is_coloured_only_when_asked_off_a_terminal() {
    let s = Setup::start().await;
    let plain = s.run(&["-v", "auth", "status"]).await;
    assert_eq!(code(&plain), 0, "{}", stderr(&plain));
    assert!(stderr(&plain).contains("GetUserInfo") || stderr(&plain).contains("get_user_info"));
    assert!(!stderr(&plain).contains('\u{1b}'), "{}", stderr(&plain));
    let always = s.run(&["-v", "--color", "always", "auth", "status"]).await;
    assert!(stderr(&always).contains("\u{1b}["), "{}", stderr(&always));
    let never = s
        .run_with(
            &["-v", "--color=never", "auth", "status"],
            &[
                ("FBN_IDENTITY_URL", s.emulator.identity_url()),
                ("FBN_ACCESS_TOKEN", &s.pat),
            ],
            None,
        )
        .await;
    assert!(!stderr(&never).contains('\u{1b}'), "{}", stderr(&never));
}
