//! `recsys._native.Recommender`: one handle over the core's `Spec` (settings until the first fit,
//! then the trained `AnyRecommender`: ALS, popularity, ...), as tokenizers wraps one serde-tagged
//! enum of models. Every call is forwarded; calls that only a factor model has (factors, similar
//! users, partial fits) check the kind first.

use numpy::{PyArray2, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use std::sync::{Arc, Mutex};

use recsys_core::als::{AlsParams, ImplicitAls, Solver};
use recsys_core::content::{Catalog, ContentParams};
use recsys_core::factory::{AnyRecommender, RecommenderConfig, Spec};
use recsys_core::{FitControl, Id, ItemFilter, RecommendOptions, Recommender as _};

use crate::error::{IntoPy, shape, wrong_kind};
use crate::interactions::{CsrArrays, Lists, flatten, ids, int_id};
use crate::task;

#[pyclass(module = "recsys._native", name = "Recommender")]
pub struct Recommender {
    spec: Spec,
}

fn factors_array<'py>(
    py: Python<'py>,
    f: &recsys_core::Factors,
) -> PyResult<Bound<'py, PyArray2<f32>>> {
    let array = numpy::ndarray::Array2::from_shape_vec((f.rows(), f.dim()), f.as_slice().to_vec())
        .map_err(shape)?;
    Ok(PyArray2::from_owned_array(py, array))
}

fn item_filter(
    filter_items: Option<PyReadonlyArray1<'_, i64>>,
    items: Option<PyReadonlyArray1<'_, i64>>,
) -> PyResult<ItemFilter> {
    let exclude = match filter_items {
        Some(a) => ids(a.as_slice()?),
        None => Vec::new(),
    };
    let only = match items {
        Some(a) => Some(ids(a.as_slice()?)),
        None => None,
    };
    Ok(ItemFilter::new().exclude(exclude).only_if(only))
}

/// A catalog as Python passes it: field names, item ids, and each item's texts per field.
type CatalogArgs = (Vec<String>, Vec<i64>, Vec<Vec<String>>);

fn catalog_of((fields, ids, texts): CatalogArgs) -> PyResult<Catalog> {
    if ids.len() != texts.len() {
        return Err(shape(format!(
            "{} ids for {} items",
            ids.len(),
            texts.len()
        )));
    }
    let mut catalog = Catalog::new(&fields);
    for (id, item) in ids.into_iter().zip(&texts) {
        catalog.push(id, item).py_err()?;
    }
    Ok(catalog)
}

/// An `f32` setting as the decimal the user wrote (`0.01`, not `0.009999999776482582`): its
/// shortest round-trip digits, read as a Python float.
fn decimal(x: f32) -> f64 {
    x.to_string().parse().unwrap_or(f64::from(x))
}

impl Recommender {
    fn of(spec: Spec) -> Self {
        Recommender { spec }
    }

    /// The trained model, or `NotFittedError`.
    pub(crate) fn model(&self) -> PyResult<&AnyRecommender> {
        match self.spec.trained() {
            Some(m) => Ok(m),
            None => Err(recsys_core::Error::NotFitted(self.spec.kind())).py_err(),
        }
    }

    fn as_als(&self) -> PyResult<&ImplicitAls> {
        if self.spec.kind() != "als" {
            return Err(wrong_kind(
                self.spec.kind(),
                "has no factors",
                "an ALS model",
            ));
        }
        match self.model()? {
            AnyRecommender::Als(m) => Ok(m),
            other => Err(wrong_kind(other.kind(), "has no factors", "an ALS model")),
        }
    }

    /// The ALS model to change in place (copied first if a hybrid made of it shares it).
    fn as_als_mut(&mut self) -> PyResult<&mut ImplicitAls> {
        self.as_als()?;
        let Spec::Trained(model) = &mut self.spec else {
            unreachable!("as_als found a trained model")
        };
        match Arc::make_mut(model) {
            AnyRecommender::Als(m) => Ok(m),
            other => Err(wrong_kind(
                other.kind(),
                "cannot be partially fitted",
                "an ALS model",
            )),
        }
    }
}

#[pymethods]
impl Recommender {
    /// Implicit-feedback ALS with implicit's confidence convention (`c = alpha * value`).
    #[staticmethod]
    #[pyo3(signature = (factors, regularization, alpha, iterations, use_cg, cg_steps, calculate_training_loss, random_state, num_threads))]
    #[allow(clippy::too_many_arguments)]
    fn als(
        factors: usize,
        regularization: f32,
        alpha: f32,
        iterations: usize,
        use_cg: bool,
        cg_steps: usize,
        calculate_training_loss: bool,
        random_state: u64,
        num_threads: usize,
    ) -> PyResult<Self> {
        let params = AlsParams::new()
            .factors(factors)
            .regularization(regularization)
            .alpha(alpha)
            .iterations(iterations)
            .solver(if use_cg {
                Solver::ConjugateGradient { steps: cg_steps }
            } else {
                Solver::Cholesky
            })
            .calculate_loss(calculate_training_loss)
            .seed(random_state)
            .num_threads(task::num_threads(num_threads));
        Ok(Self::of(
            Spec::config(RecommenderConfig::Als(params), None).py_err()?,
        ))
    }

    /// TF-IDF content similarity over a catalog: `texts[i]` holds one text per field of item
    /// `ids[i]`; `tfidf` (an unfitted `Tfidf`) carries the vectorizer settings. Indexed at once.
    #[staticmethod]
    #[pyo3(signature = (tfidf, fields, field_weights, ids, texts))]
    fn content(
        py: Python<'_>,
        tfidf: PyRef<'_, crate::tfidf::Tfidf>,
        fields: Vec<String>,
        field_weights: std::collections::BTreeMap<String, f32>,
        ids: Vec<i64>,
        texts: Vec<Vec<String>>,
    ) -> PyResult<Self> {
        let catalog = catalog_of((fields, ids, texts))?;
        let params = ContentParams {
            tfidf: tfidf.params().clone(),
            field_weights,
        };
        let pool = task::pool()?;
        let model = py
            .detach(|| pool.install(|| params.fit(catalog)))
            .py_err()?;
        Ok(Self::of(Spec::Trained(Arc::new(AnyRecommender::Content(
            model,
        )))))
    }

    /// Items whose text best matches `query` (content models), best first.
    fn search<'py>(&self, py: Python<'py>, query: &str, n: usize) -> PyResult<Lists<'py>> {
        let AnyRecommender::Content(model) = self.model()? else {
            return Err(wrong_kind(
                self.spec.kind(),
                "cannot search text",
                "a content model",
            ));
        };
        let found = py.detach(|| model.search(query, n));
        flatten(py, vec![found])
    }

    /// A blend of the given models (copied, fitted or not) with their weights, in fallback
    /// order; its `fit` trains every member.
    #[staticmethod]
    fn hybrid(members: Vec<(PyRef<'_, Recommender>, f32)>) -> PyResult<Self> {
        let members = members.iter().map(|(m, w)| (m.spec.clone(), *w)).collect();
        Ok(Self::of(Spec::hybrid(members).py_err()?))
    }

    /// Any recommender from the core factory's JSON settings (`{"kind": "als", ...}`); content
    /// models take their catalog as (fields, ids, texts).
    #[staticmethod]
    #[pyo3(signature = (config_json, catalog=None))]
    fn from_config(config_json: &str, catalog: Option<CatalogArgs>) -> PyResult<Self> {
        let config = RecommenderConfig::from_json(config_json).py_err()?;
        let catalog = catalog
            .map(catalog_of)
            .transpose()?
            .map(std::sync::Arc::new);
        Ok(Self::of(Spec::config(config, catalog).py_err()?))
    }

    /// Items ranked by how many users interacted with them.
    #[staticmethod]
    fn popular() -> Self {
        Self::of(Spec::Config {
            config: RecommenderConfig::Popular {},
            catalog: None,
        })
    }

    #[getter]
    fn kind(&self) -> &'static str {
        self.spec.kind()
    }

    /// The model's settings as the Python classes take them: ALS in implicit's names
    /// (`factors`, `regularization`, `alpha`, `use_cg`, `cg_steps`, ...), content as `fields`,
    /// `field_weights` and `tfidf` (TfidfVectorizer's keyword arguments); `{}` for models
    /// without settings.
    #[getter]
    fn params<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let out = PyDict::new(py);
        let trained = self.spec.trained().map(Arc::as_ref);
        let (als, content) = match (&self.spec, trained) {
            (_, Some(AnyRecommender::Als(m))) => (Some(m.params()), None),
            (_, Some(AnyRecommender::Content(m))) => (
                None,
                Some((m.params(), m.catalog().map(|c| c.fields().to_vec()))),
            ),
            (
                Spec::Config {
                    config: RecommenderConfig::Als(p),
                    ..
                },
                None,
            ) => (Some(p), None),
            (
                Spec::Config {
                    config: RecommenderConfig::Content(p),
                    catalog,
                },
                None,
            ) => (
                None,
                Some((p, catalog.as_ref().map(|c| c.fields().to_vec()))),
            ),
            _ => (None, None),
        };
        if let Some(p) = als {
            let cg_steps = match p.solver {
                Solver::ConjugateGradient { steps } => Some(steps),
                Solver::Cholesky => None,
            };
            out.set_item("factors", p.factors)?;
            out.set_item("regularization", decimal(p.regularization))?;
            out.set_item("alpha", decimal(p.confidence.alpha()))?;
            out.set_item("iterations", p.iterations)?;
            out.set_item("use_cg", cg_steps.is_some())?;
            out.set_item("cg_steps", cg_steps.unwrap_or(3))?;
            out.set_item("calculate_training_loss", p.calculate_loss)?;
            out.set_item("random_state", p.seed)?;
            out.set_item("num_threads", p.num_threads.unwrap_or(0))?;
        }
        if let Some((p, fields)) = content {
            out.set_item("fields", fields.unwrap_or_default())?;
            out.set_item("field_weights", p.field_weights.clone())?;
            out.set_item("tfidf", crate::tfidf::tfidf_options(py, &p.tfidf)?)?;
        }
        Ok(out)
    }

    #[getter]
    fn is_fitted(&self) -> bool {
        self.spec.trained().is_some()
    }

    /// Fits on a users x items CSR matrix. ALS calls `callback(iteration, seconds, loss)` after
    /// each iteration (loss is NaN unless it is computed).
    #[pyo3(signature = (user_items, callback=None))]
    fn fit(
        &mut self,
        py: Python<'_>,
        user_items: CsrArrays<'_>,
        callback: Option<Py<PyAny>>,
    ) -> PyResult<()> {
        let data = user_items.interactions()?;
        let pool = task::pool()?;
        // the first error the callback raises stops the fit and is raised in its place
        let callback_error: Mutex<Option<PyErr>> = Mutex::new(None);
        let stop = std::sync::atomic::AtomicBool::new(false);
        let report = |p: &recsys_core::FitProgress| {
            let Some(cb) = &callback else { return };
            let loss = p.loss.unwrap_or(f64::NAN);
            let called = Python::attach(|py| {
                cb.call1(py, (p.iteration, p.elapsed.as_secs_f64(), loss))
                    .map(|_| ())
            });
            if let Err(e) = called {
                let mut first = callback_error.lock().unwrap_or_else(|p| p.into_inner());
                first.get_or_insert(e);
                stop.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        };
        let control = FitControl::none().with_progress(&report).with_stop(&stop);
        let spec = &self.spec;
        // Ctrl-C stops the fit at its next check and raises KeyboardInterrupt
        let result = task::interruptible(py, &stop, || pool.install(|| spec.fit(&data, &control)))?;
        if let Some(e) = callback_error
            .into_inner()
            .unwrap_or_else(|p| p.into_inner())
        {
            return Err(e);
        }
        self.spec = Spec::Trained(Arc::new(result.py_err()?));
        Ok(())
    }

    /// Top-N for each user in `userids`, whose current rows are `user_items` (one row each).
    #[pyo3(signature = (userids, user_items, n, filter_already_liked_items, filter_items, recalculate_user, items))]
    #[allow(clippy::too_many_arguments)]
    fn recommend<'py>(
        &self,
        py: Python<'py>,
        userids: PyReadonlyArray1<'_, i64>,
        user_items: CsrArrays<'_>,
        n: usize,
        filter_already_liked_items: bool,
        filter_items: Option<PyReadonlyArray1<'_, i64>>,
        recalculate_user: bool,
        items: Option<PyReadonlyArray1<'_, i64>>,
    ) -> PyResult<Lists<'py>> {
        let users = userids.as_slice()?;
        let history = user_items.interactions_of(users)?;
        let options = RecommendOptions::new()
            .filter_seen(filter_already_liked_items)
            .recalculate_user(recalculate_user)
            .items(item_filter(filter_items, items)?);
        let users = ids(users);
        let pool = task::pool()?;
        let model = self.model()?;
        let lists = py
            .detach(|| pool.install(|| model.recommend_batch(&users, &history, n, &options)))
            .py_err()?;
        flatten(py, lists)
    }

    #[pyo3(signature = (itemids, n, filter_items, items))]
    fn similar_items<'py>(
        &self,
        py: Python<'py>,
        itemids: PyReadonlyArray1<'_, i64>,
        n: usize,
        filter_items: Option<PyReadonlyArray1<'_, i64>>,
        items: Option<PyReadonlyArray1<'_, i64>>,
    ) -> PyResult<Lists<'py>> {
        let filter = item_filter(filter_items, items)?;
        let itemids = ids(itemids.as_slice()?);
        let pool = task::pool()?;
        let model = self.model()?;
        let lists = py
            .detach(|| {
                pool.install(|| {
                    itemids
                        .iter()
                        .map(|i| model.similar_items(i, n, &filter))
                        .collect::<recsys_core::Result<Vec<_>>>()
                })
            })
            .py_err()?;
        flatten(py, lists)
    }

    /// `filter_users` / `users` name users to leave out / to choose from.
    #[pyo3(signature = (userids, n, filter_users, users))]
    fn similar_users<'py>(
        &self,
        py: Python<'py>,
        userids: PyReadonlyArray1<'_, i64>,
        n: usize,
        filter_users: Option<PyReadonlyArray1<'_, i64>>,
        users: Option<PyReadonlyArray1<'_, i64>>,
    ) -> PyResult<Lists<'py>> {
        let filter = item_filter(filter_users, users)?;
        let model = self.as_als()?;
        let userids = ids(userids.as_slice()?);
        let pool = task::pool()?;
        let lists = py
            .detach(|| {
                pool.install(|| {
                    userids
                        .iter()
                        .map(|u| model.similar_users(u, n, &filter))
                        .collect::<recsys_core::Result<Vec<_>>>()
                })
            })
            .py_err()?;
        flatten(py, lists)
    }

    fn partial_fit_users(
        &mut self,
        py: Python<'_>,
        userids: PyReadonlyArray1<'_, i64>,
        user_items: CsrArrays<'_>,
    ) -> PyResult<()> {
        let users = userids.as_slice()?;
        let data = user_items.interactions_of(users)?;
        let users = ids(users);
        let pool = task::pool()?;
        let model = self.as_als_mut()?;
        py.detach(|| pool.install(|| model.partial_fit_users(&data, &users)))
            .py_err()
    }

    /// `item_users` holds one row per item of `itemids`; its columns are users.
    fn partial_fit_items(
        &mut self,
        py: Python<'_>,
        itemids: PyReadonlyArray1<'_, i64>,
        item_users: CsrArrays<'_>,
    ) -> PyResult<()> {
        let items = itemids.as_slice()?;
        // rows are the items: read as users x items
        let data = item_users.interactions_of(items)?.transposed();
        let items = ids(items);
        let pool = task::pool()?;
        let model = self.as_als_mut()?;
        py.detach(|| pool.install(|| model.partial_fit_items(&data, &items)))
            .py_err()
    }

    /// `ImplicitAls::explain` for the user whose history is `items` / `values` (one row):
    /// `(score, contributing item ids, their shares)`, best first.
    fn explain(
        &self,
        items: PyReadonlyArray1<'_, i64>,
        values: PyReadonlyArray1<'_, f32>,
        itemid: i64,
        n: usize,
    ) -> PyResult<(f32, Vec<i64>, Vec<f32>)> {
        let history: Vec<(Id, f32)> = ids(items.as_slice()?)
            .into_iter()
            .zip(values.as_slice()?.iter().copied())
            .collect();
        let explained = self
            .as_als()?
            .explain(&history, &Id::Int(itemid), n)
            .py_err()?;
        let ids = explained
            .contributions
            .iter()
            .map(|s| int_id(&s.id))
            .collect::<PyResult<Vec<_>>>()?;
        let shares = explained.contributions.iter().map(|s| s.score).collect();
        Ok((explained.score, ids, shares))
    }

    /// Which of `itemids` the fitted model knows.
    fn known_items(&self, itemids: PyReadonlyArray1<'_, i64>) -> PyResult<Vec<bool>> {
        let known = self.model()?.item_ids();
        Ok(itemids
            .as_slice()?
            .iter()
            .map(|&i| known.index(&Id::Int(i)).is_some())
            .collect())
    }

    /// Two handles are equal when they hold the same model, or the same settings before a fit:
    /// the same file bytes.
    fn __eq__(&self, other: PyRef<'_, Self>) -> PyResult<bool> {
        Ok(self.spec.to_bytes().py_err()? == other.spec.to_bytes().py_err()?)
    }

    #[getter]
    fn user_factors<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f32>>> {
        factors_array(py, self.as_als()?.user_factors())
    }

    #[getter]
    fn item_factors<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f32>>> {
        factors_array(py, self.as_als()?.item_factors())
    }

    fn to_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        Ok(PyBytes::new(py, &self.spec.to_bytes().py_err()?))
    }

    #[staticmethod]
    fn from_bytes(data: &[u8]) -> PyResult<Recommender> {
        Ok(Self::of(Spec::from_bytes(data).py_err()?))
    }
}
