//! Applications: their client secrets work at the token endpoint until rotated or deleted.

use finbourne_identity_client::types;
use finbourne_identity_emulator::DEFAULT_SCOPE;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{json, post_token};
use crate::http::{Api, typed};

fn web_app(client_id: &str) -> Value {
    json!({
        "displayName": "Reporting portal",
        "clientId": client_id,
        "type": "web",
        "redirectUris": ["https://portal.example.com/callback"],
    })
}

/// The client credentials grant with these credentials: the status and the JSON answer.
async fn client_credentials(a: &Api, client_id: &str, secret: &str) -> (StatusCode, Value) {
    let response = post_token(
        &a.client,
        &a.emu,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", secret),
        ],
    )
    .await;
    let status = response.status();
    (status, json(response).await)
}

#[tokio::test]
async fn an_application_secret_works_until_it_is_rotated() {
    let a = Api::new().await;
    let created = a
        .expect(
            Method::POST,
            "/api/applications",
            Some(web_app("reporting-portal")),
            StatusCode::OK,
        )
        .await;
    let app: types::OAuthApplication = typed(&created);
    assert_eq!(app.type_, "Web");
    assert_eq!(app.client_id, "reporting-portal");
    assert_eq!(app.issuer, format!("{}/oauth2", a.emu.base_url()));
    assert!(app.id.starts_with("0oa"));
    let old_secret = app.secret.clone().expect("the secret, at creation");
    assert!(created.get("redirectUris").is_none(), "{created}");

    // The client signs in with its secret; the token works against the API.
    let (status, token) = client_credentials(&a, &app.client_id, &old_secret).await;
    assert_eq!(status, StatusCode::OK, "{token}");
    let me = a
        .send_as(
            token["access_token"].as_str().unwrap(),
            Method::GET,
            "/api/me",
            None,
        )
        .await;
    assert_eq!(me.status(), StatusCode::OK);

    // The secret is shown only when asked for.
    let path = format!("/api/applications/{}", app.id);
    let got = a.expect(Method::GET, &path, None, StatusCode::OK).await;
    assert!(got.get("secret").is_none(), "{got}");
    let with_secret = a
        .expect(
            Method::GET,
            &format!("{path}?includeSecret=true"),
            None,
            StatusCode::OK,
        )
        .await;
    assert_eq!(with_secret["secret"], old_secret.as_str());
    let listed = a
        .expect(Method::GET, "/api/applications", None, StatusCode::OK)
        .await;
    let apps: Vec<types::OAuthApplication> = typed(&listed);
    assert_eq!(apps.len(), 1);
    assert!(apps[0].secret.is_none());
    let bad = a
        .refused(
            Method::GET,
            &format!("{path}?includeSecret=maybe"),
            None,
            StatusCode::BAD_REQUEST,
        )
        .await;
    assert!(bad["errors"]["includeSecret"].is_array(), "{bad}");

    // Rotation: the old secret is refused, the new one works.
    let rotated = a
        .expect(
            Method::POST,
            &format!("{path}/lifecycle/$newsecret"),
            None,
            StatusCode::OK,
        )
        .await;
    let rotated: types::OAuthApplication = typed(&rotated);
    let new_secret = rotated.secret.expect("the new secret");
    assert_ne!(new_secret, old_secret);
    let (status, refused) = client_credentials(&a, &app.client_id, &old_secret).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(refused["error"], "invalid_client");
    let (status, _) = client_credentials(&a, &app.client_id, &new_secret).await;
    assert_eq!(status, StatusCode::OK);
    let shown = a
        .expect(
            Method::GET,
            &format!("{path}?includeSecret=true"),
            None,
            StatusCode::OK,
        )
        .await;
    assert_eq!(shown["secret"], new_secret.as_str());

    // Deleted: gone, and its secret no longer signs in.
    a.expect(Method::DELETE, &path, None, StatusCode::NO_CONTENT)
        .await;
    let gone = a
        .refused(Method::GET, &path, None, StatusCode::NOT_FOUND)
        .await;
    assert_eq!(gone["code"], 662);
    let (status, _) = client_credentials(&a, &app.client_id, &new_secret).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// A token request with these form fields: the status and the JSON answer.
async fn token_request(a: &Api, pairs: &[(&str, &str)]) -> (StatusCode, Value) {
    let response = post_token(&a.client, &a.emu, pairs).await;
    let status = response.status();
    (status, json(response).await)
}

#[tokio::test]
async fn refresh_tokens_belong_to_the_application_that_got_them() {
    let a = Api::new().await;
    let app: types::OAuthApplication = typed(
        &a.expect(
            Method::POST,
            "/api/applications",
            Some(json!({ "displayName": "CLI", "clientId": "native-cli", "type": "Native" })),
            StatusCode::OK,
        )
        .await,
    );
    let secret = app.secret.unwrap();
    let (status, signed_in) = token_request(
        &a,
        &[
            ("grant_type", "password"),
            ("username", a.emu.username()),
            ("password", a.emu.password()),
            ("scope", DEFAULT_SCOPE),
            ("client_id", "native-cli"),
            ("client_secret", &secret),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{signed_in}");
    let refresh = signed_in["refresh_token"].as_str().unwrap();
    let (status, refreshed) = token_request(
        &a,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("client_id", "native-cli"),
            ("client_secret", &secret),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{refreshed}");
    // Another client may not use it.
    let (status, other) = token_request(
        &a,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("client_id", a.emu.client_id()),
            ("client_secret", a.emu.client_secret()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{other}");
    assert_eq!(other["error"], "invalid_grant");
}

#[tokio::test]
async fn applications_are_checked() {
    let a = Api::new().await;
    a.expect(
        Method::POST,
        "/api/applications",
        Some(web_app("reporting-portal")),
        StatusCode::OK,
    )
    .await;
    let twice = a
        .refused(
            Method::POST,
            "/api/applications",
            Some(web_app("Reporting-Portal")),
            StatusCode::CONFLICT,
        )
        .await;
    assert_eq!(twice["code"], 144);
    let configured = a.emu.client_id().to_owned();
    a.refused(
        Method::POST,
        "/api/applications",
        Some(web_app(&configured)),
        StatusCode::CONFLICT,
    )
    .await;
    let missing = a
        .refused(
            Method::POST,
            "/api/applications",
            Some(json!({ "displayName": "x", "clientId": "client-x" })),
            StatusCode::BAD_REQUEST,
        )
        .await;
    assert_eq!(
        missing["errors"]["type"][0], "The type field is required.",
        "{missing}"
    );
    let wrong = a
        .refused(
            Method::POST,
            "/api/applications",
            Some(json!({ "displayName": "x", "clientId": "1abc", "type": "Spa", "redirectUris": ["not a uri"] })),
            StatusCode::BAD_REQUEST,
        )
        .await;
    for field in ["type", "clientId", "redirectUris[0]"] {
        assert!(wrong["errors"][field].is_array(), "{field}: {wrong}");
    }
    for (method, path) in [
        (Method::GET, "/api/applications/0oaNoSuchApp"),
        (Method::DELETE, "/api/applications/0oaNoSuchApp"),
        (
            Method::POST,
            "/api/applications/0oaNoSuchApp/lifecycle/$newsecret",
        ),
    ] {
        let body = a.refused(method, path, None, StatusCode::NOT_FOUND).await;
        assert_eq!(body["code"], 662, "{path}");
    }
}
