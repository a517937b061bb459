//! `cargo bench -p finbourne-identity --bench scim`
//!
//! N sequential `add_scim` calls through the SDK against the same request sent by hand with
//! bare reqwest (same URL, same headers, a token fetched once, the answer decoded), on one local
//! mock server, in short rounds that rotate which goes first. Prints calls per second, the
//! ratios and the token requests. Target: the SDK at 0.95x the bare client or better, with one
//! token request.
//!
//! Two bare clients run: one with the SDK's transport settings (the default 30-minute total
//! timeout, TCP keep-alive), which isolates the SDK's own per-call work (token, headers, retry
//! bookkeeping, typed decoding), and `reqwest::Client::new()` as it comes, for reference: a
//! per-request timeout has a cost of its own in reqwest.

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

#[tokio::main(flavor = "current_thread")]
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
    // What the SDK's transport does by default, without the SDK.
    let same_transport = reqwest::Client::builder()
        .timeout(Duration::from_secs(1800))
        .tcp_keepalive(Duration::from_secs(60))
        .build()
        .expect("client");
    let plain = reqwest::Client::new();
    let url = format!(
        "{}/identity/api/identityprovider/scim?apiTokenAction=ensure",
        server.uri()
    );

    // Warm all up: connections, the SDK's token.
    sdk_calls(&sdk, 20).await;
    bare_calls(&same_transport, &url, 20).await;
    bare_calls(&plain, &url, 20).await;

    // Short rotating rounds, compared round by round: a burst of load from elsewhere on the
    // machine then spoils a round or two, not the result.
    let mut vs_same = Vec::with_capacity(ROUNDS);
    let mut vs_plain = Vec::with_capacity(ROUNDS);
    let mut totals = [Duration::ZERO; 3];
    for round in 0..ROUNDS {
        let mut times = [Duration::ZERO; 3];
        for slot in 0..3 {
            let who = (slot + round) % 3;
            times[who] = match who {
                0 => sdk_calls(&sdk, CALLS).await,
                1 => bare_calls(&same_transport, &url, CALLS).await,
                _ => bare_calls(&plain, &url, CALLS).await,
            };
        }
        vs_same.push(times[1].as_secs_f64() / times[0].as_secs_f64());
        vs_plain.push(times[2].as_secs_f64() / times[0].as_secs_f64());
        for (total, time) in totals.iter_mut().zip(times) {
            *total += time;
        }
    }
    let rate = |time: Duration| (CALLS * ROUNDS) as f64 / time.as_secs_f64();
    println!("add_scim: {ROUNDS} rotating rounds of {CALLS} sequential calls each");
    println!(
        "SDK:                             {:>7.0} calls/s",
        rate(totals[0])
    );
    println!(
        "bare reqwest, same transport:    {:>7.0} calls/s",
        rate(totals[1])
    );
    println!(
        "bare reqwest, Client::new():     {:>7.0} calls/s",
        rate(totals[2])
    );
    println!(
        "ratio SDK / bare, same transport: {} (target >= 0.95)",
        summary(vs_same)
    );
    println!("ratio SDK / bare, Client::new():  {}", summary(vs_plain));
    println!(
        "token requests: {} (target 1)",
        token_requests.load(Ordering::SeqCst)
    );
}

/// Median and quartiles of per-round ratios.
fn summary(mut ratios: Vec<f64>) -> String {
    ratios.sort_by(f64::total_cmp);
    let n = ratios.len();
    format!(
        "median {:.3}, quartiles {:.3}..{:.3}",
        ratios[n / 2],
        ratios[n / 4],
        ratios[3 * n / 4]
    )
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
