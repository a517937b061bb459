//! What is retried, how often, and how long the SDK waits first.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use common::*;
use finbourne_identity::{
    CallOptions, ConfigLoader, Error, ScimTokenAction, StandardRetry, TimeoutLimit,
};
use wiremock::ResponseTemplate;

const SCIM: &str = "/api/identityprovider/scim";

async fn scim_after(first: ResponseTemplate, times: u64) -> (Service, Result<(), Error>) {
    let service = Service::start(3600).await;
    answer_times(&service.server, "PUT", SCIM, times, first).await;
    answer(&service.server, "PUT", SCIM, scim_answer()).await;
    let result = service
        .client()
        .add_scim(ScimTokenAction::Ensure)
        .await
        .map(drop);
    (service, result)
}

#[tokio::test]
async fn a_429_waits_retry_after_seconds() {
    let started = Instant::now();
    let limited = ResponseTemplate::new(429).insert_header("retry-after", "1");
    let (service, result) = scim_after(limited, 1).await;
    result.unwrap();
    assert_eq!(service.api_requests().await.len(), 2);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_429_waits_until_an_http_date() {
    let at = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(2));
    let started = Instant::now();
    let (service, result) = scim_after(
        ResponseTemplate::new(429).insert_header("retry-after", at.as_str()),
        1,
    )
    .await;
    result.unwrap();
    assert_eq!(service.api_requests().await.len(), 2);
    // HTTP dates have whole seconds: the wait is between one and two seconds.
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "waited {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_429_without_retry_after_backs_off_and_gives_up_after_the_rate_limit_budget() {
    let (service, result) = scim_after(ResponseTemplate::new(429), 10).await;
    match result {
        Err(Error::Api(e)) => assert_eq!(e.status(), 429),
        other => panic!("expected the final 429, got {other:?}"),
    }
    assert_eq!(
        service.api_requests().await.len(),
        3,
        "1 try + 2 rate-limit retries (default)"
    );
}

#[tokio::test]
async fn conflict_unavailable_bad_gateway_and_gateway_timeout_are_retried_for_an_idempotent_call() {
    for status in [409, 502, 503, 504] {
        let (service, result) = scim_after(ResponseTemplate::new(status), 2).await;
        result.unwrap_or_else(|e| panic!("{status}: {e}"));
        assert_eq!(
            service.api_requests().await.len(),
            3,
            "{status}: two failures then success"
        );
    }
}

#[tokio::test]
async fn other_retries_stop_at_their_budget() {
    let (service, result) = scim_after(ResponseTemplate::new(503), 10).await;
    match result {
        Err(Error::Api(e)) => assert_eq!(e.status(), 503),
        other => panic!("expected the final 503, got {other:?}"),
    }
    assert_eq!(
        service.api_requests().await.len(),
        4,
        "1 try + 3 retries (default)"
    );
}

#[tokio::test]
async fn a_502_html_page_ends_a_post_at_once_and_keeps_its_body() {
    let service = Service::start(3600).await;
    let page = ResponseTemplate::new(502).set_body_raw("<html>bad gateway</html>", "text/html");
    answer(&service.server, "POST", "/api/roles", page).await;
    let result = service
        .client()
        .create_role()
        .body_map(|role| role.name("auditors"))
        .send()
        .await;
    match result {
        Err(Error::Api(e)) => {
            assert_eq!(e.status(), 502);
            assert_eq!(e.body(), Some("<html>bad gateway</html>"));
        }
        other => panic!("expected a 502 API error, got {other:?}"),
    }
    assert_eq!(service.api_requests().await.len(), 1);
}

#[tokio::test]
async fn a_post_answered_503_is_retried_since_the_service_did_not_take_it() {
    let service = Service::start(3600).await;
    answer_times(
        &service.server,
        "POST",
        "/api/roles",
        1,
        ResponseTemplate::new(503),
    )
    .await;
    answer(&service.server, "POST", "/api/roles", ResponseTemplate::new(201).set_body_json(
        serde_json::json!({"id": "r1", "roleId": {"scope": "default", "code": "c"}, "source": "LUSID", "name": "n", "description": "d", "samlName": "s"}),
    )).await;
    let identity = service.client();
    let _ = identity
        .create_role()
        .body_map(|role| role.name("auditors"))
        .send()
        .await;
    assert_eq!(service.api_requests().await.len(), 2);
}

#[tokio::test]
async fn one_call_can_have_its_own_policy() {
    let service = Service::start(3600).await;
    answer(&service.server, "PUT", SCIM, ResponseTemplate::new(503)).await;
    let identity = service.client();
    let result = identity
        .add_scim(ScimTokenAction::Ensure)
        .options(CallOptions::new().retry_policy(Arc::new(StandardRetry::new(2, 0))))
        .await;
    assert!(
        matches!(result, Err(Error::Api(ref e)) if e.status() == 503),
        "{result:?}"
    );
    assert_eq!(service.api_requests().await.len(), 1);
    // The client's own default is untouched.
    let _ = identity.add_scim(ScimTokenAction::Ensure).await;
    assert_eq!(service.api_requests().await.len(), 5);
}

#[tokio::test]
async fn dropped_connections_are_retried() {
    let (url, connections) = dropping_server(2).await;
    let config = ConfigLoader::new()
        .environment(|_| None)
        .no_secrets_file()
        .identity_url(format!("{url}/identity"))
        .access_token("pat")
        .load()
        .unwrap();
    client_for(config).remove_scim().await.unwrap();
    assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 3);
}

#[tokio::test]
async fn dropped_connections_past_the_budget_are_a_transport_error() {
    let (url, connections) = dropping_server(usize::MAX).await;
    let config = ConfigLoader::new()
        .environment(|_| None)
        .no_secrets_file()
        .identity_url(format!("{url}/identity"))
        .access_token("pat")
        .retries(1)
        .load()
        .unwrap();
    let result = client_for(config).remove_scim().await;
    assert!(matches!(result, Err(Error::Transport(_))), "{result:?}");
    assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_server_slower_than_the_timeout_is_a_timeout_error_not_retried() {
    let service = Service::start(3600).await;
    let slow = scim_answer().set_delay(Duration::from_secs(3));
    answer(&service.server, "PUT", SCIM, slow).await;
    let config = service
        .loader()
        .total_timeout(Duration::from_millis(300))
        .load()
        .unwrap();
    let started = Instant::now();
    let result = client_for(config).add_scim(ScimTokenAction::Ensure).await;
    assert!(
        matches!(
            result,
            Err(Error::Timeout(ref t)) if t.limit() == TimeoutLimit::Total
        ),
        "{result:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "gave up at the timeout"
    );
    assert_eq!(service.api_requests().await.len(), 1);
}

#[tokio::test]
async fn a_read_timeout_can_be_set_for_one_call() {
    let service = Service::start(3600).await;
    let slow = scim_answer().set_delay(Duration::from_secs(3));
    answer(&service.server, "PUT", SCIM, slow).await;
    let identity = service.client();
    let result = identity
        .add_scim(ScimTokenAction::Ensure)
        .read_timeout(Duration::from_millis(300))
        .retry_policy(Arc::new(StandardRetry::new(0, 0)))
        .await;
    assert!(
        matches!(
            result,
            Err(Error::Timeout(ref t)) if t.limit() == TimeoutLimit::Read
        ),
        "{result:?}"
    );
}
