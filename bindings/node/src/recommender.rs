//! `Recommender`: one handle over the core's `Spec` (settings until the first fit, then the
//! trained `AnyRecommender`: ALS, content, popularity, hybrid), as the Python binding has; the
//! TypeScript layer gives each kind its class.
//!
//! The handle keeps the trained model behind an `Arc` that a fit replaces in one step: a fit
//! trains a new model off the event loop while `recommend` keeps answering from the previous
//! one, and a stopped or failed fit leaves it untouched. It also keeps the interactions of the last
//! fit, which `recommend` filters seen items with unless the caller passes newer ones.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, RwLock};

use napi::bindgen_prelude::{AsyncTask, Buffer, Float32Array, Float64Array, Uint32Array, Unknown};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Either, Status};
use napi_derive::napi;
use recsys_core::als::ImplicitAls;
use recsys_core::content::Catalog;
use recsys_core::factory::{AnyRecommender, RECOMMENDER_NAMES, RecommenderConfig, Spec};
use recsys_core::{FitControl, Id, IdMap, ItemFilter, Recommender as _, Scored};

use crate::error::{IntoJs, Result, invalid};
use crate::ids::{MAX_SAFE_INT, id, ids, ids_in, out};
use crate::interactions::Interactions;
use crate::options::{AlsOptions, ContentOptions, count};
use crate::task::{Job, StopFlag, spawn};

/// A ranked list in the caller's ids, best first.
#[napi(object)]
pub struct Ranked {
    pub ids: Vec<Either<i64, String>>,
    pub scores: Float32Array,
}

fn ranked(list: Vec<Scored>) -> Ranked {
    let scores = list.iter().map(|s| s.score).collect::<Vec<_>>();
    Ranked {
        ids: list.into_iter().map(|s| out(s.id)).collect(),
        scores: Float32Array::new(scores),
    }
}

/// Many ranked lists in one: list `k` is `ids[offsets[k]..offsets[k + 1]]` with its scores.
/// One typed array per field for the whole batch: building JavaScript values one id at a time
/// cost several times the scoring (integer ids travel as a `Float64Array`; a batch with any
/// string id as an array).
#[napi(object)]
pub struct RankedLists {
    pub ids: Either<Float64Array, Vec<Either<i64, String>>>,
    pub scores: Float32Array,
    pub offsets: Uint32Array,
}

fn ranked_lists(lists: Vec<Vec<Scored>>) -> RankedLists {
    let total = lists.iter().map(Vec::len).sum();
    let (mut ids, mut scores) = (Vec::with_capacity(total), Vec::with_capacity(total));
    let mut offsets = Vec::with_capacity(lists.len() + 1);
    offsets.push(0);
    for list in lists {
        for s in list {
            ids.push(s.id);
            scores.push(s.score);
        }
        offsets.push(ids.len() as u32);
    }
    let numeric = ids
        .iter()
        .all(|id| matches!(id, Id::Int(n) if n.unsigned_abs() <= MAX_SAFE_INT));
    RankedLists {
        ids: if numeric {
            Either::A(Float64Array::new(
                ids.iter()
                    .map(|id| match id {
                        Id::Int(n) => *n as f64,
                        Id::Str(_) => unreachable!("checked: every id is an integer"),
                    })
                    .collect(),
            ))
        } else {
            Either::B(ids.into_iter().map(out).collect())
        },
        scores: Float32Array::new(scores),
        offsets: Uint32Array::new(offsets),
    }
}

/// What `recommend` / `recommendBatch` take besides the user.
#[napi(object)]
#[derive(Default)]
pub struct RecommendOptions {
    /// List length (default 10).
    pub n: Option<f64>,
    /// Leave out items the user already has (default true).
    pub filter_seen: Option<bool>,
    /// Fold the user in from their interactions instead of the trained vector (new users).
    pub recalculate_user: Option<bool>,
    /// Never return these items.
    pub exclude: Option<Vec<Either<f64, String>>>,
    /// Return only items from this list.
    pub items: Option<Vec<Either<f64, String>>>,
}

/// What `similarItems` takes besides the id.
#[napi(object)]
#[derive(Default)]
pub struct SimilarOptions {
    pub n: Option<f64>,
    pub exclude: Option<Vec<Either<f64, String>>>,
    pub items: Option<Vec<Either<f64, String>>>,
}

/// Options of `similarUsers`: how many, users to leave out, users to choose from.
#[napi(object)]
#[derive(Default)]
pub struct SimilarUsersOptions {
    pub n: Option<f64>,
    pub exclude: Option<Vec<Either<f64, String>>>,
    pub users: Option<Vec<Either<f64, String>>>,
}

fn item_filter(
    exclude: Option<Vec<Either<f64, String>>>,
    items: Option<Vec<Either<f64, String>>>,
) -> Result<ItemFilter> {
    Ok(ItemFilter::new()
        .exclude(
            exclude
                .map(|v| ids(&v, "exclude"))
                .transpose()?
                .unwrap_or_default(),
        )
        .only_if(items.map(|v| ids(&v, "items")).transpose()?))
}

impl RecommendOptions {
    fn core(self) -> Result<(usize, recsys_core::RecommendOptions)> {
        let defaults = recsys_core::RecommendOptions::default();
        Ok((
            self.n.map_or(Ok(10), |n| count("n", n))?,
            recsys_core::RecommendOptions::new()
                .filter_seen(self.filter_seen.unwrap_or(defaults.filter_seen))
                .recalculate_user(self.recalculate_user.unwrap_or(defaults.recalculate_user))
                .items(item_filter(self.exclude, self.items)?),
        ))
    }
}

/// What `onProgress` receives after each training iteration.
#[napi(object)]
pub struct FitProgress {
    /// The model reporting (`"als"`; inside a hybrid, the member).
    pub model: String,
    /// 0-based iteration just finished.
    pub iteration: u32,
    pub iterations: u32,
    /// Milliseconds this iteration took.
    pub elapsed_ms: f64,
    /// Training loss, when `calculateLoss` is on.
    pub loss: Option<f64>,
}

/// A catalog of item texts: `texts[i]` holds one text per field of item `ids[i]`.
#[napi(object)]
pub struct CatalogIn {
    pub fields: Vec<String>,
    pub ids: Vec<Either<f64, String>>,
    pub texts: Vec<Vec<String>>,
}

fn catalog(input: CatalogIn) -> Result<Catalog> {
    if input.ids.len() != input.texts.len() {
        return Err(invalid(format!(
            "catalog: {} ids for {} items' texts",
            input.ids.len(),
            input.texts.len()
        )));
    }
    let mut catalog = Catalog::new(&input.fields);
    for (item, texts) in ids(&input.ids, "catalog.ids")?
        .into_iter()
        .zip(&input.texts)
    {
        catalog.push(item, texts).js()?;
    }
    Ok(catalog)
}

struct State {
    /// Settings until the first fit, then the trained model.
    spec: Spec,
    /// The interactions of the last fit.
    history: Option<Arc<recsys_core::Interactions>>,
}

/// `recommendBatch`'s work: the lists, made JavaScript values when done.
type BatchTask = AsyncTask<Job<Vec<Vec<Scored>>, RankedLists>>;

/// A recommender of any kind.
#[napi]
pub struct Recommender {
    state: Arc<RwLock<State>>,
}

impl Recommender {
    fn of(spec: Spec) -> Self {
        Recommender {
            state: Arc::new(RwLock::new(State {
                spec,
                history: None,
            })),
        }
    }

    /// The trained model as it is now (a fit in progress does not change it), or `NOT_FITTED`.
    pub(crate) fn model(&self) -> Result<Arc<AnyRecommender>> {
        let state = self.read();
        match state.spec.trained() {
            Some(m) => Ok(Arc::clone(m)),
            None => Err(recsys_core::Error::NotFitted(state.spec.kind())).js(),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        // a panic while holding the lock cannot leave the state half-written (it is replaced
        // whole), so a poisoned lock is still good
        self.state.read().unwrap_or_else(|p| p.into_inner())
    }

    /// The interactions to filter and score with: the caller's, else those of the last fit. A
    /// model loaded from a file holds none: when the list needs them (seen items left out, a
    /// user recalculated, or a content or hybrid model, which scores from the user's history),
    /// asking without `userItems` is an error, never a list other than the saved model's.
    fn history(
        &self,
        model: &AnyRecommender,
        given: Option<&Interactions>,
        options: &recsys_core::RecommendOptions,
    ) -> Result<Arc<recsys_core::Interactions>> {
        if let Some(data) = given {
            return Ok(Arc::clone(&data.inner));
        }
        if let Some(fitted) = &self.read().history {
            return Ok(Arc::clone(fitted));
        }
        let scores_from_history = matches!(
            model,
            AnyRecommender::Content(_) | AnyRecommender::Hybrid(_)
        );
        if options.filter_seen || options.recalculate_user || scores_from_history {
            let why = if scores_from_history {
                format!("a '{}' model scores from the user's history", model.kind())
            } else if options.filter_seen {
                "filterSeen leaves out what the user already has".to_owned()
            } else {
                "recalculateUser computes the user from their history".to_owned()
            };
            return Err(invalid(format!(
                "this model was loaded, not fitted here, so it does not hold the interactions it \
                 was trained on, and {why}: pass userItems (or filterSeen: false for a factor or \
                 popularity model)"
            )));
        }
        Ok(Arc::new(recsys_core::Interactions::empty(
            Arc::new(IdMap::new()),
            Arc::new(IdMap::new()),
        )))
    }

    /// `f` of the ALS model (held for the call, whatever swaps the handle's model meanwhile), or
    /// `INVALID_ARGUMENT` for a model without factors.
    fn with_als<T>(&self, f: impl FnOnce(&ImplicitAls) -> Result<T>) -> Result<T> {
        let model = self.model()?;
        match model.as_ref() {
            AnyRecommender::Als(als) => f(als),
            other => Err(invalid(format!(
                "a '{}' model has no factors; this needs an ALS model",
                other.kind()
            ))),
        }
    }
}

/// A kind name as the core spells it (`"als"`, ...), or `INVALID_ARGUMENT`.
fn kind_name(kind: &str) -> Result<&'static str> {
    RECOMMENDER_NAMES
        .iter()
        .copied()
        .find(|k| *k == kind)
        .ok_or_else(|| {
            invalid(format!(
                "kind must be one of {RECOMMENDER_NAMES:?}, got '{kind}'"
            ))
        })
}

/// A model file, or the settings of a handle saved before its fit; with `kind`, of that kind.
fn decode(bytes: &[u8], kind: Option<String>) -> Result<Recommender> {
    let spec = Spec::from_bytes(bytes).js()?;
    if let Some(kind) = kind {
        let expected = kind_name(&kind)?;
        if spec.kind() != expected {
            return Err(recsys_core::Error::WrongModelKind {
                expected,
                found: spec.kind().to_owned(),
            })
            .js();
        }
    }
    Ok(Recommender::of(spec))
}

/// The factors of an ALS model: `rows x dim`, row-major.
#[napi(object)]
pub struct FactorMatrix {
    pub rows: u32,
    pub dim: u32,
    pub data: Float32Array,
}

#[napi]
impl Recommender {
    /// Implicit-feedback ALS.
    #[napi(factory)]
    pub fn als(options: Option<AlsOptions>) -> Result<Self> {
        let params = options.unwrap_or_default().params()?;
        Ok(Self::of(
            Spec::config(RecommenderConfig::Als(params), None).js()?,
        ))
    }

    /// Items ranked by how many users interacted with them.
    #[napi(factory)]
    pub fn popularity() -> Self {
        Self::of(Spec::Config {
            config: RecommenderConfig::Popular {},
            catalog: None,
        })
    }

    /// TF-IDF content similarity over a catalog of item texts (indexed by `fit`).
    #[napi(factory)]
    pub fn content(catalog_in: CatalogIn, options: Option<ContentOptions>) -> Result<Self> {
        let params = options.unwrap_or_default().params()?;
        let config = RecommenderConfig::Content(params);
        let catalog = Arc::new(catalog(catalog_in)?);
        Ok(Self::of(Spec::config(config, Some(catalog)).js()?))
    }

    /// A weighted blend of `models` (copied as they are, fitted or not), in fallback order;
    /// its `fit` trains every member.
    #[napi(factory)]
    pub fn hybrid(models: Vec<&Recommender>, weights: Vec<f64>) -> Result<Self> {
        if models.len() != weights.len() {
            return Err(invalid(format!(
                "{} models for {} weights",
                models.len(),
                weights.len()
            )));
        }
        let members = models
            .iter()
            .zip(&weights)
            .map(|(m, &w)| (m.read().spec.clone(), w as f32))
            .collect();
        Ok(Self::of(Spec::hybrid(members).js()?))
    }

    /// Any recommender from the core factory's JSON settings (`{"kind": "als", ...}`); content
    /// models (and hybrids with a content member) need the catalog.
    #[napi(factory)]
    pub fn from_config(config: String, catalog_in: Option<CatalogIn>) -> Result<Self> {
        let config = RecommenderConfig::from_json(&config).js()?;
        let catalog = catalog_in.map(catalog).transpose()?.map(Arc::new);
        Ok(Self::of(Spec::config(config, catalog).js()?))
    }

    /// `"als"`, `"content"`, `"popular"` or `"hybrid"`.
    #[napi(getter)]
    pub fn kind(&self) -> &'static str {
        self.read().spec.kind()
    }

    #[napi(getter)]
    pub fn is_fitted(&self) -> bool {
        self.read().spec.trained().is_some()
    }

    /// Trains a copy of the model on `data` off the event loop and swaps it in when done.
    /// `onProgress` is called after each iteration; `stop` ends the fit early (`ABORTED`).
    /// Resolves with the number of progress reports queued, which may still be on their way
    /// to `onProgress` (the TypeScript layer waits for them).
    #[napi(ts_return_type = "Promise<number>")]
    pub fn fit(
        &self,
        data: &Interactions,
        on_progress: Option<
            ThreadsafeFunction<FitProgress, Unknown<'static>, FitProgress, Status, false>,
        >,
        stop: Option<&StopFlag>,
    ) -> AsyncTask<Job<u32, u32>> {
        let state = Arc::clone(&self.state);
        let data = Arc::clone(&data.inner);
        let stop = stop.map_or_else(Default::default, |s| Arc::clone(&s.flag));
        spawn(
            move || {
                let spec = {
                    let s = state.read().unwrap_or_else(|p| p.into_inner());
                    s.spec.clone()
                };
                let queued = AtomicU32::new(0);
                let report = |p: &recsys_core::FitProgress| {
                    let Some(f) = &on_progress else { return };
                    let progress = FitProgress {
                        model: p.model.to_owned(),
                        iteration: p.iteration as u32,
                        iterations: p.iterations as u32,
                        elapsed_ms: p.elapsed.as_secs_f64() * 1e3,
                        loss: p.loss,
                    };
                    if f.call(progress, ThreadsafeFunctionCallMode::NonBlocking) == Status::Ok {
                        queued.fetch_add(1, Ordering::Relaxed);
                    }
                };
                let control = FitControl::none().with_progress(&report).with_stop(&stop);
                let model = spec.fit(&data, &control).js()?;
                let mut s = state.write().unwrap_or_else(|p| p.into_inner());
                *s = State {
                    spec: Spec::Trained(Arc::new(model)),
                    history: Some(data),
                };
                Ok(queued.into_inner())
            },
            Ok,
        )
    }

    /// The best items for `user`, best first.
    #[napi]
    pub fn recommend(
        &self,
        user: Either<f64, String>,
        options: Option<RecommendOptions>,
        user_items: Option<&Interactions>,
    ) -> Result<Ranked> {
        let (n, options) = options.unwrap_or_default().core()?;
        let user = id(&user, "user")?;
        let model = self.model()?;
        let history = self.history(&model, user_items, &options)?;
        let list = model.recommend(&user, &history, n, &options).js()?;
        Ok(ranked(list))
    }

    /// `recommend` for many users at once, scored off the event loop.
    #[napi(ts_return_type = "Promise<RankedLists>")]
    pub fn recommend_batch(
        &self,
        users: Either<Float64Array, Vec<Either<f64, String>>>,
        options: Option<RecommendOptions>,
        user_items: Option<&Interactions>,
    ) -> Result<BatchTask> {
        let (n, options) = options.unwrap_or_default().core()?;
        let users = ids_in(&users, "users")?;
        let model = self.model()?;
        let history = self.history(&model, user_items, &options)?;
        Ok(spawn(
            move || model.recommend_batch(&users, &history, n, &options).js(),
            |lists| Ok(ranked_lists(lists)),
        ))
    }

    /// The items most similar to `item` (factor models include `item` itself, as implicit).
    #[napi]
    pub fn similar_items(
        &self,
        item: Either<f64, String>,
        options: Option<SimilarOptions>,
    ) -> Result<Ranked> {
        let o = options.unwrap_or_default();
        let filter = item_filter(o.exclude, o.items)?;
        let item = id(&item, "item")?;
        let n = o.n.map_or(Ok(10), |n| count("n", n))?;
        Ok(ranked(self.model()?.similar_items(&item, n, &filter).js()?))
    }

    /// The users most similar to `user` by their factors (ALS; includes `user`); `exclude` /
    /// `users` name users to leave out / to choose from.
    #[napi]
    pub fn similar_users(
        &self,
        user: Either<f64, String>,
        options: Option<SimilarUsersOptions>,
    ) -> Result<Ranked> {
        let o = options.unwrap_or_default();
        let filter = item_filter(o.exclude, o.users)?;
        let user = id(&user, "user")?;
        let n = o.n.map_or(Ok(10), |n| count("n", n))?;
        self.with_als(|als| Ok(ranked(als.similar_users(&user, n, &filter).js()?)))
    }

    /// The factor vector of a user the model has never seen, from their items and strengths
    /// (1 each when `values` is left out); the model is unchanged.
    #[napi]
    pub fn fold_in_user(
        &self,
        items: Either<Float64Array, Vec<Either<f64, String>>>,
        values: Option<Vec<f64>>,
    ) -> Result<Float32Array> {
        let items = ids_in(&items, "items")?;
        if values.as_ref().is_some_and(|v| v.len() != items.len()) {
            return Err(invalid("items and values must have the same length"));
        }
        let history: Vec<(Id, f32)> = items
            .into_iter()
            .enumerate()
            .map(|(k, item)| (item, values.as_ref().map_or(1.0, |v| v[k] as f32)))
            .collect();
        self.with_als(|als| Ok(Float32Array::new(als.fold_in_user(&history).js()?)))
    }

    /// Items whose text best matches `query` (content models), best first.
    #[napi]
    pub fn search(&self, query: String, n: Option<u32>) -> Result<Ranked> {
        let model = self.model()?;
        let AnyRecommender::Content(content) = model.as_ref() else {
            return Err(invalid(format!(
                "a '{}' model cannot search text; this needs a content model",
                model.kind()
            )));
        };
        let n = n.map_or(10, |n| n as usize);
        Ok(ranked(content.search(&query, n)))
    }

    /// The ids of the items the model can recommend.
    #[napi]
    pub fn item_ids(&self) -> Result<Vec<Either<i64, String>>> {
        Ok(self.model()?.item_ids().iter().map(out).collect())
    }

    /// ALS user factors, one row per user of the training data.
    #[napi(getter)]
    pub fn user_factors(&self) -> Result<FactorMatrix> {
        self.with_als(|als| factor_matrix(als.user_factors()))
    }

    /// ALS item factors, one row per item.
    #[napi(getter)]
    pub fn item_factors(&self) -> Result<FactorMatrix> {
        self.with_als(|als| factor_matrix(als.item_factors()))
    }

    /// The model in the core's file format (the bytes Rust's and Python's `save` write); before
    /// a fit, its settings.
    #[napi]
    pub fn to_buffer(&self) -> Result<Buffer> {
        Ok(self.read().spec.to_bytes().js()?.into())
    }

    /// Reads `toBuffer`'s bytes; with `kind`, the model must be of that kind.
    #[napi(factory)]
    pub fn from_buffer(bytes: Buffer, kind: Option<String>) -> Result<Self> {
        decode(&bytes, kind)
    }

    /// Writes the model to `path` (atomically: a crash never leaves half a file).
    #[napi]
    pub fn save(&self, path: String) -> Result<()> {
        self.read().spec.save(&path).js()
    }

    /// Reads a model file; with `kind`, the model must be of that kind.
    #[napi(factory)]
    pub fn load(path: String, kind: Option<String>) -> Result<Self> {
        decode(&crate::fitted::read_file(&path)?, kind)
    }
}

fn factor_matrix(f: &recsys_core::Factors) -> Result<FactorMatrix> {
    Ok(FactorMatrix {
        rows: f.rows() as u32,
        dim: f.dim() as u32,
        data: Float32Array::new(f.as_slice().to_vec()),
    })
}
