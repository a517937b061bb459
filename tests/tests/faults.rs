//! A working session through a bad hour: the token endpoint rate-limits, writes meet a refusing
//! gateway and an ambiguous one, reads lose their connection and the access token is revoked
//! mid-session. Each fault's own rules are tested where they are decided (the retry policy, the
//! token cache, the call path); this is the journey a user lives through, with what reached the
//! service at each step.

use finbourne_identity::{Delivery, Error, ScimTokenAction};
use finbourne_identity_emulator::http::{HeaderMap, HeaderValue, Method, StatusCode};
use finbourne_identity_emulator::{Emulator, Fault};
use finbourne_identity_tests::world;
use secrecy::ExposeSecret;

const SCIM: &str = "/api/identityprovider/scim";

#[tokio::test]
async fn a_session_through_a_bad_hour_does_its_work_once_and_says_what_is_uncertain() {
    let w = world(Emulator::builder()).await;
    let reached = |method: Method, path: &str| {
        w.emulator
            .journal()
            .iter()
            .filter(|e| e.method() == method && e.path().ends_with(path))
            .count()
    };

    // Signing in meets a rate limit once: the SDK waits as told and signs in.
    let mut now = HeaderMap::new();
    now.insert("retry-after", HeaderValue::from_static("0"));
    w.emulator
        .faults()
        .on_token_endpoint()
        .respond(StatusCode::TOO_MANY_REQUESTS, now, "");
    w.identity.get_user_info().send().await.unwrap();
    assert_eq!(w.emulator.counters().token_requests(), 2);

    // A create the gateway refused (503) is sent again; the role exists once.
    w.emulator
        .faults()
        .on(Method::POST, "/api/roles")
        .inject(Fault::status(StatusCode::SERVICE_UNAVAILABLE));
    let role = w
        .identity
        .create_role()
        .name("auditors")
        .description("Read the books")
        .send()
        .await
        .unwrap();
    assert_eq!(reached(Method::POST, "/api/roles"), 2);

    // A read that loses its connection is read again.
    w.emulator
        .faults()
        .on(Method::GET, "/api/roles")
        .drop_connection();
    let roles = w.identity.list_roles().send().await.unwrap();
    assert_eq!(
        roles
            .iter()
            .filter(|r| r.name.as_str() == "auditors")
            .count(),
        1
    );
    assert_eq!(reached(Method::GET, "/api/roles"), 2);

    // The access token is revoked mid-session: the refused call is renewed and repeated once.
    let bearer = w
        .emulator
        .journal()
        .last()
        .and_then(|e| e.header("authorization").map(str::to_owned))
        .unwrap();
    assert!(
        w.emulator
            .expire_access_token(bearer.trim_start_matches("Bearer "))
    );
    let fetched = w
        .identity
        .get_role()
        .id(role.id.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(fetched.name, role.name);
    assert_eq!(w.emulator.counters().token_requests(), 3);

    // A regenerate whose answer is lost may have happened: it is not sent again, and the error
    // says so. Asking for the current token (ensure) is safe to repeat, and is the way to learn.
    let before = w.identity.add_scim(ScimTokenAction::Ensure).await.unwrap();
    w.emulator.faults().on(Method::PUT, SCIM).inject(
        Fault::status(StatusCode::GATEWAY_TIMEOUT).with_header(
            "content-type".parse().unwrap(),
            HeaderValue::from_static("text/html"),
        ),
    );
    let scim_before = reached(Method::PUT, SCIM);
    let error = w
        .identity
        .add_scim(ScimTokenAction::Regenerate {
            old_token_ends: None,
        })
        .await
        .expect_err("the gateway timed out");
    assert_eq!(reached(Method::PUT, SCIM), scim_before + 1, "not repeated");
    assert!(!error.is_retryable(), "{error:?}");
    assert!(
        matches!(&error, Error::Api(e) if e.status() == 504),
        "{error:?}"
    );
    w.emulator.faults().on(Method::PUT, SCIM).drop_connection();
    let after = w.identity.add_scim(ScimTokenAction::Ensure).await.unwrap();
    assert_eq!(
        reached(Method::PUT, SCIM),
        scim_before + 3,
        "ensure sent again"
    );
    assert_eq!(
        after.api_token().expose_secret(),
        before.api_token().expose_secret(),
        "the regenerate did not happen"
    );

    // A regenerate whose connection drops after it was written is uncertain too, and says so.
    w.emulator.faults().on(Method::PUT, SCIM).drop_connection();
    let error = w
        .identity
        .add_scim(ScimTokenAction::Regenerate {
            old_token_ends: None,
        })
        .await
        .expect_err("the connection dropped");
    match &error {
        Error::Transport(e) => assert_eq!(e.delivery(), Delivery::MaybeProcessed),
        other => panic!("expected a transport error, got {other:?}"),
    }
    assert!(
        error.to_string().contains("may have processed it"),
        "{error}"
    );
}
