//! The CLI as a daily tool, against the emulator started by each test on 127.0.0.1: short
//! names (old ones still work), help a line per command, switches, `-o yaml`, `--jq`,
//! `--columns`, confirmations, empty lists and `--all`.

use serde_json::Value;

mod common;
use common::*;

async fn setup() -> Setup {
    Setup::start().await
}

/// The API requests the emulator received, as `METHOD path?query`.
fn requests(s: &Setup) -> Vec<String> {
    s.emulator
        .journal()
        .into_iter()
        .filter(|e| e.path().starts_with("/identity/api/"))
        .map(|e| match e.query() {
            Some(q) => format!("{} {}?{q}", e.method(), e.path()),
            None => format!("{} {}", e.method(), e.path()),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_names_and_the_old_long_ones_reach_the_same_operation() {
    let s = setup().await;
    for args in [["users", "list"], ["users", "list-users"]] {
        s.emulator.clear_journal();
        let listed = s.run(&["-o", "json", args[0], args[1]]).await;
        assert_eq!(code(&listed), 0, "{args:?}: {}", stderr(&listed));
        assert_eq!(requests(&s), ["GET /identity/api/users"], "{args:?}");
    }
    // The old group and command names together, as scripts wrote them.
    let old = s
        .run(&[
            "personal-authentication-tokens",
            "list-own-api-keys",
            "-o",
            "json",
        ])
        .await;
    assert_eq!(code(&old), 0, "{}", stderr(&old));

    let help = stdout(&s.run(&["roles", "--help"]).await);
    let commands: Vec<&str> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect();
    let names: Vec<&str> = commands
        .iter()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "list",
            "create",
            "get-by-code",
            "get",
            "update",
            "delete",
            "list-users",
            "add-user",
            "remove-user",
            "help"
        ],
        "one line per command, the old names hidden:\n{help}"
    );
    assert!(help.contains("\nGlobal options:\n"), "{help}");
    let own = help.split("\nGlobal options:\n").next().unwrap();
    assert!(
        !own.contains("--identity-url"),
        "global options under their own heading:\n{help}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_boolean_query_parameter_is_a_switch_sent_only_when_given() {
    let s = setup().await;
    let with = s.run(&["users", "list", "--include-deactivated"]).await;
    assert_eq!(code(&with), 0, "{}", stderr(&with));
    let without = s.run(&["users", "list"]).await;
    assert_eq!(code(&without), 0, "{}", stderr(&without));
    assert_eq!(
        requests(&s),
        [
            "GET /identity/api/users?includeDeactivated=true",
            "GET /identity/api/users"
        ]
    );
    let help = stdout(&s.run(&["users", "list", "--help"]).await);
    assert!(
        help.contains("Set `--include-deactivated` to also get"),
        "{help}"
    );
    assert!(!help.contains("includeDeactivated"), "{help}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn yaml_jq_and_columns() {
    let s = setup().await;
    let yaml = s.run(&["me", "get-user-info", "-o", "yaml"]).await;
    assert_eq!(code(&yaml), 0, "{}", stderr(&yaml));
    let read: Value = serde_yaml_ng::from_str(&stdout(&yaml)).unwrap();
    assert_eq!(
        read["emailAddress"],
        "emulator.user@example.com",
        "{}",
        stdout(&yaml)
    );

    let logins = s.run(&["users", "list", "--jq", ".[].login"]).await;
    assert_eq!(code(&logins), 0, "{}", stderr(&logins));
    assert_eq!(stdout(&logins), "emulator.user@example.com\n");

    s.emulator.clear_journal();
    let bad = s.run(&["users", "list", "--jq", ".[] |"]).await;
    assert_eq!(code(&bad), 2);
    assert!(
        stderr(&bad).starts_with("error: --jq: expected"),
        "{}",
        stderr(&bad)
    );
    assert!(requests(&s).is_empty(), "a bad filter sends nothing");

    let table = s
        .run(&["users", "list", "-o", "table", "--columns", "login,status"])
        .await;
    assert_eq!(code(&table), 0, "{}", stderr(&table));
    assert_eq!(
        stdout(&table),
        "login                      status\nemulator.user@example.com  ACTIVE\n"
    );
    let unknown = s
        .run(&["users", "list", "-o", "table", "--columns", "login,colour"])
        .await;
    assert_eq!(code(&unknown), 2);
    assert!(
        stderr(&unknown)
            .starts_with("error: --columns: the answer has no column `colour`; its columns are: "),
        "{}",
        stderr(&unknown)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_confirm_in_one_line_and_an_empty_list_says_so() {
    let s = setup().await;
    let created = s
        .run(&["roles", "create", "--name", "payroll", "--jq", ".id"])
        .await;
    assert_eq!(code(&created), 0, "{}", stderr(&created));
    let id = stdout(&created).trim().to_owned();
    let user = s.run(&["me", "get-user-info", "--jq", ".id"]).await;
    let user = stdout(&user).trim().to_owned();

    let added = s
        .run(&["roles", "add-user", "--id", &id, "--user-id", &user])
        .await;
    assert_eq!(code(&added), 0, "{}", stderr(&added));
    assert_eq!(stdout(&added), "");
    assert_eq!(
        stderr(&added),
        format!("Added user to role (id {id}, user-id {user}).\n")
    );

    let deleted = s.run(&["roles", "delete", "--id", &id, "--yes"]).await;
    assert_eq!(code(&deleted), 0, "{}", stderr(&deleted));
    assert_eq!(stderr(&deleted), format!("Deleted role {id}.\n"));

    let empty = s.run(&["roles", "list", "-o", "table"]).await;
    assert_eq!(code(&empty), 0, "{}", stderr(&empty));
    assert_eq!(stdout(&empty), "");
    assert_eq!(stderr(&empty), "No roles.\n");
    let json = s.run(&["roles", "list", "-o", "json"]).await;
    assert_eq!(stdout(&json), "[]\n", "scripts still get the empty list");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_asks_for_every_page_with_the_last_token() {
    let s = setup().await;
    for name in ["one", "two", "three"] {
        let created = s.run(&["roles", "create", "--name", name]).await;
        assert_eq!(code(&created), 0, "{}", stderr(&created));
    }
    s.emulator.clear_journal();
    let first = s
        .run(&[
            "logs",
            "list",
            "--okta-limit",
            "1",
            "--jq",
            ".values[].displayMessage",
        ])
        .await;
    assert_eq!(stdout(&first).lines().count(), 1, "{}", stdout(&first));

    s.emulator.clear_journal();
    let all = s
        .run(&[
            "logs",
            "list",
            "--okta-limit",
            "1",
            "--all",
            "--jq",
            ".values[].displayMessage",
        ])
        .await;
    assert_eq!(code(&all), 0, "{}", stderr(&all));
    let events: Vec<String> = stdout(&all).lines().map(str::to_owned).collect();
    assert_eq!(events.len(), 3, "{events:?}");
    assert!(
        events.iter().all(|e| e.starts_with("CreateRole")),
        "{events:?}"
    );
    let requests = requests(&s);
    assert!(requests.len() >= 3, "{requests:?}");
    assert!(
        requests[1..].iter().all(|r| r.contains("oktaAfter=")),
        "each next page names the last token: {requests:?}"
    );

    let table = s
        .run(&["logs", "list", "--okta-limit", "1", "--all", "-o", "table"])
        .await;
    let text = stdout(&table);
    assert_eq!(
        text.lines().count(),
        4,
        "one header, a row per event:\n{text}"
    );
    assert!(text.starts_with("published "), "{text}");
    assert!(!text.contains(".0000"), "times to the second:\n{text}");
}
