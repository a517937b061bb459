//! Plants known secrets everywhere a user could supply or receive one, runs the flows that
//! handle them (sign-in, refresh, SCIM, failures), and scans every Debug, Display, error
//! message and trace line for them.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::*;
use finbourne_identity::{ConfigLoader, Error, ScimTokenAction};
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, ResponseTemplate};

const ACCESS: &str = "ACCESS-TOKEN-PLANTED";
const REFRESH: &str = "REFRESH-TOKEN-PLANTED";
const SCIM_TOKEN: &str = "SCIM-TOKEN-PLANTED";
const PAT: &str = "PERSONAL-TOKEN-PLANTED";
const PROXY_PASSWORD: &str = "PROXY-PASSWORD-PLANTED";
const PLANTED: &[&str] = &[
    PASSWORD,
    CLIENT_SECRET,
    ACCESS,
    REFRESH,
    SCIM_TOKEN,
    PAT,
    PROXY_PASSWORD,
];

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_secret_reaches_debug_display_errors_or_traces() {
    let traces = Captured::default();
    let sink = traces.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || sink.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let mut shown: Vec<String> = Vec::new();

    let service = Service::start(1).await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": ACCESS, "refresh_token": REFRESH, "expires_in": 1})))
        .with_priority(5)
        .mount(&service.server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/identity/api/identityprovider/scim"))
        .and(wiremock::matchers::query_param("apiTokenAction", "ensure"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "baseUrl": "https://x.lusid.com/identity/scim/v2", "apiToken": SCIM_TOKEN})))
        .mount(&service.server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/identity/api/identityprovider/scim"))
        .and(wiremock::matchers::query_param(
            "apiTokenAction",
            "regenerate",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            format!(r#"{{"baseUrl": 7, "apiToken": "{SCIM_TOKEN}""#),
            "application/json",
        ))
        .mount(&service.server)
        .await;
    answer(
        &service.server,
        "DELETE",
        "/api/identityprovider/scim",
        ResponseTemplate::new(403).set_body_json(
            serde_json::json!({"name": "Forbidden", "code": 186, "title": "Access denied"}),
        ),
    )
    .await;

    let config = service
        .loader()
        .proxy_address("http://127.0.0.1:9")
        .proxy_username("proxy-user")
        .proxy_password(PROXY_PASSWORD)
        .load()
        .unwrap();
    shown.push(format!("{config:?}"));
    shown.extend(config.origins().iter().map(|o| format!("{o:?} {o}")));
    // The proxy is only configured to be shown; requests go straight to the mock service.
    let config = service.loader().load().unwrap();
    let identity = client_for(config);
    shown.push(format!("{identity:?}"));

    let scim = identity.add_scim(ScimTokenAction::Ensure).await.unwrap();
    shown.push(format!("{scim:?}"));
    past_expiry().await; // refresh with the planted refresh token
    let decode = identity
        .add_scim(ScimTokenAction::Regenerate {
            old_token_ends: None,
        })
        .await
        .unwrap_err();
    assert!(matches!(decode, Error::Decode(_)), "{decode:?}");
    shown.push(format!("{decode} {decode:?}"));
    let forbidden = identity.remove_scim().await.unwrap_err();
    shown.push(format!("{forbidden} {forbidden:?}"));
    assert_eq!(
        service.token_requests(),
        0,
        "the planted mock answered every token request"
    );
    let grants = service.token_endpoint_requests().await;
    assert!(
        String::from_utf8_lossy(&grants[1].body).contains(REFRESH),
        "the refresh really used it"
    );

    // Authentication failures, with the identity provider's description.
    let refusing = Service::start(3600).await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .and(body_string_contains("grant_type=password"))
        .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "error": "invalid_grant", "error_description": "Bad username or password."})))
        .with_priority(1)
        .mount(&refusing.server)
        .await;
    let refused = client_for(refusing.config())
        .remove_scim()
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::Authentication(_)), "{refused:?}");
    shown.push(format!("{refused} {refused:?}"));

    // A personal access token, and configuration errors that involve secret settings.
    let pat = ConfigLoader::new()
        .environment(|_| None)
        .no_secrets_file()
        .identity_url(service.identity_url())
        .access_token(PAT)
        .load()
        .unwrap();
    shown.push(format!("{pat:?}"));
    shown.extend(pat.origins().iter().map(|o| format!("{o:?} {o}")));
    let env = |name: &str| match name {
        "FBN_PASSWORD" => Some(PASSWORD.to_owned()),
        "FBN_CLIENT_SECRET" => Some(CLIENT_SECRET.to_owned()),
        "FBN_PROXY_PASSWORD" => Some(PROXY_PASSWORD.to_owned()),
        "FBN_ACCESS_TOKEN" => Some(String::new()),
        "FBN_RATE_LIMIT_RETRIES" => Some("two".to_owned()),
        "FBN_TOKEN_URL" => Some("http://example.com/token".to_owned()),
        _ => None,
    };
    let bad = ConfigLoader::new()
        .environment(env)
        .no_secrets_file()
        .load()
        .unwrap_err();
    shown.push(format!("{bad} {bad:?}"));
    let bad = Error::from(bad);
    shown.push(format!("{bad} {bad:?}"));

    drop(_guard);
    shown.push(String::from_utf8_lossy(&traces.0.lock().unwrap()).into_owned());
    let everything = shown.join("\n");
    assert!(
        everything.len() > 1000,
        "the scan has material: {} bytes",
        everything.len()
    );
    for secret in PLANTED {
        assert!(
            !everything.contains(secret),
            "{secret} leaked in:\n{everything}"
        );
    }
}
