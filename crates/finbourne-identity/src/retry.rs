//! When a failed attempt is tried again, and how long to wait first: the [`RetryPolicy`] a
//! client or a call is given, [`StandardRetry`] (the built-in one), and the attempt loop every
//! request takes, API calls and token requests alike.
//!
//! A retry is decided by what happened to the attempt and whether the call is idempotent,
//! never by the status alone: a write the service may have received is not sent again.
//!
//! | what happened | idempotent call | non-idempotent call |
//! |---|---|---|
//! | the request never left: connect refused or reset, DNS, TLS handshake, connect timeout | retry | retry |
//! | 429, or 503 (the service did not take the request) | retry, honouring `Retry-After` | retry, honouring `Retry-After` |
//! | connection dropped after the request was written, read or attempt timeout, 502, 504, 409 | retry with backoff | never: the error says the request may have reached the service |
//!
//! Two budgets, as in the official SDKs: 429 spends the rate-limit retries, everything else
//! the other retries. Backoff doubles from 200 ms up to 3 s, plus up to 1 s of jitter so that
//! many clients do not retry in step. Every wait also ends within the call's total timeout: one
//! that would end after it is not started.

use std::fmt;
use std::future::Future;
use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use tokio::time::Instant;

/// Decides, after a failed attempt, whether to send the request again and after what wait:
/// the shape of google-cloud-rust's gax retry policies. The SDK asks it with what happened
/// ([`Outcome`]) and the call's [`RetryState`] (whether the call is idempotent, the retries
/// made so far); the policy holds its own budgets.
///
/// A policy is given as an `Arc<dyn RetryPolicy>` to a whole client
/// ([`IdentityClientBuilder::retry_policy`](crate::IdentityClientBuilder::retry_policy)) or to
/// one call ([`CallOptions::retry_policy`](crate::CallOptions::retry_policy)); the call's wins.
/// Whatever the policy says, a wait that would end after the call's total timeout is not
/// started. [`StandardRetry`] is the built-in policy.
///
/// A policy that retries any failure of an idempotent call three times, a second apart, and
/// otherwise does what the standard policy does:
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use finbourne_identity::{Outcome, RetryPolicy, RetryResult, RetryState, StandardRetry};
///
/// #[derive(Debug)]
/// struct Stubborn;
///
/// impl RetryPolicy for Stubborn {
///     fn on_failure(&self, state: &RetryState, outcome: Outcome<'_>) -> RetryResult {
///         match outcome {
///             Outcome::Answered(status, _) if state.idempotent() && status.is_server_error() => {
///                 if state.retries() < 3 {
///                     RetryResult::Continue(Duration::from_secs(1))
///                 } else {
///                     RetryResult::Exhausted
///                 }
///             }
///             other => StandardRetry::default().on_failure(state, other),
///         }
///     }
/// }
///
/// let internal_error = reqwest::header::HeaderMap::new();
/// let failed = Outcome::Answered(reqwest::StatusCode::INTERNAL_SERVER_ERROR, &internal_error);
/// let first = RetryState::new(true);
/// assert_eq!(Stubborn.on_failure(&first, failed), RetryResult::Continue(Duration::from_secs(1)));
/// assert_eq!(Stubborn.on_failure(&first.with_other_retries(3), failed), RetryResult::Exhausted);
/// let policy: Arc<dyn RetryPolicy> = Arc::new(Stubborn);
/// # let _ = policy;
/// ```
pub trait RetryPolicy: Send + Sync + fmt::Debug {
    /// What to do after an attempt failed with `outcome`, `state` being the call's: wait and
    /// send again ([`RetryResult::Continue`]), or stop, saying whether the failure was one this
    /// policy retries ([`RetryResult::Exhausted`], after which
    /// [`Error::is_retryable`](crate::Error::is_retryable) is true) or not
    /// ([`RetryResult::Permanent`]).
    ///
    /// Not asked after a success, after a failure no retry can help (the total timeout
    /// expired, an answer too large, a redirect, no token to be had), nor for the one
    /// repetition with a renewed token after a 401.
    fn on_failure(&self, state: &RetryState, outcome: Outcome<'_>) -> RetryResult;
}

/// What happened to a failed attempt, as far as retrying it is concerned.
///
/// `Debug` shows an answer's status, not its headers.
///
/// ```
/// use finbourne_identity::Outcome;
/// use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};
///
/// let mut headers = HeaderMap::new();
/// headers.insert(RETRY_AFTER, HeaderValue::from_static("7"));
/// let limited = Outcome::Answered(reqwest::StatusCode::TOO_MANY_REQUESTS, &headers);
/// assert_eq!(limited.retry_after(), Some(std::time::Duration::from_secs(7)));
/// assert_eq!(format!("{limited:?}"), "Answered(429)");
/// assert_eq!(Outcome::MaybeProcessed.retry_after(), None);
/// ```
#[derive(Clone, Copy)]
#[non_exhaustive]
pub enum Outcome<'a> {
    /// The request never left this machine: connection refused or reset while connecting,
    /// DNS, TLS handshake, connect timeout.
    NotSent,
    /// The service answered with this status and these headers.
    Answered(StatusCode, &'a HeaderMap),
    /// The request may have reached the service: the connection dropped after it was written,
    /// or a read or attempt timeout expired.
    MaybeProcessed,
}

impl Outcome<'_> {
    /// The wait an answer's `Retry-After` header asks for, whole seconds or an HTTP date
    /// (a past date: zero; more seconds than a `u64` holds: [`Duration::MAX`]).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Answered(_, headers) => retry_after(headers, SystemTime::now()),
            Self::NotSent | Self::MaybeProcessed => None,
        }
    }
}

impl fmt::Debug for Outcome<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotSent => f.write_str("NotSent"),
            Self::Answered(status, _) => write!(f, "Answered({})", status.as_u16()),
            Self::MaybeProcessed => f.write_str("MaybeProcessed"),
        }
    }
}

/// What a [`RetryPolicy`] decided.
///
/// ```
/// use std::time::Duration;
/// use finbourne_identity::{Outcome, RetryPolicy, RetryResult, RetryState, StandardRetry};
///
/// let policy = StandardRetry::new(2, 1).with_jitter(Duration::ZERO);
/// let dropped = Outcome::MaybeProcessed;
/// // A GET whose connection dropped is sent again after the first backoff...
/// let first = RetryState::new(true);
/// assert_eq!(policy.on_failure(&first, dropped), RetryResult::Continue(Duration::from_millis(200)));
/// // ...once: the budget of one is then spent. A POST is never repeated after a drop.
/// assert_eq!(policy.on_failure(&first.with_other_retries(1), dropped), RetryResult::Exhausted);
/// assert_eq!(policy.on_failure(&RetryState::new(false), dropped), RetryResult::Permanent);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryResult {
    /// Wait this long, then send the request again.
    Continue(Duration),
    /// Stop: the failure is one the policy retries, but its budget is spent (or the wait
    /// asked for is longer than it accepts). The error says it is retryable: a later call
    /// may succeed.
    Exhausted,
    /// Stop: the policy does not retry this failure for this call.
    Permanent,
}

/// What a [`RetryPolicy`] knows of the call so far: whether it is idempotent, and the
/// retries made, per budget. Fields may be added; build one with [`new`](Self::new) and the
/// `with_*` methods to test a policy.
///
/// ```
/// use finbourne_identity::RetryState;
///
/// let state = RetryState::new(false).with_rate_limit_retries(2).with_other_retries(1);
/// assert!(!state.idempotent());
/// assert_eq!((state.rate_limit_retries(), state.other_retries(), state.retries()), (2, 1, 3));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryState {
    idempotent: bool,
    rate_limit_retries: u32,
    other_retries: u32,
}

impl RetryState {
    /// The state after the first attempt of a call that is (or is not) `idempotent`: no
    /// retry yet.
    pub fn new(idempotent: bool) -> Self {
        Self {
            idempotent,
            rate_limit_retries: 0,
            other_retries: 0,
        }
    }

    /// The same state with `retries` retries after a 429.
    pub fn with_rate_limit_retries(mut self, retries: u32) -> Self {
        self.rate_limit_retries = retries;
        self
    }

    /// The same state with `retries` retries after other failures.
    pub fn with_other_retries(mut self, retries: u32) -> Self {
        self.other_retries = retries;
        self
    }

    /// Whether the call may be repeated after it may have reached the service: by its
    /// operation, or as the call set it ([`Call::idempotent`](crate::Call::idempotent)).
    pub fn idempotent(&self) -> bool {
        self.idempotent
    }

    /// Retries made so far after a 429 answer.
    pub fn rate_limit_retries(&self) -> u32 {
        self.rate_limit_retries
    }

    /// Retries made so far after other failures.
    pub fn other_retries(&self) -> u32 {
        self.other_retries
    }

    /// Retries made so far, for any reason.
    pub fn retries(&self) -> u32 {
        self.rate_limit_retries.saturating_add(self.other_retries)
    }

    /// Counts a retry after `outcome`.
    fn count(&mut self, outcome: Why) {
        match outcome {
            Why::Answered(StatusCode::TOO_MANY_REQUESTS) => {
                self.rate_limit_retries = self.rate_limit_retries.saturating_add(1)
            }
            _ => self.other_retries = self.other_retries.saturating_add(1),
        }
    }
}

/// The built-in [`RetryPolicy`]: the table of the [crate docs](crate#retries), with two
/// budgets as in the official SDKs.
///
/// A client's default is `StandardRetry::new(config.rate_limit_retries, config.retries)` (2
/// and 3 unless configured); token requests have their own: 4 rate-limit retries, nothing
/// else retried.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use finbourne_identity::{Outcome, RetryPolicy, RetryResult, RetryState, StandardRetry};
///
/// let policy = StandardRetry::new(2, 3).with_jitter(Duration::ZERO);
/// // A POST whose connection dropped after it was written is never repeated...
/// assert_eq!(policy.on_failure(&RetryState::new(false), Outcome::MaybeProcessed), RetryResult::Permanent);
/// // ...a GET is, after the first backoff.
/// assert_eq!(
///     policy.on_failure(&RetryState::new(true), Outcome::MaybeProcessed),
///     RetryResult::Continue(Duration::from_millis(200))
/// );
/// // Three retries spent: no more.
/// let spent = RetryState::new(true).with_other_retries(3);
/// assert_eq!(policy.on_failure(&spent, Outcome::NotSent), RetryResult::Exhausted);
///
/// let for_the_client: Arc<dyn RetryPolicy> = Arc::new(policy);
/// # let _ = for_the_client;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StandardRetry {
    rate_limit_retries: u32,
    retries: u32,
    first_backoff: Duration,
    max_backoff: Duration,
    jitter: Duration,
    max_retry_after: Duration,
}

impl Default for StandardRetry {
    /// 2 rate-limit retries and 3 other retries, the official SDKs' defaults.
    fn default() -> Self {
        Self::new(2, 3)
    }
}

impl StandardRetry {
    /// `rate_limit_retries` for 429 answers, `retries` for everything else retryable.
    ///
    /// ```
    /// let patient = finbourne_identity::StandardRetry::new(10, 5);
    /// assert_eq!((patient.rate_limit_retries(), patient.retries()), (10, 5));
    /// ```
    pub const fn new(rate_limit_retries: u32, retries: u32) -> Self {
        Self {
            rate_limit_retries,
            retries,
            first_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(3),
            jitter: Duration::from_secs(1),
            max_retry_after: Duration::from_secs(120),
        }
    }

    /// The first backoff (default 200 ms); each later one doubles, up to
    /// [`with_max_backoff`](Self::with_max_backoff).
    ///
    /// ```
    /// # use std::time::Duration;
    /// let quick = finbourne_identity::StandardRetry::default().with_first_backoff(Duration::from_millis(50));
    /// # let _ = quick;
    /// ```
    pub fn with_first_backoff(mut self, first: Duration) -> Self {
        self.first_backoff = first;
        self
    }

    /// The longest backoff before jitter (default 3 s).
    ///
    /// ```
    /// # use std::time::Duration;
    /// let slow = finbourne_identity::StandardRetry::default().with_max_backoff(Duration::from_secs(10));
    /// # let _ = slow;
    /// ```
    pub fn with_max_backoff(mut self, max: Duration) -> Self {
        self.max_backoff = max;
        self
    }

    /// Up to this much random time is added to each backoff (default 1 s; zero for none).
    ///
    /// ```
    /// # use std::time::Duration;
    /// let exact = finbourne_identity::StandardRetry::default().with_jitter(Duration::ZERO);
    /// # let _ = exact;
    /// ```
    pub fn with_jitter(mut self, jitter: Duration) -> Self {
        self.jitter = jitter;
        self
    }

    /// The longest `Retry-After` honoured (default 120 s); a longer one gives up at once.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let impatient = finbourne_identity::StandardRetry::default().with_max_retry_after(Duration::from_secs(5));
    /// # let _ = impatient;
    /// ```
    pub fn with_max_retry_after(mut self, max: Duration) -> Self {
        self.max_retry_after = max;
        self
    }

    /// How many times a 429 answer is retried.
    pub fn rate_limit_retries(&self) -> u32 {
        self.rate_limit_retries
    }

    /// How many times other retryable failures are retried.
    pub fn retries(&self) -> u32 {
        self.retries
    }

    /// The backoff before retry number `n` of a budget (0-based): doubling from the first,
    /// capped, plus jitter.
    fn backoff(&self, n: u32) -> Duration {
        let doubled = self
            .first_backoff
            .saturating_mul(1u32.checked_shl(n).unwrap_or(u32::MAX));
        let capped = doubled.min(self.max_backoff);
        let jitter = if self.jitter.is_zero() {
            Duration::ZERO
        } else {
            // A fraction of the jitter; `mul_f64` would panic where rounding makes a fraction
            // of a huge jitter exceed `Duration::MAX`.
            Duration::try_from_secs_f64(self.jitter.as_secs_f64() * fastrand::f64())
                .unwrap_or(self.jitter)
        };
        capped.saturating_add(jitter)
    }
}

impl RetryPolicy for StandardRetry {
    fn on_failure(&self, state: &RetryState, outcome: Outcome<'_>) -> RetryResult {
        let idempotent = state.idempotent();
        let other = (self.retries, state.other_retries());
        let ((budget, spent), answered) = match outcome {
            Outcome::NotSent => (other, false),
            Outcome::MaybeProcessed if idempotent => (other, false),
            Outcome::MaybeProcessed => return RetryResult::Permanent,
            Outcome::Answered(status, _) => match status {
                StatusCode::TOO_MANY_REQUESTS => {
                    ((self.rate_limit_retries, state.rate_limit_retries()), true)
                }
                StatusCode::SERVICE_UNAVAILABLE => (other, true),
                StatusCode::CONFLICT | StatusCode::BAD_GATEWAY | StatusCode::GATEWAY_TIMEOUT
                    if idempotent =>
                {
                    (other, true)
                }
                _ => return RetryResult::Permanent,
            },
        };
        if spent >= budget {
            return RetryResult::Exhausted;
        }
        // Looked up only for an answer that will be retried: the success path never reads it.
        match answered.then(|| outcome.retry_after()).flatten() {
            Some(wait) if wait > self.max_retry_after => RetryResult::Exhausted,
            Some(wait) => RetryResult::Continue(wait),
            None => RetryResult::Continue(self.backoff(spent)),
        }
    }
}

/// The wait a `Retry-After` header asks for at `now`: whole seconds or an HTTP date (past
/// dates: zero).
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Too many seconds to count is a wait beyond any limit, not no wait at all.
        return Some(value.parse().map_or(Duration::MAX, Duration::from_secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// How one attempt ended, for [`attempts`].
pub(crate) enum Tried<T, E> {
    /// The answer the request is for.
    Done(T),
    /// A failure: put to the policy when it says what happened ([`Failure::outcome`]),
    /// final otherwise.
    Failed(E),
    /// Send again at once, without asking the policy or counting a retry: the token was
    /// renewed after a 401.
    Again,
}

/// A failed attempt's error, as the attempt loop needs it.
pub(crate) trait Failure {
    /// What happened, for the policy; `None` when no retry can help.
    fn outcome(&self) -> Option<Outcome<'_>>;
    /// Records whether the policy retries this kind of failure for this call.
    fn set_retryable(&mut self, retryable: bool);
    /// The error's kind, for traces: OpenTelemetry's `error.type`.
    fn kind(&self) -> &str;
}

/// One request, attempted as often as the policy says.
pub(crate) trait Attempt: Send {
    type Output;
    type Error: Failure;
    /// Sends the request once and reads what came back.
    fn attempt(&mut self) -> impl Future<Output = Tried<Self::Output, Self::Error>> + Send;
    /// Whether the request may be sent again after it may have reached the service. Asked
    /// only after a failure.
    fn idempotent(&self) -> bool;
}

/// A call attempted through a reference, so that the attempt loop need not own (and its
/// future hold a copy of) the call.
impl<A: Attempt> Attempt for &mut A {
    type Output = A::Output;
    type Error = A::Error;

    fn attempt(&mut self) -> impl Future<Output = Tried<Self::Output, Self::Error>> + Send {
        (**self).attempt()
    }

    fn idempotent(&self) -> bool {
        (**self).idempotent()
    }
}

/// What happened, as the retry event tells it: a status, or whether the request left.
#[derive(Clone, Copy)]
enum Why {
    NotSent,
    Answered(StatusCode),
    MaybeProcessed,
}

impl From<Outcome<'_>> for Why {
    fn from(outcome: Outcome<'_>) -> Self {
        match outcome {
            Outcome::NotSent => Self::NotSent,
            Outcome::Answered(status, _) => Self::Answered(status),
            Outcome::MaybeProcessed => Self::MaybeProcessed,
        }
    }
}

impl fmt::Display for Why {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotSent => f.write_str("the request could not be sent"),
            Self::Answered(status) => write!(f, "the service answered {status}"),
            Self::MaybeProcessed => f.write_str("the request may have reached the service"),
        }
    }
}

/// The attempt loop of every request, API calls and token requests alike: attempts `call`
/// until it succeeds, fails in a way no retry can help, or `policy` stops it, waiting what the
/// policy says between attempts; a wait that would end after `deadline` is not started.
///
/// Records on the current span (the call's or the token request's) the attempts made and
/// whether the call was retried, and emits an event for each retry with its reason and wait.
///
/// A plain function around an `async` block: an `async fn` keeps each argument twice in its
/// future (as argument and as local).
#[allow(clippy::manual_async_fn)] // the `async fn` it suggests is the larger future
pub(crate) fn attempts<'p, A: Attempt + 'p>(
    mut call: A,
    policy: &'p dyn RetryPolicy,
    deadline: Option<Instant>,
) -> impl Future<Output = Result<A::Output, A::Error>> + 'p {
    async move {
        let span = recording_span();
        let mut state: Option<RetryState> = None;
        let mut sent: u32 = 0;
        loop {
            sent = sent.saturating_add(1);
            span.record("attempts", sent);
            let mut error = match call.attempt().await {
                Tried::Done(output) => return Ok(output),
                Tried::Again => continue,
                Tried::Failed(error) => error,
            };
            let Some(outcome) = error.outcome() else {
                return Err(error);
            };
            let state = state.get_or_insert_with(|| RetryState::new(call.idempotent()));
            let decision = policy.on_failure(state, outcome);
            let why = Why::from(outcome);
            let wait = match decision {
                RetryResult::Continue(wait) => wait,
                RetryResult::Exhausted | RetryResult::Permanent => {
                    error.set_retryable(decision == RetryResult::Exhausted);
                    return Err(error);
                }
            };
            error.set_retryable(true);
            // A wait that would end after the deadline does not start: the call ends now, with
            // what went wrong last.
            if deadline.is_some_and(|d| Instant::now().checked_add(wait).is_none_or(|end| end > d))
            {
                tracing::debug!(
                    attempt = sent,
                    reason = %why,
                    wait_ms = millis(wait),
                    "not retrying: the wait would end after the total timeout"
                );
                return Err(error);
            }
            state.count(why);
            span.record("retried", true);
            tracing::info!(
                attempt = sent,
                reason = %why,
                error.type = error.kind(),
                wait_ms = millis(wait),
                "retrying"
            );
            tokio::time::sleep(wait).await;
        }
    }
}

/// The span of the call or token request in progress, which its fields are recorded on; none
/// when INFO is off. Both are INFO spans, disabled then: looking the current span up would cost
/// every call for nothing.
pub(crate) fn recording_span() -> tracing::Span {
    if tracing::level_enabled!(tracing::Level::INFO) {
        tracing::Span::current()
    } else {
        tracing::Span::none()
    }
}

/// A duration in whole milliseconds, for traces.
pub(crate) fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(retry_after: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, retry_after.parse().unwrap());
        h
    }

    fn exact() -> StandardRetry {
        StandardRetry::new(2, 3).with_jitter(Duration::ZERO)
    }

    /// Asks `policy` about each outcome in turn, counting retries as the attempt loop does.
    fn decide_all(
        policy: &dyn RetryPolicy,
        idempotent: bool,
        outcomes: &[Outcome<'_>],
    ) -> (Vec<RetryResult>, RetryState) {
        let mut state = RetryState::new(idempotent);
        let results = outcomes
            .iter()
            .map(|&outcome| {
                let result = policy.on_failure(&state, outcome);
                if let RetryResult::Continue(_) = result {
                    state.count(Why::from(outcome));
                }
                result
            })
            .collect();
        (results, state)
    }

    #[test]
    fn retry_after_seconds_and_http_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(
            retry_after(&headers("7"), now),
            Some(Duration::from_secs(7))
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(
            retry_after(&headers(&later), now),
            Some(Duration::from_secs(30))
        );
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(retry_after(&headers(&earlier), now), Some(Duration::ZERO));
        assert_eq!(retry_after(&headers("soon"), now), None);
        assert_eq!(
            retry_after(&headers("18446744073709551616"), now),
            Some(Duration::MAX),
            "2^64 seconds is a wait beyond any limit, not none"
        );
        assert_eq!(
            retry_after(&headers("99999999999999999999999999"), now),
            Some(Duration::MAX)
        );
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn a_retry_after_too_large_to_count_gives_up_at_once() {
        let too_long = headers("18446744073709551616");
        let decision = exact().on_failure(
            &RetryState::new(true),
            Outcome::Answered(StatusCode::TOO_MANY_REQUESTS, &too_long),
        );
        assert_eq!(decision, RetryResult::Exhausted);
    }

    /// The table of the crate docs, row by row: (what happened, idempotent?) -> retried?
    #[test]
    fn the_retry_table() {
        let none = HeaderMap::new();
        let status = |code: u16| Outcome::Answered(StatusCode::from_u16(code).unwrap(), &none);
        let rows: [(Outcome, bool, bool); 18] = [
            (Outcome::NotSent, true, true),
            (Outcome::NotSent, false, true),
            (status(429), true, true),
            (status(429), false, true),
            (status(503), true, true),
            (status(503), false, true),
            (Outcome::MaybeProcessed, true, true),
            (Outcome::MaybeProcessed, false, false),
            (status(502), true, true),
            (status(502), false, false),
            (status(504), true, true),
            (status(504), false, false),
            (status(409), true, true),
            (status(409), false, false),
            (status(500), true, false),
            (status(400), true, false),
            (status(401), true, false),
            (status(404), false, false),
        ];
        for (outcome, idempotent, retried) in rows {
            let decision = exact().on_failure(&RetryState::new(idempotent), outcome);
            let expected = if retried {
                matches!(decision, RetryResult::Continue(_))
            } else {
                decision == RetryResult::Permanent
            };
            assert!(
                expected,
                "{outcome:?}, idempotent {idempotent}: {decision:?}"
            );
        }
    }

    #[test]
    fn rate_limits_spend_their_own_budget_and_honour_retry_after() {
        let wait = headers("1");
        let empty = HeaderMap::new();
        let limited = |h| Outcome::Answered(StatusCode::TOO_MANY_REQUESTS, h);
        let unavailable = Outcome::Answered(StatusCode::SERVICE_UNAVAILABLE, &wait);
        let (results, state) = decide_all(
            &exact(),
            false,
            &[limited(&wait), limited(&empty), limited(&wait), unavailable],
        );
        assert_eq!(
            results,
            [
                RetryResult::Continue(Duration::from_secs(1)),
                // Without Retry-After: exponential backoff, counted in its own budget.
                RetryResult::Continue(Duration::from_millis(400)),
                RetryResult::Exhausted,
                // The other budget is untouched, and 503 honours Retry-After.
                RetryResult::Continue(Duration::from_secs(1)),
            ]
        );
        assert_eq!(
            state,
            RetryState::new(false)
                .with_rate_limit_retries(2)
                .with_other_retries(1)
        );
    }

    #[test]
    fn other_retries_back_off_exponentially_until_the_budget_is_spent() {
        let none = HeaderMap::new();
        let (results, _) = decide_all(
            &exact(),
            true,
            &[
                Outcome::NotSent,
                Outcome::Answered(StatusCode::GATEWAY_TIMEOUT, &none),
                Outcome::MaybeProcessed,
                Outcome::NotSent,
            ],
        );
        assert_eq!(
            results,
            [
                RetryResult::Continue(Duration::from_millis(200)),
                RetryResult::Continue(Duration::from_millis(400)),
                RetryResult::Continue(Duration::from_millis(800)),
                RetryResult::Exhausted,
            ]
        );
    }

    #[test]
    fn backoff_is_capped_and_jitter_bounded() {
        let policy = StandardRetry::new(0, 20);
        for n in 0..20 {
            let wait = policy.backoff(n);
            assert!(wait <= Duration::from_secs(4), "{n}: {wait:?}");
        }
        assert_eq!(exact().backoff(10), Duration::from_secs(3));
        assert_eq!(exact().backoff(40), Duration::from_secs(3), "no overflow");
        let huge = StandardRetry::new(2, 3)
            .with_first_backoff(Duration::MAX)
            .with_max_backoff(Duration::MAX)
            .with_jitter(Duration::MAX);
        for n in [0, 1, 63, u32::MAX] {
            assert_eq!(huge.backoff(n), Duration::MAX, "saturates, never panics");
        }
    }

    #[test]
    fn an_overlong_retry_after_gives_up() {
        let policy = exact().with_max_retry_after(Duration::from_secs(5));
        let long = headers("3600");
        assert_eq!(
            policy.on_failure(
                &RetryState::new(true),
                Outcome::Answered(StatusCode::TOO_MANY_REQUESTS, &long),
            ),
            RetryResult::Exhausted
        );
    }

    #[test]
    fn an_outcome_shows_no_header() {
        let mut planted = HeaderMap::new();
        planted.insert("set-cookie", "session=PLANTED".parse().unwrap());
        let outcome = Outcome::Answered(StatusCode::SERVICE_UNAVAILABLE, &planted);
        assert_eq!(format!("{outcome:?}"), "Answered(503)");
    }

    /// A failure the loop below is given: what happened, or nothing a retry can help.
    #[derive(Debug)]
    struct Failed(Option<StatusCode>, HeaderMap, bool);

    impl Failure for Failed {
        fn outcome(&self) -> Option<Outcome<'_>> {
            self.0.map(|status| Outcome::Answered(status, &self.1))
        }
        fn set_retryable(&mut self, retryable: bool) {
            self.2 = retryable;
        }
        fn kind(&self) -> &str {
            "test"
        }
    }

    /// Answers from a script, one per attempt, counting them.
    struct Script(Vec<Tried<&'static str, Failed>>, u32);

    impl Attempt for Script {
        type Output = &'static str;
        type Error = Failed;
        async fn attempt(&mut self) -> Tried<&'static str, Failed> {
            self.1 += 1;
            self.0.remove(0)
        }
        fn idempotent(&self) -> bool {
            true
        }
    }

    fn failed(code: u16) -> Tried<&'static str, Failed> {
        Tried::Failed(Failed(
            Some(StatusCode::from_u16(code).unwrap()),
            HeaderMap::new(),
            false,
        ))
    }

    #[tokio::test(start_paused = true)]
    async fn the_loop_waits_what_the_policy_says_and_marks_what_it_gives_up_on() {
        let started = Instant::now();
        let script = Script(vec![failed(503), Tried::Again, failed(503), failed(503)], 0);
        let policy = StandardRetry::new(0, 2).with_jitter(Duration::ZERO);
        let error = attempts(script, &policy, None).await.unwrap_err();
        assert!(error.2, "exhausted: retryable");
        assert_eq!(
            started.elapsed(),
            Duration::from_millis(200 + 400),
            "two backoffs; the repetition after a renewed token waits nothing"
        );

        let script = Script(vec![failed(503), Tried::Done("ok")], 0);
        assert_eq!(attempts(script, &policy, None).await.unwrap(), "ok");

        let permanent = Script(vec![failed(400)], 0);
        let error = attempts(permanent, &policy, None).await.unwrap_err();
        assert!(!error.2, "permanent: not retryable");

        let hopeless = Script(
            vec![Tried::Failed(Failed(None, HeaderMap::new(), false))],
            0,
        );
        assert!(attempts(hopeless, &policy, None).await.is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn the_loop_starts_no_wait_that_would_end_after_the_deadline() {
        let started = Instant::now();
        let deadline = Some(started + Duration::from_millis(300));
        let script = Script(vec![failed(503), failed(503), Tried::Done("late")], 0);
        let policy = StandardRetry::new(0, 5).with_jitter(Duration::ZERO);
        let error = attempts(script, &policy, deadline).await.unwrap_err();
        assert!(error.2, "retryable: only the deadline stopped it");
        assert_eq!(started.elapsed(), Duration::from_millis(200));
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(10_000))]

        #[test]
        fn any_retry_after_value_is_read_without_panic(value in "\\PC{0,40}", seconds in any::<u64>()) {
            for text in [value, seconds.to_string(), format!(" {seconds} ")] {
                let mut headers = HeaderMap::new();
                let Ok(v) = text.parse() else { continue };
                headers.insert(RETRY_AFTER, v);
                let wait = retry_after(&headers, SystemTime::now());
                let decision = StandardRetry::default().on_failure(
                    &RetryState::new(true),
                    Outcome::Answered(StatusCode::TOO_MANY_REQUESTS, &headers),
                );
                if let RetryResult::Continue(w) = decision {
                    prop_assert!(w <= Duration::from_secs(120), "{text:?}: waits {w:?}");
                    // Read a moment later: an HTTP date's wait may differ by a little.
                    prop_assert!(wait.is_none_or(|r| r.abs_diff(w) <= Duration::from_secs(1)));
                }
            }
        }
    }
}
