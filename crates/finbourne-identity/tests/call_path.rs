//! What the call path guarantees whatever the servers do: one deadline per call over the token
//! request, every attempt and every wait; no credential sent where a token endpoint redirects;
//! each cause of an error shown once. Virtual time where a wait is involved: the emulator and
//! the servers here run on the test's paused clock.

use std::time::Duration;

use finbourne_identity::{ConfigLoader, Error, IdentityClient, ScimTokenAction, TimeoutLimit};
use finbourne_identity_emulator::http::{HeaderMap, HeaderValue, Method, StatusCode};
use finbourne_identity_emulator::{Emulator, Fault};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;

mod common;
use common::emulator_loader as loader;

const SCIM: &str = "/api/identityprovider/scim";

fn client(loader: ConfigLoader) -> IdentityClient {
    IdentityClient::new(loader.load().unwrap()).unwrap()
}

fn is_total_timeout(result: &Result<impl std::fmt::Debug, Error>) -> bool {
    matches!(
        result,
        Err(Error::Timeout(t)) if t.limit() == TimeoutLimit::Total
    )
}

#[tokio::test(start_paused = true)]
async fn a_token_endpoint_that_never_answers_ends_at_the_total_timeout() {
    let emulator = Emulator::start().await.unwrap();
    emulator
        .faults()
        .on_token_endpoint()
        .always()
        .delay(Duration::from_secs(100_000));
    let identity = client(loader(&emulator).total_timeout(Duration::from_secs(2)));
    let started = Instant::now();
    let result = identity.get_user_info().send().await;
    assert!(is_total_timeout(&result), "{result:?}");
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "{:?}",
        started.elapsed()
    );

    // With default settings the call is bounded all the same: by the default 30 minutes.
    let identity = client(loader(&emulator));
    let started = Instant::now();
    let result = identity.get_user_info().send().await;
    assert!(is_total_timeout(&result), "{result:?}");
    assert_eq!(
        started.elapsed().as_secs() / 60,
        30,
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn a_slow_token_counts_against_the_calls_deadline() {
    let emulator = Emulator::start().await.unwrap();
    emulator
        .faults()
        .on_token_endpoint()
        .delay(Duration::from_secs(6));
    let identity = client(loader(&emulator));
    let started = Instant::now();
    let result = identity
        .get_user_info()
        .total_timeout(Duration::from_millis(500))
        .send()
        .await;
    assert!(is_total_timeout(&result), "{result:?}");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        emulator.counters().api_requests,
        0,
        "no attempt after the deadline"
    );
}

/// A server on 127.0.0.1 answering every request with `head`, then with `piece(n)` for n = 0,
/// 1, ... one a second until it gives none, then silent; the URL of `path` on it.
async fn dripping_server(
    path: &str,
    head: String,
    piece: fn(usize) -> Option<&'static [u8]>,
) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}{path}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let head = head.clone();
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = socket.read(&mut request).await;
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let mut n = 0;
                while let Some(bytes) = piece(n) {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    if socket.write_all(bytes).await.is_err() {
                        return;
                    }
                    n += 1;
                }
                tokio::time::sleep(Duration::from_secs(100_000)).await;
            });
        }
    });
    url
}

/// A token endpoint that sends its answer's head, then one byte a second: never silent long
/// enough for a read timeout.
async fn dripping_token_endpoint() -> String {
    let head =
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n";
    dripping_server("/oauth2/token", head.to_owned(), |_| Some(b" ")).await
}

#[tokio::test(start_paused = true)]
async fn a_token_endpoint_answering_a_byte_a_second_ends_at_the_total_timeout() {
    let emulator = Emulator::start().await.unwrap();
    let token_url = dripping_token_endpoint().await;
    let identity = client(
        loader(&emulator)
            .token_url(&token_url)
            .read_timeout(Duration::from_secs(2))
            .total_timeout(Duration::from_secs(5)),
    );
    let started = Instant::now();
    let result = identity.get_user_info().send().await;
    assert!(is_total_timeout(&result), "{result:?}");
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_secs(5) && elapsed < Duration::from_secs(6),
        "{elapsed:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_wait_past_the_deadline_is_not_started() {
    let emulator = Emulator::start().await.unwrap();
    let mut wait = HeaderMap::new();
    wait.insert("retry-after", HeaderValue::from_static("2"));
    emulator
        .faults()
        .on(Method::PUT, SCIM)
        .times(2)
        .inject(Fault::Respond {
            status: StatusCode::TOO_MANY_REQUESTS,
            headers: wait,
            body: Default::default(),
        });
    let identity = client(loader(&emulator));
    let started = Instant::now();
    let result = identity
        .add_scim(ScimTokenAction::Ensure)
        .total_timeout(Duration::from_secs(3))
        .await;
    // The first wait ends at 2 s, within the limit; the second would end at 4 s, so the call
    // ends at 2 s with the last answer instead of sleeping past its deadline.
    match result {
        Err(e) => assert_eq!(
            e.status(),
            Some(reqwest::StatusCode::TOO_MANY_REQUESTS),
            "{e:?}"
        ),
        Ok(_) => panic!("expected the 429"),
    }
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_secs(2) && elapsed < Duration::from_millis(2500),
        "{elapsed:?}"
    );
    assert_eq!(emulator.counters().api_requests, 2);
}

#[tokio::test(start_paused = true)]
async fn the_attempt_timeout_is_separate_from_the_total() {
    let emulator = Emulator::start().await.unwrap();
    emulator
        .faults()
        .on(Method::GET, "/api/me")
        .delay(Duration::from_secs(60));
    let identity = client(loader(&emulator));
    let started = Instant::now();
    // The first attempt times out after 1 s; the GET is idempotent, so it is sent again and
    // answered at once.
    identity
        .get_user_info()
        .attempt_timeout(Duration::from_secs(1))
        .send()
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(emulator.counters().api_requests, 2);
}

#[tokio::test]
async fn a_refused_connection_shows_its_cause_once_and_keeps_it_as_source() {
    // A port that was just free: nothing listens there.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/identity", free.local_addr().unwrap());
    drop(free);
    let identity = client(
        ConfigLoader::new()
            .environment(|_| None)
            .no_secrets_file()
            .identity_url(url)
            .access_token("pat")
            .retries(0),
    );
    let error = identity.list_roles().send().await.unwrap_err();
    let source = std::error::Error::source(&error).expect("the reqwest error is kept");
    assert!(source.downcast_ref::<reqwest::Error>().is_some());
    let shown = error.to_string();
    assert_eq!(shown, "list_roles: the request could not be sent");
    let report = anyhow_like(&error);
    assert_eq!(
        report.matches(&source.to_string()).count(),
        1,
        "each cause once: {report}"
    );
    assert!(error.is_retryable(), "nothing was sent, so a retry is safe");
}

/// What an anyhow or eyre report prints: the error, then each source.
fn anyhow_like(error: &dyn std::error::Error) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}

#[tokio::test]
async fn a_redirecting_token_endpoint_sends_no_credential_to_the_other_origin() {
    let emulator = Emulator::start().await.unwrap();
    let elsewhere = Emulator::start().await.unwrap();
    let mut location = HeaderMap::new();
    location.insert(
        "location",
        HeaderValue::from_str(elsewhere.token_url()).unwrap(),
    );
    emulator
        .faults()
        .on_token_endpoint()
        .always()
        .inject(Fault::Respond {
            status: StatusCode::TEMPORARY_REDIRECT,
            headers: location,
            body: Default::default(),
        });
    let result = client(loader(&emulator)).get_user_info().send().await;
    match result {
        Err(Error::Authentication(e)) => {
            let shown = e.to_string();
            assert!(
                shown.contains(elsewhere.base_url().trim_end_matches('/')),
                "{shown}"
            );
            assert!(!shown.contains(emulator.password()), "{shown}");
        }
        other => panic!("expected an authentication error, got {other:?}"),
    }
    assert_eq!(
        elsewhere.counters().requests,
        0,
        "nothing reached the other origin"
    );
    assert_eq!(emulator.counters().api_requests, 0);
}

/// An API that answers 200 with an endless chunked body.
async fn endless_api() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/identity", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = socket.read(&mut request).await;
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, "x".repeat(64 * 1024));
                // Bounded: 64 MiB at most, far past the limit under test.
                for _ in 0..1024 {
                    if socket.write_all(chunk.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    url
}

#[tokio::test]
async fn answers_past_the_limit_fail_clearly_without_being_buffered() {
    let emulator = Emulator::start().await.unwrap();
    let huge = serde_json::json!({"blob": "x".repeat(2 * 1024 * 1024)});
    emulator
        .faults()
        .on(Method::GET, "/api/me")
        .inject(Fault::json(StatusCode::OK, &huge));
    let limited = |loader: ConfigLoader| {
        IdentityClient::builder(loader.load().unwrap())
            .answer_limit(1024 * 1024)
            .build()
            .unwrap()
    };
    let error = limited(loader(&emulator))
        .get_user_info()
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::AnswerTooLarge(ref e) if e.limit() == 1_048_576
        ),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "get_user_info: the answer is larger than the limit of 1048576 bytes"
    );

    // Without a length announced, reading stops at the limit.
    let identity = limited(
        ConfigLoader::new()
            .environment(|_| None)
            .no_secrets_file()
            .identity_url(endless_api().await)
            .access_token("pat"),
    );
    let error = identity.get_user_info().send().await.unwrap_err();
    assert!(matches!(error, Error::AnswerTooLarge(_)), "{error:?}");
}

#[tokio::test]
async fn an_error_answer_is_kept_up_to_its_limit_and_an_empty_success_says_what_is_missing() {
    let emulator = Emulator::start().await.unwrap();
    let page = format!("<html>{}</html>", "x".repeat(1024 * 1024));
    emulator
        .faults()
        .on(Method::GET, "/api/me")
        .inject(Fault::Respond {
            status: StatusCode::BAD_GATEWAY,
            headers: HeaderMap::new(),
            body: page.into(),
        });
    let identity = IdentityClient::builder(loader(&emulator).retries(0).load().unwrap())
        .error_body_limit(1000)
        .build()
        .unwrap();
    match identity.get_user_info().send().await {
        Err(Error::Api(e)) => {
            assert_eq!(e.status(), 502);
            let kept = e.body().unwrap();
            assert!(
                kept.starts_with("<html>xxx") && kept.chars().count() <= 1001,
                "{kept}"
            );
        }
        other => panic!("expected the 502, got {other:?}"),
    }

    emulator
        .faults()
        .on(Method::GET, "/api/me")
        .respond_status(StatusCode::OK);
    let error = identity.get_user_info().send().await.unwrap_err();
    assert_eq!(error.to_string(), "get_user_info: the answer has no body");
}

#[tokio::test]
async fn limits_too_far_ahead_to_represent_are_no_limits() {
    let emulator = Emulator::start().await.unwrap();
    let identity = client(loader(&emulator));
    identity
        .get_user_info()
        .total_timeout(Duration::MAX)
        .attempt_timeout(Duration::MAX)
        .read_timeout(Duration::MAX)
        .send()
        .await
        .unwrap();
    // The same limits in the configuration: the client's own timeouts.
    let configured = client(
        loader(&emulator)
            .total_timeout(Duration::MAX)
            .connect_timeout(Duration::MAX)
            .read_timeout(Duration::MAX),
    );
    configured.get_user_info().send().await.unwrap();
}

/// The service reads `apiTokenAction` ignoring case and surrounding white space: " regenerate"
/// mints a token like "regenerate", so a dropped connection must not send it again.
#[tokio::test]
async fn a_regenerate_the_service_would_read_as_such_is_never_repeated() {
    let emulator = Emulator::start().await.unwrap();
    let identity = client(loader(&emulator));
    for action in [" regenerate", "REGENERATE\t", "1"] {
        emulator.clear_journal();
        emulator
            .faults()
            .on(Method::PUT, SCIM)
            .times(1)
            .inject(Fault::DropConnection);
        let result = finbourne_identity::operations::AddScim::new(&identity)
            .api_token_action(action)
            .send()
            .await;
        assert!(
            matches!(result, Err(Error::Transport(_))),
            "{action:?}: {result:?}"
        );
        let sent = emulator
            .journal()
            .iter()
            .filter(|e| e.path().ends_with(SCIM))
            .count();
        assert_eq!(sent, 1, "{action:?} was sent {sent} times");
    }
}

/// An add_scim answer in three pieces.
const PIECES: &[&str] = &[
    r#"{"baseUrl": "#,
    r#""https://x/scim/v2", "#,
    r#""apiToken": "t"}"#,
];

/// An identity service whose answer has its head sent at once and its body in [`PIECES`],
/// one a second, one byte short of its length: then it stays silent.
async fn dripping_scim_service() -> String {
    let length: usize = PIECES.iter().map(|piece| piece.len()).sum::<usize>() + 1;
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {length}\r\n\r\n"
    );
    dripping_server("/identity", head, |n| PIECES.get(n).map(|p| p.as_bytes())).await
}

#[tokio::test(start_paused = true)]
async fn the_read_timeout_bounds_each_wait_for_the_body_not_the_whole_body() {
    let identity = client(
        ConfigLoader::new()
            .environment(|_| None)
            .no_secrets_file()
            .identity_url(dripping_scim_service().await)
            .access_token("access")
            .read_timeout(Duration::from_millis(1500))
            .total_timeout(Duration::from_secs(60)),
    );
    let started = Instant::now();
    let result = identity
        .add_scim(ScimTokenAction::Ensure)
        .retry_policy(std::sync::Arc::new(finbourne_identity::StandardRetry::new(
            0, 0,
        )))
        .await;
    // Three pieces a second apart, each within the read timeout, then silence: the call ends
    // 1.5 s after the last piece, not 1.5 s after the head.
    match result {
        Err(Error::Timeout(t)) => assert_eq!(t.limit(), TimeoutLimit::Read),
        other => panic!("expected a read timeout, got {other:?}"),
    }
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(4500) && elapsed < Duration::from_secs(5),
        "{elapsed:?}"
    );
}
