//! Helpers shared by the integration tests.

use finbourne_identity_emulator::{DEFAULT_SCOPE, Emulator};
use reqwest::header::CONTENT_TYPE;
use reqwest::{Client, Response, StatusCode};
use serde_json::Value;

/// A client that never uses a proxy (tests talk to 127.0.0.1 only).
pub fn client() -> Client {
    Client::builder()
        .no_proxy()
        .build()
        .expect("reqwest client")
}

/// A client that opens a new connection for every request.
pub fn fresh_client() -> Client {
    Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(0)
        .build()
        .expect("reqwest client")
}

/// Form-encodes pairs.
pub fn form(pairs: &[(&str, &str)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

/// POSTs a form to the token endpoint.
pub async fn post_token(client: &Client, emu: &Emulator, pairs: &[(&str, &str)]) -> Response {
    client
        .post(emu.token_url())
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("Accept", "application/json")
        .body(form(pairs))
        .send()
        .await
        .expect("token request")
}

/// Signs in with the password grant and the emulator's first user; returns the JSON answer.
pub async fn sign_in(client: &Client, emu: &Emulator) -> Value {
    let response = post_token(
        client,
        emu,
        &[
            ("grant_type", "password"),
            ("username", emu.username()),
            ("password", emu.password()),
            ("scope", DEFAULT_SCOPE),
            ("client_id", emu.client_id()),
            ("client_secret", emu.client_secret()),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("token JSON")
}

/// The URL of an Identity API path such as `/api/users`.
pub fn api(emu: &Emulator, path: &str) -> String {
    format!("{}{}", emu.identity_url(), path)
}

/// Reads a JSON body.
pub async fn json(response: Response) -> Value {
    response.json().await.expect("JSON body")
}

/// Asserts `LusidProblemDetails` with this status and returns it.
pub async fn problem(response: Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status);
    let body = json(response).await;
    assert!(body["name"].is_string(), "{body}");
    assert!(body["code"].is_i64(), "{body}");
    assert!(body["title"].is_string(), "{body}");
    assert!(body["detail"].is_string(), "{body}");
    assert_eq!(body["status"], status.as_u16(), "{body}");
    body
}
