//! Token providers of the caller's: asked once for many calls until the token expires, one call
//! per failure a second, asked again after a 401; plugged in through the configuration loader
//! (no credential setting needed) or the client builder (over the configuration's). Against the
//! emulator, on the test's paused clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use finbourne_identity::config::Credentials;
use finbourne_identity::{
    AuthError, ConfigLoader, Error, IdentityClient, Token, TokenProvider, token_provider_fn,
};
use finbourne_identity_emulator::Emulator;
use futures_util::FutureExt as _;
use tokio::task::JoinSet;
use tokio::time::Instant;

/// A loader for the emulator's Identity URL and nothing else: no credential setting at all.
fn loader(emulator: &Emulator) -> ConfigLoader {
    ConfigLoader::new()
        .environment(|_| None)
        .no_secrets_file()
        .identity_url(emulator.identity_url())
}

/// A provider handing out `tokens` in turn (the last one again once they run out), each living
/// `lifetime`, and counting how often it was asked.
fn counting(
    tokens: Vec<String>,
    lifetime: Option<Duration>,
) -> (impl TokenProvider + 'static, Arc<AtomicUsize>) {
    let asked = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&asked);
    let provider = token_provider_fn(move || {
        let n = counter.fetch_add(1, Ordering::SeqCst);
        let secret = tokens[n.min(tokens.len() - 1)].clone();
        async move { Ok(Token::new(secret, lifetime.map(|l| Instant::now() + l))) }
    });
    (provider, asked)
}

/// The bearer tokens the API received, in order.
fn bearers(emulator: &Emulator) -> Vec<String> {
    emulator
        .journal()
        .iter()
        .filter(|entry| entry.path().starts_with("/identity/api/"))
        .map(|entry| entry.header("authorization").unwrap_or_default().to_owned())
        .collect()
}

/// `n` concurrent `get_user_info` calls, each on its own task.
async fn calls(identity: &IdentityClient, n: usize) -> Vec<Result<(), Error>> {
    let mut calls = JoinSet::new();
    for _ in 0..n {
        let identity = identity.clone();
        calls.spawn(async move { identity.get_user_info().send().await.map(drop) });
    }
    calls.join_all().await
}

#[tokio::test(start_paused = true)]
async fn a_closure_provider_is_asked_once_for_many_calls_until_its_token_expires_then_again() {
    let emulator = Emulator::start().await.unwrap();
    let tokens = vec![emulator.issue_access_token(), emulator.issue_access_token()];
    let (provider, asked) = counting(tokens.clone(), Some(Duration::from_secs(600)));
    let config = loader(&emulator).credentials(provider).load().unwrap();
    let identity = IdentityClient::new(config).unwrap();

    assert!(calls(&identity, 50).await.iter().all(Result::is_ok));
    for _ in 0..10 {
        identity.get_user_info().send().await.unwrap();
    }
    assert_eq!(asked.load(Ordering::SeqCst), 1, "one token for 60 calls");

    // Renewed 60 s ahead of its expiry, as the built-in grants are.
    tokio::time::advance(Duration::from_secs(539)).await;
    identity.get_user_info().send().await.unwrap();
    assert_eq!(asked.load(Ordering::SeqCst), 1, "still fresh at 8 min 59 s");
    tokio::time::advance(Duration::from_secs(2)).await;
    identity.get_user_info().send().await.unwrap();
    assert_eq!(asked.load(Ordering::SeqCst), 2, "renewed from 9 min on");

    let sent = bearers(&emulator);
    assert_eq!(sent.len(), 62);
    assert!(
        sent[..61]
            .iter()
            .all(|b| *b == format!("Bearer {}", tokens[0]))
    );
    assert_eq!(sent[61], format!("Bearer {}", tokens[1]));
    assert_eq!(identity.token_requests(), 0, "no token endpoint involved");
}

#[tokio::test(start_paused = true)]
async fn a_token_without_expiry_is_used_until_the_api_answers_401_then_the_provider_is_asked_again()
{
    let emulator = Emulator::start().await.unwrap();
    let good = emulator.issue_access_token();
    let (provider, asked) = counting(vec!["never-issued".into(), good.clone()], None);
    let identity =
        IdentityClient::new(loader(&emulator).credentials(provider).load().unwrap()).unwrap();

    // The first token is refused: the call is repeated once with the provider's next token.
    identity.get_user_info().send().await.unwrap();
    tokio::time::advance(Duration::from_secs(30 * 24 * 3600)).await;
    identity.get_user_info().send().await.unwrap();

    assert_eq!(asked.load(Ordering::SeqCst), 2);
    let good = format!("Bearer {good}");
    assert_eq!(
        bearers(&emulator),
        ["Bearer never-issued", good.as_str(), good.as_str()]
    );
}

#[tokio::test(start_paused = true)]
async fn a_failing_provider_is_asked_once_per_second_however_many_calls_wait() {
    let emulator = Emulator::start().await.unwrap();
    let asked = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&asked);
    let provider = token_provider_fn(move || {
        counter.fetch_add(1, Ordering::SeqCst);
        async {
            tokio::time::sleep(Duration::from_millis(10)).await;
            Err(AuthError::new("the vault is sealed"))
        }
    });
    let identity =
        IdentityClient::new(loader(&emulator).credentials(provider).load().unwrap()).unwrap();

    for outcome in calls(&identity, 200).await {
        match outcome {
            Err(Error::Authentication(e)) => assert_eq!(e.to_string(), "the vault is sealed"),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(asked.load(Ordering::SeqCst), 1, "one failure for 200 calls");
    tokio::time::advance(Duration::from_millis(900)).await;
    assert!(identity.get_user_info().send().await.is_err());
    assert_eq!(
        asked.load(Ordering::SeqCst),
        1,
        "the failure stands for 1 s"
    );
    tokio::time::advance(Duration::from_millis(200)).await;
    assert!(identity.get_user_info().send().await.is_err());
    assert_eq!(asked.load(Ordering::SeqCst), 2);
    assert_eq!(emulator.counters().api_requests, 0, "no call went out");
}

/// The message every call gets from a provider that panicked with a formatted message (which
/// may hold anything, so it is not repeated).
const PANICKED: &str = "the token provider TokenProviderFn panicked (its message is left out, as \
                        it may hold a secret)";

#[tokio::test(start_paused = true)]
async fn a_panicking_provider_fails_the_calls_waiting_for_it_and_is_asked_again_after_a_second() {
    let emulator = Emulator::start().await.unwrap();
    let good = emulator.issue_access_token();
    let asked = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&asked);
    let provider = token_provider_fn(move || {
        let first = counter.fetch_add(1, Ordering::SeqCst) == 0;
        let good = good.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(10)).await;
            if first {
                let secret = "s3cr3t-in-a-panic";
                panic!("the vault agent crashed holding {secret}");
            }
            Ok(Token::new(good, None))
        }
    });
    let identity =
        IdentityClient::new(loader(&emulator).credentials(provider).load().unwrap()).unwrap();

    // One call starts the token request and is then held, not polled again.
    let held = identity.get_user_info().send();
    let mut held = std::pin::pin!(held);
    assert!(
        (&mut held).now_or_never().is_none(),
        "waiting on the provider"
    );
    let authentication_error = |outcome: Result<(), Error>| match outcome {
        Err(Error::Authentication(e)) => e.to_string(),
        other => panic!("{other:?}"),
    };
    // The others drive it; it panics in one of them, and every one gets the failure.
    for outcome in calls(&identity, 50).await {
        assert_eq!(authentication_error(outcome), PANICKED);
    }
    // Later calls get it as well while the failure stands, the held call included.
    assert_eq!(
        authentication_error(calls(&identity, 1).await.remove(0)),
        PANICKED
    );
    assert_eq!(authentication_error(held.await.map(drop)), PANICKED);
    assert_eq!(asked.load(Ordering::SeqCst), 1, "one request, one panic");
    assert_eq!(emulator.counters().api_requests, 0);

    // Like any failure it stands for a second; then the provider is asked again.
    tokio::time::advance(Duration::from_secs(1)).await;
    identity.get_user_info().send().await.unwrap();
    assert_eq!(asked.load(Ordering::SeqCst), 2);
}

/// A provider giving `secret`, without expiry, each time it is asked.
fn giving(secret: String) -> impl TokenProvider + 'static {
    token_provider_fn(move || {
        let secret = secret.clone();
        async move { Ok(Token::new(secret, None)) }
    })
}

#[tokio::test]
async fn a_providers_token_loses_blanks_and_a_pasted_bearer_as_a_loaded_token_does() {
    let emulator = Emulator::start().await.unwrap();
    let mut expected = Vec::new();
    let mut outcomes = Vec::new();
    for shape in [
        "  {}  ",
        "Bearer {}",
        "bearer {}",
        "BEARER\t{}\r\n",
        "\u{FEFF}{}",
    ] {
        let token = emulator.issue_access_token();
        let identity = IdentityClient::new(
            loader(&emulator)
                .credentials(giving(shape.replace("{}", &token)))
                .load()
                .unwrap(),
        )
        .unwrap();
        outcomes.push(identity.get_user_info().send().await.map(drop));
        expected.push(format!("Bearer {token}"));
    }
    // Each sent once, as `Bearer <token>`: never untrimmed, never `Bearer Bearer <token>`.
    assert_eq!(bearers(&emulator), expected);
    assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
}

#[tokio::test]
async fn a_providers_unusable_token_is_refused_naming_the_provider_before_any_request() {
    let emulator = Emulator::start().await.unwrap();
    for (given, reason) in [
        ("", "it is empty"),
        (" \n", "it is empty"),
        (
            "Bearer",
            "it holds only the word Bearer, with no token after it",
        ),
        (
            "bearer \t",
            "it holds only the word Bearer, with no token after it",
        ),
        ("tök", "it holds a character that is not ASCII"),
        ("t\r\nX: 1", "it holds a control character"),
        ("t\u{7f}k", "it holds a control character"),
    ] {
        let identity = IdentityClient::new(
            loader(&emulator)
                .credentials(giving(given.to_owned()))
                .load()
                .unwrap(),
        )
        .unwrap();
        match identity.get_user_info().send().await {
            Err(Error::Authentication(e)) => {
                let message = e.to_string();
                let prefix =
                    "the token provider TokenProviderFn gave a token that cannot be used: ";
                assert!(
                    message.starts_with(&format!("{prefix}{reason}")),
                    "{given:?}: {message}"
                );
                for part in ["tök", "X: 1", "t\u{7f}k"] {
                    assert!(!message.contains(part), "{given:?}: {message}");
                }
            }
            other => panic!("{given:?}: {other:?}"),
        }
    }
    assert_eq!(emulator.counters().api_requests, 0, "nothing was sent");
}

#[tokio::test]
async fn the_builders_credentials_replace_the_configurations() {
    let emulator = Emulator::start().await.unwrap();
    let configured = emulator.issue_access_token();
    let chosen = emulator.issue_access_token();
    let config = loader(&emulator).access_token(configured).load().unwrap();
    let identity = IdentityClient::builder(config)
        .credentials(Token::new(chosen.clone(), None))
        .build()
        .unwrap();
    identity.get_user_info().send().await.unwrap();
    assert_eq!(bearers(&emulator), [format!("Bearer {chosen}")]);
    assert!(matches!(
        identity.config().credentials,
        Credentials::Provider(_)
    ));
    let shown = format!("{:?}", identity.config());
    assert!(!shown.contains(&chosen), "{shown}");
}

#[test]
fn credentials_in_code_make_credential_settings_unneeded_but_still_checked() {
    let (provider, _) = counting(vec!["t".into()], None);
    let provider = Arc::new(provider);
    let with_provider = |env: &'static [(&'static str, &'static str)]| {
        ConfigLoader::new()
            .environment(move |name| {
                env.iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| v.to_string())
            })
            .no_secrets_file()
            .identity_url("https://example.lusid.com/identity")
            .credentials(Credentials::Provider(provider.clone()))
            .load()
    };
    // Half a password grant in the environment is not reported missing...
    let config = with_provider(&[("FBN_USERNAME", "someone")]).unwrap();
    assert!(matches!(config.credentials, Credentials::Provider(_)));
    // ...but a value that is given is still checked.
    let error = with_provider(&[("FBN_TOKEN_URL", "http://idp.example.com/token")]).unwrap_err();
    assert!(error.to_string().contains("FBN_TOKEN_URL"), "{error}");
    assert_eq!(error.problems().len(), 1, "{error}");
    // Credentials in code win over an access token in the environment.
    let config = with_provider(&[("FBN_ACCESS_TOKEN", "from-env")]).unwrap();
    assert!(matches!(config.credentials, Credentials::Provider(_)));
}
