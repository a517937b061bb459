//! One-off answers by operationId: a status with a body, a delay, then state again.

use std::time::Duration;

use finbourne_identity_emulator::http::StatusCode as EmuStatus;
use finbourne_identity_emulator::{Emulator, SeedUser};
use reqwest::StatusCode;
use serde_json::json;

use crate::common::{api, client, json, problem};

async fn emulator() -> Emulator {
    Emulator::builder()
        .seed_user(SeedUser::new("jo.bloggs@example.com").id("00u-jo"))
        .seed_access_token("jo-token", "jo.bloggs@example.com")
        .start()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_status_and_body_for_the_next_n_calls_then_state() {
    let emu = emulator().await;
    let client = client();
    emu.answers().on("GetUser").times(2).respond(
        EmuStatus::NOT_FOUND,
        json!({"name": "UserNotFound", "code": 657, "title": "Not found", "status": 404, "detail": "programmed"}),
    );
    assert_eq!(emu.answers().pending(), 2);
    for _ in 0..2 {
        let response = client
            .get(api(&emu, "/api/users/00u-jo"))
            .bearer_auth("jo-token")
            .send()
            .await
            .unwrap();
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        let body = problem(response, StatusCode::NOT_FOUND).await;
        assert_eq!(body["detail"], "programmed");
    }
    let response = client
        .get(api(&emu, "/api/users/00u-jo"))
        .bearer_auth("jo-token")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(json(response).await["id"], "00u-jo");
    assert_eq!(emu.answers().pending(), 0);
    // Programmed answers are journaled like any request.
    assert_eq!(emu.journal().len(), 3);
}

#[tokio::test]
async fn only_the_named_operation_is_answered() {
    let emu = emulator().await;
    let client = client();
    emu.answers()
        .on("GetUser")
        .always()
        .respond_status(EmuStatus::BAD_GATEWAY);
    // GetUserSchema has a path GetUser's template would match; it is another operation.
    let response = client
        .get(api(&emu, "/api/users/schema"))
        .bearer_auth("jo-token")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    // Other methods on the same path are other operations too.
    let response = client
        .delete(api(&emu, "/api/users/00u-jo"))
        .bearer_auth("jo-token")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    for id in ["00u-jo", "anyone"] {
        let response = client
            .get(api(&emu, &format!("/api/users/{id}")))
            .bearer_auth("jo-token")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    }
    emu.answers().clear();
    let response = client
        .get(api(&emu, "/api/users/anyone"))
        .bearer_auth("jo-token")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

/// A delay on Tokio's clock: with paused time the test does not wait for real.
#[tokio::test(start_paused = true)]
async fn a_delay_then_the_normal_answer() {
    let emu = emulator().await;
    let client = client();
    emu.answers()
        .on("GetUserInfo")
        .delay(Duration::from_secs(30));
    let started = tokio::time::Instant::now();
    let wall = std::time::Instant::now();
    let response = client
        .get(api(&emu, "/api/me"))
        .bearer_auth("jo-token")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(json(response).await["id"], "00u-jo");
    assert!(started.elapsed() >= Duration::from_secs(30));
    assert!(
        wall.elapsed() < Duration::from_secs(20),
        "{:?}",
        wall.elapsed()
    );
    // Used up: the next call is not delayed.
    let started = tokio::time::Instant::now();
    client
        .get(api(&emu, "/api/me"))
        .bearer_auth("jo-token")
        .send()
        .await
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[tokio::test]
async fn a_dropped_connection_and_raw_answers() {
    let emu = emulator().await;
    let client = client();
    emu.answers().on("ListUsers").drop_connection();
    let err = client
        .get(api(&emu, "/api/users"))
        .bearer_auth("jo-token")
        .send()
        .await
        .unwrap_err();
    assert!(!err.is_status(), "{err}");
    let mut headers = finbourne_identity_emulator::http::HeaderMap::new();
    headers.insert("retry-after", "3".parse().unwrap());
    emu.answers()
        .on("ListUsers")
        .respond_raw(EmuStatus::TOO_MANY_REQUESTS, headers, "slow down");
    let response = client
        .get(api(&emu, "/api/users"))
        .bearer_auth("jo-token")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["retry-after"], "3");
    assert_eq!(response.text().await.unwrap(), "slow down");
}

#[tokio::test]
#[should_panic(expected = "GetUsr")]
async fn a_misspelt_operation_fails_the_test() {
    let emu = Emulator::start().await.unwrap();
    emu.answers()
        .on("GetUsr")
        .respond_status(EmuStatus::BAD_GATEWAY);
}
