//! `cargo bench -p finbourne-identity --bench allocs`
//!
//! Heap allocations per `add_scim` call through the SDK, the generated client with no
//! middleware and bare reqwest as a careful application writes it (see the `scim` bench),
//! counted by an instrumented global allocator over interleaved rounds of sequential calls,
//! with the server in a child process so that only the client's allocations count. Target:
//! the SDK at most 3 allocations per call above bare reqwest.

mod common;

use std::alloc::System;

use common::{Contenders, Server, Who, spread};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// A multiple of six: each order of the three contenders as often (see [`Who::order`]).
const ROUNDS: usize = 12;
const CALLS: usize = 200;

fn main() {
    common::serve_if_child();
    let server = Server::spawn();
    println!("add_scim, allocations per call, median (min..max) over {ROUNDS} rounds of {CALLS}");
    for multi_thread in [true, false] {
        let runtime = common::runtime(multi_thread);
        runtime.block_on(async {
            let contenders = Contenders::new(&server);
            contenders.check_same_requests(&server).await;
            for _ in 0..50 {
                for who in Who::ALL {
                    contenders.call(who).await;
                }
            }
            let mut allocs = [vec![], vec![], vec![]];
            let mut bytes = [vec![], vec![], vec![]];
            let mut extra = vec![];
            for round in 0..ROUNDS {
                let mut per_call = [(0.0, 0.0); 3];
                for who in Who::order(round) {
                    let at = who.at();
                    let region = Region::new(GLOBAL);
                    for _ in 0..CALLS {
                        contenders.call(who).await;
                    }
                    let change = region.change();
                    per_call[at] = (
                        change.allocations as f64 / CALLS as f64,
                        change.bytes_allocated as f64 / CALLS as f64,
                    );
                }
                for at in 0..3 {
                    allocs[at].push(per_call[at].0);
                    bytes[at].push(per_call[at].1);
                }
                extra.push(per_call[0].0 - per_call[1].0);
            }
            let show = |values: Vec<f64>| {
                let (median, low, high) = spread(values);
                format!("{median:.1} ({low:.1}..{high:.1})")
            };
            let [sdk_allocs, bare_allocs, gen_allocs] = allocs;
            let [sdk_bytes, bare_bytes, gen_bytes] = bytes;
            println!(
                "{}\n  SDK       {} allocs, {} bytes\n  bare      {} allocs, {} bytes\n  \
                 generated {} allocs, {} bytes\n  SDK - bare {} allocs (target <= 3)",
                if multi_thread {
                    "multi-thread"
                } else {
                    "current-thread"
                },
                show(sdk_allocs),
                show(sdk_bytes),
                show(bare_allocs),
                show(bare_bytes),
                show(gen_allocs),
                show(gen_bytes),
                show(extra),
            );
        });
    }
    println!("token requests: {}", {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        runtime.block_on(server.token_requests())
    });
}
