//! Initial centroids.

use rayon::prelude::*;

use super::lloyd::{CHUNK, Samples, squared_distance_dispatch};
use crate::rng::SplitMix64;

/// Squared distance of every point to `c`, in f64.
fn distances_to(x: Samples<'_>, c: &[f32]) -> Vec<f64> {
    (0..x.n())
        .into_par_iter()
        .map(|i| f64::from(squared_distance_dispatch(x.row(i), c)))
        .collect()
}

/// `sum_i min(closest_i, to_i)` in fixed chunk order.
fn potential(closest: &[f64], to: &[f64]) -> f64 {
    let partial: Vec<f64> = closest
        .par_chunks(CHUNK)
        .zip(to.par_chunks(CHUNK))
        .map(|(a, b)| a.iter().zip(b).map(|(x, y)| x.min(*y)).sum::<f64>())
        .collect();
    partial.iter().sum()
}

/// Greedy k-means++ as scikit-learn implements it: the first centroid uniformly at random, then
/// each next one the best (lowest resulting potential) of `2 + floor(ln k)` candidates drawn
/// with probability proportional to their squared distance to the nearest chosen centroid.
pub(crate) fn kmeans_plus_plus(x: Samples<'_>, k: usize, rng: &mut SplitMix64) -> Vec<f32> {
    let (n, d) = (x.n(), x.d);
    let trials = 2 + (k as f64).ln() as usize;
    let mut centers = Vec::with_capacity(k * d);
    centers.extend_from_slice(x.row(rng.below(n)));
    let mut closest = distances_to(x, &centers[..d]);
    let mut pot: f64 = closest.iter().sum();
    let mut cumulative = vec![0f64; n];
    for _ in 1..k {
        let mut acc = 0.0;
        for (c, v) in cumulative.iter_mut().zip(&closest) {
            acc += v;
            *c = acc;
        }
        let mut best: Option<(f64, usize, Vec<f64>)> = None;
        for _ in 0..trials {
            let r = rng.next_f64() * pot;
            let cand = cumulative.partition_point(|&c| c < r).min(n - 1);
            let to = distances_to(x, x.row(cand));
            let p = potential(&closest, &to);
            if best.as_ref().is_none_or(|b| p < b.0) {
                best = Some((p, cand, to));
            }
        }
        let (p, cand, to) = best.expect("at least two trials");
        centers.extend_from_slice(x.row(cand));
        closest
            .iter_mut()
            .zip(&to)
            .for_each(|(c, t)| *c = c.min(*t));
        pot = p;
    }
    centers
}

/// `k` distinct samples drawn uniformly.
pub(crate) fn random(x: Samples<'_>, k: usize, rng: &mut SplitMix64) -> Vec<f32> {
    let mut idx: Vec<usize> = (0..x.n()).collect();
    // partial Fisher-Yates: the first k are a uniform sample
    for i in 0..k {
        let j = i + rng.below(idx.len() - i);
        idx.swap(i, j);
    }
    idx[..k]
        .iter()
        .flat_map(|&i| x.row(i).iter().copied())
        .collect()
}
