//! K-Means settings; defaults follow scikit-learn's `KMeans`.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// How the first centroids are chosen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Init {
    /// Greedy k-means++ (Arthur & Vassilvitskii 2007) with `2 + ln k` candidates per step, as
    /// scikit-learn does.
    #[default]
    KMeansPlusPlus,
    /// `k` distinct samples drawn uniformly.
    Random,
}

/// scikit-learn's names: `"k-means++"` or `"random"`.
impl std::str::FromStr for Init {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "k-means++" => Ok(Init::KMeansPlusPlus),
            "random" => Ok(Init::Random),
            other => Err(Error::param("init", "'k-means++' or 'random'", other)),
        }
    }
}

/// Settings of [`KMeans`](super::KMeans).
///
/// ```
/// use recsys_core::kmeans::KMeansParams;
/// let data = [0.0f32, 0.0, 0.1, 0.0, 5.0, 5.0, 5.1, 5.0];
/// let model = KMeansParams::new(2).seed(1).fit(&data, 2).unwrap();
/// assert_eq!(model.labels()[0], model.labels()[1]);
/// assert_ne!(model.labels()[0], model.labels()[2]);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KMeansParams {
    pub(crate) n_clusters: usize,
    pub(crate) init: Init,
    pub(crate) n_init: usize,
    pub(crate) max_iter: usize,
    pub(crate) tol: f64,
    pub(crate) seed: u64,
}

impl Default for KMeansParams {
    fn default() -> Self {
        KMeansParams {
            n_clusters: 8,
            init: Init::KMeansPlusPlus,
            n_init: 1,
            max_iter: 300,
            tol: 1e-4,
            seed: 0,
        }
    }
}

impl KMeansParams {
    /// `n_clusters` clusters, otherwise scikit-learn's defaults (k-means++, one run, 300
    /// iterations, tol 1e-4).
    pub fn new(n_clusters: usize) -> Self {
        KMeansParams {
            n_clusters,
            ..Self::default()
        }
    }
    /// Number of clusters; >= 1 and <= the number of samples.
    pub fn n_clusters(mut self, v: usize) -> Self {
        self.n_clusters = v;
        self
    }
    /// Initialization method.
    pub fn init(mut self, v: Init) -> Self {
        self.init = v;
        self
    }
    /// Independent runs (seeds `seed`, `seed + 1`, ...); the lowest inertia wins. >= 1.
    pub fn n_init(mut self, v: usize) -> Self {
        self.n_init = v;
        self
    }
    /// Most Lloyd iterations per run; >= 1.
    pub fn max_iter(mut self, v: usize) -> Self {
        self.max_iter = v;
        self
    }
    /// Stop when the centroids' total squared movement is at most `tol` times the data's mean
    /// per-feature variance (scikit-learn's rule); >= 0.
    pub fn tol(mut self, v: f64) -> Self {
        self.tol = v;
        self
    }
    /// Seed of the initialization.
    pub fn seed(mut self, v: u64) -> Self {
        self.seed = v;
        self
    }

    /// Checks every setting.
    pub fn validate(&self) -> Result<()> {
        if self.n_clusters == 0 {
            return Err(Error::param("n_clusters", ">= 1", 0));
        }
        if self.n_init == 0 {
            return Err(Error::param("n_init", ">= 1", 0));
        }
        if self.max_iter == 0 {
            return Err(Error::param("max_iter", ">= 1", 0));
        }
        if !(self.tol.is_finite() && self.tol >= 0.0) {
            return Err(Error::param("tol", "a finite number >= 0", self.tol));
        }
        Ok(())
    }
}

/// Checks a row-major `n x n_features` sample matrix; returns the number of samples.
pub(crate) fn check_samples(data: &[f32], n_features: usize, n_clusters: usize) -> Result<usize> {
    if n_features == 0 {
        return Err(Error::param("n_features", ">= 1", 0));
    }
    if !data.len().is_multiple_of(n_features) {
        return Err(Error::Shape(format!(
            "{} values do not make whole rows of {n_features} features",
            data.len()
        )));
    }
    let n = data.len() / n_features;
    if let Some(at) = data.iter().position(|v| !v.is_finite()) {
        return Err(Error::InvalidInput {
            row: at / n_features + 1,
            reason: format!(
                "feature {} is {}, not a finite number",
                at % n_features,
                data[at]
            ),
        });
    }
    if n < n_clusters {
        return Err(Error::param(
            "n_clusters",
            "<= the number of samples",
            format!("{n_clusters} for {n} samples"),
        ));
    }
    Ok(n)
}
