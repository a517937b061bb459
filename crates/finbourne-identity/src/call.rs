//! Options one call can override without building a new client.

use std::time::Duration;

/// Timeouts and retry budgets for one call; what is not set comes from the client.
///
/// A zero timeout means no limit, as in the configuration.
///
/// ```
/// use std::time::Duration;
/// use finbourne_identity::CallOptions;
///
/// let patient = CallOptions::new()
///     .total_timeout(Duration::from_secs(300))
///     .rate_limit_retries(10);
/// let once = CallOptions::new().retries(0).rate_limit_retries(0);
/// # let _ = (patient, once);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallOptions {
    // Outer `None`: not overridden. Inner `None`: no limit.
    pub(crate) total_timeout: Option<Option<Duration>>,
    pub(crate) connect_timeout: Option<Option<Duration>>,
    pub(crate) read_timeout: Option<Option<Duration>>,
    pub(crate) rate_limit_retries: Option<u32>,
    pub(crate) retries: Option<u32>,
}

impl CallOptions {
    /// Overrides nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Limit on the whole request, from connecting to the end of the answer (zero: none).
    pub fn total_timeout(mut self, timeout: Duration) -> Self {
        self.total_timeout = Some(limit(timeout));
        self
    }

    /// Limit on establishing a connection (zero: none).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(limit(timeout));
        self
    }

    /// Limit on each wait for data from the server (zero: none).
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = Some(limit(timeout));
        self
    }

    /// How often a 429 answer is retried.
    pub fn rate_limit_retries(mut self, retries: u32) -> Self {
        self.rate_limit_retries = Some(retries);
        self
    }

    /// How often 409, 503, 504 and dropped connections are retried.
    pub fn retries(mut self, retries: u32) -> Self {
        self.retries = Some(retries);
        self
    }

    /// These options, with what they leave unset taken from `defaults`.
    pub(crate) fn over(&self, defaults: &CallOptions) -> CallOptions {
        CallOptions {
            total_timeout: self.total_timeout.or(defaults.total_timeout),
            connect_timeout: self.connect_timeout.or(defaults.connect_timeout),
            read_timeout: self.read_timeout.or(defaults.read_timeout),
            rate_limit_retries: self.rate_limit_retries.or(defaults.rate_limit_retries),
            retries: self.retries.or(defaults.retries),
        }
    }
}

/// A duration that means "no limit" when zero, as the settings define it.
fn limit(duration: Duration) -> Option<Duration> {
    (!duration.is_zero()).then_some(duration)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_options_win_and_unset_ones_fall_back() {
        let defaults = CallOptions::new()
            .total_timeout(Duration::from_secs(1800))
            .connect_timeout(Duration::ZERO)
            .retries(3)
            .rate_limit_retries(2);
        let merged = CallOptions::new()
            .retries(0)
            .total_timeout(Duration::ZERO)
            .over(&defaults);
        assert_eq!(merged.retries, Some(0));
        assert_eq!(merged.rate_limit_retries, Some(2));
        assert_eq!(merged.total_timeout, Some(None), "zero means no limit");
        assert_eq!(merged.connect_timeout, Some(None));
    }
}
