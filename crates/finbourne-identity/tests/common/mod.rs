//! A mock Identity service and token endpoint on 127.0.0.1 for the SDK's tests.
#![allow(dead_code)] // each test binary uses part of this module

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use finbourne_identity::{Config, ConfigLoader, IdentityClient, StandardRetry};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const TOKEN_PATH: &str = "/oauth2/token";
pub const USERNAME: &str = "ada@example.com";
pub const PASSWORD: &str = "pa55-word-PLANTED";
pub const CLIENT_ID: &str = "client-id-1";
pub const CLIENT_SECRET: &str = "client-secret-PLANTED";

/// Issues `access-N` / `refresh-N` tokens with a fixed lifetime, counting requests.
#[derive(Clone)]
pub struct TokenIssuer {
    pub issued: Arc<AtomicUsize>,
    pub expires_in: u64,
}

impl Respond for TokenIssuer {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
        ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": format!("access-{n}"),
            "refresh_token": format!("refresh-{n}"),
            "expires_in": self.expires_in,
            "token_type": "Bearer"
        }))
    }
}

pub struct Service {
    pub server: MockServer,
    pub tokens: TokenIssuer,
}

impl Service {
    /// A server whose token endpoint issues tokens living `expires_in` seconds.
    pub async fn start(expires_in: u64) -> Self {
        let server = MockServer::start().await;
        let tokens = TokenIssuer {
            issued: Arc::new(AtomicUsize::new(0)),
            expires_in,
        };
        Mock::given(method("POST"))
            .and(path(TOKEN_PATH))
            .respond_with(tokens.clone())
            .with_priority(10)
            .mount(&server)
            .await;
        Self { server, tokens }
    }

    /// A service whose `remove_scim` answers 204: the simplest call, for tests of what every
    /// call sends.
    pub async fn removing_scim() -> Self {
        let service = Self::start(3600).await;
        answer(
            &service.server,
            "DELETE",
            "/api/identityprovider/scim",
            ResponseTemplate::new(204),
        )
        .await;
        service
    }

    pub fn identity_url(&self) -> String {
        format!("{}/identity", self.server.uri())
    }

    pub fn token_url(&self) -> String {
        format!("{}{TOKEN_PATH}", self.server.uri())
    }

    pub fn token_requests(&self) -> usize {
        self.tokens.issued.load(Ordering::SeqCst)
    }

    /// Requests that reached `/identity/api/...`.
    pub async fn api_requests(&self) -> Vec<Request> {
        let all = self.server.received_requests().await.unwrap_or_default();
        all.into_iter()
            .filter(|r| r.url.path().starts_with("/identity/api/"))
            .collect()
    }

    /// Requests that reached the token endpoint.
    pub async fn token_endpoint_requests(&self) -> Vec<Request> {
        let all = self.server.received_requests().await.unwrap_or_default();
        all.into_iter()
            .filter(|r| r.url.path() == TOKEN_PATH)
            .collect()
    }

    /// A loader with password credentials for this server and no other source.
    pub fn loader(&self) -> ConfigLoader {
        ConfigLoader::new()
            .environment(|_| None)
            .no_secrets_file()
            .identity_url(self.identity_url())
            .token_url(self.token_url())
            .username(USERNAME)
            .password(PASSWORD)
            .client_id(CLIENT_ID)
            .client_secret(CLIENT_SECRET)
    }

    pub fn config(&self) -> Config {
        self.loader().load().expect("test configuration is valid")
    }

    /// A client with exact (jitter-free) backoff starting at 10 ms.
    pub fn client(&self) -> IdentityClient {
        client_for(self.config())
    }
}

pub fn client_for(config: Config) -> IdentityClient {
    let policy = StandardRetry::new(config.rate_limit_retries, config.retries)
        .with_jitter(Duration::ZERO)
        .with_first_backoff(Duration::from_millis(10));
    IdentityClient::builder(config)
        .retry_policy(Arc::new(policy))
        .build()
        .expect("client builds")
}

/// Mounts `answer` for `verb` on `/identity{at}`.
pub async fn answer(server: &MockServer, verb: &str, at: &str, answer: ResponseTemplate) {
    Mock::given(method(verb))
        .and(path(format!("/identity{at}")))
        .respond_with(answer)
        .mount(server)
        .await;
}

/// Mounts `answer` for the next `times` matching calls only, ahead of other mocks.
pub async fn answer_times(
    server: &MockServer,
    verb: &str,
    at: &str,
    times: u64,
    answer: ResponseTemplate,
) {
    Mock::given(method(verb))
        .and(path(format!("/identity{at}")))
        .respond_with(answer)
        .up_to_n_times(times)
        .with_priority(1)
        .mount(server)
        .await;
}

pub fn scim_answer() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(serde_json::json!({
        "baseUrl": "https://example.lusid.com/identity/scim/v2",
        "apiToken": "scim-token-PLANTED"
    }))
}

/// A raw HTTP server that closes the first `drops` connections after reading the request,
/// without answering, then answers `204 No Content`. Returns its base URL and a connection count.
pub async fn dropping_server(drops: usize) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let n = count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buffer = [0u8; 4096];
                let _ = socket.read(&mut buffer).await;
                if n >= drops {
                    let _ = socket
                        .write_all(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n")
                        .await;
                }
                // Dropping the socket closes the connection: with no answer for the first ones.
            });
        }
    });
    (format!("http://{address}"), accepted)
}

/// Moves the clock past the 1 s tokens of `Service::start(1)` without waiting for real: the
/// test's clock is paused only for the jump, so the network still runs in real time.
pub async fn past_expiry() {
    tokio::time::pause();
    tokio::time::advance(Duration::from_millis(1100)).await;
    tokio::time::resume();
}

/// Settings for `emulator` (its URL and password grant), as its environment would give them,
/// with no `secrets.json`.
pub fn emulator_loader(emulator: &finbourne_identity_emulator::Emulator) -> ConfigLoader {
    let settings: std::collections::HashMap<_, _> =
        emulator.fbn_environment().into_iter().collect();
    ConfigLoader::new()
        .environment(move |name| settings.get(name).cloned())
        .no_secrets_file()
}
