//! Counting recent failures (failed logins per account, per account and address, per address)
//! and fixed-rate request budgets per client, in memory. Each replica counts on its own: an attacker spreading
//! attempts over N replicas gets N times the budget, which the lockout window still bounds.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// At most `max` failures per key within `window`; the next attempt waits for the oldest to age.
#[derive(Debug)]
pub struct FailureWindow {
    max: usize,
    window: Duration,
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

/// Entries kept before expired ones are swept (bounds memory under a flood of new keys).
const SWEEP_AT: usize = 10_000;

impl FailureWindow {
    pub fn new(max: u32, window: Duration) -> FailureWindow {
        FailureWindow {
            max: max.max(1) as usize,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// `Some(seconds to wait)` when `key` has used up its failures.
    pub fn blocked(&self, key: &str) -> Option<u64> {
        let now = Instant::now();
        let map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let list = map.get(key)?;
        let recent: Vec<&Instant> = list
            .iter()
            .filter(|t| now.duration_since(**t) < self.window)
            .collect();
        if recent.len() < self.max {
            return None;
        }
        let oldest = recent.iter().min()?;
        let wait = self.window.saturating_sub(now.duration_since(**oldest));
        Some(wait.as_secs().max(1))
    }

    pub fn record(&self, key: &str) {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= SWEEP_AT {
            let window = self.window;
            map.retain(|_, list| list.iter().any(|t| now.duration_since(*t) < window));
        }
        let list = map.entry(key.to_string()).or_default();
        list.retain(|t| now.duration_since(*t) < self.window);
        list.push(now);
        // only the newest `max` decide whether the key is blocked: a flood stays bounded
        if list.len() > self.max {
            list.drain(..list.len() - self.max);
        }
    }

    pub fn clear(&self, key: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
    }
}

/// A token bucket per key: `rate` requests per second with bursts of `burst`.
#[derive(Debug)]
pub struct RateLimiter {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimiter {
    pub fn new(rate_per_s: u32, burst: u32) -> RateLimiter {
        RateLimiter {
            rate: f64::from(rate_per_s),
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from `key`'s budget: `Err(seconds to wait)` when it is empty.
    pub fn take(&self, key: &str) -> Result<(), u64> {
        let now = Instant::now();
        let mut map = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= SWEEP_AT {
            let (rate, burst) = (self.rate, self.burst);
            map.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * rate < burst
            });
        }
        let (tokens, at) = map.entry(key.to_string()).or_insert((self.burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * self.rate).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / self.rate).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_block_after_the_maximum_and_clear_resets() {
        let w = FailureWindow::new(3, Duration::from_secs(60));
        for _ in 0..3 {
            assert_eq!(w.blocked("a"), None);
            w.record("a");
        }
        let wait = w.blocked("a").expect("blocked after 3 failures");
        assert!((1..=60).contains(&wait), "{wait}");
        assert_eq!(w.blocked("b"), None, "keys are separate");
        w.clear("a");
        assert_eq!(w.blocked("a"), None);
        for _ in 0..1000 {
            w.record("flood");
        }
        let map = w.failures.lock().unwrap();
        assert_eq!(map["flood"].len(), 3, "a key keeps at most its maximum");
    }

    #[test]
    fn a_bucket_allows_its_burst_then_refuses() {
        let r = RateLimiter::new(1, 5);
        for _ in 0..5 {
            assert!(r.take("x").is_ok());
        }
        assert!(r.take("x").is_err());
        assert!(r.take("y").is_ok());
    }
}
