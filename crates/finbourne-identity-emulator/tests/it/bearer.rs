//! The bearer check on the Identity API, personal access tokens and GetUserInfo.

use std::time::Duration;

use finbourne_identity_emulator::Emulator;
use reqwest::StatusCode;

use crate::common::{api, client, json, problem, sign_in};

async fn assert_unauthorised(response: reqwest::Response) {
    let www = response
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .expect("WWW-Authenticate");
    assert!(www.starts_with("Bearer"), "{www}");
    let body = problem(response, StatusCode::UNAUTHORIZED).await;
    assert_eq!(body["status"], 401);
}

#[tokio::test]
async fn missing_token_is_401() {
    let emu = Emulator::start().await.unwrap();
    let response = client().get(api(&emu, "/api/me")).send().await.unwrap();
    assert_unauthorised(response).await;
    // Even an unimplemented operation checks the token first.
    let response = client()
        .get(api(&emu, "/api/applications"))
        .send()
        .await
        .unwrap();
    assert_unauthorised(response).await;
    // Basic credentials are not a bearer token.
    let response = client()
        .get(api(&emu, "/api/users"))
        .basic_auth("a", Some("b"))
        .send()
        .await
        .unwrap();
    assert_unauthorised(response).await;
}

#[tokio::test]
async fn unknown_token_is_401() {
    let emu = Emulator::start().await.unwrap();
    let response = client()
        .get(api(&emu, "/api/me"))
        .bearer_auth("not-a-token-the-emulator-issued")
        .send()
        .await
        .unwrap();
    assert_unauthorised(response).await;
}

#[tokio::test]
async fn expired_token_is_401() {
    let emu = Emulator::builder()
        .token_lifetime(Duration::from_secs(60))
        .start()
        .await
        .unwrap();
    let client = client();
    let access = sign_in(&client, &emu).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let me = || client.get(api(&emu, "/api/me")).bearer_auth(&access).send();
    assert_eq!(me().await.unwrap().status(), StatusCode::OK);
    emu.advance_clock(Duration::from_secs(61));
    assert_unauthorised(me().await.unwrap()).await;

    // expire_access_token ends a token at once.
    let access = sign_in(&client, &emu).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let me = || client.get(api(&emu, "/api/me")).bearer_auth(&access).send();
    assert_eq!(me().await.unwrap().status(), StatusCode::OK);
    assert!(emu.expire_access_token(&access));
    assert_unauthorised(me().await.unwrap()).await;
}

#[tokio::test]
async fn personal_access_tokens_work() {
    let emu = Emulator::builder()
        .user("pat.user@example.com", "pw")
        .personal_access_token("my-fixed-pat")
        .token_lifetime(Duration::from_secs(1))
        .start()
        .await
        .unwrap();
    let client = client();
    let issued = emu.issue_access_token();
    // PATs do not expire with the OAuth token lifetime.
    emu.advance_clock(Duration::from_secs(3600 * 24 * 365));
    for token in ["my-fixed-pat", issued.as_str()] {
        let response = client
            .get(api(&emu, "/api/me"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let me = json(response).await;
        assert_eq!(me["emailAddress"], "pat.user@example.com");
        assert_eq!(me["type"], "Personal");
        assert!(me["id"].as_str().is_some_and(|id| !id.is_empty()));
        assert!(me["groups"].is_array());
    }
    assert!(emu.expire_access_token(&issued));
    let response = client
        .get(api(&emu, "/api/me"))
        .bearer_auth(&issued)
        .send()
        .await
        .unwrap();
    assert_unauthorised(response).await;
}
