//! The model's recommendation lists kept by everything that decides them, so a customer's next
//! visit (another page, a reload) does not score the catalog again.
//!
//! A list is a function of its key and of which products may not be recommended: the serving
//! model (its version, and when it was loaded), the customer's history (a fingerprint of what
//! the model filters and profiles from), the catalog's generation (products back in stock or
//! moved, see `catalog::Snapshot::generation`), the user, the length, the category and the
//! products left out (bought, in the request); new events, a purchase, a catalog change that
//! may add to lists or a new model makes a new key. A product going out of stock (every
//! checkout may do that) changes only the lists it was a candidate of ([`CachedList::candidates`]:
//! ruling out any other product leaves a list as it is), so a kept list is checked against the
//! snapshot when it is served and computed again only if one of its candidates went. The
//! cache bounds its memory, in lists (`Settings::list_cache_entries`; 0 turns it off) and in bytes
//! (`Settings::list_cache_bytes`: a list's size depends on its length and on how many products it
//! leaves out, a hundred purchases make a key ten times the size of its list).
//!
//! Eviction is by two generations, a cheap approximation of least-recently-used: new lists go
//! into the young generation; when it holds half the entries it becomes the old one and the
//! previous old one is dropped (or when it holds half the bytes); a hit in the old generation
//! moves the list back to the young one. So a list asked for since the last turn survives it, one
//! nobody asked for is dropped, and at most the bounds are kept, with no per-hit bookkeeping
//! beyond one map lookup.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use recsys_core::hybrid::Blended;

use crate::services::recommend::IdSet;

/// A model's list as the cache keeps it.
#[derive(Debug, Default, PartialEq)]
pub struct CachedList {
    /// Best first, with the member each came from.
    pub items: Vec<Blended>,
    /// The products the list was chosen from (the members' proposals), sorted: the list stays
    /// what a new computation would give while none of them goes out of what may be recommended.
    pub candidates: Box<[i64]>,
}

/// What decides a list.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct ListKey {
    pub version: i64,
    pub loaded_at: Instant,
    pub history: u64,
    pub catalog: u64,
    pub user: Option<i64>,
    pub n: usize,
    pub category: Option<i64>,
    pub skip: IdSet,
}

/// A key holds the left-out ids (a customer's purchases, often a hundred) and is hashed on every
/// request: foldhash is several times faster than the default SipHash on that and, seeded at
/// random per process, still keeps clients from choosing colliding keys.
type Lists = HashMap<ListKey, Arc<CachedList>, foldhash::fast::RandomState>;

#[derive(Debug, Default)]
struct Generation {
    lists: Lists,
    /// [`footprint`]s of its lists.
    bytes: usize,
}

impl Generation {
    fn insert(&mut self, key: ListKey, list: Arc<CachedList>) {
        let skipped = key.skip.len();
        self.bytes += footprint(skipped, &list);
        if let Some(replaced) = self.lists.insert(key, list) {
            // two requests computed one new key: the second list replaced the first
            self.bytes -= footprint(skipped, &replaced);
        }
    }

    fn remove_entry(&mut self, key: &ListKey) -> Option<(ListKey, Arc<CachedList>)> {
        let (key, list) = self.lists.remove_entry(key)?;
        self.bytes -= footprint(key.skip.len(), &list);
        Some((key, list))
    }
}

/// About the memory a kept list takes: its slot in the map (the key, the pointer), the `skipped`
/// products it leaves out, and the list (its products and candidates, with the `Arc` around
/// them). The left-out ids are often shared with the customer's purchases, so this errs on the
/// large side.
fn footprint(skipped: usize, list: &CachedList) -> usize {
    size_of::<ListKey>()
        + skipped * size_of::<i64>()
        + size_of::<Arc<CachedList>>()
        + size_of::<[usize; 2]>()
        + size_of::<CachedList>()
        + list.items.len() * size_of::<Blended>()
        + list.candidates.len() * size_of::<i64>()
}

#[derive(Debug, Default)]
struct Generations {
    young: Generation,
    old: Generation,
}

#[derive(Debug)]
pub struct ListCache {
    capacity: usize,
    max_bytes: usize,
    entries: Mutex<Generations>,
}

impl ListCache {
    /// At most `capacity` lists (0: none, the cache is off) taking about `max_bytes`.
    pub fn new(capacity: usize, max_bytes: usize) -> ListCache {
        ListCache {
            capacity,
            max_bytes,
            entries: Mutex::new(Generations::default()),
        }
    }

    /// Whether the young generation holds its share (half) of either bound.
    fn young_is_full(&self, young: &Generation) -> bool {
        young.lists.len() >= self.capacity.div_ceil(2).max(1)
            || young.bytes >= self.max_bytes.div_ceil(2)
    }

    /// Keeps `list` in the young generation, turning the generations first when it is full:
    /// the generation that falls out comes back, for the caller to drop after the lock (freeing
    /// thousands of lists under it would hold every other request up).
    #[must_use]
    fn keep(&self, g: &mut Generations, key: ListKey, list: Arc<CachedList>) -> Option<Lists> {
        let dropped = self.young_is_full(&g.young).then(|| {
            metrics::counter!("recsys_list_cache_turns_total").increment(1);
            std::mem::replace(&mut g.old, std::mem::take(&mut g.young)).lists
        });
        g.young.insert(key, list);
        metrics::gauge!("recsys_list_cache_entries")
            .set((g.young.lists.len() + g.old.lists.len()) as f64);
        metrics::gauge!("recsys_list_cache_bytes").set((g.young.bytes + g.old.bytes) as f64);
        dropped
    }

    /// The list of `key`: the kept one while `still_valid` says so (checked outside the lock),
    /// else `compute`'s (kept for next time when it succeeds).
    pub fn get_or_compute<E>(
        &self,
        key: ListKey,
        still_valid: impl FnOnce(&CachedList) -> bool,
        compute: impl FnOnce() -> Result<CachedList, E>,
    ) -> Result<Arc<CachedList>, E> {
        if self.capacity == 0 {
            return compute().map(Arc::new);
        }
        let result = match self.kept(&key) {
            Some(list) if still_valid(&list) => {
                metrics::counter!("recsys_list_cache_total", "result" => "hit").increment(1);
                return Ok(list);
            }
            Some(_) => {
                // one of its candidates went out of stock: this list is not the answer any more
                let gone = self.lock().young.remove_entry(&key);
                drop(gone);
                "stale"
            }
            None => "miss",
        };
        metrics::counter!("recsys_list_cache_total", "result" => result).increment(1);
        // computed outside the lock: two requests for one new key both compute, the same list
        let list = Arc::new(compute()?);
        let dropped = self.keep(&mut self.lock(), key, Arc::clone(&list));
        drop(dropped);
        Ok(list)
    }

    /// The kept list of `key`, moved to the young generation if it was in the old one.
    fn kept(&self, key: &ListKey) -> Option<Arc<CachedList>> {
        let mut g = self.lock();
        if let Some(list) = g.young.lists.get(key) {
            return Some(Arc::clone(list));
        }
        let (key, list) = g.old.remove_entry(key)?;
        let dropped = self.keep(&mut g, key, Arc::clone(&list));
        drop(g);
        drop(dropped);
        Some(list)
    }

    /// Forgets every kept list: the next request for each is computed afresh.
    pub fn clear(&self) {
        let dropped = std::mem::take(&mut *self.lock());
        metrics::gauge!("recsys_list_cache_entries").set(0.0);
        metrics::gauge!("recsys_list_cache_bytes").set(0.0);
        drop(dropped);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Generations> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use recsys_core::{Id, Scored};

    fn key(user: i64, skip: Vec<i64>) -> ListKey {
        let skip: IdSet = skip.into();
        static LOADED: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
        ListKey {
            version: 1,
            loaded_at: *LOADED.get_or_init(Instant::now),
            history: 0,
            catalog: 1,
            user: Some(user),
            n: 10,
            category: None,
            skip,
        }
    }

    fn list(id: i64) -> CachedList {
        CachedList {
            items: vec![Blended {
                item: Scored {
                    id: Id::Int(id),
                    score: 1.0,
                },
                source: "als",
            }],
            candidates: vec![id, id + 1].into(),
        }
    }

    /// Every kept list is still the answer.
    fn valid(_: &CachedList) -> bool {
        true
    }

    #[test]
    fn a_key_computes_once_and_another_key_computes_again() {
        let cache = ListCache::new(10, usize::MAX);
        let k = key(1, vec![3, 4]);
        let mut computed = 0;
        for _ in 0..3 {
            let got = cache
                .get_or_compute(k.clone(), valid, || {
                    computed += 1;
                    Ok::<_, ()>(list(7))
                })
                .unwrap();
            assert_eq!(*got, list(7));
        }
        assert_eq!(computed, 1);
        // one more product left out (a purchase) is another list
        let other = cache
            .get_or_compute(key(1, vec![3, 4, 7]), valid, || Ok::<_, ()>(list(8)))
            .unwrap();
        assert_eq!(*other, list(8));
        // an error is not kept
        assert!(
            cache
                .get_or_compute(key(2, vec![]), valid, || Err(()))
                .is_err()
        );
        assert_eq!(
            *cache
                .get_or_compute(key(2, vec![]), valid, || Ok::<_, ()>(list(9)))
                .unwrap(),
            list(9)
        );
    }

    #[test]
    fn a_kept_list_no_longer_valid_is_computed_again_and_replaced() {
        let cache = ListCache::new(10, usize::MAX);
        let k = key(1, vec![]);
        cache
            .get_or_compute(k.clone(), valid, || Ok::<_, ()>(list(7)))
            .unwrap();
        // candidate 8 went out of stock: the kept list is checked and computed again
        let gone = |l: &CachedList| !l.candidates.contains(&8);
        let mut checked = 0;
        let again = cache
            .get_or_compute(
                k.clone(),
                |l| {
                    checked += 1;
                    gone(l)
                },
                || Ok::<_, ()>(list(20)),
            )
            .unwrap();
        assert_eq!((checked, &*again), (1, &list(20)));
        // the new one is kept in its place, once
        let kept = cache
            .get_or_compute(k, gone, || Err::<CachedList, _>(()))
            .expect("kept");
        assert_eq!(*kept, list(20));
        let g = cache.lock();
        assert_eq!(g.young.lists.len() + g.old.lists.len(), 1);
        assert_eq!(g.young.bytes + g.old.bytes, counted(&g));
    }

    #[test]
    fn a_full_cache_keeps_the_lists_asked_for_and_zero_keeps_nothing() {
        let cache = ListCache::new(4, usize::MAX);
        let ask = |u: i64, computed: &mut Vec<i64>| {
            cache
                .get_or_compute(key(u, vec![]), valid, || {
                    computed.push(u);
                    Ok::<_, ()>(list(u))
                })
                .unwrap()
        };
        let mut computed = Vec::new();
        // user 0 comes back between every newcomer; the newcomers fill the cache many times
        for u in 1..=20 {
            ask(0, &mut computed);
            ask(u, &mut computed);
            let g = cache.lock();
            assert!(
                g.young.lists.len() + g.old.lists.len() <= 4,
                "at most the capacity is kept"
            );
        }
        assert_eq!(
            computed.iter().filter(|&&u| u == 0).count(),
            1,
            "a list asked for between turns is never dropped: {computed:?}"
        );
        // a newcomer nobody asked for again is dropped after two turns
        ask(1, &mut computed);
        assert_eq!(computed.iter().filter(|&&u| u == 1).count(), 2);
        let off = ListCache::new(0, usize::MAX);
        let mut computed = 0;
        for _ in 0..2 {
            off.get_or_compute(key(1, vec![]), valid, || {
                computed += 1;
                Ok::<_, ()>(list(1))
            })
            .unwrap();
        }
        assert_eq!(computed, 2);
    }

    #[test]
    fn the_bytes_bound_the_cache_and_are_counted_back_out() {
        // room for about four lists leaving out 100 products each
        let one = footprint(100, &list(0));
        let cache = ListCache::new(1_000, 4 * one);
        for u in 0..50 {
            cache
                .get_or_compute(key(u, (0..100).collect()), valid, || Ok::<_, ()>(list(u)))
                .unwrap();
            let g = cache.lock();
            assert!(g.young.lists.len() + g.old.lists.len() <= 4, "user {u}");
            assert_eq!(g.young.bytes + g.old.bytes, counted(&g), "user {u}");
        }
        // a hit in the old generation moves its bytes with it
        let in_old = {
            let g = cache.lock();
            g.old
                .lists
                .keys()
                .next()
                .cloned()
                .expect("an old generation")
        };
        cache
            .get_or_compute(in_old, valid, || Err::<CachedList, _>(()))
            .expect("kept");
        let g = cache.lock();
        assert_eq!(g.young.bytes + g.old.bytes, counted(&g));
    }

    /// The footprints of every kept list, counted afresh.
    fn counted(g: &Generations) -> usize {
        [&g.young, &g.old]
            .iter()
            .flat_map(|g| g.lists.iter())
            .map(|(k, l)| footprint(k.skip.len(), l))
            .sum()
    }
}
