//! `cargo bench -p finbourne-identity --bench scim`
//!
//! `add_scim` through three contenders, on a minimal server in a child process: the SDK; bare
//! reqwest as a careful application writes it (one client, the URL and header values built
//! once, the answer decoded into the type the SDK decodes); and the generated client with no
//! middleware (the same headers as its client's default headers). The three send the same
//! headers, checked before timing. Both runtimes (multi-thread, current-thread), sequential
//! and 64 calls in flight, the contenders interleaved round by round, in every order in turn.
//! Prints calls per second, then per round the throughput ratio to bare and the CPU time per
//! call relative to bare, each as median (min..max) over the rounds; under each row, each
//! contender's CPU summed over the rounds relative to bare's, in its own code (user) and in the
//! kernel apart. Then the size of each call's future.
//!
//! `-- profile sdk|bare|generated [N [IN_FLIGHT]]` runs N (default 20,000) calls of one
//! contender alone for a profiler: sequential on a current-thread runtime, or IN_FLIGHT at a
//! time on the multi-thread runtime, and prints their wall time and this process's CPU time
//! (the server's not counted), user and kernel apart; `-- sizes` prints only the sizes of the
//! call futures.
//!
//! `-- layers [ROUNDS]` splits the SDK's extra CPU at 64 calls in flight on the multi-thread
//! runtime by layer. Four contenders, each a layer more than the one before: bare reqwest, the
//! generated client, the SDK with no total timeout (so no deadline to watch), and the SDK. They
//! run ROUNDS (default 120) rounds of 2,560 calls in one process, in rotating order. Printed for
//! each: its CPU per call relative to bare, per round as median (min..max), and summed over
//! the rounds, user and kernel apart. The sums are steadier than the rounds' ratios.
//!
//! Then two checks of what the SDK keeps bounded: 1,000 concurrent first calls on a new client
//! make one token request, and 10,000 calls each with a different read timeout open no new
//! connection and keep memory bounded. Last, the bytes of a list of 5,000 users from the
//! emulator, plain and gzipped.
//!
//! With calls in flight, the SDK's extra CPU time is larger than its extra instructions: the
//! code and memory its layer adds to each call also cost cache misses and mispredicted
//! branches. To count them per call for one contender, run the profile under cachegrind at
//! N = 2000 and N = 4000 and divide the difference by 2000:
//! `valgrind --tool=cachegrind --cache-sim=yes --branch-sim=yes <bench> --bench profile sdk N 64`.
//! Its last level is the machine's largest cache, where nearly everything fits; what costs
//! here is what a core's own L2 cannot hold while 63 other calls run. Add
//! `--LL=524288,8,64` (a 512 KiB L2, 8-way, 64-byte lines) to count those misses instead.

mod common;

use std::time::{Duration, Instant};

use common::{Contenders, Server, Who, spread};
use finbourne_identity::ScimTokenAction;
use tokio::task::JoinSet;

/// A multiple of six: each order of the three contenders as often (see [`Who::order`]).
const ROUNDS: usize = 30;
const SEQUENTIAL_CALLS: usize = 4_000;
const IN_FLIGHT: usize = 64;
const CONCURRENT_CALLS: usize = 12_800;

fn main() {
    common::serve_if_child();
    let server = Server::spawn();
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "profile") {
        let who = match args.get(at + 1).map(String::as_str) {
            Some("bare") => Who::Bare,
            Some("generated") => Who::Generated,
            _ => Who::Sdk,
        };
        let calls = args
            .get(at + 2)
            .and_then(|n| n.parse().ok())
            .unwrap_or(20_000);
        // With calls in flight, on the multi-thread runtime.
        let in_flight = args.get(at + 3).and_then(|n| n.parse().ok()).unwrap_or(1);
        let runtime = common::runtime(in_flight > 1);
        let (ran, kernel) = runtime.block_on(async {
            let contenders = Contenders::new(&server);
            run(&contenders, who, 100, in_flight).await;
            let before = kernel_counts();
            let ran = run(&contenders, who, calls, in_flight).await;
            (ran, kernel_counts().since(before))
        });
        let per_call = |n: u64| n as f64 / calls as f64;
        println!(
            "{calls} calls of {who:?}, {in_flight} in flight, in {:.3} s, client CPU {:.3} s, \
             per call: {:.3} context switches ({:.3} forced), {:.3} page faults; \
             CPU in ticks: {} user, {} kernel",
            ran.wall.as_secs_f64(),
            ran.cpu.as_secs_f64(),
            per_call(kernel.switches),
            per_call(kernel.forced),
            per_call(kernel.faults),
            ran.ticks.user,
            ran.ticks.kernel,
        );
        return;
    }
    if let Some(at) = args.iter().position(|a| a == "layers") {
        let rounds = args.get(at + 1).and_then(|n| n.parse().ok()).unwrap_or(120);
        common::runtime(true).block_on(layers(&server, rounds));
        return;
    }
    if args.iter().any(|a| a == "sizes") {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        runtime.block_on(future_sizes(&server));
        return;
    }
    println!(
        "add_scim: SDK, generated client, bare reqwest; server in another process; \
         {ROUNDS} interleaved rounds"
    );
    println!(
        "{:<15} {:<13} {:>8} {:>8} {:>8}   {:<22} {:<22} {:<22}",
        "runtime",
        "calls",
        "SDK/s",
        "gen/s",
        "bare/s",
        "SDK/bare",
        "gen/bare",
        "SDK CPU/call vs bare"
    );
    for multi_thread in [true, false] {
        let runtime = common::runtime(multi_thread);
        runtime.block_on(compare(&server, multi_thread));
    }
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(future_sizes(&server));
    runtime.block_on(first_calls(&server));
    runtime.block_on(timeout_variety(&server));
    runtime.block_on(users_on_the_wire());
}

async fn compare(server: &Server, multi_thread: bool) {
    let contenders = Contenders::new(server);
    contenders.check_same_requests(server).await;
    let show = |values: Vec<f64>| {
        let (median, low, high) = spread(values);
        format!("{median:.3} ({low:.3}..{high:.3})")
    };
    for (label, calls, in_flight) in [
        ("sequential", SEQUENTIAL_CALLS, 1),
        ("64 in flight", CONCURRENT_CALLS, IN_FLIGHT),
    ] {
        // Warm up: connections, the SDK's token, allocator pools.
        for who in Who::ALL {
            run(&contenders, who, calls / 4, in_flight).await;
        }
        let (mut sdk_ratio, mut gen_ratio, mut cpu_ratio) = (vec![], vec![], vec![]);
        let mut rates = [vec![], vec![], vec![]];
        // Each contender's CPU summed over the rounds, its own code's and the kernel's apart.
        let mut split = [CpuTicks::default(); 3];
        for round in 0..ROUNDS {
            let mut took = [Ran::default(); 3];
            for who in Who::order(round) {
                took[who.at()] = run(&contenders, who, calls, in_flight).await;
                split[who.at()].add(took[who.at()].ticks);
            }
            let [sdk, bare, generated] = took;
            sdk_ratio.push(bare.wall.as_secs_f64() / sdk.wall.as_secs_f64());
            gen_ratio.push(bare.wall.as_secs_f64() / generated.wall.as_secs_f64());
            cpu_ratio.push(sdk.cpu.as_secs_f64() / bare.cpu.as_secs_f64());
            for (rate, ran) in rates.iter_mut().zip(took) {
                rate.push(calls as f64 / ran.wall.as_secs_f64());
            }
        }
        let [sdk_rates, bare_rates, gen_rates] = rates;
        println!(
            "{:<15} {:<13} {:>8.0} {:>8.0} {:>8.0}   {:<22} {:<22} {:<22}",
            if multi_thread {
                "multi-thread"
            } else {
                "current-thread"
            },
            label,
            spread(sdk_rates).0,
            spread(gen_rates).0,
            spread(bare_rates).0,
            show(sdk_ratio),
            show(gen_ratio),
            show(cpu_ratio),
        );
        let [sdk, bare, generated] = split;
        println!(
            "{:<29} CPU over the rounds vs bare: SDK {:.3} user, {:.3} kernel; \
             generated {:.3} user, {:.3} kernel",
            "",
            ratio(sdk.user, bare.user),
            ratio(sdk.kernel, bare.kernel),
            ratio(generated.user, bare.user),
            ratio(generated.kernel, bare.kernel),
        );
    }
}

/// What a run of calls took: wall time, and this process's CPU time (the server's is not
/// counted), precisely and in clock ticks split between user and kernel.
#[derive(Clone, Copy, Default)]
struct Ran {
    wall: Duration,
    cpu: Duration,
    ticks: CpuTicks,
}

/// `calls` calls by one contender, `in_flight` at a time, each in-flight lane its own task.
async fn run(
    contenders: &Contenders,
    layer: impl Into<Layer>,
    calls: usize,
    in_flight: usize,
) -> Ran {
    let layer = layer.into();
    let (started, cpu, ticks) = (Instant::now(), cpu_time(), process_stat().1);
    let mut lanes = JoinSet::new();
    for _ in 0..in_flight {
        let contenders = contenders.clone();
        lanes.spawn(async move {
            for _ in 0..calls / in_flight {
                layer.call(&contenders).await;
            }
        });
    }
    lanes.join_all().await;
    Ran {
        wall: started.elapsed(),
        cpu: cpu_time().saturating_sub(cpu),
        ticks: process_stat().1.since(ticks),
    }
}

/// `of` relative to `to`, counts of clock ticks (a `to` of none counted as one).
fn ratio(of: u64, to: u64) -> f64 {
    of as f64 / to.max(1) as f64
}

/// What each layer between bare reqwest and the SDK adds to a call's CPU, at 64 calls in
/// flight: see the `layers` mode in the header.
#[derive(Debug, Clone, Copy)]
enum Layer {
    Bare,
    Generated,
    /// The SDK with its total timeout off: no deadline, so nothing to watch.
    SdkNoDeadline,
    Sdk,
}

impl Layer {
    const ALL: [Layer; 4] = [
        Layer::Bare,
        Layer::Generated,
        Layer::SdkNoDeadline,
        Layer::Sdk,
    ];

    async fn call(self, contenders: &Contenders) {
        match self {
            Layer::Bare => contenders.call(Who::Bare).await,
            Layer::Generated => contenders.call(Who::Generated).await,
            Layer::SdkNoDeadline => {
                contenders
                    .sdk
                    .add_scim(ScimTokenAction::Ensure)
                    .total_timeout(Duration::ZERO)
                    .await
                    .expect("sdk call with no total timeout");
            }
            Layer::Sdk => contenders.call(Who::Sdk).await,
        }
    }
}

impl From<Who> for Layer {
    fn from(who: Who) -> Layer {
        match who {
            Who::Bare => Layer::Bare,
            Who::Generated => Layer::Generated,
            Who::Sdk => Layer::Sdk,
        }
    }
}

async fn layers(server: &Server, rounds: usize) {
    const CALLS: usize = 2_560;
    let contenders = Contenders::new(server);
    contenders.check_same_requests(server).await;
    for layer in Layer::ALL {
        run(&contenders, layer, CALLS, IN_FLIGHT).await;
    }
    let mut per_round = Layer::ALL.map(|_| Vec::with_capacity(rounds));
    let mut summed = [CpuTicks::default(); 4];
    for round in 0..rounds {
        let mut cpu = [Duration::ZERO; 4];
        for turn in 0..Layer::ALL.len() {
            let at = (round + turn) % Layer::ALL.len();
            let ran = run(&contenders, Layer::ALL[at], CALLS, IN_FLIGHT).await;
            cpu[at] = ran.cpu;
            summed[at].add(ran.ticks);
        }
        for (ratios, took) in per_round.iter_mut().zip(cpu) {
            ratios.push(took.as_secs_f64() / cpu[0].as_secs_f64());
        }
    }
    println!(
        "add_scim, {IN_FLIGHT} in flight, multi-thread: CPU per call vs bare, {rounds} rounds of \
         {CALLS} calls in rotating order"
    );
    let bare = summed[0];
    for ((layer, ratios), ticks) in Layer::ALL.iter().zip(per_round).zip(summed) {
        let (median, low, high) = spread(ratios);
        println!(
            "  {:<14} per round {median:.3} ({low:.3}..{high:.3}); summed {:.3}: user {:.3}, \
             kernel {:.3} ({} + {} ticks)",
            format!("{layer:?}"),
            ratio(ticks.user + ticks.kernel, bare.user + bare.kernel),
            ratio(ticks.user, bare.user),
            ratio(ticks.kernel, bare.kernel),
            ticks.user,
            ticks.kernel,
        );
    }
}

/// The size of each contender's call future: what a task holding the call carries.
async fn future_sizes(server: &Server) {
    let contenders = Contenders::new(server);
    let sdk = contenders.sdk.add_scim(ScimTokenAction::Ensure).send();
    let bare = contenders.bare.call();
    let generated = contenders
        .generated
        .add_scim()
        .api_token_action("ensure")
        .send();
    // glibc serves blocks of up to 1,032 bytes from a per-thread cache; larger ones take its
    // shared arenas' locked path, on every call.
    println!(
        "call future: SDK {} B (send(); `.await` boxes it; target <= 1032), bare {} B, generated {} B",
        std::mem::size_of_val(&sdk),
        std::mem::size_of_val(&bare),
        std::mem::size_of_val(&generated),
    );
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
    common::sdk_call(&sdk).await;
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

/// The body of `GET /api/users` with 5,000 users, as the emulator sends it with and without
/// `Accept-Encoding: gzip`, and the SDK reading the compressed one.
async fn users_on_the_wire() {
    use finbourne_identity_emulator::{Emulator, SeedUser};

    let mut builder = Emulator::builder();
    for i in 0..5_000 {
        builder = builder
            .seed_user(SeedUser::new(format!("user{i:04}")).name("Ada", format!("Lovelace {i}")));
    }
    let emulator = builder.start().await.expect("emulator");
    // Not decoded: the bytes as they came.
    let raw = reqwest::Client::builder()
        .no_gzip()
        .build()
        .expect("client");
    let mut sizes = [0; 2];
    for (size, gzip) in sizes.iter_mut().zip([false, true]) {
        let mut request = raw
            .get(format!("{}/api/users", emulator.identity_url()))
            .bearer_auth(emulator.issue_access_token());
        if gzip {
            request = request.header(reqwest::header::ACCEPT_ENCODING, "gzip");
        }
        *size = request
            .send()
            .await
            .expect("list")
            .bytes()
            .await
            .expect("body")
            .len();
    }
    let config = finbourne_identity::ConfigLoader::new()
        .environment(|_| None)
        .no_secrets_file()
        .identity_url(emulator.identity_url())
        .access_token(emulator.issue_access_token())
        .load()
        .expect("configuration");
    let users = finbourne_identity::IdentityClient::new(config)
        .expect("client")
        .list_users()
        .send()
        .await
        .expect("list through the SDK");
    println!(
        "GET /api/users, {} users: {} bytes plain, {} bytes gzipped ({:.1}x smaller)",
        users.len(),
        sizes[0],
        sizes[1],
        sizes[0] as f64 / sizes[1] as f64
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

/// What the kernel counted for this process so far, from /proc (zeros where there is none): the
/// costs of running in parallel that an instruction count does not show.
#[derive(Clone, Copy, Default)]
struct KernelCounts {
    /// Threads giving up the CPU to wait (a park, a lock).
    switches: u64,
    /// Threads taken off the CPU.
    forced: u64,
    /// Minor page faults: memory the allocator gave back and took again.
    faults: u64,
}

impl KernelCounts {
    fn since(self, before: KernelCounts) -> KernelCounts {
        KernelCounts {
            switches: self.switches.saturating_sub(before.switches),
            forced: self.forced.saturating_sub(before.forced),
            faults: self.faults.saturating_sub(before.faults),
        }
    }
}

/// CPU time in clock ticks, in the program's own code and in the kernel's.
#[derive(Clone, Copy, Default)]
struct CpuTicks {
    user: u64,
    kernel: u64,
}

impl CpuTicks {
    fn add(&mut self, more: CpuTicks) {
        self.user += more.user;
        self.kernel += more.kernel;
    }

    fn since(self, before: CpuTicks) -> CpuTicks {
        CpuTicks {
            user: self.user.saturating_sub(before.user),
            kernel: self.kernel.saturating_sub(before.kernel),
        }
    }
}

fn kernel_counts() -> KernelCounts {
    let mut counts = KernelCounts {
        faults: process_stat().0,
        ..KernelCounts::default()
    };
    let field = |status: &str, name: &str| -> u64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    };
    if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
        for task in tasks.filter_map(Result::ok) {
            if let Ok(status) = std::fs::read_to_string(task.path().join("status")) {
                counts.switches += field(&status, "voluntary_ctxt_switches:");
                counts.forced += field(&status, "nonvoluntary_ctxt_switches:");
            }
        }
    }
    counts
}

/// This process's minor page faults and CPU time so far: fields 10, 14 and 15 of
/// /proc/self/stat, counted from the process id (the command before them is in parentheses and
/// may hold spaces); zeros where there is none.
fn process_stat() -> (u64, CpuTicks) {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return (0, CpuTicks::default());
    };
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, after)| after.split_whitespace().collect())
        .unwrap_or_default();
    let nth = |n: usize| fields.get(n).and_then(|v| v.parse().ok()).unwrap_or(0);
    (
        nth(7),
        CpuTicks {
            user: nth(11),
            kernel: nth(12),
        },
    )
}

/// CPU time this process has used so far, all threads together, from /proc (zero where there
/// is none): nanoseconds from each thread's `schedstat`.
pub fn cpu_time() -> Duration {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Duration::ZERO;
    };
    let nanos: u64 = tasks
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok())
        .filter_map(|line| line.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    Duration::from_nanos(nanos)
}
