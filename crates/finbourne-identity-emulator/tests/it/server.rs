//! Starting, addressing and stopping the server.

use finbourne_identity_emulator::{Emulator, Error};
use reqwest::StatusCode;

use crate::common::{client, json};

#[tokio::test]
async fn urls_point_at_loopback() {
    let emu = Emulator::start().await.unwrap();
    assert!(emu.addr().ip().is_loopback());
    assert_ne!(emu.addr().port(), 0);
    assert_eq!(emu.identity_url(), format!("{}/identity", emu.base_url()));
    assert_eq!(emu.token_url(), format!("{}/oauth2/token", emu.base_url()));
    let index = json(client().get(emu.base_url()).send().await.unwrap()).await;
    assert_eq!(index["identityUrl"], emu.identity_url());
}

#[tokio::test]
async fn shutdown_and_drop_stop_the_server() {
    let emu = Emulator::start().await.unwrap();
    let url = emu.base_url().to_owned();
    let client = client();
    assert_eq!(
        client.get(&url).send().await.unwrap().status(),
        StatusCode::OK
    );
    emu.shutdown().await;
    assert!(client.get(&url).send().await.is_err());

    let emu = Emulator::start().await.unwrap();
    let url = emu.base_url().to_owned();
    drop(emu);
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert!(
        crate::common::fresh_client()
            .get(&url)
            .send()
            .await
            .is_err()
    );
}

#[tokio::test]
async fn bad_configuration_is_an_error() {
    for builder in [
        Emulator::builder().client_id(""),
        Emulator::builder().client_secret(""),
        Emulator::builder().user("", "pw"),
        Emulator::builder().user("a", "1").user("A", "2"),
        Emulator::builder().personal_access_token(" "),
    ] {
        let err = builder.start().await.unwrap_err();
        assert!(matches!(err, Error::InvalidConfig(_)), "{err}");
    }
    // A port in use is a Bind error.
    let emu = Emulator::start().await.unwrap();
    let err = Emulator::builder()
        .port(emu.addr().port())
        .start()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Bind { .. }), "{err}");
}

#[test]
fn start_outside_tokio_is_an_error() {
    let err = futures_lite_block_on(Emulator::start()).unwrap_err();
    assert!(matches!(err, Error::NoRuntime), "{err}");
}

/// Polls a future to completion without any runtime (enough for a future that finishes without
/// waiting, as `start` does when it has no runtime).
fn futures_lite_block_on<F: std::future::Future>(future: F) -> F::Output {
    use std::task::{Context, Poll, Waker};
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
}
