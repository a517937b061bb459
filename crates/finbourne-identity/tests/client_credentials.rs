//! The OAuth2 client credentials grant, end to end against the emulator's token endpoint: the
//! exact form on the wire, one token request for many first calls, signing in again at expiry
//! (no refresh token), and a refusal that shows no secret.

use std::time::Duration;

use finbourne_identity::config::ClientCredentials;
use finbourne_identity::{ConfigLoader, Error, IdentityClient};
use finbourne_identity_emulator::Emulator;
use finbourne_identity_emulator::http::{HeaderMap, HeaderValue, StatusCode};

fn grant(emulator: &Emulator) -> ClientCredentials {
    ClientCredentials::new(
        emulator.token_url(),
        emulator.client_id(),
        emulator.client_secret(),
    )
    .expect("a loopback token URL is usable")
}

fn client(emulator: &Emulator, grant: ClientCredentials) -> IdentityClient {
    let config = ConfigLoader::new()
        .environment(|_| None)
        .no_secrets_file()
        .identity_url(emulator.identity_url())
        .credentials(grant)
        .load()
        .expect("no credential setting is needed");
    IdentityClient::new(config).expect("client builds")
}

fn token_requests(emulator: &Emulator) -> Vec<finbourne_identity_emulator::JournalEntry> {
    emulator
        .journal()
        .into_iter()
        .filter(|entry| entry.path() == "/oauth2/token")
        .collect()
}

#[tokio::test]
async fn a_call_signs_in_with_exactly_the_client_credentials_form() {
    let emulator = Emulator::builder()
        .client_id("svc-client")
        .client_secret("svc secret&=+")
        .start()
        .await
        .unwrap();
    let identity = client(&emulator, grant(&emulator).scope("openid groups"));
    identity.get_user_info().send().await.unwrap();

    let sent = token_requests(&emulator);
    assert_eq!(sent.len(), 1);
    let request = &sent[0];
    assert_eq!(request.method(), "POST");
    assert_eq!(
        request.body_text(),
        "grant_type=client_credentials&scope=openid+groups&client_id=svc-client\
         &client_secret=svc+secret%26%3D%2B"
    );
    assert_eq!(
        request.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(request.header("accept"), Some("application/json"));
    assert_eq!(request.header("authorization"), None);
    assert_eq!(emulator.counters().token_requests_client_credentials, 1);

    // Without a scope the form has none, and the identity provider grants its default.
    let emulator = Emulator::start().await.unwrap();
    client(&emulator, grant(&emulator))
        .get_user_info()
        .send()
        .await
        .unwrap();
    assert_eq!(
        token_requests(&emulator)[0].body_text(),
        format!(
            "grant_type=client_credentials&client_id={}&client_secret={}",
            emulator.client_id(),
            emulator.client_secret()
        )
    );
}

#[tokio::test(start_paused = true)]
async fn without_a_refresh_token_the_client_signs_in_again_ahead_of_expiry() {
    let emulator = Emulator::builder()
        .token_lifetime(Duration::from_secs(10))
        .start()
        .await
        .unwrap();
    let identity = client(&emulator, grant(&emulator));
    identity.get_user_info().send().await.unwrap();
    tokio::time::advance(Duration::from_millis(4900)).await;
    identity.get_user_info().send().await.unwrap();
    assert_eq!(emulator.counters().token_requests(), 1);
    tokio::time::advance(Duration::from_millis(200)).await;
    identity.get_user_info().send().await.unwrap();
    let counters = emulator.counters();
    assert_eq!(counters.token_requests_client_credentials, 2);
    assert_eq!(counters.token_requests_refresh_token, 0);
}

#[tokio::test]
async fn a_wrong_secret_is_an_authentication_error_showing_no_secret() {
    let emulator = Emulator::start().await.unwrap();
    let wrong = ClientCredentials::new(
        emulator.token_url(),
        emulator.client_id(),
        "wrong-PLANTED-secret",
    )
    .unwrap();
    let result = client(&emulator, wrong.clone())
        .get_user_info()
        .send()
        .await;
    let Err(Error::Authentication(error)) = &result else {
        panic!("{result:?}");
    };
    assert_eq!(error.oauth_error(), Some("invalid_client"));
    assert_eq!(error.status(), Some(StatusCode::UNAUTHORIZED));
    let shown = format!("{error} {error:?} {wrong:?}");
    assert!(!shown.contains("PLANTED"), "{shown}");
    assert_eq!(emulator.counters().api_requests, 0);
}

#[tokio::test]
async fn a_redirect_of_the_token_endpoint_is_not_followed_even_within_its_origin() {
    let emulator = Emulator::start().await.unwrap();
    let mut location = HeaderMap::new();
    let same_origin = format!("{}/oauth2/v2/token", emulator.base_url());
    location.insert("location", HeaderValue::from_str(&same_origin).unwrap());
    emulator
        .faults()
        .on_token_endpoint()
        .respond(StatusCode::PERMANENT_REDIRECT, location, "");
    let result = client(&emulator, grant(&emulator))
        .get_user_info()
        .send()
        .await;
    let Err(Error::Authentication(error)) = &result else {
        panic!("{result:?}");
    };
    assert_eq!(error.status(), Some(StatusCode::PERMANENT_REDIRECT));
    let paths: Vec<String> = emulator
        .journal()
        .iter()
        .map(|e| e.path().to_owned())
        .collect();
    assert_eq!(paths, ["/oauth2/token"], "the form went nowhere else");
}

#[test]
fn a_token_url_that_would_send_the_secret_in_clear_is_refused() {
    for url in [
        "http://idp.example.com/token",
        "https://user:pw@idp.example.com/token",
        "idp.example.com/token",
    ] {
        let error = ClientCredentials::new(url, "id", "secret").unwrap_err();
        assert!(error.to_string().contains("token"), "{url}: {error}");
        assert!(!error.to_string().contains("pw@"), "{error}");
    }
}

#[tokio::test]
async fn a_call_that_cannot_be_sent_asks_for_no_token() {
    let emulator = Emulator::start().await.unwrap();
    let identity = client(&emulator, grant(&emulator));

    let refused = identity.get_role().send().await;

    match refused {
        Err(e @ Error::InvalidRequest(_)) => assert_eq!(
            e.to_string(),
            "get_role: invalid request: the required parameter `id` was not set"
        ),
        other => panic!("expected an invalid request, got {other:?}"),
    }
    assert!(
        emulator.journal().is_empty(),
        "nothing was sent, no token asked for"
    );
    // The client is fine: the next call asks for its token and is answered.
    identity.get_user_info().send().await.unwrap();
    assert_eq!(token_requests(&emulator).len(), 1);
}
