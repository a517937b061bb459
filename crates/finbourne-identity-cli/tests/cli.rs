//! `fbn-identity` against the emulator started by each test, on 127.0.0.1. Every run gets a
//! clean environment and an empty working directory, so nothing of the machine leaks in.

use std::process::Output;

use finbourne_identity_emulator::Fault;
use finbourne_identity_emulator::http::{Method, StatusCode};
use serde_json::json;

mod common;
use common::*;

async fn setup() -> Setup {
    Setup::start().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scim_enable_then_disable() {
    let s = setup().await;
    let enabled = s.run(&["scim", "enable"]).await;
    assert_eq!(code(&enabled), 0, "{}", stderr(&enabled));
    let answer = json(&enabled);
    assert_eq!(answer["baseUrl"], s.emulator.scim_base_url());
    let token = answer["apiToken"].as_str().unwrap().to_owned();
    assert_eq!(s.emulator.active_scim_tokens(), [token]);
    assert!(
        stderr(&enabled).contains("credential"),
        "a reminder that the token is a credential"
    );

    let disabled = s.run(&["scim", "disable", "--yes"]).await;
    assert_eq!(code(&disabled), 0, "{}", stderr(&disabled));
    assert!(s.emulator.active_scim_tokens().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regenerate_keeps_the_old_token_until_the_time_given() {
    let s = setup().await;
    let first = json(&s.run(&["scim", "enable"]).await)["apiToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let renewed = s
        .run(&[
            "scim",
            "enable",
            "--regenerate",
            "--yes",
            "--old-token-ends",
            "1h",
        ])
        .await;
    assert_eq!(code(&renewed), 0, "{}", stderr(&renewed));
    let second = json(&renewed)["apiToken"].as_str().unwrap().to_owned();
    let mut active = s.emulator.active_scim_tokens();
    active.sort();
    let mut expected = vec![first.clone(), second.clone()];
    expected.sort();
    assert_eq!(active, expected, "both work for the hour");

    let journal = s.emulator.journal();
    let put = journal.iter().rev().find(|e| e.method() == "PUT").unwrap();
    assert_eq!(
        put.query_param("apiTokenAction").as_deref(),
        Some("regenerate")
    );
    let ends = put
        .query_param("oldApiTokenDeactivation")
        .expect("the time is sent");
    let ends = chrono::DateTime::parse_from_rfc3339(&ends).unwrap();
    let ahead = ends.to_utc() - chrono::Utc::now();
    assert!(
        ahead > chrono::Duration::minutes(59) && ahead <= chrono::Duration::minutes(60),
        "{ahead}"
    );

    let at_once = s.run(&["scim", "enable", "--regenerate", "--yes"]).await;
    let third = json(&at_once)["apiToken"].as_str().unwrap().to_owned();
    let active = s.emulator.active_scim_tokens();
    assert!(
        !active.contains(&second),
        "without a time the previous token ends at once"
    );
    assert!(
        active.contains(&first) && active.contains(&third),
        "{active:?}"
    );

    let orphan = s.run(&["scim", "enable", "--old-token-ends", "1h"]).await;
    assert_eq!(
        code(&orphan),
        2,
        "an end time without --regenerate is a usage error"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_can_go_to_a_private_file_instead_of_stdout() {
    let s = setup().await;
    let path = s.dir.path().join("scim-token");
    std::fs::write(&path, "old contents").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let output = s
        .run(&["scim", "enable", "--token-file", path.to_str().unwrap()])
        .await;
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let token = std::fs::read_to_string(&path).unwrap();
    assert_eq!(s.emulator.active_scim_tokens(), [token.trim().to_owned()]);
    assert!(
        !stdout(&output).contains(token.trim()) && !stderr(&output).contains(token.trim()),
        "the token is not printed"
    );
    assert_eq!(json(&output)["tokenFile"], path.to_str().unwrap());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600,
            "an existing 0644 file of ours is replaced by a 0600 one"
        );
    }
    assert_eq!(
        files_in(s.dir.path()),
        ["scim-token"],
        "no temporary file is left"
    );

    let relative = s
        .run(&["scim", "enable", "--token-file", "here.token"])
        .await;
    assert_eq!(code(&relative), 0, "{}", stderr(&relative));
    assert_eq!(
        std::fs::read_to_string(s.dir.path().join("here.token")).unwrap(),
        token,
        "a bare file name is in the working directory"
    );
}

fn files_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// `scim enable --token-file path` is refused: exit 2, a message naming the path and why, no
/// token issued, printed or written.
async fn assert_token_file_refused(s: &Setup, path: &std::path::Path, why: &str) {
    let output = s
        .run(&["scim", "enable", "--token-file", path.to_str().unwrap()])
        .await;
    let err = stderr(&output);
    assert_eq!(code(&output), 2, "{}: {err}", path.display());
    assert!(
        err.contains(&format!(
            "cannot write the token to {}: {why}",
            path.display()
        )),
        "{err}"
    );
    assert!(stdout(&output).is_empty(), "{}", stdout(&output));
    assert!(
        s.emulator.active_scim_tokens().is_empty(),
        "no token is issued for a path that is refused"
    );
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_file_is_never_a_link_a_directory_a_device_or_another_users() {
    use std::os::unix::fs::symlink;

    let s = setup().await;
    let dir = s.dir.path();
    let elsewhere = dir.join("elsewhere");
    std::fs::write(&elsewhere, "someone else's contents").unwrap();
    let link = dir.join("link");
    symlink(&elsewhere, &link).unwrap();
    assert_token_file_refused(&s, &link, "it is a symbolic link").await;
    assert_eq!(
        std::fs::read_to_string(&elsewhere).unwrap(),
        "someone else's contents"
    );
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );

    let dangling = dir.join("dangling");
    let target = dir.join("not-yet");
    symlink(&target, &dangling).unwrap();
    assert_token_file_refused(&s, &dangling, "it is a symbolic link").await;
    assert!(!target.exists(), "the link's target is not created");

    let directory = dir.join("a-directory");
    std::fs::create_dir(&directory).unwrap();
    assert_token_file_refused(&s, &directory, "it is a directory").await;
    assert!(files_in(&directory).is_empty());
    let new_dir = format!("{}/", dir.join("new").display());
    assert_token_file_refused(&s, new_dir.as_ref(), "it names a directory").await;

    let fifo = dir.join("fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    assert_token_file_refused(&s, &fifo, "it is not a regular file").await;
    assert_token_file_refused(
        &s,
        std::path::Path::new("/dev/null"),
        "it is not a regular file",
    )
    .await;

    let theirs = dir.join("theirs");
    std::fs::write(&theirs, "their contents").unwrap();
    // Giving a file away needs root, which the tests have here; elsewhere this part is skipped.
    match std::os::unix::fs::chown(&theirs, Some(65534), Some(65534)) {
        Ok(()) => {
            assert_token_file_refused(&s, &theirs, "it belongs to another user (uid 65534").await;
            assert_eq!(std::fs::read_to_string(&theirs).unwrap(), "their contents");
        }
        Err(e) => eprintln!("skipped another user's file: cannot chown ({e})"),
    }

    let nowhere = dir.join("no-such-dir/token");
    assert_token_file_refused(&s, &nowhere, "its directory does not exist").await;

    assert_eq!(
        files_in(dir),
        [
            "a-directory",
            "dangling",
            "elsewhere",
            "fifo",
            "link",
            "theirs"
        ],
        "nothing was written anywhere"
    );
    assert!(s.emulator.journal().is_empty(), "nothing was sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_and_roles_with_bodies_from_stdin_files_and_arguments() {
    let s = setup().await;
    let env = [
        ("FBN_IDENTITY_URL", s.emulator.identity_url()),
        ("FBN_ACCESS_TOKEN", s.pat.as_str()),
    ];
    let role = s
        .run_with(
            &["roles", "create", "--json-body", "-"],
            &env,
            Some(r#"{"name": "payroll"}"#),
        )
        .await;
    assert_eq!(code(&role), 0, "{}", stderr(&role));
    let role_id = json(&role)["id"].as_str().unwrap().to_owned();

    let body = s.dir.path().join("user.json");
    std::fs::write(
        &body,
        r#"{"firstName": "Ada", "lastName": "Lovelace", "emailAddress": "ada@example.com",
            "login": "ada@example.com", "type": "Personal"}"#,
    )
    .unwrap();
    let user = s
        .run(&[
            "users",
            "create-user",
            "--json-body",
            body.to_str().unwrap(),
        ])
        .await;
    assert_eq!(code(&user), 0, "{}", stderr(&user));
    let user_id = json(&user)["id"].as_str().unwrap().to_owned();

    let inline = s
        .run(&[
            "roles",
            "create-role",
            "--json-body",
            r#"{"name": "auditors"}"#,
        ])
        .await;
    assert_eq!(code(&inline), 0, "{}", stderr(&inline));

    let added = s
        .run(&[
            "roles",
            "add-user-to-role",
            "--id",
            &role_id,
            "--user-id",
            &user_id,
        ])
        .await;
    assert_eq!(code(&added), 0, "{}", stderr(&added));
    let members = json(&s.run(&["roles", "list-users", "--id", &role_id]).await);
    assert_eq!(members[0]["id"], user_id.as_str());

    let table = s.run(&["users", "list", "--output", "table"]).await;
    let text = stdout(&table);
    assert!(text.lines().next().unwrap().contains("login"), "{text}");
    assert!(text.contains("ada@example.com"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_show_names_each_source_and_hides_secrets() {
    let s = setup().await;
    let secrets = s.dir.path().join("secrets.json");
    std::fs::write(
        &secrets,
        format!(
            r#"{{"api": {{"identityUrl": "{}", "applicationName": "from-file"}}}}"#,
            s.emulator.identity_url()
        ),
    )
    .unwrap();
    let output = s
        .run_with(
            &["config", "show", "--app-name", "from-flag"],
            &[
                ("FBN_ACCESS_TOKEN", s.pat.as_str()),
                ("FBN_RATE_LIMIT_RETRIES", "5"),
            ],
            None,
        )
        .await;
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let rows = json(&output);
    let row = |setting: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["setting"] == setting)
            .unwrap_or_else(|| panic!("{setting}"))
            .clone()
    };
    assert!(
        row("identity API URL")["source"]
            .as_str()
            .unwrap()
            .contains("secrets.json key api.identityUrl")
    );
    assert_eq!(row("application name")["value"], "from-flag");
    assert_eq!(row("application name")["source"], "command-line option");
    assert_eq!(row("access token")["value"], "****");
    assert_eq!(
        row("access token")["source"],
        "environment variable FBN_ACCESS_TOKEN"
    );
    assert_eq!(row("rate-limit retries")["value"], "5");
    assert_eq!(row("total timeout (ms)")["source"], "default");
    assert!(!stdout(&output).contains(&s.pat));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_codes() {
    let s = setup().await;
    let ok = s.run(&["roles", "list"]).await;
    assert_eq!(code(&ok), 0, "{}", stderr(&ok));

    let missing = s.run(&["users", "get", "--id", "no-such-user"]).await;
    assert_eq!(code(&missing), 1);
    assert!(
        stderr(&missing).contains("404") && stderr(&missing).contains("657"),
        "{}",
        stderr(&missing)
    );

    let unconfigured = s.run_with(&["roles", "list"], &[], None).await;
    assert_eq!(code(&unconfigured), 2);
    assert!(
        stderr(&unconfigured).contains("FBN_IDENTITY_URL"),
        "names what to set: {}",
        stderr(&unconfigured)
    );

    let bad = s.dir.path().join("bad.json");
    std::fs::write(&bad, "{\"name\": ").unwrap();
    let malformed = s
        .run(&["roles", "create", "--json-body", bad.to_str().unwrap()])
        .await;
    assert_eq!(code(&malformed), 2);
    assert!(
        stderr(&malformed).contains("bad.json"),
        "names the file: {}",
        stderr(&malformed)
    );

    let usage = s.run(&["roles", "no-such-command"]).await;
    assert_eq!(code(&usage), 2);

    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let url = format!("http://{closed}/identity");
    let unreachable = s
        .run_with(
            &["scim", "disable", "--yes"],
            &[("FBN_IDENTITY_URL", &url), ("FBN_ACCESS_TOKEN", "x")],
            None,
        )
        .await;
    assert_eq!(code(&unreachable), 3, "{}", stderr(&unreachable));

    let refused = s
        .run_with(
            &["scim", "disable", "--yes"],
            &[
                ("FBN_IDENTITY_URL", s.emulator.identity_url()),
                ("FBN_ACCESS_TOKEN", "wrong"),
            ],
            None,
        )
        .await;
    assert_eq!(
        code(&refused),
        1,
        "a 401 from the API is an API error: {}",
        stderr(&refused)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verbose_traces_requests_without_secrets() {
    let s = setup().await;
    let output = s.run(&["-v", "roles", "list"]).await;
    assert_eq!(code(&output), 0);
    let trace = stderr(&output);
    // The call's span names the operation and its path template, never the URL: a query
    // value may be a secret.
    assert!(
        trace.contains(r#"otel.name="list_roles""#)
            && trace.contains(r#"url.template="/api/roles""#)
            && trace.contains("http.response.status_code=200"),
        "{trace}"
    );
    assert!(!trace.contains(&s.pat), "{trace}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_for_every_group_and_completions() {
    let s = setup().await;
    let top = stdout(&s.run(&["--help"]).await);
    let groups: Vec<String> = top
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .map(|l| l.split_whitespace().next().unwrap().to_owned())
        .filter(|g| g != "help")
        .collect();
    assert!(groups.len() >= 17, "{groups:?}");
    for group in &groups {
        let help = s.run(&[group, "--help"]).await;
        assert_eq!(code(&help), 0, "{group}");
        assert!(
            stdout(&help).contains(&format!("Usage: fbn-identity {group}")),
            "{group}: {}",
            stdout(&help)
        );
    }
    let add_scim = stdout(&s.run(&["identity-provider", "add-scim", "--help"]).await);
    assert!(
        add_scim.contains("--old-api-token-deactivation"),
        "{add_scim}"
    );
    for shell in ["bash", "zsh", "fish"] {
        let script = s.run(&["completion", shell]).await;
        assert_eq!(code(&script), 0);
        assert!(stdout(&script).contains("fbn-identity"), "{shell}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_durations_are_usage_errors_that_name_the_option() {
    let s = setup().await;
    for (value, problem) in [
        ("999999999999999999d", "too large"),
        ("18446744073709551616ms", "too large"),
        ("1e9s", "unknown unit"),
        ("5y", "unknown unit"),
        ("-5s", "not a duration"),
        ("", "not a duration"),
        ("90", "no unit"),
    ] {
        let output = s
            .run(&[&format!("--timeout={value}"), "roles", "list"])
            .await;
        let err = stderr(&output);
        assert_eq!(code(&output), 2, "--timeout {value:?}: {err}");
        assert!(
            err.contains("--timeout") && err.contains(problem) && !err.contains("panicked"),
            "--timeout {value:?}: {err}"
        );
    }
    for (value, problem) in [
        ("99999999999999h", "too far in the future"),
        ("9000000000000000s", "too far in the future"),
        ("soon", "neither an RFC 3339 time"),
    ] {
        let output = s
            .run(&[
                "scim",
                "enable",
                "--regenerate",
                "--yes",
                "--old-token-ends",
                value,
            ])
            .await;
        let err = stderr(&output);
        assert_eq!(code(&output), 2, "--old-token-ends {value:?}: {err}");
        assert!(
            err.contains("--old-token-ends") && err.contains(problem) && !err.contains("panicked"),
            "--old-token-ends {value:?}: {err}"
        );
    }
    assert!(
        s.emulator.journal().is_empty(),
        "nothing is sent before the options are understood"
    );
}

/// What a hostile server or argument plants to take over a terminal: a colour change, a line that
/// rewrites the one before it, an 8-bit CSI.
const PLANTED: &str = "\u{1b}[31mRED\u{1b}[0m\nsecond line\rover\u{9b}2J";

/// No control character but line breaks, which only the CLI's own messages contain.
fn assert_terminal_safe(text: &str) {
    assert!(
        text.chars().all(|c| !c.is_control() || c == '\n'),
        "{text:?}"
    );
}

/// [`PLANTED`] is in `text` escaped, readable, on one line.
fn assert_planted_escaped(text: &str) {
    assert_terminal_safe(text);
    assert!(
        text.contains("\\u{1b}[31mRED\\u{1b}[0m\\u{a}second line\\u{d}over\\u{9b}2J"),
        "escaped, not dropped: {text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_problem_details_cannot_drive_the_terminal() {
    let s = setup().await;
    s.emulator
        .faults()
        .on(Method::GET, "/api/roles")
        .inject(Fault::json(
            StatusCode::BAD_REQUEST,
            &json!({"name": "Invalid", "code": 123, "detail": PLANTED,
                "errors": {PLANTED: [PLANTED]}}),
        ));
    let output = s.run(&["roles", "list"]).await;
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let err = stderr(&output);
    assert_planted_escaped(&err);
    assert_eq!(err.lines().count(), 1, "one line: {err}");

    // The trace too, which is not coloured when standard error is not a terminal.
    s.emulator
        .faults()
        .on(Method::GET, "/api/roles")
        .inject(Fault::json(
            StatusCode::BAD_REQUEST,
            &json!({"name": "Invalid", "code": 123, "detail": PLANTED}),
        ));
    let traced = s.run(&["-vv", "roles", "list"]).await;
    assert_eq!(code(&traced), 1);
    assert_planted_escaped(&stderr(&traced));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_endpoint_description_cannot_drive_the_terminal() {
    let s = setup().await;
    s.emulator.faults().on_token_endpoint().inject(Fault::json(
        StatusCode::BAD_REQUEST,
        &json!({"error": "invalid_grant", "error_description": PLANTED}),
    ));
    let output = s
        .run_with(
            &["roles", "list"],
            &[
                ("FBN_IDENTITY_URL", s.emulator.identity_url()),
                ("FBN_TOKEN_URL", s.emulator.token_url()),
                ("FBN_USERNAME", s.emulator.username()),
                ("FBN_PASSWORD", s.emulator.password()),
                ("FBN_CLIENT_ID", s.emulator.client_id()),
                ("FBN_CLIENT_SECRET", s.emulator.client_secret()),
            ],
            None,
        )
        .await;
    let err = stderr(&output);
    assert_eq!(
        code(&output),
        2,
        "a refused grant is a credentials problem: {err}"
    );
    assert!(err.contains("invalid_grant"), "{err}");
    assert_planted_escaped(&err);
    assert!(!err.contains(s.emulator.password()), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tables_and_argument_errors_escape_control_characters() {
    let s = setup().await;
    let role = json!({"name": "planted", "description": PLANTED}).to_string();
    let created = s.run(&["roles", "create", "--json-body", &role]).await;
    assert_eq!(code(&created), 0, "{}", stderr(&created));
    let table = s.run(&["roles", "list", "--output", "table"]).await;
    assert_eq!(code(&table), 0, "{}", stderr(&table));
    let text = stdout(&table);
    assert_planted_escaped(&text);
    assert_eq!(text.lines().count(), 2, "a header and one row: {text}");

    let typed = s.run(&["roles", "get", "--id", PLANTED, "--bogus"]).await;
    assert_eq!(code(&typed), 2);
    let err = stderr(&typed);
    assert!(err.contains("--bogus"), "{err}");
    assert_terminal_safe(&err);

    // clap quotes the value as typed (its plain rendering drops escape sequences), then the
    // parser's own message, escaped.
    let timeout = s.run(&["--timeout", PLANTED, "roles", "list"]).await;
    assert_eq!(code(&timeout), 2);
    assert_terminal_safe(&stderr(&timeout));
    assert!(
        stderr(&timeout).contains(
            "\"\\u{1b}[31mRED\\u{1b}[0m\\nsecond line\\rover\\u{9b}2J\" is not a duration"
        ),
        "{}",
        stderr(&timeout)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_json_body_is_located_without_echoing_it() {
    let s = setup().await;
    let env = [
        ("FBN_IDENTITY_URL", s.emulator.identity_url()),
        ("FBN_ACCESS_TOKEN", s.pat.as_str()),
    ];
    let broken = r#"{"value": "correct-horse-battery", "password": "PLANTED-PW""#;
    let file = s.dir.path().join("body.json");
    std::fs::write(&file, broken).unwrap();
    let cases: [(&[&str], Option<&str>, &str); 6] = [
        (
            &["me", "set-password", "--json-body", r#""PLANTED-PW""#],
            None,
            "--json-body (given inline) does not match the request at line 1, column 12: invalid type: string, expected",
        ),
        (
            &["me", "set-password", "--json-body", broken],
            None,
            "--json-body (given inline) is not valid JSON at line 1, column 59: EOF while parsing an object",
        ),
        (
            &["me", "set-password", "--json-body", "-"],
            Some(broken),
            "--json-body - (standard input) is not valid JSON at line 1, column 59",
        ),
        (
            &["me", "set-password", "--json-body", file.to_str().unwrap()],
            None,
            "body.json is not valid JSON at line 1, column 59",
        ),
        (
            &[
                "me",
                "set-password",
                "--json-body",
                r#"{"value": ["PLANTED-PW"]}"#,
            ],
            None,
            "--json-body (given inline) does not match the request at line 1, column 10: invalid type: sequence, expected a string",
        ),
        (
            &[
                "me",
                "set-password",
                "--json-body",
                r#"{"password": "PLANTED-PW"}"#,
            ],
            None,
            "at line 1, column 26: missing field `value`",
        ),
    ];
    for (args, stdin, expected) in cases {
        let output = s.run_with(args, &env, stdin).await;
        let (out, err) = (stdout(&output), stderr(&output));
        assert_eq!(code(&output), 2, "{args:?}: {err}");
        assert!(err.contains(expected), "{args:?}: {err}");
        assert!(
            !out.contains("PLANTED") && !err.contains("PLANTED"),
            "{args:?}: {out}{err}"
        );
    }
    assert!(s.emulator.journal().is_empty(), "nothing was sent");
}

/// Runs `fbn-identity args` (standard input from `stdin`, the others captured), guarded against
/// a body read without limits: its address space capped at 1 GiB by `sh`'s `ulimit -v`, so a
/// read that keeps growing ends in a failed allocation, and killed if it has not ended within a
/// minute, so a read that waits forever ends too. Neither limit is reached when all is well.
#[cfg(unix)]
async fn run_guarded(s: &Setup, args: &[&str], stdin: std::process::Stdio) -> Output {
    let mut command = std::process::Command::new("/bin/sh");
    command
        .arg("-c")
        .arg(r#"ulimit -v 1048576 && exec "$0" "$@""#)
        .arg(env!("CARGO_BIN_EXE_fbn-identity"))
        .args(args)
        .env_clear()
        .env("FBN_IDENTITY_URL", s.emulator.identity_url())
        .env("FBN_ACCESS_TOKEN", &s.pat)
        .current_dir(s.dir.path())
        .stdin(stdin)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = command.spawn().unwrap();
    // `sh` execs the binary: the same process.
    let pid = rustix::process::Pid::from_child(&child);
    let (done, ended) = std::sync::mpsc::channel();
    std::thread::spawn(move || done.send(child.wait_with_output().unwrap()));
    let ended = tokio::task::spawn_blocking(move || {
        ended
            .recv_timeout(std::time::Duration::from_secs(60))
            .map_err(|_| {
                let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
                ended.recv().unwrap()
            })
    })
    .await
    .unwrap();
    ended.unwrap_or_else(|killed| {
        panic!(
            "fbn-identity {args:?} was still running after a minute: {}",
            stderr(&killed)
        )
    })
}

/// `--json-body path` is refused: exit 2, the path escaped and what is wrong with it on standard
/// error, nothing printed or sent.
#[cfg(unix)]
async fn assert_body_refused(
    s: &Setup,
    path: &str,
    stdin: std::process::Stdio,
    expected: &str,
) -> Output {
    let output = run_guarded(s, &["roles", "create", "--json-body", path], stdin).await;
    let err = stderr(&output);
    assert_eq!(code(&output), 2, "{path:?}: {err}");
    assert!(err.contains(expected), "{path:?}: {err}");
    assert_terminal_safe(&err);
    assert!(stdout(&output).is_empty(), "{path:?}: {}", stdout(&output));
    assert!(s.emulator.journal().is_empty(), "{path:?}: nothing is sent");
    output
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_json_body_that_is_not_a_regular_file_is_refused_at_once() {
    use std::process::Stdio;

    let s = setup().await;
    let dir = s.dir.path();
    for device in ["/dev/zero", "/dev/null"] {
        assert_body_refused(
            &s,
            device,
            Stdio::null(),
            &format!("cannot read --json-body {device}: it is a device, not a regular file"),
        )
        .await;
    }

    let directory = dir.join("bodies");
    std::fs::create_dir(&directory).unwrap();
    assert_body_refused(
        &s,
        directory.to_str().unwrap(),
        Stdio::null(),
        &format!(
            "cannot read --json-body {}: it is a directory, not a regular file",
            directory.display()
        ),
    )
    .await;

    let fifo = dir.join("body\u{1b}[2J.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let shown = format!("{}/body\\u{{1b}}[2J.fifo", dir.display());
    assert_body_refused(
        &s,
        fifo.to_str().unwrap(),
        Stdio::null(),
        &format!(
            "error: cannot read --json-body {shown}: it is a FIFO (named pipe), not a regular file; \
             give a file, or - to read standard input"
        ),
    )
    .await;

    // A link to a regular file is that file.
    let body = dir.join("role.json");
    std::fs::write(&body, r#"{"name": "linked"}"#).unwrap();
    std::os::unix::fs::symlink(&body, dir.join("link.json")).unwrap();
    let linked = s
        .run(&["roles", "create", "--json-body", "link.json"])
        .await;
    assert_eq!(code(&linked), 0, "{}", stderr(&linked));
    assert_eq!(json(&linked)["name"], "linked");
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_json_body_is_read_up_to_one_mebibyte() {
    use std::process::Stdio;

    const MIB: usize = 1024 * 1024;
    /// A role's body padded with spaces to `len` bytes.
    fn padded(name: &str, len: usize) -> String {
        let body = format!(r#"{{"name": "{name}"}}"#);
        let padding = " ".repeat(len - body.len());
        body + &padding
    }

    let s = setup().await;
    let large = s.dir.path().join("large.json");
    std::fs::write(&large, padded("large", MIB + 1)).unwrap();
    assert_body_refused(
        &s,
        large.to_str().unwrap(),
        Stdio::null(),
        &format!(
            "cannot read --json-body {}: it is 1048577 bytes, more than 1 MiB (1048576 bytes), \
             the most a request body may have",
            large.display()
        ),
    )
    .await;

    let piped = s.dir.path().join("piped.json");
    std::fs::write(&piped, padded("piped", MIB + 1)).unwrap();
    let stdin = std::fs::File::open(&piped).unwrap();
    assert_body_refused(
        &s,
        "-",
        stdin.into(),
        "cannot read --json-body - (standard input): it holds more than 1 MiB (1048576 bytes)",
    )
    .await;
    let zeros = std::fs::File::open("/dev/zero").unwrap();
    assert_body_refused(
        &s,
        "-",
        zeros.into(),
        "cannot read --json-body - (standard input): it holds more than 1 MiB",
    )
    .await;

    // Exactly the limit is read, from a file and from standard input.
    let largest = s.dir.path().join("largest.json");
    std::fs::write(&largest, padded("largest", MIB)).unwrap();
    let from_file = run_guarded(
        &s,
        &["roles", "create", "--json-body", "largest.json"],
        Stdio::null(),
    )
    .await;
    assert_eq!(code(&from_file), 0, "{}", stderr(&from_file));
    assert_eq!(json(&from_file)["name"], "largest");
    std::fs::write(&piped, padded("from-stdin", MIB)).unwrap();
    let from_stdin = run_guarded(
        &s,
        &["roles", "create", "--json-body", "-"],
        std::fs::File::open(&piped).unwrap().into(),
    )
    .await;
    assert_eq!(code(&from_stdin), 0, "{}", stderr(&from_stdin));
    assert_eq!(json(&from_stdin)["name"], "from-stdin");
}

/// `fbn-identity args` run as `run` runs it, with standard output and standard error as given
/// (what is piped is captured) and nothing on standard input.
async fn run_to(
    s: &Setup,
    args: &[&str],
    stdout: std::process::Stdio,
    stderr: std::process::Stdio,
) -> Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_fbn-identity"));
    command
        .env_clear()
        .env("FBN_IDENTITY_URL", s.emulator.identity_url())
        .env("FBN_ACCESS_TOKEN", &s.pat)
        .current_dir(s.dir.path())
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(stdout)
        .stderr(stderr);
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

/// `/dev/full`, where every write fails with "No space left on device".
#[cfg(target_os = "linux")]
fn full() -> std::process::Stdio {
    std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap()
        .into()
}

/// A pipe whose reader has gone: every write fails with "Broken pipe".
fn closed_pipe() -> std::process::Stdio {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    writer.into()
}

fn piped() -> std::process::Stdio {
    std::process::Stdio::piped()
}

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_that_cannot_be_written_is_a_failure() {
    let s = setup().await;
    for args in [
        &["roles", "list"][..],
        &["config", "show"],
        &["--help"],
        &["--version"],
        &["completion", "bash"],
    ] {
        let output = run_to(&s, args, full(), piped()).await;
        let err = stderr(&output);
        assert_eq!(code(&output), 4, "{args:?}: {err}");
        assert_eq!(
            err, "error: cannot write to standard output: No space left on device (os error 28)\n",
            "{args:?}"
        );
    }
}

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_credential_that_cannot_be_written_is_said_to_exist_without_showing_it() {
    let s = setup().await;
    let assert_lost = |output: &Output, expected: &str| {
        let err = stderr(output);
        assert_eq!(code(output), 4, "{err}");
        assert!(
            err.starts_with(
                "error: cannot write to standard output: No space left on device (os error 28)\n"
            ),
            "{err}"
        );
        assert!(err.contains(expected), "{err}");
        let active = s.emulator.active_scim_tokens();
        assert!(!active.is_empty(), "the token was created");
        for token in active {
            assert!(
                !err.contains(&token),
                "the token is not on standard error: {err}"
            );
        }
    };

    let ensured = run_to(&s, &["-o", "json", "scim", "enable"], full(), piped()).await;
    assert_lost(
        &ensured,
        "the SCIM API token WAS created (or was already active) but could not be written, \
         and is shown nowhere else; `fbn-identity scim enable` prints it again",
    );
    let regenerated = run_to(
        &s,
        &["-o", "json", "scim", "enable", "--regenerate", "--yes"],
        full(),
        piped(),
    )
    .await;
    assert_lost(
        &regenerated,
        "the new SCIM API token WAS created but could not be written, and is shown nowhere \
         else; the previous token has stopped working; `fbn-identity scim enable` (without \
         --regenerate) prints the new one",
    );
    let shown = run_to(&s, &["-o", "json", "scim", "enable"], piped(), piped()).await;
    assert_eq!(code(&shown), 0, "{}", stderr(&shown));
    assert_eq!(
        s.emulator.active_scim_tokens(),
        [json(&shown)["apiToken"].as_str().unwrap()],
        "what the message says prints the new token"
    );

    let generated = run_to(
        &s,
        &[
            "identity-provider",
            "add-scim",
            "--yes",
            "--api-token-action",
            "regenerate",
        ],
        full(),
        piped(),
    )
    .await;
    assert_lost(
        &generated,
        "the answer held a new credential (`apiToken`): it WAS created but could not be \
         written, and is shown nowhere else",
    );

    // In its file the token is not lost: the failure is only the output's.
    let to_file = run_to(
        &s,
        &[
            "scim",
            "enable",
            "--regenerate",
            "--yes",
            "--token-file",
            "scim.token",
        ],
        full(),
        piped(),
    )
    .await;
    assert_eq!(code(&to_file), 4);
    assert_eq!(
        stderr(&to_file),
        "error: cannot write to standard output: No space left on device (os error 28)\n"
    );
    let token = std::fs::read_to_string(s.dir.path().join("scim.token")).unwrap();
    assert!(
        s.emulator
            .active_scim_tokens()
            .contains(&token.trim().to_owned())
    );
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_pipe_ends_the_command_quietly_with_141() {
    let s = setup().await;
    for args in [
        &["completion", "bash"][..],
        &["roles", "list"],
        &["config", "show"],
        &["--help"],
        &["scim", "enable", "--token-file", "scim.token"],
    ] {
        let output = run_to(&s, args, closed_pipe(), piped()).await;
        assert_eq!(code(&output), 141, "{args:?}: {}", stderr(&output));
        assert_eq!(stderr(&output), "", "{args:?}");
    }

    // Unless that loses a new token.
    let regenerated = run_to(
        &s,
        &["-o", "json", "scim", "enable", "--regenerate", "--yes"],
        closed_pipe(),
        piped(),
    )
    .await;
    let err = stderr(&regenerated);
    assert_eq!(code(&regenerated), 141, "{err}");
    assert!(
        err.starts_with("error: cannot write to standard output: Broken pipe (os error 32)\n")
            && err.contains("the new SCIM API token WAS created but could not be written"),
        "{err}"
    );
    let token = &s.emulator.active_scim_tokens()[0];
    assert!(!err.contains(token.as_str()), "{err}");
}

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standard_error_that_cannot_be_written_changes_nothing() {
    let s = setup().await;
    let enabled = run_to(&s, &["-o", "json", "scim", "enable"], piped(), full()).await;
    assert_eq!(code(&enabled), 0, "the reminder is lost, not the token");
    let token = json(&enabled)["apiToken"].as_str().unwrap().to_owned();
    assert_eq!(s.emulator.active_scim_tokens(), [token]);

    for stderr in [full, closed_pipe] {
        s.run(&["scim", "enable"]).await;
        let disabled = run_to(&s, &["scim", "disable", "--yes"], piped(), stderr()).await;
        assert_eq!(code(&disabled), 0);
        assert!(s.emulator.active_scim_tokens().is_empty());

        let traced = run_to(&s, &["-vv", "roles", "list"], piped(), stderr()).await;
        assert_eq!(
            code(&traced),
            0,
            "a trace that cannot be written is dropped"
        );
        assert!(json(&traced).is_array());

        let missing = run_to(
            &s,
            &["users", "get", "--id", "no-such-user"],
            piped(),
            stderr(),
        )
        .await;
        assert_eq!(code(&missing), 1, "the failure's own exit code");
        let usage = run_to(&s, &["--bogus"], piped(), stderr()).await;
        assert_eq!(code(&usage), 2);
    }
}

/// `--id ..` once sent `DELETE /api/users/{user-id}`: now nothing is sent, and the message
/// names the operation and the parameter.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_path_value_that_would_leave_its_segment_is_refused_with_2() {
    let s = setup().await;
    for (args, says) in [
        (
            &[
                "roles",
                "remove-user-from-role",
                "--yes",
                "--id",
                "..",
                "--user-id",
                "u1",
            ][..],
            "remove_user_from_role: invalid request: path parameter `id` cannot be `..`",
        ),
        (
            &["users", "get", "--id", "."][..],
            "get_user: invalid request: path parameter `id` cannot be `.`",
        ),
    ] {
        let output = s.run(args).await;
        assert_eq!(code(&output), 2, "{args:?}: {}", stderr(&output));
        assert!(stderr(&output).contains(says), "{}", stderr(&output));
    }
    let api: Vec<_> = s
        .emulator
        .journal()
        .into_iter()
        .filter(|e| e.path().starts_with("/identity/api/"))
        .collect();
    assert!(api.is_empty(), "nothing was sent: {api:?}");
}

/// A proxy named only by `HTTP_PROXY`/`HTTPS_PROXY` is never used (it would get the bearer
/// token), and `config show` says the variable is ignored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_variables_from_the_environment_are_ignored() {
    let s = setup().await;
    let proxy = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
    let contacted = tokio::spawn(async move { proxy.accept().await.is_ok() });
    let env = [
        ("FBN_IDENTITY_URL", s.emulator.identity_url()),
        ("FBN_ACCESS_TOKEN", s.pat.as_str()),
        ("HTTP_PROXY", proxy_url.as_str()),
        ("https_proxy", proxy_url.as_str()),
        ("ALL_PROXY", proxy_url.as_str()),
    ];
    let listed = s.run_with(&["roles", "list"], &env, None).await;
    assert_eq!(code(&listed), 0, "{}", stderr(&listed));
    let shown = s.run_with(&["config", "show"], &env, None).await;
    assert_eq!(code(&shown), 0, "{}", stderr(&shown));
    for variable in ["HTTP_PROXY", "https_proxy", "ALL_PROXY"] {
        assert!(
            stderr(&shown).contains(&format!("note: {variable} is set and ignored")),
            "{}",
            stderr(&shown)
        );
    }
    assert!(!contacted.is_finished(), "the proxy was contacted");
    contacted.abort();
}
