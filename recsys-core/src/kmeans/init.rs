//! Initial centroids.

use rayon::prelude::*;

use super::lloyd::{CHUNK, Samples, Weights, squared_distance_dispatch, weighted_sum};
use crate::rng::SplitMix64;

/// Squared distance of every point to `c`, in f64.
fn distances_to(x: Samples<'_>, c: &[f32]) -> Vec<f64> {
    (0..x.n())
        .into_par_iter()
        .map(|i| f64::from(squared_distance_dispatch(x.row(i), c)))
        .collect()
}

/// `sum_i w_i * min(closest_i, to_i)` in fixed chunk order.
fn potential(closest: &[f64], to: &[f64], w: Weights<'_>) -> f64 {
    let partial: Vec<f64> = closest
        .par_chunks(CHUNK)
        .zip(to.par_chunks(CHUNK))
        .enumerate()
        .map(|(c, (a, b))| {
            a.iter()
                .zip(b)
                .enumerate()
                .map(|(i, (x, y))| w.of(c * CHUNK + i) * x.min(*y))
                .sum::<f64>()
        })
        .collect();
    partial.iter().sum()
}

/// A sample drawn with probability proportional to its weight (uniformly without weights).
fn draw(w: Weights<'_>, n: usize, total: f64, rng: &mut SplitMix64) -> usize {
    match w.0 {
        None => rng.below(n),
        Some(ws) => {
            let r = rng.next_f64() * total;
            let mut acc = 0.0;
            for (i, &wi) in ws.iter().enumerate() {
                acc += f64::from(wi);
                if acc > r && wi > 0.0 {
                    return i;
                }
            }
            // rounding left r at the very end: the last sample of positive weight
            ws.iter().rposition(|&wi| wi > 0.0).unwrap_or(n - 1)
        }
    }
}

/// Greedy k-means++ as scikit-learn implements it: the first centroid drawn in proportion to
/// the weights, then each next one the best (lowest resulting weighted potential) of
/// `2 + floor(ln k)` candidates drawn with probability proportional to their weighted squared
/// distance to the nearest chosen centroid.
pub(crate) fn kmeans_plus_plus(
    x: Samples<'_>,
    w: Weights<'_>,
    k: usize,
    rng: &mut SplitMix64,
) -> Vec<f32> {
    let (n, d) = (x.n(), x.d);
    let trials = 2 + (k as f64).ln() as usize;
    let mut centers = Vec::with_capacity(k * d);
    let total: f64 = (0..n).map(|i| w.of(i)).sum();
    centers.extend_from_slice(x.row(draw(w, n, total, rng)));
    let mut closest = distances_to(x, &centers[..d]);
    let mut pot = weighted_sum(&closest, w);
    let mut cumulative = vec![0f64; n];
    for _ in 1..k {
        let mut acc = 0.0;
        for (i, (c, v)) in cumulative.iter_mut().zip(&closest).enumerate() {
            acc += w.of(i) * v;
            *c = acc;
        }
        let mut best: Option<(f64, usize, Vec<f64>)> = None;
        for _ in 0..trials {
            let r = rng.next_f64() * pot;
            let cand = cumulative.partition_point(|&c| c < r).min(n - 1);
            let to = distances_to(x, x.row(cand));
            let p = potential(&closest, &to, w);
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

/// `k` distinct samples drawn uniformly, or in proportion to their weights (one after the
/// other among those not drawn yet, as numpy's `choice(replace=False, p=...)`).
pub(crate) fn random(x: Samples<'_>, w: Weights<'_>, k: usize, rng: &mut SplitMix64) -> Vec<f32> {
    let mut idx: Vec<usize> = (0..x.n()).collect();
    if let Some(ws) = w.0 {
        let mut left: Vec<f32> = ws.to_vec();
        let mut total: f64 = left.iter().map(|&v| f64::from(v)).sum();
        for slot in idx.iter_mut().take(k) {
            let i = draw(Weights(Some(&left)), left.len(), total, rng);
            *slot = i;
            total -= f64::from(left[i]);
            left[i] = 0.0;
        }
        return idx[..k]
            .iter()
            .flat_map(|&i| x.row(i).iter().copied())
            .collect();
    }
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
