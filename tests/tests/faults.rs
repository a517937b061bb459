//! The fault matrix: each fault the emulator can stage, with the outcome a user would see:
//! how many requests were made, how long the SDK waited, and the final result or error.

use std::time::{Duration, Instant, SystemTime};

use finbourne_identity::{Delivery, Error, ScimTokenAction, TimeoutLimit};
use finbourne_identity_emulator::http::{HeaderMap, HeaderValue, Method, StatusCode};
use finbourne_identity_emulator::{Emulator, Fault};
use finbourne_identity_tests::{World, world, world_with};

const SCIM: &str = "/api/identityprovider/scim";

fn scim_calls(w: &World) -> usize {
    w.emulator
        .journal()
        .iter()
        .filter(|e| e.path().ends_with(SCIM))
        .count()
}

async fn ensure(w: &World) -> Result<(), Error> {
    w.identity.add_scim(ScimTokenAction::Ensure).await.map(drop)
}

fn retry_after(value: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("retry-after", HeaderValue::from_str(value).unwrap());
    headers
}

#[tokio::test]
async fn status_429_with_retry_after_seconds() {
    let w = world(Emulator::builder()).await;
    w.emulator.faults().on(Method::PUT, SCIM).respond(
        StatusCode::TOO_MANY_REQUESTS,
        retry_after("1"),
        "",
    );
    let started = Instant::now();
    ensure(&w).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited {:?}",
        started.elapsed()
    );
    assert_eq!(scim_calls(&w), 2);
}

#[tokio::test]
async fn status_429_with_an_http_date() {
    let w = world(Emulator::builder()).await;
    let at = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(2));
    w.emulator.faults().on(Method::PUT, SCIM).respond(
        StatusCode::TOO_MANY_REQUESTS,
        retry_after(&at),
        "",
    );
    let started = Instant::now();
    ensure(&w).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "waited {:?}",
        started.elapsed()
    );
    assert_eq!(scim_calls(&w), 2);
}

#[tokio::test]
async fn status_429_without_retry_after_backs_off_within_the_rate_limit_budget() {
    let w = world(Emulator::builder()).await;
    w.emulator
        .faults()
        .on(Method::PUT, SCIM)
        .times(2)
        .respond_status(StatusCode::TOO_MANY_REQUESTS);
    let started = Instant::now();
    ensure(&w).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(150),
        "50 ms then 100 ms: {:?}",
        started.elapsed()
    );
    assert_eq!(scim_calls(&w), 3);

    w.emulator
        .faults()
        .on(Method::PUT, SCIM)
        .times(3)
        .respond_status(StatusCode::TOO_MANY_REQUESTS);
    let result = ensure(&w).await;
    assert!(
        matches!(&result, Err(Error::Api(e)) if e.status() == 429),
        "{result:?}"
    );
    assert_eq!(scim_calls(&w), 6, "1 try + 2 rate-limit retries");
}

#[tokio::test]
async fn conflict_unavailable_gateway_timeout_are_retried_with_backoff() {
    for status in [
        StatusCode::CONFLICT,
        StatusCode::SERVICE_UNAVAILABLE,
        StatusCode::GATEWAY_TIMEOUT,
    ] {
        let w = world(Emulator::builder()).await;
        w.emulator
            .faults()
            .on(Method::PUT, SCIM)
            .times(3)
            .respond_status(status);
        let started = Instant::now();
        ensure(&w).await.unwrap_or_else(|e| panic!("{status}: {e}"));
        assert_eq!(scim_calls(&w), 4, "{status}: 3 failures, then success");
        assert!(
            started.elapsed() >= Duration::from_millis(350),
            "50 + 100 + 200 ms: {:?}",
            started.elapsed()
        );
    }
}

#[tokio::test]
async fn status_502_with_an_html_body_keeps_the_page() {
    let w = world(Emulator::builder()).await;
    let mut html = HeaderMap::new();
    html.insert("content-type", HeaderValue::from_static("text/html"));
    w.emulator.faults().on(Method::PUT, SCIM).always().respond(
        StatusCode::BAD_GATEWAY,
        html,
        "<html><body>502 Bad Gateway</body></html>",
    );
    match ensure(&w).await {
        Err(Error::Api(e)) => {
            assert_eq!(e.status(), 502);
            assert!(e.problem().is_none());
            assert_eq!(e.body(), Some("<html><body>502 Bad Gateway</body></html>"));
        }
        other => panic!("expected the 502, got {other:?}"),
    }
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

    async fn run(self, w: &World) -> Result<(), Error> {
        match self {
            Call::CreateRole => w
                .identity
                .create_role()
                .body_map(|r| r.name("auditors"))
                .send()
                .await
                .map(drop),
            Call::ListRoles => w.identity.list_roles().send().await.map(drop),
            Call::Ensure => ensure(w).await,
            Call::Regenerate => w
                .identity
                .add_scim(ScimTokenAction::Regenerate {
                    old_token_ends: None,
                })
                .await
                .map(drop),
        }
    }
}

/// The retry table, row by row: a fault on the first attempt, and how many requests of the call
/// reached the service. A write that may have been received is never sent again; one the
/// service refused (429, 503) or that never left is.
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
    for (row, call, fault, expected) in rows {
        let w = world(Emulator::builder()).await;
        let (method, path) = call.route();
        w.emulator
            .faults()
            .on(method.clone(), path)
            .times(1)
            .inject(fault);
        let result = call.run(&w).await;
        let reached = w
            .emulator
            .journal()
            .iter()
            .filter(|e| e.method() == method && e.path().ends_with(path))
            .count();
        assert_eq!(reached, expected, "{row}: {result:?}");
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

#[tokio::test]
async fn a_dropped_connection_is_retried() {
    let w = world(Emulator::builder()).await;
    w.emulator
        .faults()
        .on(Method::PUT, SCIM)
        .times(2)
        .drop_connection();
    ensure(&w).await.unwrap();
    assert_eq!(scim_calls(&w), 3);
}

#[tokio::test]
async fn a_server_slower_than_the_read_timeout_is_a_read_timeout() {
    let w = world_with(Emulator::builder(), |l| {
        l.read_timeout(Duration::from_millis(300))
    })
    .await;
    w.emulator
        .faults()
        .on(Method::PUT, SCIM)
        .always()
        .delay(Duration::from_secs(2));
    let started = Instant::now();
    let result = w
        .identity
        .add_scim(ScimTokenAction::Regenerate {
            old_token_ends: None,
        })
        .await;
    assert!(
        matches!(
            result,
            Err(Error::Timeout(ref t)) if t.limit() == TimeoutLimit::Read
        ),
        "{result:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "gave up at the read timeout"
    );
    assert_eq!(
        scim_calls(&w),
        1,
        "a regenerate that may have arrived is not sent again"
    );
}

#[tokio::test]
async fn malformed_json_is_a_decode_error() {
    let w = world(Emulator::builder()).await;
    w.emulator
        .faults()
        .on(Method::PUT, SCIM)
        .inject(Fault::Respond {
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            body: "{\"baseUrl\": ".into(),
        });
    let result = ensure(&w).await;
    assert!(
        matches!(&result, Err(Error::Decode(e)) if e.excerpt().contains("baseUrl")),
        "{result:?}"
    );
}

#[tokio::test]
async fn unknown_fields_from_a_newer_service_are_ignored() {
    let w = world(Emulator::builder()).await;
    w.emulator.set_extra_fields(true);
    ensure(&w).await.unwrap();
    w.identity.get_user_info().send().await.unwrap();
    w.identity.list_users().send().await.unwrap();
}

#[tokio::test]
async fn problem_details_without_code_or_name_keep_what_they_have() {
    let w = world(Emulator::builder()).await;
    let body = serde_json::json!({"title": "Something is off", "status": 400, "errors": {"apiTokenAction": ["no"]}});
    w.emulator
        .faults()
        .on(Method::PUT, SCIM)
        .inject(Fault::json(StatusCode::BAD_REQUEST, &body));
    match ensure(&w).await {
        Err(Error::Api(e)) => {
            assert_eq!(e.status(), 400);
            assert_eq!(e.code(), None);
            assert_eq!(
                e.problem().and_then(|p| p.title.as_deref()),
                Some("Something is off")
            );
        }
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn token_endpoint_429_is_waited_out() {
    let w = world(Emulator::builder()).await;
    w.emulator.faults().on_token_endpoint().respond(
        StatusCode::TOO_MANY_REQUESTS,
        retry_after("1"),
        "",
    );
    let started = Instant::now();
    ensure(&w).await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(w.emulator.counters().token_requests(), 2);
}

#[tokio::test]
async fn token_endpoint_500_is_an_authentication_error() {
    let w = world(Emulator::builder()).await;
    w.emulator
        .faults()
        .on_token_endpoint()
        .respond_status(StatusCode::INTERNAL_SERVER_ERROR);
    match ensure(&w).await {
        Err(Error::Authentication(e)) => assert_eq!(e.status().map(|s| s.as_u16()), Some(500)),
        other => panic!("expected an authentication error, got {other:?}"),
    }
    assert_eq!(scim_calls(&w), 0, "no API call without a token");
}

#[tokio::test]
async fn a_rejected_refresh_token_signs_in_again() {
    let w = world(Emulator::builder().token_lifetime(Duration::from_secs(1))).await;
    ensure(&w).await.unwrap();
    w.emulator.revoke_all_refresh_tokens();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    ensure(&w).await.unwrap();
    let counters = w.emulator.counters();
    assert_eq!(
        (
            counters.token_requests_password,
            counters.token_requests_refresh_token
        ),
        (2, 1)
    );
}

#[tokio::test]
async fn a_401_mid_session_renews_the_token_and_repeats_the_call() {
    let w = world(Emulator::builder()).await;
    ensure(&w).await.unwrap();
    let bearer = w
        .emulator
        .journal()
        .last()
        .unwrap()
        .header("authorization")
        .unwrap()
        .to_owned();
    assert!(
        w.emulator
            .expire_access_token(bearer.trim_start_matches("Bearer "))
    );
    ensure(&w).await.unwrap();
    assert_eq!(scim_calls(&w), 3, "the refused call was repeated once");
    assert_eq!(w.emulator.counters().token_requests(), 2);
}

#[tokio::test]
async fn one_odd_record_leaves_the_rest_of_a_list_readable() {
    let w = world(Emulator::builder()).await;
    let role = |id: &str, scope: serde_json::Value| {
        serde_json::json!({"id": id, "name": "n", "source": "LUSID", "description": "",
            "roleId": {"scope": scope, "code": "c"}})
    };
    let body = serde_json::json!([
        role("r1", "a".into()),
        role("r2", 42.into()),
        role("r3", "".into())
    ]);
    w.emulator
        .faults()
        .on(Method::GET, "/api/roles")
        .inject(Fault::json(StatusCode::OK, &body));
    let roles = w.identity.list_roles().send().await.unwrap();
    let ids: Vec<_> = roles.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        ["r1", "r3"],
        "the record with a numeric scope is left out"
    );
}

#[tokio::test]
async fn any_2xx_is_success_and_an_unexpected_body_on_a_bodiless_operation_is_ignored() {
    let w = world(Emulator::builder()).await;
    w.emulator
        .faults()
        .on(Method::DELETE, SCIM)
        .inject(Fault::json(
            StatusCode::OK,
            &serde_json::json!({"done": true}),
        ));
    w.identity.remove_scim().send().await.unwrap();
}
