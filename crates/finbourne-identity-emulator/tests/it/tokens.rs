//! The OAuth2 token endpoint.

use std::time::Duration;

use finbourne_identity_emulator::{DEFAULT_SCOPE, Emulator};
use reqwest::StatusCode;
use serde_json::Value;

use crate::common::{api, client, json, post_token, sign_in};

async fn oauth_error(response: reqwest::Response, status: StatusCode, error: &str) -> Value {
    assert_eq!(response.status(), status);
    let body = json(response).await;
    assert_eq!(body["error"], error, "{body}");
    assert!(body["error_description"].is_string(), "{body}");
    body
}

#[tokio::test]
async fn password_grant_ok() {
    let emu = Emulator::builder()
        .client_id("client-a")
        .client_secret("secret-a")
        .user("alice@example.com", "pw-alice")
        .start()
        .await
        .unwrap();
    let client = client();
    let answer = sign_in(&client, &emu).await;
    assert_eq!(answer["token_type"], "Bearer");
    assert_eq!(answer["expires_in"], 3600);
    assert_eq!(answer["scope"], DEFAULT_SCOPE);
    let access = answer["access_token"].as_str().unwrap();
    assert!(
        answer["refresh_token"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
    let me = client
        .get(api(&emu, "/api/me"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    assert_eq!(json(me).await["emailAddress"], "alice@example.com");
}

#[tokio::test]
async fn password_grant_bad_password() {
    let emu = Emulator::start().await.unwrap();
    let response = post_token(
        &client(),
        &emu,
        &[
            ("grant_type", "password"),
            ("username", emu.username()),
            ("password", "wrong"),
            ("client_id", emu.client_id()),
            ("client_secret", emu.client_secret()),
        ],
    )
    .await;
    oauth_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn password_grant_bad_client() {
    let emu = Emulator::start().await.unwrap();
    let client = client();
    let response = post_token(
        &client,
        &emu,
        &[
            ("grant_type", "password"),
            ("username", emu.username()),
            ("password", emu.password()),
            ("client_id", emu.client_id()),
            ("client_secret", "wrong"),
        ],
    )
    .await;
    let www = response.headers().get("www-authenticate").cloned();
    oauth_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;
    assert!(www.is_some());
    let response = post_token(
        &client,
        &emu,
        &[
            ("grant_type", "password"),
            ("username", emu.username()),
            ("password", emu.password()),
        ],
    )
    .await;
    oauth_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;
}

#[tokio::test]
async fn bad_requests_answer_oauth_errors() {
    let emu = Emulator::start().await.unwrap();
    let client = client();
    let creds = [
        ("client_id", emu.client_id()),
        ("client_secret", emu.client_secret()),
    ];
    let response = post_token(
        &client,
        &emu,
        &[creds[0], creds[1], ("grant_type", "authorization_code")],
    )
    .await;
    oauth_error(response, StatusCode::BAD_REQUEST, "unsupported_grant_type").await;
    let response = post_token(&client, &emu, &creds).await;
    oauth_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    let response = post_token(
        &client,
        &emu,
        &[creds[0], creds[1], ("grant_type", "password")],
    )
    .await;
    oauth_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    let response = client
        .post(emu.token_url())
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    oauth_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    let response = client.get(emu.token_url()).send().await.unwrap();
    oauth_error(response, StatusCode::METHOD_NOT_ALLOWED, "invalid_request").await;
}

#[tokio::test]
async fn client_credentials_grant_ok_with_the_clients_secret_in_the_form_or_basic() {
    let emu = Emulator::builder()
        .client_id("service-client")
        .client_secret("service-secret")
        .user("svc@example.com", "unused")
        .start()
        .await
        .unwrap();
    let client = client();
    let response = post_token(
        &client,
        &emu,
        &[
            ("grant_type", "client_credentials"),
            ("scope", "api"),
            ("client_id", "service-client"),
            ("client_secret", "service-secret"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let answer = json(response).await;
    assert_eq!(answer["token_type"], "Bearer");
    assert_eq!(answer["expires_in"], 3600);
    assert_eq!(answer["scope"], "api");
    assert!(answer.get("refresh_token").is_none(), "{answer}");
    let me = client
        .get(api(&emu, "/api/me"))
        .bearer_auth(answer["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    assert_eq!(json(me).await["emailAddress"], "svc@example.com");

    let basic = client
        .post(emu.token_url())
        .basic_auth("service-client", Some("service-secret"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), StatusCode::OK);
    assert_eq!(json(basic).await["scope"], DEFAULT_SCOPE);
    assert_eq!(emu.counters().token_requests_client_credentials, 2);
}

#[tokio::test]
async fn client_credentials_grant_with_a_wrong_secret_is_invalid_client() {
    let emu = Emulator::start().await.unwrap();
    let response = post_token(
        &client(),
        &emu,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", emu.client_id()),
            ("client_secret", "wrong"),
        ],
    )
    .await;
    oauth_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;
}

async fn refresh_with_basic(emu: &Emulator, refresh: &str) -> reqwest::Response {
    client()
        .post(emu.token_url())
        .basic_auth(emu.client_id(), Some(emu.client_secret()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(crate::common::form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("scope", DEFAULT_SCOPE),
        ]))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn refresh_grant_ok() {
    let emu = Emulator::start().await.unwrap();
    let client = client();
    let first = sign_in(&client, &emu).await;
    let refresh = first["refresh_token"].as_str().unwrap();
    let response = refresh_with_basic(&emu, refresh).await;
    assert_eq!(response.status(), StatusCode::OK);
    let second = json(response).await;
    assert_ne!(second["access_token"], first["access_token"]);
    assert_eq!(second["token_type"], "Bearer");
    assert_eq!(second["expires_in"], 3600);
    let me = client
        .get(api(&emu, "/api/me"))
        .bearer_auth(second["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);

    // Client credentials in the body work too.
    let response = post_token(
        &client,
        &emu,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("client_id", emu.client_id()),
            ("client_secret", emu.client_secret()),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);

    // Wrong Basic credentials are refused.
    let response = client
        .post(emu.token_url())
        .basic_auth(emu.client_id(), Some("nope"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(crate::common::form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
        ]))
        .send()
        .await
        .unwrap();
    oauth_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;
}

#[tokio::test]
async fn refresh_grant_revoked() {
    let emu = Emulator::start().await.unwrap();
    let first = sign_in(&client(), &emu).await;
    let refresh = first["refresh_token"].as_str().unwrap();
    assert!(emu.revoke_refresh_token(refresh));
    let body = oauth_error(
        refresh_with_basic(&emu, refresh).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
    assert_eq!(
        body["error_description"],
        "The refresh token is invalid or expired."
    );
    let body = oauth_error(
        refresh_with_basic(&emu, "never-issued").await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
    assert_eq!(
        body["error_description"],
        "The refresh token is invalid or expired."
    );

    // A new sign-in gives a working refresh token again; revoke_all ends it.
    let again = sign_in(&client(), &emu).await;
    let refresh = again["refresh_token"].as_str().unwrap();
    assert_eq!(
        refresh_with_basic(&emu, refresh).await.status(),
        StatusCode::OK
    );
    assert_eq!(emu.revoke_all_refresh_tokens(), 1);
    assert_eq!(
        refresh_with_basic(&emu, refresh).await.status(),
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn refresh_token_expires_with_its_lifetime() {
    let emu = Emulator::builder()
        .refresh_token_lifetime(Duration::from_secs(60))
        .start()
        .await
        .unwrap();
    let first = sign_in(&client(), &emu).await;
    let refresh = first["refresh_token"].as_str().unwrap();
    emu.advance_clock(Duration::from_secs(61));
    let body = oauth_error(
        refresh_with_basic(&emu, refresh).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
    assert_eq!(
        body["error_description"],
        "The refresh token is invalid or expired."
    );
}

#[tokio::test]
async fn sub_second_lifetime_rounds_up_and_really_expires() {
    let emu = Emulator::builder()
        .token_lifetime(Duration::from_millis(900))
        .start()
        .await
        .unwrap();
    let client = client();
    let answer = sign_in(&client, &emu).await;
    assert_eq!(answer["expires_in"], 1);
    let access = answer["access_token"].as_str().unwrap();
    let me = |token: String| {
        let client = client.clone();
        let url = api(&emu, "/api/me");
        async move { client.get(url).bearer_auth(token).send().await.unwrap() }
    };
    assert_eq!(me(access.to_owned()).await.status(), StatusCode::OK);
    emu.advance_clock(Duration::from_millis(1100));
    assert_eq!(
        me(access.to_owned()).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

/// The form check is linear in the form's size: a 350 KiB form of 40,000 distinct names whose
/// last name repeats the first took the old quadratic check 40 s (debug build) with every other
/// client of the one-threaded server waiting; now it is milliseconds. The bound is generous, to
/// stay a regression guard on a busy machine without being a timing test.
#[tokio::test]
async fn a_form_of_40000_fields_is_checked_in_linear_time() {
    let emu = Emulator::start().await.unwrap();
    let mut pairs: Vec<(String, String)> = vec![
        ("client_id".into(), emu.client_id().into()),
        ("client_secret".into(), emu.client_secret().into()),
        ("grant_type".into(), "client_credentials".into()),
    ];
    pairs.extend((0..40_000).map(|i| (format!("k{i:05}"), "v".to_owned())));
    pairs.push(("k00000".into(), "again".into()));
    let borrowed: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let started = std::time::Instant::now();
    let response = tokio::time::timeout(
        Duration::from_secs(8),
        post_token(&client(), &emu, &borrowed),
    )
    .await
    .unwrap_or_else(|_| panic!("no answer after {:?}", started.elapsed()));
    let body = oauth_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_eq!(
        body["error_description"],
        "The parameter 'k00000' is repeated."
    );
}
