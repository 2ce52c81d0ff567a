//! `recsys._native.Gbdt`: the core's gradient-boosted trees (LambdaMART, binary, regression).

use numpy::{PyArray1, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use recsys_core::Persist;
use recsys_core::gbdt::{Dataset, Gbdt as CoreGbdt, GbdtParams, Importance, Objective};

use crate::error::{IntoPy, bad_argument, shape};
use crate::fitted::Fitted;
use crate::task;

#[pyclass(module = "recsys._native", name = "Gbdt")]
pub struct Gbdt {
    params: GbdtParams,
    model: Fitted<CoreGbdt>,
    /// (round, metric, value) of the validation set, round by round.
    evals: Vec<(usize, String, f64)>,
}

/// One labelled table: features (C-contiguous float32, borrowed from the array: training
/// reads X in place), labels, optional weights and groups.
fn dataset<'a>(
    x: &'a PyReadonlyArray2<'_, f32>,
    y: &PyReadonlyArray1<'_, f32>,
    weight: Option<&PyReadonlyArray1<'_, f32>>,
    group: Option<Vec<u32>>,
) -> PyResult<Dataset<'a>> {
    let n_features = x.shape()[1];
    let features = x
        .as_slice()
        .map_err(|_| bad_argument("X must be C-contiguous"))?;
    let mut ds = Dataset::borrowed(features, n_features, y.as_slice()?.to_vec()).py_err()?;
    if let Some(w) = weight {
        ds = ds.with_weights(w.as_slice()?.to_vec()).py_err()?;
    }
    if let Some(g) = group {
        ds = ds.with_groups(g).py_err()?;
    }
    Ok(ds)
}

impl Gbdt {
    fn fitted(&self) -> PyResult<&CoreGbdt> {
        self.model.get()
    }

    fn check_width<'a>(
        &'a self,
        x: &'a PyReadonlyArray2<'_, f32>,
    ) -> PyResult<(&'a CoreGbdt, &'a [f32], usize)> {
        let model = self.fitted()?;
        let n_features = x.shape()[1];
        if n_features != model.n_features() {
            return Err(shape(format!(
                "X has {n_features} features, but the model was trained with {}",
                model.n_features()
            )));
        }
        let data = x
            .as_slice()
            .map_err(|_| bad_argument("X must be C-contiguous"))?;
        Ok((model, data, n_features))
    }

    /// The handle of a fitted model.
    fn of(model: CoreGbdt) -> Gbdt {
        Gbdt {
            params: model.params().clone(),
            model: Fitted::of("GBDT", model),
            evals: Vec::new(),
        }
    }
}

#[pymethods]
impl Gbdt {
    /// LightGBM's scikit-learn names; `max_depth <= 0` means no limit, as in LightGBM.
    #[new]
    #[pyo3(signature = (objective, n_estimators, learning_rate, num_leaves, max_depth, min_child_samples, min_child_weight, min_split_gain, reg_lambda, subsample, subsample_freq, colsample_bytree, max_bin, seed, eval_at, early_stopping_rounds, label_gain, lambdarank_truncation_level, categorical_features=Vec::new(), max_cat_to_onehot=4, max_cat_threshold=32, cat_smooth=10.0, cat_l2=10.0, min_data_per_group=100))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        objective: &str,
        n_estimators: usize,
        learning_rate: f64,
        num_leaves: usize,
        max_depth: i64,
        min_child_samples: usize,
        min_child_weight: f64,
        min_split_gain: f64,
        reg_lambda: f64,
        subsample: f64,
        subsample_freq: usize,
        colsample_bytree: f64,
        max_bin: usize,
        seed: u64,
        eval_at: Vec<usize>,
        early_stopping_rounds: Option<usize>,
        label_gain: Option<Vec<f64>>,
        lambdarank_truncation_level: usize,
        categorical_features: Vec<usize>,
        max_cat_to_onehot: usize,
        max_cat_threshold: usize,
        cat_smooth: f64,
        cat_l2: f64,
        min_data_per_group: usize,
    ) -> PyResult<Self> {
        let objective = objective
            .parse::<Objective>()
            .py_err()?
            .with_ranking(Some(lambdarank_truncation_level), label_gain);
        let params = GbdtParams::new(objective)
            .num_iterations(n_estimators)
            .learning_rate(learning_rate)
            .num_leaves(num_leaves)
            .max_depth(usize::try_from(max_depth).ok().filter(|&d| d > 0))
            .min_data_in_leaf(min_child_samples)
            .min_sum_hessian_in_leaf(min_child_weight)
            .min_gain_to_split(min_split_gain)
            .lambda_l2(reg_lambda)
            .bagging_fraction(subsample)
            .bagging_freq(subsample_freq)
            .feature_fraction(colsample_bytree)
            .max_bin(max_bin)
            .seed(seed)
            .eval_at(eval_at)
            .early_stopping_rounds(early_stopping_rounds)
            .categorical_features(categorical_features)
            .max_cat_to_onehot(max_cat_to_onehot)
            .max_cat_threshold(max_cat_threshold)
            .cat_smooth(cat_smooth)
            .cat_l2(cat_l2)
            .min_data_per_group(min_data_per_group);
        params.validate().py_err()?;
        Ok(Gbdt {
            params,
            model: Fitted::empty("GBDT"),
            evals: Vec::new(),
        })
    }

    #[pyo3(signature = (x, y, sample_weight, group, valid))]
    #[allow(clippy::type_complexity)]
    fn fit(
        &mut self,
        py: Python<'_>,
        x: PyReadonlyArray2<'_, f32>,
        y: PyReadonlyArray1<'_, f32>,
        sample_weight: Option<PyReadonlyArray1<'_, f32>>,
        group: Option<Vec<u32>>,
        valid: Option<(
            PyReadonlyArray2<'_, f32>,
            PyReadonlyArray1<'_, f32>,
            Option<Vec<u32>>,
        )>,
    ) -> PyResult<()> {
        let train = dataset(&x, &y, sample_weight.as_ref(), group)?;
        let valid = match &valid {
            Some((vx, vy, vg)) => Some(dataset(vx, vy, None, vg.clone())?),
            None => None,
        };
        let (params, pool) = (&self.params, task::pool()?);
        let mut evals = Vec::new();
        // Ctrl-C stops the fit before its next round and raises KeyboardInterrupt
        let stop = std::sync::atomic::AtomicBool::new(false);
        let control = recsys_core::FitControl::none().with_stop(&stop);
        let model = task::interruptible(py, &stop, || {
            pool.install(|| {
                params.fit_controlled(&train, valid.as_ref(), &control, |round| {
                    evals.extend(
                        round
                            .iter()
                            .map(|e| (e.iteration, e.metric.clone(), e.value)),
                    );
                })
            })
        })?
        .py_err()?;
        self.model.set(model);
        self.evals = evals;
        Ok(())
    }

    /// Raw scores (regression values, log-odds, ranking scores).
    fn predict<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray2<'_, f32>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let (model, data, n_features) = self.check_width(&x)?;
        let pool = task::pool()?;
        let scores = py
            .detach(|| pool.install(|| model.predict_rows(data, n_features)))
            .py_err()?;
        Ok(PyArray1::from_vec(py, scores))
    }

    /// The model's validation metrics (`ndcg@k` for its `eval_at`, `auc`, `rmse`, ...) on one
    /// labelled table, as `(metric, value)` pairs.
    #[pyo3(signature = (x, y, group))]
    fn evaluate(
        &self,
        py: Python<'_>,
        x: PyReadonlyArray2<'_, f32>,
        y: PyReadonlyArray1<'_, f32>,
        group: Option<Vec<u32>>,
    ) -> PyResult<Vec<(String, f64)>> {
        let (model, _, _) = self.check_width(&x)?;
        let ds = dataset(&x, &y, None, group)?;
        let pool = task::pool()?;
        let evals = py
            .detach(|| pool.install(|| model.evaluate(&ds)))
            .py_err()?;
        Ok(evals.into_iter().map(|e| (e.metric, e.value)).collect())
    }

    /// Probability of the positive class (binary objective).
    fn predict_proba<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray2<'_, f32>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let (model, data, n_features) = self.check_width(&x)?;
        let pool = task::pool()?;
        let p = py
            .detach(|| pool.install(|| model.predict_proba_rows(data, n_features)))
            .py_err()?;
        Ok(PyArray1::from_vec(py, p))
    }

    /// Importance per feature: "split" (how often used) or "gain" (total gain).
    fn feature_importance<'py>(
        &self,
        py: Python<'py>,
        kind: &str,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let kind: Importance = kind.parse().py_err()?;
        Ok(PyArray1::from_vec(
            py,
            self.fitted()?.feature_importance(kind),
        ))
    }

    #[getter]
    fn best_iteration(&self) -> PyResult<Option<usize>> {
        Ok(self.fitted()?.best_iteration())
    }

    #[getter]
    fn n_trees(&self) -> PyResult<usize> {
        Ok(self.fitted()?.n_trees())
    }

    #[getter]
    fn n_features(&self) -> PyResult<usize> {
        Ok(self.fitted()?.n_features())
    }

    #[getter]
    fn evals(&self) -> Vec<(usize, String, f64)> {
        self.evals.clone()
    }

    #[getter]
    fn is_fitted(&self) -> bool {
        self.model.is_fitted()
    }

    fn to_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        self.model.to_bytes(py)
    }

    #[staticmethod]
    fn from_bytes(data: &[u8]) -> PyResult<Gbdt> {
        Ok(Gbdt::of(CoreGbdt::from_bytes(data).py_err()?))
    }

    /// A model LightGBM trained, from its text format.
    #[staticmethod]
    fn from_lightgbm_text(text: &str) -> PyResult<Gbdt> {
        Ok(Gbdt::of(CoreGbdt::from_lightgbm_text(text).py_err()?))
    }

    /// The model in LightGBM's text format.
    fn to_lightgbm_text(&self) -> PyResult<String> {
        Ok(self.fitted()?.to_lightgbm_text())
    }

    /// `regression`, `binary` or `lambdarank`.
    #[getter]
    fn objective(&self) -> &'static str {
        self.params.objective_kind().name()
    }
}
