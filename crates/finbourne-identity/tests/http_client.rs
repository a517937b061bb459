//! A reqwest client of the caller's: its default headers reach the server beside the SDK's;
//! a ready-made client cannot take a call's connect or read timeout, a builder can; token
//! requests never follow a redirect whatever client the caller gives.

use std::sync::Arc;
use std::time::Duration;

use finbourne_identity::{ConfigLoader, Error, IdentityClient, StandardRetry};
use finbourne_identity_emulator::http::{HeaderMap, HeaderValue, StatusCode};
use finbourne_identity_emulator::{Emulator, JournalEntry};
use reqwest::header::{HeaderMap as Headers, HeaderValue as Value};
use tokio::time::Instant;

mod common;
use common::emulator_loader as password_loader;

const SDK_AGENT: &str = concat!("finbourne-identity-rust/", env!("CARGO_PKG_VERSION"));

/// A builder sending `X-Test: from-my-client` on every request.
fn with_test_header() -> reqwest::ClientBuilder {
    let mut headers = Headers::new();
    headers.insert("x-test", Value::from_static("from-my-client"));
    reqwest::Client::builder().default_headers(headers)
}

/// A personal access token for the emulator, and an application name to see on the wire.
fn pat_loader(emulator: &Emulator) -> ConfigLoader {
    ConfigLoader::new()
        .environment(|_| None)
        .no_secrets_file()
        .identity_url(emulator.identity_url())
        .access_token(emulator.issue_access_token())
        .application_name("my-app")
}

fn api_requests(emulator: &Emulator) -> Vec<JournalEntry> {
    emulator
        .journal()
        .into_iter()
        .filter(|entry| entry.path().starts_with("/identity/api/"))
        .collect()
}

/// The SDK's headers are on `request`, the token included.
fn assert_sdk_headers(request: &JournalEntry) {
    assert_eq!(request.header("x-lusid-sdk-language"), Some("Rust"));
    assert_eq!(
        request.header("x-lusid-sdk-version"),
        Some(env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(request.header("x-lusid-application"), Some("my-app"));
    assert_eq!(request.header("accept"), Some("application/json"));
    assert!(
        request
            .header("authorization")
            .is_some_and(|a| a.starts_with("Bearer emu_")),
        "{request:?}"
    );
}

#[tokio::test]
async fn a_ready_made_clients_default_header_goes_out_beside_the_sdk_headers() {
    let emulator = Emulator::start().await.unwrap();
    let http = with_test_header().user_agent("my-agent").build().unwrap();
    let identity = IdentityClient::builder(pat_loader(&emulator).load().unwrap())
        .http_client(http)
        .build()
        .unwrap();
    identity.get_user_info().send().await.unwrap();

    let sent = api_requests(&emulator);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].header("x-test"), Some("from-my-client"));
    assert_eq!(
        sent[0].header("user-agent"),
        Some("my-agent"),
        "the client's own"
    );
    assert_sdk_headers(&sent[0]);
}

#[tokio::test]
async fn a_builders_default_header_goes_out_beside_the_sdk_headers_and_user_agent() {
    let emulator = Emulator::start().await.unwrap();
    let identity = IdentityClient::builder(pat_loader(&emulator).load().unwrap())
        .http_client_builder(with_test_header)
        .build()
        .unwrap();
    identity.get_user_info().send().await.unwrap();

    let sent = api_requests(&emulator);
    assert_eq!(sent[0].header("x-test"), Some("from-my-client"));
    assert_eq!(sent[0].header("user-agent"), Some(SDK_AGENT));
    assert_sdk_headers(&sent[0]);
}

#[tokio::test(start_paused = true)]
async fn a_ready_made_client_takes_a_calls_read_timeout() {
    let emulator = Emulator::start().await.unwrap();
    emulator
        .faults()
        .on(reqwest::Method::GET, "/api/me")
        .delay(Duration::from_secs(60));
    let identity = IdentityClient::builder(pat_loader(&emulator).load().unwrap())
        .http_client(reqwest::Client::new())
        .build()
        .unwrap();
    let error = identity
        .get_user_info()
        .read_timeout(Duration::from_secs(1))
        .retry_policy(Arc::new(StandardRetry::new(0, 0)))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "get_user_info: the read timeout expired",
        "{error:?}"
    );
    assert_eq!(emulator.counters().api_requests, 1);
}

/// A call's read timeout is enforced while the SDK reads the answer, not by another HTTP
/// client: calls with as many different values as there are calls share one connection.
#[tokio::test]
async fn calls_with_different_read_timeouts_share_one_connection() {
    let emulator = Emulator::start().await.unwrap();
    let identity = IdentityClient::builder(pat_loader(&emulator).load().unwrap())
        .http_client_builder(with_test_header)
        .build()
        .unwrap();
    for seconds in 1..=20 {
        identity
            .get_user_info()
            .read_timeout(Duration::from_secs(seconds))
            .send()
            .await
            .unwrap();
    }
    let counters = emulator.counters();
    assert_eq!(counters.api_requests, 20);
    assert_eq!(counters.connections_accepted, 1);
}

#[tokio::test(start_paused = true)]
async fn a_builder_takes_a_calls_read_timeout() {
    let emulator = Emulator::start().await.unwrap();
    emulator
        .faults()
        .on(reqwest::Method::GET, "/api/me")
        .delay(Duration::from_secs(60));
    let identity = IdentityClient::builder(pat_loader(&emulator).load().unwrap())
        .http_client_builder(with_test_header)
        .build()
        .unwrap();
    let started = Instant::now();
    // The first attempt waits 1 s for an answer, then the GET is sent again and answered.
    identity
        .get_user_info()
        .read_timeout(Duration::from_secs(1))
        .send()
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let sent = api_requests(&emulator);
    assert_eq!(sent.len(), 2);
    assert!(
        sent.iter()
            .all(|r| r.header("x-test") == Some("from-my-client"))
    );
}

/// Makes the emulator's token endpoint answer 307 to another path of its own origin.
fn redirect_token_requests(emulator: &Emulator) {
    let mut location = HeaderMap::new();
    let elsewhere = format!("{}/oauth2/v2/token", emulator.base_url());
    location.insert("location", HeaderValue::from_str(&elsewhere).unwrap());
    emulator.faults().on_token_endpoint().always().respond(
        StatusCode::TEMPORARY_REDIRECT,
        location,
        "",
    );
}

#[tokio::test]
async fn token_requests_follow_no_redirect_though_the_callers_client_would() {
    let emulator = Emulator::start().await.unwrap();
    let follows = with_test_header()
        .redirect(reqwest::redirect::Policy::limited(10))
        .build()
        .unwrap();
    let identity = IdentityClient::builder(password_loader(&emulator).load().unwrap())
        .http_client(follows)
        .build()
        .unwrap();
    identity.get_user_info().send().await.unwrap();
    let token_request = &emulator.journal()[0];
    assert_eq!(token_request.path(), "/oauth2/token");
    assert_eq!(
        token_request.header("x-test"),
        None,
        "not sent with the caller's client"
    );
    assert_eq!(
        api_requests(&emulator)[0].header("x-test"),
        Some("from-my-client")
    );

    for identity in [
        IdentityClient::builder(password_loader(&emulator).load().unwrap())
            .http_client(reqwest::Client::new())
            .build()
            .unwrap(),
        IdentityClient::builder(password_loader(&emulator).load().unwrap())
            .http_client_builder(|| {
                reqwest::Client::builder().redirect(reqwest::redirect::Policy::limited(10))
            })
            .build()
            .unwrap(),
    ] {
        redirect_token_requests(&emulator);
        emulator.clear_journal();
        let result = identity.get_user_info().send().await;
        let Err(Error::Authentication(error)) = &result else {
            panic!("{result:?}");
        };
        assert_eq!(error.status(), Some(StatusCode::TEMPORARY_REDIRECT));
        let paths: Vec<String> = emulator
            .journal()
            .iter()
            .map(|e| e.path().to_owned())
            .collect();
        assert_eq!(paths, ["/oauth2/token"], "the password went nowhere else");
        emulator.faults().clear();
    }
}
