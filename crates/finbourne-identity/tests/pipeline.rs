//! The bytes on the wire: headers every operation carries, the SCIM query, the token form.

mod common;

use chrono::{TimeZone, Utc};
use common::*;
use finbourne_identity::{Error, IdentityClient, ScimTokenAction};
use wiremock::ResponseTemplate;

#[tokio::test]
async fn every_call_carries_token_and_sdk_headers() {
    let service = Service::start(3600).await;
    answer(
        &service.server,
        "PUT",
        "/api/identityprovider/scim",
        scim_answer(),
    )
    .await;
    answer(
        &service.server,
        "GET",
        "/api/roles",
        ResponseTemplate::new(200).set_body_json(serde_json::json!([])),
    )
    .await;
    let config = service
        .loader()
        .application_name("payroll-sync")
        .correlation_id("corr-42")
        .load()
        .unwrap();
    let identity = client_for(config);

    identity.add_scim(ScimTokenAction::Ensure).await.unwrap();
    identity.list_roles().send().await.unwrap();

    let requests = service.api_requests().await;
    assert_eq!(requests.len(), 2);
    for request in &requests {
        let header = |name: &str| {
            request
                .headers
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
        };
        assert_eq!(header("authorization").as_deref(), Some("Bearer access-1"));
        assert_eq!(
            header("x-lusid-application").as_deref(),
            Some("payroll-sync")
        );
        assert_eq!(header("correlationid").as_deref(), Some("corr-42"));
        assert_eq!(header("x-lusid-sdk-language").as_deref(), Some("Rust"));
        assert_eq!(
            header("x-lusid-sdk-version").as_deref(),
            Some(env!("CARGO_PKG_VERSION"))
        );
        let agent = header("user-agent").unwrap();
        assert!(agent.starts_with("finbourne-identity-rust/"), "{agent}");
        assert!(header("api-version").is_none());
    }
    assert_eq!(service.token_requests(), 1, "one sign-in serves both calls");
}

#[tokio::test]
async fn optional_headers_are_absent_when_not_configured() {
    let service = Service::removing_scim().await;
    service.client().remove_scim().await.unwrap();
    let request = &service.api_requests().await[0];
    assert!(request.headers.get("x-lusid-application").is_none());
    assert!(request.headers.get("correlationid").is_none());
}

#[tokio::test]
async fn add_scim_sends_the_action_and_the_date_in_rfc3339() {
    let service = Service::start(3600).await;
    answer(
        &service.server,
        "PUT",
        "/api/identityprovider/scim",
        scim_answer(),
    )
    .await;
    let identity = service.client();
    let when = Utc.with_ymd_and_hms(2026, 11, 27, 19, 0, 0).unwrap();

    identity.add_scim(ScimTokenAction::Ensure).await.unwrap();
    identity
        .add_scim(ScimTokenAction::Regenerate {
            old_token_ends: Some(when),
        })
        .await
        .unwrap();
    let scim = identity
        .add_scim(ScimTokenAction::Regenerate {
            old_token_ends: None,
        })
        .await
        .unwrap();

    let queries: Vec<_> = service
        .api_requests()
        .await
        .iter()
        .map(|r| r.url.query().map(str::to_owned))
        .collect();
    assert_eq!(
        queries,
        [
            Some("apiTokenAction=ensure".to_owned()),
            Some(
                "apiTokenAction=regenerate&oldApiTokenDeactivation=2026-11-27T19%3A00%3A00.000000Z"
                    .to_owned()
            ),
            Some("apiTokenAction=regenerate".to_owned()),
        ]
    );
    assert_eq!(
        scim.base_url(),
        "https://example.lusid.com/identity/scim/v2"
    );
    use secrecy::ExposeSecret;
    assert_eq!(scim.api_token().expose_secret(), "scim-token-PLANTED");
}

#[tokio::test]
async fn remove_scim_is_unit_on_204() {
    let service = Service::removing_scim().await;
    let result: () = service.client().remove_scim().await.unwrap();
    assert_eq!(result, ());
    assert_eq!(service.api_requests().await[0].method.as_str(), "DELETE");
}

#[tokio::test]
async fn a_200_without_token_or_base_url_is_a_clear_error() {
    for (body, missing) in [
        (
            serde_json::json!({"baseUrl": "https://x/scim/v2", "apiToken": null}),
            "apiToken",
        ),
        (serde_json::json!({"apiToken": "t"}), "baseUrl"),
        (
            serde_json::json!({"baseUrl": "not a url", "apiToken": "t"}),
            "valid baseUrl",
        ),
    ] {
        let service = Service::start(3600).await;
        let ok = ResponseTemplate::new(200).set_body_json(body);
        answer(&service.server, "PUT", "/api/identityprovider/scim", ok).await;
        match service.client().add_scim(ScimTokenAction::Ensure).await {
            Err(Error::IncompleteAnswer(e)) => assert_eq!(e.missing(), missing),
            other => panic!("expected IncompleteAnswer({missing}), got {other:?}"),
        }
    }
}

#[tokio::test]
async fn the_password_grant_form_is_what_the_official_sdks_send() {
    let service = Service::removing_scim().await;
    service.client().remove_scim().await.unwrap();

    let token = &service.token_endpoint_requests().await[0];
    assert_eq!(token.method.as_str(), "POST");
    assert_eq!(token.headers.get("accept").unwrap(), "application/json");
    assert_eq!(
        token.headers.get("content-type").unwrap(),
        "application/x-www-form-urlencoded"
    );
    let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&token.body).unwrap();
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(
        form,
        [
            ("grant_type", "password"),
            ("username", USERNAME),
            ("password", PASSWORD),
            ("scope", "openid client groups offline_access"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
        ]
    );
}

#[tokio::test]
async fn a_personal_access_token_is_sent_as_it_is_without_signing_in() {
    let service = Service::removing_scim().await;
    let config = finbourne_identity::ConfigLoader::new()
        .environment(|_| None)
        .no_secrets_file()
        .identity_url(service.identity_url())
        .access_token("pat-PLANTED")
        .load()
        .unwrap();
    client_for(config).remove_scim().await.unwrap();
    let request = &service.api_requests().await[0];
    assert_eq!(
        request.headers.get("authorization").unwrap(),
        "Bearer pat-PLANTED"
    );
    assert_eq!(service.token_requests(), 0);
}

#[tokio::test]
async fn a_pasted_bearer_prefix_and_whitespace_are_not_sent_again() {
    let service = Service::removing_scim().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, "Bearer pat-from-file\n").unwrap();
    let bom_file = dir.path().join("token-saved-by-notepad");
    std::fs::write(&bom_file, "\u{FEFF}BEARER pat-from-bom-file\r\n").unwrap();
    let loaders = [
        finbourne_identity::ConfigLoader::new().environment({
            let identity = service.identity_url();
            move |name| match name {
                "FBN_IDENTITY_URL" => Some(identity.clone()),
                "FBN_ACCESS_TOKEN" => Some("  bearer   pat-from-env \n".into()),
                _ => None,
            }
        }),
        finbourne_identity::ConfigLoader::new()
            .environment(|_| None)
            .identity_url(service.identity_url())
            .access_token_file(&file),
        finbourne_identity::ConfigLoader::new()
            .environment(|_| None)
            .identity_url(service.identity_url())
            .access_token_file(&bom_file),
        finbourne_identity::ConfigLoader::new()
            .environment(|_| None)
            .identity_url(service.identity_url())
            .credentials(finbourne_identity::config::Credentials::AccessToken(
                "Bearer pat-from-code\n".into(),
            )),
    ];
    for (loader, sent) in loaders.into_iter().zip([
        "Bearer pat-from-env",
        "Bearer pat-from-file",
        "Bearer pat-from-bom-file",
        "Bearer pat-from-code",
    ]) {
        let config = loader.no_secrets_file().load().unwrap();
        client_for(config).remove_scim().await.unwrap();
        let requests = service.api_requests().await;
        assert_eq!(
            requests
                .last()
                .unwrap()
                .headers
                .get("authorization")
                .unwrap(),
            sent
        );
    }
}

#[tokio::test]
async fn a_token_set_on_the_config_or_the_builder_is_trimmed_and_checked_too() {
    use finbourne_identity::config::Credentials;
    let service = Service::removing_scim().await;
    let mut config = service.config();
    config.credentials = Credentials::AccessToken(" Bearer pat-on-config\n".into());
    IdentityClient::new(config)
        .unwrap()
        .remove_scim()
        .await
        .unwrap();
    let builder = IdentityClient::builder(service.config())
        .credentials(Credentials::AccessToken("bearer\tpat-on-builder".into()));
    builder.build().unwrap().remove_scim().await.unwrap();
    let sent: Vec<_> = service
        .api_requests()
        .await
        .iter()
        .map(|r| r.headers.get("authorization").unwrap().clone())
        .collect();
    assert_eq!(sent, ["Bearer pat-on-config", "Bearer pat-on-builder"]);

    let error = IdentityClient::builder(service.config())
        .credentials(Credentials::AccessToken("Bearer ".into()))
        .build()
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "the access token cannot be sent: it holds only the word Bearer, with no token after it"
    );
    assert_eq!(service.token_requests(), 0);
}

#[tokio::test]
async fn bodiless_writes_send_a_zero_length_and_every_call_accepts_json() {
    let service = Service::removing_scim().await;
    answer(
        &service.server,
        "POST",
        "/api/users/u1/lifecycle/$unlock",
        ResponseTemplate::new(204),
    )
    .await;
    let identity = service.client();
    identity.remove_scim().send().await.unwrap();
    identity.unlock_user().id("u1").send().await.unwrap();
    for request in service.api_requests().await {
        assert_eq!(
            request.headers.get("content-length").unwrap(),
            "0",
            "{}",
            request.method
        );
        assert_eq!(
            request.headers.get("accept").unwrap(),
            "application/json",
            "{}",
            request.method
        );
    }
}

#[tokio::test]
async fn date_time_query_parameters_go_out_with_microseconds() {
    let service = Service::start(3600).await;
    answer(
        &service.server,
        "PUT",
        "/api/identityprovider/scim",
        scim_answer(),
    )
    .await;
    let whole_second = Utc.with_ymd_and_hms(2030, 1, 2, 3, 4, 5).unwrap();
    service
        .client()
        .add_scim(ScimTokenAction::Regenerate {
            old_token_ends: Some(whole_second + chrono::Duration::nanoseconds(123_456_789)),
        })
        .await
        .unwrap();
    let sent: Vec<String> = service
        .api_requests()
        .await
        .iter()
        .map(|r| {
            r.url
                .query_pairs()
                .find(|(n, _)| n == "oldApiTokenDeactivation")
                .unwrap()
                .1
                .into_owned()
        })
        .collect();
    assert_eq!(sent, ["2030-01-02T03:04:05.123456Z"], "cut to microseconds");
}

#[tokio::test]
async fn a_redirect_to_another_origin_is_an_error_naming_it_and_not_followed() {
    let service = Service::start(3600).await;
    let elsewhere = wiremock::MockServer::start().await;
    let moved = ResponseTemplate::new(307).insert_header(
        "location",
        format!("{}/identity/api/roles?key=secret", elsewhere.uri()),
    );
    answer(&service.server, "GET", "/api/roles", moved).await;
    match service.client().list_roles().send().await {
        Err(e @ Error::Redirect(_)) => {
            assert_eq!(e.status(), Some(reqwest::StatusCode::TEMPORARY_REDIRECT));
            let shown = e.to_string();
            assert!(shown.ends_with(&elsewhere.uri()), "{shown}");
            assert!(!shown.contains("secret"), "{shown}");
        }
        other => panic!("expected a redirect error, got {other:?}"),
    }
    assert!(elsewhere.received_requests().await.unwrap().is_empty());
}

/// Redirects within the origin are followed, up to a limit; a loop of them ends as an error
/// naming the service's own origin, the relative location resolved against the call's URL.
#[tokio::test]
async fn a_redirect_loop_within_the_origin_names_the_services_own_origin() {
    let service = Service::start(3600).await;
    let moved = ResponseTemplate::new(308).insert_header("location", "roles");
    answer(&service.server, "GET", "/api/roles", moved).await;
    let error = service.client().list_roles().send().await.unwrap_err();
    assert!(matches!(error, Error::Redirect(_)), "{error:?}");
    let shown = error.to_string();
    assert!(shown.ends_with(&service.server.uri()), "{shown}");
}

#[tokio::test]
async fn api_errors_carry_status_problem_details_or_raw_body() {
    let service = Service::start(3600).await;
    let invalid = ResponseTemplate::new(400).set_body_json(serde_json::json!({
        "name": "InvalidParameterValue", "code": 151, "title": "Invalid value",
        "errors": {"apiTokenAction": ["'sometimes' is not a valid action"]}}));
    answer(
        &service.server,
        "PUT",
        "/api/identityprovider/scim",
        invalid,
    )
    .await;
    let html =
        ResponseTemplate::new(502).set_body_raw("<html><h1>Bad gateway</h1></html>", "text/html");
    answer(
        &service.server,
        "DELETE",
        "/api/identityprovider/scim",
        html,
    )
    .await;
    let identity = service.client();

    match identity.add_scim(ScimTokenAction::Ensure).await {
        Err(Error::Api(e)) => {
            assert_eq!(e.status(), 400);
            assert_eq!(e.code(), Some(151));
            assert_eq!(e.operation(), "add_scim");
            assert!(
                e.to_string().contains("'sometimes' is not a valid action"),
                "{e}"
            );
        }
        other => panic!("expected an API error, got {other:?}"),
    }
    match identity.remove_scim().await {
        Err(Error::Api(e)) => {
            assert_eq!(e.status(), 502);
            assert!(e.problem().is_none());
            assert_eq!(e.body(), Some("<html><h1>Bad gateway</h1></html>"));
        }
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn malformed_json_is_a_decode_error_with_an_excerpt_that_hides_the_token() {
    let service = Service::start(3600).await;
    let broken = ResponseTemplate::new(200).set_body_raw(
        r#"{"baseUrl": "https://x/scim/v2", "apiToken": "scim-token-PLANTED""#,
        "application/json",
    );
    answer(&service.server, "PUT", "/api/identityprovider/scim", broken).await;
    match service.client().add_scim(ScimTokenAction::Ensure).await {
        Err(e @ Error::Decode(_)) => {
            let shown = format!("{e} {e:?}");
            assert!(shown.contains("https://x/scim/v2"), "{shown}");
            assert!(!shown.contains("scim-token-PLANTED"), "{shown}");
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_token_endpoint_refusal_is_the_calls_authentication_error() {
    let refusing = Service::start(3600).await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .and(wiremock::matchers::path(TOKEN_PATH))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(serde_json::json!({"error": "invalid_grant"})),
        )
        .with_priority(1)
        .mount(&refusing.server)
        .await;
    match refusing.client().remove_scim().send().await {
        Err(Error::Authentication(e)) => assert_eq!(e.oauth_error(), Some("invalid_grant")),
        other => panic!("expected an authentication error, got {other:?}"),
    }
    assert!(refusing.api_requests().await.is_empty());
}

#[tokio::test]
async fn one_odd_record_leaves_the_rest_of_a_list_readable() {
    let service = Service::start(3600).await;
    let role = |id: &str, scope: serde_json::Value| {
        serde_json::json!({"id": id, "name": "n", "source": "LUSID", "description": "",
            "roleId": {"scope": scope, "code": "c"}})
    };
    let roles = serde_json::json!([
        role("r1", "a".into()),
        role("r2", 42.into()),
        role("r3", "".into())
    ]);
    answer(
        &service.server,
        "GET",
        "/api/roles",
        ResponseTemplate::new(200).set_body_json(roles),
    )
    .await;
    let answer = service.client().list_roles().send().await.unwrap();
    let ids: Vec<_> = answer.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        ["r1", "r3"],
        "the record with a numeric scope is left out"
    );
}

#[tokio::test]
async fn any_2xx_is_success_and_an_unexpected_body_on_a_bodiless_operation_is_ignored() {
    let service = Service::start(3600).await;
    let done = ResponseTemplate::new(200).set_body_json(serde_json::json!({"done": true}));
    answer(
        &service.server,
        "DELETE",
        "/api/identityprovider/scim",
        done,
    )
    .await;
    service.client().remove_scim().send().await.unwrap();
}
