//! What the tests of the auth modules share: a token endpoint pointed at a local server.

use std::sync::Arc;
use std::time::Duration;

use finbourne_identity_emulator::Emulator;

use super::TokenEndpoint;
use crate::config::PasswordCredentials;
use crate::retry::StandardRetry;

/// An HTTP client that follows no redirect, as the pipeline builds the token endpoint's.
pub(super) fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a plain client builds")
}

/// The emulator's credentials, for `token_url`.
pub(super) fn credentials(emulator: &Emulator, token_url: &str) -> PasswordCredentials {
    PasswordCredentials {
        token_url: token_url.parse().expect("a valid token URL"),
        username: emulator.username().to_owned(),
        password: emulator.password().to_owned().into(),
        client_id: emulator.client_id().to_owned(),
        client_secret: emulator.client_secret().to_owned().into(),
    }
}

/// The emulator's credentials sent to `token_url` with `http`, with the token requests' budgets
/// and exact (jitter-free) backoff.
pub(super) fn endpoint_at(
    emulator: &Emulator,
    token_url: &str,
    http: reqwest::Client,
) -> TokenEndpoint {
    TokenEndpoint::new(
        http,
        credentials(emulator, token_url),
        Arc::new(StandardRetry::new(4, 0).with_jitter(Duration::ZERO)),
    )
}

/// A 127.0.0.1 address nothing listens on.
pub(super) async fn refusing_address() -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    listener.local_addr().expect("a bound address")
}
