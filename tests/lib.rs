//! End-to-end tests of the workspace: the SDK against the emulator, both on 127.0.0.1.
//! The tests are in `tests/`; this library holds what they share.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use finbourne_identity::{ConfigLoader, IdentityClient, StandardRetry};
use finbourne_identity_emulator::{Emulator, EmulatorBuilder};

/// A started emulator and an SDK client signed in to it with the password grant.
pub struct World {
    pub emulator: Emulator,
    pub identity: IdentityClient,
}

/// Starts `builder`'s emulator and a client for it with exact (jitter-free) backoff from
/// 50 ms, so that tests can reason about waits.
pub async fn world(builder: EmulatorBuilder) -> World {
    world_with(builder, |loader| loader).await
}

/// [`world`], with extra configuration for the client.
pub async fn world_with(
    builder: EmulatorBuilder,
    configure: impl FnOnce(ConfigLoader) -> ConfigLoader,
) -> World {
    let emulator = builder.start().await.expect("emulator starts");
    let settings: HashMap<_, _> = emulator.fbn_environment().into_iter().collect();
    let loader = ConfigLoader::new()
        .environment(move |name| settings.get(name).cloned())
        .no_secrets_file();
    let config = configure(loader).load().expect("configuration is valid");
    let policy = StandardRetry::new(config.rate_limit_retries, config.retries)
        .with_jitter(Duration::ZERO)
        .with_first_backoff(Duration::from_millis(50));
    let identity = IdentityClient::builder(config)
        .retry_policy(Arc::new(policy))
        .build()
        .expect("client builds");
    World { emulator, identity }
}

/// Whether the SCIM endpoint at `base_url` accepts `token`.
pub async fn scim_token_works(base_url: &str, token: &str) -> bool {
    let url = format!("{}/ServiceProviderConfig", base_url.trim_end_matches('/'));
    let answer = reqwest::Client::new()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .expect("the SCIM endpoint answers");
    answer.status().is_success()
}
