//! Profiles and `auth`: `auth login` writes a private profile and proves it, `--profile` and
//! `FBN_PROFILE` choose one, `auth status` says who and from where, and an empty configuration
//! gets the short way first.

mod common;

use common::*;
use serde_json::Value;
use std::process::Output;

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// `auth login --with-token` to the emulator, the token on standard input.
async fn login_with_token(s: &Setup, token: &str) -> Output {
    let url = s.emulator.identity_url().to_owned();
    s.run_with(
        &["auth", "login", "--identity-url", &url, "--with-token"],
        &[],
        Some(token),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_with_a_token_writes_a_private_profile_proves_it_and_later_commands_use_it() {
    let s = Setup::start().await;
    let url = s.emulator.identity_url().to_owned();
    let login = login_with_token(&s, &format!("{}\n", s.pat)).await;
    assert_eq!(code(&login), 0, "{}", stderr(&login));
    let said = stderr(&login);
    assert!(said.contains("saved profile `default`"), "{said}");
    assert!(said.contains(&format!("logged in to {url} as ")), "{said}");
    assert!(
        !said.contains(&s.pat) && stdout(&login).is_empty(),
        "the token is never shown"
    );
    let proofs = s
        .emulator
        .journal()
        .iter()
        .filter(|e| e.path() == "/identity/api/me")
        .count();
    assert_eq!(proofs, 1, "proven with one call");

    let path = s.profile_path("default");
    let saved: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(saved["api"]["identityUrl"], url);
    assert_eq!(saved["api"]["accessToken"], s.pat);
    #[cfg(unix)]
    assert_eq!(mode(&path), 0o600);

    // No environment at all: the default profile is the configuration.
    let status = s
        .run_with(&["auth", "status", "-o", "json"], &[], None)
        .await;
    assert_eq!(code(&status), 0, "{}", stderr(&status));
    let status = json(&status);
    assert_eq!(status["user"], s.emulator.username());
    assert_eq!(status["profile"], "default");
    let credentials = status["credentials"].as_str().unwrap();
    assert!(
        credentials.starts_with("a personal access token from secrets.json key api.accessToken (")
            && credentials.contains("default.json"),
        "{credentials}"
    );
    assert_eq!(status["tokenExpires"], Value::Null);
    assert!(
        status["tokenExpiry"]
            .as_str()
            .unwrap()
            .starts_with("not known")
    );
    assert!(!status.to_string().contains(&s.pat));

    let shown = s
        .run_with(&["config", "show", "-o", "json"], &[], None)
        .await;
    let rows = json(&shown);
    let url_row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["setting"] == "identity API URL")
        .unwrap();
    assert!(
        url_row["source"]
            .as_str()
            .unwrap()
            .contains("profiles/default.json"),
        "config show names the profile's file: {url_row}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_is_chosen_by_flag_or_variable_and_an_unknown_one_is_a_usage_error() {
    let s = Setup::start().await;
    let url = s.emulator.identity_url().to_owned();
    let login = s
        .run_with(
            &[
                "auth",
                "login",
                "--profile",
                "work",
                "--identity-url",
                &url,
                "--with-token",
            ],
            &[],
            Some(&s.pat),
        )
        .await;
    assert_eq!(code(&login), 0, "{}", stderr(&login));
    assert!(stderr(&login).contains("--profile work or FBN_PROFILE=work"));

    let by_flag = s
        .run_with(&["--profile", "work", "auth", "status"], &[], None)
        .await;
    assert_eq!(code(&by_flag), 0, "{}", stderr(&by_flag));
    assert_eq!(json(&by_flag)["profile"], "work");
    let by_variable = s
        .run_with(&["auth", "status"], &[("FBN_PROFILE", "work")], None)
        .await;
    assert_eq!(code(&by_variable), 0, "{}", stderr(&by_variable));
    assert_eq!(json(&by_variable)["profile"], "work");

    let unknown = s
        .run_with(&["--profile", "nope", "auth", "status"], &[], None)
        .await;
    assert_eq!(code(&unknown), 2);
    let said = stderr(&unknown);
    assert!(
        said.starts_with("error: no profile named `nope`")
            && said.contains("the profiles are: work")
            && said.contains("fbn-identity auth login --profile nope"),
        "{said}"
    );
    let escaping = s
        .run_with(&["--profile", "../x", "auth", "status"], &[], None)
        .await;
    assert_eq!(code(&escaping), 2);
    assert!(stderr(&escaping).contains("profile name `../x` is not allowed"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_proof_says_the_profile_was_saved_and_exits_non_zero() {
    let s = Setup::start().await;
    let login = login_with_token(&s, "not-a-token-the-emulator-knows").await;
    assert_ne!(code(&login), 0);
    let said = stderr(&login);
    assert!(
        said.contains("the profile `default` was saved but this check of it failed"),
        "{said}"
    );
    assert!(!said.contains("not-a-token-the-emulator-knows"), "{said}");
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_never_writes_through_a_symbolic_link() {
    let s = Setup::start().await;
    let target = s.dir.path().join("elsewhere.json");
    std::fs::write(&target, "untouched").unwrap();
    std::fs::create_dir_all(s.profile_path("default").parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&target, s.profile_path("default")).unwrap();
    let login = login_with_token(&s, &s.pat).await;
    assert_eq!(code(&login), 2, "{}", stderr(&login));
    assert!(
        stderr(&login).contains("symbolic link"),
        "{}",
        stderr(&login)
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "untouched");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_with_the_password_grant_tells_the_token_expiry() {
    let s = Setup::start().await;
    let env = s.emulator.fbn_environment();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let status = s.run_with(&["auth", "status"], &env, None).await;
    assert_eq!(code(&status), 0, "{}", stderr(&status));
    let status = json(&status);
    assert_eq!(
        status["credentials"],
        "the OAuth2 password grant from environment variable FBN_USERNAME"
    );
    let expires = chrono::DateTime::parse_from_rfc3339(status["tokenExpires"].as_str().unwrap())
        .unwrap()
        .to_utc();
    let ahead = expires - chrono::Utc::now();
    let lifetime = chrono::Duration::from_std(s.emulator.token_lifetime()).unwrap();
    assert!(
        ahead <= lifetime && ahead > lifetime - chrono::Duration::seconds(60),
        "{ahead}"
    );
    assert!(!status.to_string().contains(s.emulator.password()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_nothing_configured_the_two_variable_way_comes_first() {
    let s = Setup::start().await;
    let nothing = s.run_with(&["auth", "status"], &[], None).await;
    assert_eq!(code(&nothing), 2);
    let said = stderr(&nothing);
    assert!(
        said.starts_with("error: nothing is configured. The quickest way is two variables:\n"),
        "{said}"
    );
    let url = said.find("export FBN_IDENTITY_URL=").unwrap();
    let token = said.find("export FBN_ACCESS_TOKEN=").unwrap();
    let login = said.find("fbn-identity auth login").unwrap();
    assert!(url < token && token < login, "{said}");
    assert!(
        !said.contains("FBN_USERNAME") && !said.contains("missing"),
        "{said}"
    );
    assert_eq!(said.lines().count(), 4, "{said}");

    let url_only = s
        .run_with(
            &["auth", "status"],
            &[("FBN_IDENTITY_URL", s.emulator.identity_url())],
            None,
        )
        .await;
    assert_eq!(code(&url_only), 2);
    assert!(
        stderr(&url_only).starts_with("error: no credentials are configured: set FBN_ACCESS_TOKEN"),
        "{}",
        stderr(&url_only)
    );
    // Half a password grant is a mistake to name precisely, as before.
    let half = s
        .run_with(
            &["auth", "status"],
            &[
                ("FBN_IDENTITY_URL", s.emulator.identity_url()),
                ("FBN_USERNAME", "me"),
            ],
            None,
        )
        .await;
    assert_eq!(code(&half), 2);
    assert!(stderr(&half).contains("FBN_TOKEN_URL"), "{}", stderr(&half));
}
