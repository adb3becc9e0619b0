//! When and how long to wait before trying a request again.
//!
//! Graph asks clients to honour `Retry-After` on 429 and 503 (digest §1, Microsoft's throttling guidance); when it
//! is absent we back off exponentially with full jitter (a uniformly random delay between zero and the capped
//! exponential), so that many clients throttled together do not come back together.

use rand::Rng;
use std::time::Duration;

/// How often and how patiently to retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryConfig {
    /// Attempts per request, the first one included (at least 1). Default 6.
    pub max_attempts: u32,
    /// The first backoff's cap when there is no `Retry-After`; doubled at each retry. Default 500 ms.
    pub base_delay: Duration,
    /// The largest backoff without `Retry-After`. Default 30 s.
    pub max_delay: Duration,
    /// The longest `Retry-After` waited for (`--max-retry-wait`); a longer one ends the request with
    /// [`super::ClientError::WaitTooLong`], instead of a sleep of the server's choosing. Default 120 s.
    pub max_retry_after: Duration,
    /// For tests: every wait, an honoured `Retry-After` included, is cut to this.
    pub shorten_waits: Option<Duration>,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            max_attempts: 6,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
            shorten_waits: None,
        }
    }
}

impl RetryConfig {
    /// Tiny delays, for tests against the emulator: every wait, `Retry-After` included, is at most `cap`
    /// (a `Retry-After` beyond `max_retry_after` is still refused).
    pub fn fast(max_attempts: u32, cap: Duration) -> Self {
        Self {
            max_attempts,
            base_delay: Duration::from_millis(1).min(cap),
            max_delay: cap,
            shorten_waits: Some(cap),
            ..Self::default()
        }
    }

    /// Whether a `Retry-After` asks for more than `max_retry_after`: then the request is given up.
    pub fn refuses(&self, retry_after: Duration) -> bool {
        retry_after > self.max_retry_after
    }

    /// The wait before retry number `retry` (1 for the first retry): the server's `Retry-After` when it gave one
    /// (the caller has refused one beyond `max_retry_after`), else full-jitter exponential backoff.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        let wait = self.unshortened_delay(retry, retry_after);
        self.shorten_waits.map_or(wait, |cap| wait.min(cap))
    }

    fn unshortened_delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(ra) = retry_after {
            return ra.min(self.max_retry_after);
        }
        let cap = self.backoff_cap(retry);
        let nanos = u64::try_from(cap.as_nanos()).unwrap_or(u64::MAX);
        if nanos == 0 {
            return Duration::ZERO;
        }
        Duration::from_nanos(rand::rng().random_range(0..=nanos))
    }

    /// `min(max_delay, base_delay * 2^(retry-1))`.
    pub fn backoff_cap(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.saturating_sub(1).min(30));
        self.base_delay
            .checked_mul(factor)
            .unwrap_or(self.max_delay)
            .min(self.max_delay)
    }

    pub(crate) fn attempts(&self) -> u32 {
        self.max_attempts.max(1)
    }
}

/// Reads a `Retry-After` value: delay-seconds (`120`) or an HTTP date (`Fri, 31 Dec 1999 23:59:59 GMT`),
/// relative to `now`. A date in the past gives zero; anything unreadable gives `None`.
pub fn parse_retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = v.parse::<f64>()
        && secs.is_finite()
        && secs >= 0.0
    {
        return Some(Duration::from_secs_f64(secs.min(86_400.0)));
    }
    let date = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let wait = date.with_timezone(&chrono::Utc) - now;
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn retry_after_accepts_seconds_and_http_dates() {
        let now = chrono::Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap();
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Sat, 21 Nov 2026 09:00:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Sat, 21 Nov 2026 08:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_limit_and_refused_beyond() {
        let c = RetryConfig::default();
        assert_eq!(
            c.delay(1, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
        assert!(!c.refuses(Duration::from_secs(120)));
        assert!(c.refuses(Duration::from_secs(121)));
        assert!(c.refuses(Duration::from_secs(999_999)));
        let fast = RetryConfig::fast(3, Duration::from_millis(5));
        assert_eq!(
            fast.delay(1, Some(Duration::from_secs(3))),
            Duration::from_millis(5)
        );
        assert!(fast.refuses(Duration::from_secs(999_999)));
    }

    #[test]
    fn backoff_doubles_up_to_the_maximum_and_jitters_below_it() {
        let c = RetryConfig::default();
        assert_eq!(c.backoff_cap(1), Duration::from_millis(500));
        assert_eq!(c.backoff_cap(2), Duration::from_secs(1));
        assert_eq!(c.backoff_cap(4), Duration::from_secs(4));
        assert_eq!(c.backoff_cap(20), Duration::from_secs(30));
        assert_eq!(c.backoff_cap(u32::MAX), Duration::from_secs(30));
        for retry in 1..10 {
            assert!(c.delay(retry, None) <= c.backoff_cap(retry));
        }
        assert_eq!(
            RetryConfig::fast(3, Duration::ZERO).delay(5, None),
            Duration::ZERO
        );
    }
}
