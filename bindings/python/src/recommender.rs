//! `recsys._native.Recommender`: one handle over the core's `AnyRecommender` (ALS, popularity,
//! ...), as tokenizers wraps one serde-tagged enum of models. Every call is forwarded; calls that
//! only a factor model has (factors, similar users, partial fits) check the kind first.

use numpy::{PyArray2, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use recsys_core::als::{AlsParams, ImplicitAls, Solver};
use recsys_core::content::{Catalog, ContentParams, ContentRecommender};
use recsys_core::factory::{AnyRecommender, RecommenderConfig};
use recsys_core::hybrid::Hybrid;
use recsys_core::{Confidence, Id, ItemFilter, Persist, RecommendOptions, Recommender as _};

use crate::error::{IntoPy, bad_argument, shape, wrong_kind};
use crate::sparse::{CsrArrays, Lists, flatten, ids, int_id};
use crate::threads;

#[pyclass(module = "recsys._native", name = "Recommender")]
pub struct Recommender {
    pub(crate) model: AnyRecommender,
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

impl Recommender {
    fn as_als(&self) -> PyResult<&ImplicitAls> {
        match &self.model {
            AnyRecommender::Als(m) => Ok(m),
            other => Err(wrong_kind(other.kind(), "has no factors", "an ALS model")),
        }
    }

    fn as_als_mut(&mut self) -> PyResult<&mut ImplicitAls> {
        match &mut self.model {
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
            .confidence(Confidence::Scaled { alpha })
            .iterations(iterations)
            .solver(if use_cg {
                Solver::ConjugateGradient { steps: cg_steps }
            } else {
                Solver::Cholesky
            })
            .calculate_loss(calculate_training_loss)
            .seed(random_state)
            .num_threads(threads::num_threads(num_threads));
        params.validate().py_err()?;
        Ok(Recommender {
            model: AnyRecommender::Als(ImplicitAls::new(params)),
        })
    }

    /// TF-IDF content similarity over a catalog: `texts[i]` holds one text per field of item
    /// `ids[i]`; `tfidf` (an unfitted `Tfidf`) carries the vectorizer settings. Indexed at once.
    #[staticmethod]
    #[pyo3(signature = (tfidf, fields, field_weights, ids, texts))]
    fn content(
        py: Python<'_>,
        tfidf: PyRef<'_, crate::content::Tfidf>,
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
        let pool = threads::pool()?;
        let mut model = ContentRecommender::new(params, catalog);
        py.detach(|| pool.install(|| model.build())).py_err()?;
        Ok(Recommender {
            model: AnyRecommender::Content(model),
        })
    }

    /// Items whose text best matches `query` (content models), best first.
    fn search<'py>(&self, py: Python<'py>, query: &str, n: usize) -> PyResult<Lists<'py>> {
        let AnyRecommender::Content(model) = &self.model else {
            return Err(wrong_kind(
                self.model.kind(),
                "cannot search text",
                "a content model",
            ));
        };
        let found = py.detach(|| model.search(query, n)).py_err()?;
        flatten(py, vec![found])
    }

    /// A blend of the given models (copied, fitted or not) with their weights, in fallback order.
    #[staticmethod]
    fn hybrid(members: Vec<(PyRef<'_, Recommender>, f32)>) -> PyResult<Self> {
        let members = members.iter().map(|(m, w)| (m.model.clone(), *w)).collect();
        Ok(Recommender {
            model: AnyRecommender::Hybrid(Box::new(Hybrid::new(members).py_err()?)),
        })
    }

    /// Any recommender from the core factory's JSON settings (`{"kind": "als", ...}`); content
    /// models take their catalog as (fields, ids, texts).
    #[staticmethod]
    #[pyo3(signature = (config_json, catalog=None))]
    fn from_config(config_json: &str, catalog: Option<CatalogArgs>) -> PyResult<Self> {
        let config: RecommenderConfig = serde_json::from_str(config_json)
            .map_err(|e| bad_argument(format!("invalid recommender config: {e}")))?;
        let catalog = catalog
            .map(catalog_of)
            .transpose()?
            .map(std::sync::Arc::new);
        Ok(Recommender {
            model: config.build(catalog.as_ref()).py_err()?,
        })
    }

    /// Items ranked by how many users interacted with them.
    #[staticmethod]
    fn popular() -> Self {
        Recommender {
            model: AnyRecommender::Popular(recsys_core::popularity::Popularity::new()),
        }
    }

    #[getter]
    fn kind(&self) -> &'static str {
        self.model.kind()
    }

    /// The model's settings as JSON (the core's serde form; `{}` for models without any).
    #[getter]
    fn params_json(&self) -> PyResult<String> {
        match &self.model {
            AnyRecommender::Als(m) => serde_json::to_string(m.params()),
            AnyRecommender::Content(m) => serde_json::to_string(&serde_json::json!({
                "fields": m.catalog().map(|c| c.fields().to_vec()).unwrap_or_default(),
                "field_weights": m.params().field_weights,
                "tfidf": m.params().tfidf,
            })),
            _ => Ok("{}".into()),
        }
        .map_err(|e| bad_argument(e.to_string()))
    }

    #[getter]
    fn is_fitted(&self) -> bool {
        self.model.is_fitted()
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
        let pool = threads::pool()?;
        let mut callback_error: Option<PyErr> = None;
        let result = match &mut self.model {
            AnyRecommender::Als(model) => py.detach(|| {
                pool.install(|| {
                    model.fit_with_progress(&data, |p| {
                        if let (Some(cb), None) = (&callback, &callback_error) {
                            let loss = p.loss.unwrap_or(f64::NAN);
                            let called = Python::attach(|py| {
                                cb.call1(py, (p.iteration, p.elapsed.as_secs_f64(), loss))
                                    .map(|_| ())
                            });
                            callback_error = called.err();
                        }
                    })
                })
            }),
            model => py.detach(|| pool.install(|| model.fit(&data))),
        };
        if let Some(e) = callback_error {
            return Err(e);
        }
        result.py_err()
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
        let pool = threads::pool()?;
        let model = &self.model;
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
        let pool = threads::pool()?;
        let model = &self.model;
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
        let pool = threads::pool()?;
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
        let pool = threads::pool()?;
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
        let pool = threads::pool()?;
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
        let known = self.model.item_ids().py_err()?;
        Ok(itemids
            .as_slice()?
            .iter()
            .map(|&i| known.index(&Id::Int(i)).is_some())
            .collect())
    }

    /// Two handles are equal when they hold the same model: the same file bytes.
    fn __eq__(&self, other: PyRef<'_, Self>) -> PyResult<bool> {
        Ok(self.model.to_bytes().py_err()? == other.model.to_bytes().py_err()?)
    }

    #[getter]
    fn user_factors<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f32>>> {
        factors_array(py, self.as_als()?.user_factors().py_err()?)
    }

    #[getter]
    fn item_factors<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f32>>> {
        factors_array(py, self.as_als()?.item_factors().py_err()?)
    }

    fn to_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        Ok(PyBytes::new(py, &self.model.to_bytes().py_err()?))
    }

    #[staticmethod]
    fn from_bytes(data: &[u8]) -> PyResult<Recommender> {
        Ok(Recommender {
            model: AnyRecommender::from_bytes(data).py_err()?,
        })
    }
}
