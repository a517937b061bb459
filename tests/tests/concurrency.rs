//! Many calls at once while the access token expires: none fails, one refresh serves all.

use std::time::Duration;

use finbourne_identity::ScimTokenAction;
use finbourne_identity_emulator::Emulator;
use finbourne_identity_tests::world;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_concurrent_calls_through_an_expiry_make_one_refresh() {
    let w = world(Emulator::builder().token_lifetime(Duration::from_secs(2))).await;
    w.identity.add_scim(ScimTokenAction::Ensure).await.unwrap();
    // The SDK renews a 2 s token after half its life: 500 calls spread from 0.5 s to 1.5 s
    // meet the token before, at and after that point.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let calls: Vec<_> = (0..500u64)
        .map(|i| {
            let identity = w.identity.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(i * 2)).await;
                if i % 2 == 0 {
                    identity.add_scim(ScimTokenAction::Ensure).await.map(drop)
                } else {
                    identity.get_user_info().send().await.map(drop)
                }
            })
        })
        .collect();
    let mut failures = Vec::new();
    for call in calls {
        if let Err(e) = call.await.expect("task") {
            failures.push(e.to_string());
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures: {:?}",
        failures.len(),
        &failures[..failures.len().min(3)]
    );
    let counters = w.emulator.counters();
    assert_eq!(counters.token_requests_password, 1);
    assert_eq!(
        counters.token_requests_refresh_token, 1,
        "exactly one refresh for 500 calls"
    );
}
