//! `KMeans`: scikit-learn's K-Means (greedy k-means++, Hamerly-accelerated Lloyd).

use napi::bindgen_prelude::{AsyncTask, Float32Array, Float64Array, Uint32Array};
use napi_derive::napi;
use std::sync::Arc;

use recsys_core::FitControl;
use recsys_core::kmeans::{KMeans as CoreKMeans, KMeansParams};

use crate::error::{IntoJs, Result};
use crate::fitted::{Fitted, model_file_methods};
use crate::options::KMeansOptions;
use crate::task::{Job, StopFlag, spawn};

#[napi]
pub struct KMeans {
    params: KMeansParams,
    model: Fitted<CoreKMeans>,
}

#[napi]
impl KMeans {
    #[napi(constructor)]
    pub fn new(options: Option<KMeansOptions>) -> Result<Self> {
        Ok(KMeans {
            params: options.unwrap_or_default().params()?,
            model: Fitted::empty("KMeans"),
        })
    }

    /// Clusters the row-major `data` (`nFeatures` values per sample), each sample weighing
    /// its `sampleWeight` (1 without), off the event loop. `stop` ends the fit before its next
    /// iteration (`ABORTED`), the model unchanged.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn fit(
        &self,
        data: Float32Array,
        n_features: u32,
        sample_weight: Option<Float32Array>,
        stop: Option<&StopFlag>,
    ) -> AsyncTask<Job<(), ()>> {
        let params = self.params.clone();
        let data = data.to_vec();
        let weights = sample_weight.map(|w| w.to_vec());
        let store = self.model.setter();
        let stop = stop.map_or_else(Default::default, |s| Arc::clone(&s.flag));
        spawn(
            move || {
                let control = FitControl::none().with_stop(&stop);
                store(
                    params
                        .fit_controlled(&data, n_features as usize, weights.as_deref(), &control)
                        .js()?,
                );
                Ok(())
            },
            Ok,
        )
    }

    /// The distance of each row of `data` to every centroid, row-major `rows x nClusters`.
    #[napi]
    pub fn transform(&self, data: Float32Array, n_features: u32) -> Result<Float32Array> {
        let model = self.fitted_width(n_features)?;
        Ok(Float32Array::new(model.transform(&data).js()?))
    }

    /// The nearest centroid of each row of the row-major `data` (`nFeatures` per row: the
    /// training width).
    #[napi]
    pub fn predict(&self, data: Float32Array, n_features: u32) -> Result<Uint32Array> {
        let model = self.fitted_width(n_features)?;
        Ok(Uint32Array::new(model.predict(&data).js()?))
    }

    /// The squared distance of each row of `data` to its nearest centroid.
    #[napi]
    pub fn score_samples(&self, data: Float32Array, n_features: u32) -> Result<Float64Array> {
        let model = self.fitted_width(n_features)?;
        Ok(Float64Array::new(model.score_samples(&data).js()?))
    }

    #[napi(getter)]
    pub fn is_fitted(&self) -> bool {
        self.model.is_fitted()
    }

    /// `nClusters x nFeatures`, row-major.
    #[napi(getter)]
    pub fn centroids(&self) -> Result<Float32Array> {
        Ok(Float32Array::new(self.model.get()?.centroids().to_vec()))
    }

    /// The cluster of each training sample.
    #[napi(getter)]
    pub fn labels(&self) -> Result<Uint32Array> {
        Ok(Uint32Array::new(self.model.get()?.labels().to_vec()))
    }

    /// Sum of squared distances of the training samples to their centroids.
    #[napi(getter)]
    pub fn inertia(&self) -> Result<f64> {
        Ok(self.model.get()?.inertia())
    }

    #[napi(getter)]
    pub fn n_iter(&self) -> Result<u32> {
        Ok(self.model.get()?.n_iter() as u32)
    }

    #[napi(getter)]
    pub fn n_features(&self) -> Result<u32> {
        Ok(self.model.get()?.n_features() as u32)
    }
}

model_file_methods!(KMeans);

impl KMeans {
    /// The fitted model, if rows of `n_features` values are what it was fitted on (the core
    /// takes the width from the model: 4 values would pass as two rows of 2).
    fn fitted_width(&self, n_features: u32) -> Result<std::sync::Arc<CoreKMeans>> {
        let model = self.model.get()?;
        if n_features as usize != model.n_features() {
            return Err(crate::error::invalid(format!(
                "X has {n_features} features per row, the model was fitted on {}",
                model.n_features()
            )));
        }
        Ok(model)
    }

    fn of(model: CoreKMeans) -> Self {
        KMeans {
            params: model.params().clone(),
            model: Fitted::of("KMeans", model),
        }
    }
}
