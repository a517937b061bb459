//! Waiting for a deadline without a timer of its own while the deadline is far away.
//!
//! A tokio timer per call costs a wheel insert and a wheel remove, each under a lock, and
//! each touching the entries of other calls' timers beside it in the wheel, which other
//! workers last wrote. With 64 calls in flight on two cores that came to about as much CPU as
//! all the rest of what the SDK adds to bare reqwest. Nearly every call ends long before its
//! deadline (30 minutes by default). So a far deadline is watched coarsely instead: the call's
//! waker is kept in its thread's [`Watch`], and one task per watch wakes every call it holds
//! once a [`TICK`], for as long as it holds any. A call reads the clock only when a tick has
//! come since it last did, and once its deadline is nearer than [`NEAR`] it takes a timer of
//! its own. So it still ends on its deadline, as it would with a timer from the start.

use std::cell::RefCell;
use std::hash::{Hash, Hasher};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, RawWakerVTable, Waker};
use std::time::Duration;

use pin_project_lite::pin_project;
use tokio::runtime::{Handle, Id};
use tokio::task;
use tokio::time::{Instant, Sleep};

/// How often a watch wakes the calls it holds.
const TICK: Duration = Duration::from_secs(1);

/// A deadline nearer than this is waited for with a timer of its own. It is more than a tick,
/// so a watched call is woken, and reads the clock, at least once while its deadline is this
/// near.
const NEAR: Duration = Duration::from_secs(2);

/// `future`'s output, or `None` when `deadline` comes first. With no deadline, only the
/// future.
pub(crate) fn within<F: Future>(deadline: Option<Instant>, future: F) -> Within<F> {
    Within {
        future,
        wait: match deadline {
            None => Wait::Never,
            Some(at) => Wait::Far { at, watched: None },
        },
    }
}

pin_project! {
    /// See [`within`].
    pub(crate) struct Within<F> {
        #[pin]
        future: F,
        wait: Wait,
    }
}

/// Nothing in it is pinned in place: the timer is boxed.
enum Wait {
    Never,
    /// Watched by the thread's watch once the future is pending.
    Far {
        at: Instant,
        watched: Option<Watched>,
    },
    /// A timer of its own, boxed: held inline, it would make every call's future larger for
    /// the few that come near their deadline.
    Near {
        timer: Pin<Box<Sleep>>,
    },
}

/// Whether `at` is further than [`NEAR`] from now.
fn far(at: Instant) -> bool {
    at.saturating_duration_since(Instant::now()) > NEAR
}

impl<F: Future> Future for Within<F> {
    type Output = Option<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        // The future first, as tokio's `Timeout` does: an output that is there is taken.
        if let Poll::Ready(output) = this.future.poll(cx) {
            return Poll::Ready(Some(output));
        }
        let at = match this.wait {
            Wait::Never => return Poll::Pending,
            Wait::Near { timer } => return timer.as_mut().poll(cx).map(|()| None),
            Wait::Far { at, watched } => {
                match watched {
                    // Without a tick since the clock was last read, the deadline is still far:
                    // ticks come more often than `NEAR`.
                    Some(kept) => {
                        if !kept.ticked() || far(*at) {
                            kept.follow(cx.waker());
                            return Poll::Pending;
                        }
                    }
                    // Outside a runtime there is nothing to watch on: the timer below fails
                    // as tokio's own would.
                    None => {
                        if far(*at)
                            && let Some(fresh) = Watched::new(cx.waker())
                        {
                            *watched = Some(fresh);
                            return Poll::Pending;
                        }
                    }
                }
                *at
            }
        };
        // Near, or no watch: the place in the watch is given back as the timer takes over.
        let mut timer = Box::pin(tokio::time::sleep_until(at));
        let polled = timer.as_mut().poll(cx).map(|()| None);
        *this.wait = Wait::Near { timer };
        polled
    }
}

/// A call's place in a watch, given back when the call ends or takes a timer of its own.
struct Watched {
    watch: Arc<Watch>,
    slot: usize,
    /// The watch's tick count when the call last read the clock.
    seen: u64,
    /// Which waker the watch holds, as [`Waker::will_wake`] tells wakers apart: the watch
    /// holds a clone of it, so no other waker can be made at the same address meanwhile.
    waker: (usize, &'static RawWakerVTable),
}

/// What [`Waker::will_wake`] compares.
fn identity(waker: &Waker) -> (usize, &'static RawWakerVTable) {
    (waker.data() as usize, waker.vtable())
}

impl Watched {
    fn new(waker: &Waker) -> Option<Watched> {
        let watch = Watch::of_this_thread()?;
        let seen = watch.ticks.load(Ordering::Acquire);
        let slot = watch.insert(waker.clone());
        Some(Watched {
            watch,
            slot,
            seen,
            waker: identity(waker),
        })
    }

    /// Whether a tick has come since the call last read the clock; it is about to.
    fn ticked(&mut self) -> bool {
        let ticks = self.watch.ticks.load(Ordering::Acquire);
        std::mem::replace(&mut self.seen, ticks) != ticks
    }

    /// Keeps `waker` as the one to wake: a future may be polled by another task than before.
    /// Mostly it is the same one, which needs no lock.
    fn follow(&mut self, waker: &Waker) {
        let (data, vtable) = identity(waker);
        if data != self.waker.0 || !std::ptr::eq(vtable, self.waker.1) {
            let mut held = self.watch.lock();
            if let Some(kept) = held.wakers.get_mut(self.slot) {
                *kept = Some(waker.clone());
            }
            self.waker = (data, vtable);
        }
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        self.watch.remove(self.slot);
    }
}

thread_local! {
    /// This thread's watch, for the runtime that last drove a call on it, and the tasks
    /// known to run on that runtime.
    static WATCH: RefCell<Option<ThreadWatch>> = const { RefCell::new(None) };
}

/// The most tasks a thread remembers, each in the place its id gives it.
const KNOWN: usize = 256;

struct ThreadWatch {
    watch: Arc<Watch>,
    /// A task runs on one runtime for its whole life: once its runtime is known to be the
    /// watch's, the runtime's handle (an `Arc` every worker counts up and down) is not asked
    /// for again. A task in the place of another makes that one unknown again.
    tasks: Box<[Option<task::Id>; KNOWN]>,
}

impl ThreadWatch {
    fn knows(&self, task: task::Id) -> bool {
        self.tasks[place(task)] == Some(task)
    }

    fn learn(&mut self, task: task::Id) {
        self.tasks[place(task)] = Some(task);
    }
}

/// Where a task's id goes in [`ThreadWatch::tasks`]. tokio numbers the tasks of all runtimes
/// from one counter, so an id names one task of one runtime; consecutive numbers, as the id's
/// `Hash` writes them, take consecutive places.
fn place(task: task::Id) -> usize {
    struct Number(u64);
    impl Hasher for Number {
        fn finish(&self) -> u64 {
            self.0
        }
        fn write(&mut self, bytes: &[u8]) {
            for byte in bytes {
                self.0 = self.0.rotate_left(8) ^ u64::from(*byte);
            }
        }
        fn write_u64(&mut self, n: u64) {
            self.0 ^= n;
        }
    }
    let mut number = Number(0);
    task.hash(&mut number);
    (number.finish() % KNOWN as u64) as usize
}

/// The wakers of a thread's watched calls, and whether a task is ticking for them. One per
/// thread and runtime: a thread that drives another runtime gets a new watch, whose ticks come
/// from a task of that runtime. A call ending on another thread still gives its place back,
/// under the lock; calls rarely move, so the lock is rarely shared.
struct Watch {
    runtime: Id,
    /// Ticks so far: a call that saw this change reads the clock.
    ticks: AtomicU64,
    held: Mutex<Held>,
}

#[derive(Default)]
struct Held {
    wakers: Vec<Option<Waker>>,
    /// The places in `wakers` that hold none.
    free: Vec<usize>,
    ticking: bool,
}

impl Held {
    /// The calls held.
    fn count(&self) -> usize {
        self.wakers.len() - self.free.len()
    }
}

impl Watch {
    /// The watch of this thread for the runtime the current task runs on; `None` outside a
    /// runtime.
    fn of_this_thread() -> Option<Arc<Watch>> {
        let current = task::try_id();
        WATCH.with_borrow_mut(|this_thread| {
            if let (Some(known), Some(current)) = (this_thread.as_ref(), current)
                && known.knows(current)
            {
                return Some(Arc::clone(&known.watch));
            }
            let runtime = Handle::try_current().ok()?.id();
            let known = match this_thread {
                Some(known) if known.watch.runtime == runtime => known,
                _ => this_thread.insert(ThreadWatch {
                    watch: Arc::new(Watch {
                        runtime,
                        ticks: AtomicU64::new(0),
                        held: Mutex::default(),
                    }),
                    tasks: Box::new([None; KNOWN]),
                }),
            };
            if let Some(current) = current {
                known.learn(current);
            }
            Some(Arc::clone(&known.watch))
        })
    }

    fn lock(&self) -> MutexGuard<'_, Held> {
        // Nothing here panics while holding it but allocation failure, which aborts.
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Holds `waker` until [`remove`](Self::remove), starting a task to tick when none is.
    /// Called in the runtime the watch is for.
    fn insert(self: &Arc<Self>, waker: Waker) -> usize {
        let mut held = self.lock();
        let mut first_tick = None;
        if !held.ticking {
            drop(held);
            // Made before anything is held: a runtime without timers fails the call here, as
            // a timer of the call's own would.
            first_tick = Some(tokio::time::sleep(TICK));
            held = self.lock();
        }
        let slot = match held.free.pop() {
            Some(slot) => {
                held.wakers[slot] = Some(waker);
                slot
            }
            None => {
                held.wakers.push(Some(waker));
                held.wakers.len() - 1
            }
        };
        let start = !std::mem::replace(&mut held.ticking, true);
        drop(held);
        if start {
            // A ticker that stopped since the look above: this runtime has timers, it had one.
            let first_tick = first_tick.unwrap_or_else(|| tokio::time::sleep(TICK));
            tokio::spawn(tick(Ticker::new(self), first_tick));
        }
        slot
    }

    fn remove(&self, slot: usize) {
        let mut held = self.lock();
        if let Some(waker) = held.wakers.get_mut(slot).and_then(Option::take) {
            held.free.push(slot);
            drop(held);
            drop(waker);
        }
    }
}

/// A watch's ticking task: marks the watch as not ticking however the task ends, so that a
/// later call starts another; also when the runtime drops the task before its first poll.
struct Ticker {
    watch: Arc<Watch>,
    /// Set when the task found the watch empty and marked it itself, under the lock.
    stopped: bool,
}

impl Ticker {
    fn new(watch: &Arc<Watch>) -> Ticker {
        Ticker {
            watch: Arc::clone(watch),
            stopped: false,
        }
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        if !self.stopped {
            self.watch.lock().ticking = false;
        }
    }
}

/// Wakes the watched calls once a tick until there are none: an idle runtime keeps no timer
/// of the SDK's for longer than a tick.
async fn tick(mut ticker: Ticker, first: Sleep) {
    first.await;
    loop {
        {
            let mut held = ticker.watch.lock();
            if held.count() == 0 {
                // Every place is free: none is kept for calls that are gone.
                held.wakers = Vec::new();
                held.free = Vec::new();
                held.ticking = false;
                ticker.stopped = true;
                return;
            }
            ticker.watch.ticks.fetch_add(1, Ordering::Release);
            for waker in held.wakers.iter().flatten() {
                waker.wake_by_ref();
            }
        }
        tokio::time::sleep(TICK).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Not a whole number of ticks: a deadline seen at a tick would end late.
    const FAR: Duration = Duration::from_millis(1_800_500);

    fn watch_of_this_thread() -> Arc<Watch> {
        Watch::of_this_thread().unwrap()
    }

    /// `future` within `FAR` from now, ended by the deadline: the time it took. A deadline
    /// that never comes fails the test rather than hanging it.
    async fn ended_by_deadline(future: impl Future) -> Duration {
        let start = Instant::now();
        let ended = tokio::time::timeout(2 * FAR, within(Some(start + FAR), future)).await;
        assert!(
            matches!(ended, Ok(None)),
            "the deadline never ended the wait"
        );
        start.elapsed()
    }

    #[tokio::test(start_paused = true)]
    async fn a_far_deadline_ends_a_future_that_never_finishes_on_time() {
        let took = ended_by_deadline(std::future::pending::<()>()).await;
        assert_eq!(took, FAR, "ends on its deadline, not a tick late");
    }

    #[tokio::test(start_paused = true)]
    async fn an_output_before_the_deadline_is_taken_and_the_watch_stops_ticking() {
        let start = Instant::now();
        let soon = tokio::time::sleep(Duration::from_millis(10));
        assert_eq!(within(Some(start + FAR), soon).await, Some(()));
        let watch = watch_of_this_thread();
        assert!(
            watch.lock().ticking,
            "a task ticks while the call waits and a tick after"
        );
        assert_eq!(watch.lock().count(), 0, "the call gave its place back");
        tokio::time::sleep(3 * TICK).await;
        assert!(
            !watch.lock().ticking,
            "no timer is kept for a watch that holds nothing"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_call_woken_between_ticks_ends_on_its_deadline() {
        // Woken more often than the ticks come, and never done.
        let busy = async {
            loop {
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        };
        assert_eq!(ended_by_deadline(busy).await, FAR);
    }

    #[tokio::test(start_paused = true)]
    async fn a_near_deadline_has_a_timer_of_its_own() {
        let start = Instant::now();
        let limit = Duration::from_millis(300);
        let never = std::future::pending::<()>();
        assert_eq!(within(Some(start + limit), never).await, None);
        assert_eq!(start.elapsed(), limit);
        assert_eq!(watch_of_this_thread().lock().count(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_call_polled_by_another_task_is_woken_there() {
        let start = Instant::now();
        let mut call = Box::pin(within(Some(start + FAR), std::future::pending::<()>()));
        // First polled with a waker that wakes nobody: a watch that kept it would never
        // wake the task that awaits the call below.
        let mut noop = Context::from_waker(Waker::noop());
        assert!(call.as_mut().poll(&mut noop).is_pending());
        let ended = tokio::time::timeout(2 * FAR, call).await;
        assert_eq!(
            ended,
            Ok(None),
            "the deadline ended it, not the test's own limit"
        );
        assert_eq!(start.elapsed(), FAR);
    }

    #[tokio::test(start_paused = true)]
    async fn a_task_the_watch_knows_is_watched_without_asking_for_its_runtime() {
        let took = tokio::spawn(async {
            let soon = tokio::time::sleep(Duration::from_millis(10));
            within(Some(Instant::now() + FAR), soon).await;
            let current = task::try_id().unwrap();
            let known = WATCH.with_borrow(|w| w.as_ref().unwrap().knows(current));
            assert!(known, "the first wait made the task known");
            ended_by_deadline(std::future::pending::<()>()).await
        });
        assert_eq!(took.await.unwrap(), FAR);
    }

    type Waiting = Within<std::future::Pending<()>>;

    /// A call registered, as on its first poll, in a runtime that is not driven afterwards;
    /// and the watch it is in.
    fn registered_call() -> (tokio::runtime::Runtime, Pin<Box<Waiting>>, Arc<Watch>) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let (call, watch) = runtime.block_on(async {
            let mut call = Box::pin(within(
                Some(Instant::now() + FAR),
                std::future::pending::<()>(),
            ));
            let mut noop = Context::from_waker(Waker::noop());
            assert!(call.as_mut().poll(&mut noop).is_pending());
            (call, watch_of_this_thread())
        });
        assert_eq!(watch.lock().count(), 1);
        (runtime, call, watch)
    }

    #[test]
    fn a_call_that_ends_on_another_thread_gives_its_place_back() {
        let (_runtime, call, watch) = registered_call();
        std::thread::spawn(move || drop(call)).join().unwrap();
        assert_eq!(watch.lock().count(), 0, "the place went back to its watch");
    }

    #[test]
    fn a_ticker_dropped_with_its_runtime_lets_a_later_call_start_another() {
        let (runtime, call, watch) = registered_call();
        assert!(watch.lock().ticking);
        // The runtime drops the ticking task before it ever ran.
        drop(runtime);
        assert!(
            !watch.lock().ticking,
            "a watch marked ticking would never tick again"
        );
        drop(call);
    }

    #[test]
    fn a_thread_driving_another_runtime_is_watched_by_that_runtime() {
        let runtime = || {
            tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .start_paused(true)
                .build()
                .unwrap()
        };
        // The first runtime's task ticks only while that runtime is driven.
        let first = runtime();
        first.block_on(async {
            let soon = tokio::time::sleep(Duration::from_millis(10));
            within(Some(Instant::now() + FAR), soon).await;
        });
        let took = runtime().block_on(ended_by_deadline(std::future::pending::<()>()));
        assert_eq!(took, FAR, "ticks came from this runtime");
    }
}
