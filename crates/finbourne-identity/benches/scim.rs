//! `cargo bench -p finbourne-identity --bench scim`
//!
//! N sequential `add_scim` calls through the SDK against the same calls through a bare reqwest
//! client (same URL, same headers, a token fetched once), on one local mock server, in rounds
//! that alternate which goes first. Prints calls per second, the ratio and the token requests.
//! Target: the SDK at 0.95x the bare client or better, with one token request.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use finbourne_identity::{ConfigLoader, IdentityClient, ScimTokenAction};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const CALLS: usize = 100;
const ROUNDS: usize = 30;

struct Issuer(Arc<AtomicUsize>);

impl Respond for Issuer {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        self.0.fetch_add(1, Ordering::SeqCst);
        ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": "bench-access", "refresh_token": "bench-refresh", "expires_in": 3600}))
    }
}

#[tokio::main]
async fn main() {
    let server = MockServer::start().await;
    let token_requests = Arc::new(AtomicUsize::new(0));
    Mock::given(method("POST"))
        .and(path("/oauth2/token"))
        .respond_with(Issuer(token_requests.clone()))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/identity/api/identityprovider/scim"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "baseUrl": "https://example.lusid.com/identity/scim/v2", "apiToken": "scim-token"})))
        .mount(&server)
        .await;

    let config = ConfigLoader::new()
        .environment(|_| None)
        .no_secrets_file()
        .identity_url(format!("{}/identity", server.uri()))
        .token_url(format!("{}/oauth2/token", server.uri()))
        .username("bench")
        .password("bench")
        .client_id("bench")
        .client_secret("bench")
        .application_name("bench")
        .load()
        .expect("bench configuration");
    let sdk = IdentityClient::new(config).expect("client");
    let bare = reqwest::Client::new();
    let url = format!(
        "{}/identity/api/identityprovider/scim?apiTokenAction=ensure",
        server.uri()
    );

    // Warm both up: connections, the SDK's token.
    sdk_calls(&sdk, 20).await;
    bare_calls(&bare, &url, 20).await;

    // Short alternating rounds, compared round by round: a burst of load from elsewhere on the
    // machine then spoils a round or two, not the result.
    let mut ratios = Vec::with_capacity(ROUNDS);
    let (mut sdk_time, mut bare_time) = (Duration::ZERO, Duration::ZERO);
    for round in 0..ROUNDS {
        let (sdk_round, bare_round) = if round % 2 == 0 {
            let s = sdk_calls(&sdk, CALLS).await;
            (s, bare_calls(&bare, &url, CALLS).await)
        } else {
            let b = bare_calls(&bare, &url, CALLS).await;
            (sdk_calls(&sdk, CALLS).await, b)
        };
        ratios.push(bare_round.as_secs_f64() / sdk_round.as_secs_f64());
        sdk_time += sdk_round;
        bare_time += bare_round;
    }
    ratios.sort_by(f64::total_cmp);
    let median = ratios[ROUNDS / 2];
    let total = (CALLS * ROUNDS) as f64;
    println!("add_scim: {ROUNDS} alternating rounds of {CALLS} sequential calls each");
    println!(
        "bare reqwest: {:>8.0} calls/s",
        total / bare_time.as_secs_f64()
    );
    println!(
        "SDK:          {:>8.0} calls/s",
        total / sdk_time.as_secs_f64()
    );
    println!(
        "ratio SDK/bare (calls per second): median {median:.3}, quartiles {:.3}..{:.3} (target >= 0.95)",
        ratios[ROUNDS / 4],
        ratios[3 * ROUNDS / 4]
    );
    println!(
        "token requests: {} (target 1)",
        token_requests.load(Ordering::SeqCst)
    );
}

async fn sdk_calls(sdk: &IdentityClient, n: usize) -> Duration {
    let started = Instant::now();
    for _ in 0..n {
        sdk.add_scim(ScimTokenAction::Ensure)
            .await
            .expect("sdk call");
    }
    started.elapsed()
}

/// The same request a careful hand-written client would send.
async fn bare_calls(bare: &reqwest::Client, url: &str, n: usize) -> Duration {
    let started = Instant::now();
    for _ in 0..n {
        let answer = bare
            .put(url)
            .bearer_auth("bench-access")
            .header("accept", "application/json")
            .header("x-lusid-application", "bench")
            .header("x-lusid-sdk-language", "Rust")
            .header("x-lusid-sdk-version", env!("CARGO_PKG_VERSION"))
            .send()
            .await
            .expect("bare call");
        let body: serde_json::Value = answer.json().await.expect("bare body");
        assert!(body["apiToken"].is_string());
    }
    started.elapsed()
}
