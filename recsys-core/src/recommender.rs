//! The interface every recommender implements, and the options of a recommendation request.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::error::{Error, Result};
use crate::ids::{Id, IdMap, Stamp};
use crate::interactions::Interactions;

/// What an iterative fit reports after each step (an ALS iteration).
#[derive(Clone, Copy, Debug)]
pub struct FitProgress {
    /// The kind of the model reporting (`"als"`; inside a hybrid, the member's kind).
    pub model: &'static str,
    /// 0-based iteration just finished.
    pub iteration: usize,
    /// Total iterations requested.
    pub iterations: usize,
    /// Time spent in this iteration.
    pub elapsed: Duration,
    /// Training loss after this iteration, when computed.
    pub loss: Option<f64>,
}

/// How the caller of a long fit watches and stops it: a progress callback and a stop flag,
/// both optional. Models check the flag between steps (an ALS iteration, a hybrid member) and
/// then return [`Error::Cancelled`]; a stopped fit never leaves a half-trained model in use (the
/// model keeps its previous fit, or is unfitted).
#[derive(Clone, Copy, Default)]
pub struct FitControl<'a> {
    progress: Option<&'a (dyn Fn(&FitProgress) + Sync)>,
    stop: Option<&'a AtomicBool>,
}

impl std::fmt::Debug for FitControl<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FitControl")
            .field("progress", &self.progress.is_some())
            .field("stopped", &self.stopped())
            .finish()
    }
}

impl<'a> FitControl<'a> {
    /// Nothing watched, nothing stops.
    pub fn none() -> FitControl<'static> {
        FitControl::default()
    }

    /// Calls `progress` after each step.
    pub fn with_progress(mut self, progress: &'a (dyn Fn(&FitProgress) + Sync)) -> Self {
        self.progress = Some(progress);
        self
    }

    /// Stops the fit once `stop` is true.
    pub fn with_stop(mut self, stop: &'a AtomicBool) -> Self {
        self.stop = Some(stop);
        self
    }

    /// The same stop without the progress reports (for the inner steps of a fit that reports
    /// its own).
    pub fn without_progress(&self) -> FitControl<'a> {
        FitControl {
            progress: None,
            stop: self.stop,
        }
    }

    /// Whether a stop was asked for.
    pub fn stopped(&self) -> bool {
        self.stop.is_some_and(|s| s.load(Ordering::Relaxed))
    }

    /// `Err(Cancelled)` once a stop was asked for.
    pub fn check(&self) -> Result<()> {
        if self.stopped() {
            Err(Error::Cancelled)
        } else {
            Ok(())
        }
    }

    /// Reports one step.
    pub fn report(&self, progress: &FitProgress) {
        if let Some(f) = self.progress {
            f(progress);
        }
    }
}

/// One recommended (or similar) item and its score; higher is better.
#[derive(Clone, Debug, PartialEq)]
pub struct Scored {
    /// The caller's item id.
    pub id: Id,
    /// The model's score (dot product for ALS, cosine for similarity, count for popularity).
    pub score: f32,
}

/// Restricts which items a request may return (or which users, for `similar_users`).
///
/// ```
/// use recsys_core::{Id, ItemFilter};
/// let filter = ItemFilter::new().exclude([Id::from("sold-out")]).only([Id::from("tea"), Id::from("cake")]);
/// assert_eq!(filter.candidates.as_ref().map(Vec::len), Some(2));
/// ```
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct ItemFilter {
    /// Never return these items (ids unknown to the model are ignored: it cannot return them).
    pub exclude: Vec<Id>,
    /// Never return these either: a set shared by many requests, resolved once per model.
    pub exclude_set: Option<Arc<ItemSet>>,
    /// When set, return only items from this list. Items the model has never seen are skipped,
    /// since it has nothing to score them with.
    pub candidates: Option<Vec<Id>>,
}

/// Options of [`Recommender::recommend`].
///
/// ```
/// use recsys_core::{ItemFilter, RecommendOptions};
/// let options = RecommendOptions::new().filter_seen(false).items(ItemFilter::new());
/// assert!(!options.filter_seen && !options.recalculate_user);
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RecommendOptions {
    /// Leave out items the user already interacted with in `user_items` (default true).
    pub filter_seen: bool,
    /// Compute the user's vector from `user_items` instead of the trained one (fold-in): for
    /// users the model has never seen, or whose history changed since training (default false).
    pub recalculate_user: bool,
    /// Items to leave out or to choose from.
    pub items: ItemFilter,
}

impl Default for RecommendOptions {
    fn default() -> Self {
        RecommendOptions {
            filter_seen: true,
            recalculate_user: false,
            items: ItemFilter::default(),
        }
    }
}

impl RecommendOptions {
    /// The defaults: seen items filtered, the trained user vector, no item restriction.
    pub fn new() -> Self {
        Self::default()
    }
    /// Whether to leave out the items the user interacted with in `user_items`.
    pub fn filter_seen(mut self, v: bool) -> Self {
        self.filter_seen = v;
        self
    }
    /// Whether to compute the user's vector from `user_items` (fold-in).
    pub fn recalculate_user(mut self, v: bool) -> Self {
        self.recalculate_user = v;
        self
    }
    /// Which items to leave out or to choose from.
    pub fn items(mut self, v: ItemFilter) -> Self {
        self.items = v;
        self
    }
}

impl ItemFilter {
    /// No restriction.
    pub fn new() -> Self {
        Self::default()
    }
    /// Never return these (added to any already excluded).
    pub fn exclude(mut self, ids: impl IntoIterator<Item = Id>) -> Self {
        self.exclude.extend(ids);
        self
    }
    /// Never return the items of `set` either (replacing any earlier set): for a large set many
    /// requests share, which each model resolves once instead of once per request.
    pub fn exclude_set(mut self, set: Arc<ItemSet>) -> Self {
        self.exclude_set = Some(set);
        self
    }
    /// Return only these (replacing any earlier list).
    pub fn only(mut self, ids: impl IntoIterator<Item = Id>) -> Self {
        self.candidates = Some(ids.into_iter().collect());
        self
    }
    /// [`only`](Self::only) when `ids` is given, no restriction when it is `None`.
    pub fn only_if(mut self, ids: Option<Vec<Id>>) -> Self {
        self.candidates = ids;
        self
    }
}

/// Items many requests leave out (what a shop cannot sell now, say), given once and shared
/// through [`ItemFilter::exclude_set`]: each model resolves the ids into its own item indices
/// the first time it meets the set and keeps that, so a request pays only for the ids it brings
/// itself. Ids a model does not know are ignored, as in [`ItemFilter::exclude`].
///
/// ```
/// use std::sync::Arc;
/// use recsys_core::{Id, ItemFilter, ItemSet};
/// let sold_out = Arc::new(ItemSet::new([Id::from("tea"), Id::from("cake")]));
/// let filter = ItemFilter::new().exclude_set(Arc::clone(&sold_out)).exclude([Id::from("jam")]);
/// assert_eq!(sold_out.len(), 2);
/// ```
#[derive(Debug, Default)]
pub struct ItemSet {
    ids: Vec<Id>,
    /// Its indices in the item spaces it met, by the [`IdMap`]'s stamp: a few (one per model of
    /// a blend, and the arms of an experiment); the oldest is dropped past [`RESOLUTIONS`].
    resolved: Mutex<Vec<(Stamp, Arc<[u32]>)>>,
}

/// How many item spaces an [`ItemSet`] keeps its resolution for.
const RESOLUTIONS: usize = 8;

impl ItemSet {
    /// The set of these ids.
    pub fn new(ids: impl IntoIterator<Item = Id>) -> Self {
        ItemSet {
            ids: ids.into_iter().collect(),
            resolved: Mutex::default(),
        }
    }

    /// How many ids were given.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether no id was given.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The ids.
    pub fn ids(&self) -> &[Id] {
        &self.ids
    }

    /// The indices of its ids in `items`, sorted and unique (computed on the first call for
    /// this mapping, shared after).
    fn resolve(&self, items: &IdMap) -> Arc<[u32]> {
        let stamp = items.stamp();
        let lock = || self.resolved.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, r)) = lock().iter().find(|(s, _)| *s == stamp) {
            return Arc::clone(r);
        }
        // resolved outside the lock: two requests meeting the set at once both resolve it
        let resolved: Arc<[u32]> = resolve_ids(&self.ids, items).into();
        let mut kept = lock();
        if kept.len() >= RESOLUTIONS {
            kept.remove(0);
        }
        kept.push((stamp, Arc::clone(&resolved)));
        resolved
    }
}

/// `ids`' indices in `items`, sorted and unique; unknown ids are left out.
fn resolve_ids(ids: &[Id], items: &IdMap) -> Vec<u32> {
    let mut v: Vec<u32> = ids.iter().filter_map(|id| items.index(id)).collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// A trained model that ranks items for users. Every value of it is fitted: settings train a
/// model (`AlsParams::fit`, `Popularity::fit`, `ContentParams::fit`, `RecommenderConfig::fit`
/// for any of them), as they do for GBDT, K-Means and TF-IDF, so no call can meet an unfitted
/// model.
///
/// `user_items` plays the role it has in `implicit`: the users' current interactions, used to
/// filter already-seen items and for fold-in. It may be the training data or a newer matrix; ids
/// are matched by value, so it need not share the model's index space.
pub trait Recommender: Send + Sync {
    /// Short name of the model kind (`"als"`, `"popular"`).
    fn kind(&self) -> &'static str;

    /// The items the model can recommend.
    fn item_ids(&self) -> &IdMap;

    /// The best `n` items for each user, in order, best first.
    fn recommend_batch(
        &self,
        users: &[Id],
        user_items: &Interactions,
        n: usize,
        options: &RecommendOptions,
    ) -> Result<Vec<Vec<Scored>>>;

    /// The best `n` items for one user, best first. Agrees with
    /// [`recommend_batch`](Self::recommend_batch) up to float rounding (a batch is scored as
    /// one matrix product).
    fn recommend(
        &self,
        user: &Id,
        user_items: &Interactions,
        n: usize,
        options: &RecommendOptions,
    ) -> Result<Vec<Scored>> {
        let mut lists = self.recommend_batch(std::slice::from_ref(user), user_items, n, options)?;
        Ok(lists.pop().unwrap_or_default())
    }

    /// The `n` items most similar to `item`, best first. Factor models include `item` itself
    /// (cosine 1) as `implicit` does; exclude it through `filter` if unwanted.
    fn similar_items(&self, item: &Id, n: usize, filter: &ItemFilter) -> Result<Vec<Scored>>;
}

/// An [`ItemFilter`] translated into a model's dense item indices.
pub(crate) struct ResolvedFilter {
    /// Sorted, unique.
    pub exclude: Vec<u32>,
    /// Sorted, unique; `None` means all items.
    pub candidates: Option<Vec<u32>>,
}

impl ResolvedFilter {
    pub(crate) fn new(filter: &ItemFilter, items: &IdMap) -> Self {
        let own = resolve_ids(&filter.exclude, items);
        let exclude = match &filter.exclude_set {
            Some(set) => merged(&set.resolve(items), &own),
            None => own,
        };
        ResolvedFilter {
            exclude,
            candidates: filter
                .candidates
                .as_deref()
                .map(|ids| resolve_ids(ids, items)),
        }
    }

    /// This filter's exclusions merged with `seen` (sorted), sorted and unique.
    pub(crate) fn exclusions_with(&self, seen: &[u32]) -> Vec<u32> {
        merged(&self.exclude, seen)
    }
}

/// Two sorted lists of unique indices as one, sorted and unique, in one pass.
fn merged(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let (x, y) = (a[i], b[j]);
        out.push(x.min(y));
        i += usize::from(x <= y);
        j += usize::from(y <= x);
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    // a list given with repeats (a caller's) still comes out unique
    out.dedup();
    out
}

/// The user's items in `user_items`, as the model's item indices (sorted) with their values.
/// Items unknown to the model are dropped. Empty when the user has no row.
pub(crate) fn history_in_model_space(
    user: &Id,
    user_items: &Interactions,
    model_items: &IdMap,
) -> (Vec<u32>, Vec<f32>) {
    let Some((cols, vals)) = user_items.user_row(user) else {
        return (Vec::new(), Vec::new());
    };
    let shared = user_items.items().as_ref().same_index_space(model_items);
    let mut pairs: Vec<(u32, f32)> = cols
        .iter()
        .zip(vals)
        .filter_map(|(&c, &v)| {
            if shared {
                Some((c, v))
            } else {
                model_items.index(&user_items.items().id(c)).map(|m| (m, v))
            }
        })
        .collect();
    if !shared {
        pairs.sort_unstable_by_key(|p| p.0);
    }
    pairs.into_iter().unzip()
}

/// Converts `(index, score)` pairs into the caller's ids.
pub(crate) fn to_scored(pairs: Vec<(u32, f32)>, items: &IdMap) -> Vec<Scored> {
    pairs
        .into_iter()
        .map(|(i, score)| Scored {
            id: items.id(i),
            score,
        })
        .collect()
}

pub(crate) fn require_item(items: &IdMap, item: &Id) -> Result<u32> {
    items
        .index(item)
        .ok_or_else(|| Error::UnknownItem(item.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_lists_are_sorted_and_unique() {
        assert_eq!(merged(&[1, 4, 9], &[0, 4, 5, 12]), vec![0, 1, 4, 5, 9, 12]);
        assert_eq!(merged(&[], &[2, 2, 3]), vec![2, 3]);
        assert_eq!(merged(&[7], &[]), vec![7]);
        assert!(merged(&[], &[]).is_empty());
    }

    #[test]
    fn a_shared_set_is_resolved_once_per_mapping_and_again_after_a_change() {
        let mut items = IdMap::new();
        for id in ["a", "b", "c", "d"] {
            items.insert(Id::from(id));
        }
        let set = Arc::new(ItemSet::new(["d", "b", "zz", "b"].map(Id::from)));
        let filter = ItemFilter::new()
            .exclude_set(Arc::clone(&set))
            .exclude([Id::from("a"), Id::from("b")]);
        assert_eq!(ResolvedFilter::new(&filter, &items).exclude, vec![0, 1, 3]);
        let first = set.resolve(&items);
        assert!(Arc::ptr_eq(&first, &set.resolve(&items)), "kept");
        // a copy of the mapping is the same mapping
        let copy = items.clone();
        assert!(Arc::ptr_eq(&first, &set.resolve(&copy)));
        // a mapping that gained the unknown id is another one
        items.insert(Id::from("zz"));
        assert_eq!(&*set.resolve(&items), &[1, 3, 4]);
        assert_eq!(&*set.resolve(&copy), &[1, 3]);
        // at most a few mappings are kept
        for n in 0..20 {
            set.resolve(&IdMap::range(n));
        }
        assert!(set.resolved.lock().unwrap().len() <= RESOLUTIONS);
    }
}
