//! `Gbdt`: the core's gradient-boosted trees (regression, binary, LambdaMART), read and written
//! in LightGBM's text format. The TypeScript layer names it `GbdtRegressor` / `GbdtClassifier` /
//! `GbdtRanker` by objective.

use napi::bindgen_prelude::{AsyncTask, Buffer, Float32Array, Float64Array};
use napi_derive::napi;
use std::sync::Arc;

use recsys_core::gbdt::{Dataset, Gbdt as CoreGbdt, GbdtParams, Importance};
use recsys_core::{FitControl, Persist};

use crate::error::{IntoJs, Result};
use crate::fitted::{Fitted, decode, read_file};
use crate::options::{GbdtOptions, counts};
use crate::task::{Job, StopFlag, spawn};

/// A labelled table: `labels.length` rows of `nFeatures` row-major values (NaN is missing),
/// optional row weights, and for ranking the query groups' sizes in row order.
#[napi(object)]
pub struct TrainingData {
    pub features: Float32Array,
    pub n_features: u32,
    pub labels: Float32Array,
    pub weights: Option<Float32Array>,
    /// Whole numbers >= 0 (checked here: a `Uint32Array` built from -1 would hold 4294967295).
    pub groups: Option<Vec<f64>>,
}

/// [`TrainingData`] copied out of JavaScript's buffers, for the training thread.
struct Owned {
    features: Vec<f32>,
    n_features: usize,
    labels: Vec<f32>,
    weights: Option<Vec<f32>>,
    groups: Option<Vec<f64>>,
}

impl From<TrainingData> for Owned {
    fn from(d: TrainingData) -> Self {
        Owned {
            features: d.features.to_vec(),
            n_features: d.n_features as usize,
            labels: d.labels.to_vec(),
            weights: d.weights.map(|w| w.to_vec()),
            groups: d.groups,
        }
    }
}

impl Owned {
    fn dataset(self) -> Result<Dataset<'static>> {
        let mut ds = Dataset::new(self.features, self.n_features, self.labels).js()?;
        if let Some(w) = self.weights {
            ds = ds.with_weights(w).js()?;
        }
        if let Some(g) = self.groups {
            let sizes = counts("groups", &g)?
                .into_iter()
                .map(|s| s as u32)
                .collect();
            ds = ds.with_groups(sizes).js()?;
        }
        Ok(ds)
    }
}

/// One validation metric after one boosting round.
#[napi(object)]
pub struct Evaluation {
    /// 0-based round.
    pub iteration: u32,
    /// `rmse`, `binary_logloss`, `auc`, `ndcg@10`, ...
    pub metric: String,
    pub value: f64,
}

#[napi]
pub struct Gbdt {
    params: GbdtParams,
    model: Fitted<CoreGbdt>,
}

#[napi]
impl Gbdt {
    #[napi(constructor)]
    pub fn new(options: Option<GbdtOptions>) -> Result<Self> {
        Ok(Gbdt {
            params: options.unwrap_or_default().params()?,
            model: Fitted::empty("GBDT"),
        })
    }

    /// Trains off the event loop; with `valid`, resolves with its metrics round by round (and
    /// `earlyStoppingRounds` keeps the best round). `stop` ends the fit before its next round
    /// (`ABORTED`), the model unchanged.
    #[napi(ts_return_type = "Promise<Evaluation[]>")]
    pub fn fit(
        &self,
        train: TrainingData,
        valid: Option<TrainingData>,
        stop: Option<&StopFlag>,
    ) -> AsyncTask<Job<Vec<recsys_core::gbdt::Evaluation>, Vec<Evaluation>>> {
        let params = self.params.clone();
        let train = Owned::from(train);
        let valid = valid.map(Owned::from);
        let store = self.model.setter();
        let stop = stop.map_or_else(Default::default, |s| Arc::clone(&s.flag));
        spawn(
            move || {
                let train = train.dataset()?;
                let valid = valid.map(Owned::dataset).transpose()?;
                let mut history = Vec::new();
                let control = FitControl::none().with_stop(&stop);
                let model = params
                    .fit_controlled(&train, valid.as_ref(), &control, |evals| {
                        history.extend_from_slice(evals)
                    })
                    .js()?;
                store(model);
                Ok(history)
            },
            |history| {
                Ok(history
                    .into_iter()
                    .map(|e| Evaluation {
                        iteration: e.iteration as u32,
                        metric: e.metric,
                        value: e.value,
                    })
                    .collect())
            },
        )
    }

    /// Raw scores of the row-major `features` (`nFeatures` per row, the training width).
    #[napi]
    pub fn predict(&self, features: Float32Array, n_features: u32) -> Result<Float64Array> {
        let scores = self
            .model
            .get()?
            .predict_rows(&features, n_features as usize);
        Ok(Float64Array::new(scores.js()?))
    }

    /// Probabilities of the positive class (binary models).
    #[napi]
    pub fn predict_proba(&self, features: Float32Array, n_features: u32) -> Result<Float64Array> {
        let p = self
            .model
            .get()?
            .predict_proba_rows(&features, n_features as usize);
        Ok(Float64Array::new(p.js()?))
    }

    /// Per feature: the number of splits (`"split"`, default) or their total gain (`"gain"`).
    #[napi]
    pub fn feature_importance(&self, kind: Option<String>) -> Result<Float64Array> {
        let kind: Importance = kind.as_deref().unwrap_or("split").parse().js()?;
        Ok(Float64Array::new(
            self.model.get()?.feature_importance(kind),
        ))
    }

    #[napi(getter)]
    pub fn is_fitted(&self) -> bool {
        self.model.is_fitted()
    }

    #[napi(getter)]
    pub fn objective(&self) -> &'static str {
        self.params.objective_kind().name()
    }

    #[napi(getter)]
    pub fn n_trees(&self) -> Result<u32> {
        Ok(self.model.get()?.n_trees() as u32)
    }

    #[napi(getter)]
    pub fn n_features(&self) -> Result<u32> {
        Ok(self.model.get()?.n_features() as u32)
    }

    /// The round early stopping kept (0-based), when it stopped early.
    #[napi(getter)]
    pub fn best_iteration(&self) -> Result<Option<u32>> {
        Ok(self.model.get()?.best_iteration().map(|i| i as u32))
    }

    /// A model in LightGBM's text format (`booster.save_model` / `model_to_string`); with
    /// `objective`, it must have that objective.
    #[napi(factory, js_name = "fromLightGBM")]
    pub fn from_lightgbm(text: String, objective: Option<String>) -> Result<Self> {
        Self::checked(CoreGbdt::from_lightgbm_text(&text).js()?, objective)
    }

    /// The model in LightGBM's text format, which LightGBM loads.
    #[napi(js_name = "toLightGBM")]
    pub fn to_lightgbm(&self) -> Result<String> {
        Ok(self.model.get()?.to_lightgbm_text())
    }

    #[napi]
    pub fn to_buffer(&self) -> Result<Buffer> {
        Ok(self.model.get()?.to_bytes().js()?.into())
    }

    /// Reads `toBuffer`'s bytes; with `objective`, the model must have that objective.
    #[napi(factory)]
    pub fn from_buffer(bytes: Buffer, objective: Option<String>) -> Result<Self> {
        Self::checked(decode(&bytes)?, objective)
    }

    #[napi]
    pub fn save(&self, path: String) -> Result<()> {
        self.model.get()?.save(&path).js()
    }

    /// Reads a model file; with `objective`, the model must have that objective.
    #[napi(factory)]
    pub fn load(path: String, objective: Option<String>) -> Result<Self> {
        Self::checked(decode(&read_file(&path)?)?, objective)
    }
}

impl Gbdt {
    fn checked(model: CoreGbdt, objective: Option<String>) -> Result<Self> {
        let model = match objective {
            Some(name) => model.expect_objective(&name.parse().js()?).js()?,
            None => model,
        };
        Ok(Gbdt {
            params: model.params().clone(),
            model: Fitted::of("GBDT", model),
        })
    }
}
