//! Fault injection: programmed answers, delays and dropped connections, N times then recover;
//! extra fields.

use std::time::{Duration, Instant};

use finbourne_identity_emulator::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use finbourne_identity_emulator::{Emulator, Fault};

use crate::common::{api, client, fresh_client, json, sign_in};

async fn add_scim(
    client: &reqwest::Client,
    emu: &Emulator,
    pat: &str,
) -> reqwest::Result<reqwest::Response> {
    client
        .put(api(emu, "/api/identityprovider/scim"))
        .bearer_auth(pat)
        .send()
        .await
}

#[tokio::test]
async fn respond_n_times_then_recover() {
    let emu = Emulator::start().await.unwrap();
    let pat = emu.issue_access_token();
    let client = client();
    let mut headers = HeaderMap::new();
    headers.insert("x-fault", HeaderValue::from_static("yes"));
    emu.faults()
        .on(Method::PUT, "/api/identityprovider/scim")
        .times(2)
        .respond(
            StatusCode::SERVICE_UNAVAILABLE,
            headers,
            "<html>gateway</html>",
        );
    for _ in 0..2 {
        let response = add_scim(&client, &emu, &pat).await.unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()["x-fault"], "yes");
        assert_eq!(response.text().await.unwrap(), "<html>gateway</html>");
    }
    let response = add_scim(&client, &emu, &pat).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(emu.faults().pending(), 0);
    // Faulted requests are still journaled and counted.
    assert_eq!(emu.counters().api_requests, 3);
    assert_eq!(emu.journal().len(), 3);
}

#[tokio::test]
async fn path_templates_and_other_routes() {
    let emu = Emulator::start().await.unwrap();
    let pat = emu.issue_access_token();
    let client = client();
    emu.faults()
        .on(Method::GET, "/api/users/{id}")
        .always()
        .respond_status(StatusCode::BAD_GATEWAY);
    for id in ["a1", "b2"] {
        let response = client
            .get(api(&emu, &format!("/api/users/{id}")))
            .bearer_auth(&pat)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    }
    // Other routes are untouched.
    let response = client
        .get(api(&emu, "/api/users"))
        .bearer_auth(&pat)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    emu.faults().clear();
    let response = client
        .get(api(&emu, "/api/users/a1"))
        .bearer_auth(&pat)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn token_endpoint_rate_limit_and_server_error_then_recover() {
    let emu = Emulator::start().await.unwrap();
    let client = client();
    emu.faults().on_token_endpoint().inject(
        Fault::json(
            StatusCode::TOO_MANY_REQUESTS,
            &serde_json::json!({"error": "rate_limited"}),
        )
        .with_header(header::RETRY_AFTER, HeaderValue::from_static("1")),
    );
    emu.faults()
        .on_token_endpoint()
        .respond_status(StatusCode::INTERNAL_SERVER_ERROR);
    let form = crate::common::form(&[
        ("grant_type", "password"),
        ("username", emu.username()),
        ("password", emu.password()),
        ("client_id", emu.client_id()),
        ("client_secret", emu.client_secret()),
    ]);
    let send = || {
        client
            .post(emu.token_url())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.clone())
            .send()
    };
    let response = send().await.unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()[header::RETRY_AFTER], "1");
    assert_eq!(json(response).await["error"], "rate_limited");
    assert_eq!(
        send().await.unwrap().status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
    assert_eq!(send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(emu.counters().token_requests_password, 3);
}

#[tokio::test]
async fn delay_then_answer() {
    let emu = Emulator::start().await.unwrap();
    let client = client();
    emu.faults()
        .on_token_endpoint()
        .times(1)
        .delay(Duration::from_millis(300));
    let started = Instant::now();
    sign_in(&client, &emu).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    // Used up: the next call is not delayed by a rule.
    assert_eq!(emu.faults().pending(), 0);
    sign_in(&client, &emu).await;

    // A client timeout shorter than the delay sees a timeout.
    emu.faults()
        .on(Method::GET, "/identity/api/me")
        .delay(Duration::from_millis(500));
    let pat = emu.issue_access_token();
    let err = client
        .get(api(&emu, "/api/me"))
        .bearer_auth(&pat)
        .timeout(Duration::from_millis(100))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
}

#[tokio::test]
async fn drop_connection_n_times_then_recover() {
    let emu = Emulator::start().await.unwrap();
    let pat = emu.issue_access_token();
    for client in [client(), fresh_client()] {
        emu.faults()
            .on(Method::PUT, "/api/identityprovider/scim")
            .times(2)
            .drop_connection();
        // Warm the pool so that the first drop happens on a reused connection.
        let warm = client.get(emu.base_url()).send().await.unwrap();
        assert_eq!(warm.status(), StatusCode::OK);
        let before = emu.counters().connections_accepted;
        for _ in 0..2 {
            let err = add_scim(&client, &emu, &pat).await.unwrap_err();
            assert!(err.status().is_none(), "{err}");
            assert!(err.is_request() || err.is_connect(), "{err:?}");
        }
        let response = add_scim(&client, &emu, &pat).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        // The dropped connections were really closed: later calls needed new ones.
        assert!(emu.counters().connections_accepted >= before + 2);
    }
}

#[tokio::test]
async fn drop_connection_on_token_endpoint() {
    let emu = Emulator::start().await.unwrap();
    let client = client();
    emu.faults().on_token_endpoint().drop_connection();
    let err = client
        .post(emu.token_url())
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=password")
        .send()
        .await
        .unwrap_err();
    assert!(err.status().is_none(), "{err}");
    sign_in(&client, &emu).await;
}

#[tokio::test]
async fn extra_fields_in_json_answers() {
    let emu = Emulator::builder()
        .extra_fields(true)
        .start()
        .await
        .unwrap();
    let client = client();
    let token = sign_in(&client, &emu).await;
    assert!(token.get("emulator_extra_field").is_some());
    let access = token["access_token"].as_str().unwrap();
    let me = json(
        client
            .get(api(&emu, "/api/me"))
            .bearer_auth(access)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(me.get("emulatorExtraField").is_some());
    assert!(me["id"].is_string());

    let role = json(
        client
            .post(api(&emu, "/api/roles"))
            .bearer_auth(access)
            .json(&serde_json::json!({"name": "Extra Role"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(role.get("emulatorExtraField").is_some());
    assert!(role["roleId"].get("emulatorExtraField").is_some());

    // Free-form maps stay maps of the documented value type.
    let bad = json(
        client
            .put(api(&emu, "/api/identityprovider/scim?apiTokenAction=nope"))
            .bearer_auth(access)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(bad.get("emulatorExtraField").is_some());
    let errors = bad["errors"].as_object().unwrap();
    assert!(errors.values().all(|v| v.is_array()));

    emu.set_extra_fields(false);
    let me = json(
        client
            .get(api(&emu, "/api/me"))
            .bearer_auth(access)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(me.get("emulatorExtraField").is_none());
}
