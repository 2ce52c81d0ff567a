//! Per-user state trusted from memory for a while (`Settings::user_cache_ttl`): a user's role and
//! active flag, the products they bought. What this replica changes it forgets at once; what
//! another replica changes arrives when the entry ages out.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Entries kept before expired ones are swept (bounds memory under many users).
const SWEEP_AT: usize = 100_000;

/// Values by key (a user id unless said otherwise), each trusted for `ttl` after it was read.
#[derive(Debug)]
pub struct TtlCache<V, K = i64> {
    ttl: Duration,
    entries: Mutex<HashMap<K, (V, Instant)>>,
}

impl<V: Clone, K: Hash + Eq> TtlCache<V, K> {
    pub fn new(ttl: Duration) -> TtlCache<V, K> {
        TtlCache {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The value if it was read less than `ttl` ago.
    pub fn get<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(key)
            .filter(|(_, at)| at.elapsed() < self.ttl)
            .map(|(v, _)| v.clone())
    }

    pub fn put(&self, key: K, value: V) {
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

    /// Forgets every entry.
    pub fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    pub fn forget<Q: Hash + Eq + ?Sized>(&self, key: &Q)
    where
        K: Borrow<Q>,
    {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_age_out_and_can_be_forgotten() {
        let c: TtlCache<&str> = TtlCache::new(Duration::from_millis(50));
        c.put(1, "a");
        assert_eq!(c.get(&1), Some("a"));
        c.forget(&1);
        assert_eq!(c.get(&1), None);
        c.put(2, "b");
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(c.get(&2), None, "aged out");
        let off: TtlCache<&str> = TtlCache::new(Duration::ZERO);
        off.put(3, "c");
        assert_eq!(off.get(&3), None, "a zero ttl keeps nothing");
    }
}
