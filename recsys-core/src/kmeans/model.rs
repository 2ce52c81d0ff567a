//! The fitted K-Means model.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::init;
use super::lloyd::{self, Samples, Weights};
use super::params::{Init, KMeansParams, check_samples};
use crate::error::{Error, Result};
use crate::persist::Persist;
use crate::recommender::{FitControl, FitProgress};
use crate::rng::SplitMix64;

/// Centroids and the assignment of the training samples.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KMeans {
    params: KMeansParams,
    n_features: usize,
    centroids: Vec<f32>,
    labels: Vec<u32>,
    inertia: f64,
    n_iter: usize,
}

/// scikit-learn's tolerance: `tol` times the mean per-feature variance of the data.
fn absolute_tolerance(x: Samples<'_>, tol: f64) -> f64 {
    if tol == 0.0 {
        return 0.0;
    }
    let (n, d) = (x.n() as f64, x.d);
    let mut mean = vec![0f64; d];
    for row in x.data.chunks_exact(d) {
        mean.iter_mut()
            .zip(row)
            .for_each(|(m, &v)| *m += f64::from(v));
    }
    mean.iter_mut().for_each(|m| *m /= n);
    let mut var = vec![0f64; d];
    for row in x.data.chunks_exact(d) {
        var.iter_mut()
            .zip(row)
            .zip(&mean)
            .for_each(|((s, &v), m)| *s += (f64::from(v) - m).powi(2));
    }
    var.iter().map(|v| v / n).sum::<f64>() / d as f64 * tol
}

/// Sample weights: one per sample, finite, >= 0, at least `k` of them positive.
fn check_weights(w: &[f32], n: usize, k: usize) -> Result<()> {
    if w.len() != n {
        return Err(Error::Shape(format!(
            "sample_weight has {} entries for {n} samples",
            w.len()
        )));
    }
    if let Some(at) = w.iter().position(|v| !(v.is_finite() && *v >= 0.0)) {
        return Err(Error::InvalidInput {
            row: at + 1,
            reason: format!("sample weight {} is not a finite number >= 0", w[at]),
        });
    }
    let positive = w.iter().filter(|&&v| v > 0.0).count();
    if positive < k {
        return Err(Error::param(
            "n_clusters",
            "<= the number of samples of positive weight",
            format!("{k} for {positive} such samples"),
        ));
    }
    Ok(())
}

impl KMeansParams {
    /// Clusters the row-major `data` (`n_features` values per sample).
    pub fn fit(&self, data: &[f32], n_features: usize) -> Result<KMeans> {
        self.fit_weighted(data, n_features, None)
    }

    /// Clusters the row-major `data` with a weight per sample (scikit-learn's
    /// `sample_weight`): centroids are weighted means, the inertia a weighted sum, and
    /// k-means++ draws in proportion to weight times squared distance. A weight of 2 is the
    /// same as the sample twice; a weight of 0 as leaving it out of the centroids (it still gets
    /// a label). Weights are finite and >= 0, and at least `n_clusters` are positive.
    pub fn fit_weighted(
        &self,
        data: &[f32],
        n_features: usize,
        weights: Option<&[f32]>,
    ) -> Result<KMeans> {
        self.fit_controlled(data, n_features, weights, &FitControl::none())
    }

    /// [`fit_weighted`](Self::fit_weighted) watched and stoppable through `control`: checked
    /// before each Lloyd iteration (a stop is [`Error::Cancelled`]), and told after each of the
    /// `n_init` runs (`loss` is the run's inertia).
    pub fn fit_controlled(
        &self,
        data: &[f32],
        n_features: usize,
        weights: Option<&[f32]>,
        control: &FitControl<'_>,
    ) -> Result<KMeans> {
        self.validate()?;
        let n = check_samples(data, n_features, self.n_clusters)?;
        if let Some(w) = weights {
            check_weights(w, n, self.n_clusters)?;
        }
        let w = Weights(weights);
        let x = Samples {
            data,
            d: n_features,
        };
        let tol = absolute_tolerance(x, self.tol);
        let mut best: Option<lloyd::Run> = None;
        for run in 0..self.n_init {
            control.check()?;
            let started = std::time::Instant::now();
            let mut rng = SplitMix64::new(self.seed.wrapping_add(run as u64));
            let start = match self.init {
                Init::KMeansPlusPlus => init::kmeans_plus_plus(x, w, self.n_clusters, &mut rng),
                Init::Random => init::random(x, w, self.n_clusters, &mut rng),
            };
            let result = lloyd::run(x, w, start, self.max_iter, tol, control)?;
            control.report(&FitProgress {
                model: "kmeans",
                iteration: run,
                iterations: self.n_init,
                elapsed: started.elapsed(),
                loss: Some(result.inertia),
            });
            if best.as_ref().is_none_or(|b| result.inertia < b.inertia) {
                best = Some(result);
            }
        }
        let best = best.expect("n_init >= 1");
        Ok(KMeans {
            params: self.clone(),
            n_features,
            centroids: best.centers,
            labels: best.labels,
            inertia: best.inertia,
            n_iter: best.n_iter,
        })
    }
}

impl KMeans {
    /// Assembles a model from parts (mini-batch training ends here).
    pub(crate) fn from_parts(
        params: KMeansParams,
        n_features: usize,
        centroids: Vec<f32>,
        labels: Vec<u32>,
        inertia: f64,
        n_iter: usize,
    ) -> Self {
        KMeans {
            params,
            n_features,
            centroids,
            labels,
            inertia,
            n_iter,
        }
    }

    /// Row-major `n_clusters x n_features` centroids.
    pub fn centroids(&self) -> &[f32] {
        &self.centroids
    }
    /// Cluster of every training sample.
    pub fn labels(&self) -> &[u32] {
        &self.labels
    }
    /// Sum of squared distances of the training samples to their centroids.
    pub fn inertia(&self) -> f64 {
        self.inertia
    }
    /// Lloyd iterations of the winning run.
    pub fn n_iter(&self) -> usize {
        self.n_iter
    }
    /// Number of clusters.
    pub fn n_clusters(&self) -> usize {
        self.centroids.len() / self.n_features
    }
    /// Features per sample.
    pub fn n_features(&self) -> usize {
        self.n_features
    }
    /// The settings it was fitted with.
    pub fn params(&self) -> &KMeansParams {
        &self.params
    }

    /// The nearest centroid of every row of `data`.
    pub fn predict(&self, data: &[f32]) -> Result<Vec<u32>> {
        self.check_features(data)?;
        Ok(lloyd::nearest(
            Samples {
                data,
                d: self.n_features,
            },
            &self.centroids,
        )
        .0)
    }

    /// Squared distance of every row of `data` to its nearest centroid.
    pub fn score_samples(&self, data: &[f32]) -> Result<Vec<f64>> {
        self.check_features(data)?;
        Ok(lloyd::nearest(
            Samples {
                data,
                d: self.n_features,
            },
            &self.centroids,
        )
        .1)
    }

    /// Euclidean distance of every row of `data` to every centroid, row-major
    /// `rows x n_clusters` (scikit-learn's `KMeans.transform`).
    pub fn transform(&self, data: &[f32]) -> Result<Vec<f32>> {
        self.check_features(data)?;
        let d = self.n_features;
        let k = self.n_clusters();
        let mut out = vec![0f32; data.len() / d * k];
        out.par_chunks_mut(k)
            .zip(data.par_chunks_exact(d))
            .for_each(|(o, row)| {
                for (v, c) in o.iter_mut().zip(self.centroids.chunks_exact(d)) {
                    *v = lloyd::squared_distance_dispatch(row, c).sqrt();
                }
            });
        Ok(out)
    }

    fn check_features(&self, data: &[f32]) -> Result<()> {
        check_samples(data, self.n_features, 0).map(|_| ())
    }
}

impl Persist for KMeans {
    const KIND: &'static str = "kmeans";
    const VERSION: u32 = 1;

    fn check_loaded(&self) -> Result<()> {
        self.params.validate()?;
        let k = self.params.n_clusters;
        let ok = self.n_features > 0
            && self.centroids.len() == k * self.n_features
            && self.labels.par_iter().all(|&l| (l as usize) < k)
            && self.centroids.iter().all(|v| v.is_finite());
        if !ok {
            return Err(Error::CorruptModel(
                "k-means centroids disagree with their shape".into(),
            ));
        }
        Ok(())
    }
}
