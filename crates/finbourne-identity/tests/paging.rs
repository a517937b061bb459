//! Pages as streams: `pages()`, `items()` and `follow()` against the emulator, whose one-off
//! answers (faults) play the service's pages, and against a server written here where a page
//! must take its time.

use std::collections::VecDeque;
use std::error::Error as StdError;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use finbourne_identity::{ConfigLoader, Error, IdentityClient};
use finbourne_identity_emulator::Emulator;
use finbourne_identity_emulator::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

type TestResult = Result<(), Box<dyn StdError>>;

fn identity_for(
    emulator: &Emulator,
    loader: impl FnOnce(ConfigLoader) -> ConfigLoader,
) -> IdentityClient {
    let config = loader(
        ConfigLoader::new()
            .environment(|_| None)
            .no_secrets_file()
            .identity_url(emulator.identity_url())
            .access_token(emulator.issue_access_token()),
    )
    .load()
    .unwrap();
    IdentityClient::new(config).unwrap()
}

fn event(uuid: &str, second: i64) -> Value {
    let published = chrono::DateTime::from_timestamp(1_700_000_000 + second, 0).unwrap();
    json!({"uuid": uuid, "published": published, "eventType": "user.session.start"})
}

fn page(events: &[Value], next: Option<&str>) -> String {
    json!({"values": events, "nextPage": next}).to_string()
}

/// The next `GET /api/logs` (or `/api/logs/me`) answers with this page.
fn answer(emulator: &Emulator, path: &str, body: String) {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    emulator
        .faults()
        .on(Method::GET, path)
        .respond(StatusCode::OK, headers, body);
}

/// The page tokens the emulator was asked for, in order (`None` for the first page).
fn tokens_asked(emulator: &Emulator, path: &str) -> Vec<Option<String>> {
    emulator
        .journal()
        .iter()
        .filter(|e| e.path() == format!("/identity{path}"))
        .map(|e| e.query_param("oktaAfter"))
        .collect()
}

/// The program of issue 15: a role from one line of setters, then every event of the log.
#[tokio::test]
async fn the_program_of_issue_15_runs_against_the_emulator() -> TestResult {
    let emulator = Emulator::start().await?;
    let identity = identity_for(&emulator, |l| l);
    answer(
        &emulator,
        "/api/logs",
        page(&[event("a", 0), event("b", 1)], Some("t1")),
    );
    answer(&emulator, "/api/logs", page(&[event("c", 2)], None));

    let role = identity
        .create_role()
        .name("payroll")
        .description("Pays people")
        .send()
        .await?;
    let mut events = identity.list_logs().items();
    let mut seen = Vec::new();
    while let Some(event) = events.try_next().await? {
        seen.push(event.uuid.unwrap_or_default());
    }

    assert_eq!(role.name.as_str(), "payroll");
    assert_eq!(role.description.as_deref(), Some("Pays people"));
    assert_eq!(seen, ["a", "b", "c"]);
    assert_eq!(
        tokens_asked(&emulator, "/api/logs"),
        [None, Some("t1".to_owned())],
        "one call per page, the second with the first's token"
    );
    Ok(())
}

#[tokio::test]
async fn pages_end_at_the_last_page_and_keep_the_call_s_parameters() -> TestResult {
    let emulator = Emulator::start().await?;
    let identity = identity_for(&emulator, |l| l);
    answer(
        &emulator,
        "/api/logs/me",
        page(&[event("a", 0)], Some("t1")),
    );
    answer(&emulator, "/api/logs/me", page(&[], Some("t2")));
    answer(&emulator, "/api/logs/me", page(&[event("b", 1)], Some("")));

    let pages = identity
        .list_user_logs()
        .okta_limit(2)
        .okta_sort_order("ASCENDING")
        .pages()
        .try_collect()
        .await?;

    let sizes: Vec<usize> = pages.iter().map(|p| p.values.len()).collect();
    assert_eq!(
        sizes,
        [1, 0, 1],
        "an empty page in the middle does not end it; an empty token does"
    );
    let journal = emulator.journal();
    let asked: Vec<_> = journal
        .iter()
        .map(|e| {
            (
                e.query_param("oktaAfter"),
                e.query_param("oktaLimit"),
                e.query_param("oktaSortOrder"),
            )
        })
        .collect();
    let with = |token: Option<&str>| {
        (
            token.map(str::to_owned),
            Some("2".to_owned()),
            Some("ASCENDING".to_owned()),
        )
    };
    assert_eq!(asked, [with(None), with(Some("t1")), with(Some("t2"))]);
    Ok(())
}

#[tokio::test]
async fn a_token_given_again_ends_the_listing_instead_of_looping() -> TestResult {
    let emulator = Emulator::start().await?;
    let identity = identity_for(&emulator, |l| l);
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    emulator
        .faults()
        .on(Method::GET, "/api/logs")
        .always()
        .respond(
            StatusCode::OK,
            headers,
            page(&[event("same", 0)], Some("again")),
        );

    let items = tokio::time::timeout(
        Duration::from_secs(10),
        identity.list_logs().items().try_collect(),
    )
    .await??;

    assert_eq!(
        items.len(),
        2,
        "the first page, then the page `again` names once"
    );
    assert_eq!(
        tokens_asked(&emulator, "/api/logs"),
        [None, Some("again".to_owned())]
    );
    Ok(())
}

#[tokio::test]
async fn a_page_s_retry_repeats_no_other_page_and_an_error_ends_the_stream() -> TestResult {
    let emulator = Emulator::start().await?;
    let identity = identity_for(&emulator, |l| l.retries(2).rate_limit_retries(2));
    answer(&emulator, "/api/logs", page(&[event("a", 0)], Some("t1")));
    emulator
        .faults()
        .on(Method::GET, "/api/logs")
        .respond_status(StatusCode::SERVICE_UNAVAILABLE);
    answer(&emulator, "/api/logs", page(&[event("b", 1)], Some("t2")));
    emulator
        .faults()
        .on(Method::GET, "/api/logs")
        .times(3)
        .respond_status(StatusCode::BAD_REQUEST);

    let mut pages = identity.list_logs().pages();
    assert_eq!(pages.try_next().await?.unwrap().values.len(), 1);
    assert_eq!(pages.try_next().await?.unwrap().values.len(), 1);
    match pages.try_next().await {
        Err(Error::Api(e)) => assert_eq!(e.status(), 400),
        other => panic!("expected the 400, got {other:?}"),
    }
    assert!(pages.next().await.is_none(), "an error ends the stream");

    let t = |token: &str| Some(token.to_owned());
    assert_eq!(
        tokens_asked(&emulator, "/api/logs"),
        [None, t("t1"), t("t1"), t("t2")],
        "the 503 is retried with the same token; page 1 is never asked for again"
    );
    Ok(())
}

/// A server that answers each request with the next of `pages`, after its delay, and keeps
/// the request lines. Written here because a page that takes its time is not one of the
/// emulator's faults.
async fn slow_pages(pages: Vec<(Duration, String)>) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/identity", listener.local_addr().unwrap());
    let lines = Arc::new(Mutex::new(Vec::new()));
    let seen = lines.clone();
    let mut pages = VecDeque::from(pages);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut head = Vec::new();
            let mut buffer = [0u8; 1024];
            while !head.ends_with(b"\r\n\r\n") {
                match socket.read(&mut buffer).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buffer[..n]),
                }
            }
            let head = String::from_utf8_lossy(&head);
            seen.lock()
                .unwrap()
                .push(head.lines().next().unwrap_or("").to_owned());
            let Some((delay, body)) = pages.pop_front() else {
                break;
            };
            tokio::time::sleep(delay).await;
            let answer = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(answer.as_bytes()).await;
        }
    });
    (url, lines)
}

#[tokio::test]
async fn the_total_timeout_covers_one_page_not_the_whole_listing() -> TestResult {
    let slow = Duration::from_millis(400);
    let (url, lines) = slow_pages(vec![
        (slow, page(&[event("a", 0)], Some("t1"))),
        (slow, page(&[event("b", 1)], Some("t2"))),
        (slow, page(&[event("c", 2)], None)),
    ])
    .await;
    let config = ConfigLoader::new()
        .environment(|_| None)
        .no_secrets_file()
        .identity_url(&url)
        .access_token("a-token")
        .retries(0)
        .load()?;
    let identity = IdentityClient::new(config)?;

    let started = std::time::Instant::now();
    let items = identity
        .list_logs()
        .total_timeout(Duration::from_secs(1))
        .items()
        .try_collect()
        .await?;

    assert_eq!(items.len(), 3);
    assert!(
        started.elapsed() > Duration::from_secs(1),
        "the listing outlived one call's deadline"
    );
    let lines = lines.lock().unwrap().clone();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(lines[1].contains("oktaAfter=t1"), "{lines:?}");
    assert!(lines[2].contains("oktaAfter=t2"), "{lines:?}");
    Ok(())
}

#[tokio::test]
async fn items_can_be_taken_in_a_spawned_task() -> TestResult {
    let emulator = Emulator::start().await?;
    let identity = identity_for(&emulator, |l| l);
    answer(&emulator, "/api/logs", page(&[event("a", 0)], None));
    let task = tokio::spawn(async move {
        let mut items = identity.list_logs().items();
        let mut n = 0;
        while items.try_next().await?.is_some() {
            n += 1;
        }
        Ok::<_, Error>(n)
    });
    assert_eq!(task.await??, 1);
    Ok(())
}

/// `follow()` with a paused clock: every page at once, then a poll each interval for the
/// events published since the newest, leaving out the ones given already; nothing more once
/// dropped.
#[tokio::test(start_paused = true)]
async fn follow_polls_for_new_events_until_it_is_dropped() -> TestResult {
    let emulator = Emulator::start().await?;
    // No limit that the paused clock could run out while an answer is on its way; a retry
    // for a kept-alive connection the server closed during a wait.
    let identity = identity_for(&emulator, |l| {
        l.total_timeout(Duration::ZERO)
            .connect_timeout(Duration::ZERO)
            .read_timeout(Duration::ZERO)
            .retries(2)
    });
    let path = "/api/logs";
    answer(
        &emulator,
        path,
        page(&[event("a", 0), event("b", 5)], Some("t1")),
    );
    answer(&emulator, path, page(&[event("c", 6)], None));
    answer(&emulator, path, page(&[event("c", 6), event("d", 9)], None));
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    emulator.faults().on(Method::GET, path).always().respond(
        StatusCode::OK,
        headers,
        page(&[], None),
    );

    let interval = Duration::from_secs(30);
    let mut events = identity
        .list_logs()
        .okta_sort_order("ASCENDING")
        .follow()
        .poll_interval(interval);
    let started = tokio::time::Instant::now();
    let mut seen = Vec::new();
    for _ in 0..3 {
        seen.push(events.try_next().await?.unwrap().uuid.unwrap());
    }
    assert_eq!(seen, ["a", "b", "c"]);
    assert!(
        started.elapsed() < interval,
        "pages with events come at once"
    );

    let d = events.try_next().await?.unwrap();
    assert_eq!(d.uuid.as_deref(), Some("d"), "`c` is not given twice");
    assert!(started.elapsed() >= interval, "after one interval");

    // Nothing new: it keeps polling, once an interval, since the newest event.
    let nothing = tokio::time::timeout(interval * 3 + interval / 2, events.next()).await;
    assert!(nothing.is_err(), "no event: {nothing:?}");
    let journal = emulator.journal();
    let polls: Vec<_> = journal
        .iter()
        .filter(|e| e.path() == "/identity/api/logs")
        .map(|e| (e.query_param("oktaAfter"), e.query_param("oktaSince")))
        .collect();
    let since = |s: i64| {
        Some(
            chrono::DateTime::from_timestamp(1_700_000_000 + s, 0)
                .unwrap()
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        )
    };
    assert_eq!(
        polls,
        [
            (None, None),
            (Some("t1".to_owned()), None),
            (None, since(6)),
            (None, since(9)),
            (None, since(9)),
            (None, since(9)),
        ]
    );

    drop(events);
    let asked = emulator.journal().len();
    tokio::time::sleep(interval * 10).await;
    assert_eq!(
        emulator.journal().len(),
        asked,
        "a dropped follower asks nothing"
    );
    Ok(())
}
