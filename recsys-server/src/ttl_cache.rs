//! Per-user state trusted from memory for a while (`Settings::user_cache_ttl`): a user's role and
//! active flag, the products they bought. What this replica changes it forgets at once; what
//! another replica changes arrives when the entry ages out.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Entries kept before expired ones are swept (bounds memory under many users).
const SWEEP_AT: usize = 100_000;

/// Values by user id, each trusted for `ttl` after it was read.
#[derive(Debug)]
pub struct TtlCache<V> {
    ttl: Duration,
    entries: Mutex<HashMap<i64, (V, Instant)>>,
}

impl<V: Clone> TtlCache<V> {
    pub fn new(ttl: Duration) -> TtlCache<V> {
        TtlCache {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The value if it was read less than `ttl` ago.
    pub fn get(&self, key: i64) -> Option<V> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(&key)
            .filter(|(_, at)| at.elapsed() < self.ttl)
            .map(|(v, _)| v.clone())
    }

    pub fn put(&self, key: i64, value: V) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= SWEEP_AT {
            let ttl = self.ttl;
            entries.retain(|_, (_, at)| at.elapsed() < ttl);
        }
        entries.insert(key, (value, Instant::now()));
    }

    pub fn forget(&self, key: i64) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_age_out_and_can_be_forgotten() {
        let c = TtlCache::new(Duration::from_millis(50));
        c.put(1, "a");
        assert_eq!(c.get(1), Some("a"));
        c.forget(1);
        assert_eq!(c.get(1), None);
        c.put(2, "b");
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(c.get(2), None, "aged out");
        let off = TtlCache::new(Duration::ZERO);
        off.put(3, "c");
        assert_eq!(off.get(3), None, "a zero ttl keeps nothing");
    }
}
