//! The full SCIM lifecycle through the SDK, proven against the emulator's SCIM endpoint.

use std::time::Duration;

use finbourne_identity::ScimTokenAction;
use finbourne_identity_emulator::Emulator;
use finbourne_identity_tests::{scim_token_works, world};
use secrecy::ExposeSecret;

#[tokio::test]
async fn ensure_regenerate_deactivate_remove() {
    let w = world(Emulator::builder()).await;
    let identity = &w.identity;

    let first = identity.add_scim(ScimTokenAction::Ensure).await.unwrap();
    let again = identity.add_scim(ScimTokenAction::Ensure).await.unwrap();
    assert_eq!(
        first.api_token().expose_secret(),
        again.api_token().expose_secret(),
        "ensure is idempotent"
    );
    assert_eq!(first.base_url(), w.emulator.scim_base_url());
    let base = first.base_url().to_owned();
    let old = first.api_token().expose_secret().to_owned();

    let ends = w.emulator.now() + chrono::Duration::minutes(30);
    let second = identity
        .add_scim(ScimTokenAction::Regenerate {
            old_token_ends: Some(ends),
        })
        .await
        .unwrap();
    let new = second.api_token().expose_secret().to_owned();
    assert_ne!(old, new);
    assert!(
        scim_token_works(&base, &old).await,
        "old token works until its end"
    );
    assert!(scim_token_works(&base, &new).await);

    w.emulator.advance_clock(Duration::from_secs(31 * 60));
    assert!(
        !scim_token_works(&base, &old).await,
        "old token rejected after its end"
    );
    assert!(scim_token_works(&base, &new).await);

    identity.remove_scim().await.unwrap();
    assert!(!scim_token_works(&base, &old).await);
    assert!(
        !scim_token_works(&base, &new).await,
        "remove ends every token"
    );
}

#[tokio::test]
async fn regenerate_without_an_end_stops_the_old_token_at_once() {
    let w = world(Emulator::builder()).await;
    let first = w.identity.add_scim(ScimTokenAction::Ensure).await.unwrap();
    let second = w
        .identity
        .add_scim(ScimTokenAction::Regenerate {
            old_token_ends: None,
        })
        .await
        .unwrap();
    let base = first.base_url();
    assert!(!scim_token_works(base, first.api_token().expose_secret()).await);
    assert!(scim_token_works(base, second.api_token().expose_secret()).await);
}

#[tokio::test]
async fn the_wire_carries_the_action_and_the_date() {
    let w = world(Emulator::builder()).await;
    let ends = chrono::DateTime::parse_from_rfc3339("2030-01-02T03:04:05Z")
        .unwrap()
        .to_utc();
    w.identity
        .add_scim(ScimTokenAction::Regenerate {
            old_token_ends: Some(ends),
        })
        .await
        .unwrap();
    let journal = w.emulator.journal();
    let put = journal
        .iter()
        .find(|e| e.method() == "PUT")
        .expect("AddScim reached the emulator");
    assert_eq!(
        put.query_param("apiTokenAction").as_deref(),
        Some("regenerate")
    );
    assert_eq!(
        put.query_param("oldApiTokenDeactivation").as_deref(),
        Some("2030-01-02T03:04:05.000000Z")
    );
    assert_eq!(put.header("x-lusid-sdk-language"), Some("Rust"));
}
