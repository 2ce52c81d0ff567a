//! Per-user state trusted from memory for a while (`Settings::user_cache_ttl`): a user's role and
//! active flag, the products they bought. What this replica changes it forgets at once; what
//! another replica changes arrives when the entry ages out.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Values by key (a user id unless said otherwise), each trusted for `ttl` after it was read.
///
/// Expired entries are swept out once per `ttl` (on a `put`), so what is kept is the users seen
/// in the last one or two `ttl`s, however many have come and gone (it used to sweep only at
/// 100,000 entries: a shop's steady stream of customers grew it to that size first, and once
/// 100,000 were fresh every `put` walked them all).
#[derive(Debug)]
pub struct TtlCache<V, K = i64> {
    ttl: Duration,
    entries: Mutex<Entries<K, V>>,
}

#[derive(Debug)]
struct Entries<K, V> {
    map: HashMap<K, (V, Instant)>,
    swept: Instant,
}

impl<V: Clone, K: Hash + Eq> TtlCache<V, K> {
    pub fn new(ttl: Duration) -> TtlCache<V, K> {
        TtlCache {
            ttl,
            entries: Mutex::new(Entries {
                map: HashMap::new(),
                swept: Instant::now(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries<K, V>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Entries kept, expired or not.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().map.len()
    }

    /// The value if it was read less than `ttl` ago.
    pub fn get<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.lock()
            .map
            .get(key)
            .filter(|(_, at)| at.elapsed() < self.ttl)
            .map(|(v, _)| v.clone())
    }

    pub fn put(&self, key: K, value: V) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.lock();
        let now = Instant::now();
        if now.duration_since(entries.swept) >= self.ttl {
            let ttl = self.ttl;
            entries
                .map
                .retain(|_, (_, at)| now.duration_since(*at) < ttl);
            entries.swept = now;
        }
        entries.map.insert(key, (value, now));
    }

    /// Forgets every entry.
    pub fn clear(&self) {
        self.lock().map.clear();
    }

    pub fn forget<Q: Hash + Eq + ?Sized>(&self, key: &Q)
    where
        K: Borrow<Q>,
    {
        self.lock().map.remove(key);
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

    #[test]
    fn a_stream_of_users_keeps_only_the_recent_ones() {
        let c: TtlCache<u64> = TtlCache::new(Duration::from_millis(20));
        for user in 0..200 {
            c.put(user, user as u64);
        }
        std::thread::sleep(Duration::from_millis(30));
        // the next put after a ttl sweeps the 200 expired entries out
        c.put(1_000, 1);
        assert_eq!(c.len(), 1);
        assert_eq!(c.get(&1_000), Some(1));
    }
}
