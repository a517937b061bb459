//! When a failed attempt is tried again, and how long to wait first.
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

use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

/// How a client retries. Build one with [`RetryPolicy::new`] and the `with_*` methods.
///
/// Which failures are retried depends on what happened and on whether the call is idempotent:
///
/// | what happened | idempotent call | non-idempotent call |
/// |---|---|---|
/// | the request never left: connect refused or reset, DNS, TLS handshake, connect timeout | retry | retry |
/// | 429, or 503 (the service did not take the request) | retry, honouring `Retry-After` | retry, honouring `Retry-After` |
/// | connection dropped after the request was written, read or attempt timeout, 502, 504, 409 | retry with backoff | never: the error says the request may have reached the service |
///
/// A call is idempotent by its method (GET, HEAD, PUT, DELETE, OPTIONS) unless the table of
/// operations names it an exception, or the caller says otherwise with `idempotent(bool)`.
///
/// ```
/// use std::time::Duration;
/// use finbourne_identity::RetryPolicy;
///
/// let policy = RetryPolicy::new(2, 3).with_jitter(Duration::ZERO);
/// assert_eq!(policy.rate_limit_retries(), 2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    rate_limit_retries: u32,
    retries: u32,
    first_backoff: Duration,
    max_backoff: Duration,
    jitter: Duration,
    max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// 2 rate-limit retries and 3 other retries, the official SDKs' defaults.
    fn default() -> Self {
        Self::new(2, 3)
    }
}

impl RetryPolicy {
    /// `rate_limit_retries` for 429 answers, `retries` for everything else retryable.
    pub fn new(rate_limit_retries: u32, retries: u32) -> Self {
        Self {
            rate_limit_retries,
            retries,
            first_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(3),
            jitter: Duration::from_secs(1),
            max_retry_after: Duration::from_secs(120),
        }
    }

    /// The first backoff; each later one doubles, up to [`with_max_backoff`](Self::with_max_backoff).
    pub fn with_first_backoff(mut self, first: Duration) -> Self {
        self.first_backoff = first;
        self
    }

    /// The longest backoff before jitter (default 3 s).
    pub fn with_max_backoff(mut self, max: Duration) -> Self {
        self.max_backoff = max;
        self
    }

    /// Up to this much random time is added to each backoff (default 1 s; zero for none).
    pub fn with_jitter(mut self, jitter: Duration) -> Self {
        self.jitter = jitter;
        self
    }

    /// The longest `Retry-After` honoured (default 120 s); a longer one gives up at once.
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

    /// The same policy with other budgets.
    pub fn with_budgets(mut self, rate_limit_retries: u32, retries: u32) -> Self {
        self.rate_limit_retries = rate_limit_retries;
        self.retries = retries;
        self
    }

    /// What to do after an attempt of a call that is (or is not) `idempotent`: wait and retry,
    /// or stop. Counts the retry against its budget.
    ///
    /// ```
    /// use std::time::Duration;
    /// use finbourne_identity::{Attempts, Outcome, RetryDecision, RetryPolicy};
    ///
    /// let policy = RetryPolicy::new(2, 3).with_jitter(Duration::ZERO);
    /// let mut spent = Attempts::default();
    /// // A POST whose connection dropped after it was written is never repeated...
    /// assert_eq!(policy.decide(Outcome::MaybeProcessed, false, &mut spent), RetryDecision::Final { retryable: false });
    /// // ...a GET is.
    /// assert_eq!(policy.decide(Outcome::MaybeProcessed, true, &mut spent), RetryDecision::Retry(Duration::from_millis(200)));
    /// ```
    pub fn decide(
        &self,
        outcome: Outcome<'_>,
        idempotent: bool,
        spent: &mut Attempts,
    ) -> RetryDecision {
        let (budget, used, headers) = match outcome {
            Outcome::NotSent => (self.retries, &mut spent.other, None),
            Outcome::MaybeProcessed if idempotent => (self.retries, &mut spent.other, None),
            Outcome::MaybeProcessed => return RetryDecision::Final { retryable: false },
            Outcome::Answered(status, headers) => match status {
                StatusCode::TOO_MANY_REQUESTS => (
                    self.rate_limit_retries,
                    &mut spent.rate_limited,
                    Some(headers),
                ),
                StatusCode::SERVICE_UNAVAILABLE => (self.retries, &mut spent.other, Some(headers)),
                StatusCode::CONFLICT | StatusCode::BAD_GATEWAY | StatusCode::GATEWAY_TIMEOUT
                    if idempotent =>
                {
                    (self.retries, &mut spent.other, Some(headers))
                }
                _ => {
                    let retryable = matches!(
                        status,
                        StatusCode::CONFLICT
                            | StatusCode::BAD_GATEWAY
                            | StatusCode::GATEWAY_TIMEOUT
                    ) && idempotent;
                    return RetryDecision::Final { retryable };
                }
            },
        };
        if *used >= budget {
            return RetryDecision::Final { retryable: true };
        }
        *used += 1;
        let n = *used - 1;
        // Looked up only for an answer that will be retried: the success path never reads it.
        match headers.and_then(|h| retry_after(h, SystemTime::now())) {
            Some(wait) if wait > self.max_retry_after => RetryDecision::Final { retryable: true },
            Some(wait) => RetryDecision::Retry(wait),
            None => RetryDecision::Retry(self.backoff(n)),
        }
    }

    /// The backoff before retry number `n` (0-based): doubling from the first, capped, plus jitter.
    pub fn backoff(&self, n: u32) -> Duration {
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

/// What happened to one attempt, as far as retrying it is concerned.
///
/// ```
/// use finbourne_identity::Outcome;
/// let dropped = Outcome::MaybeProcessed;
/// # let _ = dropped;
/// ```
#[derive(Debug, Clone, Copy)]
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

/// What [`RetryPolicy::decide`] chose.
///
/// ```
/// use finbourne_identity::RetryDecision;
/// assert_ne!(RetryDecision::Final { retryable: true }, RetryDecision::Final { retryable: false });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Wait this long, then send again.
    Retry(std::time::Duration),
    /// Stop here. `retryable`: whether this kind of failure is one the policy retries for this
    /// call (and only the budget or an over-long `Retry-After` stopped it).
    Final {
        /// Whether the table retries this failure for this call.
        retryable: bool,
    },
}

/// Retries spent so far on one call, per budget.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Attempts {
    /// Retries after 429.
    pub rate_limited: u32,
    /// Other retries.
    pub other: u32,
}

/// The wait a `Retry-After` header asks for: whole seconds or an HTTP date (past dates: zero).
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Too many seconds to count is a wait beyond any limit, not no wait at all.
        return Some(value.parse().map_or(Duration::MAX, Duration::from_secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(retry_after: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, retry_after.parse().unwrap());
        h
    }

    fn exact() -> RetryPolicy {
        RetryPolicy::new(2, 3).with_jitter(Duration::ZERO)
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
        let mut spent = Attempts::default();
        let too_long = headers("18446744073709551616");
        let decision = exact().decide(
            Outcome::Answered(StatusCode::TOO_MANY_REQUESTS, &too_long),
            true,
            &mut spent,
        );
        assert_eq!(decision, RetryDecision::Final { retryable: true });
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
            let mut spent = Attempts::default();
            let decision = exact().decide(outcome, idempotent, &mut spent);
            assert_eq!(
                matches!(decision, RetryDecision::Retry(_)),
                retried,
                "{outcome:?}, idempotent {idempotent}: {decision:?}"
            );
            if !retried {
                assert_eq!(spent, Attempts::default(), "a final answer spends nothing");
            }
        }
    }

    #[test]
    fn rate_limits_spend_their_own_budget_and_honour_retry_after() {
        let policy = exact();
        let mut spent = Attempts::default();
        let wait = headers("1");
        let empty = HeaderMap::new();
        let limited = |h| Outcome::Answered(StatusCode::TOO_MANY_REQUESTS, h);
        assert_eq!(
            policy.decide(limited(&wait), false, &mut spent),
            RetryDecision::Retry(Duration::from_secs(1))
        );
        assert_eq!(
            policy.decide(limited(&empty), false, &mut spent),
            RetryDecision::Retry(Duration::from_millis(400)),
            "without Retry-After: exponential backoff"
        );
        assert_eq!(
            policy.decide(limited(&wait), false, &mut spent),
            RetryDecision::Final { retryable: true }
        );
        assert_eq!(
            spent,
            Attempts {
                rate_limited: 2,
                other: 0
            }
        );
        // The other budget is untouched.
        let unavailable = Outcome::Answered(StatusCode::SERVICE_UNAVAILABLE, &wait);
        assert_eq!(
            policy.decide(unavailable, false, &mut spent),
            RetryDecision::Retry(Duration::from_secs(1)),
            "503 honours Retry-After"
        );
    }

    #[test]
    fn other_retries_back_off_exponentially_until_the_budget_is_spent() {
        let policy = exact();
        let mut spent = Attempts::default();
        let none = HeaderMap::new();
        let waits: Vec<_> = [
            Outcome::NotSent,
            Outcome::Answered(StatusCode::GATEWAY_TIMEOUT, &none),
            Outcome::MaybeProcessed,
            Outcome::NotSent,
        ]
        .into_iter()
        .map(|o| policy.decide(o, true, &mut spent))
        .collect();
        assert_eq!(
            waits,
            [
                RetryDecision::Retry(Duration::from_millis(200)),
                RetryDecision::Retry(Duration::from_millis(400)),
                RetryDecision::Retry(Duration::from_millis(800)),
                RetryDecision::Final { retryable: true },
            ]
        );
    }

    #[test]
    fn backoff_is_capped_and_jitter_bounded() {
        let policy = RetryPolicy::new(0, 20);
        for n in 0..20 {
            let wait = policy.backoff(n);
            assert!(wait <= Duration::from_secs(4), "{n}: {wait:?}");
        }
        assert_eq!(exact().backoff(10), Duration::from_secs(3));
        assert_eq!(exact().backoff(40), Duration::from_secs(3), "no overflow");
        let huge = RetryPolicy::new(2, 3)
            .with_first_backoff(Duration::MAX)
            .with_max_backoff(Duration::MAX)
            .with_jitter(Duration::MAX);
        for n in [0, 1, 63, u32::MAX] {
            assert_eq!(huge.backoff(n), Duration::MAX, "saturates, never panics");
        }
    }

    #[test]
    fn an_overlong_retry_after_gives_up() {
        let mut spent = Attempts::default();
        let policy = exact().with_max_retry_after(Duration::from_secs(5));
        let long = headers("3600");
        assert_eq!(
            policy.decide(
                Outcome::Answered(StatusCode::TOO_MANY_REQUESTS, &long),
                true,
                &mut spent
            ),
            RetryDecision::Final { retryable: true }
        );
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
            let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
            for text in [value, seconds.to_string(), format!(" {seconds} ")] {
                let mut headers = HeaderMap::new();
                let Ok(v) = text.parse() else { continue };
                headers.insert(RETRY_AFTER, v);
                let wait = retry_after(&headers, now);
                let mut spent = Attempts::default();
                let decision = RetryPolicy::default().decide(
                    Outcome::Answered(StatusCode::TOO_MANY_REQUESTS, &headers),
                    true,
                    &mut spent,
                );
                if let RetryDecision::Retry(w) = decision {
                    prop_assert!(w <= Duration::from_secs(120), "{text:?}: waits {w:?}");
                    prop_assert!(wait.is_none() || wait == Some(w));
                }
            }
        }
    }
}
