//! `cargo bench -p finbourne-identity --bench scim`
//!
//! `add_scim` through the SDK against the same request sent with bare reqwest (same URL and
//! headers, a token fetched once, the answer decoded into a typed value), on a minimal server
//! in a child process. Both runtimes (multi-thread, current-thread), sequential and 64 calls in
//! flight, the two contenders interleaved round by round with the first alternating. Prints
//! calls per second and the SDK/bare throughput ratio as median (min..max) over the rounds.
//! Targets: 0.95 sequential, 0.90 at 64 in flight.
//!
//! `-- profile sdk` (or `bare`) `[N]` runs N (default 20,000) sequential calls of one
//! contender alone, on a current-thread runtime, for a profiler.
//!
//! Then two checks of what the SDK keeps bounded: 1,000 concurrent first calls on a new client
//! make one token request, and 10,000 calls each with a different read timeout keep memory and
//! open sockets bounded.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Server, bare_call, bare_client, sdk_call, spread};
use finbourne_identity::ScimTokenAction;
use tokio::task::JoinSet;

const ROUNDS: usize = 25;
const SEQUENTIAL_CALLS: usize = 4_000;
const IN_FLIGHT: usize = 64;
const CONCURRENT_CALLS: usize = 12_800;

fn main() {
    common::serve_if_child();
    let server = Server::spawn();
    // `-- profile sdk|bare`: one contender alone, for a profiler to look at.
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "profile") {
        let is_sdk = args.get(at + 1).map(String::as_str) != Some("bare");
        let calls = args
            .get(at + 2)
            .and_then(|n| n.parse().ok())
            .unwrap_or(20_000);
        let runtime = common::runtime(false);
        let took = runtime.block_on(async {
            let (sdk, bare, url) = (server.sdk(), bare_client(), server.scim_url().into());
            run(&sdk, &bare, &url, is_sdk, 100, 1).await;
            run(&sdk, &bare, &url, is_sdk, calls, 1).await
        });
        println!("{calls} sequential calls in {took:?}");
        return;
    }
    println!(
        "add_scim, SDK vs bare reqwest; server in another process; {ROUNDS} interleaved rounds"
    );
    println!(
        "{:<16} {:<12} {:>10} {:>10}   SDK/bare median (min..max)",
        "runtime", "calls", "SDK/s", "bare/s"
    );
    for multi_thread in [true, false] {
        let runtime = common::runtime(multi_thread);
        runtime.block_on(compare(&server, multi_thread));
    }
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(first_calls(&server));
    runtime.block_on(timeout_variety(&server));
}

async fn compare(server: &Server, multi_thread: bool) {
    let sdk = server.sdk();
    let bare = bare_client();
    let url: Arc<str> = server.scim_url().into();
    for (label, calls, in_flight) in [
        ("sequential", SEQUENTIAL_CALLS, 1),
        ("64 in flight", CONCURRENT_CALLS, IN_FLIGHT),
    ] {
        // Warm up: connections, the SDK's token, allocator pools.
        run(&sdk, &bare, &url, true, calls / 4, in_flight).await;
        run(&sdk, &bare, &url, false, calls / 4, in_flight).await;
        let (mut ratios, mut sdk_rates, mut bare_rates) = (vec![], vec![], vec![]);
        for round in 0..ROUNDS {
            let mut times = [Duration::ZERO; 2];
            for slot in 0..2 {
                let is_sdk = (slot + round) % 2 == 0;
                times[usize::from(!is_sdk)] =
                    run(&sdk, &bare, &url, is_sdk, calls, in_flight).await;
            }
            ratios.push(times[1].as_secs_f64() / times[0].as_secs_f64());
            sdk_rates.push(calls as f64 / times[0].as_secs_f64());
            bare_rates.push(calls as f64 / times[1].as_secs_f64());
        }
        let (ratio, low, high) = spread(ratios);
        println!(
            "{:<16} {:<12} {:>10.0} {:>10.0}   {ratio:.3} ({low:.3}..{high:.3})",
            if multi_thread {
                "multi-thread"
            } else {
                "current-thread"
            },
            label,
            spread(sdk_rates).0,
            spread(bare_rates).0,
        );
    }
}

/// `calls` calls by one contender, `in_flight` at a time, each in-flight lane its own task.
async fn run(
    sdk: &finbourne_identity::IdentityClient,
    bare: &reqwest::Client,
    url: &Arc<str>,
    is_sdk: bool,
    calls: usize,
    in_flight: usize,
) -> Duration {
    let started = Instant::now();
    let mut lanes = JoinSet::new();
    for _ in 0..in_flight {
        let (sdk, bare, url) = (sdk.clone(), bare.clone(), url.clone());
        lanes.spawn(async move {
            for _ in 0..calls / in_flight {
                if is_sdk {
                    sdk_call(&sdk).await;
                } else {
                    bare_call(&bare, &url).await;
                }
            }
        });
    }
    lanes.join_all().await;
    started.elapsed()
}

/// The first calls of a new client all wait on one token request.
async fn first_calls(server: &Server) {
    let sdk = server.sdk();
    let before = server.token_requests().await;
    let mut calls = JoinSet::new();
    for _ in 0..1_000 {
        let sdk = sdk.clone();
        calls.spawn(async move { sdk.add_scim(ScimTokenAction::Ensure).await.map(drop) });
    }
    let failed = calls.join_all().await.iter().filter(|r| r.is_err()).count();
    println!(
        "1,000 concurrent first calls: {} token request(s), {failed} failed (target 1, 0)",
        server.token_requests().await - before
    );
}

/// 10,000 calls, each overriding the read timeout with a value no other call uses.
async fn timeout_variety(server: &Server) {
    let sdk = server.sdk();
    sdk_call(&sdk).await;
    let (rss_before, sockets_before) = (rss_kib(), sockets());
    let (mut rss_peak, mut sockets_peak) = (rss_before, sockets_before);
    let started = Instant::now();
    for i in 0..10_000u64 {
        sdk.add_scim(ScimTokenAction::Ensure)
            .read_timeout(Duration::from_millis(60_000 + i))
            .await
            .expect("sdk call");
        if i % 500 == 0 {
            rss_peak = rss_peak.max(rss_kib());
            sockets_peak = sockets_peak.max(sockets());
        }
    }
    println!(
        "10,000 distinct read timeouts in {:.1} s: memory {} -> {} KiB (peak {}), \
         open sockets {} -> {} (peak {})",
        started.elapsed().as_secs_f64(),
        rss_before,
        rss_kib(),
        rss_peak,
        sockets_before,
        sockets(),
        sockets_peak,
    );
}

/// Resident memory of this process, from /proc (0 where there is none).
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// Sockets this process holds open, from /proc (0 where there is none).
fn sockets() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|fds| {
            fds.filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
                .filter(|target| target.to_string_lossy().starts_with("socket:"))
                .count()
        })
        .unwrap_or(0)
}
