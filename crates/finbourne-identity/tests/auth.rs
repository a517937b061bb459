//! Tokens: one sign-in for many calls, refresh ahead of expiry, sign-in again when the refresh
//! token is refused, 429 from the token endpoint, one renewal after a 401, token files.

mod common;

use std::time::Duration;

use common::*;
use finbourne_identity::{ConfigLoader, Error, ScimTokenAction};
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, ResponseTemplate};

const SCIM: &str = "/api/identityprovider/scim";

#[tokio::test]
async fn two_hundred_concurrent_calls_on_an_expired_token_make_one_token_request() {
    let service = Service::start(1).await;
    answer(&service.server, "PUT", SCIM, scim_answer()).await;
    let identity = service.client();
    identity.add_scim(ScimTokenAction::Ensure).await.unwrap();
    assert_eq!(service.token_requests(), 1);

    past_expiry().await;
    let calls = (0..200).map(|_| {
        let identity = identity.clone();
        tokio::spawn(async move { identity.add_scim(ScimTokenAction::Ensure).await })
    });
    for call in futures_join(calls).await {
        call.unwrap();
    }
    assert_eq!(
        service.token_requests(),
        2,
        "exactly one token request for 200 calls"
    );
    let refresh = &service.token_endpoint_requests().await[1];
    let form = String::from_utf8_lossy(&refresh.body);
    assert!(
        form.contains("grant_type=refresh_token") && form.contains("refresh_token=refresh-1"),
        "{form}"
    );
    assert_eq!(identity.token_requests(), 2);
}

async fn futures_join<T>(tasks: impl Iterator<Item = tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::new();
    for task in tasks.collect::<Vec<_>>() {
        out.push(task.await.expect("task finished"));
    }
    out
}

#[tokio::test]
async fn the_refresh_grant_uses_basic_auth_and_the_same_scope() {
    let service = Service::start(1).await;
    answer(&service.server, "DELETE", SCIM, ResponseTemplate::new(204)).await;
    let identity = service.client();
    identity.remove_scim().await.unwrap();
    past_expiry().await;
    identity.remove_scim().await.unwrap();

    let refresh = &service.token_endpoint_requests().await[1];
    let expected = format!("Basic {}", base64(&format!("{CLIENT_ID}:{CLIENT_SECRET}")));
    assert_eq!(
        refresh
            .headers
            .get("authorization")
            .unwrap()
            .to_str()
            .unwrap(),
        expected
    );
    let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&refresh.body).unwrap();
    assert_eq!(
        form,
        [
            ("grant_type".into(), "refresh_token".into()),
            ("scope".into(), "openid client groups offline_access".into()),
            ("refresh_token".into(), "refresh-1".into()),
        ]
    );
    let api = service.api_requests().await;
    assert_eq!(
        api[1].headers.get("authorization").unwrap(),
        "Bearer access-2"
    );
}

fn base64(text: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = text.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[tokio::test]
async fn a_refused_refresh_token_signs_in_again() {
    let service = Service::start(1).await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .and(body_string_contains("grant_type=refresh_token"))
        .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "error": "invalid_grant", "error_description": "The refresh token is invalid or expired."})))
        .with_priority(1)
        .mount(&service.server)
        .await;
    answer(&service.server, "DELETE", SCIM, ResponseTemplate::new(204)).await;
    let identity = service.client();
    identity.remove_scim().await.unwrap();
    past_expiry().await;
    identity.remove_scim().await.unwrap();

    let grants: Vec<String> = service
        .token_endpoint_requests()
        .await
        .iter()
        .map(|r| {
            String::from_utf8_lossy(&r.body)
                .split('&')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        grants,
        [
            "grant_type=password",
            "grant_type=refresh_token",
            "grant_type=password"
        ]
    );
    assert_eq!(
        service.api_requests().await[1]
            .headers
            .get("authorization")
            .unwrap(),
        "Bearer access-2"
    );
}

#[tokio::test]
async fn a_401_mid_session_renews_the_token_once_and_repeats_the_call() {
    let service = Service::start(3600).await;
    answer_times(
        &service.server,
        "DELETE",
        SCIM,
        1,
        ResponseTemplate::new(401),
    )
    .await;
    answer(&service.server, "DELETE", SCIM, ResponseTemplate::new(204)).await;
    service.client().remove_scim().await.unwrap();
    let api = service.api_requests().await;
    assert_eq!(api.len(), 2);
    assert_eq!(
        api[0].headers.get("authorization").unwrap(),
        "Bearer access-1"
    );
    assert_eq!(
        api[1].headers.get("authorization").unwrap(),
        "Bearer access-2"
    );
}

#[tokio::test]
async fn a_second_401_is_final() {
    let service = Service::start(3600).await;
    answer(&service.server, "DELETE", SCIM, ResponseTemplate::new(401)).await;
    match service.client().remove_scim().await {
        Err(Error::Api(e)) => assert_eq!(e.status(), 401),
        other => panic!("expected the 401, got {other:?}"),
    }
    assert_eq!(
        service.api_requests().await.len(),
        2,
        "repeated once, not more"
    );
}

#[tokio::test]
async fn token_endpoint_429_is_honoured() {
    let service = Service::start(3600).await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&service.server)
        .await;
    answer(&service.server, "DELETE", SCIM, ResponseTemplate::new(204)).await;
    let started = std::time::Instant::now();
    service.client().remove_scim().await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(service.token_endpoint_requests().await.len(), 3);
}

#[tokio::test]
async fn token_endpoint_failure_is_an_authentication_error_with_the_oauth_error() {
    let service = Service::start(3600).await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!({
            "error": "invalid_client", "error_description": "Client authentication failed."})))
        .with_priority(1)
        .mount(&service.server)
        .await;
    answer(&service.server, "DELETE", SCIM, ResponseTemplate::new(204)).await;
    match service.client().remove_scim().await {
        Err(Error::Authentication(e)) => {
            assert_eq!(e.status().map(|s| s.as_u16()), Some(401));
            assert_eq!(e.oauth_error(), Some("invalid_client"));
            assert_eq!(e.description(), Some("Client authentication failed."));
        }
        other => panic!("expected an authentication error, got {other:?}"),
    }
    assert!(
        service.api_requests().await.is_empty(),
        "no API call without a token"
    );
}

#[tokio::test]
async fn token_endpoint_error_text_is_shown_with_control_characters_escaped() {
    let service = Service::start(3600).await;
    let (error, description) = (
        "invalid_grant\u{1b}[2J",
        "Bad\u{7} password\u{9b}31m\nForged: line\r\u{1b}]0;title\u{7}\u{202e}",
    );
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(
                serde_json::json!({"error": error, "error_description": description}),
            ),
        )
        .with_priority(1)
        .mount(&service.server)
        .await;
    match service.client().remove_scim().await {
        Err(Error::Authentication(e)) => {
            let shown = e.to_string();
            assert!(!shown.chars().any(char::is_control), "{shown:?}");
            assert!(
                shown.ends_with(
                    ": invalid_grant\\u{1b}[2J (Bad\\u{7} password\\u{9b}31m\\u{a}Forged: \
                     line\\u{d}\\u{1b}]0;title\\u{7}\\u{202e})"
                ),
                "{shown}"
            );
            // Code reading the fields gets the server's text as it came.
            assert_eq!(e.oauth_error(), Some(error));
            assert_eq!(e.description(), Some(description));
            let whole = Error::Authentication(e).to_string();
            assert!(!whole.chars().any(char::is_control), "{whole:?}");
        }
        other => panic!("expected an authentication error, got {other:?}"),
    }
}

#[tokio::test]
async fn token_endpoint_500_is_an_authentication_error() {
    let service = Service::start(3600).await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(500))
        .with_priority(1)
        .mount(&service.server)
        .await;
    let result = service.client().add_scim(ScimTokenAction::Ensure).await;
    assert!(
        matches!(&result, Err(Error::Authentication(e)) if e.status().map(|s| s.as_u16()) == Some(500)),
        "{result:?}"
    );
}

/// Answers 401 after another process has put a new token in the file.
struct RotateThenRefuse(std::path::PathBuf);

impl wiremock::Respond for RotateThenRefuse {
    fn respond(&self, _: &wiremock::Request) -> ResponseTemplate {
        std::fs::write(&self.0, "file-token-2\n").unwrap();
        ResponseTemplate::new(401)
    }
}

#[tokio::test]
async fn a_token_file_is_read_again_after_a_401() {
    let service = Service::start(3600).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, "file-token-1\n").unwrap();
    Mock::given(method("DELETE"))
        .and(path(format!("/identity{SCIM}")))
        .and(wiremock::matchers::header(
            "authorization",
            "Bearer file-token-1",
        ))
        .respond_with(RotateThenRefuse(file.clone()))
        .with_priority(1)
        .mount(&service.server)
        .await;
    answer(&service.server, "DELETE", SCIM, ResponseTemplate::new(204)).await;
    let config = ConfigLoader::new()
        .environment(|_| None)
        .no_secrets_file()
        .identity_url(service.identity_url())
        .access_token_file(&file)
        .load()
        .unwrap();
    client_for(config).remove_scim().await.unwrap();
    let bearers: Vec<String> = service
        .api_requests()
        .await
        .iter()
        .map(|r| {
            r.headers
                .get("authorization")
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(bearers, ["Bearer file-token-1", "Bearer file-token-2"]);
}

#[tokio::test]
async fn the_token_expiry_is_known_after_a_grant_and_unknown_for_an_access_token() {
    let service = Service::start(1).await;
    answer(&service.server, "DELETE", SCIM, ResponseTemplate::new(204)).await;
    let identity = service.client();
    assert_eq!(identity.token_expires_at(), None, "no token yet");
    let before = tokio::time::Instant::now();
    identity.remove_scim().await.unwrap();
    let expires_at = identity.token_expires_at().expect("the grant's expires_in");
    assert!(
        expires_at > before && expires_at <= tokio::time::Instant::now() + Duration::from_secs(1)
    );

    let with_token = finbourne_identity::IdentityClient::new(
        ConfigLoader::new()
            .environment(|_| None)
            .no_secrets_file()
            .identity_url(format!("{}/identity", service.server.uri()))
            .access_token("a-personal-access-token")
            .load()
            .unwrap(),
    )
    .unwrap();
    with_token.remove_scim().await.unwrap();
    assert_eq!(
        with_token.token_expires_at(),
        None,
        "a PAT's end is not known"
    );
}
