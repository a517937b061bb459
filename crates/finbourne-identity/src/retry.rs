//! When a failed request is tried again, and how long to wait first.
//!
//! Two budgets, as in the official SDKs: `429 Too Many Requests` spends the rate-limit retries
//! and waits as long as `Retry-After` says (seconds or an HTTP date); `409`, `503`, `504` and
//! dropped, refused or reset connections spend the other retries, with capped exponential
//! backoff plus jitter so that many clients do not retry in step.

use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

/// How a client retries. Build one with [`RetryPolicy::new`] and the `with_*` methods.
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

    /// The wait before retrying an answer with `status`, or `None` to give up. Counts the try.
    pub fn after_status(
        &self,
        status: StatusCode,
        headers: &HeaderMap,
        attempts: &mut Attempts,
    ) -> Option<Duration> {
        let (spent, budget) = match status {
            StatusCode::TOO_MANY_REQUESTS => (&mut attempts.rate_limited, self.rate_limit_retries),
            StatusCode::CONFLICT
            | StatusCode::SERVICE_UNAVAILABLE
            | StatusCode::GATEWAY_TIMEOUT => (&mut attempts.other, self.retries),
            _ => return None,
        };
        if *spent >= budget {
            return None;
        }
        *spent += 1;
        // Looked up only for an answer that will be retried: the success path never reads it.
        match retry_after(headers, SystemTime::now()) {
            Some(wait) if wait > self.max_retry_after => None,
            Some(wait) => Some(wait),
            None => Some(self.backoff(*spent - 1)),
        }
    }

    /// The wait before retrying after a transport error, or `None` to give up. Counts the try.
    ///
    /// Refused, reset and dropped connections are retried; timeouts are not, since the server
    /// may still be working on the request and the caller's time is already spent.
    pub fn after_transport_error(
        &self,
        error: &reqwest::Error,
        attempts: &mut Attempts,
    ) -> Option<Duration> {
        let dropped =
            !error.is_timeout() && (error.is_connect() || error.is_request() || error.is_body());
        if !dropped || attempts.other >= self.retries {
            return None;
        }
        attempts.other += 1;
        Some(self.backoff(attempts.other - 1))
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
            self.jitter.mul_f64(fastrand::f64())
        };
        capped + jitter
    }
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
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
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
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn rate_limits_spend_their_own_budget_and_honour_retry_after() {
        let policy = exact();
        let mut attempts = Attempts::default();
        let wait = headers("1");
        assert_eq!(
            policy.after_status(StatusCode::TOO_MANY_REQUESTS, &wait, &mut attempts),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            policy.after_status(
                StatusCode::TOO_MANY_REQUESTS,
                &HeaderMap::new(),
                &mut attempts
            ),
            Some(Duration::from_millis(400)),
            "without Retry-After: exponential backoff"
        );
        assert_eq!(
            policy.after_status(StatusCode::TOO_MANY_REQUESTS, &wait, &mut attempts),
            None
        );
        assert_eq!(
            attempts,
            Attempts {
                rate_limited: 2,
                other: 0
            }
        );
        // The other budget is untouched.
        let unavailable = policy.after_status(
            StatusCode::SERVICE_UNAVAILABLE,
            &HeaderMap::new(),
            &mut attempts,
        );
        assert_eq!(unavailable, Some(Duration::from_millis(200)));
    }

    #[test]
    fn conflict_unavailable_and_gateway_timeout_back_off_exponentially() {
        let policy = exact();
        let mut attempts = Attempts::default();
        let none = HeaderMap::new();
        let waits: Vec<_> = [
            StatusCode::CONFLICT,
            StatusCode::SERVICE_UNAVAILABLE,
            StatusCode::GATEWAY_TIMEOUT,
            StatusCode::CONFLICT,
        ]
        .into_iter()
        .map(|s| policy.after_status(s, &none, &mut attempts))
        .collect();
        assert_eq!(
            waits,
            [
                Some(Duration::from_millis(200)),
                Some(Duration::from_millis(400)),
                Some(Duration::from_millis(800)),
                None
            ]
        );
    }

    #[test]
    fn other_statuses_are_final() {
        let mut attempts = Attempts::default();
        for status in [400, 401, 403, 404, 500, 502] {
            let status = StatusCode::from_u16(status).unwrap();
            assert_eq!(
                exact().after_status(status, &HeaderMap::new(), &mut attempts),
                None
            );
        }
        assert_eq!(attempts, Attempts::default());
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
    }

    #[test]
    fn an_overlong_retry_after_gives_up() {
        let mut attempts = Attempts::default();
        let policy = exact().with_max_retry_after(Duration::from_secs(5));
        assert_eq!(
            policy.after_status(
                StatusCode::TOO_MANY_REQUESTS,
                &headers("3600"),
                &mut attempts
            ),
            None
        );
    }
}
