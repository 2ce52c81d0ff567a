//! The ALS recommender: fit, recommend, similar items/users, fold-in and partial fit.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::AlsParams;
use super::solve::{self, RowData};
use crate::error::{Error, Result};
use crate::factors::{Factors, Selection, top_k_by_dot};
use crate::ids::{Id, IdMap};
use crate::interactions::{Csr, Interactions};
use crate::persist::Persist;
use crate::recommender::{
    FitControl, FitProgress, ItemFilter, RecommendOptions, Recommender, ResolvedFilter, Scored,
    history_in_model_space, require_item, to_scored,
};
use crate::rng::SplitMix64;

/// Implicit-feedback matrix factorization by alternating least squares (Hu, Koren & Volinsky
/// 2008), with the conjugate-gradient solver of Takacs et al. 2011.
///
/// ```
/// use recsys_core::als::AlsParams;
/// use recsys_core::{Id, Interactions, RecommendOptions, Recommender};
///
/// let data = Interactions::from_triples([
///     ("ann", "tea", 1.0), ("ann", "cake", 1.0), ("bob", "tea", 1.0), ("bob", "scone", 2.0),
/// ]).unwrap();
/// let model = AlsParams::new().factors(4).iterations(5).seed(1).fit(&data).unwrap();
/// let recs = model.recommend(&Id::from("ann"), &data, 2, &RecommendOptions::default()).unwrap();
/// assert_eq!(recs[0].id, Id::from("scone")); // the only item ann has not seen
/// ```
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ImplicitAls {
    /// Persisted without `num_threads`, a run-time setting: its slot in the file is always
    /// empty (and ignored when a file written before holds a count), so a model file does not
    /// depend on the machine that trained it, and a loaded model runs in the caller's pool
    /// unless [`set_num_threads`](Self::set_num_threads) says otherwise.
    #[serde(
        serialize_with = "persisted_params::write",
        deserialize_with = "persisted_params::read"
    )]
    params: AlsParams,
    #[serde(with = "crate::persist::fitted")]
    state: Fitted,
    /// The thread pool of `params.num_threads`, built on first use and kept: a server that
    /// recommends per request never pays for a pool. Clones share it; never persisted.
    #[serde(skip)]
    pool: Pool,
}

/// The settings as a model file holds them: without the run-time thread count.
mod persisted_params {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::als::AlsParams;

    pub fn write<S: Serializer>(params: &AlsParams, s: S) -> Result<S::Ok, S::Error> {
        AlsParams {
            num_threads: None,
            ..params.clone()
        }
        .serialize(s)
    }

    pub fn read<'de, D: Deserializer<'de>>(d: D) -> Result<AlsParams, D::Error> {
        Ok(AlsParams {
            num_threads: None,
            ..AlsParams::deserialize(d)?
        })
    }
}

/// A lazily built rayon pool, shared by clones of one model.
#[derive(Clone, Default)]
struct Pool(Arc<OnceLock<rayon::ThreadPool>>);

impl Pool {
    /// Runs `f` in this pool of `threads` threads (built on first use), or in the caller's
    /// pool when `threads` is `None`.
    fn install<T: Send>(&self, threads: Option<usize>, f: impl FnOnce() -> T + Send) -> Result<T> {
        let Some(n) = threads else {
            return Ok(f());
        };
        let pool = match self.0.get() {
            Some(pool) => pool,
            None => {
                let built = rayon::ThreadPoolBuilder::new()
                    .num_threads(n)
                    .build()
                    .map_err(|e| {
                        Error::param("num_threads", "a thread count the OS can start", e)
                    })?;
                // two threads racing here build two pools; one is kept, the other dropped
                let _ = self.0.set(built);
                self.0.get().expect("the pool was just set")
            }
        };
        Ok(pool.install(f))
    }
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.get().is_some() {
            "Pool(built)"
        } else {
            "Pool(none)"
        })
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Fitted {
    users: Arc<IdMap>,
    items: Arc<IdMap>,
    user_factors: Factors,
    item_factors: Factors,
    #[serde(skip)]
    cache: Cache,
}

/// Values derived from the factors on first use; reset whenever factors change.
#[derive(Clone, Debug, Default)]
struct Cache {
    item_gram: OnceLock<Vec<f32>>,
    user_gram: OnceLock<Vec<f32>>,
    item_inv_norms: OnceLock<Vec<f32>>,
    user_inv_norms: OnceLock<Vec<f32>>,
}

fn inv_norms(f: &Factors) -> Vec<f32> {
    f.norms()
        .into_iter()
        .map(|n| if n > 0.0 { 1.0 / n } else { 0.0 })
        .collect()
}

/// A user's history in the model's item indices, sorted; values must be finite and >= 0, items
/// unknown to the model are left out.
fn history_indices(st: &Fitted, history: &[(Id, f32)]) -> Result<(Vec<u32>, Vec<f32>)> {
    let mut pairs = Vec::with_capacity(history.len());
    for (row, (id, v)) in history.iter().enumerate() {
        if !(v.is_finite() && *v >= 0.0) {
            return Err(Error::InvalidInput {
                row: row + 1,
                reason: format!("value {v} for item '{id}' must be a finite number >= 0"),
            });
        }
        if let Some(i) = st.items.index(id) {
            pairs.push((i, *v));
        }
    }
    pairs.sort_unstable_by_key(|p| p.0);
    Ok(pairs.into_iter().unzip())
}

/// What [`ImplicitAls::explain`] answers.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    /// The user's score for the item: the sum of every share.
    pub score: f32,
    /// The largest shares, best first: each history item and what it adds to the score.
    pub contributions: Vec<Scored>,
}

/// Which side of the matrix an operation works on.
#[derive(Clone, Copy)]
enum Side {
    Users,
    Items,
}

impl Fitted {
    fn gram(&self, of: Side, lambda: f32) -> &[f32] {
        match of {
            Side::Items => self
                .cache
                .item_gram
                .get_or_init(|| solve::regularized_gram(&self.item_factors, lambda)),
            Side::Users => self
                .cache
                .user_gram
                .get_or_init(|| solve::regularized_gram(&self.user_factors, lambda)),
        }
    }
}

impl AlsParams {
    /// Trains a model with these settings on `data` (checked first: invalid settings or data
    /// without entries are errors).
    pub fn fit(&self, data: &Interactions) -> Result<ImplicitAls> {
        self.fit_controlled(data, &FitControl::none())
    }

    /// [`fit`](Self::fit), calling `progress` after every iteration.
    pub fn fit_with_progress(
        &self,
        data: &Interactions,
        progress: impl FnMut(&FitProgress) + Send,
    ) -> Result<ImplicitAls> {
        // the fit reports from one thread at a time; the lock makes the FnMut shareable
        let progress = std::sync::Mutex::new(progress);
        let report = |p: &FitProgress| (progress.lock().unwrap_or_else(|e| e.into_inner()))(p);
        self.fit_controlled(data, &FitControl::none().with_progress(&report))
    }

    /// [`fit`](Self::fit), reporting each iteration to `control` and stopping (with
    /// [`Error::Cancelled`]) once it asks to.
    pub fn fit_controlled(
        &self,
        data: &Interactions,
        control: &FitControl<'_>,
    ) -> Result<ImplicitAls> {
        self.validate()?;
        if data.nnz() == 0 {
            return Err(Error::Shape(
                "cannot fit on interactions with no entries".into(),
            ));
        }
        control.check()?;
        let pool = Pool::default();
        let state = pool.install(self.num_threads, || fit(self, data, control))??;
        Ok(ImplicitAls {
            params: self.clone(),
            state,
            pool,
        })
    }
}

impl ImplicitAls {
    /// The settings it was trained with.
    pub fn params(&self) -> &AlsParams {
        &self.params
    }

    /// Threads for batch calls and partial fits from now on (`None`: the caller's rayon pool),
    /// the run-time setting a model file does not keep; 0 is an error.
    pub fn set_num_threads(&mut self, n: Option<usize>) -> Result<()> {
        if n == Some(0) {
            return Err(Error::param(
                "num_threads",
                ">= 1 (or None for all cores)",
                0,
            ));
        }
        if n != self.params.num_threads {
            self.params.num_threads = n;
            self.pool = Pool::default();
        }
        Ok(())
    }

    fn in_pool<T: Send>(&self, f: impl FnOnce() -> T + Send) -> Result<T> {
        self.pool.install(self.params.num_threads, f)
    }

    /// User factors, one row per user in [`user_ids`](Self::user_ids) order.
    pub fn user_factors(&self) -> &Factors {
        &self.state.user_factors
    }
    /// Item factors, one row per item in [`item_ids`](Recommender::item_ids) order.
    pub fn item_factors(&self) -> &Factors {
        &self.state.item_factors
    }
    /// The users the model knows.
    pub fn user_ids(&self) -> &IdMap {
        &self.state.users
    }

    /// The factor vector of a user the model has never seen, from their interactions
    /// (`(item, strength)`; items unknown to the model are ignored), by an exact solve of their
    /// normal equations against the trained item factors. No refit; the model is unchanged.
    pub fn fold_in_user(&self, history: &[(Id, f32)]) -> Result<Vec<f32>> {
        let st = &self.state;
        let (cols, vals) = history_indices(st, history)?;
        self.fold_in_indices(st, Side::Users, &cols, &vals)
    }

    /// Why the model scores `item` as it does for a user with `history` (Hu, Koren & Volinsky
    /// 2008, section 5). The user's exact factors solve `A x = b` with `b = sum_j c_j y_j`, so
    /// their score `y_i . x` is `sum_j c_j (A^-1 y_i) . y_j`: one share per item of the history.
    /// Returns that score (the fold-in score of `history`) and the `n` largest shares, best
    /// first. Items of the history unknown to the model are ignored.
    pub fn explain(&self, history: &[(Id, f32)], item: &Id, n: usize) -> Result<Explanation> {
        let st = &self.state;
        let target = require_item(&st.items, item)? as usize;
        let (cols, raw) = history_indices(st, history)?;
        let conf: Vec<f32> = raw
            .iter()
            .map(|&r| self.params.confidence.apply(r))
            .collect();
        let gram = st.gram(Side::Items, self.params.regularization);
        let mut weighted = st.item_factors.row(target).to_vec();
        let row = RowData {
            cols: &cols,
            conf: &conf,
        };
        solve::solve_normal_dispatch(
            &mut weighted,
            &st.item_factors,
            gram,
            &row,
            &mut solve::Scratch::default(),
        )
        .map_err(|p| Error::NotPositiveDefinite(format!("explain, pivot {p}")))?;
        let mut dots = vec![0f32; cols.len()];
        solve::weighted_dots_dispatch(&st.item_factors, &row, &weighted, &mut dots);
        let mut shares: Vec<(u32, f32)> = cols.iter().copied().zip(dots).collect();
        let score = shares.iter().map(|s| s.1).sum();
        shares.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        shares.truncate(n);
        Ok(Explanation {
            score,
            contributions: shares
                .into_iter()
                .map(|(j, score)| Scored {
                    id: st.items.id(j),
                    score,
                })
                .collect(),
        })
    }

    /// Exact solve for one row against the `opposite` side's factors.
    fn fold_in_indices(
        &self,
        st: &Fitted,
        solve_for: Side,
        cols: &[u32],
        raw: &[f32],
    ) -> Result<Vec<f32>> {
        let conf: Vec<f32> = raw
            .iter()
            .map(|&r| self.params.confidence.apply(r))
            .collect();
        let (other, gram) = match solve_for {
            Side::Users => (
                &st.item_factors,
                st.gram(Side::Items, self.params.regularization),
            ),
            Side::Items => (
                &st.user_factors,
                st.gram(Side::Users, self.params.regularization),
            ),
        };
        let dim = other.dim();
        let mut x = vec![0f32; dim];
        let mut scratch = solve::Scratch::default();
        solve::exact_row_dispatch(
            &mut x,
            other,
            gram,
            &RowData { cols, conf: &conf },
            &mut scratch,
        )
        .map_err(|p| Error::NotPositiveDefinite(format!("fold-in, pivot {p}")))?;
        Ok(x)
    }

    /// Recomputes (exactly) the factors of `users` from their rows in `data`, adding users the
    /// model has not seen. Item factors stay fixed. Items in `data` unknown to the model are
    /// ignored. Every id in `users` must have a row in `data`.
    pub fn partial_fit_users(&mut self, data: &Interactions, users: &[Id]) -> Result<()> {
        self.partial_fit(data, users, Side::Users)
    }

    /// Recomputes (exactly) the factors of `items` from their columns in `data`, adding items
    /// the model has not seen. User factors stay fixed.
    pub fn partial_fit_items(&mut self, data: &Interactions, items: &[Id]) -> Result<()> {
        self.partial_fit(data, items, Side::Items)
    }

    fn partial_fit(&mut self, data: &Interactions, ids: &[Id], side: Side) -> Result<()> {
        let st = &self.state;
        let (data_rows, data_cols, csr, model_cols): (&IdMap, &IdMap, &Csr, &IdMap) = match side {
            Side::Users => (data.users(), data.items(), data.by_user(), &st.items),
            Side::Items => (data.items(), data.users(), data.by_item(), &st.users),
        };
        let shared = data_cols.same_index_space(model_cols);
        let solved: Vec<Vec<f32>> = self.in_pool(|| {
            ids.par_iter()
                .enumerate()
                .map(|(k, id)| {
                    let r = data_rows.index(id).ok_or_else(|| Error::InvalidInput {
                        row: k + 1,
                        reason: format!("'{id}' has no row in the given interactions"),
                    })?;
                    let (cols, vals) = csr.row(r as usize);
                    let mut pairs: Vec<(u32, f32)> = cols
                        .iter()
                        .zip(vals)
                        .filter_map(|(&c, &v)| {
                            let m = if shared {
                                Some(c)
                            } else {
                                model_cols.index(&data_cols.id(c))
                            };
                            m.map(|m| (m, v))
                        })
                        .collect();
                    pairs.sort_unstable_by_key(|p| p.0);
                    let (mc, mv): (Vec<u32>, Vec<f32>) = pairs.into_iter().unzip();
                    self.fold_in_indices(st, side, &mc, &mv)
                })
                .collect::<Result<Vec<_>>>()
        })??;
        let st = &mut self.state;
        let (map, factors) = match side {
            Side::Users => (Arc::make_mut(&mut st.users), &mut st.user_factors),
            Side::Items => (Arc::make_mut(&mut st.items), &mut st.item_factors),
        };
        for (id, x) in ids.iter().zip(solved) {
            let idx = map.insert(id.clone()) as usize;
            if idx == factors.rows() {
                factors.push_zero_row();
            }
            factors.row_mut(idx).copy_from_slice(&x);
        }
        st.cache = Cache::default();
        Ok(())
    }

    /// The `n` users most similar to `user` by cosine of their factors (including `user`),
    /// among the users `filter` allows (its `exclude` and `candidates` name users here).
    pub fn similar_users(&self, user: &Id, n: usize, filter: &ItemFilter) -> Result<Vec<Scored>> {
        let st = &self.state;
        let u = st
            .users
            .index(user)
            .ok_or_else(|| Error::UnknownUser(user.clone()))?;
        let inv = st
            .cache
            .user_inv_norms
            .get_or_init(|| inv_norms(&st.user_factors));
        let pairs = similar(
            &st.user_factors,
            inv,
            u,
            n,
            &ResolvedFilter::new(filter, &st.users),
        );
        Ok(to_scored(pairs, &st.users))
    }

    /// Heap bytes held by the fitted model: factors, id maps and any derived caches.
    pub fn heap_bytes(&self) -> usize {
        let st = &self.state;
        let cache = [
            &st.cache.item_gram,
            &st.cache.user_gram,
            &st.cache.item_inv_norms,
            &st.cache.user_inv_norms,
        ]
        .iter()
        .map(|c| c.get().map_or(0, |v| v.capacity() * 4))
        .sum::<usize>();
        st.user_factors.heap_bytes()
            + st.item_factors.heap_bytes()
            + st.users.heap_bytes()
            + st.items.heap_bytes()
            + cache
    }
}

/// Cosine neighbours of row `q` of `f`.
fn similar(
    f: &Factors,
    inv_norms: &[f32],
    q: u32,
    n: usize,
    filter: &ResolvedFilter,
) -> Vec<(u32, f32)> {
    let query: Vec<f32> = f
        .row(q as usize)
        .iter()
        .map(|v| v * inv_norms[q as usize])
        .collect();
    let exclude = [filter.exclude.clone()];
    let sel = Selection {
        exclude: &exclude,
        candidates: filter.candidates.as_deref(),
        item_scale: Some(inv_norms),
    };
    top_k_by_dot(&query, f, n, &sel).pop().unwrap_or_default()
}

fn fit(params: &AlsParams, data: &Interactions, control: &FitControl<'_>) -> Result<Fitted> {
    let conf = |m: &Csr| -> Vec<f32> {
        m.values()
            .par_iter()
            .map(|&r| params.confidence.apply(r))
            .collect()
    };
    let (by_user, by_item) = (data.by_user(), data.by_item());
    let (conf_u, conf_i) = (conf(by_user), conf(by_item));
    let dim = params.factors;
    let mut rng = SplitMix64::new(params.seed);
    // As implicit: small positive uniform starting values.
    let mut x = Factors::uniform(data.n_users(), dim, 0.01, &mut rng);
    let mut y = Factors::uniform(data.n_items(), dim, 0.01, &mut rng);
    let lambda = params.regularization;
    let want_loss = params.calculate_loss || params.early_stop_tolerance.is_some();
    let mut last_loss: Option<f64> = None;
    for iteration in 0..params.iterations {
        let start = Instant::now();
        let g = solve::regularized_gram(&y, lambda);
        solve::solve_all(
            &mut x,
            &y,
            &g,
            by_user.indptr(),
            by_user.indices(),
            &conf_u,
            params.solver,
        )?;
        let g = solve::regularized_gram(&x, lambda);
        solve::solve_all(
            &mut y,
            &x,
            &g,
            by_item.indptr(),
            by_item.indices(),
            &conf_i,
            params.solver,
        )?;
        let elapsed = start.elapsed();
        let loss = want_loss.then(|| {
            solve::training_loss(&x, &y, by_user.indptr(), by_user.indices(), &conf_u, lambda)
        });
        let step = FitProgress {
            model: "als",
            iteration,
            iterations: params.iterations,
            elapsed,
            loss,
        };
        control.report(&step);
        control.check()?;
        if let (Some(tol), Some(prev), Some(cur)) = (params.early_stop_tolerance, last_loss, loss)
            && (prev - cur) < tol * prev.abs()
        {
            break;
        }
        last_loss = loss;
    }
    if !(x.all_finite() && y.all_finite()) {
        return Err(Error::NotPositiveDefinite(
            "training produced non-finite factors".into(),
        ));
    }
    Ok(Fitted {
        users: data.users().clone(),
        items: data.items().clone(),
        user_factors: x,
        item_factors: y,
        cache: Cache::default(),
    })
}

impl Recommender for ImplicitAls {
    fn kind(&self) -> &'static str {
        "als"
    }

    fn item_ids(&self) -> &IdMap {
        &self.state.items
    }

    fn recommend_batch(
        &self,
        users: &[Id],
        user_items: &Interactions,
        n: usize,
        options: &RecommendOptions,
    ) -> Result<Vec<Vec<Scored>>> {
        let st = &self.state;
        let filter = ResolvedFilter::new(&options.items, &st.items);
        let dim = st.item_factors.dim();
        let mut queries = vec![0f32; users.len() * dim];
        let mut exclude = Vec::with_capacity(users.len());
        for (q, user) in users.iter().enumerate() {
            let (seen, values) = history_in_model_space(user, user_items, &st.items);
            let known = st.users.index(user);
            let vector = &mut queries[q * dim..(q + 1) * dim];
            match known {
                Some(u) if !options.recalculate_user => {
                    vector.copy_from_slice(st.user_factors.row(u as usize))
                }
                _ if options.recalculate_user && user_items.user_row(user).is_some() => vector
                    .copy_from_slice(&self.fold_in_indices(st, Side::Users, &seen, &values)?),
                _ => return Err(Error::UnknownUser(user.clone())),
            }
            exclude.push(if options.filter_seen {
                filter.exclusions_with(&seen)
            } else {
                filter.exclude.clone()
            });
        }
        let sel = Selection {
            exclude: &exclude,
            candidates: filter.candidates.as_deref(),
            item_scale: None,
        };
        let lists = self.in_pool(|| top_k_by_dot(&queries, &st.item_factors, n, &sel))?;
        Ok(lists.into_iter().map(|l| to_scored(l, &st.items)).collect())
    }

    fn similar_items(&self, item: &Id, n: usize, filter: &ItemFilter) -> Result<Vec<Scored>> {
        let st = &self.state;
        let i = require_item(&st.items, item)?;
        let inv = st
            .cache
            .item_inv_norms
            .get_or_init(|| inv_norms(&st.item_factors));
        let pairs = similar(
            &st.item_factors,
            inv,
            i,
            n,
            &ResolvedFilter::new(filter, &st.items),
        );
        Ok(to_scored(pairs, &st.items))
    }
}

impl Persist for ImplicitAls {
    const KIND: &'static str = "implicit_als";
    const VERSION: u32 = 1;

    fn check_loaded(&self) -> Result<()> {
        self.params.validate()?;
        {
            let st = &self.state;
            let dim = self.params.factors;
            let ok = st.user_factors.is_consistent()
                && st.item_factors.is_consistent()
                && st.user_factors.dim() == dim
                && st.item_factors.dim() == dim
                && st.user_factors.rows() == st.users.len()
                && st.item_factors.rows() == st.items.len();
            if !ok {
                return Err(Error::CorruptModel(
                    "factor shapes disagree with the id maps".into(),
                ));
            }
            if !(st.user_factors.all_finite() && st.item_factors.all_finite()) {
                return Err(Error::CorruptModel(
                    "factors hold a value that is not a finite number".into(),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_thread_count_is_not_persisted() {
        let data =
            crate::Interactions::from_triples([("a", "x", 1.0), ("b", "y", 1.0), ("a", "y", 2.0)])
                .unwrap();
        let with = AlsParams::new()
            .factors(2)
            .iterations(2)
            .num_threads(Some(2))
            .fit(&data)
            .unwrap();
        let without = AlsParams::new()
            .factors(2)
            .iterations(2)
            .fit(&data)
            .unwrap();
        // the same file whatever the machine's thread count; a loaded model uses the caller's pool
        assert_eq!(with.to_bytes().unwrap(), without.to_bytes().unwrap());
        let mut loaded = ImplicitAls::from_bytes(&with.to_bytes().unwrap()).unwrap();
        assert_eq!(loaded.params().num_threads, None);
        loaded.set_num_threads(Some(1)).unwrap();
        assert_eq!(loaded.in_pool(rayon::current_num_threads).unwrap(), 1);
        assert!(loaded.set_num_threads(Some(0)).is_err());
        // a configuration (JSON) still carries it
        let json = serde_json::to_string(with.params()).unwrap();
        assert!(json.contains("\"num_threads\":2"), "{json}");
    }

    #[test]
    fn a_thread_count_builds_one_pool_per_model_shared_by_its_clones() {
        let data = crate::Interactions::from_triples([("a", "x", 1.0), ("b", "y", 1.0)]).unwrap();
        let m = AlsParams::new()
            .factors(2)
            .iterations(1)
            .num_threads(Some(2))
            .fit(&data)
            .unwrap();
        let first = m.in_pool(rayon::current_num_threads).unwrap();
        assert_eq!(first, 2);
        let pool: *const rayon::ThreadPool = m.pool.0.get().expect("built on first use");
        let copy = m.clone();
        for _ in 0..100 {
            assert_eq!(copy.in_pool(rayon::current_num_threads).unwrap(), 2);
        }
        assert!(
            std::ptr::eq(pool, copy.pool.0.get().unwrap()),
            "the clone uses the same pool"
        );
        // no thread count: the caller's pool, none built
        let all = AlsParams::new()
            .factors(2)
            .iterations(1)
            .fit(&data)
            .unwrap();
        all.in_pool(|| ()).unwrap();
        assert!(all.pool.0.get().is_none());
    }
}
