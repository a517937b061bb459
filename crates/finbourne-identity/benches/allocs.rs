//! `cargo bench -p finbourne-identity --bench allocs`
//!
//! Heap allocations per `add_scim` call, through the SDK and with bare reqwest, counted by an
//! instrumented global allocator over interleaved rounds of sequential calls, with the server
//! in a child process so that only the client's allocations count. Target: the SDK at most 6
//! allocations per call above bare reqwest.

mod common;

use std::alloc::System;

use common::{Server, bare_call, bare_client, sdk_call, spread};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const ROUNDS: usize = 9;
const CALLS: usize = 200;

fn main() {
    common::serve_if_child();
    let server = Server::spawn();
    println!("add_scim, allocations per call, median (min..max) over {ROUNDS} rounds of {CALLS}");
    for multi_thread in [true, false] {
        let runtime = common::runtime(multi_thread);
        runtime.block_on(async {
            let sdk = server.sdk();
            let bare = bare_client();
            let url = server.scim_url();
            for _ in 0..50 {
                sdk_call(&sdk).await;
                bare_call(&bare, &url).await;
            }
            let (mut sdk_allocs, mut bare_allocs, mut extra) = (vec![], vec![], vec![]);
            let (mut sdk_bytes, mut bare_bytes) = (vec![], vec![]);
            for round in 0..ROUNDS {
                let mut per_call = [(0.0, 0.0); 2];
                for slot in 0..2 {
                    let is_sdk = (slot + round) % 2 == 0;
                    let region = Region::new(GLOBAL);
                    for _ in 0..CALLS {
                        if is_sdk {
                            sdk_call(&sdk).await;
                        } else {
                            bare_call(&bare, &url).await;
                        }
                    }
                    let change = region.change();
                    per_call[usize::from(!is_sdk)] = (
                        change.allocations as f64 / CALLS as f64,
                        change.bytes_allocated as f64 / CALLS as f64,
                    );
                }
                sdk_allocs.push(per_call[0].0);
                bare_allocs.push(per_call[1].0);
                extra.push(per_call[0].0 - per_call[1].0);
                sdk_bytes.push(per_call[0].1);
                bare_bytes.push(per_call[1].1);
            }
            let show = |values: Vec<f64>| {
                let (median, low, high) = spread(values);
                format!("{median:.1} ({low:.1}..{high:.1})")
            };
            println!(
                "{:<15} SDK {} allocs, {} bytes; bare {} allocs, {} bytes; SDK - bare {} allocs (target <= 6)",
                if multi_thread { "multi-thread" } else { "current-thread" },
                show(sdk_allocs),
                show(sdk_bytes),
                show(bare_allocs),
                show(bare_bytes),
                show(extra),
            );
        });
    }
    println!("token requests: {}", {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        runtime.block_on(server.token_requests())
    });
}
