//! `cargo bench -p finbourne-identity-emulator --bench startup`
//!
//! What a test pays for its own emulator: each round builds a current-thread Tokio runtime (as
//! `#[tokio::test]` does) and a reqwest client, then times `Emulator::start()` (with a seeded
//! user and token, as a test would) and the first call, a `GET /api/me` with a bearer token on
//! a new connection, then `shutdown()`. Plain `std::time::Instant` measurements; 10 warm-up
//! rounds, then `ROUNDS` rounds; prints the median with min and max of each phase and of
//! start + first call.

use std::time::{Duration, Instant};

use finbourne_identity_emulator::{Emulator, SeedUser};

const WARM_UP: usize = 10;
const ROUNDS: usize = 200;

struct Round {
    runtime_and_client: Duration,
    start: Duration,
    first_call: Duration,
    shutdown: Duration,
}

fn round() -> Round {
    let began = Instant::now();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("reqwest client");
    let runtime_and_client = began.elapsed();
    runtime.block_on(async {
        let began = Instant::now();
        let emu = Emulator::builder()
            .seed_user(SeedUser::new("jo.bloggs@example.com").id("00u-jo"))
            .seed_access_token("jo-token", "jo.bloggs@example.com")
            .start()
            .await
            .expect("emulator");
        let start = began.elapsed();

        let began = Instant::now();
        let response = client
            .get(format!("{}/api/me", emu.identity_url()))
            .bearer_auth("jo-token")
            .send()
            .await
            .expect("first call");
        assert_eq!(response.status(), 200);
        let body = response.bytes().await.expect("body");
        let first_call = began.elapsed();
        assert!(body.starts_with(b"{"));

        let began = Instant::now();
        emu.shutdown().await;
        let shutdown = began.elapsed();
        Round {
            runtime_and_client,
            start,
            first_call,
            shutdown,
        }
    })
}

/// Median, min and max, in microseconds.
fn summary(mut values: Vec<Duration>) -> String {
    values.sort();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let n = values.len();
    let median = if n % 2 == 1 {
        us(values[n / 2])
    } else {
        (us(values[n / 2 - 1]) + us(values[n / 2])) / 2.0
    };
    format!(
        "{median:>9.0} µs  (min {:>7.0}, max {:>7.0})",
        us(values[0]),
        us(values[n - 1])
    )
}

fn main() {
    // `cargo test --benches` runs bench targets with `--bench`-less arguments; a quick pass
    // keeps that check cheap.
    let rounds = if std::env::args().any(|a| a == "--bench") {
        ROUNDS
    } else {
        3
    };
    for _ in 0..WARM_UP.min(rounds) {
        round();
    }
    let rounds: Vec<Round> = (0..rounds).map(|_| round()).collect();
    let column = |f: fn(&Round) -> Duration| rounds.iter().map(f).collect::<Vec<_>>();
    println!(
        "emulator start-up, {} rounds, current-thread runtime, median (min, max):",
        rounds.len()
    );
    println!(
        "  runtime + reqwest client     {}",
        summary(column(|r| r.runtime_and_client))
    );
    println!(
        "  Emulator::start()            {}",
        summary(column(|r| r.start))
    );
    println!(
        "  first call (GET /api/me)     {}",
        summary(column(|r| r.first_call))
    );
    println!(
        "  start + first call           {}",
        summary(column(|r| r.start + r.first_call))
    );
    println!(
        "  shutdown()                   {}",
        summary(column(|r| r.shutdown))
    );
}
