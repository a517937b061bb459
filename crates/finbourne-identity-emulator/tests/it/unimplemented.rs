//! Operations without state answer 501 naming the operation; unknown routes answer 404/405.

use finbourne_identity_emulator::Emulator;
use finbourne_identity_emulator::operations::{is_implemented, operations};
use reqwest::{Method, StatusCode};

use crate::common::{api, client, problem};

#[tokio::test]
async fn every_unimplemented_operation_answers_501_naming_it() {
    let emu = Emulator::start().await.unwrap();
    let pat = emu.issue_access_token();
    let client = client();
    let mut checked = 0;
    for op in operations().iter().filter(|op| !is_implemented(op)) {
        let path: String = op
            .path
            .split('/')
            .map(|seg| if seg.starts_with('{') { "x1" } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        let method = Method::from_bytes(op.method.as_bytes()).unwrap();
        let mut request = client.request(method, api(&emu, &path)).bearer_auth(&pat);
        if ["POST", "PUT"].contains(&op.method) {
            request = request.json(&serde_json::json!({}));
        }
        let response = request.send().await.unwrap();
        let body = problem(response, StatusCode::NOT_IMPLEMENTED).await;
        let detail = body["detail"].as_str().unwrap();
        assert!(detail.contains(op.operation_id), "{detail}");
        assert_eq!(body["errorDetails"][0]["operationId"], op.operation_id);
        checked += 1;
    }
    let implemented = operations().iter().filter(|op| is_implemented(op)).count();
    // None once every operation of the table is served (coverage.rs names the ones left).
    assert_eq!(checked, operations().len() - implemented);
}

#[tokio::test]
async fn literal_segments_route_before_parameters() {
    let emu = Emulator::start().await.unwrap();
    let pat = emu.issue_access_token();
    let client = client();
    // /api/users/schema is GetUserSchema, not GetUser with id "schema" (404).
    let response = client
        .get(api(&emu, "/api/users/schema"))
        .bearer_auth(&pat)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let schema: serde_json::Value = response.json().await.unwrap();
    assert!(schema["alternativeUserIds"].is_array(), "{schema}");
    // A percent-encoded `$` routes the same: UnlockUser, which refuses a user not locked out.
    let me: serde_json::Value = client
        .get(api(&emu, "/api/me"))
        .bearer_auth(&pat)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = me["id"].as_str().unwrap();
    let body = problem(
        client
            .post(api(&emu, &format!("/api/users/{id}/lifecycle/%24unlock")))
            .bearer_auth(&pat)
            .send()
            .await
            .unwrap(),
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(body["code"], 706, "{body}");
}

#[tokio::test]
async fn unknown_paths_and_methods() {
    let emu = Emulator::start().await.unwrap();
    let pat = emu.issue_access_token();
    let client = client();
    problem(
        client
            .get(api(&emu, "/api/no/such/thing"))
            .bearer_auth(&pat)
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
    let response = client
        .patch(api(&emu, "/api/identityprovider/scim"))
        .bearer_auth(&pat)
        .send()
        .await
        .unwrap();
    let allow = response
        .headers()
        .get("allow")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(allow, "DELETE, PUT");
    problem(response, StatusCode::METHOD_NOT_ALLOWED).await;
    problem(
        client
            .get(format!("{}/elsewhere", emu.base_url()))
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
}
