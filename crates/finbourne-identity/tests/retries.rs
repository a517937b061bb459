//! What is retried, how often, and how long the SDK waits first.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use common::*;
use finbourne_identity::{
    CallOptions, ConfigLoader, Delivery, Error, IdentityClient, Outcome, RetryPolicy, RetryResult,
    RetryState, ScimTokenAction, StandardRetry, TimeoutLimit,
};
use finbourne_identity_emulator::http::{Method, StatusCode};
use finbourne_identity_emulator::{Emulator, Fault};
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

/// Records what the service's answers told the policy, and retries at once.
#[derive(Debug, Default)]
struct Recording(std::sync::Mutex<Vec<Option<Duration>>>);

impl RetryPolicy for Recording {
    fn on_failure(&self, state: &RetryState, outcome: Outcome<'_>) -> RetryResult {
        self.0.lock().unwrap().push(outcome.retry_after());
        if state.retries() < 2 {
            RetryResult::Continue(Duration::ZERO)
        } else {
            RetryResult::Exhausted
        }
    }
}

/// How long to wait is the policy's to decide (its unit tests and the attempt loop's show the
/// waits); this shows that a 429's `Retry-After`, in seconds or as an HTTP date, reaches it.
#[tokio::test]
async fn a_429s_retry_after_reaches_the_policy_in_seconds_or_as_a_date() {
    let service = Service::start(3600).await;
    let date = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(120));
    for value in ["7", date.as_str()] {
        let limited = ResponseTemplate::new(429).insert_header("retry-after", value);
        answer_times(&service.server, "PUT", SCIM, 1, limited).await;
    }
    answer(&service.server, "PUT", SCIM, scim_answer()).await;
    let policy = Arc::new(Recording::default());
    service
        .client()
        .add_scim(ScimTokenAction::Ensure)
        .retry_policy(policy.clone())
        .await
        .unwrap();
    assert_eq!(service.api_requests().await.len(), 3);
    let seen = policy.0.lock().unwrap().clone();
    assert_eq!(seen[0], Some(Duration::from_secs(7)));
    let until_date = seen[1].expect("the date is read");
    assert!(
        (Duration::from_secs(110)..=Duration::from_secs(120)).contains(&until_date),
        "{until_date:?}"
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

/// One call of the retry table, and the route it reaches.
#[derive(Debug, Clone, Copy)]
enum Call {
    CreateRole,
    ListRoles,
    Ensure,
    Regenerate,
}

impl Call {
    fn route(self) -> (Method, &'static str) {
        match self {
            Call::CreateRole => (Method::POST, "/api/roles"),
            Call::ListRoles => (Method::GET, "/api/roles"),
            Call::Ensure | Call::Regenerate => (Method::PUT, SCIM),
        }
    }

    async fn run(self, identity: &IdentityClient) -> Result<(), Error> {
        match self {
            Call::CreateRole => identity
                .create_role()
                .name("auditors")
                .send()
                .await
                .map(drop),
            Call::ListRoles => identity.list_roles().send().await.map(drop),
            Call::Ensure => identity.add_scim(ScimTokenAction::Ensure).await.map(drop),
            Call::Regenerate => identity
                .add_scim(ScimTokenAction::Regenerate {
                    old_token_ends: None,
                })
                .await
                .map(drop),
        }
    }
}

/// The retry table, row by row, on the wire: a fault on the first attempt, and how many requests
/// of the call reached the service. A write the service may have received is never sent again;
/// one it refused (429, 503) is.
#[tokio::test]
async fn the_retry_table_counts_the_requests_that_reached_the_service() {
    let dropped = || Fault::DropConnection;
    let status = |code| Fault::status(StatusCode::from_u16(code).unwrap());
    let rows: Vec<(&str, Call, Fault, usize)> = vec![
        ("dropped POST after write", Call::CreateRole, dropped(), 1),
        ("504 POST", Call::CreateRole, status(504), 1),
        ("502 POST", Call::CreateRole, status(502), 1),
        ("409 POST", Call::CreateRole, status(409), 1),
        ("503 POST", Call::CreateRole, status(503), 2),
        ("429 POST", Call::CreateRole, status(429), 2),
        ("504 GET", Call::ListRoles, status(504), 2),
        ("dropped GET", Call::ListRoles, dropped(), 2),
        ("dropped regenerate", Call::Regenerate, dropped(), 1),
        ("504 regenerate", Call::Regenerate, status(504), 1),
        ("dropped ensure", Call::Ensure, dropped(), 2),
        ("504 ensure", Call::Ensure, status(504), 2),
    ];
    let emulator = Emulator::start().await.unwrap();
    let config = emulator_loader(&emulator).load().unwrap();
    let immediate = StandardRetry::new(config.rate_limit_retries, config.retries)
        .with_first_backoff(Duration::ZERO)
        .with_jitter(Duration::ZERO);
    let identity = IdentityClient::builder(config)
        .retry_policy(Arc::new(immediate))
        .build()
        .unwrap();
    for (row, call, fault, expected) in rows {
        let (method, path) = call.route();
        let reached = || {
            emulator
                .journal()
                .iter()
                .filter(|e| e.method() == method && e.path().ends_with(path))
                .count()
        };
        let before = reached();
        emulator
            .faults()
            .on(method.clone(), path)
            .times(1)
            .inject(fault);
        let result = call.run(&identity).await;
        assert_eq!(reached() - before, expected, "{row}: {result:?}");
        if expected == 1 {
            let error = result.expect_err(row);
            assert!(!error.is_retryable(), "{row}: {error:?}");
            if let Error::Transport(e) = &error {
                assert_eq!(e.delivery(), Delivery::MaybeProcessed, "{row}");
                assert!(
                    error.to_string().contains("may have processed it"),
                    "{error}"
                );
            }
        }
    }
}

/// A retried call is built again from its parameters for each attempt: every attempt sends
/// the same method, URL, headers and body, whether the values are in the query or the body.
#[tokio::test]
async fn every_attempt_sends_the_same_request() {
    let busy = || ResponseTemplate::new(429).insert_header("retry-after", "0");
    let service = Service::start(3600).await;
    answer_times(&service.server, "PUT", SCIM, 2, busy()).await;
    answer(&service.server, "PUT", SCIM, scim_answer()).await;
    answer_times(&service.server, "POST", "/api/roles", 2, busy()).await;
    answer(
        &service.server,
        "POST",
        "/api/roles",
        ResponseTemplate::new(201).set_body_json(serde_json::json!({
            "id": "r1", "roleId": {"scope": "default", "code": "auditors"},
            "source": "LUSID", "name": "Auditors"
        })),
    )
    .await;
    let identity = service.client();
    let at = chrono::DateTime::parse_from_rfc3339("2030-01-02T03:04:05Z").unwrap();
    identity
        .add_scim(ScimTokenAction::Regenerate {
            old_token_ends: Some(at.into()),
        })
        .idempotent(true)
        .await
        .unwrap();
    identity
        .create_role()
        .name("Auditors")
        .description("Reads the logs")
        .await
        .unwrap();
    let requests = service.api_requests().await;
    assert_eq!(requests.len(), 6, "three attempts of each call");
    for attempts in requests.chunks(3) {
        let first = &attempts[0];
        for again in &attempts[1..] {
            assert_eq!(again.method, first.method);
            assert_eq!(again.url, first.url);
            assert_eq!(again.headers, first.headers);
            assert_eq!(again.body, first.body);
        }
    }
    assert!(
        requests[0]
            .url
            .query()
            .unwrap()
            .contains("oldApiTokenDeactivation=")
    );
    assert!(String::from_utf8_lossy(&requests[3].body).contains("Reads the logs"));
}
