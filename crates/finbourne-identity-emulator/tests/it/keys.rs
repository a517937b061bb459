//! Personal access tokens: a created key is a bearer token until it is deleted or deactivated;
//! `InvalidateToken` ends the token it is called with.

use std::time::Duration;

use finbourne_identity_client::types;
use finbourne_identity_emulator::Emulator;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::http::{Api, typed};

#[tokio::test]
async fn a_created_key_works_until_it_is_deleted() {
    let a = Api::new().await;
    let created = a
        .expect(
            Method::POST,
            "/api/keys",
            Some(json!({ "displayName": "ci" })),
            StatusCode::OK,
        )
        .await;
    let key: types::CreatedApiKey = typed(&created);
    assert_eq!(key.display_name, "ci");
    assert!(key.deactivation_date.is_none());

    // The key is a bearer token acting as its creator.
    let me = a
        .send_as(&key.key, Method::GET, "/api/me", None)
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(me["id"], a.my_id().await.as_str());

    // Listed without its value.
    let listed = a
        .expect(Method::GET, "/api/keys", None, StatusCode::OK)
        .await;
    let keys: Vec<types::ApiKey> = typed(&listed);
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].id, key.id);
    assert_eq!(keys[0].created_date, key.created_date);
    assert!(listed[0].get("key").is_none(), "{listed}");
    assert!(!listed.to_string().contains(&key.key));

    // Deleting answers its metadata, and the key stops working at once.
    let deleted = a
        .expect(
            Method::DELETE,
            &format!("/api/keys/{}", key.id),
            None,
            StatusCode::OK,
        )
        .await;
    let deleted: types::ApiKey = typed(&deleted);
    assert_eq!(deleted.id, key.id);
    let response = a.send_as(&key.key, Method::GET, "/api/me", None).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let listed = a
        .expect(Method::GET, "/api/keys", None, StatusCode::OK)
        .await;
    assert_eq!(listed, json!([]));
    let gone = a
        .refused(
            Method::DELETE,
            &format!("/api/keys/{}", key.id),
            None,
            StatusCode::NOT_FOUND,
        )
        .await;
    assert_eq!(gone["code"], 239);
}

#[tokio::test]
async fn a_key_stops_at_its_deactivation_date_on_the_emulator_clock() {
    let a = Api::new().await;
    let ends = a.emu.now() + chrono::Duration::hours(1);
    let created = a
        .expect(
            Method::POST,
            "/api/keys",
            Some(json!({ "displayName": "short", "deactivationDate": ends.to_rfc3339() })),
            StatusCode::OK,
        )
        .await;
    let key: types::CreatedApiKey = typed(&created);
    assert_eq!(key.deactivation_date, Some(ends));
    let works = a.send_as(&key.key, Method::GET, "/api/me", None).await;
    assert_eq!(works.status(), StatusCode::OK);
    // An active key holds its name.
    let taken = a
        .refused(
            Method::POST,
            "/api/keys",
            Some(json!({ "displayName": "short" })),
            StatusCode::CONFLICT,
        )
        .await;
    assert_eq!(taken["code"], 659);

    a.emu.advance_clock(Duration::from_secs(3601));
    let expired = a.send_as(&key.key, Method::GET, "/api/me", None).await;
    assert_eq!(expired.status(), StatusCode::UNAUTHORIZED);
    // Still listed (it exists), and its name is free again.
    let listed = a
        .expect(Method::GET, "/api/keys", None, StatusCode::OK)
        .await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    a.expect(
        Method::POST,
        "/api/keys",
        Some(json!({ "displayName": "short" })),
        StatusCode::OK,
    )
    .await;
}

#[tokio::test]
async fn keys_are_checked_and_private_to_their_owner() {
    let emu = Emulator::builder()
        .user("alice@example.com", "alice-password-1")
        .user("bob@example.com", "bob-password-12")
        .start()
        .await
        .unwrap();
    let a = Api::with(emu);
    let missing = a
        .refused(
            Method::POST,
            "/api/keys",
            Some(json!({})),
            StatusCode::BAD_REQUEST,
        )
        .await;
    assert!(missing["errors"]["displayName"].is_array(), "{missing}");
    let past = a
        .refused(
            Method::POST,
            "/api/keys",
            Some(json!({ "displayName": "old", "deactivationDate": "2000-01-01T00:00:00Z" })),
            StatusCode::BAD_REQUEST,
        )
        .await;
    assert!(past["errors"]["deactivationDate"].is_array(), "{past}");

    let alices = a
        .expect(
            Method::POST,
            "/api/keys",
            Some(json!({ "displayName": "mine" })),
            StatusCode::OK,
        )
        .await;
    let bob = a.signed_in("bob@example.com", "bob-password-12").await;
    let bobs_list = a.send_as(&bob, Method::GET, "/api/keys", None).await;
    assert_eq!(
        bobs_list.json::<serde_json::Value>().await.unwrap(),
        json!([])
    );
    let stolen = a
        .send_as(
            &bob,
            Method::DELETE,
            &format!("/api/keys/{}", alices["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(stolen.status(), StatusCode::NOT_FOUND);
    // Bob may use the same name: names are per user.
    let bobs = a
        .send_as(
            &bob,
            Method::POST,
            "/api/keys",
            Some(json!({ "displayName": "mine" })),
        )
        .await;
    assert_eq!(bobs.status(), StatusCode::OK);
}

#[tokio::test]
async fn invalidate_token_ends_the_token_it_is_called_with() {
    let a = Api::new().await;
    let username = a.emu.username().to_owned();
    let password = a.emu.password().to_owned();
    let first = a.signed_in(&username, &password).await;
    let second = a.signed_in(&username, &password).await;
    let response = a.send_as(&first, Method::DELETE, "/api/tokens", None).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let after = a.send_as(&first, Method::GET, "/api/me", None).await;
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
    let other = a.send_as(&second, Method::GET, "/api/me", None).await;
    assert_eq!(other.status(), StatusCode::OK);
}
