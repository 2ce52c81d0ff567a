//! External ids and their mapping to the dense indices the algorithms work on.
//!
//! Callers speak in their own ids (integers or strings); dense indices never leave the core.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// A caller's id for a user or an item: an integer or a string.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Id {
    /// An integer id.
    Int(i64),
    /// A string id.
    Str(Arc<str>),
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Id::Int(i) => write!(f, "{i}"),
            Id::Str(s) => f.write_str(s),
        }
    }
}

impl From<i64> for Id {
    fn from(v: i64) -> Self {
        Id::Int(v)
    }
}
impl From<i32> for Id {
    fn from(v: i32) -> Self {
        Id::Int(v.into())
    }
}
impl From<u32> for Id {
    fn from(v: u32) -> Self {
        Id::Int(v.into())
    }
}
impl From<&str> for Id {
    fn from(v: &str) -> Self {
        Id::Str(v.into())
    }
}
impl From<String> for Id {
    fn from(v: String) -> Self {
        Id::Str(v.into())
    }
}

/// Maps external ids to dense indices `0..len` and back.
///
/// A map whose ids are exactly the integers `0..n` in order (the shape of a scipy matrix's rows)
/// is stored as a range and costs no memory per id.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(from = "StoredIds", into = "StoredIds")]
pub struct IdMap {
    keys: Keys,
    /// Names this mapping: a copy shares it, a map given a new id gets a new one. What
    /// [`ItemSet`](crate::ItemSet) keeps its resolutions by.
    stamp: Stamp,
}

/// A number no other mapping of this process has had (see [`IdMap::stamp`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stamp(u64);

impl Default for Stamp {
    fn default() -> Self {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        Stamp(NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
    }
}

#[derive(Clone, Debug)]
enum Keys {
    Range(u32),
    Listed { ids: Vec<Id>, index: IdIndex },
}

/// The hash index of a listed map. FxHash: an id is looked up for every item a request filters
/// and every user it names, and SipHash (std's default, built against keys chosen to collide)
/// made those lookups a fifth of a recommendation's time; the keys here come from the training
/// data, not from whoever asks.
type IdIndex = HashMap<Id, u32, rustc_hash::FxBuildHasher>;

impl Default for Keys {
    fn default() -> Self {
        Keys::Range(0)
    }
}

/// What is written to disk: the ids in index order; the hash index is rebuilt on load.
#[derive(Serialize, Deserialize)]
enum StoredIds {
    Range(u32),
    Listed(Vec<Id>),
}

impl From<StoredIds> for IdMap {
    fn from(s: StoredIds) -> Self {
        match s {
            StoredIds::Range(n) => IdMap::range(n as usize),
            StoredIds::Listed(ids) => {
                let index = ids
                    .iter()
                    .enumerate()
                    .map(|(i, id)| (id.clone(), i as u32))
                    .collect();
                IdMap {
                    keys: Keys::Listed { ids, index },
                    stamp: Stamp::default(),
                }
            }
        }
    }
}

impl From<IdMap> for StoredIds {
    fn from(m: IdMap) -> Self {
        match m.keys {
            Keys::Range(n) => StoredIds::Range(n),
            Keys::Listed { ids, .. } => StoredIds::Listed(ids),
        }
    }
}

/// Dense indices are u32: 4 billion users or items per model.
pub(crate) const MAX_IDS: usize = u32::MAX as usize;

impl IdMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// The identity map over the integers `0..n`.
    pub fn range(n: usize) -> Self {
        IdMap {
            keys: Keys::Range(n.min(MAX_IDS) as u32),
            stamp: Stamp::default(),
        }
    }

    /// Number of ids.
    pub fn len(&self) -> usize {
        match &self.keys {
            Keys::Range(n) => *n as usize,
            Keys::Listed { ids, .. } => ids.len(),
        }
    }

    /// True when the map holds no id.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The dense index of `id`, if known.
    pub fn index(&self, id: &Id) -> Option<u32> {
        match (&self.keys, id) {
            (Keys::Range(n), Id::Int(i)) => (*i >= 0 && *i < i64::from(*n)).then_some(*i as u32),
            (Keys::Range(_), Id::Str(_)) => None,
            (Keys::Listed { index, .. }, id) => index.get(id).copied(),
        }
    }

    /// The external id at dense index `idx` (`idx < len()`).
    pub fn id(&self, idx: u32) -> Id {
        match &self.keys {
            Keys::Range(_) => Id::Int(i64::from(idx)),
            Keys::Listed { ids, .. } => ids[idx as usize].clone(),
        }
    }

    /// The index of `id`, adding it at the end when it is new.
    pub fn insert(&mut self, id: Id) -> u32 {
        if let Some(i) = self.index(&id) {
            return i;
        }
        let next = self.len() as u32;
        // another mapping now: what was resolved against this one may miss the new id
        self.stamp = Stamp::default();
        if let (Keys::Range(n), Id::Int(i)) = (&mut self.keys, &id)
            && *i == i64::from(*n)
        {
            *n += 1;
            return next;
        }
        let (ids, index) = self.listed_mut();
        index.insert(id.clone(), next);
        ids.push(id);
        next
    }

    fn listed_mut(&mut self) -> (&mut Vec<Id>, &mut IdIndex) {
        if let Keys::Range(n) = self.keys {
            let ids: Vec<Id> = (0..i64::from(n)).map(Id::Int).collect();
            let index = ids
                .iter()
                .enumerate()
                .map(|(i, id)| (id.clone(), i as u32))
                .collect();
            self.keys = Keys::Listed { ids, index };
        }
        match &mut self.keys {
            Keys::Listed { ids, index } => (ids, index),
            Keys::Range(_) => unreachable!("converted above"),
        }
    }

    /// All ids in index order.
    pub fn iter(&self) -> impl Iterator<Item = Id> + '_ {
        (0..self.len() as u32).map(|i| self.id(i))
    }

    /// What names this mapping: equal for copies of one map, different once an id is added.
    pub(crate) fn stamp(&self) -> Stamp {
        self.stamp
    }

    /// Whether both maps give every id the same index (same ids in the same order), checked
    /// cheaply: identity ranges of equal length, or one map and its copies while none of them
    /// gains an id (their stamp). Maps built apart from the same ids answer
    /// `false`: callers then map ids one by one, which gives the same answers, slower.
    pub fn same_index_space(&self, other: &IdMap) -> bool {
        match (&self.keys, &other.keys) {
            (Keys::Range(a), Keys::Range(b)) => a == b,
            _ => self.stamp == other.stamp,
        }
    }

    /// Approximate heap bytes held by the map (for memory reports).
    pub fn heap_bytes(&self) -> usize {
        match &self.keys {
            Keys::Range(_) => 0,
            Keys::Listed { ids, index } => {
                let strings: usize = ids
                    .iter()
                    .map(|id| match id {
                        Id::Str(s) => s.len() + 16,
                        Id::Int(_) => 0,
                    })
                    .sum();
                let id_size = std::mem::size_of::<Id>();
                ids.capacity() * id_size
                    + index.capacity() * (id_size + std::mem::size_of::<u32>() + 1)
                    + strings
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_shares_the_index_space_until_either_gains_an_id() {
        let mut m = IdMap::new();
        for id in ["a", "b", "c"] {
            m.insert(Id::from(id));
        }
        let mut copy = m.clone();
        assert!(m.same_index_space(&copy) && copy.same_index_space(&m));
        // an id already there changes nothing
        copy.insert(Id::from("b"));
        assert!(m.same_index_space(&copy));
        copy.insert(Id::from("d"));
        assert!(!m.same_index_space(&copy) && !copy.same_index_space(&m));
        // the same ids mapped apart: not known to match
        let mut apart = IdMap::new();
        for id in ["a", "b", "c"] {
            apart.insert(Id::from(id));
        }
        assert!(!m.same_index_space(&apart));
        assert!(IdMap::range(4).same_index_space(&IdMap::range(4)));
        assert!(!IdMap::range(4).same_index_space(&IdMap::range(5)));
    }

    #[test]
    fn range_map_grows_and_converts_on_foreign_id() {
        let mut m = IdMap::range(3);
        assert_eq!(m.index(&Id::Int(2)), Some(2));
        assert_eq!(m.index(&Id::Int(3)), None);
        assert_eq!(m.insert(Id::Int(3)), 3);
        assert_eq!(m.heap_bytes(), 0);
        assert_eq!(m.insert(Id::from("x")), 4);
        assert_eq!(m.index(&Id::Int(1)), Some(1));
        assert_eq!(m.index(&Id::from("x")), Some(4));
        assert_eq!(m.id(4), Id::from("x"));
        assert_eq!(m.len(), 5);
    }

    #[test]
    fn listed_map_keeps_first_seen_order() {
        let mut m = IdMap::new();
        for s in ["b", "a", "b", "c"] {
            m.insert(Id::from(s));
        }
        let ids: Vec<String> = m.iter().map(|i| i.to_string()).collect();
        assert_eq!(ids, ["b", "a", "c"]);
        assert_eq!(m.index(&Id::from("zzz")), None);
        assert_eq!(m.index(&Id::Int(0)), None);
    }
}
