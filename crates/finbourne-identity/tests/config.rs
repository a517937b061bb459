//! The configuration loader end to end: every source, their order, and what is reported.
//!
//! The environment is always injected (never the real process environment) and files live in
//! temporary directories, so these tests run anywhere and in parallel.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use finbourne_identity::config::{
    Config, ConfigError, ConfigLoader, ConfigProblem, Credentials, Origin, Setting, Source,
};
use secrecy::ExposeSecret;
use tempfile::TempDir;

const IDENTITY: &str = "https://example.lusid.com/identity";
const TOKEN_URL: &str = "https://example.okta.com/oauth2/v1/token";

fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + Send + Sync + 'static {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect();
    move |name| map.get(name).cloned()
}

/// A loader that sees only `pairs` as its environment and no secrets file.
fn env_only(pairs: &[(&str, &str)]) -> ConfigLoader {
    ConfigLoader::new()
        .environment(lookup(pairs))
        .no_secrets_file()
}

fn write(dir: &TempDir, name: &str, content: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, content).unwrap();
    path
}

fn password_env() -> Vec<(&'static str, &'static str)> {
    vec![
        ("FBN_TOKEN_URL", TOKEN_URL),
        ("FBN_IDENTITY_URL", IDENTITY),
        ("FBN_USERNAME", "alice"),
        ("FBN_PASSWORD", "env-password"),
        ("FBN_CLIENT_ID", "client-1"),
        ("FBN_CLIENT_SECRET", "env-client-secret"),
    ]
}

fn origin(config: &Config, setting: Setting) -> &Origin {
    config
        .origins()
        .iter()
        .find(|origin| origin.setting == setting)
        .unwrap()
}

fn source_of(config: &Config, setting: Setting) -> Source {
    origin(config, setting).source.clone().unwrap()
}

fn env_source(variable: &str) -> Source {
    Source::Environment {
        variable: variable.into(),
    }
}

fn file_source(path: &Path, key: &str) -> Source {
    Source::SecretsFile {
        path: path.into(),
        key: key.into(),
    }
}

fn access_token(config: &Config) -> String {
    match &config.credentials {
        Credentials::AccessToken(token) => token.expose_secret().to_owned(),
        other => panic!("expected an access token, got {other:?}"),
    }
}

fn problems(error: &ConfigError) -> &[ConfigProblem] {
    error.problems()
}

// ---- each source alone ----

#[test]
fn environment_alone_gives_password_credentials() {
    let config = env_only(&password_env()).load().unwrap();
    assert_eq!(config.identity_url.as_str(), IDENTITY);
    let Credentials::Password(password) = &config.credentials else {
        panic!("{:?}", config.credentials);
    };
    assert_eq!(password.token_url.as_str(), TOKEN_URL);
    assert_eq!(password.username, "alice");
    assert_eq!(password.password.expose_secret(), "env-password");
    assert_eq!(password.client_id, "client-1");
    assert_eq!(password.client_secret.expose_secret(), "env-client-secret");
    assert_eq!(
        source_of(&config, Setting::Username),
        env_source("FBN_USERNAME")
    );
}

#[test]
fn secrets_file_alone_in_the_working_directory() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        &dir,
        "secrets.json",
        r#"{
            "api": {
                "tokenUrl": "https://example.okta.com/oauth2/v1/token",
                "identityUrl": "https://example.lusid.com/identity/",
                "lusidUrl": "https://example.lusid.com/api",
                "username": "bob",
                "password": "file-password",
                "clientId": "client-2",
                "clientSecret": "file-client-secret",
                "applicationName": "sync",
                "totalTimeoutMs": 5000,
                "connectTimeoutMs": "250",
                "rateLimitRetries": 7
            },
            "proxy": {
                "address": "http://proxy.internal:3128",
                "username": "proxy-user",
                "password": "proxy-pass"
            }
        }"#,
    );
    let config = ConfigLoader::new()
        .environment(lookup(&[]))
        .working_dir(dir.path())
        .load()
        .unwrap();
    assert_eq!(config.identity_url.as_str(), IDENTITY);
    assert!(matches!(&config.credentials, Credentials::Password(p) if p.username == "bob"));
    assert_eq!(config.application_name.as_deref(), Some("sync"));
    assert_eq!(config.timeouts.total, Some(Duration::from_millis(5000)));
    assert_eq!(config.timeouts.connect, Some(Duration::from_millis(250)));
    assert_eq!(config.rate_limit_retries, 7);
    let proxy = config.proxy.as_ref().unwrap();
    assert_eq!(proxy.address.as_str(), "http://proxy.internal:3128/");
    assert_eq!(proxy.username.as_deref(), Some("proxy-user"));
    assert_eq!(
        proxy.password.as_ref().unwrap().expose_secret(),
        "proxy-pass"
    );
    assert_eq!(
        source_of(&config, Setting::ProxyAddress),
        file_source(&path, "proxy.address")
    );
}

#[test]
fn access_token_file_alone() {
    let dir = tempfile::tempdir().unwrap();
    let token = write(&dir, "token", "file-token\n");
    let config = env_only(&[
        ("FBN_IDENTITY_URL", IDENTITY),
        ("FBN_ACCESS_TOKEN_FILE", token.to_str().unwrap()),
    ])
    .load()
    .unwrap();
    assert!(matches!(&config.credentials, Credentials::AccessTokenFile(p) if p == &token));
    assert_eq!(
        source_of(&config, Setting::AccessToken),
        Source::AccessTokenFile {
            path: token.clone()
        }
    );
    assert_eq!(
        source_of(&config, Setting::AccessTokenFile),
        env_source("FBN_ACCESS_TOKEN_FILE")
    );
}

#[test]
fn explicit_options_alone() {
    let config = env_only(&[])
        .identity_url(IDENTITY)
        .token_url(TOKEN_URL)
        .username("carol")
        .password("code-password")
        .client_id("client-3")
        .client_secret("code-client-secret")
        .application_name("app")
        .correlation_id("corr-1")
        .total_timeout(Duration::from_secs(10))
        .connect_timeout(Duration::from_secs(2))
        .read_timeout(Duration::from_secs(3))
        .rate_limit_retries(9)
        .retries(1)
        .proxy_address("http://proxy.internal:3128")
        .proxy_username("p")
        .proxy_password("pp")
        .tcp_keepalive(None)
        .load()
        .unwrap();
    assert!(matches!(&config.credentials, Credentials::Password(p) if p.username == "carol"));
    assert_eq!(config.correlation_id.as_deref(), Some("corr-1"));
    assert_eq!(config.timeouts.total, Some(Duration::from_secs(10)));
    assert_eq!(config.timeouts.connect, Some(Duration::from_secs(2)));
    assert_eq!(config.timeouts.read, Some(Duration::from_secs(3)));
    assert_eq!((config.rate_limit_retries, config.retries), (9, 1));
    assert_eq!(config.tcp_keepalive, None);
    assert!(config.proxy.is_some());
    assert!(
        config
            .origins()
            .iter()
            .filter(|o| o.source.is_some())
            .all(|o| o.source == Some(Source::Explicit)),
        "{:?}",
        config.origins()
    );
}

#[test]
fn access_token_needs_only_the_identity_url() {
    let config = env_only(&[
        ("FBN_IDENTITY_URL", IDENTITY),
        ("FBN_ACCESS_TOKEN", "env-token"),
    ])
    .load()
    .unwrap();
    assert_eq!(access_token(&config), "env-token");
}

#[test]
fn access_token_wins_over_complete_password_settings() {
    let mut env = password_env();
    env.push(("FBN_ACCESS_TOKEN", "env-token"));
    let config = env_only(&env).load().unwrap();
    assert_eq!(access_token(&config), "env-token");
}

// ---- precedence ----

#[test]
fn precedence_is_env_then_secrets_then_token_file_then_code() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = write(
        &dir,
        "secrets.json",
        r#"{"api": {"accessToken": "file-token", "rateLimitRetries": 4}}"#,
    );
    let token_file = write(&dir, "token", "token-from-file");
    let env = [
        ("FBN_IDENTITY_URL", IDENTITY),
        ("FBN_ACCESS_TOKEN", "env-token"),
        ("FBN_RATE_LIMIT_RETRIES", "3"),
    ];

    let env_alone = env_only(&env).load().unwrap();
    assert_eq!(access_token(&env_alone), "env-token");
    assert_eq!(env_alone.rate_limit_retries, 3);

    let with_secrets = env_only(&env).secrets_file(&secrets).load().unwrap();
    assert_eq!(access_token(&with_secrets), "file-token");
    assert_eq!(with_secrets.rate_limit_retries, 4);
    assert_eq!(
        source_of(&with_secrets, Setting::RateLimitRetries),
        file_source(&secrets, "api.rateLimitRetries")
    );

    let mut env_with_file = env.to_vec();
    env_with_file.push(("FBN_ACCESS_TOKEN_FILE", token_file.to_str().unwrap()));
    let with_token_file = env_only(&env_with_file)
        .secrets_file(&secrets)
        .load()
        .unwrap();
    assert!(matches!(
        &with_token_file.credentials,
        Credentials::AccessTokenFile(path) if path == &token_file
    ));

    let with_code = env_only(&env_with_file)
        .secrets_file(&secrets)
        .access_token("code-token")
        .rate_limit_retries(5)
        .load()
        .unwrap();
    assert_eq!(access_token(&with_code), "code-token");
    assert_eq!(with_code.rate_limit_retries, 5);
    assert_eq!(
        source_of(&with_code, Setting::AccessToken),
        Source::Explicit
    );
}

#[test]
fn secrets_file_overrides_environment_value_by_value() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = write(
        &dir,
        "secrets.json",
        r#"{"api": {"username": "file-user", "password": ""}}"#,
    );
    let config = env_only(&password_env())
        .secrets_file(&secrets)
        .load()
        .unwrap();
    let Credentials::Password(password) = &config.credentials else {
        panic!()
    };
    assert_eq!(password.username, "file-user");
    // An empty value is not given, so it does not hide the environment's.
    assert_eq!(password.password.expose_secret(), "env-password");
    assert_eq!(password.client_id, "client-1");
}

#[test]
fn access_token_file_named_in_code_replaces_the_environments() {
    let dir = tempfile::tempdir().unwrap();
    let named_in_code = write(&dir, "code-token", "t");
    let config = env_only(&[
        ("FBN_IDENTITY_URL", IDENTITY),
        ("FBN_ACCESS_TOKEN_FILE", "/does/not/exist"),
    ])
    .access_token_file(&named_in_code)
    .load()
    .unwrap();
    assert!(matches!(&config.credentials, Credentials::AccessTokenFile(p) if p == &named_in_code));
    assert_eq!(
        source_of(&config, Setting::AccessTokenFile),
        Source::Explicit
    );
}

#[test]
fn relative_paths_are_taken_from_the_working_directory() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir, "token", "t");
    write(
        &dir,
        "custom.json",
        r#"{"api": {"identityUrl": "https://example.lusid.com/identity"}}"#,
    );
    let config = ConfigLoader::new()
        .environment(lookup(&[("FBN_ACCESS_TOKEN_FILE", "token")]))
        .working_dir(dir.path())
        .secrets_file("custom.json")
        .load()
        .unwrap();
    assert!(
        matches!(&config.credentials, Credentials::AccessTokenFile(p) if p == &dir.path().join("token"))
    );
}

// ---- older identity URL names ----

#[test]
fn older_identity_url_names_are_read() {
    let config = env_only(&[
        (
            "FBN_FINBOURNE_IDENTITY_API_URL",
            "https://old.lusid.com/identity",
        ),
        ("FBN_ACCESS_TOKEN", "t"),
    ])
    .load()
    .unwrap();
    assert_eq!(
        config.identity_url.as_str(),
        "https://old.lusid.com/identity"
    );
    assert_eq!(
        source_of(&config, Setting::IdentityUrl),
        env_source("FBN_FINBOURNE_IDENTITY_API_URL")
    );

    let dir = tempfile::tempdir().unwrap();
    let secrets = write(
        &dir,
        "secrets.json",
        r#"{"api": {"finbourne_identityUrl": "https://older.lusid.com/identity", "accessToken": "t"}}"#,
    );
    let config = env_only(&[]).secrets_file(&secrets).load().unwrap();
    assert_eq!(
        config.identity_url.as_str(),
        "https://older.lusid.com/identity"
    );
    assert_eq!(
        source_of(&config, Setting::IdentityUrl),
        file_source(&secrets, "api.finbourne_identityUrl")
    );
}

#[test]
fn newer_identity_url_name_wins_within_a_source() {
    let config = env_only(&[
        (
            "FBN_FINBOURNE_IDENTITY_API_URL",
            "https://old.lusid.com/identity",
        ),
        ("FBN_IDENTITY_URL", "https://new.lusid.com/identity"),
        ("FBN_ACCESS_TOKEN", "t"),
    ])
    .load()
    .unwrap();
    assert_eq!(
        config.identity_url.as_str(),
        "https://new.lusid.com/identity"
    );

    let dir = tempfile::tempdir().unwrap();
    let secrets = write(
        &dir,
        "secrets.json",
        r#"{"api": {"finbourne_identityUrl": "https://old.lusid.com/identity",
                    "identityUrl": "https://new.lusid.com/identity", "accessToken": "t"}}"#,
    );
    let config = env_only(&[]).secrets_file(&secrets).load().unwrap();
    assert_eq!(
        config.identity_url.as_str(),
        "https://new.lusid.com/identity"
    );
}

// ---- problems ----

#[test]
fn nothing_set_lists_every_missing_setting_in_one_error() {
    let error = env_only(&[]).load().unwrap_err();
    let text = error.to_string();
    for expected in [
        "FBN_TOKEN_URL",
        "api.tokenUrl",
        "FBN_IDENTITY_URL",
        "FBN_FINBOURNE_IDENTITY_API_URL",
        "api.identityUrl",
        "api.finbourne_identityUrl",
        "FBN_USERNAME",
        "api.username",
        "FBN_PASSWORD",
        "api.password",
        "FBN_CLIENT_ID",
        "api.clientId",
        "FBN_CLIENT_SECRET",
        "api.clientSecret",
    ] {
        assert!(text.contains(expected), "{expected} not in:\n{text}");
    }
    let missing: Vec<Setting> = problems(&error)
        .iter()
        .map(|problem| match problem {
            ConfigProblem::Missing { setting } => *setting,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        missing,
        [
            Setting::TokenUrl,
            Setting::IdentityUrl,
            Setting::Username,
            Setting::Password,
            Setting::ClientId,
            Setting::ClientSecret
        ]
    );
    assert_eq!(text.lines().count(), 6, "{text}");
}

#[test]
fn only_the_missing_password_settings_are_reported() {
    let error = env_only(&[
        ("FBN_IDENTITY_URL", IDENTITY),
        ("FBN_TOKEN_URL", TOKEN_URL),
        ("FBN_USERNAME", "alice"),
        ("FBN_CLIENT_ID", ""),
    ])
    .load()
    .unwrap_err();
    assert_eq!(
        problems(&error),
        [
            ConfigProblem::Missing {
                setting: Setting::Password
            },
            ConfigProblem::Missing {
                setting: Setting::ClientId
            },
            ConfigProblem::Missing {
                setting: Setting::ClientSecret
            },
        ]
    );
}

#[test]
fn invalid_json_names_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        &dir,
        "secrets.json",
        "{\n  \"api\": {\n    \"username\": \"u\",\n  }\n}\n",
    );
    let error = env_only(&[]).secrets_file(&path).load().unwrap_err();
    let ConfigProblem::InvalidJson {
        path: reported,
        line,
        column,
        ..
    } = &problems(&error)[0]
    else {
        panic!("{error:?}");
    };
    assert_eq!(reported, &path);
    assert_eq!((*line, *column), (4, 3));
    let text = error.to_string();
    assert!(text.contains(&path.display().to_string()), "{text}");
    assert!(text.contains("line 4, column 3"), "{text}");
    // Missing settings are still reported alongside.
    assert!(text.contains("FBN_IDENTITY_URL"), "{text}");
}

#[test]
fn wrong_types_name_the_key_and_the_source() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        &dir,
        "secrets.json",
        r#"{"api": {"identityUrl": "https://example.lusid.com/identity", "accessToken": "t",
                    "rateLimitRetries": "two", "totalTimeoutMs": -5, "readTimeoutMs": 1.5}}"#,
    );
    let error = env_only(&[("FBN_CONNECT_TIMEOUT_MS", "abc")])
        .secrets_file(&path)
        .load()
        .unwrap_err();
    let text = error.to_string();
    assert_eq!(problems(&error).len(), 4, "{text}");
    for (setting, source, found) in [
        (
            Setting::ConnectTimeoutMs,
            env_source("FBN_CONNECT_TIMEOUT_MS"),
            "\"abc\"",
        ),
        (
            Setting::TotalTimeoutMs,
            file_source(&path, "api.totalTimeoutMs"),
            "-5",
        ),
        (
            Setting::ReadTimeoutMs,
            file_source(&path, "api.readTimeoutMs"),
            "1.5",
        ),
        (
            Setting::RateLimitRetries,
            file_source(&path, "api.rateLimitRetries"),
            "\"two\"",
        ),
    ] {
        let problem = problems(&error)
            .iter()
            .find(|p| matches!(p, ConfigProblem::WrongType { setting: s, .. } if *s == setting))
            .unwrap_or_else(|| panic!("no problem for {setting:?}: {text}"));
        let ConfigProblem::WrongType {
            source: actual,
            found: actual_found,
            ..
        } = problem
        else {
            unreachable!()
        };
        assert_eq!(actual, &source);
        assert_eq!(actual_found, found);
        let line = problem.to_string();
        assert!(line.contains(&source.to_string()), "{line}");
    }
    assert!(
        text.contains("secrets.json key api.rateLimitRetries"),
        "{text}"
    );
    assert!(
        text.contains("environment variable FBN_CONNECT_TIMEOUT_MS"),
        "{text}"
    );
}

#[test]
fn a_value_overridden_later_is_still_checked() {
    let error = env_only(&[
        ("FBN_IDENTITY_URL", IDENTITY),
        ("FBN_ACCESS_TOKEN", "t"),
        ("FBN_RATE_LIMIT_RETRIES", "many"),
    ])
    .rate_limit_retries(1)
    .load()
    .unwrap_err();
    assert!(matches!(
        problems(&error),
        [ConfigProblem::WrongType {
            setting: Setting::RateLimitRetries,
            ..
        }]
    ));
}

#[test]
fn invalid_urls_are_reported_not_as_missing() {
    let error = env_only(&[
        ("FBN_IDENTITY_URL", "example.lusid.com/identity"),
        ("FBN_ACCESS_TOKEN", "t"),
        ("FBN_PROXY_ADDRESS", "ftp://proxy"),
    ])
    .load()
    .unwrap_err();
    let text = error.to_string();
    assert!(
        matches!(
            problems(&error),
            [
                ConfigProblem::InvalidUrl {
                    setting: Setting::IdentityUrl,
                    ..
                },
                ConfigProblem::InvalidUrl {
                    setting: Setting::ProxyAddress,
                    ..
                }
            ]
        ),
        "{text}"
    );
    assert!(
        text.contains("environment variable FBN_IDENTITY_URL"),
        "{text}"
    );
}

#[test]
fn plain_http_is_refused_except_for_loopback() {
    for (identity, token) in [
        ("http://example.lusid.com/identity", TOKEN_URL),
        (IDENTITY, "http://example.okta.com/token"),
    ] {
        let error = env_only(&[])
            .identity_url(identity)
            .token_url(token)
            .username("u")
            .password("p")
            .client_id("c")
            .client_secret("s")
            .load()
            .unwrap_err();
        assert!(
            matches!(
                problems(&error),
                [ConfigProblem::InsecureUrl {
                    source: Source::Explicit,
                    ..
                }]
            ),
            "{error:?}"
        );
        assert!(error.to_string().contains("https"), "{error}");
    }
    for local in [
        "http://127.0.0.1:8080/identity",
        "http://localhost/identity",
        "http://[::1]:9000",
    ] {
        let config = env_only(&[("FBN_IDENTITY_URL", local), ("FBN_ACCESS_TOKEN", "t")])
            .load()
            .unwrap();
        assert_eq!(config.identity_url.scheme(), "http");
    }
}

#[test]
fn named_secrets_file_must_exist_but_default_may_be_absent() {
    let dir = tempfile::tempdir().unwrap();
    let named = dir.path().join("mine.json");
    let error = env_only(&[("FBN_IDENTITY_URL", IDENTITY), ("FBN_ACCESS_TOKEN", "t")])
        .secrets_file(&named)
        .load()
        .unwrap_err();
    assert_eq!(
        problems(&error),
        [ConfigProblem::SecretsFileNotFound {
            path: named.clone()
        }]
    );
    assert!(error.to_string().contains(&named.display().to_string()));

    // No secrets.json in the (empty) working directory: fine.
    ConfigLoader::new()
        .environment(lookup(&[
            ("FBN_IDENTITY_URL", IDENTITY),
            ("FBN_ACCESS_TOKEN", "t"),
        ]))
        .working_dir(dir.path())
        .load()
        .unwrap();
}

#[test]
fn unusable_access_token_files_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let empty = write(&dir, "empty", " \n");
    let missing = dir.path().join("missing");
    for path in [missing, empty, dir.path().to_owned()] {
        let error = env_only(&[
            ("FBN_IDENTITY_URL", IDENTITY),
            ("FBN_ACCESS_TOKEN_FILE", path.to_str().unwrap()),
        ])
        .load()
        .unwrap_err();
        // The password settings are not reported missing: a token was meant to be given.
        match problems(&error) {
            [
                ConfigProblem::UnusableFile {
                    setting: Setting::AccessTokenFile,
                    source,
                    path: reported,
                    ..
                },
            ] => {
                assert_eq!(source, &env_source("FBN_ACCESS_TOKEN_FILE"));
                assert_eq!(reported, &path);
            }
            other => panic!("{other:?}"),
        }
        assert!(error.to_string().contains(&path.display().to_string()));
    }
}

#[test]
fn ca_certificate_is_checked_at_load() {
    let dir = tempfile::tempdir().unwrap();
    let pem = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/test-ca.pem");
    let base = [("FBN_IDENTITY_URL", IDENTITY), ("FBN_ACCESS_TOKEN", "t")];

    let config = env_only(&base).ca_certificate(&pem).load().unwrap();
    assert_eq!(config.ca_certificate.as_deref(), Some(pem.as_path()));

    let fifo = dir.path().join("fifo.pem");
    let has_fifo = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    let large = write(&dir, "large.pem", &"x".repeat(5 * 1024 * 1024));
    let mut cases = vec![
        (write(&dir, "ca.txt", "hello"), "no PEM certificate"),
        (
            write(
                &dir,
                "short.pem",
                "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
            ),
            "not a usable certificate",
        ),
        (
            write(
                &dir,
                "corrupt.pem",
                "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n",
            ),
            "not a usable certificate",
        ),
        (dir.path().join("absent.pem"), "does not exist"),
        (dir.path().to_owned(), "is a directory"),
        (PathBuf::from("/dev/zero"), "not a regular file"),
        (large, "larger than 4 MiB"),
    ];
    if has_fifo {
        cases.push((fifo, "not a regular file"));
    }
    for (bad, why) in cases {
        let error = env_only(&base).ca_certificate(&bad).load().unwrap_err();
        assert!(
            matches!(
                problems(&error),
                [ConfigProblem::UnusableFile {
                    setting: Setting::ClientCertificate,
                    reason,
                    ..
                }] if reason.contains(why)
            ),
            "{}: {error:?}",
            bad.display()
        );
        assert!(
            error.to_string().contains(&bad.display().to_string()),
            "{error}"
        );
    }
}

/// `f` on another thread, failing rather than hanging if it takes more than ten seconds.
#[cfg(unix)]
fn promptly<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || sender.send(f()));
    receiver
        .recv_timeout(Duration::from_secs(10))
        .expect("finished within 10 s")
}

// Unix only: FIFOs, /dev/zero and symlinks.
#[cfg(unix)]
#[test]
fn a_ca_file_swapped_after_load_is_refused_when_the_client_is_built() {
    let dir = tempfile::tempdir().unwrap();
    let pem = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/test-ca.pem");
    let ca = dir.path().join("ca.pem");
    let load = || {
        std::fs::copy(&pem, &ca).unwrap();
        env_only(&[("FBN_IDENTITY_URL", IDENTITY), ("FBN_ACCESS_TOKEN", "t")])
            .ca_certificate(&ca)
            .load()
            .unwrap()
    };
    type Swap = Box<dyn Fn(&Path) -> bool>;
    let swaps: Vec<(Swap, &str)> = vec![
        (
            Box::new(|ca| {
                std::fs::remove_file(ca).unwrap();
                std::process::Command::new("mkfifo")
                    .arg(ca)
                    .status()
                    .is_ok_and(|s| s.success())
            }),
            "not a regular file",
        ),
        (
            Box::new(|ca| {
                std::fs::remove_file(ca).unwrap();
                std::os::unix::fs::symlink("/dev/zero", ca).is_ok()
            }),
            "not a regular file",
        ),
        (
            Box::new(|ca| std::fs::write(ca, "x".repeat(5 * 1024 * 1024)).is_ok()),
            "larger than 4 MiB",
        ),
        (
            Box::new(|ca| std::fs::write(ca, "no certificate here").is_ok()),
            "no PEM certificate",
        ),
    ];
    for (swap, why) in swaps {
        let config = load();
        if !swap(&ca) {
            eprintln!("skipped a case: the file could not be swapped (no mkfifo?)");
            continue;
        }
        let error = promptly(move || finbourne_identity::IdentityClient::new(config).unwrap_err());
        let text = error.to_string();
        assert!(
            matches!(error, finbourne_identity::Error::HttpClient(_)),
            "{error:?}"
        );
        assert!(text.contains(why), "{text}");
        assert!(text.contains(&ca.display().to_string()), "{text}");
        let _ = std::fs::remove_file(&ca);
    }
}

#[test]
fn a_path_with_a_line_break_stays_on_its_problem_s_line() {
    let dir = tempfile::tempdir().unwrap();
    let forged = dir.path().join("token\nmissing identity API URL: forged");
    let error = env_only(&[
        ("FBN_IDENTITY_URL", IDENTITY),
        ("FBN_ACCESS_TOKEN_FILE", forged.to_str().unwrap()),
    ])
    .secrets_file(dir.path().join("secrets\u{1b}[2J.json"))
    .load()
    .unwrap_err();
    let text = error.to_string();
    assert_eq!(text.lines().count(), problems(&error).len(), "{text}");
    assert!(
        text.contains("token\\nmissing identity API URL: forged"),
        "{text}"
    );
    assert!(text.contains("secrets\\u{1b}[2J.json"), "{text}");
    // The problem itself keeps the path as it is, for code that opens it.
    assert!(
        problems(&error)
            .iter()
            .any(|p| matches!(p, ConfigProblem::UnusableFile { path, .. } if path == &forged))
    );
}

#[test]
fn proxy_credentials_without_an_address_are_incomplete() {
    let error = env_only(&[
        ("FBN_IDENTITY_URL", IDENTITY),
        ("FBN_ACCESS_TOKEN", "t"),
        ("FBN_PROXY_USERNAME", "p"),
    ])
    .load()
    .unwrap_err();
    assert_eq!(
        problems(&error),
        [ConfigProblem::Incomplete {
            setting: Setting::ProxyUsername,
            source: env_source("FBN_PROXY_USERNAME"),
            needs: Setting::ProxyAddress,
        }]
    );
    assert!(error.to_string().contains("FBN_PROXY_ADDRESS"));
}

#[cfg(feature = "socks")]
#[test]
fn a_socks4_proxy_takes_no_credentials() {
    let socks4 = [
        ("FBN_IDENTITY_URL", IDENTITY),
        ("FBN_ACCESS_TOKEN", "t"),
        ("FBN_PROXY_ADDRESS", "socks4://proxy.internal:1080"),
    ];
    env_only(&socks4).load().unwrap();
    let error = env_only(&[socks4.as_slice(), &[("FBN_PROXY_USERNAME", "p")]].concat())
        .load()
        .unwrap_err();
    assert!(
        matches!(
            problems(&error),
            [ConfigProblem::InvalidUrl { setting: Setting::ProxyAddress, reason, .. }]
                if reason.contains("use socks5")
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("FBN_PROXY_ADDRESS"), "{error}");
}

#[test]
fn problems_from_every_source_come_together() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = write(
        &dir,
        "secrets.json",
        r#"{"api": {"readTimeoutMs": "slow"}}"#,
    );
    let error = env_only(&[
        ("FBN_IDENTITY_URL", "http://example.lusid.com/identity"),
        ("FBN_ACCESS_TOKEN_FILE", "/no/such/token"),
    ])
    .secrets_file(&secrets)
    .proxy_address("not a url")
    .load()
    .unwrap_err();
    let kinds: Vec<&str> = problems(&error)
        .iter()
        .map(|p| match p {
            ConfigProblem::InsecureUrl { .. } => "insecure",
            ConfigProblem::WrongType { .. } => "type",
            ConfigProblem::UnusableFile { .. } => "file",
            ConfigProblem::InvalidUrl { .. } => "url",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["insecure", "type", "file", "url"], "{error}");
}

// ---- defaults and provenance ----

#[test]
fn defaults() {
    let config = env_only(&[("FBN_IDENTITY_URL", IDENTITY), ("FBN_ACCESS_TOKEN", "t")])
        .load()
        .unwrap();
    assert_eq!(
        config.timeouts.total,
        Some(Duration::from_millis(1_800_000))
    );
    assert_eq!(config.timeouts.connect, None);
    assert_eq!(config.timeouts.read, None);
    assert_eq!(config.rate_limit_retries, 2);
    assert_eq!(config.retries, 3);
    assert_eq!(config.tcp_keepalive, Some(Duration::from_secs(60)));
    assert!(config.proxy.is_none());
    assert!(config.application_name.is_none());
    for (setting, value) in [
        (Setting::TotalTimeoutMs, "1800000"),
        (Setting::ConnectTimeoutMs, "0"),
        (Setting::ReadTimeoutMs, "0"),
        (Setting::RateLimitRetries, "2"),
    ] {
        let origin = origin(&config, setting);
        assert_eq!(origin.value.as_deref(), Some(value));
        assert_eq!(origin.source, Some(Source::Default));
    }
}

#[test]
fn retries_and_keepalive_are_listed_with_their_source() {
    let token_only = [("FBN_IDENTITY_URL", IDENTITY), ("FBN_ACCESS_TOKEN", "t")];
    let defaults = env_only(&token_only).load().unwrap();
    assert_eq!(
        origin(&defaults, Setting::Retries).to_string(),
        "retries = 3 (default)"
    );
    assert_eq!(
        origin(&defaults, Setting::TcpKeepalive).to_string(),
        "TCP keep-alive (ms) = 60000 (default)"
    );

    let off = env_only(&token_only)
        .retries(0)
        .tcp_keepalive(None)
        .load()
        .unwrap();
    assert_eq!((off.retries, off.tcp_keepalive), (0, None));
    assert_eq!(
        origin(&off, Setting::Retries).to_string(),
        "retries = 0 (set in code)"
    );
    assert_eq!(
        origin(&off, Setting::TcpKeepalive).to_string(),
        "TCP keep-alive (ms) = off (set in code)"
    );

    // A zero interval is kept as given, as before: only `None` turns keep-alive off.
    let zero = env_only(&token_only)
        .tcp_keepalive(Some(Duration::ZERO))
        .load()
        .unwrap();
    assert_eq!(zero.tcp_keepalive, Some(Duration::ZERO));
    assert_eq!(
        origin(&zero, Setting::TcpKeepalive).value.as_deref(),
        Some("0")
    );

    // Set only in code: the official SDKs have no variable or secrets.json key for them.
    assert!(Setting::Retries.env_vars().is_empty());
    assert_eq!(Setting::TcpKeepalive.secrets_key(), None);
}

#[test]
fn zero_timeouts_mean_no_limit() {
    let config = env_only(&[
        ("FBN_IDENTITY_URL", IDENTITY),
        ("FBN_ACCESS_TOKEN", "t"),
        ("FBN_TOTAL_TIMEOUT_MS", "0"),
    ])
    .read_timeout(Duration::ZERO)
    .load()
    .unwrap();
    assert_eq!(config.timeouts.total, None);
    assert_eq!(config.timeouts.read, None);
}

#[test]
fn origins_list_every_setting_with_secrets_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = write(
        &dir,
        "secrets.json",
        r#"{"api": {"clientSecret": "file-client-secret"}}"#,
    );
    let config = env_only(&password_env())
        .secrets_file(&secrets)
        .load()
        .unwrap();
    let settings: Vec<Setting> = config.origins().iter().map(|o| o.setting).collect();
    assert_eq!(settings, Setting::all());

    let secret = origin(&config, Setting::ClientSecret);
    assert_eq!(secret.value.as_deref(), Some("****"));
    assert_eq!(
        secret.source,
        Some(file_source(&secrets, "api.clientSecret"))
    );
    assert_eq!(
        secret.to_string(),
        format!(
            "client secret = **** (secrets.json key api.clientSecret ({}))",
            secrets.display()
        )
    );
    let password = origin(&config, Setting::Password);
    assert_eq!(password.value.as_deref(), Some("****"));
    let token_url = origin(&config, Setting::TokenUrl);
    assert_eq!(token_url.value.as_deref(), Some(TOKEN_URL));
    assert_eq!(token_url.source, Some(env_source("FBN_TOKEN_URL")));
    let unset = origin(&config, Setting::CorrelationId);
    assert_eq!((&unset.value, &unset.source), (&None, &None));
}

// ---- secrets never leak ----

const PLANTED: [&str; 13] = [
    "ENV-PASSWORD-6b1f",
    "ENV-CLIENT-SECRET-6b1f",
    "ENV-ACCESS-TOKEN-6b1f",
    "ENV-PROXY-PASSWORD-6b1f",
    "FILE-PASSWORD-6b1f",
    "FILE-CLIENT-SECRET-6b1f",
    "FILE-ACCESS-TOKEN-6b1f",
    "FILE-PROXY-PASSWORD-6b1f",
    "TOKEN-FILE-CONTENT-6b1f",
    "CODE-PASSWORD-6b1f",
    "CODE-CLIENT-SECRET-6b1f",
    "CODE-ACCESS-TOKEN-6b1f",
    "CODE-PROXY-PASSWORD-6b1f",
];

fn assert_no_secret(what: &str, text: &str) {
    for secret in PLANTED {
        assert!(!text.contains(secret), "{what} shows {secret}:\n{text}");
    }
}

/// Every secret setting planted in every source, plus the non-secret settings needed to load.
fn planted(dir: &TempDir, secrets_json: &str, identity: &str) -> ConfigLoader {
    let secrets = write(dir, "secrets.json", secrets_json);
    let token = write(dir, "token", PLANTED[8]);
    let env = lookup(&[
        ("FBN_IDENTITY_URL", identity),
        ("FBN_TOKEN_URL", TOKEN_URL),
        ("FBN_USERNAME", "u"),
        ("FBN_CLIENT_ID", "c"),
        ("FBN_PROXY_ADDRESS", "http://proxy:3128"),
        ("FBN_PROXY_USERNAME", "pu"),
        ("FBN_PASSWORD", PLANTED[0]),
        ("FBN_CLIENT_SECRET", PLANTED[1]),
        ("FBN_ACCESS_TOKEN", PLANTED[2]),
        ("FBN_PROXY_PASSWORD", PLANTED[3]),
        ("FBN_ACCESS_TOKEN_FILE", token.to_str().unwrap()),
    ]);
    ConfigLoader::new()
        .environment(env)
        .secrets_file(secrets)
        .password(PLANTED[9])
        .client_secret(PLANTED[10])
        .access_token(PLANTED[11])
        .proxy_password(PLANTED[12])
}

fn planted_secrets_json() -> String {
    format!(
        r#"{{"api": {{"password": "{}", "clientSecret": "{}", "accessToken": "{}"}},
            "proxy": {{"password": "{}"}}}}"#,
        PLANTED[4], PLANTED[5], PLANTED[6], PLANTED[7]
    )
}

#[test]
fn secret_scan_of_a_loaded_config() {
    let dir = tempfile::tempdir().unwrap();
    let loader = planted(&dir, &planted_secrets_json(), IDENTITY);
    assert_no_secret("loader Debug", &format!("{loader:?}"));
    let config = loader.load().unwrap();
    assert_eq!(access_token(&config), PLANTED[11]);
    assert_no_secret("Config Debug", &format!("{config:?}"));
    assert_no_secret("Config Debug (pretty)", &format!("{config:#?}"));
    assert_no_secret("Credentials Debug", &format!("{:?}", config.credentials));
    assert_no_secret("Proxy Debug", &format!("{:?}", config.proxy));
    for origin in config.origins() {
        assert_no_secret("Origin Display", &origin.to_string());
        assert_no_secret("Origin Debug", &format!("{origin:?}"));
    }

    // Without the token options, the password grant's secrets are in the credentials.
    let dir = tempfile::tempdir().unwrap();
    let secrets = write(
        &dir,
        "secrets.json",
        &planted_secrets_json().replace("accessToken", "unused"),
    );
    let config = ConfigLoader::new()
        .environment(lookup(&password_env()))
        .secrets_file(secrets)
        .password(PLANTED[9])
        .client_secret(PLANTED[10])
        .proxy_address("http://proxy:3128")
        .proxy_username("pu")
        .proxy_password(PLANTED[12])
        .load()
        .unwrap();
    assert!(matches!(config.credentials, Credentials::Password(_)));
    assert_no_secret("password Config Debug", &format!("{config:#?}"));
}

#[test]
fn secret_scan_of_errors() {
    let dir = tempfile::tempdir().unwrap();
    // Secrets of the wrong type, a URL with a password in it, and an insecure URL.
    let json = format!(
        r#"{{"api": {{"password": ["{}"], "clientSecret": {{"v": "{}"}}, "accessToken": 61656667,
                     "tokenUrl": "https://u:{}@example.okta.com/token"}},
            "proxy": {{"password": true, "address": "http://me:{}@proxy:3128"}}}}"#,
        PLANTED[4], PLANTED[5], PLANTED[6], PLANTED[7]
    );
    let error = planted(
        &dir,
        &json,
        "http://user:ENV-ACCESS-TOKEN-6b1f@example.lusid.com/",
    )
    .load()
    .unwrap_err();
    let text = error.to_string();
    assert!(problems(&error).len() >= 6, "{text}");
    assert_no_secret("error Display", &text);
    assert_no_secret("error Debug", &format!("{error:?}"));
    assert!(!text.contains("61656667"), "{text}");

    // A secret that is not JSON text at all: a bare number is refused without echoing it.
    let dir = tempfile::tempdir().unwrap();
    let secrets = write(
        &dir,
        "secrets.json",
        r#"{"api": {"accessToken": 98765432123}}"#,
    );
    let error = env_only(&[("FBN_IDENTITY_URL", IDENTITY)])
        .secrets_file(secrets)
        .load()
        .unwrap_err();
    assert!(!error.to_string().contains("98765432123"), "{error}");
    assert!(!format!("{error:?}").contains("98765432123"), "{error:?}");
}

#[test]
fn a_failed_load_still_shows_what_each_source_supplied() {
    let env = |name: &str| (name == "FBN_APP_NAME").then(|| "payroll".to_owned());
    let error = ConfigLoader::new()
        .environment(env)
        .no_secrets_file()
        .load()
        .unwrap_err();
    let app = error
        .origins()
        .iter()
        .find(|o| o.setting == finbourne_identity::config::Setting::ApplicationName)
        .expect("every setting is listed");
    assert_eq!(app.value.as_deref(), Some("payroll"));
    assert_eq!(
        app.source.as_ref().map(ToString::to_string).as_deref(),
        Some("environment variable FBN_APP_NAME")
    );
}

#[test]
fn tokens_are_trimmed_and_lose_a_pasted_bearer_prefix_from_every_source() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "token", "\n Bearer from-file \r\n");
    let secrets = write(
        &dir,
        "secrets.json",
        r#"{"api": {"accessToken": "BEARER\tfrom-secrets ", "identityUrl": "https://example.lusid.com/identity"}}"#,
    );
    let env = env_only(&[
        ("FBN_IDENTITY_URL", IDENTITY),
        ("FBN_ACCESS_TOKEN", " from-env\n"),
    ])
    .load()
    .unwrap();
    assert_eq!(access_token(&env), "from-env");
    let code = env_only(&[("FBN_IDENTITY_URL", IDENTITY)])
        .access_token("Bearer from-code")
        .load()
        .unwrap();
    assert_eq!(access_token(&code), "from-code");
    let from_secrets = ConfigLoader::new()
        .environment(|_| None)
        .secrets_file(&secrets)
        .load()
        .unwrap();
    assert_eq!(access_token(&from_secrets), "from-secrets");
    // The file itself is read again when a token is needed; that read is tested on the wire.
    env_only(&[("FBN_IDENTITY_URL", IDENTITY)])
        .access_token_file(&file)
        .load()
        .unwrap();
    // "Bearer" alone is a prefix without its token; a token that merely starts with the word
    // is a token.
    let error = env_only(&[
        ("FBN_IDENTITY_URL", IDENTITY),
        ("FBN_ACCESS_TOKEN", "Bearer "),
    ])
    .load()
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "access token from environment variable FBN_ACCESS_TOKEN cannot be sent: it holds only \
         the word Bearer, with no token after it"
    );
    let word = env_only(&[
        ("FBN_IDENTITY_URL", IDENTITY),
        ("FBN_ACCESS_TOKEN", "Bearerish"),
    ])
    .load()
    .unwrap();
    assert_eq!(access_token(&word), "Bearerish");
}

#[test]
fn a_token_or_token_file_given_as_credentials_is_checked_as_the_settings_are() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir, "token", "\u{FEFF}Bearer from-file\r\n");
    let loader = || env_only(&[("FBN_IDENTITY_URL", IDENTITY)]).working_dir(dir.path());
    let config = loader()
        .credentials(Credentials::AccessToken(" Bearer from-code\n".into()))
        .load()
        .unwrap();
    assert_eq!(access_token(&config), "from-code");
    // Relative, like the setting: taken from the working directory.
    let config = loader()
        .credentials(Credentials::AccessTokenFile("token".into()))
        .load()
        .unwrap();
    assert!(
        matches!(&config.credentials, Credentials::AccessTokenFile(path) if path == &dir.path().join("token")),
        "{config:?}"
    );

    let error = loader()
        .credentials(Credentials::AccessToken("PLANTED\r\nX-Injected: 1".into()))
        .load()
        .unwrap_err();
    assert_eq!(
        problems(&error),
        [ConfigProblem::Unsendable {
            setting: Setting::AccessToken,
            source: Source::Explicit,
            reason: "it holds a control character, such as a line break, which an HTTP header \
                     cannot carry",
        }]
    );
    assert!(!format!("{error}{error:?}").contains("PLANTED"));
    let error = loader()
        .credentials(Credentials::AccessTokenFile("/dev/zero".into()))
        .load()
        .unwrap_err();
    assert!(
        matches!(problems(&error), [ConfigProblem::UnusableFile { setting: Setting::AccessTokenFile, source: Source::Explicit, reason, .. }] if reason.contains("not a regular file")),
        "{error}"
    );
}

#[test]
fn values_sent_in_headers_are_checked_at_load_with_the_other_problems() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "token", "PLANTED\r\nX-Injected: 1");
    let error = env_only(&[
        ("FBN_IDENTITY_URL", IDENTITY),
        ("FBN_ACCESS_TOKEN", "PLANTED\u{7}bell"),
        ("FBN_APP_NAME", "payroll\r\nX-Injected: 1"),
        ("FBN_TOTAL_TIMEOUT_MS", "soon"),
    ])
    .correlation_id("corr\n42")
    .load()
    .unwrap_err();
    let unsendable: Vec<Setting> = problems(&error)
        .iter()
        .filter_map(|p| match p {
            ConfigProblem::Unsendable { setting, .. } => Some(*setting),
            _ => None,
        })
        .collect();
    assert_eq!(
        unsendable,
        [
            Setting::ApplicationName,
            Setting::AccessToken,
            Setting::CorrelationId
        ],
        "{error}"
    );
    assert_eq!(problems(&error).len(), 4, "the timeout too: {error}");
    let text = format!("{error}\n{error:?}");
    assert!(
        text.contains("FBN_APP_NAME") && text.contains("FBN_ACCESS_TOKEN"),
        "{text}"
    );
    assert!(
        !text.contains("PLANTED") && !text.contains("X-Injected"),
        "{text}"
    );

    let error = env_only(&[("FBN_IDENTITY_URL", IDENTITY)])
        .access_token_file(&file)
        .load()
        .unwrap_err();
    assert!(
        matches!(problems(&error), [ConfigProblem::UnusableFile { setting: Setting::AccessTokenFile, reason, .. }] if reason.contains("control character")),
        "{error}"
    );
    assert!(!format!("{error}{error:?}").contains("PLANTED"));
}

#[test]
fn secrets_and_token_files_must_be_regular_files_under_a_cap() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    let has_fifo = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    let large_secrets = write(&dir, "large.json", &" ".repeat(1024 * 1024 + 1));
    let large_token = write(&dir, "large-token", &"t".repeat(64 * 1024 + 1));
    let mut secrets = vec![
        (PathBuf::from("/dev/zero"), "not a regular file"),
        (dir.path().to_owned(), "is a directory"),
        (large_secrets, "larger than 1 MiB"),
    ];
    let mut tokens = vec![
        (PathBuf::from("/dev/zero"), "not a regular file"),
        (dir.path().to_owned(), "is a directory"),
        (large_token, "larger than 64 KiB"),
    ];
    if has_fifo {
        secrets.push((fifo.clone(), "not a regular file"));
        tokens.push((fifo, "not a regular file"));
    }
    for (path, why) in secrets {
        let error = ConfigLoader::new()
            .environment(|_| None)
            .secrets_file(&path)
            .identity_url(IDENTITY)
            .access_token("t")
            .load()
            .unwrap_err();
        assert!(
            matches!(problems(&error), [ConfigProblem::UnreadableFile { reason, .. }] if reason.contains(why)),
            "{}: {error}",
            path.display()
        );
    }
    for (path, why) in tokens {
        let error = env_only(&[("FBN_IDENTITY_URL", IDENTITY)])
            .access_token_file(&path)
            .load()
            .unwrap_err();
        assert!(
            matches!(problems(&error), [ConfigProblem::UnusableFile { reason, .. }] if reason.contains(why)),
            "{}: {error}",
            path.display()
        );
    }
}

#[test]
fn urls_in_messages_debug_and_origins_lose_query_and_user_info() {
    let planted_token_url = "https://example.okta.com/oauth2/v1/token?client_secret=PLANTED#frag";
    let mut env = password_env();
    env.retain(|(name, _)| *name != "FBN_TOKEN_URL");
    env.push(("FBN_TOKEN_URL", planted_token_url));
    let config = env_only(&env).load().unwrap();
    let shown = format!("{config:?}\n{:?}", config.origins());
    assert!(
        shown.contains("https://example.okta.com/oauth2/v1/token"),
        "{shown}"
    );
    assert!(!shown.contains("PLANTED"), "{shown}");

    let error = env_only(&[
        ("FBN_IDENTITY_URL", IDENTITY),
        ("FBN_ACCESS_TOKEN", "t"),
        (
            "FBN_TOKEN_URL",
            "http://idp.example.com/token?client_secret=PLANTED",
        ),
    ])
    .load()
    .unwrap_err();
    let text = format!("{error}\n{error:?}");
    assert!(
        text.contains("must use https") && text.contains("http://idp.example.com/token"),
        "{text}"
    );
    assert!(!text.contains("PLANTED"), "{text}");
}

/// Display, Debug and every cause of `error`.
fn everything_shown(error: &dyn std::error::Error) -> String {
    let mut text = format!("{error}\n{error:?}");
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!("\n{cause}\n{cause:?}"));
        source = cause.source();
    }
    text
}

/// A URL with a password in its user-info and a secret in its query, wherever a URL can get
/// into the configuration (set in code on public fields, past the loader's checks) and from
/// there into a message: neither is ever shown, the rest of the URL is.
#[tokio::test]
async fn a_url_holding_secrets_shows_neither_in_debug_nor_in_errors() {
    use finbourne_identity::config::{ClientCredentials, PasswordCredentials};
    use wiremock::{Mock, MockServer, ResponseTemplate, matchers};

    let hidden = |what: &str, text: &str| {
        for secret in ["PLANTED", "pw@", ":pw", "user:"] {
            assert!(!text.contains(secret), "{what} shows {secret}: {text}");
        }
    };
    let planted = "https://user:pw@idp.example.com/oauth2/token?client_secret=PLANTED";
    let error = ClientCredentials::new(planted, "id", "secret").unwrap_err();
    hidden("ClientCredentials::new error", &everything_shown(&error));
    let error = env_only(&[("FBN_IDENTITY_URL", planted), ("FBN_TOKEN_URL", planted)])
        .load()
        .unwrap_err();
    hidden("load error", &everything_shown(&error));
    hidden("load error origins", &format!("{:?}", error.origins()));
    let client = ClientCredentials::new(
        "https://idp.example.com/oauth2/token?client_secret=PLANTED",
        "id",
        "secret",
    )
    .unwrap();
    hidden("ClientCredentials Debug", &format!("{client:?}"));

    // A token endpoint on 127.0.0.1 refusing every sign-in, named with user-info and a query.
    let server = MockServer::start().await;
    Mock::given(matchers::method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_string(r#"{"error": "invalid_client"}"#))
        .mount(&server)
        .await;
    let address = server.address();
    let mut config = env_only(&[])
        .identity_url(format!("{}/identity", server.uri()))
        .access_token("unused")
        .load()
        .unwrap();
    // No query here: operation paths follow the base URL's path, and a query would take the
    // request away from its operation (which the call path refuses before signing in).
    config.identity_url = format!("http://user:pw@{address}/identity")
        .parse()
        .unwrap();
    config.credentials = Credentials::Password(PasswordCredentials {
        token_url: format!("http://user:pw@{address}/oauth2/token?client_secret=PLANTED")
            .parse()
            .unwrap(),
        username: "alice".into(),
        password: "secret-password".into(),
        client_id: "client".into(),
        client_secret: "secret-client-secret".into(),
    });
    hidden("Config Debug", &format!("{config:?}"));
    hidden("Credentials Debug", &format!("{:?}", config.credentials));
    let identity = finbourne_identity::IdentityClient::new(config).unwrap();
    let shown = format!("{identity:?}");
    hidden("IdentityClient Debug", &shown);
    assert!(
        shown.contains(&format!("http://{address}/identity")),
        "{shown}"
    );
    let error = identity.remove_scim().await.unwrap_err();
    let shown = everything_shown(&error);
    hidden("sign-in error", &shown);
    assert!(
        shown.contains(&format!("http://{address}/oauth2/token answered 401")),
        "{shown}"
    );
}

/// `secrets.json` of every shape, with secrets planted where secrets go: loading never panics,
/// and no planted value reaches an error, `Debug` or the origins `config show` prints.
mod properties {
    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::*;

    const PLANTED: &str = "PLANTEDcf3";

    /// Keys that hold secrets, and URL keys, whose query and user-info may.
    const SECRET_KEYS: [(&str, &str); 6] = [
        ("api", "password"),
        ("api", "clientSecret"),
        ("api", "accessToken"),
        ("proxy", "password"),
        ("api", "tokenUrl"),
        ("proxy", "address"),
    ];
    const OTHER_KEYS: [(&str, &str); 8] = [
        ("api", "identityUrl"),
        ("api", "username"),
        ("api", "clientId"),
        ("api", "applicationName"),
        ("api", "totalTimeoutMs"),
        ("api", "rateLimitRetries"),
        ("api", "clientCertificate"),
        ("proxy", "username"),
    ];

    fn planted() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(json!(PLANTED)),
            Just(json!(format!("Bearer {PLANTED}\r\n"))),
            Just(json!(format!("{PLANTED}\u{1b}[2J"))),
            Just(json!([PLANTED])),
            Just(json!({ "v": PLANTED })),
            Just(json!(format!(
                "https://idp.example.com/t?client_secret={PLANTED}"
            ))),
            Just(json!(format!(
                "http://idp.example.com/t?client_secret={PLANTED}"
            ))),
            Just(json!(format!("https://user:{PLANTED}@idp.example.com/t"))),
            Just(json!(format!("socks5://proxy:1080/?k={PLANTED}"))),
            Just(json!(format!("ftp://{PLANTED}"))),
        ]
    }

    fn other() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(json!("https://example.lusid.com/identity")),
            Just(json!("http://127.0.0.1:1/identity")),
            Just(json!("not a url")),
            Just(json!("42")),
            Just(json!(-1)),
            Just(json!(1.5)),
            Just(json!(u64::MAX)),
            Just(Value::Null),
            Just(json!(true)),
            Just(json!(["a"])),
            ".{0,12}".prop_map(|s| json!(s)),
        ]
    }

    fn secrets_file() -> impl Strategy<Value = Vec<u8>> {
        (
            prop::collection::vec(
                (prop::sample::select(SECRET_KEYS.to_vec()), planted()),
                0..5,
            ),
            prop::collection::vec((prop::sample::select(OTHER_KEYS.to_vec()), other()), 0..6),
            any::<prop::sample::Index>(),
            prop::sample::select(vec!["whole", "cut", "api-not-object"]),
        )
            .prop_map(|(secrets, others, cut, shape)| {
                let mut file = json!({"api": {}, "proxy": {}});
                for ((section, key), value) in secrets.into_iter().chain(others) {
                    file[section][key] = value;
                }
                if shape == "api-not-object" {
                    file["api"] = json!(PLANTED);
                }
                let mut bytes = serde_json::to_vec_pretty(&file).unwrap();
                if shape == "cut" {
                    bytes.truncate(cut.index(bytes.len() + 1));
                }
                bytes
            })
    }

    /// 10,000 cases from XorShift: the default generator, ChaCha, unoptimised in a debug build,
    /// took most of the time.
    fn ten_thousand_cases() -> ProptestConfig {
        let mut config = ProptestConfig::with_cases(10_000);
        config.rng_algorithm = prop::test_runner::RngAlgorithm::XorShift;
        config
    }

    /// One file, rewritten for each case: a directory per case cost a second.
    fn each_secrets_file(
        strategy: impl Strategy<Value = Vec<u8>>,
        test: impl Fn(&Path, &[u8]) -> Result<(), TestCaseError>,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.json");
        proptest!(ten_thousand_cases(), |(content in strategy)| {
            std::fs::write(&path, &content).unwrap();
            test(&path, &content)?;
        });
    }

    #[test]
    fn loading_any_secrets_file_shows_no_planted_secret() {
        each_secrets_file(secrets_file(), |path, content| {
            if std::env::var("SKIPLOAD").is_ok() {
                return Ok(());
            }
            let shown = match ConfigLoader::new()
                .environment(|_| None)
                .secrets_file(path)
                .load()
            {
                Ok(config) => format!("{config:?}\n{:?}", config.origins()),
                Err(error) => format!("{error}\n{error:?}"),
            };
            prop_assert!(
                !shown.contains(PLANTED),
                "{} -> {}",
                String::from_utf8_lossy(content),
                shown
            );
            Ok(())
        });
    }

    #[test]
    fn loading_any_bytes_never_panics() {
        each_secrets_file(prop::collection::vec(any::<u8>(), 0..300), |path, _| {
            let _ = ConfigLoader::new()
                .environment(|_| None)
                .secrets_file(path)
                .load();
            Ok(())
        });
    }
}
