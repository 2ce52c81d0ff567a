//! Mini-batch K-Means (Sculley 2010) for data too large for full Lloyd passes: each step assigns a
//! random batch and moves each centroid toward its batch points with a per-centroid learning
//! rate of 1 / (points it has seen).

use serde::{Deserialize, Serialize};

use super::init;
use super::lloyd::{self, Samples, Weights, ordered_sum};
use super::model::KMeans;
use super::params::{Init, KMeansParams, check_samples};
use crate::error::{Error, Result};
use crate::rng::SplitMix64;

/// Settings of mini-batch K-Means. `kmeans.max_iter` counts passes over the data (epochs);
/// `kmeans.n_init` and `kmeans.tol` are not used.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MiniBatchParams {
    /// Clusters, initialization, seed and the number of epochs.
    pub kmeans: KMeansParams,
    /// Samples per step (default 1024, as scikit-learn).
    pub batch_size: usize,
    /// Stop after this many steps without improving the smoothed batch inertia (default 10).
    pub max_no_improvement: usize,
}

impl Default for MiniBatchParams {
    fn default() -> Self {
        MiniBatchParams {
            kmeans: KMeansParams::new(8).max_iter(100),
            batch_size: 1024,
            max_no_improvement: 10,
        }
    }
}

impl MiniBatchParams {
    /// `n_clusters` clusters, otherwise the defaults.
    pub fn new(n_clusters: usize) -> Self {
        MiniBatchParams {
            kmeans: KMeansParams::new(n_clusters).max_iter(100),
            ..Self::default()
        }
    }

    /// Clusters the row-major `data` (`n_features` values per sample).
    pub fn fit(&self, data: &[f32], n_features: usize) -> Result<KMeans> {
        self.kmeans.validate()?;
        if self.batch_size == 0 {
            return Err(Error::param("batch_size", ">= 1", 0));
        }
        if self.max_no_improvement == 0 {
            return Err(Error::param("max_no_improvement", ">= 1", 0));
        }
        let n = check_samples(data, n_features, self.kmeans.n_clusters)?;
        let (x, d, k) = (
            Samples {
                data,
                d: n_features,
            },
            n_features,
            self.kmeans.n_clusters,
        );
        let mut rng = SplitMix64::new(self.kmeans.seed);

        // initialize on a random subset of 3 batches (scikit-learn's init_size), at least k points
        let init_n = (3 * self.batch_size).max(k).min(n);
        let mut pick: Vec<usize> = (0..n).collect();
        for i in 0..init_n {
            let j = i + rng.below(n - i);
            pick.swap(i, j);
        }
        let subset: Vec<f32> = pick[..init_n]
            .iter()
            .flat_map(|&i| x.row(i).iter().copied())
            .collect();
        let sub = Samples { data: &subset, d };
        let mut centers = match self.kmeans.init {
            Init::KMeansPlusPlus => init::kmeans_plus_plus(sub, Weights(None), k, &mut rng),
            Init::Random => init::random(sub, Weights(None), k, &mut rng),
        };

        let mut seen = vec![0f64; k];
        let steps = (self.kmeans.max_iter * n).div_ceil(self.batch_size).max(1);
        let alpha = (2.0 * self.batch_size as f64 / (n as f64 + 1.0)).min(1.0);
        let (mut ewa, mut best, mut stale, mut done) = (None::<f64>, f64::INFINITY, 0, 0);
        let mut batch = vec![0f32; self.batch_size * d];
        for _ in 0..steps {
            done += 1;
            for row in batch.chunks_exact_mut(d) {
                row.copy_from_slice(x.row(rng.below(n)));
            }
            let (labels, dist2) = lloyd::nearest(Samples { data: &batch, d }, &centers);
            let (mut sums, mut counts) = (vec![0f64; k * d], vec![0f64; k]);
            for (row, &l) in batch.chunks_exact(d).zip(&labels) {
                counts[l as usize] += 1.0;
                sums[l as usize * d..(l as usize + 1) * d]
                    .iter_mut()
                    .zip(row)
                    .for_each(|(s, &v)| *s += f64::from(v));
            }
            for j in 0..k {
                if counts[j] == 0.0 {
                    continue;
                }
                seen[j] += counts[j];
                let c = &mut centers[j * d..(j + 1) * d];
                for (cv, s) in c.iter_mut().zip(&sums[j * d..(j + 1) * d]) {
                    let cf = f64::from(*cv);
                    *cv = (cf + (s - counts[j] * cf) / seen[j]) as f32;
                }
            }
            let inertia = dist2.iter().sum::<f64>() / self.batch_size as f64;
            let smoothed = ewa.map_or(inertia, |e| e * (1.0 - alpha) + inertia * alpha);
            ewa = Some(smoothed);
            if smoothed < best {
                best = smoothed;
                stale = 0;
            } else {
                stale += 1;
                if stale >= self.max_no_improvement {
                    break;
                }
            }
        }
        let (labels, dist2) = lloyd::nearest(x, &centers);
        let inertia = ordered_sum(&dist2);
        Ok(KMeans::from_parts(
            self.kmeans.clone(),
            d,
            centers,
            labels,
            inertia,
            done,
        ))
    }
}
